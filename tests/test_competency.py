"""Competency gaps, JPM, Borich priority, training-needs lists, the 20 JP rule and cohorts."""

from __future__ import annotations

import math
import shutil

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy.stats import norm

from kinerja_lib import competency as comp
from kinerja_lib.config import reference_dir
from kinerja_lib.errors import CycleError, ReferenceDataError
from kinerja_lib.reference import load_method_defaults

CODES = [f"K0{i}" for i in range(1, 10)]


def _nip(i: int) -> str:
    return f"{199001012020011000 + i:018d}"


def _pegawai(rows) -> pd.DataFrame:
    """rows: (i, jabatan, jenis_jabatan, jenjang, opd)."""
    return pd.DataFrame([{"nip": _nip(i), "nama": f"Pegawai {i}", "unit_id": f"{opd} / Bidang", "opd": opd,
                          "jabatan": jab, "jenis_jabatan": jenis, "jenjang": jenjang}
                         for i, jab, jenis, jenjang, opd in rows])


def _responses(rows) -> pd.DataFrame:
    """rows: (ratee i, rater i, relation, item, score or None)."""
    return pd.DataFrame([{"ratee": _nip(a), "rater": _nip(b), "relation": rel, "item": item,
                          "score": np.nan if s is None else float(s)} for a, b, rel, item, s in rows],
                        columns=["ratee", "rater", "relation", "item", "score"])


def _gaps(rows, settings=None) -> pd.DataFrame:
    """rows: (i, kompetensi, required, assessed, se) -> competency_gaps output."""
    required = pd.DataFrame({"nip": [_nip(r[0]) for r in rows], "kompetensi": [r[1] for r in rows],
                             "level_standar": [r[2] for r in rows], "sumber": "jenis jabatan"})
    assessed = pd.DataFrame({"nip": [_nip(r[0]) for r in rows], "kompetensi": [r[1] for r in rows],
                             "level_dinilai": [r[3] for r in rows], "se": [r[4] for r in rows],
                             "n_penilai": 1}).dropna(subset=["level_dinilai"])
    return comp.competency_gaps(required, assessed, settings)


# ------------------------------------------------------------------------------------------ settings

def test_development_rules_cite_their_sources_and_hold_the_jpm_thresholds():
    """pengembangan.yaml names PermenPANRB 38/2017 and PP 11/2017 and holds the 90/78 JPM thresholds and 20 JP."""
    rules = comp.load_development_rules()
    text = " ".join(rules["sumber"])
    assert "PermenPANRB Nomor 38 Tahun 2017" in text and "PP Nomor 11 Tahun 2017" in text and "203-207" in text
    assert rules["jpm_kategori"] == [{"nama": "Optimal", "min": 90}, {"nama": "Cukup Optimal", "min": 78},
                                     {"nama": "Kurang Optimal", "min": 0}]
    assert rules["jp_minimal"] == 20


@pytest.mark.parametrize("change, words", [
    ({"jpm_kategori": [{"nama": "A", "min": 78}, {"nama": "B", "min": 90}, {"nama": "C", "min": 0}]}, "urut"),
    ({"jpm_kategori": [{"nama": "A", "min": 90}, {"nama": "B", "min": 78}]}, "min 0"),
    ({"ukuran_kelas": 0}, "ukuran_kelas"),
    ({"aturan_bentuk": [{"kesenjangan_min": 0.5, "bentuk": "kursus_kilat"}]}, "kursus_kilat"),
    ({"aturan_bentuk": [{"kesenjangan_min": 1.0, "bentuk": "e_learning"}]}, "mencakup kesenjangan_minimal"),
    ({"kelompok_unit": "provinsi"}, "kelompok_unit"),
    ({"pengembangan_mandiri": {"bentuk": "e_learning"}}, "pengembangan_mandiri"),
])
def test_incoherent_development_file_is_rejected_with_the_reason(tmp_path, change, words):
    """A malformed pengembangan.yaml raises ReferenceDataError naming what is wrong."""
    data = yaml.safe_load((reference_dir() / comp.DEVELOPMENT_FILE).read_text(encoding="utf-8"))
    data.update(change)
    (tmp_path / comp.DEVELOPMENT_FILE).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=words):
        comp.load_development_rules(tmp_path)


def test_missing_development_file_is_a_reference_data_error(tmp_path):
    """Without pengembangan.yaml the loader says the file is missing."""
    shutil.copy(reference_dir() / "metode.yaml", tmp_path / "metode.yaml")
    with pytest.raises(ReferenceDataError, match="tidak ditemukan"):
        comp.load_development_rules(tmp_path)


