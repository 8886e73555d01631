"""The instansi's identity on every printed page, and the time zone of every date shown to a person.

Loaded from ``instansi.yaml`` in the reference folder (``$KINERJA_REFERENSI`` for an office's own copy). Stored
timestamps stay UTC; what a person reads is converted here: a berita acara signed after midnight WIB carries the
WIB date, not the UTC one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ReferenceDataError
from .reference import _load

ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


@dataclass(frozen=True)
class Signatory:
    """Who signs a document: jabatan always, nama and NIP when known (else left blank to fill by hand)."""

    jabatan: str
    nama: str | None = None
    nip: str | None = None


@dataclass(frozen=True)
class Instansi:
    """The office: its name, the text above every document title, the place of signing, its time zone."""

    nama: str
    teks_logo: str
    tempat: str
    zona_waktu: str
    penandatangan: dict[str, Signatory]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.zona_waktu)

    @property
    def zone_label(self) -> str:
        """Return the Indonesian abbreviation of the zone (WIB, WITA, WIT), else its IANA name."""
        return ZONE_NAMES.get(self.zona_waktu, self.zona_waktu)

    def now(self) -> datetime:
        """Return the current time in the instansi's zone."""
        return datetime.now(self.zone)

    def today(self) -> date:
        """Return today's date in the instansi's zone (not the server's, which is often UTC)."""
        return self.now().date()

    def local(self, stamp: str | datetime) -> datetime:
        """Return a stored timestamp (ISO text or datetime; naive means UTC) in the instansi's zone."""
        moment = datetime.fromisoformat(stamp) if isinstance(stamp, str) else stamp
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(self.zone)

    def waktu(self, stamp: str | datetime | None) -> str:
        """Return a stored timestamp as people here read it, in the instansi's zone: '28-11-2026 11:40 WIB'
        ('' for none). Every export and listing shows times this way, never as stored (ISO, UTC)."""
        if not isinstance(stamp, (str, datetime)) or stamp == "":   # None, or a missing value (NaN) of a table
            return ""
        return f"{self.local(stamp):%d-%m-%Y %H:%M} {self.zone_label}"


@lru_cache(maxsize=8)
def load_instansi(directory: Path | None = None) -> Instansi:
    """Return the instansi settings; raises ReferenceDataError naming the file and key when one is wrong."""
    name = "instansi.yaml"
    data = _load(name, directory)

    def text(key: str, source: dict, where: str = "") -> str:
        value = source.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ReferenceDataError(f"{name}: '{where}{key}' wajib diisi dengan teks")
        return " ".join(value.split())

    zone = text("zona_waktu", data)
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ReferenceDataError(f"{name}: zona_waktu '{zone}' tidak dikenal (mis. Asia/Jakarta untuk WIB, "
                                 "Asia/Makassar untuk WITA, Asia/Jayapura untuk WIT)") from None
    signers: dict[str, Signatory] = {}
    raw = data.get("penandatangan") or {}
    if not isinstance(raw, dict):
        raise ReferenceDataError(f"{name}: 'penandatangan' harus berupa pemetaan dokumen -> penandatangan")
    for document, who in raw.items():
        if not isinstance(who, dict):
            raise ReferenceDataError(f"{name}: 'penandatangan.{document}' harus berisi jabatan, nama, nip")
        nama, nip = who.get("nama"), who.get("nip")
        signers[str(document)] = Signatory(text("jabatan", who, f"penandatangan.{document}."),
                                           None if nama is None else str(nama), None if nip is None else str(nip))
    return Instansi(text("nama", data), text("teks_logo", data), text("tempat", data), zone, signers)
