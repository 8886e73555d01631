"""A kernel forked by the zygote is watched through its pidfd, whatever the descriptor's number."""

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
