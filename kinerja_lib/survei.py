"""The public-service survey: service points (titik layanan) with their own links, and citizens' answers.

Citizens rate a unit's service point ("Berorientasi Pelayanan" in plain words), not a pegawai: the survey and its
answers are kept apart from the 360 tables and never enter a rater group or a score. A service point's token is
``secrets.token_urlsafe(32)`` stored only as its SHA-256 hash (as in :mod:`kinerja_lib.links`); its link is shown
when issued and can be reissued, which ends the old one. Abuse limits (data/referensi/survei.yaml "batas"): one
response per device per period (the device known only by the hash of a random id its browser keeps in a cookie)
and a per-minute cap on a service point's responses; the form server adds per-IP and per-point page limits.

Imports neither pandas nor ipywidgets: the survey page's kernel uses it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from . import config
from .errors import AccessDenied, ReferenceDataError, SurveyError
from .links import TOKEN_BYTES, TOKEN_PARAM, hash_token, plausible_token
from .store import audit, now, write_transaction

NOTEBOOK = "survei.ipynb"
FILE = "survei.yaml"
LIMIT_KEYS = ("jam_per_perangkat", "jawaban_per_menit_per_titik", "halaman_per_menit_per_ip",
              "halaman_per_menit_per_titik", "kernel_per_titik")


@dataclass(frozen=True)
class SurveyItem:
    kode: str
    perilaku: str
    teks: str


@dataclass(frozen=True)
class Survey:
    """The survey's wording, items, scale and limits, from data/referensi/survei.yaml."""

    judul: str
    pengantar: str
    skala: dict[int, str]
    tidak_tahu: str
    butir: tuple[SurveyItem, ...]
    komentar_maks_karakter: int
    batas: dict[str, int]
    minimal_jawaban_komentar: int
    keyakinan: float

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(b.kode for b in self.butir)


@lru_cache(maxsize=8)
def load_survey(directory: Path | None = None) -> Survey:
    """Return the survey definition; raises ReferenceDataError naming what is wrong in the file."""
    import yaml

    path = (directory or config.reference_dir()) / FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        skala = {int(k): str(v) for k, v in data["skala"].items()}
        if sorted(skala) != [1, 2, 3, 4, 5]:
            raise ValueError("skala harus memuat 1 sampai 5")
        butir = tuple(SurveyItem(str(b["kode"]), str(b["perilaku"]), str(b["teks"])) for b in data["butir"])
        if not 3 <= len(butir) <= 5 or len({b.kode for b in butir}) != len(butir):
            raise ValueError("butir harus 3-5 dengan kode berbeda")
        batas = {k: int(data["batas"][k]) for k in LIMIT_KEYS}
        if min(batas.values()) < 1:
            raise ValueError("setiap batas harus bilangan bulat 1 atau lebih")
        laporan = data["laporan"]
        keyakinan = float(laporan["keyakinan"])
        if not 0.5 <= keyakinan < 1:
            raise ValueError("laporan.keyakinan harus antara 0,5 dan 1")
        return Survey(str(data["judul"]), str(data["pengantar"]), skala, str(data["tidak_tahu"]), butir,
                      int(data["komentar_maks_karakter"]), batas, int(laporan["minimal_jawaban_komentar"]), keyakinan)
    except FileNotFoundError:
        raise ReferenceDataError(f"{path}: berkas data referensi tidak ditemukan") from None
    except (KeyError, TypeError, ValueError, AttributeError, yaml.YAMLError) as exc:
        raise ReferenceDataError(f"{path}: isi tidak sah ({exc})") from None


@dataclass(frozen=True)
class ServicePoint:
    """A service point of a unit, with its number of responses."""

    id: int
    unit_id: str
    nama: str
    dibuka: str
    ditutup: str | None
    jumlah_jawaban: int = 0

    @property
    def is_open(self) -> bool:
        return self.ditutup is None


@dataclass(frozen=True)
class IssuedPoint:
    """A freshly issued service-point link: the only moment its token is known."""

    point: ServicePoint
    url: str
    token: str


@dataclass(frozen=True)
class PointGrant:
    """What a valid service-point token grants: answering the survey of that point."""

    titik_id: int
    unit_id: str
    nama: str

    @property
    def ledger_key(self) -> str:
        """The key the form server books this point's page kernels under (apart from personal links)."""
        return f"survei:{self.titik_id}"


def survey_url(token: str, base_url: str | None = None) -> str:
    """Return the public survey address of a service-point token.

    >>> survey_url("TOKEN", "https://layanan.contoh.go.id/")
    'https://layanan.contoh.go.id/voila/render/survei.ipynb?t=TOKEN'
    """
    base = (base_url if base_url is not None else config.base_url()).rstrip("/")
    return f"{base}/voila/render/{NOTEBOOK}?{TOKEN_PARAM}={token}"


def hash_device(device_id: str) -> str:
    """Return the stored form of a device id (its SHA-256, salted apart from tokens).

    >>> len(hash_device("x"))
    64
    """
    return hashlib.sha256(("perangkat:" + device_id).encode("utf-8")).hexdigest()


