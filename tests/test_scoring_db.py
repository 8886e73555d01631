"""Scoring end to end from the database: anonymity, the 9 kuadran cells, every distribution rule, storage,
XLSX export and the `kinerja score` command."""

import json

import openpyxl
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from kinerja_lib.cli import main
from kinerja_lib.errors import CycleError
from kinerja_lib.reference import load_instrument
from kinerja_lib.scoring import (
    export_results_xlsx,
    load_agreement,
    load_comments,
    load_responses,
    load_results,
    load_value_results,
    response_rates,
    run_scoring,
)
from kinerja_lib.store import now, open_db

ATAS, SESUAI, BAWAH = "Di Atas Ekspektasi", "Sesuai Ekspektasi", "Di Bawah Ekspektasi"
ITEMS = load_instrument().item_codes
EKO = "199505052020121006"   # rates andi as pihak lain; rated by nobody


def _submit(db, assignment_id, scores, comment=None, mulai="2026-03-01T10:00:00+00:00",
            terkirim="2026-03-01T10:06:00+00:00", status="terkirim"):
    """Store one form: 21 answers (a scalar repeats), an optional comment, and its status."""
    scores = scores if isinstance(scores, list) else [scores] * len(ITEMS)
    db["response"].insert_all([{"assignment_id": assignment_id, "item": item, "score": s, "diperbarui": now()}
                               for item, s in zip(ITEMS, scores)])
    if comment:
        db["comment"].insert({"assignment_id": assignment_id, "jenis": "kekuatan", "teks": comment,
                              "diperbarui": now()})
    db.execute("UPDATE assignment SET status = ?, mulai = ?, terkirim = ? WHERE id = ?",
               [status, mulai, terkirim if status == "terkirim" else None, assignment_id])


def _fill_small_org(db, andi):
    """Everyone submits; the kepala gives 4, peers 1 or 5, bawahan 2, self 3; eko (pihak lain) gives andi 2."""
    cycle_id = db.execute("SELECT id FROM cycle").fetchone()[0]
    db["pegawai"].insert({"nip": EKO, "nama": "Eko Rahasia", "jenis_kelamin": "L", "unit_id": "Dinas Lain",
                          "jabatan": "Analis", "jenis_jabatan": "Pelaksana", "tingkat": 1, "diperbarui": now()})
    eko = db["assignment"].insert({"cycle_id": cycle_id, "rater_nip": EKO, "ratee_nip": andi,
                                   "relation": "lainnya"}).last_pk
    forms = db.execute("SELECT id, rater_nip, ratee_nip, relation FROM assignment WHERE id <> ?", [eko]).fetchall()
    for aid, rater, ratee, rel in forms:
        score = {"atasan": 4, "diri": 3, "bawahan": 2}.get(rel, 1 if rater < ratee else 5)
        _submit(db, aid, score, comment=f"komentar {rel} untuk {ratee}")
    _submit(db, eko, 2, comment="komentar pihak lain yang rahasia")
    db["rating_hasil_kerja"].insert({"cycle_id": cycle_id, "nip": andi, "rating": ATAS, "sumber": "impor",
                                     "diperbarui": now()})


