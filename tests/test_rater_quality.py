"""Rater-quality flags: straight-lining, fast completion, outlier raters; flags never remove data."""

import numpy as np
import pandas as pd
import pytest

from kinerja_lib.bias import simulate_ratings
from kinerja_lib.rater_quality import flagged_raters, rater_quality
from kinerja_lib.scoring import score_responses

ITEMS = [f"B{v}.{i}" for v in range(1, 8) for i in range(1, 4)]


def _form(scores, ratee="X", rater="r", relation="rekan"):
    return pd.DataFrame({"ratee": ratee, "rater": rater, "relation": relation,
                         "item": ITEMS[:len(scores)], "score": scores})


@pytest.mark.parametrize("scores, lurus", [
    ([4] * 21, True),
    ([4] * 20 + [5], False),
    ([4] * 9, False),                          # fewer than 10 answered items: not assessable
    ([4] * 12 + [np.nan] * 9, True),           # 12 answered, all the same
    ([np.nan] * 21, False),
])
def test_straight_lining_is_the_same_score_on_ten_or_more_answered_items(scores, lurus):
    """A form is straight-lined when every answered item (at least 10) has the same score."""
    q = rater_quality(_form(scores))
    assert q["lurus"].tolist() == [lurus]
    assert ("memberi skor yang sama" in q["alasan"].iloc[0]) == lurus


@pytest.mark.parametrize("mulai, terkirim, cepat", [
    ("2026-03-01T10:00:00+00:00", "2026-03-01T10:00:30+00:00", True),    # 30 s for 21 items < 42 s
    ("2026-03-01T10:00:00+00:00", "2026-03-01T10:05:00+00:00", False),
    (None, "2026-03-01T10:05:00+00:00", pd.NA),                          # no start time: not assessable
])
def test_fast_completion_needs_both_timestamps(mulai, terkirim, cepat):
    """Less than 2 seconds per answered item between first save and submission is flagged."""
    timings = pd.DataFrame([{"rater": "r", "ratee": "X", "mulai": mulai, "terkirim": terkirim}])
    q = rater_quality(_form(list(np.resize([3, 4, 5], 21))), timings)
    assert q["cepat"].iloc[0] is cepat or q["cepat"].iloc[0] == cepat
    assert ("detik" in q["alasan"].iloc[0]) == (cepat is True)


def _honest_city(seed=3):
    resp, _, _ = simulate_ratings(80, 5, seed=seed, pool=80, n_items=21, sd_resid=0.6,
                                  group_effects={"rekan": 0.0})
    resp["score"] = resp["score"].round().clip(1, 5)
    return resp


def test_the_random_responder_is_the_only_outlier():
    """A rater answering at random is flagged 'pencilan'; honest raters and a strongly lenient one are not."""
    resp = _honest_city()
    rng = np.random.default_rng(0)
    random_rater = resp["rater"] == 7
    resp.loc[random_rater, "score"] = rng.integers(1, 6, random_rater.sum()).astype(float)
    resp.loc[resp["rater"] == 11, "score"] = (resp.loc[resp["rater"] == 11, "score"] + 1.5).clip(1, 5)
    q = rater_quality(resp)
    assert sorted(q.loc[q["pencilan"], "rater"].unique()) == [7]
    assert q.loc[q["rater"] == 7, "alasan"].str.contains("pola jawaban jauh berbeda").all()


def test_flags_never_remove_data():
    """Flagged forms stay in the quality table and in the scores: a straight-liner's answers still count."""
    df = pd.concat([_form([5] * 21, rater="lurus"), _form([3] * 20 + [2], rater="b"),
                    _form([2] * 20 + [3], rater="c")])
    q = rater_quality(df)
    assert q[["rater", "lurus"]].values.tolist() == [["b", False], ["c", False], ["lurus", True]]
    expected = (5 + (3 * 20 + 2) / 21 + (2 * 20 + 3) / 21) / 3
    assert score_responses(df).loc[0, "rerata_rekan"] == pytest.approx(expected)


def test_flagged_raters_summarise_reasons_in_indonesian():
    """One row per flagged rater with counts of each flag and the reasons."""
    df = pd.concat([_form([4] * 21, ratee="X", rater="a"), _form([5] * 21, ratee="Y", rater="a"),
                    _form(list(np.resize([3, 4], 21)), ratee="X", rater="b")])
    timings = pd.DataFrame([{"rater": "a", "ratee": "X", "mulai": "2026-03-01T10:00:00+00:00",
                             "terkirim": "2026-03-01T10:00:10+00:00"}])
    out = flagged_raters(rater_quality(df, timings))
    assert out[["rater", "n_formulir", "n_lurus", "n_cepat", "pencilan"]].values.tolist() == [["a", 2, 2, 1, False]]
    assert out["alasan"].iloc[0] == ("skor seragam (straight-lining) pada 2 dari 2 formulir; "
                                     "pengisian terlalu cepat pada 1 dari 2 formulir")


