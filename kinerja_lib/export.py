"""The one writer of the kit's CSV and XLSX exports: safe cells, Indonesian layout, all-or-nothing files.

Every table the kit hands to a person (links, reminder list, scores, training plan, award lists) is
written here, so the rules hold everywhere:

* Text that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab,
  CR or LF, also after leading spaces or in full-width form) gets a leading apostrophe, the escape
  OWASP and ASVS 1.2.10 prescribe for CSV and XLSX alike. Numbers stay numbers: a negative score is
  written as a number, never as text. In XLSX every text is a string cell (``data_type 's'``), so
  it can never become a formula even where the apostrophe rule lets it through (a plain number
  written as text).
* XLSX sheets have bold Indonesian headers, a frozen header row, column widths from the content,
  number formats per column (percentages as percentages), ``Ya``/``Tidak`` for booleans.
* A file is written to a temporary file beside its target, flushed to disk, then renamed over it:
  a reader sees the old file or the new one, never half of one. Files are readable by the owner
  only (0600): they hold personal data and links (UU 27/2022 tentang Pelindungan Data Pribadi).
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import os
import re
import secrets
import stat
import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from .errors import OutputError

#: Owner read/write only: exports hold names, NIPs and personal links.
PRIVATE_FILE_MODE = 0o600

#: Longest text Excel keeps in one cell.
XLSX_CELL_MAX = 32_767

KINDS = {"xlsx": "Excel (.xlsx)", "csv": "CSV (.csv)", "pdf": "PDF (.pdf)"}

# A cell a spreadsheet would evaluate: a formula sign first (after optional spaces), or a control
# character that some programs treat as a cell break. Full-width signs count: some locales turn
# them into formulas as they are typed.
_FORMULA_START = re.compile(r"^(?:[ \u3000]*[=+\-@\uff1d\uff0b\uff0d\uff20]|[\t\r\n\x00])")
# ... unless the whole text is a plain number ("-3", "+62", "2,5"): that is a value, not a formula.
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")
_DECIMALS = re.compile(r"0\.(0+)")


def neutralise(text: str) -> str:
    """Return ``text`` safe to put in a spreadsheet cell: a leading apostrophe when it would start a formula.

    >>> neutralise('=HYPERLINK("http://x", "klik")')
    '\\'=HYPERLINK("http://x", "klik")'
    >>> neutralise("-3"), neutralise("- poin pertama"), neutralise("Sri Lestari")
    ('-3', "'- poin pertama", 'Sri Lestari')
    """
    if _FORMULA_START.match(text) and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text


@dataclass
class Sheet:
    """One table to export: a DataFrame (or rows with ``columns``) and how to present its columns.

    A column is named by the column vocabulary (kinerja_lib.columns, ``kolom`` in kosakata.yaml), which gives
    its Indonesian header, its number format, whether it is always text (NIP) and whether it is long text shown
    wrapped. ``labels``, ``formats``, ``text`` and ``wrap`` add to that per sheet: ``labels`` maps a column to
    another header of the vocabulary, ``formats`` to an Excel number format (``"0.00"``, ``"0.0%"`` for a
    share stored as a fraction). Every header shown must be in the vocabulary: the writer raises ValueError
    for one that is not (a sheet spelling its own header).
    """

    title: str
    data: Any
    columns: Sequence[str] | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    formats: Mapping[str, str] = field(default_factory=dict)
    text: Collection[str] = ()
    wrap: Collection[str] = ()

    def header(self) -> list[str]:
        """Return the column names of the data."""
        if self.columns is not None:
            return [str(c) for c in self.columns]
        return [str(c) for c in getattr(self.data, "columns", [])]

    def rows(self) -> Iterator[Sequence[Any]]:
        """Yield each data row as a sequence of raw values."""
        if hasattr(self.data, "itertuples"):
            yield from self.data.itertuples(index=False, name=None)
        else:
            yield from self.data

    def layout(self) -> list[Layout]:
        """Return each column's header, number format, text and wrap, from the vocabulary and this sheet.

        Raises ValueError when a header is not in the column vocabulary.
        """
        from . import columns as vocabulary

        names = self.header()
        known = vocabulary.find(names)
        out = []
        for name in names:
            column = known.get(name)
            head = self.labels.get(name) or (column.judul if column else name)
            out.append(Layout(name, str(head), self.formats.get(name) or (column.format if column else None),
                              name in self.text or bool(column and column.teks),
                              name in self.wrap or bool(column and column.panjang)))
        vocabulary.check_headers([c.header for c in out], self.title)
        return out


@dataclass(frozen=True)
class Layout:
    """How one column of a sheet is shown: header, number format, always text, wrapped."""

    name: str
    header: str
    format: str | None
    text: bool
    wrap: bool


def settings_sheet(settings: Mapping[str, Any] | Iterable[tuple[str, Any]], title: str = "Pengaturan") -> Sheet:
    """Return a two-column sheet (Pengaturan, Nilai) of the settings, nested keys joined with dots.

    >>> sheet = settings_sheet({"siklus": "Tahunan 2026", "bobot": {"atasan": 0.4}})
    >>> sheet.data, [c.header for c in sheet.layout()]
    ([('siklus', 'Tahunan 2026'), ('bobot.atasan', 0.4)], ['Pengaturan', 'Nilai'])
    """
    rows: list[tuple[str, Any]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(value, (list, tuple, set)):
            rows.append((prefix, ", ".join(str(v) for v in value)))
        else:
            rows.append((prefix, value))

    items = settings.items() if isinstance(settings, Mapping) else settings
    for key, value in items:
        walk(str(key), value)
    return Sheet(title, rows, columns=["pengaturan", "nilai_pengaturan"])


# ------------------------------------------------------------------------------------------ values

def _scalar(value: Any) -> Any:
    """Return a plain Python value for numpy/pandas scalars; None for every kind of missing value."""
    if value is None:
        return None
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return None
        if isinstance(value, pd.Timestamp):
            value = value.to_pydatetime()
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    if hasattr(value, "item") and type(value).__module__ == "numpy":
        value = value.item()
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _decimals(fmt: str | None) -> int | None:
    if not fmt:
        return None
    match = _DECIMALS.search(fmt)
    places = len(match.group(1)) if match else 0
    return places + 2 if fmt.endswith("%") else places


def cell_value(value: Any, *, as_text: bool = False) -> Any:
    """Return the value to store: numbers as numbers, booleans as Ya/Tidak, text neutralised.

    >>> cell_value(True), cell_value(-0.5), cell_value("@SUM(A1)"), cell_value(198501012010011001, as_text=True)
    ('Ya', -0.5, "'@SUM(A1)", '198501012010011001')
    """
    value = _scalar(value)
    if value is None:
        return None
    if isinstance(value, bool):
        return "Ya" if value else "Tidak"
    if as_text:
        return neutralise(str(value))
    if isinstance(value, int):
        # Beyond 15 digits Excel keeps a rounded float: keep every digit as text.
        return value if abs(value) < 10**15 else str(value)
    if isinstance(value, float):
        if math.isinf(value):
            return "\u221e" if value > 0 else "\u2212\u221e"
        return int(value) if value.is_integer() and abs(value) < 10**15 else value
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value
    return neutralise(str(value))


# ------------------------------------------------------------------------------------------ paths

def check_output_path(path: str | os.PathLike, kinds: Sequence[str] = ("xlsx", "csv"), *,
                      option: str | None = None) -> Path:
    """Return ``path`` when a file of one of ``kinds`` can be written there; raise OutputError otherwise.

    Checked before any work or database change: the extension, that the folder exists and is
    writable, and that the path is not a folder, a device or another special file (renaming over
    one would replace it).
    """
    target = Path(path)
    where = f"{option} " if option else ""
    allowed = " atau ".join(f".{k}" for k in kinds)
    suffix = target.suffix.lower().lstrip(".")
    if suffix not in kinds:
        shown = f"'.{suffix}'" if suffix else "tanpa ekstensi"
        raise OutputError(f"berkas keluaran {where}'{target}': ekstensi {shown} tidak dikenal; gunakan {allowed}")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"berkas keluaran {where}'{target}': folder '{folder}' tidak ada; buat dahulu foldernya")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"berkas keluaran {where}'{target}': folder '{folder}' tidak dapat ditulisi")
    try:
        info = os.stat(target)
    except FileNotFoundError:
        return target
    except OSError as exc:
        raise OutputError(f"berkas keluaran {where}'{target}' tidak dapat diperiksa: {exc.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise OutputError(f"berkas keluaran {where}'{target}' adalah folder; tulis nama berkas")
    if not stat.S_ISREG(info.st_mode):
        raise OutputError(f"berkas keluaran {where}'{target}' bukan berkas biasa (perangkat atau pipa); "
                          "pilih nama berkas lain")
    return target


def check_output_dir(path: str | os.PathLike, *, option: str | None = None) -> Path:
    """Return ``path`` when it is a writable folder or can be created as one (its parent exists)."""
    target = Path(path)
    where = f"{option} " if option else ""
    if target.exists():
        if not target.is_dir():
            raise OutputError(f"folder keluaran {where}'{target}' sudah ada tetapi bukan folder")
        if not os.access(target, os.W_OK | os.X_OK):
            raise OutputError(f"folder keluaran {where}'{target}' tidak dapat ditulisi")
        return target
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"folder keluaran {where}'{target}': folder induk '{parent}' tidak ada")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"folder keluaran {where}'{target}': folder induk '{parent}' tidak dapat ditulisi")
    return target


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some filesystems cannot sync a directory; the rename itself is still atomic
        pass
    finally:
        os.close(fd)


class StagedFile:
    """A file written beside its target and moved into place only when asked.

    ``temp`` is created at once (owner-only) in the target's folder. :meth:`place` fsyncs it and
    renames it over the target, keeping the file it replaces aside until :meth:`done` or
    :meth:`undo`; :meth:`undo` removes what was written and restores the previous file. This lets a
    caller put a file in place inside a database transaction and take it back if the commit fails.
    """

    def __init__(self, target: str | os.PathLike):
        self.target = Path(target)
        folder = self.target.parent if str(self.target.parent) else Path(".")
        self.folder = folder
        try:
            fd, name = tempfile.mkstemp(dir=folder, prefix=f".{self.target.name}.", suffix=".sementara")
        except OSError as exc:
            raise OutputError(f"berkas '{self.target}' tidak dapat dibuat: {exc.strerror or exc}") from None
        os.close(fd)
        os.chmod(name, PRIVATE_FILE_MODE)
        self.temp = Path(name)
        self._aside: Path | None = None
        self._placed = False

    def place(self) -> Path:
        """Flush the temporary file to disk and rename it over the target; return the target."""
        try:
            with open(self.temp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.chmod(self.temp, PRIVATE_FILE_MODE)
            if self.target.exists() and not self._placed:
                # A hard link keeps the previous file reachable until the change is final.
                aside = self.folder / f".{self.target.name}.{secrets.token_hex(6)}.lama"
                try:
                    os.link(self.target, aside)
                    self._aside = aside
                except OSError:  # no hard links on this filesystem: undo can only remove the new file
                    self._aside = None
            os.replace(self.temp, self.target)
        except OSError as exc:
            raise OutputError(f"berkas '{self.target}' tidak dapat ditulis: {exc.strerror or exc}") from None
        self._placed = True
        _fsync_dir(self.folder)
        return self.target

    def done(self) -> None:
        """Forget the previous file kept aside (the change is final)."""
        if self._aside is not None:
            self._aside.unlink(missing_ok=True)
            self._aside = None

    def undo(self) -> None:
        """Remove the temporary or placed file and put the previous file back, if there was one."""
        self.temp.unlink(missing_ok=True)
        if self._placed:
            if self._aside is not None:
                os.replace(self._aside, self.target)
            else:
                self.target.unlink(missing_ok=True)
            self._placed = False
        elif self._aside is not None:
            self._aside.unlink(missing_ok=True)
        self._aside = None


@contextlib.contextmanager
def staged_files(*targets: str | os.PathLike | None) -> Iterator[list[StagedFile | None]]:
    """Yield a StagedFile per target (None stays None); on an exception every one is undone.

    The caller writes each ``temp``, calls ``place()`` (typically as the last step inside its
    database transaction) and leaves the block; leaving normally makes them final.
    """
    staged: list[StagedFile | None] = []
    try:
        for t in targets:
            staged.append(None if t is None else StagedFile(t))
        yield staged
    except BaseException:
        for s in staged:
            if s is not None:
                s.undo()
        raise
    for s in staged:
        if s is not None:
            if not s._placed:
                s.undo()
            s.done()


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; when the block ends normally it replaces the target.

    On an exception the temporary file is removed and the target is left as it was.
    """
    with staged_files(target) as (staged,):
        yield staged.temp
        staged.place()


