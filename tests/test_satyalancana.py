"""Satyalancana Karya Satya: 10/20/30 years from TMT CPNS on the exact day, never a sedang/berat penalty."""

import pandas as pd
import pytest

from kinerja_lib import awards

NIP = "197001011995031001"


def _pegawai(tmt, aktif=1):
    return pd.DataFrame([{"nip": NIP, "nama": "Sri Lestari", "unit_id": "Dinas A / Bidang 1", "jabatan": "Analis",
                          "tmt_cpns": tmt, "aktif": aktif}])


def _penalty(tingkat, mulai="2012-05-01", selesai="2013-04-30"):
    return pd.DataFrame([{"nip": NIP, "tingkat": tingkat, "jenis_hukuman": "teguran", "tanggal_mulai": mulai,
                          "tanggal_selesai": selesai}])


@pytest.mark.parametrize("years", [10, 20, 30])
@pytest.mark.parametrize("acuan_offset, reached", [(-1, False), (0, True), (1, True)])
def test_tier_is_reached_on_the_anniversary_day(years, acuan_offset, reached):
    """N years are complete on the N-th anniversary of TMT CPNS: not the day before, yes on and after."""
    tmt = "1996-03-15"
    day = (pd.Timestamp(1996 + years, 3, 15) + pd.Timedelta(days=acuan_offset)).date()
    out = awards.satyalancana_list(_pegawai(tmt), None, day)
    tiers = out["tingkat"].dropna().astype(int).tolist()
    expected = years if reached else (years - 10 or None)
    assert tiers == ([expected] if expected else [])
    if reached:
        assert out.loc[0, "tanggal_capai"] == f"{1996 + years}-03-15"


@pytest.mark.parametrize("acuan, tier", [("2026-02-28", None), ("2026-03-01", 10), ("2028-02-29", 10)])
def test_29_february_turns_over_on_1_march(acuan, tier):
    """A TMT on 29 February completes its years on 1 March of a common year, never a day early."""
    out = awards.satyalancana_list(_pegawai("2016-02-29"), None, acuan)
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


def test_reason_states_the_dates_and_the_unbroken_service_assumption():
    """The reason gives service years, the anniversary, TMT and that breaks are not recorded."""
    out = awards.satyalancana_list(_pegawai("2006-07-01"), None, "2026-12-31")
    assert out.loc[0, "alasan"] == (
        "Layak: masa kerja 20 tahun per 2026-12-31; genap 20 tahun pada 2026-07-01 sejak TMT CPNS 2006-07-01 "
        "(dianggap tanpa putus: jeda masa kerja tidak tercatat); tidak pernah dijatuhi hukuman disiplin "
        "sedang/berat [UU 20/2009 dan PP 35/2010 (Satyalancana Karya Satya); PP 94/2021 (tingkat hukuman disiplin)]")
    assert (out.loc[0, "tingkat_berikut"], out.loc[0, "tanggal_berikut"]) == (30, "2036-07-01")


@pytest.mark.parametrize("sejak, tiers", [(None, [20]), ("2025-12-31", [20]), ("2026-07-01", [])])
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
