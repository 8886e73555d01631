"""A pegawai's 360 score across cycles: changes against the previous cycle and a year earlier, read against noise."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kinerja_lib import reports, trend


def _history(rows):
    return pd.DataFrame(rows, columns=trend.COLUMNS)


def test_changes_are_read_against_their_combined_standard_error():
    """0.40 with SE sqrt(0.1² + 0.1²) = 0.141 is a rise (|z| = 2.83); 0.20 is within noise (|z| = 1.41)."""
    out = trend.score_trend(_history([
        ("a", 1, "Triwulan I 2026", "Triwulan I", 2026, "2026-03-31", 3.40, 0.10),
        ("a", 2, "Triwulan II 2026", "Triwulan II", 2026, "2026-06-30", 3.80, 0.10),
        ("a", 3, "Triwulan III 2026", "Triwulan III", 2026, "2026-09-30", 3.60, 0.10),
    ]))
    assert out["bacaan"].tolist() == [None, "naik", "dalam batas derau"]
    np.testing.assert_allclose(out["se_perubahan"].iloc[1], np.sqrt(0.02))
    np.testing.assert_allclose(out[["ci_bawah", "ci_atas"]].iloc[0], [3.40 - 0.196, 3.40 + 0.196], atol=1e-3)


def test_year_on_year_compares_the_same_period():
    out = trend.score_trend(_history([
        ("a", 1, "Triwulan I 2026", "Triwulan I", 2026, "2026-03-31", 3.0, 0.1),
        ("a", 2, "Triwulan II 2026", "Triwulan II", 2026, "2026-06-30", 3.9, 0.1),
        ("a", 5, "Triwulan I 2027", "Triwulan I", 2027, "2027-03-31", 3.5, 0.1),
        ("b", 5, "Triwulan I 2027", "Triwulan I", 2027, "2027-03-31", 3.5, 0.1),
    ])).set_index(["nip", "cycle_id"])
    assert out.loc[("a", 5), "perubahan_tahunan"] == 0.5 and out.loc[("a", 5), "bacaan_tahunan"] == "naik"
    assert out.loc[("a", 5), "bacaan"] == "turun"                  # against Triwulan II: -0.4
    assert out.loc[("b", 5), "bacaan"] is None and out.loc[("b", 5), "bacaan_tahunan"] is None


def test_the_report_shows_the_trend_with_its_reading(tmp_path):
    """A pegawai scored in an earlier cycle sees each cycle's score, its interval and whether the change is noise;
    one scored only now sees no trend section."""
    from kinerja_lib import scoring
    from kinerja_lib.demo import build_demo_database
    from kinerja_lib.store import now

    db, summary = build_demo_database(tmp_path / "demo.db", 120, 2026, cycles=1)
    scoring.run_scoring(db, summary.cycle_id)
    stored = db.execute("SELECT nip, skor_adj, skor_adj_se FROM hasil_skor WHERE cycle_id = ? AND skor_adj IS NOT "
                        "NULL ORDER BY nip LIMIT 2", [summary.cycle_id]).fetchall()
    (rises, score, se), (steady, score2, se2) = stored
    earlier = db.execute("INSERT INTO cycle (nama, periode, tahun, tanggal_mulai, tanggal_selesai, status, "
                         "instrumen_versi, settings, dibuat) SELECT 'Tahunan 2025', periode, 2025, '2025-01-01', "
                         "'2025-12-31', 'ditutup', instrumen_versi, settings, dibuat FROM cycle WHERE id = ?",
                         [summary.cycle_id]).lastrowid
    run = db.execute("INSERT INTO analysis_run (cycle_id, jenis, settings, dihitung, versi_data) "
                     "VALUES (?, 'skor', '{}', ?, 0)", [earlier, now()]).lastrowid
    for nip, value, error in ((rises, score - 0.8, 0.05), (steady, score2 - 0.01, 0.05)):
        db.execute("INSERT INTO hasil_skor (cycle_id, nip, skor, skor_adj, skor_adj_se, analysis_run_id) "
                   "VALUES (?, ?, ?, ?, ?, ?)", [earlier, nip, value, value, error, run])
    db.conn.commit()
    html = {nip: reports.report_html(db, summary.cycle_id, nip) for nip in (rises, steady)}
    assert "Perkembangan antarsiklus" in html[rises] and "Tahunan 2025" in html[rises]
    assert f"{reports.angka(0.8)}: naik" in html[rises]
    assert "dalam batas derau" in html[steady]
    other = db.execute("SELECT nip FROM hasil_skor WHERE cycle_id = ? AND nip NOT IN (?, ?) LIMIT 1",
                       [summary.cycle_id, rises, steady]).fetchone()[0]
    assert "Perkembangan antarsiklus" not in reports.report_html(db, summary.cycle_id, other)


def test_the_cycle_computed_in_memory_replaces_its_stored_rows_in_the_history():
    """with_cycle keeps the other cycles' stored scores and puts the in-memory scores in place of the cycle's own."""
    from types import SimpleNamespace

    history = _history([
        ("a", 1, "Triwulan I 2026", "Triwulan I", 2026, "2026-03-31", 3.0, 0.1),
        ("a", 2, "Triwulan II 2026", "Triwulan II", 2026, "2026-06-30", 3.1, 0.1),
        ("b", 2, "Triwulan II 2026", "Triwulan II", 2026, "2026-06-30", 2.0, 0.1),
    ])
    cycle = SimpleNamespace(id=2, nama="Triwulan II 2026", periode="Triwulan II", tahun=2026,
                            tanggal_selesai="2026-06-30")
    now = pd.DataFrame({"nip": ["a", "c"], "skor_adj": [3.6, np.nan], "skor_adj_se": [0.1, np.nan]})
    out = trend.with_cycle(history, cycle, now)
    assert out[["nip", "cycle_id"]].values.tolist() == [["a", 1], ["a", 2], ["c", 2]]
    assert out["skor_adj"].tolist()[:2] == [3.0, 3.6] and np.isnan(out["skor_adj"].iloc[2])
    assert trend.score_trend(out).set_index(["nip", "cycle_id"]).loc[("a", 2), "bacaan"] == "naik"
    assert trend.with_cycle(history.iloc[0:0], cycle, now)["cycle_id"].tolist() == [2, 2]


def test_scores_in_memory_match_the_stored_ones_and_say_whether_those_are_current(tmp_path):
    """Notebook 01's in-memory results carry the same rows and values as load_results after `kinerja score`;
    the note says when nothing is stored, when the stored run is current, and when forms changed since."""
    from kinerja_lib import hasil, records, scoring
    from kinerja_lib.demo import build_demo_database

    db, summary = build_demo_database(tmp_path / "demo.db", 120, 2026, cycles=1)
    report = scoring.run_scoring(db, summary.cycle_id, persist=False)
    assert records.stored_scoring_run(db, summary.cycle_id) is None
    note = records.stored_scoring_note(None, report.data_version, report.method())
    assert note.startswith("Hasil skor siklus ini belum tersimpan") and "sementara" in note

    mine = records.results_with_pegawai(db, summary.cycle_id, report.results)
    run_id = scoring.save_results(db, summary.cycle_id, report, pelaku="uji")
    stored = hasil.load_results(db, summary.cycle_id)
    assert set(mine.columns) <= set(stored.columns) and len(mine) == len(stored) == len(report.results)

    def cells(df):   # an all-missing column is NaN in memory and None when read back: both are "missing"
        return df[list(mine.columns)].astype(object).where(df[list(mine.columns)].notna(), None)
    pd.testing.assert_frame_equal(cells(mine), cells(stored))

    run = records.stored_scoring_run(db, summary.cycle_id)
    assert run[0] == run_id
    current = records.stored_scoring_note(run, report.data_version, report.method())
    assert current.startswith(f"Hasil tersimpan: analysis_run #{run_id}, dihitung ") and "tertinggal" not in current
    stale = records.stored_scoring_note(run, report.data_version + 1, report.method())
    assert "formulir terkirim sudah berubah sesudahnya" in stale and "tertinggal" in stale
    other = report.method()
    other["metode"] = {**other["metode"], "minimal_penilai": {"rekan": 99}}
    assert "pengaturan metode siklus sudah berubah" in records.stored_scoring_note(run, report.data_version, other)
