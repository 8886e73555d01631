"""Ranking: empirical Bayes shrinkage and Monte Carlo rank uncertainty; the shortlist."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from ..cycle import anonymity_warning
from ..errors import KinerjaError
from .dates import to_date
from .conditions import eligibility
from .frames import values
from .rules import AwardRules, MENUNGGU, REASON_SEPARATOR, award_list, load_rules


@dataclass(frozen=True)
class ShrinkageFit:
    """The fitted two-level normal model behind the shrinkage (see :func:`eb_posterior`)."""

    tau2: float           # between-person variance within units
    omega2: float         # between-unit variance of unit means
    grand_mean: float
    n_units: int
    n_people: int


def _mom_variance(values: np.ndarray, noise: np.ndarray, groups: np.ndarray) -> float:
    """Method-of-moments between-member variance of ``values`` within ``groups`` (floored at 0).

    With y_i = theta_i + e_i, Var(theta) = t2, Var(e_i) = s2_i, a group of n members gives
    E[sum (y_i - ybar)^2] = (n - 1) t2 + (n - 1)/n * sum s2_i, so
    t2 = (sum_g SS_g - sum_g (n_g - 1)/n_g S_g) / sum_g (n_g - 1).
    """
    frame = pd.DataFrame({"y": values, "s2": noise, "g": groups})
    grouped = frame.groupby("g", sort=False)
    n = grouped["y"].transform("size").to_numpy()
    mean = grouped["y"].transform("mean").to_numpy()
    keep = n >= 2
    if not keep.any():
        return 0.0
    ss = ((values - mean) ** 2)[keep].sum()
    noise_part = ((n - 1) / n * noise)[keep].sum()
    dof = (grouped["y"].size() - 1).clip(lower=0).sum()
    return max(0.0, float((ss - noise_part) / dof)) if dof > 0 else 0.0


def eb_posterior(y: np.ndarray, se: np.ndarray, unit: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                                             ShrinkageFit]:
    """Return (posterior mean, posterior SD, prior mean per person, fit) under a two-level normal model.

    Model: y_i ~ N(theta_i, se_i^2); theta_i ~ N(mu_u, tau^2) within unit u; mu_u ~ N(mu, omega^2).
    tau^2 is estimated by the method of moments from the spread within units (see ``_mom_variance``);
    the unit means ybar_u (noise V_u = (n_u tau^2 + sum se^2) / n_u^2) are shrunk towards the mean of
    the unit means with omega^2 estimated the same way, so a unit of one person does not shrink
    its member towards themself. Each person's score is then shrunk towards their unit's mean:
    B_i = se_i^2 / (se_i^2 + tau^2), posterior mean = B_i mu_u + (1 - B_i) y_i, posterior variance
    = tau^2 se_i^2 / (tau^2 + se_i^2), widened for having estimated the prior from the same people
    (Morris 1983): se_i^2 (1 - (k - 1)/k B_i) + 2/(k - 3) B_i^2 (y_i - prior_i)^2, k the size of the unit
    whose mean is the prior (the whole pool when the unit means are pooled into one).
    """
    y, se, unit = np.asarray(y, float), np.asarray(se, float), np.asarray(unit)
    s2 = se ** 2
    tau2 = _mom_variance(y, s2, unit)
    frame = pd.DataFrame({"y": y, "s2": s2, "u": unit})
    g = frame.groupby("u", sort=False).agg(n=("y", "size"), ybar=("y", "mean"), s2sum=("s2", "sum"))
    v = (g["n"] * tau2 + g["s2sum"]) / g["n"] ** 2
    n_units = len(g)
    grand = float(g["ybar"].mean())
    if n_units >= 2:
        dev = ((g["ybar"] - grand) ** 2).sum()
        omega2 = max(0.0, float((dev - (n_units - 1) / n_units * v.sum()) / (n_units - 1)))
        denom = (omega2 + v).to_numpy()
        weight = np.divide(omega2, denom, out=np.zeros_like(denom), where=denom > 0)
        mu_unit = grand + weight * (g["ybar"] - grand)
    else:
        omega2 = 0.0
        mu_unit = g["ybar"]
    prior = frame["u"].map(mu_unit).to_numpy(float)
    if tau2 > 0:
        b = s2 / (s2 + tau2)
        mean = b * prior + (1 - b) * y
        # Morris (1983, JASA 78, eq. 4.2) widens the plug-in posterior for having estimated the prior
        # from the same k people: s2 (1 - (k - 1)/k B) + 2/(k - 3) B^2 (y - prior)^2, k = the unit's size
        # (the people the prior mean and spread were estimated with; the whole pool when units are pooled).
        k = frame["u"].map(g["n"]).to_numpy(float) if n_units > 1 and omega2 > 0 else np.full(len(y), float(len(y)))
        extra = np.where(k > 3, 2.0 / np.maximum(k - 3, 1.0) * b * b * (y - prior) ** 2, 0.0)
        sd = np.sqrt(s2 * (1 - (k - 1) / k * b) + extra)
    else:
        mean, sd = prior.copy(), np.zeros_like(y)
    return mean, sd, prior, ShrinkageFit(tau2, omega2, grand, n_units, len(y))


def score_and_se(base: pd.DataFrame, settings: dict, sd_penilai: float) -> pd.DataFrame:
    """Return ``skor_dipakai``, ``se`` and ``sumber_skor`` per row.

    The bias-adjusted score and its SE are used when both are present; otherwise the raw score with the
    SE of a weighted mean of group means: se^2 = sd_penilai^2 * sum_g w_g^2 / n_g over the shown non-self
    groups, weights re-normalised over those groups (as the score itself is).
    """
    weights = {g: float(w) for g, w in (settings.get("bobot") or {}).items()}
    use_adj = base["skor_adj"].notna() & base["skor_adj_se"].notna() & (base["skor_adj_se"] > 0)
    shown = base["kelompok_tampil"].fillna("").astype(str)
    wsum = np.zeros(len(base))
    w2n = np.zeros(len(base))
    for g, w in weights.items():
        if w <= 0:
            continue
        has = shown.str.contains(rf"(?:^|,)\s*{g}\s*(?:,|$)", regex=True).to_numpy() & (base[f"n_{g}"].to_numpy() > 0)
        n = np.where(has, base[f"n_{g}"].to_numpy(), 1)
        wsum += np.where(has, w, 0.0)
        w2n += np.where(has, w * w / n, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        raw_se = np.where(wsum > 0, sd_penilai * np.sqrt(w2n) / wsum, np.nan)
    out = pd.DataFrame(index=base.index)
    out["skor_dipakai"] = np.where(use_adj, base["skor_adj"], base["skor"])
    out["se"] = np.where(use_adj, base["skor_adj_se"], raw_se)
    out["sumber_skor"] = np.where(use_adj, "skor_adj", np.where(base["skor"].notna(), "skor", None))
    return out


def _tie_order(frame: pd.DataFrame, tie_rule: list[dict]) -> pd.DataFrame:
    cols, asc = [], []
    for tie in tie_rule:
        if tie["kolom"] in frame:
            cols.append(tie["kolom"])
            asc.append(tie["urutan"] == "naik")
    return frame.sort_values(cols, ascending=asc, na_position="last", kind="mergesort")


def _select(units: np.ndarray, k: int, quota: int | None) -> np.ndarray:
    """Return a boolean mask choosing the first ``k`` in order, at most ``quota`` per unit."""
    chosen = np.zeros(len(units), dtype=bool)
    used: dict[Any, int] = {}
    taken = 0
    for i, u in enumerate(units):
        if taken >= k:
            break
        if quota is not None and used.get(u, 0) >= quota:
            continue
        chosen[i] = True
        used[u] = used.get(u, 0) + 1
        taken += 1
    return chosen


def _ranks_of_first(draws: np.ndarray, ascending: np.ndarray, m: int) -> np.ndarray:
    """Return the rank (1 = best) of the first ``m`` columns in each row of ``draws``.

    Rank = 1 + #(draws greater) + #(equal draws in earlier columns): ties go to the earlier candidate.
    ``ascending`` is each row sorted ascending. Rows holding equal draws fall back to a stable argsort
    (found for all rows at once from the sorted rows); continuous draws almost never tie, and a row without
    ties needs one binary search per tracked candidate.
    """
    n = draws.shape[1]
    out = np.empty((draws.shape[0], m), dtype=np.int32)
    tied = (ascending[:, 1:] == ascending[:, :-1]).any(axis=1)
    for r in range(draws.shape[0]):
        if tied[r]:
            order = np.argsort(-draws[r], kind="stable")
            ranks = np.empty(n, dtype=np.int64)
            ranks[order] = np.arange(n)
            out[r] = ranks[:m] + 1
        else:
            out[r] = n - np.searchsorted(ascending[r], draws[r, :m], side="right") + 1
    return out


def _chosen_top_k(draws: np.ndarray, ascending: np.ndarray, k: int) -> np.ndarray:
    """Return the mask of the ``k`` largest per row, equal values taken in column order."""
    n = draws.shape[1]
    if k >= n:
        return np.ones(draws.shape, dtype=bool)
    threshold = ascending[:, n - k][:, None]
    above = draws > threshold
    equal = draws == threshold
    room = k - above.sum(axis=1, keepdims=True)
    return above | (equal & (np.cumsum(equal, axis=1) <= room))


def _chosen_with_quota(draws: np.ndarray, codes: np.ndarray, k: int, quota: int) -> np.ndarray:
    """Return the mask chosen walking down each row's order (stable), at most ``quota`` per unit code."""
    positions = np.arange(draws.shape[1])
    order = np.argsort(-draws, axis=1, kind="stable")
    u = codes[order]
    by_unit = np.argsort(u, axis=1, kind="stable")
    u_sorted = np.take_along_axis(u, by_unit, axis=1)
    starts = np.ones(u_sorted.shape, dtype=bool)
    starts[:, 1:] = u_sorted[:, 1:] != u_sorted[:, :-1]
    first = np.maximum.accumulate(np.where(starts, positions, 0), axis=1)
    count = np.empty_like(u_sorted)
    np.put_along_axis(count, by_unit, positions - first, axis=1)   # picks of the same unit ranked earlier
    allowed = count < quota
    picked = allowed & (np.cumsum(allowed, axis=1) <= k)
    chosen = np.empty_like(picked)
    np.put_along_axis(chosen, order, picked, axis=1)
    return chosen


