"""Who rates whom: the org-chart rules, balanced peer sampling, idempotent re-runs and manual changes."""

from __future__ import annotations

import json
from collections import Counter, defaultdict

import numpy as np
import pytest

from kinerja_lib.assignments import (
    AUTO_REMOVAL_REASON,
    apply_manual_changes,
    circulant_peers,
    generate_assignments,
)
from kinerja_lib.cycle import close_cycle, open_cycle
from kinerja_lib.demo import build_organisation
from kinerja_lib.errors import CycleError, ImportRejected

# --- hand-made organisations ----------------------------------------------------------------------
# A person: name -> (unit, tingkat, kepala_unit, atasan name or None[, aktif]). Units are paths
# "D/B": the parent of "D/B" is "D".


def nip(i: int) -> str:
    return f"19800101200501{1 + i % 2}{i:03d}"


def build(db, people: dict, settings: dict | None = None, kelompok: list[str] | None = None):
    """Write units, pegawai and an open cycle for a hand-made org; return {name: nip}."""
    units = sorted({p[0] for p in people.values()} | {u.rsplit("/", 1)[0] for p in people.values()
                                                       for u in [p[0]] if "/" in u})
    db["unit"].insert_all([{"id": u, "nama": u.rsplit("/", 1)[-1], "induk_id": u.rsplit("/", 1)[0] if "/" in u else None,
                            "jenis": "unit"} for u in units])
    nips = {name: nip(i) for i, name in enumerate(people)}
    db["pegawai"].insert_all([
        {"nip": nips[name], "nama": name, "jenis_kelamin": "L", "unit_id": p[0], "jabatan": "x", "jenis_jabatan": "x",
         "tingkat": p[1], "kepala_unit": p[2], "atasan_nip": nips[p[3]] if p[3] else None,
         "aktif": p[4] if len(p) > 4 else 1, "diperbarui": "2026-01-01"}
        for name, p in people.items()])
    if kelompok is not None:  # narrowing the groups drops their minimums, weights and competency lists too
        settings = {**(settings or {}), "kelompok": kelompok}
    open_cycle(db, "Uji", "Tahunan", 2026, "2026-01-01", "2026-12-31", settings)
    return nips


def active(db, nips: dict) -> set[str]:
    """Return the active assignments as 'rater>ratee relation' strings using the people's names."""
    name = {v: k for k, v in nips.items()}
    return {f"{name[r]}>{name[e]} {rel}" for r, e, rel in db.execute(
        "SELECT rater_nip, ratee_nip, relation FROM assignment WHERE aktif = 1")}


def diri(*names: str) -> set[str]:
    return {f"{n}>{n} diri" for n in names}


OFFICE = {
    "kadis": ("D", 5, 1, None),
    "kabid": ("D/B", 4, 1, "kadis"),
    "s1": ("D/B", 1, 0, "kabid"),
    "s2": ("D/B", 1, 0, "kabid"),
    "s3": ("D/B", 1, 0, "kabid"),
}
OFFICE_LINE = {"kadis>kabid atasan", "kabid>s1 atasan", "kabid>s2 atasan", "kabid>s3 atasan",
               "kabid>kadis bawahan", "s1>kabid bawahan", "s2>kabid bawahan", "s3>kabid bawahan"}
OFFICE_PEERS = {f"{a}>{b} rekan" for a in ("s1", "s2", "s3") for b in ("s1", "s2", "s3") if a != b}


