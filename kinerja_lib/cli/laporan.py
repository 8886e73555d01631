"""CLI commands ``kinerja laporan ...``: delivering the 360° reports through the personal links."""

from __future__ import annotations

import click

from ..export import check_output_path, write_table
from .common import pelaku, warn_local_base_url, with_db


@click.group("laporan")
def laporan_group() -> None:
    """Penyampaian laporan 360° lewat tautan pribadi: siapa yang sudah membuka laporannya."""


@laporan_group.command("dibuka")
@click.option("--cycle", "cycle", default=None, help="Id atau nama siklus (bawaan: siklus terbuka terbaru).")
@click.option("--belum", "only", flag_value="belum", default=None, help="Hanya yang belum membuka laporannya.")
@click.option("--sudah", "only", flag_value="sudah", help="Hanya yang sudah membuka laporannya.")
@click.option("--out", default=None, help="Simpan daftarnya ke berkas .csv atau .xlsx.")
@with_db
def opened_cmd(db, cycle, only, out) -> None:
    """Tampilkan per unit siapa yang sudah membuka laporan 360°-nya lewat tautan pribadi (dan berapa kali)."""
    from ..cycle import get_cycle
    from ..instansi import load_instansi
    from ..report_access import openings, openings_by_unit, openings_sheet

    target = check_output_path(out, option="--out") if out else None
    c = get_cycle(db, cycle)
    everyone = openings(db, c.id)
    rows = openings(db, c.id, only=only)
    if target is not None:
        write_table(target, openings_sheet(rows), {"siklus": c.nama, "pilihan": only or "semua"})
        click.echo(f"{len(rows)} baris ditulis ke {target}")
        return
    if not everyone:
        click.echo(f"Belum ada laporan 360° yang diterbitkan pada siklus '{c.nama}' (terbitkan dengan "
                   "'kinerja report').")
        return
    zone = load_instansi()
    for unit, published, opened in openings_by_unit(everyone):
        click.echo(f"{unit}: {opened} dari {published} laporan sudah dibuka")
        for r in rows:
            if r.unit != unit:
                continue
            seen = f"dibuka {r.jumlah}x, terakhir {zone.waktu(r.terakhir)}" if r.opened else "belum dibuka"
            click.echo(f"  {r.nama} ({r.nip}): versi {r.versi}, {seen}")
    total = sum(r.opened for r in everyone)
    click.echo(f"Jumlah: {total} dari {len(everyone)} laporan sudah dibuka pada siklus '{c.nama}'.")


@laporan_group.command("kirim")
@click.option("--cycle", "cycle", default=None, help="Id atau nama siklus (bawaan: siklus terbuka terbaru).")
@click.option("--out", required=True, help="Berkas .xlsx atau .csv berisi tautan baru dan tautan WhatsApp.")
@click.option("--semua", "everyone", is_flag=True, help="Juga pegawai yang sudah membuka laporannya.")
@with_db
def send_cmd(db, cycle, out, everyone) -> None:
    """Terbitkan ulang tautan pribadi pegawai yang laporannya sudah terbit (bawaan: yang belum membukanya).

    Ditulis sebagai daftar WhatsApp siap kirim. Tautan lama orang itu dicabut; tautan baru membuka formulir dan
    'Laporan saya'. Tautan tetap berhenti berlaku saat siklus ditutup.
    """
    from ..cycle import get_cycle
    from ..links import issue_links
    from ..report_access import delivery_nips, delivery_sheet

    target = check_output_path(out, option="--out")
    c = get_cycle(db, cycle)
    nips = delivery_nips(db, c.id, only_unopened=not everyone)
    if not nips:
        click.echo("Tidak ada pegawai yang perlu dikirimi tautan laporan.")
        return
    warn_local_base_url(None)
    issued = issue_links(db, c.id, nips=nips, pelaku=pelaku(), out=target,
                         sheet=lambda links: delivery_sheet(links, c.nama))
    click.echo(f"{len(issued)} tautan laporan ditulis ke {target}; kirim lewat kolom WhatsApp.")


def register(main: click.Group) -> None:
    """Add this module's commands to the root group."""
    main.add_command(laporan_group)
