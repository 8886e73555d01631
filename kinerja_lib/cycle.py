"""Appraisal cycles: opening one with its method settings, looking it up, closing it."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
import stat
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlite_utils import Database

from .errors import CycleError
from .reference import load_instrument, load_vocabulary
from .settings import (ANONYMOUS_GROUPS, PER_GROUP_SETTINGS, MethodSettings, method_settings,  # noqa: F401
                       weak_anonymity)
from .store import audit, now, write_transaction


@dataclass(frozen=True)
class Cycle:
    """One appraisal cycle as stored, with its method settings (a MethodSettings, built from a mapping)."""

    id: int
    nama: str
    periode: str
    tahun: int
    tanggal_mulai: str
    tanggal_selesai: str
    status: str
    instrumen_versi: str
    settings: MethodSettings

    def __post_init__(self) -> None:
        object.__setattr__(self, "settings", method_settings(self.settings))

    @property
    def is_open(self) -> bool:
        return self.status == "terbuka"


#: Longest cycle name accepted (it is printed on every report and export).
NAME_MAX = 200
YEAR_MIN, YEAR_MAX = 1900, 2100

def merge_settings(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return the method defaults updated with ``overrides`` (nested dicts merged), checked, as a plain dict.

    The plain form is what ``cycle.settings`` stores; the analyses read the typed MethodSettings
    (kinerja_lib.settings), built and checked on the same path. Raises CycleError naming the setting that is
    wrong.

    >>> merge_settings({"minimal_penilai": {"rekan": 4}})["minimal_penilai"]["rekan"]
    4
    """
    return MethodSettings.build(overrides).to_dict()


def validate_settings(settings: Mapping[str, Any]) -> None:
    """Raise CycleError unless the method settings are complete and coherent (MethodSettings.build's check)."""
    MethodSettings.build(settings)


def anonymity_warning(settings: Mapping[str, Any]) -> str | None:
    """Return the warning every output prints when an anonymous group's minimum is below 3, else None."""
    weak = weak_anonymity(settings)
    if not weak:
        return None
    return ("PERHATIAN: minimal penilai di bawah 3 (" + ", ".join(f"{g} {n}" for g, n in weak.items())
            + "); anonimitas lebih lemah dari bawaan dan jawaban seseorang mungkin dapat dikenali.")


#: A settings file is a few dozen lines; anything larger is not one.
SETTINGS_FILE_MAX_BYTES = 256 * 1024
_SETTINGS_MAX_NODES = 10_000


