"""One column vocabulary for every export: each header comes from kosakata.yaml, and every workbook looks alike."""

from __future__ import annotations

import csv
from collections import defaultdict
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from kinerja_lib import columns, export
from kinerja_lib.cli import main
from kinerja_lib.export import Sheet, csv_text, write_xlsx
from kinerja_lib.vocabulary import VOCAB

# Every sheet the kit writes, by title; the scan below fails when a code path stops reaching the writer.
SHEETS = {"Skor 360", "Skor per Nilai", "Kesepakatan Diri", "Distribusi Unit", "Peringatan Distribusi",
          "Rencana per Pegawai", "Ringkasan Pegawai", "Kohort", "Peserta Kohort", "Ringkasan Unit",
          "Prioritas Kompetensi", "Tanpa Standar", "Daftar pendek", "Kelayakan", "Menunggu penetapan", "Keadilan",
          "Tindak lanjut", "Satyalancana", "Kotak talenta", "Pengaturan", "Tautan", "Undangan", "Pengingat",
          "Laporan", "Laporan dibuka", "Umpan balik", "Keberatan", "Usulan rekan", "Usulan", "Ringkasan",
          "Komentar"}
# Workbooks whose content settings shaped: each carries a Pengaturan sheet.
WITH_SETTINGS = {"skor.xlsx", "pelatihan.xlsx", "penghargaan.xlsx", "tautan.xlsx", "undangan.xlsx",
                 "pengingat.xlsx", "umpan-balik.xlsx", "keberatan.xlsx", "usulan-rekan.xlsx", "dibuka.xlsx",
                 "survei.xlsx"}


@pytest.fixture(scope="module")
def scored_demo(tmp_path_factory):
    """A scored 60-pegawai one-cycle demo on disk, for the commands."""
    from kinerja_lib.demo import build_demo_database
    from kinerja_lib.scoring import run_scoring

    folder = tmp_path_factory.mktemp("kosakata")
    db, summary = build_demo_database(folder / "demo.db", 60, 7, cycles=1)
    run_scoring(db, summary.cycle_id)
    nip = db.execute("SELECT rater_nip FROM assignment WHERE cycle_id = ? ORDER BY rater_nip LIMIT 1",
                     [summary.cycle_id]).fetchone()[0]
    db.close()
    return SimpleNamespace(path=folder / "demo.db", nip=nip)


def _record(monkeypatch) -> list[tuple[str, list[export.Layout]]]:
    """Record the layout of every sheet the writer lays out (CSV and XLSX alike)."""
    seen: list[tuple[str, list[export.Layout]]] = []
    original = export.Sheet.layout

    def layout(self):
        out = original(self)
        seen.append((self.title, out))
        return out

    monkeypatch.setattr(export.Sheet, "layout", layout)
    return seen


def _run(*args) -> None:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def every_export(scored_demo, tmp_path_factory):
    """Run every export of the kit once on the demo; return the sheets laid out and the files written."""
    from kinerja_lib import form_service, links, report_access
    from kinerja_lib.reports.survei import write_report
    from kinerja_lib.store import open_db
    from kinerja_lib.survei import load_survey, survey_answers

    out = tmp_path_factory.mktemp("ekspor")
    patch = pytest.MonkeyPatch()
    seen = _record(patch)
    db = ["--db", scored_demo.path]
    try:
        _run(*db, "score", "--xlsx", out / "skor.xlsx")
        _run(*db, "pelatihan", "--xlsx", out / "pelatihan.xlsx")
        _run(*db, "penghargaan", "--top", "3", "--xlsx", out / "penghargaan.xlsx")
        _run(*db, "links", "--nip", scored_demo.nip, "--out", out / "tautan.xlsx")
        _run(*db, "links", "--nip", scored_demo.nip, "--out", out / "tautan.csv")
        _run(*db, "undang", "--nip", scored_demo.nip, "--out", out / "undangan.xlsx")
        _run(*db, "ingatkan", "--out", out / "pengingat.xlsx")
        _run(*db, "umpan-balik", "ekspor", "--out", out / "umpan-balik.xlsx")
        _run(*db, "keberatan", "daftar", "--out", out / "keberatan.xlsx")
        _run(*db, "nominasi", "daftar", "--out", out / "usulan-rekan.xlsx")
        _run(*db, "laporan", "dibuka", "--out", out / "dibuka.xlsx")
        _run(*db, "assign", "--usulan", out / "usulan.csv")
        conn = open_db(scored_demo.path)
        try:
            write_report(*survey_answers(conn), load_survey(), out / "survei.xlsx")
            cycle = conn.execute("SELECT id FROM cycle WHERE status = 'terbuka'").fetchone()[0]
            grant = links.resolve(conn, links.issue_admin_link(conn, cycle).token)
            form_service.export_reminders(conn, grant, out / "pengingat-dasbor.csv")
        finally:
            conn.close()
        person = SimpleNamespace(nama="Sri", nip=scored_demo.nip, unit="Dinas Uji", no_hp="6281234567890",
                                 url="https://nilai.example.go.id/?t=x")
        export.write_table(out / "laporan.xlsx", report_access.delivery_sheet([person], "Tahunan 2026"))
    finally:
        patch.undo()
    return SimpleNamespace(sheets=seen, folder=out)