def write_private_bytes(target: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``target`` all-or-nothing, readable by the owner only; return the path."""
    with atomic_path(target) as temp:
        _write_or_fail(temp, target, lambda: temp.write_bytes(data))
    return Path(target)


def write_private_text(target: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``target`` all-or-nothing, readable by the owner only; return the path."""
    return write_private_bytes(target, text.encode(encoding))


def _write_or_fail(temp: Path, target: str | os.PathLike, write: Callable[[], Any]) -> None:
    try:
        write()
    except OSError as exc:  # disk full, quota, I/O error: the target stays as it was
        raise OutputError(f"berkas '{target}' tidak dapat ditulis: {exc.strerror or exc}") from None


# ------------------------------------------------------------------------------------------ CSV

def csv_text(sheet: Sheet) -> str:
    """Return the sheet as CSV text: Indonesian headers, neutralised text, rounded numbers.

    >>> csv_text(Sheet("x", [("=1+1", -2.5, True)], columns=["nama", "skor", "layak"])).splitlines()
    ['Nama,Skor 360,Layak', "'=1+1,-2.5,Ya"]
    """
    buf = io.StringIO()
    writer = csv.writer(buf)
    layout = sheet.layout()
    writer.writerow([neutralise(c.header) for c in layout])
    text_cols = [c.text for c in layout]
    rounding = [_decimals(c.format) for c in layout]
    for row in sheet.rows():
        out = []
        for raw, is_text, places in zip(row, text_cols, rounding):
            v = cell_value(raw, as_text=is_text)
            if isinstance(v, float):
                v = round(v, places if places is not None else 4)
            elif isinstance(v, (date, datetime)):
                v = v.isoformat()
            out.append("" if v is None else v)
        writer.writerow(out)
    return buf.getvalue()


def write_csv(path: str | os.PathLike, sheet: Sheet) -> Path:
    """Write one sheet as UTF-8 CSV with a byte-order mark (so Excel reads accents), all-or-nothing, 0600."""
    return write_private_text(path, csv_text(sheet), encoding="utf-8-sig")


# ------------------------------------------------------------------------------------------ XLSX

def _sheet_title(title: str, used: set[str]) -> str:
    base = _SHEET_TITLE_BAD.sub(" ", title).strip("'")[:31] or "Lembar"
    name, n = base, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


def _text_cell(text: str) -> str:
    # Every character the pattern matches is unprintable, so a printable text (nearly all) skips the scan.
    if not text.isprintable():
        text = _ILLEGAL_XML.sub("\ufffd", text)
    if len(text) > XLSX_CELL_MAX:
        text = text[: XLSX_CELL_MAX - 1] + "\u2026"
    return text


def _converted_columns(sheet: Sheet, text: Collection[str]) -> tuple[list[str], list[list[Any]]]:
    """Return the sheet's column names and each column's values converted by :func:`cell_value`.

    DataFrame columns of plain numbers are converted with numpy at once: a city's per-value sheet
    holds hundreds of thousands of them.
    """
    import numpy as np

    names = sheet.header()
    data = sheet.data
    if not hasattr(data, "itertuples"):
        rows = [list(r) for r in data]
        return names, [[cell_value(r[i] if i < len(r) else None, as_text=name in text) for r in rows]
                       for i, name in enumerate(names)]
    columns: list[list[Any]] = []
    for i, name in enumerate(names):
        series = data.iloc[:, i]
        kind = series.dtype.kind
        if name in text or kind not in "fiu":
            as_text = name in text
            # A text is only neutralised whatever the column (what cell_value does, without its checks).
            columns.append([neutralise(v) if type(v) is str else cell_value(v, as_text=as_text)
                            for v in series.tolist()])
            continue
        if kind == "f" or series.hasnans:   # a nullable integer column with gaps is converted like floats
            values = series.to_numpy(dtype=float, na_value=np.nan)
            kind = "f"
        else:
            values = series.to_numpy()
        out = values.astype(object)
        if kind == "f":
            finite = np.isfinite(values)
            whole = finite & (np.floor(np.where(finite, values, 0)) == values) & (np.abs(values) < 1e15)
            out[whole] = values[whole].astype(np.int64).astype(object)
            out[np.isnan(values)] = None
            out[np.isposinf(values)] = "\u221e"
            out[np.isneginf(values)] = "\u2212\u221e"
        else:
            big = np.abs(values.astype(float)) >= 1e15
            out[big] = [str(v) for v in values[big]]
        columns.append(out.tolist())
    return names, columns


# The workbook is written as its XML parts directly, streamed into the zip row by row: one string per cell
# instead of a cell object and an XML element each (a city's per-value sheet holds a quarter of a million
# cells, and writing them through openpyxl took most of a command's time). Only what the exports use is
# written: inline strings, numbers, dates, per-column number formats, wrapped text, a styled header row,
# column widths and the frozen first row; openpyxl and spreadsheet programs read the result as usual.

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_XML_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_XML_ATTR = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#13;",
                           "\n": "&#10;", "\t": "&#9;"})