@pytest.mark.parametrize("overrides, words", [
    ({"ukuran_kelompok": 3}, "tidak dikenal"),
    ({"ukuran_kelas": -1}, "ukuran_kelas"),
    ({"bobot": {"diri": 0.5}}, "bobot"),
    ({"minimal_penilai": {"rekan": 0}}, "minimal_penilai"),
])
def test_bad_settings_are_refused(overrides, words):
    """An unknown or invalid setting raises CycleError naming it."""
    with pytest.raises(CycleError, match=words):
        comp.competency_settings(overrides=overrides)


def test_cycle_settings_supply_the_360_keys_and_overrides_merge():
    """Groups, minimums and weights come from the cycle; nested overrides merge into them."""
    cycle = load_method_defaults()
    cycle["minimal_penilai"]["rekan"] = 2
    cycle["izinkan_minimal_di_bawah_3"] = True   # a cycle holds a minimum below 3 only with this
    s = comp.competency_settings(cycle, {"bobot": {"rekan": 0.5}, "ukuran_kelas": 12})
    assert (s["minimal_penilai"]["rekan"], s["bobot"], s["ukuran_kelas"]) == (
        2, {"atasan": 0.4, "rekan": 0.5, "bawahan": 0.2, "lainnya": 0.1}, 12)


# ----------------------------------------------------------------------------------- required levels

@pytest.mark.parametrize("jenis, jenjang, level", [
    ("JPT Pratama", None, 4), ("Administrator", None, 3), ("Pengawas", None, 2), ("Pelaksana", None, 1),
    ("Pengawas", "Eselon IV.a", 2),   # a structural jenjang the table does not know falls back to the jenis
    ("JF", "Ahli Utama", 4), ("JF", "Ahli Madya", 3), ("JF", "Ahli Muda", 2), ("JF", "Ahli Pertama", 1),
])
def test_default_required_level_follows_jenis_and_jenjang(jenis, jenjang, level):
    """Without an anjab standard every K01..K09 gets the jenis/jenjang default of PermenPANRB 38/2017."""
    required, missing = comp.required_levels(_pegawai([(1, "Jabatan X", jenis, jenjang, "Dinas A")]))
    assert required.to_dict("list") == {"nip": [_nip(1)] * 9, "kompetensi": CODES, "level_standar": [level] * 9,
                                        "sumber": ["jenis jabatan"] * 9}
    assert missing.empty


def test_anjab_standard_overrides_per_jabatan_and_adds_technical_competencies():
    """standar_kompetensi replaces a default level for that job title only and may add technical codes."""
    pegawai = _pegawai([(1, "Analis Kebijakan", "JF", "Ahli Muda", "Dinas A"),
                        (2, "Pranata Komputer", "JF", "Ahli Muda", "Dinas A")])
    standar = pd.DataFrame({"jabatan": ["  analis   KEBIJAKAN", "Analis Kebijakan"],
                            "kompetensi": ["K03", "T01"], "level": [4, 3]})
    required, _ = comp.required_levels(pegawai, standar)
    one = required[required["nip"] == _nip(1)].set_index("kompetensi")
    two = required[required["nip"] == _nip(2)].set_index("kompetensi")
    assert one["level_standar"].to_dict() == {**{c: 2 for c in CODES}, "K03": 4, "T01": 3}
    assert one.loc[["K03", "T01", "K01"], "sumber"].tolist() == ["standar jabatan", "standar jabatan",
                                                                  "jenis jabatan"]
    assert two["level_standar"].to_dict() == {c: 2 for c in CODES}


def test_jabatan_without_any_standard_is_listed_with_a_warning_not_guessed():
    """A pegawai whose jenis/jenjang is unknown and whose jabatan has no standard gets no required level."""
    pegawai = _pegawai([(1, "Juru Kunci", "Tenaga Honorer", None, "Dinas A"),
                        (2, "Analis Data", "Jabatan Baru", None, "Dinas A"),
                        (3, "Staf", "Pelaksana", None, "Dinas A")])
    standar = pd.DataFrame({"jabatan": ["Analis Data"], "kompetensi": ["T07"], "level": [2]})
    required, missing = comp.required_levels(pegawai, standar)
    assert sorted(required["nip"].unique()) == [_nip(2), _nip(3)]
    assert required[required["nip"] == _nip(2)]["kompetensi"].tolist() == ["T07"]
    assert missing[["nip", "jabatan"]].to_dict("records") == [{"nip": _nip(1), "jabatan": "Juru Kunci"}]
    assert "tidak ditebak" in missing.loc[0, "alasan"]

    report = comp.analyse_frames(pegawai, _responses([]), standar)
    assert report.no_standard["nip"].tolist() == [_nip(1)]
    assert any("1 pegawai tanpa standar kompetensi jabatan" in w and "Juru Kunci" in w for w in report.warnings)
    person = report.people.set_index("nip").loc[_nip(1)]
    assert (person["keterangan"], person["jp_rencana"]) == ("Tanpa standar kompetensi jabatan", 20)


