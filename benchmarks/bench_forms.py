"""The rater form under load: link-to-interactive time in Chromium, kernel memory per session, save latency.

``open_link`` and ``open_link_busy`` start ``kinerja serve`` (the committed voila.json: preheated kernels) on a
300-pegawai demo database (no answers yet, so every rater has forms to fill) and open 20 different rater links one
after another in Debian's Chromium, timing from the moment the driver asks for the page to the first frame painted
after the first "Mulai menilai/Lanjutkan/Lihat" button is in the page, visible, enabled and uncovered (the list is
interactive; on a small phone, where that button may lie below the fold, the header at the top must be uncovered). The page itself records that moment (a MutationObserver installed before any of the page's scripts,
then one animation frame and one task, so the frame has been presented and the main thread is free for a click);
``dilihat_driver`` is the same moment as Playwright's ``expect`` noticed it, which polls and so lags the page by
0.03-0.45 s on this machine. ``busy`` does the same while 4 other raters keep answering an item every 0.3 s each
(13 answers a second, what some 50 people answering one item every 4 s would send). They are
``headless_rater.HeadlessRater``s: the page request and the widget messages a rater's browser sends, without the
browser, whose rendering would run on the raters' own devices and not on the server. The run checks afterwards that
the database holds the last score each of them sent to each item. Target: median under 1.5 s. ``open_link_floor``
is the baseline for both: the same Voilà set-up (voila.json, page template, preheated pool) serving a notebook that
shows one button and nothing else, opened the same way, so the figure says how much of the time is the form itself.

``admin_dashboard`` times the admin dashboard (named admin link, 300-pegawai demo with answers) and the floor page
in the same run, alternating, each as a first visit (new browser profile) and a return (same profile), until the
frame after its "Muat ulang data" button is interactive. Target: at most 1.5 × the floor, first visit and return.

``kernel_rss`` opens 6 rater forms and reads VmRSS and PSS of each of their kernels from /proc
(target under 100 MB) and how many such sessions 24 GB holds.

``save_latency`` runs 20 writer processes, each saving 120 answers through ``form_service.save_answer``
(the same checked BEGIN IMMEDIATE transaction a form kernel runs) 20 times a second, and reports
p50/p99 per save (target p99 under 100 ms). ``save_latency_saturated`` saves back to back with no
pause: 20 processes on 2 cores keep the write lock busy all the time, so its tail shows queueing
and CPU oversubscription rather than anything a rater would meet.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from benchmarks.run import Case

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
OPENS = 20
BUSY_RATERS = 4
BUSY_INTERVAL_S = 0.3  # each busy rater answers an item this often: 13 answers/s in all
WRITERS = 20
SAVES_PER_WRITER = 120
TARGET_OPEN_S = 1.5
TARGET_RSS_MB = 100
TARGET_P99_S = 0.100
PACED_INTERVAL_S = 0.05  # each writer saves 20 times a second: 400 saves/s in all, far above real raters


# --------------------------------------------------------------------------- server

def _server_setup(workdir: Path) -> dict:
    from kinerja_lib import links
    from kinerja_lib.demo import build_demo_database

    db, summary = build_demo_database(workdir / "demo.db", 300, 2026, answers=False, cycles=1)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    issued = links.issue_links(db, summary.cycle_id, base_url=base)
    db.close()
    proc = subprocess.Popen([str(Path(sys.executable).parent / "kinerja"), "--db", str(workdir / "demo.db"), "serve",
                             "--port", str(port)], cwd=workdir, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    _wait_for(base)
    return {"proc": proc, "base": base, "urls": [i.url for i in issued], "workdir": workdir}


FLOOR_NOTEBOOK = {
    "cells": [{"cell_type": "code", "execution_count": None, "id": "satu-tombol", "metadata": {}, "outputs": [],
               "source": "import ipywidgets as w\n"
                         "card = w.HBox([w.HTML('Halo'), w.Button(description='Mulai menilai')])\n"
                         "card.add_class('k360-card')\n"
                         "card"}],
    "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
    "nbformat": 4, "nbformat_minor": 5,
}


def _floor_setup(workdir: Path) -> dict:
    """Plain Voilà with the kit's voila.json and page template on a one-button notebook."""
    import json
    import shutil

    from kinerja_lib import config

    (workdir / "nb").mkdir()
    (workdir / "nb" / "penilaian.ipynb").write_text(json.dumps(FLOOR_NOTEBOOK))
    shutil.copy(config.PROJECT_ROOT / "voila.json", workdir / "voila.json")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "JUPYTER_PATH": str(config.PROJECT_ROOT / "share" / "jupyter")}
    proc = subprocess.Popen([str(Path(sys.executable).parent / "voila"), "nb", f"--port={port}", "--no-browser"],
                            cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    _wait_for(base)
    return {"proc": proc, "base": base, "urls": [f"{base}/voila/render/penilaian.ipynb"] * (OPENS + 1),
            "workdir": workdir}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(base: str) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(base + "/", timeout=5):
                break
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError("the form server did not start") from None
            time.sleep(0.3)
    time.sleep(5)  # let the preheated pools fill, as on a server that has been up for a while


def _floor_run(state) -> dict:
    try:
        return _summary(*_open_times(state["urls"]))
    finally:
        _stop(state)


def _stop(state) -> None:
    proc = state["proc"]
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


#: Installed before the page's own scripts: records (epoch ms) when the first list button is in the page,
#: visible, enabled and not covered by anything, and when the frame after that has been painted and the main
#: thread is free again.
READY_PROBE = """
(() => {
  const now = () => performance.timeOrigin + performance.now();
  const check = () => {
    if (window.__k360Ready) return;
    const b = document.querySelector('.k360-card button');
    if (!b || b.disabled || b.offsetParent === null) return;
    // nothing (e.g. the loading screen) covers it: a click lands on it. On a small phone the first button may lie
    // below the fold, where no point can be tested: then the header at the top must be uncovered instead.
    let target = b, box = b.getBoundingClientRect();
    if (box.y + box.height / 2 > innerHeight) {
      target = document.querySelector('.k360-header');
      if (!target) return;
      box = target.getBoundingClientRect();
    }
    if (target.contains(document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2))) {
      window.__k360Ready = now();
      requestAnimationFrame(() => setTimeout(() => { window.__k360Painted = now(); }, 0));
    }
  };
  new MutationObserver(check).observe(document, {subtree: true, childList: true, attributes: true});
  const everyFrame = () => { check(); if (!window.__k360Ready) requestAnimationFrame(everyFrame); };
  requestAnimationFrame(everyFrame);  // also catches a cover going away without a DOM change (CSS)
})();
"""


def _open_times(urls: list[str]) -> tuple[list[float], list[float]]:
    """Seconds from asking for each page to its list being interactive: as the page recorded it, and as the
    driver's polling ``expect`` noticed it."""
    from playwright.sync_api import expect, sync_playwright

    times, driver_times = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1100, "height": 900})
        context.add_init_script(READY_PROBE)
        warm = context.new_page()  # the browser caches Voilà's static files once, like a returning rater
        warm.goto(urls[-1])
        expect(warm.locator(".k360-card button").first).to_be_enabled(timeout=60_000)
        warm.close(run_before_unload=True)
        for url in urls[:OPENS]:
            time.sleep(1.0)  # raters arrive one by one; the pool refills between them
            page = context.new_page()
            t0 = time.time()
            page.goto(url, wait_until="commit")
            expect(page.locator(".k360-card button").first).to_be_enabled(timeout=60_000)
            seen = time.time() - t0
            painted = page.wait_for_function("window.__k360Painted", timeout=10_000).json_value()
            origin = page.evaluate("performance.timeOrigin") / 1000
            if not t0 - 0.005 <= origin <= t0 + seen:  # both are the system clock; navigation starts after t0
                raise RuntimeError(f"browser clock disagrees with the bench: navigation at {origin - t0:+.3f} s")
            times.append(painted / 1000 - t0)
            driver_times.append(seen)
            page.close(run_before_unload=True)
        browser.close()
    return times, driver_times


