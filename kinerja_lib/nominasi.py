"""Peer nomination: a pegawai proposes their rekan raters, their atasan approves or edits the list.

During a cycle's nomination window (``kinerja nominasi buka``) a pegawai picks between the anonymity minimum of
the rekan group and ``rekan_per_pegawai`` colleagues from the eligible ones (same tingkat and same kind of post,
in the same perangkat daerah, never themselves, their atasan or their direct bawahan: the rule the automatic
peer design follows, widened from the sub-unit to the perangkat daerah so a small unit can still reach the
minimum). Their atasan (the ``atasan_nip`` of the roster, the Pejabat Penilai) keeps, removes (with a reason) or
adds colleagues and approves; an admin may approve on behalf of an absent atasan, named in the audit log.
Approved nominations become rekan assignments through ``assignments.apply_nominations``.

Light (no pandas): the form kernels import it. Every write re-checks the link and the rules in one transaction.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from .cycle import Cycle, get_cycle
from .errors import AccessDenied, CycleError, FormError
from .links import LinkGrant, check_grant
from .organisation import load_tree
from .store import audit, now, write_transaction

SEARCH_MIN = 2
SEARCH_LIMIT = 20
REASON_MAX = 500
NOT_OPEN = "Masa usulan rekan penilai tidak sedang dibuka."


@dataclass(frozen=True)
class Colleague:
    """A pegawai as the nomination pages show them: no more than a colleague sees in the rater list."""

    nip: str
    nama: str
    jabatan: str
    unit: str


@dataclass(frozen=True)
class Nomination:
    """One nominated rekan of a ratee and what became of it."""

    id: int
    rekan: Colleague
    status: str               # diusulkan / disetujui / dihapus (kosakata status_nominasi)
    diusulkan_oleh: str
    alasan_hapus: str | None
    diterapkan: str | None


@dataclass(frozen=True)
class NominationState:
    """A ratee's nominations, the limits and where the approval stands."""

    ratee: Colleague
    minimum: int
    maksimum: int
    window_open: bool
    nominations: tuple[Nomination, ...]

    @property
    def stage(self) -> str:
        """'belum' (nothing proposed), 'menunggu' (awaits the atasan) or 'disetujui' (decided)."""
        if not self.nominations:
            return "belum"
        return "menunggu" if any(n.status == "diusulkan" for n in self.nominations) else "disetujui"

    @property
    def approved(self) -> tuple[Nomination, ...]:
        return tuple(n for n in self.nominations if n.status == "disetujui")


# --------------------------------------------------------------------------- the window

def limits(cycle: Cycle) -> tuple[int, int]:
    """Return (minimum, maximum) rekan a pegawai nominates: the anonymity minimum and ``rekan_per_pegawai``."""
    s = cycle.settings
    minimum = int(s.get("minimal_penilai", {}).get("rekan", 3))
    return minimum, max(minimum, int(s.get("rekan_per_pegawai", minimum)))


def window_open(db: Database, cycle_id: int) -> bool:
    """Return whether the cycle's nomination window is open."""
    row = db.execute("SELECT ditutup FROM nominasi_jendela WHERE cycle_id = ?", [int(cycle_id)]).fetchone()
    return row is not None and row[0] is None


def open_window(db: Database, cycle: int | str | None = None, pelaku: str = "cli") -> Cycle:
    """Open (or reopen) the nomination window of an open cycle; return the cycle. Raises CycleError."""
    c = get_cycle(db, cycle)
    if not c.is_open:
        raise CycleError(f"Siklus '{c.nama}' sudah ditutup; masa usulan rekan tidak dapat dibuka")
    if "rekan" not in c.settings["kelompok"]:
        raise CycleError(f"Siklus '{c.nama}' tidak memakai kelompok rekan; tidak ada rekan untuk diusulkan")
    with write_transaction(db):
        if window_open(db, c.id):
            raise CycleError(f"Masa usulan rekan siklus '{c.nama}' sudah terbuka")
        db.execute("INSERT INTO nominasi_jendela (cycle_id, dibuka, dibuka_oleh) VALUES (?, ?, ?) "
                   "ON CONFLICT (cycle_id) DO UPDATE SET dibuka = excluded.dibuka, dibuka_oleh = excluded.dibuka_oleh,"
                   " ditutup = NULL, ditutup_oleh = NULL", [c.id, now(), pelaku])
        audit(db, pelaku, "buka_nominasi", "cycle", c.id)
    return c