@pytest.mark.parametrize("people, settings, kelompok, expected", [
    pytest.param(OFFICE, None, None, diri(*OFFICE) | OFFICE_LINE | OFFICE_PEERS, id="office"),
    pytest.param(OFFICE, None, ["diri", "atasan"],
                 diri(*OFFICE) | {a for a in OFFICE_LINE if a.endswith("atasan")}, id="only-diri-atasan"),
    pytest.param(OFFICE, {"rekan_per_pegawai": 0}, None, diri(*OFFICE) | OFFICE_LINE, id="no-peers"),
    pytest.param({**OFFICE, "s3": ("D/B", 1, 0, "kabid", 0)}, None, None,
                 diri("kadis", "kabid", "s1", "s2") | {a for a in OFFICE_LINE if "s3" not in a}
                 | {"s1>s2 rekan", "s2>s1 rekan"}, id="inactive-staff"),
    pytest.param({**OFFICE, "kabid": ("D/B", 4, 1, "kadis", 0)}, None, None,
                 diri("kadis", "s1", "s2", "s3") | OFFICE_PEERS, id="inactive-atasan"),
    pytest.param({"kadis": ("D", 5, 1, None), "camat": ("E", 5, 1, None),
                  "kabid1": ("D/B1", 4, 1, "kadis"), "kabid2": ("D/B2", 4, 1, "kadis"),
                  "madya": ("D/B1", 4, 0, "kabid1"), "kabidE": ("E/B", 4, 1, "camat")}, None, None,
                 diri("kadis", "camat", "kabid1", "kabid2", "madya", "kabidE")
                 | {"kadis>kabid1 atasan", "kadis>kabid2 atasan", "kabid1>madya atasan", "camat>kabidE atasan",
                    "kabid1>kadis bawahan", "kabid2>kadis bawahan", "madya>kabid1 bawahan", "kabidE>camat bawahan",
                    "kabid1>kabid2 rekan", "kabid2>kabid1 rekan", "kadis>camat rekan", "camat>kadis rekan"},
                 id="heads-are-peers-under-the-same-parent"),
    pytest.param({"kasi": ("D", 3, 1, None), "pel": ("D", 1, 0, "kasi"), "ahli": ("D", 2, 0, "kasi")}, None, None,
                 diri("kasi", "pel", "ahli")
                 | {"kasi>pel atasan", "kasi>ahli atasan", "pel>kasi bawahan", "ahli>kasi bawahan"},
                 id="other-tingkat-is-no-peer"),
    pytest.param({"lead": ("D", 1, 0, None), "member": ("D", 1, 0, "lead")}, None, None,
                 diri("lead", "member") | {"lead>member atasan", "member>lead bawahan"},
                 id="atasan-and-bawahan-win-over-rekan"),
])
def test_org_chart_gives_exactly_these_assignments(db, people, settings, kelompok, expected):
    """diri for all, atasan rates staff, staff rate atasan, peers rate each other; nothing else."""
    nips = build(db, people, settings, kelompok)
    generate_assignments(db, "Uji")
    assert active(db, nips) == expected


@pytest.mark.parametrize("size", range(1, 12))
@pytest.mark.parametrize("per_ratee", [1, 2, 4])
def test_circulant_design_is_perfectly_balanced(size, per_ratee):
    """In a pool of m, every ratee gets k = min(N, m-1) distinct peers and every rater gives exactly k."""
    pool = np.zeros(size, dtype=np.int64)
    keys = np.random.default_rng(size).integers(0, 2**63, size).astype(np.uint64)
    rater, ratee = circulant_peers(pool, keys, per_ratee)
    k = min(per_ratee, size - 1)
    pairs = list(zip(rater.tolist(), ratee.tolist()))
    assert len(set(pairs)) == len(pairs) == size * k
    assert all(r != e for r, e in pairs)
    assert Counter(ratee.tolist()) == ({i: k for i in range(size)} if k else {})
    assert Counter(rater.tolist()) == ({i: k for i in range(size)} if k else {})


# --- a generated organisation of 1,000 pegawai ------------------------------------------------------

def generated(db, seed=11, pegawai=1000, per_ratee=4):
    build_organisation(db, pegawai, seed)
    open_cycle(db, "Uji", "Tahunan", 2026, "2026-01-01", "2026-12-31", {"rekan_per_pegawai": per_ratee})
    return generate_assignments(db, "Uji", seed=seed)


def rows(db, relation=None):
    sql = "SELECT rater_nip, ratee_nip, relation FROM assignment WHERE aktif = 1"
    return db.execute(sql + (" AND relation = ?" if relation else ""), [relation] if relation else []).fetchall()


def peer_pools(db) -> dict[str, tuple]:
    """Independent oracle: staff share (unit, tingkat); heads share (parent unit, tingkat)."""
    pools = {}
    for p_nip, unit, parent, tingkat, kepala in db.execute(
            "SELECT p.nip, p.unit_id, u.induk_id, p.tingkat, p.kepala_unit FROM pegawai p JOIN unit u ON u.id = p.unit_id"):
        pools[p_nip] = ("kepala", parent, tingkat) if kepala else ("staf", unit, tingkat)
    return pools


