"""Kernels forked by the zygote: watched through their pidfd whatever its number, and ended with the zygote."""

from __future__ import annotations

import os
import resource
import subprocess

import pytest

from kinerja_lib.forms.zygote import ForkedProcess

HIGH_FD = 1500  # above select()'s 1024: a form server with a hundred kernels hands out such numbers


@pytest.fixture
def sleeper_on_a_high_descriptor():
    """A sleeping child process and a ForkedProcess watching it through a pidfd numbered HIGH_FD."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard <= HIGH_FD:
        pytest.skip(f"the descriptor limit ({hard}) is below {HIGH_FD}")
    if soft != resource.RLIM_INFINITY and soft <= HIGH_FD:
        resource.setrlimit(resource.RLIMIT_NOFILE, (HIGH_FD + 1, hard))
    child = subprocess.Popen(["sleep", "60"])
    pidfd = os.pidfd_open(child.pid)
    os.dup2(pidfd, HIGH_FD)
    os.close(pidfd)
    yield child, ForkedProcess(child.pid, HIGH_FD)
    child.kill()
    child.wait()
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_kernel_on_a_descriptor_above_1024_is_polled_waited_for_and_killed(sleeper_on_a_high_descriptor):
    """poll() says running, wait() times out, kill() ends it and both then report an exit status."""
    child, process = sleeper_on_a_high_descriptor
    assert process.poll() is None
    with pytest.raises(subprocess.TimeoutExpired):
        process.wait(0.05)
    process.kill()
    child.wait(10)  # the zygote reaps its children; here the test is the parent
    assert process.wait(10) is not None
    assert process.poll() is not None


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("after", [0.0, 2.0], ids=["at-once", "once-running"])
def test_a_forked_kernel_ends_with_its_zygote(tmp_path, after):
    """A server stopped (or a zygote killed) right after a kernel was forked leaves no kernel running under init."""
    import signal
    import sys
    import time

    from jupyter_client.connect import write_connection_file

    from kinerja_lib.forms.zygote import Zygote

    zygote = Zygote()
    connection, _ = write_connection_file(str(tmp_path / "kernel-test.json"))
    pid, pidfd = zygote.fork([sys.executable, "-m", "ipykernel_launcher", "-f", connection], dict(os.environ),
                             str(tmp_path))
    os.close(pidfd)
    try:
        time.sleep(after)
        assert _alive(pid)
        os.kill(zygote._proc.pid, signal.SIGKILL)
        zygote._proc.wait(10)
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(pid), "the kernel outlived its zygote"
    finally:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
        zygote.close()
