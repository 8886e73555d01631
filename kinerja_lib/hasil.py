"""Stored scoring results: the analysis run and the hasil_skor and hasil_skor_nilai rows (the self-other
agreement is stored in them: load_agreement gives its rows).

kinerja_lib.scoring computes the results and hands them here as data (columns already named as the tables
name them); this module is the only one that writes or reads those tables, so a second storage engine
changes this file and not the analysis.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from itertools import repeat

import pandas as pd
from sqlite_utils import Database

from .organisation import load_tree, predikat_organisasi
from .store import RELATIONS, VALUE_GROUPS, audit, foreign_keys_off, insert_rows, now, write_transaction

# hasil_skor's columns between cycle_id and analysis_run_id, in the order they are written.
RESULT_COLUMNS = ["nip", "skor", "skor_adj", "skor_adj_se", "kelompok_tampil",
                  *[f"n_{g}" for g in RELATIONS], *[f"rerata_{g}" for g in RELATIONS],
                  "rating_perilaku_saran", "dasar_saran", "peluang_di_atas", "peluang_di_bawah",
                  "rating_perilaku", "sumber_rating_perilaku", "rating_hasil_kerja",
                  "predikat", "status_predikat", "kesepakatan_diri", "titik"]
# The per-value results as the analysis gives them and load_value_results returns them: one row per pegawai,
# value and shown group, 'semua' being the weighted non-self figure. Stored one row per pegawai and value
# (STORED_VALUE_COLUMNS; kelompok 'semua' in the columns n_bukan_diri and rerata_bukan_diri).
VALUE_COLUMNS = ["nip", "nilai", "kelompok", "n", "rerata"]
SEMUA = "semua"
GROUP_OF = {g: (SEMUA if g == "bukan_diri" else g) for g in VALUE_GROUPS}
STORED_VALUE_COLUMNS = ["nip", "nilai", *[f"{m}_{g}" for g in VALUE_GROUPS for m in ("n", "rerata")],
                        "kesepakatan_diri", "titik"]
# The self-other agreement as the analysis gives it and load_agreement returns it: per pegawai and value (and
# 'semua', the overall level) where both a self and a non-self figure exist. Stored as the per-value row's
# kesepakatan_diri and titik (diri and rerata_bukan_diri are that row's rerata_diri and rerata_bukan_diri) and,
# for 'semua', as hasil_skor's kesepakatan_diri and titik beside rerata_diri and skor.
AGREEMENT_COLUMNS = ["nip", "nilai", "diri", "rerata_bukan_diri", "selisih", "kategori", "titik"]

# Rows converted to Python values at a time when storing: a province's results are millions of rows, and
# holding them all as Python objects at once would cost gigabytes.
_CHUNK_ROWS = 50_000


def records(df: pd.DataFrame, columns: list[str], prefix: tuple = (), suffix: tuple = ()) -> Iterator[tuple]:
    """Yield the rows of ``df[columns]`` as tuples (NaN as None) between ``prefix`` and ``suffix``.

    Built column by column for a chunk of rows at a time, so there is no Python work per cell beyond
    the conversion itself and only one chunk is held as Python objects.
    """
    constant = [repeat(v) for v in prefix], [repeat(v) for v in suffix]
    for start in range(0, len(df), _CHUNK_ROWS):
        part = df.iloc[start:start + _CHUNK_ROWS]
        lists = []
        for col in columns:
            values = part[col]
            if values.dtype.kind in "iub" and not values.hasnans:
                lists.append(values.tolist())
                continue
            missing = values.isna().to_numpy()
            cells = values.to_numpy(dtype=object, copy=True)
            if missing.any():
                cells[missing] = None
            lists.append(cells.tolist())
        yield from zip(*constant[0], *lists, *constant[1])


def replace_scoring(db: Database, cycle_id: int, *, method: str, data_version: int, results: pd.DataFrame,
                    values: pd.DataFrame, agreement: pd.DataFrame, warnings: int, pelaku: str) -> int:
    """Replace the cycle's stored results in one transaction; return the new analysis_run id.

    ``method`` is the run's settings and method as JSON. ``results`` carries RESULT_COLUMNS but ``titik``,
    ``values`` STORED_VALUE_COLUMNS (the per-value agreement in it) and ``agreement`` AGREEMENT_COLUMNS (its
    overall rows give hasil_skor's ``titik``), each sorted by nip (and nilai: the clustered tables then grow at
    their end). One analysis_run row (jenis 'skor') and an audit entry are written with them.
    """
    cycle_id = int(cycle_id)
    overall = agreement.loc[agreement["nilai"] == SEMUA].set_index("nip")["titik"]
    results = results.assign(titik=results["nip"].map(overall))
    # The old rows are deleted and the new written without SQLite's per-row foreign-key lookups: deleting a row of
    # these tables (nothing refers to them) can break no key, yet SQLite looks up its parents for every one, two
    # thirds of the time of deleting a province's 7 million per-value rows. The rows written are checked before
    # the commit instead (_check_parents); an orphan rolls everything back.
    with foreign_keys_off(db) as unchecked, write_transaction(db):
        run_id = db.execute("INSERT INTO analysis_run (cycle_id, jenis, settings, dihitung, versi_data) "
                            "VALUES (?, 'skor', ?, ?, ?)", [cycle_id, method, now(), data_version]).lastrowid
        for table in ("hasil_skor_nilai", "hasil_skor"):
            db.execute(f"DELETE FROM {table} WHERE cycle_id = ?", [cycle_id])
        key = (cycle_id,)
        for table, frame, columns in (("hasil_skor", results, RESULT_COLUMNS),
                                      ("hasil_skor_nilai", values, STORED_VALUE_COLUMNS)):
            insert_rows(db, table, ["cycle_id", *columns, "analysis_run_id"],
                        records(frame, columns, key, (run_id,)))
        if unchecked:
            _check_parents(db, cycle_id)
        audit(db, pelaku, "hitung_skor", "cycle", cycle_id, analysis_run_id=run_id, pegawai=len(results),
              peringatan_distribusi=warnings)
    return int(run_id)


def _check_parents(db: Database, cycle_id: int) -> None:
    """Check the foreign keys of the results replace_scoring wrote with SQLite's own checks off: their cycle
    exists and each row's nip is a pegawai (their analysis run is the row just inserted). Raises IntegrityError."""
    if db.execute("SELECT 1 FROM cycle WHERE id = ?", [cycle_id]).fetchone() is None:
        raise sqlite3.IntegrityError("foreign key check failed: the results refer to a missing cycle row")
    for table in ("hasil_skor", "hasil_skor_nilai"):
        orphan = db.execute(f"SELECT 1 FROM {table} h WHERE h.cycle_id = ? AND NOT EXISTS "
                            f"(SELECT 1 FROM pegawai p WHERE p.nip = h.nip) LIMIT 1", [cycle_id]).fetchone()
        if orphan is not None:
            raise sqlite3.IntegrityError(f"foreign key check failed: a {table} row refers to a missing pegawai row")


