"""Reaching raters: per-rater reissue, WhatsApp lists, reminders for exactly the unfinished, e-mail over real SMTP."""

from __future__ import annotations

import csv
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from kinerja_lib import links, outreach
from kinerja_lib.cli import main
from kinerja_lib.errors import AccessDenied, MailError
from kinerja_lib.mailer import RateLimit, settings_from
from kinerja_lib.store import open_db

BASE = "https://nilai.example.go.id/kinerja"
SENDER = "BKPSDM Kota Uji <kinerja@example.go.id>"
TOKEN_IN_URL = re.compile(r"\?t=([A-Za-z0-9_-]{43})")

# Who can be reached how in the tiny organisation (build_small_org): kepala and dewi have no contact.
CONTACTS = {"andi": ("6281234567890", "andi@example.id"), "budi": (None, "budi@example.id"),
            "citra": ("6281300000000", None)}


def with_contacts(path):
    db = open_db(path)
    nips = dict(db.execute("SELECT nama, nip FROM pegawai").fetchall())
    by_key = {k: next(n for name, n in nips.items() if name.split()[0].lower() == k) for k in
              ("rina", "andi", "budi", "citra", "dewi")}
    for key, (phone, address) in CONTACTS.items():
        db.execute("UPDATE pegawai SET no_hp = ?, email = ? WHERE nip = ?", [phone, address, by_key[key]])
    db.close()
    by_key["kepala"] = by_key.pop("rina")
    return by_key


def cli(path, *args, env=None):
    return CliRunner().invoke(main, ["--db", str(path), *map(str, args)], env=env)


def live_nips(path, tokens) -> dict[str, str]:
    """Return {token: rater NIP} for the tokens that still open a form."""
    db = open_db(path)
    try:
        alive = {}
        for t in tokens:
            try:
                alive[t] = links.verify(db, t, "penilai").rater_nip
            except AccessDenied:
                pass
        return alive
    finally:
        db.close()


def read_rows(path) -> list[dict]:
    if str(path).endswith(".csv"):
        with open(path, encoding="utf-8-sig", newline="") as fh:
            return list(csv.DictReader(fh))
    ws = load_workbook(path).worksheets[0]
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    return [dict(zip(values[0], ["" if v is None else str(v) for v in row])) for row in values[1:]]


def issue_all(path, out) -> dict[str, str]:
    """Run `kinerja links --out` and return {NIP: token} from the file it wrote."""
    res = cli(path, "links", "--out", out, "--base-url", BASE)
    assert res.exit_code == 0, res.output
    return {row["NIP"]: token(row["Tautan"]) for row in read_rows(out)}


def token(url: str) -> str:
    return TOKEN_IN_URL.search(url).group(1)


def smtp_args(server, *extra):
    return ["--email", "--smtp-host", server.host, "--smtp-port", server.port, "--smtp-keamanan", "tanpa",
            "--pengirim", SENDER, "--base-url", BASE, "--per-menit", 600, *extra]


# ------------------------------------------------------------------------------ issuing per rater

def test_running_links_again_keeps_every_link_already_sent(small_org_path, tmp_path):
    """A second `kinerja links` issues only for raters without a live link; --nip reissues one; --semua all."""
    first = issue_all(small_org_path, tmp_path / "a.csv")
    assert len(first) == 5
    again = cli(small_org_path, "links", "--out", tmp_path / "b.csv", "--base-url", BASE)
    assert again.exit_code == 0 and "sudah mempunyai tautan aktif" in again.stdout
    assert not (tmp_path / "b.csv").exists()
    assert live_nips(small_org_path, first.values()) == {t: n for n, t in first.items()}

    one = next(iter(first))
    res = cli(small_org_path, "links", "--nip", one, "--base-url", BASE)
    assert res.exit_code == 0, res.output
    fresh = token(res.stdout)
    assert live_nips(small_org_path, [*first.values(), fresh]) == {
        **{t: n for n, t in first.items() if n != one}, fresh: one}

    res = cli(small_org_path, "links", "--semua", "--out", tmp_path / "c.csv", "--base-url", BASE)
    assert res.exit_code == 0 and "5 tautan" in res.stdout
    assert live_nips(small_org_path, [*first.values(), fresh]) == {}


