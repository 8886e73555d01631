"""Umpan Balik Berkelanjutan in the real page: an atasan writes a note, the bawahan acknowledges it via their link."""

from __future__ import annotations

import re

import live
import pytest
from live import query, wait_for
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

WAIT = 60_000


def _pair(server):
    """An atasan and their first bawahan (as the page preselects it), both with links and unclaimed; claim both."""
    with_links = {i.nip for i in server.links}
    for atasan, in query(server.db_path, "SELECT DISTINCT atasan_nip FROM pegawai WHERE atasan_nip IS NOT NULL "
                                         "ORDER BY atasan_nip"):
        first = query(server.db_path, "SELECT nip FROM pegawai WHERE atasan_nip = ? AND aktif = 1 ORDER BY nama, nip "
                                      "LIMIT 1", [atasan])
        if first and {atasan, first[0][0]} <= with_links - live._CLAIMED:
            live.claim_raters([atasan])
            live.claim_raters([first[0][0]])
            return atasan, first[0][0]
    raise AssertionError("no unclaimed atasan with an unclaimed first bawahan")


def test_an_atasan_notes_a_dialog_and_the_bawahan_acknowledges_it(browser, voila_server):
    atasan, bawahan = _pair(voila_server)
    url = {i.nip: i.url for i in voila_server.links}
    topic = "Uji peramban <b>target</b> layanan"
    page = browser.new_page(viewport={"width": 1000, "height": 900})
    page.goto(url[atasan])
    page.get_by_role("button", name="Umpan balik untuk bawahan").click()
    expect(page.get_by_placeholder("Hal yang dibahas (wajib)")).to_be_visible(timeout=WAIT)
    page.get_by_placeholder("Hal yang dibahas (wajib)").fill(topic)
    page.get_by_placeholder("Tindak lanjut yang disepakati").fill("Ikut bimtek")
    page.get_by_role("button", name="Simpan catatan").click()
    expect(page.get_by_text("Catatan tersimpan.")).to_be_visible(timeout=WAIT)
    rows = query(voila_server.db_path, "SELECT id, nip, dikonfirmasi FROM umpan_balik WHERE topik = ?", [topic])
    assert [(r[1], r[2]) for r in rows] == [(bawahan, None)]
    expect(page.locator(".k360-card", has_text=topic)).to_contain_text("Belum dikonfirmasi pegawai")
    page.close(run_before_unload=True)

    mine = browser.new_page(viewport={"width": 420, "height": 900})
    mine.goto(url[bawahan])
    mine.get_by_role("button", name=re.compile("Catatan umpan balik untuk saya")).click()
    card = mine.locator(".k360-value", has_text=topic)
    expect(card).to_be_visible(timeout=WAIT)
    card.locator("textarea").fill("Siap")
    card.get_by_role("button", name="Konfirmasi sudah membaca").click()
    expect(mine.get_by_text("Catatan sudah dikonfirmasi dan tersimpan.")).to_be_visible(timeout=WAIT)
    wait_for(lambda: query(voila_server.db_path, "SELECT dikonfirmasi, tanggapan FROM umpan_balik WHERE id = ?",
                           [rows[0][0]])[0][1] == "Siap", what="acknowledgement stored")
    expect(mine.locator(".k360-value", has_text=topic)).to_contain_text("Dikonfirmasi pegawai")
    mine.close(run_before_unload=True)