# ----------------------------------------------------------------------------------- assessed levels

def _one_ratee_responses():
    """Ratee 1: atasan 4; rekan 2, 3, 4 (one says 'tidak dapat menilai' on K02); 2 bawahan; self 5."""
    rows = [(1, 10, "atasan", "K01", 4), (1, 10, "atasan", "K02", 3),
            (1, 11, "rekan", "K01", 2), (1, 12, "rekan", "K01", 3), (1, 13, "rekan", "K01", 4),
            (1, 11, "rekan", "K02", 2), (1, 12, "rekan", "K02", 4), (1, 13, "rekan", "K02", None),
            (1, 14, "bawahan", "K01", 1), (1, 15, "bawahan", "K01", 1),
            (1, 1, "diri", "K01", 5), (1, 1, "diri", "K02", 5)]
    return _responses(rows)


def test_assessed_level_weights_shown_groups_and_drops_small_ones():
    """Level = bobot-weighted mean of the shown non-self groups; 2 bawahan are dropped; self is reported apart."""
    out = comp.assessed_levels(_one_ratee_responses()).set_index("kompetensi")
    k01 = out.loc["K01"]
    assert k01["level_dinilai"] == pytest.approx((0.4 * 4 + 0.3 * 3) / 0.7)
    assert (k01["n_penilai"], k01["n_atasan"], k01["n_rekan"], k01["n_bawahan"], k01["kelompok_tampil"],
            k01["level_diri"]) == (4, 1, 3, 0, "atasan,rekan", 5.0)


def test_group_score_on_one_competency_needs_the_minimum_of_actual_scores():
    """3 rekan in the group but only 2 scored K02: the rekan mean of K02 is not shown, the atasan's is used."""
    k02 = comp.assessed_levels(_one_ratee_responses()).set_index("kompetensi").loc["K02"]
    assert (k02["n_penilai"], k02["n_rekan"], k02["kelompok_tampil"]) == (1, 0, "atasan")
    assert k02["level_dinilai"] == pytest.approx(3.0)


def test_standard_error_matches_the_hand_worked_shrinkage():
    """se = sqrt(sum w^2 s2/n)/sum w with s2 = (nu0 s2_pool + SS)/(nu0 + n - 1), pooled over shown non-self cells."""
    out = comp.assessed_levels(_one_ratee_responses()).set_index("kompetensi")
    # Only the K01 rekan cell (2, 3, 4) has n >= 2 among shown cells: SS = 2 on 2 df, so s2_pool = 1.
    # atasan n=1: s2 = (4*1 + 0)/4 = 1, var of mean 1; rekan n=3: s2 = (4*1 + 2)/6 = 1, var of mean 1/3.
    expected = math.sqrt(0.4 ** 2 * 1 + 0.3 ** 2 * (1 / 3)) / 0.7
    assert out.loc["K01", "se"] == pytest.approx(expected)
    assert out.loc["K02", "se"] == pytest.approx(1.0)   # atasan alone: sqrt(1 * 1) / 1


def test_person_with_too_few_raters_gets_no_assessed_level():
    """Two rekan and nobody else: the group is dropped, the level is NaN (never a guess)."""
    responses = _responses([(2, 20, "rekan", "K01", 5), (2, 21, "rekan", "K01", 5), (2, 2, "diri", "K01", 4)])
    row = comp.assessed_levels(responses).iloc[0]
    assert (row["nip"], row["n_penilai"], row["kelompok_tampil"], row["level_diri"]) == (_nip(2), 0, "", 4.0)
    assert math.isnan(row["level_dinilai"]) and math.isnan(row["se"])


def test_minimum_raters_for_an_assessed_level_is_a_setting():
    """With minimal_penilai_kompetensi 2 a lone supervisor's rating is not enough."""
    settings = comp.competency_settings(overrides={"minimal_penilai_kompetensi": 2})
    out = comp.assessed_levels(_one_ratee_responses(), settings).set_index("kompetensi")
    assert out.loc["K01", "level_dinilai"] == pytest.approx((0.4 * 4 + 0.3 * 3) / 0.7)
    assert math.isnan(out.loc["K02", "level_dinilai"])


