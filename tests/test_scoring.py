"""The scoring engine: group means, the anonymity rule, weights, per-value figures, suggestions, predikat,
distribution, self-other agreement, and recovery of the demo's planted truths."""

import numpy as np
import pandas as pd
import pytest

from kinerja_lib.scoring import (
    rating_perilaku_suggestion,
    analyse,
    distribution_by_unit,
    predikat_series,
    score_by_value,
    score_responses,
    self_other_agreement,
    suggest_rating_perilaku,
)

ATAS, SESUAI, BAWAH = "Di Atas Ekspektasi", "Sesuai Ekspektasi", "Di Bawah Ekspektasi"
GROUPS = ["diri", "atasan", "rekan", "bawahan", "lainnya"]


def _one_ratee(**groups):
    """One ratee 'X'; each group maps to a list of per-rater scores on item B1.1."""
    rows = [("X", f"{g}{k}" if g != "diri" else "X", g, "B1.1", s)
            for g, scores in groups.items() for k, s in enumerate(scores)]
    return pd.DataFrame(rows, columns=["ratee", "rater", "relation", "item", "score"])


def test_result_has_the_contract_columns():
    """One row per ratee, under hasil_skor's names: nip, n_/rerata_ per group, kelompok_tampil, skor, skor_se,
    skor_adj, skor_adj_se."""
    out = score_responses(_one_ratee(atasan=[4], rekan=[3, 3, 3]))
    assert list(out.columns) == ["nip", *[f"n_{g}" for g in GROUPS], *[f"rerata_{g}" for g in GROUPS],
                                 "kelompok_tampil", "skor", "skor_se", "skor_adj", "skor_adj_se"]


@pytest.mark.parametrize("groups, shown, score", [
    # all groups shown: (.4*4 + .3*3 + .2*5) / .9
    ({"atasan": [4], "rekan": [3, 3, 3], "bawahan": [5, 5, 5]}, "atasan,rekan,bawahan", 3.5 / 0.9),
    # 2 peers: dropped, weights re-normalised over atasan and bawahan
    ({"atasan": [4], "rekan": [5, 5], "bawahan": [2, 2, 2]}, "atasan,bawahan", 2.0 / 0.6),
    # dropped peers are never folded into the others: the score is the atasan's alone
    ({"atasan": [4], "rekan": [1, 1]}, "atasan", 4.0),
    # self is shown but never part of the score
    ({"diri": [5], "atasan": [2]}, "diri,atasan", 2.0),
    ({"diri": [5]}, "diri", np.nan),
    ({"rekan": [2, 3, 4]}, "rekan", 3.0),
    ({"atasan": [4], "lainnya": [1, 1, 1]}, "atasan,lainnya", 1.7 / 0.5),
    ({"atasan": [4], "bawahan": [1, 1]}, "atasan", 4.0),
])
def test_score_is_the_weighted_mean_of_shown_groups(groups, shown, score):
    """Score = sum(w_g * mean_g) / sum(w_g) over shown non-self groups (bobot .4/.3/.2/.1); rekan, bawahan
    and lainnya need 3 raters, atasan and diri 1."""
    row = score_responses(_one_ratee(**groups)).iloc[0]
    assert row["kelompok_tampil"] == shown
    assert row["skor"] == pytest.approx(score, nan_ok=True)


def test_tidak_dapat_menilai_is_missing_and_never_a_score():
    """A rater whose every answer is 'tidak dapat menilai' is not counted; NaN never lowers a mean."""
    base = _one_ratee(atasan=[4], rekan=[3, 3, np.nan])
    row = score_responses(base).iloc[0]
    assert (row["n_rekan"], row["kelompok_tampil"], row["skor"]) == (2, "atasan", 4.0)
    row = score_responses(_one_ratee(atasan=[4], rekan=[3, 3, 3, np.nan])).iloc[0]
    assert (row["n_rekan"], row["rerata_rekan"]) == (3, 3.0)