def test_a_group_of_two_peers_is_suppressed_everywhere(small_org, tmp_path):
    """Andi has 2 rekan and 1 pihak lain: neither group appears in his score, per-value rows, self-other
    agreement, comments or the XLSX export, and no stored table or exported cell names a rater who is not
    rated in the cycle."""
    db, andi = small_org.db, small_org.nip["andi"]
    _fill_small_org(db, andi)
    run_scoring(db, small_org.cycle.id)
    row = load_results(db, small_org.cycle.id).set_index("nip").loc[andi]
    assert (row["kelompok_tampil"], row["n_rekan"], row["n_lainnya"], row["skor"], row["predikat"]) == (
        "diri,atasan", 2, 1, 4.0, "Sangat Baik")
    assert row[["rerata_rekan", "rerata_lainnya"]].isna().all()
    values = load_value_results(db, small_org.cycle.id)
    assert set(values.loc[values.nip == andi, "kelompok"]) == {"diri", "atasan", "semua"}
    assert (values.loc[(values.nip == andi) & (values.kelompok == "semua"), "rerata"] == 4.0).all()
    agreement = load_agreement(db, small_org.cycle.id)
    assert (agreement.loc[agreement.nip == andi, "rerata_bukan_diri"] == 4.0).all()
    comments = load_comments(db, small_org.cycle.id)
    assert sorted(comments.loc[comments.ratee == andi, "teks"]) == [
        f"komentar atasan untuk {andi}", f"komentar diri untuk {andi}"]

    stored = " ".join(str(v) for table in ("hasil_skor", "hasil_skor_nilai",
                                           "analysis_run")
                      for r in db.execute(f"SELECT * FROM {table}").fetchall() for v in r)
    assert EKO not in stored
    path = export_results_xlsx(db, small_org.cycle.id, tmp_path / "hasil.xlsx")
    cells = [str(c) for ws in openpyxl.load_workbook(path).worksheets for r in ws.iter_rows(values_only=True)
             for c in r if c is not None]
    assert not any(EKO in c or "Eko" in c or "rahasia" in c for c in cells)
    skor = pd.read_excel(path, sheet_name="Skor 360", dtype={"NIP": str}).set_index("NIP")
    assert skor.loc[andi, "Kelompok Ditampilkan"] == "Diri sendiri, Atasan"
    assert skor.loc[andi, ["Rerata Rekan kerja", "Rerata Pihak lain"]].isna().all()


def test_the_score_workbook_headers_come_from_the_column_vocabulary(small_org, tmp_path):
    """Every header of the score sheets is the column vocabulary's header of the stored column it shows."""
    from kinerja_lib import columns
    from kinerja_lib.hasil import RESULT_COLUMNS

    db, andi = small_org.db, small_org.nip["andi"]
    _fill_small_org(db, andi)
    run_scoring(db, small_org.cycle.id)
    wb = openpyxl.load_workbook(export_results_xlsx(db, small_org.cycle.id, tmp_path / "hasil.xlsx"))
    shown = [c.value for c in wb["Skor 360"][1]]
    # The overall blind-spot mark is shown with the per-value ones on the Kesepakatan Diri sheet.
    stored = ["nip", "nama", "unit_id", *[c for c in RESULT_COLUMNS if c not in ("nip", "dasar_saran", "titik")]]
    assert shown == [columns.header(c) for c in stored]
    agree = [c.value for c in wb["Kesepakatan Diri"][1]]
    assert agree[:2] == ["NIP", "Nama"] and f"{columns.header('selisih')} Keseluruhan" in agree
    assert not any("Lainnya" in h for h in agree)
    assert [c.value for c in wb["Peringatan Distribusi"][1]][:2] == ["Unit", "Predikat Kinerja Organisasi"]


# Kuadran: (Rating Hasil Kerja, Rating Perilaku Kerja) -> Predikat Kinerja (PermenPANRB 6/2022).
KUADRAN = [
    (ATAS, BAWAH, "Kurang/Misconduct"), (ATAS, SESUAI, "Baik"), (ATAS, ATAS, "Sangat Baik"),
    (SESUAI, BAWAH, "Kurang/Misconduct"), (SESUAI, SESUAI, "Baik"), (SESUAI, ATAS, "Baik"),
    (BAWAH, BAWAH, "Sangat Kurang"), (BAWAH, SESUAI, "Butuh Perbaikan"), (BAWAH, ATAS, "Butuh Perbaikan"),
]
PAIR_FOR = {"Sangat Baik": (ATAS, ATAS), "Baik": (SESUAI, SESUAI), "Butuh Perbaikan": (BAWAH, SESUAI),
            "Kurang/Misconduct": (SESUAI, BAWAH), "Sangat Kurang": (BAWAH, BAWAH)}


