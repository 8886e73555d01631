"""Runs every benchmark case in a fresh process and writes time and peak memory to a JSON file.

A benchmark module is ``benchmarks/bench_<area>.py`` defining ``cases()``, which returns a list of
``Case`` objects. Each case runs in its own subprocess so its peak RSS is its own; the setup
(e.g. building a database of N pegawai) is timed separately from the measured step.

    python -m benchmarks.run --out benchmarks/results.json [--only assign] [--quick]

Cases marked ``opt_in`` (e.g. a province-size database that takes minutes to build) run only when
``--only`` names them with their size, e.g. ``--only kinerja_score:100000``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


@dataclass
class Case:
    """One measured step: ``setup(workdir) -> state`` is untimed, ``run(state)`` is measured.

    ``run`` may return a dict of extra figures (e.g. a baseline time) that are recorded too.
    """

    area: str
    name: str
    size: int
    run: Callable[[Any], dict | None]
    setup: Callable[[Path], Any] = lambda workdir: None
    target_seconds: float | None = None
    quick: bool = False  # part of the --quick subset
    opt_in: bool = False  # too long for every run: only when --only names it
    extra: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.area}:{self.name}:{self.size}"


def discover() -> dict[str, Case]:
    """Return every case of every ``bench_*`` module, keyed ``area:name:size``."""
    cases: dict[str, Case] = {}
    pkg_dir = Path(__file__).parent
    for info in pkgutil.iter_modules([str(pkg_dir)]):
        if info.name.startswith("bench_"):
            module = importlib.import_module(f"benchmarks.{info.name}")
            for case in module.cases():
                cases[case.key] = case
    return cases


def _child(key: str) -> None:
    case = discover()[key]
    with tempfile.TemporaryDirectory(prefix="kinerja-bench-") as tmp:
        t0 = time.perf_counter()
        state = case.setup(Path(tmp))
        setup_s = time.perf_counter() - t0
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0 = time.perf_counter()
        extra = case.run(state) or {}
        seconds = time.perf_counter() - t0
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "setup_seconds": setup_s, "peak_rss_mb": peak_kb / 1024,
                      "peak_rss_before_run_mb": rss_before / 1024, **extra}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results.json")
    parser.add_argument("--only", help="run only the cases whose key contains this text")
    parser.add_argument("--quick", action="store_true", help="run only the small cases")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.case:
        _child(args.case)
        return 0
    cases = discover()
    results = []
    for key, case in cases.items():
        if args.only and args.only not in key:
            continue
        if args.quick and not case.quick:
            continue
        if case.opt_in and not (args.only and args.only in key and args.only.endswith(f":{case.size}")):
            continue
        print(f"[bench] {key} ...", flush=True)
        proc = subprocess.run([sys.executable, "-m", "benchmarks.run", "--case", key],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            results.append({"case": key, "error": proc.stderr.strip().splitlines()[-1:]})
            continue
        figures = json.loads(proc.stdout.strip().splitlines()[-1])
        row = {"case": key, "area": case.area, "name": case.name, "size": case.size,
               "target_seconds": case.target_seconds, **case.extra, **figures}
        if case.target_seconds is not None:
            row["meets_target"] = figures["seconds"] <= case.target_seconds
        print(f"[bench]   {figures['seconds']:.2f} s, peak {figures['peak_rss_mb']:.0f} MB", flush=True)
        results.append(row)
    out = Path(args.out)
    previous = json.loads(out.read_text()) if out.exists() else {}
    merged = {r["case"]: r for r in previous.get("results", [])}
    merged.update({r["case"]: r for r in results})
    merged = {key: row for key, row in merged.items() if key in cases}  # drop cases that no longer exist
    report = {
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(), "processor": platform.processor()},
        "results": sorted(merged.values(), key=lambda r: r["case"]),
    }
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"[bench] wrote {out}")
    return 0 if all("error" not in r for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
