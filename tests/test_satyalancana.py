"""Satyalancana Karya Satya: PNS reaching 10/20/30 years of unbroken service in the award period, on the exact day,
never a sedang/berat penalty, CLTN and tiers already received taken into account."""

import pandas as pd
import pytest

from kinerja_lib import awards

NIP = "197001011995031001"


EVER = "1900-01-01"   # an award period starting long ago: every tier ever reached


def _pegawai(tmt, aktif=1, status="PNS"):
    return pd.DataFrame([{"nip": NIP, "nama": "Sri Lestari", "unit_id": "Dinas A / Bidang 1", "jabatan": "Analis",
                          "tmt_cpns": tmt, "aktif": aktif, "status_kepegawaian": status}])


def _penalty(tingkat, mulai="2012-05-01", selesai="2013-04-30"):
    return pd.DataFrame([{"nip": NIP, "tingkat": tingkat, "jenis_hukuman": "teguran", "tanggal_mulai": mulai,
                          "tanggal_selesai": selesai}])


@pytest.mark.parametrize("years", [10, 20, 30])
@pytest.mark.parametrize("acuan_offset, reached", [(-1, False), (0, True), (1, True)])
def test_tier_is_reached_on_the_anniversary_day(years, acuan_offset, reached):
    """N years are complete on the N-th anniversary of TMT CPNS: not the day before, yes on and after."""
    tmt = "1996-03-15"
    day = (pd.Timestamp(1996 + years, 3, 15) + pd.Timedelta(days=acuan_offset)).date()
    out = awards.satyalancana_list(_pegawai(tmt), None, day, sejak=EVER)
    tiers = out["tingkat"].dropna().astype(int).tolist()
    expected = years if reached else (years - 10 or None)
    assert tiers == ([expected] if expected else [])
    if reached:
        assert out.loc[0, "tanggal_capai"] == f"{1996 + years}-03-15"


@pytest.mark.parametrize("acuan, tier", [("2026-02-28", None), ("2026-03-01", 10), ("2028-02-29", 10)])
def test_29_february_turns_over_on_1_march(acuan, tier):
    """A TMT on 29 February completes its years on 1 March of a common year, never a day early."""
    out = awards.satyalancana_list(_pegawai("2016-02-29"), None, acuan, sejak=EVER)
    assert out["tingkat"].dropna().astype(int).tolist() == ([tier] if tier else [])


@pytest.mark.parametrize("penalty, eligible", [
    (None, True),
    (_penalty("ringan"), True),
    (_penalty("sedang"), False),             # long over, still disqualifies: "never"
    (_penalty("berat", "2027-02-01", None), True),   # after the reference date: not yet on record
    (_penalty("berat", "2020-02-01", None), False),
])
def test_any_sedang_or_berat_penalty_ever_disqualifies(penalty, eligible):
    """Reaching the tier is not enough: any sedang/berat penalty up to the reference date disqualifies."""
    out = awards.satyalancana_list(_pegawai("2006-07-01"), penalty, "2026-12-31")
    assert (out.loc[0, "tingkat"], bool(out.loc[0, "layak"])) == (20, eligible)
    assert out.loc[0, "alasan"].startswith("Layak:" if eligible else "Tidak layak: pernah dijatuhi hukuman disiplin")


def test_reason_states_the_dates_and_the_sources():
    """The reason gives unbroken service years, the anniversary, TMT, that the tier is new, and the sources."""
    out = awards.satyalancana_list(_pegawai("2006-07-01"), None, "2026-12-31")
    assert out.loc[0, "alasan"] == (
        "Layak: masa kerja tanpa putus 20 tahun per 2026-12-31; genap 20 tahun pada 2026-07-01 (TMT CPNS "
        "2006-07-01); tingkat ini belum pernah diterima; tidak pernah dijatuhi hukuman disiplin sedang/berat "
        "[UU 20/2009 dan PP 35/2010 (Satyalancana Karya Satya: PNS, masa bakti terus-menerus); PP 94/2021 "
        "(tingkat hukuman disiplin)]")
    assert (out.loc[0, "tingkat_berikut"], out.loc[0, "tanggal_berikut"]) == (30, "2036-07-01")


