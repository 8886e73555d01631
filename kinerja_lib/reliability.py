"""Inter-rater reliability and agreement: ICC(1) and ICC(1,k), rwg(j), Krippendorff's alpha.

Each function takes a long DataFrame and the names of its columns, so it serves any multi-rater data.
Computation is vectorised (counts and sums per group), linear in the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class ICCResult:
    """One-way random-effects intraclass correlations (raters nested in targets).

    ``icc1`` is the reliability of a single rating, ``icc1k`` that of the mean of ``k0`` ratings,
    ``k0`` the adjusted mean group size for unbalanced data.
    """

    icc1: float
    icc1k: float
    k0: float
    ms_between: float
    ms_within: float
    n_targets: int
    n_ratings: int

    def as_dict(self) -> dict[str, float]:
        return {"icc1": self.icc1, "icc1k": self.icc1k, "k0": self.k0, "ms_between": self.ms_between,
                "ms_within": self.ms_within, "n_targets": self.n_targets, "n_ratings": self.n_ratings}


def _codes(values) -> tuple[np.ndarray, int]:
    if isinstance(getattr(values, "dtype", None), pd.CategoricalDtype):
        codes = np.asarray(values.cat.codes, dtype=np.int64)
        return codes, len(values.cat.categories)
    codes, uniques = pd.factorize(np.asarray(values))
    return codes.astype(np.int64), len(uniques)


def icc1(df: pd.DataFrame, target: str, rater: str, score: str) -> ICCResult:
    """Return ICC(1) and ICC(1,k) from a one-way ANOVA of ``score`` by ``target``.

    Several rows of one (target, rater) are averaged first, so item-level data gives the
    reliability of rater means. Missing scores are ignored. For unbalanced groups the group size is
    k0 = (N - sum n_i^2 / N) / (a - 1) (Shrout & Fleiss 1979; Bliese 2000):
    ICC(1) = (MSB - MSW) / (MSB + (k0 - 1) MSW) and ICC(1,k) = (MSB - MSW) / MSB, which is the
    Spearman-Brown step-up of ICC(1) to k0 raters. Raises ValueError with fewer than 2 targets or
    no target with 2 ratings.

    >>> d = pd.DataFrame({"t": [1, 1, 2, 2], "r": [1, 2, 3, 4], "y": [1.0, 2.0, 4.0, 5.0]})
    >>> round(icc1(d, "t", "r", "y").icc1, 3)   # (MSB - MSW) / (MSB + MSW) = (9 - 0.5) / (9 + 0.5)
    0.895
    """
    data = df[[target, rater, score]].dropna(subset=[score])
    t, nt = _codes(data[target])
    r, nr = _codes(data[rater])
    y = data[score].to_numpy(dtype=float)
    # Average repeated rows of one rater for one target.
    pair, uniq = pd.factorize(t * nr + r)
    y = np.bincount(pair, y) / np.bincount(pair)
    return icc1_arrays((uniq // nr).astype(np.int64), y)


def icc1_arrays(target: np.ndarray, y: np.ndarray) -> ICCResult:
    """Return ICC(1) and ICC(1,k) for integer target codes and one rating per element (see icc1)."""
    counts = np.bincount(target) if target.size else np.zeros(0, dtype=np.int64)
    present = counts > 0
    t = (np.cumsum(present) - 1)[target]
    n_i = counts[present].astype(float)
    a, n = n_i.size, float(y.size)
    if a < 2 or n <= a:
        raise ValueError("ICC butuh paling sedikit 2 pegawai dinilai dan satu pegawai dengan 2 penilai")
    means = np.bincount(t, y, a) / n_i
    grand = y.mean()
    ssb = float(np.sum(n_i * (means - grand) ** 2))
    ssw = float(np.sum((y - means[t]) ** 2))
    msb, msw = ssb / (a - 1), ssw / (n - a)
    k0 = (n - float(np.sum(n_i ** 2)) / n) / (a - 1)
    icc = (msb - msw) / (msb + (k0 - 1) * msw) if msb + (k0 - 1) * msw > 0 else float("nan")
    icck = (msb - msw) / msb if msb > 0 else float("nan")
    return ICCResult(float(icc), float(icck), float(k0), msb, msw, int(a), int(n))


def uniform_null_variance(scale_points: int) -> float:
    """Return the variance of a uniform response on A points, (A^2 - 1) / 12 (James et al. 1984).

    >>> uniform_null_variance(5)
    2.0
    """
    if scale_points < 2:
        raise ValueError("skala harus punya paling sedikit 2 titik")
    return (scale_points ** 2 - 1) / 12


def rwg(df: pd.DataFrame, target: str, score: str, scale_points: int, item: str | None = None,
        truncate: bool = True) -> pd.DataFrame:
    """Return within-group agreement per target: rwg for one item, rwg(j) over J items.

    One row per target (index) with columns ``n`` (largest number of raters on an item), ``j``
    (items with at least 2 ratings), ``mean_var`` (mean over items of the sample variance across
    raters, ddof=1) and ``rwg`` = J (1 - v/s2) / (J (1 - v/s2) + v/s2), with s2 = (A^2 - 1)/12 the
    uniform null variance (James, Demaree & Wolf 1984); for J = 1 this is rwg = 1 - v/s2.
    With ``truncate`` (default), values outside [0, 1], which arise when the observed variance
    exceeds the null variance, are set to 0 as James et al. recommend. Targets without any item
    rated twice get NaN. Missing scores are ignored.
    """
    cols = [target, score] + ([item] if item else [])
    data = df[cols].dropna(subset=[score])
    t, nt = _codes(data[target])
    labels = (data[target].cat.categories if isinstance(data[target].dtype, pd.CategoricalDtype)
              else pd.Index(pd.unique(np.asarray(data[target]))))
    if item:
        i, ni = _codes(data[item])
    else:
        i, ni = np.zeros(len(data), dtype=np.int64), 1
    y = data[score].to_numpy(dtype=float)
    n, j, mean_var, value = rwg_arrays(t * ni + i, nt, ni, y, scale_points, truncate)
    out = pd.DataFrame({"n": n, "j": j, "mean_var": mean_var, "rwg": value},
                       index=pd.Index(labels, name=target))
    return out[np.bincount(t, minlength=nt) > 0]


def rwg_arrays(cell: np.ndarray, nt: int, ni: int, y: np.ndarray, scale_points: int,
               truncate: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(n, j, mean_var, rwg)`` arrays per target code (see rwg); ``cell`` = target code * ni + item code."""
    size = nt * ni
    c = np.bincount(cell, minlength=size).astype(float)
    return rwg_from_sums(c, np.bincount(cell, y, size), np.bincount(cell, y * y, size), nt, ni, scale_points,
                         truncate)


