"""The kuadran kinerja and the SE MenPANRB 3/2023 distribution rules."""

import pytest

from kinerja_lib import check_distribution, predikat_kinerja

ATAS, SESUAI, BAWAH = "Di Atas Ekspektasi", "Sesuai Ekspektasi", "Di Bawah Ekspektasi"


@pytest.mark.parametrize(
    "hasil, perilaku, expected",
    [
        (ATAS, BAWAH, "Kurang/Misconduct"),
        (ATAS, SESUAI, "Baik"),
        (ATAS, ATAS, "Sangat Baik"),
        (SESUAI, BAWAH, "Kurang/Misconduct"),
        (SESUAI, SESUAI, "Baik"),
        (SESUAI, ATAS, "Baik"),
        (BAWAH, BAWAH, "Sangat Kurang"),
        (BAWAH, SESUAI, "Butuh Perbaikan"),
        (BAWAH, ATAS, "Butuh Perbaikan"),
    ],
)
def test_kuadran_cell_gives_the_regulation_label(hasil, perilaku, expected):
    """Each of the 9 kuadran cells maps to the exact PermenPANRB 6/2022 label."""
    assert predikat_kinerja(hasil, perilaku) == expected


@pytest.mark.parametrize("hasil, perilaku", [("Baik", SESUAI), (SESUAI, "di atas ekspektasi"), (None, SESUAI)])
def test_kuadran_rejects_unknown_rating(hasil, perilaku):
    """A rating outside the three labels is an error, never a guess."""
    with pytest.raises(ValueError, match="tidak dikenal"):
        predikat_kinerja(hasil, perilaku)


def _unit(**counts):
    out = []
    for label, n in counts.items():
        out += [{"SB": "Sangat Baik", "B": "Baik", "BP": "Butuh Perbaikan",
                 "K": "Kurang/Misconduct", "SK": "Sangat Kurang"}[label]] * n
    return out


# (organisation predikat, unit composition, rules expected broken as (predikat, batas) pairs)
CASES = [
    # Istimewa: Sangat Baik <= 70%
    ("Istimewa", _unit(SB=7, B=3), []),
    ("Istimewa", _unit(SB=71, B=29), [(("Sangat Baik",), "paling_banyak")]),
    # Baik: Baik <= 70% and at least one Butuh Perbaikan or Kurang/Misconduct
    ("Baik", _unit(SB=2, B=7, BP=1), []),
    ("Baik", _unit(SB=1, B=8, BP=1), [(("Baik",), "paling_banyak")]),
    ("Baik", _unit(SB=3, B=7), [(("Butuh Perbaikan", "Kurang/Misconduct"), "paling_sedikit")]),
    ("Baik", _unit(SB=3, B=6, K=1), []),
    # Butuh Perbaikan: BP >= 60%, SB <= 10%
    ("Butuh Perbaikan", _unit(BP=6, B=3, SB=1), []),
    ("Butuh Perbaikan", _unit(BP=59, B=41), [(("Butuh Perbaikan",), "paling_sedikit")]),
    ("Butuh Perbaikan", _unit(BP=60, B=29, SB=11), [(("Sangat Baik",), "paling_banyak")]),
    # Kurang: K >= 60%, BP >= 10%, SB <= 10%
    ("Kurang", _unit(K=6, BP=1, B=2, SB=1), []),
    ("Kurang", _unit(K=59, BP=11, B=30), [(("Kurang/Misconduct",), "paling_sedikit")]),
    ("Kurang", _unit(K=61, BP=9, B=30), [(("Butuh Perbaikan",), "paling_sedikit")]),
    ("Kurang", _unit(K=60, BP=10, B=19, SB=11), [(("Sangat Baik",), "paling_banyak")]),
    # Sangat Kurang: SK >= 60%, K + BP >= 10%, no Sangat Baik
    ("Sangat Kurang", _unit(SK=6, K=1, B=3), []),
    ("Sangat Kurang", _unit(SK=59, BP=10, B=31), [(("Sangat Kurang",), "paling_sedikit")]),
    ("Sangat Kurang", _unit(SK=61, K=5, BP=5, B=29), []),
    ("Sangat Kurang", _unit(SK=61, K=4, BP=4, B=31), [(("Kurang/Misconduct", "Butuh Perbaikan"), "paling_sedikit")]),
    ("Sangat Kurang", _unit(SK=60, K=10, B=29, SB=1), [(("Sangat Baik",), "paling_banyak")]),
]


@pytest.mark.parametrize("organisasi, pegawai, broken", CASES)
def test_distribution_rule_on_each_side_of_its_threshold(organisasi, pegawai, broken):
    """Every rule of SE MenPANRB 3/2023 fires just past its threshold and stays quiet at it."""
    got = [(v.predikat, v.batas) for v in check_distribution(organisasi, pegawai)]
    assert got == broken


def test_distribution_violation_reports_required_and_actual_share():
    """A violation carries the rule, the required share and the actual share and count."""
    (v,) = check_distribution("Istimewa", _unit(SB=8, B=2))
    assert (v.rule, v.required_share, v.actual_share, v.actual_count, v.total) == (
        "Sangat Baik paling banyak 70%", 0.70, 0.8, 8, 10)
    assert "8 dari 10 pegawai (80,0%)" in v.message()


def test_distribution_rejects_unknown_labels():
    """Unknown organisation or employee predikat raise instead of passing silently."""
    with pytest.raises(ValueError):
        check_distribution("Luar Biasa", ["Baik"])
    with pytest.raises(ValueError):
        check_distribution("Baik", ["Bagus"])