def test_generated_org_gives_every_non_top_pegawai_exactly_one_atasan_assignment(db):
    """Each pegawai with an atasan is rated by that atasan once, and rates them once as bawahan."""
    generated(db)
    chart = dict(db.execute("SELECT nip, atasan_nip FROM pegawai").fetchall())
    atasan = Counter(e for _, e, _ in rows(db, "atasan"))
    assert {e: 1 for e, a in chart.items() if a} == dict(atasan)
    assert sorted((r, e) for r, e, _ in rows(db, "atasan")) == sorted((a, e) for e, a in chart.items() if a)
    assert sorted((r, e) for r, e, _ in rows(db, "bawahan")) == sorted((e, a) for e, a in chart.items() if a)
    assert sorted(r for r, e, _ in rows(db, "diri")) == sorted(chart)


def test_generated_org_has_no_duplicate_and_no_self_rating_other_than_diri(db):
    """Never the same (rater, ratee) twice; rater = ratee only for diri."""
    generated(db)
    all_rows = rows(db)
    assert len({(r, e) for r, e, _ in all_rows}) == len(all_rows)
    assert [(r, e, rel) for r, e, rel in all_rows if (r == e) != (rel == "diri")] == []


def test_generated_org_peers_are_bounded_balanced_and_from_the_same_pool(db):
    """Each ratee gets min(N, m-1) rekan from its pool and each rater gives exactly as many."""
    summary = generated(db, per_ratee=4)
    pools = peer_pools(db)
    size = Counter(pools.values())
    given, received = Counter(), Counter()
    for r, e, _ in rows(db, "rekan"):
        assert pools[r] == pools[e]
        given[r] += 1
        received[e] += 1
    expected = {p: min(4, size[pools[p]] - 1) for p in pools if size[pools[p]] > 1}
    assert dict(received) == expected
    assert dict(given) == expected  # the bound: inside a pool the load is exactly equal, never above N
    assert (summary.peer_load_min, summary.peer_load_max) == (min(expected.values()), max(expected.values()))
    assert summary.peers_per_ratee_max == 4


def test_generated_org_assignments_are_deterministic_per_seed(db):
    """The same seed gives the same peers; another seed gives another peer sample, same supervisor lines."""
    from kinerja_lib.store import open_db

    generated(db, seed=11)
    again, other = open_db(":memory:"), open_db(":memory:")
    generated(again, seed=11)
    build_organisation(other, 1000, 11)
    open_cycle(other, "Uji", "Tahunan", 2026, "2026-01-01", "2026-12-31")
    generate_assignments(other, "Uji", seed=12)
    ordered = "SELECT id, rater_nip, ratee_nip, relation FROM assignment ORDER BY id"
    assert db.execute(ordered).fetchall() == again.execute(ordered).fetchall()
    assert set(rows(db, "atasan")) == set(rows(other, "atasan"))
    assert set(rows(db, "rekan")) != set(rows(other, "rekan"))


def test_rerun_changes_nothing(db):
    """Running again on the same org chart keeps every row (same ids) and adds none."""
    first = generated(db)
    before = db.execute("SELECT * FROM assignment ORDER BY id").fetchall()
    again = generate_assignments(db, "Uji", seed=11)
    assert (again.added, again.kept, again.deactivated, again.reactivated) == (0, first.total, 0, 0)
    assert again.per_relation == first.per_relation
    assert db.execute("SELECT * FROM assignment ORDER BY id").fetchall() == before


def test_seed_defaults_to_the_cycle_setting(db):
    """Without --seed the cycle's benih_acak is used, so a plain re-run is stable."""
    build_organisation(db, 300, 5)
    open_cycle(db, "Uji", "Tahunan", 2026, "2026-01-01", "2026-12-31", {"benih_acak": 99})
    assert generate_assignments(db, "Uji").seed == 99
    assert generate_assignments(db, "Uji", seed=99).added == 0


# --- re-running after the org chart changed ---------------------------------------------------------