def _people(db, cycle_id, unit, ratings, start):
    """Add pegawai to ``unit`` with a submitted self-rating and the given (hasil, perilaku) decisions."""
    nips = []
    for k, (hasil, perilaku) in enumerate(ratings):
        nip = f"19800101{start + k:010d}"
        db["pegawai"].insert({"nip": nip, "nama": f"Pegawai {start + k}", "jenis_kelamin": "P", "unit_id": unit,
                              "jabatan": "Pelaksana", "jenis_jabatan": "Pelaksana", "tingkat": 1,
                              "diperbarui": now()})
        aid = db["assignment"].insert({"cycle_id": cycle_id, "rater_nip": nip, "ratee_nip": nip,
                                       "relation": "diri"}).last_pk
        _submit(db, aid, 3)
        for table, rating in (("rating_hasil_kerja", hasil), ("rating_perilaku", perilaku)):
            db[table].insert({"cycle_id": cycle_id, "nip": nip, "rating": rating, "sumber": "impor",
                              "diperbarui": now()})
        nips.append(nip)
    return nips


def test_every_kuadran_cell_gives_its_predikat_from_the_database(open_cycle_db):
    """Nine pegawai, one per kuadran cell, get the regulation's predikat in hasil_skor."""
    db = open_cycle_db
    db["unit"].insert({"id": "Dinas Kuadran", "nama": "Dinas Kuadran", "jenis": "opd"})
    nips = _people(db, 1, "Dinas Kuadran", [(h, p) for h, p, _ in KUADRAN], start=1)
    run_scoring(db, 1)
    got = load_results(db, 1).set_index("nip")[["rating_hasil_kerja", "rating_perilaku", "sumber_rating_perilaku",
                                                "predikat"]]
    assert got.loc[nips].values.tolist() == [[h, p, "keputusan", pred] for h, p, pred in KUADRAN]


def _unit(**counts):
    names = {"SB": "Sangat Baik", "B": "Baik", "BP": "Butuh Perbaikan", "K": "Kurang/Misconduct",
             "SK": "Sangat Kurang"}
    return [names[k] for k, n in counts.items() for _ in range(n)]


# (Predikat Kinerja Organisasi, composition of the OPD, rules broken) - SE MenPANRB 3/2023.
DISTRIBUTION = [
    ("Istimewa", _unit(SB=8, B=2), ["Sangat Baik paling banyak 70%"]),
    ("Istimewa", _unit(SB=7, B=3), []),
    ("Baik", _unit(SB=1, B=8, BP=1), ["Baik paling banyak 70%"]),
    ("Baik", _unit(SB=3, B=7), ["Butuh Perbaikan + Kurang/Misconduct paling sedikit 1 orang"]),
    ("Butuh Perbaikan", _unit(BP=5, B=4, SB=1), ["Butuh Perbaikan paling sedikit 60%"]),
    ("Butuh Perbaikan", _unit(BP=6, B=2, SB=2), ["Sangat Baik paling banyak 10%"]),
    ("Kurang", _unit(K=6, BP=1, B=2, SB=1), []),
    ("Kurang", _unit(K=5, B=4, SB=1), ["Kurang/Misconduct paling sedikit 60%", "Butuh Perbaikan paling sedikit 10%"]),
    ("Kurang", _unit(K=6, BP=1, SB=3), ["Sangat Baik paling banyak 10%"]),
    ("Sangat Kurang", _unit(SK=6, K=1, B=2, SB=1), ["Sangat Baik paling banyak 0%"]),
    ("Sangat Kurang", _unit(SK=5, B=5), ["Sangat Kurang paling sedikit 60%",
                                         "Kurang/Misconduct + Butuh Perbaikan paling sedikit 10%"]),
]


