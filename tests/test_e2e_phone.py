"""The rater form on a phone (390×844, touch): anchor words under each scale, 44 px targets, the jump to the next
unanswered item, the confirmation in view, and the back gesture returning to the list."""

from __future__ import annotations

import pytest
from live import claim_raters, query, scale_option
from playwright.sync_api import expect

from kinerja_lib.reference import load_scale

pytestmark = pytest.mark.e2e

WAIT = 60_000
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def _pending(server):
    """Claim one rater rating a colleague on a form not yet started: (rater nip, assignment id, ratee name)."""
    rows = query(server.db_path,
                 "SELECT a.rater_nip, a.id, p.nama FROM assignment a JOIN pegawai p ON p.nip = a.ratee_nip "
                 "WHERE a.cycle_id = ? AND a.status = 'belum' AND a.aktif = 1 AND a.relation = 'rekan' "
                 "AND (SELECT COUNT(*) FROM assignment b JOIN pegawai q ON q.nip = b.ratee_nip WHERE "
                 "b.cycle_id = a.cycle_id AND b.rater_nip = a.rater_nip AND q.nama = p.nama) = 1 "
                 "ORDER BY a.rater_nip DESC, a.id", [server.cycle_id])
    seen, out = set(), []
    for nip, aid, nama in rows:
        if nip not in seen:
            seen.add(nip)
            out.append((nip, aid, nama))
    return claim_raters(out, 1)


def _too_small(locator) -> list[str]:
    """Descriptions of the visible elements of ``locator`` smaller than 44×44 CSS pixels."""
    out = []
    for n in range(locator.count()):
        box = locator.nth(n).bounding_box()
        if box and (box["width"] < 44 or box["height"] < 44):
            out.append(f"{locator.nth(n).inner_text()!r}: {box['width']:.0f}×{box['height']:.0f}")
    return out


def test_a_phone_rater_sees_anchors_jumps_to_gaps_confirms_in_view_and_goes_back_to_the_list(browser, voila_server):
    """On a phone: the scale's anchor words are visible under every scale, every target is at least 44 px, the
    "Ke butir belum diisi" jump lands on the first unanswered item, the submit confirmation is on screen, and the
    back gesture returns to the list without leaving the page."""
    (nip, aid, ratee), = _pending(voila_server)
    url = next(i.url for i in voila_server.links if i.nip == nip)
    scale = load_scale()
    page = browser.new_context(**PHONE).new_page()
    page.goto(url)
    card = page.locator(".k360-card", has_text=ratee)
    expect(card).to_be_visible(timeout=WAIT)
    assert _too_small(page.locator(".k360-card button")) == []
    card.get_by_role("button").tap()

    groups = page.locator(".k360-answer")
    expect(groups.first).to_be_visible(timeout=WAIT)
    total = groups.count()
    first_anchor = page.locator(".k360-item").first.locator(".k360-anchors")
    expect(first_anchor).to_be_visible()
    expect(first_anchor).to_contain_text(f"{scale.points[0]} = ")
    expect(first_anchor).to_contain_text(f"{scale.points[-1]} = {scale.labels[scale.points[-1]]}")
    assert page.locator(".k360-item .k360-anchors").count() == total  # one under every scale
    assert _too_small(groups.first.locator("button")) == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # nothing wider than the phone

    scale_option(groups.nth(0), "4").tap()
    scale_option(groups.nth(1), "4").tap()
    expect(page.get_by_text("Terisi 2 dari")).to_be_visible(timeout=WAIT)
    page.locator(".k360-next").tap()
    third = page.locator(".k360-item").nth(2)
    expect(third).to_be_in_viewport(timeout=10_000)
    assert page.evaluate("document.activeElement.closest('.k360-item') === "
                         "document.querySelectorAll('.k360-item')[2]")

    for n in range(2, total):
        scale_option(groups.nth(n), "3").tap()
    expect(page.get_by_text(f"Terisi {total} dari {total} butir")).to_be_visible(timeout=WAIT)
    page.get_by_role("button", name="Kirim penilaian").tap()
    confirm = page.get_by_role("button", name="Ya, kirim sekarang")
    expect(confirm).to_be_in_viewport(timeout=WAIT)
    assert _too_small(page.locator(".k360-confirm button")) == []
    page.get_by_role("button", name="Batal").tap()

    page.go_back()
    expect(card).to_be_visible(timeout=WAIT)
    expect(page.locator(".k360-form")).to_have_count(0)
    assert page.url == url
    expect(card).to_contain_text(f"{total}/{total} butir")
    assert query(voila_server.db_path, "SELECT status FROM assignment WHERE id = ?", [aid]) == [("draf",)]
    page.close(run_before_unload=True)


SMALL_PHONE = {**PHONE, "viewport": {"width": 360, "height": 640}}


def test_on_a_small_phone_the_compact_header_leaves_the_first_card_and_the_first_items_on_the_first_screen(
        browser, voila_server):
    """At 360×640 the header is a compact strip: the first card of the list, with its button, starts on the first
    screen, and an open form's first value heading is on it too, the rater's details giving way."""
    (nip, _, ratee), = _pending(voila_server)
    url = next(i.url for i in voila_server.links if i.nip == nip)
    page = browser.new_context(**SMALL_PHONE).new_page()
    page.goto(url)
    first = page.locator(".k360-card").first
    expect(first).to_be_visible(timeout=WAIT)
    height = page.evaluate("window.innerHeight")
    assert height == 640
    assert first.bounding_box()["y"] < height
    expect(first.get_by_role("button")).to_be_in_viewport(ratio=1)
    header = page.locator(".k360-header")
    assert header.bounding_box()["height"] <= 0.2 * height
    expect(header).to_contain_text("Penilai:")
    expect(header.locator(".k360-rater-detail")).to_be_hidden()

    page.locator(".k360-card", has_text=ratee).get_by_role("button").tap()
    expect(page.locator(".k360-answer").first).to_be_visible(timeout=WAIT)
    page.evaluate("window.scrollTo(0, 0)")
    assert page.locator(".k360-value").first.bounding_box()["y"] < height
    assert header.bounding_box()["height"] <= 0.12 * height
    page.close(run_before_unload=True)
