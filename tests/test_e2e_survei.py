"""The public-service survey on a phone through the real form server: answer, send, and one response per device."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from live import query, scale_option
from playwright.sync_api import expect

from kinerja_lib import survei
from kinerja_lib.store import open_db

pytestmark = pytest.mark.e2e

WAIT = 60_000
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_citizen_answers_on_a_phone_and_the_same_phone_cannot_answer_twice(browser, voila_server):
    """Scan, tap 4 on every question, send: thanked and stored once; the same phone again is refused in Indonesian;
    a closed service point's link gets no page."""
    (unit,), = query(voila_server.db_path, "SELECT id FROM unit ORDER BY id LIMIT 1", [])
    db = open_db(voila_server.db_path)
    try:
        issued = survei.open_point(db, unit, "Loket uji ponsel", base_url=voila_server.base)
        closed = survei.open_point(db, unit, "Loket tutup", base_url=voila_server.base)
        survei.close_point(db, closed.point.id)
    finally:
        db.close()
    assert _status(closed.url) == 403
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(issued.url)
    expect(page.get_by_text(survei.load_survey().judul)).to_be_visible(timeout=WAIT)
    questions = page.locator(".k360-answer")
    assert questions.count() == len(survei.load_survey().butir)
    for n in range(questions.count()):
        scale_option(questions.nth(n), "4").tap()
    page.get_by_role("textbox").fill("Antrean <b>cepat</b>")
    page.get_by_role("button", name="Kirim").tap()
    expect(page.get_by_text("Terima kasih")).to_be_visible(timeout=WAIT)
    cookie = next(c for c in context.cookies() if c["name"] == "k360_perangkat")
    assert cookie["httpOnly"]
    page.close(run_before_unload=True)

    again = context.new_page()
    again.goto(issued.url)
    expect(again.locator(".k360-answer").first).to_be_visible(timeout=WAIT)
    scale_option(again.locator(".k360-answer").first, "5").tap()
    again.get_by_role("button", name="Kirim").tap()
    expect(again.get_by_text("sudah kami terima")).to_be_visible(timeout=WAIT)
    again.close(run_before_unload=True)
    context.close()
    rows = query(voila_server.db_path, "SELECT komentar, (SELECT COUNT(*) FROM survei_jawaban j WHERE j.respons_id = "
                                       "r.id AND j.skor = 4) FROM survei_respons r WHERE titik_id = ?",
                 [issued.point.id])
    assert rows == [("Antrean <b>cepat</b>", len(survei.load_survey().butir))]
