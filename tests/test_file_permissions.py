"""Files holding links or personal data are readable by their owner only (UU 27/2022): the database and its
-wal/-shm files, every export, the reports' PDFs and index."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from live import require_chromium

from kinerja_lib.cli import main
from kinerja_lib.store import open_db

KINERJA = Path(sys.executable).parent / "kinerja"


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def open_umask():
    """The usual shell umask (022), which would make new files world-readable."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_a_new_database_and_its_wal_files_are_owner_only(tmp_path, open_umask):
    """open_db creates the file 0600 before SQLite does; SQLite gives -wal and -shm the same mode."""
    path = tmp_path / "kinerja.db"
    db = open_db(path)
    db.execute("INSERT INTO unit (id, nama) VALUES ('U', 'U')")
    db.conn.commit()
    assert {p.name: mode(p) for p in tmp_path.iterdir()} == {
        "kinerja.db": 0o600, "kinerja.db-wal": 0o600, "kinerja.db-shm": 0o600}
    db.close()


def test_the_cli_makes_an_existing_readable_database_private(db_path):
    """A database left world-readable by an earlier version is made 0600 when the CLI opens it."""
    os.chmod(db_path, 0o644)
    assert CliRunner().invoke(main, ["--db", str(db_path), "cycle", "list"]).exit_code == 0
    assert mode(db_path) == 0o600


def test_what_the_demo_command_writes_is_owner_only(tmp_path):
    """Run as a user with umask 022: the demo database and its links CSV come out 0600."""
    db = tmp_path / "demo.db"
    result = subprocess.run([str(KINERJA), "--db", str(db), "demo", "--pegawai", "20", "--tanpa-jawaban"],
                            capture_output=True, text=True, timeout=300, preexec_fn=lambda: os.umask(0o022))
    assert result.returncode == 0, result.stderr
    assert {p.name: mode(p) for p in tmp_path.iterdir() if p.is_file()} == {
        "demo.db": 0o600, "demo.db-tautan.csv": 0o600}


def test_report_pdfs_and_their_index_are_owner_only(small_org_path, tmp_path, open_umask):
    """kinerja report writes each PDF and index.html 0600 in a 0700 folder."""
    require_chromium()
    out = tmp_path / "laporan"
    kepala = "197501012000031001"
    result = CliRunner().invoke(main, ["--db", str(small_org_path), "report", "--pegawai", kepala, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert mode(out) == 0o700
    assert {p.name: mode(p) for p in out.iterdir()} == {f"laporan-360-{kepala}.pdf": 0o600, "index.html": 0o600}


def test_library_reports_are_owner_only_without_the_cli(small_org, tmp_path, open_umask):
    """render_reports called from a notebook (no CLI umask) still writes PDF, HTML and index 0600."""
    require_chromium()
    from kinerja_lib.reports import render_reports

    paths = render_reports(small_org.db, small_org.cycle.id, nip=small_org.nip["kepala"], out_dir=tmp_path / "r",
                           html=True, progress=False)
    written = sorted((tmp_path / "r").iterdir())
    assert len(written) == 3 and set(paths) <= set(written)
    assert {mode(p) for p in written} == {0o600}
