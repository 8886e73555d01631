"""The form server's gate without a server: which link may open which notebook, and the kernel caps."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from kinerja_lib import links
from kinerja_lib.cycle import close_cycle
from kinerja_lib.errors import AccessDenied
from kinerja_lib.forms import messages
from kinerja_lib.forms.server import Admission, KernelLedger, check_link
from kinerja_lib.store import open_db


@pytest.fixture
def org_links(small_org_path):
    """The tiny organisation on file, with one rater link, the admin link and a revoked and an expired link."""
    db = open_db(small_org_path)
    cycle = db.execute("SELECT id FROM cycle").fetchone()[0]
    nips = [r[0] for r in db.execute("SELECT nip FROM pegawai ORDER BY nip")]
    rater = links.issue_links(db, cycle, nips=[nips[0]])[0]
    revoked = links.issue_links(db, cycle, nips=[nips[1]])[0]
    links.revoke(db, cycle, nips[1])
    expired = links.issue_links(db, cycle, nips=[nips[2]], kedaluwarsa=datetime.now(timezone.utc) - timedelta(1))[0]
    admin = links.issue_admin_link(db, cycle)
    db.close()
    return {"path": small_org_path, "cycle": cycle, "rater": rater.token, "admin": admin.token,
            "revoked": revoked.token, "expired": expired.token}


def _uses(path):
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT id, terakhir_dipakai FROM link ORDER BY id").fetchall()


def test_each_notebook_opens_for_its_own_kind_of_link_only(org_links):
    """A rater link opens the rater form and an admin link the dashboard; never the other way round."""
    p = org_links["path"]
    assert check_link(p, "penilaian.ipynb", f"t={org_links['rater']}").jenis == "penilai"
    assert check_link(p, "admin.ipynb", f"t={org_links['admin']}&x=1").jenis == "admin"
    for notebook, token in [("admin.ipynb", org_links["rater"]), ("penilaian.ipynb", org_links["admin"])]:
        with pytest.raises(AccessDenied):
            check_link(p, notebook, f"t={token}")


@pytest.mark.parametrize("notebook, query", [
    ("penilaian.ipynb", ""),
    ("penilaian.ipynb", "t="),
    ("penilaian.ipynb", "t=" + "A" * 43),
    ("penilaian.ipynb", "token={rater}"),            # the right token under another name
    ("penilaian.ipynb", "t={rater}&t={rater}"),      # twice: ambiguous, refused
    ("penilaian.ipynb", "t={revoked}"),
    ("penilaian.ipynb", "t={expired}"),
    ("lain.ipynb", "t={rater}"),
    ("../forms/penilaian.ipynb", "t={rater}"),
])
def test_unusable_links_are_refused_without_touching_the_database(org_links, notebook, query):
    """Missing, malformed, unknown, revoked and expired links and other notebooks are refused; nothing is written."""
    before = _uses(org_links["path"])
    with pytest.raises(AccessDenied):
        check_link(org_links["path"], notebook, query.format(**org_links))
    assert _uses(org_links["path"]) == before


def test_a_closed_cycle_closes_its_links_at_the_gate(org_links):
    """Once the cycle is closed, its links open nothing."""
    db = open_db(org_links["path"])
    close_cycle(db, org_links["cycle"])
    db.close()
    for notebook, token in [("penilaian.ipynb", org_links["rater"]), ("admin.ipynb", org_links["admin"])]:
        with pytest.raises(AccessDenied):
            check_link(org_links["path"], notebook, f"t={token}")


def test_a_valid_check_records_nothing_and_creates_no_file(org_links, tmp_path):
    """The gate only reads: a valid link leaves terakhir_dipakai alone; a missing database is an error, not a new file."""
    before = _uses(org_links["path"])
    check_link(org_links["path"], "penilaian.ipynb", f"t={org_links['rater']}")
    assert _uses(org_links["path"]) == before
    with pytest.raises(FileNotFoundError):
        check_link(tmp_path / "tidak-ada.db", "penilaian.ipynb", f"t={org_links['rater']}")
    assert not (tmp_path / "tidak-ada.db").exists()


# --------------------------------------------------------------------------- the caps

def _ledger(total=3, per_link=2, reclaim=30.0):
    return KernelLedger(max_kernels=total, max_per_link=per_link, reclaim_after=reclaim)


def _open(ledger, link, kernel, live, now):
    """Admit one page for ``link``, give it ``kernel``, and mark that kernel alive (connected) in ``live``."""
    admission = ledger.admit(link, live, now)
    assert admission.admitted, admission
    ledger.attach(admission.booking, kernel, now)
    live[kernel] = 1
    return admission


def test_a_link_gets_no_more_kernels_than_its_cap():
    """The third page of one link is refused while its two pages are connected; other links still get theirs."""
    ledger, live = _ledger(total=10), {}
    _open(ledger, 1, "k1", live, 0)
    _open(ledger, 1, "k2", live, 1)
    assert ledger.admit(1, live, 100) == Admission(False, reason="tautan")
    assert ledger.admit(2, live, 100).admitted


def test_the_server_gets_no_more_kernels_than_its_cap():
    """With every booked kernel connected, the next page is refused as 'penuh', whichever link asks."""
    ledger, live = _ledger(total=3, per_link=3), {"pool-1": 0, "pool-2": 0}
    for n, link in enumerate([1, 2, 3]):
        _open(ledger, link, f"k{n}", live, n)
    refused = ledger.admit(4, live, 1000)
    assert (refused.admitted, refused.reason) == (False, "penuh")
    assert ledger.booked() == 3  # the preheated pool is not counted


def test_a_kernel_nobody_is_connected_to_is_reclaimed_when_a_cap_is_reached():
    """A page closed without telling the server (a phone) frees its kernel 30 s after it was last seen connected."""
    ledger, live = _ledger(total=10, per_link=2), {}
    _open(ledger, 1, "old", live, 0)
    _open(ledger, 1, "new", live, 5)
    ledger.observe(live, 100)                            # both pages still there at 100 s
    live["old"] = 0                                      # then that tab is gone
    assert not ledger.admit(1, live, 110).admitted       # booked long ago, but seen only 10 s ago: not yet
    ledger.observe(live, 120)
    admission = ledger.admit(1, live, 131)
    assert admission.admitted and admission.reclaim == ("old",)
    assert ledger.kernels_of(1) == ["new"]


def test_a_connected_kernel_is_never_reclaimed_and_ended_kernels_are_forgotten():
    """Open pages keep their kernels however old; a kernel that ended no longer counts."""
    ledger, live = _ledger(total=2, per_link=2), {}
    _open(ledger, 1, "a", live, 0)
    _open(ledger, 2, "b", live, 0)
    assert ledger.admit(3, live, 10_000).reason == "penuh"
    del live["b"]                                        # culled or closed
    assert ledger.admit(3, live, 10_000).admitted


def test_a_booking_counts_until_released():
    """Renders still waiting for their kernel count against the caps; a failed render gives its place back."""
    ledger = _ledger(total=2, per_link=2)
    first, second = ledger.admit(1, {}, 0), ledger.admit(2, {}, 0)
    assert not ledger.admit(3, {}, 0).admitted
    ledger.release(first.booking)
    assert ledger.admit(3, {}, 0).admitted
    ledger.attach(second.booking, "k", 0)
    assert ledger.kernels_of(2) == ["k"]


def test_refusal_pages_are_indonesian_escaped_and_offer_a_retry():
    """The gate's pages say what happened in Indonesian; the busy page links back to the same address."""
    busy = messages.page(messages.BUSY_TITLE, messages.BUSY_HELP, retry=True)
    assert "<h1>Server sedang sibuk, coba lagi</h1>" in busy and '<a href="" class="k360-reload">Coba lagi</a>' in busy
    assert 'lang="id"' in busy
    assert "&lt;b&gt;" in messages.page("x", "<b>") and "<b>" not in messages.page("x", "<b>").split("<body>")[1]
    assert "<a " not in messages.page(messages.DENIED_TITLE, messages.DENIED_HELP)