def test_every_distribution_rule_is_checked_per_opd_from_the_database(open_cycle_db):
    """Each OPD (people in its bidang included) is checked against its Predikat Kinerja Organisasi; each
    broken rule becomes one warning with the share; nothing is blocked."""
    db = open_cycle_db
    start = 100
    for k, (org, composition, _) in enumerate(DISTRIBUTION):
        opd = f"Dinas {k:02d}"
        db["unit"].insert_all([{"id": opd, "nama": opd, "jenis": "opd"},
                               {"id": f"{opd} / Bidang", "nama": "Bidang", "induk_id": opd, "jenis": "bidang"}])
        db["predikat_organisasi"].insert({"cycle_id": 1, "unit_id": opd, "predikat": org})
        half = len(composition) // 2
        _people(db, 1, opd, [PAIR_FOR[p] for p in composition[:half]], start)
        _people(db, 1, f"{opd} / Bidang", [PAIR_FOR[p] for p in composition[half:]], start + half)
        start += 100
    report = run_scoring(db, 1)
    warned = report.warnings.groupby("unit")["aturan"].apply(list).to_dict()
    assert {f"Dinas {k:02d}": warned.get(f"Dinas {k:02d}", []) for k in range(len(DISTRIBUTION))} == {
        f"Dinas {k:02d}": broken for k, (_, _, broken) in enumerate(DISTRIBUTION)}
    first = report.warnings.iloc[0]
    assert (first["proporsi_aktual"], first["jumlah"], first["total"]) == (0.8, 8, 10)
    assert len(load_results(db, 1)) == sum(len(c) for _, c, _ in DISTRIBUTION)


def test_results_carry_the_settings_and_a_rerun_replaces_them(small_org):
    """Each run writes an analysis_run row with the cycle's settings; re-running replaces the cycle's rows."""
    db, cycle_id = small_org.db, small_org.cycle.id
    _fill_small_org(db, small_org.nip["andi"])
    first = run_scoring(db, cycle_id).run_id
    second = run_scoring(db, cycle_id).run_id
    results = load_results(db, cycle_id)
    assert (second > first, len(results), set(results["analysis_run_id"])) == (True, 5, {second})
    method = json.loads(db.execute("SELECT settings FROM analysis_run WHERE id = ?", [second]).fetchone()[0])
    assert method["metode"] == small_org.cycle.settings
    assert method["model"]["n_obs"] > 0


@pytest.mark.parametrize("bad", ["values", "results"])
def test_results_refer_to_pegawai_or_nothing_is_replaced(small_org, bad):
    """The results are replaced without SQLite's per-row foreign-key lookups and checked before the commit: a row
    whose nip is no pegawai raises, the stored results stay those of the last run, and foreign keys are on
    again afterwards."""
    import sqlite3

    from kinerja_lib import hasil
    from kinerja_lib.scoring import save_results

    db, cycle_id = small_org.db, small_org.cycle.id
    _fill_small_org(db, small_org.nip["andi"])
    report = run_scoring(db, cycle_id)
    before = (load_results(db, cycle_id), hasil.load_value_table(db, cycle_id))
    frame = getattr(report, bad)
    setattr(report, bad, frame.assign(nip=frame["nip"].where(frame.index != 0, "199912312099121999")))
    with pytest.raises(sqlite3.IntegrityError, match="missing pegawai"):
        save_results(db, cycle_id, report)
    pd.testing.assert_frame_equal(load_results(db, cycle_id), before[0])
    pd.testing.assert_frame_equal(hasil.load_value_table(db, cycle_id), before[1])
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    setattr(report, bad, frame)
    assert save_results(db, cycle_id, report) > report.run_id


