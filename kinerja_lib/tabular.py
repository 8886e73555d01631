"""Reads CSV and XLSX import files into rows of text keyed by canonical column names, collecting problems.

Every importer of the kit goes through :func:`read_table`: it detects the text encoding and the
delimiter, reads a named (or the first) sheet of a workbook, maps the headers people actually write
("Nip Baru", "OPD", "Gol. Ruang") to canonical names through an alias table, and keeps every value
as text so an 18-digit NIP is never turned into a float. Nothing here raises on bad input: problems
are collected (file, row, column, Indonesian message) so an importer can report all of them at once.

Row numbers are those the user sees in the file: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import csv
import errno
import io
import math
import os
import re
import stat
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import ImportRejected, Problem

#: Delimiters a CSV file may use. Indonesian Excel writes ';' because ',' is the decimal mark.
DELIMITERS = (",", ";", "\t")

# Bounds checked before a file is parsed, so a hostile or mistaken file is refused at once with
# little memory. A 100,000-row roster is about 5 MB as XLSX (73 MB of sheet XML, compressed 15:1)
# and 12 MB as CSV; Excel itself stops at 1,048,576 rows.
#: Largest import file read, in bytes.
MAX_FILE_BYTES = 256 * 1024 * 1024
#: Most rows (header included) in one file or sheet.
MAX_ROWS = 1_048_576
#: Most cells read from one sheet, counting the empty cells a worksheet pads its rows with.
MAX_CELLS = 50_000_000
#: Most parts in an XLSX package (a workbook has a dozen or so, plus one per sheet).
XLSX_MAX_MEMBERS = 2_000
#: Largest total uncompressed size an XLSX package may declare.
XLSX_MAX_UNCOMPRESSED = 1024 * 1024 * 1024
#: Highest compression ratio of a large XLSX part; real sheets compress 5-20:1, zip bombs 1000:1.
XLSX_MAX_RATIO = 200
_RATIO_FROM_BYTES = 1024 * 1024

_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Control characters other than tab/newline mean the bytes are not text in the detected encoding.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# --------------------------------------------------------------------------- headers

def normalise_header(text: Any) -> str:
    """Return a header reduced to its comparable form.

    Lowercase; parenthesised notes, '*' marks, underscores, dots and dashes dropped; spaces
    collapsed; spaces around '/' removed.

    >>> normalise_header("  Gol. Ruang ")
    'gol ruang'
    >>> normalise_header("NIP_Pegawai")
    'nip pegawai'
    >>> normalise_header("Pangkat / Golongan")
    'pangkat/golongan'
    >>> normalise_header("TMT CPNS (DD-MM-YYYY)*")
    'tmt cpns'
    """
    s = "" if text is None else str(text)
    s = s.replace("\ufeff", "").replace("\xa0", " ").lower()
    s = re.sub(r"\([^)]*\)", " ", s)
    s = re.sub(r"[_.\-*:]+", " ", s)
    s = re.sub(r"\s+", " ", s).strip()
    return re.sub(r"\s*/\s*", "/", s)


def alias_index(columns: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """Return ``{normalised alias: canonical}`` for a column table; the canonical name is an alias too.

    Raises ValueError when one alias would name two columns (a programming error in the table).
    """
    index: dict[str, str] = {}
    for canonical, aliases in columns.items():
        for alias in (canonical, *aliases):
            key = normalise_header(alias)
            if index.get(key, canonical) != canonical:
                raise ValueError(f"alias {alias!r} names both {index[key]!r} and {canonical!r}")
            index[key] = canonical
    return index


# --------------------------------------------------------------------------- the table

@dataclass
class Table:
    """The rows of one import file, as text keyed by canonical column name.

    ``rows[i]`` holds every canonical column of the table (absent optional columns as ``""``);
    ``row_numbers[i]`` is that row's number in the file (header = 1). ``headers`` maps each
    canonical column found to the header text as written in the file, used in problem reports.
    """

    source: str
    rows: list[dict[str, str]] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)  # canonical -> preferred header, for absent columns

    def __len__(self) -> int:
        return len(self.rows)

    def records(self) -> Iterator[tuple[int, dict[str, str]]]:
        """Yield ``(row number, row)`` pairs."""
        return zip(self.row_numbers, self.rows)

    def has(self, column: str) -> bool:
        """Return whether the file has this canonical column."""
        return column in self.headers

    def column_name(self, column: str | None) -> str | None:
        """Return the header as written in the file for a canonical column (or the canonical name)."""
        if column is None:
            return None
        return self.headers.get(column) or self.labels.get(column, column)

    def problem(self, row: int | None, column: str | None, message: str) -> Problem:
        """Record a problem at a row and canonical column and return it."""
        p = Problem(self.source, row, self.column_name(column), message)
        self.problems.append(p)
        return p

    def date(self, row: int, column: str, value: str, *, required: bool = False) -> str | None:
        """Return ``value`` as an ISO date, or None when blank (a problem when ``required``) or invalid."""
        if not value:
            if required:
                self.problem(row, column, "tanggal wajib diisi")
            return None
        parsed = parse_date(value, file=self.source, row=row, column=self.column_name(column))
        if isinstance(parsed, Problem):
            self.problems.append(parsed)
            return None
        return parsed.isoformat()

    def nip(self, row: int, column: str, value: str, *, required: bool = True) -> str | None:
        """Return ``value`` as a clean 18-digit NIP, or None when blank or invalid (problem recorded)."""
        if not value:
            if required:
                self.problem(row, column, "NIP wajib diisi")
            return None
        nip, message = parse_nip(value)
        if message:
            self.problem(row, column, message)
            return None
        return nip

    def reject_if_problems(self) -> None:
        """Raise ImportRejected with every problem recorded so far, in file order, if there is any."""
        if self.problems:
            raise ImportRejected(sorted(self.problems, key=lambda p: (p.row is not None, p.row or 0)))


@dataclass(frozen=True)
class ImportSummary:
    """What an import wrote: rows read, rows inserted and updated, units created (roster only)."""

    kind: str        # Indonesian name of what was imported, e.g. "pegawai", "jawaban"
    source: str
    rows: int
    inserted: int
    updated: int
    units_created: int = 0
    counted: str = ""  # what inserted/updated count when it is not rows, e.g. "formulir"

    def message(self) -> str:
        """Return the one-line Indonesian summary printed by the CLI.

        >>> ImportSummary("pegawai", "pegawai.csv", 14, 12, 2, 3).message()
        'Impor pegawai dari pegawai.csv selesai: 14 baris, 12 ditambahkan, 2 diperbarui, 3 unit baru.'
        """
        what = f"{self.counted} " if self.counted else ""
        text = (f"Impor {self.kind} dari {self.source} selesai: {self.rows} baris, "
                f"{self.inserted} {what}ditambahkan, {self.updated} {what}diperbarui")
        if self.units_created:
            text += f", {self.units_created} unit baru"
        return text + "."


# --------------------------------------------------------------------------- reading

def read_table(path: str | Path, columns: Mapping[str, Iterable[str]], required: Iterable[str] = (),
               sheet: str | None = None, *, allow_empty: bool = False) -> Table:
    """Read a CSV or XLSX file into a :class:`Table`; problems are collected, never raised.

    ``columns`` maps each canonical column to its accepted header aliases; headers not in it are
    ignored. ``required`` columns must be present. ``sheet`` names the worksheet of an XLSX file
    (default: the first). Unless ``allow_empty``, a file with no data rows is a problem.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "x.csv")
    >>> _ = open(p, "w", encoding="utf-8").write("NIP Baru;Nama Lengkap\\n198501012010011001;Sri Lestari\\n")
    >>> t = read_table(p, {"nip": ["nip baru"], "nama": ["nama lengkap"]}, {"nip", "nama"})
    >>> t.rows, t.row_numbers, t.problems
    ([{'nip': '198501012010011001', 'nama': 'Sri Lestari'}], [2], [])
    """
    path = Path(path)
    table = Table(source=path.name or str(path), labels={c: next(iter(a), c) for c, a in columns.items()})
    raw = _read_bytes(path, table)
    if raw is None:
        return table
    if not raw.strip():
        table.problem(None, None, "berkas kosong")
        return table
    if raw.startswith(_XLS_MAGIC):
        table.problem(None, None, "format Excel lama (.xls) tidak didukung; simpan ulang sebagai .xlsx atau CSV")
        return table
    if raw.startswith(_XLSX_MAGIC):
        grid = _read_xlsx(raw, table, sheet)
        padded = True
    else:
        padded = False
        if sheet is not None:
            table.problem(None, None, f"pilihan lembar kerja '{sheet}' hanya berlaku untuk berkas .xlsx")
            return table
        grid = _read_csv(raw, table, alias_index(columns))
    if grid is None:
        return table
    _build(table, grid, columns, set(required), allow_empty, padded)
    return table


_OS_REASONS = {errno.EACCES: "tidak ada izin membacanya", errno.EPERM: "tidak ada izin membacanya",
               errno.EISDIR: "itu adalah folder", errno.ENAMETOOLONG: "nama berkasnya terlalu panjang",
               errno.ELOOP: "tautan simbolisnya berputar", errno.ENOTDIR: "salah satu bagian jalurnya bukan folder"}


def _os_reason(exc: OSError) -> str:
    return _OS_REASONS.get(exc.errno, exc.strerror or str(exc))


def _read_bytes(path: Path, table: Table) -> bytes | None:
    """Return the file's bytes, or None with a problem recorded for anything that is not a readable,
    regular file of at most MAX_FILE_BYTES (folders, devices such as /dev/zero, FIFOs)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        table.problem(None, None, "berkas tidak ditemukan")
        return None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        reason = _os_reason(exc) if isinstance(exc, OSError) else "nama berkas tidak valid"
        table.problem(None, None, f"berkas tidak dapat dibuka: {reason}")
        return None
    if stat.S_ISDIR(info.st_mode):
        table.problem(None, None, "ini folder, bukan berkas; sebutkan berkas CSV atau XLSX-nya")
        return None
    if not stat.S_ISREG(info.st_mode):
        # Never open it: a FIFO blocks until someone writes, /dev/zero never ends.
        table.problem(None, None, "bukan berkas biasa (perangkat atau pipa); sebutkan berkas CSV atau XLSX")
        return None
    too_big = (f"berkas terlalu besar untuk diimpor (paling besar {MAX_FILE_BYTES // (1024 * 1024)} MB); "
               "pecah menjadi beberapa berkas")
    if info.st_size > MAX_FILE_BYTES:
        table.problem(None, None, too_big)
        return None
    try:
        with open(path, "rb") as fh:
            # read(n) reserves n bytes up front: ask for the size the file has (it may still grow).
            raw = fh.read(info.st_size + 1)
            if len(raw) > info.st_size:
                raw += fh.read(MAX_FILE_BYTES + 1 - len(raw))
    except OSError as exc:
        table.problem(None, None, f"berkas tidak dapat dibuka: {_os_reason(exc)}")
        return None
    if len(raw) > MAX_FILE_BYTES:
        table.problem(None, None, too_big)
        return None
    return raw


