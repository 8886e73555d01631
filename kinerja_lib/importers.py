"""Imports beside the roster: Rating Hasil Kerja, disiplin, paper responses, unit predikat and expectations,
competency standards and potential; each checks the whole file, then writes in one transaction or not at all."""

from __future__ import annotations

import difflib
import re
import sqlite3
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from .cycle import get_cycle
from .errors import CycleError, ImportRejected, Problem
from .reference import load_competencies, load_distribution_guide, load_instrument, load_scale
from .items import items_for_relation, tdm_limit
from .store import audit, now, write_transaction
from .vocabulary import VOCAB
from .tabular import ImportSummary, Table, choices_text, fold, parse_float, parse_int, read_table

NIP = ("NIP", "NIP Baru", "NIP Pegawai")
UNIT = ("Unit", "Unit Kerja", "OPD", "Perangkat Daerah", "SKPD", "Unit Organisasi", "ID Unit")

HASIL_KERJA_COLUMNS = {
    "nip": NIP,
    "rating": ("Rating Hasil Kerja", "Rating", "Hasil Kerja", "Rating Hasil"),
    "penilai_nip": ("NIP Penilai", "NIP Pejabat Penilai", "NIP Pejabat Penilai Kinerja", "NIP Atasan"),
}
DISIPLIN_COLUMNS = {
    "nip": NIP,
    "tingkat": ("Tingkat", "Tingkat Hukuman", "Tingkat Hukuman Disiplin", "Tingkat Hukdis"),
    "jenis_hukuman": ("Jenis Hukuman", "Hukuman", "Jenis Hukuman Disiplin", "Jenis Hukdis"),
    "tanggal_mulai": ("Tanggal Mulai", "Mulai", "TMT Hukuman", "TMT"),
    "tanggal_selesai": ("Tanggal Selesai", "Selesai", "Akhir Hukuman", "Tanggal Akhir"),
    "keterangan": ("Keterangan", "Nomor SK", "No SK", "Catatan"),
}
RESPONSES_COLUMNS = {
    "nip_penilai": ("NIP Penilai", "Penilai", "rater_nip"),
    "nip_dinilai": ("NIP Dinilai", "NIP Yang Dinilai", "Dinilai", "ratee_nip"),
    "relasi": ("Relasi", "Hubungan", "relation"),
    "kode_butir": ("Kode Butir", "Butir", "Kode", "item"),
    "skor": ("Skor", "Nilai", "score"),
}
PREDIKAT_ORGANISASI_COLUMNS = {
    "unit": UNIT,
    "predikat": ("Predikat", "Predikat Kinerja Organisasi", "Predikat Organisasi"),
}
EKSPEKTASI_COLUMNS = {
    "unit": UNIT,
    "nilai": ("Nilai", "Nilai BerAKHLAK", "Nilai Dasar", "Kode Nilai", "Perilaku"),
    "teks": ("Teks", "Ekspektasi", "Ekspektasi Khusus", "Ekspektasi Khusus Pimpinan", "Uraian"),
}
EKSPEKTASI_PEGAWAI_COLUMNS = {
    "nip": NIP,
    "nilai": EKSPEKTASI_COLUMNS["nilai"],
    "teks": ("Teks", "Ekspektasi", "Ekspektasi Pegawai", "Ekspektasi Atasan", "Uraian"),
}
STANDAR_KOMPETENSI_COLUMNS = {
    "jabatan": ("Jabatan", "Nama Jabatan"),
    "kompetensi": ("Kompetensi", "Kode Kompetensi", "Nama Kompetensi"),
    "level": ("Level", "Level Standar", "Standar", "Level Kompetensi"),
}
POTENSI_COLUMNS = {
    "nip": NIP,
    "tanggal": ("Tanggal", "Tanggal Penilaian", "Tanggal Asesmen", "Tanggal Uji Kompetensi"),
    "kategori": ("Kategori", "Kategori Potensi", "Potensi", "Kotak Potensi"),
    "skor": ("Skor", "Skor Potensi", "Nilai"),
    "sumber": ("Sumber", "Lembaga", "Metode", "Penyelenggara"),
}

# e-Kinerja exports write "DIATAS EKSPEKTASI" / "DIBAWAH EKSPEKTASI": only those joined forms are added.
_RATING_SPELLINGS = {**{fold(r): r for r in VOCAB.rating},
                     "diatas ekspektasi": "Di Atas Ekspektasi", "dibawah ekspektasi": "Di Bawah Ekspektasi"}
_DISIPLIN_SPELLINGS = {**{lvl: lvl for lvl in VOCAB.tingkat_disiplin},
                       **{fold(label): lvl for lvl, label in VOCAB.tingkat_disiplin.items()},
                       **{f"hukdis {lvl}": lvl for lvl in VOCAB.tingkat_disiplin}}


def _resolve_cycle(db: Database, cycle: Any, *, must_be_open: bool = False):
    c = get_cycle(db, cycle)
    if must_be_open and not c.is_open:
        raise CycleError(f"Siklus '{c.nama}' sudah ditutup; formulirnya terkunci dan jawaban tidak dapat diimpor")
    return c


