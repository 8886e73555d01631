"""The submitted answers of a cycle: the one place every analysis reads them from.

Only active assignments whose form was submitted ("terkirim") count; a score of NULL is "tidak dapat menilai"
and becomes NaN. The answers come in two shapes built by the same reader:

* :class:`AnswerMatrix`, one column per form (a rater's submitted answers for one ratee) and one row per item,
  with the forms' ratee, rater and relation as integer codes. A city's cycle holds millions of answers but
  only tens of thousands of forms: the matrix stores no identifier per answer, so the analyses read, keep
  and aggregate it in a fraction of the memory and time of a long table.
* the long table ``ratee, rater, relation, item, score`` (:func:`load_answers`), categorical identifiers,
  for analyses and reports that want it; it is the matrix unfolded.

The reader takes the assignments (with their NIPs) and the answers (as assignment id, item, score) in one
read transaction, so both come from one snapshot of the database, through Arrow when the database is a file
(the ADBC SQLite driver fills columns in C, without a Python object per answer) and through sqlite3
otherwise. Answers are taken by a range scan over the clustered response table and filtered to the wanted
items and forms in numpy, which is several times cheaper than asking SQLite to test each row against a
list. Rater NIPs are for the analyses only: nothing shown to a ratee may carry them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sqlite_utils import Database

SUBMITTED = "a.cycle_id = ? AND a.aktif = 1 AND a.status = 'terkirim'"
# Who rated, as one text: a pegawai's NIP, or "luar:<id>" for a rater from outside the roster (pihak lain).
RATER = "COALESCE(a.rater_nip, 'luar:' || a.penilai_luar_id)"
COLUMNS = ("ratee", "rater", "relation", "item", "score")
_ASSIGNMENT_COLUMNS = ["id", "ratee", "rater", "relation", "mulai", "terkirim"]
# Rows per Arrow batch: large enough that the per-batch Python work vanishes, small enough that a batch of a
# province's answers stays a few tens of megabytes.
_BATCH_ROWS = 1 << 20
_BUSY_TIMEOUT_MS = 15_000


@dataclass
class AnswerMatrix:
    """Answers as forms x items: ``scores[i, f]`` is form f's score on ``items[i]`` (NaN = no score).

    A form is one rater's answers for one ratee. ``ratee``, ``rater`` and ``relation`` hold each form's codes
    into ``ratees``, ``raters`` and ``relations``; ``present[i, f]`` says whether the form has a row for the
    item at all (a row whose score is NaN is "tidak dapat menilai"). Only forms with at least one row appear.
    ``mulai`` and ``terkirim`` (object arrays of ISO timestamps or None, or None when unknown) are each
    form's first save and submission. From the database, the ratee and rater labels list everyone with a
    submitted form in the cycle, in the order of the forms' ids, as the long table's categories always did.
    """

    ratee: np.ndarray
    rater: np.ndarray
    relation: np.ndarray
    ratees: pd.Index
    raters: pd.Index
    relations: pd.Index
    items: pd.Index
    scores: np.ndarray
    present: np.ndarray
    mulai: np.ndarray | None = None
    terkirim: np.ndarray | None = None

    @property
    def n_forms(self) -> int:
        return int(self.ratee.size)

    @property
    def empty(self) -> bool:
        return self.n_forms == 0

    def __len__(self) -> int:
        """Return the number of rows of the long table (answers stored, "tidak dapat menilai" included)."""
        return int(self.present.sum())

    def rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return ``(form, item, score)`` of every answer, form after form, items in order within a form.

        This is the long table's row order; ``form`` and ``item`` are int64 positions.
        """
        n_items = len(self.items)
        by_form = self.present.T                      # forms x items, a view
        flat = np.flatnonzero(by_form)                # copies the mask to form-major order once
        form = np.repeat(np.arange(self.n_forms, dtype=np.int64), by_form.sum(axis=1))
        item = flat - form * n_items
        score = self.scores.T.ravel()[flat] if flat.size else np.zeros(0)
        return form, item, score

    def to_long(self) -> pd.DataFrame:
        """Return the long table ``ratee, rater, relation, item, score``, form after form, items in order.

        Identifier columns are categorical with this matrix's labels as categories.
        """
        form, item, score = self.rows()
        out = {
            "ratee": pd.Categorical.from_codes(self.ratee[form], categories=self.ratees),
            "rater": pd.Categorical.from_codes(self.rater[form], categories=self.raters),
            "relation": pd.Categorical.from_codes(self.relation[form], categories=self.relations),
            "item": pd.Categorical.from_codes(item, categories=self.items),
            "score": score,
        }
        return pd.DataFrame(out, columns=list(COLUMNS))

    def timings(self) -> pd.DataFrame:
        """Return ``rater, ratee, mulai, terkirim`` per form (empty when the timestamps are unknown)."""
        if self.mulai is None or self.terkirim is None:
            return pd.DataFrame(columns=["rater", "ratee", "mulai", "terkirim"])
        return pd.DataFrame({"rater": self.raters[self.rater], "ratee": self.ratees[self.ratee],
                             "mulai": self.mulai, "terkirim": self.terkirim})

    @classmethod
    def from_long(cls, responses: pd.DataFrame) -> AnswerMatrix:
        """Return the matrix of a long table ``ratee, rater, relation, item, score``.

        Labels keep the long table's order (the categories of categorical columns, else first appearance),
        forms the order in which each (ratee, rater) pair first appears. Raises ValueError for missing
        columns, empty identifiers, non-numeric scores, a rater holding two relations to one ratee, or two
        answers of one rater for one ratee on the same item.
        """
        ratee, ratees, rater, raters, item, items, rel, relations, y = long_codes(responses)
        form, key = pair_codes(ratee * len(raters) + rater)
        nform, ni = len(key), len(items)
        f_rel = np.empty(nform, dtype=np.int64)
        f_rel[form] = rel
        if not np.array_equal(f_rel[form], rel):
            raise ValueError("seorang penilai punya lebih dari satu relasi terhadap pegawai yang sama")
        cell = item * nform + form
        if np.unique(cell).size != cell.size:
            raise ValueError("seorang penilai punya lebih dari satu jawaban untuk butir yang sama bagi pegawai "
                             "yang sama")
        scores = np.full((ni, nform), np.nan)
        present = np.zeros((ni, nform), dtype=bool)
        scores[item, form] = y
        present[item, form] = True
        return cls(key // len(raters) if len(raters) else key, key % len(raters) if len(raters) else key,
                   f_rel, ratees, raters, relations, items, scores, present)