def test_every_export_reaches_the_writer(every_export):
    """Each code path that writes a table was run: the scan below covers every sheet of the kit."""
    assert {title for title, _ in every_export.sheets} == SHEETS


def test_every_header_of_every_export_is_in_the_vocabulary(every_export):
    """No export spells a header of its own: each one is a header of kosakata.yaml's kolom section."""
    for title, layout in every_export.sheets:
        columns.check_headers([c.header for c in layout], title)
        assert all("_" not in c.header for c in layout), title


def test_one_meaning_one_header_across_exports(every_export):
    """A column name shows the same header wherever it is exported, and a header never stands for two names."""
    heads: dict[str, set[str]] = defaultdict(set)
    names: dict[str, set[str]] = defaultdict(set)
    for _, layout in every_export.sheets:
        for c in layout:
            heads[c.name].add(c.header)
            names[c.header].add(c.name)
    assert {n: h for n, h in heads.items() if len(h) > 1} == {}
    # The score workbook names its settings columns by their headers; the training form has two names on
    # purpose (code and label); the competency priority sheet labels its bare "n" (pegawai assessed) as dinilai.
    shared = {h: n for h, n in names.items() if len(n) > 1}
    assert shared == {"Pengaturan": {"pengaturan", "Pengaturan"}, "Nilai": {"nilai_pengaturan", "Nilai"},
                      "Bentuk Pengembangan": {"bentuk", "bentuk_label"}, "Pegawai Dinilai": {"dinilai", "n"}}
    for header in ("NIP", "Nama", "Unit Kerja", "Jabatan", "Perangkat Daerah"):
        assert names[header] == {columns.columns()[n].nama for n in names[header]}, header


def test_every_workbook_gets_the_same_treatment(every_export):
    """Bold frozen header, widths, NIPs as text, Ya/Tidak never True/False, a Pengaturan sheet where settings count."""
    books = sorted(every_export.folder.glob("*.xlsx"))
    assert {p.name for p in books} >= WITH_SETTINGS
    for path in books:
        wb = load_workbook(path)
        if path.name in WITH_SETTINGS:
            assert wb.sheetnames[-1] == "Pengaturan", path.name
            assert [c.value for c in wb["Pengaturan"][1]] == ["Pengaturan", "Nilai"]
        for ws in wb:
            head = [c.value for c in ws[1]]
            assert ws.freeze_panes == "A2", (path.name, ws.title)
            assert all(c.font.b for c in ws[1]), (path.name, ws.title)
            assert all(ws.column_dimensions[c.column_letter].width >= 8 for c in ws[1]), (path.name, ws.title)
            for row in ws.iter_rows(min_row=2):
                for head_of, cell in zip(head, row):
                    assert not isinstance(cell.value, bool) and cell.value not in ("True", "False"), \
                        (path.name, ws.title, head_of)
                    if head_of in ("NIP", "NIP Penilai", "NIP Dinilai", "No. HP") and cell.value is not None:
                        assert (cell.data_type, cell.number_format) == ("s", "@"), (path.name, ws.title, head_of)


def test_every_sheet_declares_its_used_range(every_export):
    """Each sheet names its used range, so openpyxl's read-only mode (and pandas through it) knows the size
    without scanning: the declared range equals the one found by reading every cell."""
    for path in sorted(every_export.folder.glob("*.xlsx")):
        full, fast = load_workbook(path), load_workbook(path, read_only=True)
        for ws in full:
            declared = fast[ws.title]
            assert (declared.max_row, declared.max_column) == (ws.max_row, ws.max_column), (path.name, ws.title)
            assert declared.calculate_dimension() == ws.calculate_dimension(), (path.name, ws.title)


def test_shares_are_percentages_in_every_workbook(every_export):
    """A share stored as a fraction is shown as a percentage wherever it appears."""
    shown = {}
    for name in ("skor.xlsx", "penghargaan.xlsx"):
        for ws in load_workbook(every_export.folder / name):
            for c, below in zip(ws[1], ws[2] if ws.max_row > 1 else ()):
                shown[c.value] = below.number_format
    assert shown["Proporsi Saat Ini"] == shown["Laju Seleksi"] == shown["Baik"] == "0.0%"
    assert shown["Peluang Masuk k Teratas"] == "0%"