def rwg_from_sums(c: np.ndarray, s: np.ndarray, q: np.ndarray, nt: int, ni: int, scale_points: int,
                  truncate: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """rwg_arrays from per-cell counts, sums and sums of squares (cells = target code * ni + item code)."""
    ok = c >= 2
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.where(ok, np.maximum((q - s * s / c) / (c - 1), 0.0), 0.0)
    j = ok.reshape(nt, ni).sum(axis=1).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_var = var.reshape(nt, ni).sum(axis=1) / j
        ratio = mean_var / uniform_null_variance(scale_points)
        value = j * (1 - ratio) / (j * (1 - ratio) + ratio)
    if truncate:
        value = np.where((ratio > 1) | (value < 0) | (value > 1), 0.0, value)
    has = j > 0
    n = c.reshape(nt, ni).max(axis=1).astype(int)
    return n, j.astype(int), np.where(has, mean_var, np.nan), np.where(has, value, np.nan)


_LEVELS = ("nominal", "ordinal", "interval", "ratio")
# Units taken at a time by alpha_from_counts (about 40 MB of floating-point copies for five values).
_ALPHA_UNITS = 1 << 20


def krippendorff_alpha(df: pd.DataFrame, unit: str, coder: str, value: str, level: str = "ordinal",
                       values: list | None = None) -> float:
    """Return Krippendorff's alpha for the long table (one row per unit x coder), missing values allowed.

    ``level`` is nominal, ordinal, interval or ratio (Krippendorff 2011, "Computing Krippendorff's
    alpha-reliability"). ``values`` lists the ordered value domain (default: the values present,
    sorted); it matters for the ordinal metric, whose distances count the values in between.
    Units coded by fewer than 2 coders are not pairable and are left out. A coder with several rows
    for one unit counts each row. Raises ValueError for an unknown level or when no unit is pairable.
    """
    if level not in _LEVELS:
        raise ValueError(f"level '{level}' tidak dikenal; pilihan: {', '.join(_LEVELS)}")
    data = df[[unit, coder, value]].dropna(subset=[value])
    u, nu = _codes(data[unit])
    raw = data[value].to_numpy()
    domain = np.array(sorted(pd.unique(raw)) if values is None else list(values))
    pos = pd.Index(domain).get_indexer(raw)
    if (pos < 0).any():
        raise ValueError("ada nilai di luar domain nilai yang diberikan")
    nv = domain.size
    counts = np.bincount(u * nv + pos, minlength=nu * nv).reshape(nu, nv).astype(float)
    return alpha_from_counts(counts, level, domain)


def alpha_from_counts(counts: np.ndarray, level: str, domain) -> float:
    """Return Krippendorff's alpha from a units x values matrix of counts (see krippendorff_alpha).

    The counts may be integers; they are taken a block of units at a time, so a province's tens of millions
    of units never exist as floating-point copies all at once.
    """
    domain = np.asarray(domain)
    nv = counts.shape[1]
    # Coincidence matrix o_ck = sum_u (n_uc n_uk - [c = k] n_uc) / (m_u - 1), over the pairable units.
    o, diagonal, units = np.zeros((nv, nv)), np.zeros(nv), 0
    for start in range(0, counts.shape[0], _ALPHA_UNITS):
        part = counts[start:start + _ALPHA_UNITS]
        m = part.sum(axis=1)
        pairable = m >= 2
        if not pairable.all():
            part, m = part[pairable], m[pairable]
        units += part.shape[0]
        part = part.astype(float, copy=False)
        weighted = part / (m - 1.0)[:, None]
        o += weighted.T @ part
        diagonal += weighted.sum(axis=0)
    if units == 0:
        raise ValueError("tidak ada unit yang dinilai oleh paling sedikit 2 penilai")
    o -= np.diag(diagonal)
    n_c = o.sum(axis=1)
    n = n_c.sum()
    if n <= 1:
        raise ValueError("terlalu sedikit nilai yang dapat dipasangkan")
    delta = _delta2(level, domain, n_c)
    d_o = float((o * delta).sum() / n)
    d_e = float((np.outer(n_c, n_c) * delta).sum() / (n * (n - 1)))
    if d_e == 0:
        return float("nan")
    return 1.0 - d_o / d_e


def _delta2(level: str, domain: np.ndarray, n_c: np.ndarray) -> np.ndarray:
    nv = domain.size
    if level == "nominal":
        return 1.0 - np.eye(nv)
    if level == "ordinal":
        # delta_ck = (sum_{g=c..k} n_g - (n_c + n_k) / 2)^2 over the coincidence marginals.
        cum = np.concatenate([[0.0], np.cumsum(n_c)])
        c, k = np.meshgrid(np.arange(nv), np.arange(nv), indexing="ij")
        lo, hi = np.minimum(c, k), np.maximum(c, k)
        between = cum[hi + 1] - cum[lo]
        return (between - (n_c[c] + n_c[k]) / 2.0) ** 2
    x = domain.astype(float)
    diff = x[:, None] - x[None, :]
    if level == "interval":
        return diff ** 2
    total = x[:, None] + x[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (diff / total) ** 2
    return np.nan_to_num(out)
