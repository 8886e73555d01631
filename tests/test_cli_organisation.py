"""The ``kinerja demo`` and ``kinerja assign`` commands on good and bad input."""

from __future__ import annotations

import csv
import re

import pytest
from click.testing import CliRunner

from kinerja_lib.cli import main
from kinerja_lib.links import resolve
from kinerja_lib.store import open_db


def run(db_path, *args):
    return CliRunner().invoke(main, ["--db", str(db_path), *args], catch_exceptions=False)


def count(path, sql):
    db = open_db(path)
    try:
        return db.execute(sql).fetchone()[0]
    finally:
        db.close()


def state(path):
    db = open_db(path)
    try:
        return (db.execute("SELECT * FROM assignment ORDER BY id").fetchall(),
                db.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0])
    finally:
        db.close()


@pytest.fixture
def demo_path(tmp_path):
    path = tmp_path / "demo.db"
    result = run(path, "demo", "--pegawai", "60", "--seed", "3", "--tanpa-jawaban", "--siklus", "1")
    assert result.exit_code == 0, result.output
    return path


def test_demo_prints_summary_working_links_and_next_steps(tmp_path):
    """The demo command builds the database, prints rater links that resolve, the admin link and what to do next."""
    path = tmp_path / "kinerja.db"
    result = run(path, "demo", "--pegawai", "60", "--seed", "3", "--base-url", "http://contoh:8866")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "60 pegawai di" in out and "Siklus 'Demo Triwulan IV 2026'" in out and "Langkah berikutnya" in out
    assert "terkirim" in out and "kinerja serve" in out and "Triwulan sebelumnya dengan hasil terhitung" in out
    links = re.findall(r"\(NIP (\d{18}), \d+ dinilai\): (http://contoh:8866/\S+\?t=(\S+))", out)
    assert len(links) == 5
    db = open_db(path)
    for nip, _, token in links:
        assert resolve(db, token).rater_nip == nip
    admin_token = re.search(r"admin\S*\?t=(\S+)", out).group(1)
    assert resolve(db, admin_token).jenis == "admin"
    raters = db.execute("SELECT COUNT(DISTINCT rater_nip) FROM assignment WHERE aktif = 1 AND cycle_id = "
                        "(SELECT id FROM cycle WHERE status = 'terbuka')").fetchone()[0]
    closed = db.execute("SELECT COUNT(*) FROM cycle WHERE status = 'ditutup' AND periode LIKE 'Triwulan%' AND id IN "
                        "(SELECT cycle_id FROM hasil_skor)").fetchone()[0]
    assert closed == 3
    db.close()
    with open(tmp_path / "kinerja.db-tautan.csv", encoding="utf-8-sig") as fh:
        exported = list(csv.DictReader(fh))
    assert len(exported) == raters
    assert {n for n, _, _ in links} <= {r["NIP"] for r in exported}


def test_demo_siklus_1_builds_one_open_annual_cycle(tmp_path):
    """--siklus 1 keeps the quick one-cycle demo: the 2025 history and one open Tahunan 2026 cycle."""
    path = tmp_path / "satu.db"
    result = run(path, "demo", "--pegawai", "40", "--seed", "3", "--tanpa-jawaban", "--siklus", "1")
    assert result.exit_code == 0, result.output
    assert "Siklus 'Demo Tahunan 2026'" in result.output and "Triwulan sebelumnya" not in result.output
    assert count(path, "SELECT COUNT(*) FROM cycle") == 2


def test_demo_refuses_to_overwrite_without_ganti(demo_path):
    """A second demo into a non-empty database exits 2 and leaves it as it was."""
    before = state(demo_path)
    result = run(demo_path, "demo", "--pegawai", "80", "--seed", "4")
    assert result.exit_code == 2
    assert "--ganti" in result.output
    assert state(demo_path) == before


def test_demo_ganti_rebuilds_the_database(demo_path):
    """With --ganti the file is recreated with the new organisation."""
    result = run(demo_path, "demo", "--pegawai", "80", "--seed", "4", "--tanpa-jawaban", "--ganti")
    assert result.exit_code == 0, result.output
    assert count(demo_path, "SELECT COUNT(*) FROM pegawai") == 80
    assert count(demo_path, "SELECT COUNT(*) FROM response") == 0


def test_demo_rejects_a_too_small_organisation(tmp_path):
    """--pegawai below 20 is a usage error."""
    result = run(tmp_path / "x.db", "demo", "--pegawai", "5")
    assert result.exit_code == 2
    assert "5" in result.output


def test_assign_prints_counts_per_relation_and_peer_load_and_is_idempotent(demo_path):
    """Re-running assign adds nothing and reports the active counts per relation and the peer load."""
    before = count(demo_path, "SELECT COUNT(*) FROM assignment")
    result = run(demo_path, "assign")
    assert result.exit_code == 0, result.output
    assert f"0 ditambah, {before} tetap" in result.output
    assert re.search(r"Penugasan aktif: \d+ \(diri 60, atasan \d+, rekan \d+, bawahan \d+\)", result.output)
    assert re.search(r"Beban rekan per penilai: paling sedikit \d, paling banyak [1-4]", result.output)
    assert count(demo_path, "SELECT COUNT(*) FROM assignment") == before


def test_assign_with_a_new_seed_resamples_only_the_unanswered_peers(demo_path):
    """Another seed swaps peer rows (old unanswered ones deactivated); supervisor lines stay."""
    result = run(demo_path, "assign", "--seed", "99")
    assert result.exit_code == 0, result.output
    added, deactivated = map(int, re.search(r"(\d+) ditambah.* (\d+) dinonaktifkan", result.output).groups())
    assert added == deactivated > 0
    assert count(demo_path, "SELECT COUNT(*) FROM assignment WHERE aktif = 0 AND relation <> 'rekan'") == 0


def test_assign_manual_file_good_and_bad(demo_path, tmp_path):
    """A good manual file is applied; a bad one exits 2, lists row and column, and changes nothing."""
    db = open_db(demo_path)
    rater, ratee = db.execute("SELECT rater_nip, ratee_nip FROM assignment WHERE relation = 'rekan' LIMIT 1").fetchone()
    top = db.execute("SELECT nip FROM pegawai WHERE atasan_nip IS NULL LIMIT 1").fetchone()[0]
    db.close()
    good = tmp_path / "good.csv"
    good.write_text("aksi,nip_penilai,nip_dinilai,relasi,alasan\n"
                    f"hapus,{rater},{ratee},rekan,Pindah tugas\n", encoding="utf-8")
    result = run(demo_path, "assign", "--manual", str(good))
    assert result.exit_code == 0, result.output
    assert "0 ditambah, 0 diaktifkan lagi, 1 dihapus" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("aksi,nip_penilai,nip_dinilai,relasi,alasan\n"
                   f"tambah,{top},{top},rekan,x\n", encoding="utf-8")
    before = state(demo_path)
    result = run(demo_path, "assign", "--manual", str(bad))
    assert result.exit_code == 2
    assert "bad.csv, baris 2, kolom 'nip_dinilai'" in result.output
    assert state(demo_path) == before


def test_assign_without_an_open_cycle_fails_cleanly(tmp_path):
    """No open cycle: a clear Indonesian message and exit 2, no traceback."""
    result = run(tmp_path / "empty.db", "assign")
    assert result.exit_code == 2
    assert result.output.startswith("Galat: Belum ada siklus yang terbuka")
