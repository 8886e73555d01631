"""The submitted answers of a cycle: the one place every analysis reads them from.

Only active assignments whose form was submitted ("terkirim") count; a score of NULL is "tidak dapat menilai"
and becomes NaN. The answers come back as the long table ``ratee, rater, relation, item, score`` with
categorical identifier columns, built from integer codes: the assignments (tens of thousands of rows) are
read once with their NIPs, the answers (millions of rows) only as (assignment, item, score), through Arrow
when the database is a file (the ADBC SQLite driver reads straight into columns, about twice as fast as
Python's sqlite3 rows) and through sqlite3 otherwise. Rater NIPs are for the analyses only: nothing shown to
a ratee may carry them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sqlite_utils import Database

SUBMITTED = "a.cycle_id = ? AND a.aktif = 1 AND a.status = 'terkirim'"


def submitted_assignments(db: Database, cycle_id: int, ratees: Sequence[str] | None = None) -> pd.DataFrame:
    """Return the cycle's submitted active assignments: ``id, ratee, rater, relation, mulai, terkirim``,
    ordered by id (optionally only those of ``ratees``)."""
    sql = (f"SELECT a.id, a.ratee_nip AS ratee, a.rater_nip AS rater, a.relation, a.mulai, a.terkirim "
           f"FROM assignment a WHERE {SUBMITTED}")
    params: list = [int(cycle_id)]
    if ratees is None:
        rows = db.execute(sql + " ORDER BY a.id", params).fetchall()
    else:
        rows = []
        wanted = list(dict.fromkeys(ratees))
        for i in range(0, len(wanted), 900):
            chunk = wanted[i:i + 900]
            rows += db.execute(sql + f" AND a.ratee_nip IN ({', '.join('?' * len(chunk))})", params + chunk).fetchall()
        rows.sort()
    return pd.DataFrame(rows, columns=["id", "ratee", "rater", "relation", "mulai", "terkirim"])


def load_answers(db: Database, cycle_id: int, items: Iterable[str], ratees: Sequence[str] | None = None
                 ) -> pd.DataFrame:
    """Return the submitted answers on ``items`` as the long table ``ratee, rater, relation, item, score``.

    Rows are ordered by assignment, then item. ``ratees`` limits the table to those pegawai (one unit's
    reports need not read the city). Identifier columns are categorical; score is float, NaN = tidak
    dapat menilai.
    """
    codes = list(dict.fromkeys(items))
    assignments = submitted_assignments(db, cycle_id, ratees)
    columns = ["ratee", "rater", "relation", "item", "score"]
    if assignments.empty or not codes:
        return pd.DataFrame({c: pd.Categorical([]) if c != "score" else pd.Series([], dtype=float) for c in columns})
    ids, item, score = _answers(db, int(cycle_id), codes, assignments["id"].to_numpy(dtype=np.int64),
                                ratees is not None)
    ids_sorted = assignments["id"].to_numpy(dtype=np.int64)
    pos = np.searchsorted(ids_sorted, ids)
    found = (pos < len(ids_sorted)) & (ids_sorted[np.minimum(pos, len(ids_sorted) - 1)] == ids)
    pos, item, score = pos[found], item[found], score[found]
    order = np.lexsort((item, pos))
    pos, item, score = pos[order], item[order], score[order]
    out = {}
    for col in ("ratee", "rater", "relation"):
        values_codes, values = pd.factorize(assignments[col], sort=False)
        out[col] = pd.Categorical.from_codes(values_codes[pos], categories=pd.Index(values, dtype=object))
    out["item"] = pd.Categorical.from_codes(item, categories=pd.Index(codes, dtype=object))
    out["score"] = score
    return pd.DataFrame(out, columns=columns)


def _answers(db: Database, cycle_id: int, codes: list[str], ids: np.ndarray, limited: bool
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (assignment id, item code index, score) of the submitted answers on ``codes``."""
    item_case = " ".join(f"WHEN ? THEN {k}" for k in range(len(codes)))
    marks = ", ".join("?" * len(codes))
    if limited:  # a handful of pegawai: look their assignments up by id
        where = f"r.assignment_id IN (SELECT value FROM json_each(?))"
        params: list = [*codes, *codes, _json_ids(ids)]
    else:
        where = f"r.assignment_id IN (SELECT a.id FROM assignment a WHERE {SUBMITTED})"
        params = [*codes, *codes, cycle_id]
    sql = (f"SELECT r.assignment_id, CASE r.item {item_case} END AS item, r.score FROM response r "
           f"WHERE r.item IN ({marks}) AND {where}")
    path = _file_of(db)
    if path is not None:
        try:
            return _answers_arrow(path, sql, params)
        except ImportError:  # pragma: no cover - pyarrow/adbc are dependencies; keep working without them
            pass
    rows = db.execute(sql, params).fetchall()
    if not rows:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, float)
    a, i, s = zip(*rows)
    return (np.fromiter(a, np.int64, len(a)), np.fromiter(i, np.int64, len(i)),
            np.array(s, dtype=float))


def _answers_arrow(path: str, sql: str, params: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    import adbc_driver_sqlite.dbapi as adbc
    import pyarrow as pa

    with adbc.connect(f"file:{path}?mode=ro", autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        table = cur.fetch_arrow_table()
    score = table.column("score")
    if score.type != pa.float64():
        score = score.cast(pa.float64())
    return (table.column("assignment_id").to_numpy(zero_copy_only=False).astype(np.int64, copy=False),
            table.column("item").to_numpy(zero_copy_only=False).astype(np.int64, copy=False),
            score.to_numpy(zero_copy_only=False))


def _json_ids(ids: np.ndarray) -> str:
    return "[" + ",".join(map(str, ids.tolist())) + "]"


def _file_of(db: Database) -> str | None:
    """Return the path of the database's main file, or None for an in-memory or temporary database."""
    for _, name, file in db.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return file if file and Path(file).exists() else None
    return None
