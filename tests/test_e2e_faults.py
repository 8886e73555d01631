"""The real page in Chromium when things go wrong: a killed kernel, a cut network, two tabs on one form.

The rule under test: what the page shows as saved is in the database. When the page's kernel or its connection is
lost, the page says so in Indonesian within seconds, stops taking input and offers a reload; a brief drop
reconnects by itself; after a reload the page shows exactly what the database holds.
"""

from __future__ import annotations

import json
import time

import pytest
from live import claim_raters, kill_kernel, query, scale_option, wait_for
from netcut import CuttableProxy
from playwright.sync_api import expect

from kinerja_lib.items import items_for_relation

pytestmark = pytest.mark.e2e

WAIT = 60_000
WARNED_WITHIN_S = 10  # "within a few seconds"
LOST = "Muat ulang halaman untuk melanjutkan"
WAITING = "Mencoba menyambung kembali"

# each choice on the page: (option shown selected, option the kernel marked as stored), -1 for none
CHOICES_JS = """() => [...document.querySelectorAll('.k360-answer')].map(w => {
  const shown = [...w.querySelectorAll('button')].findIndex(b => b.classList.contains('mod-active'));
  const mark = [...w.classList].find(c => c.startsWith('k360-saved-'));
  return [shown, mark ? Number(mark.slice(11)) : -1];
})"""


def _fresh(server, count):
    """(rater nip, assignment id, relation) of raters with an untouched form, highest NIP first, claimed for
    this test alone (each test opens that very form, so other tests' forms are never in its way)."""
    rows = query(server.db_path,
                 "SELECT rater_nip, MIN(id), relation FROM assignment WHERE cycle_id = ? AND aktif = 1 AND "
                 "status = 'belum' GROUP BY rater_nip ORDER BY rater_nip DESC", [server.cycle_id])
    return claim_raters(rows, count)


def _codes(server, relation):
    settings = json.loads(query(server.db_path, "SELECT settings FROM cycle WHERE id = ?", [server.cycle_id])[0][0])
    return items_for_relation(settings, relation)


def _stored(server, aid):
    """item -> option index as the page numbers them (scores 1-5 are 0-4, "tidak dapat menilai" is 5)."""
    return {item: 5 if score is None else score - 1
            for item, score in query(server.db_path, "SELECT item, score FROM response WHERE assignment_id = ?", [aid])}


def _open(page, url, aid, server):
    """Open a link and the form of assignment ``aid`` (its card is the one whose ratee it rates)."""
    ratee = query(server.db_path, "SELECT p.nama FROM assignment a JOIN pegawai p ON p.nip = a.ratee_nip "
                  "WHERE a.id = ?", [aid])[0][0]
    page.goto(url)
    page.locator(".k360-card", has_text=ratee).first.get_by_role("button").click()
    expect(page.get_by_text("Perilaku Kerja BerAKHLAK")).to_be_visible(timeout=WAIT)


def _answer(page, n, label):
    scale_option(page.locator(".k360-answer").nth(n), label).click()


def _shown_as_saved(page, codes):
    """item -> option index for every choice the page shows selected and marked stored."""
    return {codes[n]: shown for n, (shown, mark) in enumerate(page.evaluate(CHOICES_JS)) if shown >= 0 and shown == mark}


def _url(server, nip, base=None):
    url = next(link.url for link in server.links if link.nip == nip)
    return url.replace(server.base, base) if base else url


