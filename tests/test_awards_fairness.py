"""Fairness of a shortlist: selection rates, the 4/5ths ratio, Fisher's exact test and the shortfall."""

from math import comb

import pandas as pd
import pytest
from scipy.stats import fisher_exact

from kinerja_lib import awards
from kinerja_lib.awards import impact


def _pool(groups):
    """Return a pool frame from {group: (n, selected)} in column 'jenis_kelamin'."""
    rows = []
    for g, (n, s) in groups.items():
        rows += [{"jenis_kelamin": g, "terpilih": i < s} for i in range(n)]
    return pd.DataFrame(rows)


def _fisher_two_sided(a, b, c, d):
    """Two-sided Fisher p by summing hypergeometric tables no more likely than the observed one."""
    row1, col1, n = a + b, a + c, a + b + c + d

    def prob(x):
        return comb(col1, x) * comb(n - col1, row1 - x) / comb(n, row1)

    observed = prob(a)
    lo, hi = max(0, row1 - (n - col1)), min(row1, col1)
    return sum(prob(x) for x in range(lo, hi + 1) if prob(x) <= observed * (1 + 1e-7))


def test_four_fifths_matches_the_hand_worked_example():
    """Men 8/20 (0.40), women 6/30 (0.20): ratio 0.50 < 0.80, women need 4 more (0.32 x 30 = 9.6 -> 10)."""
    out = awards.fairness(_pool({"L": (20, 8), "P": (30, 6)}), {"jenis_kelamin": "Jenis kelamin"})
    got = out[["kelompok", "n", "terpilih", "laju", "rasio", "di_bawah_ambang", "kekurangan"]].values.tolist()
    assert got == [["Laki-laki", 20, 8, 0.4, 1.0, False, 0], ["Perempuan", 30, 6, 0.2, 0.5, True, 4]]
    # p = 0.19: below the ratio but not significant, so an indication and not a finding
    assert out["status"].tolist() == [awards.STATUS_TANPA_INDIKASI, awards.STATUS_INDIKASI]
    assert out["temuan"].tolist() == [False, False]


def test_fisher_p_matches_scipy_and_the_hypergeometric_sum():
    """Women vs the rest is the 2x2 [[6, 24], [8, 12]]; p equals scipy's and an exact hypergeometric sum."""
    out = awards.fairness(_pool({"L": (20, 8), "P": (30, 6)}), {"jenis_kelamin": "Jenis kelamin"})
    p = out.set_index("kelompok").loc["Perempuan", "p_fisher"]
    assert p == pytest.approx(fisher_exact([[6, 24], [8, 12]])[1], rel=1e-12)
    assert p == pytest.approx(_fisher_two_sided(6, 24, 8, 12), rel=1e-9)


@pytest.mark.parametrize("groups, kelompok, ratio, below, shortfall", [
    ({"A": (10, 5), "B": (10, 4)}, "B", 0.8, False, 0),      # exactly 4/5: not below, nothing short
    ({"A": (10, 5), "B": (20, 7)}, "B", 0.7, True, 1),       # needs 0.4 x 20 = 8 -> 1 more
    ({"A": (3, 3), "B": (7, 0)}, "B", 0.0, True, 6),         # needs 0.8 x 7 = 5.6 -> 6
    ({"A": (10, 0), "B": (10, 0)}, "B", None, False, 0),     # nobody chosen: ratio undefined
])
def test_ratio_and_shortfall_at_the_boundaries(groups, kelompok, ratio, below, shortfall):
    """The threshold is compared in exact fractions: a ratio of exactly 0.8 is not adverse impact."""
    out = awards.fairness(_pool(groups), {"jenis_kelamin": "Kelompok"}, min_group=1,
                          min_expected=0).set_index("kelompok").loc[kelompok]
    assert (None if pd.isna(out["rasio"]) else round(out["rasio"], 12), bool(out["di_bawah_ambang"]),
            int(out["kekurangan"])) == (ratio, below, shortfall)


def test_golongan_is_grouped_by_its_roman_part():
    """Golongan III/a and III/d form one group III; a missing golongan is its own group."""
    pool = pd.DataFrame({"golongan": ["III/a", "III/d", "IV/a", None], "terpilih": [True, False, True, False]})
    out = awards.fairness(pool, {"golongan_kelompok": "Golongan"})
    assert out[["kelompok", "n", "terpilih"]].values.tolist() == [["III", 2, 1], ["IV", 1, 1], ["tidak tercatat", 1, 0]]