def _nips(db: Database) -> set[str]:
    return {r[0] for r in db.execute("SELECT nip FROM pegawai")}


def _known_nip(table: Table, row: int, column: str, value: str, known: set[str], required: bool = True) -> str | None:
    nip = table.nip(row, column, value, required=required)
    if nip is not None and nip not in known:
        table.problem(row, column, f"pegawai dengan NIP {nip} tidak ada di basis data; impor daftar pegawai dahulu")
        return None
    return nip


def _duplicate(table: Table, seen: dict, key: Any, row: int, column: str, what: str) -> bool:
    """Record a problem and return True when ``key`` was already seen in an earlier row."""
    if key in seen:
        table.problem(row, column, f"{what} ganda: sudah ada di baris {seen[key]}")
        return True
    seen[key] = row
    return False


def _run(db: Database, path: str | Path, columns: dict, required: set[str], sheet: str | None,
         check: Callable[[Table], Callable[[], tuple[int, int]]], kind: str, aksi: str, pelaku: str,
         counted: str = "", **detail: Any) -> ImportSummary:
    """Read, check (inside the write lock, so the database cannot change in between) and write.

    ``check`` records problems on the table and returns the writer, which returns (inserted, updated).
    """
    table = read_table(path, columns, required, sheet)
    table.reject_if_problems()
    try:
        with write_transaction(db):
            write = check(table)
            table.reject_if_problems()
            inserted, updated = write()
            audit(db, pelaku, aksi, None, None, berkas=table.source, baris=len(table),
                  ditambahkan=inserted, diperbarui=updated, **detail)
    except sqlite3.IntegrityError as exc:  # a rule the checks missed: still write nothing
        raise ImportRejected([Problem(table.source, None, None, f"basis data menolak data: {exc}")]) from exc
    return ImportSummary(kind, table.source, len(table), inserted, updated, counted=counted)


def _existing_keys(db: Database, sql: str, params: list) -> set:
    return {tuple(r) for r in db.execute(sql, params).fetchall()}


def _upsert(db: Database, existing_sql: str, params: list, upsert_sql: str, rows: list[tuple], key: slice):
    """Return the write step of an upsert import: run ``upsert_sql`` over ``rows`` and return
    (inserted, updated), a row counting as updated when ``row[key]`` was among ``existing_sql``'s keys."""
    def write() -> tuple[int, int]:
        before = _existing_keys(db, existing_sql, params)
        db.conn.executemany(upsert_sql, rows)
        updated = sum(tuple(r[key]) in before for r in rows)
        return len(rows) - updated, updated
    return write


# --------------------------------------------------------------------------- Rating Hasil Kerja

def import_hasil_kerja(db: Database, path: str | Path, cycle: int | str | None = None, *,
                       sheet: str | None = None, pelaku: str = "cli") -> ImportSummary:
    """Import the Rating Hasil Kerja per pegawai for a cycle (upsert; sumber 'impor').

    Columns: NIP, Rating Hasil Kerja (one of the three labels; case and spacing are free, and the
    e-Kinerja spellings "DIATAS/DIBAWAH EKSPEKTASI" are accepted), optional NIP Penilai.
    Raises ImportRejected listing every problem, CycleError for an unknown cycle.
    """
    c = _resolve_cycle(db, cycle)

    def check(table: Table):
        known = _nips(db)
        seen: dict = {}
        rows = []
        for n, row in table.records():
            nip = _known_nip(table, n, "nip", row["nip"], known)
            if nip is not None:
                _duplicate(table, seen, nip, n, "nip", f"NIP {nip}")
            rating = _RATING_SPELLINGS.get(fold(row["rating"]))
            if rating is None:
                table.problem(n, "rating", f"rating '{row['rating']}' tidak dikenal; pilihan: {choices_text(VOCAB.rating)}")
            penilai = _known_nip(table, n, "penilai_nip", row["penilai_nip"], known, required=False)
            rows.append((c.id, nip, rating, "impor", penilai, now()))

        return _upsert(db, "SELECT nip FROM rating_hasil_kerja WHERE cycle_id = ?", [c.id],
                       "INSERT INTO rating_hasil_kerja (cycle_id, nip, rating, sumber, penilai_nip, diperbarui) "
                       "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (cycle_id, nip) DO UPDATE SET "
                       "rating = excluded.rating, sumber = excluded.sumber, penilai_nip = excluded.penilai_nip, "
                       "diperbarui = excluded.diperbarui",
                       rows, slice(1, 2))

    return _run(db, path, HASIL_KERJA_COLUMNS, {"nip", "rating"}, sheet, check, "rating hasil kerja",
                "impor_hasil_kerja", pelaku, cycle_id=c.id)


# --------------------------------------------------------------------------- disiplin