def test_group_mean_weighs_every_rater_equally():
    """The group mean is the mean of each rater's own mean, however many items each answered."""
    df = pd.DataFrame([
        ("X", "a", "rekan", "B1.1", 5), ("X", "a", "rekan", "B1.2", 5), ("X", "a", "rekan", "B1.3", 5),
        ("X", "b", "rekan", "B1.1", 1), ("X", "b", "rekan", "B1.2", np.nan),
        ("X", "c", "rekan", "B1.1", 3),
    ], columns=["ratee", "rater", "relation", "item", "score"])
    assert score_responses(df).loc[0, "rerata_rekan"] == 3.0


def test_weights_and_minimums_come_from_the_settings():
    """Custom bobot and minimal_penilai change the score and what is shown."""
    df = _one_ratee(atasan=[4], rekan=[2, 2])
    row = score_responses(df, {"minimal_penilai": {"rekan": 2}, "izinkan_minimal_di_bawah_3": True,
                               "bobot": {"atasan": 1, "rekan": 1}}).iloc[0]
    assert (row["kelompok_tampil"], row["skor"]) == ("atasan,rekan", 3.0)


def _city(seed=4, n=60):
    """Integer 1-5 ratings: n ratees, 1 atasan, 3 rekan and self each, raters shared across ratees."""
    rng = np.random.default_rng(seed)
    truth = rng.normal(3.3, 0.6, n)
    lenient = rng.normal(0, 0.4, n)
    rows = []
    for i in range(n):
        raters = [(f"p{i}", "diri"), (f"p{(i // 6) * 6}" if i % 6 else f"p{(i + 6) % n}", "atasan")]
        raters += [(f"p{(i + k) % n}", "rekan") for k in (1, 2, 3) if (i + k) % n != (i // 6) * 6]
        for rater, rel in raters:
            j = int(rater[1:])
            for item in ("B1.1", "B1.2", "B2.1", "B5.1"):
                rows.append((f"p{i}", rater, rel, item,
                             float(np.clip(np.rint(truth[i] + lenient[j] + rng.normal(0, 0.6)), 1, 5))))
    return pd.DataFrame(rows, columns=["ratee", "rater", "relation", "item", "score"])


def test_a_group_under_its_minimum_leaves_no_trace_in_any_figure():
    """Changing the answers of a ratee's 2 peers changes nothing: not the score, not the bias-adjusted score
    or its error, not any per-value figure or the self-other agreement, for anyone."""
    df = _city()
    peers = df[(df.ratee == "p13") & (df.relation == "rekan")].rater.unique()
    df = df[~((df.ratee == "p13") & (df.rater == peers[0]))].reset_index(drop=True)
    hidden = (df.ratee == "p13") & (df.relation == "rekan")
    outputs = []
    for value in (1.0, 5.0):
        variant = df.copy()
        variant.loc[hidden, "score"] = value
        scores = score_responses(variant)
        by_value = score_by_value(variant)
        outputs.append((scores, by_value, self_other_agreement(by_value, scores)))
    row = outputs[0][0].set_index("nip").loc["p13"]
    assert (row["n_rekan"], np.isnan(row["rerata_rekan"]), "rekan" in row["kelompok_tampil"]) == (2, True, False)
    assert not ((outputs[0][1].nip == "p13") & (outputs[0][1].kelompok == "rekan")).any()
    for first, second in zip(outputs[0], outputs[1]):
        pd.testing.assert_frame_equal(first, second)


def test_score_by_value_applies_the_minimum_per_value():
    """Per value, a group is shown only with enough raters on that value's items; 'semua' is the weighted
    non-self figure."""
    df = pd.DataFrame([
        ("X", "s", "atasan", "B1.1", 4), ("X", "s", "atasan", "B5.1", 2),
        ("X", "a", "rekan", "B1.1", 5), ("X", "b", "rekan", "B1.1", 4), ("X", "c", "rekan", "B1.1", 3),
        ("X", "a", "rekan", "B5.1", 5), ("X", "b", "rekan", "B5.1", 5), ("X", "c", "rekan", "B5.1", np.nan),
        ("X", "X", "diri", "B1.1", 5),
    ], columns=["ratee", "rater", "relation", "item", "score"])
    out = score_by_value(df)
    expected = pd.DataFrame([
        ("X", "B1", "diri", 1, 5.0), ("X", "B1", "atasan", 1, 4.0), ("X", "B1", "rekan", 3, 4.0),
        ("X", "B1", "semua", 4, (0.4 * 4 + 0.3 * 4) / 0.7),
        ("X", "B5", "atasan", 1, 2.0), ("X", "B5", "semua", 1, 2.0),
    ], columns=["nip", "nilai", "kelompok", "n", "rerata"])
    pd.testing.assert_frame_equal(out, expected, check_dtype=False)


def test_a_value_hidden_for_a_group_is_left_out_of_that_groups_overall_mean():
    """When only 2 of 3 peers scored a value, their answers on it are hidden from every figure, the peers'
    overall mean included (else overall and shown values together would give the hidden mean away)."""
    base = pd.DataFrame([
        ("X", "s", "atasan", "B1.1", 4), ("X", "s", "atasan", "B5.1", 4),
        ("X", "a", "rekan", "B1.1", 5), ("X", "b", "rekan", "B1.1", 4), ("X", "c", "rekan", "B1.1", 3),
        ("X", "a", "rekan", "B5.1", 1), ("X", "b", "rekan", "B5.1", 1), ("X", "c", "rekan", "B5.1", np.nan),
    ], columns=["ratee", "rater", "relation", "item", "score"])
    changed = base.assign(score=np.where((base.relation == "rekan") & (base.item == "B5.1") & base.score.notna(),
                                         5, base.score))
    first, second = score_responses(base), score_responses(changed)
    pd.testing.assert_frame_equal(first, second)
    assert (first.loc[0, "n_rekan"], first.loc[0, "rerata_rekan"]) == (3, 4.0)


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d.drop(columns="item"), "kolom wajib tidak ada: item"),
    (lambda d: d.assign(relation="teman"), "relasi tidak dikenal: teman"),
    (lambda d: d.assign(score="baik"), "harus berupa angka"),
    (lambda d: pd.concat([d, d.assign(relation="atasan", item="B1.2")]), "lebih dari satu relasi"),
    (lambda d: d.assign(ratee=None), "kolom 'ratee' berisi nilai kosong"),
])
def test_bad_input_is_rejected_with_a_reason(mutate, message):
    """Missing columns, unknown relations, text scores, a rater with two relations to one ratee, empty ids."""
    with pytest.raises(ValueError, match=message):
        score_responses(mutate(_one_ratee(rekan=[3, 3, 3])))