def _decode(raw: bytes, table: Table) -> str | None:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode Text" export: UTF-16 with a byte-order mark, tab-separated.
        encodings = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "cp1252")
    for encoding in encodings:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _CONTROL.search(text):
            break
        return text
    table.problem(None, None,
                  "isi berkas tidak dapat dibaca sebagai teks (pengodean bukan UTF-8 atau Windows-1252, "
                  "atau berkas bukan CSV); simpan ulang sebagai 'CSV UTF-8' atau .xlsx")
    return None


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line
    return ""


def sniff_delimiter(header_line: str, aliases: Mapping[str, str] | None = None) -> str:
    """Return the delimiter among ``,`` ``;`` and tab that best splits a header line.

    The winner is the one whose cells match the most known column names, then the one giving
    the most cells; a line with none of them gives ``,``.

    >>> sniff_delimiter("NIP;Nama;Unit Kerja, Bidang")
    ';'
    """
    best, best_key = ",", (-1, -1)
    for delim in DELIMITERS:
        cells = next(csv.reader([header_line], delimiter=delim), [])
        known = sum(normalise_header(c) in aliases for c in cells) if aliases else 0
        key = (known, len(cells))
        if key > best_key:
            best, best_key = delim, key
    return best


def _read_csv(raw: bytes, table: Table, aliases: Mapping[str, str]) -> list[tuple[int, list[str]]] | None:
    text = _decode(raw, table)
    if text is None:
        return None
    delim = sniff_delimiter(_first_line(text), aliases)
    grid: list[tuple[int, list[str]]] = []
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True)
        for n, rec in enumerate(reader, start=1):
            if n > MAX_ROWS:
                table.problem(None, None, f"berkas lebih dari {MAX_ROWS:,} baris".replace(",", ".")
                              + "; pecah menjadi beberapa berkas")
                return None
            grid.append((n, rec))
    except csv.Error as exc:
        row = f" (sekitar baris {len(grid) + 1})" if grid else ""
        table.problem(None, None, f"struktur CSV rusak{row}: tanda kutip tidak seimbang atau sel terlalu panjang "
                      f"({exc})")
        return None
    return grid


