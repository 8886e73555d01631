"""Personal links: unguessable tokens, only hashes stored, re-issue, revoke, expiry, closed cycles, export."""

from __future__ import annotations

import csv
import hashlib
import logging
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from kinerja_lib import links
from kinerja_lib.cli import main
from kinerja_lib.cli.serve import RedactingFormatter, redact
from kinerja_lib.cycle import close_cycle
from kinerja_lib.errors import AccessDenied, LinkError, OutputError

BASE = "https://nilai.example.go.id/kinerja"


def _by_nip(issued):
    return {i.nip: i for i in issued}


def test_one_link_per_rater_with_the_number_of_people_to_rate(small_org):
    """Every pegawai with an active assignment gets one link, counting the people they rate."""
    issued = links.issue_links(small_org.db, small_org.cycle.id, base_url=BASE)
    n = small_org.nip
    assert {i.nip: i.jumlah_dinilai for i in issued} == {
        n["kepala"]: 4, n["andi"]: 4, n["budi"]: 4, n["citra"]: 4, n["dewi"]: 1}
    assert _by_nip(issued)[n["dewi"]].unit == "Dinas Lain"


def test_token_has_256_random_bits_and_only_its_hash_is_stored(small_org):
    """Tokens are token_urlsafe(32): 43 URL-safe characters, all distinct; the database holds only sha256."""
    issued = links.issue_links(small_org.db, small_org.cycle.id, base_url=BASE)
    tokens = [i.token for i in issued]
    assert all(len(t) == 43 and links._TOKEN_SHAPE.fullmatch(t) for t in tokens)
    assert len(set(tokens)) == len(tokens)
    stored = sorted(r[0] for r in small_org.db.execute("SELECT token_hash FROM link"))
    assert stored == sorted(hashlib.sha256(t.encode()).hexdigest() for t in tokens)
    dump = "\n".join(small_org.db.conn.iterdump())
    assert not any(t in dump for t in tokens)


def test_url_shape_and_query_parsing():
    """The link opens the rater notebook under the base URL with the token in parameter t."""
    assert links.form_url("abc", base_url=BASE + "/") == f"{BASE}/voila/render/penilaian.ipynb?t=abc"
    assert links.form_url("abc", "admin", base_url=BASE) == f"{BASE}/voila/render/admin.ipynb?t=abc"
    assert links.token_from_query("t=abc&theme=dark") == "abc"
    assert links.token_from_query("t=a&t=b") == ""
    assert links.token_from_query("") == ""


def test_resolve_grants_the_rater_and_records_the_use(small_org):
    """A valid token resolves to its rater and cycle and stamps terakhir_dipakai."""
    issued = _by_nip(links.issue_links(small_org.db, small_org.cycle.id))
    grant = links.resolve(small_org.db, issued[small_org.nip["budi"]].token)
    assert (grant.cycle_id, grant.jenis, grant.rater_nip) == (small_org.cycle.id, "penilai", small_org.nip["budi"])
    used = small_org.db.execute("SELECT terakhir_dipakai FROM link WHERE id = ?", [grant.link_id]).fetchone()[0]
    assert used is not None


def test_reissue_revokes_the_previous_link(small_org):
    """Issuing again for a rater kills the old token and leaves exactly one live link."""
    nip = small_org.nip["andi"]
    old = links.issue_links(small_org.db, small_org.cycle.id, nips=[nip])[0]
    new = links.issue_links(small_org.db, small_org.cycle.id, nips=[nip])[0]
    with pytest.raises(AccessDenied):
        links.resolve(small_org.db, old.token)
    assert links.resolve(small_org.db, new.token).rater_nip == nip
    live = small_org.db.execute("SELECT COUNT(*) FROM link WHERE rater_nip = ? AND dicabut IS NULL", [nip]).fetchone()
    assert live[0] == 1


def test_issue_for_chosen_nips_only(small_org):
    """With nips, only those raters get (new) links; the others' links are untouched."""
    n = small_org.nip
    first = _by_nip(links.issue_links(small_org.db, small_org.cycle.id))
    again = links.issue_links(small_org.db, small_org.cycle.id, nips=[n["citra"]])
    assert [i.nip for i in again] == [n["citra"]]
    assert links.resolve(small_org.db, first[n["budi"]].token).rater_nip == n["budi"]


def test_issue_for_a_nip_that_rates_nobody_is_refused(small_org):
    """A NIP without active assignments in the cycle is an error naming it; nothing is written."""
    with pytest.raises(LinkError, match="199999999999999999"):
        links.issue_links(small_org.db, small_org.cycle.id, nips=["199999999999999999"])
    assert small_org.db.execute("SELECT COUNT(*) FROM link").fetchone()[0] == 0


def test_revoke(small_org):
    """A revoked link is refused; revoking a rater without a live link is an error."""
    nip = small_org.nip["dewi"]
    issued = links.issue_links(small_org.db, small_org.cycle.id, nips=[nip])[0]
    assert links.revoke(small_org.db, small_org.cycle.id, nip) == 1
    with pytest.raises(AccessDenied):
        links.resolve(small_org.db, issued.token)
    with pytest.raises(LinkError):
        links.revoke(small_org.db, small_org.cycle.id, nip)