def test_scores_any_multi_rater_data():
    """Integer identifiers, a single item, groups beyond the kit's forms: the same rules apply."""
    df = pd.DataFrame({"ratee": [1, 1, 1, 2, 2, 2], "rater": [10, 11, 12, 10, 11, 12], "relation": "rekan",
                       "item": "Q", "score": [2.0, 3.0, 4.0, 5.0, 4.0, 3.0]})
    out = score_responses(df)
    assert out[["nip", "n_rekan", "skor"]].values.tolist() == [[1, 3, 3.0], [2, 3, 4.0]]
    assert out["skor_adj"].notna().all()


@pytest.mark.parametrize("score, expected", [
    (5.0, ATAS), (3.5, ATAS), (3.499, SESUAI), (3.0, SESUAI), (2.5, SESUAI), (2.499, BAWAH), (1.0, BAWAH),
    (np.nan, None)])
def test_rating_perilaku_suggestion_of_an_exact_score_uses_the_midpoints_between_anchors(score, expected):
    """Without uncertainty: score >= 3.5 -> Di Atas; score < 2.5 -> Di Bawah; else Sesuai (metode.yaml)."""
    assert suggest_rating_perilaku([score]).tolist() == [expected]


@pytest.mark.parametrize("score, se, expected", [
    # P(true >= 3.5) = Phi((score - 3.5) / se): Di Atas from 0.8 on (z = 0.8416)
    (3.5 + 0.8417 * 0.2, 0.2, ATAS), (3.5 + 0.8415 * 0.2, 0.2, SESUAI),
    # P(true < 2.5) = Phi((2.5 - score) / se)
    (2.5 - 0.8417 * 0.1, 0.1, BAWAH), (2.5 - 0.8415 * 0.1, 0.1, SESUAI),
    # a score above the boundary but too uncertain stays Sesuai
    (3.7, 0.5, SESUAI)])
