"""Database files: checking a path before use, consistent backups while raters write, checked restores.

A backup uses SQLite's online backup API (``sqlite3.Connection.backup``) in one step: the copy is
read inside one read transaction, so it is the database as it stood when the step began, even
while form kernels keep saving answers (in WAL mode a reader never blocks a writer). Copying the
file with ``cp`` instead can catch the database between a write to the WAL and its checkpoint and
lose answers.

A restore checks the backup first (``PRAGMA integrity_check`` and the schema version: every
applied migration must be known to this version of the kit), keeps the current database aside as
``<name>.sebelum-pulih-<waktu>`` (itself a consistent backup), then copies the backup into the
live database through the same API, so SQLite's locks keep other connections consistent.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .errors import BackupError, DatabaseFileError, OutputError
from .export import PRIVATE_FILE_MODE, staged_files

SQLITE_HEADER = b"SQLite format 3\x00"
MIGRATION_SET = "kinerja"
BUSY_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class BackupResult:
    """What a backup wrote: the file, its size in bytes and how long it took."""

    path: Path
    bytes: int
    seconds: float


@dataclass(frozen=True)
class RestoreResult:
    """What a restore did: the live database, the backup it came from, where the old file was kept."""

    path: Path
    source: Path
    kept_aside: Path | None
    migrations_applied: list[str]


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


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    return conn


def _integrity(conn: sqlite3.Connection) -> list[str]:
    rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    return [] if rows == ["ok"] else rows


def _copy(source: Path, dest_file: Path) -> None:
    """Copy ``source`` into the new file ``dest_file`` in one backup step, as a single-file database."""
    src = _connect(source)
    try:
        dst = sqlite3.connect(dest_file)
        try:
            # pages=-1: the whole database in one step, inside one read transaction on the source.
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
            problems = _integrity(dst)
        finally:
            dst.close()
    finally:
        src.close()
    if problems:
        raise BackupError(f"salinan '{dest_file}' gagal diperiksa (integrity_check): {'; '.join(problems[:5])}")


def snapshot(source: str | os.PathLike, dest_file: str | os.PathLike) -> Path:
    """Copy the database ``source`` to the new file ``dest_file`` as it stands now, without blocking writers.

    A working copy (no integrity check): for reading and writing something derived from one
    consistent state while raters keep saving in the live database.
    """
    dest = Path(dest_file)
    src = _connect(Path(source))
    try:
        dst = sqlite3.connect(dest)
        try:
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
    finally:
        src.close()
    return dest


def backup_database(source: str | os.PathLike, target: str | os.PathLike, *, replace: bool = False) -> BackupResult:
    """Write a consistent, checked copy of the database ``source`` to ``target`` (owner-only); return it.

    Safe while other processes write. The copy is a single file (journal mode DELETE) that passes
    ``PRAGMA integrity_check``; it is written beside ``target`` and renamed into place. Raises
    BackupError when the source is not a database, the target exists (unless ``replace``) or is
    the source itself, OutputError when the target's folder cannot be written.
    """
    started = time.perf_counter()
    src, dst = Path(source), Path(target)
    if not is_sqlite_file(src):
        raise BackupError(f"basis data '{src}' tidak ada atau bukan basis data SQLite")
    folder = dst.parent if str(dst.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"berkas cadangan '{dst}': folder '{folder}' tidak ada; buat dahulu foldernya")
    if dst.exists() or dst.is_symlink():
        if dst.is_dir() or not dst.is_file():
            raise OutputError(f"berkas cadangan '{dst}' bukan berkas biasa; pilih nama berkas lain")
        if os.path.samefile(src, dst):
            raise BackupError(f"berkas cadangan '{dst}' adalah basis data itu sendiri; pilih nama lain")
        if not replace:
            raise BackupError(f"berkas cadangan '{dst}' sudah ada; gunakan --ganti untuk menimpanya")
    with staged_files(dst) as [staged]:
        staged.temp.unlink()  # sqlite writes a fresh file; the name stays reserved by us
        _copy(src, staged.temp)
        os.chmod(staged.temp, PRIVATE_FILE_MODE)
        staged.place()
    return BackupResult(dst, dst.stat().st_size, time.perf_counter() - started)


def check_backup_file(path: str | os.PathLike) -> None:
    """Raise BackupError unless ``path`` is a sound database of this kit (integrity and schema checked)."""
    p = Path(path)
    try:
        info = os.stat(p)
    except FileNotFoundError:
        raise BackupError(f"berkas cadangan '{p}' tidak ditemukan") from None
    except OSError as exc:
        raise BackupError(f"berkas cadangan '{p}' tidak dapat dibuka: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise BackupError(f"berkas cadangan '{p}' bukan berkas biasa")
    if not is_sqlite_file(p):
        raise BackupError(f"berkas '{p}' bukan basis data SQLite, jadi bukan cadangan Kinerja 360")
    try:
        conn = sqlite3.connect(f"file:{p.resolve()}?mode=ro", uri=True)
        try:
            problems = _integrity(conn)
            problem = None if problems else schema_problem(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"berkas cadangan '{p}' rusak: {exc}") from None
    if problems:
        raise BackupError(f"berkas cadangan '{p}' rusak (integrity_check): {'; '.join(problems[:5])}")
    if problem:
        raise BackupError(f"berkas cadangan '{p}': {problem}")


def holds_data(path: str | os.PathLike) -> bool:
    """Return whether the database at ``path`` holds any unit, pegawai or cycle."""
    if not Path(path).exists() or Path(path).stat().st_size == 0:
        return False
    conn = _connect(Path(path))
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return any(conn.execute(f"SELECT EXISTS (SELECT 1 FROM [{t}])").fetchone()[0]
                   for t in ("pegawai", "cycle", "unit") if t in tables)
    finally:
        conn.close()


def aside_name(path: Path, at: datetime | None = None) -> Path:
    """Return where the current database is kept before a restore: ``<name>.sebelum-pulih-<waktu>``."""
    stamp = (at or datetime.now()).strftime("%Y%m%d-%H%M%S")
    candidate = path.with_name(f"{path.name}.sebelum-pulih-{stamp}")
    n = 2
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.sebelum-pulih-{stamp}-{n}")
        n += 1
    return candidate


def _healthy(path: Path) -> bool:
    """Return whether ``path`` is an SQLite database that opens and passes ``PRAGMA integrity_check``."""
    if not is_sqlite_file(path):
        return False
    try:
        conn = _connect(path)
        try:
            return not _integrity(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return False


def _keep_aside(path: Path, healthy: bool) -> Path:
    """Copy the current database to ``<name>.sebelum-pulih-<waktu>``: consistently when it is sound, byte for
    byte (with its -wal) when it is damaged, so even a broken file can still be examined later."""
    aside = aside_name(path)
    with staged_files(aside) as [staged]:
        if healthy:
            staged.temp.unlink()
            snapshot(path, staged.temp)
        else:
            shutil.copyfile(path, staged.temp)
            if Path(f"{path}-wal").exists():
                shutil.copyfile(f"{path}-wal", f"{aside}-wal")
                os.chmod(f"{aside}-wal", PRIVATE_FILE_MODE)
        os.chmod(staged.temp, PRIVATE_FILE_MODE)
        staged.place()
    return aside


def _replace_file(source: Path, target: Path) -> None:
    """Put a copy of ``source`` at ``target`` by renaming a finished file over it (for a missing or
    damaged target, which SQLite cannot write into)."""
    with staged_files(target) as [staged]:
        staged.temp.unlink()
        snapshot(source, staged.temp)
        conn = sqlite3.connect(staged.temp)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
        finally:
            conn.close()
        os.chmod(staged.temp, PRIVATE_FILE_MODE)
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        staged.place()


def _copy_into(source: Path, target: Path) -> None:
    """Copy ``source`` into the live database ``target`` through SQLite, so its locks and WAL stay coherent."""
    backup = sqlite3.connect(f"file:{source.resolve()}?mode=ro", uri=True)
    try:
        live = _connect(target)
        try:
            if live.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                if live.execute("PRAGMA page_size").fetchone()[0] != backup.execute("PRAGMA page_size").fetchone()[0]:
                    # A WAL database cannot change its page size: leave WAL for the copy.
                    live.execute("PRAGMA journal_mode = DELETE")
            backup.backup(live, pages=-1)
            live.execute("PRAGMA journal_mode = WAL")
        finally:
            live.close()
    finally:
        backup.close()


def restore_database(source: str | os.PathLike, target: str | os.PathLike, *, replace: bool = False,
                     pelaku: str = "cli") -> RestoreResult:
    """Restore the database ``target`` from the backup ``source``; return what was done.

    Checks the backup (integrity, schema version) and the target path first. A target holding data
    (or one that is damaged or not a database, whose content cannot be known) is only overwritten
    with ``replace``, and is kept aside first as ``<name>.sebelum-pulih-<waktu>``. A sound target is
    overwritten through SQLite's backup API, a missing or damaged one by renaming a finished copy
    over it. The restored database is migrated to this version of the kit and the restore is written
    to its audit log. Raises BackupError or DatabaseFileError, changing nothing, when a check fails.
    """
    from .store import audit, migrations, open_db, write_transaction

    src, dst = Path(source), Path(target)
    folder = dst.parent if str(dst.parent) else Path(".")
    if not folder.is_dir():
        raise DatabaseFileError(f"basis data '{dst}': folder '{folder}' tidak ada; buat dahulu foldernya")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise DatabaseFileError(f"basis data '{dst}': folder '{folder}' tidak dapat ditulisi")
    if dst.exists() and not dst.is_file():
        raise DatabaseFileError(f"basis data '{dst}' bukan berkas biasa")
    check_backup_file(src)
    if dst.exists() and os.path.samefile(src, dst):
        raise BackupError(f"berkas cadangan '{src}' adalah basis data itu sendiri")
    present = dst.exists() and dst.stat().st_size > 0
    healthy = present and _healthy(dst)
    if present and not replace:
        if not healthy:
            raise BackupError(f"'{dst}' rusak atau bukan basis data SQLite; gunakan --ganti untuk menggantinya "
                              f"(berkas sekarang disimpan dahulu sebagai '{dst.name}.sebelum-pulih-<waktu>')")
        if holds_data(dst):
            raise BackupError(f"basis data '{dst}' sudah berisi data; gunakan --ganti untuk menggantinya dengan "
                              f"isi '{src.name}' (berkas sekarang disimpan dahulu sebagai "
                              f"'{dst.name}.sebelum-pulih-<waktu>')")
    aside = _keep_aside(dst, healthy) if present else None
    before = set(known_migrations())
    try:
        backup = sqlite3.connect(f"file:{src.resolve()}?mode=ro", uri=True)
        try:
            applied_before = {r[0] for r in backup.execute(
                "SELECT name FROM _sqlite_migrations WHERE migration_set = ?", [MIGRATION_SET])}
        finally:
            backup.close()
        if healthy or (dst.exists() and not present):
            _copy_into(src, dst)
        else:
            _replace_file(src, dst)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"pemulihan ke '{dst}' gagal, basis data tidak berubah: {exc}") from None
    make_private(dst)
    db = open_db(dst)
    try:
        pending = sorted(before - applied_before)
        migrations.apply(db)
        with write_transaction(db):
            audit(db, pelaku, "pulihkan_basis_data", None, None, berkas=str(src),
                  disimpan_di=str(aside) if aside else None, migrasi_baru=pending)
    finally:
        db.close()
    return RestoreResult(dst, src, aside, pending)
