"""Talent 9-box (PermenPANRB 3/2020): kinerja from the predikat history x potensi, talent pool 7-9."""

import dataclasses

import pandas as pd
import pytest

from kinerja_lib import awards

NIP = "198505052010012001"


def _history(*predikat):
    """History rows, newest first, one per annual cycle."""
    return pd.DataFrame([{"nip": NIP, "cycle_id": 10 - i, "nama_siklus": f"Tahunan {2026 - i}", "periode": "Tahunan",
                          "tanggal_selesai": f"{2026 - i}-12-31", "predikat": p} for i, p in enumerate(predikat)])


def _potensi(*rows):
    return pd.DataFrame([{"nip": NIP, "tanggal": t, "kategori": k} for t, k in rows])


@pytest.mark.parametrize("predikat, potensi, box, pool", [
    ("Sangat Baik", "tinggi", 9, True),
    ("Baik", "tinggi", 8, True),
    ("Sangat Baik", "menengah", 7, True),
    ("Butuh Perbaikan", "tinggi", 6, False),
    ("Baik", "menengah", 5, False),
    ("Sangat Baik", "rendah", 4, False),
    ("Kurang/Misconduct", "menengah", 3, False),
    ("Baik", "rendah", 2, False),
    ("Sangat Kurang", "rendah", 1, False),
])
def test_each_box_of_the_grid(predikat, potensi, box, pool):
    """Latest predikat x latest potensi gives the box of DOMAIN.md; boxes 7-9 form the talent pool."""
    out = awards.nine_box(_history(predikat), _potensi(("2026-06-30", potensi)))
    assert (int(out.loc[0, "kotak"]), bool(out.loc[0, "kelompok_talenta"])) == (box, pool)


def test_latest_potensi_on_or_before_the_reference_date_is_used():
    """Of several assessments the newest counts, ignoring any after the reference date."""
    pot = _potensi(("2024-01-10", "rendah"), ("2026-06-30", "tinggi"), ("2027-03-01", "menengah"))
    out = awards.nine_box(_history("Baik"), pot, tanggal_acuan="2026-12-31")
    assert (out.loc[0, "potensi"], out.loc[0, "tanggal_potensi"], int(out.loc[0, "kotak"])) == \
        ("tinggi", "2026-06-30", 8)


@pytest.mark.parametrize("history, axis", [
    (("Sangat Baik", "Baik", "Sangat Kurang"), "sesuai"),        # mean 2.5 rounds down; the third is ignored
    (("Sangat Baik", "Sangat Baik", "Sangat Kurang"), "di atas"),
    (("Sangat Baik", "Butuh Perbaikan"), "sesuai"),              # mean 2.0
    (("Baik", "Sangat Kurang"), "di bawah"),                     # mean 1.5 rounds down
    (("Sangat Baik",), "di atas"),                               # only one period on record
])
def test_kinerja_axis_over_two_periods(history, axis):
    """With jumlah_periode = 2 the axis is the mean code of the last two predikat, halves rounded down."""
    rules = dataclasses.replace(awards.load_rules(), jumlah_periode_kinerja=2)
    out = awards.nine_box(_history(*history), _potensi(("2026-06-30", "tinggi")), rules=rules)
    assert out.loc[0, "kinerja"] == axis


def test_people_without_potensi_or_predikat_get_no_box_and_a_reason():
    """A missing axis leaves the box empty and says which assessment is missing."""
    pegawai = pd.DataFrame({"nip": [NIP, "199001012015011001"], "nama": ["A", "B"], "aktif": [1, 1]})
    out = awards.nine_box(_history("Baik"), None, pegawai=pegawai).set_index("nip")
    assert out["keterangan"].to_dict() == {
        NIP: "potensi belum dinilai",
        "199001012015011001": "predikat kinerja belum tercatat; potensi belum dinilai",
    }
    assert out["kotak"].isna().all()


def test_nobody_decided_yet_gives_no_box_and_no_error():
    """Before any Pejabat Penilai decision the history is empty: everyone is listed without a box."""
    from kinerja_lib import awards

    empty = pd.DataFrame(columns=["nip", "cycle_id", "nama_siklus", "periode", "tanggal_selesai", "predikat"])
    pegawai = pd.DataFrame({"nip": ["199001012015011001"], "nama": ["A"], "unit_id": ["Dinas"], "jabatan": ["Staf"],
                            "aktif": [1]})
    out = awards.nine_box(empty, None, pegawai=pegawai)
    assert out["kotak"].isna().all() and "predikat kinerja belum tercatat" in out.loc[0, "keterangan"]
