"""The submitted answers of a cycle: the one place every analysis reads them from.

Only active assignments whose form was submitted ("terkirim") count; a score of NULL is "tidak dapat menilai"
and becomes NaN. The answers come in two shapes built by the same reader:

* :class:`AnswerMatrix`, one column per form (a rater's submitted answers for one ratee) and one row per item,
  with the forms' ratee, rater and relation as integer codes. A city's cycle holds millions of answers but
  only tens of thousands of forms: the matrix stores no identifier per answer, so the analyses read, keep
  and aggregate it in a fraction of the memory and time of a long table.
* the long table ``ratee, rater, relation, item, score`` (:func:`load_answers`), categorical identifiers,
  for analyses and reports that want it; it is the matrix unfolded.

The reader takes the assignments (with their NIPs) and the answers in one read transaction, so both come
from one snapshot of the database. SQLite concatenates each form's answers into one row (its item codes and a
digit per score) in a pass over the clustered response table, so a city's answers cross into Python as one row
per form, and the forms that hold every item (nearly all) are decoded as one block of bytes. Only Python's own
SQLite library opens the file: a second copy of SQLite in the process (as database drivers bundle) would release
this one's POSIX locks, after which another process may delete the write-ahead log under an open connection and
its later commits are lost (tests/test_scoring_db.py holds this). Rater NIPs are for the analyses only: nothing
shown to a ratee may carry them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlite_utils import Database

from .store import BUSY_TIMEOUT_MS, data_version, database_file

SUBMITTED = "a.cycle_id = ? AND a.aktif = 1 AND a.status = 'terkirim'"
# Who rated, as one text: a pegawai's NIP, or "luar:<id>" for a rater from outside the roster (pihak lain).
RATER = "COALESCE(a.rater_nip, 'luar:' || a.penilai_luar_id)"
COLUMNS = ("ratee", "rater", "relation", "item", "score")
_ASSIGNMENT_COLUMNS = ["id", "ratee", "rater", "relation", "mulai", "terkirim"]


@dataclass
class AnswerMatrix:
    """Answers as forms x items: ``scores[i, f]`` is form f's score on ``items[i]`` (NaN = no score).

    A form is one rater's answers for one ratee. ``ratee``, ``rater`` and ``relation`` hold each form's codes
    into ``ratees``, ``raters`` and ``relations``; ``present[i, f]`` says whether the form has a row for the
    item at all (a row whose score is NaN is "tidak dapat menilai"). Only forms with at least one row appear.
    ``mulai`` and ``terkirim`` (None when not read) are each form's first save and submission, in seconds since
    the Unix epoch (float, NaN when unknown or unreadable): a province's forms carry two numbers each, not two
    timestamp strings. From the database, the ratee and rater labels list everyone with a submitted form in the
    cycle, in the order of the forms' ids, as the long table's categories always did.
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

        This is the long table's row order; ``form`` and ``item`` are positions, as int32 while they fit (a
        province's cycle has over a hundred million answers: no 64-bit working copies of them are made).
        """
        n_items = len(self.items)
        by_form = self.present.T                      # forms x items, a view
        wide = np.int32 if max(self.n_forms, n_items) < np.iinfo(np.int32).max else np.int64
        form = np.repeat(np.arange(self.n_forms, dtype=wide), by_form.sum(axis=1))
        # Boolean selection walks the forms x items view in its (form-major) order: the answers' order.
        item = np.broadcast_to(np.arange(n_items, dtype=wide), by_form.shape)[by_form]
        score = self.scores.T[by_form]
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
        """Return ``rater, ratee, mulai, terkirim`` per form, the times as UTC datetimes (NaT when unknown);
        empty when the timestamps were not read."""
        if self.mulai is None or self.terkirim is None:
            return pd.DataFrame(columns=["rater", "ratee", "mulai", "terkirim"])
        return pd.DataFrame({"rater": self.raters[self.rater], "ratee": self.ratees[self.ratee],
                             "mulai": pd.to_datetime(self.mulai, unit="s", utc=True),
                             "terkirim": pd.to_datetime(self.terkirim, unit="s", utc=True)})

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
    rows = db.execute(_assignment_sql(ratees is not None), _assignment_params(cycle_id, ratees)).fetchall()
    return pd.DataFrame(rows, columns=_ASSIGNMENT_COLUMNS)


def load_answer_matrix(db: Database, cycle_id: int, items: Iterable[str], ratees: Sequence[str] | None = None,
                       *, timings: bool = True) -> AnswerMatrix:
    """Return the cycle's submitted answers on ``items`` as an :class:`AnswerMatrix`.

    ``ratees`` limits it to those pegawai (one unit's reports need not read the city); ``timings`` keeps each
    form's first-save and submission timestamps.
    """
    return _read(db, int(cycle_id), list(dict.fromkeys(items)), ratees, timings)


def load_answers(db: Database, cycle_id: int, items: Iterable[str], ratees: Sequence[str] | None = None
                 ) -> pd.DataFrame:
    """Return the submitted answers on ``items`` as the long table ``ratee, rater, relation, item, score``.

    Rows are ordered by assignment, then item. ``ratees`` limits the table to those pegawai (one unit's
    reports need not read the city). Identifier columns are categorical; score is float, NaN = tidak
    dapat menilai.
    """
    return load_answer_matrix(db, cycle_id, items, ratees, timings=False).to_long()


class _Assembler:
    """Builds an AnswerMatrix from the submitted forms (their ids and fields, see _read_forms) and their answers,
    read one row per form."""

    def __init__(self, ids: np.ndarray, forms: dict, codes: list[str]):
        self.codes = codes
        self.item_pos = {c: k for k, c in enumerate(codes)}
        self.forms = forms
        n = ids.size
        self.lo = int(ids[0]) if n else 0
        span = int(ids[-1]) - self.lo + 1 if n else 0
        # Assignment id -> form position; ids of one cycle are close together, so a dense table is small.
        self.position = np.full(span, -1, dtype=np.int64)
        self.position[ids - self.lo] = np.arange(n)
        self.scores = np.full((len(codes), n), np.nan)
        self.present = np.zeros((len(codes), n), dtype=bool)

    def add_cursor(self, cursor) -> None:
        """Place the forms of an answer query's cursor (see _answer_sql), a batch at a time: a province's
        answers never sit in Python objects all at once."""
        while rows := cursor.fetchmany(_BATCH):
            self.add_forms(rows)

    def add_forms(self, rows: list[tuple[int, str, str]]) -> None:
        """Place forms read as ``(assignment id, its item codes joined by spaces, its scores as one digit each,
        0 for tidak dapat menilai)``, both lists in the same order (see _answer_sql)."""
        if not rows:
            return
        order = sorted(self.codes)   # SQLite's order of the clustered key for text: by bytes, as Python's
        full = " ".join(order)
        whole = np.fromiter((r[1] == full for r in rows), dtype=bool, count=len(rows))
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        forms = self._forms(ids)
        # Forms holding every wanted item, in the key's order (nearly all): one digit per item, read as bytes.
        take = whole & (forms >= 0)
        if take.any():
            digits = "".join([r[2] for r, t in zip(rows, take) if t]).encode("ascii")
            if len(digits) != int(take.sum()) * len(order):
                raise ValueError("skor jawaban di luar satu digit")
            block = (np.frombuffer(digits, dtype=np.uint8).reshape(-1, len(order)) - ord("0")).astype(float)
            block[block == 0] = np.nan
            rows_at = np.array([self.item_pos[c] for c in order], dtype=np.int64)
            cols = forms[take]
            self.scores[np.ix_(rows_at, cols)] = block.T
            self.present[np.ix_(rows_at, cols)] = True
        # The others item by item (a form with an item missing, or codes outside the wanted ones).
        for k in np.flatnonzero(~whole & (forms >= 0)):
            _, items, digits = rows[k]
            codes = items.split(" ")
            if len(codes) != len(digits):
                raise ValueError("skor jawaban di luar satu digit")
            for code, digit in zip(codes, digits):
                i = self.item_pos.get(code)
                if i is not None:
                    self.scores[i, forms[k]] = float(digit) if digit != "0" else np.nan
                    self.present[i, forms[k]] = True

    def _forms(self, ids: np.ndarray) -> np.ndarray:
        """Return each assignment id's form position, -1 for an id that is not a submitted form read."""
        off = ids - self.lo
        inside = (off >= 0) & (off < self.position.size)
        return np.where(inside, self.position[np.where(inside, off, 0)], -1)

    def finish(self) -> AnswerMatrix:
        has_rows = self.present.any(axis=0)
        keep = np.flatnonzero(has_rows)
        if keep.size != has_rows.size:
            scores, present = self.scores[:, keep], self.present[:, keep]
        else:
            scores, present = self.scores, self.present
        per_form = {k: v[keep] if isinstance(v, np.ndarray) else v for k, v in self.forms.items()}
        return AnswerMatrix(items=pd.Index(self.codes, dtype=object), scores=scores, present=present, **per_form)


# Rows fetched from SQLite at a time: a batch's row tuples are let go before the next is read.
_BATCH = 20_000


def _read_forms(db: Database, cycle_id: int, ratees: Sequence[str] | None, timings: bool
                ) -> tuple[np.ndarray, dict]:
    """Return the cycle's submitted forms in id order: their ids, and their AnswerMatrix fields (ratee, rater and
    relation as codes into their labels in the order of first appearance; mulai and terkirim, None when not
    read).

    Read batch by batch (SQLite turns the timestamps into numbers: unixepoch reads the stored ISO texts with their
    offset; a text it cannot read gives NULL, i.e. NaN), each batch's NIPs kept as compact text and coded at the end
    (_Coder): a province's six million forms never sit in row tuples nor carry two NIP or timestamp strings each."""
    cursor = db.execute(_assignment_sql(ratees is not None, epoch=True), _assignment_params(cycle_id, ratees))
    numbers: dict[str, list[np.ndarray]] = {"ids": [], "mulai": [], "terkirim": []}
    coders = {name: _Coder() for name in ("ratee", "rater", "relation")}
    while rows := cursor.fetchmany(_BATCH):
        ids, ratee, rater, relation, mulai, terkirim = zip(*rows)
        del rows
        numbers["ids"].append(np.array(ids, dtype=np.int64))
        if timings:   # float: None -> NaN
            numbers["mulai"].append(np.array(mulai, dtype=float))
            numbers["terkirim"].append(np.array(terkirim, dtype=float))
        for name, values in (("ratee", ratee), ("rater", rater), ("relation", relation)):
            coders[name].add(values)

    def joined(name: str, dtype) -> np.ndarray:
        return np.concatenate(numbers[name]) if numbers[name] else np.zeros(0, dtype=dtype)

    forms: dict = {}
    for name, labels in (("ratee", "ratees"), ("rater", "raters"), ("relation", "relations")):
        forms[name], forms[labels] = coders[name].finish()
    for name in ("mulai", "terkirim"):
        forms[name] = joined(name, float) if timings else None
    return joined("ids", np.int64), forms


class _Coder:
    """Codes a column read batch by batch, labels in the order of first appearance.

    Each batch's texts go into one of Arrow's compact string arrays (about 22 bytes per NIP, no Python object per
    text outliving its batch) and the whole column is coded once, at the end, by Arrow's hashing: a province's
    forms carry twelve million NIPs, two million distinct."""

    def __init__(self) -> None:
        self.chunks: list = []

    def add(self, values: tuple) -> None:
        self.chunks.append(pa.array(values, type=pa.string()))

    def finish(self) -> tuple[np.ndarray, pd.Index]:
        if not self.chunks:
            return np.zeros(0, dtype=np.int64), pd.Index([], dtype=object)
        encoded = pc.dictionary_encode(pa.chunked_array(self.chunks, type=pa.string()).combine_chunks())
        self.chunks = []
        if encoded.null_count:
            raise ValueError("penugasan tanpa pegawai, penilai atau relasi")
        return (encoded.indices.to_numpy().astype(np.int64), pd.Index(encoded.dictionary.to_pylist(), dtype=object))


def _assignment_sql(limited: bool, epoch: bool = False) -> str:
    # The whole cycle from the index of submitted forms (in id order, no sort); some ratees' from the index by
    # ratee, which SQLite would otherwise pass over for the one matching more of the WHERE clause. ``epoch``
    # gives the timestamps as seconds since the Unix epoch.
    index = "assignment_aktif_ratee" if limited else "assignment_terkirim"
    times = "unixepoch(a.mulai), unixepoch(a.terkirim)" if epoch else "a.mulai, a.terkirim"
    sql = (f"SELECT a.id, a.ratee_nip, {RATER} AS rater_nip, a.relation, {times} "
           f"FROM assignment a INDEXED BY {index} WHERE {SUBMITTED}")
    if limited:
        sql += " AND a.ratee_nip IN (SELECT value FROM json_each(?))"
    return sql + " ORDER BY a.id"


def _assignment_params(cycle_id: int, ratees: Sequence[str] | None) -> list:
    import json

    return [int(cycle_id)] + ([json.dumps(list(dict.fromkeys(ratees)))] if ratees is not None else [])


def _answer_sql(codes: list[str], limited: bool) -> tuple[str, list]:
    # One row per form: its wanted items' codes and scores concatenated in one pass over the clustered key
    # (assignment_id, item), in SQLite's C code. A city's answers then cross into Python as one row per form
    # instead of one per answer; both lists are built from the same rows in the same order, so a form's
    # items and scores pair up whatever that order is. A range over the key and one over item; the wanted
    # items and forms are picked out afterwards, cheaper than an IN test per row.
    sql = ("SELECT r.assignment_id, group_concat(r.item, ' '), group_concat(COALESCE(r.score, 0), '') "
           "FROM response r WHERE ")
    sql += "r.assignment_id IN (SELECT value FROM json_each(?))" if limited else "r.assignment_id BETWEEN ? AND ?"
    return sql + " AND r.item BETWEEN ? AND ? GROUP BY r.assignment_id", [min(codes), max(codes)]


# Forms from which a cycle's answers are read by two connections (below it a second connection costs more
# than it saves).
_PARALLEL_FORMS = 20_000


def _read(db: Database, cycle_id: int, codes: list[str], ratees: Sequence[str] | None,
          timings: bool) -> AnswerMatrix:
    """Read the submitted assignments and their answers in one read transaction of ``db``."""
    import json

    limited = ratees is not None
    own = not db.conn.in_transaction
    if own:
        db.conn.execute("BEGIN")   # one snapshot for the assignments and their answers
    try:
        version = data_version(db, cycle_id)
        ids, forms = _read_forms(db, cycle_id, ratees, timings)
        asm = _Assembler(ids, forms, codes)
        if ids.size and codes:
            sql, extra = _answer_sql(codes, limited)
            if limited:
                asm.add_cursor(db.execute(sql, [json.dumps(ids.tolist()), *extra]))
            else:
                lo, hi = int(ids[0]), int(ids[-1])
                # A city's answers are read by two connections at once, each over half the forms, so both
                # cores step SQLite (sqlite3 lets go of the GIL while a statement runs). The second
                # connection has its own snapshot: it is used only when the cycle's change counter reads the
                # same in both, i.e. no form was submitted, reopened or removed in between; otherwise this
                # connection reads everything. Both are connections of Python's own SQLite library: a second
                # copy of SQLite in one process (as database drivers bundle) releases this one's file locks.
                # Each places its batches as it reads them (on disjoint forms of the matrix).
                path = database_file(db) if ids.size >= _PARALLEL_FORMS else None
                mid = int(ids[ids.size // 2]) if path else hi + 1
                helper = _HalfReader(path, cycle_id, version, sql, [mid, hi, *extra], asm) if path else None
                asm.add_cursor(db.execute(sql, [lo, mid - 1, *extra]))
                if not (helper is not None and helper.join()) and mid <= hi:
                    asm.add_cursor(db.execute(sql, [mid, hi, *extra]))
    finally:
        if own and db.conn.in_transaction:
            db.conn.execute("COMMIT")
    return asm.finish()


class _HalfReader:
    """Reads a range of a cycle's answers into the assembler on its own connection and thread, if that
    connection's snapshot has the cycle at the same change counter as the caller's."""

    def __init__(self, path: str, cycle_id: int, version: int, sql: str, params: list, asm: _Assembler):
        import threading

        self.read = False
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(path, cycle_id, version, sql, params, asm),
                                       name="kinerja-baca-jawaban", daemon=True)
        self.thread.start()

    def _run(self, path, cycle_id, version, sql, params, asm) -> None:
        try:
            conn = sqlite3.connect(Path(path).absolute().as_uri() + "?mode=ro", uri=True,
                                   timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            try:
                conn.execute("BEGIN")
                row = conn.execute("SELECT versi FROM versi_data WHERE cycle_id = ?", [cycle_id]).fetchone()
                if (int(row[0]) if row else 0) == version:
                    asm.add_cursor(conn.execute(sql, params))
                    self.read = True
                conn.execute("COMMIT")
            finally:
                conn.close()
        except BaseException as exc:  # re-raised in the caller's thread by join()
            self.error = exc

    def join(self) -> bool:
        """Wait for the read; whether the range was placed (else the caller must read it itself)."""
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.read
