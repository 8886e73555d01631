"""Umpan Balik Berkelanjutan and Ekspektasi per pegawai (PermenPANRB 6/2022): what is stored and who may write it.

An atasan records dialog notes with each direct bawahan (the roster's ``atasan_nip``) through the performance
year; the pegawai reads and acknowledges them, and may answer. A note may be edited by its author until it is
acknowledged; after that it is fixed (the schema's triggers refuse a change too), and a correction is a new note.
The atasan also sets an Ekspektasi per BerAKHLAK value for each bawahan and year, shown in that pegawai's rating
form beside the unit's Ekspektasi Khusus Pimpinan. Every write is one ``BEGIN IMMEDIATE`` transaction, re-checks
the personal link when one is given, and is audited. This module imports neither pandas nor ipywidgets (form
kernels use it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlite_utils import Database

from .cycle import get_cycle
from .errors import AccessDenied, KinerjaError
from .instansi import load_instansi
from .links import LinkGrant, check_grant
from .reference import load_instrument
from .store import audit, now, write_transaction

#: Longest text accepted in one field of a note (a dialog summary, not a document).
MAX_TEKS = 2000
MAX_SKP = 300

NOT_YOUR_BAWAHAN = "Pegawai ini bukan bawahan langsung Anda menurut daftar pegawai."
LOCKED = ("Catatan ini sudah dikonfirmasi pegawai dan tidak dapat diubah lagi. Untuk meralat, buat catatan "
          "baru.")


class UmpanBalikError(KinerjaError, ValueError):
    """A feedback note or an Ekspektasi that the rules do not allow (not one's bawahan, locked, invalid)."""


@dataclass(frozen=True)
class Bawahan:
    """A direct bawahan as the atasan's list shows them."""

    nip: str
    nama: str
    jabatan: str
    unit: str


@dataclass(frozen=True)
class Note:
    """One feedback note: the dialog, the agreed follow-up, and the pegawai's acknowledgement."""

    id: int
    tahun: int
    nip: str
    nama: str
    atasan_nip: str
    atasan_nama: str
    tanggal: str
    topik: str
    tindak_lanjut: str
    nilai: str | None
    butir_skp: str | None
    dibuat: str
    diperbarui: str
    dikonfirmasi: str | None
    tanggapan: str | None

    @property
    def locked(self) -> bool:
        """Acknowledged by the pegawai: fixed for good."""
        return self.dikonfirmasi is not None


_NOTE_SQL = ("SELECT u.id, u.tahun, u.nip, p.nama, u.atasan_nip, a.nama, u.tanggal, u.topik, u.tindak_lanjut, "
             "u.nilai, u.butir_skp, u.dibuat, u.diperbarui, u.dikonfirmasi, u.tanggapan FROM umpan_balik u "
             "JOIN pegawai p ON p.nip = u.nip JOIN pegawai a ON a.nip = u.atasan_nip ")


def _check_grant(db: Database, grant: LinkGrant | None, nip: str) -> None:
    """Inside a write transaction: the link is usable and belongs to ``nip``."""
    if grant is None:
        return
    check_grant(db, grant, "penilai")
    if grant.rater_nip != nip:
        raise UmpanBalikError("Tautan ini bukan milik pegawai tersebut.")


def _require_bawahan(db: Database, atasan_nip: str, nip: str) -> None:
    row = db.execute("SELECT atasan_nip, aktif FROM pegawai WHERE nip = ?", [str(nip)]).fetchone()
    if row is None or row[0] != atasan_nip or row[1] != 1:
        raise UmpanBalikError(NOT_YOUR_BAWAHAN)


def _text(value: Any, label: str, limit: int, required: bool) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise UmpanBalikError(f"{label} harus berupa teks.")
    text = value.strip()
    if required and not text:
        raise UmpanBalikError(f"{label} wajib diisi.")
    if len(text) > limit:
        raise UmpanBalikError(f"{label} terlalu panjang: {len(text)} karakter, paling banyak {limit}.")
    return text


def _date(value: Any) -> str:
    """Return the dialog date as ISO text; it may not lie in the future (instansi's zone)."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip()[:10])
        except ValueError:
            raise UmpanBalikError("Tanggal dialog tidak valid.") from None
    if not isinstance(value, date):
        raise UmpanBalikError("Tanggal dialog wajib diisi.")
    if value > load_instansi().today():
        raise UmpanBalikError("Tanggal dialog tidak boleh sesudah hari ini.")
    return value.isoformat()[:10]


def _nilai(value: Any) -> str | None:
    if value in (None, ""):
        return None
    codes = load_instrument().value_names()
    if value not in codes:
        raise UmpanBalikError(f"Nilai BerAKHLAK '{value}' tidak dikenal; pilihan: {', '.join(codes)}.")
    return str(value)


def _fields(tanggal: Any, topik: Any, tindak_lanjut: Any, nilai: Any, butir_skp: Any,
            tahun: int | None = None) -> dict[str, Any]:
    iso = _date(tanggal)
    if tahun is not None and int(iso[:4]) != int(tahun):
        raise UmpanBalikError(f"Tanggal dialog harus dalam tahun kinerja {tahun}.")
    return {"tanggal": iso, "tahun": int(iso[:4]), "topik": _text(topik, "Hal yang dibahas", MAX_TEKS, True),
            "tindak_lanjut": _text(tindak_lanjut, "Tindak lanjut yang disepakati", MAX_TEKS, False),
            "nilai": _nilai(nilai), "butir_skp": _text(butir_skp, "Butir SKP", MAX_SKP, False) or None}


# --------------------------------------------------------------------------- reading

def atasan_of(db: Database, nip: str) -> str | None:
    """Return the NIP of a pegawai's direct atasan in the roster, or None."""
    row = db.execute("SELECT atasan_nip FROM pegawai WHERE nip = ?", [str(nip)]).fetchone()
    return row[0] if row else None


def bawahan(db: Database, atasan_nip: str) -> list[Bawahan]:
    """Return the active direct bawahan of ``atasan_nip`` (roster's supervisor relation), by name."""
    rows = db.execute("SELECT p.nip, p.nama, p.jabatan, coalesce(u.nama, p.unit_id) FROM pegawai p "
                      "LEFT JOIN unit u ON u.id = p.unit_id WHERE p.atasan_nip = ? AND p.aktif = 1 "
                      "ORDER BY p.nama, p.nip", [str(atasan_nip)]).fetchall()
    return [Bawahan(*r) for r in rows]


def note(db: Database, note_id: int) -> Note | None:
    """Return one note, or None when there is none with that id."""
    row = db.execute(_NOTE_SQL + "WHERE u.id = ?", [int(note_id)]).fetchone()
    return Note(*row) if row else None


def notes(db: Database, *, nip: str | None = None, atasan_nip: str | None = None, tahun: int | None = None,
          mulai: str | None = None, selesai: str | None = None) -> list[Note]:
    """Return the notes matching every filter given, newest dialog first (then newest note)."""
    where, args = [], []
    for column, value in (("u.nip", nip), ("u.atasan_nip", atasan_nip), ("u.tahun", tahun)):
        if value is not None:
            where.append(f"{column} = ?")
            args.append(value)
    if mulai is not None:
        where.append("u.tanggal >= ?")
        args.append(mulai[:10])
    if selesai is not None:
        where.append("u.tanggal <= ?")
        args.append(selesai[:10])
    sql = _NOTE_SQL + ("WHERE " + " AND ".join(where) + " " if where else "") + "ORDER BY u.tanggal DESC, u.id DESC"
    return [Note(*r) for r in db.execute(sql, args).fetchall()]


def notes_in_period(db: Database, nips: Iterable[str], mulai: str, selesai: str) -> dict[str, list[Note]]:
    """Return ``{nip: notes dated mulai..selesai, oldest first}`` for the given pegawai (a report's period)."""
    wanted = set(nips)
    out: dict[str, list[Note]] = {}
    for n in reversed(notes(db, mulai=mulai, selesai=selesai)):
        if n.nip in wanted:
            out.setdefault(n.nip, []).append(n)
    return out


def ekspektasi(db: Database, nip: str, tahun: int) -> dict[str, str]:
    """Return the Ekspektasi per pegawai of one year: ``{value code: text}``."""
    return dict(db.execute("SELECT nilai, teks FROM ekspektasi_pegawai WHERE nip = ? AND tahun = ?",
                           [str(nip), int(tahun)]).fetchall())


# --------------------------------------------------------------------------- writing

def add_note(db: Database, atasan_nip: str, nip: str, *, tanggal: Any, topik: Any, tindak_lanjut: Any = "",
             nilai: Any = None, butir_skp: Any = None, tahun: int | None = None, pelaku: str,
             grant: LinkGrant | None = None) -> int:
    """Record a feedback note by ``atasan_nip`` for ``nip`` and return its id (its year is the dialog date's).

    Raises UmpanBalikError when ``nip`` is not the atasan's active direct bawahan, or a field is invalid
    (empty topic, future date or one outside ``tahun`` when given, unknown value, too long); AccessDenied when
    ``grant`` is given and no longer usable.
    """
    values = _fields(tanggal, topik, tindak_lanjut, nilai, butir_skp, tahun)
    with write_transaction(db):
        _check_grant(db, grant, atasan_nip)
        _require_bawahan(db, atasan_nip, nip)
        stamp = now()
        cur = db.execute(
            "INSERT INTO umpan_balik (tahun, nip, atasan_nip, tanggal, topik, tindak_lanjut, nilai, butir_skp, "
            "dibuat, diperbarui) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [values["tahun"], nip, atasan_nip, values["tanggal"], values["topik"], values["tindak_lanjut"],
             values["nilai"], values["butir_skp"], stamp, stamp])
        audit(db, pelaku, "catat_umpan_balik", "umpan_balik", cur.lastrowid, nip=nip, atasan=atasan_nip,
              tanggal=values["tanggal"])
    return int(cur.lastrowid)


