"""The form server driven by raw widget messages over its websocket, as a crafted client would send them.

A browser is only one way to talk to a form kernel: anything that can open the page and its kernel's websocket
can send any widget message. These tests send them with ``benchmarks.headless_rater`` (the client the
``open_link_busy`` bench uses for its other raters) against the real ``kinerja serve``: ordinary answers arrive
in SQLite, and crafted ones (changes to a submitted form, a score outside the scale) change nothing.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from live import claim_raters, query, wait_for

from benchmarks.headless_rater import HeadlessRater
from kinerja_lib.forms.rater import ACTION_LABEL

pytestmark = pytest.mark.slow


def _raters_with(server, status: str) -> str:
    """Claim a rater with at least one form in ``status`` and no draft, last NIP first."""
    rows = query(server.db_path,
                 "SELECT rater_nip FROM assignment WHERE cycle_id = ? AND aktif = 1 GROUP BY rater_nip "
                 "HAVING SUM(status = ?) > 0 AND SUM(status = 'draf') = 0 ORDER BY rater_nip DESC",
                 [server.cycle_id, status])
    return claim_raters([nip for (nip,) in rows])[0]


def _answers_of(server, nip: str) -> dict[tuple[int, str], int | None]:
    rows = query(server.db_path,
                 "SELECT r.assignment_id, r.item, r.score FROM response r JOIN assignment a ON a.id = r.assignment_id "
                 "WHERE a.rater_nip = ? AND a.cycle_id = ?", [nip, server.cycle_id])
    return {(aid, item): score for aid, item, score in rows}


def _new_answers(server, nip: str, before: dict) -> dict[tuple[int, str], int | None]:
    return {k: v for k, v in _answers_of(server, nip).items() if k not in before}


def _statuses_of(server, nip: str) -> dict[int, str]:
    return dict(query(server.db_path, "SELECT id, status FROM assignment WHERE rater_nip = ? AND cycle_id = ?",
                      [nip, server.cycle_id]))


def _as_rater(server, nip: str, actions: Callable[[HeadlessRater], Awaitable[None]], **open_args) -> None:
    """Open ``nip``'s link and a form without a browser, run ``actions``, and return once the kernel handled them.

    Runs on a thread of its own: after the browser tests, Playwright's sync API keeps a loop in this one.
    """
    async def run():
        rater = HeadlessRater(next(link.url for link in server.links if link.nip == nip))
        await rater.open(**open_args)
        await actions(rater)
        await rater.sync()
        await rater.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, asyncio.wait_for(run(), timeout=120)).result()


def test_widget_messages_without_a_browser_are_saved_like_clicks(voila_server):
    nip = _raters_with(voila_server, "belum")
    before = _answers_of(voila_server, nip)

    async def answer_five(rater):
        for n in range(5):
            await rater.answer(n)

    _as_rater(voila_server, nip, answer_five)
    wait_for(lambda: len(_new_answers(voila_server, nip, before)) >= 5, 10, "five answers in SQLite")
    new = _new_answers(voila_server, nip, before)
    assert len({aid for aid, _ in new}) == 1, "all five answers belong to the one form that was opened"
    assert [new[k] for k in sorted(new)] == [1, 2, 3, 4, 5]
    assert [item for _, item in sorted(new)] == ["B1.1", "B1.2", "B1.3", "B2.1", "B2.2"]


def test_crafted_changes_to_a_submitted_form_change_nothing(voila_server):
    nip = _raters_with(voila_server, "terkirim")
    answers, statuses = _answers_of(voila_server, nip), _statuses_of(voila_server, nip)

    async def tamper(rater):
        assert len(rater.scales) == 21, "the submitted form is shown, its scales read-only"
        for n in range(21):
            await rater.answer(n + 2)  # a different score from whatever is stored, for most items
        await rater.update(rater.scales[0], {"index": None})  # and a deselect

    _as_rater(voila_server, nip, tamper, labels=(ACTION_LABEL["terkirim"],))
    assert _answers_of(voila_server, nip) == answers
    assert _statuses_of(voila_server, nip) == statuses


def test_a_score_outside_the_scale_is_refused(voila_server):
    nip = _raters_with(voila_server, "belum")
    before = _answers_of(voila_server, nip)

    async def out_of_range(rater):
        await rater.update(rater.scales[0], {"index": 99})
        await rater.update(rater.scales[1], {"index": -1})
        await rater.update(rater.scales[2], {"index": "5"})
        await rater.answer(3)  # then an ordinary answer on the fourth item, which must still work

    _as_rater(voila_server, nip, out_of_range)
    wait_for(lambda: _new_answers(voila_server, nip, before), 10, "the ordinary answer after the crafted ones")
    new = _new_answers(voila_server, nip, before)
    assert [(item, score) for (_, item), score in new.items()] == [("B2.1", 4)]


def test_crafted_widget_messages_get_no_traceback_and_no_server_path(voila_server):
    """Wrong types, huge numbers, unknown fields, malformed messages and widget creation are ignored quietly:
    nothing the kernel sends back carries a traceback or a file path, and the form keeps working."""
    from raters import RecordingRater, run

    # any rater with an untouched form will do (the browser tests may have left drafts on the others)
    nip, = claim_raters([n for (n,) in query(
        voila_server.db_path, "SELECT rater_nip FROM assignment WHERE cycle_id = ? AND aktif = 1 "
        "AND status = 'belum' GROUP BY rater_nip ORDER BY COUNT(*) DESC, rater_nip", [voila_server.cycle_id])])
    before = _answers_of(voila_server, nip)
    rater = RecordingRater(next(link.url for link in voila_server.links if link.nip == nip))

    async def craft():
        await rater.open(labels=(ACTION_LABEL["belum"],))
        s = rater.scales
        await rater.update(s[0], {"index": "5"})                     # wrong type
        await rater.update(s[1], {"index": 10 ** 40})                # huge number
        await rater.update(s[2], {"index": -1, "disabled": True})    # out of range, and a state nobody may set
        await rater.update(s[3], {"nama_baru": 1, "_options_labels": ["x"]})  # unknown and read-only fields
        await rater._send("comm_msg", {"comm_id": s[4], "data": "bukan objek"})
        await rater._send("comm_msg", {"comm_id": s[4], "data": {"method": "custom", "content": [1, 2]}})
        await rater._send("comm_msg", {"comm_id": s[4], "data": {"method": "tidak_dikenal"}})
        await rater._send("comm_open", {"comm_id": "buatan", "target_name": "jupyter.widget",
                                        "data": {"state": {"_model_name": "TidakAda"}}}, {"version": "2.1.0"})
        await rater.answer(5)  # then an ordinary answer: B2.3 = 1
        await rater.sync()
        await rater.close()

    run(craft())
    wait_for(lambda: _new_answers(voila_server, nip, before), 10, "the ordinary answer after the crafted ones")
    assert [(item, score) for (_, item), score in _new_answers(voila_server, nip, before).items()] == [("B2.3", 1)]
    text = rater.text()
    assert '"msg_type": "error"' not in text and '"name": "stderr"' not in text
    for leak in ("Traceback", "TraitError", "site-packages", str(voila_server.db_path.parent)):
        assert leak not in text, leak
    assert not re.search(r"/[\w.-]+\.py\b", text), "a source file path went to the page"
