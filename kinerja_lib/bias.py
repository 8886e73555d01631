"""Rater leniency and severity: a crossed random-effects model fitted with sparse linear algebra.

The model for one observation (one rater's mean over the items they answered for one ratee) is

    y = beta[group] + u[ratee] + v[rater] + e,   u ~ N(0, s2_ratee), v ~ N(0, s2_rater), e ~ N(0, s2_resid)

with the rater group (atasan, rekan, ...) as a fixed effect: group differences are perspective, not
bias. Everything is linear in the number of observations:

* Variance components by the method of moments of Gao & Owen (2017, "Efficient moment calculations
  for variance components in large unbalanced crossed random effects models", Electronic Journal of
  Statistics 11): three U-statistics (within ratee, within rater, overall) computed in one pass each,
  on residuals from the group effects; one refinement round with the GLS group effects. On small
  designs (up to ``REML_MAX_OBS`` observations), where moment estimates are noisy, they are the start
  of a REML fit (the profiled criterion, log-determinant by sparse LU).
* Fixed and random effects by solving Henderson's mixed model equations with conjugate gradients
  (Jacobi preconditioner) on the sparse coefficient matrix; the design matrix is never dense.
* Prediction error variances (standard errors) of the ratee and rater effects from the block
  inverse of the mixed model equations, with the inverse of the other block's Schur complement
  approximated by its diagonal plus the first-order term of the ratee (rater) itself. The
  approximation ignores the uncertainty of the group effects and the coupling through third
  parties; tests bound its error against the exact inverse on small designs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

# Up to this many observations the variance components are estimated by REML (one sparse LU per
# likelihood evaluation, well under a second); beyond, by the method of moments, which is then precise.
REML_MAX_OBS = 10_000

# Variance components are floored at this share of the residual variance so the equations stay
# solvable when an estimate is zero or negative (as moment estimates can be on small data).
_FLOOR = 1e-4


@dataclass(frozen=True)
class BiasFit:
    """A fitted crossed random-effects model.

    ``ratee`` is indexed by ratee with columns ``effect``, ``se``, ``n`` (raters);
    ``rater`` by rater with ``effect`` (NaN when the rater rated fewer than 2 people, as leniency is
    then not separable from the ratee), ``se``, ``z`` and ``n`` (ratees rated).
    """

    group_effects: pd.Series
    var_ratee: float
    var_rater: float
    var_resid: float
    ratee: pd.DataFrame
    rater: pd.DataFrame
    n_obs: int
    cg_iterations: int
    variance_method: str = "momen"
    notes: list[str] = field(default_factory=list)

    def reference_level(self, weights: dict[str, float] | None = None) -> float:
        """Return the weighted mean of the group effects (weights re-normalised over fitted groups).

        With no usable weights, the plain mean of the group effects.
        """
        ge = self.group_effects
        if weights:
            w = pd.Series({g: float(weights.get(g, 0.0)) for g in ge.index})
            if w.sum() > 0:
                return float((ge * w).sum() / w.sum())
        return float(ge.mean())

    def summary(self) -> dict[str, float]:
        """Return the variance components and their shares as a flat dict (for reports and JSON)."""
        total = self.var_ratee + self.var_rater + self.var_resid
        return {"var_ratee": self.var_ratee, "var_rater": self.var_rater, "var_resid": self.var_resid,
                "share_ratee": self.var_ratee / total, "share_rater": self.var_rater / total,
                "n_obs": self.n_obs, "cg_iterations": self.cg_iterations}


def _moments(r: np.ndarray, a: np.ndarray, b: np.ndarray, na: int, nb: int) -> np.ndarray:
    """Gao & Owen (2017) moment estimates of (s2_a, s2_b, s2_e) from residuals ``r``.

    U_a = sum_i [n_i sum_j r_ij^2 - (sum_j r_ij)^2]  has expectation (s2_b + s2_e) sum_i n_i (n_i - 1),
    U_b likewise within columns, and U_e = N sum r^2 - (sum r)^2 has expectation
    s2_a (N^2 - sum n_i^2) + s2_b (N^2 - sum m_j^2) + s2_e (N^2 - N).
    """
    n = float(r.size)
    r2 = r * r
    cnt_a = np.bincount(a, minlength=na).astype(float)
    cnt_b = np.bincount(b, minlength=nb).astype(float)
    s_a, q_a = np.bincount(a, r, na), np.bincount(a, r2, na)
    s_b, q_b = np.bincount(b, r, nb), np.bincount(b, r2, nb)
    u_a = float(np.sum(cnt_a * q_a - s_a * s_a))
    u_b = float(np.sum(cnt_b * q_b - s_b * s_b))
    u_e = float(n * r2.sum() - r.sum() ** 2)
    sa2, sb2 = float(np.sum(cnt_a * cnt_a)), float(np.sum(cnt_b * cnt_b))
    pairs_a, pairs_b = sa2 - n, sb2 - n  # ordered pairs of observations sharing a ratee / a rater
    if pairs_a > 0 and pairs_b > 0:
        design = np.array([
            [0.0, pairs_a, pairs_a],
            [pairs_b, 0.0, pairs_b],
            [n * n - sa2, n * n - sb2, n * n - n],
        ])
        try:
            return np.linalg.solve(design, np.array([u_a, u_b, u_e]))
        except np.linalg.LinAlgError:
            pass
    # Degenerate designs: a component without within-pairs is not separable from the residual;
    # it is set to zero (then floored) and the other two come from the remaining equations.
    if n < 2:
        return np.array([0.0, 0.0, float(r2.mean())])
    if pairs_a > 0:  # no rater rated two people: one-way model by ratee
        s2e = u_a / pairs_a
        between = n * n - sa2
        return np.array([max((u_e - s2e * (n * n - n)) / between, 0.0) if between > 0 else 0.0, 0.0, s2e])
    if pairs_b > 0:  # no ratee has two raters
        s2e = u_b / pairs_b
        between = n * n - sb2
        return np.array([0.0, max((u_e - s2e * (n * n - n)) / between, 0.0) if between > 0 else 0.0, s2e])
    return np.array([0.0, 0.0, u_e / (n * n - n)])


def fit_crossed(y, ratee, rater, group, *, groups: list[str] | None = None,
                variances: tuple[float, float, float] | None = None, rtol: float = 1e-8,
                maxiter: int = 1000) -> BiasFit:
    """Fit y = group effect + ratee effect + rater effect + error and return a BiasFit.

    ``y``, ``ratee``, ``rater`` and ``group`` are equal-length sequences, one element per observation
    (typically one rater-ratee pair). ``groups`` fixes the order of the group effects. Pass
    ``variances=(s2_ratee, s2_rater, s2_resid)`` to skip estimation (e.g. to reuse another fit's).
    Raises ValueError on empty input or missing values in ``y``.

    >>> fit = fit_crossed([3, 4, 2, 3], ["a", "a", "b", "b"], ["x", "y", "x", "y"], ["rekan"] * 4,
    ...                   variances=(1.0, 0.5, 0.5))
    >>> round(float(fit.ratee.loc["a", "effect"] - fit.ratee.loc["b", "effect"]), 3)
    0.8
    """
    y = np.asarray(y, dtype=float)
    if y.size == 0:
        raise ValueError("tidak ada data untuk model bias penilai")
    if np.isnan(y).any():
        raise ValueError("model bias penilai: nilai kosong (NaN) harus dibuang lebih dulu")
    a, ratee_ids = pd.factorize(np.asarray(ratee), sort=False)
    b, rater_ids = pd.factorize(np.asarray(rater), sort=False)
    g, group_ids = _group_codes(group, groups)
    if (g < 0).any():
        raise ValueError("model bias penilai: ada kelompok di luar daftar kelompok")
    na, nb, ng, n = len(ratee_ids), len(rater_ids), len(group_ids), y.size
    a, b, g = a.astype(np.int64), b.astype(np.int64), g.astype(np.int64)

    ones = np.ones(n)
    rows = np.arange(n)
    w = sp.csr_matrix((np.concatenate([ones, ones, ones]),
                       (np.concatenate([rows, rows, rows]), np.concatenate([g, ng + a, ng + na + b]))),
                      shape=(n, ng + na + nb))
    wtw = (w.T @ w).tocsr()
    wty = w.T @ y
    cnt_g = np.bincount(g, minlength=ng).astype(float)
    cnt_a = np.bincount(a, minlength=na).astype(float)
    cnt_b = np.bincount(b, minlength=nb).astype(float)

    def solve(lam_a: float, lam_b: float, x0=None):
        pen = np.concatenate([np.zeros(ng), np.full(na, lam_a), np.full(nb, lam_b)])
        c = (wtw + sp.diags(pen)).tocsr()
        diag = np.concatenate([cnt_g, cnt_a + lam_a, cnt_b + lam_b])
        return _pcg(c, wty, 1.0 / diag, x0, rtol, maxiter)

    group_mean = np.bincount(g, y, ng) / cnt_g
    if variances is None:
        est = _moments(y - group_mean[g], a, b, na, nb)
        est = _clip(est, y - group_mean[g])
        sol, it1 = solve(est[2] / est[0], est[2] / est[1])
        # Refine once with the GLS group effects, which account for who rated whom.
        est = _moments(y - sol[g], a, b, na, nb)
        est = _clip(est, y - sol[g])
        sol, it2 = solve(est[2] / est[0], est[2] / est[1], x0=sol)
        iterations, method = it1 + it2, "momen"
        if n <= REML_MAX_OBS and na >= 2 and nb >= 2 and n > ng:
            # On small cycles the moment estimates are noisy enough to mislead the standard errors
            # (and so the coverage of every interval built on them): REML, from the moment start.
            reml = _reml(wtw, wty, float(y @ y), n, ng, na, nb, est)
            if reml is not None:
                est = reml
                sol, it3 = solve(est[2] / est[0], est[2] / est[1], x0=sol)
                iterations, method = iterations + it3, "REML"
    else:
        est = np.array(variances, dtype=float)
        if (est <= 0).any():
            raise ValueError("komponen varians harus positif")
        sol, iterations = solve(est[2] / est[0], est[2] / est[1])
        method = "diberikan"
    s2a, s2b, s2e = (float(x) for x in est)
    lam_a, lam_b = s2e / s2a, s2e / s2b
    beta, u, v = sol[:ng], sol[ng:ng + na], sol[ng + na:]

    pev_u, pev_v = _pev(a, b, cnt_a, cnt_b, lam_a, lam_b, s2e)
    # Uncertainty of the group level (roughly s2_ratee/na + s2_rater/nb + s2_resid/N per group)
    # enters each BLUP with weight (n/d)^2, as in the one-way model with an estimated mean.
    var_level = s2a / na + s2b / nb + s2e * ng / n
    pev_u += (cnt_a / (cnt_a + lam_a)) ** 2 * var_level
    pev_v += (cnt_b / (cnt_b + lam_b)) ** 2 * var_level
    ratee_df = pd.DataFrame({"effect": u, "se": np.sqrt(pev_u), "n": cnt_a.astype(int)},
                            index=pd.Index(ratee_ids, name="ratee"))
    n_ratees = np.bincount(b, minlength=nb)  # pairs are unique, so observations = ratees rated
    effect_v = np.where(n_ratees >= 2, v, np.nan)
    se_v = np.where(n_ratees >= 2, np.sqrt(pev_v), np.nan)
    rater_df = pd.DataFrame({"effect": effect_v, "se": se_v, "z": effect_v / se_v, "n": n_ratees},
                            index=pd.Index(rater_ids, name="rater"))
    return BiasFit(pd.Series(beta, index=pd.Index(group_ids, name="group")), s2a, s2b, s2e,
                   ratee_df, rater_df, int(n), int(iterations), method)


def _group_codes(group, candidates: list | None) -> tuple[np.ndarray, list]:
    """Return each observation's group code and the groups present, in the order of ``candidates`` (sorted when
    None); a group outside ``candidates`` (or missing) has code -1.

    ``group`` holds the names, or is a pandas Categorical of them whose codes are used as they are: a province's
    millions of observations are then not hashed as text.
    """
    if isinstance(group, pd.Categorical):
        codes, labels = np.asarray(group.codes, dtype=np.int64), list(group.categories)
    else:
        codes, labels = pd.factorize(np.asarray(group, dtype=object), sort=False)
        codes, labels = codes.astype(np.int64, copy=False), list(labels)
    used = np.bincount(codes[codes >= 0], minlength=len(labels)) > 0
    names = {x for x, u in zip(labels, used) if u}
    present = sorted(names) if candidates is None else [x for x in candidates if x in names]
    # The last entry is for code -1 (missing): it stays -1.
    to_present = np.array([present.index(x) if x in present else -1 for x in labels] + [-1], dtype=np.int64)
    return to_present[codes], present


@dataclass(frozen=True)
class RaterCorrection:
    """Observations with their rater's leniency and their group's effect removed (see :func:`rater_correction`).

    ``corrected[k]`` is observation k minus its group effect minus its rater's estimated effect;
    ``group_effects`` are the group effects estimated within ratees, relative to the first group (0);
    ``ratee_pev[i]`` is the error variance of ratee i's mean corrected observation (the generalised
    least-squares estimate of their level), indexed by ratee code; ``effect`` holds each rater's effect,
    indexed by rater code.
    """

    corrected: np.ndarray
    group_effects: pd.Series
    ratee_pev: np.ndarray
    effect: np.ndarray

    def reference_level(self, weights: dict[str, float]) -> float:
        """Return the weighted mean of the group effects (weights re-normalised over the groups present)."""
        ge = self.group_effects
        w = pd.Series({g: float(weights.get(g, 0.0)) for g in ge.index})
        return float((ge * w).sum() / w.sum()) if w.sum() > 0 else float(ge.mean())


def rater_correction(fit: BiasFit, y, ratee, rater, group, n_rater: int | None = None) -> RaterCorrection:
    """Return the observations corrected for rater leniency and group effects with ``fit``'s variance components.

    ``ratee`` and ``rater`` are integer codes (``rater`` in ``range(n_rater)``), ``group`` the group names,
    one element per observation as given to :func:`fit_crossed`. Every ratee is a fixed effect, the
    raters random (Henderson's equations with no penalty on the ratees), and the group effects are
    estimated alongside: a group's effect is then how that group rates the same people differently from
    the others, and a rater's effect how they rated people compared with those people's other raters.
    Neither can absorb differences between the people a group or a rater happens to rate (a supervisor
    rates junior staff, bawahan rate their head), and no ratee's level is shrunk. For a ratee, the mean
    of their corrected observations is the generalised least-squares estimate of their level, so an
    analysis that shrinks it (the award ranking) shrinks once.

    ``ratee_pev`` is s2_resid times the diagonal of the inverse of the ratee block's Schur complement
    S = D - N (D_r + lam I)^-1 N' (D: ratings per ratee, D_r: per rater, N: ratee x rater counts,
    lam = s2_resid / s2_rater), taken to second order: 1/S_ii + sum_k S_ik^2 / (S_ii^2 S_kk). Ratees
    are coupled only through raters they share, so the neglected terms are products of two or more
    such couplings; the uncertainty of the group effects is left to the caller.
    """
    y = np.asarray(y, dtype=float)
    a = np.asarray(ratee, dtype=np.int64)
    b = np.asarray(rater, dtype=np.int64)
    g, present = _group_codes(group, list(fit.group_effects.index))
    if (g < 0).any():
        raise ValueError("koreksi penilai: ada kelompok yang tidak ada dalam model")
    na = int(a.max()) + 1 if a.size else 0
    nb = int(n_rater if n_rater is not None else (b.max() + 1 if b.size else 0))
    ng = len(present)
    n = y.size
    lam = fit.var_resid / fit.var_rater
    cnt_a = np.bincount(a, minlength=na).astype(float)
    cnt_b = np.bincount(b, minlength=nb).astype(float)
    cnt_g = np.bincount(g, minlength=ng).astype(float)
    rows = np.arange(n)
    # Columns: ratees, groups after the first (the first is the baseline), raters.
    free = g > 0
    cols = [a, na + g[free] - 1, na + ng - 1 + b]
    rr = [rows, rows[free], rows]
    w = sp.csr_matrix((np.ones(sum(len(c) for c in cols)), (np.concatenate(rr), np.concatenate(cols))),
                      shape=(n, na + ng - 1 + nb))
    pen = np.concatenate([np.zeros(na + ng - 1), np.full(nb, lam)])
    c = (w.T @ w + sp.diags(pen)).tocsr()
    diag = np.concatenate([np.maximum(cnt_a, 1.0), np.maximum(cnt_g[1:], 1.0), cnt_b + lam])
    sol, _ = _pcg(c, w.T @ y, 1.0 / diag, None, 1e-10, 5000)
    beta = np.concatenate([[0.0], sol[na:na + ng - 1]])
    v = sol[na + ng - 1:]
    # Schur complement of the ratee block: S = D - N diag(1 / (n_j + lam)) N'.
    counts = sp.csr_matrix((np.ones(n), (a, b)), shape=(na, nb))
    counts.sum_duplicates()
    coupling = (counts @ sp.diags(1.0 / (cnt_b + lam)) @ counts.T).tocsr()
    s_diag = cnt_a - coupling.diagonal()
    # The squared off-diagonal couplings: squared in place, the diagonal's entries set to zero (no new matrix).
    off = coupling
    off.data **= 2
    off.data[off.indices == np.repeat(np.arange(na), np.diff(off.indptr))] = 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        second = off @ (1.0 / np.where(s_diag > 0, s_diag, np.inf))
        pev = fit.var_resid * (1.0 / s_diag + second / s_diag ** 2)
    return RaterCorrection(y - beta[g] - v[b], pd.Series(beta, index=pd.Index(present, name="group")),
                           np.where(cnt_a > 0, pev, np.nan), v)


def adjusted_means(corr: RaterCorrection, fit: BiasFit, ratee, group, weights: dict[str, float],
                   n_ratee: int) -> tuple[np.ndarray, np.ndarray]:
    """Return each ratee's bias-adjusted level and its standard error from corrected observations.

    ``ratee`` (codes) and ``group`` (names) are those given to :func:`rater_correction`. The level is the
    reference level (the ``weights``-weighted mean of the group effects) plus the ``weights``-weighted mean
    of the ratee's group means of corrected observations, weights re-normalised over the groups the
    ratee has. The error is the ratee's corrected-mean error (``ratee_pev``) times the design effect of
    the weights, n * sum(a_j^2) over the n observations with their weights a_j, plus the uncertainty of
    the reference level. NaN for ratees without an observation in a weighted group.
    """
    a = np.asarray(ratee, dtype=np.int64)
    names = list(corr.group_effects.index)
    g = pd.Categorical(np.asarray(group, dtype=object), categories=names).codes.astype(np.int64)
    ng = len(names)
    w = np.array([float(weights.get(x, 0.0)) for x in names])
    key = a * ng + g
    count = np.bincount(key, minlength=n_ratee * ng).reshape(n_ratee, ng)
    use = (count > 0) & (w[None, :] > 0)
    ww = np.where(use, w[None, :], 0.0)
    total = ww.sum(axis=1)
    share = ww / np.where(total > 0, total, 1.0)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.bincount(key, corr.corrected, n_ratee * ng).reshape(n_ratee, ng) / count
        n_used = np.where(use, count, 0).sum(axis=1)
        design = n_used * (share ** 2 / np.where(use, count, np.inf)).sum(axis=1)
    pev = np.full(n_ratee, np.nan)
    pev[: min(corr.ratee_pev.size, n_ratee)] = corr.ratee_pev[:n_ratee]
    level = (fit.var_ratee / max(np.unique(a).size, 1) + fit.var_rater / max(corr.effect.size, 1)
             + fit.var_resid * ng / max(a.size, 1))
    with np.errstate(invalid="ignore"):
        adj = corr.reference_level(weights) + (np.where(use, m, 0.0) * share).sum(axis=1)
        se = np.sqrt(pev * design + level)
    return np.where(total > 0, adj, np.nan), np.where(total > 0, se, np.nan)


def _reml(wtw, wty, yty: float, n: int, ng: int, na: int, nb: int, start) -> np.ndarray | None:
    """Return REML estimates (s2_ratee, s2_rater, s2_resid) of the crossed model, or None if it fails.

    With C(lam) the mixed model equations' matrix (group effects fixed, lam_a = s2_resid / s2_ratee and
    lam_b = s2_resid / s2_rater added on the random blocks), the profiled REML criterion is
    (n - p) log s2_resid + log|C| - q_a log lam_a - q_b log lam_b, s2_resid = (y'y - sol'W'y) / (n - p),
    p = the number of groups (Harville 1977; the form lme4 profiles). It is minimised over
    (log lam_a, log lam_b) by Nelder-Mead from the moment estimates; log|C| comes from a sparse LU.
    """
    from scipy.optimize import minimize
    from scipy.sparse.linalg import splu

    # C is symmetric positive definite, so it is factorised without pivoting, and only its diagonal changes
    # with lam: the fill-reducing order is found once and C is held in that order, its diagonal rewritten in
    # place for each evaluation. Finding the order is most of a factorisation's time (about 80% on a city's
    # competency model), and the Nelder-Mead search evaluates C some ninety times.
    fixed = {"diag_pivot_thresh": 0.0, "options": {"SymmetricMode": True}}
    pen_a = np.concatenate([np.zeros(ng), np.ones(na), np.zeros(nb)])
    pen_b = np.concatenate([np.zeros(ng + na), np.ones(nb)])
    la0, lb0 = np.exp(np.clip(np.log([start[2] / start[0], start[2] / start[1]]), -12.0, 12.0))
    try:
        first = splu((wtw + sp.diags(la0 * pen_a + lb0 * pen_b)).tocsc(), permc_spec="MMD_AT_PLUS_A", **fixed)
    except RuntimeError:
        return None
    order = np.argsort(first.perm_c)
    c = wtw.tocsr()[order][:, order].tocsc()
    c.sort_indices()
    column = np.repeat(np.arange(c.shape[1]), np.diff(c.indptr))
    on_diagonal = np.flatnonzero(c.indices == column)
    if on_diagonal.size != c.shape[0]:  # every group, ratee and rater has an observation, so never
        return None
    base, pen_a, pen_b, rhs = c.data[on_diagonal].copy(), pen_a[order], pen_b[order], wty[order]

    def parts(theta):
        la, lb = np.exp(theta)
        c.data[on_diagonal] = base + la * pen_a + lb * pen_b
        lu = splu(c, permc_spec="NATURAL", **fixed)
        sol = lu.solve(rhs)
        s2e = (yty - float(sol @ rhs)) / (n - ng)
        return float(np.log(np.abs(lu.U.diagonal())).sum()), s2e, la, lb

    def criterion(theta):
        try:
            logdet, s2e, la, lb = parts(np.clip(theta, -12.0, 12.0))
        except RuntimeError:  # singular at an extreme: treat as very unlikely
            return np.inf
        if not s2e > 0:
            return np.inf
        return (n - ng) * np.log(s2e) + logdet - na * np.log(la) - nb * np.log(lb)

    x0 = np.log([start[2] / start[0], start[2] / start[1]])
    try:
        # Unusable corners (singular, or no residual variance: degenerate tiny designs) score inf, and
        # Nelder-Mead's stopping test then subtracts inf from inf: harmless, so not reported.
        with np.errstate(invalid="ignore"):
            res = minimize(criterion, x0, method="Nelder-Mead",
                           options={"xatol": 1e-4, "fatol": 1e-6, "maxiter": 400})
        _, s2e, la, lb = parts(np.clip(res.x, -12.0, 12.0))
    except (RuntimeError, ValueError, np.linalg.LinAlgError):
        return None
    if not (np.isfinite(res.fun) and s2e > 0):
        return None
    return np.array([s2e / la, s2e / lb, s2e])


def _pcg(a: sp.csr_matrix, b: np.ndarray, inv_diag: np.ndarray, x0, rtol: float, maxiter: int):
    """Solve a x = b (a symmetric positive definite) by Jacobi-preconditioned conjugate gradients.

    Written out rather than scipy's ``cg`` so that the inner products are plain numpy reductions:
    on small vectors a threaded BLAS costs more in synchronisation than it saves, badly so on a
    busy machine. Returns ``(x, iterations)``; raises RuntimeError when it does not converge.
    """
    x = np.zeros_like(b) if x0 is None else x0.copy()
    r = b - a @ x
    z = inv_diag * r
    p = z.copy()
    rz = float(np.add.reduce(r * z))
    stop = rtol * float(np.sqrt(np.add.reduce(b * b)))
    for it in range(1, maxiter + 1):
        q = a @ p
        alpha = rz / float(np.add.reduce(p * q))
        x += alpha * p
        r -= alpha * q
        if float(np.sqrt(np.add.reduce(r * r))) <= stop:
            return x, it
        z = inv_diag * r
        rz_new = float(np.add.reduce(r * z))
        p = z + (rz_new / rz) * p
        rz = rz_new
    raise RuntimeError(f"model bias penilai tidak konvergen setelah {maxiter} iterasi")


def _clip(est: np.ndarray, r: np.ndarray) -> np.ndarray:
    floor = _FLOOR * max(float(np.var(r)), 1e-12)
    return np.maximum(est, floor)


def _pev(a, b, cnt_a, cnt_b, lam_a, lam_b, s2e):
    """Approximate prediction error variances of the ratee and rater effects (see module docstring).

    For ratee i with d_i = n_i + lam_a, the exact PEV is s2e * [1/d_i + (1/d_i^2) 1' S^-1 1] over the
    raters of i, S being the rater-block Schur complement. S^-1 is replaced by diag(1/S_jj) plus the
    first-order Neumann term through ratee i itself, 1/d_i * (sum_j 1/S_jj)^2 - sum_j 1/S_jj^2).
    """
    d_a, d_b = cnt_a + lam_a, cnt_b + lam_b
    # Diagonal of each Schur complement: S_jj = d_j - sum_{i rated by j} 1/d_i.
    s_b = d_b - np.bincount(b, 1.0 / d_a[a], d_b.size)
    s_a = d_a - np.bincount(a, 1.0 / d_b[b], d_a.size)

    def side(own, other, d_own, s_other):
        inv = 1.0 / s_other[other]
        t1 = np.bincount(own, inv, d_own.size)
        t2 = np.bincount(own, inv * inv, d_own.size)
        quad = t1 + (t1 * t1 - t2) / d_own
        return s2e * (1.0 / d_own + quad / (d_own * d_own))

    return side(a, b, d_a, s_b), side(b, a, d_b, s_a)


def simulate_ratings(n_ratees: int, raters_per_ratee: int = 7, *, seed: int = 0, sd_ratee: float = 0.6,
                     sd_rater: float = 0.4, sd_resid: float = 0.5, group_effects: dict[str, float] | None = None,
                     n_items: int = 1, pool: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Simulate crossed multi-rater data with known effects, for checks of power and recovery.

    Each ratee gets ``raters_per_ratee`` distinct raters drawn from a pool (default: as many raters as
    ratees), each with a group from ``group_effects``. Returns ``(responses, ratee_truth,
    rater_truth)``: a long table ``ratee, rater, relation, item, score`` (continuous scores, one row
    per item), and the true effects indexed by ratee and by rater.
    """
    rng = np.random.default_rng(seed)
    groups = group_effects or {"atasan": 0.0, "rekan": 0.2, "bawahan": 0.3}
    names = list(groups)
    pool = pool or n_ratees
    u = rng.normal(0, sd_ratee, n_ratees)
    v = rng.normal(0, sd_rater, pool)
    k = raters_per_ratee
    # Distinct raters per ratee: a random offset walk over the pool avoids duplicates cheaply.
    start = rng.integers(0, pool, n_ratees)
    steps = np.cumsum(rng.integers(1, max(2, pool // (k + 1)), (n_ratees, k)), axis=1)
    raters = (start[:, None] + steps) % pool
    ratee = np.repeat(np.arange(n_ratees), k)
    rater = raters.ravel()
    grp = rng.integers(0, len(names), ratee.size)
    beta = np.array([groups[x] for x in names])
    base = 3.0 + beta[grp] + u[ratee] + v[rater]
    score = base[:, None] + rng.normal(0, sd_resid, (ratee.size, n_items))
    items = [f"I{i + 1}" for i in range(n_items)]
    responses = pd.DataFrame({
        "ratee": np.repeat(ratee, n_items), "rater": np.repeat(rater, n_items),
        "relation": np.repeat(np.array(names, dtype=object)[grp], n_items),
        "item": np.tile(items, ratee.size), "score": score.ravel()})
    return (responses, pd.DataFrame({"effect": u}, index=pd.RangeIndex(n_ratees, name="ratee")),
            pd.DataFrame({"effect": v}, index=pd.RangeIndex(pool, name="rater")))