def _cell_text(value: Any) -> str:
    """Return an XLSX cell value as the text a user would type; floats keep their real precision."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        # Below 2**53 an integral float is exact; above it the digits are already lost, so keep
        # the float's own text (e.g. '1.98501012010011e+17') for the validator to reject.
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return repr(value)
    return str(value)


def check_xlsx_package(raw: bytes) -> str | None:
    """Return why an XLSX package must not be opened (Indonesian), or None when its bounds are sane.

    Looks only at the zip directory: the number of parts, the total uncompressed size they declare
    and each large part's compression ratio. Python's zipfile never inflates a part beyond its
    declared size (it stops there and the CRC check fails), so these bounds hold while parsing.
    """
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as package:
            parts = package.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, NotImplementedError) as exc:
        return f"berkas .xlsx rusak atau bukan buku kerja Excel ({exc})"
    if len(parts) > XLSX_MAX_MEMBERS:
        return f"berkas .xlsx berisi {len(parts)} bagian (paling banyak {XLSX_MAX_MEMBERS}); bukan buku kerja biasa"
    total = sum(p.file_size for p in parts)
    if total > XLSX_MAX_UNCOMPRESSED:
        return (f"isi berkas .xlsx terurai menjadi {total / 2**20:,.0f} MB (paling besar "
                f"{XLSX_MAX_UNCOMPRESSED // 2**20} MB); pecah berkasnya atau simpan sebagai CSV").replace(",", ".")
    for p in parts:
        if p.file_size > _RATIO_FROM_BYTES and p.file_size > XLSX_MAX_RATIO * max(p.compress_size, 1):
            return (f"bagian '{p.filename}' dimampatkan {p.file_size // max(p.compress_size, 1)}:1, jauh di atas "
                    "buku kerja biasa (bom zip?); berkas ditolak tanpa dibuka")
    return None


_NS_SHEET = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"


def sheet_names(path: str | Path) -> list[str]:
    """Return the names of an XLSX workbook's sheets in their order, reading only the workbook part.

    openpyxl, even read-only, measures every sheet that declares no dimension when it opens a workbook
    (the kit's own exports declare none), which costs seconds on a city's workbook for a list of names.
    Raises ValueError when the file is not an XLSX workbook.
    """
    import posixpath
    import zipfile
    from xml.etree import ElementTree

    try:
        with zipfile.ZipFile(path) as package:
            part = "xl/workbook.xml"
            if "_rels/.rels" in package.namelist():
                for rel in ElementTree.fromstring(package.read("_rels/.rels")):
                    if rel.get("Type") == _OFFICE_DOCUMENT and rel.get("Target"):
                        part = posixpath.normpath(rel.get("Target").lstrip("/"))
            workbook = ElementTree.fromstring(package.read(part))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError) as exc:
        raise ValueError(f"'{path}' bukan buku kerja Excel ({exc})") from None
    return [sheet.get("name", "") for sheet in workbook.iter(f"{_NS_SHEET}sheet")]


def _read_xlsx(raw: bytes, table: Table, sheet: str | None) -> list[tuple[int, list[str]]] | None:
    refused = check_xlsx_package(raw)
    if refused:
        table.problem(None, None, refused)
        return None
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    # openpyxl reports a malformed package with whatever its XML, zip or type parsing raises; the
    # file is what is wrong, so every such error is the same problem for the user.
    except Exception as exc:
        table.problem(None, None, f"berkas .xlsx rusak atau bukan buku kerja Excel ({type(exc).__name__}: "
                      f"{str(exc)[:200]})")
        return None
    try:
        names = wb.sheetnames
        if not names:
            table.problem(None, None, "buku kerja tidak mempunyai lembar kerja")
            return None
        if sheet is None:
            ws = wb[names[0]]
        else:
            match = [n for n in names if n == sheet] or [n for n in names if n.strip().lower() == sheet.strip().lower()]
            if not match:
                table.problem(None, None, f"lembar kerja '{sheet}' tidak ada; lembar yang ada: "
                              + ", ".join(f"'{n}'" for n in names))
                return None
            ws = wb[match[0]]
        table.source = f"{table.source} [{ws.title}]"
        return _sheet_grid(ws, table)
    except Exception as exc:  # malformed sheet XML surfaces only while rows are read; see above
        table.problem(None, None, f"berkas .xlsx rusak atau bukan buku kerja Excel ({type(exc).__name__}: "
                      f"{str(exc)[:200]})")
        return None
    finally:
        wb.close()


def _sheet_grid(ws: Any, table: Table) -> list[tuple[int, list[str]]] | None:
    """Read a worksheet's rows as text, within MAX_ROWS and MAX_CELLS; None with a problem beyond them."""
    # The declared dimension (e.g. A1:XFD1048576) would pad every row to it: read what is there.
    if hasattr(ws, "reset_dimensions"):
        ws.reset_dimensions()
    grid: list[tuple[int, list[str]]] = []
    cells = 0
    for n, values in enumerate(ws.iter_rows(values_only=True), start=1):
        cells += len(values)
        if n > MAX_ROWS or cells > MAX_CELLS:
            table.problem(None, None, f"lembar kerja '{ws.title}' terlalu besar (lebih dari "
                          + (f"{MAX_ROWS:,} baris" if n > MAX_ROWS else f"{MAX_CELLS:,} sel").replace(",", ".")
                          + "); pecah berkasnya")
            return None
        if not any(v is not None for v in values):
            continue  # empty rows are skipped anyway; a sheet may declare a million of them
        row = [_cell_text(v) for v in values]
        while row and row[-1] == "":
            row.pop()
        grid.append((n, row))
    return grid


def _build(table: Table, grid: list[tuple[int, list[str]]], columns: Mapping[str, Iterable[str]],
           required: set[str], allow_empty: bool, padded: bool) -> None:
    # ``padded``: a worksheet row may stop at its last filled cell, so short rows are normal there;
    # in a CSV a row with a different number of fields usually means a wrong delimiter or quote.
    aliases = alias_index(columns)
    grid_iter = iter(grid)
    header: list[str] | None = None
    for number, cells in grid_iter:
        if any(c.strip() for c in cells):
            header, header_row = cells, number
            break
    if header is None:
        table.problem(None, None, "berkas kosong")
        return
    positions: dict[str, int] = {}
    for pos, text in enumerate(header):
        canonical = aliases.get(normalise_header(text))
        if canonical is None:
            continue
        if canonical in positions:
            table.problem(header_row, text.strip(),
                          f"kolom ganda: '{header[positions[canonical]].strip()}' dan '{text.strip()}' "
                          "bermakna sama; hapus salah satu")
            continue
        positions[canonical] = pos
        table.headers[canonical] = text.strip()
    missing = [c for c in columns if c in required and c not in positions]
    if missing:
        found = [h.strip() for h in header if h.strip()]
        if len(found) == 1 and len(required) > 1:
            table.problem(header_row, None,
                          f"hanya satu kolom terbaca ('{found[0][:60]}'); pemisah kolom harus koma (,), "
                          "titik koma (;) atau tab")
        for c in missing:
            accepted = ", ".join(f"'{a}'" for a in _display_aliases(c, columns[c]))
            table.problem(header_row, c, f"kolom wajib '{c}' tidak ada (nama yang diterima: {accepted})")
    if table.problems:
        return
    width = len(header)
    last_used = max(positions.values(), default=-1)
    take = list(positions.items())
    empty = {c: "" for c in columns}
    for number, cells in grid_iter:
        if not any(c.strip() for c in cells):
            continue
        if padded and len(cells) <= last_used:
            cells = cells + [""] * (width - len(cells))
        too_long = not padded and len(cells) > width and any(c.strip() for c in cells[width:])
        if too_long or len(cells) <= last_used:
            table.problem(number, None,
                          f"baris ini punya {len(cells)} kolom, sedangkan judul punya {width}; "
                          "periksa pemisah kolom dan tanda kutip")
            continue
        row = dict(empty)
        for canonical, pos in take:
            row[canonical] = _clean(cells[pos])
        table.rows.append(row)
        table.row_numbers.append(number)
    if not table.rows and not allow_empty and not table.problems:
        table.problem(None, None, "berkas tidak berisi baris data (hanya judul kolom)")


def _clean(value: str) -> str:
    # A lone dash is how spreadsheets say "nothing here".
    text = value.replace("\xa0", " ").strip()
    return "" if text in ("-", "\u2013", "\u2014") else text


def _display_aliases(canonical: str, aliases: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for a in (canonical, *aliases):
        if normalise_header(a) not in {normalise_header(s) for s in seen}:
            seen.append(a)
    return seen


# --------------------------------------------------------------------------- values

_NIP_SCIENTIFIC = re.compile(r"^\d[.,]\d+\s*[eE]\s*\+?\s*\d+$")


def parse_nip(value: str) -> tuple[str | None, str | None]:
    """Return ``(nip, None)`` for a valid 18-digit NIP, else ``(None, Indonesian message)``.

    Spaces (the printed form ``19850101 201001 1 001``) and a leading apostrophe (Excel's text
    mark) are removed. The first 8 digits must be a birth date, digits 13-14 a month, digit 15
    the sex code 1 or 2. A NIP Excel stored as a number (``1.98501E+17``) has lost its last digits
    and is reported as such.

    >>> parse_nip("19850101 201001 1 001")
    ('198501012010011001', None)
    >>> parse_nip("1.98501012010011e+17")[1][:29]
    'NIP tersimpan sebagai angka d'
    """
    return _parse_nip(value)


@lru_cache(maxsize=65536)
def _parse_nip(value: str) -> tuple[str | None, str | None]:
    text = value.strip().lstrip("'")
    if _NIP_SCIENTIFIC.match(text):
        return None, (f"NIP tersimpan sebagai angka di Excel ('{value}') sehingga digit terakhirnya hilang; "
                      "format kolom NIP sebagai Teks lalu ketik ulang NIP")
    nip = re.sub(r"\s+", "", text)
    if not (len(nip) == 18 and nip.isascii() and nip.isdigit()):
        return None, f"NIP '{value}' harus tepat 18 angka"
    try:
        date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    except ValueError:
        return None, f"NIP '{value}': 8 angka pertama harus tanggal lahir TTTTBBHH yang valid"
    if not 1 <= int(nip[12:14]) <= 12:
        return None, f"NIP '{value}': angka ke-13 dan ke-14 harus bulan TMT (01-12)"
    if nip[14] not in "12":
        return None, f"NIP '{value}': angka ke-15 harus kode jenis kelamin 1 (laki-laki) atau 2 (perempuan)"
    return nip, None


_MONTHS = {
    "januari": 1, "jan": 1, "februari": 2, "pebruari": 2, "feb": 2, "peb": 2, "maret": 3, "mar": 3,
    "april": 4, "apr": 4, "mei": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "agustus": 8, "agu": 8,
    "agt": 8, "agus": 8, "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10, "november": 11,
    "nov": 11, "nop": 11, "desember": 12, "des": 12,
}
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]00:00(?::00)?)?$")
_DMY = re.compile(r"^(\d{1,2})([-/.])(\d{1,2})\2(\d{4})$")
_DMY_NAME = re.compile(r"^(\d{1,2})[\s\-]+([a-z]+)[\s\-]+(\d{4})$")
_SERIAL = re.compile(r"^\d{5}$")
_EXCEL_EPOCH = date(1899, 12, 30)
DATE_FORMATS_HELP = "TTTT-BB-HH, HH-BB-TTTT, HH/BB/TTTT atau '1 Januari 2024'"


