"""The real pages in Chromium: 'Laporan saya' through a pegawai's own link, and a peer nomination approved."""

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


def test_a_pegawai_nominates_rekan_and_their_atasan_approves_in_the_browser(browser, voila_server):
    """Search by name, add three, send; the atasan's list shows the approval card and 'Setujui usulan' decides."""
    from kinerja_lib import nominasi
    from kinerja_lib.cycle import get_cycle
    from kinerja_lib.forms.nominasi import _label
    from kinerja_lib.store import open_db

    db = open_db(voila_server.db_path, migrate=False)
    try:
        low = nominasi.limits(get_cycle(db, voila_server.cycle_id))[0]
        pairs = db.execute("SELECT p.nip, p.atasan_nip FROM pegawai p JOIN link l ON l.rater_nip = p.nip AND "
                           "l.jenis = 'penilai' AND l.dicabut IS NULL JOIN link k ON k.rater_nip = p.atasan_nip "
                           "AND k.jenis = 'penilai' AND k.dicabut IS NULL WHERE p.aktif = 1 ORDER BY p.nip").fetchall()
        chosen = None
        for nip, atasan in pairs:
            picks = nominasi.search(db, nip, "an")[:low]
            if len(picks) < low:
                continue
            try:
                claim_raters([nip, atasan], 2)   # raises, claiming nothing, when another live test holds either
            except AssertionError:
                continue
            chosen = (nip, atasan, picks)
            break
        assert chosen, "no pegawai with enough eligible colleagues in the demo"
        nip, atasan, picks = chosen
        nominasi.open_window(db, voila_server.cycle_id, pelaku="uji")
    finally:
        db.close()
    try:
        page = browser.new_page(viewport={"width": 1100, "height": 1000})
        page.goto(next(i.url for i in voila_server.links if i.nip == nip))
        page.get_by_role("button", name="Usulkan rekan").click()
        box = page.get_by_placeholder("Ketik sebagian nama rekan (min. 2 huruf)")
        expect(box).to_be_visible(timeout=WAIT)
        for c in picks:
            box.fill(c.nama)
            page.get_by_role("button", name="Cari", exact=True).click()
            page.locator(".k360-picker select").select_option(label=_label(c), timeout=WAIT)
            page.get_by_role("button", name="Tambahkan ke usulan").click()
        page.get_by_role("button", name=f"Kirim usulan ({low} rekan)").click()
        expect(page.get_by_text("Usulan terkirim ke atasan Anda.")).to_be_visible(timeout=WAIT)
        page.close(run_before_unload=True)
        page = browser.new_page(viewport={"width": 1100, "height": 1000})
        page.goto(next(i.url for i in voila_server.links if i.nip == atasan))
        page.get_by_role("button", name="Tinjau usulan").click()
        page.get_by_role("button", name="Setujui usulan").click()
        expect(page.get_by_text(f"disetujui: {low} rekan", exact=False)).to_be_visible(timeout=WAIT)
        page.close(run_before_unload=True)
        rows = query(voila_server.db_path, "SELECT rekan_nip, status, diputuskan_oleh FROM nominasi WHERE "
                     "ratee_nip = ? ORDER BY rekan_nip", [nip])
        assert rows == sorted((c.nip, "disetujui", f"penilai:{atasan}") for c in picks)
    finally:
        db = open_db(voila_server.db_path, migrate=False)
        try:
            nominasi.close_window(db, voila_server.cycle_id, pelaku="uji")
        finally:
            db.close()

