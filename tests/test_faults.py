"""Fault injection on a live form server: killed kernels, a killed server, an import beside the raters, a replaced file.

Raters here are ``raters.RecordingRater``s (the messages a browser sends, without the browser) answering as fast as a
person clicking; one test also keeps a Chromium page open through a server crash. After every fault the same rules
are checked on the database file:

- nothing lost: every answer a page showed as saved (the ``k360-saved-<index>`` marker the kernel sets once the
  database returned) is in the database with that value;
- nothing duplicated or half-written: one row per form and item, imported forms whole, the import in the audit log
  once, ``PRAGMA integrity_check`` is ``ok`` and no foreign key dangles.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest
from live import http_get, kill_kernel, query, scale_option, shutdown_kernel, wait_for
from playwright.sync_api import expect
from raters import BEHAVIOUR, RaterLoop, RecordingRater, run

from kinerja_lib.items import items_for_relation

pytestmark = pytest.mark.slow

ANSWERS_PER_RATER = 42  # every BerAKHLAK item twice, the second time with another score


# --------------------------------------------------------------------------- helpers

def _fresh_raters(fs, count, exclude=()):
    """NIPs of raters none of whose forms has been touched yet."""
    rows = query(fs.db_path, "SELECT rater_nip FROM assignment WHERE cycle_id = ? AND aktif = 1 GROUP BY rater_nip "
                 "HAVING SUM(status = 'belum') = COUNT(*) ORDER BY rater_nip", [fs.cycle_id])
    return [nip for (nip,) in rows if nip not in exclude][:count]


def _url(fs, nip):
    return next(link.url for link in fs.links if link.nip == nip)


def _stored(fs, nip) -> dict[str, int | None]:
    """The BerAKHLAK answers in the database of the one form ``nip`` has started."""
    rows = query(fs.db_path, "SELECT r.item, r.score FROM response r JOIN assignment a ON a.id = r.assignment_id "
                 "WHERE a.rater_nip = ? AND a.cycle_id = ? AND a.status = 'draf'", [nip, fs.cycle_id])
    return {item: score for item, score in rows if item in BEHAVIOUR}


def _assert_nothing_lost(fs, rater, nip):
    shown, stored = rater.shown_as_saved(), _stored(fs, nip)
    assert shown, "the page showed nothing as saved: the test proved nothing"
    assert {item: stored.get(item, "missing") for item in shown} == shown


def _assert_database_sound(path):
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("SELECT assignment_id, item FROM response GROUP BY assignment_id, item "
                            "HAVING COUNT(*) > 1").fetchall() == []


def _import_file(fs, folder: Path, count: int, exclude) -> tuple[Path, dict[int, int]]:
    """A `kinerja import responses` file answering ``count`` untouched forms of other raters completely;
    returns it with assignment id -> number of items."""
    settings = json.loads(query(fs.db_path, "SELECT settings FROM cycle WHERE id = ?", [fs.cycle_id])[0][0])
    rows = query(fs.db_path, "SELECT id, rater_nip, ratee_nip, relation FROM assignment WHERE cycle_id = ? AND "
                 "aktif = 1 AND status = 'belum' ORDER BY id DESC", [fs.cycle_id])
    chosen = [r for r in rows if r[1] not in exclude][:count]
    path = folder / f"jawaban-{time.monotonic_ns()}.csv"
    sizes = {}
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["nip_penilai", "nip_dinilai", "relasi", "kode_butir", "skor"])
        for aid, rater, ratee, relation in chosen:
            codes = items_for_relation(settings, relation)
            sizes[aid] = len(codes)
            for n, code in enumerate(codes):
                writer.writerow([rater, ratee, relation, code, 1 + (aid + n) % 5])
    return path, sizes


def _start_import(fs, path: Path) -> subprocess.Popen:
    return subprocess.Popen([str(Path(sys.executable).parent / "kinerja"), "--db", str(fs.db_path), "import",
                             "responses", str(path)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _assert_import_whole(fs, proc: subprocess.Popen, sizes: dict[int, int]):
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out.decode(errors="replace")
    marks = ",".join("?" * len(sizes))
    got = dict(query(fs.db_path, f"SELECT a.id, COUNT(r.item) FROM assignment a JOIN response r ON r.assignment_id = a.id "
                     f"WHERE a.id IN ({marks}) AND a.status = 'terkirim' AND a.dikirim_melalui = 'impor' GROUP BY a.id",
                     list(sizes)))
    assert got == sizes


async def _answer(rater: RecordingRater, count: int, pause: float = 0.05, on=None):
    """Answer ``count`` times (``rater.answer``); call ``on(n)`` before answer n."""
    for n in range(count):
        if on is not None:
            on(n)
        await rater.answer(n)
        await asyncio.sleep(pause)


# --------------------------------------------------------------------------- the tests

def test_the_server_caps_page_kernels_in_total(fault_server):
    """With 4 pages open on 4 links the fifth link gets 'Server sedang sibuk, coba lagi' and no kernel."""
    fs = fault_server
    nips = _fresh_raters(fs, 5)
    kernels = []
    try:
        for nip in nips[:4]:
            status, body = http_get(_url(fs, nip))
            assert status == 200
            kernels.append(json.loads(body.split('id="jupyter-config-data" type="application/json">')[1]
                                      .split("</script>")[0])["kernelId"])
        status, body = http_get(_url(fs, nips[4]))
        assert status == 503 and "Server sedang sibuk, coba lagi" in body and "kernelId" not in body
    finally:
        for kernel in kernels:
            shutdown_kernel(fs.base, kernel)
    assert http_get(_url(fs, nips[4]))[0] == 200


def test_killed_kernels_and_a_concurrent_import_lose_nothing_shown_as_saved(fault_server):
    """Three raters answer while an import writes 20 other forms; one rater's kernel is SIGKILLed mid-stream."""
    fs = fault_server
    nips = _fresh_raters(fs, 3)
    path, sizes = _import_file(fs, fs.folder, 20, exclude=nips)
    raters = [RecordingRater(_url(fs, nip)) for nip in nips]
    killed = {}

    def kill_at(n):
        if n == 17 and not killed:
            killed["pid"] = kill_kernel(raters[0].kernel_id)

    async def scenario():
        for r in raters:
            await r.open()
        proc = _start_import(fs, path)
        await asyncio.gather(_answer(raters[0], ANSWERS_PER_RATER, on=kill_at),
                             *(_answer(r, ANSWERS_PER_RATER) for r in raters[1:]))
        for r in raters[1:]:
            await r.settle()
        return proc

    proc = run(scenario())
    try:
        _assert_import_whole(fs, proc, sizes)
        assert killed, "the kernel was never killed"
        for rater, nip in zip(raters, nips):
            _assert_nothing_lost(fs, rater, nip)
        for rater, nip in zip(raters[1:], nips[1:]):  # the survivors: the page and the database agree entirely
            wait_for(lambda: rater.shown_as_saved() == _stored(fs, nip), 10, "page and database agreeing")
            assert len(rater.shown_as_saved()) == 21
        assert len(raters[0].shown_as_saved()) < 21  # what the dead kernel never saved is not shown as saved
        assert query(fs.db_path, "SELECT COUNT(*) FROM audit_log WHERE aksi = 'impor_jawaban' AND detail LIKE ?",
                     [f"%{path.name}%"]) == [(1,)]
        _assert_database_sound(fs.db_path)
    finally:
        for r in raters:
            shutdown_kernel(fs.base, r.kernel_id)