def import_disiplin(db: Database, path: str | Path, *, sheet: str | None = None, pelaku: str = "cli") -> ImportSummary:
    """Import disciplinary penalties (PP 94/2021): NIP, tingkat, jenis hukuman, tanggal mulai/selesai.

    Upsert on (NIP, tingkat, jenis hukuman, tanggal mulai): a re-import updates the end date and
    note. Raises ImportRejected listing every problem.
    """
    def check(table: Table):
        known = _nips(db)
        seen: dict = {}
        rows = []
        for n, row in table.records():
            nip = _known_nip(table, n, "nip", row["nip"], known)
            tingkat = _DISIPLIN_SPELLINGS.get(fold(row["tingkat"]))
            if tingkat is None:
                table.problem(n, "tingkat", f"tingkat hukuman '{row['tingkat']}' tidak dikenal; pilihan: "
                              f"{choices_text(VOCAB.tingkat_disiplin)}")
            jenis = re.sub(r"\s+", " ", row["jenis_hukuman"])
            if not jenis:
                table.problem(n, "jenis_hukuman", "jenis hukuman wajib diisi")
            mulai = table.date(n, "tanggal_mulai", row["tanggal_mulai"], required=True)
            selesai = table.date(n, "tanggal_selesai", row["tanggal_selesai"])
            if mulai and selesai and selesai < mulai:
                table.problem(n, "tanggal_selesai", f"tanggal selesai {selesai} sebelum tanggal mulai {mulai}")
            if None not in (nip, tingkat, mulai) and jenis:
                _duplicate(table, seen, (nip, tingkat, jenis, mulai), n, "nip", "hukuman yang sama")
            rows.append((nip, tingkat, jenis, mulai, selesai, row["keterangan"] or None))

        return _upsert(db, "SELECT nip, tingkat, jenis_hukuman, tanggal_mulai FROM disiplin", [],
                       "INSERT INTO disiplin (nip, tingkat, jenis_hukuman, tanggal_mulai, tanggal_selesai, "
                       "keterangan) VALUES (?, ?, ?, ?, ?, ?) "
                       "ON CONFLICT (nip, tingkat, jenis_hukuman, tanggal_mulai) DO UPDATE SET "
                       "tanggal_selesai = excluded.tanggal_selesai, keterangan = excluded.keterangan",
                       rows, slice(0, 4))

    return _run(db, path, DISIPLIN_COLUMNS, {"nip", "tingkat", "jenis_hukuman", "tanggal_mulai"}, sheet, check,
                "hukuman disiplin", "impor_disiplin", pelaku)


# --------------------------------------------------------------------------- responses

def _describe_items(codes: tuple[str, ...]) -> str:
    behaviour = load_instrument().item_codes
    text = f"{behaviour[0]}..{behaviour[-1]}"
    extra = [c for c in codes if c not in behaviour]
    return text + (", " + ", ".join(extra) if extra else "")