def test_only_active_submitted_forms_are_scored(small_org):
    """Drafts and removed assignments contribute nothing; competency items load separately."""
    db, org = small_org.db, small_org
    _submit(db, org.assignment[("kepala", "andi")], 4)
    _submit(db, org.assignment[("budi", "andi")], 1, status="draf")
    _submit(db, org.assignment[("citra", "andi")], 2)
    db.execute("UPDATE assignment SET aktif = 0, alasan_hapus = 'salah relasi' WHERE id = ?",
               [org.assignment[("citra", "andi")]])
    db["response"].insert({"assignment_id": org.assignment[("kepala", "andi")], "item": "K01", "score": 3,
                           "diperbarui": now()})
    responses = load_responses(db, org.cycle.id)
    assert (responses["rater"].astype(str).unique().tolist(), len(responses)) == ([org.nip["kepala"]], 21)
    competency = load_responses(db, org.cycle.id, items="kompetensi")
    assert competency[["item", "score"]].astype(str).values.tolist() == [["K01", "3.0"]]


def test_response_rates_per_opd_and_relation(small_org):
    """Completion counts active assignments per rater's OPD and relation."""
    db, org = small_org.db, small_org
    _submit(db, org.assignment[("kepala", "andi")], 4)
    _submit(db, org.assignment[("andi", "budi")], 4, status="draf")
    rates = response_rates(db, org.cycle.id).set_index(["opd", "relation"])
    assert rates.loc[("Dinas Uji", "atasan")].tolist() == [3, 1, 0, 2, 1 / 3]
    assert rates.loc[("Dinas Uji", "rekan")].tolist() == [6, 0, 1, 5, 0.0]


def test_a_cycle_without_submitted_forms_cannot_be_scored(small_org):
    """Scoring an empty cycle is refused with a clear message."""
    with pytest.raises(CycleError, match="belum punya formulir terkirim"):
        run_scoring(small_org.db, small_org.cycle.id)


def test_kinerja_score_command_stores_and_exports(small_org_path, tmp_path):
    """`kinerja score --xlsx` scores the open cycle, reports suppression and writes the workbook."""
    db = open_db(small_org_path)
    _fill_small_org(db, db.execute("SELECT nip FROM pegawai WHERE nama LIKE 'Andi%'").fetchone()[0])
    db.close()
    out = tmp_path / "skor.xlsx"
    result = CliRunner().invoke(main, ["--db", str(small_org_path), "score", "--xlsx", str(out)])
    assert result.exit_code == 0, result.output
    assert "4 dari 5 pegawai mendapat skor 360" in result.output
    assert "Disembunyikan karena penilai kurang dari minimal (anonimitas): rekan pada 3 pegawai" in result.output
    settings = pd.read_excel(out, sheet_name="Pengaturan").set_index("Pengaturan")["Nilai"]
    assert settings["metode.minimal_penilai.rekan"] == 3
    again = CliRunner().invoke(main, ["--db", str(small_org_path), "score", "--cycle", "999"])
    assert again.exit_code == 2 and "tidak ditemukan" in again.output


def test_the_answer_matrix_and_its_long_table_give_the_same_report(demo_scored):
    """analyse scores the matrix run_scoring reads exactly as the long table it unfolds into."""
    from kinerja_lib.responses import load_answer_matrix
    from kinerja_lib.scoring import analyse

    db, cycle = demo_scored.db, demo_scored.report.cycle
    matrix = load_answer_matrix(db, cycle.id, ITEMS)
    from_matrix = analyse(matrix, cycle.settings, timings=matrix.timings())
    from_long = analyse(matrix.to_long(), cycle.settings, timings=matrix.timings())
    for name in ("results", "scores", "by_value", "agreement", "reliability", "rater_bias", "quality",
                 "distribution"):
        pd.testing.assert_frame_equal(getattr(from_matrix, name), getattr(from_long, name), obj=name)
    pd.testing.assert_frame_equal(matrix.to_long(), load_responses(db, cycle.id))