def _busy_raters(urls: list[str], ready, stop, report) -> None:
    """Open BUSY_RATERS forms and answer an item on each every BUSY_INTERVAL_S until ``stop`` is set; ``report``
    receives the answers sent per second and, per rater, the last score sent to each of its scales."""
    import asyncio

    from benchmarks.headless_rater import HeadlessRater, answer_until

    async def run():
        raters = [HeadlessRater(url) for url in urls]
        for rater in raters:
            await rater.open()
        ready.set()
        rate = await answer_until(raters, BUSY_INTERVAL_S, stop.is_set)
        await asyncio.sleep(2.0)  # the kernels finish the saves still queued
        for rater in raters:
            await rater.close()
        return rate, [[rater.sent[m] + 1 for m in rater.scales if m in rater.sent] for rater in raters]

    report.put(asyncio.run(run()))


def _saved_behaviour_scores(path: Path) -> list[list[int]]:
    """Per assignment with answers: its BerAKHLAK scores in form order (B1.1 … B7.3)."""
    import sqlite3

    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT assignment_id, score FROM response WHERE item LIKE 'B%' "
                          "ORDER BY assignment_id, item").fetchall()
    per: dict[int, list[int]] = {}
    for aid, score in rows:
        per.setdefault(aid, []).append(score)
    return list(per.values())