def test_an_additive_export_never_replaces_an_earlier_links_file(small_org_path, tmp_path):
    """Links are shown once: `kinerja links --out` onto an existing file is refused before anything is issued."""
    out = tmp_path / "tautan.csv"
    out.write_text("tautan yang sudah dibagikan\n", encoding="utf-8")
    res = cli(small_org_path, "links", "--out", out, "--base-url", BASE)
    assert res.exit_code == 2 and "sudah ada" in res.stderr
    assert out.read_text(encoding="utf-8") == "tautan yang sudah dibagikan\n"
    db = open_db(small_org_path)
    assert db.execute("SELECT COUNT(*) FROM link").fetchone()[0] == 0
    db.close()


@pytest.mark.parametrize("base, warned", [
    ("http://127.0.0.1:8866", True), ("http://localhost:8866/", True), ("http://[::1]:8866", True),
    ("http://0.0.0.0:8866", True), ("http://127.1.2.3", True), ("http://app.localhost", True),
    ("https://nilai.surakarta.go.id", False), ("http://10.0.0.5:8866", False), ("http://192.168.1.20", False),
])
def test_a_loopback_base_url_is_warned_about(base, warned):
    """Links on 127.0.0.1 or localhost open only on the server itself: say so, in Indonesian."""
    warning = links.local_base_url_warning(base)
    assert (warning is not None) == warned
    if warned:
        assert "hanya dapat dibuka di komputer server ini" in warning and "--base-url" in warning


def test_issuing_on_the_default_loopback_address_warns_on_stderr(small_org_path, monkeypatch):
    """`kinerja links` and `admin-link` with the default 127.0.0.1 warn; with a public base URL they do not."""
    monkeypatch.delenv("KINERJA_BASE_URL", raising=False)
    for args in (["links"], ["admin-link"]):
        res = cli(small_org_path, *args)
        assert res.exit_code == 0 and "Peringatan: alamat dasar tautan 'http://127.0.0.1:8866'" in res.stderr
    res = cli(small_org_path, "links", "--semua", "--base-url", BASE)
    assert res.exit_code == 0 and res.stderr == ""


def test_the_links_export_carries_a_whatsapp_invitation_with_the_personal_link(small_org_path, tmp_path):
    """Raters with a phone number get a wa.me link whose prefilled message holds their own working link."""
    nips = with_contacts(small_org_path)
    out = tmp_path / "tautan.xlsx"
    assert cli(small_org_path, "links", "--out", out, "--base-url", BASE).exit_code == 0
    rows = {r["NIP"]: r for r in read_rows(out)}
    assert list(next(iter(rows.values()))) == ["Nama", "NIP", "Unit Kerja", "Tautan", "Jumlah Dinilai", "No. HP",
                                               "Tautan WhatsApp"]
    assert {n: (r["No. HP"], bool(r["Tautan WhatsApp"])) for n, r in rows.items()} == {
        nips["kepala"]: ("", False), nips["andi"]: ("6281234567890", True), nips["budi"]: ("", False),
        nips["citra"]: ("6281300000000", True), nips["dewi"]: ("", False)}
    wa = urlsplit(rows[nips["andi"]]["Tautan WhatsApp"])
    assert (wa.netloc, wa.path) == ("wa.me", "/6281234567890")
    text = parse_qs(wa.query)["text"][0]
    assert rows[nips["andi"]]["Tautan"] in text and text.startswith('Yth. Andi <b>Pratama</b> & "Co",')
    assert live_nips(small_org_path, [token(text)]) == {token(text): nips["andi"]}
    cell = load_workbook(out)["Tautan"]["F3"]
    assert cell.data_type == "s"   # the phone number stays text: Excel would round 13 digits