MOVING = {
    "kadis": ("D", 5, 1, None),
    "kabid": ("D/B", 4, 1, "kadis"),
    "s1": ("D/B", 1, 0, "kabid"),
    "s2": ("D/B", 1, 0, "kabid"),
    "s3": ("D/B", 1, 0, "kabid"),
    "kabid2": ("D/C", 4, 1, "kadis"),
    "t1": ("D/C", 1, 0, "kabid2"),
}


def answer(db, nips, rater, ratee):
    aid = db.execute("SELECT id FROM assignment WHERE rater_nip = ? AND ratee_nip = ?",
                     [nips[rater], nips[ratee]]).fetchone()[0]
    db.execute("INSERT INTO response (assignment_id, item, score, diperbarui) VALUES (?, 'B1.1', 4, 'x')", [aid])
    db.execute("UPDATE assignment SET status = 'draf' WHERE id = ?", [aid])


def row_state(db, nips, rater, ratee):
    return db.execute("SELECT relation, aktif, alasan_hapus FROM assignment WHERE rater_nip = ? AND ratee_nip = ?",
                      [nips[rater], nips[ratee]]).fetchone()


def test_moving_a_pegawai_deactivates_unanswered_rows_and_keeps_answered_ones(db):
    """After a move: stale rows without answers are deactivated, answered ones kept and reported."""
    nips = build(db, MOVING)
    generate_assignments(db, "Uji")
    answer(db, nips, "s3", "s1")
    db.execute("UPDATE pegawai SET unit_id = 'D/C', atasan_nip = ? WHERE nip = ?", [nips["kabid2"], nips["s3"]])
    s = generate_assignments(db, "Uji")
    assert s.kept_with_answers == [(nips["s3"], nips["s1"], "rekan")]
    # new: kabid2>s3, s3>kabid2, s3>t1, t1>s3; stale and unanswered: kabid>s3, s3>kabid, s1>s3, s2>s3, s3>s2
    assert (s.added, s.deactivated) == (4, 5)
    assert row_state(db, nips, "s3", "s1") == ("rekan", 1, None)
    assert row_state(db, nips, "s1", "s3") == ("rekan", 0, AUTO_REMOVAL_REASON)
    assert row_state(db, nips, "kabid", "s3") == ("atasan", 0, AUTO_REMOVAL_REASON)
    assert row_state(db, nips, "kabid2", "s3") == ("atasan", 1, None)
    assert {a for a in active(db, nips) if "s3" in a} == {
        "s3>s3 diri", "kabid2>s3 atasan", "s3>kabid2 bawahan", "s3>t1 rekan", "t1>s3 rekan", "s3>s1 rekan"}


def test_moving_back_reactivates_the_automatic_rows(db):
    """Rows deactivated by a run come back when the org chart returns; nothing is duplicated."""
    nips = build(db, MOVING)
    generate_assignments(db, "Uji")
    original = active(db, nips)
    db.execute("UPDATE pegawai SET unit_id = 'D/C', atasan_nip = ? WHERE nip = ?", [nips["kabid2"], nips["s3"]])
    generate_assignments(db, "Uji")
    db.execute("UPDATE pegawai SET unit_id = 'D/B', atasan_nip = ? WHERE nip = ?", [nips["kabid"], nips["s3"]])
    s = generate_assignments(db, "Uji")
    # the 6 rows the move deactivated come back; the 4 rows of the other unit go
    assert (s.reactivated, s.deactivated, s.added) == (6, 4, 0)
    assert active(db, nips) == original
    assert db["assignment"].count == len(original) + 4


def test_a_changed_relation_is_updated_in_place_when_unanswered(db):
    """If the same pair now follows from another rule, an unanswered row changes relation in place."""
    nips = build(db, {"a": ("D", 1, 0, None), "b": ("D", 1, 0, None)})
    generate_assignments(db, "Uji")
    db.execute("UPDATE pegawai SET atasan_nip = ? WHERE nip = ?", [nips["a"], nips["b"]])
    s = generate_assignments(db, "Uji")
    assert (s.relation_changed, s.added, s.deactivated) == (2, 0, 0)
    assert active(db, nips) == diri("a", "b") | {"a>b atasan", "b>a bawahan"}


