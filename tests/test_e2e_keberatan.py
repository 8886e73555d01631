"""Keberatan in the real page: a pegawai objects through their link, the atasan of the Pejabat Penilai decides."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from datetime import datetime, timedelta, timezone

import live
import pytest
from live import query, wait_for
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

WAIT = 60_000


def _pegawai_and_pemutus(server):
    """A pegawai whose atasan (the Pejabat Penilai) has an atasan of their own, all three with unclaimed links;
    claim all three (no other live test then touches the pegawai's ratings) and record the pegawai's decided
    ratings as of yesterday."""
    with_links = {i.nip for i in server.links} - live._CLAIMED
    rows = query(server.db_path, "SELECT p.nip, a.nip, a.atasan_nip FROM pegawai p "
                                 "JOIN pegawai a ON a.nip = p.atasan_nip "
                                 "WHERE a.atasan_nip IS NOT NULL AND p.aktif = 1 ORDER BY p.nip")
    for nip, penilai, pemutus in rows:
        if {nip, penilai, pemutus} <= with_links and not query(server.db_path, "SELECT 1 FROM keberatan WHERE pemutus_nip = ?",
                                                      [pemutus]):
            for person in (nip, penilai, pemutus):
                live.claim_raters([person])
            at = (datetime.now(timezone.utc) - timedelta(days=1)).replace(microsecond=0).isoformat()
            with closing(sqlite3.connect(server.db_path, timeout=30)) as conn, conn:
                for table, rating in (("rating_hasil_kerja", "Sesuai Ekspektasi"),
                                      ("rating_perilaku", "Sesuai Ekspektasi")):
                    conn.execute(f"INSERT OR REPLACE INTO {table} (cycle_id, nip, rating, sumber, penilai_nip, "
                                 "diperbarui) VALUES (?, ?, ?, 'formulir', ?, ?)",
                                 [server.cycle_id, nip, rating, penilai, at])
            return nip, pemutus
    raise AssertionError("no unclaimed pegawai whose Pejabat Penilai has an atasan with a link")


def test_a_pegawai_objects_and_the_pemutus_refuses_through_their_links(browser, voila_server):
    nip, pemutus = _pegawai_and_pemutus(voila_server)
    url = {i.nip: i.url for i in voila_server.links}
    reason = "Uji peramban <b>capaian</b> tidak dihitung"
    page = browser.new_page(viewport={"width": 420, "height": 900})
    page.goto(url[nip])
    page.get_by_role("button", name="Keberatan atas predikat").click()
    expect(page.get_by_placeholder("Alasan keberatan (wajib)")).to_be_visible(timeout=WAIT)
    expect(page.get_by_text(re.compile(r"Batas pengajuan keberatan: .* WIB"))).to_be_visible()
    page.get_by_placeholder("Alasan keberatan (wajib)").fill(reason)
    page.get_by_role("button", name="Ajukan keberatan").click()
    expect(page.get_by_text(re.compile("terkirim kepada atasan Pejabat Penilai Kinerja"))).to_be_visible(timeout=WAIT)
    assert query(voila_server.db_path, "SELECT nip, pemutus_nip, status, diajukan_oleh FROM keberatan WHERE alasan = ?",
                 [reason]) == [(nip, pemutus, "diajukan", f"penilai:{nip}")]
    page.close(run_before_unload=True)

    boss = browser.new_page(viewport={"width": 1000, "height": 900})
    boss.goto(url[pemutus])
    boss.get_by_role("button", name="Keberatan yang menunggu keputusan Anda (1)").click()
    card = boss.locator(".k360-keberatan-item", has_text="Uji peramban")
    expect(card).to_be_visible(timeout=WAIT)
    expect(card).to_contain_text(reason)                   # shown as text, escaped
    card.get_by_role("radio", name="Ditolak").click()
    card.get_by_placeholder(re.compile("Uraian keputusan")).fill("Capaian sudah dihitung")
    card.locator("textarea").blur()
    card.get_by_role("button", name="Putuskan").click()
    expect(boss.get_by_text(re.compile("Simpan keputusan: keberatan"))).to_be_visible(timeout=WAIT)
    boss.get_by_role("button", name="Ya, simpan keputusan").click()
    expect(boss.get_by_text(re.compile("Keputusan tersimpan"))).to_be_visible(timeout=WAIT)
    wait_for(lambda: query(voila_server.db_path, "SELECT status, keputusan FROM keberatan WHERE alasan = ?",
                           [reason]) == [("ditolak", "Capaian sudah dihitung")], what="decision stored")
    boss.close(run_before_unload=True)
