"""Competency gaps against the standar kompetensi jabatan, training-needs lists, cohorts and their XLSX export.

Method (every choice below is stamped on the outputs through ``settings``):

* Required level per pegawai and competency: the default ``level_standar`` of the person's jenis/jenjang
  jabatan (``data/referensi/jabatan.yaml``, PermenPANRB 38/2017) for every managerial and socio-cultural
  competency, overridden per job title by table ``standar_kompetensi`` (the instansi's anjab), which may also
  add technical competencies. A person with neither is listed in ``no_standard`` and never guessed.
* Assessed level: the cycle's competency answers (items K01..K09, 1-5, NULL = tidak dapat menilai) from active
  submitted assignments. A rater group under its ``minimal_penilai`` is dropped entirely, and so is a group's
  score on one competency when fewer than that minimum gave it a score (a mean of fewer raters than the
  minimum would reveal more than the rule allows). Self ratings never enter the assessed level and are
  reported separately. The shown groups' means are combined with the cycle's ``bobot`` (re-normalised).
* Uncertainty: within each cell (pegawai x competency x group) the rater variance is shrunk towards the
  variance pooled over the whole cycle, s2 = (nu0 * s2_pool + SS) / (nu0 + n - 1) (the posterior mean of a
  scaled-inverse-chi-square prior with ``prior_derajat_bebas`` = nu0 degrees of freedom), so a single
  supervisor's rating still gets an honest standard error. The standard error of the weighted mean is
  sqrt(sum(w_g^2 s2_g / n_g)) / sum(w_g).
* Gap = required - assessed. P(gap >= 1 level) uses the normal approximation of the true level,
  true ~ N(assessed, se^2): P = Phi((required - 1 - assessed) / se).
* JPM% = sum(assessed) / sum(required) x 100 over the competencies that have both, categorised by the
  thresholds in ``data/referensi/pengembangan.yaml``.
* Borich (1980) mean weighted discrepancy score per competency, as computed by McKim & Saucier (2011,
  Journal of Extension 49(2) 2TOT8): MWDS = sum((R - P) * mean(R)) / n over the n people with both a
  required level R and an assessed level P. Tie rule (declared): higher MWDS (rounded to 1e-9) first, then
  more people with a gap, then the competency's order in the dictionary (technical codes after, by code).
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import CycleError, ReferenceDataError
from . import columns, normal
from .reference import _load, load_competencies, load_jabatan_types, load_scale
from .settings import MethodSettings, method_settings
from .vocabulary import VOCAB

DEVELOPMENT_FILE = "pengembangan.yaml"
METHOD_KEYS = ("kelompok", "minimal_penilai", "bobot")
UNIT_GROUPING = ("opd", "unit", "semua")
ALL_UNITS = "Semua unit"
TIE_RULE = ("MWDS lebih besar didahulukan; bila sama (dibulatkan 1e-9): lebih banyak pegawai berkesenjangan, "
            "lalu urutan kamus kompetensi (kompetensi teknis sesudahnya, urut kode).")
NEEDS_ORDER = ("kesenjangan terbesar, lalu peluang kesenjangan >= 1 level terbesar, lalu peringkat Borich "
               "kompetensi, lalu kode kompetensi")

STATUS_GAP = "kesenjangan"
STATUS_MEETS = "memenuhi standar"
STATUS_NOT_ASSESSED = "tidak dinilai"
STATUS_UNSURE = "perlu dikonfirmasi"


# --------------------------------------------------------------------------------------------- settings

def _check_development_rules(rules: dict[str, Any], name: str, error: type[Exception]) -> None:
    """Raise ``error`` (with an Indonesian message naming ``name``) unless the rules are coherent."""
    def fail(message: str) -> None:
        raise error(f"{name}: {message}")

    cats = rules.get("jpm_kategori")
    if not isinstance(cats, list) or not cats:
        fail("jpm_kategori harus daftar kategori {nama, min}")
    mins = []
    for c in cats:
        if not isinstance(c, dict) or not isinstance(c.get("nama"), str) or not isinstance(c.get("min"), (int, float)):
            fail("setiap jpm_kategori harus punya 'nama' (teks) dan 'min' (angka)")
        mins.append(float(c["min"]))
    if any(a <= b for a, b in zip(mins, mins[1:])):
        fail("jpm_kategori harus urut dari 'min' terbesar ke terkecil")
    if mins[-1] > 0:
        fail("kategori jpm_kategori terakhir harus min 0 agar setiap JPM punya kategori")
    for key, kind, lo in (("jp_minimal", int, 0), ("minimal_penilai_kompetensi", int, 1),
                          ("ukuran_kelas", int, 1), ("ukuran_kelas_minimal", int, 1)):
        value = rules.get(key)
        if not isinstance(value, kind) or isinstance(value, bool) or value < lo:
            fail(f"{key} harus bilangan bulat >= {lo}")
    caps = rules.get("jp_maksimal") or {}
    if not isinstance(caps, dict) or any(k not in VOCAB.status_kepegawaian or not isinstance(v, int)
                                         or isinstance(v, bool) or v < rules["jp_minimal"] for k, v in caps.items()):
        fail(f"jp_maksimal harus pemetaan status kepegawaian ({VOCAB.status_kepegawaian.choices()}) -> bilangan "
             "bulat, tidak kurang dari jp_minimal")
    if rules["ukuran_kelas_minimal"] > rules["ukuran_kelas"]:
        fail("ukuran_kelas_minimal tidak boleh melebihi ukuran_kelas")
    sure = rules.get("keyakinan_kesenjangan")
    if not isinstance(sure, (int, float)) or isinstance(sure, bool) or not 0.5 <= sure < 1:
        fail("keyakinan_kesenjangan harus peluang 0,5 sampai di bawah 1")
    for key in ("kesenjangan_minimal", "prior_derajat_bebas"):
        value = rules.get(key)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            fail(f"{key} harus angka >= 0")
    if rules["kesenjangan_minimal"] <= 0:
        fail("kesenjangan_minimal harus > 0")
    if not isinstance(rules.get("jpm_batasi_standar"), bool):
        fail("jpm_batasi_standar harus true atau false")
    if rules.get("kelompok_unit") not in UNIT_GROUPING:
        fail(f"kelompok_unit harus salah satu dari {', '.join(UNIT_GROUPING)}")
    forms = rules.get("bentuk")
    if not isinstance(forms, dict) or not forms:
        fail("bentuk harus pemetaan kode -> {label, jp}")
    for code, form in forms.items():
        if (not isinstance(form, dict) or not isinstance(form.get("label"), str)
                or not isinstance(form.get("jp"), int) or form["jp"] <= 0):
            fail(f"bentuk '{code}' harus punya 'label' (teks) dan 'jp' (bilangan bulat > 0)")
    mapping = rules.get("aturan_bentuk")
    if not isinstance(mapping, list) or not mapping:
        fail("aturan_bentuk harus daftar aturan")
    for rule in mapping:
        if not isinstance(rule, dict) or rule.get("bentuk") not in forms:
            fail(f"aturan_bentuk {rule!r}: bentuk harus salah satu dari {', '.join(forms)}")
        low = rule.get("kesenjangan_min")
        if not isinstance(low, (int, float)) or low <= 0:
            fail(f"aturan_bentuk {rule!r}: kesenjangan_min harus angka > 0")
        codes = rule.get("kompetensi")
        if codes is not None and (not isinstance(codes, list) or not all(isinstance(c, str) for c in codes)):
            fail(f"aturan_bentuk {rule!r}: kompetensi harus daftar kode")
    if min(float(r["kesenjangan_min"]) for r in mapping if r.get("kompetensi") is None) > rules["kesenjangan_minimal"]:
        fail("aturan_bentuk tanpa batasan kompetensi harus mencakup kesenjangan_minimal (setiap kebutuhan "
             "harus mendapat bentuk)")
    own = rules.get("pengembangan_mandiri")
    if not isinstance(own, dict) or own.get("bentuk") not in forms or not isinstance(own.get("uraian"), str):
        fail("pengembangan_mandiri harus punya 'bentuk' (kode bentuk) dan 'uraian' (teks)")


@lru_cache(maxsize=8)
def _development_rules(directory: Path | None) -> dict[str, Any]:
    data = _load(DEVELOPMENT_FILE, directory)
    _check_development_rules(data, DEVELOPMENT_FILE, ReferenceDataError)
    return data


def load_development_rules(directory: Path | None = None) -> dict[str, Any]:
    """Return a fresh copy of ``data/referensi/pengembangan.yaml`` (JPM categories, JP, forms, cohorts).

    Raises ReferenceDataError when the file is missing or incoherent.

    >>> load_development_rules()["jp_minimal"]
    20
    """
    return copy.deepcopy(_development_rules(directory))


def competency_settings(cycle_settings: dict[str, Any] | None = None,
                        overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the flat settings of a competency analysis.

    The 360 keys (``kelompok``, ``minimal_penilai``, ``bobot``) come from the cycle's settings (or the method
    defaults), everything else from ``pengembangan.yaml``; ``overrides`` replaces keys (nested dicts merged).
    Raises CycleError naming an unknown or invalid setting.

    >>> competency_settings(overrides={"ukuran_kelas": 20})["ukuran_kelas"]
    20
    """
    overrides = overrides or {}
    # The 360 keys are checked on the method settings' one path (kinerja_lib.settings), overrides included.
    method = method_settings(cycle_settings)
    method_overrides = {k: v for k, v in overrides.items() if k in METHOD_KEYS}
    if method_overrides:
        method = MethodSettings.build(method_overrides, defaults=method.to_dict())
    plain = method.to_dict()
    settings: dict[str, Any] = {k: plain[k] for k in METHOD_KEYS}
    settings.update(load_development_rules())
    for key, value in overrides.items():
        if key in METHOD_KEYS:
            continue
        if key not in settings:
            raise CycleError(f"Pengaturan '{key}' tidak dikenal")
        if isinstance(settings[key], dict) and isinstance(value, dict):
            settings[key] = {**settings[key], **copy.deepcopy(value)}
        else:
            settings[key] = copy.deepcopy(value)
    _check_development_rules(settings, "pengaturan kompetensi", CycleError)
    return settings