def _frame(db: Database, sql: str, params: list) -> pd.DataFrame:
    return pd.read_sql_query(sql, db.conn, params=params)


def load_results(db: Database, cycle_id: int) -> pd.DataFrame:
    """Return the stored hasil_skor rows of a cycle with each pegawai's ``nama``, ``unit_id``, ``opd`` (their
    perangkat daerah) and ``unit_predikat`` (the unit whose Predikat Kinerja Organisasi applies; see
    kinerja_lib.organisation); empty if none."""
    out = _frame(db, "SELECT h.*, p.nama, p.unit_id FROM hasil_skor h JOIN pegawai p ON p.nip = h.nip "
                     "WHERE h.cycle_id = ? ORDER BY h.nip", [int(cycle_id)])
    tree = load_tree(db)
    out["opd"] = tree.opd_of(out["unit_id"])
    out["unit_predikat"] = tree.predikat_unit_of(out["unit_id"], predikat_organisasi(db, cycle_id))
    return out


def load_rating_basis(db: Database, cycle_id: int) -> pd.DataFrame:
    """Return what the stored results took as recorded ratings: ``nip, rating_perilaku, sumber_rating_perilaku,
    rating_hasil_kerja`` of the cycle's hasil_skor rows (records.stored_results_behind compares them)."""
    return _frame(db, "SELECT nip, rating_perilaku, sumber_rating_perilaku, rating_hasil_kerja FROM hasil_skor "
                      "WHERE cycle_id = ?", [int(cycle_id)])


def load_value_table(db: Database, cycle_id: int) -> pd.DataFrame:
    """Return the stored per-value results of a cycle as stored: one row per pegawai and value (nip order)."""
    return _frame(db, "SELECT * FROM hasil_skor_nilai WHERE cycle_id = ? ORDER BY nip, nilai", [int(cycle_id)])


def load_value_results(db: Database, cycle_id: int) -> pd.DataFrame:
    """Return the stored per-value results of a cycle in long form: ``cycle_id, nip, nilai, kelompok, n,
    rerata, analysis_run_id``, one row per pegawai, value and shown group, ordered by nip, nilai, kelompok."""
    wide = load_value_table(db, cycle_id)
    parts = []
    for group in VALUE_GROUPS:
        shown = wide[wide[f"n_{group}"].notna()]
        parts.append(pd.DataFrame({"cycle_id": shown["cycle_id"], "nip": shown["nip"], "nilai": shown["nilai"],
                                   "kelompok": GROUP_OF[group], "n": shown[f"n_{group}"].astype("int64"),
                                   "rerata": shown[f"rerata_{group}"], "analysis_run_id": shown["analysis_run_id"]}))
    long = pd.concat(parts, ignore_index=True)
    return long.sort_values(["nip", "nilai", "kelompok"], kind="stable", ignore_index=True)


def load_agreement(db: Database, cycle_id: int) -> pd.DataFrame:
    """Return the stored self-other agreement of a cycle (AGREEMENT_COLUMNS with cycle_id and analysis_run_id):
    per pegawai and value where both a self and a non-self mean are stored, and the overall row (nilai
    'semua': the self mean against the 360 score), ordered by nip and nilai."""
    return _frame(db, """
        SELECT cycle_id, nip, nilai, rerata_diri AS diri, rerata_bukan_diri,
               rerata_diri - rerata_bukan_diri AS selisih, kesepakatan_diri AS kategori, titik, analysis_run_id
        FROM hasil_skor_nilai WHERE cycle_id = ? AND rerata_diri IS NOT NULL AND rerata_bukan_diri IS NOT NULL
        UNION ALL
        SELECT cycle_id, nip, 'semua', rerata_diri, skor, rerata_diri - skor, kesepakatan_diri, titik,
               analysis_run_id
        FROM hasil_skor WHERE cycle_id = ? AND rerata_diri IS NOT NULL AND skor IS NOT NULL
        ORDER BY nip, nilai""", [int(cycle_id), int(cycle_id)])


def scoring_run(db: Database, run_id: int) -> tuple[int, str, str] | None:
    """Return ``(id, settings JSON, dihitung)`` of a stored analysis run, or None."""
    row = db.execute("SELECT id, settings, dihitung FROM analysis_run WHERE id = ?", [int(run_id)]).fetchone()
    return None if row is None else (int(row[0]), row[1], row[2])
