"""CLI commands for personal links: ``links`` (issue, export, revoke), ``admin-link`` and ``admin`` (named admins)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import click

from ..cycle import get_cycle
from ..instansi import load_instansi
from ..links import (admin_links, issue_admin_link, issue_links, issue_named_admin_link, revoke,
                     revoke_admin_link)
from .common import Bilangan, pelaku, refuse_existing, required_text, warn_local_base_url, with_db


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
    warn_local_base_url(base_url, bool(issued))  # after the work: a refused command prints its error alone
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
    """Terbitkan tautan dasbor admin bersama siklus (tautan bersama sebelumnya dicabut).

    Untuk admin bernama, masing-masing dengan tautan sendiri, pakai `kinerja admin tambah`.
    """
    c = get_cycle(db, cycle)
    issued = issue_admin_link(db, c.id, base_url=base_url)
    warn_local_base_url(base_url)
    click.echo(f"Tautan dasbor admin siklus '{c.nama}' (rahasiakan; hanya ditampilkan sekali):")
    click.echo(issued.url)




@click.group("admin")
def admin_group() -> None:
    """Admin bernama: tautan dasbor admin pribadi, daftar, dan pencabutan."""


@admin_group.command("tambah")
@click.option("--nama", required=True, callback=required_text, help="Nama admin (dicatat di log audit).")
@click.option("--nip", default=None, help="NIP admin (18 digit, opsional).")
@click.option("--opd", default=None, callback=required_text,
              help="Batasi ke satu perangkat daerah (id atau nama unit): admin OPD hanya melihat unit di bawahnya.")
@click.option("--cycle", "cycle", help="Siklus (id atau nama; bawaan: siklus terbuka terbaru).")
@click.option("--base-url", help="Alamat publik server formulir (bawaan: $KINERJA_BASE_URL).")
@click.option("--berlaku-hari", type=Bilangan(1, 3660), help="Tautan kedaluwarsa setelah sekian hari (1-3660).")
@with_db
def admin_add_command(db, nama, nip, opd, cycle, base_url, berlaku_hari) -> None:
    """Terbitkan tautan dasbor admin pribadi untuk satu orang; tautan admin lain tetap berlaku."""
    c = get_cycle(db, cycle)
    expiry = datetime.now(timezone.utc) + timedelta(days=berlaku_hari) if berlaku_hari else None
    issued = issue_named_admin_link(db, c.id, nama, nip=nip, opd=opd, base_url=base_url, kedaluwarsa=expiry,
                                    pelaku=pelaku())
    warn_local_base_url(base_url)
    lingkup = f"perangkat daerah {issued.unit}" if issued.unit else "seluruh siklus"
    click.echo(f"Tautan dasbor admin untuk {issued.nama} ({lingkup}), siklus '{c.nama}' "
               "(rahasiakan; hanya ditampilkan sekali):")
    click.echo(issued.url)


@admin_group.command("daftar")
@click.option("--cycle", "cycle", help="Siklus (id atau nama; bawaan: siklus terbuka terbaru).")
@click.option("--semua", "include_revoked", is_flag=True, help="Tampilkan juga tautan yang sudah dicabut.")
@with_db
def admin_list_command(db, cycle, include_revoked) -> None:
    """Tampilkan tautan admin siklus: id, nama, lingkup, terakhir dipakai (tautannya sendiri tidak)."""
    c = get_cycle(db, cycle)
    rows = admin_links(db, c.id, include_revoked=include_revoked)
    if not rows:
        click.echo(f"Belum ada tautan admin aktif pada siklus '{c.nama}'.")
        return
    waktu = load_instansi().waktu   # in the office's zone, e.g. '28-11-2026 11:40 WIB'
    for a in rows:
        who = a.nama if a.nama else "(tautan admin bersama)"
        nip = f" NIP {a.nip}" if a.nip else ""
        scope = f"perangkat daerah {a.opd}" if a.opd else "seluruh siklus"
        used = waktu(a.terakhir_dipakai) if a.terakhir_dipakai else "belum pernah"
        state = f"; dicabut {waktu(a.dicabut)}" if a.dicabut else ""
        click.echo(f"{a.id}\t{who}{nip}\t{scope}\tditerbitkan {waktu(a.diterbitkan)}\t"
                   f"terakhir dipakai: {used}{state}")


@admin_group.command("cabut")
@click.argument("link_id")
@click.option("--cycle", "cycle", help="Siklus (id atau nama; bawaan: siklus terbuka terbaru).")
@with_db
def admin_revoke_command(db, link_id, cycle) -> None:
    """Cabut satu tautan admin (id dari `kinerja admin daftar`); admin lain tidak terpengaruh."""
    c = get_cycle(db, cycle)
    gone = revoke_admin_link(db, c.id, link_id, pelaku=pelaku())
    click.echo(f"Tautan admin {gone.id} ({gone.nama or 'tautan admin bersama'}) dicabut; tautan admin lain tetap "
               "berlaku.")


def register(main: click.Group) -> None:
    """Add this module's commands to the root group."""
    main.add_command(links_command)
    main.add_command(admin_link_command)
    main.add_command(admin_group)