_EXCEL_EPOCH = datetime(1899, 12, 30)
_ROWS_PER_WRITE = 2_000


def _column_letter(index: int) -> str:
    """Return the column name of 1-based ``index`` (1 -> A, 27 -> AA)."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _serial(value: date) -> float | int:
    """Return a date or naive datetime as an Excel serial day number (1900 date system)."""
    if isinstance(value, datetime):
        delta = value - _EXCEL_EPOCH
        return delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
    return (value - _EXCEL_EPOCH.date()).days


class _Styles:
    """The workbook's cell formats: each distinct (number format, wrapped, header) gets one index."""

    def __init__(self) -> None:
        self.formats: dict[str, int] = {}
        self.xfs: dict[tuple[str | None, bool, bool], int] = {(None, False, False): 0}

    def index(self, fmt: str | None = None, wrap: bool = False, header: bool = False) -> int:
        key = (fmt or None, wrap, header)
        if key not in self.xfs:
            if key[0] is not None and key[0] not in self.formats:
                self.formats[key[0]] = 164 + len(self.formats)
            self.xfs[key] = len(self.xfs)
        return self.xfs[key]

    def xml(self) -> str:
        fmts = "".join(f'<numFmt numFmtId="{i}" formatCode="{f.translate(_XML_ATTR)}"/>'
                       for f, i in self.formats.items())
        xfs = []
        for fmt, wrap, header in self.xfs:
            num = self.formats[fmt] if fmt is not None else 0
            attrs = (f'numFmtId="{num}" fontId="{int(header)}" fillId="{2 if header else 0}" borderId="0" xfId="0"'
                     + (' applyNumberFormat="1"' if num else "") + (' applyFont="1" applyFill="1"' if header else ""))
            if wrap or header:
                xfs.append(f'<xf {attrs} applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>')
            else:
                xfs.append(f"<xf {attrs}/>")
        return (f'{_XML_HEAD}<styleSheet xmlns="{_NS_MAIN}">'
                + (f'<numFmts count="{len(self.formats)}">{fmts}</numFmts>' if self.formats else "")
                + '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
                '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
                '<fills count="3"><fill><patternFill patternType="none"/></fill>'
                '<fill><patternFill patternType="gray125"/></fill>'
                '<fill><patternFill patternType="solid"><fgColor rgb="00DDEBF7"/><bgColor indexed="64"/>'
                '</patternFill></fill></fills>'
                '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
                '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
                '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
                "</styleSheet>")


