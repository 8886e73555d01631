"""The ``kinerja import`` commands on a database file: summaries on success, every problem and no change on failure."""

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from kinerja_lib.cli import main
from kinerja_lib.store import open_db

CONTOH = Path(__file__).resolve().parent.parent / "data" / "contoh"


def run(db_path, *args):
    return CliRunner().invoke(main, ["--db", str(db_path), *map(str, args)])


def dump(db_path) -> list[str]:
    db = open_db(db_path)
    try:
        return list(db.conn.iterdump())
    finally:
        db.close()


def roster_and_cycle(db_path):
    assert run(db_path, "import", "roster", CONTOH / "pegawai.csv").exit_code == 0
    assert run(db_path, "cycle", "open", "--nama", "Tahunan 2026", "--periode", "Tahunan", "--tahun", 2026,
               "--mulai", "2026-01-01", "--selesai", "2026-12-31").exit_code == 0


def test_roster_import_prints_a_one_line_summary(db_path):
    """A good roster exits 0 with the Indonesian summary, and the rows are in the database."""
    result = run(db_path, "import", "roster", CONTOH / "pegawai.csv")
    assert (result.exit_code, result.stdout) == (
        0, "Impor pegawai dari pegawai.csv selesai: 14 baris, 14 ditambahkan, 0 diperbarui, 7 unit baru.\n")
    db = open_db(db_path)
    assert db.execute("SELECT COUNT(*) FROM pegawai").fetchone() == (14,)
    assert db.execute("SELECT pelaku LIKE 'cli%' FROM audit_log WHERE aksi = 'impor_pegawai'").fetchone() == (1,)


def test_roster_xlsx_with_its_sheet(db_path):
    """The example workbook imports with --sheet naming its roster sheet."""
    result = run(db_path, "import", "roster", CONTOH / "pegawai.xlsx", "--sheet", "Pegawai")
    assert result.exit_code == 0 and "14 ditambahkan" in result.stdout


def test_bad_roster_lists_every_problem_and_changes_nothing(db_path, tmp_path):
    """A bad roster exits non-zero, lists each problem with its row and column, and leaves the database as it was."""
    run(db_path, "import", "roster", CONTOH / "pegawai.csv")
    lines = (CONTOH / "pegawai.csv").read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("197204151998032005;dr.", "19720415199803200;dr.")    # malformed NIP, row 3
    lines[5] = lines[5].replace(";Pelaksana;", ";Honorer;")                             # unknown jenis, row 6
    lines[8] = lines[8].replace("01-03-2019", "30-02-2019")                             # bad date, row 9
    bad = tmp_path / "pegawai_salah.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = dump(db_path)
    result = run(db_path, "import", "roster", bad)
    assert result.exit_code == 2
    located = re.findall(r"pegawai_salah\.csv, baris (\d+), kolom '([^']+)'", result.stderr)
    assert located == [("3", "NIP"), ("6", "Jenis Jabatan"), ("9", "TMT CPNS")]
    assert result.stderr.startswith("Impor dibatalkan, tidak ada data yang ditulis: 3 masalah ditemukan.")
    assert dump(db_path) == before


@pytest.mark.parametrize("args, fragment", [
    (("roster", "tidak-ada.csv"), "tidak-ada.csv: berkas tidak ditemukan"),
    (("roster", CONTOH / "pegawai.xlsx", "--sheet", "Sheet1"), "lembar yang ada: 'Pegawai', 'Petunjuk'"),
    (("roster", CONTOH / "hasil_kerja.csv"), "kolom wajib 'nama' tidak ada"),
])
def test_whole_file_problems_exit_non_zero(db_path, args, fragment):
    """A missing file, a wrong sheet or the wrong kind of file are refused with exit status 2."""
    before = dump(db_path)
    result = run(db_path, "import", *args)
    assert result.exit_code == 2 and fragment in result.stderr
    assert dump(db_path) == before


COMMANDS = [
    ("hasil-kerja", "hasil_kerja.csv", "rating hasil kerja", 14),
    ("disiplin", "disiplin.csv", "hukuman disiplin", 2),
    ("predikat-organisasi", "predikat_organisasi.csv", "predikat kinerja organisasi", 3),
    ("ekspektasi", "ekspektasi.csv", "ekspektasi khusus pimpinan", 4),
    ("standar-kompetensi", "standar_kompetensi.csv", "standar kompetensi", 9),
    ("potensi", "potensi.csv", "potensi", 8),
    ("inovasi", "inovasi.csv", "inovasi", 2),
]


@pytest.mark.parametrize("command, name, kind, n", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_each_import_command_accepts_its_example_file(db_path, command, name, kind, n):
    """Every import verb imports its example file and says how many rows it wrote."""
    roster_and_cycle(db_path)
    result = run(db_path, "import", command, CONTOH / name)
    assert (result.exit_code, result.stdout) == (
        0, f"Impor {kind} dari {name} selesai: {n} baris, {n} ditambahkan, 0 diperbarui.\n")


def test_responses_command_with_cycle_and_ganti(db_path):
    """Paper answers import for assigned raters; an online-submitted form needs --ganti."""
    roster_and_cycle(db_path)
    db = open_db(db_path)
    db.table("assignment").insert_all([
        {"cycle_id": 1, "rater_nip": "197606182002122003", "ratee_nip": "199205302019032004", "relation": "atasan",
         "status": "terkirim", "terkirim": "2026-03-01T08:00:00+00:00"},
        {"cycle_id": 1, "rater_nip": "198712112011011002", "ratee_nip": "199205302019032004", "relation": "rekan",
         "status": "belum", "terkirim": None}])
    db.close()
    refused = run(db_path, "import", "responses", CONTOH / "jawaban.csv", "--cycle", "Tahunan 2026")
    assert refused.exit_code == 2 and "gunakan --ganti" in refused.stderr
    result = run(db_path, "import", "responses", CONTOH / "jawaban.csv", "--cycle", "1", "--ganti")
    assert (result.exit_code, result.stdout) == (
        0, "Impor jawaban dari jawaban.csv selesai: 60 baris, 1 formulir ditambahkan, 1 formulir diperbarui.\n")


def test_unassigned_rater_is_refused_by_the_command(db_path):
    """Answers from raters with no assignment in the cycle exit non-zero and write nothing."""
    roster_and_cycle(db_path)
    before = dump(db_path)
    result = run(db_path, "import", "responses", CONTOH / "jawaban.csv")
    assert result.exit_code == 2
    assert result.stderr.count("tidak ditugaskan menilai") == 60
    assert dump(db_path) == before


def test_cycle_imports_without_an_open_cycle_fail_cleanly(db_path):
    """With no cycle open, a per-cycle import is a clean error (exit 2), not a traceback."""
    run(db_path, "import", "roster", CONTOH / "pegawai.csv")
    result = run(db_path, "import", "hasil-kerja", CONTOH / "hasil_kerja.csv")
    assert (result.exit_code, result.stderr) == (
        2, "Galat: Belum ada siklus yang terbuka; buka dengan 'kinerja cycle open'\n")
