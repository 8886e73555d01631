"""The demo's year: four triwulan cycles with an evolving truth, so trends have something to show."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from kinerja_lib import records, trend
from kinerja_lib.demo import DRIFT_SD, STEP_CHANGE, generate_demo
from kinerja_lib.errors import KinerjaError
from kinerja_lib.reference import load_vocabulary
from kinerja_lib.scoring import run_scoring
from kinerja_lib.store import open_db

PEGAWAI, SEED = 200, 2026


@pytest.fixture(scope="module")
def year():
    """A 200-pegawai demo year (its open triwulan scored too) and the one-cycle demo of the same seed."""
    db = open_db(":memory:")
    summary = generate_demo(db, PEGAWAI, SEED, answers=True)
    run_scoring(db, summary.cycle_id, pelaku="uji")
    single = open_db(":memory:")
    single_summary = generate_demo(single, PEGAWAI, SEED, answers=True, cycles=1)
    yield SimpleNamespace(db=db, s=summary, single=single, single_s=single_summary)
    db.close()
    single.close()


def test_the_year_is_four_triwulan_the_last_one_open(year):
    db, s = year.db, year.s
    rows = db.execute("SELECT id, nama, periode, tahun, tanggal_mulai, tanggal_selesai, status FROM cycle "
                      "ORDER BY id").fetchall()
    quarters = [p for p in load_vocabulary()["periode"] if p.startswith("Triwulan")]
    assert [r[2] for r in rows] == ["Tahunan", *quarters]
    assert [r[0] for r in rows[1:]] == [*s.closed_cycle_ids, s.cycle_id]
    assert [r[6] for r in rows] == ["ditutup"] * 4 + ["terbuka"]
    assert [(r[4], r[5]) for r in rows[1:]] == [("2026-01-01", "2026-03-31"), ("2026-04-01", "2026-06-30"),
                                                ("2026-07-01", "2026-09-30"), ("2026-10-01", "2026-12-31")]
    assert s.cycle_name == "Demo Triwulan IV 2026" and {r[3] for r in rows[1:]} == {2026}
    for cycle_id in s.closed_cycle_ids:  # closed: scored, both ratings decided for everyone, answers in its quarter
        for table in ("hasil_skor", "rating_perilaku", "rating_hasil_kerja"):
            assert db.execute(f"SELECT COUNT(DISTINCT nip) FROM {table} WHERE cycle_id = ?",
                              [cycle_id]).fetchone()[0] == PEGAWAI, table
        start, end, first, last = db.execute(
            "SELECT c.tanggal_mulai, c.tanggal_selesai, MIN(a.terkirim), MAX(a.terkirim) FROM assignment a "
            "JOIN cycle c ON c.id = a.cycle_id WHERE a.cycle_id = ?", [cycle_id]).fetchone()
        assert start <= first[:10] and last[:10] <= end
    # Potensi, disiplin and service history belong to the person, not to a cycle: written once.
    assert db.execute("SELECT COUNT(*) FROM potensi").fetchone()[0] == PEGAWAI


def test_the_open_triwulan_is_drawn_as_the_one_cycle_demo(year):
    """Validation reads the open cycle: its answers and planted truths do not depend on the year before it."""
    def answers(db, cycle_id):
        return sorted(db.execute(
            "SELECT a.rater_nip, a.ratee_nip, a.relation, r.item, r.score FROM response r JOIN assignment a "
            "ON a.id = r.assignment_id WHERE a.cycle_id = ?", [cycle_id]).fetchall(), key=repr)

    def truths(db, cycle_id):
        return sorted(db.execute("SELECT nip, aspek, nilai FROM demo_truth WHERE cycle_id = ?", [cycle_id]))

    assert answers(year.db, year.s.cycle_id) == answers(year.single, year.single_s.cycle_id)
    assert truths(year.db, year.s.cycle_id) == truths(year.single, year.single_s.cycle_id)
    assert (year.s.straightliners, year.s.outlier) == (year.single_s.straightliners, year.single_s.outlier)


def test_each_cycle_keeps_its_own_truth_planted_risers_and_fallers_step(year):
    db, s = year.db, year.s
    ids = [*s.closed_cycle_ids, s.cycle_id]
    level = pd.DataFrame({i: dict(db.execute("SELECT nip, nilai FROM demo_truth WHERE cycle_id = ? AND "
                                              "aspek = 'perilaku'", [i])) for i in ids})
    change = level.diff(axis=1).iloc[:, 1:]
    assert s.risers and s.fallers and not set(s.risers) & set(s.fallers)
    for planted, sign in ((s.risers, 1), (s.fallers, -1)):
        steps = change.loc[list(planted)]
        assert ((steps.abs() > 1e-9).sum(axis=1) == 1).all()        # one step, between two triwulan
        assert np.allclose(steps.sum(axis=1), sign * STEP_CHANGE)
    others = change.drop(index=[*s.risers, *s.fallers])
    assert others.abs().max().max() < 6 * DRIFT_SD and 0.5 * DRIFT_SD < others.stack().std() < 2 * DRIFT_SD


def test_the_trend_reads_planted_changes_as_real_and_drift_as_noise(year):
    db, s = year.db, year.s
    nips = [n for n, in db.execute("SELECT nip FROM pegawai")]
    out = trend.score_trend(records.score_history(db, nips))
    out = out[out["cycle_id"].isin(s.closed_cycle_ids[1:] + (s.cycle_id,))]
    level = {i: dict(db.execute("SELECT nip, nilai FROM demo_truth WHERE cycle_id = ? AND aspek = 'perilaku'",
                                [i])) for i in (*s.closed_cycle_ids, s.cycle_id)}
    ids = [*s.closed_cycle_ids, s.cycle_id]
    stepped = {(n, ids[k + 1]) for n in (*s.risers, *s.fallers) for k in range(3)
               if abs(level[ids[k + 1]][n] - level[ids[k]][n]) > 0.5}
    at_step = out[[(n, c) in stepped for n, c in zip(out["nip"], out["cycle_id"])]]
    expected = np.where(at_step["nip"].isin(s.risers), "naik", "turun")
    assert (at_step["bacaan"].to_numpy() == expected).mean() >= 0.75
    rest = out[[(n, c) not in stepped for n, c in zip(out["nip"], out["cycle_id"])]]["bacaan"].dropna()
    assert (rest == trend.NOISE).mean() >= 0.85


def test_only_one_or_four_cycles():
    with pytest.raises(KinerjaError, match="1 atau 4"):
        generate_demo(open_db(":memory:"), 40, 1, cycles=2)
