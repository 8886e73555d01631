"""The public-service survey: service-point links and the gate, abuse limits, the page, and its own report."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from kinerja_lib import survei
from kinerja_lib.errors import AccessDenied, SurveyError
from kinerja_lib.forms.server import KernelLedger, RateLimiter, check_link, device_id

UNIT = "Dinas Uji / Bidang Layanan"
DEVICE = "d" * 43
ALL_FIVE = {"L1": 5, "L2": 5, "L3": 4, "L4": 5, "L5": None}


@pytest.fixture
def point(small_org_path):
    """An open service point of the small organisation's unit: (path, db, issued)."""
    from kinerja_lib.store import open_db

    db = open_db(small_org_path)
    issued = survei.open_point(db, UNIT, "Loket 1", base_url="https://layanan.contoh.go.id")
    yield small_org_path, db, issued
    db.close()


def query(token: str) -> str:
    return f"t={token}"


def test_the_token_is_stored_only_as_a_hash_and_the_link_names_the_survey_page(point):
    """The link holds a 43-character token; the database holds only its SHA-256."""
    _, db, issued = point
    assert issued.url == f"https://layanan.contoh.go.id/voila/render/survei.ipynb?t={issued.token}"
    stored = db.execute("SELECT token_hash FROM titik_layanan").fetchall()
    assert stored == [(survei.hash_token(issued.token),)] and issued.token not in str(list(db.conn.iterdump()))


def test_the_gate_admits_the_survey_only_with_an_open_service_points_token(point):
    """Valid token: granted. Malformed, unknown, a rater's page, a reissued or a closed point's token: refused."""
    path, db, issued = point
    grant = check_link(path, "survei.ipynb", query(issued.token))
    assert (grant.titik_id, grant.unit_id, grant.nama) == (issued.point.id, UNIT, "Loket 1")
    for notebook, q in [("survei.ipynb", ""), ("survei.ipynb", "t=bukan"), ("survei.ipynb", query("A" * 43)),
                        ("penilaian.ipynb", query(issued.token)), ("admin.ipynb", query(issued.token)),
                        ("lain.ipynb", query(issued.token))]:
        with pytest.raises(AccessDenied):
            check_link(path, notebook, q)
    again = survei.reissue_point(db, issued.point.id)
    with pytest.raises(AccessDenied):
        check_link(path, "survei.ipynb", query(issued.token))
    check_link(path, "survei.ipynb", query(again.token))
    survei.close_point(db, issued.point.id)
    with pytest.raises(AccessDenied):
        check_link(path, "survei.ipynb", query(again.token))
    with pytest.raises(SurveyError, match="sudah ditutup"):
        survei.reissue_point(db, issued.point.id)


def test_a_service_point_needs_a_known_unit_and_a_new_name(point):
    """Unknown unit, empty name, or a name the unit already uses: refused in Indonesian."""
    _, db, _ = point
    for unit, nama, message in [("Dinas Tidak Ada", "Loket", "tidak dikenal"), (UNIT, "  ", "wajib diisi"),
                                (UNIT, "Loket  1", "sudah mempunyai")]:
        with pytest.raises(SurveyError, match=message):
            survei.open_point(db, unit, nama)


def test_one_response_per_device_per_period_and_per_point(point):
    """A second response from the same device within the period is refused; after it, or elsewhere, accepted."""
    _, db, issued = point
    grant = survei.verify_point(db, issued.token)
    start = datetime(2026, 5, 4, 2, 0, tzinfo=timezone.utc)
    survei.submit_response(db, grant, DEVICE, ALL_FIVE, "Cepat & ramah <b>sekali</b>", at=start)
    with pytest.raises(SurveyError, match="sudah kami terima"):
        survei.submit_response(db, grant, DEVICE, ALL_FIVE, at=start + timedelta(hours=23))
    survei.submit_response(db, grant, "e" * 43, ALL_FIVE, at=start + timedelta(hours=23))
    survei.submit_response(db, grant, DEVICE, ALL_FIVE, at=start + timedelta(hours=24, seconds=1))
    other = survei.verify_point(db, survei.open_point(db, UNIT, "Loket 2").token)
    survei.submit_response(db, other, DEVICE, ALL_FIVE, at=start + timedelta(hours=24, seconds=2))
    assert db.execute("SELECT COUNT(*) FROM survei_respons").fetchone()[0] == 4
    assert db.execute("SELECT pelaku, COUNT(*) FROM audit_log WHERE aksi = 'isi_survei_layanan' GROUP BY pelaku"
                      ).fetchall() == [(f"warga:titik{grant.titik_id}", 3), (f"warga:titik{other.titik_id}", 1)]
    assert DEVICE not in str(list(db.conn.iterdump()))   # only its hash