# ------------------------------------------------------------------------------ reminders

def submit_all(path, nip):
    db = open_db(path)
    db.execute("UPDATE assignment SET status = 'terkirim', terkirim = '2026-05-01T00:00:00+00:00' "
               "WHERE rater_nip = ?", [nip])
    db.close()


def test_the_reminder_list_holds_fresh_links_for_exactly_the_unfinished(small_org_path, tmp_path):
    """Finished raters are left out and keep their link; every listed rater's old link is replaced by a working one."""
    nips = with_contacts(small_org_path)
    first = issue_all(small_org_path, tmp_path / "a.csv")
    submit_all(small_org_path, nips["dewi"])
    db = open_db(small_org_path)   # budi has one form left as a draft
    db.execute("UPDATE assignment SET status = 'terkirim' WHERE rater_nip = ? AND ratee_nip <> ?",
               [nips["budi"], nips["kepala"]])
    db.execute("UPDATE assignment SET status = 'draf' WHERE rater_nip = ? AND ratee_nip = ?",
               [nips["budi"], nips["kepala"]])
    db.close()
    out = tmp_path / "pengingat.xlsx"
    res = cli(small_org_path, "ingatkan", "--out", out, "--base-url", BASE)
    assert res.exit_code == 0, res.output
    rows = {r["NIP"]: r for r in read_rows(out)}
    assert {n: (r["Jumlah Dinilai"], r["Belum Selesai"]) for n, r in rows.items()} == {
        nips["kepala"]: ("4", "4"), nips["andi"]: ("4", "4"), nips["budi"]: ("4", "1"), nips["citra"]: ("4", "4")}
    fresh = {n: token(r["Tautan"]) for n, r in rows.items()}
    assert live_nips(small_org_path, [*first.values(), *fresh.values()]) == {
        first[nips["dewi"]]: nips["dewi"], **{t: n for n, t in fresh.items()}}
    wa = parse_qs(urlsplit(rows[nips["citra"]]["Tautan WhatsApp"]).query)["text"][0]
    assert "Ini pengingat" in wa and "4 dari 4 formulir" in wa and rows[nips["citra"]]["Tautan"] in wa
    assert load_workbook(out).sheetnames == ["Pengingat", "Pengaturan"]


def test_nobody_to_remind_writes_nothing(small_org_path, tmp_path):
    """When every form is submitted, the reminder says so and writes no file."""
    nips = with_contacts(small_org_path)
    for nip in nips.values():
        submit_all(small_org_path, nip)
    res = cli(small_org_path, "ingatkan", "--out", tmp_path / "p.csv", "--base-url", BASE)
    assert res.exit_code == 0 and "semua formulir sudah dikirim" in res.stdout
    assert not (tmp_path / "p.csv").exists()


@pytest.mark.parametrize("args, fragment", [
    ([], "pilih cara menjangkau penilai"),
    (["--out", "p.xls"], "ekstensi '.xls' tidak dikenal"),
    (["--email"], "server SMTP belum diatur"),
    (["--email", "--smtp-host", "127.0.0.1", "--pengirim", "bkpsdm"], "alamat pengirim 'bkpsdm' tidak sah"),
    (["--email", "--smtp-host", "127.0.0.1", "--pengirim", SENDER, "--smtp-user", "admin"], "KINERJA_SMTP_PASSWORD"),
    (["--per-menit", "0", "--email"], "di luar rentang"),
    (["--nip", "199999999999999999", "--out", "p.csv"], "199999999999999999"),
    (["--smtp-password", "rahasia", "--email"], "opsi '--smtp-password' tidak dikenal"),
])
def test_reminder_refusals_are_indonesian_and_change_nothing(small_org_path, tmp_path, monkeypatch, args, fragment):
    """Missing or bad settings exit 2 with one Indonesian line before any link is issued or mail sent."""
    for var in ("KINERJA_SMTP_HOST", "KINERJA_SMTP_PENGIRIM", "KINERJA_SMTP_USER", "KINERJA_SMTP_PASSWORD"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    res = cli(small_org_path, "ingatkan", *args, "--base-url", BASE)
    assert res.exit_code == 2 and fragment in res.stderr and "Traceback" not in res.output, res.output
    db = open_db(small_org_path)
    assert db.execute("SELECT COUNT(*) FROM link").fetchone()[0] == 0
    db.close()
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("org.db")) == []