def import_responses(db: Database, path: str | Path, cycle: int | str | None = None, *, ganti: bool = False,
                     sheet: str | None = None, pelaku: str = "cli") -> ImportSummary:
    """Import answers collected on paper or in another survey tool, in the long format.

    One row per answer: nip_penilai, nip_dinilai, relasi, kode_butir, skor (blank = tidak dapat
    menilai). Each rater-ratee pair must be an active assignment of the (open) cycle with that
    relation; every item the form asks must be present exactly once, no other item; scores are
    integers on the scale. Imported forms are stored as submitted ('terkirim'). A form already
    started or submitted online is only replaced with ``ganti=True``; a form imported earlier is
    replaced by a new import. Raises ImportRejected listing every problem, CycleError for an
    unknown or closed cycle.
    """
    c = _resolve_cycle(db, cycle, must_be_open=True)
    scale = load_scale()
    tdm_words = {"", fold(scale.tidak_dapat_menilai), "tdm"}

    def check(table: Table):
        assignments = {(r[1], r[2]): r for r in db.execute(
            "SELECT id, rater_nip, ratee_nip, relation, status, terkirim, dikirim_melalui FROM assignment "
            "WHERE cycle_id = ? AND aktif = 1", [c.id]).fetchall()}
        per_form: dict[int, dict[str, int | None]] = defaultdict(dict)
        first_row: dict[int, int] = {}
        seen: dict = {}
        # Completeness is only judged when every row reached its form cleanly; otherwise a row refused
        # for another reason would also show up as a "missing" item, reporting one mistake twice.
        unresolved = False
        tainted: set[int] = set()
        for n, row in table.records():
            before = len(table.problems)
            rater = table.nip(n, "nip_penilai", row["nip_penilai"])
            ratee = table.nip(n, "nip_dinilai", row["nip_dinilai"])
            relation = VOCAB.relasi.parse(row["relasi"])
            if relation is None:
                table.problem(n, "relasi", f"relasi '{row['relasi']}' tidak dikenal; pilihan: {choices_text(VOCAB.relasi)}")
            score_text = row["skor"]
            score = None
            if fold(score_text) not in tdm_words:
                score = parse_int(score_text)
                if score is None or not scale.min <= score <= scale.max:
                    table.problem(n, "skor", f"skor '{score_text}' di luar skala: isi bilangan bulat "
                                  f"{scale.min}-{scale.max}, atau kosongkan untuk '{scale.tidak_dapat_menilai}'")
                    score = None
            item = row["kode_butir"].strip().upper()
            if not item:
                table.problem(n, "kode_butir", "kode butir wajib diisi")
            if rater is None or ratee is None:
                unresolved = True
                continue
            a = assignments.get((rater, ratee))
            if a is None:
                table.problem(n, "nip_penilai", f"penilai {rater} tidak ditugaskan menilai {ratee} pada siklus "
                              f"'{c.nama}'; jawaban dari penilai yang tidak ditugaskan ditolak")
                unresolved = True
                continue
            aid, _, _, assigned_relation, status, terkirim, via = a
            if relation is not None and relation != assigned_relation:
                table.problem(n, "relasi", f"relasi '{row['relasi']}' tidak sesuai penugasan: {rater} menilai "
                              f"{ratee} sebagai '{assigned_relation}'")
            if aid not in first_row:
                first_row[aid] = n
                if status != "belum" and via != "impor" and not ganti:
                    state = f"sudah dikirim daring pada {terkirim}" if status == "terkirim" else "sudah berisi draf daring"
                    table.problem(n, "nip_penilai", f"formulir {rater} untuk {ratee} {state}; gunakan --ganti "
                                  "bila jawaban dari berkas ini memang harus menimpanya")
            allowed = items_for_relation(c.settings, assigned_relation)
            if item and item not in allowed:
                table.problem(n, "kode_butir", f"butir '{row['kode_butir']}' tidak ada pada formulir relasi "
                              f"'{assigned_relation}'; butir yang berlaku: {_describe_items(allowed)}")
            elif item and not _duplicate(table, seen, (aid, item), n, "kode_butir",
                                         f"jawaban butir {item} untuk pasangan ini"):
                per_form[aid][item] = score
            if len(table.problems) > before:
                tainted.add(aid)
        by_id = {a[0]: a for a in assignments.values()}
        for aid, answers in per_form.items():
            if unresolved or aid in tainted:
                continue
            _, rater, ratee, relation, *_ = by_id[aid]
            codes = items_for_relation(c.settings, relation)
            missing = [code for code in codes if code not in answers]
            if missing:
                table.problem(first_row[aid], "kode_butir", f"jawaban {rater} untuk {ratee} belum lengkap: "
                              f"{len(missing)} butir tidak ada ({', '.join(missing)})")
            tdm = sum(s is None for s in answers.values())
            limit = tdm_limit(c.settings, len(codes))
            if tdm > limit:
                table.problem(first_row[aid], "skor", f"jawaban {rater} untuk {ratee}: {tdm} butir "
                              f"'{scale.tidak_dapat_menilai}', paling banyak {limit}")

        def write():
            stamp = now()
            ids = list(per_form)
            db.conn.executemany("DELETE FROM response WHERE assignment_id = ?", [(i,) for i in ids])
            db.conn.executemany(
                "INSERT INTO response (assignment_id, item, score, diperbarui) VALUES (?, ?, ?, ?)",
                [(aid, item, score, stamp) for aid, answers in per_form.items() for item, score in answers.items()])
            db.conn.executemany(
                "UPDATE assignment SET status = 'terkirim', mulai = COALESCE(mulai, ?), diperbarui = ?, "
                "terkirim = ?, dikirim_melalui = 'impor' WHERE id = ?", [(stamp, stamp, stamp, i) for i in ids])
            replaced = sum(1 for i in ids if by_id[i][4] != "belum")
            return len(ids) - replaced, replaced
        return write

    return _run(db, path, RESPONSES_COLUMNS, set(RESPONSES_COLUMNS), sheet, check, "jawaban",
                "impor_jawaban", pelaku, counted="formulir", cycle_id=c.id, ganti=ganti)


# --------------------------------------------------------------------------- units: predikat and ekspektasi

class _Units:
    """Looks units up by id (path), by id ignoring case, or by a unique name; suggests near misses."""

    def __init__(self, db: Database):
        rows = db.execute("SELECT id, nama FROM unit").fetchall()
        self.ids = {r[0] for r in rows}
        self.folded = {fold(r[0]): r[0] for r in rows}
        names: dict[str, list[str]] = defaultdict(list)
        for uid, nama in rows:
            names[fold(nama)].append(uid)
        self.names = names

    def resolve(self, table: Table, row: int, column: str, value: str) -> str | None:
        if not value:
            table.problem(row, column, "unit wajib diisi")
            return None
        if value in self.ids:
            return value
        key = fold(re.sub(r"\s*/\s*", " / ", value))
        if key in self.folded:
            return self.folded[key]
        by_name = self.names.get(fold(value), [])
        if len(by_name) == 1:
            return by_name[0]
        if len(by_name) > 1:
            table.problem(row, column, f"nama unit '{value}' dipakai beberapa unit; tulis jalurnya lengkap, mis. "
                          f"{choices_text(sorted(by_name)[:3])}")
            return None
        near = difflib.get_close_matches(value, sorted(self.ids), n=3, cutoff=0.75)
        hint = f"; mungkin maksudnya {choices_text(near)}" if near else ""
        table.problem(row, column, f"unit '{value}' tidak dikenal{hint}")
        return None