@pytest.mark.parametrize("delta, usable", [(timedelta(days=-1), False), (timedelta(days=1), True)])
def test_expiry(small_org, delta, usable):
    """A link past its kedaluwarsa is refused; before it, it works."""
    when = datetime.now(timezone.utc) + delta
    issued = links.issue_links(small_org.db, small_org.cycle.id, kedaluwarsa=when)[0]
    if usable:
        assert links.resolve(small_org.db, issued.token).rater_nip == issued.nip
    else:
        with pytest.raises(AccessDenied):
            links.resolve(small_org.db, issued.token)


def test_closed_cycle_refuses_its_links_and_new_ones(small_org):
    """Closing the cycle kills its links (rater and admin) and issuing for it is refused."""
    rater = links.issue_links(small_org.db, small_org.cycle.id)[0]
    admin = links.issue_admin_link(small_org.db, small_org.cycle.id)
    close_cycle(small_org.db, small_org.cycle.id)
    for token in (rater.token, admin.token):
        with pytest.raises(AccessDenied):
            links.resolve(small_org.db, token)
    with pytest.raises(LinkError):
        links.issue_links(small_org.db, small_org.cycle.id)
    with pytest.raises(LinkError):
        links.issue_admin_link(small_org.db, small_org.cycle.id)


def test_inactive_rater_is_refused(small_org):
    """A rater marked inactive in the roster can no longer use their link."""
    issued = _by_nip(links.issue_links(small_org.db, small_org.cycle.id))
    small_org.db.execute("UPDATE pegawai SET aktif = 0 WHERE nip = ?", [small_org.nip["budi"]])
    with pytest.raises(AccessDenied):
        links.resolve(small_org.db, issued[small_org.nip["budi"]].token)


@pytest.mark.parametrize("token", [
    "", "x", "a" * 43, "a" * 500, "' OR 1=1 --", None, 12345, "<script>alert(1)</script>" * 3,
])
def test_unknown_or_malformed_tokens_get_the_same_refusal(small_org, token):
    """Every bad token raises the same AccessDenied message, so nothing is learnt about tokens."""
    links.issue_links(small_org.db, small_org.cycle.id)
    with pytest.raises(AccessDenied) as err:
        links.resolve(small_org.db, token)
    assert str(err.value) == "Tautan tidak valid atau sudah tidak berlaku."


def test_admin_link_is_of_kind_admin_and_reissue_revokes(small_org):
    """The admin link resolves to jenis 'admin' without a rater; a new one revokes the old."""
    first = links.issue_admin_link(small_org.db, small_org.cycle.id, base_url=BASE)
    second = links.issue_admin_link(small_org.db, small_org.cycle.id, base_url=BASE)
    assert second.url == f"{BASE}/voila/render/admin.ipynb?t={second.token}"
    grant = links.resolve(small_org.db, second.token)
    assert (grant.jenis, grant.rater_nip) == ("admin", None)
    with pytest.raises(AccessDenied):
        links.resolve(small_org.db, first.token)


def test_check_grant_sees_a_revocation_after_resolve(small_org):
    """A grant obtained earlier stops working once its link is revoked (callbacks re-check)."""
    issued = links.issue_links(small_org.db, small_org.cycle.id, nips=[small_org.nip["andi"]])[0]
    grant = links.resolve(small_org.db, issued.token)
    links.check_grant(small_org.db, grant, "penilai")
    links.revoke(small_org.db, small_org.cycle.id, small_org.nip["andi"])
    with pytest.raises(AccessDenied):
        links.check_grant(small_org.db, grant, "penilai")