def close_window(db: Database, cycle: int | str | None = None, pelaku: str = "cli") -> Cycle:
    """Close the nomination window (pegawai can no longer propose; decisions still can be made)."""
    c = get_cycle(db, cycle)
    with write_transaction(db):
        if not window_open(db, c.id):
            raise CycleError(f"Masa usulan rekan siklus '{c.nama}' tidak sedang dibuka")
        db.execute("UPDATE nominasi_jendela SET ditutup = ?, ditutup_oleh = ? WHERE cycle_id = ?",
                   [now(), pelaku, c.id])
        audit(db, pelaku, "tutup_nominasi", "cycle", c.id)
    return c


# --------------------------------------------------------------------------- reading

def _colleague(db: Database, nip: str) -> Colleague | None:
    r = db.execute("SELECT p.nip, p.nama, p.jabatan, COALESCE(u.nama, p.unit_id) FROM pegawai p "
                   "LEFT JOIN unit u ON u.id = p.unit_id WHERE p.nip = ?", [nip]).fetchone()
    return None if r is None else Colleague(*r)


def _nominations(db: Database, cycle_id: int, ratee: str) -> tuple[Nomination, ...]:
    rows = db.execute(
        "SELECT n.id, p.nip, p.nama, p.jabatan, COALESCE(u.nama, p.unit_id), n.status, n.diusulkan_oleh, "
        "n.alasan_hapus, n.diterapkan FROM nominasi n JOIN pegawai p ON p.nip = n.rekan_nip "
        "LEFT JOIN unit u ON u.id = p.unit_id WHERE n.cycle_id = ? AND n.ratee_nip = ? ORDER BY p.nama, p.nip",
        [cycle_id, ratee]).fetchall()
    return tuple(Nomination(r[0], Colleague(*r[1:5]), r[5], r[6], r[7], r[8]) for r in rows)


def state(db: Database, cycle: Cycle, ratee: str) -> NominationState:
    """Return a ratee's nominations and limits (no access check: callers check first)."""
    person = _colleague(db, ratee)
    if person is None:
        raise FormError(f"NIP {ratee} tidak ada dalam data pegawai")
    low, high = limits(cycle)
    return NominationState(person, low, high, window_open(db, cycle.id), _nominations(db, cycle.id, ratee))


def _eligible_sql(db: Database, ratee: str) -> tuple[str, list[Any], set[str]]:
    """Return the WHERE clause (and its parameters) of the colleagues a ratee may have as rekan, and their units."""
    r = db.execute("SELECT unit_id, tingkat, kepala_unit, atasan_nip FROM pegawai WHERE nip = ?", [ratee]).fetchone()
    if r is None:
        raise FormError(f"NIP {ratee} tidak ada dalam data pegawai")
    unit, tingkat, kepala, atasan = r
    tree = load_tree(db)
    root = tree.root(unit)
    units = tree.subtree(root) | {root}
    return ("p.aktif = 1 AND p.nip <> ? AND p.tingkat = ? AND p.kepala_unit = ? "
            "AND p.nip IS NOT ? AND COALESCE(p.atasan_nip, '') <> ?",
            [ratee, tingkat, kepala, atasan, ratee], units)


def eligible(db: Database, ratee: str, nips: Iterable[str]) -> set[str]:
    """Return which of ``nips`` the ratee may have as nominated rekan."""
    where, params, units = _eligible_sql(db, ratee)
    wanted = list(dict.fromkeys(str(n) for n in nips))
    if not wanted:
        return set()
    marks = ", ".join("?" * len(wanted))
    rows = db.execute(f"SELECT p.nip, p.unit_id FROM pegawai p WHERE {where} AND p.nip IN ({marks})",
                      params + wanted).fetchall()
    return {nip for nip, unit in rows if unit in units}


