"""Reading import files: encodings, delimiters, sheets, header aliases, NIP and date values."""

from datetime import date, datetime

import pytest
from openpyxl import Workbook

from kinerja_lib.errors import ImportRejected, Problem
from kinerja_lib.export import Sheet, write_xlsx
from kinerja_lib.tabular import (ImportSummary, normalise_header, parse_date, parse_float, parse_int, parse_nip,
                                 read_table, sheet_names)

COLUMNS = {"nip": ["NIP Baru", "nip pegawai"], "nama": ["Nama Lengkap"], "unit": ["Unit Kerja", "OPD"]}
REQUIRED = {"nip", "nama"}
ROWS = [{"nip": "198501012010011001", "nama": "Ngatini Sri Rejeki", "unit": "Dinas Kesehatan"},
        {"nip": "199002022015022003", "nama": "Bèrnadetta Wulan", "unit": "Dinas Pendidikan, Pemuda"}]


def _write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _text(delim: str) -> str:
    def q(v):
        return f'"{v}"' if delim in v else v
    lines = [delim.join(["NIP", "Nama Lengkap", "Unit Kerja"])]
    lines += [delim.join(q(r[k]) for k in ("nip", "nama", "unit")) for r in ROWS]
    return "\r\n".join(lines) + "\r\n"


def _xlsx(tmp_path, sheets: dict[str, list[list]], name="data.xlsx"):
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
    path = tmp_path / name
    wb.save(path)
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_every_supported_encoding_reads_the_same_rows(tmp_path, encoding):
    """UTF-8 with or without BOM, Windows-1252 and Excel's UTF-16 'Unicode text' all give the same rows."""
    delim = "\t" if encoding == "utf-16" else ";"
    path = _write(tmp_path, "pegawai.csv", _text(delim).encode(encoding))
    table = read_table(path, COLUMNS, REQUIRED)
    assert (table.problems, table.rows, table.row_numbers) == ([], ROWS, [2, 3])


@pytest.mark.parametrize("data", [b"NIP;Nama\n\x00\x01\x02\x03;x\n", b"NIP;Nama\n\x81\x8d\x8f\x90;x\n",
                                  "NIP;Nama\n198501012010011001;Sri\n".encode("utf-16-le")])
def test_undecodable_text_is_one_clear_problem(tmp_path, data):
    """Bytes that are neither UTF-8 nor Windows-1252 text give one encoding problem and no rows."""
    table = read_table(_write(tmp_path, "x.csv", data), COLUMNS, REQUIRED)
    assert table.rows == []
    assert [(p.row, p.column) for p in table.problems] == [(None, None)]
    assert "tidak dapat dibaca sebagai teks" in table.problems[0].message


@pytest.mark.parametrize("delim", [",", ";", "\t"])
def test_comma_semicolon_and_tab_are_sniffed(tmp_path, delim):
    """The delimiter is found from the header, and quoted values may contain it."""
    table = read_table(_write(tmp_path, "p.csv", _text(delim).encode()), COLUMNS, REQUIRED)
    assert (table.problems, table.rows) == ([], ROWS)


def test_unknown_delimiter_is_reported_with_the_missing_columns(tmp_path):
    """A pipe-separated file reads as one column: the report says so and lists the missing columns."""
    table = read_table(_write(tmp_path, "p.csv", _text("|").encode()), COLUMNS, REQUIRED)
    assert [(p.row, p.column) for p in table.problems] == [(1, None), (1, "NIP Baru"), (1, "Nama Lengkap")]
    assert "pemisah kolom" in table.problems[0].message
    assert "'nip pegawai'" in table.problems[1].message


def test_row_with_other_field_count_is_reported_by_row(tmp_path):
    """A data row split differently from the header (wrong delimiter in that row) is a problem at that row."""
    text = "NIP;Nama;Unit Kerja\n198501012010011001;Sri;Dinkes\n199002022015022003,Wulan,Dinkes\n"
    table = read_table(_write(tmp_path, "p.csv", text.encode()), COLUMNS, REQUIRED)
    assert [(p.row, p.column) for p in table.problems] == [(3, None)]
    assert table.row_numbers == [2]


