"""Stopping `kinerja serve` the moment it answers: while its preheated kernels are still starting."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from live import free_port, wait_until_serving

KINERJA = Path(sys.executable).parent / "kinerja"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_server_stopped_while_its_kernels_start_stops_cleanly(tmp_path, sig):
    """Exit status 0 and the closing line, no error, and no process of it left (kernels still starting were
    shut down with the others; they used to end the server with "Kernel does not exist" and status 2)."""
    port = free_port()
    proc = subprocess.Popen([str(KINERJA), "--db", str(tmp_path / "kinerja.db"), "serve", "--port", str(port),
                             "--log", str(tmp_path / "voila.log")], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    wait_until_serving(proc, f"http://127.0.0.1:{port}", lambda: proc.stdout.read().decode(errors="replace"),
                       "kinerja serve", 90)
    proc.send_signal(sig)
    try:
        output = proc.communicate(timeout=60)[0].decode(errors="replace")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, output
    assert "Server formulir berhenti." in output
    assert "Galat" not in output and "Traceback" not in output
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("a process of the stopped server (a kernel) was still running 10 s later")