@pytest.mark.parametrize("groups, judged", [
    ({"A": (19, 10), "B": (60, 10)}, {"A": False, "B": True}),     # A has fewer than 20 people
    ({"A": (40, 1), "B": (400, 9)}, {"A": False, "B": True}),      # A: 40 x 10/440 = 0.9 expected < 5
    ({"A": (40, 10), "B": (40, 10)}, {"A": True, "B": True}),
])
def test_small_groups_are_not_judged(groups, judged):
    """A group needs 20 people and 5 expected selections at the overall rate to be judged; otherwise no ratio."""
    out = awards.fairness(_pool(groups), {"jenis_kelamin": "Kelompok"}).set_index("kelompok")
    assert out["dinilai"].to_dict() == judged
    assert out.loc[~out["dinilai"], "rasio"].isna().all()
    assert out.loc[~out["dinilai"], "status"].str.startswith(awards.STATUS_TIDAK_DINILAI).all()


def test_a_large_significant_shortfall_is_a_finding_with_holm_adjusted_p():
    """Women 20 of 200 against men 60 of 200: ratio 1/3, Fisher p far below 0.05 even after Holm: a finding."""
    out = awards.fairness(_pool({"L": (200, 60), "P": (200, 20)}), {"jenis_kelamin": "Jenis kelamin"})
    women = out.set_index("kelompok").loc["Perempuan"]
    assert women["status"] == awards.STATUS_TEMUAN and bool(women["temuan"])
    assert women["p_holm"] == pytest.approx(min(1.0, 2 * fisher_exact([[20, 180], [60, 140]])[1]))


def test_holm_adjustment_steps_down():
    """Holm: the smallest of m p-values is multiplied by m, the next by m - 1, never below the one before."""
    rows = [{"dinilai": True, "p_fisher": p} for p in (0.01, 0.04, 0.03)]
    impact._holm(rows, 0.05)
    assert [r["p_holm"] for r in rows] == pytest.approx([0.03, 0.06, 0.06])


def test_no_planted_bias_gives_almost_no_findings():
    """Selection unrelated to group (random ranks) in 200 pools of 4 groups: findings in at most 5% of pools."""
    import numpy as np

    rng = np.random.default_rng(7)
    pools_with_finding = 0
    for _ in range(200):
        g = rng.choice(["A", "B", "C", "D"], 600)
        chosen = rng.random(600) < 0.1
        out = awards.fairness(pd.DataFrame({"jenis_kelamin": g, "terpilih": chosen}), {"jenis_kelamin": "Kelompok"})
        pools_with_finding += bool(out["temuan"].any())
    assert pools_with_finding <= 10


def test_planted_bias_is_found():
    """When raters mark one group down by 0.4 SD, selection of the top 10% shows it as a finding."""
    import numpy as np

    rng = np.random.default_rng(3)
    g = rng.choice(["A", "B"], 2000)
    score = rng.normal(0, 1, 2000) - np.where(g == "B", 0.4, 0.0)
    chosen = score >= np.quantile(score, 0.9)
    out = awards.fairness(pd.DataFrame({"jenis_kelamin": g, "terpilih": chosen}), {"jenis_kelamin": "Kelompok"})
    assert out.set_index("kelompok").loc["B", "status"] == awards.STATUS_TEMUAN


def test_the_fisher_test_matches_scipy_on_small_and_city_sized_tables():
    """impact.fisher_two_sided (no scipy.stats import) gives scipy's two-sided p, ties and extremes included."""
    import random

    rng = random.Random(2026)
    tables = [(6, 24, 8, 12), (5, 5, 5, 5), (3, 7, 7, 3), (0, 10, 10, 0), (0, 0, 3, 4), (10, 0, 0, 10)]
    for _ in range(300):
        n = rng.choice([20, 200, 8000])
        n1, k = rng.randint(1, n - 1), rng.randint(0, n)
        a = rng.randint(max(0, k - (n - n1)), min(k, n1))
        tables.append((a, n1 - a, k - a, n - n1 - (k - a)))
    for a, b, c, d in tables:
        assert impact.fisher_two_sided(a, b, c, d) == pytest.approx(fisher_exact([[a, b], [c, d]])[1], rel=1e-9,
                                                                   abs=1e-300), (a, b, c, d)