def test_export_csv_and_xlsx(small_org, tmp_path):
    """The distribution list has columns Nama, NIP, Unit Kerja, Tautan, Jumlah Dinilai, No. HP, Tautan WhatsApp; NIPs stay
    text in XLSX. Without phone numbers in the roster the last two are empty."""
    issued = links.issue_links(small_org.db, small_org.cycle.id, base_url=BASE)
    expected = [[i.nama, i.nip, i.unit, i.url, i.jumlah_dinilai] for i in issued]
    header = ["Nama", "NIP", "Unit Kerja", "Tautan", "Jumlah Dinilai", "No. HP", "Tautan WhatsApp"]
    with open(links.export_links(issued, tmp_path / "t.csv"), encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == header
    assert rows[1:] == [[str(v) for v in r] + ["", ""] for r in expected]
    ws = load_workbook(links.export_links(issued, tmp_path / "t.xlsx")).active
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    assert values == [header, *(r + [None, None] for r in expected)]
    with pytest.raises(OutputError):
        links.export_links(issued, tmp_path / "t.pdf")


def test_cli_links_export_revoke_and_admin_link(small_org_path, tmp_path):
    """`kinerja links --out`, `--revoke` and `kinerja admin-link` work on a database file."""
    runner = CliRunner()
    out = tmp_path / "tautan.xlsx"
    res = runner.invoke(main, ["--db", str(small_org_path), "links", "--out", str(out), "--base-url", BASE])
    assert res.exit_code == 0, res.output
    assert "5 tautan" in res.output and out.exists()
    nip = "198806062012121005"
    res = runner.invoke(main, ["--db", str(small_org_path), "links", "--revoke", nip])
    assert (res.exit_code, res.output.strip()) == (0, f"Tautan NIP {nip} dicabut.")
    res = runner.invoke(main, ["--db", str(small_org_path), "links", "--revoke", nip])
    assert res.exit_code == 2 and "tidak mempunyai tautan aktif" in res.output
    res = runner.invoke(main, ["--db", str(small_org_path), "links", "--nip", nip, "--base-url", BASE])
    assert res.exit_code == 0 and f"{BASE}/voila/render/penilaian.ipynb?t=" in res.output
    res = runner.invoke(main, ["--db", str(small_org_path), "admin-link", "--base-url", BASE])
    assert res.exit_code == 0 and f"{BASE}/voila/render/admin.ipynb?t=" in res.output.splitlines()[-1]


TOKEN = "Xq3v_9LpA0bC-dEfGhIjKlMnOpQrStUvWxYz0123456"  # the shape of secrets.token_urlsafe(32)


@pytest.mark.parametrize("text, expected", [
    ("GET /voila/render/penilaian.ipynb?t=abc-DEF_123 (1.2.3.4)", "GET /voila/render/penilaian.ipynb?t=*** (1.2.3.4)"),
    ("/x?a=1&t=abc&b=2", "/x?a=1&t=***&b=2"),
    ("/x?tema=abc", "/x?tema=abc"),
    # a token under any other parameter name, whatever its position
    (f"/voila/render/penilaian.ipynb?token={TOKEN}", "/voila/render/penilaian.ipynb?token=***"),
    (f"/x?tema=gelap&akses={TOKEN}&n=2", "/x?tema=gelap&akses=***&n=2"),
    (f"GET /x?t={TOKEN}&T={TOKEN}", "GET /x?t=***&T=***"),
    ("/x?kode=ABCDEFGHIJKLMNOP", "/x?kode=***"),
    # and outside a query: in a path, in a message, inside quotes
    (f"GET /voila/render/{TOKEN}/penilaian.ipynb", "GET /voila/render/***/penilaian.ipynb"),
    (f"kernel env QUERY_STRING='t={TOKEN}'", "kernel env QUERY_STRING='t=***'"),
    (f"tautan {TOKEN} ditolak", "tautan *** ditolak"),
    # what stays readable: kernel ids, long snake_case names in tracebacks, ordinary paths
    ("204 POST /voila/api/shutdown/1b4e28ba-2fa1-11d2-883f-0016d3cca427",
     "204 POST /voila/api/shutdown/1b4e28ba-2fa1-11d2-883f-0016d3cca427"),
    ("in _handle_kernel_connection_status_change_callback", "in _handle_kernel_connection_status_change_callback"),
    ("/tmp/pytest-of-root/pytest-1/voila0/demo.db", "/tmp/pytest-of-root/pytest-1/voila0/demo.db"),
])
def test_tokens_are_masked_in_server_logs(text, expected):
    """The server's log formatter masks a token under any parameter name, in a path or in free text."""
    assert redact(text) == expected
    record = logging.LogRecord("tornado.general", logging.WARNING, __file__, 1, "bad request %s", (text,), None)
    assert RedactingFormatter("%(message)s").format(record) == f"bad request {expected}"


def test_verify_checks_without_recording_the_use(small_org):
    """verify() grants what resolve() grants, of the asked kind only, and writes nothing."""
    issued = _by_nip(links.issue_links(small_org.db, small_org.cycle.id))
    token = issued[small_org.nip["budi"]].token
    admin = links.issue_admin_link(small_org.db, small_org.cycle.id).token
    before = small_org.db.execute("SELECT * FROM link ORDER BY id").fetchall()
    grant = links.verify(small_org.db, token, "penilai")
    assert (grant.jenis, grant.rater_nip) == ("penilai", small_org.nip["budi"])
    assert links.verify(small_org.db, admin, "admin").jenis == "admin"
    for bad, kind in [(token, "admin"), (admin, "penilai"), ("A" * 43, None), ("pendek", None), (None, None)]:
        with pytest.raises(AccessDenied):
            links.verify(small_org.db, bad, kind)
    assert small_org.db.execute("SELECT * FROM link ORDER BY id").fetchall() == before


def test_serve_refuses_a_busy_port_with_a_clear_message(small_org_path):
    """`kinerja serve` on a port already in use exits 2 with an Indonesian message, before starting Voilà."""
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        res = CliRunner().invoke(main, ["--db", str(small_org_path), "serve", "--port", str(port)])
    assert res.exit_code == 2
    assert f"Tidak dapat mendengarkan di 127.0.0.1:{port}" in res.output
