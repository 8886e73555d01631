"""CLI commands for reaching raters: ``undang`` (invitations) and ``ingatkan`` (reminders), by WhatsApp list or e-mail."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import click

from ..cycle import get_cycle
from ..errors import KinerjaError, LinkError
from ..mailer import ENV_PASSWORD, SECURITY, per_minute_from, settings_from
from ..outreach import PENGINGAT, UNDANGAN, check_list_path, raters_to_reach, send_mail, write_list
from .common import Bilangan, Pilihan, refuse_existing, required_text, warn_local_base_url, with_db


def _options(func):
    options = [
        click.option("--cycle", "cycle", help="Siklus (id atau nama; bawaan: siklus terbuka terbaru)."),
        click.option("--nip", "nips", multiple=True, callback=required_text,
                     help="Hanya penilai dengan NIP ini (boleh diulang atau dipisah koma)."),
        click.option("--out", "out", help="Tulis daftar WhatsApp (.csv atau .xlsx): kontak, tautan baru dan "
                                          "tautan wa.me berisi pesan siap kirim."),
        click.option("--email", "email", is_flag=True,
                     help="Kirim e-mail lewat server SMTP ke penilai yang punya alamat e-mail."),
        click.option("--coba", "dry_run", is_flag=True,
                     help="Uji coba: tampilkan apa yang akan dikirim tanpa menerbitkan tautan atau mengirim apa pun."),
        click.option("--per-menit", "per_minute", type=Bilangan(1, 600),
                     help="Batas e-mail per menit (bawaan: $KINERJA_SMTP_PER_MENIT atau 20)."),
        click.option("--smtp-host", help="Server SMTP (bawaan: $KINERJA_SMTP_HOST)."),
        click.option("--smtp-port", type=Bilangan(1, 65535),
                     help="Port SMTP (bawaan: $KINERJA_SMTP_PORT; 587 starttls, 465 ssl, 25 tanpa)."),
        click.option("--smtp-keamanan", type=Pilihan(SECURITY),
                     help="starttls, ssl atau tanpa (bawaan: $KINERJA_SMTP_KEAMANAN atau starttls)."),
        click.option("--smtp-user", help=f"Akun SMTP (bawaan: $KINERJA_SMTP_USER); kata sandinya dari ${ENV_PASSWORD}."),
        click.option("--smtp-ca", help="Berkas sertifikat CA internal yang menandatangani sertifikat server SMTP "
                                       "(bawaan: $KINERJA_SMTP_CA; tanpa ini dipakai CA sistem)."),
        click.option("--pengirim", help="Alamat pengirim, mis. 'BKPSDM <kinerja@surakarta.go.id>' "
                                        "(bawaan: $KINERJA_SMTP_PENGIRIM)."),
        click.option("--base-url", help="Alamat publik server formulir (bawaan: $KINERJA_BASE_URL)."),
        click.option("--berlaku-hari", type=Bilangan(1, 3660), help="Tautan kedaluwarsa setelah sekian hari (1-3660)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _reach(db, jenis, cycle, nips, out, email, dry_run, per_minute, smtp_host, smtp_port, smtp_keamanan, smtp_user,
           smtp_ca, pengirim, base_url, berlaku_hari, all_raters=False) -> None:
    if not out and not email:
        raise click.UsageError("pilih cara menjangkau penilai: --out BERKAS (daftar WhatsApp) dan/atau --email")
    c = get_cycle(db, cycle)
    if not c.is_open:
        raise LinkError(f"Siklus '{c.nama}' sudah ditutup; tautan tidak dapat diterbitkan")
    if out:
        out = check_list_path(out)
        if jenis == UNDANGAN and not all_raters and not nips:
            refuse_existing(out)
    settings, rate = None, per_minute_from(per_minute)
    if email and not dry_run:
        settings = settings_from(host=smtp_host, port=smtp_port, keamanan=smtp_keamanan, user=smtp_user,
                                 pengirim=pengirim, cafile=smtp_ca)
    wanted = [n.strip() for value in nips for n in value.split(",") if n.strip()] or None
    raters = raters_to_reach(db, c.id, jenis, wanted, all_raters=all_raters)
    warn_local_base_url(base_url, bool(raters))
    by_mail = [r for r in raters if email and r.email]
    by_list = [r for r in raters if not (email and r.email)]
    kind = "pengingat" if jenis == PENGINGAT else "undangan"
    if not raters:
        click.echo("Tidak ada penilai yang perlu " + ("diingatkan: semua formulir sudah dikirim."
                   if jenis == PENGINGAT else "diundang: semua penilai sudah mempunyai tautan aktif "
                   "(pakai --nip untuk penilai tertentu atau --semua untuk semuanya)."))
        return
    expiry = datetime.now(timezone.utc) + timedelta(days=berlaku_hari) if berlaku_hari else None
    if dry_run:
        click.echo(f"Uji coba {kind} siklus '{c.nama}': tidak ada tautan diterbitkan dan tidak ada yang dikirim.")
        if email:
            run = send_mail(db, c.id, jenis, by_mail, None, rate, dry_run=True)
            click.echo(f"{len(run.pratinjau)} e-mail akan dikirim (paling banyak {rate} per menit, sekitar "
                       f"{_duration(len(run.pratinjau), rate)}):")
            for to, subject, text in run.pratinjau:
                click.echo(f"\n--- Kepada: {to}\nSubjek: {subject}\n\n{text}")
        if out:
            phones = sum(1 for r in by_list if r.no_hp)
            click.echo(f"\n{len(by_list)} penilai akan masuk daftar {out} ({phones} dengan nomor WhatsApp):")
            for r in by_list:
                click.echo(f"{r.nip}\t{r.nama}\t{r.no_hp or '(tanpa nomor HP)'}")
        elif by_list:
            click.echo(f"\n{len(by_list)} penilai tanpa alamat e-mail tidak terjangkau; tambahkan --out BERKAS "
                       "untuk daftar WhatsApp mereka.")
        return
    if out and not by_list:
        click.echo(f"Semua penilai yang dituju mempunyai alamat e-mail; berkas {out} tidak ditulis.")
    elif out:
        issued = write_list(db, c.id, jenis, out, by_list, base_url=base_url, kedaluwarsa=expiry)
        phones = sum(1 for i in issued if i.no_hp)
        click.echo(f"Daftar {kind} {len(issued)} penilai ({phones} dengan tautan WhatsApp) ditulis ke {out}. "
                   "Tautan hanya ditampilkan sekali: simpan berkas ini dengan aman.")
    elif by_list:
        click.echo(f"{len(by_list)} penilai tidak mempunyai alamat e-mail dan tidak dikirimi apa pun; jalankan "
                   f"lagi dengan --out BERKAS untuk daftar WhatsApp mereka: "
                   f"{', '.join(r.nip for r in by_list[:20])}{' …' if len(by_list) > 20 else ''}")
    if email and by_mail:
        click.echo(f"Mengirim {len(by_mail)} e-mail {kind} lewat {settings.describe()}, paling banyak {rate} per "
                   f"menit (sekitar {_duration(len(by_mail), rate)}).")
        run = send_mail(db, c.id, jenis, by_mail, settings, rate, base_url=base_url, kedaluwarsa=expiry,
                        progress=lambda nip, to, result: click.echo(f"{nip}\t{to}\t{result}"))
        click.echo(f"{len(run.terkirim)} e-mail terkirim, {len(run.gagal)} gagal dalam {run.detik:.1f} detik. "
                   "Tautan lama penerima yang berhasil tidak berlaku lagi; penerima yang gagal tetap memakai "
                   "tautan lamanya.")
        if run.tidak_dicoba:
            click.echo(f"Koneksi ke server SMTP terputus; {len(run.tidak_dicoba)} penilai belum dicoba. Jalankan "
                       "perintah ini lagi untuk mereka.", err=True)
        if run.gagal or run.tidak_dicoba:
            failed = [n for n, _ in run.gagal] + run.tidak_dicoba
            raise KinerjaError(f"{len(failed)} penilai belum terjangkau lewat e-mail; ulangi dengan --nip "
                               f"{','.join(failed)} (atau --out BERKAS untuk daftar WhatsApp)")


def _duration(count: int, per_minute: int) -> str:
    seconds = 60.0 * max(count - 1, 0) / per_minute
    return f"{seconds:.0f} detik" if seconds < 120 else f"{seconds / 60:.0f} menit"


@click.command("undang")
@_options
@click.option("--semua", "all_raters", is_flag=True,
              help="Undang semua penilai, juga yang sudah mempunyai tautan aktif (tautan lama mereka dicabut).")
@with_db
def undang_command(db, all_raters, **options) -> None:
    """Undang penilai: tautan pribadi baru lewat daftar WhatsApp (--out) dan/atau e-mail (--email).

    Bawaannya hanya penilai yang belum mempunyai tautan aktif; tautan penilai lain tidak berubah.
    """
    _reach(db, UNDANGAN, all_raters=all_raters, **options)


@click.command("ingatkan")
@_options
@with_db
def ingatkan_command(db, **options) -> None:
    """Ingatkan tepat penilai yang masih mempunyai formulir belum dikirim, dengan tautan pribadi baru.

    Lewat daftar WhatsApp (--out) dan/atau e-mail (--email). Tautan penilai yang sudah selesai tidak berubah.
    """
    _reach(db, PENGINGAT, **options)


@click.command("kiriman")
@click.option("--cycle", "cycle", help="Siklus (id atau nama; bawaan: siklus terbuka terbaru).")
@with_db
def kiriman_command(db, cycle) -> None:
    """Tampilkan log e-mail undangan dan pengingat: kepada siapa, kapan, jenis dan hasilnya."""
    from ..outreach import sent_log

    c = get_cycle(db, cycle)
    rows = sent_log(db, c.id)
    for r in rows:
        note = f"\t{r['keterangan']}" if r["keterangan"] else ""
        click.echo(f"{r['waktu']}\t{r['jenis']}\t{r['nip']}\t{r['alamat']}\t{r['hasil']}{note}")
    click.echo(f"{len(rows)} catatan kiriman untuk siklus '{c.nama}'.")


def register(main: click.Group) -> None:
    """Add this module's commands to the root group."""
    main.add_command(undang_command)
    main.add_command(ingatkan_command)
    main.add_command(kiriman_command)
