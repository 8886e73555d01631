"""`kinerja serve` and the open-file limit: many page kernels need many open files (README, deployment)."""

from __future__ import annotations

import resource
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from kinerja_lib.cli.serve import FILES_PER_KERNEL, configured_max_kernels, files_needed

KINERJA = Path(sys.executable).parent / "kinerja"


def _serve_on_a_taken_port(tmp_path, limits: tuple[int, int], *options: str) -> subprocess.CompletedProcess:
    """Start `kinerja serve` under ``limits`` (soft, hard) on a port already taken: it checks the limit, then stops
    at the port with exit status 2, before any server starts."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        return subprocess.run(
            [str(KINERJA), "--db", str(tmp_path / "kinerja.db"), "serve", "--port", str(port), *options],
            capture_output=True, text=True, timeout=120,
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, limits))


def test_files_needed_grow_with_the_kernel_cap():
    assert files_needed(100) - files_needed(50) == 50 * FILES_PER_KERNEL
    assert files_needed(configured_max_kernels()) > 1024  # the usual default soft limit is too low


def test_serve_warns_in_indonesian_when_the_hard_limit_is_too_low(tmp_path):
    result = _serve_on_a_taken_port(tmp_path, (256, 256), "--maks-kernel", "100")
    assert result.returncode == 2
    need = files_needed(100)
    assert "batas berkas terbuka (ulimit -n) proses ini 256" in result.stderr
    assert f"'ulimit -n {need}'" in result.stderr and f"LimitNOFILE={need}" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_serve_raises_its_soft_limit_itself_when_the_hard_limit_allows(tmp_path):
    need = files_needed(100)
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard < need:
        pytest.skip(f"the hard open-file limit here ({hard}) is below {need}")
    result = _serve_on_a_taken_port(tmp_path, (256, need), "--maks-kernel", "100")
    assert result.returncode == 2 and "Tidak dapat mendengarkan" in result.stderr + result.stdout
    assert "Peringatan" not in result.stderr
    # a small cap fits in a small limit: no warning either
    assert "Peringatan" not in _serve_on_a_taken_port(tmp_path, (512, 512), "--maks-kernel", "10").stderr