def parse_date(value: str, *, file: str = "", row: int | None = None,
               column: str | None = None) -> date | Problem:
    """Return the date written in ``value``, or a Problem (never raises on bad input).

    Accepted: ``YYYY-MM-DD`` (also ``/`` or ``.``), ``DD-MM-YYYY``, ``DD/MM/YYYY``, ``DD.MM.YYYY``,
    Indonesian month names (``1 Januari 2024``, ``01-Jan-2024``), an Excel date cell, and an Excel
    serial day number (5 digits, e.g. ``45292``). Month/day order is always day first: ``03/04/2024``
    is 3 April. Years must lie in 1900..2100.

    >>> parse_date("17/08/2024")
    datetime.date(2024, 8, 17)
    >>> parse_date("31-02-2024", row=3, column="TMT CPNS").message[:24]
    "tanggal '31-02-2024' tid"
    """
    result = _parse_date_text(value.strip())
    if isinstance(result, str):
        return Problem(file, row, column, result)
    return result


@lru_cache(maxsize=65536)
def _parse_date_text(text: str) -> date | str:
    y = m = d = None
    if match := _ISO.match(text):
        y, m, d = (int(g) for g in match.groups())
    elif match := _DMY.match(text):
        d, m, y = int(match.group(1)), int(match.group(3)), int(match.group(4))
    elif match := _DMY_NAME.match(text.lower()):
        month = _MONTHS.get(match.group(2))
        if month is not None:
            d, m, y = int(match.group(1)), month, int(match.group(3))
    elif _SERIAL.match(text):
        serial = int(text)
        if 1 <= serial <= 73050:
            return _EXCEL_EPOCH + timedelta(days=serial)
    if y is None:
        return f"tanggal '{text}' tidak dikenali; gunakan {DATE_FORMATS_HELP}"
    if not 1900 <= y <= 2100:
        return f"tanggal '{text}': tahun {y} di luar 1900-2100"
    try:
        return date(y, m, d)
    except ValueError:
        return f"tanggal '{text}' tidak ada di kalender (hari atau bulan salah; urutan hari-bulan-tahun)"


