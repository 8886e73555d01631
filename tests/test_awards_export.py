"""Committee exports: the XLSX workbook, the printable PDF with names and reasons, and 'kinerja penghargaan'."""

import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from kinerja_lib import awards
from kinerja_lib.cli import main
from kinerja_lib.cycle import Cycle, merge_settings
from kinerja_lib.reports import tanggal

NAMES = ["Siti Rahayu", "Bambang Sutrisno", "Dewi Lestari", "Agus Salim", "Rina Wulandari", "Joko Prasetyo"]


def _report(k=2):
    nips = [f"{198001012005011000 + i}" for i in range(len(NAMES))]
    results = pd.DataFrame({"nip": nips, "skor": [4.6, 4.4, 4.2, 3.9, 2.5, 3.0], "skor_adj": np.nan,
                            "skor_adj_se": np.nan, "kelompok_tampil": "atasan,rekan", "n_diri": 1, "n_atasan": 1,
                            "n_rekan": 4, "n_bawahan": 0, "n_lainnya": 0,
                            "predikat": ["Sangat Baik", "Baik", "Baik", "Baik", "Sangat Kurang", "Baik"],
                            "status_predikat": "ditetapkan"})
    pegawai = pd.DataFrame({"nip": nips, "nama": NAMES, "jenis_kelamin": ["P", "L", "P", "L", "P", "L"],
                            "unit_id": "Dinas Kesehatan / Bidang P2P", "jabatan": "Epidemiolog",
                            "jenis_jabatan": "JF", "golongan": "III/c", "tmt_cpns": "2006-03-01", "aktif": 1})
    disiplin = pd.DataFrame([{"nip": nips[5], "tingkat": "berat", "jenis_hukuman": "penurunan jabatan",
                              "tanggal_mulai": "2026-02-01", "tanggal_selesai": None}])
    potensi = pd.DataFrame({"nip": nips, "tanggal": "2026-06-30", "kategori": "tinggi"})
    cycle = Cycle(2, "Tahunan 2026", "Tahunan", 2026, "2026-01-01", "2026-12-31", "terbuka", "v", merge_settings())
    inputs = awards.AwardInputs(cycle, results, pegawai, disiplin, potensi, None, None)
    return awards.build_report(inputs, k=k, n_sim=200)


def test_workbook_has_every_list_and_the_settings(tmp_path):
    """The XLSX holds shortlist, eligibility, the people waiting for a decision, fairness, follow-up,
    Satyalancana, 9-box and settings sheets."""
    path = awards.export_xlsx(_report(), tmp_path / "penghargaan.xlsx")
    book = pd.read_excel(path, sheet_name=None)
    assert list(book) == ["Daftar pendek", "Kelayakan", "Menunggu penetapan", "Keadilan", "Tindak lanjut",
                          "Satyalancana", "Kotak talenta", "Pengaturan"]
    short = book["Daftar pendek"]
    assert short[["Peringkat", "Nama", "Masuk Daftar Pendek"]].values.tolist() == [
        [1, "Siti Rahayu", "Ya"], [2, "Bambang Sutrisno", "Ya"], [3, "Dewi Lestari", "Tidak"], [4, "Agus Salim", "Tidak"]]
    assert short["Alasan"].str.startswith("Memenuhi: pegawai aktif").all()
    settings = dict(book["Pengaturan"].values.tolist())
    assert (settings["tanggal_acuan"], str(settings["k"]), settings["penghargaan"]) == \
        ("2026-12-31", "2", "ASN Berprestasi (asn_berprestasi)")
    assert book["Tindak lanjut"]["Nama"].tolist() == ["Rina Wulandari"]
    assert book["Satyalancana"][["Nama", "Tingkat Satyalancana", "Layak"]].values.tolist()[-1] == ["Joko Prasetyo", 20, "Tidak"]


def _pdf_text(path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) tidak terpasang")
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    return re.sub(r"\s+", " ", text)


def test_pdf_lists_names_reasons_settings_and_date(tmp_path):
    """The printable PDF carries each listed name with figures and reasons, the settings and the date."""
    report = _report()
    text = _pdf_text(awards.export_pdf(report, tmp_path / "daftar.pdf"))
    for name in NAMES[:4]:
        assert name in text
    assert "Joko Prasetyo" not in text     # active berat penalty: never on the list
    assert "1. Siti Rahayu (NIP 198001012005011000) - Dinas Kesehatan - MASUK DAFTAR PENDEK" in text
    assert "Memenuhi: tidak ada hukuman disiplin sedang/berat yang aktif pada 2026-12-31 [kebijakan lokal" in text
    assert "Memenuhi: predikat periode ini Sangat Baik (ditetapkan), minimal Baik" in text
    assert f"Dibuat: {tanggal(report.dibuat)}" in text
    assert "aturan_seri rerata posterior lebih tinggi" in text     # the settings table: key, value


