"""Shared fixtures: fresh databases, paths to reference data, and the demo database for notebooks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kinerja_lib.store import open_db

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def db():
    """A fresh, migrated in-memory database."""
    database = open_db(":memory:")
    yield database
    database.close()


@pytest.fixture
def db_path(tmp_path) -> Path:
    """Path of a fresh, migrated database file (WAL mode) in a temporary folder."""
    path = tmp_path / "kinerja.db"
    open_db(path).close()
    return path


@pytest.fixture
def open_cycle_db(db):
    """A fresh database holding one open annual cycle (id 1) with the default settings."""
    from kinerja_lib.cycle import open_cycle

    open_cycle(db, "Tahunan 2026", "Tahunan", 2026, "2026-01-01", "2026-12-31")
    return db


# --- a tiny organisation for the link, form and concurrency tests --------------------------------

SMALL_ORG = {
    "kepala": ("197501012000031001", "Rina Kartika", "Kepala Bidang Layanan", "Administrator", 4, 1, None),
    "andi": ("198502022010011002", 'Andi <b>Pratama</b> & "Co"', "Pengelola Layanan", "Pelaksana", 1, 0, "kepala"),
    "budi": ("199003032015022003", "Budi Santoso", "Pengelola Data", "Pelaksana", 1, 0, "kepala"),
    "citra": ("199104042016031004", "Citra Lestari", "Pengadministrasi Umum", "Pelaksana", 1, 0, "kepala"),
    "dewi": ("198806062012121005", "Dewi Anggraini", "Analis Kebijakan", "Pelaksana", 1, 0, None),
}


def build_small_org(database):
    """Fill a database with 2 OPD, 5 pegawai, one open cycle and its assignments; return a namespace.

    The kepala rates his three staff as atasan, they rate him as bawahan and each other as rekan,
    everyone rates themselves; 'andi' has a name full of HTML to prove it is escaped.
    """
    from types import SimpleNamespace

    from kinerja_lib.cycle import open_cycle
    from kinerja_lib.store import now

    stamp = now()
    database["unit"].insert_all([
        {"id": "Dinas Uji", "nama": "Dinas Uji", "induk_id": None, "jenis": "opd"},
        {"id": "Dinas Uji / Bidang Layanan", "nama": "Bidang Layanan", "induk_id": "Dinas Uji", "jenis": "bidang"},
        {"id": "Dinas Lain", "nama": "Dinas Lain", "induk_id": None, "jenis": "opd"},
    ])
    nips = {key: row[0] for key, row in SMALL_ORG.items()}
    database["pegawai"].insert_all([
        {"nip": nip, "nama": nama, "jenis_kelamin": "P" if key in ("kepala", "citra", "dewi") else "L",
         "unit_id": "Dinas Lain" if key == "dewi" else "Dinas Uji / Bidang Layanan", "jabatan": jabatan,
         "jenis_jabatan": jenis, "tingkat": tingkat, "kepala_unit": kepala,
         "atasan_nip": nips[atasan] if atasan else None, "diperbarui": stamp}
        for key, (nip, nama, jabatan, jenis, tingkat, kepala, atasan) in SMALL_ORG.items()
    ])
    cycle = open_cycle(database, "Tahunan 2026", "Tahunan", 2026, "2026-01-01", "2026-12-31")
    staff = ("andi", "budi", "citra")
    pairs = [(k, k, "diri") for k in SMALL_ORG]
    pairs += [("kepala", s, "atasan") for s in staff]
    pairs += [(s, "kepala", "bawahan") for s in staff]
    pairs += [(r, t, "rekan") for r in staff for t in staff if r != t]
    database["assignment"].insert_all([
        {"cycle_id": cycle.id, "rater_nip": nips[r], "ratee_nip": nips[t], "relation": rel} for r, t, rel in pairs
    ])
    database["ekspektasi_khusus"].insert_all([
        {"cycle_id": cycle.id, "unit_id": "Dinas Uji", "nilai": "B1", "teks": "Layani <warga> dengan senyum & cepat"},
        {"cycle_id": cycle.id, "unit_id": "Dinas Uji", "nilai": "B2", "teks": "Laporan tepat waktu (OPD)"},
        {"cycle_id": cycle.id, "unit_id": "Dinas Uji / Bidang Layanan", "nilai": "B2", "teks": "Arsip digital rapi"},
    ])
    ids = {(r, t): database.execute("SELECT id FROM assignment WHERE rater_nip = ? AND ratee_nip = ?",
                                    [nips[r], nips[t]]).fetchone()[0] for r, t, _ in pairs}
    return SimpleNamespace(db=database, cycle=cycle, nip=nips, assignment=ids)


@pytest.fixture
def small_org(db):
    """The tiny organisation of build_small_org in a fresh in-memory database."""
    return build_small_org(db)


def answer_everything(database, org, stamp=None) -> None:
    """Submit every assignment of a build_small_org organisation with fixed answers (3-5, varying by rater)."""
    from kinerja_lib.reference import load_instrument
    from kinerja_lib.store import now, write_transaction

    stamp = stamp or now()
    items = [i.kode for v in load_instrument().values for i in v.items]
    with write_transaction(database):
        _answer_all(database, org, items, stamp)


def _answer_all(database, org, items, stamp) -> None:
    for (rater, _), aid in org.assignment.items():
        database.conn.executemany("INSERT OR REPLACE INTO response (assignment_id, item, score, diperbarui) "
                                  "VALUES (?, ?, ?, ?)",
                                  [(aid, item, 3 + (n + len(rater)) % 3, stamp) for n, item in enumerate(items)])
        database.execute("UPDATE assignment SET status = 'terkirim', terkirim = ? WHERE id = ?", [stamp, aid])


def build_published_org(database):
    """build_small_org with every form submitted and the 360 reports of the three staff published."""
    from kinerja_lib.reports import prepare_cycle, published_report

    org = build_small_org(database)
    answer_everything(database, org)
    data = prepare_cycle(database, org.cycle.id)
    for key in ("andi", "budi", "citra"):
        published_report(database, data, org.nip[key])
    return org


@pytest.fixture
def published_org(db):
    """The tiny organisation with every form submitted and the 360 reports of the three staff published."""
    return build_published_org(db)


@pytest.fixture
def small_org_path(tmp_path) -> Path:
    """Path of a WAL database file holding the tiny organisation of build_small_org."""
    path = tmp_path / "org.db"
    database = open_db(path)
    build_small_org(database)
    database.close()
    return path


@pytest.fixture(scope="session")
def demo_scored(tmp_path_factory):
    """The 300-pegawai demo (seed 2026) scored once by run_scoring: namespace of path, db, summary, report.

    Shared read-only by the scoring tests; a test that writes must build its own database.
    """
    from types import SimpleNamespace

    from kinerja_lib.demo import generate_demo
    from kinerja_lib.scoring import run_scoring

    path = tmp_path_factory.mktemp("demo-scored") / "demo.db"
    database = open_db(path)
    summary = generate_demo(database, pegawai=300, seed=2026, answers=True, cycles=1)
    report = run_scoring(database, summary.cycle_id)
    yield SimpleNamespace(path=path, db=database, summary=summary, report=report)
    database.close()


# --- the demo cycle's reports, rendered once (tests/test_reports.py) -------------------------------

def pdf_text(path) -> str:
    """Return the text of a PDF (poppler's pdftotext) with all whitespace runs folded to one space."""
    import subprocess

    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True)
    return " ".join(out.stdout.split())


