"""CLI commands for the organisation: ``demo`` (synthetic organisation) and ``assign`` (who rates whom)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import click

from ..assignments import (AssignmentSummary, apply_manual_changes, generate_assignments, minimum_shortfalls,
                           proposals_sheet)
from ..backup import check_database_path
from ..cycle import get_cycle
from ..export import check_output_path, write_table
from ..records import active_assignments_by_relation, unfinished_raters
from ..vocabulary import VOCAB
from .common import Bilangan, database_path, pelaku, with_db

#: How many rater links the demo prints (all of them go to the CSV file).
SHOWN_LINKS = 5
#: Random seeds are 32-bit, as the cycle settings store them (benih_acak).
SEED_MAX = 2**32 - 1




def _relations_text(per_relation: dict[str, int]) -> str:
    parts = [f"{rel} {per_relation[rel]}" for rel in VOCAB.relasi if rel in per_relation]
    return ", ".join(parts) if parts else "tidak ada"


@click.command("demo")
@click.option("--pegawai", "pegawai", type=Bilangan(20, 1_000_000), default=300, show_default=True,
              help="Jumlah pegawai organisasi sintetis (20 sampai 1.000.000).")
@click.option("--seed", "seed", type=Bilangan(0, SEED_MAX), default=2026, show_default=True,
              help="Benih acak; benih yang sama menghasilkan basis data yang sama.")
@click.option("--jawaban/--tanpa-jawaban", "answers", default=True, show_default=True,
              help="Isi juga jawaban simulasi dengan kebenaran tertanam (untuk analisis).")
@click.option("--ganti", "replace", is_flag=True,
              help="Bangun ulang basis data demo yang sudah ada. Basis data berisi data nyata tidak pernah ditimpa.")
@click.option("--siklus", "cycles", type=click.Choice(["1", "4"]), default="4", show_default=True,
              help="4: setahun penuh (Triwulan I-III ditutup dengan hasil terhitung, Triwulan IV terbuka), "
                   "agar tren antarsiklus terlihat; 1: satu siklus Tahunan terbuka saja (lebih cepat).")
@click.option("--base-url", help="Alamat publik server formulir untuk tautan (bawaan: $KINERJA_BASE_URL).")
@click.pass_context
def demo(ctx: click.Context, pegawai: int, seed: int, answers: bool, replace: bool, cycles: str,
         base_url: str | None) -> None:
    """Bangun basis data demo: organisasi mirip Pemkot Surakarta, siklus terbuka, penugasan,
    jawaban simulasi, lalu cetak tautan penilai dan langkah berikutnya."""
    from ..demo import build_demo_database

    path = database_path(ctx)
    if str(path) == ":memory:":
        raise click.UsageError("demo membutuhkan basis data berupa berkas, bukan :memory:")
    check_database_path(path)
    click.echo(f"Membangun organisasi demo {pegawai} pegawai (benih {seed}) di {path} ...")
    db, s = build_demo_database(path, pegawai, seed, answers=answers, replace=replace, cycles=int(cycles))
    ctx.find_root().obj["db"] = db
    click.echo(f"  {s.pegawai} pegawai di {s.opd} OPD ({s.units} unit: OPD, bidang, seksi).")
    closed = ", ".join(f"#{i}" for i in (s.previous_cycle_id, *s.closed_cycle_ids))
    click.echo(f"  Siklus '{s.cycle_name}' (#{s.cycle_id}) terbuka; siklus riwayat {closed} ditutup.")
    if s.closed_cycle_ids:
        scored = "dengan hasil terhitung" if answers else "tanpa jawaban simulasi"
        click.echo(f"  Triwulan sebelumnya {scored}; tertanam {len(s.risers)} pegawai yang naik nyata dan "
                   f"{len(s.fallers)} yang turun nyata di antara dua triwulan (untuk tren antarsiklus).")
    load = "" if s.peer_load_min is None else f"; beban rekan per penilai {s.peer_load_min}-{s.peer_load_max}"
    click.echo(f"  Penugasan: {s.assignments} ({_relations_text(s.per_relation)}){load}.")
    if answers:
        click.echo(f"  Jawaban simulasi: {s.submitted} terkirim, {s.drafts} draf, {s.not_started} belum diisi; "
                   f"{s.responses} jawaban butir, {s.comments} komentar.")
        click.echo(f"  Kebenaran tertanam (tabel demo_truth): {len(s.straightliners)} penilai 'straight-liner', "
                   f"1 penilai pencilan, {len(s.lenient)} penilai longgar, {len(s.severe)} penilai ketat.")
    _print_links(db, s.cycle_id, path, base_url)


def _print_links(db, cycle_id: int, path: Path, base_url: str | None) -> None:
    """Issue the demo cycle's links (when the links module is installed) and print what to open next."""
    if importlib.util.find_spec("kinerja_lib.links") is None:
        click.echo("Modul tautan belum terpasang; terbitkan tautan nanti dengan 'kinerja links'.")
        return
    from ..links import issue_admin_link, issue_links

    # Named after the database file so the ignore rules for data/*.db* keep live tokens out of
    # version control; committed only together with the file.
    out = path.with_name(f"{path.name}-tautan.csv")
    issued = issue_links(db, cycle_id, base_url=base_url, pelaku="demo", out=out)
    admin = issue_admin_link(db, cycle_id, base_url=base_url, pelaku="demo")
    unfinished = unfinished_raters(db, cycle_id)
    shown = [i for i in issued if i.nip in unfinished and i.jumlah_dinilai >= 3][:SHOWN_LINKS] or issued[:SHOWN_LINKS]
    click.echo("")
    click.echo(f"Tautan penilai ({len(shown)} dari {len(issued)}; yang masih punya formulir belum terkirim):")
    for i in shown:
        click.echo(f"  {i.nama} (NIP {i.nip}, {i.jumlah_dinilai} dinilai): {i.url}")
    click.echo("Tautan dasbor admin (rahasiakan):")
    click.echo(f"  {admin.url}")
    click.echo(f"Semua tautan penilai ditulis ke {out} (tautan hanya ditampilkan sekali; yang tersimpan "
               "hanya hash-nya).")
    click.echo("")
    click.echo("Langkah berikutnya:")
    click.echo("  1. Jalankan server formulir: kinerja serve (atau 'make demo').")
    click.echo("  2. Buka salah satu tautan penilai di atas di peramban, isi, simpan draf, lalu kirim.")
    click.echo("  3. Pantau keterisian lewat tautan dasbor admin; analisis di notebooks/ ('make lab').")


