"""Decisions you can defend: the adjusted score the group weights shape, the predikat status, and the rules'
sources, each checked by hand or against planted truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from kinerja_lib import importers, predikat
from kinerja_lib.reference import load_distribution_guide
from kinerja_lib.scoring import analyse, score_responses

REF = Path(__file__).resolve().parent.parent / "data" / "referensi"


def _simulated(seed=4, n=240, bawahan_effect=0.5, atasan_effect=-0.2, with_bawahan=0.3):
    """Ratees with a true level, 1 atasan, 4 rekan from a shared pool and, for some, 3 bawahan (lenient)."""
    rng = np.random.default_rng(seed)
    truth = rng.normal(3.2, 0.45, n)
    lenient: dict[str, float] = {}
    rows = []
    for i in range(n):
        raters = [("atasan", f"S{i // 6}", atasan_effect), *[("rekan", f"R{j}", 0.0)
                                                              for j in rng.choice(n, 4, replace=False) if j != i]]
        if i < with_bawahan * n:
            raters += [("bawahan", f"B{i}-{k}", bawahan_effect) for k in range(3)]
        for rel, rater, effect in raters:
            leniency = lenient.setdefault(rater, float(rng.normal(0, 0.3)))
            score = truth[i] + effect + leniency + rng.normal(0, 0.3)
            rows.append((f"P{i:03d}", rater, rel, "B1.1", score))
    return pd.DataFrame(rows, columns=["ratee", "rater", "relation", "item", "score"]), pd.Series(
        truth, index=[f"P{i:03d}" for i in range(n)])


def test_group_weights_shape_the_adjusted_score_person_by_person():
    """Raising the atasan weight moves each person's adjusted score towards their atasan's corrected view:
    by different amounts for different people (not one shift for all), and not at all for someone rated by
    atasan and rekan who agree."""
    responses, _ = _simulated()
    low = score_responses(responses, {"bobot": {"atasan": 0.1, "rekan": 0.3, "bawahan": 0.2}}).set_index("nip")
    high = score_responses(responses, {"bobot": {"atasan": 0.9, "rekan": 0.3, "bawahan": 0.2}}).set_index("nip")
    shift = (high["skor_adj"] - low["skor_adj"]).dropna()
    assert shift.std() > 0.05
    assert shift.abs().max() > 0.2


def test_adjusted_score_is_not_moved_by_which_groups_rated_a_person():
    """Planted lenient bawahan (+0.8) and strict atasan (-0.2): the raw score of people with bawahan is lifted
    against the truth (by 0.2 in expectation); the adjusted score's error is the same with or without bawahan
    (within 0.05)."""
    responses, truth = _simulated(n=480, bawahan_effect=0.8)
    settings = {"bobot": {"atasan": 0.4, "rekan": 0.3, "bawahan": 0.2}}
    out = score_responses(responses, settings).set_index("nip")
    has = out["kelompok_tampil"].str.contains("bawahan")
    # the truth on the score's scale: the weighted mean of the planted group effects is the reference level
    level = (0.4 * -0.2 + 0.3 * 0.0 + 0.2 * 0.8) / 0.9
    raw = out["skor"] - truth
    adj = out["skor_adj"] - (truth + level)
    assert raw[has].mean() - raw[~has].mean() > 0.1
    assert abs(adj[has].mean() - adj[~has].mean()) < 0.05


def test_adjusted_score_interval_covers_the_truth_at_its_nominal_rate():
    """On the simulated design the 95% interval of the adjusted score holds the truth 92-98% of the time."""
    responses, truth = _simulated(n=400, seed=9)
    out = score_responses(responses, {"bobot": {"atasan": 0.4, "rekan": 0.3, "bawahan": 0.2}}).set_index("nip")
    level = (0.4 * -0.2 + 0.2 * 0.5) / 0.9
    inside = (out["skor_adj"] - truth - level).abs() <= 1.96 * out["skor_adj_se"]
    assert 0.92 <= inside.mean() <= 0.98


@pytest.mark.parametrize("decided, status", [({"X": "Sesuai Ekspektasi"}, "ditetapkan"), ({}, "sementara")])
def test_predikat_status_says_whether_it_rests_on_a_decision(decided, status):
    """The predikat from the Pejabat Penilai's recorded Rating Perilaku is ditetapkan; from the suggestion,
    sementara; without a Rating Hasil Kerja there is no predikat and no status."""
    responses = pd.DataFrame({"ratee": ["X"] * 4 + ["Y"] * 4, "rater": ["a", "b", "c", "d"] * 2,
                              "relation": ["atasan", "rekan", "rekan", "rekan"] * 2, "item": "B1.1",
                              "score": [4, 3, 3, 4, 3, 3, 3, 3]})
    rep = analyse(responses, hasil_kerja={"X": "Sesuai Ekspektasi"}, keputusan=decided)
    got = rep.results.set_index("nip")
    assert (got.loc["X", "predikat"], got.loc["X", "status_predikat"]) == ("Baik", status)
    assert got.loc["Y", "predikat"] is None and got.loc["Y", "status_predikat"] is None


# --- distribution guide -----------------------------------------------------------------------------

@pytest.mark.parametrize("org, counts, broken", [
    ("Istimewa", {"Sangat Baik": 5, "Baik": 5}, ["Sangat Baik sebagian besar (lebih dari 50%)"]),
    ("Istimewa", {"Sangat Baik": 6, "Baik": 4}, []),
    ("Istimewa", {"Sangat Baik": 8, "Baik": 2}, ["Sangat Baik paling banyak 70%"]),
    ("Baik", {"Baik": 5, "Sangat Baik": 4, "Butuh Perbaikan": 1}, ["Baik sebagian besar (lebih dari 50%)"]),
    ("Baik", {"Baik": 6, "Sangat Baik": 3, "Butuh Perbaikan": 1}, []),
    ("Butuh Perbaikan (Cukup)", {"Butuh Perbaikan": 6, "Baik": 4}, []),
])
def test_most_means_more_than_half_for_istimewa_and_baik(org, counts, broken):
    """SE MenPANRB 3/2023: 'sebagian besar' Sangat Baik (Istimewa) / Baik (Baik) is more than half, at most 70%;
    the label 'Butuh Perbaikan (Cukup)' is accepted."""
    found = predikat.check_distribution(org, [k for k, n in counts.items() for _ in range(n)])
    assert [v.rule for v in found] == broken


def test_unit_head_whose_rating_differs_from_the_unit_is_warned(open_cycle_db):
    """A head of a 'Baik' unit with Rating Hasil Kerja Di Atas gets a warning naming both; a matching head none."""
    db = open_cycle_db
    stamp = "2026-01-01T00:00:00+00:00"
    db["unit"].insert_all([{"id": "Dinas X", "nama": "Dinas X", "induk_id": None, "jenis": "opd"},
                           {"id": "Dinas Y", "nama": "Dinas Y", "induk_id": None, "jenis": "opd"}])
    heads = {"197001011995031001": "Dinas X", "197001011995031002": "Dinas Y"}
    db["pegawai"].insert_all([{"nip": nip, "nama": f"Kepala {u}", "jenis_kelamin": "L", "unit_id": u,
                               "jabatan": f"Kepala {u}", "jenis_jabatan": "JPT Pratama", "tingkat": 5,
                               "kepala_unit": 1, "aktif": 1, "diperbarui": stamp} for nip, u in heads.items()])
    db["predikat_organisasi"].insert_all([{"cycle_id": 1, "unit_id": u, "predikat": "Baik"} for u in heads.values()])
    db["rating_hasil_kerja"].insert_all([
        {"cycle_id": 1, "nip": "197001011995031001", "rating": "Di Atas Ekspektasi", "sumber": "impor", "diperbarui": stamp},
        {"cycle_id": 1, "nip": "197001011995031002", "rating": "Sesuai Ekspektasi", "sumber": "impor", "diperbarui": stamp}])
    assert importers.head_rating_warnings(db, 1) == [
        "Peringatan: Kepala Dinas X (197001011995031001) memimpin Dinas X yang berpredikat Baik; Rating Hasil "
        "Kerja pimpinan unit lazimnya Sesuai Ekspektasi (capaian unit, SE MenPANRB 3/2023), tercatat Di Atas "
        "Ekspektasi."]


# --- every rule names its source ----------------------------------------------------------------------

def test_every_award_rule_names_its_source_and_local_policy_says_so():
    """Every condition, follow-up, improvement window and the Satyalancana, fairness and talent rules carry a
    source; the exclusion for an active sedang/berat penalty is labelled local policy (no PP 94/2021 clause)."""
    data = yaml.safe_load((REF / "penghargaan.yaml").read_text(encoding="utf-8"))
    sources = [s["sumber"] for a in data["penghargaan"] for s in a["syarat"]]
    sources += [t["sumber"] for t in data["tindak_lanjut"]] + [w["sumber"] for w in data["masa_perbaikan"]]
    sources += [data["satyalancana"]["sumber"], data["satyalancana"]["sumber_cltn"], data["keadilan"]["sumber"],
                data["kotak_talenta"]["sumber"]]
    assert all(isinstance(s, str) and s.strip() for s in sources)
    penalty = [s["sumber"] for a in data["penghargaan"] for s in a["syarat"] if s["jenis"] == "tanpa_hukuman_disiplin_aktif"]
    assert penalty and all(s.startswith("kebijakan lokal") for s in penalty)
    assert [w["jenis_jabatan"] for w in data["masa_perbaikan"]][0] == ["Administrator", "Pengawas", "Pelaksana", "JF"]


def test_jpm_cut_offs_cite_bkn_and_the_360_figure_is_an_estimate():
    """pengembangan.yaml cites Peraturan BKN 26/2019 for the JPM categories and calls the 360 figure an estimate."""
    data = yaml.safe_load((REF / "pengembangan.yaml").read_text(encoding="utf-8"))
    cited = " ".join(data["sumber"])
    assert "Peraturan BKN Nomor 26 Tahun 2019" in cited and "perkiraan" in cited


def test_suggestion_thresholds_are_the_midpoints_between_the_scale_anchors():
    """metode.yaml's Rating Perilaku boundaries sit halfway between the anchors 2-3 and 3-4 of skala.yaml."""
    method = yaml.safe_load((REF / "metode.yaml").read_text(encoding="utf-8"))["ambang_rating_perilaku"]
    scale = yaml.safe_load((REF / "skala.yaml").read_text(encoding="utf-8"))["label"]
    assert scale[3] == "Sesuai ekspektasi"
    assert (method["di_atas"], method["di_bawah"]) == ((3 + 4) / 2, (2 + 3) / 2)
    assert load_distribution_guide().canonical("butuh perbaikan (cukup)") == "Butuh Perbaikan"