def long_codes(responses: pd.DataFrame) -> tuple:
    """Return the long table's integer codes and labels and its scores: ``(ratee, ratees, rater, raters, item,
    items, relation, relations, score)``. Raises ValueError for a missing column, an empty identifier or a
    score that is not a number."""
    missing = [c for c in COLUMNS if c not in responses.columns]
    if missing:
        raise ValueError(f"kolom wajib tidak ada: {', '.join(missing)}")
    ratee, ratees = factor(responses["ratee"], "ratee")
    rater, raters = factor(responses["rater"], "rater")
    item, items = factor(responses["item"], "item")
    rel, relations = factor(responses["relation"], "relation")
    try:
        y = responses["score"].to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        raise ValueError("kolom 'score' harus berupa angka (kosong = tidak dapat menilai)") from None
    return ratee, ratees, rater, raters, item, items, rel, relations, y


def factor(values, what: str) -> tuple[np.ndarray, pd.Index]:
    """Return (int64 codes, labels) of a column: its categories when categorical, else first-seen order.

    Raises ValueError when a value is missing.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, labels = np.asarray(values.cat.codes, dtype=np.int64), pd.Index(values.cat.categories)
    else:
        codes, labels = pd.factorize(values, sort=False)
        codes, labels = codes.astype(np.int64), pd.Index(labels)
    if codes.size and codes.min() < 0:
        raise ValueError(f"kolom '{what}' berisi nilai kosong")
    return codes, labels


def pair_codes(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(codes, uniques)`` like ``pd.factorize(key)``, fast when equal keys come in runs.

    Forms are usually stored item after item, so one hash lookup per run of equal keys replaces one
    per row; the result is the same for any order.
    """
    if key.size == 0:
        return np.zeros(0, dtype=np.int64), key
    change = np.empty(key.size, dtype=bool)
    change[0] = True
    np.not_equal(key[1:], key[:-1], out=change[1:])
    run = np.cumsum(change) - 1
    codes, uniques = pd.factorize(key[change])
    return codes[run], uniques


