"""Helpers for the tests that drive live processes: Debian's Chromium, and a form server (`kinerja serve`,
`make demo`) on a free port. Imported by tests/conftest.py, tests/test_make_demo.py and tests/test_readme.py."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable
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
