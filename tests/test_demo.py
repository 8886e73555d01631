"""The synthetic demo organisation: structure, planted truths, determinism and scale."""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import pytest

from kinerja_lib.demo import HTML_COMMENTS, MIN_PEGAWAI, build_demo_database, generate_demo
from kinerja_lib.errors import KinerjaError
from kinerja_lib.reference import load_instrument, load_method_defaults
from kinerja_lib.store import PREDIKAT_ORGANISASI, RATINGS, open_db
from kinerja_lib.tabular import parse_nip

B_ITEMS = list(load_instrument().item_codes)
K_PER_RELATION = load_method_defaults()["kompetensi_per_relasi"]


def one(db, sql, params=()):
    return db.execute(sql, list(params)).fetchone()[0]


def scores_by(db, cycle_id):
    """Return rows (rater, ratee, relation, item, score) of submitted answers."""
    return db.execute(
        "SELECT a.rater_nip, a.ratee_nip, a.relation, r.item, r.score FROM response r "
        "JOIN assignment a ON a.id = r.assignment_id WHERE a.cycle_id = ? AND a.status = 'terkirim'",
        [cycle_id]).fetchall()


def truth(db, cycle_id, aspek):
    return dict(db.execute("SELECT nip, nilai FROM demo_truth WHERE cycle_id = ? AND aspek = ?", [cycle_id, aspek]))


# --- structure ------------------------------------------------------------------------------------------

def test_demo_fills_every_table_of_the_contract(demo_org):
    """Pegawai, both cycles, assignments, answers, ratings, predikat, ekspektasi, disiplin, potensi, truths."""
    db, s = demo_org.db, demo_org.summary
    cycles = db.execute("SELECT id, nama, periode, tahun, status FROM cycle ORDER BY id").fetchall()
    assert cycles == [(s.previous_cycle_id, "Demo Tahunan 2025", "Tahunan", 2025, "ditutup"),
                      (s.cycle_id, "Demo Tahunan 2026", "Tahunan", 2026, "terbuka")]
    assert (s.pegawai, db["pegawai"].count, db["unit"].count) == (300, 300, s.units)
    assert one(db, "SELECT COUNT(*) FROM assignment WHERE cycle_id = ?", [s.cycle_id]) == s.assignments
    assert sum(s.per_relation.values()) == s.assignments
    assert s.submitted + s.drafts + s.not_started == s.assignments
    assert (db["response"].count, db["comment"].count) == (s.responses, s.comments)
    for cycle_id in (s.cycle_id, s.previous_cycle_id):
        assert one(db, "SELECT COUNT(*) FROM rating_hasil_kerja WHERE cycle_id = ?", [cycle_id]) == 300
        assert one(db, "SELECT COUNT(*) FROM predikat_organisasi WHERE cycle_id = ?", [cycle_id]) == s.opd
    assert one(db, "SELECT COUNT(*) FROM rating_perilaku WHERE cycle_id = ?", [s.previous_cycle_id]) == 300
    assert 0 < one(db, "SELECT COUNT(*) FROM rating_perilaku WHERE cycle_id = ?", [s.cycle_id]) < 300
    assert one(db, "SELECT COUNT(DISTINCT nip) FROM potensi") == 300
    assert one(db, "SELECT COUNT(*) FROM ekspektasi_khusus WHERE cycle_id = ?", [s.cycle_id]) >= 1
    assert one(db, "SELECT COUNT(*) FROM unit WHERE jenis = 'opd'") == s.opd


def test_demo_nips_are_valid_unique_and_match_the_person(demo_org):
    """18 digits: birth date, TMT CPNS year-month, sex digit 1/2 matching jenis kelamin; all unique."""
    rows = demo_org.db.execute("SELECT nip, jenis_kelamin, tmt_cpns FROM pegawai").fetchall()
    assert [(n, parse_nip(n)[1]) for n, _, _ in rows if parse_nip(n)[1]] == []
    assert len({n for n, _, _ in rows}) == len(rows)
    assert [n for n, sex, tmt in rows if n[8:14] != tmt[:4] + tmt[5:7] or n[14] != {"L": "1", "P": "2"}[sex]] == []


