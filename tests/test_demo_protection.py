"""Demo data never replaces real data: demo databases are marked, `kinerja demo --ganti` refuses any other,
and `make demo` builds its own file."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from kinerja_lib.cli import main
from kinerja_lib.demo import build_demo_database, database_kind
from kinerja_lib.errors import DemoError
from kinerja_lib.store import open_db

ROOT = Path(__file__).resolve().parent.parent
CONTOH = ROOT / "data" / "contoh"


def run(db_path, *args):
    return CliRunner().invoke(main, ["--db", str(db_path), *map(str, args)])


def dump(path) -> list[str]:
    db = open_db(path)
    try:
        return list(db.conn.iterdump())
    finally:
        db.close()


@pytest.fixture
def real_db(tmp_path):
    """An office's database: the example roster imported, no demo marker."""
    path = tmp_path / "kinerja.db"
    assert run(path, "import", "roster", CONTOH / "pegawai.csv").exit_code == 0
    return path


def test_the_demo_generator_marks_its_database(tmp_path):
    """A demo database carries one demo_info row with its size and seed."""
    db, _ = build_demo_database(tmp_path / "demo.db", 40, 5, answers=False, cycles=1)
    assert db.execute("SELECT id, pegawai, benih FROM demo_info").fetchall() == [(1, 40, 5)]
    db.close()
    assert database_kind(tmp_path / "demo.db") == "demo"


def test_demo_ganti_refuses_a_database_with_real_data(real_db):
    """`kinerja demo --ganti` on an office's database exits 2 with an Indonesian message; nothing changes."""
    before = dump(real_db)
    result = run(real_db, "demo", "--pegawai", "40", "--ganti")
    assert result.exit_code == 2
    assert "berisi data yang bukan buatan demo; demo tidak pernah menimpanya, juga dengan --ganti" in result.stderr
    assert "data/demo.db" in result.stderr
    assert dump(real_db) == before
    assert not list(real_db.parent.glob("*.dibangun*")) and not (real_db.parent / "kinerja.db-tautan.csv").exists()


def test_demo_ganti_refuses_a_file_that_is_not_a_database(tmp_path):
    """A file that is not SQLite is never replaced by a demo, whatever the flags."""
    path = tmp_path / "catatan.db"
    path.write_text("catatan penting\n")
    result = run(path, "demo", "--pegawai", "40", "--ganti")
    assert result.exit_code == 2 and "bukan basis data SQLite" in result.stderr
    assert path.read_text() == "catatan penting\n"
    with pytest.raises(DemoError, match="bukan basis data SQLite"):
        build_demo_database(path, 40, 1, replace=True, cycles=1)


def test_demo_ganti_rebuilds_a_demo_database(tmp_path):
    """The demo's own database is rebuilt with --ganti (the make demo path)."""
    path = tmp_path / "demo.db"
    assert run(path, "demo", "--pegawai", "40", "--tanpa-jawaban").exit_code == 0
    again = run(path, "demo", "--pegawai", "45", "--tanpa-jawaban", "--ganti")
    assert again.exit_code == 0, again.output
    db = open_db(path)
    assert db.execute("SELECT pegawai FROM demo_info").fetchone() == (45,)
    db.close()


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_demo_uses_its_own_file_not_the_admins_database():
    """`make demo` and `make demo-data` build data/demo.db even when KINERJA_DB names the admin's file."""
    planned = subprocess.run(["make", "-n", "--no-print-directory", "demo", "KINERJA_DB=data/kinerja.db"],
                             cwd=ROOT, capture_output=True, text=True, check=True).stdout
    commands = [line for line in planned.splitlines() if "kinerja --db" in line]
    assert commands and all('--db "data/demo.db"' in line for line in commands), planned
    cleaned = subprocess.run(["make", "-n", "clean"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "data/demo.db" in cleaned and "kinerja.db" not in cleaned
