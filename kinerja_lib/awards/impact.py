"""Fairness: the adverse-impact check of an award list (4/5 rule with Fisher's exact test and Holm's correction)."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from ..reference import load_vocabulary
from .frames import golongan_group
from .rules import AwardRules, load_rules


FAIRNESS_COLUMNS = ["dimensi", "kelompok", "n", "terpilih", "laju", "rasio", "di_bawah_ambang", "p_fisher",
                    "p_holm", "dinilai", "temuan", "kekurangan", "status"]
STATUS_TIDAK_DINILAI = "tidak dinilai"
STATUS_TANPA_INDIKASI = "tidak ada indikasi"
STATUS_INDIKASI = "indikasi (belum bermakna secara statistik)"
STATUS_TEMUAN = "temuan: dampak merugikan bermakna secara statistik"


def fairness(frame: pd.DataFrame, dimensions: dict[str, str] | None = None, *, selected: str = "terpilih",
             threshold: float = 0.8, alpha: float = 0.05, min_group: int = 20,
             min_expected: float = 5.0) -> pd.DataFrame:
    """Return selection rates per group with the 4/5ths ratio and Fisher's exact test. Reported only.

    ``frame`` is the pool (one row per person considered) with a boolean ``selected`` column;
    ``dimensions`` maps a column to its Indonesian label (default gender, OPD and golongan group).
    Per group: ``n``, ``terpilih``, ``laju`` = selected / n; ``rasio`` = laju / the highest laju among the
    judged groups of the dimension; ``di_bawah_ambang`` when rasio < threshold; ``p_fisher`` = two-sided
    Fisher exact test of [[selected in group, not selected in group], [selected in rest, not selected
    in rest]]; ``p_holm`` = the same adjusted by Holm's step-down over the judged groups of the dimension;
    ``kekurangan`` = how many more of the group would have to be selected (others unchanged) for its rate
    to reach threshold x the highest rate, computed in exact fractions.

    A group is judged (``dinilai``) only when it has at least ``min_group`` people and at least
    ``min_expected`` selections would be expected at the overall rate: below that, a ratio is noise
    (a shortlist of 10 from a city cannot be judged by OPD). ``status`` words the result:
    "tidak dinilai" (with the reason), "tidak ada indikasi" (ratio at or above the threshold),
    "indikasi (belum bermakna secara statistik)" (ratio below, Holm-adjusted p >= alpha) or
    "temuan: dampak merugikan bermakna secara statistik" (ratio below and p < alpha); ``temuan`` marks
    the last. A finding calls for a look at the process, not a verdict.

    Worked example (also a test): men 8 selected of 20 (laju 0.40), women 6 of 30 (laju 0.20).
    rasio(women) = 0.20 / 0.40 = 0.50 < 0.80: below the threshold. Reaching it needs a rate of
    0.8 x 0.40 = 0.32, i.e. 0.32 x 30 = 9.6 -> 10 selections: kekurangan = 10 - 6 = 4. Fisher for women
    vs the rest uses [[6, 24], [8, 12]] (p = 0.19): an indication, not a finding.
    """
    dims = dimensions or {"jenis_kelamin": "Jenis kelamin", "opd": "Perangkat daerah",
                          "golongan_kelompok": "Golongan"}
    pool = frame.copy()
    if "golongan_kelompok" in dims and "golongan_kelompok" not in pool and "golongan" in pool:
        pool["golongan_kelompok"] = golongan_group(pool["golongan"])
    chosen = pool[selected].fillna(False).astype(bool)
    need = Fraction(str(threshold))
    rows = []
    total_n, total_sel = len(pool), int(chosen.sum())
    overall = total_sel / total_n if total_n else 0.0
    for col, label in dims.items():
        if col not in pool:
            continue
        keys = pool[col].fillna("tidak tercatat").astype(str)
        if col == "jenis_kelamin":
            names = load_vocabulary().get("jenis_kelamin", {})
            keys = keys.map(lambda x: names.get(x, x))
        counts = pd.DataFrame({"g": keys, "s": chosen}).groupby("g")["s"].agg(["size", "sum"])
        judged = (counts["size"] >= min_group) & (counts["size"] * overall >= min_expected)
        ref = counts[judged]
        top_rate = Fraction(0)
        if len(ref):
            best = ref.assign(r=ref["sum"] / ref["size"]).sort_values(["r", "size"], ascending=[False, False])
            top_rate = Fraction(int(best["sum"].iloc[0]), int(best["size"].iloc[0]))
        part = []
        for g, (n, sel) in counts.iterrows():
            n, sel = int(n), int(sel)
            rate = Fraction(sel, n)
            rest_n, rest_s = total_n - n, total_sel - sel
            p = fisher_two_sided(sel, n - sel, rest_s, rest_n - rest_s) if rest_n > 0 else math.nan
            ok = bool(judged[g]) and top_rate > 0
            part.append({"dimensi": label, "kelompok": g, "n": n, "terpilih": sel, "laju": float(rate),
                         "rasio": float(rate / top_rate) if ok else math.nan,
                         "di_bawah_ambang": bool(ok and rate < need * top_rate), "p_fisher": p,
                         "p_holm": math.nan, "dinilai": ok, "temuan": False,
                         "kekurangan": int(max(0, math.ceil(need * top_rate * n) - sel)) if ok else 0})
        _holm(part, alpha)
        for row in part:
            if not row["dinilai"]:
                why = (f"kelompok kurang dari {min_group} orang" if row["n"] < min_group
                       else f"terpilih yang diharapkan kurang dari {min_expected:g}")
                row["status"] = f"{STATUS_TIDAK_DINILAI} ({why})"
            elif not row["di_bawah_ambang"]:
                row["status"] = STATUS_TANPA_INDIKASI
            else:
                row["temuan"] = bool(row["p_holm"] < alpha)
                row["status"] = STATUS_TEMUAN if row["temuan"] else STATUS_INDIKASI
        rows += part
    out = pd.DataFrame(rows, columns=FAIRNESS_COLUMNS)
    out.attrs.update(ambang_rasio=threshold, alfa=alpha, ukuran_minimal=min_group, harapan_minimal=min_expected)
    return out


# Probabilities within this relative distance of the observed table's count as equally likely (R's tolerance).
_TIES = 1 + 1e-7


def fisher_two_sided(a: int, b: int, c: int, d: int) -> float:
    """Return the two-sided p of Fisher's exact test of the table [[a, b], [c, d]]: the total probability,
    with the margins fixed, of the tables no more likely than the observed one.

    The same test as ``scipy.stats.fisher_exact`` (within 1e-9 relative), without importing scipy, whose
    import takes longer than the whole fairness check.

    >>> round(fisher_two_sided(6, 24, 8, 12), 4), fisher_two_sided(5, 5, 5, 5)
    (0.1981, 1.0)
    """
    n1, n2, n = a + b, c + d, a + c
    lo, hi = max(0, n - n2), min(n, n1)
    x = np.arange(lo, hi + 1)
    f = _log_factorials(n1 + n2)
    # log of the hypergeometric probability of each table, up to a constant
    logp = -(f[x] + f[n1 - x] + f[n - x] + f[n2 - n + x])
    p = np.exp(logp - logp.max())
    return float(min(1.0, p[p <= p[a - lo] * _TIES].sum() / p.sum()))


_LOG_FACTORIALS = np.zeros(1)


def _log_factorials(n: int) -> np.ndarray:
    """Return log(k!) for k = 0..n at least (``math.lgamma``), kept between calls: one table serves every
    test of a fairness check."""
    global _LOG_FACTORIALS
    if len(_LOG_FACTORIALS) <= n:
        size = max(n + 1, 2 * len(_LOG_FACTORIALS))
        _LOG_FACTORIALS = np.fromiter((math.lgamma(k + 1) for k in range(size)), dtype=float, count=size)
    return _LOG_FACTORIALS


def _holm(rows: list[dict[str, Any]], alpha: float) -> None:
    """Fill ``p_holm`` (Holm's step-down adjusted p) for the judged rows, in place."""
    judged = [r for r in rows if r["dinilai"] and not math.isnan(r["p_fisher"])]
    m = len(judged)
    running = 0.0
    for i, r in enumerate(sorted(judged, key=lambda r: r["p_fisher"])):
        running = max(running, min(1.0, (m - i) * r["p_fisher"]))
        r["p_holm"] = running


def fairness_report(eligibility: pd.DataFrame, rules: AwardRules | None = None) -> pd.DataFrame:
    """Return :func:`fairness` at both stages of an award list: who is eligible (``layak``) and who is
    shortlisted (``terpilih``), over everyone assessed in the cycle, with the rules of penghargaan.yaml."""
    rules = rules or load_rules()
    k = rules.keadilan
    parts = []
    for stage, column in (("kelayakan", "layak"), ("daftar pendek", "terpilih")):
        part = fairness(eligibility, selected=column, threshold=float(k["ambang_rasio"]), alpha=float(k["alfa"]),
                        min_group=int(k["ukuran_minimal"]), min_expected=float(k["harapan_minimal"]))
        parts.append(part.assign(tahap=stage))
    out = pd.concat(parts, ignore_index=True)
    return out[["tahap", *FAIRNESS_COLUMNS]]
