"""The README's demo command, run as a user runs it: `make demo` builds the database, prints rater links that
open the form in Chromium, and serves until stopped.

The test drives the Makefile of this checkout with the suite's own `.venv` (the one `make test` created), a
small organisation, a temporary DEMO_DB and a free port, so it never touches data/demo.db (that the Makefile never
aims the demo at the admin's data/kinerja.db is checked in tests/test_demo_protection.py).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from live import free_port, wait_until_serving
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"\(NIP (\d{18}), (\d+) dinilai\): (http://\S+)")

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed"),
    pytest.mark.skipif(Path(sys.prefix).resolve() != (ROOT / ".venv").resolve()
                       or not (ROOT / ".venv" / ".installed-stamp").exists(),
                       reason="`make demo` uses the Makefile's .venv; run the suite with `make test`"),
]


@pytest.fixture
def make_demo(tmp_path):
    """Start `make demo` in its own process group; yield (process, output lines, base URL, database path)."""
    port = free_port()
    db_path = tmp_path / "demo.db"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("KINERJA_DB", None)
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "demo", f"DEMO_DB={db_path}", "DEMO_PEGAWAI=40", f"PORT={port}"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    try:
        yield proc, lines, f"http://127.0.0.1:{port}", db_path
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def test_make_demo_builds_the_database_prints_working_links_and_serves(make_demo, page):
    proc, lines, base, db_path = make_demo
    wait_until_serving(proc, base, lambda: "".join(lines), "make demo", 120)
    output = "".join(lines)

    assert db_path.exists(), output
    assert "Membangun organisasi demo 40 pegawai" in output
    links = LINK.findall(output)
    assert links, "no rater link printed:\n" + output
    assert all(url.startswith(base + "/") for _, _, url in links), "links must point at the port being served"
    assert "Tautan dasbor admin" in output and "Langkah berikutnya" in output

    nip, count, url = links[0]
    page.goto(url)
    expect(page.get_by_text("Penilaian Perilaku Kerja 360°")).to_be_visible(timeout=60_000)
    # one card per person to rate; the cards after them (laporan, keberatan, usulan rekan) are not counted
    expect(page.locator(".k360-assignment")).to_have_count(int(count), timeout=60_000)
    assert proc.poll() is None, "the server must keep running until stopped"
