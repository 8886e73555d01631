"""What a personal link may see and every write it may make, each re-checked in one transaction.

This is the data layer under the Voilà rater form and admin dashboard. It imports neither
ipywidgets nor pandas: a form kernel stays light, and every rule here is testable without a browser.
A crafted widget message can send any value, so nothing the form sends is trusted: each write
re-checks the link, the assignment, the cycle and the value inside one ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

import contextlib
import json
import os
import weakref
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from . import umpan_balik
from .cycle import Cycle, get_cycle
from .errors import AccessDenied, DatabaseReplaced, FormConflict, FormError
from .links import LinkGrant, check_grant
from .reference import Competency, Value, load_competencies, load_instrument, load_scale, load_vocabulary
from .items import items_for_relation, tdm_limit
from .organisation import UnitTree, load_tree
from .store import RATINGS, audit, now, write_transaction

COMMENT_KINDS = ("kekuatan", "pengembangan")
DECISION_KINDS = ("hasil_kerja", "perilaku")
DECISION_LABELS = {"hasil_kerja": "Rating Hasil Kerja", "perilaku": "Rating Perilaku Kerja"}
REOPEN_REASON_MAX = 500

NOT_YOURS = "Penilaian ini tidak tersedia untuk tautan Anda."
LOCKED = "Penilaian ini sudah dikirim dan terkunci; jawaban tidak dapat diubah lagi."
CONFLICT = ("Formulir ini baru saja diubah di tab atau perangkat lain. Isian terbaru sudah dimuat di sini; "
            "pilihan terakhir Anda tidak disimpan. Periksa lalu ulangi bila perlu.")


class _Unanswered:
    """The ``expected`` value of an item nobody has answered yet (None already means "tidak dapat menilai")."""

    def __repr__(self) -> str:
        return "UNANSWERED"


#: ``expected`` for an item without a stored answer.
UNANSWERED: Any = _Unanswered()
#: ``expected`` left out: write whatever is stored (scripts and imports that own the whole form).
ANY: Any = object()


# --------------------------------------------------------------------------- data shapes

@dataclass(frozen=True)
class Person:
    """A pegawai as shown on a form."""

    nip: str
    nama: str
    jabatan: str
    unit: str


@dataclass(frozen=True)
class Progress:
    """How far one form is: answered items, "tidak dapat menilai" count, what is still missing."""

    answered: int
    total: int
    tidak_dapat: int
    missing: tuple[str, ...]
    max_tidak_dapat: int  # how many "tidak dapat menilai" a submission may hold

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def submittable(self) -> bool:
        return self.complete and self.tidak_dapat <= self.max_tidak_dapat


@dataclass(frozen=True)
class AssignmentSummary:
    """One person the rater is asked to rate, with the state of that form."""

    id: int
    ratee: Person
    relation: str
    relation_label: str
    status: str
    status_label: str
    progress: Progress
    terkirim: str | None
    #: The rater is this ratee's Pejabat Penilai Kinerja and has not yet set the Rating Perilaku Kerja.
    perilaku_waiting: bool = False
    #: ... and the 360 suggestion exists, so the decision can be recorded now.
    perilaku_ready: bool = False


@dataclass(frozen=True)
class RaterOverview:
    """The rater's landing page: who they are, the cycle, and their list of people to rate."""

    rater: Person
    cycle: Cycle
    assignments: tuple[AssignmentSummary, ...]

    @property
    def submitted(self) -> int:
        return sum(a.status == "terkirim" for a in self.assignments)

    @property
    def decisions_waiting(self) -> int:
        """How many Rating Perilaku Kerja decisions wait for this rater as Pejabat Penilai Kinerja."""
        return sum(a.perilaku_waiting for a in self.assignments)


@dataclass(frozen=True)
class Decision:
    """A Pejabat Penilai decision the supervisor's form carries (or shows as already imported)."""

    jenis: str                # 'hasil_kerja' / 'perilaku'
    label: str
    rating: str | None
    sumber: str | None
    saran: str | None         # the 360 suggestion (Rating Perilaku Kerja only)
    editable: bool
    note: str                 # Indonesian explanation shown under the choice


@dataclass(frozen=True)
class FormSpec:
    """Everything the per-person form shows: items by section, stored answers, comments, decisions."""

    assignment: AssignmentSummary
    values: tuple[Value, ...]
    ekspektasi: dict[str, str]            # value code -> Ekspektasi Khusus Pimpinan text
    competencies: tuple[Competency, ...]
    answers: dict[str, int | None]        # item -> score (None = tidak dapat menilai)
    comments: dict[str, str]
    decisions: tuple[Decision, ...]
    comment_limit: int
    #: value code -> the Ekspektasi the ratee's atasan set for this pegawai and year (umpan_balik.py)
    ekspektasi_pegawai: dict[str, str] = field(default_factory=dict)

    @property
    def locked(self) -> bool:
        return self.assignment.status == "terkirim"

    @property
    def progress(self) -> Progress:
        return self.assignment.progress


@dataclass(frozen=True)
class CompletionRow:
    """Completion counts of one group (a unit or a relation) for the admin dashboard."""

    kode: str
    label: str
    total: int
    belum: int
    draf: int
    terkirim: int
    turunan: bool = False   # a unit with units below it (the dashboard can drill into it)

    @property
    def percent(self) -> float:
        return 100.0 * self.terkirim / self.total if self.total else 0.0