def test_demo_org_chart_is_a_tree_of_opd_bidang_seksi(demo_org):
    """One JPT Pratama heads each OPD; everyone else reports to the head of their unit or its parent."""
    db = demo_org.db
    unit_parent = dict(db.execute("SELECT id, induk_id FROM unit"))
    heads = {u: n for n, u in db.execute("SELECT nip, unit_id FROM pegawai WHERE kepala_unit = 1")}
    people = db.execute("SELECT nip, unit_id, jenis_jabatan, kepala_unit, atasan_nip FROM pegawai").fetchall()
    tops = [(u, j) for _, u, j, _, a in people if a is None]
    assert sorted(tops) == sorted((u, "JPT Pratama") for u, p in unit_parent.items() if p is None)
    for nip, unit, _, kepala, atasan in people:
        if atasan is not None:
            expected = heads[unit_parent[unit]] if kepala else heads[unit]
            assert atasan == expected, nip


@pytest.mark.parametrize("jenis, jenjang, allowed", [
    ("JPT Pratama", None, {"IV/c", "IV/d"}),
    ("Administrator", None, {"III/d", "IV/a", "IV/b"}),
    ("Pengawas", None, {"III/c", "III/d", "IV/a"}),
    ("Pelaksana", None, {"II/a", "II/b", "II/c", "II/d", "III/a", "III/b", "III/c"}),
    ("JF", "Terampil", {"II/b", "II/c", "II/d"}),
    ("JF", "Mahir", {"III/a", "III/b"}),
    ("JF", "Ahli Pertama", {"III/a", "III/b"}),
    ("JF", "Ahli Muda", {"III/c", "III/d"}),
    ("JF", "Ahli Madya", {"IV/a", "IV/b", "IV/c"}),
])
def test_demo_golongan_fits_the_jabatan(demo_org, jenis, jenjang, allowed):
    """Golongan ruang stays in the range usual for the jenis and jenjang jabatan."""
    found = {g for g, in demo_org.db.execute(
        "SELECT DISTINCT golongan FROM pegawai WHERE jenis_jabatan = ? AND jenjang IS ? "
        "AND status_kepegawaian = 'PNS'", [jenis, jenjang])}
    assert found and found <= allowed


def test_demo_has_pppk_among_recent_hires_with_their_own_golongan(demo_org):
    """PPPK are recent hires in pelaksana and first-level functional posts, with Roman golongan and no pangkat."""
    rows = demo_org.db.execute("SELECT jenis_jabatan, jenjang, golongan, pangkat, tmt_cpns FROM pegawai "
                               "WHERE status_kepegawaian = 'PPPK'").fetchall()
    assert rows
    assert {(j, jj) for j, jj, *_ in rows} <= {("Pelaksana", None), ("JF", "Terampil"), ("JF", "Ahli Pertama")}
    assert {g for _, _, g, _, _ in rows} <= {"V", "VII", "IX"} and {p for *_, p, _ in rows} == {None}
    assert min(t for *_, t in rows) >= "2021-12-01"


def test_demo_jabatan_mix_and_gender(demo_org):
    """Pelaksana are the majority; every jenis appears; gender is roughly half and half."""
    db = demo_org.db
    mix = Counter(j for j, in db.execute("SELECT jenis_jabatan FROM pegawai"))
    assert set(mix) == {"JPT Pratama", "Administrator", "Pengawas", "Pelaksana", "JF"}
    assert mix["Pelaksana"] > 300 / 2
    assert 0.4 < one(db, "SELECT AVG(jenis_kelamin = 'L') FROM pegawai") < 0.6


def test_demo_has_satyalancana_boundary_cases(demo_org):
    """Some TMT CPNS fall exactly 10, 20 and 30 years before 2026-12-31."""
    db, s = demo_org.db, demo_org.summary
    for years, nips in s.satyalancana_boundary.items():
        assert len(nips) >= 2
        tmt = {t for t, in db.execute(f"SELECT tmt_cpns FROM pegawai WHERE nip IN ({','.join('?' * len(nips))})",
                                      list(nips))}
        assert tmt == {f"{2026 - years}-12-31"}
    assert sorted(s.satyalancana_boundary) == [10, 20, 30]


def test_demo_disiplin_has_active_sedang_and_berat(demo_org):
    """At least one sedang and one berat penalty are active at the end of the period."""
    active = {t for t, in demo_org.db.execute(
        "SELECT tingkat FROM disiplin WHERE tanggal_mulai <= '2026-12-31' "
        "AND (tanggal_selesai IS NULL OR tanggal_selesai >= '2026-12-31')")}
    assert {"sedang", "berat"} <= active


