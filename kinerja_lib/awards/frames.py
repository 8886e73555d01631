"""Small helpers on the frames the award analyses share."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..vocabulary import VOCAB
from .rules import DITETAPKAN



def values(column: pd.Series) -> list:
    """Return a column's values as a list: what iterating the column gives, numbers as Python scalars.

    Iterating a column of text (Arrow-backed in pandas 3) boxes one value at a time, about 30 times slower
    than converting the column at once; the per-person loops of the award lists read their columns here.

    >>> values(pd.Series(["a", None], dtype="str"))
    ['a', nan]
    """
    return column.tolist()


def records(frame: pd.DataFrame) -> list[dict]:
    """Return the rows of ``frame`` as dicts of Python objects: ``frame.to_dict("records")``, column by
    column (several times faster on frames of text)."""
    names = list(frame.columns)
    columns = []
    for i in range(len(names)):
        column = frame.iloc[:, i]
        listed = values(column)
        if getattr(column.dtype, "na_value", None) is pd.NA:   # to_dict gives None for pd.NA
            listed = [None if v is pd.NA else v for v in listed]
        columns.append(listed)
    return [dict(zip(names, row)) for row in zip(*columns)]


def opd_of(pegawai: pd.DataFrame) -> pd.Series:
    if "opd" in pegawai:
        return pegawai["opd"]
    return pegawai["unit_id"].astype(str).str.split(" / ").str[0]


def golongan_group(golongan: pd.Series) -> pd.Series:
    """Return the golongan group (``III/a`` -> ``III``); missing -> ``tidak tercatat``."""
    g = golongan.astype("string").str.split("/").str[0].str.strip()
    return g.fillna("tidak tercatat").replace("", "tidak tercatat").astype(object)


def fmt(x: float, digits: int = 2) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}".replace(".", ",")


def base_frame(results: pd.DataFrame, pegawai: pd.DataFrame) -> pd.DataFrame:
    """Join results to pegawai (left join on results: the pool is everyone scored in the cycle)."""
    peg = pegawai.copy()
    peg["opd"] = opd_of(peg)
    keep = [c for c in ("nip", "nama", "jenis_kelamin", "unit_id", "opd", "jabatan", "jenis_jabatan", "jenjang",
                        "golongan", "tmt_cpns", "aktif") if c in peg]
    base = results.merge(peg[keep], on="nip", how="left", suffixes=("", "_pegawai"))
    for col in ("skor", "skor_adj", "skor_adj_se"):
        if col not in base:
            base[col] = np.nan
        base[col] = pd.to_numeric(base[col], errors="coerce").astype(float)
    for g in VOCAB.relasi:
        col = f"n_{g}"
        base[col] = pd.to_numeric(base[col], errors="coerce").fillna(0).astype(int) if col in base else 0
    if "kelompok_tampil" not in base:
        base["kelompok_tampil"] = ""
    if "predikat" not in base:
        base["predikat"] = None
    if "aktif" not in base:
        base["aktif"] = 1
    return base


def provisional(results: pd.DataFrame) -> pd.Series:
    """Return True where a predikat exists but is not ditetapkan (a missing status counts as provisional)."""
    status = results["status_predikat"] if "status_predikat" in results else pd.Series(None, index=results.index)
    return results["predikat"].notna() & ~status.eq(DITETAPKAN)


def history_with_current(results: pd.DataFrame, riwayat: pd.DataFrame | None, cycle) -> pd.DataFrame:
    """Return the decided predikat history with the current cycle's decided predikat (from ``results``).

    Rows of ``riwayat`` for ``cycle.id`` are replaced, so the function can be applied twice. A provisional
    predikat of the current cycle is left out: history holds decisions only.
    """
    cols = ["nip", "cycle_id", "nama_siklus", "periode", "tanggal_selesai", "predikat"]
    past = (riwayat[cols] if riwayat is not None and len(riwayat) else pd.DataFrame(columns=cols))
    past = past[past["cycle_id"] != cycle.id]
    now = results.loc[results["predikat"].notna() & ~provisional(results), ["nip", "predikat"]].copy()
    now["cycle_id"], now["nama_siklus"] = cycle.id, cycle.nama
    now["periode"], now["tanggal_selesai"] = cycle.periode, cycle.tanggal_selesai
    parts = [p for p in (past, now[cols]) if len(p)]
    if not parts:
        return pd.DataFrame(columns=cols)
    return pd.concat(parts, ignore_index=True)


def empty_disiplin() -> pd.DataFrame:
    return pd.DataFrame(columns=["nip", "tingkat", "jenis_hukuman", "tanggal_mulai", "tanggal_selesai"])


def empty_cltn() -> pd.DataFrame:
    return pd.DataFrame(columns=["nip", "tanggal_mulai", "tanggal_selesai"])