def test_a_service_point_takes_at_most_its_responses_per_minute(point, monkeypatch):
    """Over the per-minute cap of a point the response is refused; a minute later it is accepted."""
    _, db, issued = point
    grant = survei.verify_point(db, issued.token)
    survey = survei.load_survey()
    limited = survei.Survey(**{**survey.__dict__, "batas": {**survey.batas, "jawaban_per_menit_per_titik": 3}})
    start = datetime(2026, 5, 4, 2, 0, tzinfo=timezone.utc)
    for k in range(3):
        survei.submit_response(db, grant, f"{k}" * 43, {"L1": 4}, survey=limited, at=start + timedelta(seconds=k))
    with pytest.raises(SurveyError, match="coba lagi 1 menit lagi"):
        survei.submit_response(db, grant, "x" * 43, {"L1": 4}, survey=limited, at=start + timedelta(seconds=30))
    survei.submit_response(db, grant, "x" * 43, {"L1": 4}, survey=limited, at=start + timedelta(seconds=61))


@pytest.mark.parametrize("device, answers, komentar, message", [
    (None, {"L1": 4}, "", "kuki"),
    (DEVICE, {"L9": 4}, "", "tidak ada di survei"),
    (DEVICE, {"L1": 6}, "", "1 sampai 5"),
    (DEVICE, {"L1": True}, "", "1 sampai 5"),
    (DEVICE, {"L1": None}, "", "paling sedikit satu"),
    (DEVICE, {"L1": 3}, "x" * 501, "terlalu panjang"),
])
def test_a_bad_response_is_refused_and_nothing_is_stored(point, device, answers, komentar, message):
    """No device id, an unknown item, a score out of range, only 'tidak tahu', a long comment: refused."""
    _, db, issued = point
    with pytest.raises(SurveyError, match=message):
        survei.submit_response(db, survei.verify_point(db, issued.token), device, answers, komentar)
    assert db.execute("SELECT COUNT(*) FROM survei_respons").fetchone()[0] == 0


def test_a_closed_point_refuses_a_response_from_a_page_still_open(point):
    """The page was opened before the point closed: the submission is refused as an unusable link."""
    _, db, issued = point
    grant = survei.verify_point(db, issued.token)
    survei.close_point(db, issued.point.id)
    with pytest.raises(AccessDenied):
        survei.submit_response(db, grant, DEVICE, ALL_FIVE)


def test_survey_answers_never_touch_the_360_tables(point):
    """Survey responses live in their own tables: no assignment, response or comment row appears."""
    _, db, issued = point
    before = [db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("assignment", "response", "comment")]
    survei.submit_response(db, survei.verify_point(db, issued.token), DEVICE, ALL_FIVE, "bagus")
    after = [db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("assignment", "response", "comment")]
    assert after == before


def test_the_page_rate_limit_and_the_survey_kernel_cap():
    """Per key at most N pages a minute; a service point may hold more kernels than a personal link."""
    limiter = RateLimiter(3)
    assert [limiter.allow("1.2.3.4", t) for t in (0, 1, 2, 3)] == [True, True, True, False]
    assert limiter.allow("5.6.7.8", 3) and limiter.allow("1.2.3.4", 60.5)
    ledger = KernelLedger(max_kernels=100, max_per_link=3)
    admitted = [ledger.admit("survei:1", {}, 0.0, cap=20).admitted for _ in range(21)]
    assert admitted == [True] * 20 + [False]
    assert [ledger.admit(7, {}, 0.0).admitted for _ in range(4)] == [True, True, True, False]


def test_the_device_cookie_is_kept_when_well_formed_and_replaced_otherwise():
    """A cookie of the token shape is the device; anything else gets a new random id."""
    assert device_id(DEVICE) == (DEVICE, False)
    new, fresh = device_id('"; alert(1)')
    assert fresh and len(new) == 43 and new != device_id(None)[0]


