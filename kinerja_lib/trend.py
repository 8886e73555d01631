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


#: The readings of a change beyond noise.
REAL = ("naik", "turun")


def up_to(history: pd.DataFrame, tanggal_selesai: str) -> pd.DataFrame:
    """Return the cycles of ``history`` that end on or before ``tanggal_selesai`` (a cycle and those before it).

    >>> h = pd.DataFrame({"cycle_id": [1, 2, 3], "tanggal_selesai": ["2026-03-31", "2026-06-30", "2026-09-30"]})
    >>> up_to(h, "2026-06-30")["cycle_id"].tolist()
    [1, 2]
    """
    return history[history["tanggal_selesai"].astype(str) <= str(tanggal_selesai)].reset_index(drop=True)


def readings_at(trend: pd.DataFrame, cycle_id: int) -> pd.Series:
    """Return how many pegawai read each way in ``cycle_id`` against their previous cycle (from
    :func:`score_trend`): naik, turun, dalam batas derau, and the rest (no earlier cycle or no score).

    >>> t = pd.DataFrame({"cycle_id": [2, 2, 2, 2, 1], "bacaan": ["naik", NOISE, NOISE, None, None]})
    >>> readings_at(t, 2).to_dict()
    {'naik': 1, 'turun': 0, 'dalam batas derau': 2, 'tanpa pembanding': 1}
    """
    at = trend.loc[trend["cycle_id"] == cycle_id, "bacaan"]
    counts = {label: int((at == label).sum()) for label in (*REAL, NOISE)}
    counts["tanpa pembanding"] = int(len(at) - sum(counts.values()))
    return pd.Series(counts, name="pegawai")


def beyond_noise(trend: pd.DataFrame, cycle_id: int) -> pd.DataFrame:
    """Return the pegawai whose score in ``cycle_id`` rose or fell beyond noise against their previous cycle,
    the largest rise first and the largest fall last, with the previous score and the change's 95% interval.

    >>> t = score_trend(pd.DataFrame({"nip": ["a", "a", "b", "b"], "cycle_id": [1, 2, 1, 2],
    ...     "nama_siklus": ["T1", "T2"] * 2, "periode": ["Triwulan I", "Triwulan II"] * 2, "tahun": [2026] * 4,
    ...     "tanggal_selesai": ["2026-03-31", "2026-06-30"] * 2, "skor_adj": [3.0, 3.6, 3.0, 3.05],
    ...     "skor_adj_se": [0.1] * 4}))
    >>> beyond_noise(t, 2)[["nip", "perubahan", "bacaan"]].round(2).to_dict("records")
    [{'nip': 'a', 'perubahan': 0.6, 'bacaan': 'naik'}]
    """
    at = trend[(trend["cycle_id"] == cycle_id) & trend["bacaan"].isin(REAL)].copy()
    at["skor_sebelumnya"] = at["skor_adj"] - at["perubahan"]
    at["perubahan_bawah"] = at["perubahan"] - Z95 * at["se_perubahan"]
    at["perubahan_atas"] = at["perubahan"] + Z95 * at["se_perubahan"]
    columns = ["nip", "skor_sebelumnya", "skor_adj", "perubahan", "perubahan_bawah", "perubahan_atas", "bacaan"]
    return at.sort_values("perubahan", ascending=False, kind="stable")[columns].reset_index(drop=True)


def with_cycle(history: pd.DataFrame, cycle, results: pd.DataFrame) -> pd.DataFrame:
    """Return ``history`` with the rows of ``cycle`` (a Cycle) replaced by ``results`` (``nip, skor_adj,
    skor_adj_se``, e.g. scores computed in memory and not stored).

    >>> h = pd.DataFrame({"nip": ["a", "a"], "cycle_id": [1, 2], "nama_siklus": ["T1", "T2"],
    ...     "periode": ["Triwulan I", "Triwulan II"], "tahun": [2026, 2026],
    ...     "tanggal_selesai": ["2026-03-31", "2026-06-30"], "skor_adj": [3.0, 3.1], "skor_adj_se": [0.1, 0.1]})
    >>> from types import SimpleNamespace
    >>> c = SimpleNamespace(id=2, nama="T2", periode="Triwulan II", tahun=2026, tanggal_selesai="2026-06-30")
    >>> with_cycle(h, c, pd.DataFrame({"nip": ["a"], "skor_adj": [3.5], "skor_adj_se": [0.2]}))["skor_adj"].tolist()
    [3.0, 3.5]
    """
    current = pd.DataFrame({"nip": results["nip"].to_numpy(), "cycle_id": cycle.id, "nama_siklus": cycle.nama,
                            "periode": cycle.periode, "tahun": cycle.tahun, "tanggal_selesai": cycle.tanggal_selesai,
                            "skor_adj": results["skor_adj"].to_numpy(dtype=float),
                            "skor_adj_se": results["skor_adj_se"].to_numpy(dtype=float)})
    before = history.loc[history["cycle_id"] != cycle.id, COLUMNS]
    return pd.concat([before, current], ignore_index=True) if len(before) else current
