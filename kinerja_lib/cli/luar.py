"""CLI commands for raters from outside the roster: ``kinerja pihak-lain ...`` and ``kinerja survei ...``."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import click

from ..cycle import get_cycle
from ..export import check_output_path
from ..links import issue_external_links
from .common import Bilangan, pelaku, required_text, warn_local_base_url, with_db

BASE_URL = click.option("--base-url", help="Alamat publik server formulir (bawaan: $KINERJA_BASE_URL).")


# --------------------------------------------------------------------------- pihak lain

@click.group("pihak-lain")
def pihak_lain_group() -> None:
    """Penilai pihak lain: pegawai instansi lain yang menilai tanpa masuk daftar pegawai (relasi 'Pihak lain')."""


@pihak_lain_group.command("tambah")
@click.option("--cycle", "cycle", help="Siklus (id atau nama; bawaan: siklus terbuka terbaru).")
@click.option("--nama", required=True, callback=required_text, help="Nama lengkap penilai.")
@click.option("--instansi", required=True, callback=required_text, help="Instansi asal penilai.")
@click.option("--jabatan", default="", help="Jabatan penilai di instansinya.")
@click.option("--email", default=None, help="Alamat e-mail (boleh kosong).")
@click.option("--no-hp", "no_hp", default=None, help="Nomor HP/WhatsApp (boleh kosong).")
@click.option("--dinilai", "dinilai", multiple=True, required=True, callback=required_text,
              help="NIP pegawai yang dinilai (boleh diulang atau dipisah koma).")
@click.option("--alasan", default=None, help="Alasan penugasan (mis. mitra kerja lintas instansi).")
@with_db
def tambah_cmd(db, cycle, nama, instansi, jabatan, email, no_hp, dinilai, alasan) -> None:
    """Tambah penilai pihak lain dan tugaskan ia menilai pegawai --dinilai pada siklus terbuka."""
    from ..pihak_lain import add_external_rater

    nips = [n.strip() for value in dinilai for n in value.split(",") if n.strip()]
    rater_id, added = add_external_rater(db, cycle, nama, instansi, nips, jabatan=jabatan, email=email,
                                         no_hp=no_hp, alasan=alasan, pelaku=pelaku())
    click.echo(f"Penilai pihak lain nomor {rater_id} ({nama}, {instansi}): {added} penugasan baru. Terbitkan "
               "tautannya dengan `kinerja pihak-lain tautan`.")


@pihak_lain_group.command("daftar")
@click.option("--cycle", "cycle", help="Siklus (id atau nama; bawaan: siklus terbuka terbaru).")
@with_db
def daftar_cmd(db, cycle) -> None:
    """Tampilkan penilai pihak lain siklus beserta jumlah pegawai yang mereka nilai."""
    from ..pihak_lain import external_raters

    c = get_cycle(db, cycle)
    raters = external_raters(db, c.id)
    for r in raters:
        click.echo(f"{r.id}\t{r.nama}\t{r.instansi}\t{r.jabatan}\t{r.jumlah_dinilai} dinilai")
    click.echo(f"{len(raters)} penilai pihak lain pada siklus '{c.nama}'.")


@pihak_lain_group.command("tautan")
@click.option("--cycle", "cycle", help="Siklus (id atau nama; bawaan: siklus terbuka terbaru).")
@click.option("--nomor", "ids", multiple=True, type=Bilangan(1, 10**12),
              help="Terbitkan ulang hanya untuk penilai bernomor ini (boleh diulang); tautan lamanya dicabut.")
@click.option("--berlaku-hari", type=Bilangan(1, 3660), help="Tautan kedaluwarsa setelah sekian hari (1-3660).")
@BASE_URL
@with_db
def tautan_cmd(db, cycle, ids, berlaku_hari, base_url) -> None:
    """Terbitkan tautan pribadi penilai pihak lain (bawaan: hanya yang belum mempunyai tautan aktif)."""
    c = get_cycle(db, cycle)
    expiry = datetime.now(timezone.utc) + timedelta(days=berlaku_hari) if berlaku_hari else None
    issued = issue_external_links(db, c.id, base_url=base_url, ids=list(ids) or None, kedaluwarsa=expiry,
                                  pelaku=pelaku(), only_without_link=not ids)
    warn_local_base_url(base_url, bool(issued))
    for i in issued:
        click.echo(f"{i.nama}\t{i.unit}\t{i.jumlah_dinilai} dinilai\t{i.url}")
    click.echo(f"{len(issued)} tautan penilai pihak lain diterbitkan untuk siklus '{c.nama}' (hanya ditampilkan "
               "sekali; yang tersimpan hanya hash-nya).")


# --------------------------------------------------------------------------- survei layanan publik

@click.group("survei")
def survei_group() -> None:
    """Survei layanan publik per titik layanan (kode QR untuk warga; terpisah dari penilaian 360)."""


def _outputs(issued, qr, poster) -> None:
    from ..reports.survei import write_poster, write_qr
    from ..survei import load_survey

    if qr:
        click.echo(f"Kode QR ditulis ke {write_qr(issued, qr)}.")
    if poster:
        click.echo(f"Poster A4 ditulis ke {write_poster(issued, load_survey(), poster)}.")


def _check_outputs(qr, poster) -> None:
    if qr:
        check_output_path(qr, ("png", "svg"), option="--qr")
    if poster:
        check_output_path(poster, ("pdf", "html"), option="--poster")


QR = click.option("--qr", help="Tulis kode QR ke berkas .png atau .svg.")
POSTER = click.option("--poster", help="Tulis poster A4 (kode QR dan petunjuk) ke berkas .pdf atau .html.")


@survei_group.command("buka")
@click.option("--unit", required=True, callback=required_text, help="ID unit (seperti pada daftar pegawai).")
@click.option("--nama", required=True, callback=required_text, help="Nama titik layanan, mis. 'Loket 1'.")
@QR
@POSTER
@BASE_URL
@with_db
def buka_cmd(db, unit, nama, qr, poster, base_url) -> None:
    """Buka titik layanan baru sebuah unit dan tampilkan tautan survei-nya (sekali saja)."""
    from ..survei import open_point

    _check_outputs(qr, poster)
    issued = open_point(db, unit, nama, base_url=base_url, pelaku=pelaku())
    warn_local_base_url(base_url)
    click.echo(f"Titik layanan nomor {issued.point.id} ({issued.point.nama}, {issued.point.unit_id}) dibuka. "
               "Tautan survei (hanya ditampilkan sekali; terbitkan ulang dengan `kinerja survei tautan`):")
    click.echo(issued.url)
    _outputs(issued, qr, poster)


@survei_group.command("tautan")
@click.argument("titik")
@QR
@POSTER
@BASE_URL
@with_db
def tautan_survei_cmd(db, titik, qr, poster, base_url) -> None:
    """Terbitkan ulang tautan dan kode QR titik layanan TITIK (nomor); tautan dan kode QR lama tidak berlaku lagi."""
    from ..survei import reissue_point

    _check_outputs(qr, poster)
    issued = reissue_point(db, titik, base_url=base_url, pelaku=pelaku())
    warn_local_base_url(base_url)
    click.echo(f"Tautan baru titik layanan nomor {issued.point.id} ({issued.point.nama}); kode QR lama tidak "
               "berlaku lagi:")
    click.echo(issued.url)
    _outputs(issued, qr, poster)


@survei_group.command("tutup")
@click.argument("titik")
@with_db
def tutup_cmd(db, titik) -> None:
    """Tutup titik layanan TITIK (nomor): tautannya tidak berlaku lagi; jawabannya tetap ada untuk laporan."""
    from ..survei import close_point

    point = close_point(db, titik, pelaku=pelaku())
    click.echo(f"Titik layanan nomor {point.id} ({point.nama}, {point.unit_id}) ditutup; "
               f"{point.jumlah_jawaban} jawaban tersimpan.")


@survei_group.command("daftar")
@click.option("--unit", default=None, help="Hanya titik layanan unit ini (beserta unit di bawahnya).")
@with_db
def daftar_survei_cmd(db, unit) -> None:
    """Tampilkan titik layanan: nomor, unit, nama, status dan jumlah jawaban."""
    from ..survei import list_points

    points = list_points(db, unit)
    for p in points:
        click.echo(f"{p.id}\t{p.unit_id}\t{p.nama}\t{'terbuka' if p.is_open else 'ditutup'}\t"
                   f"{p.jumlah_jawaban} jawaban")
    click.echo(f"{len(points)} titik layanan.")


@survei_group.command("laporan")
@click.option("--unit", default=None, help="Hanya titik layanan unit ini (beserta unit di bawahnya).")
@click.option("--xlsx", "out", required=True, help="Berkas laporan .xlsx (foldernya harus sudah ada).")
@with_db
def laporan_cmd(db, unit, out) -> None:
    """Laporan survei per titik layanan: jumlah jawaban, rerata per butir dengan selang kepercayaan, sebaran
    jawaban, dan komentar (hanya bila jawaban titik itu mencapai batas minimal)."""
    from ..reports.survei import write_report
    from ..survei import load_survey, survey_answers

    check_output_path(out, ("xlsx",), option="--xlsx")
    points, answers, comments = survey_answers(db, unit)
    write_report(points, answers, comments, load_survey(), out)
    click.echo(f"Laporan survei {len(points)} titik layanan ditulis ke {out}.")


def register(main: click.Group) -> None:
    """Add ``kinerja pihak-lain`` and ``kinerja survei`` to the root group."""
    main.add_command(pihak_lain_group)
    main.add_command(survei_group)
