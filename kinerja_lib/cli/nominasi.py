"""CLI commands ``kinerja nominasi ...``: the peer-nomination window, its progress, and approvals by the admin."""

from __future__ import annotations

import click

from ..export import Sheet, check_output_path, write_table
from ..vocabulary import VOCAB
from .common import pelaku, required_text, with_db

_STAGE = {"belum": "belum mengusulkan", "menunggu": "menunggu persetujuan atasan", "disetujui": "disetujui"}


@click.group("nominasi")
def nominasi_group() -> None:
    """Usulan rekan penilai oleh pegawai dan persetujuan atasannya (sebelum penugasan final)."""


@nominasi_group.command("buka")
@click.option("--cycle", "cycle", default=None, help="Id atau nama siklus (bawaan: siklus terbuka terbaru).")
@with_db
def open_cmd(db, cycle) -> None:
    """Buka masa usulan: pegawai dapat mengusulkan rekan penilai lewat tautan pribadinya."""
    from ..nominasi import limits, open_window

    c = open_window(db, cycle, pelaku=pelaku())
    low, high = limits(c)
    click.echo(f"Masa usulan rekan siklus '{c.nama}' dibuka: setiap pegawai mengusulkan {low}-{high} rekan lewat "
               "tautan pribadinya ('Usulkan rekan penilai').")


@nominasi_group.command("tutup")
@click.option("--cycle", "cycle", default=None, help="Id atau nama siklus (bawaan: siklus terbuka terbaru).")
@with_db
def close_cmd(db, cycle) -> None:
    """Tutup masa usulan (atasan tetap dapat menyetujui usulan yang sudah masuk)."""
    from ..nominasi import close_window

    c = close_window(db, cycle, pelaku=pelaku())
    click.echo(f"Masa usulan rekan siklus '{c.nama}' ditutup.")


@nominasi_group.command("daftar")
@click.option("--cycle", "cycle", default=None, help="Id atau nama siklus (bawaan: siklus terbuka terbaru).")
@click.option("--menunggu", "only", flag_value="menunggu", default=None, help="Hanya yang menunggu persetujuan.")
@click.option("--belum", "only", flag_value="belum", help="Hanya yang belum mengusulkan.")
@click.option("--out", default=None, help="Simpan daftarnya ke berkas .csv atau .xlsx.")
@with_db
def list_cmd(db, cycle, only, out) -> None:
    """Tampilkan siapa yang sudah mengusulkan rekan, siapa menunggu persetujuan atasan, dan yang disetujui."""
    from ..cycle import get_cycle
    from ..nominasi import overview, window_open

    target = check_output_path(out, option="--out") if out else None
    c = get_cycle(db, cycle)
    rows = overview(db, c.id)
    shown = [r for r in rows if only is None or r.stage == only]
    if target is not None:
        data = [(r.nip, r.nama, r.unit, r.atasan or "", _STAGE[r.stage], r.diusulkan, r.disetujui, r.dihapus,
                 r.diterapkan) for r in shown]
        write_table(target, Sheet("Usulan rekan", data, columns=[
            "nip", "nama", "unit_id", "atasan_nama", "tahap_usulan", "rekan_diusulkan", "rekan_disetujui",
            "rekan_dihapus", "rekan_diterapkan"]), {"siklus": c.nama})
        click.echo(f"{len(shown)} baris ditulis ke {target}")
        return
    for r in shown:
        counts = (f"; {r.disetujui} disetujui, {r.dihapus} dihapus, {r.diterapkan} sudah menjadi penugasan"
                  if r.stage == "disetujui" else f"; {r.diusulkan} rekan diusulkan" if r.stage == "menunggu" else "")
        atasan = f", atasan {r.atasan}" if r.atasan and r.stage == "menunggu" else ""
        click.echo(f"{r.unit}\t{r.nama} ({r.nip}): {_STAGE[r.stage]}{atasan}{counts}")
    counted = {s: sum(r.stage == s for r in rows) for s in _STAGE}
    state = "terbuka" if window_open(db, c.id) else "tidak terbuka"
    click.echo(f"Masa usulan {state}. {counted['belum']} belum mengusulkan, {counted['menunggu']} menunggu "
               f"persetujuan atasan, {counted['disetujui']} disetujui.")


@nominasi_group.command("setujui")
@click.option("--cycle", "cycle", default=None, help="Id atau nama siklus (bawaan: siklus terbuka terbaru).")
@click.option("--nip", required=True, callback=required_text, help="NIP pegawai yang usulannya disetujui.")
@click.option("--admin", "admin", required=True, callback=required_text,
              help="Nama admin yang menyetujui atas nama atasan yang berhalangan (tercatat di log audit).")
@click.option("--hapus", "hapus", multiple=True, metavar="NIP=ALASAN",
              help="Hapus seorang rekan dari usulan, dengan alasannya (boleh diulang).")
@click.option("--tambah", "tambah", multiple=True, metavar="NIP", help="Tambahkan seorang rekan (boleh diulang).")
@with_db
def approve_cmd(db, cycle, nip, admin, hapus, tambah) -> None:
    """Setujui usulan rekan seorang pegawai atas nama atasannya yang berhalangan."""
    from ..nominasi import approve_for_atasan

    remove = {}
    for item in hapus:
        key, sep, reason = item.partition("=")
        if not sep or not key.strip() or not reason.strip():
            raise click.UsageError(f"--hapus '{item}' harus berbentuk NIP=ALASAN")
        remove[key.strip()] = reason
    st = approve_for_atasan(db, cycle, nip, admin, remove=remove, add=tambah)
    click.echo(f"Usulan rekan {st.ratee.nama} ({nip}) disetujui atas nama atasan oleh {admin}: "
               f"{len(st.approved)} rekan. Terapkan menjadi penugasan dengan 'kinerja nominasi terapkan'.")


@nominasi_group.command("terapkan")
@click.option("--cycle", "cycle", default=None, help="Id atau nama siklus (bawaan: siklus terbuka terbaru).")
@with_db
def apply_cmd(db, cycle) -> None:
    """Jadikan usulan rekan yang sudah disetujui penugasan rekan (aturan sama dengan 'kinerja assign --manual')."""
    from ..assignments import apply_nominations, minimum_shortfalls

    done = apply_nominations(db, cycle, pelaku=pelaku())
    click.echo(f"{done.added} penugasan rekan ditambahkan dari usulan yang disetujui.")
    for ratee, rekan, reason in done.skipped:
        click.echo(f"  dilewati: {rekan} menilai {ratee}: {reason}")
    for rater, n in sorted(done.heavy.items()):
        click.echo(f"  perhatian: {rater} kini memberi {n} penilaian {VOCAB.relasi.label('rekan').lower()} "
                   f"(lebih dari {done.batas}); pertimbangkan menghapus sebagian dengan 'kinerja assign --manual'.")
    short = [s for s in minimum_shortfalls(db, done.cycle_id) if s.relation == "rekan"]
    if short:
        click.echo(f"{len(short)} pegawai masih di bawah minimal anonimitas kelompok rekan; lihat 'kinerja assign'.")
    click.echo("Terbitkan tautan bagi penilai baru dengan 'kinerja links --out tautan-baru.xlsx'.")


def register(main: click.Group) -> None:
    """Add this module's commands to the root group."""
    main.add_command(nominasi_group)