def test_competency_rated_by_nobody_is_not_assessed_and_ranked_last():
    """Every rater said 'tidak dapat menilai' on K09: status 'tidak dinilai', Borich n 0, last, warned."""
    pegawai = _pegawai([(1, "Staf", "Pelaksana", None, "Dinas A")])
    rows = [(1, 10, "atasan", c, None if c == "K09" else 1) for c in CODES]
    report = comp.analyse_frames(pegawai, _responses(rows))
    gaps = report.gaps.set_index("kompetensi")
    assert gaps.loc["K09", "status"] == comp.STATUS_NOT_ASSESSED and math.isnan(gaps.loc["K09", "kesenjangan"])
    assert report.borich.iloc[-1][["kompetensi", "n"]].tolist() == ["K09", 0]
    assert "Kompetensi tanpa penilaian sama sekali: K09" in report.warnings


# ------------------------------------------------------------------------------------------ gap, JPM

@pytest.mark.parametrize("required, assessed, se, gap, status", [
    (4, 2.0, 0.5, 2.0, "kesenjangan"),            # P(below) = Phi(4) > 0.975
    (3, 2.5, 0.25, 0.5, "kesenjangan"),           # Phi(2.0) = 0.977 >= 0.975
    (3, 2.5, 0.26, 0.5, "perlu dikonfirmasi"),    # Phi(1.92) = 0.973: the gap is there, the evidence thin
    (3, 2.6, 0.05, 0.4, "memenuhi standar"),      # sure but smaller than kesenjangan_minimal
    (2, 3.5, 0.3, -1.5, "memenuhi standar"),
])
def test_gap_is_flagged_only_when_large_enough_and_supported(required, assessed, se, gap, status):
    """gap = required - assessed; a gap of at least 0.5 is flagged when P(true level < required) =
    Phi(gap/se) reaches 0.975 (its 95% interval lies above zero), else it needs confirming;
    P(gap >= 1) = Phi((required - 1 - assessed)/se)."""
    row = _gaps([(1, "K01", required, assessed, se)]).iloc[0]
    assert row["kesenjangan"] == pytest.approx(gap)
    assert row["peluang_di_bawah_standar"] == pytest.approx(norm.cdf(required, loc=assessed, scale=se))
    assert row["peluang_kesenjangan_1"] == pytest.approx(norm.cdf(required - 1, loc=assessed, scale=se))
    assert row["status"] == status


@pytest.mark.parametrize("assessed, probability", [(2.0, 1.0), (2.1, 0.0)])
def test_probability_without_uncertainty_is_a_step(assessed, probability):
    """With se 0 the probability is 1 when the gap reaches one level, else 0."""
    assert _gaps([(1, "K01", 3, assessed, 0.0)]).iloc[0]["peluang_kesenjangan_1"] == probability


@pytest.mark.parametrize("jpm, category", [
    (100.0, "Optimal"), (90.0, "Optimal"), (89.999, "Cukup Optimal"), (78.0, "Cukup Optimal"),
    (77.999, "Kurang Optimal"), (0.0, "Kurang Optimal"), (130.0, "Optimal"),
])
def test_jpm_category_boundaries(jpm, category):
    """Optimal >= 90, Cukup Optimal 78 to < 90, Kurang Optimal < 78."""
    assert comp.jpm_category(jpm) == category


@pytest.mark.parametrize("assessed, jpm, category", [
    ([3.9, 3.9, 3.9, 3.9, 3.9], 78.0, "Cukup Optimal"),   # 19.5 / 25 * 100 = 78.00000000000001 in floats
    ([4.5, 4.5, 4.5, 4.5, 4.5], 90.0, "Optimal"),
    ([3.8, 3.9, 3.9, 3.9, 4.0], 78.0, "Cukup Optimal"),
    ([3.8, 3.9, 3.9, 3.9, 3.9], 77.6, "Kurang Optimal"),
])
def test_jpm_from_levels_at_the_boundaries(assessed, jpm, category):
    """JPM = sum assessed / sum required x 100, categorised exactly at 78 and 90."""
    out = comp.job_person_match(_gaps([(1, f"K0{i + 1}", 5, a, 0.3) for i, a in enumerate(assessed)])).iloc[0]
    assert (round(out["jpm"], 9), out["kategori_jpm"], out["n_kompetensi_jpm"]) == (jpm, category, 5)


def test_jpm_counts_only_assessed_competencies_and_can_cap_at_standard():
    """Unassessed competencies leave the JPM; with jpm_batasi_standar a surplus does not cover a shortfall."""
    gaps = _gaps([(1, "K01", 2, 4.0, 0.3), (1, "K02", 2, 1.0, 0.3), (1, "K03", 2, None, None)])
    plain = comp.job_person_match(gaps).iloc[0]
    capped = comp.job_person_match(gaps, comp.competency_settings(overrides={"jpm_batasi_standar": True})).iloc[0]
    assert (plain["jpm"], plain["n_kompetensi_jpm"], plain["n_standar"]) == (125.0, 2, 3)
    assert (capped["jpm"], capped["kategori_jpm"]) == (75.0, "Kurang Optimal")