def search(db: Database, ratee: str, text: str) -> list[Colleague]:
    """Return up to SEARCH_LIMIT eligible colleagues of the ratee whose name contains ``text`` (any case).

    Fewer than SEARCH_MIN letters find nothing: nobody lists a whole perangkat daerah this way.
    """
    needle = " ".join(str(text or "").split()).casefold()
    if len(needle) < SEARCH_MIN:
        return []
    where, params, units = _eligible_sql(db, ratee)
    rows = db.execute(
        f"SELECT p.nip, p.nama, p.jabatan, COALESCE(u.nama, p.unit_id), p.unit_id FROM pegawai p "
        f"LEFT JOIN unit u ON u.id = p.unit_id WHERE {where} ORDER BY p.nama, p.nip", params).fetchall()
    found = [Colleague(*r[:4]) for r in rows if r[4] in units and needle in str(r[1]).casefold()]
    return found[:SEARCH_LIMIT]


# --------------------------------------------------------------------------- the ratee

@contextlib.contextmanager
def _write(db: Database) -> Iterator[Database]:
    from .form_service import ensure_same_file

    ensure_same_file(db)
    with write_transaction(db):
        yield db
        ensure_same_file(db)


def _personal(db: Database, grant: LinkGrant, touch: bool = False) -> Cycle:
    if grant.jenis != "penilai":
        raise AccessDenied()
    check_grant(db, grant, "penilai", touch=touch)
    return get_cycle(db, grant.cycle_id)


def my_state(db: Database, grant: LinkGrant) -> NominationState:
    """Return the link owner's own nominations. Raises AccessDenied for an unusable link."""
    cycle = _personal(db, grant)
    return state(db, cycle, grant.rater_nip)


def nominate(db: Database, grant: LinkGrant, nips: Iterable[str]) -> NominationState:
    """Record the link owner's nominated rekan (replacing an undecided earlier list) and return the state.

    Raises FormError when the window is closed, the atasan already decided, a NIP is not eligible, or the
    number is outside the limits; AccessDenied for an unusable link.
    """
    chosen = list(dict.fromkeys(str(n).strip() for n in nips))
    with _write(db):
        cycle = _personal(db, grant, touch=True)
        ratee = grant.rater_nip
        if not window_open(db, cycle.id):
            raise FormError(NOT_OPEN)
        current = _nominations(db, cycle.id, ratee)
        if any(n.status != "diusulkan" for n in current):
            raise FormError("Atasan Anda sudah memutuskan usulan ini; usulan tidak dapat diubah lagi.")
        low, high = limits(cycle)
        if not low <= len(chosen) <= high:
            raise FormError(f"Usulkan paling sedikit {low} dan paling banyak {high} rekan; Anda memilih {len(chosen)}.")
        refused = [n for n in chosen if n not in eligible(db, ratee, chosen)]
        if refused:
            raise FormError("Pegawai berikut tidak dapat diusulkan sebagai rekan penilai Anda: "
                            + ", ".join(refused))
        stamp = now()
        db.execute("DELETE FROM nominasi WHERE cycle_id = ? AND ratee_nip = ? AND status = 'diusulkan'",
                   [cycle.id, ratee])
        db.conn.executemany(
            "INSERT INTO nominasi (cycle_id, ratee_nip, rekan_nip, status, diusulkan, diusulkan_oleh) "
            "VALUES (?, ?, ?, 'diusulkan', ?, ?)", [(cycle.id, ratee, n, stamp, grant.pelaku) for n in chosen])
        audit(db, grant.pelaku, "usulkan_rekan", "pegawai", ratee, cycle_id=cycle.id, rekan=chosen,
              sebelumnya=[n.rekan.nip for n in current])
    return state(db, cycle, ratee)


# --------------------------------------------------------------------------- the atasan

def bawahan_states(db: Database, grant: LinkGrant) -> list[NominationState]:
    """Return the nominations of each direct bawahan of the link owner who has proposed any, by name."""
    cycle = _personal(db, grant)
    nips = [r[0] for r in db.execute(
        "SELECT DISTINCT n.ratee_nip FROM nominasi n JOIN pegawai p ON p.nip = n.ratee_nip "
        "WHERE n.cycle_id = ? AND p.atasan_nip = ? AND p.aktif = 1 ORDER BY p.nama", [cycle.id, grant.rater_nip])]
    return [state(db, cycle, nip) for nip in nips]


