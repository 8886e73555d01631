"""ICC(1)/ICC(1,k), rwg(j) and Krippendorff's alpha against published values and independent code."""

import krippendorff
import numpy as np
import pandas as pd
import pingouin as pg
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from kinerja_lib.reliability import icc1, krippendorff_alpha, rwg, uniform_null_variance

# Shrout & Fleiss (1979), Table 2: 6 targets rated by 4 judges.
SHROUT_FLEISS = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers x 12 units
# with missing values.
NAN = np.nan
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
]


def _long(matrix, unit="unit", coder="coder", value="value"):
    return pd.DataFrame([(u, c, v) for c, row in enumerate(matrix) for u, v in enumerate(row)],
                        columns=[unit, coder, value])


def test_icc1_reproduces_shrout_fleiss_1979():
    """Shrout & Fleiss (1979, Table 4) report ICC(1,1) = .17 and ICC(1,4) = .44 for their Table 2 data."""
    df = pd.DataFrame([(t, j, v) for t, row in enumerate(SHROUT_FLEISS) for j, v in enumerate(row)],
                      columns=["target", "judge", "score"])
    res = icc1(df, "target", "judge", "score")
    assert (round(res.icc1, 2), round(res.icc1k, 2), res.k0, res.n_targets, res.n_ratings) == (0.17, 0.44, 4.0, 6, 24)


@pytest.mark.filterwarnings("ignore:The inplace keyword")  # raised inside pingouin, not here
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_icc1_matches_pingouin_on_balanced_data(seed):
    """On balanced data ICC(1) and ICC(1,k) equal pingouin's ICC(1,1) and ICC(1,k)."""
    rng = np.random.default_rng(seed)
    targets, k = 30, 5
    truth = rng.normal(0, 1, targets)
    df = pd.DataFrame([(t, j, truth[t] + rng.normal()) for t in range(targets) for j in range(k)],
                      columns=["target", "rater", "score"])
    ref = pg.intraclass_corr(df, targets="target", raters="rater", ratings="score").set_index("Type")["ICC"]
    res = icc1(df, "target", "rater", "score")
    assert (res.icc1, res.icc1k) == pytest.approx((ref["ICC(1,1)"], ref["ICC(1,k)"]), abs=1e-12)


def test_icc1_on_unbalanced_data_uses_the_adjusted_group_size():
    """Unbalanced: ICC(1) = (MSB - MSW) / (MSB + (k0 - 1) MSW), k0 = (N - sum n_i^2 / N) / (a - 1) (Bliese 2000).

    The mean squares come from statsmodels' one-way ANOVA, an independent computation.
    """
    rng = np.random.default_rng(7)
    sizes = rng.integers(2, 9, 40)
    truth = rng.normal(0, 0.8, sizes.size)
    df = pd.DataFrame([(t, f"r{t}-{j}", truth[t] + rng.normal()) for t, n in enumerate(sizes) for j in range(n)],
                      columns=["target", "rater", "score"])
    table = sm.stats.anova_lm(smf.ols("score ~ C(target)", df).fit())
    msb, msw = table.loc["C(target)", "mean_sq"], table.loc["Residual", "mean_sq"]
    n, a = len(df), sizes.size
    k0 = (n - (sizes ** 2).sum() / n) / (a - 1)
    res = icc1(df, "target", "rater", "score")
    assert (res.icc1, res.icc1k, res.k0) == pytest.approx(
        ((msb - msw) / (msb + (k0 - 1) * msw), (msb - msw) / msb, k0), rel=1e-10)


def test_icc1_averages_repeated_rows_of_a_rater_first():
    """Item-level rows of one rater for one target count as that rater's mean."""
    rng = np.random.default_rng(3)
    items = pd.DataFrame([(t, j, i, t + rng.normal()) for t in range(10) for j in range(3) for i in range(4)],
                         columns=["target", "rater", "item", "score"])
    means = items.groupby(["target", "rater"], as_index=False)["score"].mean()
    assert icc1(items, "target", "rater", "score").as_dict() == pytest.approx(
        icc1(means, "target", "rater", "score").as_dict(), rel=1e-12)


def test_icc1_needs_two_targets():
    """One target cannot give a between-target variance."""
    with pytest.raises(ValueError, match="paling sedikit 2 pegawai"):
        icc1(pd.DataFrame({"t": [1, 1], "r": [1, 2], "y": [3.0, 4.0]}), "t", "r", "y")


@pytest.mark.parametrize("points, variance", [(5, 2.0), (7, 4.0), (9, 6.666666666666667)])
def test_uniform_null_variance_matches_james_demaree_wolf(points, variance):
    """James, Demaree & Wolf (1984): sigma_EU^2 = (A^2 - 1) / 12, i.e. 2.0 on 5 points and 4.0 on 7."""
    assert uniform_null_variance(points) == pytest.approx(variance)