@pytest.mark.parametrize("tmt, tiers", [("2006-07-01", [20]), ("2005-07-01", []), ("2016-01-01", [10]),
                                        ("2015-12-31", [])])
def test_by_default_only_tiers_reached_in_the_award_year_are_listed(tmt, tiers):
    """Without ``sejak`` the award period is the reference date's calendar year: 21 years of service is no tier."""
    out = awards.satyalancana_list(_pegawai(tmt), None, "2026-12-31")
    assert out["tingkat"].dropna().astype(int).tolist() == tiers


def test_pppk_are_never_listed():
    """Satyalancana Karya Satya is for PNS: a PPPK with the same dates is not on the list."""
    assert awards.satyalancana_list(_pegawai("2006-07-01", status="PPPK"), None, "2026-12-31").empty


@pytest.mark.parametrize("mode, tiers, start", [("memutus", [], None), ("dikurangkan", [20], "2006-08-01")])
def test_cltn_breaks_or_shortens_unbroken_service(tmp_path, mode, tiers, start):
    """A month of CLTN in 2010: 'memutus' restarts the count (4 years in 2026: nothing), 'dikurangkan' moves
    the 20-year anniversary by the 31 days of leave (still in 2026)."""
    rules = awards.load_rules()
    cfg = {**rules.satyalancana, "cltn": mode}
    from dataclasses import replace
    rules = replace(rules, satyalancana=cfg)
    cltn = pd.DataFrame([{"nip": NIP, "tanggal_mulai": "2010-03-01", "tanggal_selesai": "2010-03-31"}])
    out = awards.satyalancana_list(_pegawai("2006-07-01"), None, "2026-12-31", cltn=cltn, rules=rules)
    assert out["tingkat"].dropna().astype(int).tolist() == tiers
    if start:
        assert out.loc[0, "mulai_tanpa_putus"] == start


def test_on_cltn_at_the_reference_date_is_not_listed():
    """Someone on CLTN (no end date) is not in service and not listed."""
    cltn = pd.DataFrame([{"nip": NIP, "tanggal_mulai": "2026-10-01", "tanggal_selesai": None}])
    assert awards.satyalancana_list(_pegawai("2006-07-01"), None, "2026-12-31", cltn=cltn).empty


def test_a_tier_already_received_is_not_awarded_again():
    """Back from CLTN, 10 unbroken years again: the 10-year tier received before is listed as not eligible."""
    cltn = pd.DataFrame([{"nip": NIP, "tanggal_mulai": "2014-01-01", "tanggal_selesai": "2015-12-31"}])
    got = pd.DataFrame([{"nip": NIP, "tingkat": 10, "tahun": 2012}])
    out = awards.satyalancana_list(_pegawai("2001-01-01"), None, "2026-12-31", cltn=cltn, diterima=got)
    assert (int(out.loc[0, "tingkat"]), bool(out.loc[0, "layak"])) == (10, False)
    assert "Satyalancana 10 tahun sudah diterima (2012)" in out.loc[0, "alasan"]


@pytest.mark.parametrize("sejak, tiers", [(None, [20]), ("2025-12-31", [20]), ("2026-07-01", []), (EVER, [20])])
def test_since_limits_the_list_to_tiers_reached_in_the_window(sejak, tiers):
    """With ``sejak`` only tiers reached after that day (up to the reference date) are listed."""
    out = awards.satyalancana_list(_pegawai("2006-07-01"), None, "2026-12-31", sejak=sejak)
    assert out["tingkat"].dropna().astype(int).tolist() == tiers


def test_missing_tmt_and_inactive_pegawai():
    """No TMT CPNS: listed as not computable; inactive pegawai are not listed."""
    out = awards.satyalancana_list(_pegawai(None), None, "2026-12-31")
    assert (bool(out.loc[0, "layak"]), out.loc[0, "alasan"]) == \
        (False, "TMT CPNS tidak tercatat; masa kerja tidak dapat dihitung")
    assert awards.satyalancana_list(_pegawai("1990-01-01", aktif=0), None, "2026-12-31").empty
