"""The analyses end to end from the database, as a user runs them, on the 8,000-pegawai demo: the commands
``kinerja pelatihan`` and ``kinerja penghargaan`` (as the README's admin path writes them) and notebooks 01 to 03
executed top to bottom by ``jupyter nbconvert --execute`` (kernel start included), each in its own process.

Each is timed next to the same baseline as ``scoring:kinerja_score``: one SQLite ``GROUP BY`` mean over the
cycle's submitted answers in a fresh connection, best of three, timed just before and just after the step.
Setup (untimed) builds the demo (seed 2026); for the award command and notebook 03 it also stores the scores
with ``kinerja score``, as an administrator does before them. Figures: ``step_s`` (wall), ``step_cpu_s``
(user + system of the process and every process it waited for, e.g. the kernel and Chromium),
``step_peak_rss_mb`` (the largest of those processes), ``sqlite_groupby_s`` and the ratios.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_scoring import _score_setup, _sqlite_groupby
from benchmarks.run import Case

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 8


def _timed(argv: list[str], env: dict | None = None, cwd: Path | None = None) -> dict:
    """Run ``argv`` to its end under /usr/bin/time: wall, CPU (user + system) of it and every process it
    waited for, and the peak RSS of the largest of them. (The peak is taken by /usr/bin/time because a
    process forked from this harness would start with the harness's own peak.)"""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as out:
        t0 = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", "-o", out.name, *argv], env=env, cwd=cwd,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(argv[:4])} ... failed: {proc.stderr.strip()[-2000:]}")
        peak_kb, user, system = out.read().split()[-3:]
    return {"wall": wall, "cpu": float(user) + float(system), "peak_rss_mb": int(peak_kb) / 1024}


def _kinerja(db: Path, *args: str) -> list[str]:
    return [sys.executable, "-c", "import sys; sys.argv[0] = 'kinerja'; from kinerja_lib.cli import main; main()",
            "--db", str(db), *args]


def _setup(n: int, scored: bool):
    build = _score_setup(n)

    def setup(workdir: Path):
        state = build(workdir)
        if scored:
            _timed(_kinerja(state["path"], "score"))
        state["workdir"] = workdir
        return state
    return setup


def _with_baseline(state, step) -> dict:
    before = _sqlite_groupby(state["path"], state["cycle_id"], state["items"])
    figures = step(state)
    after = _sqlite_groupby(state["path"], state["cycle_id"], state["items"])
    base_wall, base_cpu = min(before["wall"], after["wall"]), min(before["cpu"], after["cpu"])
    return {"answers_in_cycle": state["answers"], "step_s": figures["wall"], "step_cpu_s": figures["cpu"],
            "step_peak_rss_mb": figures["peak_rss_mb"], "sqlite_groupby_s": base_wall,
            "sqlite_groupby_cpu_s": base_cpu, "ratio_to_sqlite_groupby": figures["wall"] / base_wall,
            "cpu_ratio_to_sqlite_groupby": figures["cpu"] / base_cpu,
            "meets_step_target": figures["wall"] <= TARGET_SECONDS}


def _pelatihan(state) -> dict:
    out = state["workdir"] / "rencana-pengembangan.xlsx"
    return _timed(_kinerja(state["path"], "pelatihan", "--xlsx", str(out)))


def _penghargaan(state) -> dict:
    work = state["workdir"]
    return _timed(_kinerja(state["path"], "penghargaan", "--xlsx", str(work / "penghargaan.xlsx"),
                           "--pdf", str(work / "penghargaan.pdf")))


def _notebook(name: str):
    def step(state) -> dict:
        out = state["workdir"] / "nb"
        env = {**os.environ, "KINERJA_DB": str(state["path"])}
        return _timed([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
                       "--ExecutePreprocessor.timeout=600", "--output-dir", str(out),
                       str(ROOT / "notebooks" / f"{name}.ipynb")], env=env, cwd=ROOT)
    return step


def _case(name: str, step, scored: bool, n: int = 8_000) -> Case:
    return Case("end_to_end", name, n, lambda state: _with_baseline(state, step), _setup(n, scored),
                target_seconds=None)


def cases() -> list[Case]:
    return [
        _case("kinerja_pelatihan", _pelatihan, scored=False),
        _case("kinerja_penghargaan", _penghargaan, scored=True),
        _case("notebook_01", _notebook("01-penilaian-360"), scored=False),
        _case("notebook_02", _notebook("02-kebutuhan-pelatihan"), scored=False),
        _case("notebook_03", _notebook("03-penghargaan-dan-pembinaan"), scored=True),
    ]