def test_a_kernel_killed_inside_its_write_leaves_nothing_half_written(fault_server):
    """A kernel killed while it waits inside its write transaction writes nothing and shows nothing as saved;
    the next writer goes on at once."""
    fs = fault_server
    nip, other = _fresh_raters(fs, 2)
    victim, next_rater = RecordingRater(_url(fs, nip)), RecordingRater(_url(fs, other))
    with RaterLoop() as loop:
        try:
            loop.run(victim.open())
            loop.run(next_rater.open())
            with closing(sqlite3.connect(fs.db_path, isolation_level=None)) as lock:
                lock.execute("BEGIN IMMEDIATE")  # the database is busy: the kernel's save waits for the write lock
                loop.run(victim.answer(3))
                time.sleep(1.0)
                kill_kernel(victim.kernel_id)
                time.sleep(0.5)
                lock.execute("ROLLBACK")
            assert victim.shown_as_saved() == {} and _stored(fs, nip) == {}
            started = time.monotonic()
            loop.run(_answer(next_rater, 3))
            loop.run(next_rater.settle())
            assert len(next_rater.shown_as_saved()) == 3 and time.monotonic() - started < 10
            _assert_nothing_lost(fs, next_rater, other)
            _assert_database_sound(fs.db_path)
        finally:
            for r in (victim, next_rater):
                shutdown_kernel(fs.base, r.kernel_id)


