"""How well every published figure recovers the planted truths of a demo organisation.

The demo generator (kinerja_lib.demo) keeps what it planted in ``demo_truth`` and ``demo_truth_kelompok``:
each person's true behaviour level and competency levels, each rater's leniency, the rater groups'
effects. The functions here set the kit's outputs against those truths, so a researcher can judge the
method before trusting it on real people: correlation and error of the scores, coverage of the intervals,
agreement of the Rating Perilaku suggestion with the planted category, precision and recall of the
competency-gap flags, calibration of P(top-k) in the award ranking, and false flags of the fairness check.

Every function takes plain frames; :func:`load_truth` reads them from a demo database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtri

from .vocabulary import VOCAB

ATAS, SESUAI, BAWAH = VOCAB.rating.codes
Z95 = 1.959963984540054


@dataclass
class Truth:
    """The planted truths of one demo cycle."""

    cycle_id: int
    perilaku: pd.Series           # nip -> true behaviour level
    kelonggaran: pd.Series        # rater nip -> planted leniency
    kompetensi: pd.DataFrame      # nip, kompetensi, level
    kelompok: pd.Series           # group -> planted group effect


def load_truth(db, cycle_id: int) -> Truth:
    """Return the planted truths of a demo cycle; raise ValueError when the cycle holds none."""
    from .records import demo_truths

    rows, groups = demo_truths(db, cycle_id)
    if rows.empty:
        raise ValueError("siklus ini tidak punya kebenaran tertanam (bukan siklus demo)")
    by = {a: g.set_index("nip")["nilai"] for a, g in rows.groupby("aspek")}
    comp = rows[rows["aspek"].str.startswith("kompetensi:")]
    kompetensi = pd.DataFrame({"nip": comp["nip"].to_numpy(), "kompetensi": comp["aspek"].str[11:].to_numpy(),
                               "level": comp["nilai"].to_numpy()})
    groups = groups.set_index("kelompok")["efek"].astype(float)
    return Truth(int(cycle_id), by.get("perilaku", pd.Series(dtype=float)),
                 by.get("kelonggaran", pd.Series(dtype=float)), kompetensi, groups)


def true_score(truth: Truth, settings: Mapping[str, Any]) -> pd.Series:
    """Return each person's true level on the score's scale: the planted behaviour level plus the
    ``bobot``-weighted mean of the planted group effects (the reference level the adjusted score targets)."""
    weights = {g: float(w) for g, w in settings["bobot"].items() if g in truth.kelompok.index and w > 0}
    total = sum(weights.values())
    shift = sum(w * float(truth.kelompok[g]) for g, w in weights.items()) / total if total else 0.0
    return truth.perilaku + shift


def category(level, settings: Mapping[str, Any]) -> np.ndarray:
    """Return the Rating Perilaku category of each true level by the boundaries of ``ambang_rating_perilaku``."""
    cut = settings["ambang_rating_perilaku"]
    x = np.asarray(level, dtype=float)
    return np.where(x >= cut["di_atas"], ATAS, np.where(x < cut["di_bawah"], BAWAH, SESUAI)).astype(object)


def score_recovery(results: pd.DataFrame, truth: Truth, settings: Mapping[str, Any]) -> pd.DataFrame:
    """Return, for the raw and the adjusted score: people, r with the truth, RMSE, bias and 95% coverage.

    ``results`` are the stored scoring results (``nip, skor, skor_adj, skor_adj_se``); the truth is
    :func:`true_score`. Coverage is the share of people whose interval score +/- 1.96 SE holds the truth.
    """
    t = true_score(truth, settings)
    rows = []
    for label, col, se in (("skor 360 mentah", "skor", None), ("skor disesuaikan", "skor_adj", "skor_adj_se")):
        d = results[["nip", col] + ([se] if se else [])].dropna()
        y, x = d[col].to_numpy(float), d["nip"].map(t).to_numpy(float)
        ok = ~np.isnan(x)
        y, x = y[ok], x[ok]
        row = {"skor": label, "pegawai": int(ok.sum()), "r": float(np.corrcoef(x, y)[0, 1]),
               "rmse": float(np.sqrt(np.mean((y - x) ** 2))), "bias": float(np.mean(y - x)),
               "cakupan_95": np.nan}
        if se:
            s = d[se].to_numpy(float)[ok]
            row["cakupan_95"] = float(np.mean(np.abs(y - x) <= Z95 * s))
        rows.append(row)
    return pd.DataFrame(rows)


def group_composition_bias(results: pd.DataFrame, truth: Truth, settings: Mapping[str, Any]) -> pd.DataFrame:
    """Return the mean error (score - truth) of people whose bawahan are shown and of those whose are not,
    for the raw and the adjusted score: planted lenient bawahan lift the raw score of heads only."""
    t = true_score(truth, settings)
    has = results["kelompok_tampil"].fillna("").str.split(",").map(lambda g: "bawahan" in g)
    rows = []
    for label, col in (("skor 360 mentah", "skor"), ("skor disesuaikan", "skor_adj")):
        err = results[col] - results["nip"].map(t)
        rows.append({"skor": label, "galat_dengan_bawahan": float(err[has].mean()),
                     "galat_tanpa_bawahan": float(err[~has].mean()),
                     "selisih": float(err[has].mean() - err[~has].mean())})
    return pd.DataFrame(rows)


def suggestion_agreement(results: pd.DataFrame, truth: Truth, settings: Mapping[str, Any]) -> pd.DataFrame:
    """Return the suggestion against the planted category: a confusion table (planted rows) with totals.

    ``attrs['kesesuaian']`` holds the share of people whose suggestion equals the planted category.
    """
    d = results[["nip", "rating_perilaku_saran"]].dropna()
    planted = category(d["nip"].map(true_score(truth, settings)), settings)
    table = pd.crosstab(pd.Series(planted, name="kategori tertanam"),
                        pd.Series(d["rating_perilaku_saran"].to_numpy(), name="saran"))
    order = list(VOCAB.rating)
    table = table.reindex(index=order, columns=order, fill_value=0)
    table.attrs["kesesuaian"] = float(np.mean(planted == d["rating_perilaku_saran"].to_numpy()))
    return table


def rater_recovery(rater_bias: pd.DataFrame, truth: Truth) -> dict[str, float]:
    """Return r between estimated and planted leniency over the raters with an estimate, and their count."""
    d = rater_bias.dropna(subset=["kelonggaran"])
    planted = d["rater"].map(truth.kelonggaran)
    ok = planted.notna()
    return {"penilai": int(ok.sum()),
            "r": float(np.corrcoef(d.loc[ok, "kelonggaran"], planted[ok])[0, 1]) if ok.sum() > 2 else np.nan}


def interval_coverage(mean, sd, truth, level: float = 0.95) -> float:
    """Return the share of ``truth`` inside mean +/- z sd (the central ``level`` normal interval)."""
    z = float(ndtri((1 + level) / 2))
    m, s, t = (np.asarray(a, dtype=float) for a in (mean, sd, truth))
    ok = ~(np.isnan(m) | np.isnan(s) | np.isnan(t))
    return float(np.mean(np.abs(m[ok] - t[ok]) <= z * s[ok]))


def calibration(prob, outcome, bins=(0, 0.05, 0.2, 0.4, 0.6, 0.8, 0.95, 1.0001)) -> pd.DataFrame:
    """Return a reliability table: per probability bin, people, mean predicted probability, observed share."""
    p, y = np.asarray(prob, dtype=float), np.asarray(outcome, dtype=float)
    cut = pd.cut(p, list(bins), right=False)
    frame = pd.DataFrame({"bin": cut, "p": p, "y": y})
    out = frame.groupby("bin", observed=True).agg(pegawai=("p", "size"), peluang_rerata=("p", "mean"),
                                                   proporsi_teramati=("y", "mean")).reset_index()
    out["bin"] = out["bin"].astype(str)
    out.attrs["brier"] = float(np.mean((p - y) ** 2)) if p.size else np.nan
    return out


def flag_quality(flagged, actual) -> dict[str, float]:
    """Return precision, recall and the counts of true and false flags."""
    f, a = np.asarray(flagged, dtype=bool), np.asarray(actual, dtype=bool)
    tp, fp, fn = int((f & a).sum()), int((f & ~a).sum()), int((~f & a).sum())
    return {"ditandai": int(f.sum()), "benar": tp, "salah": fp, "terlewat": fn,
            "presisi": tp / (tp + fp) if tp + fp else np.nan, "recall": tp / (tp + fn) if tp + fn else np.nan}


def competency_flags(gaps: pd.DataFrame, truth: Truth, flag_status: str = "kesenjangan") -> dict[str, float]:
    """Return precision and recall of the competency-gap flags against the planted levels.

    A planted gap is a true level below the required level; a flag is a row whose ``status`` is
    ``flag_status``. Rows without an assessed level count as not flagged.
    """
    d = gaps.merge(truth.kompetensi, on=["nip", "kompetensi"], how="inner")
    return flag_quality(d["status"].eq(flag_status), d["level"] < d["level_standar"] - 1e-9)


def award_interval_coverage(shortlist, truth: Truth, settings: Mapping[str, Any], level: float = 0.95) -> dict:
    """Return how often the award model's posterior intervals hold the planted level.

    Over everyone the model scored (eligible or not): the central ``level`` interval of the posterior
    (``rerata_posterior`` +/- z ``sd_posterior``) against :func:`true_score`.
    """
    e = shortlist.eligibility.dropna(subset=["rerata_posterior", "sd_posterior"])
    t = e["nip"].map(true_score(truth, settings))
    return {"pegawai": int(t.notna().sum()),
            "cakupan": interval_coverage(e["rerata_posterior"], e["sd_posterior"], t, level)}


def topk_outcome(shortlist, truth: Truth, settings: Mapping[str, Any]) -> pd.DataFrame:
    """Return each ranked candidate's P(top k) and whether they are truly among the k best candidates.

    The truly best are the k candidates (eligible and scored) with the highest planted level.
    """
    table = shortlist.table[shortlist.table["p_k_teratas"].notna()]
    k = int(shortlist.settings["k"])
    t = table["nip"].map(true_score(truth, settings))
    best = t.rank(ascending=False, method="first") <= k
    return pd.DataFrame({"nip": table["nip"], "p_k_teratas": table["p_k_teratas"], "benar_k_teratas": best})


def fairness_findings(fairness_table: pd.DataFrame) -> dict[str, int]:
    """Return how many groups were judged and how many are findings, per stage of the award list."""
    out = {}
    for stage, part in fairness_table.groupby("tahap", sort=False):
        out[f"{stage}: dinilai"] = int(part["dinilai"].sum())
        out[f"{stage}: indikasi"] = int((part["di_bawah_ambang"] & ~part["temuan"]).sum())
        out[f"{stage}: temuan"] = int(part["temuan"].sum())
    return out


def planted_bias_check(eligibility: pd.DataFrame, group_column: str = "jenis_kelamin", group: str = "P",
                       shift: float = -0.3, share: float = 0.1, seed: int = 0) -> pd.DataFrame:
    """Return the fairness table after planting a bias: ``group``'s posterior level lowered by ``shift``.

    Among everyone with a posterior level (``rerata_posterior``), the top ``share`` by level (plus a tiny
    random tie-break) are 'selected', once as estimated and once with the group marked down, as raters
    biased against the group would. A sound check finds nothing in the first and a finding in the second.
    Returns the two fairness tables stacked with column ``tanam`` ("tanpa bias" / "bias ditanam").
    """
    from .awards import fairness

    base = eligibility.dropna(subset=["rerata_posterior"]).copy()
    rng = np.random.default_rng(seed)
    jitter = rng.normal(0, 1e-9, len(base))
    parts = []
    for label, delta in (("tanpa bias", 0.0), ("bias ditanam", shift)):
        level = base["rerata_posterior"].to_numpy() + jitter + np.where(base[group_column].eq(group), delta, 0.0)
        chosen = level >= np.quantile(level, 1 - share)
        frame = base.assign(pilih=chosen)
        dims = {group_column: "Jenis kelamin" if group_column == "jenis_kelamin" else group_column}
        parts.append(fairness(frame, dims, selected="pilih").assign(tanam=label))
    return pd.concat(parts, ignore_index=True)


def jpm_agreement(people: pd.DataFrame, gaps: pd.DataFrame, truth: Truth, settings: Mapping[str, Any]) -> pd.DataFrame:
    """Return the JPM categories estimated from 360 against those of the planted levels (counts table)."""
    from .competency import jpm_category

    d = gaps.merge(truth.kompetensi, on=["nip", "kompetensi"], how="inner")
    d = d[d["level_dinilai"].notna()]
    true = d.groupby("nip").apply(lambda x: x["level"].sum() / x["level_standar"].sum() * 100, include_groups=False)
    est = people.set_index("nip")["kategori_jpm"]
    frame = pd.DataFrame({"tertanam": jpm_category(true.to_numpy(), settings), "perkiraan": est.reindex(true.index)})
    return pd.crosstab(frame["tertanam"], frame["perkiraan"])


@dataclass
class DemoValidation:
    """Every figure of :func:`validate_demo` for one demo cycle."""

    skor: pd.DataFrame
    komposisi: pd.DataFrame
    saran: pd.DataFrame
    penilai: dict[str, float]
    cakupan_penghargaan: dict[str, float]
    peluang_k: pd.DataFrame
    keadilan: dict[str, int]
    bias_ditanam: pd.DataFrame
    kesenjangan: dict[str, float]
    jpm: pd.DataFrame

    def summary(self) -> dict[str, float]:
        """Return the headline figures as a flat dict (for tables and benchmarks)."""
        adj = self.skor.set_index("skor").loc["skor disesuaikan"]
        raw = self.skor.set_index("skor").loc["skor 360 mentah"]
        planted = self.bias_ditanam
        found = planted[(planted["tanam"] == "bias ditanam") & planted["temuan"]]
        false = planted[(planted["tanam"] == "tanpa bias") & planted["temuan"]]
        return {"r_skor_mentah": raw["r"], "r_skor_disesuaikan": adj["r"], "rmse_skor_disesuaikan": adj["rmse"],
                "cakupan_95_skor_disesuaikan": adj["cakupan_95"],
                "kesesuaian_saran": self.saran.attrs["kesesuaian"], "r_kelonggaran_penilai": self.penilai["r"],
                "cakupan_95_posterior_penghargaan": self.cakupan_penghargaan["cakupan"],
                "temuan_keadilan_tanpa_bias": int(len(false)), "bias_ditanam_ditemukan": bool(len(found)),
                "presisi_kesenjangan": self.kesenjangan["presisi"], "recall_kesenjangan": self.kesenjangan["recall"]}


def validate_demo(db, cycle_id: int | None = None, *, k: int = 10, n_sim: int = 1000) -> DemoValidation:
    """Return every recovery figure of a demo cycle (default: the newest open one), computed as users run them.

    Scores and awards come from the stored analyses when present (else computed in memory, nothing written).
    """
    from . import awards, competency, records, scoring
    from .cycle import get_cycle

    c = get_cycle(db, cycle_id)
    truth = load_truth(db, c.id)
    rep = scoring.run_scoring(db, c.id, persist=False)
    settings = c.settings
    results = rep.results
    award = awards.build_report(records.award_inputs(db, c.id, results=results), k=k, n_sim=n_sim)
    comp = competency.analyse_competency(db, c.id)
    return DemoValidation(
        skor=score_recovery(results, truth, settings),
        komposisi=group_composition_bias(results, truth, settings),
        saran=suggestion_agreement(results, truth, settings),
        penilai=rater_recovery(rep.rater_bias, truth),
        cakupan_penghargaan=award_interval_coverage(award.shortlist, truth, settings),
        peluang_k=topk_outcome(award.shortlist, truth, settings),
        keadilan=fairness_findings(award.fairness),
        bias_ditanam=planted_bias_check(award.shortlist.eligibility),
        kesenjangan=competency_flags(comp.gaps, truth),
        jpm=jpm_agreement(comp.people, comp.gaps, truth, comp.settings))
