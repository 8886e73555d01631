"""CLI command ``kinerja pelatihan``: competency gaps, training needs and cohorts exported to XLSX."""

from __future__ import annotations

import click

from ..export import atomic_path, check_output_path
from .common import Bilangan, Pilihan, with_db


@click.command("pelatihan")
@click.option("--cycle", "cycle", default=None, help="Id atau nama siklus (bawaan: siklus terbuka terbaru).")
@click.option("--xlsx", "xlsx_path", required=True,
              help="Berkas XLSX rencana pengembangan kompetensi yang ditulis (foldernya harus sudah ada).")
@click.option("--ukuran-kelas", type=Bilangan(1, 10_000), default=None,
              help="Peserta paling banyak per kelas (bawaan: data/referensi/pengembangan.yaml).")
@click.option("--kelompok-unit", type=Pilihan(["opd", "unit", "semua"]), default=None,
              help="Kohort dibentuk per perangkat daerah, per unit kerja, atau lintas unit.")
@with_db
def pelatihan(db, cycle, xlsx_path, ukuran_kelas, kelompok_unit) -> None:
    """Analisis kesenjangan kompetensi dan tulis rencana pengembangan (min. 20 JP) ke XLSX."""
    from ..competency import analyse_competency, export_training_xlsx

    check_output_path(xlsx_path, ("xlsx",), option="--xlsx")
    overrides = {}
    if ukuran_kelas is not None:
        overrides["ukuran_kelas"] = ukuran_kelas
    if kelompok_unit is not None:
        overrides["kelompok_unit"] = kelompok_unit
    report = analyse_competency(db, cycle, overrides)
    dist = report.jpm_distribution()
    plan = report.jp_plan()
    click.echo(f"Siklus #{report.cycle.id} '{report.cycle.nama}': {plan['pegawai']} pegawai, "
               f"{int((report.people['n_kesenjangan'] > 0).sum())} dengan kesenjangan kompetensi.")
    click.echo("Kategori JPM: " + ", ".join(f"{k} {v}" for k, v in zip(dist["kategori_jpm"], dist["jumlah"])))
    click.echo(f"Kohort: {len(report.cohorts)} kelas; JP direncanakan {plan['jp_total']} "
               f"({plan['memenuhi_jp_minimal']} pegawai memenuhi {plan['jp_minimal']} JP).")
    for warning in report.warnings:
        click.echo(f"Peringatan: {warning}", err=True)
    with atomic_path(xlsx_path) as temp:
        export_training_xlsx(report, temp)
    click.echo(f"Berkas ditulis: {xlsx_path}")


def register(main: click.Group) -> None:
    """Add this module's commands to the root group."""
    main.add_command(pelatihan)