# ------------------------------------------------------------------------------ e-mail over real SMTP

def test_invitations_arrive_by_email_with_a_link_that_works(small_org_path, smtp_server):
    """Each rater with an address gets one message: right recipient and subject, a token that validates
    against the stored hash, the HTML part escaping the roster's name; the log records it without the link."""
    nips = with_contacts(small_org_path)
    res = cli(small_org_path, "undang", *smtp_args(smtp_server))
    assert res.exit_code == 0, res.output   # kepala, citra and dewi have no address: said, not silently skipped
    assert "3 penilai tidak mempunyai alamat e-mail" in res.stdout and "2 e-mail terkirim, 0 gagal" in res.stdout
    received = {tuple(to): msg for to, msg in smtp_server.messages}
    assert set(received) == {("andi@example.id",), ("budi@example.id",)}
    tokens = {}
    for (address,), msg in received.items():
        assert msg["Subject"] == "Undangan mengisi penilaian 360° Tahunan 2026: tautan pribadi Anda"
        assert msg["From"].addresses[0].addr_spec == "kinerja@example.go.id"
        assert msg["To"].addresses[0].addr_spec == address
        text = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        tokens[address] = token(text)
        assert f"{BASE}/voila/render/penilaian.ipynb?t={tokens[address]}" in text
        assert f'href="{BASE}/voila/render/penilaian.ipynb?t={tokens[address]}"' in html
    andi_html = received[("andi@example.id",)].get_body(("html",)).get_content()
    assert "Andi &lt;b&gt;Pratama&lt;/b&gt; &amp; &#34;Co&#34;" in andi_html and "<b>Pratama" not in andi_html
    assert live_nips(small_org_path, tokens.values()) == {tokens["andi@example.id"]: nips["andi"],
                                                         tokens["budi@example.id"]: nips["budi"]}
    db = open_db(small_org_path)
    log = [(r["nip"], r["alamat"], r["jenis"], r["hasil"]) for r in outreach.sent_log(db, 1)]
    assert log == [(nips["andi"], "andi@example.id", "undangan", "terkirim"),
                   (nips["budi"], "budi@example.id", "undangan", "terkirim")]
    dump = "\n".join(db.conn.iterdump())
    assert not any(t in dump for t in tokens.values()) and "penilaian.ipynb?t=" not in dump
    db.close()


def test_a_refused_recipient_keeps_the_old_link_and_is_logged(small_org_path, tmp_path, smtp_server):
    """The server refuses budi: his old link still works, the unsent one does not, the log says why, exit 2."""
    nips = with_contacts(small_org_path)
    first = issue_all(small_org_path, tmp_path / "a.csv")
    smtp_server.refuse.add("budi@example.id")
    res = cli(small_org_path, "ingatkan", *smtp_args(smtp_server), "--out", tmp_path / "wa.csv")
    assert res.exit_code == 2 and nips["budi"] in res.stderr and "1 e-mail terkirim, 1 gagal" in res.stdout
    assert [to for to, _ in smtp_server.messages] == [["andi@example.id"]]
    andi = token(smtp_server.messages[0][1].get_body(("plain",)).get_content())
    listed = {r["NIP"]: token(r["Tautan"]) for r in read_rows(tmp_path / "wa.csv")}
    assert set(listed) == {nips["kepala"], nips["citra"], nips["dewi"]}   # no one is both mailed and listed
    assert live_nips(small_org_path, [*first.values(), andi, *listed.values()]) == {
        andi: nips["andi"], first[nips["budi"]]: nips["budi"], **{t: n for n, t in listed.items()}}
    db = open_db(small_org_path)
    log = [(r["nip"], r["hasil"], r["keterangan"]) for r in outreach.sent_log(db, 1)]
    assert log == [(nips["andi"], "terkirim", None),
                   (nips["budi"], "gagal", "penerima ditolak: 550 5.1.1 Kotak surat tidak ada")]
    db.close()


