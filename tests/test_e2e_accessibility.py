"""The rater pages meet WCAG 2.1 AA as axe-core judges them in Chromium, and a form can be filled and submitted with
the keyboard alone."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from live import claim_raters, query, scale_option, wait_for
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

WAIT = 60_000
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"  # 4.14.1, see vendor/axe-core/README.md
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _pending(server, count=1):
    """Claim ``count`` raters who rate a colleague (not themselves, not as pejabat penilai) on a form not yet
    started: (rater nip, assignment id, ratee name)."""
    rows = query(server.db_path,
                 "SELECT a.rater_nip, a.id, p.nama FROM assignment a JOIN pegawai p ON p.nip = a.ratee_nip "
                 "WHERE a.cycle_id = ? AND a.status = 'belum' AND a.aktif = 1 AND a.relation = 'rekan' "
                 "AND (SELECT COUNT(*) FROM assignment b JOIN pegawai q ON q.nip = b.ratee_nip WHERE "
                 "b.cycle_id = a.cycle_id AND b.rater_nip = a.rater_nip AND q.nama = p.nama) = 1 "
                 "ORDER BY a.rater_nip, a.id", [server.cycle_id])
    seen, out = set(), []
    for nip, aid, nama in rows:
        if nip not in seen:
            seen.add(nip)
            out.append((nip, aid, nama))
    return claim_raters(out, count)


def _url(server, nip):
    return next(i.url for i in server.links if i.nip == nip)


def _axe_violations(page) -> list[str]:
    """Run axe-core's WCAG 2.1 A and AA rules on the page; return one line per violation and element."""
    if page.evaluate("typeof window.axe") == "undefined":
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA)
    assert len(result["passes"]) >= 10, "axe-core checked almost nothing: is the page rendered?"
    return [f"{v['id']} ({v['impact']}): {v['help']} — {node['target']}"
            for v in result["violations"] for node in v["nodes"]]


def test_vendored_axe_core_is_the_pinned_release():
    """The engine the verdict rests on is exactly axe-core 4.14.1 as published on npm."""
    assert hashlib.sha256(AXE.read_bytes()).hexdigest() == AXE_SHA256


@pytest.mark.parametrize("viewport", [{"width": 1100, "height": 900}, {"width": 390, "height": 844}],
                         ids=["desktop", "phone"])
def test_axe_finds_no_violation_on_the_list_and_a_form(browser, voila_server, viewport):
    """axe-core (WCAG 2.1 A/AA) finds nothing on the rater's list nor on an open form, on a desktop and a phone."""
    (nip, _aid, ratee), = _pending(voila_server)
    page = browser.new_context(viewport=viewport).new_page()
    page.goto(_url(voila_server, nip))
    expect(page.locator(".k360-card", has_text=ratee)).to_be_visible(timeout=WAIT)
    assert page.evaluate("document.documentElement.lang") == "id"
    assert _axe_violations(page) == []

    page.locator(".k360-card", has_text=ratee).get_by_role("button").click()
    expect(page.locator(".k360-answer").first).to_be_visible(timeout=WAIT)
    expect(page.locator('.k360-answer[role="radiogroup"]').first).to_be_visible(timeout=WAIT)
    scale_option(page.locator(".k360-answer").first, "4").click()
    expect(page.get_by_text("Terisi 1 dari")).to_be_visible(timeout=WAIT)
    assert _axe_violations(page) == []

    # the check can fail: a button without a name planted in the form is reported
    page.evaluate("document.querySelector('.k360-form').appendChild(document.createElement('button'))")
    assert [v for v in _axe_violations(page) if v.startswith("button-name ")]
    page.close(run_before_unload=True)


def _focused(page) -> dict:
    return page.evaluate("""() => {
        const e = document.activeElement;
        const group = e && e.closest ? e.closest('.k360-scale') : null;
        return {tag: e ? e.tagName : null, role: e ? e.getAttribute('role') : null,
                text: e ? (e.getAttribute('aria-label') || e.textContent || '').trim() : '',
                in_form: !!(e && e.closest && e.closest('.k360-form')),
                group_answered: group ? !!group.querySelector('[aria-checked="true"]') : null,
                group_disabled: group ? group.getAttribute('aria-disabled') === 'true' : null};
    }""")


def test_keyboard_alone_fills_and_submits_a_form(browser, voila_server):
    """With Tab, the arrow keys, typing and Enter only (no pointer), a rater opens a form from the list, answers every
    item, writes a comment, submits, confirms, and the database holds exactly what was chosen; axe-core finds no
    violation on the filled form with its confirmation open."""
    (nip, aid, ratee), = _pending(voila_server)
    page = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
    page.goto(_url(voila_server, nip))
    expect(page.locator(".k360-card", has_text=ratee)).to_be_visible(timeout=WAIT)

    for _ in range(200):  # Tab to the card's button, open with Enter
        page.keyboard.press("Tab")
        if page.evaluate("(name) => { const e = document.activeElement; const c = e && e.closest('.k360-card');"
                         " return !!c && e.tagName === 'BUTTON' && c.textContent.includes(name); }", ratee):
            break
    else:
        pytest.fail(f"Tab never reached the button of {ratee}'s card")
    page.keyboard.press("Enter")
    expect(page.locator('.k360-answer[role="radiogroup"]').first).to_be_visible(timeout=WAIT)
    total = page.locator(".k360-answer").count()

    comment = "Selalu tepat waktu"
    typed = submitted = False
    for _ in range(600):
        page.keyboard.press("Tab")
        f = _focused(page)
        if f["role"] == "radio" and f["group_answered"] is False and not f["group_disabled"]:
            page.keyboard.press("ArrowRight")  # moves to the second option and chooses it (a radio group's keys)
            wait_for(lambda: _focused(page)["group_answered"], 30, "the choice to show as checked")
        elif f["tag"] == "TEXTAREA" and not typed:
            page.keyboard.type(comment)
            typed = True
        elif f["tag"] == "BUTTON" and f["text"] == "Kirim penilaian":
            page.keyboard.press("Enter")
            expect(page.get_by_role("button", name="Ya, kirim sekarang")).to_be_focused(timeout=WAIT)
            assert _axe_violations(page) == []  # the whole form filled in, with its confirmation open
            page.keyboard.press("Enter")
            submitted = True
            break
    assert submitted, "Tab never reached 'Kirim penilaian'"
    expect(page.get_by_text("Penilaian ini terkunci").first).to_be_visible(timeout=WAIT)

    assert query(voila_server.db_path, "SELECT status FROM assignment WHERE id = ?", [aid]) == [("terkirim",)]
    scores = query(voila_server.db_path, "SELECT score FROM response WHERE assignment_id = ?", [aid])
    assert len(scores) == total and {s for (s,) in scores} == {2}  # the second option of every scale
    assert query(voila_server.db_path, "SELECT teks FROM comment WHERE assignment_id = ?", [aid]) == [(comment,)]
    page.close(run_before_unload=True)


def test_axe_finds_no_violation_on_the_admin_dashboard(page, voila_server):
    """axe-core (WCAG 2.1 A/AA) finds nothing on the admin dashboard: tables, the chart, the drill-down and forms."""
    page.set_viewport_size({"width": 1100, "height": 900})
    page.goto(voila_server.admin.url)
    expect(page.get_by_text("Dasbor Admin Penilaian 360°")).to_be_visible(timeout=WAIT)
    expect(page.locator("svg[role=img]")).to_be_visible(timeout=WAIT)
    assert _axe_violations(page) == []
    page.close(run_before_unload=True)