def test_demo_straightliners_and_outlier_are_flagged(demo_scored):
    """On the demo every form of a planted straight-liner is flagged, the planted outlier is the only
    'pencilan', and both appear among the flagged raters."""
    q = demo_scored.report.quality
    s = demo_scored.summary
    straight = q[q["rater"].isin(s.straightliners)]
    assert len(straight) > 0 and straight["lurus"].all()
    assert sorted(q.loc[q["pencilan"], "rater"].unique()) == [s.outlier]
    assert set(s.straightliners) | {s.outlier} <= set(demo_scored.report.flagged["rater"])


def test_form_timings_in_the_forms_order_or_any_order_give_the_same_speeds(demo_scored):
    """The scoring run hands over one timing row per form in the forms' order and they are taken by position;
    the same timings in another order (or with a stray duplicate) are matched by rater and ratee: same flags."""
    from kinerja_lib.responses import load_answer_matrix
    from kinerja_lib.scoring import analyse

    db, cycle = demo_scored.db, demo_scored.report.cycle
    matrix = load_answer_matrix(db, cycle.id, ITEMS)
    timings = matrix.timings()
    aligned = analyse(matrix, cycle.settings, timings=timings).quality
    shuffled = timings.sample(frac=1, random_state=7)
    shuffled = pd.concat([shuffled, shuffled.iloc[:5].assign(mulai=None)])   # a later duplicate is ignored
    matched = analyse(matrix, cycle.settings, timings=shuffled).quality
    pd.testing.assert_frame_equal(aligned, matched)
    assert aligned["durasi_detik"].notna().mean() > 0.9 and aligned["cepat"].any()


def _outlier_distance_oracle(resp: pd.DataFrame, min_butir: int = 10) -> pd.Series:
    """The outlier distance straight from its definition, answer by answer with pandas: each non-self answer
    against the mean of the other non-self raters of the same ratee and item, less the form's mean deviation,
    squared and scaled by 1 / (1 + 1/c); per rater the root of the summed squares over the summed weights times
    (1 - 1/m) of each form of m compared answers."""
    a = resp[(resp["relation"] != "diri") & resp["score"].notna()].copy()
    cell = a.groupby(["ratee", "item"])["score"]
    a["c"], a["s"] = cell.transform("size") - 1, cell.transform("sum")
    a = a[a["c"] >= 1].copy()
    a["dev"] = a["score"] - (a["s"] - a["score"]) / a["c"]
    a["w"] = 1.0 / (1.0 + 1.0 / a["c"])
    form = a.groupby(["rater", "ratee"])
    a["res"] = a["dev"] - form["dev"].transform("mean")
    a["ss"] = a["w"] * a["res"] ** 2
    per_form = form.agg(m=("dev", "size"), sw=("w", "sum"), ss=("ss", "sum"))
    per_form["df"] = per_form["sw"] * (1.0 - 1.0 / per_form["m"])
    per_rater = per_form.groupby("rater").agg(ss=("ss", "sum"), df=("df", "sum"), m=("m", lambda m: (m - 1).sum()))
    return np.sqrt(per_rater["ss"] / per_rater["df"])[per_rater["m"] >= min_butir]


def test_the_outlier_distance_matches_its_definition_in_any_row_order():
    """The outlier distance (taken item by item over the forms) equals the definition computed answer by answer
    with pandas, on a city with unanswered items, and the long table's row order changes no figure."""
    resp = _honest_city()
    rng = np.random.default_rng(3)
    resp.loc[rng.random(len(resp)) < 0.05, "score"] = np.nan
    q = rater_quality(resp)
    jarak = q.dropna(subset=["jarak"]).groupby("rater")["jarak"].first()
    oracle = _outlier_distance_oracle(resp)
    assert len(oracle) > 50
    pd.testing.assert_series_equal(jarak.sort_index(), oracle.sort_index(), check_names=False, rtol=1e-10)
    shuffled = resp.sample(frac=1.0, random_state=0, ignore_index=True)
    pd.testing.assert_frame_equal(rater_quality(shuffled), q, check_exact=False, rtol=1e-12)