# ----------------------------------------------------------------------------------------------------
# Reading


def has_submitted_answers(db: Database, cycle_id: int) -> bool:
    """Return whether any submitted active form of the cycle holds an answer."""
    return db.execute("SELECT 1 FROM response r JOIN assignment a ON a.id = r.assignment_id "
                      "WHERE a.cycle_id = ? AND a.status = 'terkirim' AND a.aktif = 1 LIMIT 1",
                      [int(cycle_id)]).fetchone() is not None


def submitted_assignments(db: Database, cycle_id: int, ratees: Sequence[str] | None = None) -> pd.DataFrame:
    """Return the cycle's submitted active assignments: ``id, ratee, rater, relation, mulai, terkirim``,
    ordered by id (optionally only those of ``ratees``)."""
    sql = (f"SELECT a.id, a.ratee_nip AS ratee, {RATER} AS rater, a.relation, a.mulai, a.terkirim "
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
    return pd.DataFrame(rows, columns=_ASSIGNMENT_COLUMNS)


def load_answer_matrix(db: Database, cycle_id: int, items: Iterable[str], ratees: Sequence[str] | None = None,
                       *, timings: bool = True) -> AnswerMatrix:
    """Return the cycle's submitted answers on ``items`` as an :class:`AnswerMatrix`.

    ``ratees`` limits it to those pegawai (one unit's reports need not read the city); ``timings`` keeps each
    form's first-save and submission timestamps.
    """
    codes = list(dict.fromkeys(items))
    path = _file_of(db)
    if path is not None:
        try:
            return _read_arrow(path, int(cycle_id), codes, ratees, timings)
        except ImportError:  # pragma: no cover - pyarrow/adbc are dependencies; keep working without them
            pass
    return _read_sqlite(db, int(cycle_id), codes, ratees, timings)


def load_answers(db: Database, cycle_id: int, items: Iterable[str], ratees: Sequence[str] | None = None
                 ) -> pd.DataFrame:
    """Return the submitted answers on ``items`` as the long table ``ratee, rater, relation, item, score``.

    Rows are ordered by assignment, then item. ``ratees`` limits the table to those pegawai (one unit's
    reports need not read the city). Identifier columns are categorical; score is float, NaN = tidak
    dapat menilai.
    """
    return load_answer_matrix(db, cycle_id, items, ratees, timings=False).to_long()


class _Assembler:
    """Builds an AnswerMatrix from the submitted assignments and batches of (assignment id, item, score)."""

    def __init__(self, ids: np.ndarray, ratee, rater, relation, mulai, terkirim, codes: list[str]):
        self.codes = codes
        self.item_pos = {c: k for k, c in enumerate(codes)}
        self.ids = ids
        self.columns = {}
        for name, values in (("ratee", ratee), ("rater", rater), ("relation", relation)):
            c, labels = pd.factorize(values, sort=False)
            self.columns[name] = (c.astype(np.int64), pd.Index(labels, dtype=object))
        self.mulai, self.terkirim = mulai, terkirim
        n = ids.size
        self.lo = int(ids[0]) if n else 0
        span = int(ids[-1]) - self.lo + 1 if n else 0
        # Assignment id -> form position; ids of one cycle are close together, so a dense table is small.
        self.position = np.full(span, -1, dtype=np.int64)
        self.position[ids - self.lo] = np.arange(n)
        self.scores = np.full((len(codes), n), np.nan)
        self.present = np.zeros((len(codes), n), dtype=bool)

    def add(self, assignment: np.ndarray, item_index: np.ndarray, score: np.ndarray) -> None:
        """Place one batch: ``item_index`` is each row's position in ``codes`` (-1 = not wanted)."""
        off = assignment - self.lo
        inside = (off >= 0) & (off < self.position.size) & (item_index >= 0)
        form = np.where(inside, self.position[np.where(inside, off, 0)], -1)
        keep = form >= 0
        form, item = form[keep], item_index[keep]
        self.scores[item, form] = score[keep]
        self.present[item, form] = True

    def finish(self) -> AnswerMatrix:
        has_rows = self.present.any(axis=0)
        keep = np.flatnonzero(has_rows)
        (ratee, ratees), (rater, raters), (rel, relations) = (self.columns[k] for k in ("ratee", "rater",
                                                                                        "relation"))
        if keep.size != has_rows.size:
            scores, present = self.scores[:, keep], self.present[:, keep]
        else:
            scores, present = self.scores, self.present
        sub = (lambda a: None if a is None else a[keep])
        return AnswerMatrix(ratee[keep], rater[keep], rel[keep], ratees, raters, relations,
                            pd.Index(self.codes, dtype=object), scores, present, sub(self.mulai),
                            sub(self.terkirim))


def _assignment_sql(limited: bool) -> str:
    sql = (f"SELECT a.id, a.ratee_nip, {RATER} AS rater_nip, a.relation, a.mulai, a.terkirim FROM assignment a "
           f"WHERE {SUBMITTED}")
    if limited:
        sql += " AND a.ratee_nip IN (SELECT value FROM json_each(?))"
    return sql + " ORDER BY a.id"


def _answer_sql(codes: list[str], limited: bool) -> tuple[str, list]:
    # A range over the clustered key (assignment_id, item) and one over item: the wanted items and forms are
    # picked out in numpy afterwards, cheaper than an IN test per row inside SQLite.
    sql = "SELECT r.assignment_id, r.item, CAST(r.score AS REAL) AS score FROM response r WHERE "
    if limited:
        return sql + "r.assignment_id IN (SELECT value FROM json_each(?))", []
    return sql + "r.assignment_id BETWEEN ? AND ? AND r.item BETWEEN ? AND ?", [min(codes), max(codes)]


def _read_arrow(path: str, cycle_id: int, codes: list[str], ratees: Sequence[str] | None,
                timings: bool) -> AnswerMatrix:
    import json

    import adbc_driver_sqlite.dbapi as adbc

    limited = ratees is not None
    with adbc.connect(_read_only_uri(path), autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        # One read transaction: the assignments and their answers come from one snapshot.
        cur.execute("BEGIN")
        try:
            version = _version(cur, cycle_id)
            params: list = [cycle_id] + ([json.dumps(list(dict.fromkeys(ratees)))] if limited else [])
            cur.execute(_assignment_sql(limited), params)
            a = cur.fetch_arrow_table()
            ids = a.column("id").to_numpy().astype(np.int64, copy=False) if a.num_rows else np.zeros(0, np.int64)

            def text(col: str) -> np.ndarray:
                return np.asarray(a.column(col).to_pylist(), dtype=object)

            asm = _Assembler(ids, *(_arrow_labels(a, c) for c in ("ratee_nip", "rater_nip", "relation")),
                             text("mulai") if timings else None, text("terkirim") if timings else None, codes)
            if ids.size and codes and limited:
                sql, _ = _answer_sql(codes, True)
                _read_answers(cur, asm, sql, [json.dumps(ids.tolist())])
            elif ids.size and codes:
                sql, extra = _answer_sql(codes, False)
                lo, hi = int(ids[0]), int(ids[-1])
                # A city's answers are read by two connections at once, each over half the forms, so both
                # cores step SQLite (the driver releases the GIL while it fills a batch). The second
                # connection has its own snapshot: it is used only when the cycle's change counter reads
                # the same in both, i.e. no form was submitted, reopened or removed in between; otherwise
                # this connection reads everything.
                mid = int(ids[ids.size // 2]) if ids.size >= _PARALLEL_FORMS else hi + 1
                helper = _HalfReader(path, cycle_id, version, sql, [mid, hi, *extra], asm) if mid <= hi else None
                _read_answers(cur, asm, sql, [lo, min(mid, hi + 1) - 1, *extra])
                if helper is not None and not helper.join():
                    _read_answers(cur, asm, sql, [mid, hi, *extra])
        finally:
            cur.execute("ROLLBACK")
    return asm.finish()


# Forms from which a cycle's answers are read by two connections (below it a second connection costs more
# than it saves).
_PARALLEL_FORMS = 20_000


def _read_only_uri(path: str) -> str:
    """Return a read-only SQLite URI of ``path`` (spaces, '#', '?' and '%' in it escaped).

    >>> _read_only_uri("/data/kinerja #2/kota 100%.db")
    'file:///data/kinerja%20%232/kota%20100%25.db?mode=ro'
    """
    return Path(path).absolute().as_uri() + "?mode=ro"


def _version(cur, cycle_id: int) -> int:
    cur.execute("SELECT versi FROM versi_data WHERE cycle_id = ?", [cycle_id])
    row = cur.fetchone()
    return int(row[0]) if row else 0


def _read_answers(cur, asm: _Assembler, sql: str, params: list) -> None:
    """Read (assignment id, item, score) batches of ``sql`` into ``asm``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(_BATCH_ROWS)})
    cur.execute(sql, params)
    for batch in cur.fetch_record_batch():
        if batch.num_rows == 0:
            continue
        encoded = pc.dictionary_encode(batch.column(1))
        lookup = np.array([asm.item_pos.get(c, -1) for c in encoded.dictionary.to_pylist()] or [-1],
                          dtype=np.int64)
        score = batch.column(2)
        if score.type != pa.float64():
            score = score.cast(pa.float64())
        asm.add(batch.column(0).to_numpy(zero_copy_only=False).astype(np.int64, copy=False),
                lookup[encoded.indices.to_numpy(zero_copy_only=False)], score.to_numpy(zero_copy_only=False))


class _HalfReader:
    """Reads a range of a cycle's answers into an assembler on its own connection and thread, if that
    connection's snapshot has the cycle at the same change counter as the caller's."""

    def __init__(self, path: str, cycle_id: int, version: int, sql: str, params: list, asm: _Assembler):
        import threading

        self.done = False
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(path, cycle_id, version, sql, params, asm),
                                       name="kinerja-baca-jawaban", daemon=True)
        self.thread.start()

    def _run(self, path, cycle_id, version, sql, params, asm) -> None:
        import adbc_driver_sqlite.dbapi as adbc

        try:
            with adbc.connect(_read_only_uri(path), autocommit=True) as conn, conn.cursor() as cur:
                cur.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
                cur.execute("BEGIN")
                try:
                    if _version(cur, cycle_id) == version:
                        _read_answers(cur, asm, sql, params)
                        self.done = True
                finally:
                    cur.execute("ROLLBACK")
        except BaseException as exc:  # re-raised in the caller's thread by join()
            self.error = exc

    def join(self) -> bool:
        """Wait for the read; True when it read its range, False when the caller must read it itself."""
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.done


def _arrow_labels(table, column: str) -> np.ndarray:
    """Return a column's values as an object array, each distinct text made a Python string only once."""
    import pyarrow.compute as pc

    if table.num_rows == 0:
        return np.zeros(0, dtype=object)
    encoded = pc.dictionary_encode(table.column(column)).combine_chunks()
    labels = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
    return labels[encoded.indices.to_numpy(zero_copy_only=False)]


def _read_sqlite(db: Database, cycle_id: int, codes: list[str], ratees: Sequence[str] | None,
                 timings: bool) -> AnswerMatrix:
    import json

    limited = ratees is not None
    params: list = [cycle_id] + ([json.dumps(list(dict.fromkeys(ratees)))] if limited else [])
    rows = db.execute(_assignment_sql(limited), params).fetchall()
    a = pd.DataFrame(rows, columns=_ASSIGNMENT_COLUMNS)
    ids = a["id"].to_numpy(dtype=np.int64)
    asm = _Assembler(ids, a["ratee"].to_numpy(dtype=object), a["rater"].to_numpy(dtype=object),
                     a["relation"].to_numpy(dtype=object), a["mulai"].to_numpy(dtype=object) if timings else None,
                     a["terkirim"].to_numpy(dtype=object) if timings else None, codes)
    if ids.size and codes:
        sql, extra = _answer_sql(codes, limited)
        params = [json.dumps(ids.tolist())] if limited else [int(ids[0]), int(ids[-1]), *extra]
        answers = db.execute(sql, params).fetchall()
        if answers:
            aid, item, score = zip(*answers)
            lookup = np.fromiter((asm.item_pos.get(i, -1) for i in item), np.int64, len(item))
            asm.add(np.fromiter(aid, np.int64, len(aid)), lookup, np.array(score, dtype=float))
    return asm.finish()


def _file_of(db: Database) -> str | None:
    """Return the path of the database's main file, or None for an in-memory or temporary database."""
    for _, name, file in db.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return file if file and Path(file).exists() else None
    return None
