"""Award eligibility with reasons, empirical-Bayes ranking, rank uncertainty, tie rule, quotas and follow-up."""

import shutil

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy.stats import norm

from kinerja_lib import awards, hasil, records
from kinerja_lib.awards import ranking
from kinerja_lib.config import reference_dir
from kinerja_lib.cycle import Cycle, merge_settings
from kinerja_lib.errors import ReferenceDataError

REF = reference_dir()
END = "2026-12-31"


def _cycle(**overrides):
    return Cycle(2, "Tahunan 2026", "Tahunan", 2026, "2026-01-01", END, "terbuka", "v", merge_settings(overrides))


def _nip(i: int) -> str:
    return f"{198001012005011000 + i}"


def _frames(people):
    """Return (results, pegawai) from dicts with keys nip, skor, and optional overrides."""
    res, peg = [], []
    for p in people:
        res.append({"nip": p["nip"], "skor": p.get("skor", 3.5), "skor_adj": p.get("skor_adj", np.nan),
                    "skor_adj_se": p.get("skor_adj_se", np.nan), "kelompok_tampil": p.get("tampil", "atasan,rekan"),
                    "n_diri": 1, "n_atasan": p.get("n_atasan", 1), "n_rekan": p.get("n_rekan", 4), "n_bawahan": 0,
                    "n_lainnya": 0, "predikat": p.get("predikat", "Baik"), "rating_hasil_kerja": p.get("hasil"),
                    "status_predikat": p.get("status", "ditetapkan")})
        peg.append({"nip": p["nip"], "nama": p.get("nama", f"Pegawai {p['nip'][-3:]}"),
                    "jenis_kelamin": p.get("jk", "L"), "unit_id": p.get("unit", "Dinas A / Bidang 1"),
                    "jabatan": "Analis", "jenis_jabatan": p.get("jenis_jabatan", "JF"), "golongan": "III/b",
                    "tmt_cpns": p.get("tmt", "2010-01-01"), "aktif": p.get("aktif", 1)})
    return pd.DataFrame(res), pd.DataFrame(peg)


def _unit(n=30, start=0, unit="Dinas A / Bidang 1", **extra):
    scores = np.linspace(3.1, 3.9, n)
    return [{"nip": _nip(start + i), "skor": float(s), "unit": unit, **extra} for i, s in enumerate(scores)]


def _penalty(nip, tingkat="sedang", mulai="2026-03-01", selesai=None):
    return pd.DataFrame([{"nip": nip, "tingkat": tingkat, "jenis_hukuman": "penundaan kenaikan pangkat",
                          "tanggal_mulai": mulai, "tanggal_selesai": selesai}])


# --- rules file -----------------------------------------------------------------------------------

def test_shipped_rules_load_with_a_source_for_every_condition():
    """Every condition of every award list in penghargaan.yaml names its regulation or local policy."""
    rules = awards.load_rules()
    assert set(rules.penghargaan) == {"asn_berprestasi", "asn_teladan", "asn_inovatif", "kenaikan_pangkat_pilihan"}
    assert all(s.sumber for a in rules.penghargaan.values() for s in a.syarat)
    local = [s for s in rules.penghargaan["asn_teladan"].syarat if s.jenis == "predikat_berturut"]
    assert [(s.aktif, s.sumber) for s in local] == [(False, "kebijakan lokal")]


def _edit(data):
    data["penghargaan"][0]["syarat"][1]["predikat_minimal"] = "Istimewa"


def _no_source(data):
    del data["penghargaan"][0]["syarat"][2]["sumber"]


def _twin_box(data):
    data["kotak_talenta"]["kotak"][9] = {"kinerja": "sesuai", "potensi": "tinggi"}


def _bad_jabatan(data):
    data["masa_perbaikan"][0]["jenis_jabatan"].append("Kepala Seksi")


def _bad_kind(data):
    data["penghargaan"][0]["syarat"].append({"jenis": "rajin", "sumber": "kebijakan lokal"})


