"""Database files: checking that a path can hold the kit's database before it is opened."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

from .errors import DatabaseFileError

SQLITE_HEADER = b"SQLite format 3\x00"
MIGRATION_SET = "kinerja"


def is_sqlite_file(path: str | os.PathLike) -> bool:
    """Return whether ``path`` is a regular file starting with the SQLite header (never blocks on a FIFO)."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            return False
        with open(path, "rb") as fh:
            return fh.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


def known_migrations() -> set[str]:
    """Return the names of the migrations this version of the kit knows."""
    from sqlite_utils import Database

    from .store import migrations

    return {m.name for m in migrations.pending(Database(memory=True))}


def schema_problem(conn: sqlite3.Connection) -> str | None:
    """Return why a database is not one this kit can use (Indonesian), or None when it is.

    An empty database is fine (it is about to be created). A database with tables but no record of
    the kit's migrations belongs to another program; one with migrations this kit does not know was
    made by a newer version.
    """
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not tables:
        return None
    applied: list[str] = []
    if "_sqlite_migrations" in tables:
        applied = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations WHERE migration_set = ?",
                                              [MIGRATION_SET])]
    if not applied:
        return "bukan basis data Kinerja 360 (tidak ada catatan migrasi kit ini); periksa nama berkasnya"
    unknown = sorted(set(applied) - known_migrations())
    if unknown:
        return ("dibuat oleh versi Kinerja 360 yang lebih baru (migrasi tidak dikenal: " + ", ".join(unknown)
                + "); perbarui perangkat ini lebih dahulu")
    return None


def check_database_path(path: str | os.PathLike) -> Path:
    """Return ``path`` when it can hold the kit's database; raise DatabaseFileError naming the problem.

    The folder must exist and be writable (SQLite writes its -wal and -shm files beside the
    database); an existing path must be a regular, writable file that starts with the SQLite header.
    """
    target = Path(path)
    if str(target) == ":memory:":
        return target
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise DatabaseFileError(f"basis data '{target}': folder '{folder}' tidak ada; buat dahulu foldernya "
                                f"(mkdir -p '{folder}') atau periksa ejaan --db")
    try:
        info = os.stat(target)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise DatabaseFileError(f"basis data '{target}' tidak dapat diperiksa: {exc.strerror}") from None
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            raise DatabaseFileError(f"basis data '{target}' adalah folder; --db harus menunjuk berkas")
        if not stat.S_ISREG(info.st_mode):
            raise DatabaseFileError(f"basis data '{target}' bukan berkas biasa (perangkat atau pipa)")
        if not os.access(target, os.R_OK):
            raise DatabaseFileError(f"basis data '{target}' tidak dapat dibaca (hak akses berkas)")
        if info.st_size > 0 and not is_sqlite_file(target):
            raise DatabaseFileError(f"berkas '{target}' bukan basis data SQLite; periksa --db")
        if not os.access(target, os.W_OK):
            raise DatabaseFileError(f"basis data '{target}' tidak dapat ditulisi (berkas hanya-baca)")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise DatabaseFileError(f"basis data '{target}': folder '{folder}' tidak dapat ditulisi "
                                "(SQLite menulis berkas -wal dan -shm di sampingnya)")
    return target


def make_private(path: str | os.PathLike) -> None:
    """Make a database file and its -wal/-shm companions readable by the owner only (when ours)."""
    for suffix in ("", "-wal", "-shm"):
        p = f"{path}{suffix}"
        try:
            info = os.stat(p)
            if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) & 0o077:
                os.chmod(p, stat.S_IMODE(info.st_mode) & 0o700)
        except OSError:
            continue