def test_a_cycle_analysed_from_its_long_table_in_any_row_order_gives_the_same_report(demo_scored):
    """The analysis takes the answers as forms x items whatever shape they come in: the 300-pegawai demo's long
    table with its rows shuffled (forms interleaved, items out of order) gives every table of the report."""
    from kinerja_lib.responses import load_answer_matrix
    from kinerja_lib.scoring import analyse

    db, cycle = demo_scored.db, demo_scored.report.cycle
    matrix = load_answer_matrix(db, cycle.id, ITEMS)
    whole = analyse(matrix, cycle.settings, timings=matrix.timings())
    shuffled = matrix.to_long().sample(frac=1.0, random_state=1, ignore_index=True)
    assert not shuffled["rater"].head(50).is_monotonic_increasing
    again = analyse(shuffled, cycle.settings, timings=matrix.timings())
    for name in ("results", "scores", "by_value", "agreement", "reliability", "quality", "distribution"):
        pd.testing.assert_frame_equal(getattr(again, name), getattr(whole, name), check_exact=False, rtol=1e-9,
                                      obj=name)
    # The bias model lists its raters in the order it meets them.
    pd.testing.assert_frame_equal(again.rater_bias.sort_values("rater", ignore_index=True),
                                  whole.rater_bias.sort_values("rater", ignore_index=True), check_exact=False,
                                  rtol=1e-9)

def test_the_stored_results_read_back_as_the_analysis_gave_them(demo_scored):
    """What run_scoring stored on the 300-pegawai demo reads back row for row: the per-value figures (stored one
    row per value, read in long form), the self-other agreement and the scores."""
    db, report = demo_scored.db, demo_scored.report
    cycle_id = report.cycle.id
    given = report.by_value.sort_values(["nip", "nilai", "kelompok"], ignore_index=True)
    stored = load_value_results(db, cycle_id)
    assert set(stored["analysis_run_id"]) == {report.run_id} and len(stored) > 5_000
    pd.testing.assert_frame_equal(stored[["nip", "nilai", "kelompok", "n", "rerata"]],
                                  given[["nip", "nilai", "kelompok", "n", "rerata"]].astype({"n": "int64"}),
                                  check_dtype=False)
    assert set(stored["kelompok"]) == {"diri", "atasan", "rekan", "bawahan", "semua"}
    agreement = load_agreement(db, cycle_id)
    mine = report.agreement.sort_values(["nip", "nilai"], ignore_index=True)
    pd.testing.assert_frame_equal(agreement[["nip", "nilai", "diri", "rerata_bukan_diri", "selisih"]],
                                  mine[["nip", "nilai", "diri", "rerata_bukan_diri", "selisih"]], check_dtype=False)
    scores = load_results(db, cycle_id)
    pd.testing.assert_series_equal(scores["skor"], report.results.sort_values("nip", ignore_index=True)["skor"],
                                   check_names=False)