def import_predikat_organisasi(db: Database, path: str | Path, cycle: int | str | None = None, *,
                               sheet: str | None = None, pelaku: str = "cli") -> ImportSummary:
    """Import each unit's Predikat Kinerja Organisasi for a cycle (SE MenPANRB 3/2023; upsert).

    Raises ImportRejected listing every problem (unknown unit, unknown predikat, duplicates).
    """
    c = _resolve_cycle(db, cycle)
    guide = load_distribution_guide()
    spellings = {fold(p): p for p in VOCAB.predikat_organisasi}
    spellings.update({fold(a): p for a, p in guide.alias.items()})

    def check(table: Table):
        units = _Units(db)
        seen: dict = {}
        rows = []
        for n, row in table.records():
            unit = units.resolve(table, n, "unit", row["unit"])
            if unit is not None:
                _duplicate(table, seen, unit, n, "unit", f"unit '{unit}'")
            predikat = spellings.get(fold(row["predikat"]))
            if predikat is None:
                table.problem(n, "predikat", f"predikat '{row['predikat']}' tidak dikenal; pilihan: "
                              f"{choices_text(VOCAB.predikat_organisasi)}")
            rows.append((c.id, unit, predikat))

        return _upsert(db, "SELECT unit_id FROM predikat_organisasi WHERE cycle_id = ?", [c.id],
                       "INSERT INTO predikat_organisasi (cycle_id, unit_id, predikat) VALUES (?, ?, ?) "
                       "ON CONFLICT (cycle_id, unit_id) DO UPDATE SET predikat = excluded.predikat",
                       rows, slice(1, 2))

    return _run(db, path, PREDIKAT_ORGANISASI_COLUMNS, {"unit", "predikat"}, sheet, check,
                "predikat kinerja organisasi", "impor_predikat_organisasi", pelaku, cycle_id=c.id)


def import_ekspektasi(db: Database, path: str | Path, cycle: int | str | None = None, *,
                      sheet: str | None = None, pelaku: str = "cli") -> ImportSummary:
    """Import the Ekspektasi Khusus Pimpinan per unit and BerAKHLAK value for a cycle (upsert).

    The value is its code (B1..B7) or its name ("Akuntabel"). Raises ImportRejected listing every problem.
    """
    c = _resolve_cycle(db, cycle)
    instrument = load_instrument()
    values = {fold(v.kode): v.kode for v in instrument.values}
    values.update({fold(v.nama): v.kode for v in instrument.values})
    offered = [f"{v.kode} ({v.nama})" for v in instrument.values]

    def check(table: Table):
        units = _Units(db)
        seen: dict = {}
        rows = []
        for n, row in table.records():
            unit = units.resolve(table, n, "unit", row["unit"])
            nilai = values.get(fold(row["nilai"]))
            if nilai is None:
                table.problem(n, "nilai", f"nilai BerAKHLAK '{row['nilai']}' tidak dikenal; pilihan: {', '.join(offered)}")
            teks = row["teks"].strip()
            if not teks:
                table.problem(n, "teks", "teks ekspektasi wajib diisi")
            if unit is not None and nilai is not None:
                _duplicate(table, seen, (unit, nilai), n, "nilai", f"ekspektasi {nilai} untuk unit ini")
            rows.append((c.id, unit, nilai, teks))

        return _upsert(db, "SELECT unit_id, nilai FROM ekspektasi_khusus WHERE cycle_id = ?", [c.id],
                       "INSERT INTO ekspektasi_khusus (cycle_id, unit_id, nilai, teks) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (cycle_id, unit_id, nilai) DO UPDATE SET teks = excluded.teks",
                       rows, slice(1, 3))

    return _run(db, path, EKSPEKTASI_COLUMNS, {"unit", "nilai", "teks"}, sheet, check,
                "ekspektasi khusus pimpinan", "impor_ekspektasi", pelaku, cycle_id=c.id)