def test_a_dry_run_shows_the_messages_and_sends_and_writes_nothing(small_org_path, tmp_path, smtp_server):
    """--coba prints recipients, subjects and texts (with a placeholder link); no mail, no link, no file."""
    with_contacts(small_org_path)
    db = open_db(small_org_path)
    before = list(db.conn.iterdump())
    db.close()
    res = cli(small_org_path, "ingatkan", *smtp_args(smtp_server), "--out", tmp_path / "wa.csv", "--coba")
    assert res.exit_code == 0, res.output
    assert "2 e-mail akan dikirim" in res.stdout and "--- Kepada: andi@example.id" in res.stdout
    assert outreach.LINK_PLACEHOLDER in res.stdout and "3 penilai akan masuk daftar" in res.stdout
    assert smtp_server.messages == [] and not (tmp_path / "wa.csv").exists()
    db = open_db(small_org_path)
    assert list(db.conn.iterdump()) == before
    db.close()


def test_an_unreachable_server_changes_nothing(small_org_path, tmp_path):
    """No SMTP server on the port: one Indonesian error, no link issued, nothing logged."""
    from live import free_port

    with_contacts(small_org_path)
    res = cli(small_org_path, "ingatkan", "--email", "--smtp-host", "127.0.0.1", "--smtp-port", free_port(),
              "--smtp-keamanan", "tanpa", "--pengirim", SENDER, "--base-url", BASE)
    assert res.exit_code == 2 and "tidak dapat terhubung ke server SMTP" in res.stderr
    db = open_db(small_org_path)
    assert db.execute("SELECT (SELECT COUNT(*) FROM link) + (SELECT COUNT(*) FROM kiriman)").fetchone()[0] == 0
    db.close()


def test_the_rate_limit_spaces_messages_evenly():
    """At N per minute the k-th message waits until k * 60/N seconds after the first."""
    now, slept = [100.0], []

    def sleep(seconds):
        slept.append(round(seconds, 6))
        now[0] += seconds

    rate = RateLimit(30, clock=lambda: now[0], sleep=sleep)
    for _ in range(4):
        rate.wait()
        now[0] += 0.5            # sending takes half a second
    assert slept == [1.5, 1.5, 1.5]


def test_the_rate_limit_holds_against_a_real_server(small_org_path, smtp_server):
    """Four messages at 240 a minute take at least 3 intervals of 0.25 s."""
    db = open_db(small_org_path)
    for i, nip in enumerate(r[0] for r in db.execute("SELECT nip FROM pegawai ORDER BY nip LIMIT 4")):
        db.execute("UPDATE pegawai SET email = ? WHERE nip = ?", [f"p{i}@example.id", nip])
    raters = outreach.raters_to_reach(db, 1, "pengingat")
    settings = settings_from({}, host=smtp_server.host, port=smtp_server.port, keamanan="tanpa", pengirim=SENDER)
    started = time.monotonic()
    run = outreach.send_mail(db, 1, "pengingat", raters, settings, 240, base_url=BASE)
    elapsed = time.monotonic() - started
    db.close()
    assert len(run.terkirim) == 4 and len(smtp_server.messages) == 4
    assert elapsed >= 0.75


