"""Helpers for the tests that drive live processes: Debian's Chromium, and a form server (`kinerja serve`,
`make demo`) on a free port and the SQLite file it writes. Imported by tests/conftest.py, tests/test_make_demo.py,
tests/test_readme.py, the browser and protocol tests, and the fault-injection tests."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
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


_CLAIMED: set[str] = set()


def claim_raters(candidates, count: int = 1) -> list:
    """Take ``count`` of ``candidates`` (rater NIPs, or tuples whose first field is the NIP) that no live test
    has claimed yet in this session, and claim them.

    The live tests share one form server; a rater whose forms one test holds open counts against the per-link
    kernel cap and may hold drafts, so each test works on raters of its own whichever order the tests run in.
    """
    def nip(c):
        return c[0] if isinstance(c, tuple) else c
    out = [c for c in candidates if nip(c) not in _CLAIMED][:count]
    if len(out) < count:
        raise AssertionError(f"only {len(out)} unclaimed raters left for a live test that needs {count}")
    _CLAIMED.update(nip(c) for c in out)
    return out


def wait_for(predicate: Callable[[], object], timeout: float = 30.0, what: str = "condition") -> None:
    """Return once ``predicate()`` is true; fail the test if ``timeout`` seconds pass first."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached in time")
        time.sleep(0.2)


def process_tree(pid: int) -> dict[int, str]:
    """Return ``pid`` and all its descendants (pid -> command line), read from ``ps``."""
    rows = subprocess.run(["ps", "-e", "-o", "pid=,ppid=,args="], capture_output=True, text=True, check=True).stdout
    children: dict[int, list[tuple[int, str]]] = {}
    args: dict[int, str] = {}
    for line in rows.splitlines():
        fields = line.split(None, 2)
        if len(fields) < 2:
            continue
        child, parent = int(fields[0]), int(fields[1])
        args[child] = fields[2] if len(fields) > 2 else ""
        children.setdefault(parent, []).append((child, args[child]))
    out, todo = {pid: args.get(pid, "")}, [pid]
    while todo:
        for child, cmd in children.get(todo.pop(), []):
            out[child] = cmd
            todo.append(child)
    return out


def kernel_pids(server_pid: int) -> set[int]:
    """The kernel processes a form server runs now (preheated pool included)."""
    return {pid for pid, cmd in process_tree(server_pid).items() if "ipykernel" in cmd}


def kill_kernel(kernel_id: str) -> int:
    """SIGKILL the kernel process with this id (its connection file is named after it); return its pid."""
    found = subprocess.run(["pgrep", "-f", f"kernel-{kernel_id}.json"], capture_output=True, text=True).stdout.split()
    if not found:
        raise AssertionError(f"no process for kernel {kernel_id}")
    os.kill(int(found[0]), signal.SIGKILL)
    return int(found[0])


def http_get(url: str, timeout: float = 60) -> tuple[int, str]:
    """Return the status and body of a GET, error statuses included."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def shutdown_kernel(base: str, kernel_id: str) -> int:
    """Shut a page's kernel down the way the page does when its tab closes; return the HTTP status.

    Best effort, as the page's own request is: a kernel a test killed may already be gone, and the server then
    answers with an error status, which is returned rather than raised (cleanup must not fail the test).
    """
    request = urllib.request.Request(f"{base}/voila/api/shutdown/{kernel_id}", data=b"", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


class FormServer:
    """`kinerja serve` on a database file, on a fixed port, that a test may kill and start again."""

    def __init__(self, db_path: Path, port: int, folder: Path, *options: str):
        self.db_path, self.port, self.folder, self.options = db_path, port, folder, options
        self.base = f"http://127.0.0.1:{port}"
        self.log = folder / "voila.log"
        self.output = folder / "serve.out"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 90) -> FormServer:
        out = open(self.output, "ab")
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "kinerja"), "--db", str(self.db_path), "serve", "--port", str(self.port),
             "--log", str(self.log), *self.options], cwd=self.folder, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
        out.close()
        wait_until_serving(self.process, self.base, lambda: self.output.read_text(errors="replace"),
                           "kinerja serve", timeout)
        return self

    def kill(self) -> None:
        """SIGKILL the server and every kernel it runs at once, as a power cut would (kernels run in
        sessions of their own, so the process group alone would leave them finishing their writes)."""
        for pid in process_tree(self.process.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(30)

    def stop(self) -> int:
        """SIGTERM and wait; return the exit status."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            pytest.fail("kinerja serve did not stop within 60 s of SIGTERM")


def scale_option(group, label: str):
    """The option ``label`` ('4', 'Tidak dapat menilai') of one answer scale, found as the radio it is to a screen
    reader (named e.g. "4 = Sesuai ekspektasi", or "Level 4" on a competency)."""
    import re

    return group.get_by_role("radio", name=re.compile(rf"^(Level )?{re.escape(label)}( = .*)?$"))