_POINT_SQL = ("SELECT t.id, t.unit_id, t.nama, t.dibuka, t.ditutup, "
              "(SELECT COUNT(*) FROM survei_respons r WHERE r.titik_id = t.id) FROM titik_layanan t ")


def _point(db: Database, titik_id: Any) -> ServicePoint:
    try:
        key = int(titik_id)
    except (TypeError, ValueError):
        raise SurveyError(f"Titik layanan '{titik_id}' tidak dikenal; lihat `kinerja survei daftar`") from None
    row = db.execute(_POINT_SQL + "WHERE t.id = ?", [key]).fetchone() if -2**63 <= key < 2**63 else None
    if row is None:
        raise SurveyError(f"Titik layanan '{titik_id}' tidak dikenal; lihat `kinerja survei daftar`")
    return ServicePoint(*row)


def list_points(db: Database, unit: str | None = None) -> list[ServicePoint]:
    """Return the service points (of one unit and the units below it, when given), by unit and name."""
    sql, params = _POINT_SQL, []
    if unit is not None:
        sql += "WHERE t.unit_id = ? OR t.unit_id LIKE ? ESCAPE '\\' "
        params = [unit, unit.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + " / %"]
    return [ServicePoint(*r) for r in db.execute(sql + "ORDER BY t.unit_id, t.nama, t.id", params).fetchall()]


def open_point(db: Database, unit_id: str, nama: str, base_url: str | None = None,
               pelaku: str = "cli") -> IssuedPoint:
    """Open a service point of a unit and return its link (shown once). Raises SurveyError for an unknown
    unit, an empty name or a name the unit already uses."""
    nama = " ".join(str(nama or "").split())
    if not nama:
        raise SurveyError("Nama titik layanan wajib diisi")
    token, stamp = secrets.token_urlsafe(TOKEN_BYTES), now()
    with write_transaction(db):
        if db.execute("SELECT 1 FROM unit WHERE id = ?", [unit_id]).fetchone() is None:
            raise SurveyError(f"Unit '{unit_id}' tidak dikenal; pakai ID unit seperti pada daftar pegawai "
                              "(mis. 'Dinas Kesehatan / Bidang Pelayanan')")
        if db.execute("SELECT 1 FROM titik_layanan WHERE unit_id = ? AND nama = ?", [unit_id, nama]).fetchone():
            raise SurveyError(f"Unit '{unit_id}' sudah mempunyai titik layanan '{nama}'; pakai `kinerja survei "
                              "tautan` untuk menerbitkan ulang tautannya")
        cur = db.execute("INSERT INTO titik_layanan (unit_id, nama, token_hash, dibuka, diterbitkan) "
                         "VALUES (?, ?, ?, ?, ?)", [unit_id, nama, hash_token(token), stamp, stamp])
        audit(db, pelaku, "buka_titik_layanan", "titik_layanan", cur.lastrowid, unit=unit_id, nama=nama)
        point = _point(db, cur.lastrowid)
    return IssuedPoint(point, survey_url(token, base_url), token)


