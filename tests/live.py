"""Helpers for the tests that drive live processes: Debian's Chromium, and a form server (`kinerja serve`,
`make demo`) on a free port and the SQLite file it writes. Imported by tests/conftest.py, tests/test_make_demo.py,
tests/test_readme.py, tests/test_e2e_forms.py and tests/test_forms_protocol.py."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.request
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")


def require_chromium() -> Path:
    """Return Debian's Chromium; without it skip the test, or fail it where CI sets KINERJA_REQUIRE_BROWSER=1."""
    if not CHROMIUM.exists():
        reason = f"Chromium tidak ditemukan di {CHROMIUM}; pasang dengan 'apt-get install chromium'"
        if os.environ.get("KINERJA_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " (KINERJA_REQUIRE_BROWSER=1)")
        pytest.skip(reason)
    return CHROMIUM


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(proc: subprocess.Popen, base: str, output: Callable[[], str], what: str,
                       timeout: float) -> None:
    """Return once ``base + "/"`` answers 200. If ``proc`` (started with ``start_new_session``) exits first
    or ``timeout`` seconds pass, kill its process group and fail the test with ``output()``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(base + "/", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            state = f"stopped with {proc.returncode}" if proc.poll() is not None else "did not start in time"
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            pytest.fail(f"{what} {state}:\n{output()}")
        time.sleep(0.3)


def query(path, sql: str, params=()) -> list[tuple]:
    """The rows of one query on the database a live server writes, on a connection of the test's own."""
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql, params).fetchall()


def wait_for(predicate: Callable[[], object], timeout: float = 30.0, what: str = "condition") -> None:
    """Return once ``predicate()`` is true; fail the test if ``timeout`` seconds pass first."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached in time")
        time.sleep(0.2)