@pytest.mark.parametrize("mutate, message", [
    (_edit, "predikat_minimal 'Istimewa' bukan predikat"),
    (_no_source, "kunci 'sumber' wajib ada"),
    (_twin_box, "tepat satu kali"),
    (_bad_jabatan, "jenis jabatan yang tidak dikenal"),
    (_bad_kind, "jenis syarat 'rajin' tidak dikenal"),
])
def test_malformed_rules_are_rejected_on_load(tmp_path, mutate, message):
    """A rules file with an unknown predikat, a missing source or a broken 9-box table does not load."""
    for f in REF.glob("*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    data = yaml.safe_load((REF / "penghargaan.yaml").read_text(encoding="utf-8"))
    mutate(data)
    (tmp_path / "penghargaan.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=message):
        awards.load_rules(tmp_path)


# --- eligibility ----------------------------------------------------------------------------------

@pytest.mark.parametrize("penghargaan", ["asn_berprestasi", "asn_teladan", "kenaikan_pangkat_pilihan"])
@pytest.mark.parametrize("tingkat", ["sedang", "berat"])
def test_active_sedang_or_berat_penalty_never_appears_on_a_list(penghargaan, tingkat):
    """The best-scored person under an active sedang/berat penalty (PP 94/2021) is never eligible nor listed."""
    people = _unit(20) + [{"nip": _nip(99), "skor": 5.0, "n_rekan": 12, "predikat": "Sangat Baik"}]
    results, pegawai = _frames(people)
    riwayat = pd.DataFrame({"nip": results["nip"], "cycle_id": 1, "nama_siklus": "Tahunan 2025",
                            "periode": "Tahunan", "tanggal_selesai": "2025-12-31", "predikat": "Sangat Baik"})
    out = awards.shortlist(results, pegawai, _penalty(_nip(99), tingkat), _cycle(), riwayat=riwayat,
                           penghargaan=penghargaan, k=5, n_sim=200)
    assert _nip(99) not in set(out.table["nip"])
    row = out.eligibility.set_index("nip").loc[_nip(99)]
    assert (bool(row["layak"]), bool(row["terpilih"])) == (False, False)
    assert f"Tidak memenuhi: sedang menjalani hukuman disiplin {tingkat}" in row["alasan_tidak_layak"]


@pytest.mark.parametrize("selesai, active", [
    ("2026-12-30", False),   # ended the day before the reference date
    ("2026-12-31", True),    # ends on the reference date: still running that day
    (None, True),            # no end date recorded
])
def test_penalty_is_active_through_its_last_day(selesai, active):
    """A penalty counts as active from its start through its end date inclusive."""
    results, pegawai = _frames([{"nip": _nip(1)}])
    out = awards.eligibility(results, pegawai, _penalty(_nip(1), selesai=selesai), _cycle())
    assert bool(out.loc[0, "layak"]) is (not active)


def test_ineligible_person_gets_every_reason_in_indonesian():
    """The reason text names each condition, its finding and its source, failed ones first-class."""
    results, pegawai = _frames([{"nip": _nip(7), "predikat": "Butuh Perbaikan", "tampil": "atasan", "n_rekan": 2,
                                 "tmt": "2025-06-01"}])
    out = awards.eligibility(results, pegawai, None, _cycle())
    sep = awards.REASON_SEPARATOR
    assert out.loc[0, "alasan"] == sep.join([
        "Memenuhi: pegawai aktif [data kepegawaian]",
        "Tidak memenuhi: predikat periode ini Butuh Perbaikan (ditetapkan), minimal Baik "
        "[PermenPANRB 6/2022 (tindak lanjut evaluasi kinerja: penghargaan)]",
        "Memenuhi: tidak ada hukuman disiplin sedang/berat yang aktif pada 2026-12-31 [kebijakan lokal (PP "
        "94/2021 hanya mengatur tingkat hukuman; tidak ada pasal yang melarang penghargaan)]",
        "Memenuhi: penilai cukup (atasan 1) "
        "[pengaturan siklus (minimal_penilai); kelompok wajib: kebijakan lokal]",
        "Tidak memenuhi: masa kerja 1 tahun per 2026-12-31, minimal 2 tahun [kebijakan lokal]",
    ])
    assert bool(out.loc[0, "layak"]) is False


@pytest.mark.parametrize("person, penghargaan, failed", [
    ({"predikat": None}, "asn_berprestasi",
     "predikat periode ini belum ada (Rating Hasil Kerja belum tercatat)"),
    ({"predikat": None, "hasil": "Sesuai Ekspektasi"}, "asn_berprestasi",
     "predikat periode ini belum ada (Rating Perilaku Kerja belum ditetapkan Pejabat Penilai)"),
    ({"predikat": "Baik"}, "asn_teladan", "predikat periode ini Baik (ditetapkan), minimal Sangat Baik"),
    ({"predikat": "Sangat Baik", "status": "sementara"}, "asn_teladan",
     "predikat periode ini belum ditetapkan: menunggu penetapan Pejabat Penilai Kinerja"),
    ({"tampil": "rekan", "n_atasan": 0, "predikat": "Sangat Baik"}, "asn_teladan",
     "penilai kurang: kelompok atasan tidak tampil (0 penilai, minimal 1)"),
    ({"tampil": "atasan", "n_rekan": 2, "predikat": "Sangat Baik"}, "asn_teladan",
     "penilai kurang: kelompok rekan tidak tampil (2 penilai, minimal 3)"),
    ({"aktif": 0}, "asn_berprestasi", "pegawai tidak aktif pada data kepegawaian"),
    ({"tmt": None}, "asn_berprestasi", "masa kerja sejak TMT CPNS tidak dapat dihitung"),
    ({"skor": np.nan, "tampil": ""}, "asn_berprestasi", "tidak ada skor 360"),
])
def test_each_failed_condition_is_named(person, penghargaan, failed):
    """Each condition that fails makes the person ineligible and appears in alasan_tidak_layak."""
    results, pegawai = _frames([{"nip": _nip(3), **person}])
    out = awards.eligibility(results, pegawai, None, _cycle(), penghargaan=penghargaan)
    assert bool(out.loc[0, "layak"]) is False
    assert failed in out.loc[0, "alasan_tidak_layak"]


@pytest.mark.parametrize("riwayat, eligible, reason", [
    ("Baik", True, "Tahunan 2026: Baik; Tahunan 2025: Baik"),
    ("Butuh Perbaikan", False, "Tahunan 2026: Baik; Tahunan 2025: Butuh Perbaikan"),
    (None, False, "Tahunan 2026: Baik; Tahunan 2025: tidak tercatat"),
])
def test_kenaikan_pangkat_pilihan_needs_baik_in_the_last_two_years(riwayat, eligible, reason):
    """Kenaikan pangkat pilihan needs predikat at least Baik in each of the last 2 annual cycles."""
    results, pegawai = _frames([{"nip": _nip(1)}, {"nip": _nip(2)}])
    hist = pd.DataFrame([{"nip": _nip(2), "cycle_id": 1, "nama_siklus": "Tahunan 2025", "periode": "Tahunan",
                          "tanggal_selesai": "2025-12-31", "predikat": "Baik"}]
                        + ([{"nip": _nip(1), "cycle_id": 1, "nama_siklus": "Tahunan 2025", "periode": "Tahunan",
                             "tanggal_selesai": "2025-12-31", "predikat": riwayat}] if riwayat else []))
    out = awards.eligibility(results, pegawai, None, _cycle(), riwayat=hist, penghargaan="kenaikan_pangkat_pilihan")
    row = out.set_index("nip").loc[_nip(1)]
    assert bool(row["layak"]) is eligible
    assert f"predikat 2 periode Tahunan terakhir minimal Baik ({reason})" in row["alasan"]


@pytest.mark.parametrize("status, eligible, waiting", [("ditetapkan", True, False), ("sementara", False, True),
                                                        (None, False, True)])
def test_only_a_decided_predikat_makes_anyone_eligible(status, eligible, waiting):
    """A predikat resting on the 360 suggestion (or of unknown status) never makes anyone eligible: the person
    who meets every other condition is listed as waiting for the Pejabat Penilai's decision instead."""
    results, pegawai = _frames([{"nip": _nip(1), "predikat": "Sangat Baik", "status": status}])
    out = awards.eligibility(results, pegawai, None, _cycle())
    assert (bool(out.loc[0, "layak"]), bool(out.loc[0, "menunggu_penetapan"])) == (eligible, waiting)
    assert ("menunggu penetapan" in out.loc[0, "alasan"]) is waiting


def test_shortlist_lists_the_people_waiting_for_a_decision_with_their_pejabat_penilai():
    """Waiting people are not ranked; they appear in ``menunggu`` with who must decide, counted in the settings."""
    people = _unit(12) + [{"nip": _nip(50), "skor": 4.9, "predikat": "Sangat Baik", "status": "sementara"}]
    results, pegawai = _frames(people)
    pegawai["atasan_nip"] = _nip(0)
    short = awards.shortlist(results, pegawai, None, _cycle(), k=3, n_sim=200)
    assert _nip(50) not in set(short.table["nip"])
    assert short.menunggu["nip"].tolist() == [_nip(50)]
    assert short.menunggu["pejabat_penilai"].tolist() == [f"Pegawai 000 ({_nip(0)})"]
    assert short.settings["jumlah_menunggu_penetapan"] == 1


def test_follow_up_and_talent_pool_ignore_provisional_predikat():
    """A provisional Sangat Kurang calls for no follow-up; a provisional Sangat Baik puts nobody in the talent pool."""
    results, pegawai = _frames([{"nip": _nip(1), "predikat": "Sangat Kurang", "status": "sementara"},
                                {"nip": _nip(2), "predikat": "Sangat Kurang"},
                                {"nip": _nip(3), "predikat": "Sangat Baik", "status": "sementara"}])
    assert awards.follow_up_list(results, pegawai, _cycle())["nip"].tolist() == [_nip(2)]
    waiting = awards.pending_decisions(results, pegawai)
    assert waiting["nip"].tolist() == [_nip(1), _nip(3)] and "predikat" not in waiting
    history = awards.history_with_current(results, None, _cycle())
    assert history["nip"].tolist() == [_nip(2)]
    potensi = pd.DataFrame({"nip": [_nip(3)], "tanggal": ["2026-06-30"], "kategori": ["tinggi"]})
    box = awards.nine_box(history, potensi, pegawai=pegawai, menunggu=waiting["nip"]).set_index("nip")
    assert pd.isna(box.loc[_nip(3), "kotak"]) and not box.loc[_nip(3), "kelompok_talenta"]
    assert "menunggu penetapan" in box.loc[_nip(3), "keterangan"]


# --- ranking --------------------------------------------------------------------------------------

SETTINGS_REKAN_ONLY = {"bobot": {"atasan": 0.0, "rekan": 1.0, "bawahan": 0.0, "lainnya": 0.0},
                       "minimal_penilai": {"rekan": 2}, "izinkan_minimal_di_bawah_3": True}


@pytest.mark.parametrize("path", ["mentah", "disesuaikan"])
def test_two_raters_with_a_perfect_score_rank_below_twelve_raters_slightly_lower(path):
    """Thin evidence is shrunk more: 5.0 from 2 raters ranks below 4.8 from 12 raters in the same unit."""
    few = {"nip": _nip(901), "skor": 5.0, "n_rekan": 2, "nama": "Sedikit Penilai"}
    many = {"nip": _nip(902), "skor": 4.8, "n_rekan": 12, "nama": "Banyak Penilai"}
    if path == "disesuaikan":  # bias-adjusted score with its own SE (0.6 / sqrt(n))
        few.update(skor_adj=5.0, skor_adj_se=0.6 / np.sqrt(2))
        many.update(skor_adj=4.8, skor_adj_se=0.6 / np.sqrt(12))
    results, pegawai = _frames(_unit(30, n_rekan=5) + [few, many])
    out = awards.shortlist(results, pegawai, None, _cycle(**SETTINGS_REKAN_ONLY), k=1, n_sim=4000, seed=1)
    top = out.table.set_index("nip")
    assert top.loc[_nip(902), "peringkat"] == 1
    assert top.loc[_nip(901), "peringkat"] == 2
    assert top.loc[_nip(902), "p_k_teratas"] > top.loc[_nip(901), "p_k_teratas"]
    assert top.loc[_nip(901), "sd_posterior"] > top.loc[_nip(902), "sd_posterior"]


def test_with_equal_evidence_the_higher_score_ranks_first():
    """Control for the shrinkage test: with 12 raters each, 5.0 ranks above 4.8."""
    results, pegawai = _frames(_unit(30, n_rekan=5) + [{"nip": _nip(901), "skor": 5.0, "n_rekan": 12},
                                                        {"nip": _nip(902), "skor": 4.8, "n_rekan": 12}])
    out = awards.shortlist(results, pegawai, None, _cycle(**SETTINGS_REKAN_ONLY), k=1, n_sim=500)
    assert out.table["nip"].head(2).tolist() == [_nip(901), _nip(902)]


def test_raw_score_se_comes_from_rater_counts_and_weights():
    """SE of the raw score = sd * sqrt(sum w^2/n) / sum w over the shown non-self groups."""
    base = pd.DataFrame({"skor": [4.0], "skor_adj": [np.nan], "skor_adj_se": [np.nan],
                         "kelompok_tampil": ["diri,atasan,rekan"], "n_diri": [1], "n_atasan": [1], "n_rekan": [4],
                         "n_bawahan": [5], "n_lainnya": [0]})
    out = awards.score_and_se(base, {"bobot": {"atasan": 0.4, "rekan": 0.3, "bawahan": 0.2, "lainnya": 0.1}}, 0.6)
    expected = 0.6 * np.sqrt(0.4 ** 2 / 1 + 0.3 ** 2 / 4) / 0.7  # bawahan not shown: dropped, weights renormalised
    assert out.loc[0, "se"] == pytest.approx(expected)
    assert (out.loc[0, "skor_dipakai"], out.loc[0, "sumber_skor"]) == (4.0, "skor")


def test_between_person_variance_is_recovered_by_method_of_moments():
    """On data simulated with tau^2 = 0.09 and omega^2 = 0.04, the estimates land near the truth."""
    rng = np.random.default_rng(7)
    units = np.repeat(np.arange(300), 12)
    mu = rng.normal(3.5, 0.2, 300)[units]
    theta = mu + rng.normal(0, 0.3, len(units))
    se = rng.uniform(0.1, 0.4, len(units))
    y = theta + rng.normal(0, se)
    _, _, _, fit = awards.eb_posterior(y, se, units)
    assert fit.tau2 == pytest.approx(0.09, abs=0.01)
    assert fit.omega2 == pytest.approx(0.04, abs=0.012)


def test_posterior_matches_numerical_integration_widened_for_the_estimated_prior():
    """The posterior mean equals prior x likelihood integrated on a grid (independent oracle); its variance is
    the grid's, widened by Morris (1983) for having estimated the prior from the k people of the unit:
    s2 (1 - (k - 1)/k B) + 2/(k - 3) B^2 (y - prior)^2, B = s2 / (s2 + tau2), whose first term is the grid
    variance s2 (1 - B) plus s2 B / k."""
    rng = np.random.default_rng(3)
    units = np.repeat(["A", "B", "C"], 15)
    y = rng.normal(3.6, 0.4, len(units)) + np.repeat([0.0, 0.3, -0.3], 15)
    se = rng.uniform(0.1, 0.5, len(units))
    mean, sd, prior, fit = awards.eb_posterior(y, se, units)
    assert fit.omega2 > 0   # units differ: each unit's 15 people estimated its prior
    grid = np.linspace(0, 7, 70001)
    for i in (0, 20, 44):
        dens = norm.pdf(grid, prior[i], np.sqrt(fit.tau2)) * norm.pdf(y[i], grid, se[i])
        dens /= dens.sum()
        m = (grid * dens).sum()
        plug_in = ((grid - m) ** 2 * dens).sum()
        b, k = se[i] ** 2 / (se[i] ** 2 + fit.tau2), 15
        widened = plug_in + se[i] ** 2 * b / k + 2 / (k - 3) * b * b * (y[i] - prior[i]) ** 2
        assert (mean[i], sd[i] ** 2) == pytest.approx((m, widened), abs=1e-4)
        assert sd[i] > np.sqrt(plug_in)


def test_probability_of_top_one_matches_the_normal_difference():
    """For two candidates, P(A first) = Phi((mA - mB) / sqrt(sA^2 + sB^2))."""
    p, lower, upper = awards.simulate_ranks(np.array([4.2, 4.0]), np.array([0.2, 0.1]), 1, n_sim=20000, seed=5)
    exact = norm.cdf(0.2 / np.sqrt(0.2 ** 2 + 0.1 ** 2))
    assert p == pytest.approx([exact, 1 - exact], abs=0.012)
    assert (lower.tolist(), upper.tolist()) == ([1.0, 1.0], [2.0, 2.0])


def _naive_ranks(mean, sd, k, n_sim, seed):
    """Reference: one stable argsort per draw (ties to the earlier candidate), same random stream."""
    draws = mean + sd * np.random.default_rng(seed).standard_normal((n_sim, len(mean)))
    ranks = np.empty(draws.shape, dtype=int)
    for r, row in enumerate(draws):
        ranks[r, np.argsort(-row, kind="stable")] = np.arange(1, len(mean) + 1)
    return (ranks <= k).mean(axis=0), np.percentile(ranks, [5, 95], axis=0, method="inverted_cdf")


def test_fast_rank_simulation_equals_the_plain_argsort_reference():
    """Sorting once and counting (with ties to the earlier candidate) gives exactly the argsort ranks."""
    mean = np.array([4.0, 4.0, 3.9, 3.9, 3.9, 3.5, 3.8, 4.1])
    sd = np.array([0.0, 0.0, 0.1, 0.0, 0.0, 0.3, 0.05, 0.2])   # zero SDs force exact ties
    p, lower, upper = awards.simulate_ranks(mean, sd, 3, n_sim=300, seed=11)
    p_ref, (lo_ref, hi_ref) = _naive_ranks(mean, sd, 3, 300, 11)
    assert (p.tolist(), lower.tolist(), upper.tolist()) == (p_ref.tolist(), lo_ref.tolist(), hi_ref.tolist())


@pytest.mark.parametrize("untracked_tie", [False, True])
def test_rank_simulation_of_the_tracked_candidates_equals_the_argsort_reference(untracked_tie):
    """Continuous draws (one binary search per candidate) and rows tied only among untracked candidates (the
    argsort fallback) both give the reference ranks of the first ``track`` candidates."""
    rng = np.random.default_rng(5)
    mean, sd = rng.normal(3.5, 0.2, 40), rng.uniform(0.05, 0.3, 40)
    if untracked_tie:
        mean[-2:], sd[-2:] = 3.5, 0.0
    p, lower, upper = awards.simulate_ranks(mean, sd, 5, n_sim=200, seed=3, track=15)
    p_ref, (lo_ref, hi_ref) = _naive_ranks(mean, sd, 5, 200, 3)
    assert p.tolist() == p_ref.tolist()
    assert (lower[:15].tolist(), upper[:15].tolist()) == (lo_ref[:15].tolist(), hi_ref[:15].tolist())
    assert np.isnan(lower[15:]).all() and np.isnan(upper[15:]).all()


def test_unit_quota_skips_units_already_full():
    """With a quota of 1 per unit the second-best of a full unit gives way to the next unit's best."""
    units = np.array(["A", "A", "B", "B"])
    p, _, _ = awards.simulate_ranks(np.array([4.0, 3.9, 3.8, 3.7]), np.zeros(4), 2, units=units, quota=1, n_sim=100)
    assert p.tolist() == [1.0, 0.0, 1.0, 0.0]
    assert ranking._select(units, 2, 1).tolist() == [True, False, True, False]


def test_quota_applies_to_the_shortlist():
    """kuota_per_unit limits the chosen per OPD; the rest stay listed as reserves."""
    people = (_unit(10, start=0, unit="Dinas A / Bidang 1", n_rekan=8)
              + [{"nip": _nip(50), "skor": 3.0, "unit": "Dinas B / Bidang 1", "n_rekan": 8}])
    results, pegawai = _frames(people)
    out = awards.shortlist(results, pegawai, None, _cycle(), k=3, kuota_per_unit=2, n_sim=200)
    chosen = out.table[out.table["terpilih"]]
    assert sorted(chosen["opd"].value_counts().to_dict().items()) == [("Dinas A", 2), ("Dinas B", 1)]


def test_tie_rule_orders_equal_candidates_and_the_simulation_follows_it():
    """Equal posteriors are ordered by the declared rule: longer service first, then NIP."""
    people = [{"nip": _nip(i), "skor": 4.0, "n_rekan": 5, "tmt": tmt}
              for i, tmt in [(3, "2012-01-01"), (1, "2010-01-01"), (2, "2010-01-01")]]
    results, pegawai = _frames(people)
    out = awards.shortlist(results, pegawai, None, _cycle(), k=2, n_sim=200)
    assert out.table["nip"].tolist() == [_nip(1), _nip(2), _nip(3)]
    assert out.table["p_k_teratas"].tolist() == [1.0, 1.0, 0.0]   # identical scores: tau^2 = 0, no spread
    assert "masa kerja lebih lama" in out.settings["aturan_seri"]


def test_eligible_people_without_a_score_are_listed_unranked():
    """Kenaikan pangkat pilihan needs no 360 score: such candidates are listed last, not ranked."""
    results, pegawai = _frames([{"nip": _nip(1), "skor": 4.0}, {"nip": _nip(2), "skor": np.nan, "tampil": ""}])
    hist = pd.DataFrame({"nip": [_nip(1), _nip(2)], "cycle_id": 1, "nama_siklus": "Tahunan 2025",
                         "periode": "Tahunan", "tanggal_selesai": "2025-12-31", "predikat": "Baik"})
    out = awards.shortlist(results, pegawai, None, _cycle(), riwayat=hist, penghargaan="kenaikan_pangkat_pilihan",
                           k=1, n_sim=100)
    assert out.table["nip"].tolist() == [_nip(1), _nip(2)]
    assert pd.isna(out.table.loc[1, "peringkat"])
    assert out.table.loc[1, "alasan"].endswith("Catatan: tanpa skor 360, tidak diperingkat")


# --- follow-up list -------------------------------------------------------------------------------

@pytest.mark.parametrize("predikat, jenis, tindakan, review, window", [
    ("Butuh Perbaikan", "JF", "Bimbingan dan konseling kinerja oleh atasan langsung", False, None),
    # pelaksana are pejabat administrasi (UU 5/2014 Pasal 14): PP 30/2019 applies to them too
    ("Kurang/Misconduct", "Pelaksana", "Bimbingan dan konseling kinerja; telaah dugaan pelanggaran disiplin",
     True, ("2026-12-31", "2027-06-30")),
    ("Kurang/Misconduct", "Pengawas", "Bimbingan dan konseling kinerja; telaah dugaan pelanggaran disiplin",
     True, ("2026-12-31", "2027-06-30")),
    ("Sangat Kurang", "Administrator",
     "Bimbingan dan konseling kinerja intensif dengan rencana perbaikan tertulis", False,
     ("2026-12-31", "2027-06-30")),
    ("Sangat Kurang", "JF", "Bimbingan dan konseling kinerja intensif dengan rencana perbaikan tertulis", False,
     ("2026-12-31", "2027-06-30")),
    ("Sangat Kurang", "JPT Pratama",
     "Bimbingan dan konseling kinerja intensif dengan rencana perbaikan tertulis", False, None),
])
def test_follow_up_action_and_pp30_window(predikat, jenis, tindakan, review, window):
    """Each low decided predikat gets its follow-up; pejabat administrasi (pelaksana included) and fungsional get
    the 6-month PP 30/2019 window; JPT only when their Rating Hasil Kerja is Di Bawah (UU 5/2014 Pasal 118)."""
    results, pegawai = _frames([{"nip": _nip(1), "predikat": predikat, "jenis_jabatan": jenis},
                                {"nip": _nip(2), "predikat": "Baik"}])
    out = awards.follow_up_list(results, pegawai, _cycle())
    assert out["nip"].tolist() == [_nip(1)]
    row = out.iloc[0]
    assert (row["tindakan"], bool(row["tinjauan_disiplin"]), row["tenggat_tindak_lanjut"]) == \
        (tindakan, review, "2027-01-31")
    got = (row["masa_perbaikan_mulai"], row["masa_perbaikan_selesai"]) if row["masa_perbaikan"] else None
    assert got == window


@pytest.mark.parametrize("hasil, window", [("Di Bawah Ekspektasi", ("2026-12-31", "2027-06-30")),
                                           ("Sesuai Ekspektasi", None)])
def test_jpt_improvement_window_follows_their_rating_hasil_kerja(hasil, window):
    """UU 5/2014 Pasal 118: a JPT whose performance agreement is not met (Rating Hasil Kerja Di Bawah) gets 6 months."""
    results, pegawai = _frames([{"nip": _nip(1), "predikat": "Butuh Perbaikan" if hasil.startswith("Di Bawah")
                                 else "Kurang/Misconduct", "jenis_jabatan": "JPT Madya", "hasil": hasil}])
    row = awards.follow_up_list(results, pegawai, _cycle()).iloc[0]
    got = (row["masa_perbaikan_mulai"], row["masa_perbaikan_selesai"]) if row["masa_perbaikan"] else None
    assert got == window


@pytest.mark.parametrize("start, months, expected", [
    ("2026-12-31", 6, "2027-06-30"), ("2026-06-30", 6, "2026-12-30"), ("2026-08-31", 6, "2027-02-28"),
    ("2027-08-31", 6, "2028-02-29"), ("2026-01-15", 1, "2026-02-15"),
])
def test_add_months_clamps_to_month_end(start, months, expected):
    """Calendar months are added, the day clamped to the last day of a shorter month."""
    assert awards.add_months(start, months).isoformat() == expected


# --- database loader ------------------------------------------------------------------------------

def test_load_inputs_reads_history_opd_and_decisions(open_cycle_db):
    """The loader derives OPD through the unit tree, history predikat from both ratings, and decisions."""
    from kinerja_lib.cycle import close_cycle, open_cycle

    db = open_cycle_db
    stamp = "2026-01-01T00:00:00+00:00"
    db["unit"].insert_all([{"id": "Dinas X", "nama": "Dinas X", "induk_id": None, "jenis": "opd"},
                           {"id": "Dinas X / Bidang Y", "nama": "Bidang Y", "induk_id": "Dinas X", "jenis": "bidang"}])
    db["pegawai"].insert_all([{"nip": _nip(i), "nama": f"P{i}", "jenis_kelamin": "P", "unit_id": "Dinas X / Bidang Y",
                               "jabatan": "Analis", "jenis_jabatan": "JF", "tingkat": 2, "golongan": "III/a",
                               "tmt_cpns": "2010-01-01", "aktif": 1, "diperbarui": stamp} for i in (1, 2)])
    old = open_cycle(db, "Tahunan 2025", "Tahunan", 2025, "2025-01-01", "2025-12-31")
    close_cycle(db, old.id)
    for table, rating in (("rating_hasil_kerja", "Di Atas Ekspektasi"), ("rating_perilaku", "Di Bawah Ekspektasi")):
        db[table].insert({"cycle_id": old.id, "nip": _nip(1), "rating": rating, "sumber": "impor",
                          "diperbarui": stamp})
    db["rating_perilaku"].insert({"cycle_id": 1, "nip": _nip(2), "rating": "Sesuai Ekspektasi", "sumber": "impor",
                                  "diperbarui": stamp})
    results, _ = _frames([{"nip": _nip(1)}, {"nip": _nip(2)}])
    inputs = records.award_inputs(db, 1, results=results)
    assert inputs.riwayat[["nip", "nama_siklus", "predikat"]].values.tolist() == \
        [[_nip(1), "Tahunan 2025", "Kurang/Misconduct"]]
    assert inputs.pegawai["opd"].tolist() == ["Dinas X", "Dinas X"]
    assert inputs.results["status_predikat"].tolist() == ["sementara", "ditetapkan"]


def test_award_lists_use_stored_scores_only_while_no_form_changed_since(tmp_path):
    """Stored scores behind the forms (a form reopened after `kinerja score`) are not ranked: the lists score the
    cycle in memory, say so in their settings and on the printed page, and write nothing; current stored scores
    are used as they are, with their run named."""
    from kinerja_lib import form_service, links
    from kinerja_lib.awards.export import shortlist_html
    from kinerja_lib.demo import generate_demo
    from kinerja_lib.scoring import run_scoring
    from kinerja_lib.store import open_db

    db = open_db(tmp_path / "demo.db")
    cycle = generate_demo(db, pegawai=60, seed=5, answers=True, cycles=1).cycle_id
    run_id = run_scoring(db, cycle).run_id
    current = awards.award_report(db, cycle, k=3)
    assert not current.skor_sementara and f"analysis_run #{run_id}" in current.settings["sumber_skor"]
    assert "Skor sementara" not in shortlist_html(current)

    # the busiest ratee's supervisor form reopened: the stored scores are behind the forms
    aid = db.execute("SELECT id FROM assignment WHERE cycle_id = ? AND relation = 'atasan' AND status = 'terkirim' "
                     "ORDER BY id LIMIT 1", [cycle]).fetchone()[0]
    admin = links.resolve(db, links.issue_admin_link(db, cycle).token)
    form_service.reopen(db, admin, aid, "salah isi")
    stored = db.execute("SELECT count(*) FROM hasil_skor WHERE analysis_run_id = ?", [run_id]).fetchone()[0]
    stale = awards.award_report(db, cycle, k=3)
    assert stale.skor_sementara
    assert "sementara" in stale.settings["sumber_skor"] and "tertinggal" in stale.settings["sumber_skor"]
    assert "Skor sementara" in shortlist_html(stale)
    fresh = run_scoring(db, cycle, persist=False).results.set_index("nip")["skor"]
    used = records.award_inputs(db, cycle).results.set_index("nip")["skor"]
    before = hasil.load_results(db, cycle).set_index("nip")["skor"].reindex(used.index)
    assert not np.allclose(before.fillna(-1), used.fillna(-1))   # the reopened form moved someone's score
    pd.testing.assert_series_equal(used.sort_index(), fresh.reindex(used.index).sort_index(), check_names=False)
    assert db.execute("SELECT count(*) FROM hasil_skor WHERE analysis_run_id = ?", [run_id]).fetchone()[0] == stored

    # stored again, then a Pejabat Penilai decides against the 360 suggestion: the stored predikat rests on the
    # suggestion, so the lists (and the reports) score again with the decision
    run_scoring(db, cycle)
    assert not awards.award_report(db, cycle, k=3).skor_sementara
    row = db.execute("SELECT nip, rating_perilaku_saran FROM hasil_skor WHERE cycle_id = ? AND sumber_rating_perilaku "
                     "= 'saran' AND rating_hasil_kerja IS NOT NULL ORDER BY nip LIMIT 1", [cycle]).fetchone()
    other = "Di Bawah Ekspektasi" if row[1] != "Di Bawah Ekspektasi" else "Di Atas Ekspektasi"
    with db.conn:
        db.execute("INSERT INTO rating_perilaku (cycle_id, nip, rating, sumber, diperbarui) "
                   "VALUES (?, ?, ?, 'impor', '2026-12-01T00:00:00+00:00')", [cycle, row[0], other])
    decided = awards.award_report(db, cycle, k=3)
    assert decided.skor_sementara and "rating yang ditetapkan" in decided.settings["sumber_skor"]
    person = records.award_inputs(db, cycle).results.set_index("nip").loc[row[0]]
    assert (person["rating_perilaku"], person["sumber_rating_perilaku"], person["status_predikat"]) == \
        (other, "keputusan", "ditetapkan")
    from kinerja_lib.reports.data import _stored_scores
    assert _stored_scores(db, cycle, [row[0]]) is None
    memory = run_scoring(db, cycle, persist=False)   # notebook 01's note on the stored run says why it is behind
    assert "rating yang ditetapkan sudah berubah" in records.stored_scoring_status(db, cycle, memory.data_version,
                                                                                   memory.method())
    db.close()


def test_rater_means_equal_the_join_grouped_by_form(small_org):
    """Each submitted non-self form's BerAKHLAK mean, as the join grouped by assignment defines it: forms
    without a scored B item, self forms, drafts and inactive forms are left out, in assignment order."""
    from conftest import answer_everything

    db, org = small_org.db, small_org
    answer_everything(db, org)
    aid = org.assignment
    db.execute("UPDATE response SET score = NULL WHERE assignment_id = ? AND item LIKE 'B%'", [aid["andi", "budi"]])
    db.execute("DELETE FROM response WHERE assignment_id = ? AND item LIKE 'B%'", [aid["budi", "citra"]])
    db.execute("UPDATE response SET score = NULL WHERE assignment_id = ? AND item = 'B1.1'", [aid["citra", "andi"]])
    db.execute("UPDATE assignment SET status = 'draf' WHERE id = ?", [aid["kepala", "andi"]])
    db.execute("UPDATE assignment SET aktif = 0, alasan_hapus = 'uji' WHERE id = ?", [aid["kepala", "budi"]])
    expected = db.execute("""
        SELECT a.ratee_nip, a.relation, AVG(r.score) AS m
        FROM assignment a JOIN response r ON r.assignment_id = a.id
        WHERE a.cycle_id = ? AND a.relation <> 'diri' AND a.aktif = 1 AND a.status = 'terkirim'
          AND r.score IS NOT NULL AND r.item LIKE 'B%'
        GROUP BY a.id ORDER BY a.id""", [org.cycle.id]).fetchall()
    got = records.rater_means(db, org.cycle.id)
    assert list(got.columns) == ["ratee_nip", "relation", "m"]
    assert [tuple(r) for r in got.itertuples(index=False)] == [tuple(r) for r in expected]
    assert len(expected) == 8   # 12 non-self forms less 2 without a scored B item, a draft, an inactive one


_MIXED = pd.DataFrame({
    "teks": pd.array(["a", None, "c"], dtype="str"), "objek": pd.Series([None, "q", 1], dtype=object),
    "bulat": [1, 2, 3], "pecahan": [1.5, np.nan, 2.0], "Int64": pd.array([1, None, 3], dtype="Int64"),
    "boolean": pd.array([True, None, False], dtype="boolean"), "bool": [True, False, True],
    "string": pd.array([None, "x", "y"], dtype="string"), "waktu": pd.to_datetime(["2026-01-01", None, "2026-12-31"]),
})


def test_award_frames_read_rows_as_to_dict_and_columns_as_iteration_give_them():
    """records() is DataFrame.to_dict('records'), value for value and type for type; values() gives what iterating
    the column gives (numbers as Python scalars, texts and missing markers unchanged)."""
    from kinerja_lib.awards.frames import records as rows_of, values

    def typed(rows):
        return [[(k, repr(v), type(v)) for k, v in r.items()] for r in rows]

    for frame in (_MIXED, _MIXED.iloc[:0], _MIXED[["teks", "bulat"]]):
        assert typed(rows_of(frame)) == typed(frame.to_dict("records"))
    for name in _MIXED.columns:
        assert [str(v) for v in values(_MIXED[name])] == [str(v) for v in _MIXED[name]]
        if _MIXED[name].dtype.kind not in "biuf":
            assert [type(v) for v in values(_MIXED[name])] == [type(v) for v in _MIXED[name]]