def test_a_server_killed_mid_write_loses_nothing_and_the_page_says_so(fault_server, browser):
    """SIGKILL of the server and all its kernels while two raters answer, an import runs and a page is open in
    Chromium: the page warns and stops input, the database stays sound and holds everything shown as saved, and
    after the restart a reload shows exactly what is stored."""
    fs = fault_server
    page_nip, *nips = _fresh_raters(fs, 3)
    path, sizes = _import_file(fs, fs.folder, 20, exclude=[page_nip, *nips])
    page = browser.new_page()
    page.goto(_url(fs, page_nip))
    page.locator(".k360-card").first.get_by_role("button").click()
    expect(page.get_by_text("Perilaku Kerja BerAKHLAK")).to_be_visible(timeout=60_000)
    scale_option(page.locator(".k360-answer").nth(0), "4").click()
    expect(page.locator(".k360-saved-note")).to_be_visible(timeout=30_000)

    raters = [RecordingRater(_url(fs, nip)) for nip in nips]
    loop = RaterLoop()
    for r in raters:
        loop.run(r.open())
    async def answer_until_the_server_dies():
        return await asyncio.gather(*(_answer(r, 200) for r in raters), return_exceptions=True)

    answering = loop.start(answer_until_the_server_dies())
    proc = _start_import(fs, path)
    wait_for(lambda: sum(len(r.shown_as_saved()) for r in raters) >= 6, 30, "answers flowing")
    fs.server.kill()
    killed_at = time.monotonic()
    scale_option(page.locator(".k360-answer").nth(1), "2").click(force=True)
    expect(page.locator("#k360-guard")).to_be_visible(timeout=10_000)
    print(f"page warned {time.monotonic() - killed_at:.1f} s after the server was killed")
    answering.result(60)  # every rater's loop ended with its websocket
    loop.close()

    _assert_import_whole(fs, proc, sizes)
    _assert_database_sound(fs.db_path)
    for rater, nip in zip(raters, nips):
        _assert_nothing_lost(fs, rater, nip)
    assert _stored(fs, page_nip) == {"B1.1": 4}

    fs.server.start()
    expect(page.get_by_text("Muat ulang halaman untuk melanjutkan")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Muat ulang halaman").click()
    page.locator(".k360-card").first.get_by_role("button").click()
    expect(page.get_by_text("Perilaku Kerja BerAKHLAK")).to_be_visible(timeout=60_000)
    expect(page.locator(".k360-answer .mod-active")).to_have_count(1)
    expect(page.locator(".k360-answer").nth(0).locator(".mod-active")).to_have_text("4")
    page.close(run_before_unload=True)


def test_a_replaced_database_file_is_noticed_and_nothing_is_written_to_the_old_one(fault_server):
    """The file is replaced under the running server (as `kinerja demo --ganti` does): the open form refuses the
    next answer with a plain message, neither file gets it, and new pages read the new file."""
    fs = fault_server
    nip, = _fresh_raters(fs, 1)
    rater = RecordingRater(_url(fs, nip))
    with RaterLoop() as loop:
        loop.run(rater.open())
        loop.run(rater.answer(0))
        loop.run(rater.settle())
        assert rater.shown_as_saved() == {"B1.1": 1}

        copy = fs.folder / "pengganti.db"
        with closing(sqlite3.connect(fs.db_path)) as src, closing(sqlite3.connect(copy)) as dst:
            src.backup(dst)
        for suffix in ("-wal", "-shm"):
            Path(f"{fs.db_path}{suffix}").unlink(missing_ok=True)
        os.replace(copy, fs.db_path)

        loop.run(rater.answer(1))
        loop.run(rater.settle())
        assert "Basis data di server telah diganti" in rater.text()
        assert rater.shown_as_saved() == {"B1.1": 1}
        assert _stored(fs, nip) == {"B1.1": 1}
        _assert_database_sound(fs.db_path)
        fresh = RecordingRater(_url(fs, nip))  # a new page opens on the new file and shows what it holds
        loop.run(fresh.open(labels=("Lanjutkan",)))
        assert fresh.shown_as_saved() == {"B1.1": 1}
        for r in (rater, fresh):
            shutdown_kernel(fs.base, r.kernel_id)