def test_the_survey_widget_submits_and_a_second_try_says_why_in_indonesian(point):
    """The page stores the chosen answers ('Tidak tahu' as no score) and then refuses the same device."""
    from kinerja_lib.forms.survei import DONT_KNOW, SurveyApp

    _, db, issued = point
    grant = survei.verify_point(db, issued.token)
    app = SurveyApp(db, grant, DEVICE)
    app.questions["L1"].value = 4
    app.questions["L2"].value = DONT_KNOW
    app.comment.value = "<script>alert(1)</script>"
    app.submit()
    rows = db.execute("SELECT butir, skor FROM survei_jawaban ORDER BY butir").fetchall()
    assert rows == [("L1", 4), ("L2", None)]
    assert db.execute("SELECT komentar FROM survei_respons").fetchone()[0] == "<script>alert(1)</script>"
    again = SurveyApp(db, grant, DEVICE)
    again.questions["L1"].value = 5
    again.submit()
    assert "sudah kami terima" in again.message and db.execute("SELECT COUNT(*) FROM survei_respons").fetchone()[0] == 1


def test_the_report_gives_means_intervals_distribution_and_hides_comments_below_the_minimum(point, tmp_path):
    """Per point and item: n, mean, CI, counts; comments only for a point with at least the minimum of responses."""
    from openpyxl import load_workbook

    from kinerja_lib.reports.survei import write_report

    _, db, issued = point
    busy = survei.verify_point(db, issued.token)
    quiet = survei.verify_point(db, survei.open_point(db, UNIT, "Loket 2").token)
    scores = [5, 4, 4, 3, 5]
    for k, score in enumerate(scores):
        survei.submit_response(db, busy, f"{k}" * 43, {"L1": score, "L2": None}, f"komentar {k}")
    survei.submit_response(db, quiet, DEVICE, {"L1": 2}, "rahasia kecil")
    out = write_report(*survei.survey_answers(db), survei.load_survey(), tmp_path / "survei.xlsx")
    wb = load_workbook(out)
    rows = list(wb["Ringkasan"].iter_rows(values_only=True))
    l1 = next(r for r in rows if r[1] == "Loket 1" and r[4] == "L1")
    mean = sum(scores) / 5
    assert l1[3] == 5 and l1[6] == 5 and l1[7] == pytest.approx(mean)
    assert l1[8] < mean < l1[9] and l1[10:16] == (0, 0, 1, 2, 2, 0)
    l2 = next(r for r in rows if r[1] == "Loket 1" and r[4] == "L2")
    assert (l2[6], l2[7], l2[15]) == (0, None, 5)
    comments = [r[3] for r in wb["Komentar"].iter_rows(min_row=2, values_only=True)]
    assert sorted(c for c in comments if c.startswith("komentar")) == [f"komentar {k}" for k in range(5)]
    assert "rahasia kecil" not in comments and any("mulai 5 jawaban" in c for c in comments)


def test_the_qr_code_encodes_the_link_and_the_poster_escapes_and_names_the_unit(point, tmp_path):
    """The QR code written holds the link; the poster shows the unit, the point and the steps in Indonesian."""
    from kinerja_lib.reports.survei import poster_html, write_qr

    _, db, issued = point
    assert write_qr(issued, tmp_path / "qr.svg").read_text().startswith("<?xml")
    html = poster_html(issued, survei.load_survey())
    assert "Bidang Layanan, Dinas Uji" in html and "Loket 1" in html and "arahkan ke kode QR" in html
    evil = survei.open_point(db, UNIT, "<img src=x onerror=alert(1)>")
    assert "<img src=x" not in poster_html(evil, survei.load_survey())


def test_the_page_limit_counts_each_citizen_behind_the_local_proxy_apart():
    """Behind `kinerja serve --workers` (nginx on 127.0.0.1) the limit is per X-Real-IP; elsewhere the header is
    ignored, so a client cannot pick its own address."""
    from kinerja_lib.forms.server import client_address

    assert client_address("127.0.0.1", "36.68.1.2") == "36.68.1.2"
    assert client_address("::1", "2001:db8::1") == "2001:db8::1"
    assert client_address("36.68.1.2", "10.0.0.1") == "36.68.1.2"
    assert client_address("127.0.0.1", None) == "127.0.0.1"


def test_the_survey_kernel_stays_light():
    """Preloading the survey page imports none of the heavy modules a form kernel keeps out."""
    import subprocess
    import sys

    code = ("import sys\nfrom kinerja_lib.forms import kernel\nkernel.preload('survei')\n"
            "from kinerja_lib.forms.survei import SurveyApp\n"
            "print(sorted(m for m in kernel.HEAVY_MODULES if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stdout.strip()) == (0, "[]"), result.stderr