def test_demo_predikat_organisasi_mixes_all_labels_and_heads_follow_their_unit(demo_org):
    """All five labels occur; a JPT's Rating Hasil Kerja is the achievement of the OPD they head."""
    db, s = demo_org.db, demo_org.summary
    labels = {p for p, in db.execute("SELECT predikat FROM predikat_organisasi WHERE cycle_id = ?", [s.cycle_id])}
    assert labels == set(PREDIKAT_ORGANISASI)
    head_rating = {"Istimewa": RATINGS[0], "Baik": RATINGS[1]}
    pairs = db.execute(
        "SELECT po.predikat, r.rating FROM pegawai p JOIN predikat_organisasi po ON po.unit_id = p.unit_id "
        "AND po.cycle_id = ? JOIN rating_hasil_kerja r ON r.nip = p.nip AND r.cycle_id = po.cycle_id "
        "WHERE p.jenis_jabatan = 'JPT Pratama'", [s.cycle_id]).fetchall()
    assert len(pairs) == s.opd
    assert [(p, r) for p, r in pairs if r != head_rating.get(p, RATINGS[2])] == []


# --- answers and planted truths -----------------------------------------------------------------------

def test_submitted_answers_cover_exactly_the_items_of_their_relation(demo_org):
    """A submitted form has every BerAKHLAK item plus the relation's competencies, nothing else."""
    db, s = demo_org.db, demo_org.summary
    items = defaultdict(set)
    relation = {}
    for aid, rel, item in db.execute(
            "SELECT a.id, a.relation, r.item FROM assignment a JOIN response r ON r.assignment_id = a.id "
            "WHERE a.cycle_id = ? AND a.status = 'terkirim'", [s.cycle_id]):
        items[aid].add(item)
        relation[aid] = rel
    assert len(items) == s.submitted
    assert [a for a, got in items.items() if got != set(B_ITEMS) | set(K_PER_RELATION[relation[a]])] == []
    assert one(db, "SELECT COUNT(*) FROM response r JOIN assignment a ON a.id = r.assignment_id "
                   "WHERE a.status = 'belum'") == 0
    assert one(db, "SELECT COUNT(*) FROM assignment WHERE status = 'terkirim' AND terkirim IS NULL") == 0


def test_status_shares_and_tidak_dapat_menilai(demo_org):
    """About 92% submitted; about 5% of others' answers are NULL, never above the cap on a submitted form."""
    db, s = demo_org.db, demo_org.summary
    assert 0.88 < s.submitted / s.assignments < 0.96
    assert s.drafts > 0 and s.not_started > 0
    null_share = one(db, "SELECT AVG(r.score IS NULL) FROM response r JOIN assignment a ON a.id = r.assignment_id "
                         "WHERE a.relation <> 'diri'")
    assert 0.03 < null_share < 0.07
    worst = one(db, "SELECT MAX(share) FROM (SELECT AVG(r.score IS NULL) AS share FROM response r JOIN assignment a "
                    "ON a.id = r.assignment_id WHERE a.status = 'terkirim' GROUP BY a.id)")
    assert worst <= load_method_defaults()["maks_tidak_dapat_menilai"]


def test_straightliners_answer_one_point_everywhere(demo_org):
    """Each planted straight-liner gives a single non-null point to every item of every form."""
    db, s = demo_org.db, demo_org.summary
    assert set(truth(db, s.cycle_id, "straightliner")) == set(s.straightliners)
    assert len(s.straightliners) >= 2
    given = defaultdict(list)
    for r, _, _, _, score in scores_by(db, s.cycle_id):
        given[r].append(score)
    for nip in s.straightliners:
        points = given[nip]
        assert len(points) >= 3 * len(B_ITEMS)
        assert len(set(points)) == 1 and points[0] is not None


def test_exactly_one_outlier_who_rates_at_least_three_others(demo_org):
    """One outlier rater, with submitted forms for at least 3 other people and no leniency truth."""
    db, s = demo_org.db, demo_org.summary
    assert truth(db, s.cycle_id, "outlier") == {s.outlier: 1.0}
    others = {e for r, e, rel, _, _ in scores_by(db, s.cycle_id) if r == s.outlier and rel != "diri"}
    assert len(others) >= 3
    assert s.outlier not in truth(db, s.cycle_id, "kelonggaran")