def _summary(times: list[float], driver_times: list[float]) -> dict:
    ordered = sorted(times)
    median = statistics.median(ordered)
    return {"buka_median_s": round(median, 3), "buka_p90_s": round(ordered[int(0.9 * (len(ordered) - 1))], 3),
            "buka_min_s": round(ordered[0], 3), "buka_maks_s": round(ordered[-1], 3), "jumlah_buka": len(times),
            "buka_semua_s": [round(t, 3) for t in times],
            "dilihat_driver_median_s": round(statistics.median(driver_times), 3),
            "target_median_s": TARGET_OPEN_S, "meets_target": median < TARGET_OPEN_S,
            "beban_1menit": os.getloadavg()[0]}


def _open_run(state) -> dict:
    try:
        return _summary(*_open_times(state["urls"][BUSY_RATERS:]))
    finally:
        _stop(state)


def _open_busy_run(state) -> dict:
    ctx = mp.get_context("spawn")
    ready, stop, report = ctx.Event(), ctx.Event(), ctx.Queue()
    busy = ctx.Process(target=_busy_raters, args=(state["urls"][:BUSY_RATERS], ready, stop, report), daemon=True)
    busy.start()
    try:
        if not ready.wait(timeout=180):
            raise RuntimeError("the busy raters did not start")
        out = _summary(*_open_times(state["urls"][BUSY_RATERS:]))
        stop.set()
        rate, sent = report.get(timeout=60)
        if sorted(_saved_behaviour_scores(state["workdir"] / "demo.db")) != sorted(sent):
            raise RuntimeError("the busy raters' last answers are not what the database holds")
        out["penilai_aktif_lain"] = BUSY_RATERS
        out["jawaban_penilai_lain_per_detik"] = round(rate, 1)
        return out
    finally:
        stop.set()
        busy.join(timeout=60)
        _stop(state)


# --------------------------------------------------------------------------- admin dashboard

ADMIN_OPENS = 5
TARGET_ADMIN_RATIO = 1.5
#: The dashboard is interactive when its "Muat ulang data" button is in the page, enabled and uncovered: it
#: arrives in the same render as the figures and tables around it.
ADMIN_PROBE = READY_PROBE.replace("'.k360-card button'", "'.k360-toolbar button'")


