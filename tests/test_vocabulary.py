"""One vocabulary of codes: kosakata.yaml is what the program reads, and the schema's CHECKs agree with it."""

from __future__ import annotations

import re
import shutil

import pytest

from kinerja_lib import reference, store
from kinerja_lib.config import reference_dir
from kinerja_lib.errors import ReferenceDataError
from kinerja_lib.store import open_db
from kinerja_lib.vocabulary import VOCAB, Vocabulary, load_vocabulary

# Which code set each column guarded by a CHECK (... IN (...)) holds. A new guarded column must be listed
# here, so no code list can enter the schema without the vocabulary knowing it.
GUARDED = {
    ("pegawai", "jenis_kelamin"): "jenis_kelamin",
    ("pegawai", "status_kepegawaian"): "status_kepegawaian",
    ("cycle", "status"): "status_siklus",
    ("assignment", "relation"): "relasi",
    ("assignment", "status"): "status_penilaian",
    ("assignment", "sumber"): "sumber_penugasan",
    ("link", "jenis"): "jenis_tautan",
    ("comment", "jenis"): "komentar",
    ("rating_hasil_kerja", "rating"): "rating",
    ("rating_perilaku", "rating"): "rating",
    ("predikat_organisasi", "predikat"): "predikat_organisasi",
    ("disiplin", "tingkat"): "tingkat_disiplin",
    ("potensi", "kategori"): "kategori_potensi",
    ("inovasi", "tingkat"): "tingkat_inovasi",
    ("keberatan", "status"): "status_keberatan",
    ("keberatan", "rating_hasil_kerja"): "rating",
    ("keberatan", "rating_perilaku"): "rating",
    ("keberatan", "rating_hasil_kerja_baru"): "rating",
    ("keberatan", "rating_perilaku_baru"): "rating",
    ("hasil_skor", "rating_perilaku_saran"): "rating",
    ("hasil_skor", "rating_perilaku"): "rating",
    ("hasil_skor", "rating_hasil_kerja"): "rating",
    ("hasil_skor", "sumber_rating_perilaku"): "sumber_rating_perilaku",
    ("hasil_skor", "status_predikat"): "status_predikat",
    ("kiriman", "jenis"): "jenis_kiriman",
    ("kiriman", "hasil"): "hasil_kiriman",
    ("nominasi", "status"): "status_nominasi",
}
_CHECK = re.compile(r"CHECK\s*\(((?:[^()]|\((?:[^()]|\([^()]*\))*\))*)\)", re.S)
_IN = re.compile(r"(\w+)\s+IN\s*\(([^()]*)\)")
_BETWEEN = re.compile(r"(\w+)\s+BETWEEN\s+(\d+)\s+AND\s+(\d+)")


def _schema_checks(tmp_path) -> tuple[dict[tuple[str, str], set], dict[tuple[str, str], tuple[int, int]]]:
    db = open_db(tmp_path / "skema.db")
    lists, ranges = {}, {}
    for table, sql in db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL"):
        for check in _CHECK.finditer(sql):
            for column, values in _IN.findall(check.group(1)):
                parsed = {v.strip().strip("'").replace("''", "'") for v in values.split(",")}
                if parsed != {"0", "1"}:   # flags, not codes
                    lists[(table, column)] = parsed
            for column, lo, hi in _BETWEEN.findall(check.group(1)):
                ranges[(table, column)] = (int(lo), int(hi))
    db.close()
    return lists, ranges


def test_every_code_list_the_schema_guards_is_the_vocabulary(tmp_path):
    lists, _ = _schema_checks(tmp_path)
    assert set(lists) == set(GUARDED), "a guarded column is missing from GUARDED (or GUARDED lists a column "\
                                       "the schema no longer guards)"
    for column, codes in lists.items():
        assert codes == set(VOCAB[GUARDED[column]]), f"{column}: schema {sorted(codes)} vs kosakata.yaml"


def test_the_scale_and_competency_levels_the_schema_guards_are_the_reference_data(tmp_path):
    _, ranges = _schema_checks(tmp_path)
    scale = reference.load_scale()
    assert ranges[("response", "score")] == (scale.min, scale.max) == store.SCORE_RANGE
    levels = {lvl for c in reference.load_competencies().competencies for lvl in c.levels}
    assert ranges[("standar_kompetensi", "level")] == (min(levels), max(levels))