def import_ekspektasi_pegawai(db: Database, path: str | Path, tahun: int | None = None, *,
                              sheet: str | None = None, pelaku: str = "cli") -> ImportSummary:
    """Import the Ekspektasi per pegawai and BerAKHLAK value for a performance year (upsert), as an atasan sets
    them in the umpan-balik form. ``tahun`` defaults to the year of the latest open cycle.

    The value is its code (B1..B7) or its name. Raises ImportRejected listing every problem, CycleError when no
    year is given and no cycle exists.
    """
    if tahun is None:
        tahun = _resolve_cycle(db, None).tahun
    year = int(tahun)
    instrument = load_instrument()
    values = {fold(v.kode): v.kode for v in instrument.values}
    values.update({fold(v.nama): v.kode for v in instrument.values})
    offered = [f"{v.kode} ({v.nama})" for v in instrument.values]

    def check(table: Table):
        known = _nips(db)
        seen: dict = {}
        rows = []
        stamp = now()
        for n, row in table.records():
            nip = _known_nip(table, n, "nip", row["nip"], known)
            nilai = values.get(fold(row["nilai"]))
            if nilai is None:
                table.problem(n, "nilai", f"nilai BerAKHLAK '{row['nilai']}' tidak dikenal; pilihan: {', '.join(offered)}")
            teks = row["teks"].strip()
            if not teks:
                table.problem(n, "teks", "teks ekspektasi wajib diisi")
            elif len(teks) > 2000:
                table.problem(n, "teks", f"teks ekspektasi terlalu panjang: {len(teks)} karakter, paling banyak 2000")
            if nip is not None and nilai is not None:
                _duplicate(table, seen, (nip, nilai), n, "nilai", f"ekspektasi {nilai} untuk pegawai ini")
            rows.append((year, nip, nilai, teks, pelaku, stamp))

        return _upsert(db, "SELECT nip, nilai FROM ekspektasi_pegawai WHERE tahun = ?", [year],
                       "INSERT INTO ekspektasi_pegawai (tahun, nip, nilai, teks, ditetapkan_oleh, ditetapkan) "
                       "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tahun, nip, nilai) DO UPDATE SET teks = excluded.teks, "
                       "ditetapkan_oleh = excluded.ditetapkan_oleh, ditetapkan = excluded.ditetapkan",
                       rows, slice(1, 3))

    return _run(db, path, EKSPEKTASI_PEGAWAI_COLUMNS, {"nip", "nilai", "teks"}, sheet, check,
                "ekspektasi pegawai", "impor_ekspektasi_pegawai", pelaku, tahun=year)


# --------------------------------------------------------------------------- competency standards, potensi

def import_standar_kompetensi(db: Database, path: str | Path, *, sheet: str | None = None,
                              pelaku: str = "cli") -> ImportSummary:
    """Import the required competency level per jabatan (the instansi's anjab), overriding the defaults.

    Competency by code (K01) or name (Integritas); level 1..5. Raises ImportRejected listing every problem.
    """
    comps = load_competencies().competencies
    names = {fold(k.kode): k.kode for k in comps}
    names.update({fold(k.nama): k.kode for k in comps})
    offered = ", ".join(f"{k.kode} ({k.nama})" for k in comps)

    def check(table: Table):
        seen: dict = {}
        rows = []
        for n, row in table.records():
            jabatan = re.sub(r"\s+", " ", row["jabatan"])
            if not jabatan:
                table.problem(n, "jabatan", "nama jabatan wajib diisi")
            kode = names.get(fold(row["kompetensi"]))
            if kode is None:
                table.problem(n, "kompetensi", f"kompetensi '{row['kompetensi']}' tidak dikenal; pilihan: {offered}")
            level = parse_int(row["level"])
            if level is None or not 1 <= level <= 5:
                table.problem(n, "level", f"level '{row['level']}' harus bilangan bulat 1-5")
            if jabatan and kode:
                _duplicate(table, seen, (jabatan, kode), n, "kompetensi", f"standar {kode} untuk jabatan ini")
            rows.append((jabatan, kode, level))

        return _upsert(db, "SELECT jabatan, kompetensi FROM standar_kompetensi", [],
                       "INSERT INTO standar_kompetensi (jabatan, kompetensi, level) VALUES (?, ?, ?) "
                       "ON CONFLICT (jabatan, kompetensi) DO UPDATE SET level = excluded.level",
                       rows, slice(0, 2))

    return _run(db, path, STANDAR_KOMPETENSI_COLUMNS, {"jabatan", "kompetensi", "level"}, sheet, check,
                "standar kompetensi", "impor_standar_kompetensi", pelaku)


def import_potensi(db: Database, path: str | Path, *, sheet: str | None = None, pelaku: str = "cli") -> ImportSummary:
    """Import potential assessments (PermenPANRB 3/2020 talent 9-box): NIP, tanggal, kategori, skor, sumber.

    Kategori is rendah, menengah or tinggi; skor optional. Upsert on (NIP, tanggal).
    Raises ImportRejected listing every problem.
    """
    def check(table: Table):
        known = _nips(db)
        seen: dict = {}
        rows = []
        for n, row in table.records():
            nip = _known_nip(table, n, "nip", row["nip"], known)
            tanggal = table.date(n, "tanggal", row["tanggal"], required=True)
            kategori = fold(row["kategori"])
            if kategori not in VOCAB.kategori_potensi:
                table.problem(n, "kategori", f"kategori potensi '{row['kategori']}' tidak dikenal; pilihan: "
                              f"{choices_text(VOCAB.kategori_potensi)}")
            skor = None
            if row["skor"]:
                skor = parse_float(row["skor"])
                if skor is None:
                    table.problem(n, "skor", f"skor '{row['skor']}' bukan angka")
            if nip and tanggal:
                _duplicate(table, seen, (nip, tanggal), n, "tanggal", f"penilaian potensi {nip} pada tanggal ini")
            rows.append((nip, tanggal, kategori, skor, row["sumber"] or None))

        return _upsert(db, "SELECT nip, tanggal FROM potensi", [],
                       "INSERT INTO potensi (nip, tanggal, kategori, skor, sumber) VALUES (?, ?, ?, ?, ?) "
                       "ON CONFLICT (nip, tanggal) DO UPDATE SET kategori = excluded.kategori, "
                       "skor = excluded.skor, sumber = excluded.sumber",
                       rows, slice(0, 2))

    return _run(db, path, POTENSI_COLUMNS, {"nip", "tanggal", "kategori"}, sheet, check,
                "potensi", "impor_potensi", pelaku)