def _admin_setup(workdir: Path) -> dict:
    """`kinerja serve` on a 300-pegawai demo with answers (so every table and the chart have data) and a named
    admin link of the whole cycle, plus the floor's one-button Voilà page beside it, timed in the same run."""
    from kinerja_lib import links
    from kinerja_lib.demo import build_demo_database

    (workdir / "form").mkdir()
    (workdir / "floor").mkdir()
    db, summary = build_demo_database(workdir / "form" / "demo.db", 300, 2026, answers=True)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    admin = links.issue_named_admin_link(db, summary.cycle_id, "Admin Bench", base_url=base)
    db.close()
    proc = subprocess.Popen([str(Path(sys.executable).parent / "kinerja"), "--db", str(workdir / "form" / "demo.db"),
                             "serve", "--port", str(port)], cwd=workdir / "form", stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    _wait_for(base)
    return {"form": {"proc": proc, "url": admin.url}, "floor": {**_floor_setup(workdir / "floor")}}


def _visit_times(context, url: str, ready: str, probe_name: str) -> float:
    """Seconds from asking for ``url`` to the first frame painted after ``ready`` is interactive."""
    from playwright.sync_api import expect

    page = context.new_page()
    t0 = time.time()
    page.goto(url, wait_until="commit")
    expect(page.locator(ready).first).to_be_enabled(timeout=60_000)
    painted = page.wait_for_function(f"window.{probe_name}", timeout=10_000).json_value()
    page.close(run_before_unload=True)
    return painted / 1000 - t0


def _admin_run(state) -> dict:
    """Alternate floor and dashboard, each a first visit (new browser profile, empty cache) then a return (same
    profile): ADMIN_OPENS rounds; medians and the dashboard / floor ratios."""
    from playwright.sync_api import sync_playwright

    times: dict[str, list[float]] = {"lantai_pertama": [], "lantai_kembali": [], "dasbor_pertama": [],
                                      "dasbor_kembali": []}
    pages = {"lantai": (state["floor"]["urls"][0], ".k360-card button", READY_PROBE),
             "dasbor": (state["form"]["url"], ".k360-toolbar button", ADMIN_PROBE)}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for _ in range(ADMIN_OPENS):
                for name, (url, ready, probe) in pages.items():
                    context = browser.new_context(viewport={"width": 1100, "height": 900})
                    context.add_init_script(probe)
                    time.sleep(2.0)  # the preheated pool refills between visits
                    times[f"{name}_pertama"].append(_visit_times(context, url, ready, "__k360Painted"))
                    time.sleep(2.0)
                    times[f"{name}_kembali"].append(_visit_times(context, url, ready, "__k360Painted"))
                    context.close()
            browser.close()
    finally:
        _stop(state["form"])
        _stop(state["floor"])
    med = {k: round(statistics.median(v), 3) for k, v in times.items()}
    ratio_first = med["dasbor_pertama"] / med["lantai_pertama"]
    ratio_back = med["dasbor_kembali"] / med["lantai_kembali"]
    return {**{f"{k}_median_s": v for k, v in med.items()}, "semua_s": {k: [round(t, 3) for t in v]
                                                                        for k, v in times.items()},
            "rasio_pertama": round(ratio_first, 2), "rasio_kembali": round(ratio_back, 2),
            "target_rasio": TARGET_ADMIN_RATIO,
            "meets_target": ratio_first <= TARGET_ADMIN_RATIO and ratio_back <= TARGET_ADMIN_RATIO,
            "beban_1menit": os.getloadavg()[0]}


# --------------------------------------------------------------------------- deadline day

#: (arrivals per second, raters): the capacity curve. 2/s with 120 raters is the issue's deadline-day target.
ARRIVAL_RATES = ((1 / 3, 20), (1.0, 60), (2.0, 120), (3.0, 180), (4.0, 240))
TARGET_P90_S = 2.0
LOAD_ANSWERS = 5


def _load_setup(workdir: Path, workers: int = 1, count: int = 120) -> dict:
    """`kinerja serve` (``workers`` processes) on a 300-pegawai demo without answers, caps high enough that
    none of ``count`` raters is refused, and the links of ``count`` raters."""
    from kinerja_lib import links
    from kinerja_lib.demo import build_demo_database

    db, summary = build_demo_database(workdir / "demo.db", 300, 2026, answers=False, cycles=1)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    issued = links.issue_links(db, summary.cycle_id, base_url=base)
    db.close()
    command = [str(Path(sys.executable).parent / "kinerja"), "--db", str(workdir / "demo.db"), "serve",
               "--port", str(port), "--maks-kernel", "1000"]
    if workers > 1:
        command += ["--workers", str(workers)]
    out = open(workdir / "serve.out", "wb")
    proc = subprocess.Popen(command, cwd=workdir, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    _wait_for(base)
    return {"proc": proc, "base": base, "urls": [i.url for i in issued][:count], "workdir": workdir,
            "workers": workers}


def _nearest_rank(values: list[float], q: float) -> float:
    """The ``q`` quantile by the nearest-rank method (p90 of 20 values is the 18th smallest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(len(ordered) * q) - 1)] if ordered else float("nan")


def _load_run(state, rate: float, count: int) -> dict:
    """Raters arrive ``rate`` per second; p50/p90 of link -> list and list -> form, failures, answers stored."""
    import asyncio
    import sqlite3

    from benchmarks.headless_rater import deadline_day

    urls = state["urls"][:count]
    try:
        load_before = os.getloadavg()[0]
        arrivals = asyncio.run(deadline_day(urls, rate, answers_each=LOAD_ANSWERS))
        load_after = os.getloadavg()[0]
    finally:
        _stop(state)
    ok = [a for a in arrivals if not a.error]
    with sqlite3.connect(state["workdir"] / "demo.db") as db:
        stored = db.execute("SELECT assignment_id, GROUP_CONCAT(score, ',') FROM (SELECT assignment_id, item, score "
                            "FROM response ORDER BY assignment_id, item) GROUP BY assignment_id").fetchall()
    sent = sorted(",".join(map(str, a.answers)) for a in arrivals if a.answers)
    lists = [a.list_s for a in ok]
    forms = [a.form_s for a in ok]
    return {
        "kedatangan_per_detik": round(rate, 3), "penilai": count, "server_proses": state["workers"],
        "tautan_ke_daftar_p50_s": round(statistics.median(lists), 2) if lists else None,
        "tautan_ke_daftar_p90_s": round(_nearest_rank(lists, 0.9), 2) if lists else None,
        "tautan_ke_daftar_maks_s": round(max(lists), 2) if lists else None,
        "daftar_ke_formulir_p50_s": round(statistics.median(forms), 2) if forms else None,
        "daftar_ke_formulir_p90_s": round(_nearest_rank(forms, 0.9), 2) if forms else None,
        "daftar_ke_formulir_maks_s": round(max(forms), 2) if forms else None,
        "gagal": len(arrivals) - len(ok), "galat_contoh": sorted({a.error for a in arrivals if a.error})[:3],
        "jawaban_terkirim": sum(len(a.answers) for a in arrivals),
        "semua_jawaban_tersimpan": sorted(v for _, v in stored) == sent,
        "target_p90_s": TARGET_P90_S,
        "meets_target": bool(lists) and len(ok) == len(arrivals) and _nearest_rank(lists, 0.9) < TARGET_P90_S
        and _nearest_rank(forms, 0.9) < TARGET_P90_S and sorted(v for _, v in stored) == sent,
        "beban_1menit_awal": round(load_before, 2), "beban_1menit_akhir": round(load_after, 2),
        "inti_cpu": os.cpu_count(),
    }


# --------------------------------------------------------------------------- phones on mobile networks

#: Chrome DevTools' presets (front_end/core/sdk/NetworkManager.ts): bytes/s down and up, latency per request.
NETWORKS = {
    "tanpa_batas": None,
    "slow4g": {"downloadThroughput": 1.6e6 / 8 * 0.9, "uploadThroughput": 750e3 / 8 * 0.9, "latency": 150 * 3.75},
    "3g": {"downloadThroughput": 500e3 / 8 * 0.8, "uploadThroughput": 500e3 / 8 * 0.8, "latency": 400 * 5},
}
PHONE = {"viewport": {"width": 360, "height": 640}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
TARGETS_PHONE = {"bytes_first": 1.2e6, "bytes_return": 150e3, "slow4g_first_s": 8.0, "slow4g_return_s": 3.0,
                 "3g_first_s": 30.0}


def _phone_setup(workdir: Path, workers: int = 2) -> dict:
    return _load_setup(workdir, workers, count=10)


class WireCounter:
    """A TCP relay between the browser and the server that counts the bytes each way: what crosses the wire for a
    visit, HTTP and websocket frames alike, after compression (gzip, permessage-deflate) and before any TLS.

    Chromium reports a websocket's messages only as the page receives them (inflated), so the relay is the one
    honest count of a visit's websocket traffic on the wire.
    """

    def __init__(self, target_port: int):
        import threading

        self.target_port = target_port
        self.down = self.up = 0  # server to browser, browser to server
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def reset(self) -> None:
        with self._lock:
            self.down = self.up = 0

    def _accept(self) -> None:
        import threading

        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            threading.Thread(target=self._pump, args=(client, server, "up"), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, "down"), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, direction: str) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
                with self._lock:
                    setattr(self, direction, getattr(self, direction) + len(chunk))
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self._listener.close()


def _visit(context, url: str, network: dict | None, open_form: bool, counter: WireCounter | None = None) -> dict:
    """One visit of a rater link in a new tab of ``context``: bytes and requests on the wire, seconds to the
    interactive list (the page's own record, READY_PROBE) and, if ``open_form``, from the tap to the form."""
    from playwright.sync_api import expect

    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    if network:
        cdp.send("Network.emulateNetworkConditions", {"offline": False, **network})
    wire: dict[str, int] = {}
    if counter is not None:
        counter.reset()
    cdp.on("Network.loadingFinished", lambda e: wire.__setitem__(e["requestId"], e["encodedDataLength"]))
    cdp.on("Network.webSocketFrameReceived", lambda e: wire.__setitem__(
        "ws", wire.get("ws", 0) + len(e["response"].get("payloadData", ""))))
    t0 = time.time()
    page.goto(url, wait_until="commit", timeout=300_000)
    painted = page.wait_for_function("window.__k360Painted", timeout=300_000, polling=100).json_value()
    out = {"daftar_s": round(painted / 1000 - t0, 2)}
    if open_form:
        t1 = time.time()
        page.locator(".k360-card button").first.click()
        expect(page.locator(".k360-answer").first).to_be_enabled(timeout=300_000)
        out["formulir_s"] = round(time.time() - t1, 2)
    time.sleep(0.5)
    out["permintaan"] = len([k for k in wire if k != "ws"])
    out["byte_http"] = sum(v for k, v in wire.items() if k != "ws")
    # the websocket's messages as the page received them, before permessage-deflate (so more than on the wire)
    out["byte_websocket_isi"] = wire.get("ws", 0)
    page.close(run_before_unload=True)
    if counter is not None:  # everything on the wire, websocket included, once the page has closed its socket
        time.sleep(0.5)
        out["byte_kabel_turun"], out["byte_kabel_naik"] = counter.down, counter.up
    return out


def _phone_run(state) -> dict:
    """For each network: a first visit (empty cache) and a return visit (same browser) on a 360x640 phone."""
    from playwright.sync_api import sync_playwright

    counter = WireCounter(int(state["base"].rsplit(":", 1)[1]))
    urls = iter(u.replace(state["base"], f"http://127.0.0.1:{counter.port}", 1) for u in state["urls"])
    out: dict = {"server_proses": state["workers"], "inti_cpu": os.cpu_count(), "targets": TARGETS_PHONE}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for name, network in NETWORKS.items():
                context = browser.new_context(**PHONE)
                context.add_init_script(READY_PROBE)
                url = next(urls)
                first = _visit(context, url, network, open_form=True, counter=counter)
                back = _visit(context, url, network, open_form=True, counter=counter)
                out[name] = {"pertama": first, "kembali": back}
                context.close()
            browser.close()
    finally:
        counter.close()
        _stop(state)
    plain, slow, g3 = out["tanpa_batas"], out["slow4g"], out["3g"]
    out["meets_target"] = (plain["pertama"]["byte_kabel_turun"] <= TARGETS_PHONE["bytes_first"]
                           and plain["kembali"]["byte_kabel_turun"] <= TARGETS_PHONE["bytes_return"]
                           and slow["pertama"]["daftar_s"] < TARGETS_PHONE["slow4g_first_s"]
                           and slow["kembali"]["daftar_s"] < TARGETS_PHONE["slow4g_return_s"]
                           and g3["pertama"]["daftar_s"] < TARGETS_PHONE["3g_first_s"])
    return out


# --------------------------------------------------------------------------- kernel memory

def _kernel_pid(kernel_id: str) -> int | None:
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if f"kernel-{kernel_id}.json".encode() in cmdline:
                return int(pid)
    return None


def _memory_mb(pid: int) -> tuple[float, float]:
    status = Path(f"/proc/{pid}/status").read_text()
    rss = int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    pss = int(re.search(r"^Pss:\s+(\d+) kB", rollup, re.M).group(1)) / 1024
    return rss, pss


def _rss_run(state) -> dict:
    from playwright.sync_api import expect, sync_playwright

    sessions = 6
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            kernels, pages = [], []
            for url in state["urls"][:sessions]:
                page = browser.new_page(viewport={"width": 1000, "height": 900})
                seen: list[str] = []
                page.on("websocket", lambda ws, seen=seen: seen.extend(
                    re.findall(r"/api/kernels/([0-9a-f-]{36})/channels", ws.url)))
                page.goto(url)
                page.locator(".k360-card button").first.click(timeout=60_000)
                expect(page.locator(".k360-answer").first).to_be_visible(timeout=60_000)
                page.locator(".k360-answer").first.get_by_role("radio", name=re.compile(r"^3 = ")).click()
                kernels.extend(seen[:1])
                pages.append(page)
            time.sleep(2)
            mem = [_memory_mb(pid) for pid in filter(None, map(_kernel_pid, kernels))]
            browser.close()
    finally:
        _stop(state)
    rss = statistics.median(m[0] for m in mem)
    pss = statistics.median(m[1] for m in mem)
    ram_mb = 24 * 1024
    return {"sesi": len(mem), "rss_kernel_median_mb": round(rss, 1),
            "rss_kernel_maks_mb": round(max(m[0] for m in mem), 1),
            "pss_kernel_median_mb": round(pss, 1), "target_rss_mb": TARGET_RSS_MB, "meets_target": rss < TARGET_RSS_MB,
            "sesi_dalam_24gb_rss": int(ram_mb // rss), "sesi_dalam_24gb_pss": int(ram_mb // pss)}


# --------------------------------------------------------------------------- save latency

def _writer(path: str, token: str, barrier, results, interval: float) -> None:
    from kinerja_lib import form_service as fs
    from kinerja_lib.items import items_for_relation
    from kinerja_lib import links
    from kinerja_lib.store import connect

    db = connect(path)
    grant = links.resolve(db, token)
    overview = fs.overview(db, grant)
    targets = [(a.id, item) for a in overview.assignments
               for item in items_for_relation(overview.cycle.settings, a.relation)]
    barrier.wait()
    times = []
    for n in range(SAVES_PER_WRITER):
        aid, item = targets[n % len(targets)]
        t0 = time.perf_counter()
        fs.save_answer(db, grant, aid, item, 1 + n % 5)
        times.append(time.perf_counter() - t0)
        if interval:
            time.sleep(interval)
    results.put(times)


def _latency_setup(workdir: Path) -> dict:
    from kinerja_lib import links
    from kinerja_lib.demo import build_demo_database

    db, summary = build_demo_database(workdir / "demo.db", 300, 2026, answers=False, cycles=1)
    issued = links.issue_links(db, summary.cycle_id)[:WRITERS]
    db.close()
    return {"path": str(workdir / "demo.db"), "tokens": [i.token for i in issued]}


def _latency_run(state, interval: float) -> dict:
    ctx = mp.get_context("fork")
    barrier, results = ctx.Barrier(WRITERS), ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(state["path"], t, barrier, results, interval))
             for t in state["tokens"]]
    for p in procs:
        p.start()
    times = sorted(t for _ in procs for t in results.get(timeout=300))
    for p in procs:
        p.join()
    p50, p99 = times[len(times) // 2], times[int(0.99 * (len(times) - 1))]
    return {"penulis": WRITERS, "simpan": len(times), "simpan_p50_ms": round(1000 * p50, 1),
            "simpan_p99_ms": round(1000 * p99, 1), "simpan_maks_ms": round(1000 * times[-1], 1),
            "jeda_antar_simpan_s": interval, "target_p99_ms": 1000 * TARGET_P99_S, "meets_target": p99 < TARGET_P99_S,
            "beban_1menit": os.getloadavg()[0]}


def _load_cases(workers: int) -> list[Case]:
    name = "deadline_day" if workers == 1 else f"deadline_day_{workers}_workers"
    return [Case("forms", f"{name}_{rate:.2f}_per_s", count,
                 lambda s, rate=rate, count=count: _load_run(s, rate, count),
                 lambda w, count=count: _load_setup(w, workers, count))
            for rate, count in ARRIVAL_RATES]


def cases() -> list[Case]:
    return [*_load_cases(1), *_load_cases(2),
        Case("forms", "phone_networks", 3, _phone_run, _phone_setup),
        Case("forms", "phone_networks_1_process", 3, _phone_run, lambda w: _phone_setup(w, 1)),
        Case("forms", "open_link", OPENS, _open_run, _server_setup, quick=True),
        Case("forms", "open_link_busy", OPENS, _open_busy_run, _server_setup),
        Case("forms", "open_link_floor", OPENS, _floor_run, _floor_setup),
        Case("forms", "kernel_rss", 6, _rss_run, _server_setup, quick=True),
        Case("forms", "admin_dashboard", ADMIN_OPENS, _admin_run, _admin_setup),
        Case("forms", "save_latency", WRITERS * SAVES_PER_WRITER, lambda s: _latency_run(s, PACED_INTERVAL_S),
             _latency_setup, quick=True),
        Case("forms", "save_latency_saturated", WRITERS * SAVES_PER_WRITER, lambda s: _latency_run(s, 0.0),
             _latency_setup),
    ]
