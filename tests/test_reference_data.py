"""The reference data files load, validate, and reject malformed content with a clear message."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kinerja_lib import reference
from kinerja_lib.config import reference_dir
from kinerja_lib.errors import ReferenceDataError


def test_instrument_has_7_berakhlak_values_of_3_indicators():
    """The instrument is the BerAKHLAK set (starting with Berorientasi Pelayanan), 21 items."""
    inst = reference.load_instrument()
    assert [v.nama for v in inst.values] == ["Berorientasi Pelayanan", "Akuntabel", "Kompeten", "Harmonis",
                                             "Loyal", "Adaptif", "Kolaboratif"]
    assert [len(v.items) for v in inst.values] == [3] * 7
    assert len(set(inst.item_codes)) == 21


def test_competency_dictionary_has_the_nine_38_2017_competencies():
    """8 managerial competencies plus Perekat Bangsa, each with five level descriptors."""
    comps = reference.load_competencies().competencies
    assert [c.nama for c in comps] == ["Integritas", "Kerja Sama", "Komunikasi", "Orientasi pada Hasil",
                                       "Pelayanan Publik", "Pengembangan Diri dan Orang Lain",
                                       "Mengelola Perubahan", "Pengambilan Keputusan", "Perekat Bangsa"]
    assert all(sorted(c.levels) == [1, 2, 3, 4, 5] for c in comps)


@pytest.mark.parametrize(
    "kode, jenjang, level",
    [("JPT Pratama", None, 4), ("Administrator", None, 3), ("Pengawas", None, 2), ("Pelaksana", None, 1),
     ("JF", "Ahli Utama", 4), ("JF", "Ahli Madya", 3), ("JF", "Ahli Muda", 2), ("JF", "Ahli Pertama", 1)],
)
def test_default_required_levels_follow_domain_table(kode, jenjang, level):
    """Default standard levels per jabatan are those of PermenPANRB 38/2017 (configurable)."""
    found = {(j.kode, j.jenjang): j.level_standar for j in reference.load_jabatan_types()}
    assert found[(kode, jenjang)] == level


def test_method_defaults_follow_the_360_method():
    """Rekan and bawahan need 3 raters, atasan and diri 1; self has no weight."""
    m = reference.load_method_defaults()
    assert m["minimal_penilai"] == {"diri": 1, "atasan": 1, "rekan": 3, "bawahan": 3, "lainnya": 3}
    assert "diri" not in m["bobot"]


def test_method_defaults_are_a_fresh_copy_each_time():
    """Changing a returned settings dict never changes the defaults seen by the next caller."""
    reference.load_method_defaults()["minimal_penilai"]["rekan"] = 99
    assert reference.load_method_defaults()["minimal_penilai"]["rekan"] == 3


@pytest.fixture
def ref_copy(tmp_path) -> Path:
    target = tmp_path / "referensi"
    shutil.copytree(reference_dir(), target)
    return target


@pytest.mark.parametrize(
    "filename, old, new, loader, message",
    [
        ("kuadran.yaml", "Di Atas Ekspektasi: Sangat Baik", "Di Atas Ekspektasi: Luar Biasa",
         reference.load_kuadran, "bukan predikat yang dikenal"),
        ("instrumen_berakhlak.yaml", "kode: B1.2", "kode: B1.1", reference.load_instrument, "ganda"),
        ("skala.yaml", '  5: "Jauh di atas ekspektasi"\n', "", reference.load_scale, "label harus tepat"),
        ("distribusi.yaml", "proporsi: 0.70}", "proporsi: 1.70}", reference.load_distribution_guide, "di luar"),
        ("metode.yaml", "  atasan: 0.4", "  diri: 0.1\n  atasan: 0.4", reference.load_method_defaults,
         "tidak boleh diberi bobot"),
    ],
)
def test_malformed_reference_file_is_rejected_with_its_name(ref_copy, filename, old, new, loader, message):
    """A broken data file raises ReferenceDataError naming the file, never loads half."""
    path = ref_copy / filename
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=message) as info:
        loader(ref_copy)
    assert filename in str(info.value)
