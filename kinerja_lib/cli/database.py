"""CLI commands for the database and cycles: ``init`` and ``cycle open/list/close``."""

from __future__ import annotations

import click
import yaml

from ..cycle import close_cycle, list_cycles, open_cycle
from ..reference import load_vocabulary
from ..store import schema_version
from .common import with_db


@click.command("init")
@with_db
def init(db) -> None:
    """Buat atau migrasikan basis data (mode WAL, foreign key aktif)."""
    click.echo(f"Basis data siap: {db.conn.execute('PRAGMA database_list').fetchone()[2] or ':memory:'}")
    click.echo("Migrasi terpasang: " + ", ".join(schema_version(db)))


@click.group("cycle")
def cycle_group() -> None:
    """Kelola siklus penilaian."""


@cycle_group.command("open")
@click.option("--nama", required=True, help="Nama siklus, unik, mis. 'Tahunan 2026'.")
@click.option("--periode", required=True, type=click.Choice(load_vocabulary()["periode"]),
              help="Periode penilaian.")
@click.option("--tahun", required=True, type=int)
@click.option("--mulai", "tanggal_mulai", required=True, help="Tanggal mulai (TTTT-BB-HH).")
@click.option("--selesai", "tanggal_selesai", required=True, help="Tanggal selesai (TTTT-BB-HH).")
@click.option("--settings", "settings_file", type=click.Path(exists=True, dir_okay=False),
              help="Berkas YAML yang menimpa pengaturan metode bawaan (data/referensi/metode.yaml).")
@with_db
def cycle_open(db, nama, periode, tahun, tanggal_mulai, tanggal_selesai, settings_file) -> None:
    """Buka siklus baru dengan pengaturan metode 360."""
    overrides = None
    if settings_file:
        with open(settings_file, encoding="utf-8") as fh:
            overrides = yaml.safe_load(fh) or {}
    c = open_cycle(db, nama, periode, tahun, tanggal_mulai, tanggal_selesai, overrides)
    click.echo(f"Siklus #{c.id} '{c.nama}' dibuka ({c.periode} {c.tahun}, {c.tanggal_mulai} s.d. {c.tanggal_selesai}).")


@cycle_group.command("list")
@with_db
def cycle_list(db) -> None:
    """Daftar semua siklus."""
    for c in list_cycles(db):
        click.echo(f"#{c.id}\t{c.status}\t{c.nama}\t{c.periode} {c.tahun}\t{c.tanggal_mulai}..{c.tanggal_selesai}")


@cycle_group.command("close")
@click.argument("cycle")
@with_db
def cycle_close(db, cycle) -> None:
    """Tutup siklus: tautan berhenti berlaku dan formulir terkunci."""
    c = close_cycle(db, cycle)
    click.echo(f"Siklus #{c.id} '{c.nama}' ditutup.")


def register(main: click.Group) -> None:
    main.add_command(init)
    main.add_command(cycle_group)
