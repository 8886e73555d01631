"""CLI commands ``kinerja keberatan ...``: a pegawai's objection to a decided predikat, and its decision."""

from __future__ import annotations

import click

from ..export import Sheet, check_output_path, write_table
from ..instansi import load_instansi
from ..vocabulary import VOCAB
from .common import pelaku, required_text, with_db

RATING = click.Choice(list(VOCAB.rating.codes))


@click.group("keberatan")
def keberatan_group() -> None:
    """Keberatan pegawai atas predikat kinerja yang sudah ditetapkan (alur dan tenggat: keberatan.yaml)."""


@keberatan_group.command("ajukan")
@click.option("--cycle", "cycle", default=None, help="Id atau nama siklus (bawaan: siklus terbuka terbaru).")
@click.option("--nip", required=True, callback=required_text, help="NIP pegawai yang mengajukan keberatan.")
@click.option("--alasan", required=True, callback=required_text, help="Alasan keberatan, dari pegawai.")
@with_db
def lodge_cmd(db, cycle, nip, alasan) -> None:
    """Catat keberatan seorang pegawai atas predikat kinerjanya (dalam tenggat pengajuan)."""
    from ..keberatan import lodge, objections

    number = lodge(db, cycle, nip, alasan, pelaku=pelaku())
    row = objections(db, cycle).set_index("id").loc[number]
    click.echo(f"Keberatan nomor {number} dicatat: {row['nama']} ({nip}) atas predikat {row['predikat']}. "
               f"Diputus oleh {row['pemutus']} ({row['pemutus_nip']}) paling lambat {row['tenggat_keputusan'][:10]}.")


@keberatan_group.command("putuskan")
@click.argument("nomor", type=int)
@click.option("--terima/--tolak", "diterima", required=True, help="Keputusan atas keberatan.")
@click.option("--uraian", required=True, callback=required_text, help="Uraian keputusan (dasar pertimbangan).")
@click.option("--pemutus", "pemutus_nip", required=True, callback=required_text,
              help="NIP atasan Pejabat Penilai Kinerja yang memutus.")
@click.option("--rating-hasil-kerja", type=RATING, default=None, help="Rating Hasil Kerja baru (bila diterima).")
@click.option("--rating-perilaku", type=RATING, default=None, help="Rating Perilaku Kerja baru (bila diterima).")
@with_db
def decide_cmd(db, nomor, diterima, uraian, pemutus_nip, rating_hasil_kerja, rating_perilaku) -> None:
    """Catat keputusan atasan Pejabat Penilai Kinerja atas keberatan NOMOR."""
    from ..keberatan import decide

    predikat = decide(db, nomor, diterima, uraian, pemutus_nip=pemutus_nip, pelaku=pelaku(),
                      rating_hasil_kerja=rating_hasil_kerja, rating_perilaku=rating_perilaku)
    click.echo(f"Keberatan nomor {nomor} {'diterima' if diterima else 'ditolak'}; predikat kinerja: {predikat}.")


@keberatan_group.command("tarik")
@click.argument("nomor", type=int)
@with_db
def withdraw_cmd(db, nomor) -> None:
    """Catat bahwa pegawai menarik keberatan NOMOR yang belum diputus."""
    from ..keberatan import withdraw

    withdraw(db, nomor, pelaku=pelaku())
    click.echo(f"Keberatan nomor {nomor} ditarik.")


@keberatan_group.command("daftar")
@click.option("--cycle", "cycle", default=None, help="Id atau nama siklus (bawaan: siklus terbuka terbaru).")
@click.option("--out", default=None, help="Simpan ke berkas .csv atau .xlsx.")
@with_db
def list_cmd(db, cycle, out) -> None:
    """Tampilkan keberatan siklus ini: status, tenggat, dan keputusan yang terlambat."""
    from ..cycle import get_cycle
    from ..keberatan import objections

    target = check_output_path(out, option="--out") if out else None
    c = get_cycle(db, cycle)
    table = objections(db, c.id)
    if target is not None:
        # Named by the column vocabulary (kinerja_lib.columns), which gives the headers and NIPs as text.
        columns = {"id": "nomor_keberatan", "nip": "nip", "nama": "nama", "status": "status_keberatan",
                   "predikat": "predikat", "predikat_baru": "predikat_baru", "alasan": "alasan_keberatan",
                   "diajukan": "diajukan", "tenggat_keputusan": "tenggat_keputusan", "pemutus": "pemutus",
                   "pemutus_nip": "pemutus_nip", "keputusan": "keputusan", "diputuskan": "diputuskan",
                   "terlambat": "terlambat"}
        # As people read them: the status by its label, times in the office's zone (stored as codes and UTC).
        shown = table[list(columns)].copy()
        shown["status"] = shown["status"].map(VOCAB.status_keberatan.label)
        office = load_instansi()
        for col in ("diajukan", "tenggat_keputusan", "diputuskan"):
            shown[col] = shown[col].map(office.waktu, na_action="ignore")   # not yet decided: left empty
        write_table(target, Sheet("Keberatan", shown.rename(columns=columns)), {"siklus": c.nama})
        click.echo(f"{len(table)} keberatan ditulis ke {target}")
        return
    if table.empty:
        click.echo("Belum ada keberatan pada siklus ini.")
        return
    office = load_instansi()
    for row in table.itertuples(index=False):
        late = " TERLAMBAT" if row.terlambat else ""
        after = f" -> {row.predikat_baru}" if row.predikat_baru else ""
        click.echo(f"{row.id}. {row.nama} ({row.nip}): {VOCAB.status_keberatan.label(row.status)}{late}; "
                   f"predikat {row.predikat}{after}; tenggat keputusan {office.waktu(row.tenggat_keputusan)}")


def register(main: click.Group) -> None:
    """Add this module's commands to the root group."""
    main.add_command(keberatan_group)
