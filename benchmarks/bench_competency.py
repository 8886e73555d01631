"""Benchmark of the whole competency analysis (levels, gaps, JPM, Borich, needs, cohorts) and its XLSX export.

Setup builds synthetic DataFrames like a cycle's competency answers: every pegawai rates themself and is
rated by a supervisor on K01..K09, by 4 peers on K01/K02/K03/K05, and a third of them by 3 subordinates on
K02/K03/K06/K07 (the default ``kompetensi_per_relasi``), about 40 answers per pegawai, 5% "tidak dapat
menilai"; one anjab standard per 50 job titles overrides a level and adds a technical competency.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.run import Case

AREA = "competency"
CODES = [f"K0{i}" for i in range(1, 10)]
TYPES = [("Pelaksana", None), ("Pengawas", None), ("Administrator", None), ("JF", "Ahli Pertama"),
         ("JF", "Ahli Muda"), ("JF", "Ahli Madya")]


def synthetic(n: int, seed: int = 2026) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return (pegawai, responses, standar) for ``n`` pegawai."""
    rng = np.random.default_rng(seed)
    nips = np.array([f"{199000000000000000 + i:018d}" for i in range(n)], dtype=object)
    kind = rng.integers(0, len(TYPES), n)
    opd = rng.integers(0, 40, n)
    pegawai = pd.DataFrame({
        "nip": nips, "nama": [f"Pegawai {i}" for i in range(n)],
        "opd": [f"Dinas {o:02d}" for o in opd],
        "unit_id": [f"Dinas {o:02d} / Bidang {b}" for o, b in zip(opd, rng.integers(0, 4, n))],
        "jabatan": [f"Jabatan {j}" for j in rng.integers(0, 500, n)],
        "jenis_jabatan": [TYPES[k][0] for k in kind], "jenjang": [TYPES[k][1] for k in kind]})
    truth = rng.normal(2.5, 0.9, (n, len(CODES)))
    code_index = {c: i for i, c in enumerate(CODES)}
    parts = []

    def add(ratee: np.ndarray, rater: np.ndarray, relation: str, items: list[str]) -> None:
        k = len(items)
        r = np.repeat(ratee, k)
        item = np.tile(np.asarray(items, dtype=object), len(ratee))
        idx = np.tile([code_index[c] for c in items], len(ratee))
        score = np.clip(np.rint(truth[r, idx] + rng.normal(0, 0.7, len(r))), 1, 5)
        score[rng.random(len(r)) < 0.05] = np.nan
        parts.append(pd.DataFrame({"ratee": nips[r], "rater": nips[np.repeat(rater, k)], "relation": relation,
                                   "item": item, "score": score}))

    everyone = np.arange(n)
    add(everyone, everyone, "diri", CODES)
    add(everyone, (everyone + 1) % n, "atasan", CODES)
    for j in range(4):
        add(everyone, (everyone + 2 + j) % n, "rekan", ["K01", "K02", "K03", "K05"])
    heads = everyone[everyone % 3 == 0]
    for j in range(3):
        add(heads, (heads + 7 + j) % n, "bawahan", ["K02", "K03", "K06", "K07"])
    responses = pd.concat(parts, ignore_index=True)
    standar = pd.DataFrame({"jabatan": [f"Jabatan {j}" for j in range(0, 500, 50) for _ in range(2)],
                            "kompetensi": ["K03", "T01"] * 10, "level": [3, 2] * 10})
    return pegawai, responses, standar


def _analyse(state) -> dict:
    from kinerja_lib.competency import analyse_frames

    pegawai, responses, standar = state
    report = analyse_frames(pegawai, responses, standar)
    return {"responses": len(responses), "needs_rows": len(report.needs), "cohorts": len(report.cohorts)}


def _export(state) -> dict:
    from kinerja_lib.competency import analyse_frames, export_training_xlsx

    (pegawai, responses, standar), folder = state
    report = analyse_frames(pegawai, responses, standar)
    path = export_training_xlsx(report, folder / "rencana.xlsx")
    return {"xlsx_mb": round(path.stat().st_size / 1e6, 2)}


def cases() -> list[Case]:
    return [
        Case(AREA, "analyse", 8_000, _analyse, lambda workdir: synthetic(8_000), target_seconds=5.0, quick=True),
        Case(AREA, "analyse", 100_000, _analyse, lambda workdir: synthetic(100_000), target_seconds=60.0),
        Case(AREA, "analyse_and_export_xlsx", 8_000, _export,
             lambda workdir: (synthetic(8_000), Path(workdir))),
    ]