def edit_note(db: Database, note_id: int, atasan_nip: str, *, tanggal: Any, topik: Any, tindak_lanjut: Any = "",
              nilai: Any = None, butir_skp: Any = None, tahun: int | None = None, pelaku: str,
              grant: LinkGrant | None = None) -> None:
    """Change a note its author wrote, until the pegawai acknowledges it.

    Raises UmpanBalikError for someone else's note, an acknowledged one, a pegawai who is no longer the
    author's bawahan, or an invalid field (as for :func:`add_note`).
    """
    values = _fields(tanggal, topik, tindak_lanjut, nilai, butir_skp, tahun)
    with write_transaction(db):
        _check_grant(db, grant, atasan_nip)
        row = db.execute("SELECT atasan_nip, nip, dikonfirmasi, topik, tindak_lanjut, tanggal FROM umpan_balik "
                         "WHERE id = ?", [int(note_id)]).fetchone()
        if row is None or row[0] != atasan_nip:
            raise UmpanBalikError("Catatan ini tidak tersedia untuk Anda.")
        if row[2] is not None:
            raise UmpanBalikError(LOCKED)
        _require_bawahan(db, atasan_nip, row[1])
        db.execute("UPDATE umpan_balik SET tahun = ?, tanggal = ?, topik = ?, tindak_lanjut = ?, nilai = ?, "
                   "butir_skp = ?, diperbarui = ? WHERE id = ?",
                   [values["tahun"], values["tanggal"], values["topik"], values["tindak_lanjut"], values["nilai"],
                    values["butir_skp"], now(), int(note_id)])
        audit(db, pelaku, "ubah_umpan_balik", "umpan_balik", note_id, nip=row[1], atasan=atasan_nip,
              sebelumnya={"tanggal": row[5], "topik": row[3], "tindak_lanjut": row[4]})


