"""The link gate on the real server: no kernel without a valid link, kernels capped per link, no token in the log.

Requests are made like a scripted client would (plain HTTP GETs, no browser), against the shared `kinerja serve`
of the browser tests; the kernels counted are the server's own child processes.
"""

from __future__ import annotations

import re
import time

import pytest
from live import claim_raters, http_get, kernel_pids, query, shutdown_kernel

pytestmark = pytest.mark.slow

KERNEL_ID = re.compile(r'"kernelId":\s*"([0-9a-f-]{36})"')


def _settled_kernels(server, quiet: float = 6.0, timeout: float = 90.0) -> set[int]:
    """The server's kernel processes once their set has not changed for ``quiet`` seconds (pools refill
    ``fill_delay`` = 4 s after a page takes a kernel)."""
    deadline = time.monotonic() + timeout
    last, since = kernel_pids(server.process.pid), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = kernel_pids(server.process.pid)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return now
    raise AssertionError("the server's kernels did not settle")


def _spare_link(server):
    """A rater link the other live tests leave alone: every form of that rater already submitted (lowest NIP)."""
    rows = query(server.db_path, "SELECT rater_nip FROM assignment WHERE cycle_id = ? AND aktif = 1 GROUP BY rater_nip "
                 "HAVING SUM(status = 'terkirim') = COUNT(*) ORDER BY rater_nip", [server.cycle_id])
    nip, = claim_raters([n for (n,) in rows])
    return next(link for link in server.links if link.nip == nip)


def test_thirty_requests_without_a_valid_link_start_no_kernel(voila_server):
    """No token, a wrong or malformed one, a token under another name, a link of the wrong kind or another
    notebook: each gets the refusal page, and the server's kernel processes stay exactly the same."""
    rater, admin = voila_server.links[0], voila_server.admin
    queries = [("penilaian.ipynb", ""), ("penilaian.ipynb", "?t="), ("penilaian.ipynb", "?t=" + "A" * 43),
               ("penilaian.ipynb", f"?token={rater.token}"), ("penilaian.ipynb", f"?t={admin.token}"),
               ("admin.ipynb", f"?t={rater.token}"), ("admin.ipynb", ""),
               ("penilaian.ipynb", "?t=" + "A" * 43 + "&template=classic"), ("lain.ipynb", f"?t={rater.token}"),
               ("penilaian.ipynb", f"?akses={rater.token}")]
    before = _settled_kernels(voila_server)
    statuses = []
    for n in range(30):
        notebook, q = queries[n % len(queries)]
        status, body = http_get(f"{voila_server.base}/voila/render/{notebook}{q}")
        statuses.append(status)
        assert "Tautan tidak dapat digunakan" in body or "Halaman tidak ditemukan" in body
        assert "kernelId" not in body and "Traceback" not in body
    assert set(statuses) <= {403, 404} and statuses.count(403) == 27
    assert _settled_kernels(voila_server) == before
    log = voila_server.log.read_text(encoding="utf-8")
    assert rater.token not in log and admin.token not in log


def test_one_link_gets_at_most_three_kernels_then_the_busy_page(voila_server):
    """Three pages of one link are served; the fourth, while those have just started, gets 'Server sedang sibuk'."""
    link = _spare_link(voila_server)
    kernels = []
    try:
        for _ in range(3):
            status, body = http_get(link.url)
            assert status == 200, body[:300]
            kernels.append(KERNEL_ID.search(body).group(1))
        status, body = http_get(link.url)
        assert status == 503
        assert "Server sedang sibuk, coba lagi" in body and "Tutup tab lain" in body and "kernelId" not in body
        assert http_get(voila_server.admin.url)[0] == 200  # other links are not affected
    finally:
        for kernel in kernels:
            shutdown_kernel(voila_server.base, kernel)
    status, _ = http_get(link.url)  # closing the tabs gives the link its pages back
    assert status == 200
