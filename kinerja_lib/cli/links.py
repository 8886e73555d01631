"""CLI commands for personal links: ``links`` (issue, export, revoke) and ``admin-link``."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import click

from ..cycle import get_cycle
from ..links import issue_admin_link, issue_links, revoke
from .common import Bilangan, required_text, with_db


@click.command("links")
@click.option("--cycle", "cycle", help="Siklus (id atau nama; bawaan: siklus terbuka terbaru).")
@click.option("--out", "out", help="Simpan ke berkas .csv atau .xlsx (foldernya harus sudah ada).")
@click.option("--nip", "nips", multiple=True, callback=required_text,
              help="Terbitkan hanya untuk NIP ini (boleh diulang).")
@click.option("--revoke", "revoke_nips", multiple=True, callback=required_text,
              help="Cabut tautan NIP ini (boleh diulang).")
@click.option("--base-url", help="Alamat publik server formulir (bawaan: $KINERJA_BASE_URL).")
@click.option("--berlaku-hari", type=Bilangan(1, 3660), help="Tautan kedaluwarsa setelah sekian hari (1-3660).")
@with_db
def links_command(db, cycle, out, nips, revoke_nips, base_url, berlaku_hari) -> None:
    """Terbitkan tautan pribadi penilai (menggantikan tautan lama) atau cabut tautan.

    Dengan --out, tautan baru baru berlaku bersama berkas yang berhasil ditulis: bila berkas gagal
    ditulis, tautan lama tetap berlaku dan tidak ada yang berubah.
    """
    c = get_cycle(db, cycle)
    if revoke_nips:
        for nip in revoke_nips:
            revoke(db, c.id, nip)
            click.echo(f"Tautan NIP {nip} dicabut.")
        return
    wanted = [n.strip() for value in nips for n in value.split(",") if n.strip()] or None
    expiry = datetime.now(timezone.utc) + timedelta(days=berlaku_hari) if berlaku_hari else None
    issued = issue_links(db, c.id, base_url=base_url, nips=wanted, kedaluwarsa=expiry, out=out)
    if out:
        click.echo(f"{len(issued)} tautan untuk siklus '{c.nama}' ditulis ke {out}. Tautan hanya ditampilkan "
                   "sekali (yang tersimpan hanya hash-nya): simpan berkas ini dengan aman.")
        return
    for i in issued:
        click.echo(f"{i.nip}\t{i.nama}\t{i.jumlah_dinilai} dinilai\t{i.url}")
    click.echo(f"{len(issued)} tautan diterbitkan untuk siklus '{c.nama}'; tautan lama penilai ini tidak berlaku lagi.")


@click.command("admin-link")
@click.option("--cycle", "cycle", help="Siklus (id atau nama; bawaan: siklus terbuka terbaru).")
@click.option("--base-url", help="Alamat publik server formulir (bawaan: $KINERJA_BASE_URL).")
@with_db
def admin_link_command(db, cycle, base_url) -> None:
    """Terbitkan tautan dasbor admin siklus (tautan admin sebelumnya dicabut)."""
    c = get_cycle(db, cycle)
    issued = issue_admin_link(db, c.id, base_url=base_url)
    click.echo(f"Tautan dasbor admin siklus '{c.nama}' (rahasiakan; hanya ditampilkan sekali):")
    click.echo(issued.url)


def register(main: click.Group) -> None:
    """Add this module's commands to the root group."""
    main.add_command(links_command)
    main.add_command(admin_link_command)