@click.command("assign")
@click.option("--cycle", "cycle", help="Siklus (id atau nama; bawaan: siklus terbuka terbaru).")
@click.option("--seed", "seed", type=Bilangan(0, SEED_MAX),
              help="Benih sampel rekan (bawaan: benih_acak pengaturan siklus).")
@click.option("--manual", "manual",
              help="Berkas CSV/XLSX perubahan manual (kolom: aksi tambah/hapus, nip_penilai, nip_dinilai, "
                   "relasi, alasan). Dengan opsi ini hanya perubahan manual yang diterapkan.")
@click.option("--usulan", "usulan",
              help="Tulis usulan rekan dari unit tetangga bagi pegawai yang kelompok rekannya di bawah minimal "
                   "(.csv atau .xlsx, format perubahan manual: periksa, lalu terapkan dengan --manual).")
@with_db
def assign(db, cycle: str | None, seed: int | None, manual: str | None, usulan: str | None) -> None:
    """Buat penugasan siapa menilai siapa dari bagan organisasi (diri, atasan, rekan, bawahan),
    atau terapkan perubahan manual. Aman dijalankan ulang: jawaban yang ada tidak pernah hilang.

    Setelahnya dilaporkan setiap pegawai yang kelompok rekan atau bawahannya di bawah minimal anonimitas
    (kelompok itu akan disembunyikan seluruhnya dari laporannya), beserta usulan rekan dari unit tetangga."""
    c = get_cycle(db, cycle)
    if usulan:
        usulan = check_output_path(usulan, ("xlsx", "csv"), option="--usulan")
    if manual:
        m = apply_manual_changes(db, c.id, manual, pelaku=pelaku())
        click.echo(f"Perubahan manual dari {Path(manual).name} pada siklus '{c.nama}': {m.added} ditambah, "
                   f"{m.reactivated} diaktifkan lagi, {m.removed} dihapus (dinonaktifkan, alasan disimpan).")
        counts = active_assignments_by_relation(db, c.id)
        click.echo(f"Penugasan aktif: {sum(counts.values())} ({_relations_text(counts)}).")
    else:
        s = generate_assignments(db, c.id, seed=seed, pelaku=pelaku())
        _print_summary(c.nama, s, c.settings.get("rekan_per_pegawai"))
    _report_shortfalls(db, c, usulan)


