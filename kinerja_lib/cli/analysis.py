"""CLI command for scoring a cycle: ``kinerja score [--cycle C] [--xlsx FILE]``."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from ..errors import CycleError
from ..export import check_output_path, staged_files
from ..store import database_file, open_db, write_transaction
from .common import pelaku, with_db




@click.command("score")
@click.option("--cycle", "cycle", default=None, help="Id atau nama siklus (bawaan: siklus terbuka terbaru).")
@click.option("--xlsx", "xlsx", help="Ekspor hasil ke berkas XLSX ini (foldernya harus sudah ada).")
@with_db
def score(db, cycle, xlsx) -> None:
    """Hitung skor 360, skor disesuaikan, saran Rating Perilaku Kerja, predikat dan cek distribusi.

    Hasil disimpan ke tabel hasil_skor (menggantikan hasil sebelumnya untuk siklus ini) beserta
    pengaturan metode yang dipakai. Dengan --xlsx, hasil baru disimpan hanya bila berkasnya juga
    berhasil ditulis; bila gagal, basis data tidak berubah.
    """
    from ..scoring import export_results_xlsx, run_scoring, save_results

    if xlsx:
        check_output_path(xlsx, ("xlsx",), option="--xlsx")
    report = run_scoring(db, cycle, persist=False)   # computed without holding the write lock
    actor = pelaku()
    with staged_files(xlsx) as (staged,):
        exported_run = _export_from_snapshot(db, report, staged.temp, actor) if staged is not None else None
        with write_transaction(db):
            report.run_id = save_results(db, report.cycle.id, report, pelaku=actor)
            if staged is not None:
                if exported_run is not None and exported_run != report.run_id:
                    raise CycleError("analisis lain tersimpan pada saat yang sama, sehingga nomor analisis di berkas "
                                     "tidak cocok; tidak ada yang diubah, jalankan ulang perintah ini")
                if exported_run is None:   # an in-memory database: no snapshot, export in the transaction
                    export_results_xlsx(db, report.cycle.id, staged.temp)
                staged.place()
    info = report.summary()
    from ..cycle import anonymity_warning

    if anonymity_warning(report.settings):
        click.echo(anonymity_warning(report.settings))
    click.echo(f"Siklus #{report.cycle.id} '{report.cycle.nama}': {info['dengan_skor']} dari {info['pegawai']} "
               f"pegawai mendapat skor 360 (analysis_run #{report.run_id}).")
    if info["kelompok_disembunyikan"]:
        parts = ", ".join(f"{g} pada {n} pegawai" for g, n in info["kelompok_disembunyikan"].items())
        click.echo(f"Disembunyikan karena penilai kurang dari minimal (anonimitas): {parts}.")
    if report.fit is not None:
        click.echo(f"Model bias penilai: {info['porsi_varians_pegawai']:.0%} varians dari pegawai yang dinilai, "
                   f"{info['porsi_varians_penilai']:.0%} dari kelonggaran/keketatan penilai.")
    if info["predikat"]:
        click.echo("Predikat Kinerja ditetapkan: " + (", ".join(f"{k} {v}" for k, v in info["predikat"].items())
                                                       or "belum ada") + ".")
    if info["menunggu_penetapan"]:
        click.echo(f"Menunggu penetapan Pejabat Penilai (predikat sementara dari saran 360, tidak dipakai untuk "
                   f"penghargaan maupun pembinaan): {info['menunggu_penetapan']} pegawai.")
    click.echo(f"Penilai yang ditandai (kualitas jawaban): {len(report.flagged)}.")
    if report.warnings.empty:
        click.echo("Distribusi predikat sesuai pola SE MenPANRB 3/2023 di semua unit yang punya predikat organisasi.")
    else:
        click.echo(f"Peringatan distribusi predikat ({len(report.warnings)}), sebagai pertimbangan pimpinan:")
        for row in report.warnings.itertuples():
            click.echo(f"  - {row.unit}: {row.pesan}")
    for note in report.notes:
        click.echo(f"Catatan: {note}")
    if xlsx:
        click.echo(f"Hasil diekspor ke {xlsx}")


def _export_from_snapshot(db, report, temp: Path, pelaku: str) -> int | None:
    """Write the score workbook from a snapshot of the database holding the new results; return their run id.

    A city's workbook takes longer to write than a rater's save may wait for the write lock (15 s),
    so it is written from a consistent copy while the live database stays open to raters; the live
    database then receives the same results in one short transaction. Returns None (and writes
    nothing) for an in-memory database.
    """
    from ..backup import snapshot
    from ..scoring import export_results_xlsx, save_results

    live = database_file(db)
    if not live:
        return None
    # Beside the database: its folder is known to be writable and large enough for a copy of it.
    with tempfile.TemporaryDirectory(prefix=".kinerja-skor-", dir=Path(live).parent) as work:
        copy = open_db(snapshot(live, Path(work) / "salinan.db"))
        try:
            run_id = save_results(copy, report.cycle.id, report, pelaku=pelaku)
            export_results_xlsx(copy, report.cycle.id, temp)
        finally:
            copy.close()
    return run_id


def register(main: click.Group) -> None:
    """Add this module's commands to the root group."""
    main.add_command(score)
