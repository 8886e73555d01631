"""One column vocabulary: every column of the stored results has one name and one Indonesian header."""

from __future__ import annotations

from collections import Counter

from kinerja_lib import columns
from kinerja_lib.hasil import AGREEMENT_COLUMNS, RESULT_COLUMNS, STORED_VALUE_COLUMNS, VALUE_COLUMNS
from kinerja_lib.vocabulary import VOCAB

# Bare "n" counts raters in hasil_skor_nilai and pegawai in a competency sheet: it has no single meaning, so the
# vocabulary leaves it out and each sheet showing it labels it itself.
NOT_IN_VOCABULARY = {"n"}
# Two names for one figure (the training form as its code and as its label): the same header on purpose.
SYNONYMS = {"Bentuk Pengembangan"}


def test_every_column_of_the_stored_results_has_a_header(db):
    """Each column of hasil_skor and hasil_skor_nilai, read from the migrated schema."""
    known = columns.columns()
    for table in ("hasil_skor", "hasil_skor_nilai"):
        names = {c.name for c in db[table].columns}
        assert names - set(known) - NOT_IN_VOCABULARY == set(), table
    assert set(RESULT_COLUMNS + VALUE_COLUMNS + STORED_VALUE_COLUMNS + AGREEMENT_COLUMNS) - set(known) == NOT_IN_VOCABULARY


def test_a_header_names_one_column():
    """No two columns share a header (a reader could not tell them apart), and no header shows a code."""
    counts = Counter(columns.labels().values())
    assert {h for h, n in counts.items() if n > 1} == SYNONYMS
    assert all("_" not in h for h in counts)


def test_the_per_group_columns_use_the_vocabulary_labels():
    for code, label in VOCAB.relasi.items():
        assert columns.header(f"n_{code}") == f"Jumlah Penilai {label}"
        assert columns.header(f"rerata_{code}") == f"Rerata {label}"
    assert columns.header("rerata_bukan_diri") != columns.header("rerata_lainnya")
