"""Appraisal cycles: opening one with its method settings, looking it up, closing it."""

from __future__ import annotations

import json
import math
import os
import stat
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlite_utils import Database

from .errors import CycleError
from .reference import load_competencies, load_instrument, load_method_defaults, load_vocabulary
from .store import audit, now, write_transaction
from .vocabulary import VOCAB


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


#: Longest cycle name accepted (it is printed on every report and export).
NAME_MAX = 200
YEAR_MIN, YEAR_MAX = 1900, 2100

#: Settings keyed by rater group, narrowed with ``kelompok``.
PER_GROUP_SETTINGS = ("minimal_penilai", "bobot", "kompetensi_per_relasi")


def merge_settings(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the method defaults updated with ``overrides`` (nested dicts merged), validated.

    Raises CycleError naming the setting that is wrong.

    >>> merge_settings({"minimal_penilai": {"rekan": 4}})["minimal_penilai"]["rekan"]
    4
    """
    overrides = overrides or {}
    if not isinstance(overrides, dict):
        raise CycleError("pengaturan harus berupa pasangan 'kunci: nilai'")
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
        _check_shape(str(key), settings[key], value)
        if isinstance(settings[key], dict) and isinstance(value, dict):
            settings[key] = {**settings[key], **value}
        else:
            settings[key] = value
    validate_settings(settings)
    return settings


_KINDS = {dict: "pasangan 'kunci: nilai'", list: "daftar", str: "teks", int: "bilangan bulat", float: "bilangan"}


def _kind(value: Any) -> type:
    if isinstance(value, bool):
        return bool
    if isinstance(value, (int, float)):
        return float if isinstance(value, float) else int
    for kind in (dict, list, str):
        if isinstance(value, kind):
            return kind
    return type(value)


def _check_shape(key: str, default: Any, value: Any) -> None:
    """Raise CycleError unless ``value`` has the shape of the default setting ``key`` (recursively).

    A whole number is accepted where the default is a decimal; booleans are never numbers.
    """
    want, got = _kind(default), _kind(value)
    if want is float and got is int:
        got = float
    if want is not got:
        raise CycleError(f"{key}: harus {_KINDS.get(want, want.__name__)}, bukan {_KINDS.get(got, 'nilai ' + repr(value)[:40])}")
    if want is float and not math.isfinite(value):
        raise CycleError(f"{key}: harus bilangan terhingga")
    if want is int and not -2**63 <= value < 2**63:
        raise CycleError(f"{key}: bilangan terlalu besar")
    if want is dict:
        sample = next(iter(default.values()), None)
        for k, v in value.items():
            if not isinstance(k, str):
                raise CycleError(f"{key}: kunci '{k}' harus teks")
            reference = default.get(k, sample)
            if reference is not None:
                _check_shape(f"{key}.{k}", reference, v)
    elif want is list:
        sample = default[0] if default else value[0] if value and isinstance(value[0], str) else ""
        for i, v in enumerate(value):
            _check_shape(f"{key}[{i + 1}]", sample, v)


def validate_settings(settings: dict[str, Any]) -> None:
    """Raise CycleError unless the method settings are coherent."""
    groups = settings["kelompok"]
    if not set(groups) <= set(VOCAB.relasi):
        raise CycleError(f"kelompok: hanya {VOCAB.relasi.choices()} yang dikenal")
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
    if not isinstance(peers, int) or not 0 <= peers <= 100:
        raise CycleError("rekan_per_pegawai: harus bilangan bulat 0 sampai 100")
    if not 0 <= settings["benih_acak"] < 2**32:
        raise CycleError("benih_acak: harus bilangan bulat 0 sampai 4294967295")
    if not 1 <= settings["komentar_maks_karakter"] <= 100_000:
        raise CycleError("komentar_maks_karakter: harus bilangan bulat 1 sampai 100000")
    for key in ("maks_tidak_dapat_menilai", "titik_buta_proporsi_rentang"):
        if not 0 <= float(settings[key]) <= 1:
            raise CycleError(f"{key}: harus proporsi 0..1")
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


def record_run(db: Database, cycle_id: int, jenis: str, settings: dict[str, Any],
               versi_data: int | None = None) -> int:
    """Record that an analysis (``jenis``: skor, penghargaan, ...) ran on a cycle with ``settings``; return its id.

    Call inside the caller's write transaction, so the record lands together with what the run produced.
    ``versi_data`` is the cycle's form-change counter the run read (store.data_version), when it read forms.
    """
    return db.execute("INSERT INTO analysis_run (cycle_id, jenis, settings, dihitung, versi_data) "
                      "VALUES (?, ?, ?, ?, ?)",
                      [cycle_id, jenis, json.dumps(settings, ensure_ascii=False, default=str), now(),
                       versi_data]).lastrowid
