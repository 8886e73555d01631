"""Rater-quality flags: straight-lining, implausibly fast completion and outlier raters, with reasons.

Flags inform the HR researcher; they never remove or change data. Rater NIPs appear only in these
researcher-facing tables, never in anything shown to the person rated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .responses import AnswerMatrix

LURUS, CEPAT, PENCILAN = "lurus", "cepat", "pencilan"

# Modified z-score (Iglewicz & Hoaglin 1993) of the log distance. Their usual bar of 3.5 flagged about
# 0.3% of honest raters in simulated cycles (the distance is chi-like, so its tail is long); 5 flagged
# none, while a rater answering at random scored 8 to 10.
AMBANG_Z = 5.0


def rater_quality(responses: pd.DataFrame, timings: pd.DataFrame | None = None, *,
                  min_butir_lurus: int = 10, detik_per_butir: float = 2.0, ambang_z: float = AMBANG_Z,
                  min_butir_pencilan: int = 10) -> pd.DataFrame:
    """Return one row per (rater, ratee) form with the three quality checks and their reasons.

    ``responses`` is the long table ``ratee, rater, relation, item, score`` (NaN = tidak dapat
    menilai). ``timings`` optionally has ``rater, ratee, mulai, terkirim`` (ISO timestamps).

    * ``lurus`` (straight-lining): the same score on every one of at least ``min_butir_lurus``
      answered items.
    * ``cepat``: the form took less than ``detik_per_butir`` seconds per answered item between the
      first saved answer and submission; NA when the timestamps are missing (not assessable).
    * ``pencilan`` (a rater-level flag, repeated on each of the rater's forms): leave-one-out, each
      answer is compared with the mean of the other raters of the same ratee on the same item; the
      offset of each form (leniency, handled by the bias model) is removed, and the root mean square
      of what remains, each squared residual scaled by 1 + 1/c for c other raters, is the rater's
      ``jarak``. Its logarithm is turned into a modified z-score across raters (median and MAD,
      Iglewicz & Hoaglin 1993); ``pencilan`` when z >= ``ambang_z``. Self-ratings are left out of
      this comparison; raters with fewer than ``min_butir_pencilan`` comparable answers (degrees of
      freedom after removing each form's offset) are not assessed. ``korelasi`` is the correlation,
      over the rater's ratees (at least 3), between the rater's form mean and the other raters'
      mean, reported for context.

    ``alasan`` states every flag in Indonesian; an empty string means no flag.
    """
    m = AnswerMatrix.from_long(responses)
    return quality_from_forms(FormAnswers(m.ratees, m.raters, m.relations, m.ratee, m.rater, m.relation, m.scores),
                              timings, min_butir_lurus=min_butir_lurus, detik_per_butir=detik_per_butir,
                              ambang_z=ambang_z, min_butir_pencilan=min_butir_pencilan)


@dataclass
class FormAnswers:
    """A cycle's answers as items x forms (a form is one rater's answers for one ratee) with each form's codes."""

    ratees: pd.Index
    raters: pd.Index
    relations: pd.Index
    ratee: np.ndarray                   # per form: codes into ratees, raters, relations
    rater: np.ndarray
    relation: np.ndarray
    y: np.ndarray                       # items x forms, NaN = no score
    ok: np.ndarray | None = None        # items x forms: a score was given (computed when absent)
    answered: np.ndarray | None = None  # per form: items scored (computed when absent)


def quality_from_forms(forms: FormAnswers, timings: pd.DataFrame | None = None, *, min_butir_lurus: int = 10,
                       detik_per_butir: float = 2.0, ambang_z: float = AMBANG_Z,
                       min_butir_pencilan: int = 10) -> pd.DataFrame:
    """rater_quality on answers already coded as a matrix (so the scoring run codes its data only once).

    Every per-answer figure is taken item by item over form-length arrays, each form's sums in the order of its
    items."""
    ratees, raters, relations, y = forms.ratees, forms.raters, forms.relations, forms.y
    p_ratee, p_rater, p_rel = forms.ratee, forms.rater, forms.relation
    diri = relations.get_indexer(["diri"])[0]
    nr, nt = len(raters), len(ratees)
    ni, npair = y.shape
    ok = forms.ok if forms.ok is not None else ~np.isnan(y)
    cnt = np.zeros(npair) if forms.answered is None else forms.answered
    s1, s2 = np.zeros(npair), np.zeros(npair)
    for i in range(ni):
        yz = np.where(ok[i], y[i], 0.0)
        if forms.answered is None:
            cnt += ok[i]
        s1 += yz
        yz *= yz
        s2 += yz
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s1 / cnt
        var = np.maximum(s2 / cnt - mean * mean, 0.0)
    lurus = (cnt >= min_butir_lurus) & (var < 1e-12)

    out = pd.DataFrame({"rater": raters[p_rater], "ratee": ratees[p_ratee], "relation": relations[p_rel],
                        "n_butir": cnt.astype(int), "sd": np.sqrt(var), "lurus": lurus})

    # Speed: seconds per answered item between the first save and submission.
    out["durasi_detik"] = np.nan
    if timings is not None and len(timings):
        tm = timings[["rater", "ratee", "mulai", "terkirim"]]
        start = pd.to_datetime(tm["mulai"], utc=True, errors="coerce", format="ISO8601")
        end = pd.to_datetime(tm["terkirim"], utc=True, errors="coerce", format="ISO8601")
        seconds = (end - start).dt.total_seconds().to_numpy()
        if (len(tm) == npair and np.array_equal(tm["rater"].to_numpy(dtype=object), out["rater"].to_numpy())
                and np.array_equal(tm["ratee"].to_numpy(dtype=object), out["ratee"].to_numpy())):
            # One timing row per form in the forms' order (AnswerMatrix.timings of the matrix scored): by
            # position, without matching a province's forms by their two NIPs.
            out["durasi_detik"] = seconds
        else:
            by_pair = pd.Series(seconds, index=pd.MultiIndex.from_arrays([tm["rater"], tm["ratee"]]))
            by_pair = by_pair[~by_pair.index.duplicated()]
            out["durasi_detik"] = by_pair.reindex(pd.MultiIndex.from_arrays([out["rater"], out["ratee"]])).to_numpy()
    dur = out["durasi_detik"].to_numpy(dtype=float)
    assessable = ~np.isnan(dur) & (cnt > 0)
    cepat = pd.array(np.where(assessable, dur < detik_per_butir * cnt, False), dtype="boolean")
    cepat[~assessable] = pd.NA
    out["cepat"] = cepat

    # Outliers: leave-one-out deviation from the other raters of the same ratee on the same item. The
    # form's own offset (leniency, or a level the few other raters do not share) is removed, so what
    # remains is how unlike the others the answers vary across items; each squared residual is scaled by
    # its expected size under honest rating, 1 + 1/c with c other raters (the others' mean is noisier
    # when they are few), and the rater's mean of those is turned into a modified z-score.
    nondiri = p_rel != diri
    m_p, sum_dev, sum_w, sum_own, sum_wdev, sum_wdev2 = (np.zeros(npair) for _ in range(6))
    for i in range(ni):
        other = np.flatnonzero(ok[i] & nondiri)
        t_other, y_other = p_ratee[other], y[i, other]
        c_cell = np.bincount(t_other, minlength=nt)
        s_cell = np.bincount(t_other, y_other, nt).astype(float, copy=False)
        use = c_cell[t_other] >= 2   # the cell has another rater to compare with
        pu, tu, yu = other[use], t_other[use], y_other[use]
        del other, t_other, y_other, use
        # In place (the same operations as yu - (s - yu) / c and 1 / (1 + 1 / c), so the same figures).
        weight = (c_cell[tu] - 1).astype(float)
        dev = s_cell[tu]
        dev -= yu
        dev /= weight
        np.subtract(yu, dev, out=dev)
        np.reciprocal(weight, out=weight)
        weight += 1.0
        np.reciprocal(weight, out=weight)
        m_p[pu] += 1.0
        sum_dev[pu] += dev
        sum_w[pu] += weight
        sum_own[pu] += yu
        weight *= dev   # in place: w dev, then w dev^2 (the same products as weight * dev * dev)
        sum_wdev[pu] += weight
        weight *= dev
        sum_wdev2[pu] += weight
    with np.errstate(invalid="ignore", divide="ignore"):
        offset = np.where(m_p > 0, sum_dev / m_p, 0.0)
        ss = np.maximum(sum_wdev2 - 2 * offset * sum_wdev + offset * offset * sum_w, 0.0)
        df = np.bincount(p_rater, np.where(m_p > 0, sum_w * (1.0 - 1.0 / m_p), 0.0), nr)
        dist = np.sqrt(np.bincount(p_rater, ss, nr) / df)
    assessed = np.bincount(p_rater, np.maximum(m_p - 1.0, 0.0), nr) >= min_butir_pencilan
    z = np.full(nr, np.nan)
    if assessed.sum() >= 3:
        log_dist = np.log(np.maximum(dist[assessed], 1e-9))
        med = np.median(log_dist)
        mad = np.median(np.abs(log_dist - med))
        if mad > 0:
            z[assessed] = 0.6745 * (log_dist - med) / mad
    pencilan = np.nan_to_num(z) >= ambang_z

    # Correlation across ratees between the rater's form mean and the other raters' mean.
    with np.errstate(invalid="ignore", divide="ignore"):
        own = sum_own / m_p
        oth = own - offset
    korelasi = _grouped_corr(p_rater, own, oth, m_p > 0, nr)

    out["jarak"] = np.where(assessed, dist, np.nan)[p_rater]
    out["z_pencilan"] = z[p_rater]
    out["pencilan"] = pencilan[p_rater]
    out["korelasi"] = korelasi[p_rater]
    out["alasan"] = _reasons(out, min_butir_lurus, detik_per_butir, ambang_z)
    order = np.lexsort((label_rank(ratees)[p_ratee], label_rank(raters)[p_rater]))
    return out.iloc[order].reset_index(drop=True)


def label_rank(labels: pd.Index) -> np.ndarray:
    """Return each label's position in sorted order (first-seen order when labels do not sort)."""
    values = labels.to_numpy()
    if values.dtype == object and values.size and all(isinstance(v, str) and not v.endswith("\0") for v in values):
        # Texts (NIPs) sorted as fixed-width strings, in C: the same order as Python's comparison of str (by code
        # point; numpy ignores trailing NULs, hence their test), without a Python comparison per step (seconds
        # for a province's two million labels).
        values = values.astype(str)
    try:
        order = np.argsort(values, kind="stable")
    except TypeError:
        return np.arange(len(labels))
    rank = np.empty(len(labels), dtype=np.int64)
    rank[order] = np.arange(len(labels))
    return rank


def _grouped_corr(group, x, y, valid, n_groups, min_n=3) -> np.ndarray:
    g, x, y = group[valid], x[valid], y[valid]
    n = np.bincount(g, minlength=n_groups).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx, my = np.bincount(g, x, n_groups) / n, np.bincount(g, y, n_groups) / n
        dx, dy = x - mx[g], y - my[g]
        sxy = np.bincount(g, dx * dy, n_groups)
        sxx, syy = np.bincount(g, dx * dx, n_groups), np.bincount(g, dy * dy, n_groups)
        corr = sxy / np.sqrt(sxx * syy)
    return np.where(n >= min_n, corr, np.nan)


def _reasons(q: pd.DataFrame, min_butir: int, detik: float, ambang_z: float) -> np.ndarray:
    out = np.full(len(q), "", dtype=object)
    flagged = (q["lurus"] | q["cepat"].fillna(False).astype(bool) | q["pencilan"]).to_numpy()
    for pos, row in zip(np.flatnonzero(flagged), q[flagged].itertuples(index=False)):
        parts = []
        if row.lurus:
            parts.append(f"memberi skor yang sama pada semua {row.n_butir} butir yang dijawab")
        if row.cepat is not pd.NA and bool(row.cepat):
            parts.append(f"mengisi {row.n_butir} butir dalam {row.durasi_detik:.0f} detik "
                         f"(kurang dari {detik:g} detik per butir)")
        if row.pencilan:
            parts.append(f"pola jawaban jauh berbeda dari penilai lain untuk pegawai yang sama "
                         f"(z robust {row.z_pencilan:.1f}, ambang {ambang_z:g})")
        out[pos] = "; ".join(parts)
    return out


def flagged_raters(quality: pd.DataFrame) -> pd.DataFrame:
    """Return one row per rater with at least one flag: counts per flag and the reasons, in Indonesian.

    Columns: ``rater, n_formulir, n_lurus, n_cepat, pencilan, z_pencilan, alasan``.
    """
    q = quality.assign(cepat_=quality["cepat"].fillna(False).astype(bool))
    # Only raters with a flag are listed: their forms are picked out before grouping (a province's quality table
    # has six million forms, a few thousand of them flagged).
    flagged = (q["lurus"].to_numpy(dtype=bool) | q["cepat_"].to_numpy() | q["pencilan"].to_numpy(dtype=bool))
    q = q[q["rater"].isin(pd.unique(q["rater"].to_numpy()[flagged]))]
    g = q.groupby("rater", sort=True)
    summary = pd.DataFrame({
        "n_formulir": g.size(),
        "n_lurus": g["lurus"].sum().astype(int),
        "n_cepat": g["cepat_"].sum().astype(int),
        "pencilan": g["pencilan"].any(),
        "z_pencilan": g["z_pencilan"].first(),
    })
    summary = summary[(summary.n_lurus > 0) | (summary.n_cepat > 0) | summary.pencilan]
    reasons = []
    for row in summary.itertuples():
        parts = []
        if row.n_lurus:
            parts.append(f"skor seragam (straight-lining) pada {row.n_lurus} dari {row.n_formulir} formulir")
        if row.n_cepat:
            parts.append(f"pengisian terlalu cepat pada {row.n_cepat} dari {row.n_formulir} formulir")
        if row.pencilan:
            parts.append(f"pola jawaban pencilan dibanding penilai lain (z robust {row.z_pencilan:.1f})")
        reasons.append("; ".join(parts))
    summary["alasan"] = reasons
    return summary.reset_index()
