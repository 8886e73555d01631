"""A pegawai's objection (keberatan) to a decided predikat kinerja, and its decision.

The route and the deadlines are data (``data/referensi/keberatan.yaml``, local policy: PermenPANRB 6/2022 does
not set them). A pegawai objects within ``tenggat_pengajuan_hari`` days of the decision; the objection goes to
the atasan of the Pejabat Penilai Kinerja, who decides within ``tenggat_keputusan_hari`` days (a late decision is
still recorded, and marked late). Accepting may change either rating: the new ratings replace the decided ones
(sumber 'keberatan'), the old ones stay in the objection's record. Every step is dated and audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlite_utils import Database

from .cycle import get_cycle
from .errors import AccessDenied, KinerjaError, ReferenceDataError
from .links import LinkGrant, check_grant
from .predikat import predikat_kinerja
from .reference import _load
from .store import audit, write_transaction
from .vocabulary import VOCAB

if TYPE_CHECKING:  # pandas stays out of the form kernels, which read objections through this module
    import pandas as pd

DIAJUKAN, DITERIMA, DITOLAK, DITARIK = VOCAB.status_keberatan.codes

#: The longest reason or decision text accepted, in characters (a Textarea has no limit of its own).
TEXT_LIMIT = 2000


class KeberatanError(KinerjaError, ValueError):
    """An objection or a decision that the route does not allow."""


@dataclass(frozen=True)
class Route:
    """The objection route: deadlines in calendar days, who decides, and the source of the rule."""

    versi: str
    sumber: str
    tenggat_pengajuan_hari: int
    tenggat_keputusan_hari: int
    pemutus: str


@lru_cache(maxsize=8)
def load_route(directory: Path | None = None) -> Route:
    """Return the objection route; raises ReferenceDataError naming the key that is wrong."""
    name = "keberatan.yaml"
    data = _load(name, directory)
    days = {}
    for key in ("tenggat_pengajuan_hari", "tenggat_keputusan_hari"):
        value = data.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 366:
            raise ReferenceDataError(f"{name}: '{key}' harus bilangan bulat 1..366 (hari kalender)")
        days[key] = value
    if data.get("pemutus") != "atasan_pejabat_penilai":
        raise ReferenceDataError(f"{name}: 'pemutus' yang dikenal: atasan_pejabat_penilai")
    for key in ("versi", "sumber"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise ReferenceDataError(f"{name}: '{key}' wajib diisi")
    return Route(data["versi"], data["sumber"], days["tenggat_pengajuan_hari"], days["tenggat_keputusan_hari"],
                 data["pemutus"])


def _text(value: str | None, what: str) -> str:
    """Return the text with its whitespace collapsed; raises KeberatanError when empty or too long."""
    text = " ".join(str(value or "").split())
    if not text:
        raise KeberatanError(f"{what} wajib diisi")
    if len(text) > TEXT_LIMIT:
        raise KeberatanError(f"{what} terlalu panjang: {len(text)} karakter, paling banyak {TEXT_LIMIT}")
    return text


def _unknown(keberatan_id) -> KeberatanError:
    """The one refusal for an objection that does not exist or is not the link owner's to act on."""
    return KeberatanError(f"Keberatan nomor {keberatan_id} tidak ditemukan")


def _personal(db: Database, grant: LinkGrant, touch: bool = False) -> str:
    """Return the NIP of a usable personal link's pegawai; raises AccessDenied otherwise."""
    if grant.jenis != "penilai" or not grant.rater_nip:
        raise AccessDenied()
    check_grant(db, grant, "penilai", touch=touch)
    return grant.rater_nip


def _stamp(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment  # stored times are UTC


def lodge_deadline(decided_at: str, route: Route | None = None) -> datetime:
    """Return the last moment (UTC) to object to a predikat decided at ``decided_at``.

    >>> lodge_deadline("2027-01-10T02:00:00+00:00", load_route()).isoformat()
    '2027-01-24T02:00:00+00:00'
    """
    return _stamp(decided_at) + timedelta(days=(route or load_route()).tenggat_pengajuan_hari)


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)


def _decided(db: Database, cycle_id: int, nip: str) -> tuple[str, str, str, str | None]:
    """Return (rating hasil kerja, rating perilaku, when decided, Pejabat Penilai NIP) of a decided predikat."""
    row = db.execute(
        "SELECT h.rating, p.rating, max(h.diperbarui, p.diperbarui), coalesce(p.penilai_nip, h.penilai_nip, "
        "(SELECT atasan_nip FROM pegawai WHERE nip = p.nip)) FROM rating_hasil_kerja h "
        "JOIN rating_perilaku p ON p.cycle_id = h.cycle_id AND p.nip = h.nip WHERE h.cycle_id = ? AND h.nip = ?",
        [cycle_id, nip]).fetchone()
    if row is None:
        raise KeberatanError(f"Pegawai {nip} belum punya predikat yang ditetapkan pada siklus ini; keberatan "
                             "hanya dapat diajukan atas predikat yang sudah ditetapkan Pejabat Penilai Kinerja")
    return row[0], row[1], row[2], row[3]