def test_suggestion_departs_from_sesuai_only_with_the_stated_confidence(score, se, expected):
    """With its standard error a score suggests Di Atas/Di Bawah only when that is at least 80% likely."""
    out = rating_perilaku_suggestion([score], [se])
    assert out["saran"].tolist() == [expected]


def test_probabilities_behind_the_suggestion_are_normal_tail_areas():
    """peluang_di_atas = Phi((score - 3.5)/se), peluang_di_bawah = Phi((2.5 - score)/se), by hand."""
    out = rating_perilaku_suggestion([3.7], [0.2]).iloc[0]
    assert out["peluang_di_atas"] == pytest.approx(0.8413447, abs=1e-6)
    assert out["peluang_di_bawah"] == pytest.approx(1.0 - 0.99999999999, abs=1e-8)


def test_rating_perilaku_suggestion_cutoffs_are_configurable():
    """The cycle's ambang_rating_perilaku moves the cutoffs and the confidence."""
    cut = {"ambang_rating_perilaku": {"di_atas": 3.5, "di_bawah": 3.0, "keyakinan": 0.8}}
    assert suggest_rating_perilaku([3.6, 3.2, 2.9], cut).tolist() == [ATAS, SESUAI, BAWAH]
    sure = {"ambang_rating_perilaku": {"di_atas": 3.5, "di_bawah": 2.5, "keyakinan": 0.99}}
    assert suggest_rating_perilaku([3.7], sure, se=[0.1]).tolist() == [SESUAI]


def test_final_rating_is_the_decision_when_recorded_else_the_suggestion():
    """The Pejabat Penilai's decision wins; the suggestion fills in; the predikat follows the kuadran."""
    df = pd.concat([_one_ratee(atasan=[5]), _one_ratee(atasan=[3]).assign(ratee="Y"),
                    _one_ratee(atasan=[2]).assign(ratee="Z")])
    rep = analyse(df, population=["X", "Y", "Z", "W"], hasil_kerja={"X": ATAS, "Y": SESUAI, "W": SESUAI},
                  keputusan={"Y": BAWAH, "W": ATAS})
    got = rep.results.set_index("nip")[["rating_perilaku_saran", "rating_perilaku", "sumber_rating_perilaku",
                                        "predikat"]]
    assert got.to_dict("index") == {
        "X": {"rating_perilaku_saran": ATAS, "rating_perilaku": ATAS, "sumber_rating_perilaku": "saran",
              "predikat": "Sangat Baik"},
        "Y": {"rating_perilaku_saran": SESUAI, "rating_perilaku": BAWAH, "sumber_rating_perilaku": "keputusan",
              "predikat": "Kurang/Misconduct"},
        # one supervisor's 2 is not evidence enough for Di Bawah (P < 80% with one rater's error)
        "Z": {"rating_perilaku_saran": SESUAI, "rating_perilaku": SESUAI, "sumber_rating_perilaku": "saran",
              "predikat": None},
        "W": {"rating_perilaku_saran": None, "rating_perilaku": ATAS, "sumber_rating_perilaku": "keputusan",
              "predikat": "Baik"},
    }


