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


def test_the_scoring_frames_carry_the_stored_names(demo_scored):
    """ScoringReport.scores, .by_value and .agreement are named as stored from the analysis on, with no working
    names to translate: every column is in the vocabulary or the stored tables (bare n of the per-value rows
    aside), the scores are hasil_skor's columns plus the raw score's error, and the per-value and agreement
    frames are the long forms kinerja_lib.hasil stores and reads back."""
    db, report = demo_scored.db, demo_scored.report
    stored = {row[1] for table in ("hasil_skor", "hasil_skor_nilai")
              for row in db.execute(f"PRAGMA table_info({table})").fetchall()}
    known = set(columns.columns()) | set(columns.composed_columns()) | stored
    frames = {"scores": report.scores, "by_value": report.by_value, "agreement": report.agreement}
    assert {name: sorted(set(frame.columns) - known) for name, frame in frames.items()} == {
        "scores": [], "by_value": sorted(NOT_IN_VOCABULARY), "agreement": []}
    assert set(report.scores.columns) - set(RESULT_COLUMNS) == {"skor_se"}
    assert (list(report.by_value.columns), list(report.agreement.columns)) == (VALUE_COLUMNS, AGREEMENT_COLUMNS)
