"""The crossed random-effects rater bias model against statsmodels MixedLM and the exact dense solution."""

import functools
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from kinerja_lib.bias import fit_crossed, simulate_ratings


def _pairs(n_ratees, per_ratee, pool, seed):
    resp, ratee_truth, rater_truth = simulate_ratings(n_ratees, per_ratee, seed=seed, pool=pool)
    resp["ratee"] = "p" + resp["ratee"].astype(str)
    resp["rater"] = "r" + resp["rater"].astype(str)
    return resp, ratee_truth, rater_truth


def _mixedlm(resp):
    model = smf.mixedlm("score ~ 0 + C(relation)", resp, groups=np.ones(len(resp)),
                        vc_formula={"ratee": "0 + C(ratee)", "rater": "0 + C(rater)"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(reml=True)
    vc = dict(zip(model.exog_vc.names, fit.vcomp))
    blup = {k.split("[")[-1].rstrip("]"): v for k, v in fit.random_effects[1].items()}
    ratee = pd.Series({k: v for k, v in blup.items() if k.startswith("p")})
    rater = pd.Series({k: v for k, v in blup.items() if k.startswith("r")})
    return vc["ratee"], vc["rater"], fit.scale, ratee, rater, fit.fe_params.to_numpy()


@functools.lru_cache(maxsize=1)
def _small_design():
    """120 ratees x 5 raters from a pool of 40, with MixedLM's REML fit (computed once per session)."""
    resp, _, _ = _pairs(120, 5, 40, seed=2)
    return resp, _mixedlm(resp)


def test_blups_equal_statsmodels_given_its_variance_components():
    """With MixedLM's REML variance components, the sparse solve gives MixedLM's BLUPs and group effects (1e-5)."""
    resp, (s2a, s2b, s2e, ratee, rater, beta) = _small_design()
    fit = fit_crossed(resp.score, resp.ratee, resp.rater, resp.relation, variances=(s2a, s2b, s2e))
    assert np.abs(fit.ratee["effect"] - ratee.reindex(fit.ratee.index)).max() < 1e-5
    both = fit.rater["n"] >= 2
    assert np.abs(fit.rater["effect"][both] - rater.reindex(fit.rater.index)[both]).max() < 1e-5
    assert fit.group_effects.to_numpy() == pytest.approx(beta, abs=1e-5)


def test_reml_variance_components_equal_statsmodels():
    """On a small design the fit's own REML (sparse LU in a fixed fill-reducing order, Nelder-Mead) reaches
    MixedLM's REML variance components (1e-3 relative: the two optimisers stop at their own tolerances)."""
    resp, (s2a, s2b, s2e, *_) = _small_design()
    fit = fit_crossed(resp.score, resp.ratee, resp.rater, resp.relation)
    assert fit.variance_method == "REML"
    assert (fit.var_ratee, fit.var_rater, fit.var_resid) == pytest.approx((s2a, s2b, s2e), rel=1e-3)


def test_moment_variance_components_agree_with_reml():
    """Method-of-moments components are within 25% of REML on 600 ratings; BLUPs correlate above .999.

    The tolerance reflects the moment estimator's lower efficiency on small data, not a bias: on large
    data both converge to the truth (see the recovery test).
    """
    resp, (s2a, s2b, s2e, ratee, _, _) = _small_design()
    fit = fit_crossed(resp.score, resp.ratee, resp.rater, resp.relation)
    assert (fit.var_ratee, fit.var_rater, fit.var_resid) == pytest.approx((s2a, s2b, s2e), rel=0.25)
    effect = fit.ratee["effect"]
    assert np.corrcoef(effect, ratee.reindex(effect.index))[0, 1] > 0.999
    assert np.abs(effect - ratee.reindex(effect.index)).max() < 0.1


@pytest.mark.parametrize("n_ratees, per_ratee, pool", [(60, 4, 30), (200, 7, 200), (300, 5, 60)])
def test_solution_and_standard_errors_match_the_dense_mixed_model_equations(n_ratees, per_ratee, pool):
    """Effects equal the dense solve of Henderson's equations (1e-6); the approximate standard errors lie
    within -10% / +15% of the exact sqrt(s2_e * diag(C^-1)) for ratees and raters."""
    resp, _, _ = _pairs(n_ratees, per_ratee, pool, seed=1)
    variances = (0.36, 0.16, 0.25)
    fit = fit_crossed(resp.score, resp.ratee, resp.rater, resp.relation, variances=variances)
    a, ratees = pd.factorize(resp.ratee)
    b, raters = pd.factorize(resp.rater)
    g, _ = pd.factorize(resp.relation, sort=True)
    n, na, nb, ng = len(resp), len(ratees), len(raters), g.max() + 1
    w = np.zeros((n, ng + na + nb))
    w[np.arange(n), g] = w[np.arange(n), ng + a] = w[np.arange(n), ng + na + b] = 1
    c = w.T @ w + np.diag(np.r_[np.zeros(ng), np.full(na, 0.25 / 0.36), np.full(nb, 0.25 / 0.16)])
    c_inv = np.linalg.inv(c)
    sol = c_inv @ (w.T @ resp.score.to_numpy())
    assert np.abs(fit.ratee["effect"].reindex(ratees).to_numpy() - sol[ng:ng + na]).max() < 1e-6
    exact_u = np.sqrt(0.25 * np.diag(c_inv)[ng:ng + na])
    exact_v = np.sqrt(0.25 * np.diag(c_inv)[ng + na:])
    ratio_u = fit.ratee["se"].reindex(ratees).to_numpy() / exact_u
    estimable = fit.rater["n"].reindex(raters).to_numpy() >= 2
    ratio_v = fit.rater["se"].reindex(raters).to_numpy()[estimable] / exact_v[estimable]
    assert 0.9 < ratio_u.min() and ratio_u.max() < 1.15
    assert 0.9 < ratio_v.min() and ratio_v.max() < 1.15


def test_recovers_variance_components_and_effects_on_large_data():
    """On 4,000 ratees x 6 raters the moment estimates fall within 10% of the simulated components,
    and the BLUPs track the true ratee and rater effects."""
    resp, ratee_truth, rater_truth = simulate_ratings(4000, 6, seed=5, sd_ratee=0.6, sd_rater=0.4, sd_resid=0.5)
    fit = fit_crossed(resp.score, resp.ratee, resp.rater, resp.relation)
    assert (fit.var_ratee, fit.var_rater, fit.var_resid) == pytest.approx((0.36, 0.16, 0.25), rel=0.10)
    assert np.corrcoef(fit.ratee["effect"].sort_index(), ratee_truth["effect"])[0, 1] > 0.85
    est = fit.rater["effect"].dropna()
    assert np.corrcoef(est, rater_truth["effect"].reindex(est.index))[0, 1] > 0.75


def test_leniency_of_a_rater_with_one_ratee_is_not_estimated():
    """A rater who rated one person has no leniency estimate (NaN) and no z; others do."""
    resp = pd.DataFrame({"ratee": ["a", "a", "b", "b", "c"], "rater": ["x", "y", "x", "y", "z"],
                         "relation": "rekan", "score": [4.0, 3.0, 3.5, 2.5, 4.0]})
    fit = fit_crossed(resp.score, resp.ratee, resp.rater, resp.relation)
    assert fit.rater["effect"].isna().to_dict() == {"x": False, "y": False, "z": True}
    assert fit.rater["n"].to_dict() == {"x": 2, "y": 2, "z": 1}


def test_design_without_repeat_raters_falls_back_to_the_one_way_model():
    """When nobody rated two people, rater variance is not identified: it is floored and ratees still differ."""
    rng = np.random.default_rng(0)
    truth = rng.normal(0, 1, 50)
    resp = pd.DataFrame({"ratee": np.repeat(np.arange(50), 4), "rater": np.arange(200), "relation": "rekan"})
    resp["score"] = 3 + truth[resp.ratee] + rng.normal(0, 0.5, 200)
    fit = fit_crossed(resp.score, resp.ratee, resp.rater, resp.relation)
    assert fit.var_rater < 1e-3 * fit.var_resid
    assert np.corrcoef(fit.ratee["effect"].sort_index(), truth)[0, 1] > 0.9


def test_rejects_missing_values():
    """Missing scores must be removed before fitting."""
    with pytest.raises(ValueError, match="NaN"):
        fit_crossed([3.0, np.nan], ["a", "b"], ["x", "y"], ["rekan", "rekan"])


@pytest.mark.parametrize("groups", [None, ["rekan", "bawahan", "atasan", "lainnya"]])
def test_group_names_given_as_a_categorical_fit_and_correct_as_the_names_do(groups):
    """The scoring run hands the groups over as a Categorical of codes (no text per observation): the fit and the
    rater correction are those of the names, whatever the order of the categories, unused ones included."""
    from kinerja_lib.bias import rater_correction

    resp, _, _ = simulate_ratings(300, 5, seed=2)
    names = resp["relation"].to_numpy(dtype=object)
    coded = pd.Categorical(names, categories=["lainnya", "bawahan", "rekan", "atasan", "diri"])
    a, b = pd.factorize(resp["ratee"])[0], pd.factorize(resp["rater"])[0]
    by_name, by_code = (fit_crossed(resp.score, a, b, g, groups=groups) for g in (names, coded))
    pd.testing.assert_series_equal(by_code.group_effects, by_name.group_effects)
    pd.testing.assert_frame_equal(by_code.ratee, by_name.ratee)
    pd.testing.assert_frame_equal(by_code.rater, by_name.rater)
    named, codes = (rater_correction(by_name, resp.score, a, b, g) for g in (names, coded))
    np.testing.assert_array_equal(codes.corrected, named.corrected)
    pd.testing.assert_series_equal(codes.group_effects, named.group_effects)
    with pytest.raises(ValueError, match="di luar daftar kelompok"):
        fit_crossed(resp.score, a, b, coded, groups=["rekan"])