@pytest.fixture(scope="session")
def reports_demo(tmp_path_factory):
    """A 120-pegawai demo cycle and the rendered 360 reports (PDF and HTML) of one small unit.

    The unit holds ``target``, a ratee rated by exactly 2 rekan (a suppressed group) whose rekan
    comments are unique markers; the target's atasan comment carries HTML markup and the names of
    both rekan raters, so escaping, redaction and anonymity show in one report.
    """
    from types import SimpleNamespace

    from kinerja_lib.demo import build_demo_database
    from kinerja_lib.reports import render_reports
    from kinerja_lib.store import now

    work = tmp_path_factory.mktemp("laporan")
    db, summary = build_demo_database(work / "demo.db", 120, 2026, cycles=1)

    def submitted(ratee: str, relation: str) -> list[tuple[int, str]]:
        return db.execute("SELECT id, rater_nip FROM assignment WHERE cycle_id = ? AND ratee_nip = ? AND "
                          "relation = ? AND aktif = 1 AND status = 'terkirim' ORDER BY id",
                          [summary.cycle_id, ratee, relation]).fetchall()

    target = next(n for n in summary.two_peer_ratees if len(submitted(n, "rekan")) == 2 and submitted(n, "atasan"))
    stamp = now()
    markers = []
    for k, (assignment_id, _) in enumerate(submitted(target, "rekan"), start=1):
        markers.append(f"Catatan rekan tersembunyi nomor {k}")
        db.execute("INSERT OR REPLACE INTO comment (assignment_id, jenis, teks, diperbarui) VALUES (?, ?, ?, ?)",
                   [assignment_id, "kekuatan", markers[-1], stamp])
    names = [db.execute("SELECT nama FROM pegawai WHERE nip = ?", [nip]).fetchone()[0]
             for _, nip in submitted(target, "rekan")]
    full = names[0].split(",")[0].strip()
    first = names[1].split(",")[0].split()[0]
    typed = f"<script>alert('x')</script> Kerja <b>rapi</b> bersama {full} dan Pak {first}."
    db.execute("INSERT OR REPLACE INTO comment (assignment_id, jenis, teks, diperbarui) VALUES (?, ?, ?, ?)",
               [submitted(target, "atasan")[0][0], "kekuatan", typed, stamp])
    unit = db.execute("SELECT unit_id FROM pegawai WHERE nip = ?", [target]).fetchone()[0]
    paths = render_reports(db, summary.cycle_id, unit=unit, out_dir=work / "pdf", html=True, progress=False)
    reports = {p.stem.removeprefix("laporan-360-"): {"pdf": pdf_text(p), "html": p.with_suffix(".html").read_text()}
               for p in paths[:-1]}
    return SimpleNamespace(db=db, path=work / "demo.db", summary=summary, cycle_id=summary.cycle_id, target=target,
                           unit=unit, markers=markers, typed=typed, rekan_names=names, paths=paths, reports=reports)


