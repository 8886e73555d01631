"""CLI commands ``kinerja import ...``: roster, Rating Hasil Kerja, disiplin, paper responses and unit data."""

from __future__ import annotations


import click

from .. import importers, roster
from .common import pelaku, with_db

FILE = click.argument("file")
SHEET = click.option("--sheet", help="Nama lembar kerja (sheet) untuk berkas .xlsx; bawaan: lembar pertama.")
CYCLE = click.option("--cycle", help="ID atau nama siklus; bawaan: siklus terbuka yang terbaru.")




@click.group("import")
def import_group() -> None:
    """Impor berkas CSV/XLSX. Seluruh berkas diperiksa dahulu; bila ada satu masalah saja,
    tidak ada yang ditulis dan semua masalah dicetak (berkas, baris, kolom)."""


@import_group.command("roster")
@FILE
@SHEET
@with_db
def import_roster_cmd(db, file, sheet) -> None:
    """Impor daftar pegawai (NIP, nama, unit kerja, jabatan, atasan, ...). Impor ulang memperbarui data."""
    click.echo(roster.import_roster(db, file, sheet=sheet, pelaku=pelaku()).message())


@import_group.command("hasil-kerja")
@FILE
@CYCLE
@SHEET
@with_db
def import_hasil_kerja_cmd(db, file, cycle, sheet) -> None:
    """Impor Rating Hasil Kerja per pegawai (mis. ekspor e-Kinerja) untuk satu siklus."""
    click.echo(importers.import_hasil_kerja(db, file, cycle, sheet=sheet, pelaku=pelaku()).message())
    for warning in importers.head_rating_warnings(db, cycle):
        click.echo(warning)


@import_group.command("disiplin")
@FILE
@SHEET
@with_db
def import_disiplin_cmd(db, file, sheet) -> None:
    """Impor hukuman disiplin (PP 94/2021): NIP, tingkat, jenis hukuman, tanggal mulai dan selesai."""
    click.echo(importers.import_disiplin(db, file, sheet=sheet, pelaku=pelaku()).message())


@import_group.command("responses")
@FILE
@CYCLE
@SHEET
@click.option("--ganti", is_flag=True,
              help="Timpa formulir yang sudah diisi atau dikirim secara daring dengan jawaban dari berkas.")
@with_db
def import_responses_cmd(db, file, cycle, sheet, ganti) -> None:
    """Impor jawaban dari kertas atau alat survei lain (format panjang: satu baris per butir)."""
    click.echo(importers.import_responses(db, file, cycle, ganti=ganti, sheet=sheet, pelaku=pelaku()).message())


@import_group.command("predikat-organisasi")
@FILE
@CYCLE
@SHEET
@with_db
def import_predikat_organisasi_cmd(db, file, cycle, sheet) -> None:
    """Impor Predikat Kinerja Organisasi per unit (SE MenPANRB 3/2023) untuk satu siklus."""
    click.echo(importers.import_predikat_organisasi(db, file, cycle, sheet=sheet, pelaku=pelaku()).message())
    for warning in importers.head_rating_warnings(db, cycle):
        click.echo(warning)


@import_group.command("ekspektasi")
@FILE
@CYCLE
@SHEET
@with_db
def import_ekspektasi_cmd(db, file, cycle, sheet) -> None:
    """Impor Ekspektasi Khusus Pimpinan per unit dan nilai BerAKHLAK untuk satu siklus."""
    click.echo(importers.import_ekspektasi(db, file, cycle, sheet=sheet, pelaku=pelaku()).message())


@import_group.command("ekspektasi-pegawai")
@FILE
@click.option("--tahun", type=click.IntRange(1900, 2999), default=None,
              help="Tahun kinerja; bawaan: tahun siklus terbuka yang terbaru.")
@SHEET
@with_db
def import_ekspektasi_pegawai_cmd(db, file, tahun, sheet) -> None:
    """Impor Ekspektasi per pegawai dan nilai BerAKHLAK untuk satu tahun kinerja (seperti yang diisi atasan)."""
    click.echo(importers.import_ekspektasi_pegawai(db, file, tahun, sheet=sheet, pelaku=pelaku()).message())


@import_group.command("standar-kompetensi")
@FILE
@SHEET
@with_db
def import_standar_kompetensi_cmd(db, file, sheet) -> None:
    """Impor level standar kompetensi per jabatan (anjab instansi), menimpa bawaan."""
    click.echo(importers.import_standar_kompetensi(db, file, sheet=sheet, pelaku=pelaku()).message())


@import_group.command("potensi")
@FILE
@SHEET
@with_db
def import_potensi_cmd(db, file, sheet) -> None:
    """Impor hasil penilaian potensi (rendah/menengah/tinggi) untuk manajemen talenta."""
    click.echo(importers.import_potensi(db, file, sheet=sheet, pelaku=pelaku()).message())


@import_group.command("cltn")
@FILE
@SHEET
@with_db
def import_cltn_cmd(db, file, sheet) -> None:
    """Impor masa cuti di luar tanggungan negara (NIP, tanggal mulai, tanggal selesai) untuk Satyalancana."""
    click.echo(importers.import_cltn(db, file, sheet=sheet, pelaku=pelaku()).message())


@import_group.command("satyalancana")
@FILE
@SHEET
@with_db
def import_satyalancana_cmd(db, file, sheet) -> None:
    """Impor Satyalancana Karya Satya yang sudah diterima (NIP, tingkat 10/20/30, tahun)."""
    click.echo(importers.import_satyalancana(db, file, sheet=sheet, pelaku=pelaku()).message())


@import_group.command("inovasi")
@FILE
@SHEET
@with_db
def import_inovasi_cmd(db, file, sheet) -> None:
    """Impor prestasi inovasi (NIP, judul, tanggal, tingkat, bukti, diverifikasi oleh) untuk penghargaan."""
    click.echo(importers.import_inovasi(db, file, sheet=sheet, pelaku=pelaku()).message())


@import_group.command("pihak-lain")
@FILE
@CYCLE
@SHEET
@with_db
def import_pihak_lain_cmd(db, file, cycle, sheet) -> None:
    """Impor penilai pihak lain (nama, instansi, jabatan, kontak) dan pegawai yang mereka nilai pada siklus terbuka."""
    from ..pihak_lain import import_external_raters

    click.echo(import_external_raters(db, file, cycle, sheet=sheet, pelaku=pelaku()).message())


def register(main: click.Group) -> None:
    """Add ``kinerja import`` to the root group."""
    main.add_command(import_group)