def simulate_ranks(mean: np.ndarray, sd: np.ndarray, k: int, *, units: np.ndarray | None = None,
                   quota: int | None = None, n_sim: int = 1000, seed: int = 0, track: int = 1000,
                   percentiles: tuple[float, float] = (5, 95)) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (P(chosen in the top k), lower rank, upper rank) by drawing from independent normal posteriors.

    Candidates must come in tie-rule order: equal draws (e.g. zero posterior SD) keep that order, so the
    tie rule decides them as it decides the deterministic list. With ``quota``, "chosen" means picked when
    walking down the drawn order and skipping people whose unit already has ``quota`` picks. Ranks
    (1 = best, ignoring quotas) are kept for the first ``track`` candidates only; the rest get NaN.
    Draws come in chunks of about two million values, so memory stays flat at any size.
    """
    mean, sd = np.asarray(mean, float), np.asarray(sd, float)
    n = len(mean)
    p_sel = np.zeros(n)
    m = min(track, n)
    lower, upper = np.full(n, np.nan), np.full(n, np.nan)
    if n == 0:
        return p_sel, lower, upper
    codes = pd.factorize(pd.Series(units))[0] if units is not None else np.zeros(n, dtype=int)
    rng = np.random.default_rng(seed)
    tracked = np.empty((n_sim, m), dtype=np.int32)
    chunk = max(1, min(n_sim, int(2_000_000 // n)))
    for start in range(0, n_sim, chunk):
        c = min(chunk, n_sim - start)
        draws = mean + sd * rng.standard_normal((c, n))
        ascending = np.sort(draws, axis=1)
        if quota is None:
            chosen = _chosen_top_k(draws, ascending, k)
        else:
            chosen = _chosen_with_quota(draws, codes, k, quota)
        p_sel += chosen.sum(axis=0)
        tracked[start:start + c] = _ranks_of_first(draws, ascending, m)
    lo, hi = np.percentile(tracked, percentiles, axis=0, method="inverted_cdf")
    lower[:m], upper[:m] = lo, hi
    return p_sel / n_sim, lower, upper


@dataclass
class Shortlist:
    """An award shortlist: ranked eligible candidates, everyone's eligibility, the people waiting for a
    decided predikat (``menunggu``), and the settings used."""

    table: pd.DataFrame
    eligibility: pd.DataFrame
    settings: dict[str, Any]
    fit: ShrinkageFit | None
    menunggu: pd.DataFrame = field(default_factory=pd.DataFrame)


def shortlist(results: pd.DataFrame, pegawai: pd.DataFrame, disiplin: pd.DataFrame | None, cycle, *,
              riwayat: pd.DataFrame | None = None, penghargaan: str = "asn_berprestasi", k: int = 10,
              kuota_per_unit: int | None = None, unit_kuota: str = "opd", unit_susut: str = "unit_id",
              tanggal_acuan: date | str | None = None, n_sim: int | None = None, seed: int | None = None,
              sd_penilai: float | None = None, rules: AwardRules | None = None,
              inovasi: pd.DataFrame | None = None) -> Shortlist:
    """Return the ranked shortlist for an award list.

    Everyone scored in the cycle informs the shrinkage model (unit means, between-person variance);
    only eligible candidates compete. Candidates are ordered by posterior mean with the declared tie rule
    (penghargaan.yaml ``peringkat.aturan_seri``); the first ``k`` are chosen, at most ``kuota_per_unit``
    per ``unit_kuota`` when a quota is set. ``p_k_teratas`` is the share of posterior draws in which the
    person is chosen under the same rule; ``peringkat_p05``/``peringkat_p95`` bound their simulated rank.
    Eligible people without a 360 score are listed last, unranked. People who meet every condition but
    whose predikat is still provisional are not candidates: they are returned in ``menunggu`` (with
    their Pejabat Penilai), never ranked. Raises KinerjaError for k < 1 or a quota < 1.

    One model: the bias-adjusted score (not shrunk by scoring) is a measurement of the person's level
    with its standard error; levels within a unit are normal around the unit's level; the posterior is
    the only shrinkage applied (:func:`eb_posterior`).
    """
    rules = rules or load_rules()
    if k < 1:
        raise KinerjaError("k (jumlah daftar pendek) harus >= 1")
    if kuota_per_unit is not None and kuota_per_unit < 1:
        raise KinerjaError("kuota per unit harus >= 1")
    cfg = rules.peringkat
    settings = cycle.settings or {}
    n_sim = int(n_sim or cfg["jumlah_simulasi"])
    seed = int(seed if seed is not None else settings.get("benih_acak", 0))
    sd_penilai = float(sd_penilai or cfg["sd_penilai_bawaan"])
    elig = eligibility(results, pegawai, disiplin, cycle, riwayat=riwayat, penghargaan=penghargaan,
                       tanggal_acuan=tanggal_acuan, rules=rules, inovasi=inovasi)
    elig = pd.concat([elig, score_and_se(elig, settings, sd_penilai)], axis=1)
    scored = elig["skor_dipakai"].notna() & elig["se"].notna()
    elig["rerata_unit"] = np.nan
    elig["rerata_posterior"] = np.nan
    elig["sd_posterior"] = np.nan
    fit = None
    if scored.any():
        units = elig.loc[scored, unit_susut].fillna("(tanpa unit)").astype(str).to_numpy()
        mean, sd, prior, fit = eb_posterior(elig.loc[scored, "skor_dipakai"].to_numpy(),
                                            elig.loc[scored, "se"].to_numpy(), units)
        elig.loc[scored, "rerata_posterior"] = mean
        elig.loc[scored, "sd_posterior"] = sd
        elig.loc[scored, "rerata_unit"] = prior
    cand = elig[elig["layak"] & scored]
    cand = _tie_order(cand, cfg["aturan_seri"]).reset_index(drop=True)
    quota_units = cand[unit_kuota].fillna("(tanpa unit)").astype(str).to_numpy()
    cand.insert(0, "peringkat", np.arange(1, len(cand) + 1))
    cand.insert(1, "terpilih", _select(quota_units, k, kuota_per_unit))
    lo_pct, hi_pct = cfg["persentil_rentang"]
    p, lower, upper = simulate_ranks(cand["rerata_posterior"].to_numpy(), cand["sd_posterior"].to_numpy(), k,
                                     units=quota_units, quota=kuota_per_unit, n_sim=n_sim, seed=seed,
                                     track=int(cfg["rentang_untuk_teratas"]), percentiles=(lo_pct, hi_pct))
    cand["p_k_teratas"] = p
    cand["peringkat_p05"] = pd.Series(lower, index=cand.index).round().astype("Int64")
    cand["peringkat_p95"] = pd.Series(upper, index=cand.index).round().astype("Int64")
    unranked = elig[elig["layak"] & ~scored].copy()
    if len(unranked):
        unranked["terpilih"] = False
        unranked["alasan"] = unranked["alasan"] + REASON_SEPARATOR + "Catatan: tanpa skor 360, tidak diperingkat"
        cand = pd.concat([cand, unranked], ignore_index=True)
    front = ["peringkat", "terpilih", "nip", "nama", "unit_id", "opd", "jabatan", "predikat", "skor", "skor_adj",
             "skor_dipakai", "se", "rerata_unit", "rerata_posterior", "sd_posterior", "p_k_teratas",
             "peringkat_p05", "peringkat_p95", "alasan"]
    cand = cand[front + [c for c in cand.columns if c not in front]]
    elig["terpilih"] = elig["nip"].isin(cand.loc[cand["terpilih"].astype(bool), "nip"])
    waiting = elig[elig["menunggu_penetapan"]]
    menunggu = pd.DataFrame({
        "nip": waiting["nip"], "nama": waiting.get("nama"), "opd": waiting.get("opd"),
        "unit_id": waiting.get("unit_id"), "jabatan": waiting.get("jabatan"),
        "pejabat_penilai": waiting["nip"].map(penilai_names(pegawai)),
        "keterangan": f"Memenuhi syarat lain; predikat periode ini {MENUNGGU}"}).reset_index(drop=True)
    award = rules.penghargaan[penghargaan]
    used = {
        "penghargaan": f"{award.nama} ({award.kode})",
        "penghargaan_kode": award.kode,
        "siklus_id": cycle.id,
        "siklus": f"{cycle.nama} (id {cycle.id}, {cycle.periode} {cycle.tahun}, "
                  f"{cycle.tanggal_mulai} s.d. {cycle.tanggal_selesai})",
        "tanggal_acuan": (to_date(tanggal_acuan) or to_date(cycle.tanggal_selesai)).isoformat(),
        "k": k,
        "kuota_per_unit": kuota_per_unit if kuota_per_unit is not None else "tidak ada",
        "unit_kuota": unit_kuota,
        "unit_penyusutan": unit_susut,
        "jumlah_simulasi": n_sim,
        "benih_acak": seed,
        "persentil_rentang_peringkat": f"{lo_pct}-{hi_pct}",
        "sd_penilai (bila SE skor tak tersedia)": sd_penilai,
        "tau2 (ragam antarpegawai dalam unit)": None if fit is None else round(fit.tau2, 6),
        "omega2 (ragam antarunit)": None if fit is None else round(fit.omega2, 6),
        "aturan_seri": "; ".join(t.get("keterangan", t["kolom"]) for t in cfg["aturan_seri"]),
        "syarat": REASON_SEPARATOR.join(f"{s.jenis}{'' if s.aktif else ' (nonaktif)'} "
                            f"{json.dumps(s.params, ensure_ascii=False) if s.params else ''}[{s.sumber}]"
                            for s in award.syarat),
        "minimal_penilai": json.dumps(settings.get("minimal_penilai", {}), ensure_ascii=False),
        "peringatan_anonimitas": anonymity_warning(settings) or "tidak ada (minimal 3 untuk kelompok anonim)",
        "bobot": json.dumps(settings.get("bobot", {}), ensure_ascii=False),
        "versi_aturan": rules.versi,
        "jumlah_dinilai": len(elig),
        "jumlah_layak": int(elig["layak"].sum()),
        "jumlah_menunggu_penetapan": int(len(menunggu)),
        "model_peringkat": "skor disesuaikan (rater-leniency dikoreksi, tidak disusutkan) sebagai pengukuran "
                           "dengan galat bakunya; satu penyusutan Bayes empiris ke tingkat unit",
    }
    return Shortlist(cand, elig, used, fit, menunggu)


def penilai_names(pegawai: pd.DataFrame) -> dict[str, str]:
    """Return nip -> "Nama (NIP)" of the person's Pejabat Penilai (their atasan on the roster)."""
    if "atasan_nip" not in pegawai:
        return {}
    nips = values(pegawai["nip"])
    names = dict(zip(nips, values(pegawai["nama"])))
    return {nip: f"{names.get(a, '')} ({a})".strip() for nip, a in zip(nips, values(pegawai["atasan_nip"]))
            if isinstance(a, str)}


