"""CLI commands for the database and cycles: ``init``, ``backup``, ``restore`` and ``cycle open/list/close``."""

from __future__ import annotations


import click

from ..cycle import YEAR_MAX, YEAR_MIN, close_cycle, list_cycles, load_settings_file, open_cycle
from ..reference import load_vocabulary
from ..store import database_file, schema_version
from .common import Bilangan, Pilihan, database_path, pelaku, required_text, with_db




@click.command("init")
@with_db
def init(db) -> None:
    """Buat atau migrasikan basis data (mode WAL, foreign key aktif)."""
    click.echo(f"Basis data siap: {database_file(db) or ':memory:'}")
    click.echo("Migrasi terpasang: " + ", ".join(schema_version(db)))


@click.command("backup")
@click.argument("file")
@click.option("--ganti", "replace", is_flag=True, help="Timpa berkas cadangan yang sudah ada.")
@click.pass_context
def backup(ctx: click.Context, file: str, replace: bool) -> None:
    """Buat cadangan basis data yang konsisten ke FILE, aman walau penilai sedang mengisi formulir.

    Memakai API cadangan daring SQLite (bukan menyalin berkas), memeriksa salinannya dengan
    PRAGMA integrity_check, dan hanya pemilik yang dapat membacanya. Contoh harian (cron):
    kinerja backup cadangan/kinerja-$(date +%F).db
    """
    from ..backup import backup_database, check_database_path

    source = check_database_path(database_path(ctx))
    result = backup_database(source, file, replace=replace)
    click.echo(f"Cadangan {source} ditulis ke {result.path} ({result.bytes / 1e6:.1f} MB, lolos "
               f"integrity_check, {result.seconds:.1f} detik).")


@click.command("restore")
@click.argument("file")
@click.option("--ganti", "replace", is_flag=True,
              help="Ganti basis data yang sudah berisi data (isinya disimpan dahulu di samping berkasnya).")
@click.pass_context
def restore(ctx: click.Context, file: str, replace: bool) -> None:
    """Pulihkan basis data dari berkas cadangan FILE.

    Cadangan diperiksa dahulu (PRAGMA integrity_check dan versi skema). Basis data yang sekarang
    disimpan sebagai <nama>.sebelum-pulih-<waktu> sebelum diganti. Hentikan 'kinerja serve' dahulu.
    """
    from ..backup import restore_database

    result = restore_database(file, database_path(ctx), replace=replace, pelaku=pelaku())
    click.echo(f"Basis data {result.path} dipulihkan dari {result.source}.")
    if result.kept_aside is not None:
        click.echo(f"Isi sebelumnya disimpan di {result.kept_aside}.")
    if result.migrations_applied:
        click.echo("Skema diperbarui: " + ", ".join(result.migrations_applied) + ".")


@click.group("cycle")
def cycle_group() -> None:
    """Kelola siklus penilaian."""


@cycle_group.command("open")
@click.option("--nama", required=True, callback=required_text, help="Nama siklus, unik, mis. 'Tahunan 2026'.")
@click.option("--periode", required=True, type=Pilihan(load_vocabulary()["periode"]), help="Periode penilaian.")
@click.option("--tahun", required=True, type=Bilangan(YEAR_MIN, YEAR_MAX), help="Tahun penilaian.")
@click.option("--mulai", "tanggal_mulai", required=True, help="Tanggal mulai (TTTT-BB-HH).")
@click.option("--selesai", "tanggal_selesai", required=True, help="Tanggal selesai (TTTT-BB-HH).")
@click.option("--settings", "settings_file",
              help="Berkas YAML yang menimpa pengaturan metode bawaan (data/referensi/metode.yaml).")
@with_db
def cycle_open(db, nama, periode, tahun, tanggal_mulai, tanggal_selesai, settings_file) -> None:
    """Buka siklus baru dengan pengaturan metode 360."""
    overrides = load_settings_file(settings_file) if settings_file else None
    c = open_cycle(db, nama, periode, tahun, tanggal_mulai, tanggal_selesai, overrides, pelaku=pelaku())
    click.echo(f"Siklus #{c.id} '{c.nama}' dibuka ({c.periode} {c.tahun}, {c.tanggal_mulai} s.d. {c.tanggal_selesai}).")


@cycle_group.command("list")
@with_db
def cycle_list(db) -> None:
    """Daftar semua siklus."""
    for c in list_cycles(db):
        click.echo(f"#{c.id}\t{c.status}\t{c.nama}\t{c.periode} {c.tahun}\t{c.tanggal_mulai}..{c.tanggal_selesai}")


@cycle_group.command("close")
@click.argument("cycle", callback=required_text)
@with_db
def cycle_close(db, cycle) -> None:
    """Tutup siklus: tautan berhenti berlaku dan formulir terkunci (siklus yang sudah ditutup tetap ditutup)."""
    c = close_cycle(db, cycle, pelaku=pelaku())
    click.echo(f"Siklus #{c.id} '{c.nama}' ditutup.")


def register(main: click.Group) -> None:
    main.add_command(init)
    main.add_command(backup)
    main.add_command(restore)
    main.add_command(cycle_group)