def _decide(db: Database, cycle: Cycle, atasan: str, ratee: str, remove: Mapping[str, str], add: Iterable[str],
            pelaku: str, oleh: str) -> NominationState:
    """Approve a ratee's nominations (inside the caller's transaction): keep the rest, remove, add."""
    row = db.execute("SELECT atasan_nip FROM pegawai WHERE nip = ? AND aktif = 1", [ratee]).fetchone()
    if ratee == atasan or row is None or row[0] != atasan:
        raise FormError("Hanya atasan langsung pegawai ini yang dapat menyetujui usulan rekannya.")
    current = {n.rekan.nip: n for n in _nominations(db, cycle.id, ratee)}
    if not current:
        raise FormError("Pegawai ini belum mengusulkan rekan penilai.")
    if all(n.status != "diusulkan" for n in current.values()):
        raise FormError("Usulan rekan pegawai ini sudah disetujui.")
    remove = {str(k): " ".join(str(v or "").split()) for k, v in remove.items()}
    unknown = [n for n in remove if n not in current or current[n].status != "diusulkan"]
    if unknown:
        raise FormError("Hanya rekan yang diusulkan yang dapat dihapus: " + ", ".join(unknown))
    if any(not reason for reason in remove.values()):
        raise FormError("Tuliskan alasan untuk setiap rekan yang dihapus dari usulan.")
    if any(len(reason) > REASON_MAX for reason in remove.values()):
        raise FormError(f"Alasan paling banyak {REASON_MAX} karakter.")
    added = [n for n in dict.fromkeys(str(a).strip() for a in add) if n not in current]
    refused = [n for n in added if n not in eligible(db, ratee, added)]
    if refused:
        raise FormError("Pegawai berikut tidak dapat menjadi rekan penilai pegawai ini: " + ", ".join(refused))
    kept = [n for n, nom in current.items() if nom.status == "diusulkan" and n not in remove]
    low, high = limits(cycle)
    total = len(kept) + len(added)
    if not low <= total <= high:
        raise FormError(f"Setelah perubahan ada {total} rekan; yang disetujui harus {low} sampai {high} rekan "
                        f"(minimal anonimitas {low}).")
    stamp = now()
    db.conn.executemany("UPDATE nominasi SET status = 'disetujui', diputuskan = ?, diputuskan_oleh = ? WHERE id = ?",
                        [(stamp, oleh, current[n].id) for n in kept])
    db.conn.executemany("UPDATE nominasi SET status = 'dihapus', alasan_hapus = ?, diputuskan = ?, "
                        "diputuskan_oleh = ? WHERE id = ?",
                        [(reason, stamp, oleh, current[n].id) for n, reason in remove.items()])
    db.conn.executemany(
        "INSERT INTO nominasi (cycle_id, ratee_nip, rekan_nip, status, diusulkan, diusulkan_oleh, diputuskan, "
        "diputuskan_oleh) VALUES (?, ?, ?, 'disetujui', ?, ?, ?, ?)",
        [(cycle.id, ratee, n, stamp, oleh, stamp, oleh) for n in added])
    audit(db, pelaku, "setujui_usulan_rekan", "pegawai", ratee, cycle_id=cycle.id, atasan=atasan, disetujui=kept,
          dihapus=remove, ditambah=added)
    return state(db, cycle, ratee)


def approve(db: Database, grant: LinkGrant, ratee: str, *, remove: Mapping[str, str] | None = None,
            add: Iterable[str] = ()) -> NominationState:
    """Approve a direct bawahan's nominations as their atasan, removing (with reasons) or adding rekan.

    Raises FormError when ``ratee`` is not the link owner's direct bawahan (or is the owner), when nothing
    awaits approval, or when the approved number falls outside the limits; AccessDenied for an unusable link.
    """
    with _write(db):
        cycle = _personal(db, grant, touch=True)
        return _decide(db, cycle, grant.rater_nip, str(ratee), remove or {}, add, grant.pelaku, grant.pelaku)


def approve_for_atasan(db: Database, cycle: int | str | None, ratee: str, admin: str, *,
                       remove: Mapping[str, str] | None = None, add: Iterable[str] = ()) -> NominationState:
    """Approve on behalf of an absent atasan: the admin ``admin`` is named in the record and the audit log.

    Raises FormError as :func:`approve`, and when the ratee has no atasan in the roster.
    """
    admin = " ".join(str(admin or "").split())
    if not admin:
        raise FormError("Sebutkan nama admin yang menyetujui atas nama atasan (--admin).")
    c = get_cycle(db, cycle)
    if not c.is_open:
        raise CycleError(f"Siklus '{c.nama}' sudah ditutup; usulan rekan tidak dapat diputus lagi")
    with write_transaction(db):
        row = db.execute("SELECT atasan_nip FROM pegawai WHERE nip = ?", [str(ratee)]).fetchone()
        if row is None or row[0] is None:
            raise FormError(f"Pegawai {ratee} tidak mempunyai atasan dalam data pegawai.")
        oleh = f"admin:{admin} a.n. {row[0]}"
        return _decide(db, c, row[0], str(ratee), remove or {}, add, oleh, oleh)