def failed_conditions(shortlist: Shortlist, rules: AwardRules | None = None) -> pd.DataFrame:
    """Return, per active condition of the award list, how many people fail it and how many fail only it."""
    rules = rules or load_rules()
    award = award_list(rules, shortlist.settings["penghargaan_kode"])
    elig = shortlist.eligibility
    active = [s for s in award.syarat if s.aktif]
    failed = pd.DataFrame({s.jenis: ~elig[f"syarat:{s.jenis}"].astype(bool) for s in active})
    only = failed.sum(axis=1) == 1
    return pd.DataFrame({"syarat": [s.jenis for s in active], "sumber": [s.sumber for s in active],
                         "tidak_memenuhi": [int(failed[s.jenis].sum()) for s in active],
                         "hanya_syarat_ini": [int((failed[s.jenis] & only).sum()) for s in active]})


def shortlist_view(table: pd.DataFrame, top: int | None = None) -> pd.DataFrame:
    """Return the shortlist's key columns (first ``top`` rows) for display, under the headers the workbook gives
    them (the column vocabulary), chances as percentages and yes/no as Ya/Tidak."""
    from ..columns import header

    rows = table.head(top) if top else table
    cols = [c for c in SHORTLIST_COLUMNS if c in rows and c not in ("unit_id", "jabatan", "alasan")]
    view = rows[cols].rename(columns=SHORTLIST_NAMES).round(3)
    for col in view.columns:
        if view[col].dtype == bool:
            view[col] = view[col].map({True: "Ya", False: "Tidak"})
    if "p_k_teratas" in view:
        view["p_k_teratas"] = view["p_k_teratas"].map(lambda p: "" if pd.isna(p) else f"{p:.0%}")
    return view.rename(columns=header)


# The shortlist's columns in the order shown and exported; their headers come from the column vocabulary
# (kinerja_lib.columns) under the names SHORTLIST_NAMES gives the working names that differ.
SHORTLIST_COLUMNS = ["peringkat", "terpilih", "nip", "nama", "opd", "unit_id", "jabatan", "predikat", "skor",
                     "skor_adj", "se", "rerata_unit", "rerata_posterior", "sd_posterior", "p_k_teratas",
                     "peringkat_p05", "peringkat_p95", "alasan"]
SHORTLIST_NAMES = {"se": "se_skor"}