# -------------------------------------------------------------------------------------------- Borich

def test_borich_mwds_matches_a_hand_worked_example():
    """MWDS = sum((R - P) * mean R) / n: K01 R=(3,3,2) P=(2,1,2) gives 8/3; K02 P=(3,3,1) gives 8/9."""
    rows = [(1, "K01", 3, 2, 0.3), (2, "K01", 3, 1, 0.3), (3, "K01", 2, 2, 0.3),
            (1, "K02", 3, 3, 0.3), (2, "K02", 3, 3, 0.3), (3, "K02", 2, 1, 0.3)]
    out = comp.borich_priority(_gaps(rows))
    assert out[["peringkat", "kompetensi", "n", "n_kesenjangan"]].to_dict("records") == [
        {"peringkat": 1, "kompetensi": "K01", "n": 3, "n_kesenjangan": 2},
        {"peringkat": 2, "kompetensi": "K02", "n": 3, "n_kesenjangan": 1}]
    assert out["mwds"].tolist() == pytest.approx([8 / 3, 8 / 9])
    # the same by the textbook's per-respondent steps
    r, p = np.array([3, 3, 2]), np.array([2, 1, 2])
    assert out["mwds"].iloc[0] == pytest.approx(sum((r - p) * r.mean()) / 3)


def test_borich_ties_follow_the_declared_rule():
    """Equal MWDS: more people with a gap first, then dictionary order."""
    rows = [  # every competency: mean R 2, mean discrepancy 0.5 -> MWDS 1.0
        (1, "K04", 2, 1.0, 0.1), (2, "K04", 2, 2.0, 0.1),     # one person with a gap
        (1, "K05", 2, 1.5, 0.1), (2, "K05", 2, 1.5, 0.1),     # two people with a gap
        (1, "K03", 2, 1.0, 0.1), (2, "K03", 2, 2.0, 0.1),     # as K04
        (1, "K01", 2, 2.0, 0.1), (2, "K01", 2, 2.0, 0.1),     # no gap, MWDS 0
    ]
    assert comp.borich_priority(_gaps(rows))["kompetensi"].tolist() == ["K05", "K03", "K04", "K01"]


# ------------------------------------------------------------------------------- needs and 20 JP rule

@pytest.mark.parametrize("kompetensi, gap, form", [
    ("K05", 1.6, "magang"), ("K01", 1.6, "pelatihan_klasikal"), ("K02", 1.0, "coaching_mentoring"),
    ("K01", 1.0, "pelatihan_klasikal"), ("K01", 0.5, "e_learning"), ("K06", 0.99, "e_learning"),
    ("K01", 0.4, None),
])
def test_development_form_follows_the_first_matching_rule(kompetensi, gap, form):
    """The mapping in pengembangan.yaml is read top-down; a competency-specific rule wins when it matches."""
    assert comp.development_form(pd.Series([kompetensi]), pd.Series([gap])).tolist() == [form]


def _needs_for(rows, pegawai_ids):
    gaps = _gaps(rows)
    borich = comp.borich_priority(gaps)
    pegawai = _pegawai([(i, "Staf", "Pelaksana", None, "Dinas A") for i in pegawai_ids])
    return comp.training_needs(gaps, pegawai, borich)


def test_needs_are_ordered_by_gap_then_probability_and_numbered():
    """Per person: largest gap first; equal gaps by the larger probability of a one-level gap."""
    needs = _needs_for([(1, "K01", 3, 1.9, 0.2), (1, "K02", 3, 1.8, 0.2), (1, "K03", 3, 1.9, 0.5),
                        (1, "K04", 3, 3.0, 0.2)], [1])
    assert needs[["prioritas", "kompetensi", "bentuk", "jp"]].to_dict("records") == [
        {"prioritas": 1, "kompetensi": "K02", "bentuk": "coaching_mentoring", "jp": 12},
        {"prioritas": 2, "kompetensi": "K01", "bentuk": "pelatihan_klasikal", "jp": 24},   # P = Phi(0.5)
        {"prioritas": 3, "kompetensi": "K03", "bentuk": "pelatihan_klasikal", "jp": 24}]   # P = Phi(0.2)