INOVASI_COLUMNS = {
    "nip": NIP,
    "judul": ("Judul", "Judul Inovasi", "Nama Inovasi", "Inovasi"),
    "tanggal": ("Tanggal", "Tanggal Penetapan", "Tanggal Pengakuan", "Tanggal SK"),
    "tingkat": ("Tingkat", "Tingkat Inovasi", "Lingkup"),
    "bukti": ("Bukti", "Nomor SK", "No SK", "Sertifikat", "Tautan Bukti"),
    "diverifikasi_oleh": ("Diverifikasi Oleh", "Verifikator", "Diverifikasi"),
    "keterangan": ("Keterangan", "Catatan"),
}


def import_inovasi(db: Database, path: str | Path, *, sheet: str | None = None, pelaku: str = "cli") -> ImportSummary:
    """Import innovation achievements: NIP, judul, tanggal, tingkat, bukti (SK, certificate or link), and who
    verified it (optional). Upsert on (NIP, judul, tanggal). Raises ImportRejected listing every problem.
    """
    def check(table: Table):
        known = _nips(db)
        seen: dict = {}
        rows = []
        for n, row in table.records():
            nip = _known_nip(table, n, "nip", row["nip"], known)
            judul = re.sub(r"\s+", " ", row["judul"] or "").strip()
            if not judul:
                table.problem(n, "judul", "judul inovasi wajib diisi")
            tanggal = table.date(n, "tanggal", row["tanggal"], required=True)
            tingkat = VOCAB.tingkat_inovasi.parse(row["tingkat"])
            if tingkat is None:
                table.problem(n, "tingkat", f"tingkat inovasi '{row['tingkat']}' tidak dikenal; pilihan: "
                              f"{choices_text(VOCAB.tingkat_inovasi)}")
            bukti = (row["bukti"] or "").strip()
            if not bukti:
                table.problem(n, "bukti", "bukti wajib diisi (nomor SK, nomor sertifikat, atau tautan dokumen)")
            if nip and judul and tanggal:
                _duplicate(table, seen, (nip, judul.casefold(), tanggal), n, "judul", f"inovasi yang sama {nip}")
            rows.append((nip, judul, tanggal, tingkat, bukti, (row["diverifikasi_oleh"] or "").strip() or None,
                         row["keterangan"] or None))

        return _upsert(db, "SELECT nip, judul, tanggal FROM inovasi", [],
                       "INSERT INTO inovasi (nip, judul, tanggal, tingkat, bukti, diverifikasi_oleh, keterangan) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (nip, judul, tanggal) DO UPDATE SET "
                       "tingkat = excluded.tingkat, bukti = excluded.bukti, "
                       "diverifikasi_oleh = excluded.diverifikasi_oleh, keterangan = excluded.keterangan",
                       rows, slice(0, 3))

    return _run(db, path, INOVASI_COLUMNS, {"nip", "judul", "tanggal", "tingkat", "bukti"}, sheet, check,
                "inovasi", "impor_inovasi", pelaku)


# --------------------------------------------------------------------------- checks after an import

def head_rating_warnings(db: Database, cycle: int | str | None = None) -> list[str]:
    """Return a warning for each unit head whose Rating Hasil Kerja differs from their unit's achievement.

    SE MenPANRB 3/2023: the head of a unit takes the unit's achievement as Rating Hasil Kerja. A head is a
    pegawai marked kepala_unit whose own unit has a Predikat Kinerja Organisasi in the cycle; the expected
    rating comes from ``rating_hasil_kerja_pimpinan`` in distribusi.yaml. Warns, never refuses.
    """
    c = get_cycle(db, cycle)
    expected = load_distribution_guide().head_rating
    rows = db.execute(
        "SELECT p.nip, p.nama, p.unit_id, o.predikat, h.rating FROM pegawai p "
        "JOIN predikat_organisasi o ON o.unit_id = p.unit_id AND o.cycle_id = ? "
        "JOIN rating_hasil_kerja h ON h.nip = p.nip AND h.cycle_id = ? "
        "WHERE p.kepala_unit = 1 AND p.aktif = 1 ORDER BY p.unit_id, p.nip", [c.id, c.id]).fetchall()
    out = []
    for nip, nama, unit, org, rating in rows:
        want = expected.get(org)
        if want is not None and rating != want:
            out.append(f"Peringatan: {nama} ({nip}) memimpin {unit} yang berpredikat {org}; Rating Hasil Kerja "
                       f"pimpinan unit lazimnya {want} (capaian unit, SE MenPANRB 3/2023), tercatat {rating}.")
    return out


