"""Import files are bounded before they are parsed: zip bombs, huge sheets, devices, FIFOs and huge numbers are
one clear problem each, found quickly and with little memory, never an exception."""

from __future__ import annotations

import io
import os
import signal
import sys
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from kinerja_lib import tabular
from kinerja_lib.errors import ImportRejected
from kinerja_lib.importers import import_potensi
from kinerja_lib.tabular import parse_float, parse_int, read_table

COLUMNS = {"nip": ["NIP"], "nama": ["Nama"]}
REQUIRED = {"nip", "nama"}
KINERJA = Path(sys.executable).parent / "kinerja"
SHEET = "xl/worksheets/sheet1.xml"
HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')


def workbook_bytes() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Pegawai"
    ws.append(["NIP", "Nama"])
    ws.append(["198501012010011001", "Sri Lestari"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def with_sheet(write_sheet, *, level: int = 9) -> bytes:
    """A valid workbook whose first sheet's XML is written by ``write_sheet(file)`` (streamed, deflated)."""
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as package:
        for info in source.infolist():
            if info.filename == SHEET:
                member = zipfile.ZipInfo(SHEET)
                member.compress_type = zipfile.ZIP_DEFLATED
                with package.open(member, "w", force_zip64=True) as fh:
                    write_sheet(fh)
            else:
                package.writestr(info, source.read(info.filename))
    return out.getvalue()


def deflate_bomb(megabytes: int = 64) -> bytes:
    """A sheet of ``megabytes`` of repeated rows: a few tens of KB compressed, ratio near 1000:1."""
    def write(fh):
        fh.write(HEAD + b"<sheetData>")
        chunk = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 20_000
        for _ in range(megabytes * 2**20 // len(chunk)):
            fh.write(chunk)
        fh.write(b"</sheetData></worksheet>")
    return with_sheet(write)


def read(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return read_table(path, COLUMNS, REQUIRED)


def only_problem(table):
    assert len(table.problems) == 1, table.problems
    return table.problems[0].message


def test_a_zip_bomb_is_refused_at_once_with_little_memory(tmp_path):
    """A 64 MB sheet in a 70 KB file is refused from the zip directory alone: well under a second, < 20 MB."""
    path = tmp_path / "bom.xlsx"
    path.write_bytes(deflate_bomb())
    assert path.stat().st_size < 200_000
    tracemalloc.start()
    started = time.perf_counter()
    table = read_table(path, COLUMNS, REQUIRED)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "bom zip" in only_problem(table) and "ditolak tanpa dibuka" in only_problem(table)
    assert elapsed < 0.5 and peak < 20 * 2**20, (elapsed, peak)


def test_an_ordinary_workbook_passes_the_package_checks(tmp_path):
    """A real 5,000-row workbook is within every bound and reads completely."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Pegawai")
    ws.append(["NIP", "Nama"])
    for i in range(5_000):
        ws.append([f"1985010120100110{i % 100:02d}", f"Pegawai Nomor {i}"])
    path = tmp_path / "besar.xlsx"
    wb.save(path)
    assert tabular.check_xlsx_package(path.read_bytes()) is None
    assert len(read_table(path, COLUMNS, REQUIRED).rows) == 5_000


def test_a_package_declaring_too_much_is_refused(tmp_path, monkeypatch):
    """The total uncompressed size and the number of parts declared in the zip directory are bounded."""
    monkeypatch.setattr(tabular, "XLSX_MAX_UNCOMPRESSED", 10_000)
    assert "terurai menjadi" in only_problem(read(tmp_path, "a.xlsx", workbook_bytes()))
    monkeypatch.undo()
    monkeypatch.setattr(tabular, "XLSX_MAX_MEMBERS", 5)
    assert "bagian (paling banyak 5)" in only_problem(read(tmp_path, "b.xlsx", workbook_bytes()))


def test_a_declared_dimension_does_not_pad_every_row(tmp_path):
    """A sheet claiming A1:XFD1048576 is read as the cells it holds, not every row padded to 16,384 columns."""
    rows = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c><c r="B%d" t="inlineStr"><is><t>x</t></is></c></row>'
                    % (n, n, 198501012010011000 + n, n) for n in range(2, 2_002))
    data = with_sheet(lambda fh: fh.write(
        HEAD + b'<dimension ref="A1:XFD1048576"/><sheetData>'
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>NIP</t></is></c><c r="B1" t="inlineStr"><is><t>Nama</t></is></c></row>'
        + rows + b"</sheetData></worksheet>"))
    started = time.perf_counter()
    table = read(tmp_path, "dimensi.xlsx", data)
    assert time.perf_counter() - started < 2
    assert (table.problems, len(table.rows), table.rows[0]) == ([], 2_000, {"nip": "198501012010011002", "nama": "x"})


def test_rows_beyond_the_limit_are_one_problem(tmp_path, monkeypatch):
    """A sheet or CSV with more rows than MAX_ROWS (a far cell counts its empty rows too) is refused."""
    monkeypatch.setattr(tabular, "MAX_ROWS", 1_000)
    far = with_sheet(lambda fh: fh.write(
        HEAD + b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>NIP</t></is></c></row>'
        b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>'))
    assert "terlalu besar (lebih dari 1.000 baris)" in only_problem(read(tmp_path, "jauh.xlsx", far))
    csv_text = "NIP;Nama\n" + "198501012010011001;Sri\n" * 1_000
    assert "lebih dari 1.000 baris" in only_problem(read(tmp_path, "panjang.csv", csv_text.encode()))


def test_cells_beyond_the_limit_are_one_problem(tmp_path, monkeypatch):
    """Rows padded to the last column (XFD) count against MAX_CELLS."""
    monkeypatch.setattr(tabular, "MAX_CELLS", 100_000)
    rows = b"".join(b'<row r="%d"><c r="XFD%d"><v>1</v></c></row>' % (n, n) for n in range(1, 20))
    data = with_sheet(lambda fh: fh.write(HEAD + b"<sheetData>" + rows + b"</sheetData></worksheet>"))
    assert "100.000 sel" in only_problem(read(tmp_path, "lebar.xlsx", data))


def damaged_sheet() -> bytes:
    """A workbook whose zip directory is intact but whose sheet data is corrupted (a bad disk or download)."""
    data = bytearray(with_sheet(lambda fh: fh.write(
        HEAD + b"<sheetData>" + b'<row><c t="inlineStr"><is><t>NIP Nama %d</t></is></c></row>' * 400 % tuple(range(400))
        + b"</sheetData></worksheet>"), level=1))
    start = data.index(SHEET.encode()) + len(SHEET) + 60
    for i in range(start, start + 40):
        data[i] ^= 0x5A
    return bytes(data)


@pytest.mark.parametrize("make", [lambda: workbook_bytes()[:1_000], lambda: workbook_bytes()[:-22], damaged_sheet],
                         ids=["cut-short", "no-directory-end", "damaged-sheet"])
def test_a_truncated_or_damaged_workbook_is_one_problem(tmp_path, make):
    """A workbook cut short or with corrupted sheet data is reported as damaged, never raised."""
    assert "rusak" in only_problem(read(tmp_path, "rusak.xlsx", make()))


def test_a_workbook_without_sheets_or_with_broken_xml_is_one_problem(tmp_path):
    """No worksheet part, malformed sheet XML, or a 5,000-digit number cell: one 'rusak' problem each."""
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        for info in source.infolist():
            if info.filename != SHEET:
                package.writestr(info, source.read(info.filename))
    assert only_problem(read(tmp_path, "kosong.xlsx", out.getvalue())) == "buku kerja tidak mempunyai lembar kerja"
    broken = with_sheet(lambda fh: fh.write(HEAD + b"<sheetData><row><c><v>1</v></row>"))
    assert "rusak" in only_problem(read(tmp_path, "xml.xlsx", broken))
    huge = with_sheet(lambda fh: fh.write(HEAD + b'<sheetData><row r="1"><c r="A1"><v>' + b"9" * 5000
                                          + b"</v></c></row></sheetData></worksheet>"))
    assert "rusak" in only_problem(read(tmp_path, "angka.xlsx", huge))


@pytest.fixture
def no_hang():
    """Fail instead of hanging when a read blocks (a FIFO opened for reading waits for a writer)."""
    def timeout(*_):
        raise TimeoutError("reading blocked")
    previous = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def test_devices_fifos_and_folders_are_refused_without_reading(tmp_path, no_hang):
    """/dev/zero (endless), a FIFO (blocks) and a folder are one problem each, found without opening them."""
    fifo = tmp_path / "pipa.csv"
    os.mkfifo(fifo)
    for path, fragment in ((Path("/dev/zero"), "bukan berkas biasa"), (fifo, "bukan berkas biasa"),
                           (tmp_path, "folder, bukan berkas")):
        assert fragment in only_problem(read_table(path, COLUMNS, REQUIRED))


def test_a_file_larger_than_the_limit_is_refused(tmp_path, monkeypatch):
    """MAX_FILE_BYTES bounds what is read into memory."""
    monkeypatch.setattr(tabular, "MAX_FILE_BYTES", 100)
    assert "berkas terlalu besar" in only_problem(read(tmp_path, "besar.csv", b"NIP;Nama\n" + b"x;y\n" * 50))


def test_an_unreadable_file_is_named_with_the_reason(shared_dir, unprivileged):
    """A file the user may not read: exit 2 and 'tidak ada izin membacanya', as an ordinary user would see."""
    path = shared_dir / "rahasia.csv"
    path.write_text("NIP;Nama\n")
    path.chmod(0o000)
    result = unprivileged([str(KINERJA), "--db", str(shared_dir / "k.db"), "import", "roster", str(path)],
                          timeout=120)
    assert result.returncode == 2
    assert "rahasia.csv: berkas tidak dapat dibuka: tidak ada izin membacanya" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("text", ["9" * 5000, "-" + "9" * 41, "1" * 41])
def test_huge_integers_are_not_integers(text):
    """Counts, levels and scores never have 40 digits; Python refuses int() of 4,300+ digits anyway."""
    assert parse_int(text) is None


@pytest.mark.parametrize("text", ["9" * 400, "9" * 39 + "," + "9"])
def test_numbers_beyond_float_are_not_numbers(text):
    """A number that would be infinity (or has 40+ characters) is refused, never stored as inf."""
    assert parse_float(text) is None


def test_a_huge_number_in_a_csv_cell_is_a_located_problem(tmp_path, small_org):
    """A 400-digit potential score is reported at its row and column; nothing is written."""
    nip = small_org.nip["andi"]
    path = tmp_path / "potensi.csv"
    path.write_text(f"NIP;Tanggal;Kategori;Skor\n{nip};2026-01-05;tinggi;{'9' * 400}\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as info:
        import_potensi(small_org.db, path)
    assert [(p.row, p.column) for p in info.value.problems] == [(2, "Skor")]
    assert small_org.db.execute("SELECT COUNT(*) FROM potensi").fetchone() == (0,)
