"""A pegawai's 360 score across cycles (triwulan after triwulan, year on year), and whether a change is noise.

Pure: takes the scores of each cycle (``nip, cycle_id, nama_siklus, periode, tahun, tanggal_selesai, skor_adj,
skor_adj_se``) and returns, per person and cycle, the change against the previous cycle and against the same
period a year earlier, with the standard error of the change (the two cycles' errors combined as independent)
and a plain reading: a change inside ±1.96 standard errors is "dalam batas derau", not a rise or a fall.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

Z95 = 1.959963984540054
NOISE = "dalam batas derau"
COLUMNS = ["nip", "cycle_id", "nama_siklus", "periode", "tahun", "tanggal_selesai", "skor_adj", "skor_adj_se"]


def reading(change: float, se: float) -> str:
    """Return the Indonesian reading of a change with its standard error.

    >>> reading(0.30, 0.10), reading(-0.05, 0.10), reading(0.1, float("nan"))
    ('naik', 'dalam batas derau', 'tidak dapat dinilai (galat baku tidak ada)')
    """
    if not np.isfinite(change):
        return "tidak dapat dinilai"
    if not np.isfinite(se) or se <= 0:
        return "tidak dapat dinilai (galat baku tidak ada)"
    if abs(change) < Z95 * se:
        return NOISE
    return "naik" if change > 0 else "turun"


def score_trend(history: pd.DataFrame) -> pd.DataFrame:
    """Return ``history`` ordered by person and cycle end, with the change against the previous cycle
    (``perubahan``, ``se_perubahan``, ``bacaan``) and against the same period one year earlier
    (``perubahan_tahunan``, ``se_perubahan_tahunan``, ``bacaan_tahunan``), and the 95% interval of each score."""
    out = history[COLUMNS].sort_values(["nip", "tanggal_selesai", "cycle_id"], kind="stable").reset_index(drop=True)
    score, se = out["skor_adj"].astype(float), out["skor_adj_se"].astype(float)
    out["ci_bawah"], out["ci_atas"] = score - Z95 * se, score + Z95 * se
    previous = out.groupby("nip")[["skor_adj", "skor_adj_se"]].shift(1).astype(float)
    out["perubahan"] = score - previous["skor_adj"]
    out["se_perubahan"] = np.sqrt(se ** 2 + previous["skor_adj_se"] ** 2)
    out["bacaan"] = pd.Series([reading(c, s) if pd.notna(p) else None for c, s, p in zip(
        out["perubahan"], out["se_perubahan"], previous["skor_adj"])], index=out.index, dtype=object)
    year_ago = out[["nip", "periode", "tahun", "skor_adj", "skor_adj_se"]].assign(tahun=out["tahun"] + 1)
    year_ago = year_ago.drop_duplicates(["nip", "periode", "tahun"], keep="last")
    joined = out[["nip", "periode", "tahun"]].merge(year_ago, on=["nip", "periode", "tahun"], how="left")
    out["perubahan_tahunan"] = score - joined["skor_adj"].astype(float).to_numpy()
    out["se_perubahan_tahunan"] = np.sqrt(se ** 2 + joined["skor_adj_se"].astype(float).to_numpy() ** 2)
    out["bacaan_tahunan"] = pd.Series([reading(c, s) if pd.notna(p) else None for c, s, p in zip(
        out["perubahan_tahunan"], out["se_perubahan_tahunan"], joined["skor_adj"])], index=out.index, dtype=object)
    return out
