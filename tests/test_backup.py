"""`kinerja backup` makes a consistent copy while raters write; `kinerja restore` checks a backup, keeps the
current database aside and never overwrites data without --ganti."""

from __future__ import annotations

import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from kinerja_lib.backup import backup_database, restore_database
from kinerja_lib.cli import main
from kinerja_lib.errors import BackupError
from kinerja_lib.store import open_db

WRITERS = 3


def cli(db_path, *args):
    return CliRunner().invoke(main, ["--db", str(db_path), *map(str, args)])


def rows(path, sql="SELECT * FROM response ORDER BY 1, 2"):
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def integrity(path) -> str:
    return rows(path, "PRAGMA integrity_check")[0][0]


# A rater process: saves answers in transactions of three rows (one form page) until told to stop.
WRITER = """
import sqlite3, sys, time
path, writer, stop = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
conn = sqlite3.connect(path, timeout=15, isolation_level=None)
conn.execute("PRAGMA busy_timeout = 15000")
aid = conn.execute("SELECT id FROM assignment ORDER BY id LIMIT 1 OFFSET ?", [writer]).fetchone()[0]
n = 0
while time.time() < stop:
    conn.execute("BEGIN IMMEDIATE")
    for k in range(3):
        conn.execute("INSERT INTO response (assignment_id, item, score, diperbarui) VALUES (?, ?, ?, ?)",
                     [aid, f"W{writer}-{n:06d}-{k}", 1 + (n + k) % 5, "2026-03-01T08:00:00+00:00"])
    conn.execute("COMMIT")
    n += 1
    time.sleep(0.002)  # a rater pauses between saves; back-to-back writers starve each other
print(n)
"""


@pytest.fixture
def busy_db(small_org_path):
    """The tiny organisation padded to a few MB of answers, so a backup takes a measurable moment."""
    db = open_db(small_org_path)
    ids = [r[0] for r in db.execute("SELECT id FROM assignment ORDER BY id")]
    db.conn.executemany("INSERT INTO response (assignment_id, item, score, diperbarui) VALUES (?, ?, ?, ?)",
                        [(ids[i % len(ids)], f"ISI-{i:07d}", 1 + i % 5, "2026-01-01T00:00:00+00:00")
                         for i in range(100_000)])
    db.conn.commit()
    db.close()
    return small_org_path


def test_a_backup_while_raters_write_is_consistent_and_complete(busy_db, tmp_path):
    """Three processes save answers while three backups run: each copy passes integrity_check, holds every row
    committed before it started, and no form page (three rows in one transaction) is ever split."""
    stop = time.time() + 3
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(busy_db), str(w), str(stop)],
                                stdout=subprocess.PIPE, text=True) for w in range(WRITERS)]
    try:
        time.sleep(0.5)
        copies = []
        for k in range(3):
            committed = set(rows(busy_db))           # everything committed before this backup starts
            result = cli(busy_db, "backup", tmp_path / f"cadangan-{k}.db")
            assert result.exit_code == 0, result.output
            copies.append((tmp_path / f"cadangan-{k}.db", committed))
            time.sleep(0.3)
    finally:
        saved = [int(w.communicate(timeout=60)[0]) for w in writers]
    assert all(n > 10 for n in saved), saved
    for path, committed in copies:
        assert integrity(path) == "ok"
        copied = set(rows(path))
        assert committed <= copied
        pages: dict[tuple[int, str], int] = {}
        for assignment_id, item, *_ in copied:
            if item.startswith("W"):
                page = item.rsplit("-", 1)[0]
                pages[(assignment_id, page)] = pages.get((assignment_id, page), 0) + 1
        assert pages and set(pages.values()) == {3}
    assert len(set(rows(copies[-1][0]))) > len(copies[0][1])


def test_a_backup_is_one_private_file(small_org_path, tmp_path):
    """The copy is a single owner-only file in rollback-journal mode: no -wal or -shm beside it."""
    target = tmp_path / "cadangan.db"
    result = backup_database(small_org_path, target)
    assert result.path == target and result.bytes == target.stat().st_size
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert rows(target, "PRAGMA journal_mode") == [("delete",)]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("cadangan")) == ["cadangan.db"]


@pytest.mark.parametrize("target, fragment", [
    ("ada.db", "sudah ada; gunakan --ganti"),
    ("tidak-ada/cadangan.db", "folder"),
    ("org.db", "basis data itu sendiri"),
])
def test_a_backup_never_overwrites_by_accident(small_org_path, tmp_path, target, fragment):
    """An existing file needs --ganti, the database itself is never a target, a missing folder is named."""
    (tmp_path / "ada.db").write_text("arsip lama")
    result = cli(small_org_path, "backup", tmp_path / target)
    assert result.exit_code == 2 and fragment in result.stderr, result.output
    assert (tmp_path / "ada.db").read_text() == "arsip lama"
    assert cli(small_org_path, "backup", tmp_path / "ada.db", "--ganti").exit_code == 0
    assert integrity(tmp_path / "ada.db") == "ok"


@pytest.fixture
def backed_up(small_org_path, tmp_path):
    """(live database, a backup of it, the backup's pegawai names); the live one then changes."""
    backup = tmp_path / "cadangan.db"
    backup_database(small_org_path, backup)
    names = rows(backup, "SELECT nama FROM pegawai ORDER BY nip")
    db = open_db(small_org_path)
    db.execute("UPDATE pegawai SET nama = 'Diubah Sesudah Cadangan'")
    db.conn.commit()
    db.close()
    return small_org_path, backup, names


