"""A command that writes files changes nothing when it fails: output paths are checked before any work, files
appear whole or not at all, and the database change commits only together with them."""

from __future__ import annotations

import shutil
import sqlite3
import stat

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from kinerja_lib import scoring
from kinerja_lib.cli import main
from kinerja_lib.demo import build_demo_database
from kinerja_lib.errors import OutputError
from kinerja_lib.store import open_db


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory):
    """A 60-pegawai demo with answers, built once; each test works on its own copy."""
    path = tmp_path_factory.mktemp("keluaran") / "demo.db"
    db, _ = build_demo_database(path, 60, 21, cycles=1)
    db.close()
    return path


@pytest.fixture
def demo(demo_template, tmp_path):
    path = tmp_path / "demo.db"
    shutil.copy(demo_template, path)
    return path


def cli(path, *args):
    return CliRunner().invoke(main, ["--db", str(path), *map(str, args)])


def dump(path) -> list[str]:
    db = open_db(path)
    try:
        return list(db.conn.iterdump())
    finally:
        db.close()


def files(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("demo.db"))


def disk_full(*args, **kwargs):
    raise OutputError("berkas tidak dapat ditulis: No space left on device")


@pytest.mark.parametrize("args, fragment", [
    (["score", "--xlsx", "hasil.xls"], "ekstensi '.xls' tidak dikenal; gunakan .xlsx"),
    (["score", "--xlsx", "tidak-ada/hasil.xlsx"], "folder"),
    (["pelatihan", "--xlsx", "rencana.csv"], "ekstensi '.csv' tidak dikenal; gunakan .xlsx"),
    (["penghargaan", "--xlsx", "p.xlsx", "--pdf", "p.docx"], "--pdf"),
    (["penghargaan", "--xlsx", "tidak-ada/p.xlsx"], "--xlsx"),
    (["report", "--out", "tidak-ada/laporan"], "folder induk"),
])
def test_a_bad_output_path_is_refused_before_any_work(demo, tmp_path, monkeypatch, args, fragment):
    """Wrong extensions and missing folders exit 2 naming the option; no file, no database change."""
    monkeypatch.chdir(tmp_path)
    before = dump(demo)
    result = cli(demo, *args)
    assert result.exit_code == 2 and fragment in result.stderr, result.output
    assert dump(demo) == before and files(tmp_path) == []


def test_score_stores_nothing_when_its_workbook_cannot_be_written(demo, tmp_path, monkeypatch):
    """`score --xlsx` failing while writing the workbook leaves no result, no analysis run and no file."""
    monkeypatch.setattr(scoring, "export_results_xlsx", disk_full)
    before = dump(demo)
    result = cli(demo, "score", "--xlsx", tmp_path / "hasil.xlsx")
    assert result.exit_code == 2 and "No space left on device" in result.stderr
    assert dump(demo) == before and files(tmp_path) == []


def test_score_stores_its_results_together_with_the_workbook(demo, tmp_path):
    """On success the stored run and the workbook agree; the file is owner-only."""
    out = tmp_path / "hasil.xlsx"
    result = cli(demo, "score", "--xlsx", out)
    assert result.exit_code == 0, result.output
    db = open_db(demo)
    run_id, stored = db.execute("SELECT MAX(analysis_run_id), COUNT(*) FROM hasil_skor").fetchone()
    db.close()
    settings = {r[0].value: r[1].value for r in load_workbook(out)["Pengaturan"].iter_rows(min_row=2)}
    assert settings["analysis_run"] == run_id and stored > 0
    assert load_workbook(out)["Skor 360"].max_row == stored + 1
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_penghargaan_writes_neither_file_nor_run_when_the_pdf_fails(demo, tmp_path, monkeypatch):
    """The issue's case: the workbook was written, then the PDF failed. Now neither file stays, no run is stored."""
    assert cli(demo, "score").exit_code == 0
    monkeypatch.setattr("kinerja_lib.awards.export.export_pdf", disk_full)   # what awards.export_files prints with
    before = dump(demo)
    result = cli(demo, "penghargaan", "--xlsx", tmp_path / "p.xlsx", "--pdf", tmp_path / "p.pdf")
    assert result.exit_code == 2 and "No space left on device" in result.stderr
    assert dump(demo) == before and files(tmp_path) == []


def test_penghargaan_places_both_files_and_records_the_run(demo, tmp_path):
    """On success both files are in place, whole and owner-only, and the run is in the database."""
    assert cli(demo, "score").exit_code == 0
    result = cli(demo, "penghargaan", "--xlsx", tmp_path / "p.xlsx", "--pdf", tmp_path / "p.pdf")
    assert result.exit_code == 0, result.output
    assert files(tmp_path) == ["p.pdf", "p.xlsx"]
    assert (tmp_path / "p.pdf").read_bytes().startswith(b"%PDF")
    assert {stat.S_IMODE((tmp_path / n).stat().st_mode) for n in ("p.pdf", "p.xlsx")} == {0o600}
    db = open_db(demo)
    assert db.execute("SELECT COUNT(*) FROM analysis_run WHERE jenis = 'penghargaan'").fetchone() == (1,)
    db.close()


def test_pelatihan_keeps_the_previous_workbook_when_writing_fails(demo, tmp_path, monkeypatch):
    """A training plan that fails half-way leaves the earlier file as it was."""
    out = tmp_path / "rencana.xlsx"
    assert cli(demo, "pelatihan", "--xlsx", out).exit_code == 0
    previous = out.read_bytes()
    import kinerja_lib.competency as competency

    monkeypatch.setattr(competency, "export_training_xlsx", disk_full)
    result = cli(demo, "pelatihan", "--xlsx", out)
    assert result.exit_code == 2
    assert out.read_bytes() == previous and files(tmp_path) == ["rencana.xlsx"]


def _during_export(demo, sql):
    """An export_results_xlsx that first runs ``sql`` from another connection which will not wait for a lock."""
    real = scoring.export_results_xlsx

    def export(db, cycle_id, path):
        other = sqlite3.connect(demo, timeout=0)
        try:
            other.execute(sql)
            other.commit()
        finally:
            other.close()
        return real(db, cycle_id, path)
    return export


def test_raters_can_save_while_the_score_workbook_is_written(demo, tmp_path, monkeypatch):
    """The workbook is written from a snapshot: the live database takes other writes meanwhile (no lock held)."""
    monkeypatch.setattr(scoring, "export_results_xlsx", _during_export(
        demo, "UPDATE assignment SET diperbarui = '2026-03-01T08:00:00+00:00' WHERE id = 1"))
    result = cli(demo, "score", "--xlsx", tmp_path / "hasil.xlsx")
    assert result.exit_code == 0, result.output
    assert files(tmp_path) == ["hasil.xlsx"]


def test_a_run_stored_meanwhile_makes_score_refuse_rather_than_mislabel(demo, tmp_path, monkeypatch):
    """If another analysis run is stored while the workbook is written, its run number would be wrong: exit 2,
    no results and no file."""
    monkeypatch.setattr(scoring, "export_results_xlsx", _during_export(
        demo, "INSERT INTO analysis_run (cycle_id, jenis, settings, dihitung) VALUES (2, 'lain', '{}', 'x')"))
    result = cli(demo, "score", "--xlsx", tmp_path / "hasil.xlsx")
    assert result.exit_code == 2 and "analisis lain tersimpan pada saat yang sama" in result.stderr
    assert files(tmp_path) == []
    db = open_db(demo)
    assert db.execute("SELECT COUNT(*) FROM hasil_skor").fetchone() == (0,)
    db.close()