def acknowledge(db: Database, note_id: int, nip: str, tanggapan: Any = "", *, pelaku: str,
                grant: LinkGrant | None = None) -> str:
    """Record that the pegawai read a note (with their optional response) and return the time; the note is then
    fixed. Raises UmpanBalikError for a note about someone else or one already acknowledged."""
    text = _text(tanggapan, "Tanggapan", MAX_TEKS, False)
    with write_transaction(db):
        _check_grant(db, grant, nip)
        row = db.execute("SELECT nip, dikonfirmasi FROM umpan_balik WHERE id = ?", [int(note_id)]).fetchone()
        if row is None or row[0] != nip:
            raise UmpanBalikError("Catatan ini tidak tersedia untuk Anda.")
        if row[1] is not None:
            raise UmpanBalikError("Catatan ini sudah Anda konfirmasi.")
        stamp = now()
        db.execute("UPDATE umpan_balik SET dikonfirmasi = ?, tanggapan = ? WHERE id = ?",
                   [stamp, text or None, int(note_id)])
        audit(db, pelaku, "konfirmasi_umpan_balik", "umpan_balik", note_id, nip=nip, tanggapan=bool(text))
    return stamp


def set_ekspektasi(db: Database, atasan_nip: str, nip: str, tahun: int, nilai: str, teks: Any, *, pelaku: str,
                   grant: LinkGrant | None = None) -> None:
    """Set (or, with empty text, remove) the Ekspektasi of a bawahan for one BerAKHLAK value and year.

    Raises UmpanBalikError when ``nip`` is not the atasan's direct bawahan, the value is unknown or the text
    too long.
    """
    code = _nilai(nilai)
    if code is None:
        raise UmpanBalikError("Pilih nilai BerAKHLAK.")
    text = _text(teks, "Ekspektasi", MAX_TEKS, False)
    with write_transaction(db):
        _check_grant(db, grant, atasan_nip)
        _require_bawahan(db, atasan_nip, nip)
        before = db.execute("SELECT teks FROM ekspektasi_pegawai WHERE tahun = ? AND nip = ? AND nilai = ?",
                            [int(tahun), nip, code]).fetchone()
        if text:
            db.execute("INSERT INTO ekspektasi_pegawai (tahun, nip, nilai, teks, ditetapkan_oleh, ditetapkan) "
                       "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tahun, nip, nilai) DO UPDATE SET teks = excluded.teks, "
                       "ditetapkan_oleh = excluded.ditetapkan_oleh, ditetapkan = excluded.ditetapkan",
                       [int(tahun), nip, code, text, atasan_nip, now()])
        else:
            db.execute("DELETE FROM ekspektasi_pegawai WHERE tahun = ? AND nip = ? AND nilai = ?",
                       [int(tahun), nip, code])
        audit(db, pelaku, "ekspektasi_pegawai", "pegawai", nip, tahun=int(tahun), nilai=code, teks=text or None,
              sebelumnya=before[0] if before else None)


