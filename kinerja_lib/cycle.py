"""Appraisal cycles: opening one with its method settings, looking it up, closing it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlite_utils import Database

from .errors import CycleError
from .reference import load_competencies, load_instrument, load_method_defaults, load_vocabulary
from .store import RELATIONS, audit, now, write_transaction


@dataclass(frozen=True)
class Cycle:
    """One appraisal cycle as stored, with its parsed method settings."""

    id: int
    nama: str
    periode: str
    tahun: int
    tanggal_mulai: str
    tanggal_selesai: str
    status: str
    instrumen_versi: str
    settings: dict[str, Any]

    @property
    def is_open(self) -> bool:
        return self.status == "terbuka"


#: Settings keyed by rater group, narrowed with ``kelompok``.
PER_GROUP_SETTINGS = ("minimal_penilai", "bobot", "kompetensi_per_relasi")


def merge_settings(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the method defaults updated with ``overrides`` (nested dicts merged), validated.

    Raises CycleError naming the setting that is wrong.

    >>> merge_settings({"minimal_penilai": {"rekan": 4}})["minimal_penilai"]["rekan"]
    4
    """
    overrides = overrides or {}
    settings = load_method_defaults()
    if "kelompok" in overrides and isinstance(overrides["kelompok"], list):
        # Narrowing the groups drops the defaults that belong to the removed groups; a value the
        # caller gives explicitly for a removed group is still refused by validate_settings.
        kept = set(overrides["kelompok"])
        for key in PER_GROUP_SETTINGS:
            settings[key] = {g: v for g, v in settings[key].items() if g in kept}
    for key, value in overrides.items():
        if key not in settings:
            raise CycleError(f"Pengaturan '{key}' tidak dikenal")
        if isinstance(settings[key], dict) and isinstance(value, dict):
            settings[key] = {**settings[key], **value}
        else:
            settings[key] = value
    validate_settings(settings)
    return settings


def validate_settings(settings: dict[str, Any]) -> None:
    """Raise CycleError unless the method settings are coherent."""
    groups = settings["kelompok"]
    if not set(groups) <= set(RELATIONS):
        raise CycleError(f"kelompok: hanya {', '.join(RELATIONS)} yang dikenal")
    for group, n in settings["minimal_penilai"].items():
        if group not in groups or not isinstance(n, int) or n < 1:
            raise CycleError(f"minimal_penilai.{group}: harus bilangan bulat >= 1 untuk kelompok yang dikenal")
    weak = weak_anonymity(settings)
    if weak and settings.get("izinkan_minimal_di_bawah_3") is not True:
        raise CycleError(f"minimal_penilai: {', '.join(f'{g} {n}' for g, n in weak.items())} di bawah 3 melemahkan "
                         "anonimitas (jawaban seseorang dapat dikenali); tulis juga izinkan_minimal_di_bawah_3: true "
                         "bila memang disengaja")
    weights = settings["bobot"]
    if "diri" in weights:
        raise CycleError("bobot.diri: skor diri tidak ikut skor 360, jangan diberi bobot")
    if any(not isinstance(w, (int, float)) or w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
        raise CycleError("bobot: setiap bobot harus >= 0 dan jumlahnya > 0")
    if set(weights) - set(groups):
        raise CycleError(f"bobot: kelompok tidak dikenal {sorted(set(weights) - set(groups))}")
    peers = settings["rekan_per_pegawai"]
    if not isinstance(peers, int) or peers < 0:
        raise CycleError("rekan_per_pegawai: harus bilangan bulat >= 0")
    share = settings["maks_tidak_dapat_menilai"]
    if not 0 <= float(share) <= 1:
        raise CycleError("maks_tidak_dapat_menilai: harus proporsi 0..1")
    known = set(load_competencies().by_code())
    for rel, codes in settings["kompetensi_per_relasi"].items():
        if set(codes) - known:
            raise CycleError(f"kompetensi_per_relasi.{rel}: kode tidak dikenal {sorted(set(codes) - known)}")
    cut = settings["ambang_rating_perilaku"]
    if not isinstance(cut, dict) or set(cut) != {"di_atas", "di_bawah", "keyakinan"} or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in cut.values()):
        raise CycleError("ambang_rating_perilaku: isi di_atas, di_bawah (angka skala) dan keyakinan (peluang)")
    if not cut["di_bawah"] < cut["di_atas"]:
        raise CycleError("ambang_rating_perilaku: di_bawah harus lebih kecil dari di_atas")
    if not 0.5 <= cut["keyakinan"] < 1:
        raise CycleError("ambang_rating_perilaku.keyakinan: harus peluang 0,5 sampai di bawah 1")


#: Rater groups whose members are anonymous: their minimum protects who said what.
ANONYMOUS_GROUPS = ("rekan", "bawahan", "lainnya")