def load_settings_file(path: str | os.PathLike) -> dict[str, Any]:
    """Return the method overrides in a YAML settings file (for ``merge_settings``).

    Raises CycleError naming the file (and the line of a YAML error) for a missing, special,
    oversized, non-UTF-8 or malformed file, or one that is not a mapping of settings.
    """
    p = Path(path)
    name = str(p)
    try:
        info = os.stat(p)
    except FileNotFoundError:
        raise CycleError(f"{name}: berkas pengaturan tidak ditemukan") from None
    except OSError as exc:
        raise CycleError(f"{name}: berkas pengaturan tidak dapat dibuka ({exc.strerror})") from None
    if stat.S_ISDIR(info.st_mode):
        raise CycleError(f"{name}: adalah folder, bukan berkas pengaturan")
    if not stat.S_ISREG(info.st_mode):
        raise CycleError(f"{name}: bukan berkas biasa (perangkat atau pipa)")
    if info.st_size > SETTINGS_FILE_MAX_BYTES:
        raise CycleError(f"{name}: terlalu besar untuk berkas pengaturan ({info.st_size} bita; paling besar "
                         f"{SETTINGS_FILE_MAX_BYTES})")
    try:
        raw = p.read_bytes()[:SETTINGS_FILE_MAX_BYTES + 1]
        text = raw.decode("utf-8-sig")
    except OSError as exc:
        raise CycleError(f"{name}: berkas pengaturan tidak dapat dibaca ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise CycleError(f"{name}: bukan teks UTF-8; simpan ulang sebagai UTF-8") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", baris {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "susunan YAML tidak valid"
        raise CycleError(f"{name}{where}: YAML tidak valid ({problem})") from None
    except RecursionError:
        raise CycleError(f"{name}: YAML terlalu dalam bersarang") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise CycleError(f"{name}: isi berkas pengaturan harus berupa pasangan 'kunci: nilai' seperti "
                         "data/referensi/metode.yaml")
    _count_nodes(data, name)
    return data


def _count_nodes(data: Any, name: str) -> None:
    # YAML aliases can make a small file describe an exponentially large tree; refuse it before
    # anything walks or serialises it.
    budget = [_SETTINGS_MAX_NODES]

    def walk(node: Any) -> None:
        budget[0] -= 1
        if budget[0] < 0:
            raise CycleError(f"{name}: terlalu banyak nilai untuk berkas pengaturan")
        if isinstance(node, dict):
            for k, v in node.items():
                walk(k)
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(data)


def _clean_name(nama: Any) -> str:
    text = " ".join(str(nama if nama is not None else "").split())
    if not text:
        raise CycleError("nama siklus tidak boleh kosong atau hanya spasi")
    if len(text) > NAME_MAX:
        raise CycleError(f"nama siklus terlalu panjang ({len(text)} karakter; paling banyak {NAME_MAX})")
    return text


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
    nama = _clean_name(nama)
    periods = load_vocabulary()["periode"]
    if periode not in periods:
        raise CycleError(f"periode '{periode}' tidak dikenal; pilihan: {', '.join(periods)}")
    start, end = _parse_date(tanggal_mulai, "tanggal_mulai"), _parse_date(tanggal_selesai, "tanggal_selesai")
    if end < start:
        raise CycleError("tanggal_selesai tidak boleh sebelum tanggal_mulai")
    if isinstance(tahun, bool) or not isinstance(tahun, int) or not YEAR_MIN <= tahun <= YEAR_MAX:
        raise CycleError(f"tahun '{tahun}' harus bilangan bulat {YEAR_MIN}-{YEAR_MAX}")
    merged = MethodSettings.build(settings)
    with write_transaction(db):
        if db.execute("SELECT 1 FROM cycle WHERE nama = ?", [nama]).fetchone():
            raise CycleError(f"Siklus bernama '{nama}' sudah ada")
        cur = db.execute(
            "INSERT INTO cycle (nama, periode, tahun, tanggal_mulai, tanggal_selesai, status, "
            "instrumen_versi, settings, dibuat) VALUES (?, ?, ?, ?, ?, 'terbuka', ?, ?, ?)",
            [nama, periode, int(tahun), start, end, load_instrument().versi,
             json.dumps(merged.to_dict(), ensure_ascii=False), now()])
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
    elif isinstance(cycle, int) or (str(cycle).isascii() and str(cycle).isdigit()):
        text = str(cycle)
        # An id beyond SQLite's integer range cannot exist; do not ask.
        rows = list(db.query("SELECT * FROM cycle WHERE id = ?", [int(text)])) if len(text) <= 18 else []
    else:
        rows = list(db.query("SELECT * FROM cycle WHERE nama = ?", [str(cycle)]))
    if not rows:
        shown = str(cycle) if len(str(cycle)) <= 60 else str(cycle)[:60] + "…"
        raise CycleError(f"Siklus '{shown}' tidak ditemukan")
    return _row_to_cycle(rows[0])


def list_cycles(db: Database) -> list[Cycle]:
    """Return every cycle, newest first."""
    return [_row_to_cycle(r) for r in db.query("SELECT * FROM cycle ORDER BY id DESC")]


def close_cycle(db: Database, cycle: int | str, pelaku: str = "cli") -> Cycle:
    """Close a cycle: its links stop working and its forms can no longer change. Returns it.

    Raises CycleError, changing nothing, when the cycle is already closed: its closing time is the
    one recorded the first time.
    """
    c = get_cycle(db, cycle)
    with write_transaction(db):
        row = db.execute("SELECT status, ditutup FROM cycle WHERE id = ?", [c.id]).fetchone()
        if row[0] != "terbuka":
            raise CycleError(f"Siklus '{c.nama}' sudah ditutup pada {row[1] or 'waktu yang tidak tercatat'}; "
                             "tidak ada yang diubah")
        db.execute("UPDATE cycle SET status = 'ditutup', ditutup = ? WHERE id = ? AND status = 'terbuka'",
                   [now(), c.id])
        audit(db, pelaku, "tutup_siklus", "cycle", c.id)
    return get_cycle(db, c.id)


def record_run(db: Database, cycle_id: int, jenis: str, settings: Mapping[str, Any],
               versi_data: int | None = None) -> int:
    """Record that an analysis (``jenis``: skor, penghargaan, ...) ran on a cycle with ``settings``; return its id.

    Call inside the caller's write transaction, so the record lands together with what the run produced.
    ``versi_data`` is the cycle's form-change counter the run read (store.data_version), when it read forms.
    """
    return db.execute("INSERT INTO analysis_run (cycle_id, jenis, settings, dihitung, versi_data) "
                      "VALUES (?, ?, ?, ?, ?)",
                      [cycle_id, jenis, json.dumps(dict(settings), ensure_ascii=False, default=str), now(),
                       versi_data]).lastrowid