@pytest.mark.parametrize("scores, expected", [
    ([3, 3, 4, 4, 5], 0.65),        # s^2 = 0.7: rwg = 1 - 0.7 / 2
    ([4, 4, 4, 4], 1.0),            # full agreement
    ([1, 5, 1, 5], 0.0),            # s^2 = 5.33 > 2: truncated to 0
    ([2, 4], 0.0),                  # s^2 = 2: exactly the uniform null
])
def test_rwg_single_item(scores, expected):
    """rwg = 1 - s^2 / sigma_EU^2 with the sample variance, truncated to 0 when negative."""
    out = rwg(pd.DataFrame({"t": "A", "y": scores}), "t", "y", 5)
    assert out.loc["A", "rwg"] == pytest.approx(expected)


def test_rwg_j_follows_the_spearman_brown_form():
    """rwg(j) = J(1 - v/s2) / (J(1 - v/s2) + v/s2) with v the mean item variance (James et al. 1984, eq. 4)."""
    rng = np.random.default_rng(11)
    df = pd.DataFrame([(t, i, r, int(rng.integers(2, 6))) for t in "ABC" for i in range(6) for r in range(5)],
                      columns=["t", "item", "rater", "y"])
    v = df.groupby(["t", "item"])["y"].var().groupby("t").mean()
    ratio = v / 2.0
    expected = (6 * (1 - ratio) / (6 * (1 - ratio) + ratio)).clip(lower=0)
    out = rwg(df, "t", "y", 5, item="item")
    assert list(out["j"]) == [6, 6, 6]
    assert out["rwg"].to_numpy() == pytest.approx(expected.reindex(out.index).to_numpy())


def test_rwg_ignores_missing_scores_and_reports_unassessable_targets():
    """Missing scores are not ratings; a target with a single rating has no rwg."""
    df = pd.DataFrame({"t": ["A", "A", "A", "B"], "y": [4, 4, np.nan, 3]})
    out = rwg(df, "t", "y", 5)
    assert out["rwg"].tolist()[0] == 1.0 and np.isnan(out.loc["B", "rwg"]) and out.loc["B", "n"] == 1


@pytest.mark.parametrize("level, published", [
    ("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)])
def test_alpha_reproduces_krippendorff_2011_example(level, published):
    """Krippendorff (2011) computes alpha = .743 nominal, .815 ordinal, .849 interval, .797 ratio for his example."""
    assert round(krippendorff_alpha(_long(KRIPPENDORFF_2011), "unit", "coder", "value", level), 3) == published


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
@pytest.mark.parametrize("seed", [0, 1])
def test_alpha_matches_the_krippendorff_package_with_missing_values(level, seed):
    """Random 1-5 ratings with 30% missing give the same alpha as the `krippendorff` package."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, 6, 40)
    data = np.clip(truth + rng.integers(-1, 2, (6, 40)), 1, 5).astype(float)
    data[rng.random(data.shape) < 0.3] = np.nan
    ref = krippendorff.alpha(reliability_data=data, level_of_measurement=level, value_domain=[1, 2, 3, 4, 5])
    mine = krippendorff_alpha(_long(data), "unit", "coder", "value", level, values=[1, 2, 3, 4, 5])
    assert mine == pytest.approx(ref, abs=1e-9)


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_alpha_taken_a_block_of_units_at_a_time_matches_the_krippendorff_package(level, monkeypatch):
    """A province's units are taken a block at a time: with blocks of 7 units (some blocks holding units of one
    coder only, which are left out) alpha is still the `krippendorff` package's."""
    from kinerja_lib import reliability

    rng = np.random.default_rng(7)
    truth = rng.integers(1, 6, 60)
    data = np.clip(truth + rng.integers(-1, 2, (5, 60)), 1, 5).astype(float)
    data[rng.random(data.shape) < 0.4] = np.nan
    data[1:, 10:17] = np.nan   # a whole block of units with one coder
    ref = krippendorff.alpha(reliability_data=data, level_of_measurement=level, value_domain=[1, 2, 3, 4, 5])
    monkeypatch.setattr(reliability, "_ALPHA_UNITS", 7)
    mine = krippendorff_alpha(_long(data), "unit", "coder", "value", level, values=[1, 2, 3, 4, 5])
    assert mine == pytest.approx(ref, abs=1e-9)


def test_alpha_rejects_unknown_level_and_unpairable_data():
    """A level outside the four, or data where no unit has two coders, is an error."""
    df = _long([[1, 2, NAN], [NAN, NAN, 3]])
    with pytest.raises(ValueError, match="tidak dikenal"):
        krippendorff_alpha(df, "unit", "coder", "value", level="circular")
    with pytest.raises(ValueError, match="paling sedikit 2 penilai"):
        krippendorff_alpha(df, "unit", "coder", "value")
