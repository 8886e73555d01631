"""Which index SQLite takes for the assignment queries that run most or read most.

A new index can win the planner's choice for a query it was not made for: 0092's (cycle_id, aktif, ratee_nip)
matched as many terms of a rater's own forms query as assignment_rater did, and every form page then read the
whole cycle's assignments. The statements checked are the ones the code runs (caught by SQLite's trace),
explained against a demo database.
"""

from __future__ import annotations

import pytest

from kinerja_lib import form_service as fs
from kinerja_lib import links, records, responses
from kinerja_lib.demo import generate_demo
from kinerja_lib.store import open_db


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    db = open_db(tmp_path_factory.mktemp("plans") / "demo.db")
    summary = generate_demo(db, pegawai=120, seed=7, answers=True, cycles=1)
    yield db, summary.cycle_id
    db.close()


def _plans(db, call) -> dict[str, list[str]]:
    """Run ``call`` and return {statement: its query plan's details} for every statement reading assignment."""
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    try:
        call()
    finally:
        db.conn.set_trace_callback(None)
    return {sql: [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql)]
            for sql in statements if "FROM assignment " in sql}


def _only(plans: dict[str, list[str]], marker: str) -> list[str]:
    found = [plan for sql, plan in plans.items() if marker in sql]
    assert len(found) == 1, f"expected one statement with {marker!r}, got {list(plans)}"
    return found[0]


def test_a_raters_form_page_reads_their_assignments_through_the_rater_index(demo):
    db, cycle_id = demo
    rater = db.execute("SELECT rater_nip FROM assignment WHERE cycle_id = ? AND relation = 'rekan' LIMIT 1",
                       [cycle_id]).fetchone()[0]
    token = next(i.token for i in links.issue_links(db, cycle_id) if i.nip == rater)
    grant = links.resolve(db, token)
    plan = _only(_plans(db, lambda: fs.overview(db, grant)), "a.rater_nip = ")
    assert any("USING INDEX assignment_rater (cycle_id=? AND rater_nip=?)" in step for step in plan), plan


def test_the_whole_cycles_submitted_forms_come_in_id_order_without_a_sort(demo):
    db, cycle_id = demo
    plan = _only(_plans(db, lambda: responses.submitted_assignments(db, cycle_id)), "a.status = 'terkirim'")
    assert plan == ["SEARCH a USING INDEX assignment_terkirim (cycle_id=?)"]


def test_some_ratees_forms_are_looked_up_by_ratee(demo):
    db, cycle_id = demo
    some = records.active_ratees(db, cycle_id)[:5]
    for call, marker in ((lambda: responses.submitted_assignments(db, cycle_id, some), "json_each"),
                         (lambda: records.submitted_forms(db, cycle_id, some), "ratee_nip IN")):
        plan = _only(_plans(db, call), marker)
        assert any("USING INDEX assignment_aktif_ratee (cycle_id=? AND ratee_nip=?" in step for step in plan), plan


def test_the_cycles_ratees_come_from_the_index_alone(demo):
    db, cycle_id = demo
    plan = _only(_plans(db, lambda: records.active_ratees(db, cycle_id)), "DISTINCT ratee_nip")
    assert plan == ["SEARCH assignment USING COVERING INDEX assignment_aktif_ratee (cycle_id=?)"]