def _xml_text(text: str) -> str:
    """Return ``text`` escaped for XML character data (what ``text.translate(_XML_TEXT)`` gives).

    Four ``str.replace`` calls, each a C loop, run several times faster than ``translate`` with a table,
    which looks every character up in a dict: the award workbook escapes about a quarter of a million texts.

    >>> _xml_text("a & b <c>")
    'a &amp; b &lt;c&gt;'
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _text_xml(ref: str, style: int, text: str) -> str:
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t{space}>{_xml_text(text)}</t></is></c>'


def _sheet_parts(sheet: Sheet, styles: _Styles, sample_rows: int = 500) -> Iterator[str]:
    """Yield the worksheet XML of ``sheet`` in pieces: header row, then a few thousand data rows at a time."""
    shown = sheet.layout()
    names, columns = _converted_columns(sheet, {c.name for c in shown if c.text})
    headers = [_text_cell(neutralise(c.header)) for c in shown]
    formats = [c.format for c in shown]
    widths = []
    for i, (head, values) in enumerate(zip(headers, columns)):
        lengths = [len(_shown(v, formats[i])) for v in values[:sample_rows]]
        longest = max([len(head) * 0.8, *lengths], default=8)
        widths.append(min(max(8.0, longest + 2), 60.0))
    letters = [_column_letter(i + 1) for i in range(len(names))]
    # The used range, so readers that trust it (openpyxl's read-only mode, pandas through it) need not scan the
    # sheet to learn its size.
    extent = f"A1:{letters[-1]}{len(columns[0]) + 1}" if names else "A1"
    yield (f'{_XML_HEAD}<worksheet xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}"><dimension ref="{extent}"/>'
           '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
           'state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
           '<sheetFormatPr defaultRowHeight="15"/>')
    if names:
        yield "<cols>" + "".join(f'<col min="{i}" max="{i}" width="{w:g}" customWidth="1"/>'
                                 for i, w in enumerate(widths, 1)) + "</cols>"
    head_style = styles.index(header=True)
    yield ('<sheetData><row r="1">' + "".join(_text_xml(f"{col}1", head_style, head)
                                              for col, head in zip(letters, headers)) + "</row>")
    # Per column: the style of its texts, floats, other numbers, dates and date-times.
    kinds = []
    for column, fmt in zip(shown, formats):
        text = styles.index("@" if column.text else None, wrap=column.wrap)
        kinds.append((text, styles.index(fmt or "0.00"), styles.index(fmt), styles.index("yyyy-mm-dd"),
                      styles.index("yyyy-mm-dd hh:mm")))
    layout = list(zip(letters, kinds))
    chunk: list[str] = []
    for r, values in enumerate(zip(*columns), start=2):
        cells = [f'<row r="{r}">']
        for (col, (s_text, s_float, s_number, s_date, s_datetime)), value in zip(layout, values):
            if value is None or value == "":  # an empty cell, as the earlier writer left it (no empty string)
                continue
            kind = type(value)
            if kind is str:
                cells.append(_text_xml(f"{col}{r}", s_text, _text_cell(value)))
            elif kind is float:
                cells.append(f'<c r="{col}{r}" s="{s_float}" t="n"><v>{value!r}</v></c>')
            elif kind is int:
                cells.append(f'<c r="{col}{r}" s="{s_number}" t="n"><v>{value}</v></c>')
            elif isinstance(value, (date, datetime)):
                style = s_datetime if isinstance(value, datetime) else s_date
                cells.append(f'<c r="{col}{r}" s="{style}" t="n"><v>{_serial(value)!r}</v></c>')
            elif isinstance(value, (int, float)):
                cells.append(f'<c r="{col}{r}" s="{s_float if isinstance(value, float) else s_number}" t="n">'
                             f"<v>{value!r}</v></c>")
            else:
                cells.append(_text_xml(f"{col}{r}", s_text, _text_cell(str(value))))
        cells.append("</row>")
        chunk.append("".join(cells))
        if len(chunk) >= _ROWS_PER_WRITE:
            yield "".join(chunk)
            chunk = []
    chunk.append("</sheetData></worksheet>")
    yield "".join(chunk)


def _write_workbook(path: Path, sheets: Sequence[Sheet]) -> None:
    """Write ``sheets`` as an XLSX package at ``path``."""
    import zipfile

    styles = _Styles()
    used: set[str] = set()
    titles = []
    # Level 1 deflate: a few per cent larger than the default level, several times faster to write.
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for n, sheet in enumerate(sheets, 1):
            titles.append(_sheet_title(sheet.title, used))
            with zf.open(f"xl/worksheets/sheet{n}.xml", "w", force_zip64=True) as part:
                for piece in _sheet_parts(sheet, styles):
                    part.write(piece.encode("utf-8"))
        overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
                            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                            for n in range(1, len(sheets) + 1))
        zf.writestr("[Content_Types].xml", (
            f'{_XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f"{overrides}</Types>"))
        zf.writestr("_rels/.rels", (
            f'{_XML_HEAD}<Relationships xmlns="{_NS_PKG_REL}"><Relationship Id="rId1" '
            f'Type="{_NS_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        sheets_xml = "".join(f'<sheet name="{t.translate(_XML_ATTR)}" sheetId="{n}" r:id="rId{n}"/>'
                             for n, t in enumerate(titles, 1))
        zf.writestr("xl/workbook.xml", (
            f'{_XML_HEAD}<workbook xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}"><bookViews><workbookView/></bookViews>'
            f"<sheets>{sheets_xml}</sheets></workbook>"))
        rels = "".join(f'<Relationship Id="rId{n}" Type="{_NS_REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
                       for n in range(1, len(titles) + 1))
        rels += (f'<Relationship Id="rId{len(titles) + 1}" Type="{_NS_REL}/styles" Target="styles.xml"/>')
        zf.writestr("xl/_rels/workbook.xml.rels", f'{_XML_HEAD}<Relationships xmlns="{_NS_PKG_REL}">{rels}'
                                                  "</Relationships>")
        zf.writestr("xl/styles.xml", styles.xml())


def _shown(value: Any, fmt: str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        places = _decimals(fmt)
        return f"{value:.{2 if places is None else places}f}"
    return str(value)


def write_xlsx(path: str | os.PathLike, sheets: Sequence[Sheet],
               settings: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None) -> Path:
    """Write the sheets (and a Pengaturan sheet from ``settings``) to an XLSX workbook; return the path.

    Streams rows, writes all-or-nothing beside the target, owner-only (0600).
    Raises OutputError when the file cannot be written.
    """
    target = Path(path)
    parts = list(sheets) + ([settings_sheet(settings)] if settings is not None else [])
    with atomic_path(target) as temp:
        _write_or_fail(temp, target, lambda: _write_workbook(temp, parts))
    return target


def write_table(path: str | os.PathLike, sheet: Sheet,
                settings: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None) -> Path:
    """Write one table as CSV or XLSX, chosen by the extension (checked first); return the path.

    The settings, when given, become a second sheet of an XLSX file (a CSV holds one table only).
    """
    target = check_output_path(path, ("csv", "xlsx"))
    if target.suffix.lower() == ".csv":
        return write_csv(target, sheet)
    return write_xlsx(target, [sheet], settings)