def test_blank_lines_are_skipped_but_row_numbers_match_the_file(tmp_path):
    """Row numbers are the file's own (header = 1), blank lines counted but not returned."""
    text = "\nNIP;Nama\n\n198501012010011001;Sri\n;\n199002022015022003;Wulan\n"
    table = read_table(_write(tmp_path, "p.csv", text.encode()), COLUMNS, REQUIRED)
    assert table.row_numbers == [4, 6]
    assert [r["nama"] for r in table.rows] == ["Sri", "Wulan"]


@pytest.mark.parametrize("data, message", [
    (b"", "berkas kosong"),
    (b"  \r\n\r\n", "berkas kosong"),
    (b"NIP;Nama\r\n", "berkas tidak berisi baris data (hanya judul kolom)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "format Excel lama (.xls) tidak didukung; "
                                                          "simpan ulang sebagai .xlsx atau CSV"),
])
def test_empty_or_unsupported_files_give_one_problem(tmp_path, data, message):
    """Empty files, header-only files and old .xls files are each one whole-file problem."""
    table = read_table(_write(tmp_path, "p.csv", data), COLUMNS, REQUIRED)
    assert table.problems == [Problem("p.csv", None, None, message)]


def test_missing_file_is_a_problem_not_an_exception(tmp_path):
    """A path that does not exist is reported, not raised."""
    table = read_table(tmp_path / "tidak-ada.csv", COLUMNS, REQUIRED)
    assert table.problems == [Problem("tidak-ada.csv", None, None, "berkas tidak ditemukan")]


def test_duplicate_columns_meaning_the_same_are_reported(tmp_path):
    """Two headers that are aliases of one column are ambiguous, so the file is refused."""
    text = "NIP;NIP Baru;Nama\n198501012010011001;198501012010011001;Sri\n"
    table = read_table(_write(tmp_path, "p.csv", text.encode()), COLUMNS, REQUIRED)
    assert [(p.row, p.column) for p in table.problems] == [(1, "NIP Baru")]


@pytest.mark.parametrize("header, expected", [
    ("NIP", "nip"), (" Nip Baru ", "nip baru"), ("nip_pegawai", "nip pegawai"), ("Gol. Ruang", "gol ruang"),
    ("Pangkat / Golongan", "pangkat/golongan"), ("TMT CPNS (DD-MM-YYYY)", "tmt cpns"), ("\ufeffNama*", "nama"),
    ("Unit\xa0Kerja", "unit kerja"), ("L/P", "l/p"),
])
def test_headers_are_normalised_before_matching(header, expected):
    """Case, spacing, underscores, dots, notes in brackets and BOMs do not matter in headers."""
    assert normalise_header(header) == expected


def test_unknown_headers_are_ignored_and_absent_optional_columns_are_blank(tmp_path):
    """Extra columns are ignored; an optional column not in the file reads as ''."""
    text = "No;NIP;Nama;Catatan\n1;198501012010011001;Sri;x\n"
    table = read_table(_write(tmp_path, "p.csv", text.encode()), COLUMNS, REQUIRED)
    assert table.rows == [{"nip": "198501012010011001", "nama": "Sri", "unit": ""}]
    assert (table.has("unit"), table.headers) == (False, {"nip": "NIP", "nama": "Nama"})


def test_a_lone_dash_means_blank(tmp_path):
    """Spreadsheets write '-' for nothing; it reads as ''."""
    text = "NIP;Nama;OPD\n198501012010011001;Sri;-\n"
    assert read_table(_write(tmp_path, "p.csv", text.encode()), COLUMNS, REQUIRED).rows[0]["unit"] == ""


def test_xlsx_reads_the_first_sheet_by_default_and_a_named_one_on_request(tmp_path):
    """Without a sheet name the first sheet is read; a name (any case) picks that sheet."""
    path = _xlsx(tmp_path, {"Daftar": [["NIP", "Nama"], ["198501012010011001", "Sri"]],
                            "Lain": [["NIP", "Nama"], ["199002022015022003", "Wulan"]]})
    first = read_table(path, COLUMNS, REQUIRED)
    named = read_table(path, COLUMNS, REQUIRED, sheet="lain")
    assert (first.rows[0]["nama"], first.source, first.problems) == ("Sri", "data.xlsx [Daftar]", [])
    assert (named.rows[0]["nama"], named.source, named.problems) == ("Wulan", "data.xlsx [Lain]", [])