def test_predikat_is_missing_when_a_rating_is_missing_and_unknown_labels_raise():
    """No Rating Hasil Kerja, no predikat; a label outside the kuadran is an error, never a guess."""
    assert predikat_series(pd.Series([SESUAI, None]), pd.Series([None, SESUAI])).tolist() == [None, None]
    with pytest.raises(ValueError, match="tidak dikenal"):
        predikat_series(pd.Series(["Baik"]), pd.Series([SESUAI]))


@pytest.mark.parametrize("self_score, others, kategori, titik", [
    (4.5, 3.0, "lebih_tinggi", "titik_buta"),            # 1.5 > 0.5 band and > 4/3 (a third of the range)
    (3.3, 3.0, "selaras", ""),
    (2.0, 3.5, "lebih_rendah", "kekuatan_tersembunyi"),
    (3.0, 4.0, "lebih_rendah", ""),                      # 1.0 is outside the band but within 4/3
])
def test_self_other_agreement_categories(self_score, others, kategori, titik):
    """Over/under-estimator outside the agreement band; blind spot / hidden strength beyond 1/3 of the range."""
    by_value = pd.DataFrame({"nip": "X", "nilai": "B1", "kelompok": ["diri", "semua"], "n": [1, 3],
                             "rerata": [self_score, others]})
    row = self_other_agreement(by_value, ambang_setuju=0.5).iloc[0]
    assert (row["selisih"], row["kategori"], row["titik"]) == (pytest.approx(self_score - others), kategori, titik)


def test_self_other_agreement_band_defaults_to_half_a_standard_deviation():
    """Without a fixed band, +-0.5 SD of the value's self-other differences (Atwater & Yammarino 1992)."""
    diffs = [1.0, 0.0, -1.0, 0.2]   # SD = 0.818..., band = 0.409
    by_value = pd.concat([pd.DataFrame({"nip": f"r{i}", "nilai": "B1", "kelompok": ["diri", "semua"], "n": 1,
                                        "rerata": [3.0 + d, 3.0]}) for i, d in enumerate(diffs)])
    out = self_other_agreement(by_value)
    assert out["kategori"].tolist() == ["lebih_tinggi", "selaras", "lebih_rendah", "selaras"]


def _unit(**counts):
    names = {"SB": "Sangat Baik", "B": "Baik", "BP": "Butuh Perbaikan", "K": "Kurang/Misconduct",
             "SK": "Sangat Kurang"}
    return [names[k] for k, n in counts.items() for _ in range(n)]


def test_distribution_check_reports_each_unit_with_shares_and_warnings():
    """Per unit: the shares of each predikat, and one warning per broken SE MenPANRB 3/2023 rule; units
    without a Predikat Kinerja Organisasi are listed but not checked; people without predikat not counted."""
    pegawai = pd.DataFrame({
        "unit": ["A"] * 10 + ["B"] * 10 + ["C"] * 3 + ["A"],
        "predikat": _unit(SB=8, B=2) + _unit(SB=3, B=7) + _unit(B=3) + [None]})
    shares, warnings = distribution_by_unit(pegawai, {"A": "Istimewa", "B": "Baik"})
    table = shares[["unit", "predikat_organisasi", "n_pegawai", "n_tanpa_predikat", "Sangat Baik"]]
    assert table.fillna("-").values.tolist() == [
        ["A", "Istimewa", 10, 1, 0.8], ["B", "Baik", 10, 0, 0.3], ["C", "-", 3, 0, 0.0]]
    assert warnings[["unit", "aturan", "proporsi_aktual", "jumlah", "total"]].values.tolist() == [
        ["A", "Sangat Baik paling banyak 70%", 0.8, 8, 10],
        ["B", "Butuh Perbaikan + Kurang/Misconduct paling sedikit 1 orang", 0.0, 0, 10]]