def test_restore_refuses_to_overwrite_data_without_ganti(backed_up):
    """A database holding data is only replaced with --ganti; without it nothing changes."""
    live, backup, _ = backed_up
    before = rows(live, "SELECT nama FROM pegawai ORDER BY nip")
    result = cli(live, "restore", backup)
    assert result.exit_code == 2 and "sudah berisi data; gunakan --ganti" in result.stderr
    assert rows(live, "SELECT nama FROM pegawai ORDER BY nip") == before
    assert not list(live.parent.glob("*.sebelum-pulih-*"))


def test_restore_with_ganti_keeps_the_current_file_aside(backed_up):
    """--ganti restores the backup's content, keeps the replaced database as <name>.sebelum-pulih-<waktu> and
    records the restore in the audit log."""
    live, backup, names = backed_up
    result = cli(live, "restore", backup, "--ganti")
    assert result.exit_code == 0, result.output
    assert rows(live, "SELECT nama FROM pegawai ORDER BY nip") == names
    (aside,) = live.parent.glob("org.db.sebelum-pulih-*")
    assert f"Isi sebelumnya disimpan di {aside}" in result.stdout
    assert set(rows(aside, "SELECT nama FROM pegawai")) == {("Diubah Sesudah Cadangan",)}
    assert integrity(aside) == "ok" and stat.S_IMODE(aside.stat().st_mode) == 0o600
    assert rows(live, "PRAGMA journal_mode") == [("wal",)]
    assert rows(live, "SELECT aksi FROM audit_log ORDER BY id DESC LIMIT 1") == [("pulihkan_basis_data",)]


def test_restore_into_an_empty_path_needs_no_ganti(backed_up, tmp_path):
    """A new database file is simply created from the backup."""
    _, backup, names = backed_up
    target = tmp_path / "baru" / "kinerja.db"
    target.parent.mkdir()
    assert cli(target, "restore", backup).exit_code == 0
    assert rows(target, "SELECT nama FROM pegawai ORDER BY nip") == names


def _damaged(backup: Path) -> Path:
    data = bytearray(backup.read_bytes())
    page = 4096
    for i in range(3 * page + 8, 3 * page + 400):
        data[i] ^= 0xA5
    damaged = backup.with_name("rusak.db")
    damaged.write_bytes(bytes(data))
    return damaged


def _newer(backup: Path) -> Path:
    newer = backup.with_name("baru.db")
    newer.write_bytes(backup.read_bytes())
    conn = sqlite3.connect(newer)
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                 "VALUES ('kinerja', '0999_masa_depan', '2030-01-01')")
    conn.commit()
    conn.close()
    return newer


def _text(backup: Path) -> Path:
    text = backup.with_name("catatan.db")
    text.write_text("bukan cadangan")
    return text


@pytest.mark.parametrize("make, fragment", [
    (_damaged, "rusak"),
    (_newer, "migrasi tidak dikenal: 0999_masa_depan"),
    (_text, "bukan basis data SQLite"),
    (lambda b: b.with_name("hilang.db"), "tidak ditemukan"),
], ids=["damaged", "newer-kit", "not-sqlite", "missing"])
def test_a_bad_backup_is_refused_and_nothing_changes(backed_up, make, fragment):
    """Damaged (integrity_check), newer-schema, non-SQLite or missing backups: exit 2, live database untouched."""
    live, backup, _ = backed_up
    bad = make(backup)
    before = rows(live, "SELECT * FROM pegawai ORDER BY nip")
    result = cli(live, "restore", bad, "--ganti")
    assert result.exit_code == 2 and fragment in result.stderr, result.output
    assert rows(live, "SELECT * FROM pegawai ORDER BY nip") == before
    assert not list(live.parent.glob("*.sebelum-pulih-*"))


def test_an_older_backup_is_migrated_after_restore(backed_up, tmp_path):
    """A backup made before the newest migration is restored and brought up to this version."""
    _, backup, _ = backed_up
    conn = sqlite3.connect(backup)
    conn.execute("DROP TABLE demo_info")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0060_demo_marker'")
    conn.commit()
    conn.close()
    target = tmp_path / "lama.db"
    result = restore_database(backup, target)
    assert result.migrations_applied == ["0060_demo_marker"]
    assert rows(target, "SELECT COUNT(*) FROM demo_info") == [(0,)]
    with pytest.raises(BackupError, match="sudah berisi data"):
        restore_database(backup, target)


def test_a_damaged_database_is_restored_over_and_kept_aside_as_it_was(backed_up):
    """Restoring is what a damaged database needs: --ganti keeps the broken file byte for byte and restores."""
    live, backup, names = backed_up
    broken = bytearray(live.read_bytes())
    broken[:16] = b"rusak, bukan SQL"
    live.write_bytes(bytes(broken))
    for suffix in ("-wal", "-shm"):
        Path(f"{live}{suffix}").unlink(missing_ok=True)
    refused = cli(live, "restore", backup)
    assert refused.exit_code == 2 and "rusak atau bukan basis data SQLite; gunakan --ganti" in refused.stderr
    result = cli(live, "restore", backup, "--ganti")
    assert result.exit_code == 0, result.output
    (aside,) = live.parent.glob("org.db.sebelum-pulih-*")
    assert aside.read_bytes() == bytes(broken)
    assert rows(live, "SELECT nama FROM pegawai ORDER BY nip") == names
    assert integrity(live) == "ok" and rows(live, "PRAGMA journal_mode") == [("wal",)]