def test_a_killed_kernel_stops_the_page_within_seconds_and_a_reload_shows_what_is_saved(browser, voila_server):
    (nip, aid, relation), = _fresh(voila_server, 1)
    codes = _codes(voila_server, relation)
    page = browser.new_page()
    _open(page, _url(voila_server, nip), aid, voila_server)
    for n, label in enumerate(["4", "2", "Tidak dapat menilai"]):
        _answer(page, n, label)
    expect(page.locator(".k360-saved-note")).to_be_visible(timeout=WAIT)
    wait_for(lambda: len(_shown_as_saved(page, codes)) == 3, 10, "three answers marked as saved")
    saved_before = _shown_as_saved(page, codes)
    assert _stored(voila_server, aid) == saved_before

    kernel = json.loads(page.locator("#jupyter-config-data").text_content())["kernelId"]
    kill_kernel(kernel)
    started = time.monotonic()
    _answer(page, 3, "5")  # clicked as the kernel dies: must never be shown as saved
    expect(page.get_by_text(LOST)).to_be_visible(timeout=WARNED_WITHIN_S * 1000)
    warned_after = time.monotonic() - started
    expect(page.locator(".k360-saved-note")).to_be_hidden()
    # input is stopped: a click on the form changes nothing
    scale_option(page.locator(".k360-answer").nth(4), "1").click(force=True)
    expect(page.locator(".k360-answer").nth(4).locator(".mod-active")).to_have_count(0)
    assert _stored(voila_server, aid) == saved_before
    print(f"warning shown {warned_after:.1f} s after the kernel was killed")

    page.get_by_role("button", name="Muat ulang halaman").click()
    page.locator(".k360-card").first.wait_for(timeout=WAIT)
    _open(page, _url(voila_server, nip), aid, voila_server)
    choices = page.evaluate(CHOICES_JS)
    assert {codes[n]: shown for n, (shown, _) in enumerate(choices) if shown >= 0} == _stored(voila_server, aid)
    assert all(shown == mark for shown, mark in choices)
    page.close(run_before_unload=True)


@pytest.mark.parametrize("reset", [False, True], ids=["line-comes-back", "new-connection"])
def test_a_cut_network_stops_the_page_and_a_brief_drop_reconnects(browser, voila_server, reset):
    """A silent cut is noticed within seconds; when the line is back the page carries on by itself, and every
    choice it then shows as saved is in the database (a click lost in the cut is shown as not selected)."""
    (nip, aid, relation), = _fresh(voila_server, 1)
    codes = _codes(voila_server, relation)
    proxy = CuttableProxy(int(voila_server.base.rsplit(":", 1)[1])).start()
    page = browser.new_page()
    try:
        _open(page, _url(voila_server, nip, proxy.base), aid, voila_server)
        _answer(page, 0, "4")
        expect(page.locator(".k360-saved-note")).to_be_visible(timeout=WAIT)

        proxy.cut()
        started = time.monotonic()
        _answer(page, 1, "2")
        expect(page.get_by_text(WAITING)).to_be_visible(timeout=WARNED_WITHIN_S * 1000)
        print(f"cut noticed after {time.monotonic() - started:.1f} s")
        expect(page.locator(".k360-saved-note")).to_be_hidden()
        expect(page.get_by_role("button", name="Muat ulang halaman")).to_be_visible()
        scale_option(page.locator(".k360-answer").nth(2), "5").click(force=True)
        expect(page.locator(".k360-answer").nth(2).locator(".mod-active")).to_have_count(0)

        proxy.restore(reset=reset)
        expect(page.get_by_text(WAITING)).to_be_hidden(timeout=30_000)
        wait_for(lambda: all(shown == mark for shown, mark in page.evaluate(CHOICES_JS)), 15,
                 "the page showing only what is stored")
        assert _shown_as_saved(page, codes) == _stored(voila_server, aid)
        # and it goes on saving, the item clicked during the cut included
        again = "3" if _stored(voila_server, aid).get(codes[1]) == 1 else "2"
        _answer(page, 1, again)
        _answer(page, 3, "3")
        wait_for(lambda: _stored(voila_server, aid) == {codes[0]: 3, codes[1]: int(again) - 1, codes[3]: 2}, 15,
                 "the answers after the drop")
        expect(page.locator(".k360-saved-note")).to_be_visible(timeout=WAIT)
    finally:
        page.close(run_before_unload=True)
        proxy.stop()


def test_two_tabs_on_one_form_cannot_silently_overwrite_each_other(browser, voila_server):
    """The tab that did not see the other's answer is told so and shows the stored answer; nothing is overwritten."""
    (nip, aid, relation), = _fresh(voila_server, 1)
    codes = _codes(voila_server, relation)
    context = browser.new_context()
    first, second = context.new_page(), context.new_page()
    for page in (first, second):
        _open(page, _url(voila_server, nip), aid, voila_server)
    _answer(first, 0, "5")
    wait_for(lambda: _stored(voila_server, aid) == {codes[0]: 4}, 15, "the first tab's answer")
    _answer(second, 0, "1")
    expect(second.get_by_text("diubah di tab atau perangkat lain")).to_be_visible(timeout=WAIT)
    expect(second.locator(".k360-answer").nth(0).locator(".mod-active")).to_have_text("5")
    assert _stored(voila_server, aid) == {codes[0]: 4}
    context.close()
