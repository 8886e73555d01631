"""`kinerja assign` reports every rekan/bawahan group under the anonymity minimum and proposes rekan from
neighbouring units, as a manual-change file the admin reviews and applies (audited)."""

from __future__ import annotations

import csv

from click.testing import CliRunner

from kinerja_lib.assignments import generate_assignments, minimum_shortfalls
from kinerja_lib.cli import main
from kinerja_lib.cycle import open_cycle
from kinerja_lib.roster import import_roster
from kinerja_lib.store import open_db

HEADER = "NIP;Nama;Unit Kerja;Sub Unit;Jabatan;Jenis Jabatan;NIP Atasan"


def nip(seq: int) -> str:
    return f"19800101200501{1 if seq % 2 else 2}{seq:03d}"


# Dinas A: kepala K; Bidang 1 (head H1, staff S1 S2), Bidang 2 (head H2, staff T1-T4), Bidang 3 (head H3, staff U1).
K, H1, H2, H3 = nip(1), nip(2), nip(3), nip(4)
S1, S2, T1, T2, T3, T4, U1 = (nip(i) for i in range(10, 17))
ROSTER = [(K, "Kepala", "", "Kepala Dinas", "JPT Pratama", ""),
          (H1, "Kabid Satu", "Bidang 1", "Kepala Bidang", "Administrator", K),
          (H2, "Kabid Dua", "Bidang 2", "Kepala Bidang", "Administrator", K),
          (H3, "Kabid Tiga", "Bidang 3", "Kepala Bidang", "Administrator", K),
          (S1, "Staf S1", "Bidang 1", "Pengelola", "Pelaksana", H1), (S2, "Staf S2", "Bidang 1", "Pengelola", "Pelaksana", H1),
          *((t, f"Staf T{i}", "Bidang 2", "Pengelola", "Pelaksana", H2) for i, t in enumerate((T1, T2, T3, T4), 1)),
          (U1, "Staf U1", "Bidang 3", "Pengelola", "Pelaksana", H3)]


def build(path):
    roster = path.parent / "pegawai.csv"
    roster.write_text("\n".join([HEADER, *(";".join((n, nama, "Dinas A", sub, jab, jenis, at))
                                           for n, nama, sub, jab, jenis, at in ROSTER)]) + "\n", encoding="utf-8")
    db = open_db(path)
    import_roster(db, roster)
    cycle = open_cycle(db, "Tahunan 2026", "Tahunan", 2026, "2026-01-01", "2026-12-31")
    generate_assignments(db, cycle.id)
    return db, cycle


def test_every_group_under_the_minimum_is_reported(tmp_path):
    """Rekan under 3 (also 0, as for the head of the whole organisation) and non-empty bawahan under 3 are
    listed; full groups and absent bawahan are not."""
    db, cycle = build(tmp_path / "org.db")
    found = {(s.nip, s.relation, s.n, s.minimum) for s in minimum_shortfalls(db, cycle)}
    assert found == {(K, "rekan", 0, 3), (S1, "rekan", 1, 3), (S2, "rekan", 1, 3), (U1, "rekan", 0, 3),
                     (H1, "rekan", 2, 3), (H2, "rekan", 2, 3), (H3, "rekan", 2, 3),
                     (H1, "bawahan", 2, 3), (H3, "bawahan", 1, 3)}


def test_proposed_peers_come_from_neighbouring_units_and_reach_the_minimum(tmp_path):
    """Staff short of rekan get peers of the same tingkat from the other bidang, never from their own or already
    assigned, the least-loaded first; heads with no neighbouring heads get none."""
    db, cycle = build(tmp_path / "org.db")
    proposals = {s.nip: s.usulan for s in minimum_shortfalls(db, cycle) if s.relation == "rekan"}
    unit = dict(db.execute("SELECT nip, unit_id FROM pegawai").fetchall())
    assigned = {(r, t) for r, t in db.execute("SELECT rater_nip, ratee_nip FROM assignment WHERE aktif = 1")}
    assert {n: len(p) for n, p in proposals.items()} == {K: 0, S1: 2, S2: 2, U1: 3, H1: 0, H2: 0, H3: 0}
    for ratee, raters in proposals.items():
        assert all(unit[r] != unit[ratee] and (r, ratee) not in assigned and r in (S1, S2, T1, T2, T3, T4, U1)
                   for r in raters)
    assert proposals[S1][0] == U1    # U1 rates nobody as rekan yet: the least-loaded goes first


def test_applying_the_proposals_reaches_the_minimum_and_is_audited(tmp_path):
    """`assign --usulan` writes a manual-change file; `assign --manual` on it closes the rekan gaps with reasons."""
    path = tmp_path / "org.db"
    build(path)[0].close()
    out = tmp_path / "usulan.csv"
    res = CliRunner().invoke(main, ["--db", str(path), "assign", "--usulan", str(out)])
    assert res.exit_code == 0, res.output
    assert "7 pegawai kurang rekan penilai (2 tanpa rekan sama sekali) dan 2 pegawai kurang bawahan" in res.stdout
    assert "Usulan rekan dari unit tetangga: 7 penugasan; 3 dari 7 pegawai akan mencapai minimal." in res.stdout
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {(r["Aksi"], r["Kelompok Penilai"]) for r in rows} == {("tambah", "rekan")} and len(rows) == 7
    res = CliRunner().invoke(main, ["--db", str(path), "assign", "--manual", str(out)])
    assert res.exit_code == 0, res.output
    db = open_db(path)
    left = {(s.nip, s.relation) for s in minimum_shortfalls(db, 1)}
    assert left == {(K, "rekan"), (H1, "rekan"), (H2, "rekan"), (H3, "rekan"), (H1, "bawahan"), (H3, "bawahan")}
    reasons = db.execute("SELECT COUNT(*) FROM assignment WHERE sumber = 'manual' AND alasan LIKE 'usulan: rekan%'")
    assert reasons.fetchone()[0] == 7
    db.close()


def test_a_bad_proposals_path_is_refused_before_anything_changes(tmp_path):
    path = tmp_path / "org.db"
    db, _ = build(path)
    before = list(db.conn.iterdump())
    db.close()
    res = CliRunner().invoke(main, ["--db", str(path), "assign", "--usulan", str(tmp_path / "usulan.xls")])
    assert res.exit_code == 2 and "ekstensi '.xls' tidak dikenal" in res.stderr
    db = open_db(path)
    assert list(db.conn.iterdump()) == before
    db.close()