# --------------------------------------------------------------------------------------- required levels

def _norm(text: pd.Series) -> pd.Series:
    """Case- and whitespace-insensitive key for matching job titles."""
    return text.astype("string").fillna("").str.split().str.join(" ").str.casefold()


def competency_order(extra: Iterable[str] = ()) -> list[str]:
    """Return the dictionary's competency codes in order, followed by the ``extra`` codes sorted."""
    base = [c.kode for c in load_competencies().competencies]
    return base + sorted(set(extra) - set(base))


def competency_names() -> dict[str, str]:
    """Return ``{code: name}`` for the dictionary's competencies."""
    return {c.kode: c.nama for c in load_competencies().competencies}


def required_levels(pegawai: pd.DataFrame, standar: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return ``(required, no_standard)`` for the given pegawai.

    ``pegawai`` needs columns nip, jabatan, jenis_jabatan, jenjang; ``standar`` (jabatan, kompetensi, level)
    overrides the default level per job title (matched ignoring case and extra spaces) and may add technical
    competencies. ``required`` has one row per (nip, kompetensi) with level_standar and sumber
    ('jenis jabatan' or 'standar jabatan'). ``no_standard`` lists the pegawai with neither a known
    jenis/jenjang jabatan nor a standar for their jabatan, with the reason; they get no required level.
    """
    types = load_jabatan_types()
    default_codes = [c.kode for c in load_competencies().competencies if c.jenis in ("manajerial", "sosial_kultural")]
    exact = {(t.kode, t.jenjang): t.level_standar for t in types}
    loose = {t.kode: t.level_standar for t in types if t.jenjang is None}
    keys = [(None if pd.isna(j) else str(j), None if pd.isna(g) else str(g))
            for j, g in zip(pegawai["jenis_jabatan"], pegawai["jenjang"])]
    level = np.array([exact.get(k, loose.get(k[0], 0)) for k in keys], dtype=np.int64)
    nips = pegawai["nip"].to_numpy()
    has_default = level > 0
    k = len(default_codes)
    defaults = pd.DataFrame({
        "nip": np.repeat(nips[has_default], k),
        "kompetensi": np.tile(default_codes, int(has_default.sum())),
        "level_standar": np.repeat(level[has_default], k),
        "sumber": "jenis jabatan",
    })
    parts = [defaults]
    if standar is not None and len(standar):
        std = pd.DataFrame({"_key": _norm(standar["jabatan"]), "kompetensi": standar["kompetensi"].astype(str),
                            "level_standar": standar["level"].astype(np.int64)})
        std = std.drop_duplicates(["_key", "kompetensi"], keep="last")
        people = pd.DataFrame({"nip": nips, "_key": _norm(pegawai["jabatan"]).to_numpy()})
        override = people.merge(std, on="_key", how="inner").drop(columns="_key")
        override["sumber"] = "standar jabatan"
        parts.append(override)
    required = pd.concat(parts, ignore_index=True).drop_duplicates(["nip", "kompetensi"], keep="last")
    order = {c: i for i, c in enumerate(competency_order(required["kompetensi"].unique()))}
    required = (required.assign(_o=required["kompetensi"].map(order))
                .sort_values(["nip", "_o"], kind="stable").drop(columns="_o").reset_index(drop=True))
    # Plain object arrays: isin on Arrow-backed strings makes a Python scalar per value (72,000 in a city).
    missing = ~pd.Index(pegawai["nip"].to_numpy(dtype=object)).isin(required["nip"].unique().astype(object))
    cols = [c for c in ("nip", "nama", "unit_id", "opd", "jabatan", "jenis_jabatan", "jenjang") if c in pegawai]
    no_standard = pegawai.loc[missing, cols].reset_index(drop=True)
    no_standard["alasan"] = ("Jenis/jenjang jabatan tidak dikenal di jabatan.yaml dan jabatan ini belum punya "
                             "standar kompetensi; level standar tidak ditebak")
    return required, no_standard


# --------------------------------------------------------------------------------------- assessed levels

def assessed_levels(responses: pd.DataFrame, settings: dict[str, Any] | None = None,
                    codes: Iterable[str] | None = None, required: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return the assessed level of each ratee on each competency, with its standard error and rater counts.

    ``responses`` is the long table (ratee, rater, relation, item, score; NaN = tidak dapat menilai) used
    by scoring; rows whose item is not a competency code (``codes``, default the dictionary) are ignored.
    One row per (nip, kompetensi) that received at least one score: level_dinilai and se (NaN when fewer than
    ``minimal_penilai_kompetensi`` shown non-self raters remain), n_penilai (raters behind the level),
    n_<group> for each non-self group (0 when the group is not shown), kelompok_tampil, level_diri and
    ``koreksi_penilai`` (whether rater leniency could be corrected).

    Anonymity as everywhere: a group under its minimum for the person, or for the competency, is left out.
    ``required`` (nip, kompetensi, level_standar) anchors every rating to the person's required level, so
    that a supervisor rating junior staff or bawahan rating their head is not mistaken for strictness or
    leniency. The level is the required level plus two parts (:func:`_levels`):

    * the person's general level relative to their standards, from each rater's mean over the
      competencies they rated (their halo and leniency are shared by all those answers): corrected for
      rater leniency and group effects exactly as the behaviour score (kinerja_lib.bias), ``bobot``-weighted,
      not shrunk;
    * the competency's own deviation, from each answer's difference to its rater's mean for the person
      (halo and leniency cancel in it), averaged over the raters, not shrunk; its error is the pooled
      within-rater variance of answers over the number of raters, so one rater's word on one competency
      carries a wide interval and several raters' agreement a narrow one.

    The standard error adds the two parts' errors. Levels are not shrunk towards the standard: a gap is
    flagged by how sure it is (:func:`competency_gaps`), not hidden by a prior.
    """
    settings = settings or competency_settings()
    groups = list(settings["kelompok"])
    others = [g for g in groups if g != "diri"]
    codes = list(codes) if codes is not None else competency_order()
    columns = ["nip", "kompetensi", "level_dinilai", "se", "n_penilai", *[f"n_{g}" for g in others],
               "kelompok_tampil", "level_diri", "koreksi_penilai"]
    r = responses.loc[responses["item"].isin(codes) & responses["relation"].isin(groups)
                      & responses["score"].notna(), ["ratee", "rater", "relation", "item", "score"]]
    if r.empty:
        return pd.DataFrame({c: pd.Series(dtype=float if c.startswith(("level", "se")) else object)
                             for c in columns})
    ratee_idx, ratees = pd.factorize(r["ratee"])
    rater_idx, raters = pd.factorize(r["rater"])
    rel_idx = pd.Categorical(r["relation"], categories=groups).codes.astype(np.int64)
    item_idx = pd.Categorical(r["item"], categories=codes).codes.astype(np.int64)
    score = r["score"].to_numpy(dtype=np.float64)
    n_groups, n_items = len(groups), len(codes)

    # Raters per (ratee, group) who gave at least one competency score: the group's size for anonymity.
    pair = np.unique((ratee_idx * n_groups + rel_idx) * len(raters) + rater_idx)
    group_size = np.bincount(pair // len(raters), minlength=len(ratees) * n_groups)
    minimum = np.array([settings["minimal_penilai"].get(g, 1) for g in groups], dtype=np.float64)
    cell_of_row = ratee_idx * n_items + item_idx
    row_n = np.bincount(cell_of_row * n_groups + rel_idx, minlength=len(ratees) * n_items * n_groups)
    visible = ((group_size[ratee_idx * n_groups + rel_idx] >= minimum[rel_idx])
               & (row_n[cell_of_row * n_groups + rel_idx] >= minimum[rel_idx]))
    is_self = rel_idx == groups.index("diri") if "diri" in groups else np.zeros(len(r), dtype=bool)
    weight_of = np.array([float(settings["bobot"].get(g, 0.0)) for g in groups])
    used = visible & ~is_self & (weight_of[rel_idx] > 0)

    pairs, pair_inv = np.unique(cell_of_row, return_inverse=True)
    m = len(pairs)
    self_level = np.full(m, np.nan)
    sv = visible & is_self
    if sv.any():
        n_self = np.bincount(pair_inv[sv], minlength=m)
        with np.errstate(invalid="ignore", divide="ignore"):
            self_level = np.where(n_self > 0, np.bincount(pair_inv[sv], score[sv], m) / n_self, np.nan)

    cell_nip = ratees.to_numpy()[pairs // n_items]
    cell_code = np.asarray(codes, dtype=object)[pairs % n_items]
    offset = np.zeros(m)
    if required is not None and len(required):
        std = pd.Series(required["level_standar"].to_numpy(dtype=float),
                        index=pd.MultiIndex.from_arrays([required["nip"], required["kompetensi"]]))
        per_person = required.groupby("nip")["level_standar"].mean()
        found = std.reindex(pd.MultiIndex.from_arrays([cell_nip, cell_code])).to_numpy()
        fallback = pd.Series(cell_nip).map(per_person).to_numpy(dtype=float)
        offset = np.nan_to_num(np.where(np.isnan(found), fallback, found))
    level, se, corrected = _levels(pair_inv[used], pairs[pair_inv[used]] % n_items, ratee_idx[used],
                                   rater_idx[used], rel_idx[used], score[used] - offset[pair_inv[used]], m,
                                   len(ratees), len(raters), n_items, groups, settings)
    n_raters = np.bincount(pair_inv[used], minlength=m).astype(np.int64)
    enough = n_raters >= settings["minimal_penilai_kompetensi"]
    out = pd.DataFrame({"nip": cell_nip, "kompetensi": cell_code,
                        "level_dinilai": np.where(enough, level + offset, np.nan),
                        "se": np.where(enough, se, np.nan), "n_penilai": n_raters})
    mask_bits = np.zeros(m, dtype=np.int64)
    for g_idx, g in enumerate(groups):
        if g == "diri":
            continue
        sel = used & (rel_idx == g_idx)
        out[f"n_{g}"] = np.bincount(pair_inv[sel], minlength=m).astype(np.int64)
        mask_bits[np.unique(pair_inv[sel])] |= 1 << g_idx
    labels = {bits: ",".join(g for i, g in enumerate(groups) if bits >> i & 1) for bits in np.unique(mask_bits)}
    out["kelompok_tampil"] = pd.Series(mask_bits).map(labels).to_numpy()
    out["level_diri"] = self_level
    out["koreksi_penilai"] = corrected
    return out[columns]


def _levels(cell, item, person, rater, group, x, n_cells: int, n_people: int, n_raters: int, n_items: int,
            groups: list[str], settings: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, bool]:
    """Return (level relative to the offset, se, corrected) per cell from the used ratings ``x``.

    ``cell`` indexes the output (person x competency cells in use), ``item`` the competency of each rating.
    See :func:`assessed_levels` for the model.
    """
    from .bias import adjusted_means, fit_crossed, rater_correction

    names = np.array(groups, dtype=object)
    weights = {g: float(settings["bobot"].get(g, 0.0)) for g in groups if g != "diri"}
    # Pair level: one value per (person, rater), the mean over the competencies that rater answered.
    pkey, pinv = np.unique(person * n_raters + rater, return_inverse=True)
    k = np.bincount(pinv).astype(float)
    pmean = np.bincount(pinv, x) / k
    p_person, p_rater = pkey // n_raters, pkey % n_raters
    p_group = np.zeros(len(pkey), dtype=np.int64)
    p_group[pinv] = group
    general, general_var, corrected = np.full(n_people, np.nan), np.full(n_people, np.nan), False
    if len(pkey) >= 3 and np.unique(p_person).size >= 2:
        try:
            fit = fit_crossed(pmean, p_person, p_rater, names[p_group], groups=[g for g in groups if g != "diri"])
            corr = rater_correction(fit, pmean, p_person, p_rater, names[p_group], n_raters)
            general, general_se = adjusted_means(corr, fit, p_person, names[p_group], weights, n_people)
            general_var = general_se ** 2
            corrected = True
        except (ValueError, RuntimeError, np.linalg.LinAlgError):
            corrected = False
    if not corrected:  # too little data for the model: the plain weighted group means per cell
        level, se = _plain_levels(cell, group, x, n_cells, groups, settings)
        return level, se, False
    # Specific part: each answer's difference to its rater's mean for the person, per cell.
    dev = x - pmean[pinv]
    multi = k[pinv] >= 2
    n_spec = np.bincount(cell[multi], minlength=n_cells).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        raw = np.bincount(cell[multi], dev[multi], n_cells) / n_spec
        # Residual variance of one answer around its rater's mean: sum dev^2 / sum (1 - 1/k).
        s2w = float((dev[multi] ** 2).sum() / max((1.0 - 1.0 / k[pinv][multi]).sum(), 1e-12))
        noise = np.bincount(cell[multi], (1.0 - 1.0 / k[pinv][multi]), n_cells) * s2w / n_spec ** 2
    has = n_spec > 0
    cell_item = np.zeros(n_cells, dtype=np.int64)
    cell_item[cell] = item
    prec = np.where(has, 1.0 / np.where(noise > 0, noise, np.inf), 0.0)
    delta = np.bincount(cell_item, prec * np.nan_to_num(raw), n_items) / np.maximum(
        np.bincount(cell_item, prec, n_items), 1e-12)
    centred = raw - delta[cell_item]
    # Where no rater answered more than this one competency for the person, nothing tells the competency
    # apart from the person's general level: take the cycle's mean deviation of that competency, with the
    # spread of true deviations (estimated by moments) as its error.
    tau2 = max(float(np.nanmean(centred[has] ** 2) - np.nanmean(noise[has])), 1e-4) if has.any() else 1e-4
    specific = np.where(has, raw, delta[cell_item])
    specific_var = np.where(has, noise, tau2)
    cell_person = np.zeros(n_cells, dtype=np.int64)
    cell_person[cell] = person
    level = general[cell_person] + specific
    se = np.sqrt(general_var[cell_person] + specific_var)
    return level, se, corrected


def _plain_levels(cell, group, x, n_cells: int, groups: list[str], settings: dict[str, Any]):
    """Return (level, se) per cell as the ``bobot``-weighted mean of its groups' means, without correction.

    The rater variance of each (cell, group) is shrunk towards the variance pooled over all cells,
    s2 = (nu0 * s2_pool + SS) / (nu0 + n - 1) (the posterior mean of a scaled-inverse-chi-square prior with
    ``prior_derajat_bebas`` = nu0 degrees of freedom), so a single supervisor's rating still gets an honest
    standard error; se = sqrt(sum(w_g^2 s2_g / n_g)) / sum(w_g).
    """
    ng = len(groups)
    weight_of = np.array([float(settings["bobot"].get(g, 0.0)) for g in groups])
    key = cell * ng + group
    count = np.bincount(key, minlength=n_cells * ng).reshape(n_cells, ng).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(key, x, n_cells * ng).reshape(n_cells, ng) / count
        ss = np.maximum(np.bincount(key, x * x, n_cells * ng).reshape(n_cells, ng) - count * mean ** 2, 0.0)
    pool = count >= 2
    dof = float((count[pool] - 1).sum())
    a = len(load_scale().points)
    pooled = float(ss[pool].sum()) / dof if dof > 0 else (a * a - 1) / 12
    nu0 = float(settings["prior_derajat_bebas"])
    w = np.where(count > 0, weight_of[None, :], 0.0)
    total = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        var_mean = (nu0 * pooled + np.nan_to_num(ss)) / np.maximum(nu0 + count - 1, 1e-12) / count
        level = (np.where(count > 0, mean, 0.0) * w).sum(axis=1) / total
        se = np.sqrt((np.where(count > 0, var_mean, 0.0) * w ** 2).sum(axis=1)) / total
    return np.where(total > 0, level, np.nan), np.where(total > 0, se, np.nan)


# ------------------------------------------------------------------------------------------- gaps, JPM

def competency_gaps(required: pd.DataFrame, assessed: pd.DataFrame,
                    settings: dict[str, Any] | None = None) -> pd.DataFrame:
    """Return one row per required (nip, kompetensi) with the assessed level, the gap and how sure it is.

    kesenjangan = level_standar - level_dinilai; peluang_di_bawah_standar = Phi((level_standar -
    level_dinilai) / se), the probability that the true level is below the standard (true level taken as
    normal around the assessed one); peluang_kesenjangan_1 = Phi((level_standar - 1 - level_dinilai) / se).
    status: 'kesenjangan' only when the evidence supports a gap: the gap reaches ``kesenjangan_minimal``
    and peluang_di_bawah_standar reaches ``keyakinan_kesenjangan`` (with 0.975, the 95% interval of the
    gap lies above zero); 'perlu dikonfirmasi' when the gap reaches ``kesenjangan_minimal`` but the
    evidence is too thin (few raters, raters who disagree); 'memenuhi standar' otherwise; 'tidak dinilai'
    without an assessed level. Only 'kesenjangan' enters the training-needs list.
    """
    settings = settings or competency_settings()
    gaps = required.merge(assessed, on=["nip", "kompetensi"], how="left")
    for col in assessed.columns:
        if col.startswith("n_"):
            gaps[col] = gaps[col].fillna(0).astype(np.int64)
    req = gaps["level_standar"].to_numpy(dtype=np.float64)
    lvl = gaps["level_dinilai"].to_numpy(dtype=np.float64)
    se = gaps["se"].to_numpy(dtype=np.float64)
    gap = req - lvl
    with np.errstate(invalid="ignore", divide="ignore"):
        below = np.where(se > 0, normal.cdf(gap / se), np.where(gap > 0, 1.0, 0.0))
        prob = np.where(se > 0, normal.cdf((req - 1 - lvl) / se), np.where(gap >= 1 - 1e-9, 1.0, 0.0))
    below = np.where(np.isnan(lvl), np.nan, below)
    prob = np.where(np.isnan(lvl), np.nan, prob)
    gaps["kesenjangan"] = gap
    gaps["peluang_di_bawah_standar"] = below
    gaps["peluang_kesenjangan_1"] = prob
    large = gap >= settings["kesenjangan_minimal"] - 1e-9
    sure = below >= settings["keyakinan_kesenjangan"] - 1e-12
    gaps["status"] = np.where(np.isnan(lvl), STATUS_NOT_ASSESSED,
                              np.where(large & sure, STATUS_GAP, np.where(large, STATUS_UNSURE, STATUS_MEETS)))
    return gaps


def jpm_category(jpm: Any, settings: dict[str, Any] | None = None) -> Any:
    """Return the JPM category of each value (NaN stays NaN); values are rounded to 1e-6 first.

    >>> jpm_category([90, 89.99, 78, 77.99])
    ['Optimal', 'Cukup Optimal', 'Cukup Optimal', 'Kurang Optimal']
    """
    cats = (settings or competency_settings())["jpm_kategori"]
    values = np.round(np.asarray(jpm, dtype=np.float64), 6)
    out = np.full(values.shape, None, dtype=object)
    for cat in reversed(cats):
        out[values >= cat["min"]] = cat["nama"]
    return out.tolist() if np.ndim(jpm) else out.item()


def job_person_match(gaps: pd.DataFrame, settings: dict[str, Any] | None = None) -> pd.DataFrame:
    """Return per nip: jpm (%), kategori_jpm, n_kompetensi_jpm (competencies with both levels), n_standar.

    With ``jpm_batasi_standar`` an assessed level above the standard counts as the standard.
    """
    settings = settings or competency_settings()
    both = gaps[gaps["level_dinilai"].notna()]
    if settings["jpm_batasi_standar"]:
        both = both.assign(level_dinilai=np.minimum(both["level_dinilai"], both["level_standar"]))
    agg = both.groupby("nip", sort=False).agg(_a=("level_dinilai", "sum"), _r=("level_standar", "sum"),
                                             n_kompetensi_jpm=("level_dinilai", "size"))
    out = gaps.groupby("nip", sort=False).size().rename("n_standar").to_frame().join(agg)
    out["jpm"] = out["_a"] / out["_r"] * 100
    out["kategori_jpm"] = jpm_category(out["jpm"].to_numpy(), settings) if len(out) else []
    out["n_kompetensi_jpm"] = out["n_kompetensi_jpm"].fillna(0).astype(np.int64)
    return out.drop(columns=["_a", "_r"]).reset_index()


def borich_priority(gaps: pd.DataFrame, settings: dict[str, Any] | None = None,
                    codes: Iterable[str] | None = None) -> pd.DataFrame:
    """Return the Borich priority of each competency, best first, with the declared tie rule.

    Columns: kompetensi, nama_kompetensi, n (people with both levels), rerata_standar, rerata_dinilai,
    rerata_kesenjangan, mwds = sum((R - P) * mean(R)) / n, n_kesenjangan, peringkat (1 = first).
    A competency nobody assessed has n = 0 and mwds NaN and comes last.
    """
    settings = settings or competency_settings()
    known = list(codes) if codes is not None else []
    present = {*gaps["kompetensi"].unique(), *known}
    order = [c for c in competency_order(present) if c in present]
    both = gaps[gaps["level_dinilai"].notna()]
    agg = both.groupby("kompetensi").agg(n=("nip", "size"), rerata_standar=("level_standar", "mean"),
                                         rerata_dinilai=("level_dinilai", "mean"),
                                         rerata_kesenjangan=("kesenjangan", "mean"))
    flagged = gaps[gaps["status"] == STATUS_GAP].groupby("kompetensi").size().rename("n_kesenjangan")
    out = pd.DataFrame({"kompetensi": order}).set_index("kompetensi").join(agg).join(flagged)
    out["n"] = out["n"].fillna(0).astype(np.int64)
    out["n_kesenjangan"] = out["n_kesenjangan"].fillna(0).astype(np.int64)
    out["mwds"] = out["rerata_kesenjangan"] * out["rerata_standar"]
    out["_rank_mwds"] = -out["mwds"].round(9).fillna(-np.inf)
    out["_order"] = np.arange(len(out))
    out = out.sort_values(["_rank_mwds", "n_kesenjangan", "_order"], ascending=[True, False, True])
    out["peringkat"] = np.arange(1, len(out) + 1)
    names = competency_names()
    out = out.reset_index()
    out.insert(1, "nama_kompetensi", out["kompetensi"].map(names).fillna(out["kompetensi"]))
    return out.drop(columns=["_rank_mwds", "_order"])[
        ["peringkat", "kompetensi", "nama_kompetensi", "n", "rerata_standar", "rerata_dinilai",
         "rerata_kesenjangan", "mwds", "n_kesenjangan"]].reset_index(drop=True)


def gap_to_target(assessed: pd.DataFrame, targets: pd.DataFrame, standar: pd.DataFrame | None = None,
                  settings: dict[str, Any] | None = None) -> pd.DataFrame:
    """Return the gaps of people against a target jabatan (talent pool, promotion candidates).

    ``targets`` has one row per nip with the target jabatan, jenis_jabatan and jenjang. The result has the
    columns of ``competency_gaps`` plus jabatan_target; a target with no standard yields no rows.
    """
    required, _ = required_levels(targets, standar)
    gaps = competency_gaps(required, assessed, settings)
    gaps.insert(1, "jabatan_target", gaps["nip"].map(dict(zip(targets["nip"], targets["jabatan"]))))
    return gaps


# ---------------------------------------------------------------------------- training needs and cohorts

def development_form(kompetensi: pd.Series, gap: pd.Series, settings: dict[str, Any] | None = None) -> np.ndarray:
    """Return the development form code for each gap, from the first matching ``aturan_bentuk`` rule.

    Gaps below every rule get None.
    """
    settings = settings or competency_settings()
    komp = kompetensi.to_numpy()
    g = gap.to_numpy(dtype=np.float64)
    out = np.full(len(g), None, dtype=object)
    todo = np.ones(len(g), dtype=bool)
    for rule in settings["aturan_bentuk"]:
        hit = todo & (g >= float(rule["kesenjangan_min"]) - 1e-9)
        if rule.get("kompetensi") is not None:
            hit &= np.isin(komp, rule["kompetensi"])
        out[hit] = rule["bentuk"]
        todo &= ~hit
    return out


def training_needs(gaps: pd.DataFrame, pegawai: pd.DataFrame, borich: pd.DataFrame,
                   settings: dict[str, Any] | None = None) -> pd.DataFrame:
    """Return the training-needs list: per pegawai, the competencies to develop by priority, then the top-up.

    One row per (nip, kompetensi) with status 'kesenjangan', ordered per person by the declared rule
    (``NEEDS_ORDER``) and numbered in ``prioritas``, with bentuk (code), bentuk_label and jp. Every pegawai
    in ``pegawai`` whose planned JP is below ``jp_minimal`` (including people at standard, not assessed or
    without a standard) gets one more row without kompetensi: ``pengembangan_mandiri`` for the missing JP.
    """
    settings = settings or competency_settings()
    forms = settings["bentuk"]
    rank = dict(zip(borich["kompetensi"], borich["peringkat"]))
    need = gaps[gaps["status"] == STATUS_GAP].copy()
    need["_rank"] = need["kompetensi"].map(rank).fillna(len(rank) + 1)
    need = need.sort_values(["nip", "kesenjangan", "peluang_kesenjangan_1", "_rank", "kompetensi"],
                            ascending=[True, False, False, True, True], kind="stable")
    need["prioritas"] = need.groupby("nip", sort=False).cumcount() + 1
    need["bentuk"] = development_form(need["kompetensi"], need["kesenjangan"], settings)
    need["jp"] = need["bentuk"].map({k: v["jp"] for k, v in forms.items()}).astype(np.int64)
    need["uraian"] = None
    need["ditunda"] = False
    caps = settings.get("jp_maksimal") or {}
    if caps and "status_kepegawaian" in pegawai and len(need):
        # A yearly JP limit by status (PPPK: PP 49/2018 Pasal 39): needs in priority order until the limit,
        # the one that crosses it shortened, the rest postponed.
        cap = need["nip"].map(pegawai.set_index("nip")["status_kepegawaian"].map(caps)).astype(float)
        before = need.groupby("nip")["jp"].cumsum() - need["jp"]
        allowed = (cap - before).clip(lower=0)
        limited = cap.notna() & (need["jp"] > allowed)
        status = need["nip"].map(pegawai.set_index("nip")["status_kepegawaian"])
        need.loc[limited, "jp"] = allowed[limited].astype(np.int64)
        need.loc[limited, "ditunda"] = need.loc[limited, "jp"] == 0
        need.loc[limited, "uraian"] = [
            f"{'ditunda' if jp == 0 else f'dipersingkat menjadi {jp} JP'}: batas {int(c)} JP per tahun bagi {s}"
            for jp, c, s in zip(need.loc[limited, "jp"], cap[limited], status[limited])]
    keep = ["nip", "prioritas", "kompetensi", "level_standar", "level_dinilai", "se", "n_penilai",
            "kesenjangan", "peluang_kesenjangan_1", "bentuk", "jp", "uraian", "ditunda"]
    need = need[keep]
    planned = need.groupby("nip")["jp"].sum()
    nips = pegawai["nip"]
    have = nips.map(planned).fillna(0).astype(np.int64).to_numpy()
    short = have < settings["jp_minimal"]
    own = settings["pengembangan_mandiri"]
    counts = nips.map(need.groupby("nip").size()).fillna(0).astype(np.int64).to_numpy()
    top_up = pd.DataFrame({"nip": nips.to_numpy()[short], "prioritas": counts[short] + 1,
                           "kompetensi": None, "bentuk": own["bentuk"],
                           "jp": settings["jp_minimal"] - have[short], "uraian": own["uraian"]})
    top_up["ditunda"] = False
    out = pd.concat([need, top_up.reindex(columns=keep)], ignore_index=True)
    out["ditunda"] = out["ditunda"].astype(bool)
    out["jp"] = out["jp"].astype(np.int64)
    out["prioritas"] = out["prioritas"].astype(np.int64)
    out["level_standar"] = out["level_standar"].astype("Int64")
    out["n_penilai"] = out["n_penilai"].astype("Int64")
    out["bentuk_label"] = out["bentuk"].map({k: v["label"] for k, v in forms.items()})
    names = competency_names()
    out.insert(3, "nama_kompetensi", out["kompetensi"].map(names).fillna(out["kompetensi"]))
    return out.sort_values(["nip", "prioritas"], kind="stable").reset_index(drop=True)


def split_evenly(n: int, size: int) -> list[int]:
    """Return the class sizes for ``n`` people with at most ``size`` per class, as even as possible.

    >>> split_evenly(65, 30)
    [22, 22, 21]
    """
    if n <= 0:
        return []
    k = math.ceil(n / size)
    return [n // k + (1 if i < n % k else 0) for i in range(k)]


def _unit_column(settings: dict[str, Any]) -> str | None:
    return {"opd": "opd", "unit": "unit_id", "semua": None}[settings["kelompok_unit"]]


def training_cohorts(needs: pd.DataFrame, pegawai: pd.DataFrame, borich: pd.DataFrame,
                     settings: dict[str, Any] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return ``(cohorts, members)``: people sharing a gap, grouped by competency, level and unit into classes.

    A group larger than ``ukuran_kelas`` is split into ceil(n / ukuran_kelas) classes whose sizes differ by
    at most one; members are taken in NIP order (deterministic). Cohorts are ordered by the competency's
    Borich rank, then level (highest first), unit and class. ``cohorts`` has kohort (id), kompetensi,
    nama_kompetensi, level_standar, unit, kelas, jumlah_kelas, peserta, bentuk (the most frequent suggested
    form, ties by the form's order in the settings), jp, rerata_kesenjangan, peringkat_borich, kelas_kecil.
    ``members`` has kohort, nip, kesenjangan, bentuk.
    """
    settings = settings or competency_settings()
    size = int(settings["ukuran_kelas"])
    col = _unit_column(settings)
    postponed = needs["ditunda"].astype(bool) if "ditunda" in needs else False
    need = needs[needs["kompetensi"].notna() & ~postponed].copy()
    units = pegawai.set_index("nip")[col] if col else None
    need["unit"] = need["nip"].map(units).fillna("(tanpa unit)") if col else ALL_UNITS
    rank = dict(zip(borich["kompetensi"], borich["peringkat"]))
    need["peringkat_borich"] = need["kompetensi"].map(rank).fillna(len(rank) + 1).astype(np.int64)
    need = need.sort_values(["peringkat_borich", "kompetensi", "level_standar", "unit", "nip"],
                            ascending=[True, True, False, True, True], kind="stable")
    keys = ["peringkat_borich", "kompetensi", "level_standar", "unit"]
    grouped = need.groupby(keys, sort=False)
    pos = grouped.cumcount().to_numpy()
    total = grouped["nip"].transform("size").to_numpy()
    k = np.ceil(total / size).astype(np.int64)
    need["kelas"] = pos * k // total + 1
    need["jumlah_kelas"] = k
    form_order = {f: i for i, f in enumerate(settings["bentuk"])}
    need["_form_order"] = need["bentuk"].map(form_order)
    classes = need.groupby([*keys, "kelas"], sort=False)
    cohorts = classes.agg(jumlah_kelas=("jumlah_kelas", "first"), peserta=("nip", "size"),
                          rerata_kesenjangan=("kesenjangan", "mean")).reset_index()
    modal = (need.groupby([*keys, "kelas", "bentuk", "_form_order"], sort=False).size().rename("_n").reset_index()
             .sort_values(["_n", "_form_order"], ascending=[False, True], kind="stable")
             .drop_duplicates([*keys, "kelas"]))
    cohorts = cohorts.merge(modal[[*keys, "kelas", "bentuk"]], on=[*keys, "kelas"], how="left")
    cohorts["kohort"] = [f"KH-{i:04d}" for i in range(1, len(cohorts) + 1)]
    cohorts["jp"] = cohorts["bentuk"].map({k_: v["jp"] for k_, v in settings["bentuk"].items()})
    cohorts["nama_kompetensi"] = cohorts["kompetensi"].map(competency_names()).fillna(cohorts["kompetensi"])
    cohorts["kelas_kecil"] = cohorts["peserta"] < settings["ukuran_kelas_minimal"]
    cohorts = cohorts[["kohort", "kompetensi", "nama_kompetensi", "level_standar", "unit", "kelas",
                       "jumlah_kelas", "peserta", "bentuk", "jp", "rerata_kesenjangan", "peringkat_borich",
                       "kelas_kecil"]]
    members = need.merge(cohorts[[*keys, "kelas", "kohort"]], on=[*keys, "kelas"], how="left")
    members = members[["kohort", "nip", "kesenjangan", "bentuk"]].sort_values(["kohort", "nip"], kind="stable")
    return cohorts, members.reset_index(drop=True)


# ------------------------------------------------------------------------------------------ the report

@dataclass
class CompetencyReport:
    """Everything a training planner needs from one cycle; every table is a plain DataFrame."""

    settings: dict[str, Any]
    people: pd.DataFrame          # one row per pegawai: identity, JPM, counts, JP planned, keterangan
    gaps: pd.DataFrame            # one row per (nip, kompetensi) with a required level
    borich: pd.DataFrame          # competency priority
    needs: pd.DataFrame           # training-needs list (with the 20 JP top-up rows)
    cohorts: pd.DataFrame
    cohort_members: pd.DataFrame
    units: pd.DataFrame           # per-unit summary
    no_standard: pd.DataFrame     # pegawai without a standard (warning)
    target_gaps: pd.DataFrame | None = None
    cycle: Any = None             # the Cycle, when read from a database
    warnings: list[str] = field(default_factory=list)

    def heatmap(self, unit: str = "opd") -> pd.DataFrame:
        """Return the mean gap per unit (rows) and competency (columns) over assessed people."""
        return gap_heatmap(self.gaps, self.people, unit)

    def jpm_distribution(self) -> pd.DataFrame:
        """Return the number and share of pegawai per JPM category (plus 'Tidak dinilai')."""
        cats = [c["nama"] for c in self.settings["jpm_kategori"]]
        counts = self.people["kategori_jpm"].fillna("Tidak dinilai").value_counts()
        out = counts.reindex([*cats, "Tidak dinilai"], fill_value=0).rename("jumlah").to_frame()
        out["proporsi"] = out["jumlah"] / max(int(out["jumlah"].sum()), 1)
        out.index.name = "kategori_jpm"
        return out.reset_index()

    def jp_plan(self) -> dict[str, Any]:
        """Return the JP plan in figures: people, total JP, people at the minimum, JP per form."""
        per_form = self.needs.groupby("bentuk_label")["jp"].sum().sort_values(ascending=False)
        return {"pegawai": int(len(self.people)), "jp_total": int(self.needs["jp"].sum()),
                "memenuhi_jp_minimal": int(self.people["memenuhi_jp_minimal"].sum()),
                "jp_minimal": int(self.settings["jp_minimal"]),
                "jp_per_bentuk": {k: int(v) for k, v in per_form.items()}}


def gap_heatmap(gaps: pd.DataFrame, people: pd.DataFrame, unit: str = "opd") -> pd.DataFrame:
    """Return the mean gap (required - assessed) per unit and competency, competencies in dictionary order."""
    column = {"opd": "opd", "unit": "unit_id"}.get(unit, unit)
    both = gaps[gaps["level_dinilai"].notna()][["nip", "kompetensi", "kesenjangan"]]
    both = both.assign(unit=both["nip"].map(people.set_index("nip")[column]))
    table = both.pivot_table(index="unit", columns="kompetensi", values="kesenjangan", aggfunc="mean")
    table = table[[c for c in competency_order(table.columns) if c in table.columns]]
    table.index.name, table.columns.name = "unit", "kompetensi"
    return table


def _people_table(pegawai: pd.DataFrame, gaps: pd.DataFrame, needs: pd.DataFrame, no_standard: pd.DataFrame,
                  settings: dict[str, Any]) -> pd.DataFrame:
    cols = [c for c in ("nip", "nama", "opd", "unit_id", "jabatan", "jenis_jabatan", "jenjang") if c in pegawai]
    people = pegawai[cols].merge(job_person_match(gaps, settings), on="nip", how="left")
    n_gap = gaps[gaps["status"] == STATUS_GAP].groupby("nip").size()
    people["n_standar"] = people["n_standar"].fillna(0).astype(np.int64)
    people["n_kompetensi_jpm"] = people["n_kompetensi_jpm"].fillna(0).astype(np.int64)
    people["n_kesenjangan"] = people["nip"].map(n_gap).fillna(0).astype(np.int64)
    people["jp_rencana"] = people["nip"].map(needs.groupby("nip")["jp"].sum()).fillna(0).astype(np.int64)
    people["memenuhi_jp_minimal"] = people["jp_rencana"] >= settings["jp_minimal"]
    no_std = people["nip"].isin(no_standard["nip"])
    keterangan = np.where(no_std, "Tanpa standar kompetensi jabatan",
                          np.where(people["n_kompetensi_jpm"] == 0, "Belum ada level kompetensi dinilai",
                                   np.where(people["n_kesenjangan"] > 0, "Ada kesenjangan kompetensi",
                                            "Memenuhi standar kompetensi")))
    people["keterangan"] = keterangan
    return people


def _unit_table(people: pd.DataFrame, settings: dict[str, Any]) -> pd.DataFrame:
    column = _unit_column(settings) or "opd"
    cats = [c["nama"] for c in settings["jpm_kategori"]]
    g = people.groupby(column, sort=True)
    out = g.agg(jumlah_pegawai=("nip", "size"), dinilai=("jpm", "count"), rerata_jpm=("jpm", "mean"),
                pegawai_berkesenjangan=("n_kesenjangan", lambda s: int((s > 0).sum())),
                tanpa_standar=("keterangan", lambda s: int((s == "Tanpa standar kompetensi jabatan").sum())),
                jp_rencana=("jp_rencana", "sum"))
    dist = people.pivot_table(index=column, columns="kategori_jpm", values="nip", aggfunc="size")
    for cat in cats:
        out[cat] = dist[cat].reindex(out.index).fillna(0).astype(np.int64) if cat in dist else 0
    out.index.name = "unit"
    return out.reset_index()


def analyse_frames(pegawai: pd.DataFrame, responses: pd.DataFrame, standar: pd.DataFrame | None = None,
                   settings: dict[str, Any] | None = None, targets: pd.DataFrame | None = None) -> CompetencyReport:
    """Return the whole competency analysis from plain DataFrames (no database).

    ``pegawai``: nip, nama, unit_id, opd (optional, defaults to unit_id), jabatan, jenis_jabatan, jenjang.
    ``responses``: ratee, rater, relation, item, score (the competency rows; other items are ignored).
    ``standar``: jabatan, kompetensi, level. ``settings``: from ``competency_settings``.
    ``targets``: optional nip, jabatan, jenis_jabatan, jenjang of a target jabatan.
    """
    settings = settings or competency_settings()
    pegawai = pegawai.copy()
    if "opd" not in pegawai:
        pegawai["opd"] = pegawai["unit_id"]
    required, no_standard = required_levels(pegawai, standar)
    codes = competency_order(required["kompetensi"].unique())
    assessed = assessed_levels(responses, settings, codes, required)
    gaps = competency_gaps(required, assessed, settings)
    borich = borich_priority(gaps, settings)
    needs = training_needs(gaps, pegawai, borich, settings)
    cohorts, members = training_cohorts(needs, pegawai, borich, settings)
    needs = needs.merge(members[["kohort", "nip"]].assign(kompetensi=members["kohort"].map(
        cohorts.set_index("kohort")["kompetensi"])), on=["nip", "kompetensi"], how="left")
    people = _people_table(pegawai, gaps, needs, no_standard, settings)
    warnings = []
    if len(no_standard):
        jab = ", ".join(sorted(no_standard["jabatan"].astype(str).unique())[:10])
        warnings.append(f"{len(no_standard)} pegawai tanpa standar kompetensi jabatan (mis. {jab}); "
                        "mereka tidak dihitung kesenjangannya. Lengkapi jabatan.yaml atau standar_kompetensi.")
    unrated = borich.loc[borich["n"] == 0, "kompetensi"].tolist()
    if unrated:
        warnings.append("Kompetensi tanpa penilaian sama sekali: " + ", ".join(unrated))
    target = gap_to_target(assessed, targets, standar, settings) if targets is not None else None
    return CompetencyReport(settings=settings, people=people, gaps=gaps, borich=borich, needs=needs,
                            cohorts=cohorts, cohort_members=members, units=_unit_table(people, settings),
                            no_standard=no_standard, target_gaps=target, warnings=warnings)


# ------------------------------------------------------------------------------------------- db loaders

def load_competency_responses(db, cycle_id: int, codes: Iterable[str] | None = None) -> pd.DataFrame:
    """Return the competency answers of a cycle's active, submitted assignments as the long table.

    Columns ratee, rater, relation, item, score (NaN = tidak dapat menilai); see
    kinerja_lib.responses.load_answers.
    """
    from .responses import load_answers

    return load_answers(db, cycle_id, list(codes) if codes is not None else competency_order())


def analyse_competency(db, cycle: int | str | None = None, settings: dict[str, Any] | None = None,
                       targets: pd.DataFrame | None = None) -> CompetencyReport:
    """Return the competency analysis of a cycle (default: the newest open one) read from the database.

    ``settings`` overrides keys of ``competency_settings`` (e.g. ``{"ukuran_kelas": 25}``); the 360 keys
    default to the cycle's own settings. Raises CycleError for an unknown cycle or setting.
    """
    from .cycle import get_cycle

    from .records import active_pegawai, competency_standards

    c = get_cycle(db, cycle)
    merged = competency_settings(c.settings, settings)
    standar = competency_standards(db)
    codes = competency_order(standar["kompetensi"].unique())
    report = analyse_frames(active_pegawai(db), load_competency_responses(db, c.id, codes), standar, merged, targets)
    report.cycle = c
    return report


# ------------------------------------------------------------------------------------------- XLSX export

# Headers and number formats come from the column vocabulary (kinerja_lib.columns); only the sheets' own bare
# "n" (pegawai assessed) is labelled here, since "n" alone names different counts in different tables.
_OWN_LABELS = {"n": "Pegawai Dinilai"}


def _sheet(title: str, frame: pd.DataFrame, labels: dict[str, str] | None = None):
    """Return one planner's sheet for the export writer: Indonesian headers, number formats, NIP as text."""
    from .export import Sheet

    return Sheet(title, frame, labels={**columns.labels(), **_OWN_LABELS, **(labels or {})},
                 formats=columns.formats(), text=columns.text_columns())


def _settings_rows(report: CompetencyReport) -> pd.DataFrame:
    s = report.settings
    rows = []
    if report.cycle is not None:
        c = report.cycle
        rows += [("Siklus", f"#{c.id} {c.nama} ({c.periode} {c.tahun})"),
                 ("Tanggal siklus", f"{c.tanggal_mulai} s.d. {c.tanggal_selesai}")]
    rows += [("Sumber", "; ".join(s["sumber"]) if isinstance(s.get("sumber"), list) else str(s.get("sumber", ""))),
             ("Versi aturan pengembangan", str(s.get("versi", ""))),
             ("Perkiraan JPM", "Job Person Match dihitung dari penilaian 360°: perkiraan, bukan JPM hasil asesmen "
                               "kompetensi oleh asesor (Peraturan BKN 26/2019)"),
             ("Kategori perkiraan JPM", "; ".join(f"{c['nama']} ≥ {c['min']}" for c in s["jpm_kategori"])),
             ("JPM dibatasi level standar", "Ya" if s["jpm_batasi_standar"] else "Tidak"),
             ("JP minimal per tahun", str(s["jp_minimal"])),
             ("Kesenjangan minimal untuk masuk daftar", str(s["kesenjangan_minimal"])),
             ("Bukti kesenjangan", f"peluang level sebenarnya di bawah standar >= {s['keyakinan_kesenjangan']}; "
                                   "selainnya 'perlu dikonfirmasi' (tidak masuk daftar)"),
             ("Level dinilai", "level standar + tingkat umum pegawai (rerata penilai, dikoreksi kelonggaran penilai "
                               "dan efek kelompok) + simpangan kompetensi (disusutkan Bayes empiris)"),
             ("Minimal penilai (selain diri) untuk level dinilai", str(s["minimal_penilai_kompetensi"])),
             ("Kelompok penilai", ", ".join(s["kelompok"])),
             ("Minimal penilai per kelompok (anonimitas)", json.dumps(s["minimal_penilai"], ensure_ascii=False)),
             ("Bobot kelompok", json.dumps(s["bobot"], ensure_ascii=False)),
             ("Skor diri", "Tidak ikut level dinilai; dilaporkan terpisah"),
             ("Galat baku", "Galat tingkat umum (model bias penilai) ditambah galat simpangan kompetensi; "
                            f"tanpa model: ragam disusutkan ke ragam gabungan (derajat bebas prior "
                            f"{s['prior_derajat_bebas']})"),
             ("Peluang kesenjangan ≥ 1 level", "Pendekatan normal: Φ((standar − 1 − dinilai) / galat baku)"),
             ("Ukuran kelas", str(s["ukuran_kelas"])), ("Ukuran kelas minimal", str(s["ukuran_kelas_minimal"])),
             ("Pengelompokan unit kohort", s["kelompok_unit"]),
             ("Prioritas kompetensi", "Borich (1980) MWDS = Σ((standar − dinilai) × rerata standar) / n; "
                                      "kepentingan diproksikan dengan rerata level standar (kuesioner kepentingan "
                                      "tidak ditanyakan)"),
             ("Aturan seri prioritas", TIE_RULE), ("Urutan kebutuhan per pegawai", NEEDS_ORDER),
             ("Bentuk pengembangan", "; ".join(f"{v['label']} {v['jp']} JP" for v in s["bentuk"].values())),
             ("Pemetaan bentuk", "; ".join(
                 f"kesenjangan ≥ {r['kesenjangan_min']}"
                 + (f" ({', '.join(r['kompetensi'])})" if r.get("kompetensi") else "")
                 + f" → {s['bentuk'][r['bentuk']]['label']}" for r in s["aturan_bentuk"])),
             ("Pemenuhan JP", f"{s['pengembangan_mandiri']['uraian']} — "
                              f"{s['bentuk'][s['pengembangan_mandiri']['bentuk']]['label']}"),
             ("Batas JP per tahun", "; ".join(f"{k} {v} JP" for k, v in (s.get("jp_maksimal") or {}).items())
              or "tidak ada")]
    from .cycle import anonymity_warning

    warning = anonymity_warning(s)
    if warning:
        rows.insert(0, ("Peringatan anonimitas", warning))
    rows += [("Peringatan", w) for w in report.warnings]
    return pd.DataFrame(rows, columns=["pengaturan", "nilai_pengaturan"])


def export_training_xlsx(report: CompetencyReport, path: str | Path) -> Path:
    """Write the planner's workbook and return its path.

    Sheets: Rencana per Pegawai (the needs list), Ringkasan Pegawai, Kohort, Peserta Kohort, Ringkasan Unit,
    Prioritas Kompetensi, Tanpa Standar, Pengaturan. Headers are Indonesian, the header row is frozen.
    """
    from .export import write_xlsx

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    people = report.people
    info = people.set_index("nip")[["nama", "opd", "unit_id", "jabatan", "jpm", "kategori_jpm"]]
    plan = report.needs.join(info, on="nip")
    plan = plan[["nip", "nama", "opd", "unit_id", "jabatan", "jpm", "kategori_jpm", "prioritas", "kompetensi",
                 "nama_kompetensi", "level_standar", "level_dinilai", "se", "n_penilai", "kesenjangan",
                 "peluang_kesenjangan_1", "bentuk_label", "jp", "uraian", "kohort"]]
    summary = people[["nip", "nama", "opd", "unit_id", "jabatan", "jenis_jabatan", "jenjang", "n_standar",
                      "n_kompetensi_jpm", "jpm", "kategori_jpm", "n_kesenjangan", "jp_rencana",
                      "memenuhi_jp_minimal", "keterangan"]]
    forms = {k: v["label"] for k, v in report.settings["bentuk"].items()}
    cohorts = report.cohorts.assign(bentuk=report.cohorts["bentuk"].map(forms))
    members = report.cohort_members.join(info[["nama", "opd", "unit_id", "jabatan"]], on="nip")
    members = members.merge(report.cohorts[["kohort", "kompetensi", "nama_kompetensi", "level_standar"]],
                            on="kohort", how="left")
    members = members.assign(bentuk=members["bentuk"].map(forms))[
        ["kohort", "kompetensi", "nama_kompetensi", "level_standar", "nip", "nama", "opd", "unit_id", "jabatan",
         "kesenjangan", "bentuk"]]
    return write_xlsx(path, [
        _sheet("Rencana per Pegawai", plan), _sheet("Ringkasan Pegawai", summary), _sheet("Kohort", cohorts),
        _sheet("Peserta Kohort", members), _sheet("Ringkasan Unit", report.units),
        _sheet("Prioritas Kompetensi", report.borich), _sheet("Tanpa Standar", report.no_standard),
        _sheet("Pengaturan", _settings_rows(report))])


# ---------------------------------------------------------------------------------------------- plots

def plot_gap_heatmap(report: CompetencyReport, unit: str = "opd", ax=None):
    """Draw the unit x competency mean-gap heatmap (Indonesian labels) and return the Axes."""
    import matplotlib.pyplot as plt

    table = report.heatmap(unit)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.0 + 0.7 * max(len(table.columns), 1), 1.5 + 0.35 * max(len(table), 1)))
    limit = max(float(np.nanmax(np.abs(table.to_numpy()))) if table.size else 1.0, 0.5)
    image = ax.imshow(table.to_numpy(), cmap="RdYlGn_r", vmin=-limit, vmax=limit, aspect="auto")
    ax.set_xticks(range(len(table.columns)), table.columns)
    ax.set_yticks(range(len(table.index)), table.index)
    for (i, j), v in np.ndenumerate(table.to_numpy()):
        if not np.isnan(v):
            ax.text(j, i, f"{round(v, 1) + 0.0:.1f}", ha="center", va="center", fontsize=8)
    ax.set_xlabel("Kompetensi")
    ax.set_ylabel("Perangkat daerah" if unit == "opd" else "Unit kerja")
    ax.set_title("Rerata kesenjangan kompetensi (standar − dinilai)")
    ax.figure.colorbar(image, ax=ax, label="Kesenjangan (level)")
    return ax


def plot_jpm_distribution(report: CompetencyReport, ax=None):
    """Draw the number of pegawai per JPM category and return the Axes."""
    import matplotlib.pyplot as plt

    dist = report.jpm_distribution()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    colours = ["#2e7d32", "#f9a825", "#c62828", "#9e9e9e"][: len(dist)]
    ax.bar(dist["kategori_jpm"], dist["jumlah"], color=colours)
    for x, v in enumerate(dist["jumlah"]):
        ax.text(x, v, str(int(v)), ha="center", va="bottom")
    ax.set_xlabel("Kategori Job Person Match")
    ax.set_ylabel("Jumlah pegawai")
    ax.set_title("Sebaran kategori JPM")
    return ax