def test_closed_cycle_refuses_generation(db):
    """A closed cycle's assignments cannot change."""
    build(db, OFFICE)
    close_cycle(db, "Uji")
    with pytest.raises(CycleError, match="ditutup"):
        generate_assignments(db, "Uji")


# --- manual additions and removals --------------------------------------------------------------------

HEADER = "aksi,nip_penilai,nip_dinilai,relasi,alasan\n"


def write_csv(tmp_path, nips, lines: list[str], name="manual.csv"):
    text = HEADER + "".join(line.format(**nips) + "\n" for line in lines)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def snapshot(db):
    return (db.execute("SELECT * FROM assignment ORDER BY id").fetchall(), db["audit_log"].count)


@pytest.mark.parametrize("fmt, relasi", [("csv", "lainnya"), ("csv", "Pihak Lain"), ("xlsx", "lainnya")])
def test_manual_changes_add_with_reason_and_remove_without_deleting(db, tmp_path, fmt, relasi):
    """tambah creates a manual row with its reason; hapus deactivates the row and keeps the reason."""
    nips = build(db, OFFICE)
    generate_assignments(db, "Uji")
    lines = [f"tambah,{{s1}},{{kadis}},{relasi},Koordinasi lintas bidang", "hapus,{s1},{s2},rekan,Baru pindah tugas"]
    path = write_csv(tmp_path, nips, lines)
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        for line in [HEADER.strip()] + [x.format(**nips) for x in lines]:
            wb.active.append(line.split(","))
        path = tmp_path / "manual.xlsx"
        wb.save(path)
    total = db["assignment"].count
    m = apply_manual_changes(db, "Uji", path)
    assert (m.added, m.reactivated, m.removed) == (1, 0, 1)
    assert db["assignment"].count == total + 1
    assert db.execute("SELECT relation, sumber, alasan, aktif FROM assignment WHERE rater_nip = ? AND ratee_nip = ?",
                      [nips["s1"], nips["kadis"]]).fetchone() == ("lainnya", "manual", "Koordinasi lintas bidang", 1)
    assert row_state(db, nips, "s1", "s2") == ("rekan", 0, "Baru pindah tugas")


def test_rerun_respects_manual_changes(db, tmp_path):
    """A later automatic run neither revives a manual removal nor drops a manual addition."""
    nips = build(db, OFFICE)
    generate_assignments(db, "Uji")
    apply_manual_changes(db, "Uji", write_csv(tmp_path, nips, [
        "tambah,{s1},{kadis},lainnya,Koordinasi", "hapus,{s1},{s2},rekan,Konflik kepentingan"]))
    s = generate_assignments(db, "Uji")
    assert (s.added, s.deactivated, s.reactivated, s.manual_removals_respected) == (0, 0, 0, 1)
    assert active(db, nips) == (diri(*OFFICE) | OFFICE_LINE | OFFICE_PEERS | {"s1>kadis lainnya"}) - {"s1>s2 rekan"}


def test_manual_addition_can_restore_a_removed_pair(db, tmp_path):
    """tambah on a removed pair revives that row (no duplicate row) with the new reason."""
    nips = build(db, OFFICE)
    generate_assignments(db, "Uji")
    apply_manual_changes(db, "Uji", write_csv(tmp_path, nips, ["hapus,{s1},{s2},rekan,Salah input"]))
    m = apply_manual_changes(db, "Uji", write_csv(tmp_path, nips, ["tambah,{s1},{s2},rekan,Dikembalikan"], "b.csv"))
    assert (m.added, m.reactivated, m.removed) == (0, 1, 0)
    assert db.execute("SELECT relation, sumber, alasan, aktif, alasan_hapus FROM assignment WHERE rater_nip = ? "
                      "AND ratee_nip = ?", [nips["s1"], nips["s2"]]).fetchone() == ("rekan", "manual", "Dikembalikan",
                                                                                   1, None)