def test_every_pegawai_is_planned_at_least_20_jp():
    """At standard -> 20 JP e-learning top-up; an 8 JP need -> 12 JP top-up; a 24 JP need -> no top-up."""
    needs = _needs_for([(1, "K01", 2, 2.2, 0.3),                      # at standard
                        (2, "K01", 2, 1.4, 0.3),                      # e-learning, 8 JP
                        (3, "K01", 3, 1.5, 0.3)], [1, 2, 3, 4])       # classical, 24 JP; 4 not assessed
    top = needs[needs["kompetensi"].isna()]
    assert top[["nip", "prioritas", "bentuk", "jp"]].to_dict("records") == [
        {"nip": _nip(1), "prioritas": 1, "bentuk": "e_learning", "jp": 20},
        {"nip": _nip(2), "prioritas": 2, "bentuk": "e_learning", "jp": 12},
        {"nip": _nip(4), "prioritas": 1, "bentuk": "e_learning", "jp": 20}]
    assert needs.groupby("nip")["jp"].sum().to_dict() == {_nip(1): 20, _nip(2): 20, _nip(3): 24, _nip(4): 20}
    assert set(top["uraian"]) == {"Pengembangan diri mandiri (pemenuhan 20 JP)"}


def test_a_pppk_plan_stops_at_24_jp_a_year_and_a_pns_plan_does_not():
    """PP 49/2018 Pasal 39: a PPPK's needs are planned in priority order up to 24 JP (the one crossing it is
    shortened, the rest postponed and kept out of the classes); the same needs of a PNS are planned whole."""
    rows = [(i, k, 3, 1.0, 0.2) for i in (1, 2) for k in ("K01", "K03", "K04")]     # 3 x classical 24 JP
    gaps = _gaps(rows)
    borich = comp.borich_priority(gaps)
    pegawai = _pegawai([(1, "Staf", "Pelaksana", None, "Dinas A"), (2, "Staf", "Pelaksana", None, "Dinas A")])
    pegawai["status_kepegawaian"] = ["PPPK", "PNS"]
    needs = comp.training_needs(gaps, pegawai, borich)
    pppk, pns = (needs[needs["nip"] == _nip(i)] for i in (1, 2))
    assert pppk["jp"].tolist() == [24, 0, 0] and pppk["ditunda"].tolist() == [False, True, True]
    assert set(pppk["uraian"].iloc[1:]) == {"ditunda: batas 24 JP per tahun bagi PPPK"}
    assert pns["jp"].tolist() == [24, 24, 24] and not pns["ditunda"].any()
    cohorts, members = comp.training_cohorts(needs, pegawai, borich)
    assert members.groupby("nip").size().to_dict() == {_nip(1): 1, _nip(2): 3}


def test_a_limit_below_the_minimum_is_refused():
    with pytest.raises(CycleError, match="jp_maksimal harus pemetaan status kepegawaian"):
        comp.competency_settings(overrides={"jp_maksimal": {"PPPK": 10}})


# ------------------------------------------------------------------------------------------- cohorts

@pytest.mark.parametrize("n, size, sizes", [
    (0, 30, []), (1, 30, [1]), (30, 30, [30]), (31, 30, [16, 15]), (65, 30, [22, 22, 21]), (7, 3, [3, 2, 2]),
])
def test_split_evenly(n, size, sizes):
    """ceil(n/size) classes whose sizes differ by at most one, larger classes first."""
    assert comp.split_evenly(n, size) == sizes


def _cohort_case(settings):
    ids = list(range(1, 8)) + [8, 9]
    pegawai = _pegawai([(i, "Staf", "Pelaksana", None, "Dinas A" if i <= 7 else "Dinas B") for i in ids])
    gaps = _gaps([(i, "K03", 2, 1.0, 0.3) for i in ids], settings)
    borich = comp.borich_priority(gaps, settings)
    needs = comp.training_needs(gaps, pegawai, borich, settings)
    return comp.training_cohorts(needs, pegawai, borich, settings)


