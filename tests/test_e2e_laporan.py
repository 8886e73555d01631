"""The real page in Chromium: a pegawai opens 'Laporan saya' through their own link; the opening is recorded."""

from __future__ import annotations

import pytest
from live import claim_raters, query
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

WAIT = 60_000


def test_a_pegawai_reads_their_published_report_in_the_page(browser, voila_server):
    """'Buka laporan' shows the report in a sandboxed frame with the download link, and counts the opening."""
    from kinerja_lib.reports import prepare_cycle, published_report
    from kinerja_lib.store import open_db

    rated = [r[0] for r in query(voila_server.db_path,
                                 "SELECT DISTINCT a.ratee_nip FROM assignment a JOIN link l ON l.rater_nip = a.ratee_nip "
                                 "AND l.jenis = 'penilai' AND l.dicabut IS NULL WHERE a.cycle_id = ? AND "
                                 "a.status = 'terkirim' AND a.relation = 'atasan' ORDER BY a.ratee_nip",
                                 [voila_server.cycle_id])]
    nip, = claim_raters(rated, 1)
    db = open_db(voila_server.db_path, migrate=False)
    try:
        published_report(db, prepare_cycle(db, voila_server.cycle_id, nip=nip), nip)
        nama = db.execute("SELECT nama FROM pegawai WHERE nip = ?", [nip]).fetchone()[0]
    finally:
        db.close()
    page = browser.new_page(viewport={"width": 1100, "height": 1000})
    page.goto(next(i.url for i in voila_server.links if i.nip == nip))
    card = page.locator(".k360-own-report-card")
    expect(card).to_be_visible(timeout=WAIT)
    card.get_by_role("button", name="Buka laporan").click()
    frame = page.frame_locator("iframe.k360-report-frame")
    expect(frame.get_by_text("Laporan Umpan Balik 360°", exact=False).first).to_be_visible(timeout=WAIT)
    expect(frame.get_by_text(nama, exact=False).first).to_be_visible(timeout=WAIT)
    expect(page.locator("a.k360-download")).to_have_attribute("download", f"laporan-360-{nip}-versi-1.html")
    assert query(voila_server.db_path, "SELECT jumlah FROM laporan_dibuka WHERE nip = ?", [nip]) == [(1,)]
    page.close(run_before_unload=True)