@pytest.mark.parametrize("lines, row, column, message", [
    (["tambah,199912312020121999,{s1},lainnya,x"], 2, "nip_penilai", "tidak ada dalam data pegawai"),
    (["tambah,12345,{s1},lainnya,x"], 2, "nip_penilai", "harus tepat 18 angka"),
    (["tambah,{s1},{s1},rekan,x"], 2, "nip_dinilai", "dirinya sendiri"),
    (["tambah,{s1},{s2},diri,x"], 2, "relasi", "'diri' hanya"),
    (["tambah,{s1},{kadis},lainnya,x", "tambah,{s1},{kadis},lainnya,y"], 3, "nip_dinilai", "ganda"),
    (["tambah,{s1},{s2},lainnya,x"], 2, "nip_dinilai", "sudah ada"),
    (["tambah,{s1},{kadis},teman,x"], 2, "relasi", "tidak dikenal"),
    (["tambah,{s1},{kadis},,x"], 2, "relasi", "wajib"),
    (["tambah,{s1},{kadis},lainnya,"], 2, "alasan", "wajib"),
    (["ubah,{s1},{kadis},lainnya,x"], 2, "aksi", "tidak dikenal"),
    (["hapus,{s1},{kadis},,x"], 2, "nip_dinilai", "tidak ada penugasan aktif"),
    (["hapus,{s1},{s2},atasan,x"], 2, "relasi", "tidak cocok"),
])
def test_bad_manual_change_is_rejected_and_nothing_is_written(db, tmp_path, lines, row, column, message):
    """Every bad row is reported with row, column and an Indonesian message; the database is unchanged."""
    nips = build(db, OFFICE)
    generate_assignments(db, "Uji")
    good = "tambah,{s3},{kadis},lainnya,Sah"  # a valid row that must not be written either
    path = write_csv(tmp_path, nips, lines + [good])
    before = snapshot(db)
    with pytest.raises(ImportRejected) as err:
        apply_manual_changes(db, "Uji", path)
    assert [(p.file, p.row, p.column) for p in err.value.problems] == [("manual.csv", row, column)]
    assert message in err.value.problems[0].message
    assert snapshot(db) == before


def test_every_bad_row_is_reported_at_once(db, tmp_path):
    """A file with several faults lists all of them, not just the first."""
    nips = build(db, OFFICE)
    generate_assignments(db, "Uji")
    path = write_csv(tmp_path, nips, ["tambah,{s1},{s1},rekan,", "hapus,{s1},{kadis},,x", "tambah,{s2},{kadis},teman,x"])
    with pytest.raises(ImportRejected) as err:
        apply_manual_changes(db, "Uji", path)
    assert [(p.row, p.column) for p in err.value.problems] == [
        (2, "alasan"), (2, "nip_dinilai"), (3, "nip_dinilai"), (4, "relasi")]


@pytest.mark.parametrize("text, message", [
    ("", "berkas kosong"),
    ("aksi,nip_penilai,nip_dinilai\n", "kolom wajib 'alasan'"),
    (HEADER, "tidak berisi baris data"),
])
def test_malformed_manual_file_is_rejected(db, tmp_path, text, message):
    """Empty files and missing columns are reported before anything is checked or written."""
    build(db, OFFICE)
    path = tmp_path / "m.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ImportRejected, match=message):
        apply_manual_changes(db, "Uji", path)


def test_manual_changes_are_audited(db, tmp_path):
    """The audit log records each manual change with its reason."""
    nips = build(db, OFFICE)
    generate_assignments(db, "Uji")
    apply_manual_changes(db, "Uji", write_csv(tmp_path, nips, ["tambah,{s1},{kadis},lainnya,Koordinasi"]),
                         pelaku="cli:admin")
    pelaku, detail = db.execute("SELECT pelaku, detail FROM audit_log WHERE aksi = 'ubah_penugasan_manual'").fetchone()
    assert pelaku == "cli:admin"
    assert json.loads(detail)["perubahan"] == [{"op": "insert", "rater": nips["s1"], "ratee": nips["kadis"],
                                                "relasi": "lainnya", "alasan": "Koordinasi"}]


def test_peer_pools_oracle_matches_a_known_small_case(db):
    """The test's own pool oracle groups staff by unit and heads by parent unit (sanity of the oracle)."""
    nips = build(db, MOVING)
    groups = defaultdict(set)
    for p, key in peer_pools(db).items():
        groups[key].add(p)
    assert sorted(map(len, groups.values())) == [1, 1, 2, 3]
    assert {nips["kabid"], nips["kabid2"]} in groups.values()