# --------------------------------------------------------------------------- the admin's view

@dataclass(frozen=True)
class NominationRow:
    """One pegawai's nomination stage for the admin's list."""

    nip: str
    nama: str
    unit: str
    atasan: str | None
    stage: str            # belum / menunggu / disetujui
    diusulkan: int
    disetujui: int
    dihapus: int
    diterapkan: int


def overview(db: Database, cycle: int | str | None = None) -> list[NominationRow]:
    """Return every active pegawai rated in the cycle (or who nominated) with their nomination stage."""
    c = get_cycle(db, cycle)
    rows = db.execute(
        "SELECT p.nip, p.nama, COALESCE(u.nama, p.unit_id), a.nama, "
        "SUM(n.status = 'diusulkan'), SUM(n.status = 'disetujui'), SUM(n.status = 'dihapus'), "
        "SUM(n.diterapkan IS NOT NULL), COUNT(n.id) "
        "FROM pegawai p LEFT JOIN unit u ON u.id = p.unit_id LEFT JOIN pegawai a ON a.nip = p.atasan_nip "
        "LEFT JOIN nominasi n ON n.cycle_id = ? AND n.ratee_nip = p.nip "
        "WHERE p.aktif = 1 AND (n.id IS NOT NULL OR EXISTS (SELECT 1 FROM assignment s WHERE s.cycle_id = ? "
        "AND s.ratee_nip = p.nip AND s.aktif = 1)) "
        "GROUP BY p.nip ORDER BY 3, p.nama, p.nip", [c.id, c.id]).fetchall()
    out = []
    for nip, nama, unit, atasan, pending, approved, removed, applied, count in rows:
        stage = "belum" if not count else ("menunggu" if pending else "disetujui")
        out.append(NominationRow(nip, nama, unit, atasan, stage, int(pending or 0), int(approved or 0),
                                 int(removed or 0), int(applied or 0)))
    return out


def approved_not_applied(db: Database, cycle_id: int) -> list[tuple[int, str, str, str, str]]:
    """Return (id, ratee, rekan, decided by, decided at) of approved nominations not yet assignments."""
    return [tuple(r) for r in db.execute(
        "SELECT n.id, n.ratee_nip, n.rekan_nip, n.diputuskan_oleh, n.diputuskan FROM nominasi n "
        "JOIN pegawai r ON r.nip = n.ratee_nip WHERE n.cycle_id = ? AND n.status = 'disetujui' "
        "AND n.diterapkan IS NULL AND NOT EXISTS (SELECT 1 FROM nominasi m WHERE m.cycle_id = n.cycle_id "
        "AND m.ratee_nip = n.ratee_nip AND m.status = 'diusulkan') ORDER BY n.ratee_nip, n.id", [int(cycle_id)])]


def mark_applied(db: Database, ids: Iterable[int], stamp: str) -> None:
    """Record that these nominations became assignments (inside the caller's transaction)."""
    db.conn.executemany("UPDATE nominasi SET diterapkan = ? WHERE id = ?", [(stamp, int(i)) for i in ids])


def list_page_flags(db: Database, grant: LinkGrant) -> tuple[bool, int]:
    """Return (show the 'Usulkan rekan penilai' entry, how many bawahan await the owner's approval)."""
    cycle = _personal(db, grant)
    mine = db.execute("SELECT 1 FROM nominasi WHERE cycle_id = ? AND ratee_nip = ? LIMIT 1",
                      [cycle.id, grant.rater_nip]).fetchone() is not None
    waiting = db.execute(
        "SELECT COUNT(DISTINCT n.ratee_nip) FROM nominasi n JOIN pegawai p ON p.nip = n.ratee_nip "
        "WHERE n.cycle_id = ? AND p.atasan_nip = ? AND p.aktif = 1 AND n.status = 'diusulkan'",
        [cycle.id, grant.rater_nip]).fetchone()[0]
    return mine or window_open(db, cycle.id), int(waiting)