def test_two_connections_read_the_answers_one_connection_reads(demo_scored, monkeypatch):
    """A city's answers are read by two connections at once: the matrix is the one a single connection reads,
    and both hold exactly the submitted answers a plain per-answer query returns; when the cycle changes
    between the two connections' snapshots the first one reads everything itself."""
    from kinerja_lib import responses
    from kinerja_lib.responses import load_answer_matrix

    db, cycle_id = demo_scored.db, demo_scored.report.cycle.id
    monkeypatch.setattr(responses, "_PARALLEL_FORMS", 10**9)
    single = load_answer_matrix(db, cycle_id, ITEMS)
    helpers = []
    real = responses._HalfReader

    class Counted(real):
        def join(self):
            rows = super().join()
            helpers.append(rows)
            return rows

    monkeypatch.setattr(responses, "_HalfReader", Counted)
    monkeypatch.setattr(responses, "_PARALLEL_FORMS", 100)
    split = load_answer_matrix(db, cycle_id, ITEMS)
    assert helpers == [True]
    monkeypatch.setattr(responses, "data_version", lambda db, cycle: -1)   # the helper then sees another counter
    fallback = load_answer_matrix(db, cycle_id, ITEMS)
    assert helpers == [True, False]

    # The oracle: one row per submitted answer, placed by assignment and item.
    ids = {(r, t): i for i, t, r in db.execute(
        "SELECT id, ratee_nip, rater_nip FROM assignment WHERE cycle_id = ? AND aktif = 1 AND status = 'terkirim'",
        [cycle_id]).fetchall()}
    answers = {(a, i): s for a, i, s in db.execute(
        "SELECT r.assignment_id, r.item, r.score FROM response r JOIN assignment a ON a.id = r.assignment_id "
        "WHERE a.cycle_id = ? AND a.aktif = 1 AND a.status = 'terkirim'", [cycle_id]).fetchall() if i in ITEMS}
    form_id = [ids[(single.raters[r], single.ratees[t])] for r, t in zip(single.rater, single.ratee)]
    assert sorted(form_id) == form_id and set(form_id) == {a for a, _ in answers}
    for f, a in enumerate(form_id[::97]):
        for i, item in enumerate(single.items):
            f_all = form_id.index(a)
            assert single.present[i, f_all] == ((a, item) in answers)
            want = answers.get((a, item))
            got = single.scores[i, f_all]
            assert (np.isnan(got) and want is None) or got == want
    assert int(single.present.sum()) == len(answers) and np.isnan(single.scores[single.present]).any()
    for other in (split, fallback):
        for name in ("ratee", "rater", "relation", "scores", "present", "mulai", "terkirim"):
            np.testing.assert_array_equal(getattr(other, name), getattr(single, name), err_msg=name)
        for name in ("ratees", "raters", "relations", "items"):
            pd.testing.assert_index_equal(getattr(other, name), getattr(single, name))


def test_the_forms_identifiers_read_in_batches_are_coded_as_in_one_pass(demo_scored, monkeypatch):
    """The forms' NIPs and relations are kept as compact text batch by batch and coded at the end: with batches of
    7 forms the codes and labels are those of one batch, the labels in the order the forms' ids first meet them
    (a plain query is the oracle)."""
    from kinerja_lib import responses
    from kinerja_lib.responses import load_answer_matrix

    db, cycle_id = demo_scored.db, demo_scored.report.cycle.id
    whole = load_answer_matrix(db, cycle_id, ITEMS)
    monkeypatch.setattr(responses, "_BATCH", 7)
    batched = load_answer_matrix(db, cycle_id, ITEMS)
    for name in ("ratee", "rater", "relation", "scores", "present"):
        np.testing.assert_array_equal(getattr(batched, name), getattr(whole, name), err_msg=name)
    rows = db.execute("SELECT ratee_nip, rater_nip, relation FROM assignment WHERE cycle_id = ? AND aktif = 1 "
                      "AND status = 'terkirim' ORDER BY id", [cycle_id]).fetchall()
    for k, (name, labels) in enumerate((("ratee", "ratees"), ("rater", "raters"), ("relation", "relations"))):
        first_seen = list(dict.fromkeys(r[k] for r in rows))
        assert list(getattr(batched, labels)) == first_seen
        assert list(getattr(batched, labels)[getattr(batched, name)]) == [r[k] for r in rows]


def test_scoring_leaves_the_write_ahead_log_to_this_process_and_its_commits_visible(small_org_path, monkeypatch):
    """After kinerja score read and stored in this process, another process opening and closing the database
    (a form server's connection) must not take the write-ahead log from under this process's connection, and
    what this connection commits next is seen by others. (A second SQLite library in the process, as a bundled
    database driver is, released this connection's locks and lost those commits.)"""
    import subprocess
    import sys
    from pathlib import Path

    from kinerja_lib import responses
    from kinerja_lib.store import audit, write_transaction

    monkeypatch.setattr(responses, "_PARALLEL_FORMS", 1)   # the two-connection read too
    db = open_db(small_org_path)
    cycle_id = db.execute("SELECT id FROM cycle ORDER BY id DESC").fetchone()[0]
    _fill_small_org(db, db.execute("SELECT nip FROM pegawai ORDER BY nip").fetchone()[0])
    run_scoring(db, cycle_id)
    other = [sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
             "print(c.execute('SELECT count(*) FROM audit_log').fetchone()[0]); c.close()", str(small_org_path)]
    subprocess.run(other, check=True, capture_output=True)
    assert Path(f"{small_org_path}-wal").exists()
    before = int(db.execute("SELECT count(*) FROM audit_log").fetchone()[0])
    with write_transaction(db):
        audit(db, "uji", "cek_wal")
    seen = subprocess.run(other, check=True, capture_output=True, text=True).stdout.strip()
    assert int(seen) == before + 1


