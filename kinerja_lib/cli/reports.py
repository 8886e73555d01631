"""CLI command ``kinerja report``: individual 360° feedback reports (PDF) and the berita acara per unit."""

from __future__ import annotations

import click

from ..export import check_output_dir
from .common import required_text, with_db


@click.command("report")
@click.option("--cycle", "cycle", default=None, help="Id atau nama siklus (bawaan: siklus terbuka terbaru).")
@click.option("--unit", default=None, help="Id atau nama unit; sub-unitnya ikut (bawaan: semua unit).")
@click.option("--pegawai", "nip", default=None, help="NIP satu pegawai.")
@click.option("--out", "out_dir", default="laporan", show_default=True,
              help="Folder tujuan berkas PDF (dibuat bila belum ada; folder induknya harus sudah ada).")
@click.option("--berita-acara", is_flag=True,
              help="Buat berita acara penetapan predikat per unit, bukan laporan perorangan.")
@click.option("--html", is_flag=True, help="Simpan juga berkas HTML di samping setiap PDF.")
@click.option("--tanpa-samaran", is_flag=True,
              help="Jangan samarkan nama pegawai yang tertulis di dalam komentar.")
@click.option("--samarkan", "extra_names", multiple=True, metavar="NAMA", callback=required_text,
              help="Nama tambahan yang disamarkan dalam komentar (boleh diulang).")
@click.option("--tempat", default=None, callback=required_text,
              help="Tempat penetapan pada berita acara (bawaan: tempat di instansi.yaml).")
@click.option("--tanggal", "tanggal_penetapan", default=None, help="Tanggal penetapan (TTTT-BB-HH; bawaan: hari ini).")
@with_db
def report(db, cycle, unit, nip, out_dir, berita_acara, html, tanpa_samaran, extra_names, tempat,
           tanggal_penetapan) -> None:
    """Tulis laporan umpan balik 360° (satu PDF per pegawai, dengan daftar index.html)."""
    from ..reports import render_berita_acara, render_reports

    out = check_output_dir(out_dir, option="--out")
    if berita_acara:
        if nip is not None:
            raise click.UsageError("--pegawai tidak dipakai bersama --berita-acara; gunakan --unit")
        paths = render_berita_acara(db, cycle, unit=unit, out_dir=out, tanggal_penetapan=tanggal_penetapan,
                                    tempat=tempat, html=html, progress=True)
        click.echo(f"{len(paths)} berita acara ditulis ke {out}/")
        return
    if tanpa_samaran and extra_names:
        raise click.UsageError("--tanpa-samaran tidak dapat dipakai bersama --samarkan")
    redact: bool | list[str] = False if tanpa_samaran else (list(extra_names) or True)
    paths = render_reports(db, cycle, unit=unit, nip=nip, out_dir=out, redact=redact, html=html, progress=True)
    click.echo(f"{len(paths) - 1} laporan ditulis ke {out}/; daftar: {paths[-1]}")


def register(main: click.Group) -> None:
    """Add this module's commands to the root group."""
    main.add_command(report)