def _report_shortfalls(db, c, usulan) -> None:
    shortfalls = minimum_shortfalls(db, c)
    if not shortfalls:
        click.echo("Setiap kelompok rekan dan bawahan mencapai minimal anonimitas.")
        if usulan:
            click.echo(f"Tidak ada usulan; berkas {usulan} tidak ditulis.")
        return
    rekan = [x for x in shortfalls if x.relation == "rekan"]
    bawahan = [x for x in shortfalls if x.relation == "bawahan"]
    proposed = sum(len(x.usulan) for x in rekan)
    reached = sum(1 for x in rekan if x.n + len(x.usulan) >= x.minimum)
    click.echo(f"Perhatian: {len(rekan)} pegawai kurang rekan penilai ({sum(1 for x in rekan if x.n == 0)} tanpa "
               f"rekan sama sekali) dan {len(bawahan)} pegawai kurang bawahan penilai dari minimal anonimitas. "
               "Kelompok di bawah minimal disembunyikan seluruhnya (skor dan komentar) dari laporan pegawai itu.")
    for x in shortfalls[:20]:
        extra = f"; usulan rekan: {', '.join(x.usulan)}" if x.usulan else (
            "; tidak ada calon rekan di unit tetangga" if x.relation == "rekan" else
            "; tambahkan penilai 'lainnya' secara manual bila perlu")
        click.echo(f"  {x.nip} {x.nama} ({x.unit}): {x.relation} {x.n} dari minimal {x.minimum}{extra}")
    if len(shortfalls) > 20:
        click.echo(f"  ... dan {len(shortfalls) - 20} lainnya")
    click.echo(f"Usulan rekan dari unit tetangga: {proposed} penugasan; {reached} dari {len(rekan)} pegawai akan "
               "mencapai minimal.")
    if usulan:
        write_table(usulan, proposals_sheet(shortfalls, c.nama))
        click.echo(f"Usulan ditulis ke {usulan}. Periksa, hapus baris yang tidak disetujui, lalu terapkan: "
                   f"kinerja assign --manual {usulan}")
    else:
        click.echo("Tulis usulan ke berkas dengan --usulan usulan.xlsx, lalu terapkan dengan --manual.")


def _print_summary(nama: str, s: AssignmentSummary, per_ratee: int | None) -> None:
    click.echo(f"Penugasan siklus '{nama}' (benih {s.seed}): {s.added} ditambah, {s.kept} tetap, "
               f"{s.reactivated} diaktifkan lagi, {s.relation_changed} relasinya diubah, "
               f"{s.deactivated} dinonaktifkan.")
    click.echo(f"Penugasan aktif: {s.total} ({_relations_text(s.per_relation)}).")
    if s.peer_load_min is not None:
        click.echo(f"Beban rekan per penilai: paling sedikit {s.peer_load_min}, paling banyak {s.peer_load_max} "
                   f"(paling banyak {per_ratee} rekan menilai satu pegawai).")
    if s.manual_removals_respected:
        click.echo(f"{s.manual_removals_respected} penugasan yang dihapus manual tetap dihapus.")
    if s.kept_with_answers:
        click.echo(f"Perhatian: {len(s.kept_with_answers)} penugasan tidak lagi sesuai bagan organisasi tetapi "
                   "sudah berisi jawaban, jadi dipertahankan (hapus manual bila perlu):")
        for rater, ratee, relation in s.kept_with_answers[:20]:
            click.echo(f"  {rater} menilai {ratee} ({relation})")
        if len(s.kept_with_answers) > 20:
            click.echo(f"  ... dan {len(s.kept_with_answers) - 20} lainnya")


def register(main: click.Group) -> None:
    """Add this module's commands to the root group."""
    main.add_command(demo)
    main.add_command(assign)
