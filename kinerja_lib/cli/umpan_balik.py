"""CLI command ``kinerja umpan-balik ekspor``: the Umpan Balik Berkelanjutan notes for the SKP realisation."""

from __future__ import annotations

import click

from ..export import check_output_path
from .common import pelaku, with_db


@click.group("umpan-balik")
def umpan_balik_group() -> None:
    """Umpan Balik Berkelanjutan (PermenPANRB 6/2022): catatan dialog kinerja atasan dengan bawahan."""


@umpan_balik_group.command("ekspor")
@click.option("--out", required=True, help="Berkas .xlsx tujuan.")
@click.option("--cycle", "cycle", default=None,
              help="Id atau nama siklus: catatan bertanggal dalam periodenya (bawaan: siklus terbuka terbaru).")
@click.option("--tahun", type=click.IntRange(1900, 2999), default=None,
              help="Seluruh catatan satu tahun kinerja (menggantikan --cycle).")
@with_db
def export_cmd(db, out, cycle, tahun) -> None:
    """Tulis catatan umpan balik, satu baris per catatan, dengan kolom "Realisasi berdasarkan umpan balik
    berkelanjutan" untuk lampiran SKP."""
    from ..cycle import get_cycle
    from ..umpan_balik import export_notes

    target = check_output_path(out, ("xlsx",), option="--out")
    if tahun is not None:
        n = export_notes(db, target, tahun=tahun, pelaku=pelaku())
        where = f"tahun {tahun}"
    else:
        c = get_cycle(db, cycle)
        n = export_notes(db, target, mulai=c.tanggal_mulai, selesai=c.tanggal_selesai, pelaku=pelaku())
        where = f"periode siklus '{c.nama}'"
    click.echo(f"{n} catatan umpan balik ({where}) ditulis ke {target}")


def register(main: click.Group) -> None:
    """Add this module's commands to the root group."""
    main.add_command(umpan_balik_group)