# --------------------------------------------------------------------------- CLTN and Satyalancana received

CLTN_COLUMNS = {
    "nip": NIP,
    "tanggal_mulai": ("Tanggal Mulai", "Mulai", "TMT CLTN", "TMT"),
    "tanggal_selesai": ("Tanggal Selesai", "Selesai", "Tanggal Aktif Kembali", "Akhir CLTN"),
    "keterangan": ("Keterangan", "Nomor SK", "No SK", "Alasan"),
}
SATYALANCANA_COLUMNS = {
    "nip": NIP,
    "tingkat": ("Tingkat", "Satyalancana", "Masa Bakti", "Tahun Masa Bakti", "Jenis"),
    "tahun": ("Tahun", "Tahun Keppres", "Tahun Diterima", "Tahun Penganugerahan"),
    "keterangan": ("Keterangan", "Nomor Keppres", "No Keppres"),
}


def import_cltn(db: Database, path: str | Path, *, sheet: str | None = None, pelaku: str = "cli") -> ImportSummary:
    """Import periods of cuti di luar tanggungan negara (NIP, tanggal mulai, tanggal selesai; upsert).

    They break the unbroken service the Satyalancana Karya Satya counts. An open period (no end date) means
    the pegawai is on CLTN now. Raises ImportRejected listing every problem.
    """
    def check(table: Table):
        known = _nips(db)
        seen: dict = {}
        rows = []
        for n, row in table.records():
            nip = _known_nip(table, n, "nip", row["nip"], known)
            start = table.date(n, "tanggal_mulai", row["tanggal_mulai"], required=True)
            end = table.date(n, "tanggal_selesai", row["tanggal_selesai"])
            if start and end and end < start:
                table.problem(n, "tanggal_selesai", "tanggal selesai sebelum tanggal mulai")
            if nip and start:
                _duplicate(table, seen, (nip, start), n, "tanggal_mulai", f"CLTN {nip} mulai {start}")
            rows.append((nip, start, end, row["keterangan"] or None))

        return _upsert(db, "SELECT nip, tanggal_mulai FROM cltn", [],
                       "INSERT INTO cltn (nip, tanggal_mulai, tanggal_selesai, keterangan) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (nip, tanggal_mulai) DO UPDATE SET tanggal_selesai = excluded.tanggal_selesai, "
                       "keterangan = excluded.keterangan", rows, slice(0, 2))

    return _run(db, path, CLTN_COLUMNS, {"nip", "tanggal_mulai"}, sheet, check, "CLTN", "impor_cltn", pelaku)


def import_satyalancana(db: Database, path: str | Path, *, sheet: str | None = None,
                        pelaku: str = "cli") -> ImportSummary:
    """Import the Satyalancana Karya Satya tiers already received (NIP, tingkat 10/20/30, tahun; upsert).

    A tier already received is never proposed again. ``tingkat`` is the number of years ("10", "XX tahun"
    and "Satyalancana Karya Satya XX Tahun" are read). Raises ImportRejected listing every problem.
    """
    from .awards import load_rules

    tiers = [int(t) for t in load_rules().satyalancana["tahun"]]

    def check(table: Table):
        known = _nips(db)
        seen: dict = {}
        rows = []
        for n, row in table.records():
            nip = _known_nip(table, n, "nip", row["nip"], known)
            found = re.search(r"\d+", row["tingkat"] or "")
            tingkat = int(found.group()) if found else None
            if tingkat not in tiers:
                table.problem(n, "tingkat", f"tingkat '{row['tingkat']}' tidak dikenal; pilihan: "
                              f"{choices_text([str(t) for t in tiers])} (tahun masa bakti)")
            tahun = None
            if row["tahun"]:
                tahun = parse_int(row["tahun"])
                if tahun is None or not 1950 <= tahun <= 2100:
                    table.problem(n, "tahun", f"tahun '{row['tahun']}' tidak valid")
            if nip and tingkat:
                _duplicate(table, seen, (nip, tingkat), n, "tingkat", f"Satyalancana {tingkat} tahun {nip}")
            rows.append((nip, tingkat, tahun, row["keterangan"] or None))

        return _upsert(db, "SELECT nip, tingkat FROM satyalancana_diterima", [],
                       "INSERT INTO satyalancana_diterima (nip, tingkat, tahun, keterangan) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (nip, tingkat) DO UPDATE SET tahun = excluded.tahun, "
                       "keterangan = excluded.keterangan", rows, slice(0, 2))

    return _run(db, path, SATYALANCANA_COLUMNS, {"nip", "tingkat"}, sheet, check, "Satyalancana diterima",
                "impor_satyalancana", pelaku)