def test_xlsx_with_the_wrong_sheet_names_the_sheets_that_exist(tmp_path):
    """Asking for a sheet that is not there lists the sheets the workbook has."""
    path = _xlsx(tmp_path, {"Daftar": [["NIP", "Nama"]], "Petunjuk": [["x"]]})
    table = read_table(path, COLUMNS, REQUIRED, sheet="Pegawai")
    assert table.problems == [Problem("data.xlsx", None, None,
                                      "lembar kerja 'Pegawai' tidak ada; lembar yang ada: 'Daftar', 'Petunjuk'")]


def test_sheet_option_on_a_csv_is_a_problem(tmp_path):
    """A sheet name only makes sense for a workbook."""
    table = read_table(_write(tmp_path, "p.csv", _text(";").encode()), COLUMNS, REQUIRED, sheet="Pegawai")
    assert [p.message for p in table.problems] == ["pilihan lembar kerja 'Pegawai' hanya berlaku untuk berkas .xlsx"]


def test_xlsx_values_become_text_without_losing_digits(tmp_path):
    """Whole numbers stay exact, dates become ISO, and a numeric NIP keeps its damaged form for the validator.

    Like Excel, openpyxl stores an 18-digit number with 15 significant digits, so a NIP typed as a
    number is already damaged inside the file.
    """
    path = _xlsx(tmp_path, {"S": [["NIP", "Nama", "Unit Kerja"],
                                  ["198501012010011001", 42, datetime(2010, 1, 1)],
                                  [198501012010011001, 4.0, date(2024, 8, 17)],
                                  ["199002022015022003", 4.5, None]]})
    table = read_table(path, COLUMNS, REQUIRED)
    assert table.rows == [
        {"nip": "198501012010011001", "nama": "42", "unit": "2010-01-01"},
        {"nip": "1.98501012010011e+17", "nama": "4", "unit": "2024-08-17"},
        {"nip": "199002022015022003", "nama": "4.5", "unit": ""},
    ]
    assert parse_nip(table.rows[1]["nip"])[1].startswith("NIP tersimpan sebagai angka di Excel")


def test_a_damaged_xlsx_is_a_problem(tmp_path):
    """A zip that is not a workbook is reported, not raised."""
    table = read_table(_write(tmp_path, "p.xlsx", b"PK\x03\x04" + b"\x00" * 64), COLUMNS, REQUIRED)
    assert len(table.problems) == 1 and "rusak" in table.problems[0].message


def test_reject_if_problems_raises_with_every_problem(tmp_path):
    """The collected problems travel in ImportRejected, all of them."""
    table = read_table(_write(tmp_path, "p.csv", _text("|").encode()), COLUMNS, REQUIRED)
    with pytest.raises(ImportRejected) as info:
        table.reject_if_problems()
    assert info.value.problems == table.problems and len(table.problems) == 3


@pytest.mark.parametrize("value, expected", [
    ("198501012010011001", "198501012010011001"),
    ("'198501012010011001", "198501012010011001"),
    ("19850101 201001 1 001", "198501012010011001"),
    (" 199002022015022003 ", "199002022015022003"),
])
def test_valid_nips_are_cleaned(value, expected):
    """Spaces of the printed form and Excel's leading apostrophe are removed."""
    assert parse_nip(value) == (expected, None)


@pytest.mark.parametrize("value, fragment", [
    ("19850101201001100", "harus tepat 18 angka"),
    ("1985010120100110011", "harus tepat 18 angka"),
    ("19850101201001100A", "harus tepat 18 angka"),
    ("１９８５０１０１２０１００１１００１", "harus tepat 18 angka"),
    ("198513012010011001", "tanggal lahir"),
    ("198501012010131001", "bulan TMT"),
    ("198501012010013001", "jenis kelamin"),
    ("1.98501012010011e+17", "tersimpan sebagai angka"),
    ("1,98501E+17", "tersimpan sebagai angka"),
])
def test_malformed_nips_are_explained(value, fragment):
    """Each kind of malformed NIP gets its own Indonesian explanation."""
    nip, message = parse_nip(value)
    assert nip is None and fragment in message