def test_lenient_raters_score_above_the_truth_and_severe_ones_below(demo_org):
    """Per rater, mean(score - ratee's true level): every +1 rater beats every -1 rater by a wide margin."""
    db, s = demo_org.db, demo_org.summary
    level = truth(db, s.cycle_id, "perilaku")
    lean = truth(db, s.cycle_id, "kelonggaran")
    deviation = defaultdict(list)
    for r, e, rel, item, score in scores_by(db, s.cycle_id):
        if rel != "diri" and item.startswith("B") and score is not None:
            deviation[r].append(score - level[e])
    lenient = [np.mean(deviation[n]) for n in s.lenient]
    severe = [np.mean(deviation[n]) for n in s.severe]
    assert {lean[n] for n in s.lenient} == {1.0} and {lean[n] for n in s.severe} == {-1.0}
    assert min(lenient) - max(severe) > 1.0
    normal = [n for n in lean if n not in s.lenient + s.severe and len(deviation[n]) >= 3 * len(B_ITEMS)]
    r = np.corrcoef([lean[n] for n in normal], [np.mean(deviation[n]) for n in normal])[0, 1]
    assert r > 0.7


def test_self_ratings_are_inflated_by_about_the_planted_amount(demo_org):
    """Mean over people of (own BerAKHLAK mean - true level) is near the planted mean inflation (+0.4)."""
    db, s = demo_org.db, demo_org.summary
    level = truth(db, s.cycle_id, "perilaku")
    inflation = truth(db, s.cycle_id, "inflasi_diri")
    own = defaultdict(list)
    for r, e, rel, item, score in scores_by(db, s.cycle_id):
        if rel == "diri" and item.startswith("B") and score is not None and r in inflation:
            own[r].append(score - level[r])
    gap = np.mean([np.mean(v) for v in own.values()])
    assert abs(gap - np.mean(list(inflation.values()))) < 0.15
    assert 0.2 < gap < 0.6


def test_others_ratings_recover_the_true_behaviour_and_competency_levels(demo_org):
    """The plain mean of others' ratings correlates strongly with the planted levels."""
    db, s = demo_org.db, demo_org.summary
    level = truth(db, s.cycle_id, "perilaku")
    comp = truth(db, s.cycle_id, "kompetensi:K02")
    b, k = defaultdict(list), defaultdict(list)
    for r, e, rel, item, score in scores_by(db, s.cycle_id):
        if rel != "diri" and score is not None:
            if item.startswith("B"):
                b[e].append(score)
            elif item == "K02":
                k[e].append(score)
    assert np.corrcoef([level[e] for e in b], [np.mean(v) for v in b.values()])[0, 1] > 0.7
    assert np.corrcoef([comp[e] for e in k], [np.mean(v) for v in k.values()])[0, 1] > 0.6


def test_truth_tables_cover_everyone(demo_org):
    """perilaku and the nine competencies exist for every pegawai, on the 1-5 scale."""
    db, s = demo_org.db, demo_org.summary
    aspects = Counter(a for a, in db.execute("SELECT aspek FROM demo_truth WHERE cycle_id = ?", [s.cycle_id]))
    regular = 300 - len(s.straightliners) - 1
    assert aspects == {"perilaku": 300, **{f"kompetensi:K0{i}": 300 for i in range(1, 10)},
                       "kelonggaran": regular, "inflasi_diri": regular,
                       "straightliner": len(s.straightliners), "outlier": 1}
    assert one(db, "SELECT MIN(nilai) >= 1 AND MAX(nilai) <= 5 FROM demo_truth WHERE aspek = 'perilaku' "
                   "OR aspek LIKE 'kompetensi:%'") == 1


def test_a_ratee_with_exactly_two_submitted_rekan_exists(demo_org):
    """The planted pool of three heads gives ratees with exactly 2 rekan raters, both submitted."""
    db, s = demo_org.db, demo_org.summary
    full = [n for n in s.two_peer_ratees if one(
        db, "SELECT COUNT(*) FROM assignment WHERE cycle_id = ? AND ratee_nip = ? AND relation = 'rekan' "
            "AND status = 'terkirim'", [s.cycle_id, n]) == 2]
    assert len(full) >= 3