def test_the_schema_constants_kept_for_migrations_match_the_vocabulary():
    assert store.RELATIONS == VOCAB.relasi.codes
    assert store.ASSIGNMENT_STATUS == VOCAB.status_penilaian.codes
    assert store.RATINGS == VOCAB.rating.codes
    assert store.PREDIKAT_ORGANISASI == VOCAB.predikat_organisasi.codes
    assert store.DISIPLIN_LEVELS == VOCAB.tingkat_disiplin.codes
    assert store.STATUS_KEPEGAWAIAN == VOCAB.status_kepegawaian.codes
    assert store.STATUS_PREDIKAT == VOCAB.status_predikat.codes
    assert store.TINGKAT_INOVASI == VOCAB.tingkat_inovasi.codes
    assert store.STATUS_KEBERATAN == VOCAB.status_keberatan.codes


def test_the_rules_files_use_the_vocabulary_codes():
    """kuadran.yaml and distribusi.yaml hold rules only; their codes come from kosakata.yaml."""
    kuadran = reference.load_kuadran()
    assert kuadran.ratings == VOCAB.rating.codes and kuadran.predikat == VOCAB.predikat_kinerja.codes
    assert set(kuadran.table.values()) <= set(VOCAB.predikat_kinerja)
    assert reference.load_distribution_guide().predikat_organisasi == VOCAB.predikat_organisasi.codes


def test_a_code_is_read_as_its_code_or_its_label():
    assert VOCAB.relasi.parse("Pihak lain") == "lainnya"
    assert VOCAB.relasi.parse("  REKAN ") == "rekan"
    assert VOCAB.relasi.parse("teman") is None
    assert VOCAB.rating.parse("sesuai   ekspektasi") == "Sesuai Ekspektasi"
    assert VOCAB.relasi.label("atasan") == "Atasan" and VOCAB.relasi.label("tidak-ada") == "tidak-ada"
    assert list(VOCAB["periode"]) == ["Triwulan I", "Triwulan II", "Triwulan III", "Triwulan IV", "Tahunan"]


@pytest.fixture
def ref_copy(tmp_path):
    target = tmp_path / "referensi"
    shutil.copytree(reference_dir(), target)
    load_vocabulary.cache_clear()
    yield target
    load_vocabulary.cache_clear()


@pytest.mark.parametrize("change, message", [
    (lambda t: t.replace("jenis_tautan:\n  penilai: \"Tautan penilai\"\n  admin: \"Tautan dasbor admin\"\n", ""),
     "jenis_tautan wajib ada"),
    (lambda t: t + "warna:\n  - merah\n", "bagian warna tidak dikenal"),
    (lambda t: t.replace('  rekan: "Rekan kerja"\n', '  rekan: "Rekan kerja"\n  REKAN: "Rekan lagi"\n'),
     "kode 'REKAN' ganda"),
    (lambda t: t.replace('  L: "Laki-laki"\n', '  L: ""\n'), "kode atau label kosong"),
])
def test_a_broken_vocabulary_file_is_refused_naming_the_part(ref_copy, change, message):
    path = ref_copy / "kosakata.yaml"
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=message) as err:
        load_vocabulary(ref_copy)
    assert "kosakata.yaml" in str(err.value)


def test_codes_moved_to_the_vocabulary_are_not_silently_read_from_the_rules_files(ref_copy):
    path = ref_copy / "kuadran.yaml"
    path.write_text("rating:\n  - Baik Sekali\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    reference.load_kuadran.cache_clear()
    try:
        with pytest.raises(ReferenceDataError, match="kosakata.yaml"):
            reference.load_kuadran(ref_copy)
    finally:
        reference.load_kuadran.cache_clear()


def test_a_scale_the_schema_cannot_store_is_refused(ref_copy):
    path = ref_copy / "skala.yaml"
    text = path.read_text(encoding="utf-8").replace("max: 5", "max: 6").replace(
        '  5: "Jauh di atas ekspektasi"\n', '  5: "Jauh di atas ekspektasi"\n  6: "Luar biasa"\n')
    path.write_text(text, encoding="utf-8")
    reference.load_scale.cache_clear()
    try:
        with pytest.raises(ReferenceDataError, match="migrasi"):
            reference.load_scale(ref_copy)
    finally:
        reference.load_scale.cache_clear()


def test_every_code_set_is_read():
    vocab = load_vocabulary()
    assert all(len(vocab[name]) for name in Vocabulary.names())