@dataclass(frozen=True)
class RaterStatus:
    """One rater's counts, for the "not started" list and the reminder export."""

    nip: str
    nama: str
    unit: str
    total: int
    belum: int
    draf: int
    terkirim: int


@dataclass(frozen=True)
class AdminForm:
    """One assignment as the admin sees it when looking a rater up to reopen a form."""

    id: int
    rater: str
    ratee: Person
    relation_label: str
    status: str
    status_label: str
    terkirim: str | None
    rater_nama: str = ""


@dataclass(frozen=True)
class AdminOverview:
    """The dashboard figures of one cycle."""

    cycle: Cycle
    total: int
    raters: int
    by_status: dict[str, int] = field(default_factory=dict)
    admin: str | None = None      # the named admin, None for the shared link
    lingkup: str | None = None    # an OPD admin's perangkat daerah (its name), None for the whole cycle


# --------------------------------------------------------------------------- the database file

# The file each form connection opened, as (path, device, inode). Deleting or replacing the file at
# that path (a rebuilt demo, a restored backup) leaves an open connection writing into the old,
# unlinked file, where nobody will ever read the answers: every write checks first.
_OPENED: weakref.WeakKeyDictionary[Database, tuple[str, int, int]] = weakref.WeakKeyDictionary()


def watch_file(db: Database) -> None:
    """Remember the file ``db`` has open, so later writes through this module refuse once it was replaced.

    Does nothing for an in-memory database. The form kernels call it right after connecting.
    """
    row = db.execute("PRAGMA database_list").fetchone()
    path = row[2] if row else ""
    if path:
        st = os.stat(path)
        _OPENED[db] = (path, st.st_dev, st.st_ino)


def ensure_same_file(db: Database) -> None:
    """Raise DatabaseReplaced when the file at the watched path is gone or is another file now."""
    opened = _OPENED.get(db)
    if opened is None:
        return
    path, dev, ino = opened
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise DatabaseReplaced() from None
    if (st.st_dev, st.st_ino) != (dev, ino):
        raise DatabaseReplaced()


@contextlib.contextmanager
def _write(db: Database) -> Iterator[Database]:
    """A ``write_transaction`` that checks the file before it starts and again just before COMMIT."""
    ensure_same_file(db)
    with write_transaction(db):
        yield db
        ensure_same_file(db)


# --------------------------------------------------------------------------- helpers

def _progress(codes: Sequence[str], answers: dict[str, int | None], settings: dict[str, Any]) -> Progress:
    answered = [c for c in codes if c in answers]
    tdm = sum(answers[c] is None for c in answered)
    allowed = tdm_limit(settings, len(codes))
    return Progress(len(answered), len(codes), tdm, tuple(c for c in codes if c not in answers), allowed)


def _labels(group: str) -> dict[str, str]:
    return load_vocabulary()[group]