def lodge(db: Database, cycle: int | str | None, nip: str, alasan: str, *, pelaku: str,
          now: datetime | None = None, route: Route | None = None, grant: LinkGrant | None = None) -> int:
    """Record a pegawai's objection to their decided predikat and return its id.

    With ``grant`` (the pegawai's own personal link) the link is re-checked in the same transaction and must
    belong to ``nip`` in that cycle. Raises KeberatanError when the pegawai has no decided predikat, the deadline
    has passed, an objection is already open, the reason is empty or too long, or there is no atasan of the
    Pejabat Penilai to decide; AccessDenied for an unusable link.
    """
    route = route or load_route()
    c = get_cycle(db, cycle)
    text = _text(alasan, "Alasan keberatan")
    moment = _now(now)
    with write_transaction(db):
        if grant is not None and (_personal(db, grant, touch=True) != nip or grant.cycle_id != c.id):
            raise KeberatanError("Keberatan hanya dapat diajukan oleh pegawai yang bersangkutan")
        hasil, perilaku, decided_at, penilai = _decided(db, c.id, nip)
        deadline = lodge_deadline(decided_at, route)
        if moment > deadline:
            raise KeberatanError(f"Tenggat pengajuan keberatan sudah lewat: {route.tenggat_pengajuan_hari} hari sejak "
                                 f"predikat ditetapkan ({decided_at[:10]}), berakhir {deadline.date().isoformat()} "
                                 f"[{route.sumber}]")
        if db.execute("SELECT 1 FROM keberatan WHERE cycle_id = ? AND nip = ? AND status = ?",
                      [c.id, nip, DIAJUKAN]).fetchone():
            raise KeberatanError(f"Pegawai {nip} sudah punya keberatan yang menunggu keputusan pada siklus ini")
        row = db.execute("SELECT atasan_nip FROM pegawai WHERE nip = ?", [penilai]).fetchone() if penilai else None
        if not row or not row[0]:
            raise KeberatanError("Pejabat Penilai Kinerja pegawai ini tidak punya atasan di daftar pegawai; isi "
                                 "NIP Atasan-nya agar keberatan dapat diputus")
        decide_by = (moment + timedelta(days=route.tenggat_keputusan_hari)).isoformat()
        cur = db.execute(
            "INSERT INTO keberatan (cycle_id, nip, rating_hasil_kerja, rating_perilaku, ditetapkan, alasan, diajukan, "
            "diajukan_oleh, tenggat_keputusan, penilai_nip, pemutus_nip, status) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [c.id, nip, hasil, perilaku, decided_at, text, moment.isoformat(), pelaku, decide_by, penilai, row[0],
             DIAJUKAN])
        audit(db, pelaku, "ajukan_keberatan", "keberatan", cur.lastrowid, nip=nip, cycle_id=c.id,
              predikat=predikat_kinerja(hasil, perilaku), pemutus=row[0])
    return int(cur.lastrowid)


