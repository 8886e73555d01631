"""The real pages in Chromium: open a demo link, fill a form, reload, submit, find the rows; bad link; admin.

Every run takes the README's screenshots of the current UI. They go to a temporary folder, so a test run never
changes tracked files; ``KINERJA_SCREENSHOTS=docs/img .venv/bin/python -m pytest -m e2e`` refreshes the docs.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from live import claim_raters, query, scale_option, wait_for
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

WAIT = 60_000


def _pending(server, count=1):
    """Claim ``count`` raters with a not-yet-started form whose ratee's name is unique among that rater's forms:
    (rater nip, assignment id, ratee name), one form per rater."""
    rows = query(server.db_path,
                  "SELECT a.rater_nip, a.id, p.nama FROM assignment a JOIN pegawai p ON p.nip = a.ratee_nip "
                  "WHERE a.cycle_id = ? AND a.status = 'belum' AND a.aktif = 1 ORDER BY a.rater_nip, a.id",
                  [server.cycle_id])
    seen, out = set(), []
    for nip, aid, nama in rows:
        same_name = query(server.db_path, "SELECT COUNT(*) FROM assignment a JOIN pegawai p ON p.nip = a.ratee_nip "
                           "WHERE a.cycle_id = ? AND a.rater_nip = ? AND p.nama = ?", [server.cycle_id, nip, nama])
        if nip not in seen and same_name[0][0] == 1:
            seen.add(nip)
            out.append((nip, aid, nama))
    return claim_raters(out, count)


def _url(server, nip):
    return next(i.url for i in server.links if i.nip == nip)


def _open_form(page, ratee):
    page.locator(".k360-card", has_text=ratee).get_by_role("button").click()
    expect(page.get_by_text("Perilaku Kerja BerAKHLAK")).to_be_visible(timeout=WAIT)


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    """Where the screenshots go: ``$KINERJA_SCREENSHOTS`` (e.g. docs/img) or a temporary folder."""
    folder = Path(os.environ.get("KINERJA_SCREENSHOTS") or tmp_path_factory.mktemp("layar"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _shot(page, folder, name):
    path = folder / name
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000, f"screenshot {name} is suspiciously small"


def test_rater_fills_reloads_and_submits_a_form(browser, voila_server, shots):
    """A whole form filled in the browser autosaves, survives a reload, submits after confirmation and locks."""
    (nip, aid, ratee), = _pending(voila_server)
    page = browser.new_page(viewport={"width": 1100, "height": 1000})
    page.goto(_url(voila_server, nip))
    expect(page.get_by_text("Penilaian Perilaku Kerja 360°")).to_be_visible(timeout=WAIT)
    expect(page.locator(".k360-card").first).to_be_visible(timeout=WAIT)
    _shot(page, shots, "penilai-daftar.png")

    _open_form(page, ratee)
    total = int(re.search(r"dari (\d+) butir", page.locator(".k360-progress").inner_text()).group(1))
    groups = page.locator(".k360-answer")
    expect(groups).to_have_count(total)
    for n in range(total):
        label = "Tidak dapat menilai" if n == 0 else str(3 + n % 3)
        scale_option(groups.nth(n), label).click()
    expect(page.get_by_text(f"Terisi {total} dari {total} butir")).to_be_visible(timeout=WAIT)
    comment = "Sigap melayani <warga> & teliti"
    page.locator("textarea").first.fill(comment)
    page.locator("textarea").first.press("Tab")
    wait_for(lambda: query(voila_server.db_path, "SELECT teks FROM comment WHERE assignment_id = ?", [aid])
              == [(comment,)])
    saved = dict(query(voila_server.db_path, "SELECT item, score FROM response WHERE assignment_id = ?", [aid]))
    assert len(saved) == total and list(saved.values()).count(None) == 1
    _shot(page, shots, "penilai-kompetensi.png")  # the end of the form: competencies with level descriptors, comments
    page.evaluate("document.getElementById('rendered_cells').scrollTo(0, 0)")
    _shot(page, shots, "penilai-formulir.png")

    page.reload()
    card = page.locator(".k360-card", has_text=ratee)
    expect(card).to_contain_text("Draf", timeout=WAIT)
    expect(card).to_contain_text(f"{total}/{total} butir")
    _open_form(page, ratee)
    expect(page.locator(".k360-answer .mod-active")).to_have_count(total, timeout=WAIT)
    expect(page.locator("textarea").first).to_have_value(comment)

    page.get_by_role("button", name="Kirim penilaian").click()
    expect(page.get_by_text("Setelah dikirim, jawaban terkunci dan tidak dapat diubah.").last).to_be_visible()
    page.get_by_role("button", name="Ya, kirim sekarang").click()
    expect(page.get_by_text("Penilaian ini terkunci").first).to_be_visible(timeout=WAIT)
    expect(page.locator(".k360-answer button:not([disabled])")).to_have_count(0)
    assert query(voila_server.db_path, "SELECT status FROM assignment WHERE id = ?", [aid]) == [("terkirim",)]
    assert dict(query(voila_server.db_path, "SELECT item, score FROM response WHERE assignment_id = ?",
                       [aid])) == saved
    page.close(run_before_unload=True)


@pytest.mark.parametrize("query", ["t=bukan-tautan-yang-sah", "", "t=" + "A" * 43 + "&template=classic"])
def test_bad_link_shows_one_message_and_no_traceback(page, voila_server, query):
    """An invalid link shows the single refusal message, no traceback, no form."""
    page.goto(f"{voila_server.base}/voila/render/penilaian.ipynb?{query}")
    expect(page.get_by_text("Tautan tidak dapat digunakan")).to_be_visible(timeout=WAIT)
    content = page.content()
    assert "Traceback" not in content and "There was an error" not in content
    expect(page.locator(".k360-card")).to_have_count(0)
    page.close(run_before_unload=True)


def test_two_raters_at_the_same_time(browser, voila_server, shots):
    """Two raters on a desktop and a phone work at once; each answer lands on the right form."""
    (nip1, aid1, ratee1), (nip2, aid2, ratee2) = _pending(voila_server, 2)
    desk = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True).new_page()
    desk.goto(_url(voila_server, nip1), wait_until="commit")
    phone.goto(_url(voila_server, nip2), wait_until="commit")
    for page, ratee in ((desk, ratee1), (phone, ratee2)):
        expect(page.locator(".k360-card", has_text=ratee)).to_be_visible(timeout=WAIT)
        _open_form(page, ratee)
    scale_option(desk.locator(".k360-answer").nth(0), "2").click()
    scale_option(phone.locator(".k360-answer").nth(1), "5").click()
    expect(phone.get_by_text("Terisi 1 dari")).to_be_visible(timeout=WAIT)
    expect(desk.get_by_text("Terisi 1 dari")).to_be_visible(timeout=WAIT)
    _shot(phone, shots, "penilai-ponsel.png")
    assert query(voila_server.db_path, "SELECT assignment_id, item, score FROM response WHERE assignment_id IN "
                  "(?, ?) ORDER BY assignment_id", [aid1, aid2]) == sorted([(aid1, "B1.1", 2), (aid2, "B1.2", 5)])
    for page in (desk, phone):
        page.close(run_before_unload=True)


def test_admin_dashboard(page, voila_server, shots):
    """The admin link shows completion matching the database and offers the reminder list."""
    page.set_viewport_size({"width": 1100, "height": 1100})
    page.goto(voila_server.admin.url)
    expect(page.get_by_text("Dasbor Admin Penilaian 360°")).to_be_visible(timeout=WAIT)
    done, total = query(voila_server.db_path, "SELECT SUM(status = 'terkirim'), COUNT(*) FROM assignment "
                         "WHERE cycle_id = ? AND aktif = 1", [voila_server.cycle_id])[0]
    expect(page.get_by_text(f"{done} dari {total} penilaian terkirim")).to_be_visible()
    expect(page.get_by_text("Kelengkapan per relasi")).to_be_visible()
    _shot(page, shots, "admin-dasbor.png")
    page.get_by_role("button", name="Daftar pengingat tanpa tautan (CSV)").click()
    with page.expect_download() as info:
        page.get_by_text("Unduh daftar pengingat").click()
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "NIP,Nama,Unit Kerja,Jumlah Dinilai,Belum Diisi,Draf,Terkirim"
    page.close(run_before_unload=True)


def _opd(db_path, unit):
    parents = dict(query(db_path, "SELECT id, induk_id FROM unit"))
    while parents.get(unit):
        unit = parents[unit]
    return unit


def test_named_opd_admin_drills_down_searches_and_reopens_with_confirmation(page, voila_server):
    """A named OPD admin's own link: their name and OPD in the header, drill into the OPD, find a rater by part of
    the name, reopen one submitted form after a question naming the rater; the audit log names the admin."""
    from kinerja_lib import links
    from kinerja_lib.store import open_db

    rows = query(voila_server.db_path,
                 "SELECT a.rater_nip, a.id, r.nama, r.unit_id, p.nama FROM assignment a "
                 "JOIN pegawai r ON r.nip = a.rater_nip JOIN pegawai p ON p.nip = a.ratee_nip "
                 "WHERE a.cycle_id = ? AND a.aktif = 1 AND a.status = 'terkirim' ORDER BY a.rater_nip, p.nama",
                 [voila_server.cycle_id])
    first = {}
    for nip, aid, rater, unit, _ratee in rows:
        first.setdefault(nip, (nip, aid, rater, unit))
    unique = [c for c in first.values() if len(query(voila_server.db_path, "SELECT 1 FROM pegawai WHERE nama = ?",
                                                      [c[2]])) == 1]
    nip, aid, rater, unit = claim_raters(unique, 1)[0]
    opd = _opd(voila_server.db_path, unit)
    db = open_db(voila_server.db_path)
    try:
        issued = links.issue_named_admin_link(db, voila_server.cycle_id, "Sri Lestari", opd=opd,
                                              base_url=voila_server.base)
    finally:
        db.close()
    page.set_viewport_size({"width": 1100, "height": 900})
    page.goto(issued.url)
    expect(page.get_by_text("Masuk sebagai Sri Lestari")).to_be_visible(timeout=WAIT)
    page.get_by_label("Rincian unit", exact=True).select_option(label=query(voila_server.db_path,
                                                                 "SELECT nama FROM unit WHERE id = ?", [opd])[0][0])
    expect(page.get_by_role("button", name="⬆ Naik satu tingkat")).to_be_enabled(timeout=WAIT)
    page.get_by_placeholder("Nama atau NIP penilai").fill(rater.lower()[1:])
    page.get_by_role("button", name="Cari penilai").click()
    expect(page.get_by_text("penilai ditemukan")).to_be_visible(timeout=WAIT)
    page.get_by_label("Penilai", exact=True).select_option(label=f"{rater} — NIP {nip} — {unit}")
    page.get_by_placeholder("Alasan membuka kembali").fill("Permintaan penilai lewat telepon")
    page.get_by_role("button", name="Buka kembali formulir").click()
    question = page.locator(".k360-confirm")
    expect(question).to_contain_text(f"NIP {nip}", timeout=WAIT)
    expect(question).to_be_in_viewport()
    assert query(voila_server.db_path, "SELECT status FROM assignment WHERE id = ?", [aid])[0][0] == "terkirim"
    page.get_by_role("button", name="Ya, buka kembali").click()
    expect(page.get_by_text("dibuka kembali sebagai draf")).to_be_visible(timeout=WAIT)
    assert query(voila_server.db_path, "SELECT status FROM assignment WHERE id = ?", [aid])[0][0] == "draf"
    pelaku = query(voila_server.db_path, "SELECT pelaku FROM audit_log WHERE aksi = 'buka_kembali_penilaian' "
                   "AND entitas_id = ?", [str(aid)])
    link_id = query(voila_server.db_path, "SELECT id FROM link WHERE token_hash = ?", [links.hash_token(issued.token)])
    assert pelaku == [(f"admin:Sri Lestari (tautan{link_id[0][0]})",)]
    page.close(run_before_unload=True)


def test_server_log_never_records_a_token_and_closed_tabs_free_their_kernels(page, voila_server):
    """Requests are logged by path only (no issued token in the log); closing a tab shuts its kernel down.

    The test opens and closes its own rater's page, so it holds whichever tests ran before it."""
    (nip, _, _), = _pending(voila_server)
    closed_before = len(re.findall(r"204 POST /voila/api/shutdown/", voila_server.log.read_text(encoding="utf-8")))
    page.goto(_url(voila_server, nip))
    expect(page.locator(".k360-card").first).to_be_visible(timeout=WAIT)
    page.close(run_before_unload=True)
    wait_for(lambda: len(re.findall(r"204 POST /voila/api/shutdown/[0-9a-f-]{36}",
                                    voila_server.log.read_text(encoding="utf-8"))) > closed_before,
             what="the closed tab's kernel shut down")
    text = voila_server.log.read_text(encoding="utf-8")
    assert "GET /voila/render/penilaian.ipynb" in text
    assert "403 POST /voila/api/shutdown" not in text
    assert not [i.nip for i in voila_server.links if i.token in text]
    assert voila_server.admin.token not in text