@pytest.fixture(scope="session")
def demo_org():
    """The 300-pegawai demo (seed 2026, with answers) in memory: namespace of db and summary. Read-only."""
    from types import SimpleNamespace

    from kinerja_lib.demo import generate_demo

    database = open_db(":memory:")
    summary = generate_demo(database, pegawai=300, seed=2026, answers=True, cycles=1)
    yield SimpleNamespace(db=database, summary=summary)
    database.close()


# --- browser end-to-end tests (tests/test_e2e_forms.py) -----------------------------------------

@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Use Debian's Chromium (never a downloaded browser); skip without it unless CI requires it."""
    from live import require_chromium

    return {**browser_type_launch_args, "executable_path": str(require_chromium()),
            "args": ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run"]}


@pytest.fixture(scope="session")
def voila_server(tmp_path_factory):
    """`kinerja serve` on a free port over a fresh 150-pegawai demo database (enough raters with untouched forms for
    every live test to claim its own); stopped with SIGTERM after."""
    import signal
    import subprocess
    import sys
    from types import SimpleNamespace

    from kinerja_lib import links
    from kinerja_lib.demo import generate_demo
    from live import free_port, wait_until_serving

    tmp = tmp_path_factory.mktemp("voila")
    path = tmp / "demo.db"
    database = open_db(path)
    summary = generate_demo(database, pegawai=150, seed=2026, answers=True, cycles=1)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    issued = links.issue_links(database, summary.cycle_id, base_url=base)
    admin = links.issue_admin_link(database, summary.cycle_id, base_url=base)
    database.close()
    log = tmp / "voila.log"
    proc = subprocess.Popen([str(Path(sys.executable).parent / "kinerja"), "--db", str(path), "serve", "--port",
                             str(port), "--log", str(log)], cwd=tmp, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    wait_until_serving(proc, base, lambda: proc.stdout.read().decode(errors="replace"), "kinerja serve", 90)
    yield SimpleNamespace(base=base, db_path=path, log=log, links=issued, admin=admin, cycle_id=summary.cycle_id,
                          process=proc)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("kinerja serve did not stop within 60 s of SIGTERM")
    if proc.returncode != 0:
        pytest.fail(f"kinerja serve exited with {proc.returncode}:\n" + proc.stdout.read().decode(errors="replace"))


# --- file permissions: root ignores them, so such tests run the CLI as an ordinary user -------------

@pytest.fixture
def shared_dir():
    """A temporary folder an unprivileged user may enter and write (pytest's tmp_path is owner-only)."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="kinerja-izin-"))
    folder.chmod(0o777)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def unprivileged():
    """Return a runner of a command as an ordinary user (nobody, via setpriv, when the suite runs as root).

    Skips the test when running as root without setpriv, since root reads and writes any file.
    """
    import shutil
    import subprocess

    def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
        if os.geteuid() != 0:
            return subprocess.run(command, capture_output=True, text=True, **kwargs)
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: file permissions cannot be tested")
        return subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command],
                              capture_output=True, text=True, **kwargs)

    return run


@pytest.fixture(scope="module")
def fault_server(tmp_path_factory):
    """`kinerja serve` on a 60-pegawai demo of its own with nothing answered yet, capped at 4 page kernels
    (2 per link), for the fault-injection tests: they kill its kernels, kill it, start it again, replace its file."""
    from types import SimpleNamespace

    from kinerja_lib import links
    from kinerja_lib.demo import generate_demo
    from live import FormServer, free_port

    tmp = tmp_path_factory.mktemp("gangguan")
    path = tmp / "demo.db"
    database = open_db(path)
    summary = generate_demo(database, pegawai=60, seed=2027, answers=False, cycles=1)
    port = free_port()
    issued = links.issue_links(database, summary.cycle_id, base_url=f"http://127.0.0.1:{port}")
    database.close()
    server = FormServer(path, port, tmp, "--maks-kernel", "4", "--maks-per-tautan", "2").start()
    yield SimpleNamespace(server=server, base=server.base, db_path=path, folder=tmp, links=issued,
                          cycle_id=summary.cycle_id)
    if server.process.poll() is None:
        server.stop()


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on a free local port that keeps every message it accepts.

    ``.messages`` holds (envelope recipients, parsed message); addresses in ``.refuse`` get a 550 at RCPT.
    """
    import email
    import email.policy
    from types import SimpleNamespace

    from aiosmtpd.controller import Controller

    from live import free_port

    state = SimpleNamespace(messages=[], refuse=set(), host="127.0.0.1", port=free_port())

    class Collect:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address in state.refuse:
                return "550 5.1.1 Kotak surat tidak ada"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            state.messages.append((list(envelope.rcpt_tos),
                                   email.message_from_bytes(envelope.original_content, policy=email.policy.default)))
            return "250 Message accepted for delivery"

    controller = Controller(Collect(), hostname=state.host, port=state.port)
    controller.start()
    yield state
    controller.stop()


@pytest.fixture
def smtp_tls_server(tmp_path):
    """A real SMTP server that demands STARTTLS and a login (account kinerja360 / rahasia-uji), with a
    certificate for 127.0.0.1 signed by nobody the system trusts; ``.ca`` is that certificate's file.

    ``.messages`` holds (recipients, parsed message, whether the session was encrypted, the login used).
    """
    import email
    import email.policy
    import shutil
    import ssl
    import subprocess
    from types import SimpleNamespace

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    from live import free_port

    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make the test certificate")
    cert, key = tmp_path / "smtp-cert.pem", tmp_path / "smtp-key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    state = SimpleNamespace(messages=[], host="127.0.0.1", port=free_port(), ca=cert)

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            b"kinerja360", b"rahasia-uji")
        return AuthResult(success=ok, handled=False)

    class Collect:
        async def handle_DATA(self, server, session, envelope):
            state.messages.append((list(envelope.rcpt_tos),
                                   email.message_from_bytes(envelope.original_content, policy=email.policy.default),
                                   session.ssl is not None, session.login_data))
            return "250 Message accepted for delivery"

    controller = Controller(Collect(), hostname=state.host, port=state.port, tls_context=context,
                            require_starttls=True, authenticator=authenticate, auth_required=True)
    controller.start()
    yield state
    controller.stop()