# --- recovery of the demo's planted truths ---------------------------------------------------------------

def _truth(demo, aspek):
    rows = demo.db.execute("SELECT nip, nilai FROM demo_truth WHERE cycle_id = ? AND aspek = ?",
                           [demo.summary.cycle_id, aspek]).fetchall()
    return pd.Series(dict(rows), dtype=float)


def test_adjusted_scores_track_true_behaviour_better_than_raw_means(demo_scored):
    """On the demo, the bias-adjusted score correlates with the planted behaviour level more than the raw score."""
    res = demo_scored.report.results.set_index("nip")
    truth = _truth(demo_scored, "perilaku").reindex(res.index)
    ok = res["skor"].notna() & res["skor_adj"].notna()
    raw = np.corrcoef(res.loc[ok, "skor"], truth[ok])[0, 1]
    adj = np.corrcoef(res.loc[ok, "skor_adj"], truth[ok])[0, 1]
    assert adj > raw + 0.03, (raw, adj)


def test_planted_lenient_and_severe_raters_are_identified(demo_scored):
    """The demo's planted lenient (+1) raters come out 'longgar' and severe (-1) ones 'ketat' whenever their
    leniency is estimable (2+ people rated in shown groups: ratings into a hidden group of 2 peers are left
    out); estimated leniency correlates with the planted leniency of all regular raters."""
    bias = demo_scored.report.rater_bias.set_index("rater")
    s = demo_scored.summary
    for planted, kategori in ((s.lenient, "longgar"), (s.severe, "ketat")):
        rows = bias.reindex(list(planted))
        estimable = rows[rows["n_dinilai"] >= 2]
        assert len(estimable) >= 2
        assert estimable["kategori"].tolist() == [kategori] * len(estimable)
    truth = _truth(demo_scored, "kelonggaran")
    est = bias["kelonggaran"].dropna()
    common = est.index.intersection(truth.index)
    assert np.corrcoef(est[common], truth[common])[0, 1] > 0.8


def test_demo_peer_groups_of_two_are_suppressed(demo_scored):
    """Every demo ratee with exactly 2 rekan raters has the rekan group hidden in the results."""
    res = demo_scored.report.results.set_index("nip")
    two = res[res["n_rekan"] == 2]
    assert len(two) > 0
    assert two["rerata_rekan"].isna().all() and not two["kelompok_tampil"].str.contains("rekan").any()


def test_a_hidden_item_counts_nowhere_so_no_shown_figure_gives_it_away():
    """Three rekan, but only two scored B1.3: B1.3 is hidden for rekan, and the value B1's rekan mean (and the
    score) use only B1.1 and B1.2, so value and items cannot be set against each other to recover B1.3."""
    rows = []
    answers = {"r1": (4, 4, 1), "r2": (2, 3, 1), "r3": (3, 3, None)}
    for rater, scores in answers.items():
        for item, s in zip(("B1.1", "B1.2", "B1.3"), scores):
            rows.append(("X", rater, "rekan", item, np.nan if s is None else s))
    df = pd.DataFrame(rows, columns=["ratee", "rater", "relation", "item", "score"])
    by_value = score_by_value(df).set_index(["nilai", "kelompok"])
    expected = np.mean([np.mean([4, 4]), np.mean([2, 3]), np.mean([3, 3])])
    assert by_value.loc[("B1", "rekan"), "rerata"] == pytest.approx(expected)
    by_item = score_by_value(df, item_values={c: c for c in ("B1.1", "B1.2", "B1.3")}).set_index(["nilai", "kelompok"])
    assert ("B1.3", "rekan") not in by_item.index and ("B1.1", "rekan") in by_item.index
    assert score_responses(df).iloc[0]["rerata_rekan"] == pytest.approx(expected)
