"""360-degree scores: group means under the anonymity rule, the weighted and bias-adjusted score, per-value
results, self-other agreement, the Rating Perilaku suggestion, predikat and the unit distribution check.

The pure part takes a long table with columns ``ratee, rater, relation, item, score`` (NaN =
"tidak dapat menilai"), so forms collected by Voilà, imported paper forms or any other multi-rater data
are scored by the same code, or the same answers as a forms x items matrix (kinerja_lib.responses.AnswerMatrix,
what the database gives); the analysis itself works on the matrix, item by item over the forms. The database
part (``load_*``, ``run_scoring``, ``save_results``, ``export_results_xlsx``) reads a cycle and writes
``hasil_skor`` and ``hasil_skor_nilai``.

Rules (DOMAIN.md, "360° method"):

* A group's count is the number of distinct raters with at least one non-missing score; its mean is the
  mean of those raters' own means, so every rater weighs the same whatever they left unanswered.
* A group under its minimum (``minimal_penilai``) is dropped entirely: no mean, no part in the score,
  the bias-adjusted score or any per-value figure, and its comments are withheld. It is never folded
  into an "others" figure. The same holds for each item: a (ratee, group, item) cell scored by fewer
  raters than the minimum is hidden and its answers count nowhere, so no shown figure can be set
  against another to recover them. Counts stay visible to the researcher.
* The score is the weighted mean of the shown groups' means, self excluded, weights (``bobot``)
  re-normalised over the groups shown for that person.
* The bias-adjusted score is the reference level (the ``bobot``-weighted mean of the group effects)
  plus the person's effect in a crossed random-effects model of ratee and rater (kinerja_lib.bias),
  fitted on the shown non-self rater means; its standard error is the effect's prediction error.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlite_utils import Database

from . import columns, hasil, normal, records, reliability
from .bias import BiasFit, RaterCorrection, fit_crossed, rater_correction
from .cycle import Cycle, anonymity_warning, get_cycle
from .errors import CycleError
from .organisation import load_tree, predikat_organisasi, units_of_pegawai
from .predikat import check_distribution, predikat_kinerja
from .rater_quality import FormAnswers, flagged_raters, label_rank, quality_from_forms
from .reference import load_competencies, load_instrument, load_kuadran, load_scale, load_vocabulary
from .responses import AnswerMatrix, has_submitted_answers, load_answer_matrix, submitted_assignments
from .settings import MethodSettings, method_settings
from .store import RATINGS, RELATIONS, STATUS_PREDIKAT, data_version

COLUMNS = ("ratee", "rater", "relation", "item", "score")
SEMUA = hasil.SEMUA  # the weighted non-self figure (per value) or the overall level (self-other agreement)
DIRI = "diri"
ATAS, SESUAI, BAWAH = RATINGS
DITETAPKAN, SEMENTARA = STATUS_PREDIKAT

# Published single-rater reliabilities (Conway & Huffcutt 1997), shown beside ours for context.
RELIABILITAS_PUBLIKASI = {"atasan": 0.50, "rekan": 0.37, "bawahan": 0.30}

KESEPAKATAN = {
    "lebih_tinggi": "Menilai diri lebih tinggi dari penilai lain",
    "selaras": "Selaras dengan penilai lain",
    "lebih_rendah": "Menilai diri lebih rendah dari penilai lain",
}
TITIK = {"titik_buta": "Titik buta", "kekuatan_tersembunyi": "Kekuatan tersembunyi"}

# Rater leniency counts as marked when its estimate is this many standard errors from zero.
AMBANG_Z_KELONGGARAN = 2.0


# ----------------------------------------------------------------------------------------------------
# Coding the long table


@dataclass
class _Forms:
    """The answers as items x forms (a form is one rater's answers for one ratee) with each form's codes, and the
    per-form figures the analyses share.

    Every per-answer figure is taken item by item over form-length arrays: beyond the matrix itself and its two
    masks, no array has one element per answer (a province's cycle has a hundred million and more).
    """

    ratees: pd.Index
    raters: pd.Index
    groups: list[str]
    items: pd.Index
    y: np.ndarray | None               # items x forms, NaN = no score
    ok_raw: np.ndarray | None          # items x forms: a score was given (not "tidak dapat menilai")
    p_ratee: np.ndarray                # per form: codes into ratees, raters, groups
    p_rater: np.ndarray
    p_group: np.ndarray
    p_n_raw: np.ndarray | None = None  # items scored in the form
    p_mean_raw: np.ndarray | None = None
    # visibility: value (or stand-alone item) of each item; ``values`` lists the reported ones first
    item_value: np.ndarray | None = None
    values: pd.Index | None = None
    n_cells: int = 0                   # reported values + stand-alone items
    ok: np.ndarray | None = None       # items x forms: a score in a (ratee, group, item) cell that is shown
    p_n: np.ndarray | None = None      # items scored in shown cells
    p_mean: np.ndarray | None = None

    @property
    def n_ratee(self) -> int:
        return len(self.ratees)

    def drop_answers(self) -> None:
        """Let go of the answers once every per-answer figure is computed (the form and ratee level stay): for a
        province they are most of the memory, and the result tables come after."""
        self.y = self.ok_raw = self.ok = None


def _code(responses: pd.DataFrame | AnswerMatrix, settings: dict[str, Any],
          item_values: Mapping[str, str] | None = None) -> _Forms:
    """Code the answers (a long table or a matrix) and apply the anonymity rule at its finest grain.

    The unit of suppression is the (ratee, rater group, item) cell: a cell scored by fewer raters than the
    group's minimum is hidden, and its scores are treated as missing by every figure (group means, the
    score, the bias model, per-value and per-item results). Were only the per-item figure hidden, the
    value's mean or the group's overall mean would still carry those answers and, set against the shown
    items, give them away. ``item_values`` (default: the BerAKHLAK instrument) groups items into the
    values reported; items outside it are reported on their own.
    """
    matrix = responses if isinstance(responses, AnswerMatrix) else AnswerMatrix.from_long(responses)
    return _code_forms(matrix, settings, list(settings["kelompok"]), item_values)


def _code_forms(m: AnswerMatrix, settings: dict[str, Any], groups: list[str],
                item_values: Mapping[str, str] | None) -> _Forms:
    to_group = pd.Index(groups).get_indexer(m.relations)
    used = np.bincount(m.relation, minlength=len(m.relations)) > 0
    unknown = [str(x) for x, g, u in zip(m.relations, to_group, used) if g < 0 and u]
    if unknown:
        raise ValueError(f"relasi tidak dikenal: {', '.join(sorted(unknown))}; pilihan: {', '.join(groups)}")
    y = m.scores
    ok_raw = ~np.isnan(y)
    data = _Forms(m.ratees, m.raters, groups, m.items, y, ok_raw, m.ratee.astype(np.int64, copy=False),
                  m.rater.astype(np.int64, copy=False), to_group[m.relation].astype(np.int64))
    data.p_n_raw, data.p_mean_raw = _form_means(ok_raw, y)

    mapping = dict(item_values) if item_values is not None else load_instrument().value_of()
    data.values = pd.Index(list(dict.fromkeys(mapping.values())))
    item_to_value = data.values.get_indexer([mapping.get(i) for i in m.items])
    alone = np.flatnonzero(item_to_value < 0)
    item_to_value[alone] = len(data.values) + np.arange(alone.size)
    data.n_cells = len(data.values) + alone.size
    data.item_value = item_to_value
    # Suppression at the finest grain, the item: a (ratee, group, item) cell scored by fewer raters than the
    # group's minimum is hidden everywhere. Hiding at the value only would let a shown value mean, set
    # against the shown items of that value, give away a hidden item's answers.
    nt, ng = data.n_ratee, len(groups)
    minimum = _minimums(settings, groups)
    cell = data.p_ratee * ng + data.p_group
    data.ok = np.empty_like(ok_raw)
    for i in range(len(m.items)):
        raters_in_cell = np.bincount(cell[ok_raw[i]], minlength=nt * ng).reshape(nt, ng)
        np.logical_and(ok_raw[i], (raters_in_cell >= minimum).ravel()[cell], out=data.ok[i])
    data.p_n, data.p_mean = _form_means(data.ok, y)
    return data


def _form_means(ok: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return each form's count and mean of the scores ``ok`` selects, summed item after item (the order of a
    form's answers)."""
    n, total = np.zeros(ok.shape[1]), np.zeros(ok.shape[1])
    for i in range(ok.shape[0]):
        n += ok[i]
        total += np.where(ok[i], y[i], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        total /= n
    return n, total


def _settings(settings: Mapping[str, Any] | None) -> MethodSettings:
    return method_settings(settings or None)


def _minimums(settings, groups) -> np.ndarray:
    return np.array([int(settings["minimal_penilai"].get(g, 1)) for g in groups])


def _weights(settings, groups) -> np.ndarray:
    return np.array([0.0 if g == DIRI else float(settings["bobot"].get(g, 0.0)) for g in groups])


def _group_means(key: np.ndarray, mean: np.ndarray, has: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    n = np.bincount(key[has], minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.bincount(key[has], mean[has], size) / n
    return n, m


def _weighted(mean: np.ndarray, shown: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted mean over the last axis of the shown cells, weights re-normalised per row."""
    ww = np.where(shown, w, 0.0)
    total = ww.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (np.where(shown, mean, 0.0) * ww).sum(axis=-1) / total
    return np.where(total > 0, out, np.nan)


# ----------------------------------------------------------------------------------------------------
# Aggregation and the bias model


@dataclass
class _Scored:
    data: _Forms
    settings: dict[str, Any]
    n: np.ndarray        # ratee x group: raters with at least one score
    mean: np.ndarray     # ratee x group: mean of rater means (NaN when not shown)
    shown: np.ndarray    # ratee x group
    score: np.ndarray
    score_se: np.ndarray
    adj: np.ndarray
    adj_se: np.ndarray
    fit: BiasFit | None
    notes: list[str]

    def frame(self) -> pd.DataFrame:
        d = self.data
        present = np.bincount(d.p_ratee, minlength=d.n_ratee) > 0  # every pair has answers
        cols: dict[str, Any] = {"nip": d.ratees}
        for k, g in enumerate(d.groups):
            cols[f"n_{g}"] = self.n[:, k]
        for k, g in enumerate(d.groups):
            cols[f"rerata_{g}"] = self.mean[:, k]
        # Each ratee's shown groups as a bit pattern, written once per pattern (a handful) rather than per ratee.
        pattern = self.shown.astype(np.int64) @ (1 << np.arange(len(d.groups), dtype=np.int64))
        texts = np.array([",".join(g for k, g in enumerate(d.groups) if p >> k & 1)
                          for p in range(1 << len(d.groups))], dtype=object)
        cols["kelompok_tampil"] = texts[pattern]
        cols["skor"] = self.score
        cols["skor_se"] = self.score_se
        cols["skor_adj"] = self.adj
        cols["skor_adj_se"] = self.adj_se
        out = pd.DataFrame(cols)
        order = np.argsort(label_rank(d.ratees), kind="stable")
        return out.iloc[order[present[order]]].reset_index(drop=True)


def _score(data: _Forms, settings: dict[str, Any]) -> _Scored:
    groups, nt, ng = data.groups, data.n_ratee, len(data.groups)
    has = data.p_n > 0
    n, mean = _group_means(data.p_ratee * ng + data.p_group, data.p_mean, has, nt * ng)
    n, mean = n.reshape(nt, ng), mean.reshape(nt, ng)
    shown = (n >= _minimums(settings, groups)) & (n > 0)
    mean = np.where(shown, mean, np.nan)
    # Counts report every rater who gave a score, shown or not (they reveal no score).
    n = np.bincount((data.p_ratee * ng + data.p_group)[data.p_n_raw > 0], minlength=nt * ng).reshape(nt, ng)
    w = _weights(settings, groups)
    score = _weighted(mean, shown, w)
    score_se = _raw_se(data, has, shown, w)

    notes: list[str] = []
    adj, adj_se, fit = np.full(nt, np.nan), np.full(nt, np.nan), None
    diri = groups.index(DIRI) if DIRI in groups else -1
    sel = has & (data.p_group != diri) & shown[data.p_ratee, data.p_group]
    if sel.sum() >= 3 and len(np.unique(data.p_ratee[sel])) >= 2:
        names = pd.Categorical.from_codes(data.p_group[sel], categories=groups)   # codes, not texts, per form
        try:
            fit = fit_crossed(data.p_mean[sel], data.p_ratee[sel], data.p_rater[sel], names,
                              groups=[g for g in groups if g != DIRI])
            correction = rater_correction(fit, data.p_mean[sel], data.p_ratee[sel], data.p_rater[sel], names,
                                          len(data.raters))
        except (ValueError, RuntimeError, np.linalg.LinAlgError) as exc:
            notes.append(f"model bias penilai tidak dapat dihitung: {exc}")
        else:
            adj, adj_se = _adjusted(data, sel, shown, w, fit, correction, settings)
            adj = np.where(np.isnan(score), np.nan, adj)
            adj_se = np.where(np.isnan(score), np.nan, adj_se)
            # The model ran on integer codes; give its tables the real identifiers back.
            idx = fit.ratee.index.to_numpy(dtype=np.int64)
            fit = replace(fit, ratee=fit.ratee.set_axis(pd.Index(data.ratees[idx], name="ratee")),
                          rater=fit.rater.set_axis(pd.Index(data.raters[fit.rater.index.to_numpy(dtype=np.int64)],
                                                            name="rater")))
    else:
        notes.append("data terlalu sedikit untuk model bias penilai")
    return _Scored(data, settings, n, mean, shown, score, score_se, adj, adj_se, fit, notes)


def _raw_se(data: _Forms, has: np.ndarray, shown: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Return the standard error of each raw score from the pooled spread of raters within a group.

    The variance of one rater's mean around their group's mean for the same ratee is pooled over the
    cycle's shown non-self groups; a group mean of n raters has 1/n of it, and the weighted mean adds
    the groups in quadrature. Rater leniency is part of that spread, which is why the bias-adjusted score
    (with its own error) is preferred wherever it exists.
    """
    nt, ng = data.n_ratee, len(data.groups)
    sel = has & (w[data.p_group] > 0) & shown[data.p_ratee, data.p_group]
    key = data.p_ratee[sel] * ng + data.p_group[sel]
    count = np.bincount(key, minlength=nt * ng)
    mean = np.bincount(key, data.p_mean[sel], nt * ng) / np.maximum(count, 1)
    dev = data.p_mean[sel] - mean[key]
    dof = int((count[count > 0] - 1).sum())
    pooled = float((dev * dev).sum() / dof) if dof > 0 else np.nan
    count = count.reshape(nt, ng)
    ww = np.where(shown & (count > 0), w[None, :], 0.0)
    total = ww.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = (ww ** 2 * pooled / np.maximum(count, 1)).sum(axis=1) / total ** 2
    return np.where(total > 0, np.sqrt(var), np.nan)


def _adjusted(data: _Forms, sel: np.ndarray, shown: np.ndarray, w: np.ndarray, fit: BiasFit,
              correction: RaterCorrection, settings: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Return the bias-adjusted score and its standard error per ratee.

    Each shown non-self rater's mean has the rater's leniency and their group's effect removed
    (kinerja_lib.bias.rater_correction, the ratees held fixed, so a group's effect is how it rates the
    same people differently); the group means of these corrected means are combined with the cycle's
    ``bobot``, re-normalised over the groups shown, and the reference level (the ``bobot``-weighted mean
    of the group effects) is added back. So the weights shape the score
    exactly as they shape the raw score, while a person is neither helped nor hurt by which groups
    happened to rate them or by how lenient their particular raters are. The score is not shrunk
    towards any mean: analyses that rank people apply their own single shrinkage to it.

    Standard error: the error variance of the person's unweighted corrected mean (``ratee_pev``) times
    the design effect of the group weights, n * sum(a_j^2) over the person's n raters with their
    weights a_j (1 for equal weights), plus the uncertainty of the reference level.
    """
    nt, ng = data.n_ratee, len(data.groups)
    z = correction.corrected
    key = data.p_ratee[sel] * ng + data.p_group[sel]
    count = np.bincount(key, minlength=nt * ng).reshape(nt, ng)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.bincount(key, z, nt * ng).reshape(nt, ng) / count
    use = shown & (count > 0)
    ww = np.where(use, w[None, :], 0.0)
    total = ww.sum(axis=1)
    weights = {g: float(settings["bobot"].get(g, 0.0)) for g in data.groups if g != DIRI}
    ref = correction.reference_level(weights)
    share = ww / np.where(total > 0, total, 1.0)[:, None]
    n_used = (np.where(use, count, 0)).sum(axis=1)
    # sum over raters of a_j^2 = sum over groups of share_g^2 / n_g
    with np.errstate(invalid="ignore", divide="ignore"):
        design = n_used * (share ** 2 / np.where(use, count, np.inf)).sum(axis=1)
    pev = np.full(nt, np.nan)
    pev[: correction.ratee_pev.size] = correction.ratee_pev
    rated = np.unique(data.p_ratee[sel])
    level = (fit.var_ratee / max(rated.size, 1) + fit.var_rater / max(len(np.unique(data.p_rater[sel])), 1)
             + fit.var_resid * len(fit.group_effects) / max(int(sel.sum()), 1))
    with np.errstate(invalid="ignore"):
        adj = ref + (np.where(use, m, 0.0) * share).sum(axis=1)
        se = np.sqrt(pev * design + level)
    return np.where(total > 0, adj, np.nan), np.where(total > 0, se, np.nan)


def score_responses(responses: pd.DataFrame, settings: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Return one row per ratee: counts and means per rater group, the groups shown, the 360 score,
    the bias-adjusted score and its standard error.

    ``responses`` has columns ``ratee, rater, relation, item, score``; ``score`` NaN means "tidak dapat
    menilai" and counts as missing, never as a score. ``settings`` are the cycle's method settings
    (missing keys take the documented defaults of data/referensi/metode.yaml). Columns of the result, named as
    hasil_skor names them (kinerja_lib.columns): ``nip`` (the ratee), ``n_<group>`` and ``rerata_<group>`` for
    every group in ``settings['kelompok']``, ``kelompok_tampil`` (comma-separated codes), ``skor``, ``skor_se``
    (its standard error), ``skor_adj``, ``skor_adj_se``.
    Raises ValueError for missing columns, unknown relations, non-numeric scores, or a rater holding
    two relations to one ratee.

    >>> df = pd.DataFrame({"ratee": ["A"] * 4, "rater": ["s", "p1", "p2", "A"],
    ...                    "relation": ["atasan", "rekan", "rekan", "diri"], "item": "B1.1",
    ...                    "score": [4, 5, 5, 3]})
    >>> row = score_responses(df).iloc[0]
    >>> (row["kelompok_tampil"], int(row["n_rekan"]), float(row["skor"]))
    ('diri,atasan', 2, 4.0)
    """
    settings = _settings(settings)
    return _score(_code(responses, settings), settings).frame()


def score_by_value(responses: pd.DataFrame, item_values: Mapping[str, str] | None = None,
                   settings: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Return per-value results in long form: ``nip, nilai, kelompok, n, rerata`` (kinerja_lib.hasil's
    VALUE_COLUMNS: the rows of hasil_skor_nilai as load_value_results reads them back).

    ``item_values`` maps each item to its value (default: the BerAKHLAK instrument, B1.1 -> B1); items
    it does not name are ignored. One row per ratee (``nip``), value and shown group (a group under its
    minimum for that value is left out, like everywhere else), plus a row with kelompok ``semua``: the
    weighted mean of the shown non-self groups, ``n`` being the raters behind it.
    """
    settings = _settings(settings)
    return _by_value(_code(responses, settings, item_values), settings)


def _by_value(data: _Forms, settings: dict[str, Any]) -> pd.DataFrame:
    return _per_value(data, settings, *_value_cells(data)).long()


def _value_cells(data: _Forms) -> tuple[np.ndarray, np.ndarray]:
    """Return, per (reported value, form), the items scored in shown cells and their mean (the per-answer part of
    the per-value results), summed item after item."""
    nv = len(data.values)
    cnt, total = np.zeros((nv, data.p_ratee.size)), np.zeros((nv, data.p_ratee.size))
    for i, v in enumerate(data.item_value):
        if v < nv:   # stand-alone items are reported on their own, not here
            cnt[v] += data.ok[i]
            total[v] += np.where(data.ok[i], data.y[i], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        total /= cnt
    return cnt, total


@dataclass
class _PerValue:
    """The per-value results as ratee x value x group arrays (counts, means, the groups shown) and the weighted
    non-self figure ("semua") per ratee and value; ``by_label`` lists the ratee codes in label order. The tables
    are built from them: the long one (score_by_value), the stored one, and the self and non-self pairs of the
    self-other agreement, without a merge of a province's tens of millions of rows."""

    ratees: pd.Index
    values: pd.Index
    groups: list[str]
    by_label: np.ndarray
    n: np.ndarray
    mean: np.ndarray
    shown: np.ndarray
    overall: np.ndarray
    n_overall: np.ndarray

    def long(self) -> pd.DataFrame:
        """Return score_by_value's table: rows in the order ratee (by label), value, group (self first, "semua"
        last), walked from the cells that have one (no sort of a province's tens of millions of rows)."""
        has_row = np.concatenate([self.shown, ~np.isnan(self.overall)[..., None]], axis=-1)[self.by_label]
        ti, vi, gi = np.nonzero(has_row)
        del has_row
        ti = self.by_label[ti]
        counts = np.concatenate([self.n, self.n_overall[..., None]], axis=-1)
        means = np.concatenate([self.mean, self.overall[..., None]], axis=-1)
        return pd.DataFrame({"nip": self.ratees[ti], "nilai": self.values[vi],
                             "kelompok": np.array([*self.groups, SEMUA], dtype=object)[gi],
                             "n": counts[ti, vi, gi], "rerata": means[ti, vi, gi]})

    def self_and_others(self) -> tuple[pd.DataFrame, tuple[np.ndarray, np.ndarray]]:
        """Return ``nip, nilai, diri, rerata_bukan_diri`` where both the self and the non-self figure exist, in
        the long table's order (what self_other_agreement pairs from it), and the rows' ratee and value codes."""
        k = self.groups.index(DIRI) if DIRI in self.groups else None
        own = self.shown[..., k] if k is not None else np.zeros(self.overall.shape, dtype=bool)
        ti, vi = np.nonzero((own & ~np.isnan(self.overall))[self.by_label])
        ti = self.by_label[ti]
        pairs = pd.DataFrame({"nip": self.ratees[ti], "nilai": self.values[vi],
                              "diri": self.mean[ti, vi, k] if k is not None else np.zeros(0),
                              "rerata_bukan_diri": self.overall[ti, vi]})
        return pairs, (ti, vi)

    def stored(self, agreement: pd.DataFrame | None = None, at: tuple[np.ndarray, np.ndarray] | None = None
               ) -> pd.DataFrame:
        """Return the rows of hasil_skor_nilai (hasil.STORED_VALUE_COLUMNS): one per pegawai and value with a
        figure, in (nip, nilai) order, a group's count and mean missing where it is not shown ("semua" in the
        bukan_diri columns), and each value's agreement category and mark from the per-value rows of
        ``agreement`` whose ratee and value codes are ``at`` (missing where it has none)."""
        v_sorted = np.argsort(label_rank(self.values), kind="stable")
        any_row = (self.shown.any(axis=-1) | ~np.isnan(self.overall))[self.by_label][:, v_sorted]
        ti, vi = np.nonzero(any_row)
        del any_row
        ti, vi = self.by_label[ti], v_sorted[vi]
        # Text columns as plain objects: the rows go straight to SQLite, not through a string array and back.
        out: dict[str, Any] = {"nip": pd.Series(self.ratees.to_numpy(dtype=object)[ti], dtype=object),
                               "nilai": pd.Series(self.values.to_numpy(dtype=object)[vi], dtype=object)}
        for group in hasil.VALUE_GROUPS:
            name = hasil.GROUP_OF[group]
            if name == SEMUA:
                has, n, mean = ~np.isnan(self.overall[ti, vi]), self.n_overall[ti, vi], self.overall[ti, vi]
            elif name in self.groups:
                k = self.groups.index(name)
                has, n, mean = self.shown[ti, vi, k], self.n[ti, vi, k], self.mean[ti, vi, k]
            else:
                has, n, mean = np.zeros(ti.size, dtype=bool), np.zeros(ti.size, dtype=np.int64), None
            out[f"n_{group}"] = pd.arrays.IntegerArray(np.where(has, n, 0).astype(np.int64), ~has)
            out[f"rerata_{group}"] = np.where(has, mean, np.nan) if mean is not None else np.full(ti.size, np.nan)
        kategori, titik = np.full(ti.size, None, dtype=object), np.full(ti.size, None, dtype=object)
        if agreement is not None and at is not None and len(at[0]):
            row = np.full(self.overall.shape, -1, dtype=np.int64)
            row[ti, vi] = np.arange(ti.size)
            per_value = agreement["nilai"].to_numpy(dtype=object) != SEMUA
            where = row[at]
            kategori[where] = agreement["kategori"].to_numpy(dtype=object)[per_value]
            titik[where] = agreement["titik"].to_numpy(dtype=object)[per_value]
        out["kesepakatan_diri"], out["titik"] = pd.Series(kategori, dtype=object), pd.Series(titik, dtype=object)
        return pd.DataFrame(out, columns=hasil.STORED_VALUE_COLUMNS)


def _per_value(data: _Forms, settings: dict[str, Any], cnt: np.ndarray, pmean: np.ndarray) -> _PerValue:
    values = data.values
    nv, ng, nt = len(values), len(data.groups), data.n_ratee
    cell = data.p_ratee * ng + data.p_group
    n, mean = np.empty((nt, nv, ng), dtype=np.int64), np.empty((nt, nv, ng))
    for v in range(nv):
        n_v, mean_v = _group_means(cell, pmean[v], cnt[v] > 0, nt * ng)
        n[:, v], mean[:, v] = n_v.reshape(nt, ng), mean_v.reshape(nt, ng)
    shown = (n >= _minimums(settings, data.groups)) & (n > 0)
    w = _weights(settings, data.groups)
    overall = _weighted(mean, shown, w)
    n_overall = np.where(shown & (w > 0), n, 0).sum(axis=-1)
    return _PerValue(data.ratees, values, list(data.groups), np.argsort(label_rank(data.ratees), kind="stable"),
                     n, mean, shown, overall, n_overall)


def rater_bias(fit: BiasFit | None, z: float = AMBANG_Z_KELONGGARAN) -> pd.DataFrame:
    """Return one row per rater of the bias model: ``rater, n_dinilai, kelonggaran, se, z, kategori``.

    ``n_dinilai`` counts the people the rater rated within the model, i.e. in groups shown to them
    (ratings into a hidden group stay out, like everywhere else). ``kelonggaran`` is the rater's
    leniency (+) or severity (-) in scale points, NaN when ``n_dinilai`` < 2; ``kategori`` is
    ``longgar`` / ``ketat`` when |z| >= ``z``, ``wajar`` otherwise, ``tidak_dapat_diperkirakan`` when
    it is not estimable. For researchers only.
    """
    if fit is None:
        return pd.DataFrame(columns=["rater", "n_dinilai", "kelonggaran", "se", "z", "kategori"])
    r = fit.rater
    kategori = np.where(r["effect"].isna(), "tidak_dapat_diperkirakan",
                        np.where(r["z"] >= z, "longgar", np.where(r["z"] <= -z, "ketat", "wajar")))
    return pd.DataFrame({"rater": r.index, "n_dinilai": r["n"].to_numpy(), "kelonggaran": r["effect"].to_numpy(),
                         "se": r["se"].to_numpy(), "z": r["z"].to_numpy(), "kategori": kategori})


# ----------------------------------------------------------------------------------------------------
# Self-other agreement, Rating Perilaku suggestion, predikat, distribution


def self_other_agreement(by_value: pd.DataFrame, scores: pd.DataFrame | None = None,
                         settings: Mapping[str, Any] | None = None,
                         ambang_setuju: float | None = None) -> pd.DataFrame:
    """Return ``nip, nilai, diri, rerata_bukan_diri, selisih, kategori, titik`` per ratee and value
    (kinerja_lib.hasil's AGREEMENT_COLUMNS: what load_agreement reads back).

    ``diri`` is the self-rating and ``rerata_bukan_diri`` the weighted non-self figure (kelompok ``semua`` of
    score_by_value); with ``scores`` (score_responses) an overall row (nilai ``semua``) compares
    ``rerata_diri`` with ``skor``. Only pairs where both exist appear.
    ``kategori``: ``lebih_tinggi`` (over-estimator) when ``selisih`` (diri - rerata_bukan_diri) > the agreement
    band, ``lebih_rendah`` (under-estimator) when selisih < -band, else ``selaras``. The band defaults to half
    the standard deviation of the differences for that value across ratees (Atwater & Yammarino 1992); pass
    ``ambang_setuju`` in scale points to fix it. ``titik``: ``titik_buta`` (blind spot) when
    selisih > ``titik_buta_proporsi_rentang`` x scale range, ``kekuatan_tersembunyi`` (hidden
    strength) when -selisih exceeds it, else empty.
    """
    key = ["nip", "nilai"]
    own = by_value.loc[by_value["kelompok"] == DIRI, [*key, "rerata"]].rename(columns={"rerata": "diri"})
    others = by_value.loc[by_value["kelompok"] == SEMUA, [*key, "rerata"]].rename(
        columns={"rerata": "rerata_bukan_diri"})
    pairs = own.merge(others, on=key, how="inner", sort=False).dropna().reset_index(drop=True)
    return _agreement(pairs, scores, _settings(settings), ambang_setuju)


def _agreement(pairs: pd.DataFrame, scores: pd.DataFrame | None, settings: MethodSettings,
               ambang_setuju: float | None) -> pd.DataFrame:
    """self_other_agreement from its per-value pairs ``nip, nilai, diri, rerata_bukan_diri``: the overall rows
    follow them, in their order."""
    wide = pairs
    if scores is not None and "rerata_diri" in scores:
        overall = scores[["nip", "rerata_diri", "skor"]].dropna()
        overall = pd.DataFrame({"nip": overall["nip"], "nilai": SEMUA, "diri": overall["rerata_diri"],
                                "rerata_bukan_diri": overall["skor"]})
        wide = pd.concat([wide, overall], ignore_index=True)
    wide["selisih"] = wide["diri"] - wide["rerata_bukan_diri"]
    if ambang_setuju is None:
        band = 0.5 * wide.groupby("nilai", sort=False)["selisih"].transform("std")
    else:
        band = pd.Series(float(ambang_setuju), index=wide.index)
    d = wide["selisih"]
    kategori = np.where(d > band, "lebih_tinggi", np.where(d < -band, "lebih_rendah", "selaras"))
    wide["kategori"] = np.where(band.isna(), None, kategori)
    limit = float(settings.titik_buta_proporsi_rentang) * load_scale().range
    wide["titik"] = np.where(d > limit, "titik_buta", np.where(d < -limit, "kekuatan_tersembunyi", ""))
    return wide.reset_index(drop=True)


def agreement_summary(agreement: pd.DataFrame) -> pd.DataFrame:
    """Return, per value (``semua`` = overall), how many ratees fall in each agreement category and how many
    have a blind spot or a hidden strength, with value names."""
    names = {**load_instrument().value_names(), SEMUA: "Keseluruhan"}
    counts = pd.crosstab(agreement["nilai"], agreement["kategori"]).reindex(columns=list(KESEPAKATAN), fill_value=0)
    spots = pd.crosstab(agreement["nilai"], agreement["titik"]).reindex(columns=list(TITIK), fill_value=0)
    out = counts.join(spots).rename(columns={**KESEPAKATAN, **TITIK})
    order = [v for v in names if v in out.index]
    out = out.reindex(order)
    out.index = [names[v] for v in order]
    out.index.name = "Nilai"
    return out


def rating_perilaku_suggestion(score, se=None, settings: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Return the suggested Rating Perilaku Kerja of each score with the probabilities behind it.

    Columns ``saran``, ``peluang_di_atas`` = P(true score >= ``ambang_rating_perilaku.di_atas``) and
    ``peluang_di_bawah`` = P(true score < ``di_bawah``), the true score being taken as normal around
    ``score`` with standard deviation ``se``. The suggestion departs from Sesuai Ekspektasi only when the
    evidence is strong enough: Di Atas Ekspektasi when ``peluang_di_atas`` >= ``keyakinan``, Di Bawah
    Ekspektasi when ``peluang_di_bawah`` >= ``keyakinan``, else Sesuai Ekspektasi. Without ``se`` (or
    where it is missing) the score is taken as exact. None where there is no score. A suggestion only:
    the decision is the Pejabat Penilai's.

    >>> rating_perilaku_suggestion([3.9, 3.6, 3.0, 2.2], [0.1, 0.3, 0.1, 0.1])["saran"].tolist()
    ['Di Atas Ekspektasi', 'Sesuai Ekspektasi', 'Sesuai Ekspektasi', 'Di Bawah Ekspektasi']
    """
    cut = _settings(settings)["ambang_rating_perilaku"]
    s = pd.Series(score, dtype=float) if not isinstance(score, pd.Series) else score.astype(float)
    x = s.to_numpy(dtype=float)
    sd = np.full(x.shape, np.nan) if se is None else np.asarray(se, dtype=float)
    exact = ~(sd > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_atas = np.where(exact, (x >= cut["di_atas"]).astype(float), normal.cdf((x - cut["di_atas"]) / sd))
        p_bawah = np.where(exact, (x < cut["di_bawah"]).astype(float), normal.cdf((cut["di_bawah"] - x) / sd))
    k = float(cut["keyakinan"])
    label = np.where(p_atas >= k, ATAS, np.where(p_bawah >= k, BAWAH, SESUAI)).astype(object)
    missing = np.isnan(x)
    label[missing] = None
    p_atas[missing] = np.nan
    p_bawah[missing] = np.nan
    return pd.DataFrame({"saran": pd.Series(label, index=s.index, dtype=object),
                         "peluang_di_atas": p_atas, "peluang_di_bawah": p_bawah}, index=s.index)


def suggest_rating_perilaku(score, settings: Mapping[str, Any] | None = None, se=None) -> pd.Series:
    """Return the suggested Rating Perilaku Kerja for each score (None where there is no score).

    See :func:`rating_perilaku_suggestion` for the rule; without ``se`` the score is taken as exact.

    >>> list(suggest_rating_perilaku([3.7, 3.0, 2.4, float("nan")]))
    ['Di Atas Ekspektasi', 'Sesuai Ekspektasi', 'Di Bawah Ekspektasi', None]
    """
    return rating_perilaku_suggestion(score, se, settings)["saran"]


def suggestion_reason(saran: str | None, score: float, se: float, peluang_di_atas: float, peluang_di_bawah: float,
                      dasar: str | None, settings: Mapping[str, Any] | None = None) -> str:
    """Return, in Indonesian, why a Rating Perilaku Kerja suggestion was given.

    >>> suggestion_reason("Di Atas Ekspektasi", 3.82, 0.11, 0.998, 0.0, "skor_adj").split(";")[0]
    'Saran Di Atas Ekspektasi: skor disesuaikan 3,82 (galat baku 0,11)'
    """
    if saran is None or not isinstance(saran, str):
        return "Belum ada saran: tidak ada skor 360 dari kelompok penilai yang memenuhi minimal."
    cut = _settings(settings)["ambang_rating_perilaku"]

    def num(x: float) -> str:
        return f"{x:.2f}".replace(".", ",")

    def pct(p: float) -> str:
        return f"{100 * p:.0f}%"

    basis = "skor disesuaikan" if dasar == "skor_adj" else "skor 360 mentah (model bias penilai tidak tersedia)"
    head = f"Saran {saran}: {basis} {num(score)}"
    head += f" (galat baku {num(se)})" if se == se and se is not None else ""
    atas, bawah, k = num(cut["di_atas"]), num(cut["di_bawah"]), pct(float(cut["keyakinan"]))
    odds = (f"peluang skor sebenarnya paling sedikit {atas} = {pct(peluang_di_atas)}, di bawah {bawah} = "
            f"{pct(peluang_di_bawah)}")
    if saran == ATAS:
        why = f"{odds}; Di Atas disarankan bila peluangnya paling sedikit {k}"
    elif saran == BAWAH:
        why = f"{odds}; Di Bawah disarankan bila peluangnya paling sedikit {k}"
    else:
        why = f"{odds}; tidak ada yang mencapai {k}, maka Sesuai Ekspektasi"
    return f"{head}; {why}. Saran ini bukan keputusan: Rating Perilaku Kerja ditetapkan Pejabat Penilai Kinerja."


def predikat_series(rating_hasil_kerja: pd.Series, rating_perilaku: pd.Series) -> pd.Series:
    """Return the Predikat Kinerja per element from the two ratings (None when either is missing).

    Each distinct pair goes through kinerja_lib.predikat.predikat_kinerja, so unknown labels raise
    its ValueError.
    """
    hasil, perilaku = rating_hasil_kerja.astype(object), rating_perilaku.astype(object)
    both = (hasil.notna() & perilaku.notna()).to_numpy()
    out = np.full(len(hasil), None, dtype=object)
    if both.any():
        pairs = list(zip(hasil[both], perilaku[both]))
        table = {p: predikat_kinerja(*p) for p in set(pairs)}
        out[both] = [table[p] for p in pairs]
    return pd.Series(out, index=hasil.index, dtype=object)


def distribution_by_unit(pegawai: pd.DataFrame, predikat_organisasi: Mapping[str, str]
                         ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check each unit's predikat against the SE MenPANRB 3/2023 guide; return ``(shares, warnings)``.

    ``pegawai`` has columns ``unit`` and ``predikat`` (None = no predikat yet, not counted).
    ``shares``: one row per unit with ``predikat_organisasi``, ``n_pegawai`` (with a predikat),
    ``n_tanpa_predikat`` and the share of each predikat label. ``warnings``: one row per broken rule
    with ``unit, predikat_organisasi, aturan, proporsi_aktual, jumlah, total, pesan``; units without a
    Predikat Kinerja Organisasi are not checked. Warnings advise; nothing is blocked.
    """
    labels = list(load_kuadran().predikat)
    known = pegawai.dropna(subset=["predikat"])
    counts = pd.crosstab(known["unit"], known["predikat"]).reindex(columns=labels, fill_value=0)
    missing = pegawai.loc[pegawai["predikat"].isna(), "unit"].value_counts()
    rows, warns = [], []
    for unit in sorted(pegawai["unit"].unique()):
        c = counts.loc[unit] if unit in counts.index else pd.Series(0, index=labels)
        total = int(c.sum())
        org = predikat_organisasi.get(unit)
        row = {"unit": unit, "predikat_organisasi": org, "n_pegawai": total,
               "n_tanpa_predikat": int(missing.get(unit, 0))}
        row.update({lab: c[lab] / total if total else np.nan for lab in labels})
        rows.append(row)
        if org and total:
            for v in check_distribution(org, [lab for lab in labels for _ in range(int(c[lab]))]):
                warns.append({"unit": unit, "predikat_organisasi": org, "aturan": v.rule,
                              "proporsi_aktual": v.actual_share, "jumlah": v.actual_count, "total": v.total,
                              "pesan": v.message()})
    shares = pd.DataFrame(rows, columns=["unit", "predikat_organisasi", "n_pegawai", "n_tanpa_predikat", *labels])
    warnings = pd.DataFrame(warns, columns=["unit", "predikat_organisasi", "aturan", "proporsi_aktual", "jumlah",
                                            "total", "pesan"])
    return shares, warnings


# ----------------------------------------------------------------------------------------------------
# Reliability by rater group


def _item_scores(y: np.ndarray, ratee: np.ndarray, forms: np.ndarray):
    """Yield, item after item, the ratee code and score of every score given in ``forms`` (``ratee`` is theirs),
    in the forms' order."""
    for i in range(y.shape[0]):
        yi = y[i, forms]
        given = ~np.isnan(yi)
        yield ratee[given], yi[given]


def _reliability(data: _Forms, scale_points: int) -> pd.DataFrame:
    """ICC(1), ICC(1,k), median rwg(j) and ordinal Krippendorff's alpha per non-self group and overall.

    Computed on all submitted scores, hidden cells included: a statistic over the whole cycle names nobody
    and reveals no one's score. The per-cell sums and counts are taken item by item over the group's forms.
    """
    rows = []
    groups = [g for g in data.groups if g != DIRI]
    diri = data.groups.index(DIRI) if DIRI in data.groups else -1
    y, ok = data.y, data.ok_raw
    ni, nt = len(data.items), data.n_ratee
    integer, low, high = True, np.inf, -np.inf
    for i in range(ni):
        given = y[i][ok[i]]
        integer = integer and bool(np.all(np.mod(given, 1) == 0))
        low, high = min(low, given.min(initial=np.inf)), max(high, given.max(initial=-np.inf))
    lo = int(low) if integer and np.isfinite(low) else 1
    # Scale points lo..high (a group's unused ones are left out of its alpha below, as are any never in a
    # pairable cell).
    nv = int(high) - lo + 1 if integer and np.isfinite(high) else 0
    has = data.p_n_raw > 0
    for name in [*groups, SEMUA]:
        forms = np.flatnonzero(has & ((data.p_group != diri) if name == SEMUA
                                      else (data.p_group == data.groups.index(name))))
        per_ratee = np.bincount(data.p_ratee[forms], minlength=nt)
        row: dict[str, Any] = {"kelompok": name, "n_pegawai": int((per_ratee > 0).sum()),
                               "n_penilaian": int(forms.size), "icc1": np.nan, "icc1k": np.nan, "k0": np.nan,
                               "rwg_j_median": np.nan, "alpha_ordinal": np.nan,
                               "icc1_publikasi": RELIABILITAS_PUBLIKASI.get(name, np.nan)}
        rows.append(row)
        if not (per_ratee >= 2).any():
            continue  # nobody has two raters in this group: agreement is undefined
        try:
            icc = reliability.icc1_arrays(data.p_ratee[forms], data.p_mean_raw[forms])
            row.update(icc1=icc.icc1, icc1k=icc.icc1k, k0=icc.k0)
        except ValueError:
            pass
        # Counts, sums and sums of squares per (ratee, item) cell and, for whole scale points, the counts per
        # (ratee, item) cell and scale point (cells with fewer than two scores included: alpha_from_counts leaves
        # those out itself, a block at a time), in one pass over the group's forms item by item.
        c, s, q = np.zeros((nt, ni)), np.zeros((nt, ni)), np.zeros((nt, ni))
        counts = np.zeros((nt, ni, nv), dtype=np.int32)
        keep = np.zeros(nv, dtype=bool)   # scale points used in the pairable cells
        for i, (r, yi) in enumerate(_item_scores(y, data.p_ratee[forms], forms)):
            c[:, i] = np.bincount(r, minlength=nt)
            s[:, i] = np.bincount(r, yi, nt)
            q[:, i] = np.bincount(r, yi * yi, nt)
            if integer:
                at = r * nv
                at += (yi - lo).astype(np.int64)
                counts[:, i] = np.bincount(at, minlength=nt * nv).reshape(nt, nv)
                keep |= counts[c[:, i] >= 2, i].any(axis=0)
        n, _, _, value = reliability.rwg_from_sums(c.ravel(), s.ravel(), q.ravel(), nt, ni, scale_points)
        del c, s, q
        value = value[(n >= 2) & ~np.isnan(value)]
        row["rwg_j_median"] = float(np.median(value)) if value.size else np.nan
        if integer:
            counts = counts.reshape(nt * ni, nv)
            if not keep.all():
                counts = counts[:, keep]
            try:
                row["alpha_ordinal"] = reliability.alpha_from_counts(
                    counts, "ordinal", np.arange(lo, lo + nv)[keep])
            except ValueError:
                pass
            del counts
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------------------
# The whole analysis of one cycle (pure), and its database wrapper


@dataclass
class ScoringReport:
    """Everything one scoring run produces. Ratee-facing tables name no rater; ``rater_bias``,
    ``quality`` and ``flagged`` are for researchers only."""

    settings: dict[str, Any]
    scores: pd.DataFrame          # score_responses
    values: pd.DataFrame          # the per-value results as stored: hasil_skor_nilai's rows (hasil.STORED_VALUE_COLUMNS)
    agreement: pd.DataFrame       # self_other_agreement
    results: pd.DataFrame         # one row per pegawai as stored in hasil_skor
    reliability: pd.DataFrame
    rater_bias: pd.DataFrame
    quality: pd.DataFrame
    flagged: pd.DataFrame
    distribution: pd.DataFrame
    warnings: pd.DataFrame
    fit: BiasFit | None
    notes: list[str] = field(default_factory=list)
    cycle: Cycle | None = None
    run_id: int | None = None
    data_version: int | None = None   # the cycle's change counter when the data was read (store.data_version)
    per_value: _PerValue | None = field(default=None, repr=False)
    _by_value: pd.DataFrame | None = field(default=None, init=False, repr=False)

    @property
    def by_value(self) -> pd.DataFrame:
        """The per-value results in long form, as score_by_value gives them (built on first use: a province's
        run stores them without ever needing the long table)."""
        if self._by_value is None:
            self._by_value = self.per_value.long()
        return self._by_value

    def summary(self) -> dict[str, Any]:
        """Return the headline figures: people, people scored, hidden groups, model shares, predikat, flags."""
        res = self.results
        shown = "," + res["kelompok_tampil"].fillna("").astype(str) + ","
        hidden = {g: int(((res[f"n_{g}"] > 0) & ~shown.str.contains(f",{g},", regex=False)).sum())
                  for g in RELATIONS if g != DIRI}
        fit = self.fit.summary() if self.fit else {}
        return {"pegawai": int(len(res)), "dengan_skor": int(res["skor"].notna().sum()),
                "kelompok_disembunyikan": {g: n for g, n in hidden.items() if n},
                "porsi_varians_pegawai": fit.get("share_ratee"), "porsi_varians_penilai": fit.get("share_rater"),
                "predikat": {k: int(v) for k, v in
                             res.loc[res["status_predikat"].eq(DITETAPKAN), "predikat"].value_counts().items()},
                "menunggu_penetapan": int(res["status_predikat"].eq(SEMENTARA).sum()),
                "peringatan_distribusi": int(len(self.warnings)), "penilai_ditandai": int(len(self.flagged))}

    def method(self) -> dict[str, Any]:
        """Return the settings and method choices stamped on the stored results."""
        return {"metode": dict(self.settings),
                "skor": {"rerata_kelompok": "rerata dari rerata tiap penilai",
                         "dasar_saran_rating_perilaku": "skor disesuaikan dan galat bakunya (skor mentah bila "
                                                        "model bias tidak dapat dihitung)",
                         "skor_disesuaikan": "rerata kelompok dari skor penilai setelah kelonggaran penilai dan "
                                             "efek kelompok dikeluarkan, dibobot 'bobot', ditambah tingkat acuan "
                                             "(rerata efek kelompok berbobot); tidak disusutkan",
                         "model_bias": "efek acak silang pegawai x penilai; komponen varians metode momen "
                                       "(Gao & Owen 2017); kelonggaran penilai dengan pegawai sebagai efek "
                                       "tetap (persamaan model campuran Henderson)",
                         "kesepakatan_diri": "pita 0,5 SD selisih (Atwater & Yammarino 1992)",
                         "instrumen_versi": load_instrument().versi, "skala_versi": load_scale().versi},
                "model": self.fit.summary() if self.fit else None,
                "catatan": self.notes}


def analyse(responses: pd.DataFrame | AnswerMatrix, settings: Mapping[str, Any] | None = None, *,
            population=None, hasil_kerja: Mapping[str, str] | pd.Series | None = None,
            keputusan: Mapping[str, str] | pd.Series | None = None, unit: Mapping[str, str] | pd.Series | None = None,
            predikat_organisasi: Mapping[str, str] | None = None, item_values: Mapping[str, str] | None = None,
            timings: pd.DataFrame | None = None) -> ScoringReport:
    """Score a cycle's responses end to end, without a database, and return a ScoringReport.

    ``responses`` is the long table ``ratee, rater, relation, item, score`` or the same answers as an
    :class:`~kinerja_lib.responses.AnswerMatrix` (what ``run_scoring`` reads); both give the same report.

    ``population`` lists the ratees to report (default: those in ``responses``); ``hasil_kerja`` and
    ``keputusan`` map ratee -> Rating Hasil Kerja and the Pejabat Penilai's Rating Perilaku Kerja;
    ``unit`` maps ratee -> the unit whose Predikat Kinerja Organisasi (``predikat_organisasi``,
    unit -> label) bounds them. The final Rating Perilaku is the decision when recorded, else the
    suggestion; the predikat comes from the kuadran when the Rating Hasil Kerja is known.
    """
    settings = _settings(settings)
    data = _code(responses, settings, item_values)
    del responses  # a caller that handed over its only reference lets the rest of the matrix go here
    scale = load_scale()
    # The cycle-wide statistics first, while only the coded answers are held: their working arrays then do not
    # pile up on the result tables.
    reliab = _reliability(data, len(scale.points))
    quality = quality_from_forms(FormAnswers(data.ratees, data.raters, pd.Index(data.groups), data.p_ratee,
                                             data.p_rater, data.p_group, data.y, data.ok_raw, data.p_n_raw), timings)
    value_cells = _value_cells(data)
    data.drop_answers()
    scored = _score(data, settings)
    scores = scored.frame()
    per_value = _per_value(data, settings, *value_cells)
    del value_cells
    pairs, at = per_value.self_and_others()
    agreement = _agreement(pairs, scores, settings, None)
    del pairs
    values = per_value.stored(agreement, at)

    pop = pd.Index(population if population is not None else scores["nip"], name="nip").unique()
    res = scores.set_index("nip").reindex(pop)
    results = pd.DataFrame(index=pop)
    for col in ("skor", "skor_adj", "skor_adj_se"):
        results[col] = res[col]
    results["kelompok_tampil"] = res["kelompok_tampil"].fillna("")
    for g in RELATIONS:
        col = f"n_{g}"
        results[col] = res[col].fillna(0).astype(int) if col in res else 0
    for g in RELATIONS:
        col = f"rerata_{g}"
        results[col] = res[col] if col in res else np.nan
    # The suggestion rests on the bias-adjusted score where the model could be fitted, else the raw score.
    use_adj = results["skor_adj"].notna()
    basis = results["skor_adj"].where(use_adj, results["skor"])
    basis_se = res["skor_adj_se"].where(use_adj, res["skor_se"])
    suggestion = rating_perilaku_suggestion(basis, basis_se.to_numpy(dtype=float), settings)
    results["rating_perilaku_saran"] = suggestion["saran"]
    results["dasar_saran"] = pd.Series(np.where(use_adj, "skor_adj", np.where(results["skor"].notna(), "skor", None)),
                                       index=results.index, dtype=object)
    results["peluang_di_atas"] = suggestion["peluang_di_atas"]
    results["peluang_di_bawah"] = suggestion["peluang_di_bawah"]
    decided = pd.Series(keputusan if keputusan is not None else {}, dtype=object).reindex(pop)
    results["rating_perilaku"] = decided.where(decided.notna(), results["rating_perilaku_saran"])
    results["sumber_rating_perilaku"] = np.where(decided.notna(), "keputusan",
                                                 np.where(results["rating_perilaku_saran"].notna(), "saran", None))
    results["rating_hasil_kerja"] = pd.Series(hasil_kerja if hasil_kerja is not None else {}, dtype=object
                                              ).reindex(pop)
    results["predikat"] = predikat_series(results["rating_hasil_kerja"], results["rating_perilaku"])
    # Ditetapkan only when both ratings are the Pejabat Penilai's recorded decisions; a predikat that
    # rests on the 360 suggestion is sementara and feeds no consequence.
    results["status_predikat"] = pd.Series(np.where(
        results["predikat"].isna(), None, np.where(decided.notna().to_numpy(), DITETAPKAN, SEMENTARA)),
        index=results.index, dtype=object)
    overall = agreement[agreement["nilai"] == SEMUA].set_index("nip")["kategori"]
    results["kesepakatan_diri"] = overall.reindex(pop)
    results = results.reset_index()

    units = pd.Series(unit if unit is not None else {}, dtype=object).reindex(results["nip"])
    distribution, warnings = distribution_by_unit(
        pd.DataFrame({"unit": units.to_numpy(), "predikat": results["predikat"].to_numpy()}).dropna(subset=["unit"]),
        dict(predikat_organisasi or {}))

    return ScoringReport(settings, scores, values, agreement, results, reliab, rater_bias(scored.fit), quality,
                         flagged_raters(quality), distribution, warnings, scored.fit, scored.notes,
                         per_value=per_value)


def load_responses(db: Database, cycle_id: int, items: str = "berakhlak") -> pd.DataFrame:
    """Return the submitted answers of a cycle as the long table ``ratee, rater, relation, item, score``.

    ``items`` is ``berakhlak`` (the 21 behaviour items) or ``kompetensi`` (K01..K09); see
    kinerja_lib.responses.load_answers for the rules. Rater NIPs are for the analysis only: nothing shown
    to a ratee may carry them.
    """
    if items == "berakhlak":
        codes = list(load_instrument().item_codes)
    elif items == "kompetensi":
        codes = list(load_competencies().by_code())
    else:
        raise ValueError("items harus 'berakhlak' atau 'kompetensi'")
    return load_answer_matrix(db, cycle_id, codes, timings=False).to_long()


def load_timings(db: Database, cycle_id: int) -> pd.DataFrame:
    """Return ``rater, ratee, mulai, terkirim`` of the cycle's submitted active assignments."""
    return submitted_assignments(db, cycle_id)[["rater", "ratee", "mulai", "terkirim"]]


def load_comments(db: Database, cycle_id: int, settings: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Return the comments a ratee may see: ``ratee, kelompok, jenis, teks``, never the rater.

    A comment is kept only when its rater group is shown for that ratee (the same count as the scores:
    raters with at least one BerAKHLAK score in a submitted form). Rows are sorted by ratee, group,
    kind and text, so their order reveals nothing about who wrote them.
    """
    if settings is None:
        settings = get_cycle(db, cycle_id).settings
    settings = _settings(settings)
    scores = (score_responses(load_responses(db, cycle_id), settings) if has_submitted_answers(db, cycle_id)
              else None)
    comments = records.comment_rows(db, cycle_id)
    if scores is None or comments.empty:
        return comments.iloc[0:0]
    shown = {(r, g) for r, groups in zip(scores["nip"], scores["kelompok_tampil"]) for g in groups.split(",") if g}
    keep = [(r, g) in shown for r, g in zip(comments["ratee"], comments["kelompok"])]
    out = comments[keep].copy()
    order = {g: k for k, g in enumerate(settings.kelompok)}
    out["_g"] = out["kelompok"].map(order)
    return out.sort_values(["ratee", "_g", "jenis", "teks"]).drop(columns="_g").reset_index(drop=True)


def response_rates(db: Database, cycle_id: int) -> pd.DataFrame:
    """Return form completion per perangkat daerah (OPD, the root of the unit tree) of the rater and relation:
    ``opd, relation, ditugaskan, terkirim, draf, belum, proporsi_terkirim`` over the active assignments."""
    df = records.assignment_status_counts(db, cycle_id)
    df["opd"] = load_tree(db).opd_of(df["unit_id"])
    wide = df.pivot_table(index=["opd", "relation"], columns="status", values="n", aggfunc="sum", fill_value=0)
    wide = wide.reindex(columns=["terkirim", "draf", "belum"], fill_value=0)
    wide.insert(0, "ditugaskan", wide.sum(axis=1))
    wide["proporsi_terkirim"] = wide["terkirim"] / wide["ditugaskan"]
    wide.columns.name = None
    return wide.reset_index()


def run_scoring(db: Database, cycle: int | str | None = None, *, persist: bool = True,
                pelaku: str = "cli") -> ScoringReport:
    """Score a cycle from the database (newest open cycle by default) and, with ``persist``, store it.

    Raises CycleError when the cycle does not exist or has no submitted forms.
    """
    c = get_cycle(db, cycle)
    # Read the change counter before the data: a change in between then makes the run look stale (safe),
    # never the other way round.
    version = data_version(db, c.id)
    # One read gives the answers and the forms' timestamps, as a matrix the analysis codes without a long table.
    responses = load_answer_matrix(db, c.id, load_instrument().item_codes)
    if responses.empty:
        raise CycleError(f"Siklus '{c.nama}' belum punya formulir terkirim untuk dinilai")
    population = records.active_ratees(db, c.id)
    hasil_kerja, decided = records.recorded_ratings(db, c.id)
    units = units_of_pegawai(db, c.id)
    org = predikat_organisasi(db, c.id)
    timings = responses.timings()
    # The matrix is handed over, not kept: analyse lets it go once coded (a province's is hundreds of MB).
    matrix = [responses]
    del responses
    report = analyse(matrix.pop(), c.settings, population=population, hasil_kerja=hasil_kerja, keputusan=decided,
                     unit=dict(zip(units["nip"], units["unit_predikat"])), predikat_organisasi=org,
                     timings=timings)
    report.cycle = c
    report.data_version = version
    if persist:
        report.run_id = save_results(db, c.id, report, pelaku=pelaku)
    return report


# ----------------------------------------------------------------------------------------------------
# Storage and export (the tables themselves are read and written by kinerja_lib.hasil)

load_results = hasil.load_results
load_value_results = hasil.load_value_results
load_agreement = hasil.load_agreement


def save_results(db: Database, cycle_id: int, report: ScoringReport, pelaku: str = "cli") -> int:
    """Replace the cycle's stored results with the report's, in one transaction; return the analysis_run id.

    Writes one analysis_run row (jenis 'skor') carrying the settings and method, then hasil_skor and
    hasil_skor_nilai (the self-other agreement with them), and an audit entry (kinerja_lib.hasil.replace_scoring).
    """
    method = json.dumps(report.method(), ensure_ascii=False, default=float)
    return hasil.replace_scoring(db, cycle_id, method=method, data_version=report.data_version,
                                 results=report.results.sort_values("nip", kind="stable"), values=report.values,
                                 agreement=report.agreement, warnings=len(report.warnings), pelaku=pelaku)


def _flatten(prefix: str, value: Any, out: list[tuple[str, str]]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    else:
        out.append((prefix, json.dumps(value, ensure_ascii=False) if isinstance(value, list) else value))


def export_results_xlsx(db: Database, cycle_id: int, path: str | Path) -> Path:
    """Write the cycle's stored results to an XLSX workbook with Indonesian headers; return the path.

    Sheets: Skor 360, Skor per Nilai, Kesepakatan Diri, Distribusi Unit, Peringatan Distribusi and
    Pengaturan (the settings and method of the analysis run). Raises CycleError when nothing is stored.
    """
    results = load_results(db, cycle_id)
    if results.empty:
        raise CycleError("Belum ada hasil skor untuk siklus ini; jalankan 'kinerja score' lebih dulu")
    run = hasil.scoring_run(db, int(results["analysis_run_id"].iloc[0]))
    vocab = load_vocabulary()
    rel = vocab["relasi"]
    names = load_instrument().value_names()
    # Headers and number formats come from the column vocabulary (kinerja_lib.columns).
    scores = results[["nip", "nama", "unit_id", "skor", "skor_adj", "skor_adj_se", "kelompok_tampil",
                      *[f"n_{g}" for g in RELATIONS], *[f"rerata_{g}" for g in RELATIONS],
                      "rating_perilaku_saran", "peluang_di_atas", "peluang_di_bawah", "rating_perilaku",
                      "sumber_rating_perilaku", "rating_hasil_kerja", "predikat", "status_predikat",
                      "kesepakatan_diri"]].copy()
    scores["kelompok_tampil"] = scores["kelompok_tampil"].map(
        lambda s: ", ".join(rel.get(g, g) for g in s.split(",") if g))
    scores["kesepakatan_diri"] = scores["kesepakatan_diri"].map(KESEPAKATAN).where(scores["kesepakatan_diri"].notna())
    # One row per pegawai in the per-value sheets (a city has tens of thousands of pegawai x values).
    ident = results.set_index("nip")[["nama"]]
    stored = hasil.load_value_table(db, cycle_id)
    groups = [*RELATIONS, "bukan_diri"]
    label = {**{g: rel[g] for g in RELATIONS}, "bukan_diri": "Gabungan tanpa diri"}
    wide = stored.pivot(index="nip", columns="nilai", values=[f"rerata_{g}" for g in groups])
    wanted = [(f"rerata_{g}", v) for v in names for g in groups
              if (f"rerata_{g}", v) in wide.columns and wide[(f"rerata_{g}", v)].notna().any()]
    wide = wide.reindex(columns=wanted)
    wide.columns = [f"{v} {names[v]} - {label[g.removeprefix('rerata_')]}" for g, v in wanted]
    value = ident.join(wide).reset_index()
    agree = load_agreement(db, cycle_id).assign(
        kategori=lambda d: d["kategori"].map(KESEPAKATAN), titik=lambda d: d["titik"].map(TITIK))
    wide = agree.pivot_table(index="nip", columns="nilai", values=["selisih", "kategori", "titik"],
                             aggfunc="first")
    order = [(m, v) for v in [SEMUA, *names] for m in ("selisih", "kategori", "titik") if (m, v) in wide.columns]
    wide = wide.reindex(columns=order)
    wide.columns = [f"{columns.header(m)} {'Keseluruhan' if v == SEMUA else v}" for m, v in order]
    agree = ident.join(wide, how="inner").reset_index()
    shares, warnings = distribution_by_unit(
        pd.DataFrame({"unit": results["unit_predikat"], "predikat": results["predikat"]}),
        predikat_organisasi(db, cycle_id))
    flat: list[tuple[str, str]] = [("analysis_run", run[0]), ("dihitung", run[2])]
    warning = anonymity_warning(json.loads(run[1]).get("metode", {}))
    if warning:
        flat.insert(0, ("peringatan anonimitas", warning))
    _flatten("", json.loads(run[1]), flat)
    settings = pd.DataFrame(flat, columns=["Pengaturan", "Nilai"])
    from .export import Sheet, write_xlsx

    # Streamed by the kit's export writer (text cells, formula text escaped, 0600, all-or-nothing).
    shares_format = {label: "0.0%" for label in load_kuadran().predikat}
    heads, fmts, text = columns.labels(), columns.formats(), columns.text_columns()
    return write_xlsx(path, [
        Sheet("Skor 360", scores, labels=heads, formats=fmts, text=text),
        Sheet("Skor per Nilai", value, labels=heads, formats=fmts, text=text),
        Sheet("Kesepakatan Diri", agree, labels=heads, formats=fmts, text=text),
        Sheet("Distribusi Unit", shares, labels=heads, formats={**fmts, **shares_format}),
        Sheet("Peringatan Distribusi", warnings, labels=heads, formats=fmts),
        Sheet("Pengaturan", settings, wrap=["Nilai"])])
