"""Award shortlist computation (eligibility with reasons, empirical-Bayes shrinkage, 1,000 Monte Carlo draws of
the ranks, fairness table) at city and province size.

Synthetic frames are built in setup (untimed): scoring results with a bias-adjusted score and SE for every
pegawai, units of 10 inside OPDs of 200, the previous year's predikat, some penalties and potensi.
The timed step is ``awards.shortlist`` plus ``awards.fairness`` on its pool; a second case adds the
follow-up, Satyalancana and 9-box lists (the whole committee report).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.run import Case

K = 10


def synthetic_inputs(n: int, seed: int = 2026):
    """Return AwardInputs for ``n`` synthetic pegawai."""
    from kinerja_lib.awards import AwardInputs
    from kinerja_lib.cycle import Cycle, merge_settings

    rng = np.random.default_rng(seed)
    nip = np.array([f"{19700101 + (i % 9000):08d}{200001000000 + i:010d}" for i in range(n)], dtype=object)
    unit = np.arange(n) // 10
    opd = unit // 20
    unit_id = np.array([f"OPD {o:04d} / Unit {u:05d}" for o, u in zip(opd, unit)], dtype=object)
    truth = rng.normal(3.4, 0.4, n) + rng.normal(0, 0.1, unit.max() + 1)[unit]
    se = rng.uniform(0.08, 0.3, n)
    predikat = np.array(["Sangat Baik", "Baik", "Butuh Perbaikan", "Kurang/Misconduct", "Sangat Kurang"],
                        dtype=object)
    n_rekan = rng.integers(0, 6, n)
    results = pd.DataFrame({
        "nip": nip, "skor": truth + rng.normal(0, 0.2, n), "skor_adj": truth + rng.normal(0, se), "skor_adj_se": se,
        "kelompok_tampil": np.where(n_rekan >= 3, "diri,atasan,rekan", "diri,atasan"),
        "n_diri": 1, "n_atasan": 1, "n_rekan": n_rekan, "n_bawahan": 0, "n_lainnya": 0,
        "predikat": predikat[rng.choice(5, n, p=[0.15, 0.6, 0.15, 0.07, 0.03])],
        "keputusan_perilaku": rng.random(n) < 0.8,
    })
    tmt = (np.datetime64("1990-01-01") + rng.integers(0, 12000, n)).astype(str).astype(object)
    pegawai = pd.DataFrame({
        "nip": nip, "nama": [f"Pegawai {i}" for i in range(n)], "jenis_kelamin": rng.choice(["L", "P"], n),
        "unit_id": unit_id, "opd": np.array([f"OPD {o:04d}" for o in opd], dtype=object), "jabatan": "Analis",
        "jenis_jabatan": rng.choice(["JF", "Pelaksana", "Pengawas", "Administrator"], n, p=[.4, .45, .1, .05]),
        "jenjang": None, "golongan": rng.choice(["II/c", "III/a", "III/c", "IV/a"], n), "tmt_cpns": tmt, "aktif": 1,
    })
    hit = rng.choice(n, max(1, n // 200), replace=False)
    disiplin = pd.DataFrame({"nip": nip[hit], "tingkat": rng.choice(["ringan", "sedang", "berat"], hit.size),
                             "jenis_hukuman": "hukuman", "tanggal_mulai": "2026-03-01", "tanggal_selesai": None})
    potensi = pd.DataFrame({"nip": nip, "tanggal": "2026-06-30",
                            "kategori": rng.choice(["rendah", "menengah", "tinggi"], n)})
    riwayat = pd.DataFrame({"nip": nip, "cycle_id": 1, "nama_siklus": "Tahunan 2025", "periode": "Tahunan",
                            "tanggal_selesai": "2025-12-31", "predikat": predikat[rng.choice(5, n)]})
    cycle = Cycle(2, "Tahunan 2026", "Tahunan", 2026, "2026-01-01", "2026-12-31", "terbuka", "v", merge_settings())
    return AwardInputs(cycle, results, pegawai, disiplin, potensi, riwayat, None)


def _setup(n: int):
    def setup(workdir: Path):
        from kinerja_lib import awards

        awards.load_rules()
        return synthetic_inputs(n)
    return setup


def _shortlist(inputs) -> dict:
    from kinerja_lib import awards

    out = awards.shortlist(inputs.results, inputs.pegawai, inputs.disiplin, inputs.cycle, riwayat=inputs.riwayat,
                           k=K)
    fair = awards.fairness(out.eligibility)
    return {"layak": int(out.settings["jumlah_layak"]), "kelompok_keadilan": len(fair),
            "p_top_k_sum": round(float(out.table["p_k_teratas"].sum()), 3)}


def _report(inputs) -> dict:
    from kinerja_lib import awards

    report = awards.build_report(inputs, k=K)
    return {"tindak_lanjut": len(report.follow_up), "satyalancana": len(report.satyalancana),
            "kelompok_talenta": int(report.nine_box["kelompok_talenta"].sum())}


def cases() -> list[Case]:
    return [
        Case("awards", "shortlist", 8_000, _shortlist, _setup(8_000), target_seconds=5, quick=True),
        Case("awards", "shortlist", 100_000, _shortlist, _setup(100_000), target_seconds=60),
        Case("awards", "report", 8_000, _report, _setup(8_000), target_seconds=10, quick=True),
        Case("awards", "report", 100_000, _report, _setup(100_000), target_seconds=120),
    ]