def test_html_comments_are_stored_verbatim(demo_org):
    """The planted comments carrying HTML are stored exactly as typed, once each."""
    texts = Counter(t for t, in demo_org.db.execute("SELECT teks FROM comment"))
    assert [texts[t] for t in HTML_COMMENTS] == [1, 1, 1]


# --- determinism, scale, safety ---------------------------------------------------------------------------

TABLES = ["unit", "pegawai", "assignment", "response", "comment", "demo_truth", "rating_hasil_kerja",
          "rating_perilaku", "predikat_organisasi", "ekspektasi_khusus", "disiplin", "potensi"]


def content(db):
    return {t: db.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in TABLES}


def test_demo_is_deterministic_per_seed():
    """The same seed gives identical tables; another seed gives a different organisation."""
    a, b, c = open_db(":memory:"), open_db(":memory:"), open_db(":memory:")
    generate_demo(a, 120, 7, cycles=1)
    generate_demo(b, 120, 7, cycles=1)
    generate_demo(c, 120, 8, cycles=1)
    assert content(a) == content(b)
    assert [t for t in TABLES if content(a)[t] == content(c)[t]] == []


@pytest.mark.parametrize("pegawai, answers", [(MIN_PEGAWAI, True), (50, True), (5000, False)])
def test_demo_works_from_small_to_large(pegawai, answers):
    """20, 50 and 5,000 pegawai build, with one diri per person and one atasan line per non-top person."""
    db = open_db(":memory:")
    s = generate_demo(db, pegawai, 3, answers=answers, cycles=1)
    assert (s.pegawai, db["pegawai"].count) == (pegawai, pegawai)
    tops = one(db, "SELECT COUNT(*) FROM pegawai WHERE atasan_nip IS NULL")
    assert s.per_relation["diri"] == pegawai
    assert s.per_relation["atasan"] == s.per_relation["bawahan"] == pegawai - tops
    assert (db["response"].count > 0) == answers
    assert s.two_peer_ratees


def test_demo_refuses_a_database_that_holds_data(db):
    """generate_demo never mixes a demo into existing data."""
    generate_demo(db, 50, 1, answers=False, cycles=1)
    with pytest.raises(KinerjaError, match="kosong"):
        generate_demo(db, 50, 1, answers=False, cycles=1)


def test_demo_needs_a_minimum_size(db):
    """Below the minimum the generator refuses rather than build a meaningless organisation."""
    with pytest.raises(KinerjaError, match=str(MIN_PEGAWAI)):
        generate_demo(db, MIN_PEGAWAI - 1, 1, cycles=1)


def test_demo_file_is_only_replaced_when_asked(tmp_path):
    """build_demo_database refuses a non-empty file unless replace=True, then rebuilds it."""
    path = tmp_path / "demo.db"
    db, first = build_demo_database(path, 60, 1, answers=False, cycles=1)
    db.close()
    with pytest.raises(KinerjaError, match="--ganti"):
        build_demo_database(path, 60, 2, answers=False, cycles=1)
    again = open_db(path)
    assert one(again, "SELECT COUNT(*) FROM pegawai") == 60
    before = content(again)
    again.close()
    db, second = build_demo_database(path, 80, 2, answers=False, replace=True, cycles=1)
    assert (second.pegawai, one(db, "SELECT COUNT(*) FROM pegawai"), content(db) != before) == (80, 80, True)
    db.close()


def test_an_interrupted_rebuild_leaves_the_old_database_untouched(tmp_path, monkeypatch):
    """The demo is built beside the target and moved into place only when complete."""
    import kinerja_lib.demo as demo

    path = tmp_path / "demo.db"
    db, _ = build_demo_database(path, 60, 1, answers=False, cycles=1)
    before = content(db)
    db.close()

    def fail(*args, **kwargs):
        raise RuntimeError("listrik padam")

    monkeypatch.setattr(demo, "_simulate_answers", fail)
    with pytest.raises(RuntimeError, match="listrik padam"):
        build_demo_database(path, 80, 2, answers=True, replace=True, cycles=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.db"]
    again = open_db(path)
    assert content(again) == before
    assert again.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    again.close()


def test_a_built_demo_is_in_wal_mode_and_passes_the_integrity_checks(tmp_path):
    db, _ = build_demo_database(tmp_path / "demo.db", 60, 3, cycles=1)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    db.close()