def test_cohorts_split_large_groups_evenly_in_nip_order():
    """7 people of one unit with class size 3 -> classes of 3, 2, 2 in NIP order; the other unit apart."""
    settings = comp.competency_settings(overrides={"ukuran_kelas": 3, "ukuran_kelas_minimal": 3})
    cohorts, members = _cohort_case(settings)
    assert cohorts[["kohort", "unit", "kelas", "jumlah_kelas", "peserta", "bentuk", "jp", "kelas_kecil"]].to_dict(
        "records") == [
        {"kohort": "KH-0001", "unit": "Dinas A", "kelas": 1, "jumlah_kelas": 3, "peserta": 3,
         "bentuk": "pelatihan_klasikal", "jp": 24, "kelas_kecil": False},
        {"kohort": "KH-0002", "unit": "Dinas A", "kelas": 2, "jumlah_kelas": 3, "peserta": 2,
         "bentuk": "pelatihan_klasikal", "jp": 24, "kelas_kecil": True},
        {"kohort": "KH-0003", "unit": "Dinas A", "kelas": 3, "jumlah_kelas": 3, "peserta": 2,
         "bentuk": "pelatihan_klasikal", "jp": 24, "kelas_kecil": True},
        {"kohort": "KH-0004", "unit": "Dinas B", "kelas": 1, "jumlah_kelas": 1, "peserta": 2,
         "bentuk": "pelatihan_klasikal", "jp": 24, "kelas_kecil": True}]
    assert members.groupby("kohort")["nip"].apply(list).to_dict() == {
        "KH-0001": [_nip(1), _nip(2), _nip(3)], "KH-0002": [_nip(4), _nip(5)], "KH-0003": [_nip(6), _nip(7)],
        "KH-0004": [_nip(8), _nip(9)]}


def test_cohorts_across_all_units_when_configured():
    """kelompok_unit 'semua' puts everyone with the same gap and level in one group."""
    settings = comp.competency_settings(overrides={"ukuran_kelas": 5, "kelompok_unit": "semua"})
    cohorts, _ = _cohort_case(settings)
    assert cohorts[["unit", "kelas", "peserta"]].to_dict("records") == [
        {"unit": comp.ALL_UNITS, "kelas": 1, "peserta": 5}, {"unit": comp.ALL_UNITS, "kelas": 2, "peserta": 4}]


def test_cohorts_follow_borich_priority_then_higher_level():
    """Cohorts of the higher-priority competency come first; within it the higher standard level first."""
    pegawai = _pegawai([(1, "A", "Administrator", None, "Dinas A"), (2, "B", "Pelaksana", None, "Dinas A")])
    gaps = _gaps([(1, "K01", 3, 1.0, 0.3), (2, "K01", 1, 0.0, 0.3), (1, "K02", 3, 2.5, 0.2)])
    borich = comp.borich_priority(gaps)
    cohorts, _ = comp.training_cohorts(comp.training_needs(gaps, pegawai, borich), pegawai, borich)
    assert cohorts[["kompetensi", "level_standar", "peringkat_borich"]].values.tolist() == [
        ["K01", 3, 1], ["K01", 1, 1], ["K02", 3, 2]]


# ------------------------------------------------------------------------------- target and database

def test_gap_against_a_target_jabatan():
    """A Pelaksana assessed at 2 on K01 has a gap of 1 against an Administrator post (level 3)."""
    assessed = pd.DataFrame({"nip": [_nip(1)], "kompetensi": ["K01"], "level_dinilai": [2.0], "se": [0.3],
                             "n_penilai": [4]})
    targets = pd.DataFrame({"nip": [_nip(1)], "jabatan": ["Kepala Bidang"], "jenis_jabatan": ["Administrator"],
                            "jenjang": [None]})
    out = comp.gap_to_target(assessed, targets).set_index("kompetensi")
    assert out.loc["K01", ["jabatan_target", "level_standar", "kesenjangan", "status"]].tolist() == [
        "Kepala Bidang", 3, 1.0, "kesenjangan"]
    assert out.loc["K02", "status"] == comp.STATUS_NOT_ASSESSED


def _insert_case(db):
    """One OPD with a nested unit tree, seven pegawai, one open cycle, assignments in every state."""
    from kinerja_lib.cycle import open_cycle
    from kinerja_lib.store import now

    db["unit"].insert_all([{"id": "Dinas A", "nama": "Dinas A", "induk_id": None, "jenis": "opd"},
                           {"id": "Dinas A / Bidang 1", "nama": "Bidang 1", "induk_id": "Dinas A", "jenis": "bidang"},
                           {"id": "Dinas A / Bidang 1 / Seksi X", "nama": "Seksi X",
                            "induk_id": "Dinas A / Bidang 1", "jenis": "seksi"}])
    people = [(1, "Dinas A / Bidang 1 / Seksi X", "Pengawas", 3), (2, "Dinas A / Bidang 1", "Pelaksana", 1)] + [
        (i, "Dinas A", "Pelaksana", 1) for i in range(3, 8)]
    db["pegawai"].insert_all([{"nip": _nip(i), "nama": f"Pegawai {i}", "jenis_kelamin": "P", "unit_id": unit,
                               "jabatan": "Staf", "jenis_jabatan": jenis, "jenjang": None, "tingkat": tingkat,
                               "diperbarui": now()} for i, unit, jenis, tingkat in people])
    cycle = open_cycle(db, "Tahunan 2026", "Tahunan", 2026, "2026-01-01", "2026-12-31")
    plan = [  # rater, relation, status, aktif, K01 score
        (2, "atasan", "terkirim", 1, 1), (3, "rekan", "terkirim", 1, 2), (4, "rekan", "terkirim", 1, 2),
        (5, "rekan", "terkirim", 1, 2), (1, "diri", "terkirim", 1, 5),
        (6, "bawahan", "draf", 1, 5),          # a draft never counts
        (7, "rekan", "terkirim", 0, 5),        # a removed assignment never counts
    ]
    for aid, (rater, rel, status, aktif, score) in enumerate(plan, start=1):
        db["assignment"].insert({"id": aid, "cycle_id": cycle.id, "rater_nip": _nip(rater), "ratee_nip": _nip(1),
                                 "relation": rel, "status": status, "aktif": aktif})
        db["response"].insert({"assignment_id": aid, "item": "K01", "score": score, "diperbarui": now()})
    db["standar_kompetensi"].insert({"jabatan": "staf", "kompetensi": "T01", "level": 2})
    return cycle