def test_a_database_whose_path_has_spaces_hashes_and_percents_is_read_and_written(demo_scored, tmp_path):
    """The Arrow reader opens the file by URI and the writer by name: a folder such as 'Data #2 (100%)?' holds
    the same database, scored to the same results (it once read an empty database, as '#' ends a URI)."""
    import sqlite3

    from kinerja_lib.scoring import run_scoring

    folder = tmp_path / "Data #2 (100%)?"
    folder.mkdir()
    target = sqlite3.connect(folder / "kota kinerja.db")
    source = sqlite3.connect(demo_scored.path)
    source.backup(target)
    source.close()
    target.close()
    db = open_db(folder / "kota kinerja.db")
    report = run_scoring(db, demo_scored.report.cycle.id)
    stored = load_results(db, report.cycle.id)
    pd.testing.assert_series_equal(stored["skor"], load_results(demo_scored.db, report.cycle.id)["skor"])
    assert stored["analysis_run_id"].eq(report.run_id).all() and len(stored) == len(demo_scored.report.results)


def test_form_times_are_read_with_their_offsets_and_an_unreadable_time_is_unknown(small_org):
    """The reader takes each form's first save and submission as numbers computed by SQLite: a time written with
    another offset is the same instant, a text that is no time (or none at all) is unknown, never a guess, and
    the speed check then does not judge that form."""
    from conftest import answer_everything

    from kinerja_lib.responses import load_answer_matrix
    from kinerja_lib.scoring import analyse

    db, org = small_org.db, small_org
    answer_everything(db, org, "2026-03-01T03:00:30+00:00")
    times = {("kepala", "andi"): "2026-03-01T10:00:00+07:00",     # 30 s before 03:00:30 UTC: too fast for 21 items
             ("kepala", "budi"): "2026-03-01T09:55:30+07:00",     # five minutes
             ("kepala", "citra"): "kemarin sore",                 # not a time
             ("andi", "kepala"): None}
    for (rater, ratee), mulai in times.items():
        db.execute("UPDATE assignment SET mulai = ? WHERE id = ?", [mulai, org.assignment[(rater, ratee)]])
    matrix = load_answer_matrix(db, org.cycle.id, ITEMS)
    timings = matrix.timings()
    quality = analyse(matrix, org.cycle.settings, timings=timings).quality.set_index(["rater", "ratee"])
    nip = org.nip
    seconds = {pair: quality.loc[(nip[pair[0]], nip[pair[1]]), "durasi_detik"] for pair in times}
    assert seconds[("kepala", "andi")] == 30.0 and seconds[("kepala", "budi")] == 300.0
    assert np.isnan(seconds[("kepala", "citra")]) and np.isnan(seconds[("andi", "kepala")])
    assert bool(quality.loc[(nip["kepala"], nip["andi"]), "cepat"])
    assert not bool(quality.loc[(nip["kepala"], nip["budi"]), "cepat"])
    assert quality.loc[(nip["kepala"], nip["citra"]), "cepat"] is pd.NA
    # The same instants as pandas reads the stored texts.
    stored = pd.to_datetime(pd.Series([times[("kepala", "andi")]]), utc=True, format="ISO8601")
    row = timings[(timings["rater"] == nip["kepala"]) & (timings["ratee"] == nip["andi"])]
    assert row["mulai"].iloc[0] == stored.iloc[0]
