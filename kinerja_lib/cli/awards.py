"""CLI command ``kinerja penghargaan``: award shortlist, fairness, follow-up, Satyalancana and 9-box exports."""

from __future__ import annotations

from datetime import date

import click

from .common import Bilangan, with_db


def _iso_date(ctx, param, value):
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"tanggal '{value}' tidak valid (format TTTT-BB-HH)") from None


def register(main: click.Group) -> None:
    """Add this module's commands to the root group."""

    @main.command("penghargaan")
    @click.option("--cycle", "cycle", default=None, help="Siklus (id atau nama); bawaan: siklus terbuka terbaru.")
    @click.option("--top", "k", type=Bilangan(1, 100_000), default=10, show_default=True,
                  help="Jumlah calon dalam daftar pendek (k).")
    @click.option("--penghargaan", "penghargaan", default="asn_berprestasi", show_default=True,
                  help="Kode daftar penghargaan di data/referensi/penghargaan.yaml.")
    @click.option("--kuota", "kuota", type=Bilangan(1, 100_000), default=None,
                  help="Paling banyak sekian calon terpilih per perangkat daerah.")
    @click.option("--tanggal-acuan", callback=_iso_date, default=None,
                  help="Tanggal acuan hukuman disiplin dan masa kerja (bawaan: akhir siklus).")
    @click.option("--satyalancana-sejak", callback=_iso_date, default=None,
                  help="Awal periode Satyalancana: tingkat 10/20/30 tahun yang genap sesudah tanggal ini "
                       "(bawaan: tahun siklus; mis. 1900-01-01 = semua tingkat yang pernah dicapai).")
    @click.option("--xlsx", "xlsx", required=True,
                  help="Berkas Excel keluaran (semua daftar dan pengaturan); foldernya harus sudah ada.")
    @click.option("--pdf", "pdf", default=None, help="Berkas PDF daftar pendek beserta alasan, siap cetak.")
    @with_db
    def penghargaan(db, cycle, k, penghargaan, kuota, tanggal_acuan, satyalancana_sejak, xlsx, pdf):
        """Susun daftar pendek penghargaan beserta alasan, uji keadilan, daftar pembinaan, Satyalancana
        Karya Satya dan kotak talenta; ekspor ke Excel (dan PDF)."""
        from ..awards import award_report, export_files
        from ..export import check_output_path, staged_files
        from ..cycle import record_run
        from ..store import audit, write_transaction

        check_output_path(xlsx, ("xlsx",), option="--xlsx")
        if pdf:
            check_output_path(pdf, ("pdf",), option="--pdf")
        report = award_report(db, cycle, penghargaan=penghargaan, k=k, kuota_per_unit=kuota,
                              tanggal_acuan=tanggal_acuan, satyalancana_sejak=satyalancana_sejak)
        cycle_id = report.shortlist.settings["siklus_id"]
        # Both files are written beside their targets first; they are put in place, and the run
        # recorded, together: a failure anywhere leaves neither file nor database changed.
        with staged_files(xlsx, pdf) as (xlsx_file, pdf_file):
            export_files(report, xlsx_file.temp, pdf_file.temp if pdf_file is not None else None)
            with write_transaction(db):
                record_run(db, cycle_id, "penghargaan", report.settings)
                audit(db, "cli", "ekspor_penghargaan", "cycle", cycle_id, xlsx=str(xlsx),
                      pdf=str(pdf) if pdf else None)
                xlsx_file.place()
                if pdf_file is not None:
                    pdf_file.place()
        table = report.shortlist.table
        chosen = int(table["terpilih"].astype(bool).sum())
        if report.settings.get("sumber_skor"):
            click.echo(f"Skor: {report.settings['sumber_skor']}.")
        click.echo(f"{report.settings['penghargaan']}: {chosen} calon terpilih dari "
                   f"{report.settings['jumlah_layak']} yang layak ({report.settings['jumlah_dinilai']} dinilai).")
        if report.settings.get("jumlah_menunggu_penetapan"):
            click.echo(f"Menunggu penetapan predikat (memenuhi syarat lain, belum diperingkat): "
                       f"{report.settings['jumlah_menunggu_penetapan']} pegawai (lembar 'Menunggu penetapan').")
        findings = int(report.fairness["temuan"].sum())
        hints = int((report.fairness["di_bawah_ambang"] & ~report.fairness["temuan"]).sum())
        if findings or hints:
            click.echo(f"Keadilan: {findings} temuan dan {hints} indikasi di bawah aturan 4/5 (lihat lembar 'Keadilan').")
        click.echo(f"Tindak lanjut pembinaan: {len(report.follow_up)} pegawai; Satyalancana Karya Satya: "
                   f"{int(report.satyalancana['layak'].sum())} layak; kelompok talenta: "
                   f"{int(report.nine_box['kelompok_talenta'].sum())} pegawai.")
        click.echo(f"Excel: {xlsx}" + (f"\nPDF: {pdf}" if pdf else ""))