def weak_anonymity(settings: dict[str, Any]) -> dict[str, int]:
    """Return the anonymous groups whose minimum is below 3, with their minimum (empty when none).

    >>> weak_anonymity({"kelompok": ["atasan", "rekan"], "minimal_penilai": {"atasan": 1, "rekan": 2}})
    {'rekan': 2}
    """
    return {g: int(n) for g, n in settings.get("minimal_penilai", {}).items()
            if g in ANONYMOUS_GROUPS and g in settings.get("kelompok", []) and int(n) < 3}


def anonymity_warning(settings: dict[str, Any]) -> str | None:
    """Return the warning every output prints when an anonymous group's minimum is below 3, else None."""
    weak = weak_anonymity(settings)
    if not weak:
        return None
    return ("PERHATIAN: minimal penilai di bawah 3 (" + ", ".join(f"{g} {n}" for g, n in weak.items())
            + "); anonimitas lebih lemah dari bawaan dan jawaban seseorang mungkin dapat dikenali.")


def _parse_date(value: str | date, field: str) -> str:
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise CycleError(f"{field}: tanggal '{value}' tidak valid (format TTTT-BB-HH)") from None


def open_cycle(db: Database, nama: str, periode: str, tahun: int, tanggal_mulai: str | date,
               tanggal_selesai: str | date, settings: dict[str, Any] | None = None,
               pelaku: str = "cli") -> Cycle:
    """Create an open cycle with the merged method settings and return it.

    Raises CycleError for a duplicate name, an unknown periode, bad dates or bad settings.
    """
    periods = load_vocabulary()["periode"]
    if periode not in periods:
        raise CycleError(f"periode '{periode}' tidak dikenal; pilihan: {', '.join(periods)}")
    start, end = _parse_date(tanggal_mulai, "tanggal_mulai"), _parse_date(tanggal_selesai, "tanggal_selesai")
    if end < start:
        raise CycleError("tanggal_selesai tidak boleh sebelum tanggal_mulai")
    merged = merge_settings(settings)
    with write_transaction(db):
        if db.execute("SELECT 1 FROM cycle WHERE nama = ?", [nama]).fetchone():
            raise CycleError(f"Siklus bernama '{nama}' sudah ada")
        cur = db.execute(
            "INSERT INTO cycle (nama, periode, tahun, tanggal_mulai, tanggal_selesai, status, "
            "instrumen_versi, settings, dibuat) VALUES (?, ?, ?, ?, ?, 'terbuka', ?, ?, ?)",
            [nama, periode, int(tahun), start, end, load_instrument().versi,
             json.dumps(merged, ensure_ascii=False), now()])
        cycle_id = cur.lastrowid
        audit(db, pelaku, "buka_siklus", "cycle", cycle_id, nama=nama, periode=periode)
    return get_cycle(db, cycle_id)


def _row_to_cycle(row: dict) -> Cycle:
    return Cycle(row["id"], row["nama"], row["periode"], row["tahun"], row["tanggal_mulai"],
                 row["tanggal_selesai"], row["status"], row["instrumen_versi"], json.loads(row["settings"]))


def get_cycle(db: Database, cycle: int | str | None = None) -> Cycle:
    """Return a cycle by id or name; with ``None``, the newest open cycle.

    Raises CycleError when there is no such cycle.
    """
    if cycle is None:
        rows = list(db.query("SELECT * FROM cycle WHERE status = 'terbuka' ORDER BY id DESC LIMIT 1"))
        if not rows:
            raise CycleError("Belum ada siklus yang terbuka; buka dengan 'kinerja cycle open'")
    elif isinstance(cycle, int) or str(cycle).isdigit():
        rows = list(db.query("SELECT * FROM cycle WHERE id = ?", [int(cycle)]))
    else:
        rows = list(db.query("SELECT * FROM cycle WHERE nama = ?", [str(cycle)]))
    if not rows:
        raise CycleError(f"Siklus '{cycle}' tidak ditemukan")
    return _row_to_cycle(rows[0])


def list_cycles(db: Database) -> list[Cycle]:
    """Return every cycle, newest first."""
    return [_row_to_cycle(r) for r in db.query("SELECT * FROM cycle ORDER BY id DESC")]


def close_cycle(db: Database, cycle: int | str, pelaku: str = "cli") -> Cycle:
    """Close a cycle: its links stop working and its forms can no longer change. Returns it."""
    c = get_cycle(db, cycle)
    with write_transaction(db):
        db.execute("UPDATE cycle SET status = 'ditutup', ditutup = ? WHERE id = ?", [now(), c.id])
        audit(db, pelaku, "tutup_siklus", "cycle", c.id)
    return get_cycle(db, c.id)
