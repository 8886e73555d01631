"""Imports the roster of pegawai (CSV or XLSX): validates the whole file, then upserts units and pegawai at once."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlite_utils import Database

from .contact import parse_email, parse_phone
from .errors import ImportRejected, Problem
from .reference import JabatanType, load_golongan, load_jabatan_types
from .store import audit, now, write_transaction
from .tabular import ImportSummary, Table, choices_text, fold, read_table

#: Canonical roster columns and the header spellings HR offices use for them.
COLUMNS: dict[str, tuple[str, ...]] = {
    "nip": ("NIP", "NIP Baru", "NIP Pegawai", "NIP 18 Digit", "NIP ASN"),
    "nama": ("Nama", "Nama Lengkap", "Nama Pegawai", "Nama ASN"),
    "jenis_kelamin": ("Jenis Kelamin", "JK", "L/P", "Kelamin"),
    "unit_kerja": ("Unit Kerja", "OPD", "Perangkat Daerah", "SKPD", "Unit Organisasi", "Unor"),
    "sub_unit": ("Sub Unit", "Sub Unit Kerja", "Subunit", "Bidang/Seksi", "Bidang/Bagian", "Unit Kerja Bawah"),
    "jabatan": ("Jabatan", "Nama Jabatan"),
    "jenis_jabatan": ("Jenis Jabatan", "Jenis Jab", "Kelompok Jabatan"),
    "jenjang": ("Jenjang", "Jenjang Jabatan", "Jenjang JF"),
    "pangkat": ("Pangkat",),
    "golongan": ("Golongan", "Gol", "Gol. Ruang", "Golongan Ruang", "Gol/Ruang"),
    "pangkat_golongan": ("Pangkat/Golongan", "Pangkat/Gol", "Pangkat/Gol. Ruang", "Pangkat/Golongan Ruang",
                         "Pangkat Golongan"),
    "atasan_nip": ("NIP Atasan", "NIP Pejabat Penilai", "NIP Atasan Langsung", "NIP Penilai",
                   "NIP Pejabat Penilai Kinerja", "Atasan NIP"),
    "tmt_cpns": ("TMT CPNS", "TMT PNS", "TMT CPNS/PPPK"),
    "kepala_unit": ("Kepala Unit", "Kepala", "Pimpinan Unit"),
    "status_kepegawaian": ("Status Kepegawaian", "Status ASN", "Status Pegawai", "PNS/PPPK", "Jenis Pegawai",
                           "Jenis ASN"),
    "no_hp": ("No. HP", "No HP", "Nomor HP", "HP", "No. HP/WhatsApp", "No. WhatsApp", "Nomor WhatsApp", "WhatsApp",
              "WA", "No. WA", "Nomor WA", "Ponsel", "No. Ponsel", "Telepon", "No. Telepon", "Nomor Telepon"),
    "email": ("E-mail", "Email", "Alamat E-mail", "Alamat Email", "Surel", "Alamat Surel", "Surat Elektronik"),
}
REQUIRED = frozenset({"nip", "nama", "unit_kerja", "jabatan", "jenis_jabatan", "atasan_nip"})

#: Separator between levels of a unit path, in files and in unit ids ("Dinas Kesehatan / Bidang P2P").
UNIT_SEPARATOR = " / "

_SEX = {"l": "L", "p": "P", "laki-laki": "L", "laki laki": "L", "lakilaki": "L", "pria": "L",
        "perempuan": "P", "wanita": "P"}
_YES_NO = {"ya": 1, "y": 1, "1": 1, "tidak": 0, "t": 0, "0": 0, "bukan": 0}
# A CPNS is a PNS in their probation year; "P3K" is the common shorthand for PPPK.
_STATUS = {"pns": "PNS", "cpns": "PNS", "pppk": "PPPK", "p3k": "PPPK"}

# Spellings of jenis jabatan accepted beside the reference codes. Only unambiguous ones: "JPT"
# alone (Utama/Madya/Pratama) and "JA" (administrator, pengawas or pelaksana) are refused.
_JENIS_SPELLINGS = {
    "JPT Utama": ("jabatan pimpinan tinggi utama", "pimpinan tinggi utama", "jpt utama"),
    "JPT Madya": ("jabatan pimpinan tinggi madya", "pimpinan tinggi madya", "jpt madya"),
    "JPT Pratama": ("jabatan pimpinan tinggi pratama", "pimpinan tinggi pratama", "jpt pratama"),
    "Administrator": ("jabatan administrator",),
    "Pengawas": ("jabatan pengawas",),
    "Pelaksana": ("jabatan pelaksana", "jfu", "fungsional umum", "jabatan fungsional umum"),
    "JF": ("jabatan fungsional", "fungsional", "jft", "fungsional tertentu", "jabatan fungsional tertentu"),
}
# Former echelons map one-to-one onto today's structural jabatan (PermenPANRB 17/2021 penyetaraan).
_ESELON = {"ii": "JPT Pratama", "iii": "Administrator", "iv": "Pengawas"}
_ESELON_RE = re.compile(r"^eselon\s*(ii|iii|iv)(?:\s*[./-]?\s*[ab])?$")
_JF_PREFIX_RE = re.compile(r"^(jf|jft|jabatan fungsional|fungsional)\s+(.+)$")
_JENJANG_SHORT = {"utama": "Ahli Utama", "madya": "Ahli Madya", "muda": "Ahli Muda", "pertama": "Ahli Pertama"}
_GOLONGAN_RE = re.compile(r"^(i{1,3}|iv)\s*[/.\- ]?\s*([a-e])$")
_GOLONGAN_TAIL_RE = re.compile(r"(?:^|[\s/(,\-])\(?\s*(i{1,3}|iv)\s*[/.\-]?\s*([a-e])\s*\)?\s*$", re.IGNORECASE)

_LEVEL_RE = re.compile(r"\s+/\s+")

_FIELDS = ("nip", "nama", "jenis_kelamin", "unit_id", "jabatan", "jenis_jabatan", "jenjang", "tingkat",
           "kepala_unit", "golongan", "pangkat", "atasan_nip", "tmt_cpns", "status_kepegawaian", "no_hp", "email")


@dataclass(frozen=True)
class _JabatanCatalogue:
    types: dict[tuple[str, str | None], JabatanType]
    jenis: dict[str, str]            # folded spelling -> kode
    jenjang: dict[str, str]          # folded spelling -> jenjang
    codes: tuple[str, ...]
    jf_jenjang: tuple[str, ...]


def _catalogue() -> _JabatanCatalogue:
    types = {(t.kode, t.jenjang): t for t in load_jabatan_types()}
    codes = tuple(dict.fromkeys(t.kode for t in types.values()))
    jenis = {fold(c): c for c in codes}
    for code, spellings in _JENIS_SPELLINGS.items():
        if code in codes:
            jenis.update({s: code for s in spellings})
    jf_levels = tuple(j for (k, j) in types if k == "JF" and j)
    jenjang = {fold(j): j for j in jf_levels}
    jenjang.update({s: j for s, j in _JENJANG_SHORT.items() if j in jf_levels})
    return _JabatanCatalogue(types, jenis, jenjang, codes, jf_levels)


def resolve_jabatan(jenis: str, jenjang: str, cat: _JabatanCatalogue | None = None
                    ) -> tuple[JabatanType | None, str | None, str | None]:
    """Return ``(type, None, None)`` for a recognised jenis/jenjang jabatan, else ``(None, column, message)``.

    ``column`` is ``"jenis_jabatan"`` or ``"jenjang"``, whichever is wrong.

    >>> resolve_jabatan("Fungsional", "Ahli Muda")[0].tingkat
    3
    >>> resolve_jabatan("JF Ahli Muda", "")[0].jenjang
    'Ahli Muda'
    >>> resolve_jabatan("Eselon III.a", "")[0].kode
    'Administrator'
    """
    cat = cat or _catalogue()
    key = fold(jenis)
    code = cat.jenis.get(key)
    level = fold(jenjang)
    if code is None and (m := _ESELON_RE.match(key)) and _ESELON[m.group(1)] in cat.codes:
        code = _ESELON[m.group(1)]
    if code is None and (m := _JF_PREFIX_RE.match(key)) and m.group(2) in cat.jenjang and "JF" in cat.codes:
        code = "JF"
        if level and cat.jenjang.get(level) != cat.jenjang[m.group(2)]:
            return None, "jenjang", (f"jenjang '{jenjang}' bertentangan dengan jenis jabatan '{jenis}'")
        level = m.group(2)
    if code is None:
        hint = " (sebutkan jenjangnya, mis. 'JPT Pratama')" if key == "jpt" else ""
        if not key:
            return None, "jenis_jabatan", "jenis jabatan wajib diisi"
        return None, "jenis_jabatan", (f"jenis jabatan '{jenis}' tidak dikenal{hint}; pilihan: "
                                       f"{choices_text(cat.codes)} (JF beserta jenjangnya)")
    if code == "JF":
        if not level:
            return None, "jenjang", f"jabatan fungsional wajib punya jenjang: {choices_text(cat.jf_jenjang)}"
        name = cat.jenjang.get(level)
        if name is None:
            return None, "jenjang", f"jenjang '{jenjang}' tidak dikenal; pilihan: {choices_text(cat.jf_jenjang)}"
        return cat.types[("JF", name)], None, None
    if level:
        return None, "jenjang", f"jenjang hanya diisi untuk JF, bukan untuk '{code}'; kosongkan kolom ini"
    return cat.types[(code, None)], None, None


@lru_cache(maxsize=1024)
def normalise_golongan(value: str) -> str | None:
    """Return the golongan ruang in canonical spelling (``III/a``) or None when it is not one.

    >>> normalise_golongan("iii-A"), normalise_golongan("IV / b"), normalise_golongan("V/a")
    ('III/a', 'IV/b', None)
    """
    m = _GOLONGAN_RE.match(fold(value))
    return f"{m.group(1).upper()}/{m.group(2)}" if m else None


@lru_cache(maxsize=1024)
def split_pangkat_golongan(value: str) -> tuple[str, str | None]:
    """Split a combined "pangkat / golongan" cell into ``(pangkat, golongan)``; golongan None if absent.

    >>> split_pangkat_golongan("Penata Muda / III/a")
    ('Penata Muda', 'III/a')
    >>> split_pangkat_golongan("Pembina (IV/a)")
    ('Pembina', 'IV/a')
    >>> split_pangkat_golongan("III/b")
    ('', 'III/b')
    """
    m = _GOLONGAN_TAIL_RE.search(value.strip())
    if not m:
        return value.strip(), None
    pangkat = value[:m.start()].strip().rstrip("/,-(").strip()
    return pangkat, f"{m.group(1).upper()}/{m.group(2).lower()}"


def unit_path(unit_kerja: str, sub_unit: str) -> list[str] | None:
    """Return the unit path (OPD first) from the two columns, or None when a level is blank.

    >>> unit_path("Dinas Kesehatan", "Bidang P2P / Seksi Surveilans")
    ['Dinas Kesehatan', 'Bidang P2P', 'Seksi Surveilans']
    """
    # Only a slash with spaces on both sides separates levels: "Menular/Tidak Menular" is one name.
    parts = [" ".join(p.split()) for p in _LEVEL_RE.split(unit_kerja)]
    if sub_unit:
        parts += [" ".join(p.split()) for p in _LEVEL_RE.split(sub_unit)]
    if any(not p or p.startswith("/") or p.endswith("/") for p in parts):
        return None
    return parts


def import_roster(db: Database, path: str | Path, *, sheet: str | None = None, pelaku: str = "cli") -> ImportSummary:
    """Import a roster file (CSV or XLSX) of pegawai and return what was written.

    The whole file is checked first; every problem is collected (malformed or duplicate NIP,
    unknown atasan, a person as their own atasan, reporting loops, unknown jenis/jenjang jabatan or
    golongan, bad jenis kelamin or dates, a malformed phone number or e-mail address). If there is any, ImportRejected is raised and nothing is
    written. Otherwise units and pegawai are written in one transaction: units are created from the
    OPD and sub-unit path, pegawai are upserted on NIP (re-importing updates in place; columns absent
    from the file keep their stored values), and one audit row records the import.
    """
    table = read_table(path, COLUMNS, REQUIRED, sheet)
    table.reject_if_problems()
    records = _validate_rows(table)
    try:
        with write_transaction(db):
            existing_units = {r[0] for r in db.execute("SELECT id FROM unit")}
            existing = dict(db.execute("SELECT nip, atasan_nip FROM pegawai").fetchall())
            new_units = _check_against_db(table, records, existing, existing_units)
            table.reject_if_problems()
            inserted, updated = _write(db, table, records, existing, new_units)
            audit(db, pelaku, "impor_pegawai", "pegawai", None, berkas=table.source, baris=len(records),
                  ditambahkan=inserted, diperbarui=updated, unit_baru=len(new_units))
    except sqlite3.IntegrityError as exc:  # a rule the checks above missed: still write nothing
        raise ImportRejected([Problem(table.source, None, None, f"basis data menolak data: {exc}")]) from exc
    return ImportSummary("pegawai", table.source, len(records), inserted, updated, len(new_units))


@dataclass
class _Record:
    row: int
    nip: str | None
    values: dict
    path: list[str] | None


def _validate_rows(table: Table) -> list[_Record]:
    """Check each row on its own and the file as a whole (duplicates, own atasan); return parsed rows."""
    cat = _catalogue()
    golongan_known = {"PNS": set(load_golongan()), "PPPK": set(load_golongan("PPPK"))}
    has = table.has
    has_sex, has_tmt, has_head = has("jenis_kelamin"), has("tmt_cpns"), has("kepala_unit")
    has_pangkat, has_gol, has_pg = has("pangkat"), has("golongan"), has("pangkat_golongan")
    has_status = has("status_kepegawaian")
    has_phone, has_email = has("no_hp"), has("email")
    problem = table.problem
    first_row: dict[str, int] = {}
    records: list[_Record] = []
    # Rosters repeat the same units and jabatan types thousands of times: resolve each once.
    jabatan_cache: dict[tuple[str, str], tuple] = {}
    path_cache: dict[tuple[str, str], list[str] | None] = {}
    for row_no, row in table.records():
        nip = table.nip(row_no, "nip", row["nip"])
        if nip is not None:
            if nip in first_row:
                problem(row_no, "nip", f"NIP {nip} ganda: sudah dipakai di baris {first_row[nip]}")
            else:
                first_row[nip] = row_no
        v: dict = {"nip": nip}
        nama = " ".join(row["nama"].split())
        if not nama:
            problem(row_no, "nama", "nama wajib diisi")
        v["nama"] = nama
        sex_text = row["jenis_kelamin"] if has_sex else ""
        if sex_text:
            sex = _SEX.get(fold(sex_text))
            if sex is None:
                problem(row_no, "jenis_kelamin",
                        f"jenis kelamin '{sex_text}' tidak dikenal; isi L/P, Laki-laki/Perempuan atau Pria/Wanita")
        else:  # the 15th digit of a NIP is the sex code
            sex = None if nip is None else ("L" if nip[14] == "1" else "P")
        v["jenis_kelamin"] = sex
        key = (row["unit_kerja"], row["sub_unit"])
        path = path_cache[key] if key in path_cache else path_cache.setdefault(key, unit_path(*key))
        if not row["unit_kerja"]:
            problem(row_no, "unit_kerja", "unit kerja (OPD) wajib diisi")
        elif path is None:
            col = "sub_unit" if row["sub_unit"] and unit_path(row["unit_kerja"], "") else "unit_kerja"
            problem(row_no, col, "nama unit kosong di antara pemisah ' / '")
        v["unit_id"] = UNIT_SEPARATOR.join(path) if path else None
        jabatan = " ".join(row["jabatan"].split())
        if not jabatan:
            problem(row_no, "jabatan", "nama jabatan wajib diisi")
        v["jabatan"] = jabatan
        key = (row["jenis_jabatan"], row["jenjang"])
        if key not in jabatan_cache:
            jabatan_cache[key] = resolve_jabatan(*key, cat)
        jtype, col, message = jabatan_cache[key]
        if jtype is None:
            problem(row_no, col, message)
        v["jenis_jabatan"] = jtype.kode if jtype else None
        v["jenjang"] = jtype.jenjang if jtype else None
        v["tingkat"] = jtype.tingkat if jtype else None
        head = int(jtype.kepala_unit) if jtype else 0
        if has_head and row["kepala_unit"]:
            head = _YES_NO.get(fold(row["kepala_unit"]))
            if head is None:
                problem(row_no, "kepala_unit", f"isi 'Ya' atau 'Tidak', bukan '{row['kepala_unit']}'")
        v["kepala_unit"] = head
        status = "PNS"
        if has_status and row["status_kepegawaian"]:
            status = _STATUS.get(fold(row["status_kepegawaian"]))
            if status is None:
                problem(row_no, "status_kepegawaian",
                        f"status kepegawaian '{row['status_kepegawaian']}' tidak dikenal; isi PNS atau PPPK")
                status = "PNS"
        v["status_kepegawaian"] = status
        pangkat, golongan = _pangkat_golongan(table, row_no, row, has_pangkat, has_gol, has_pg,
                                              golongan_known[status], status)
        v["pangkat"], v["golongan"] = pangkat, golongan
        atasan = table.nip(row_no, "atasan_nip", row["atasan_nip"], required=False)
        if atasan is not None and atasan == nip:
            problem(row_no, "atasan_nip", f"pegawai {nip} tidak boleh menjadi atasannya sendiri")
            atasan = None
        v["atasan_nip"] = atasan
        v["tmt_cpns"] = table.date(row_no, "tmt_cpns", row["tmt_cpns"]) if has_tmt else None
        v["no_hp"] = _contact(table, row_no, "no_hp", row["no_hp"], parse_phone) if has_phone else None
        v["email"] = _contact(table, row_no, "email", row["email"], parse_email) if has_email else None
        records.append(_Record(row_no, nip, v, path))
    return records


def _contact(table: Table, row_no: int, column: str, value: str, parse) -> str | None:
    """Return a phone number or e-mail address checked by ``parse``; blank is None, a bad one a problem."""
    if not value:
        return None
    parsed, message = parse(value)
    if message:
        table.problem(row_no, column, message)
    return parsed


def _pangkat_golongan(table: Table, row_no: int, row: dict, has_pangkat: bool, has_gol: bool, has_pg: bool,
                      known: set[str], status: str = "PNS") -> tuple[str | None, str | None]:
    pangkat = row["pangkat"] if has_pangkat else ""
    golongan_text = row["golongan"] if has_gol else ""
    column = "golongan"
    if has_pg and row["pangkat_golongan"]:
        p, g = split_pangkat_golongan(row["pangkat_golongan"])
        if g is None and not golongan_text:
            table.problem(row_no, "pangkat_golongan",
                          f"golongan tidak ditemukan di '{row['pangkat_golongan']}'; tulis mis. 'Penata Muda / III/a'")
            return pangkat or None, None
        pangkat = pangkat or p
        if not golongan_text:
            golongan_text, column = g or "", "pangkat_golongan"
    if not golongan_text:
        return pangkat or None, None
    if status == "PPPK":  # PPPK golongan are Roman numerals I-XVII, without ruang
        golongan = golongan_text.strip().upper()
        if golongan not in known:
            table.problem(row_no, column, f"golongan PPPK '{golongan_text}' tidak dikenal; isi angka Romawi "
                          "I sampai XVII, mis. 'IX'")
            return pangkat or None, None
        return pangkat or None, golongan
    golongan = normalise_golongan(golongan_text)
    if golongan is None:  # a combined value in the golongan column, e.g. "Penata / III/c"
        p, g = split_pangkat_golongan(golongan_text)
        if g is not None and p:
            golongan, pangkat = g, pangkat or p
    if golongan not in known:
        table.problem(row_no, column, f"golongan '{golongan_text}' tidak dikenal; contoh yang benar: "
                      f"'III/a', 'IV/b' (pilihan: {', '.join(sorted(known, key=_golongan_order))})")
        return pangkat or None, None
    return pangkat or None, golongan


def _golongan_order(g: str) -> tuple[int, str]:
    roman, letter = g.split("/")
    return ({"I": 1, "II": 2, "III": 3, "IV": 4}.get(roman, 9), letter)


def _check_against_db(table: Table, records: list[_Record], existing: dict[str, str | None],
                      existing_units: set[str]) -> list[tuple[str, str, str | None, str]]:
    """Check atasan references and loops against file + database; return the units to create."""
    in_file = {r.nip: r for r in records if r.nip is not None}
    atasan_col = "atasan_nip"
    for r in records:
        a = r.values["atasan_nip"]
        if a is not None and a not in in_file and a not in existing:
            table.problem(r.row, atasan_col, f"atasan {a} tidak ada di berkas ini maupun di basis data")
    # Each person has at most one atasan, so the reporting graph is functional: walking up from
    # each person either ends at the top or enters a loop. Report every loop once.
    boss = {n: a for n, a in existing.items() if a is not None}
    boss.update({n: r.values["atasan_nip"] for n, r in in_file.items()})
    state: dict[str, int] = {}
    for start in in_file:
        if start in state:
            continue
        walk: list[str] = []
        node: str | None = start
        while node is not None and node not in state:
            state[node] = 1
            walk.append(node)
            node = boss.get(node)
        if node is not None and state.get(node) == 1:
            loop = walk[walk.index(node):]
            if any(n in in_file for n in loop):
                rows = sorted(in_file[n].row for n in loop if n in in_file)
                first = min(loop, key=lambda n: in_file[n].row if n in in_file else 1 << 62)
                i = loop.index(first)
                ordered = loop[i:] + loop[:i]
                chain = " -> ".join(ordered + [ordered[0]])
                table.problem(in_file[first].row, atasan_col,
                              f"lingkaran atasan: {chain} (baris {', '.join(map(str, rows))}); "
                              "setiap rantai atasan harus berakhir pada pimpinan tertinggi")
        for n in walk:
            state[n] = 2
    # Units: a unit spelled two ways (case or spacing) is almost surely a typing mistake.
    folded: dict[str, tuple[str, int | None]] = {fold(u): (u, None) for u in existing_units}
    new_units: dict[str, tuple[str, str, str | None, str]] = {}
    done: set[str] = set()
    for r in records:
        if not r.path or r.values["unit_id"] in done:
            continue
        done.add(r.values["unit_id"])
        for depth in range(1, len(r.path) + 1):
            uid = UNIT_SEPARATOR.join(r.path[:depth])
            seen = folded.get(fold(uid))
            if seen is None:
                folded[fold(uid)] = (uid, r.row)
            elif seen[0] != uid:
                where = "di basis data" if seen[1] is None else f"di baris {seen[1]}"
                table.problem(r.row, "sub_unit" if depth > 1 and table.has("sub_unit") else "unit_kerja",
                              f"unit '{uid}' ditulis berbeda dengan '{seen[0]}' {where}; samakan penulisannya")
                break
            if uid not in existing_units and uid not in new_units:
                parent = UNIT_SEPARATOR.join(r.path[:depth - 1]) if depth > 1 else None
                new_units[uid] = (uid, r.path[depth - 1], parent, "opd" if depth == 1 else "unit")
    return sorted(new_units.values(), key=lambda u: u[0].count(UNIT_SEPARATOR))


def _write(db: Database, table: Table, records: list[_Record], existing: dict,
           new_units: Iterable[tuple[str, str, str | None, str]]) -> tuple[int, int]:
    db.conn.executemany("INSERT INTO unit (id, nama, induk_id, jenis) VALUES (?, ?, ?, ?)", list(new_units))
    # Columns the file does not carry keep their stored values on re-import.
    keep = set()
    if not table.has("tmt_cpns"):
        keep.add("tmt_cpns")
    if not table.has("status_kepegawaian"):
        keep.add("status_kepegawaian")
    for contact in ("no_hp", "email"):
        if not table.has(contact):
            keep.add(contact)
    if not (table.has("pangkat") or table.has("pangkat_golongan")):
        keep.add("pangkat")
    if not (table.has("golongan") or table.has("pangkat_golongan")):
        keep.add("golongan")
    updates = ", ".join(f"{f} = excluded.{f}" for f in (*_FIELDS[1:], "aktif", "diperbarui") if f not in keep)
    sql = (f"INSERT INTO pegawai ({', '.join(_FIELDS)}, aktif, diperbarui) "
           f"VALUES ({', '.join('?' * (len(_FIELDS) + 2))}) ON CONFLICT(nip) DO UPDATE SET {updates}")
    stamp = now()
    db.conn.executemany(sql, ([*(r.values[f] for f in _FIELDS), 1, stamp] for r in records))
    updated = sum(1 for r in records if r.nip in existing)
    return len(records) - updated, updated
