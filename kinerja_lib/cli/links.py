"""CLI commands for personal links: ``links`` (issue, export, revoke) and ``admin-link``."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import click

from ..cycle import get_cycle
from ..links import issue_admin_link, issue_links, local_base_url_warning, revoke
from .common import Bilangan, refuse_existing, required_text, with_db


@click.command("links")
@click.option("--cycle", "cycle", help="Siklus (id atau nama; bawaan: siklus terbuka terbaru).")
@click.option("--out", "out", help="Simpan ke berkas .csv atau .xlsx (foldernya harus sudah ada).")
@click.option("--nip", "nips", multiple=True, callback=required_text,
              help="Terbitkan hanya untuk NIP ini (boleh diulang).")
@click.option("--revoke", "revoke_nips", multiple=True, callback=required_text,
              help="Cabut tautan NIP ini (boleh diulang).")
@click.option("--base-url", help="Alamat publik server formulir (bawaan: $KINERJA_BASE_URL).")
@click.option("--berlaku-hari", type=Bilangan(1, 3660), help="Tautan kedaluwarsa setelah sekian hari (1-3660).")
@click.option("--semua", "all_raters", is_flag=True,
              help="Terbitkan ulang untuk SEMUA penilai: semua tautan yang sudah dibagikan dicabut.")
@with_db
def links_command(db, cycle, out, nips, revoke_nips, base_url, berlaku_hari, all_raters) -> None:
    """Terbitkan tautan pribadi penilai atau cabut tautan.

    Bawaannya hanya penilai yang belum mempunyai tautan aktif mendapat tautan; tautan yang sudah
    dibagikan tetap berlaku. --nip menerbitkan ulang tautan penilai itu saja (tautan lamanya dicabut);
    --semua menerbitkan ulang untuk semua penilai. Dengan --out, tautan baru baru berlaku bersama
    berkas yang berhasil ditulis: bila berkas gagal ditulis, tautan lama tetap berlaku dan tidak ada
    yang berubah.
    """
    c = get_cycle(db, cycle)
    if revoke_nips:
        for nip in revoke_nips:
            revoke(db, c.id, nip)
            click.echo(f"Tautan NIP {nip} dicabut.")
        return
    wanted = [n.strip() for value in nips for n in value.split(",") if n.strip()] or None
    if wanted and all_raters:
        raise click.UsageError("--nip dan --semua tidak dapat dipakai bersama")
    expiry = datetime.now(timezone.utc) + timedelta(days=berlaku_hari) if berlaku_hari else None
    if out and not all_raters and wanted is None:
        refuse_existing(out)
    issued = issue_links(db, c.id, base_url=base_url, nips=wanted, kedaluwarsa=expiry, out=out,
                         only_without_link=not all_raters)
    warning = local_base_url_warning(base_url) if issued else None
    if warning:  # after the work: a refused command prints its error alone
        click.echo(warning, err=True)
    if not issued and wanted is None and not all_raters:
        click.echo(f"Semua penilai siklus '{c.nama}' sudah mempunyai tautan aktif; tidak ada tautan baru"
                   + (f" dan berkas {out} tidak ditulis" if out else "") + ". Pakai --nip NIP untuk menerbitkan "
                   "ulang tautan seseorang, `kinerja ingatkan` untuk tautan baru bagi yang belum selesai, atau "
                   "--semua untuk menerbitkan ulang semuanya.")
        return
    if out:
        click.echo(f"{len(issued)} tautan untuk siklus '{c.nama}' ditulis ke {out}. Tautan hanya ditampilkan "
                   "sekali (yang tersimpan hanya hash-nya): simpan berkas ini dengan aman.")
        return
    for i in issued:
        click.echo(f"{i.nip}\t{i.nama}\t{i.jumlah_dinilai} dinilai\t{i.url}")
    click.echo(f"{len(issued)} tautan diterbitkan untuk siklus '{c.nama}'; tautan lama penilai ini tidak berlaku lagi, "
               "tautan penilai lain tidak berubah.")


@click.command("admin-link")
@click.option("--cycle", "cycle", help="Siklus (id atau nama; bawaan: siklus terbuka terbaru).")
@click.option("--base-url", help="Alamat publik server formulir (bawaan: $KINERJA_BASE_URL).")
@with_db
def admin_link_command(db, cycle, base_url) -> None:
    """Terbitkan tautan dasbor admin siklus (tautan admin sebelumnya dicabut)."""
    c = get_cycle(db, cycle)
    issued = issue_admin_link(db, c.id, base_url=base_url)
    warning = local_base_url_warning(base_url)
    if warning:
        click.echo(warning, err=True)
    click.echo(f"Tautan dasbor admin siklus '{c.nama}' (rahasiakan; hanya ditampilkan sekali):")
    click.echo(issued.url)


def register(main: click.Group) -> None:
    """Add this module's commands to the root group."""
    main.add_command(links_command)
    main.add_command(admin_link_command)