def _answers(db: Database, assignment_ids: Sequence[int]) -> dict[int, dict[str, int | None]]:
    out: dict[int, dict[str, int | None]] = defaultdict(dict)
    ids = list(assignment_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for r in db.execute(f"SELECT assignment_id, item, score FROM response WHERE assignment_id IN ({marks})",
                            chunk).fetchall():
            out[r[0]][r[1]] = r[2]
    return out


_ASSIGNMENT_SQL = (
    "SELECT a.id, a.cycle_id, a.rater_nip, a.penilai_luar_id, a.ratee_nip, a.relation, a.aktif, a.status, a.terkirim, "
    "p.nama, p.jabatan, p.unit_id, p.atasan_nip "
    "FROM assignment a JOIN pegawai p ON p.nip = a.ratee_nip ")


def _summary(row: dict, answers: dict[str, int | None], settings: dict[str, Any],
             waiting: tuple[bool, bool] = (False, False)) -> AssignmentSummary:
    codes = items_for_relation(settings, row["relation"])
    return AssignmentSummary(
        row["id"], Person(row["ratee_nip"], row["nama"], row["jabatan"], row["unit_id"]),
        row["relation"], _labels("relasi").get(row["relation"], row["relation"]),
        row["status"], _labels("status_penilaian").get(row["status"], row["status"]),
        _progress(codes, answers, settings), row["terkirim"], *waiting)


def _is_pejabat_penilai(row: dict, rater_nip: str) -> bool:
    """The rater is the ratee's direct supervisor on a supervisor's form: the Pejabat Penilai Kinerja."""
    return rater_nip is not None and row["relation"] == "atasan" and row["atasan_nip"] == rater_nip


def _perilaku_waiting(db: Database, cycle_id: int, rows: Sequence[dict],
                      rater_nip: str | None) -> dict[int, tuple[bool, bool]]:
    """Return, per assignment where the rater is Pejabat Penilai, (decision still waiting, can be set now)."""
    ratees = [r["ratee_nip"] for r in rows if _is_pejabat_penilai(r, rater_nip)]
    if not ratees:
        return {}
    marks = ",".join("?" * len(ratees))
    decided = {r[0] for r in db.execute(f"SELECT nip FROM rating_perilaku WHERE cycle_id = ? AND nip IN ({marks})",
                                        [cycle_id, *ratees]).fetchall()}
    suggested = {r[0] for r in db.execute(
        f"SELECT nip FROM hasil_skor WHERE cycle_id = ? AND rating_perilaku_saran IS NOT NULL AND nip IN ({marks})",
        [cycle_id, *ratees]).fetchall()}
    return {r["id"]: (r["ratee_nip"] not in decided, r["ratee_nip"] in suggested)
            for r in rows if _is_pejabat_penilai(r, rater_nip)}


def _own_assignment(db: Database, grant: LinkGrant, assignment_id: Any) -> dict:
    """Return the assignment row if it belongs to this rater's grant and is active; else FormError."""
    if grant.jenis != "penilai":
        raise AccessDenied()
    try:
        aid = int(assignment_id)
    except (TypeError, ValueError):
        raise FormError(NOT_YOURS) from None
    rows = list(db.query(_ASSIGNMENT_SQL + "WHERE a.id = ?", [aid]))
    if (not rows or rows[0]["cycle_id"] != grant.cycle_id or rows[0]["rater_nip"] != grant.rater_nip
            or rows[0]["penilai_luar_id"] != grant.penilai_luar_id or rows[0]["aktif"] != 1):
        raise FormError(NOT_YOURS)
    return rows[0]


def _writable(db: Database, grant: LinkGrant, assignment_id: Any) -> tuple[dict, Cycle]:
    """Inside a write transaction: the link, the assignment and the cycle allow a change to the form."""
    check_grant(db, grant, "penilai")
    row = _own_assignment(db, grant, assignment_id)
    if row["status"] == "terkirim":
        raise FormError(LOCKED)
    return row, get_cycle(db, grant.cycle_id)


def _touch(db: Database, assignment_id: int, stamp: str) -> None:
    db.execute("UPDATE assignment SET status = 'draf', mulai = COALESCE(mulai, ?), diperbarui = ? "
               "WHERE id = ?", [stamp, stamp, assignment_id])


def _person(db: Database, nip: str) -> Person:
    r = db.execute("SELECT nip, nama, jabatan, unit_id FROM pegawai WHERE nip = ?", [nip]).fetchone()
    return Person(*r)


def _rater(db: Database, grant: LinkGrant) -> Person:
    """The rater of a grant: a pegawai, or a "pihak lain" rater (no NIP; their instansi stands as unit)."""
    if grant.penilai_luar_id is None:
        return _person(db, grant.rater_nip)
    r = db.execute("SELECT nama, jabatan, instansi FROM penilai_luar WHERE id = ?", [grant.penilai_luar_id]).fetchone()
    return Person("", r[0], r[1], r[2])


def _rater_filter(grant: LinkGrant) -> tuple[str, object]:
    """The WHERE clause part (and its parameter) selecting the grant's rater's assignments."""
    if grant.penilai_luar_id is not None:
        return "a.penilai_luar_id = ?", grant.penilai_luar_id
    return "a.rater_nip = ?", grant.rater_nip


# --------------------------------------------------------------------------- rater side

def overview(db: Database, grant: LinkGrant) -> RaterOverview:
    """Return the rater, the cycle and the rater's active assignments (self first, then by relation).

    Raises AccessDenied when the link is no longer usable.
    """
    if grant.jenis != "penilai":
        raise AccessDenied()
    ensure_same_file(db)
    check_grant(db, grant, "penilai", touch=False)
    cycle = get_cycle(db, grant.cycle_id)
    who, rater = _rater_filter(grant)
    rows = list(db.query(
        _ASSIGNMENT_SQL + f"WHERE a.cycle_id = ? AND {who} AND a.aktif = 1 "
        "ORDER BY CASE a.relation WHEN 'diri' THEN 0 WHEN 'atasan' THEN 1 WHEN 'rekan' THEN 2 "
        "WHEN 'bawahan' THEN 3 ELSE 4 END, p.nama, a.id", [grant.cycle_id, rater]))
    answers = _answers(db, [r["id"] for r in rows])
    waiting = _perilaku_waiting(db, cycle.id, rows, grant.rater_nip)
    return RaterOverview(_rater(db, grant), cycle,
                         tuple(_summary(r, answers.get(r["id"], {}), cycle.settings, waiting.get(r["id"], (False, False)))
                               for r in rows))


def _ekspektasi(db: Database, cycle_id: int, unit_id: str) -> dict[str, str]:
    """Return the Ekspektasi Khusus Pimpinan of a unit; a value unset there is inherited from above."""
    chain = load_tree(db).ancestors(unit_id)
    out: dict[str, str] = {}
    for unit in reversed(chain):  # nearest unit last, so it wins
        for nilai, teks in db.execute("SELECT nilai, teks FROM ekspektasi_khusus WHERE cycle_id = ? AND unit_id = ?",
                                      [cycle_id, unit]).fetchall():
            out[nilai] = teks
    return out


def _decisions(db: Database, row: dict, rater_nip: str, cycle_id: int) -> tuple[Decision, ...]:
    """Return the Pejabat Penilai decisions this form carries; empty unless the rater is the ratee's atasan."""
    if not _is_pejabat_penilai(row, rater_nip):
        return ()
    out = []
    hk = db.execute("SELECT rating, sumber FROM rating_hasil_kerja WHERE cycle_id = ? AND nip = ?",
                    [cycle_id, row["ratee_nip"]]).fetchone()
    if hk and hk[1] != "formulir":
        out.append(Decision("hasil_kerja", DECISION_LABELS["hasil_kerja"], hk[0], hk[1], None, False,
                            "Sudah diimpor dari e-Kinerja; tidak diubah dari formulir ini."))
    else:
        out.append(Decision("hasil_kerja", DECISION_LABELS["hasil_kerja"], hk[0] if hk else None,
                            hk[1] if hk else None, None, True,
                            "Ditetapkan oleh Pejabat Penilai Kinerja atas capaian SKP (PermenPANRB 6/2022)."))
    # the 360 suggestion exists once scoring has run for this cycle (table hasil_skor)
    r = db.execute("SELECT rating_perilaku_saran FROM hasil_skor WHERE cycle_id = ? AND nip = ?",
                   [cycle_id, row["ratee_nip"]]).fetchone()
    saran = r[0] if r else None
    rp = db.execute("SELECT rating, sumber FROM rating_perilaku WHERE cycle_id = ? AND nip = ?",
                    [cycle_id, row["ratee_nip"]]).fetchone()
    if saran is None:
        out.append(Decision("perilaku", DECISION_LABELS["perilaku"], rp[0] if rp else None, rp[1] if rp else None,
                            None, False, "Dapat ditetapkan setelah hasil umpan balik 360 dihitung."))
    else:
        out.append(Decision("perilaku", DECISION_LABELS["perilaku"], rp[0] if rp else None, rp[1] if rp else None,
                            saran, True, f"Saran dari umpan balik 360: {saran}. Keputusan tetap pada "
                            "Pejabat Penilai Kinerja."))
    return tuple(out)


def form(db: Database, grant: LinkGrant, assignment_id: int) -> FormSpec:
    """Return the per-person form with its stored answers; raises AccessDenied or FormError."""
    ensure_same_file(db)
    check_grant(db, grant, "penilai", touch=False)
    row = _own_assignment(db, grant, assignment_id)
    cycle = get_cycle(db, grant.cycle_id)
    answers = _answers(db, [row["id"]]).get(row["id"], {})
    comments = dict(db.execute("SELECT jenis, teks FROM comment WHERE assignment_id = ?", [row["id"]]).fetchall())
    comp = load_competencies().by_code()
    codes = cycle.settings.get("kompetensi_per_relasi", {}).get(row["relation"], [])
    return FormSpec(
        assignment=_summary(row, answers, cycle.settings),
        values=load_instrument().values,
        ekspektasi=_ekspektasi(db, cycle.id, row["unit_id"]),
        competencies=tuple(comp[c] for c in codes),
        answers=dict(answers),
        comments=comments,
        decisions=_decisions(db, row, grant.rater_nip, cycle.id),
        comment_limit=int(cycle.settings["komentar_maks_karakter"]),
        ekspektasi_pegawai=umpan_balik.ekspektasi(db, row["ratee_nip"], cycle.tahun),
    )


def save_answer(db: Database, grant: LinkGrant, assignment_id: int, item: str, score: int | None,
                expected: Any = ANY) -> Progress:
    """Save one answer (``None`` = tidak dapat menilai) as a draft and return the form's progress.

    ``expected`` is what the page showed for this item before the change (a score, None, or
    UNANSWERED): when another tab or device stored something else since, nothing is written and
    FormConflict is raised, so two pages never silently overwrite each other. Idempotent. Raises
    AccessDenied for a dead link, FormError for someone else's or a submitted form, a closed cycle,
    an item this relation is not asked or a score out of range, DatabaseReplaced when the file was
    swapped under the server.
    """
    scale = load_scale()
    if score is not None and (isinstance(score, bool) or not isinstance(score, int)
                              or not scale.min <= score <= scale.max):
        raise FormError(f"Nilai harus {scale.min}-{scale.max} atau '{scale.tidak_dapat_menilai}'.")
    with _write(db):
        row, cycle = _writable(db, grant, assignment_id)
        codes = items_for_relation(cycle.settings, row["relation"])
        if item not in codes:
            raise FormError(f"Butir '{item}' tidak termasuk formulir ini.")
        if expected is not ANY:
            stored = db.execute("SELECT score FROM response WHERE assignment_id = ? AND item = ?",
                                [row["id"], item]).fetchone()
            if (stored[0] if stored else UNANSWERED) != expected and stored != (score,):
                raise FormConflict(CONFLICT)
        stamp = now()
        db.execute("INSERT INTO response (assignment_id, item, score, diperbarui) VALUES (?, ?, ?, ?) "
                   "ON CONFLICT (assignment_id, item) DO UPDATE SET score = excluded.score, "
                   "diperbarui = excluded.diperbarui", [row["id"], item, score, stamp])
        _touch(db, row["id"], stamp)
        answers = _answers(db, [row["id"]]).get(row["id"], {})
    return _progress(codes, answers, cycle.settings)


def save_comment(db: Database, grant: LinkGrant, assignment_id: int, jenis: str, teks: str,
                 expected: Any = ANY) -> None:
    """Save a comment exactly as typed (empty text removes it). Raises FormError when too long.

    ``expected`` is the text the page showed before ('' for none); FormConflict when another page
    stored different text since (see ``save_answer``).
    """
    if jenis not in COMMENT_KINDS:
        raise FormError("Jenis komentar tidak dikenal.")
    if not isinstance(teks, str):
        raise FormError("Komentar harus berupa teks.")
    with _write(db):
        row, cycle = _writable(db, grant, assignment_id)
        limit = int(cycle.settings["komentar_maks_karakter"])
        if len(teks) > limit:
            raise FormError(f"Komentar terlalu panjang: {len(teks)} karakter, paling banyak {limit}.")
        if expected is not ANY:
            stored = db.execute("SELECT teks FROM comment WHERE assignment_id = ? AND jenis = ?",
                                [row["id"], jenis]).fetchone()
            if (stored[0] if stored else "") not in (expected, teks):
                raise FormConflict(CONFLICT)
        stamp = now()
        if teks.strip():
            db.execute("INSERT INTO comment (assignment_id, jenis, teks, diperbarui) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (assignment_id, jenis) DO UPDATE SET teks = excluded.teks, "
                       "diperbarui = excluded.diperbarui", [row["id"], jenis, teks, stamp])
        else:
            db.execute("DELETE FROM comment WHERE assignment_id = ? AND jenis = ?", [row["id"], jenis])
        _touch(db, row["id"], stamp)


def submit(db: Database, grant: LinkGrant, assignment_id: int) -> str:
    """Validate completeness, lock the form ('terkirim') and return the submission time.

    Raises FormError naming the missing items, or when too many are "tidak dapat menilai".
    """
    with _write(db):
        row, cycle = _writable(db, grant, assignment_id)
        codes = items_for_relation(cycle.settings, row["relation"])
        progress = _progress(codes, _answers(db, [row["id"]]).get(row["id"], {}), cycle.settings)
        if progress.missing:
            raise FormError(f"Belum lengkap: {len(progress.missing)} butir belum diisi "
                            f"({', '.join(progress.missing)}).")
        if progress.tidak_dapat > progress.max_tidak_dapat:
            raise FormError(f"Terlalu banyak '{load_scale().tidak_dapat_menilai}': {progress.tidak_dapat} dari "
                            f"{progress.total} butir; paling banyak {progress.max_tidak_dapat}.")
        stamp = now()
        db.execute("UPDATE assignment SET status = 'terkirim', terkirim = ?, diperbarui = ? WHERE id = ?",
                   [stamp, stamp, row["id"]])
        audit(db, grant.pelaku, "kirim_penilaian", "assignment", row["id"], ratee=row["ratee_nip"],
              relation=row["relation"])
    return stamp


def save_decision(db: Database, grant: LinkGrant, assignment_id: int, jenis: str, rating: str,
                  expected: Any = ANY) -> None:
    """Record a Pejabat Penilai decision (sumber 'formulir') for the ratee of a supervisor's form.

    Raises FormError unless the rater is the ratee's Pejabat Penilai, the decision is open on this
    form (Rating Hasil Kerja not imported; Rating Perilaku Kerja once results exist) and the rating is
    valid; FormConflict when the stored decision is no longer ``expected`` (None: none recorded).
    """
    if jenis not in DECISION_KINDS:
        raise FormError("Jenis keputusan tidak dikenal.")
    if rating not in RATINGS:
        raise FormError(f"Pilihan harus salah satu dari: {', '.join(RATINGS)}.")
    with _write(db):
        check_grant(db, grant, "penilai")
        row = _own_assignment(db, grant, assignment_id)
        offered = {d.jenis: d for d in _decisions(db, row, grant.rater_nip, grant.cycle_id)}
        if jenis not in offered:
            raise FormError("Keputusan ini hanya dapat diisi oleh Pejabat Penilai Kinerja pegawai tersebut.")
        if not offered[jenis].editable:
            raise FormError(f"{DECISION_LABELS[jenis]} tidak dapat diisi dari formulir ini. {offered[jenis].note}")
        if expected is not ANY and offered[jenis].rating not in (expected, rating):
            raise FormConflict(CONFLICT)
        table = "rating_hasil_kerja" if jenis == "hasil_kerja" else "rating_perilaku"
        db.execute(f"INSERT INTO {table} (cycle_id, nip, rating, sumber, penilai_nip, diperbarui) "
                   "VALUES (?, ?, ?, 'formulir', ?, ?) ON CONFLICT (cycle_id, nip) DO UPDATE SET "
                   "rating = excluded.rating, sumber = excluded.sumber, penilai_nip = excluded.penilai_nip, "
                   "diperbarui = excluded.diperbarui",
                   [grant.cycle_id, row["ratee_nip"], rating, grant.rater_nip, now()])
        audit(db, grant.pelaku, f"keputusan_{table}", "pegawai", row["ratee_nip"], cycle_id=grant.cycle_id,
              rating=rating, sebelumnya=offered[jenis].rating)


# --------------------------------------------------------------------------- admin side
#
# An admin link of the whole cycle sees every rater; an OPD admin's link (``grant.opd``) sees only raters
# whose unit is under that perangkat daerah. Every function below applies that scope here, on the server,
# so a crafted request from the dashboard cannot reach another OPD's people.

SEARCH_SHOWN = 50


def _admin(db: Database, grant: LinkGrant) -> Cycle:
    if grant.jenis != "admin":
        raise AccessDenied()
    ensure_same_file(db)
    check_grant(db, grant, "admin", touch=False)
    return get_cycle(db, grant.cycle_id)


def _scope(grant: LinkGrant, tree: UnitTree) -> set[str] | None:
    """Return the units an OPD admin may see (None: the whole cycle)."""
    return None if grant.opd is None else tree.subtree(grant.opd)


def _scope_sql(db: Database, grant: LinkGrant, column: str = "p.unit_id",
               within: str | None = None) -> tuple[str, list]:
    """Return an ``AND ...`` clause (and its parameter) keeping rows whose ``column`` is in the admin's scope
    and, with ``within``, under that unit."""
    if grant.opd is None and within is None:
        return "", []
    tree = load_tree(db)
    units = _scope(grant, tree)
    if within is not None:
        below = tree.subtree(within) if within in tree.parent else set()
        units = below if units is None else units & below
    return f" AND {column} IN (SELECT value FROM json_each(?))", [json.dumps(sorted(units))]


def _check_unit(db: Database, grant: LinkGrant, unit: str | None) -> None:
    """Refuse a unit that does not exist or lies outside the admin's scope (one message for both)."""
    if unit is None:
        return
    tree = load_tree(db)
    allowed = _scope(grant, tree)
    if not isinstance(unit, str) or unit not in tree.parent or (allowed is not None and unit not in allowed):
        raise FormError("Unit tidak ditemukan.")


def admin_overview(db: Database, grant: LinkGrant) -> AdminOverview:
    """Return the cycle's totals in the admin's scope: assignments by status and the number of raters."""
    cycle = _admin(db, grant)
    where, params = _scope_sql(db, grant)
    base = ("FROM assignment a JOIN pegawai p ON p.nip = a.rater_nip WHERE a.cycle_id = ? AND a.aktif = 1" + where)
    by_status = dict(db.execute(f"SELECT a.status, COUNT(*) {base} GROUP BY a.status", [cycle.id, *params]).fetchall())
    raters = db.execute(f"SELECT COUNT(DISTINCT a.rater_nip) {base}", [cycle.id, *params]).fetchone()[0]
    lingkup = None
    if grant.opd is not None:
        row = db.execute("SELECT nama FROM unit WHERE id = ?", [grant.opd]).fetchone()
        lingkup = row[0] if row else grant.opd
    return AdminOverview(cycle, sum(by_status.values()), raters,
                         {s: by_status.get(s, 0) for s in ("belum", "draf", "terkirim")},
                         admin=grant.admin_nama, lingkup=lingkup)


def completion_by_unit(db: Database, grant: LinkGrant, level: str = "opd") -> list[CompletionRow]:
    """Return completion per rater unit (``level='unit'``) or per perangkat daerah (``'opd'``), by name."""
    cycle = _admin(db, grant)
    counts: dict[str, Counter] = defaultdict(Counter)
    tree = load_tree(db)
    roots = {unit: tree.root(unit) for unit in tree.parent} if level == "opd" else {}
    names = dict(db.execute("SELECT id, nama FROM unit").fetchall())
    where, params = _scope_sql(db, grant)
    for unit, status, n in db.execute(
            "SELECT p.unit_id, a.status, COUNT(*) FROM assignment a JOIN pegawai p ON p.nip = a.rater_nip "
            f"WHERE a.cycle_id = ? AND a.aktif = 1{where} GROUP BY p.unit_id, a.status", [cycle.id, *params]).fetchall():
        counts[roots.get(unit, unit)][status] += n
    rows = [CompletionRow(u, names.get(u, u) if level == "opd" else u, sum(c.values()), c["belum"], c["draf"],
                          c["terkirim"]) for u, c in counts.items()]
    return sorted(rows, key=lambda r: r.label)


def report_openings(db: Database, grant: LinkGrant) -> list:
    """Return every published 360 report in the admin's scope with its openings (``report_access.openings``).

    For the admin dashboard: who has opened their report through their personal link, by unit and name
    (``report_access.openings_by_unit`` sums them per unit). An OPD admin sees their perangkat daerah only.
    """
    from .report_access import openings

    cycle = _admin(db, grant)
    rows = openings(db, cycle.id)
    where, params = _scope_sql(db, grant)
    if where:
        mine = {nip for (nip,) in db.execute(f"SELECT p.nip FROM pegawai p WHERE 1 = 1{where}", params).fetchall()}
        rows = [r for r in rows if r.nip in mine]
    return rows


def completion_drill(db: Database, grant: LinkGrant, parent: str | None = None) -> list[CompletionRow]:
    """Return completion one level below ``parent`` (the perangkat daerah when None), by rater unit.

    Each child unit counts everything under it; raters placed in ``parent`` itself form a row of their own
    (``langsung``), first. ``turunan`` says whether a row has units below it to drill into. Raises FormError
    for a unit unknown or outside the admin's scope.
    """
    cycle = _admin(db, grant)
    _check_unit(db, grant, parent)
    tree = load_tree(db)
    has_children = {p for p in tree.parent.values() if p is not None}
    names = dict(db.execute("SELECT id, nama FROM unit").fetchall())
    where, params = _scope_sql(db, grant, within=parent)
    counts: dict[str, Counter] = defaultdict(Counter)
    for unit, status, n in db.execute(
            "SELECT p.unit_id, a.status, COUNT(*) FROM assignment a JOIN pegawai p ON p.nip = a.rater_nip "
            f"WHERE a.cycle_id = ? AND a.aktif = 1{where} GROUP BY p.unit_id, a.status", [cycle.id, *params]).fetchall():
        chain = tree.ancestors(unit) if unit in tree.parent else [unit]
        if parent is None:
            key = chain[-1]
        else:
            at = chain.index(parent)
            key = chain[at - 1] if at > 0 else parent
        counts[key][status] += n
    rows = [CompletionRow(k, f"{names.get(k, k)} (langsung)" if k == parent else names.get(k, k),
                          sum(c.values()), c["belum"], c["draf"], c["terkirim"],
                          turunan=k != parent and k in has_children) for k, c in counts.items()]
    return sorted(rows, key=lambda r: (r.kode != parent, r.label))


def unit_path(db: Database, grant: LinkGrant, unit: str | None) -> list[tuple[str, str]]:
    """Return (id, name) from the top of the admin's view down to ``unit``, for the drill-down trail."""
    _admin(db, grant)
    _check_unit(db, grant, unit)
    if unit is None:
        return []
    names = dict(db.execute("SELECT id, nama FROM unit").fetchall())
    chain = list(reversed(load_tree(db).ancestors(unit)))
    return [(u, names.get(u, u)) for u in chain]


def completion_by_relation(db: Database, grant: LinkGrant, unit: str | None = None) -> list[CompletionRow]:
    """Return completion per relation (diri, atasan, rekan, bawahan, lainnya), in that order, under ``unit``."""
    cycle = _admin(db, grant)
    _check_unit(db, grant, unit)
    where, params = _scope_sql(db, grant, within=unit)
    counts: dict[str, Counter] = defaultdict(Counter)
    for rel, status, n in db.execute(
            "SELECT a.relation, a.status, COUNT(*) FROM assignment a JOIN pegawai p ON p.nip = a.rater_nip "
            f"WHERE a.cycle_id = ? AND a.aktif = 1{where} GROUP BY a.relation, a.status", [cycle.id, *params]).fetchall():
        counts[rel][status] += n
    labels = _labels("relasi")
    return [CompletionRow(rel, labels[rel], sum(counts[rel].values()), counts[rel]["belum"], counts[rel]["draf"],
                          counts[rel]["terkirim"]) for rel in labels if rel in counts]


def completion_over_time(db: Database, grant: LinkGrant) -> list[tuple[str, int]]:
    """Return (date, forms submitted that day) in the office's time zone, oldest first, in the admin's scope.

    Counts the forms submitted now (a reopened form counts again when it is sent again).
    """
    from .instansi import load_instansi

    cycle = _admin(db, grant)
    where, params = _scope_sql(db, grant)
    office = load_instansi()
    per_day: Counter = Counter()
    for (stamp,) in db.execute(
            "SELECT a.terkirim FROM assignment a JOIN pegawai p ON p.nip = a.rater_nip WHERE a.cycle_id = ? "
            f"AND a.aktif = 1 AND a.status = 'terkirim' AND a.terkirim IS NOT NULL{where}", [cycle.id, *params]):
        per_day[office.local(stamp).date().isoformat()] += 1
    return sorted(per_day.items())


def rater_status(db: Database, grant: LinkGrant, only: str = "belum_selesai",
                 unit: str | None = None) -> list[RaterStatus]:
    """Return raters with their counts: ``only='belum_mulai'`` (nothing started), ``'belum_selesai'``
    (something not yet submitted) or ``'semua'``, sorted by unit and name, in the scope (and under ``unit``)."""
    cycle = _admin(db, grant)
    _check_unit(db, grant, unit)
    having = {"belum_mulai": " HAVING SUM(a.status = 'belum') = COUNT(*)",
              "belum_selesai": " HAVING SUM(a.status = 'terkirim') < COUNT(*)", "semua": ""}[only]
    where, params = _scope_sql(db, grant, within=unit)
    rows = db.execute(
        "SELECT a.rater_nip, p.nama, p.unit_id, COUNT(*), SUM(a.status = 'belum'), SUM(a.status = 'draf'), "
        "SUM(a.status = 'terkirim') FROM assignment a JOIN pegawai p ON p.nip = a.rater_nip "
        f"WHERE a.cycle_id = ? AND a.aktif = 1{where} GROUP BY a.rater_nip{having} "
        "ORDER BY p.unit_id, p.nama, a.rater_nip", [cycle.id, *params]).fetchall()
    return [RaterStatus(*r) for r in rows]


def find_raters(db: Database, grant: LinkGrant, query: str) -> list[RaterStatus]:
    """Return the raters (in the admin's scope) whose name contains ``query`` (any case) or whose NIP
    contains it, by name; at most SEARCH_SHOWN. Raises FormError for a query under two characters."""
    text = " ".join(str(query or "").split()).casefold()
    if len(text) < 2 or len(text) > 100:
        raise FormError("Ketik 2 sampai 100 huruf nama atau angka NIP penilai.")
    found = [r for r in rater_status(db, grant, "semua")
             if (text in r.nip if text.isdigit() else text in " ".join(r.nama.split()).casefold())]
    return sorted(found, key=lambda r: (r.nama.casefold(), r.nip))[:SEARCH_SHOWN]


#: Columns of the reminder list, named by the column vocabulary (kinerja_lib.columns).
REMINDER_COLUMNS = ("nip", "nama", "unit_id", "jumlah_dinilai", "belum_diisi", "draf", "terkirim")


def _reminder_sheet(db: Database, grant: LinkGrant):
    from .export import Sheet

    rows = [(r.nip, r.nama, r.unit, r.total, r.belum, r.draf, r.terkirim)
            for r in rater_status(db, grant, "belum_selesai")]
    return Sheet("Pengingat", rows, columns=list(REMINDER_COLUMNS))


def reminder_csv(db: Database, grant: LinkGrant) -> str:
    """Return the reminder list (raters with forms not yet submitted) as CSV text, formula text neutralised."""
    from .export import csv_text

    return csv_text(_reminder_sheet(db, grant))


def reminder_links_csv(db: Database, grant: LinkGrant, base_url: str | None = None) -> tuple[int, str]:
    """Issue a fresh personal link to each rater in scope with a form not yet submitted; return (count, CSV).

    The CSV is the list of ``kinerja ingatkan --out`` (contacts, the new link, a WhatsApp link with the
    reminder). Each new link is issued beside the rater's previous one (:func:`links.issue_beside`), which
    stays valid: a list that is never sent locks nobody out, and no other rater's link changes. The
    issue is audited under the admin's name; nothing is written to disk.
    """
    from . import links as link_store
    from . import outreach
    from .export import csv_text

    cycle = _admin(db, grant)
    wanted = {r.nip for r in rater_status(db, grant, "belum_selesai")}
    raters = [r for r in outreach.raters_to_reach(db, cycle.id, outreach.PENGINGAT) if r.nip in wanted]
    issued = []
    with _write(db):
        check_grant(db, grant, "admin")
        for r in raters:
            _link_id, url, token = link_store.issue_beside(db, cycle.id, r.nip, base_url)
            issued.append(link_store.IssuedLink(r.nip, r.nama, r.unit, url, token, r.jumlah, r.no_hp, r.email))
        audit(db, grant.pelaku, "terbitkan_tautan_pengingat", "cycle", cycle.id, jumlah=len(issued),
              nip=[i.nip for i in issued])
    sheet = outreach.reach_sheet(outreach.PENGINGAT, cycle, issued, {r.nip: r for r in raters})
    return len(issued), csv_text(sheet)


def export_reminders(db: Database, grant: LinkGrant, path: str | Path) -> Path:
    """Write the reminder list to a CSV file (UTF-8 with BOM, owner-only, all-or-nothing) and return its path."""
    from .export import write_csv

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_csv(path, _reminder_sheet(db, grant))


def _rater_in_scope(db: Database, grant: LinkGrant, rater_nip: str) -> bool:
    if grant.opd is None:
        return True
    row = db.execute("SELECT unit_id FROM pegawai WHERE nip = ?", [rater_nip]).fetchone()
    return row is not None and row[0] in _scope(grant, load_tree(db))


def rater_forms(db: Database, grant: LinkGrant, rater_nip: str) -> list[AdminForm]:
    """Return a rater's assignments in the admin's cycle (to pick one to reopen); none outside the scope."""
    cycle = _admin(db, grant)
    nip = str(rater_nip).strip()
    if not _rater_in_scope(db, grant, nip):
        return []
    rater = db.execute("SELECT nama FROM pegawai WHERE nip = ?", [nip]).fetchone()
    labels, status = _labels("relasi"), _labels("status_penilaian")
    rows = db.query(_ASSIGNMENT_SQL + "WHERE a.cycle_id = ? AND a.rater_nip = ? AND a.aktif = 1 ORDER BY p.nama",
                    [cycle.id, nip])
    return [AdminForm(r["id"], r["rater_nip"], Person(r["ratee_nip"], r["nama"], r["jabatan"], r["unit_id"]),
                      labels.get(r["relation"], r["relation"]), r["status"], status.get(r["status"], r["status"]),
                      r["terkirim"], rater[0] if rater else "") for r in rows]


def reopen(db: Database, grant: LinkGrant, assignment_id: int, alasan: str) -> None:
    """Reopen a submitted form as a draft, with the reason written to the audit log.

    Raises FormError without a reason, for a form not submitted, or one outside the admin's cycle.
    """
    if not isinstance(alasan, str) or not alasan.strip():
        raise FormError("Alasan membuka kembali wajib diisi.")
    if len(alasan) > REOPEN_REASON_MAX:
        raise FormError(f"Alasan terlalu panjang; paling banyak {REOPEN_REASON_MAX} karakter.")
    with _write(db):
        if grant.jenis != "admin":
            raise AccessDenied()
        check_grant(db, grant, "admin")
        try:
            aid = int(assignment_id)
        except (TypeError, ValueError):
            raise FormError("Formulir tidak ditemukan pada siklus ini.") from None
        row = db.execute("SELECT cycle_id, status, aktif, rater_nip, ratee_nip FROM assignment WHERE id = ?",
                         [aid]).fetchone()
        if row is None or row[0] != grant.cycle_id or row[2] != 1 or not _rater_in_scope(db, grant, row[3]):
            raise FormError("Formulir tidak ditemukan pada siklus ini.")
        if row[1] != "terkirim":
            raise FormError("Hanya formulir yang sudah terkirim yang dapat dibuka kembali.")
        db.execute("UPDATE assignment SET status = 'draf', terkirim = NULL, diperbarui = ? WHERE id = ?",
                   [now(), aid])
        audit(db, grant.pelaku, "buka_kembali_penilaian", "assignment", aid, alasan=alasan.strip(),
              rater=row[3], ratee=row[4])