def decide(db: Database, keberatan_id: int, diterima: bool, keputusan: str, *, pemutus_nip: str, pelaku: str,
           rating_hasil_kerja: str | None = None, rating_perilaku: str | None = None,
           now: datetime | None = None, grant: LinkGrant | None = None) -> str:
    """Record the decision on an open objection and return the resulting predikat.

    Only the objection's decider (the atasan of the Pejabat Penilai) may decide. Accepting with a new rating
    replaces the decided rating (sumber 'keberatan'); accepting without one, or refusing, leaves the ratings.
    With ``grant`` (the decider's personal link, re-checked in the same transaction) an objection of another
    decider or another cycle is refused exactly like an unknown number. Raises KeberatanError otherwise.
    """
    text = _text(keputusan, "Uraian keputusan")
    for value in (rating_hasil_kerja, rating_perilaku):
        if value is not None and value not in VOCAB.rating:
            raise KeberatanError(f"Rating '{value}' tidak dikenal; pilihan: {VOCAB.rating.choices()}")
    if not diterima and (rating_hasil_kerja or rating_perilaku):
        raise KeberatanError("Keberatan yang ditolak tidak mengubah rating")
    moment = _now(now).isoformat()
    with write_transaction(db):
        row = db.execute("SELECT cycle_id, nip, status, pemutus_nip, rating_hasil_kerja, rating_perilaku "
                         "FROM keberatan WHERE id = ?", [int(keberatan_id)]).fetchone()
        if grant is not None:
            owner = _personal(db, grant, touch=True)
            if row is None or owner != pemutus_nip or row[3] != owner or row[0] != grant.cycle_id:
                raise _unknown(keberatan_id)
        if row is None:
            raise _unknown(keberatan_id)
        cycle_id, nip, status, pemutus, hasil, perilaku = row
        if status != DIAJUKAN:
            raise KeberatanError(f"Keberatan nomor {keberatan_id} sudah {VOCAB.status_keberatan.label(status).lower()}")
        if pemutus_nip != pemutus:
            raise KeberatanError(f"Keberatan nomor {keberatan_id} diputus oleh atasan Pejabat Penilai Kinerja "
                                 f"(NIP {pemutus}), bukan NIP {pemutus_nip}")
        new_hasil, new_perilaku = rating_hasil_kerja or hasil, rating_perilaku or perilaku
        db.execute("UPDATE keberatan SET status = ?, keputusan = ?, rating_hasil_kerja_baru = ?, "
                   "rating_perilaku_baru = ?, diputuskan = ?, diputuskan_oleh = ? WHERE id = ?",
                   [DITERIMA if diterima else DITOLAK, text, rating_hasil_kerja, rating_perilaku, moment,
                    pemutus_nip, int(keberatan_id)])
        for table, value in (("rating_hasil_kerja", rating_hasil_kerja), ("rating_perilaku", rating_perilaku)):
            if value is not None:
                db.execute(f"UPDATE {table} SET rating = ?, sumber = 'keberatan', diperbarui = ? "
                           "WHERE cycle_id = ? AND nip = ?", [value, moment, cycle_id, nip])
        audit(db, pelaku, "putuskan_keberatan", "keberatan", keberatan_id, nip=nip, cycle_id=cycle_id,
              diterima=diterima, pemutus=pemutus_nip, sebelumnya=predikat_kinerja(hasil, perilaku),
              predikat=predikat_kinerja(new_hasil, new_perilaku))
    return predikat_kinerja(new_hasil, new_perilaku)


def withdraw(db: Database, keberatan_id: int, *, pelaku: str, now: datetime | None = None,
             grant: LinkGrant | None = None) -> None:
    """Record that the pegawai withdrew an open objection. Raises KeberatanError when it is not open.

    With ``grant`` (the pegawai's own link, re-checked in the same transaction) another pegawai's objection is
    refused with the same message.
    """
    with write_transaction(db):
        row = db.execute("SELECT nip, status, cycle_id FROM keberatan WHERE id = ?", [int(keberatan_id)]).fetchone()
        mine = grant is None or (row is not None and row[0] == _personal(db, grant, touch=True)
                                 and row[2] == grant.cycle_id)
        if row is None or row[1] != DIAJUKAN or not mine:
            raise KeberatanError(f"Keberatan nomor {keberatan_id} tidak sedang menunggu keputusan")
        db.execute("UPDATE keberatan SET status = ?, diputuskan = ? WHERE id = ?",
                   [DITARIK, _now(now).isoformat(), int(keberatan_id)])
        audit(db, pelaku, "tarik_keberatan", "keberatan", keberatan_id, nip=row[0])


@dataclass(frozen=True)
class Objection:
    """One objection as its pegawai or its decider sees it (plain data: the forms read this, never pandas)."""

    id: int
    nip: str
    nama: str
    unit: str
    status: str
    predikat: str
    predikat_baru: str | None
    alasan: str
    diajukan: str
    tenggat_keputusan: str
    keputusan: str | None
    diputuskan: str | None
    terlambat: bool


@dataclass(frozen=True)
class Standing:
    """A pegawai's decided predikat in a cycle, the last moment to object (UTC), and their objections."""

    predikat: str
    ditetapkan: str
    tenggat_pengajuan: datetime
    lewat_tenggat: bool
    objections: tuple[Objection, ...]

    @property
    def terbuka(self) -> Objection | None:
        """The objection that waits for a decision, if any."""
        return next((o for o in self.objections if o.status == DIAJUKAN), None)

    @property
    def dapat_diajukan(self) -> bool:
        """Whether an objection may be lodged now: within the deadline and none open."""
        return not self.lewat_tenggat and self.terbuka is None


_OBJECTION_SQL = (
    "SELECT k.id, k.nip, p.nama, u.nama, k.status, k.rating_hasil_kerja, k.rating_perilaku, k.rating_hasil_kerja_baru, "
    "k.rating_perilaku_baru, k.alasan, k.diajukan, k.tenggat_keputusan, k.keputusan, k.diputuskan FROM keberatan k "
    "JOIN pegawai p ON p.nip = k.nip JOIN unit u ON u.id = p.unit_id ")