def reissue_point(db: Database, titik_id: Any, base_url: str | None = None, pelaku: str = "cli") -> IssuedPoint:
    """Issue a new link (and QR code) for an open service point; the old link stops working at once."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with write_transaction(db):
        point = _point(db, titik_id)
        if not point.is_open:
            raise SurveyError(f"Titik layanan '{point.nama}' sudah ditutup; buka titik layanan baru")
        db.execute("UPDATE titik_layanan SET token_hash = ?, diterbitkan = ? WHERE id = ?",
                   [hash_token(token), now(), point.id])
        audit(db, pelaku, "terbitkan_ulang_titik_layanan", "titik_layanan", point.id)
    return IssuedPoint(point, survey_url(token, base_url), token)


def close_point(db: Database, titik_id: Any, pelaku: str = "cli") -> ServicePoint:
    """Close a service point: its link stops working; its answers stay for the report."""
    with write_transaction(db):
        point = _point(db, titik_id)
        if not point.is_open:
            raise SurveyError(f"Titik layanan '{point.nama}' sudah ditutup")
        db.execute("UPDATE titik_layanan SET ditutup = ? WHERE id = ?", [now(), point.id])
        audit(db, pelaku, "tutup_titik_layanan", "titik_layanan", point.id)
        return _point(db, point.id)


def verify_point(db: Database, token: object) -> PointGrant:
    """Return what a service-point token grants; raises AccessDenied for a malformed, unknown or closed one.

    Read-only: the form server's gate runs it before any kernel is used.
    """
    if not plausible_token(token):
        raise AccessDenied()
    row = db.execute("SELECT id, unit_id, nama, ditutup FROM titik_layanan WHERE token_hash = ?",
                     [hash_token(token)]).fetchone()
    if row is None or row[3] is not None:
        raise AccessDenied()
    return PointGrant(row[0], row[1], row[2])


def unit_label(unit_id: str) -> str:
    """Return a unit's name as a citizen reads it: the unit's own name, then its perangkat daerah.

    >>> unit_label("Dinas Kesehatan / Bidang Pelayanan / Seksi Rujukan"), unit_label("Kecamatan Laweyan")
    ('Seksi Rujukan, Dinas Kesehatan', 'Kecamatan Laweyan')
    """
    parts = [p.strip() for p in unit_id.split(" / ")]
    return parts[0] if len(parts) == 1 else f"{parts[-1]}, {parts[0]}"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def submit_response(db: Database, grant: PointGrant, device_id: object, answers: dict[str, int | None],
                    komentar: str = "", survey: Survey | None = None, at: datetime | None = None) -> str:
    """Store one citizen's answers (``None`` = tidak tahu) and return the time; everything re-checked here.

    Raises AccessDenied when the point was closed or its link reissued meanwhile; SurveyError (an
    Indonesian sentence for the page) for a missing device id, a second response from this device within
    the period, too many responses at this point in the last minute, an unknown item, a score out of range,
    no answer at all, or a comment over the limit.
    """
    survey = survey or load_survey()
    if not isinstance(device_id, str) or not 16 <= len(device_id) <= 128:
        raise SurveyError("Peramban ini tidak menyimpan kuki; aktifkan kuki lalu buka lagi kode QR-nya.")
    if not isinstance(answers, dict) or set(answers) - set(survey.codes):
        raise SurveyError("Ada jawaban untuk pertanyaan yang tidak ada di survei ini.")
    for value in answers.values():
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5):
            raise SurveyError("Nilai harus 1 sampai 5 atau 'Tidak tahu'.")
    if not any(v is not None for v in answers.values()):
        raise SurveyError("Isi paling sedikit satu pertanyaan dengan nilai 1 sampai 5.")
    if not isinstance(komentar, str) or len(komentar) > survey.komentar_maks_karakter:
        raise SurveyError(f"Saran terlalu panjang; paling banyak {survey.komentar_maks_karakter} karakter.")
    moment = at or datetime.now(timezone.utc)
    device = hash_device(device_id)
    with write_transaction(db):
        row = db.execute("SELECT ditutup, token_hash FROM titik_layanan WHERE id = ?", [grant.titik_id]).fetchone()
        if row is None or row[0] is not None:
            raise AccessDenied()
        since = _stamp(moment - timedelta(hours=survey.batas["jam_per_perangkat"]))
        last = db.execute("SELECT MAX(waktu) FROM survei_respons WHERE titik_id = ? AND perangkat_hash = ? "
                          "AND waktu > ?", [grant.titik_id, device, since]).fetchone()[0]
        if last is not None:
            raise SurveyError(f"Terima kasih, jawaban dari perangkat ini sudah kami terima. Survei ini dapat "
                              f"diisi lagi dari perangkat yang sama setelah {survey.batas['jam_per_perangkat']} jam.")
        minute = _stamp(moment - timedelta(minutes=1))
        recent = db.execute("SELECT COUNT(*) FROM survei_respons WHERE titik_id = ? AND waktu > ?",
                            [grant.titik_id, minute]).fetchone()[0]
        if recent >= survey.batas["jawaban_per_menit_per_titik"]:
            raise SurveyError("Sedang banyak jawaban masuk di titik layanan ini. Mohon coba lagi 1 menit lagi.")
        stamp = _stamp(moment)
        cur = db.execute("INSERT INTO survei_respons (titik_id, waktu, perangkat_hash, komentar) VALUES (?, ?, ?, ?)",
                         [grant.titik_id, stamp, device, komentar.strip() or None])
        db.conn.executemany("INSERT INTO survei_jawaban (respons_id, butir, skor) VALUES (?, ?, ?)",
                            [(cur.lastrowid, code, answers[code]) for code in survey.codes if code in answers])
        # an anonymous citizen: the actor is the service point, never the device
        audit(db, f"warga:titik{grant.titik_id}", "isi_survei_layanan", "survei_respons", cur.lastrowid)
    return stamp


def survey_answers(db: Database, unit: str | None = None) -> tuple[list[ServicePoint], list[tuple], list[tuple]]:
    """Return the points (see :func:`list_points`), their answers ``(titik_id, butir, skor)`` (skor None = tidak
    tahu) and their comments ``(titik_id, waktu, teks)``; no device hash leaves the database."""
    points = list_points(db, unit)
    ids = [p.id for p in points]
    if not ids:
        return points, [], []
    marks = ",".join("?" * len(ids))
    answers = db.execute(f"SELECT r.titik_id, j.butir, j.skor FROM survei_jawaban j JOIN survei_respons r "
                         f"ON r.id = j.respons_id WHERE r.titik_id IN ({marks})", ids).fetchall()
    comments = db.execute(f"SELECT titik_id, waktu, komentar FROM survei_respons WHERE komentar IS NOT NULL "
                          f"AND titik_id IN ({marks}) ORDER BY titik_id, waktu", ids).fetchall()
    return points, answers, comments