def test_pdf_wraps_long_names_and_escapes_what_people_typed(tmp_path):
    """A long OPD name, a 300-character word and markup typed into a name all reach the page whole and as text."""
    report = _report()
    long_opd = "Dinas Komunikasi Informatika Statistik dan Persandian Kota " + "Panjang " * 30
    word = "Z" * 300
    table = report.shortlist.table
    first = table.index[table["peringkat"] == 1][0]
    table.loc[first, "opd"] = long_opd.strip()
    table.loc[first, "nama"] = f"<b>Siti</b> {word}"
    text = _pdf_text(awards.export_pdf(report, tmp_path / "daftar.pdf"))
    assert "Persandian Kota " + "Panjang " * 30 in text              # the whole OPD name, wrapped, not cut
    assert text.replace(" ", "").count("Z" * 300) == 1             # the long word wraps instead of running off
    assert "<b>Siti</b>" in text                                   # shown as typed, never interpreted


def test_workbook_and_pdf_written_together_equal_the_ones_written_apart(tmp_path):
    """export_files (Chromium printing while the workbook is written) gives the same workbook and PDF text."""
    import zipfile

    report = _report()
    xlsx, pdf = awards.export_files(report, tmp_path / "bersama.xlsx", tmp_path / "bersama.pdf")
    alone = awards.export_xlsx(report, tmp_path / "sendiri.xlsx")
    with zipfile.ZipFile(xlsx) as together, zipfile.ZipFile(alone) as apart:
        assert {n: together.read(n) for n in together.namelist()} == {n: apart.read(n) for n in apart.namelist()}
    assert _pdf_text(pdf) == _pdf_text(awards.export_pdf(report, tmp_path / "sendiri.pdf"))
    assert awards.export_files(report, tmp_path / "tanpa-pdf.xlsx") == (tmp_path / "tanpa-pdf.xlsx", None)


def test_a_workbook_error_is_raised_after_the_pdf_is_printed(tmp_path, monkeypatch):
    """When the workbook fails, the error reaches the caller once Chromium's run is over, not before."""
    from kinerja_lib.awards import export as award_export
    from kinerja_lib.errors import OutputError

    def failing_xlsx(report, path):
        raise OutputError("gagal menulis")

    monkeypatch.setattr(award_export, "export_xlsx", failing_xlsx)
    with pytest.raises(OutputError, match="gagal menulis"):
        awards.export_files(_report(), tmp_path / "x.xlsx", tmp_path / "daftar.pdf")
    assert (tmp_path / "daftar.pdf").stat().st_size > 0


def test_cli_exports_workbook_and_pdf_from_the_demo(tmp_path):
    """'kinerja penghargaan' scores the demo cycle when needed, writes both files and logs the run."""
    from kinerja_lib.demo import generate_demo
    from kinerja_lib.store import open_db

    db_file = tmp_path / "demo.db"
    db = open_db(db_file)
    generate_demo(db, pegawai=60, seed=5, answers=True, cycles=1)
    db.close()
    xlsx, pdf = tmp_path / "p.xlsx", tmp_path / "p.pdf"
    result = CliRunner().invoke(main, ["--db", str(db_file), "penghargaan", "--top", "5", "--kuota", "2",
                                       "--xlsx", str(xlsx), "--pdf", str(pdf)])
    assert result.exit_code == 0, result.output
    assert "5 calon terpilih" in result.output
    chosen = pd.read_excel(xlsx, sheet_name="Daftar pendek").query("`Masuk Daftar Pendek` == 'Ya'")
    assert len(chosen) == 5 and chosen["Perangkat Daerah"].value_counts().max() <= 2
    assert all(name in _pdf_text(pdf) for name in chosen["Nama"])
    db = open_db(db_file)
    assert [r[0] for r in db.execute("SELECT aksi FROM audit_log WHERE aksi = 'ekspor_penghargaan'")] == \
        ["ekspor_penghargaan"]
    assert db.execute("SELECT count(*) FROM analysis_run WHERE jenis = 'penghargaan'").fetchone()[0] == 1


@pytest.mark.parametrize("args, message", [
    (["--penghargaan", "juara_kelas"], "Daftar penghargaan 'juara_kelas' tidak dikenal"),
    (["--tanggal-acuan", "31-12-2026"], "tidak valid (format TTTT-BB-HH)"),
    ([], "Belum ada siklus yang terbuka"),
])
def test_cli_rejects_bad_options_with_a_clear_message(db_path, tmp_path, args, message):
    """An unknown award list, a malformed date or a missing cycle is a clear error, not a traceback."""
    result = CliRunner().invoke(main, ["--db", str(db_path), "penghargaan", "--xlsx", str(tmp_path / "x.xlsx"),
                                       *args])
    assert result.exit_code != 0
    assert message in result.output