def _objection(row, moment: str) -> Objection:
    (id_, nip, nama, unit, status, hasil, perilaku, hasil_baru, perilaku_baru, alasan, diajukan, tenggat,
     keputusan, diputuskan) = row
    baru = predikat_kinerja(hasil_baru or hasil, perilaku_baru or perilaku) if status == DITERIMA else None
    late = status in (DIAJUKAN, DITERIMA, DITOLAK) and (diputuskan or moment) > tenggat
    return Objection(int(id_), nip, nama, unit, status, predikat_kinerja(hasil, perilaku), baru, alasan, diajukan,
                     tenggat, keputusan, diputuskan, late)


def own_standing(db: Database, grant: LinkGrant, *, now: datetime | None = None,
                 route: Route | None = None) -> Standing | None:
    """Return the link owner's decided predikat in the link's cycle with the deadline and their objections, or
    None while no predikat is decided (read-only). Raises AccessDenied for an unusable personal link."""
    nip = _personal(db, grant)
    try:
        hasil, perilaku, decided_at, _penilai = _decided(db, grant.cycle_id, nip)
    except KeberatanError:
        return None
    moment = _now(now)
    deadline = lodge_deadline(decided_at, route)
    rows = db.execute(_OBJECTION_SQL + "WHERE k.cycle_id = ? AND k.nip = ? ORDER BY k.id DESC",
                      [grant.cycle_id, nip]).fetchall()
    return Standing(predikat_kinerja(hasil, perilaku), decided_at, deadline, moment > deadline,
                    tuple(_objection(r, moment.isoformat()) for r in rows))


def awaiting(db: Database, grant: LinkGrant, *, now: datetime | None = None) -> list[Objection]:
    """Return the open objections in the link's cycle that the link owner is to decide, earliest deadline first
    (read-only). Raises AccessDenied for an unusable personal link."""
    nip = _personal(db, grant)
    moment = _now(now).isoformat()
    rows = db.execute(_OBJECTION_SQL + "WHERE k.cycle_id = ? AND k.pemutus_nip = ? AND k.status = ? "
                      "ORDER BY k.tenggat_keputusan, k.id", [grant.cycle_id, nip, DIAJUKAN]).fetchall()
    return [_objection(r, moment) for r in rows]


def decided_by(db: Database, grant: LinkGrant, *, now: datetime | None = None) -> list[Objection]:
    """Return the objections in the link's cycle that the link owner has decided, latest decision first
    (read-only). Raises AccessDenied for an unusable personal link."""
    nip = _personal(db, grant)
    moment = _now(now).isoformat()
    rows = db.execute(_OBJECTION_SQL + "WHERE k.cycle_id = ? AND k.pemutus_nip = ? AND k.status IN (?, ?) "
                      "ORDER BY k.diputuskan DESC, k.id DESC", [grant.cycle_id, nip, DITERIMA, DITOLAK]).fetchall()
    return [_objection(r, moment) for r in rows]


def objections(db: Database, cycle: int | str | None = None, *, now: datetime | None = None) -> pd.DataFrame:
    """Return the cycle's objections with names, the predikat before and after, and ``terlambat`` (the
    decision is or was later than its deadline)."""
    import pandas as pd

    c = get_cycle(db, cycle)
    cur = db.execute(
        "SELECT k.id, k.nip, p.nama, k.status, k.rating_hasil_kerja, k.rating_perilaku, k.rating_hasil_kerja_baru, "
        "k.rating_perilaku_baru, k.alasan, k.diajukan, k.tenggat_keputusan, k.pemutus_nip, m.nama AS pemutus, "
        "k.keputusan, k.diputuskan FROM keberatan k JOIN pegawai p ON p.nip = k.nip "
        "LEFT JOIN pegawai m ON m.nip = k.pemutus_nip WHERE k.cycle_id = ? ORDER BY k.id", [c.id])
    out = pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description])
    moment = _now(now).isoformat()
    out["predikat"] = [predikat_kinerja(h, p) for h, p in zip(out["rating_hasil_kerja"], out["rating_perilaku"])]
    out["predikat_baru"] = [predikat_kinerja(h2 or h, p2 or p) if s == DITERIMA else None for h, p, h2, p2, s in zip(
        out["rating_hasil_kerja"], out["rating_perilaku"], out["rating_hasil_kerja_baru"], out["rating_perilaku_baru"],
        out["status"])]
    out["terlambat"] = [(d or moment) > t for d, t in zip(out["diputuskan"], out["tenggat_keputusan"])] \
        if len(out) else pd.Series(dtype=bool)
    return out
