"""No traceback reaches a CLI user: every refusal is one Indonesian message with exit status 2, nothing written."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kinerja_lib.cli import main
from kinerja_lib.store import open_db

KINERJA = Path(sys.executable).parent / "kinerja"


def run(*args, **kwargs):
    return CliRunner().invoke(main, [str(a) for a in args], **kwargs)


def refused(result, *fragments):
    """Assert exit status 2, one 'Galat:' message holding every fragment, and no traceback or English."""
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Galat: "), result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr
    for english in ("Traceback", "Error:", "Usage:", "Try '"):
        assert english not in result.output


def _fifo(tmp_path):
    path = tmp_path / "pipa.db"
    os.mkfifo(path)
    return path


def _other_program(tmp_path):
    path = tmp_path / "lain.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE kontak (nama TEXT)")
    conn.commit()
    conn.close()
    return path


def _newer_kit(tmp_path):
    path = tmp_path / "baru.db"
    db = open_db(path)
    db.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
               "VALUES ('kinerja', '0999_masa_depan', '2030-01-01')")
    db.close()
    return path


@pytest.mark.parametrize("make, fragment", [
    (lambda t: t / "tidak-ada" / "kinerja.db", "folder"),
    (lambda t: t, "adalah folder"),
    (lambda t: Path("/dev/zero"), "bukan berkas biasa"),
    (_fifo, "bukan berkas biasa"),
    (lambda t: (t / "teks.db").write_text("bukan basis data") and t / "teks.db", "bukan basis data SQLite"),
    (_other_program, "bukan basis data Kinerja 360"),
    (_newer_kit, "versi Kinerja 360 yang lebih baru (migrasi tidak dikenal: 0999_masa_depan)"),
], ids=["missing-folder", "directory", "dev-zero", "fifo", "text-file", "other-program", "newer-kit"])
def test_an_unusable_database_path_is_refused_and_nothing_is_created(tmp_path, make, fragment):
    """--db naming something that cannot be the kit's database exits 2 naming it; no folder or table appears."""
    path = make(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    refused(run("--db", path, "init"), str(path), fragment)
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    if path.name == "lain.db":
        conn = sqlite3.connect(path)
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["kontak"]
        conn.close()


def test_a_database_in_a_read_only_folder_is_refused(shared_dir, unprivileged):
    """A new database in a folder the user cannot write exits 2 with the reason, before SQLite is asked."""
    locked = shared_dir / "terkunci"
    locked.mkdir()
    locked.chmod(0o555)
    result = unprivileged([str(KINERJA), "--db", str(locked / "kinerja.db"), "init"], timeout=120)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("Galat: ") and "tidak dapat ditulisi" in result.stderr
    assert "Traceback" not in result.stderr and not list(locked.iterdir())


def test_a_read_only_database_file_is_refused(shared_dir, unprivileged):
    """An existing database the user may only read is refused with exit 2, unchanged."""
    path = shared_dir / "kinerja.db"
    open_db(path).close()
    path.chmod(0o444)
    before = path.read_bytes()
    result = unprivileged([str(KINERJA), "--db", str(path), "cycle", "list"], timeout=120)
    assert result.returncode == 2 and "tidak dapat ditulisi" in result.stderr, result.stderr
    assert path.read_bytes() == before


@pytest.mark.parametrize("args, fragments", [
    (["perintah-lain"], ["perintah 'perintah-lain' tidak dikenal", " --help'."]),
    (["init", "--salah"], ["opsi '--salah' tidak dikenal"]),
    (["import", "roster"], ["argumen 'FILE' wajib diisi"]),
    (["cycle", "open", "--nama", "X"], ["opsi '--periode' wajib diisi"]),
    (["cycle", "open", "--nama", "X", "--periode", "Bulanan", "--tahun", "2026", "--mulai", "2026-01-01",
      "--selesai", "2026-12-31"], ["'Bulanan' bukan pilihan yang tersedia", "Tahunan"]),
    (["cycle", "open", "--nama", "X", "--periode", "Tahunan", "--tahun", "9" * 5000, "--mulai", "2026-01-01",
      "--selesai", "2026-12-31"], ["--tahun", "terlalu besar"]),
    (["cycle", "open", "--nama", "X", "--periode", "Tahunan", "--tahun", "99999999999999999999",
      "--mulai", "2026-01-01", "--selesai", "2026-12-31"], ["di luar rentang yang diterima (1900 sampai 2100)"]),
    (["cycle", "close", "   "], ["tidak boleh kosong"]),
    (["demo", "--pegawai", "10" + "0" * 30], ["--pegawai", "terlalu besar"]),
    (["assign", "--seed", "-1"], ["--seed", "di luar rentang"]),
    (["penghargaan", "--xlsx", "a.xlsx", "--top", "1e9"], ["'1e9' bukan bilangan bulat"]),
    (["links", "--berlaku-hari", "99999999999"], ["--berlaku-hari", "di luar rentang"]),
    (["links", "--nip", " "], ["--nip", "tidak boleh kosong"]),
])
def test_usage_errors_are_one_indonesian_line(tmp_path, args, fragments):
    """Unknown commands and options, missing or out-of-range values: exit 2, Indonesian, no database made."""
    db = tmp_path / "kinerja.db"
    refused(run("--db", db, *args), *fragments)
    assert not db.exists()


def test_an_unexpected_error_is_short_and_points_to_debug(tmp_path, monkeypatch):
    """A bug surfaces as one Indonesian paragraph naming --debug, exit 2; --debug shows the real exception."""
    import kinerja_lib.cli.database as database

    def broken(db):
        raise RuntimeError("rusak di dalam")

    monkeypatch.setattr(database, "schema_version", broken)
    result = run("--db", tmp_path / "kinerja.db", "init")
    assert result.exit_code == 2
    assert result.stderr.startswith("Galat tak terduga (RuntimeError): rusak di dalam")
    assert "kinerja --debug" in result.stderr and "KINERJA_DEBUG=1" in result.stderr
    assert "Traceback" not in result.output
    debug = run("--db", tmp_path / "kinerja.db", "--debug", "init")
    assert isinstance(debug.exception, RuntimeError)


def test_a_real_process_prints_no_traceback(tmp_path):
    """The installed `kinerja` script itself exits 2 with the Indonesian message (not only the test runner)."""
    result = subprocess.run([str(KINERJA), "--db", str(tmp_path / "x" / "k.db"), "init"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.startswith("Galat: basis data") and "Traceback" not in result.stderr