@pytest.mark.parametrize("text, expected", [
    ("2024-08-17", date(2024, 8, 17)), ("2024/8/17", date(2024, 8, 17)), ("17-08-2024", date(2024, 8, 17)),
    ("17/08/2024", date(2024, 8, 17)), ("7.8.2024", date(2024, 8, 7)), ("03/04/2024", date(2024, 4, 3)),
    ("1 Januari 2024", date(2024, 1, 1)), ("01-Agu-2024", date(2024, 8, 1)), ("17 agustus 1945", date(1945, 8, 17)),
    ("2024-08-17 00:00:00", date(2024, 8, 17)), ("45292", date(2024, 1, 1)), (" 29-02-2024 ", date(2024, 2, 29)),
])
def test_accepted_date_forms(text, expected):
    """ISO, day-first numeric, Indonesian month names and Excel serial days are read."""
    assert parse_date(text) == expected


@pytest.mark.parametrize("text, fragment", [
    ("31-02-2024", "tidak ada di kalender"), ("29-02-2023", "tidak ada di kalender"),
    ("12/31/2024", "tidak ada di kalender"), ("17-08-24", "tidak dikenali"), ("kemarin", "tidak dikenali"),
    ("1 Smarch 2024", "tidak dikenali"), ("01-01-1850", "di luar 1900-2100"), ("2024-08-17 10:30", "tidak dikenali"),
])
def test_bad_dates_become_problems(text, fragment):
    """A bad date is returned as a Problem carrying where it was, never raised."""
    result = parse_date(text, file="f.csv", row=7, column="TMT CPNS")
    assert isinstance(result, Problem)
    assert (result.file, result.row, result.column) == ("f.csv", 7, "TMT CPNS")
    assert fragment in result.message


@pytest.mark.parametrize("text, expected", [("4", 4), ("4.0", 4), ("4,00", 4), ("-2", -2), ("4.5", None),
                                            ("", None), ("empat", None)])
def test_parse_int(text, expected):
    """Whole numbers, also as Excel writes them with a zero decimal, are integers; others are not."""
    assert parse_int(text) == expected


@pytest.mark.parametrize("text, expected", [("72,5", 72.5), ("72.5", 72.5), ("80", 80.0), (",5", 0.5),
                                            ("1.000,5", None), ("", None)])
def test_parse_float(text, expected):
    """A decimal comma or point is accepted; thousands separators are not guessed."""
    assert parse_float(text) == expected


def test_summary_message_counts_what_was_written():
    """The CLI's one-line summary names rows, inserts, updates and the counted thing."""
    assert ImportSummary("jawaban", "j.csv", 55, 2, 1, counted="formulir").message() == (
        "Impor jawaban dari j.csv selesai: 55 baris, 2 formulir ditambahkan, 1 formulir diperbarui.")


def test_sheet_names_match_openpyxl_for_excel_and_kit_workbooks(tmp_path):
    """sheet_names lists a workbook's sheets in order, as openpyxl does, for any workbook and the kit's exports."""
    from openpyxl import load_workbook

    wb = Workbook()
    wb.active.title = "Ringkasan & <Catatan>"
    wb.create_sheet("Pegawai \"Aktif\"")
    wb.create_sheet("Kohort")
    excel = tmp_path / "excel.xlsx"
    wb.save(excel)
    kit = write_xlsx(tmp_path / "kit.xlsx", [Sheet("Rencana", [["1"]], ["nip"]), Sheet("Pengaturan", [], ["nama"])])
    for path in (excel, kit):
        assert sheet_names(path) == load_workbook(path).sheetnames
    assert sheet_names(kit) == ["Rencana", "Pengaturan"]


def test_sheet_names_refuses_a_file_that_is_no_workbook(tmp_path):
    """A file that is not an XLSX package is a ValueError with an Indonesian message, not a zip traceback."""
    path = _write(tmp_path, "bukan.xlsx", b"NIP;Nama\r\n")
    with pytest.raises(ValueError, match="bukan buku kerja Excel"):
        sheet_names(path)
