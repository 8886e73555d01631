"""The normal distribution function against scipy.special.ndtr (the oracle it replaces)."""

import numpy as np
from scipy.special import ndtr

from kinerja_lib.normal import cdf


def test_cdf_matches_scipy_over_the_whole_line_and_the_special_values():
    rng = np.random.default_rng(2026)
    x = np.concatenate([np.linspace(-40, 40, 20_001), rng.normal(0, 3, 20_000), [0.0, -0.0, 0.7071067811865476,
                        -0.7071067811865476, 1.0, -1.0, np.inf, -np.inf, np.nan, 1e-300, -1e-300]])
    got, want = cdf(x), ndtr(x)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    ok = ~np.isnan(want)
    # Relative agreement everywhere scipy's value is a normal number, the far tails included (there the two
    # erfc implementations differ in the last digits: 6e-14 relative at x = -34), and below that both are ~0.
    normal = ok & (want > 1e-300)
    assert np.all(np.abs(got[normal] - want[normal]) <= 1e-13 * want[normal])
    assert np.all(np.abs(got[ok & ~normal] - want[ok & ~normal]) <= 1e-300)
    central = ok & (np.abs(x) <= 8)   # where the decisions are made: a few units in the last place
    assert np.all(np.abs(got[central] - want[central]) <= 32 * np.spacing(np.abs(want[central])))
    assert got.shape == x.shape and cdf(np.zeros((2, 3))).shape == (2, 3)


def test_cdf_keeps_the_tails_accurate():
    assert cdf(-37.5)[()] > 0 and abs(cdf(-10.0)[()] / 7.61985302416047e-24 - 1) < 1e-13
    assert cdf(10.0)[()] == 1.0 and cdf(np.array([], dtype=float)).size == 0