def test_the_proposals_file_goes_back_in_with_its_new_and_its_old_headers(every_export, tmp_path):
    """The usulan file heads relasi 'Kelompok Penilai'; the manual-change reader accepts it and the old header."""
    from kinerja_lib.assignments import MANUAL_COLUMNS
    from kinerja_lib.tabular import read_table

    path = every_export.folder / "usulan.csv"
    with open(path, encoding="utf-8-sig") as fh:
        assert next(csv.reader(fh)) == ["Aksi", "NIP Penilai", "NIP Dinilai", "Kelompok Penilai", "Alasan"]
    old = tmp_path / "lama.csv"
    old.write_text("aksi,nip_penilai,nip_dinilai,relasi,alasan\ntambah,1,2,rekan,x\n", encoding="utf-8")
    for source in (path, old):
        assert "relasi" in read_table(source, MANUAL_COLUMNS).headers, source


# --- the writer holds every sheet to the vocabulary --------------------------------------------------------

@pytest.mark.parametrize("sheet", [
    Sheet("Daftar", [("1", "Sri")], columns=["nip", "nama pegawai"]),
    Sheet("Daftar", [("1", "Sri")], columns=["nip", "nama"], labels={"nama": "Nama Lengkap"}),
], ids=["unknown-name", "own-label"])
def test_the_writer_refuses_a_header_outside_the_vocabulary(sheet, tmp_path):
    """A sheet that spells its own header is refused by the CSV and the XLSX writer alike, and no file is left."""
    with pytest.raises(ValueError, match="di luar kosakata"):
        csv_text(sheet)
    with pytest.raises(ValueError, match="di luar kosakata"):
        write_xlsx(tmp_path / "x.xlsx", [sheet])
    assert list(tmp_path.iterdir()) == []


def test_a_named_column_takes_header_format_text_and_wrap_from_the_vocabulary():
    """The sheet names columns only; the vocabulary gives the rest."""
    layout = {c.name: c for c in Sheet("x", [], columns=["nip", "laju", "alasan", "rerata_B1_atasan",
                                                         "jumlah_skala_4"]).layout()}
    assert (layout["nip"].header, layout["nip"].text) == ("NIP", True)
    assert (layout["laju"].header, layout["laju"].format) == ("Laju Seleksi", "0.0%")
    assert (layout["alasan"].header, layout["alasan"].wrap) == ("Alasan", True)
    names = load_value_names()
    assert layout["rerata_B1_atasan"].header == f"B1 {names['B1']} - {VOCAB.relasi.label('atasan')}"
    assert layout["jumlah_skala_4"].header == "Jumlah Jawaban 4"


def load_value_names() -> dict[str, str]:
    from kinerja_lib.reference import load_instrument

    return load_instrument().value_names()


def test_every_header_of_the_vocabulary_is_one_meaning():
    """Plain, per-group and composed headers are all distinct (except the declared synonym) and show no code."""
    every = [c.judul for c in columns.columns().values()] + [c.judul for c in columns.composed_columns().values()]
    doubled = {h for h in every if every.count(h) > 1}
    assert doubled == {"Bentuk Pengembangan"}
    assert all("_" not in h and "{" not in h for h in every)


def test_the_skp_realisation_header_is_the_vocabulary_one():
    """umpan_balik.REALISASI (the SKP column's name, used by readers of the export) is the vocabulary's header."""
    from kinerja_lib import umpan_balik

    assert columns.header("realisasi") == umpan_balik.REALISASI


def test_every_placeholder_of_the_vocabulary_is_one_the_columns_module_spells():
    """A kolom name may hold only the placeholders kinerja_lib.columns fills in, the same in name and header."""
    import re

    for name, judul in VOCAB.kolom.items():
        holes = set(re.findall(r"\{(\w+)\}", name))
        assert holes <= {"relasi", "kelompok", "nilai", "kode_nilai", "predikat", "kategori_jpm", "angka"}, name
        assert set(re.findall(r"\{(\w+)\}", judul)) == holes, name


def test_the_shortlist_on_screen_carries_the_workbooks_headers(scored_demo, every_export):
    """Notebook 03's shortlist table and the workbook's 'Daftar pendek' sheet name each column alike; yes/no
    reads Ya/Tidak and the chance of the top k is a percentage on screen too."""
    from kinerja_lib import awards
    from kinerja_lib.store import open_db

    db = open_db(scored_demo.path)
    try:
        table = awards.award_report(db, k=3).shortlist.table
    finally:
        db.close()
    view = awards.shortlist_view(table)
    sheet = load_workbook(every_export.folder / "penghargaan.xlsx", read_only=True)["Daftar pendek"]
    workbook_headers = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert list(view.columns) == [h for h in workbook_headers if h in set(view.columns)]
    assert len(view.columns) == len(workbook_headers) - 3   # all but unit, jabatan and the reasons
    columns.check_headers(view.columns, "shortlist_view")
    assert set(view["Masuk Daftar Pendek"]) <= {"Ya", "Tidak"}
    assert view["Peluang Masuk k Teratas"].str.fullmatch(r"\d{1,3}%|").all()