@pytest.mark.parametrize("env, given, fragment", [
    ({"KINERJA_SMTP_PASSWORD": "rahasia"}, {"keamanan": "tanpa", "user": "admin"}, "tanpa enkripsi"),
    ({"KINERJA_SMTP_PASSWORD": "rahasia"}, {}, "akun SMTP belum"),
    ({}, {"port": "70000"}, "port SMTP '70000' tidak sah"),
    ({"KINERJA_SMTP_KEAMANAN": "tls"}, {}, "keamanan SMTP 'tls' tidak dikenal"),
])
def test_smtp_settings_are_checked(env, given, fragment):
    """Settings come from options, else the environment; the password only from the environment, never in clear."""
    with pytest.raises(MailError, match=re.escape(fragment)):
        settings_from({"KINERJA_SMTP_HOST": "smtp.example.go.id", "KINERJA_SMTP_PENGIRIM": SENDER, **env}, **given)


def test_smtp_settings_from_the_environment_keep_the_password_out_of_sight():
    s = settings_from({"KINERJA_SMTP_HOST": "smtp.example.go.id", "KINERJA_SMTP_PENGIRIM": SENDER,
                       "KINERJA_SMTP_USER": "admin", "KINERJA_SMTP_PASSWORD": "rahasia"})
    assert (s.host, s.port, s.keamanan, s.user, s.password) == ("smtp.example.go.id", 587, "starttls", "admin",
                                                                "rahasia")
    assert "rahasia" not in repr(s) and "rahasia" not in s.describe()


def tls_args(server, *extra):
    return ["--email", "--smtp-host", server.host, "--smtp-port", server.port, "--smtp-keamanan", "starttls",
            "--smtp-user", "kinerja360", "--pengirim", SENDER, "--base-url", BASE, "--per-menit", 600, *extra]


def test_starttls_and_login_deliver_over_an_encrypted_session(small_org_path, smtp_tls_server):
    """With STARTTLS, the office CA and the password from the environment, mail goes out encrypted and logged in."""
    nips = with_contacts(small_org_path)
    res = cli(small_org_path, "ingatkan", *tls_args(smtp_tls_server, "--smtp-ca", smtp_tls_server.ca),
              env={"KINERJA_SMTP_PASSWORD": "rahasia-uji"})
    assert res.exit_code == 0, res.output
    assert [(to, encrypted) for to, _, encrypted, _ in smtp_tls_server.messages] == [
        (["andi@example.id"], True), (["budi@example.id"], True)]
    tokens = [token(msg.get_body(("plain",)).get_content()) for _, msg, _, _ in smtp_tls_server.messages]
    assert sorted(live_nips(small_org_path, tokens).values()) == sorted([nips["andi"], nips["budi"]])


@pytest.mark.parametrize("password, trust, fragment", [
    ("salah", True, "menolak akun 'kinerja360'"),
    ("rahasia-uji", False, "CERTIFICATE_VERIFY_FAILED"),
])
def test_a_wrong_password_or_an_untrusted_certificate_sends_nothing(small_org_path, smtp_tls_server, password,
                                                                    trust, fragment):
    """A refused login or a certificate nobody vouches for stops the run before any link is issued."""
    with_contacts(small_org_path)
    extra = ["--smtp-ca", smtp_tls_server.ca] if trust else []
    res = cli(small_org_path, "ingatkan", *tls_args(smtp_tls_server, *extra), env={"KINERJA_SMTP_PASSWORD": password})
    assert res.exit_code == 2 and fragment in res.stderr and "tidak ada e-mail yang dikirim" in res.stderr, res.output
    assert smtp_tls_server.messages == []
    db = open_db(small_org_path)
    assert db.execute("SELECT (SELECT COUNT(*) FROM link) + (SELECT COUNT(*) FROM kiriman)").fetchone()[0] == 0
    db.close()