def test_analysis_from_the_database_uses_only_active_submitted_assignments(db):
    """Only active 'terkirim' assignments count; the OPD is the root of the unit tree; the anjab adds T01."""
    cycle = _insert_case(db)
    report = comp.analyse_competency(db, None, {"ukuran_kelas": 10})
    k01 = report.gaps.set_index(["nip", "kompetensi"]).loc[(_nip(1), "K01")]
    assert k01["level_dinilai"] == pytest.approx((0.4 * 1 + 0.3 * 2) / 0.7)
    assert (k01["n_atasan"], k01["n_rekan"], k01["level_diri"], k01["level_standar"]) == (1, 3, 5.0, 2)
    assert report.people.set_index("nip")["opd"].to_dict() == {_nip(i): "Dinas A" for i in range(1, 8)}
    assert set(report.gaps[report.gaps["kompetensi"] == "T01"]["nip"]) == {_nip(i) for i in range(1, 8)}
    assert report.cycle.id == cycle.id and report.settings["ukuran_kelas"] == 10
    assert report.cohorts[["kompetensi", "peserta", "bentuk"]].values.tolist() == [["K01", 1, "e_learning"]]


# ---------------------------------------------------------------------------------- recovery on demo data

def test_planted_competency_gaps_are_recovered_on_demo_data():
    """On the demo (600 pegawai, seed 2026) the estimated gaps track the planted ones within stated tolerances.

    Planted gap = required level - demo_truth 'kompetensi:Kxx'. Tolerances: mean absolute error <= 0.45 level,
    mean bias within +/- 0.2 level, correlation >= 0.4, the 95% interval (gap +/- 1.96 se) covers the planted
    gap for 90-99.5% of pairs, at least 85% of pairs get an assessed level, and people flagged with a gap have
    a planted gap at least 0.4 level larger on average than people not flagged.
    """
    from kinerja_lib.demo import generate_demo
    from kinerja_lib.store import open_db

    db = open_db(":memory:")
    generate_demo(db, pegawai=600, seed=2026, answers=True, cycles=1)
    report = comp.analyse_competency(db)
    truth = pd.read_sql_query(
        "SELECT nip, substr(aspek, 12) AS kompetensi, nilai FROM demo_truth "
        "WHERE cycle_id = ? AND aspek LIKE 'kompetensi:%'", db.conn, params=[report.cycle.id])
    pairs = report.gaps.merge(truth, on=["nip", "kompetensi"], how="inner")
    assert len(pairs) == len(truth) == 600 * 9
    planted = pairs["level_standar"] - pairs["nilai"]
    assessed = pairs["level_dinilai"].notna()
    error = (pairs["kesenjangan"] - planted)[assessed]
    covered = (error.abs() <= 1.96 * pairs.loc[assessed, "se"]).mean()
    flagged = pairs["status"] == comp.STATUS_GAP
    figures = {
        "assessed_share": assessed.mean() >= 0.85,
        "mae": error.abs().mean() <= 0.45,
        "bias": abs(error.mean()) <= 0.2,
        "correlation": np.corrcoef(pairs.loc[assessed, "kesenjangan"], planted[assessed])[0, 1] >= 0.4,
        "coverage": 0.90 <= covered <= 0.995,
        "flagged_larger": planted[flagged].mean() - planted[~flagged & assessed].mean() >= 0.4,
    }
    assert figures == dict.fromkeys(figures, True), (
        assessed.mean(), error.abs().mean(), error.mean(), covered,
        planted[flagged].mean() - planted[~flagged & assessed].mean())