def grant_owner(db: Database, grant: LinkGrant) -> tuple[str, int]:
    """Return (the link owner's NIP, the performance year of the link's cycle) for a usable rater's link.

    Raises AccessDenied when the link is not a usable rater's link.
    """
    if grant.jenis != "penilai" or not grant.rater_nip:
        raise AccessDenied()
    check_grant(db, grant, "penilai", touch=False)
    return grant.rater_nip, get_cycle(db, grant.cycle_id).tahun


def unconfirmed(db: Database, nip: str, tahun: int) -> int:
    """Return how many of a pegawai's notes of the year still wait for their acknowledgement."""
    return db.execute("SELECT COUNT(*) FROM umpan_balik WHERE nip = ? AND tahun = ? AND dikonfirmasi IS NULL",
                      [str(nip), int(tahun)]).fetchone()[0]


# --------------------------------------------------------------------------- the SKP realisation export

REALISASI = "Realisasi berdasarkan umpan balik berkelanjutan"
#: Columns of the export, named by the column vocabulary (kinerja_lib.columns); ``realisasi`` is headed with
#: the SKP column's own name, :data:`REALISASI`.
EXPORT_COLUMNS = ("nip", "nama", "unit_id", "atasan_nip", "atasan_nama", "tanggal_dialog", "nilai", "butir_skp",
                  "topik", "tindak_lanjut", "realisasi", "status_konfirmasi", "tanggal_konfirmasi", "tanggapan")


def realisasi(n: Note) -> str:
    """Return the text of the SKP column "realisasi berdasarkan umpan balik berkelanjutan" for one note.

    A note the pegawai has not acknowledged says so: the atasan may still change it.
    """
    from .reports.formatting import tanggal

    text = f"Dialog {tanggal(n.tanggal)}: {n.topik}"
    if n.tindak_lanjut:
        text += f" Tindak lanjut: {n.tindak_lanjut}"
    return text + ("" if n.locked else " (belum dikonfirmasi pegawai)")


def export_notes(db: Database, path: Any, *, tahun: int | None = None, mulai: str | None = None,
                 selesai: str | None = None, pelaku: str = "cli") -> int:
    """Write the notes of a year (or dated mulai..selesai) to an XLSX workbook, one row per note with the SKP column
    "Realisasi berdasarkan umpan balik berkelanjutan"; all-or-nothing, owner-only. Return how many rows.

    Raises OutputError when the file cannot be written.
    """
    from .export import Sheet, write_xlsx
    from .reports.formatting import tanggal

    names = load_instrument().value_names()
    units = dict(db.execute("SELECT p.nip, coalesce(u.nama, p.unit_id) FROM pegawai p "
                            "LEFT JOIN unit u ON u.id = p.unit_id").fetchall())
    found = list(reversed(notes(db, tahun=tahun, mulai=mulai, selesai=selesai)))
    found.sort(key=lambda n: (units.get(n.nip, ""), n.nama, n.nip, n.tanggal, n.id))
    rows = [(n.nip, n.nama, units.get(n.nip, ""), n.atasan_nip, n.atasan_nama, tanggal(n.tanggal),
             names.get(n.nilai, n.nilai) if n.nilai else "", n.butir_skp or "", n.topik, n.tindak_lanjut,
             realisasi(n), "Dikonfirmasi pegawai" if n.locked else "Belum dikonfirmasi pegawai",
             tanggal(n.dikonfirmasi) if n.dikonfirmasi else "", n.tanggapan or "") for n in found]
    period = {"tahun kinerja": tahun} if tahun is not None else {"tanggal dialog dari": tanggal(mulai),
                                                                 "tanggal dialog sampai": tanggal(selesai)}
    write_xlsx(path, [Sheet("Umpan balik", rows, columns=list(EXPORT_COLUMNS))],
               settings={**period, "jumlah catatan": len(rows), "dibuat": load_instansi().now().isoformat(
                   timespec="seconds")})
    with write_transaction(db):
        audit(db, pelaku, "ekspor_umpan_balik", None, None, berkas=str(path), baris=len(rows), **{
            k.replace(" ", "_"): v for k, v in period.items()})
    return len(rows)