def parse_int(value: str) -> int | None:
    """Return ``value`` as an integer (``"4"``, ``"4.0"``, ``"4,0"``), or None when it is not one.

    >>> parse_int("4,0"), parse_int("4.5"), parse_int("x")
    (4, None, None)
    """
    text = value.strip()
    if len(text) > 40:  # no count or level has 40 digits; int() of thousands of digits is refused anyway
        return None
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    if re.fullmatch(r"[+-]?\d+[.,]0+", text):
        return int(re.split(r"[.,]", text)[0])
    return None


def parse_float(value: str) -> float | None:
    """Return ``value`` as a number, accepting a decimal comma; None when it is not a number.

    >>> parse_float("72,5"), parse_float("abc")
    (72.5, None)
    """
    text = value.strip()
    if len(text) > 40 or not re.fullmatch(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)", text):
        return None
    number = float(text.replace(",", "."))
    return number if math.isfinite(number) else None


@lru_cache(maxsize=4096)
def fold(value: str) -> str:
    """Return a value folded for lenient matching: lowercase, single spaces, no surrounding space.

    >>> fold("  DI ATAS   Ekspektasi ")
    'di atas ekspektasi'
    """
    return " ".join(value.split()).lower()


def choices_text(values: Iterable[str]) -> str:
    """Return accepted values as Indonesian prose for messages: ``'a', 'b' atau 'c'``."""
    quoted = [f"'{v}'" for v in values]
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " atau " + quoted[-1]
