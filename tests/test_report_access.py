"""Report delivery: a pegawai opens their own published 360° report through their personal link, and only theirs."""

from __future__ import annotations

import base64
import html
import re

import pytest
from click.testing import CliRunner

from kinerja_lib import form_service, links, report_access
from kinerja_lib.cli import main
from kinerja_lib.cycle import close_cycle
from kinerja_lib.errors import AccessDenied, FormError
from kinerja_lib.forms import RaterApp
from kinerja_lib.forms.laporan import PROVISIONAL, OwnReportView
from kinerja_lib.links import LinkGrant
from kinerja_lib.store import open_db

from conftest import build_published_org


def _grant(org, key):
    issued = links.issue_links(org.db, org.cycle.id, nips=[org.nip[key]])[0]
    return links.resolve(org.db, issued.token)


def _opened(db, nip):
    row = db.execute("SELECT jumlah, pertama, terakhir FROM laporan_dibuka WHERE nip = ?", [nip]).fetchone()
    return None if row is None else row[0]


def test_a_pegawai_opens_their_own_latest_published_report(published_org):
    """The report shown is the link owner's latest published version, and the opening is counted."""
    org = published_org
    grant = _grant(org, "budi")
    report = report_access.open_own_report(org.db, grant)
    assert (report.nip, report.versi) == (org.nip["budi"], 1)
    assert report.context["pegawai"]["nip"] == org.nip["budi"]
    assert "Budi Santoso" in report.html()
    report_access.open_own_report(org.db, grant)
    assert _opened(org.db, org.nip["budi"]) == 2
    assert _opened(org.db, org.nip["andi"]) is None


def test_nobody_reaches_another_persons_report_by_tampering_with_the_grant(published_org):
    """The NIP comes from the link itself: a grant altered to name someone else is refused."""
    org = published_org
    grant = _grant(org, "budi")
    for forged in (LinkGrant(grant.link_id, grant.cycle_id, "penilai", org.nip["andi"]),
                   LinkGrant(grant.link_id + 1000, grant.cycle_id, "penilai", org.nip["andi"]),
                   LinkGrant(grant.link_id, grant.cycle_id, "admin", None)):
        with pytest.raises(AccessDenied):
            report_access.open_own_report(org.db, forged)
    assert org.db.execute("SELECT COUNT(*) FROM laporan_dibuka").fetchone()[0] == 0


def test_a_revoked_link_or_a_closed_cycle_shows_no_report(published_org):
    """A revoked link, and every link once the cycle is closed, opens nothing (the PDF folder remains)."""
    org = published_org
    grant = _grant(org, "andi")
    links.revoke(org.db, org.cycle.id, org.nip["andi"])
    with pytest.raises(AccessDenied):
        report_access.open_own_report(org.db, grant)
    grant = _grant(org, "budi")
    close_cycle(org.db, org.cycle.id)
    with pytest.raises(AccessDenied):
        report_access.open_own_report(org.db, grant)


def test_no_published_report_means_no_entry_and_a_plain_refusal(published_org):
    """The kepala's report was never published: no 'Laporan saya' card, and opening says it is not out yet."""
    org = published_org
    grant = _grant(org, "kepala")
    assert not report_access.has_report(org.db, grant)
    with pytest.raises(FormError, match="belum diterbitkan"):
        report_access.open_own_report(org.db, grant)
    app = RaterApp(org.db, grant)
    assert "Laporan saya" not in app.list_html()


def _buttons(widget):
    import ipywidgets as widgets

    if isinstance(widget, widgets.Button):
        yield widget
    for child in getattr(widget, "children", ()):
        yield from _buttons(child)


def test_the_rater_app_shows_the_report_in_a_sandboxed_frame_with_a_download(published_org):
    """'Buka laporan' on the list page shows the escaped report, says it is provisional, and offers the file."""
    org = published_org
    org.db.execute("UPDATE pegawai SET nama = ? WHERE nip = ?", ["Budi <script>x()</script>", org.nip["budi"]])
    app = RaterApp(org.db, _grant(org, "andi"))
    assert "Laporan saya" in app.list_html()
    [opener] = [b for b in _buttons(app) if b.description == "Buka laporan"]
    opener.click()
    [view] = [w for w in app.children[-1].children if isinstance(w, OwnReportView)]
    frame = view.page_html
    assert frame.startswith('<iframe class="k360-report-frame"') and 'sandbox=""' in frame
    assert "<script" not in frame.lower() and "<html" not in frame.lower()   # the whole page is one attribute
    page = html.unescape(re.search(r'srcdoc="([^"]*)"', frame).group(1))
    assert "Andi &lt;b&gt;Pratama&lt;/b&gt;" in page                        # the report escapes typed text
    assert view.report.provisional
    shown = "".join(getattr(w, "value", "") for w in view.children)
    assert html.escape(PROVISIONAL) in shown
    data = re.search(r'href="data:text/html;charset=utf-8;base64,([^"]+)"', shown).group(1)
    assert base64.b64decode(data).decode("utf-8") == page
    assert _opened(org.db, org.nip["andi"]) == 1
    view.back_button.click()
    assert "Daftar pegawai yang Anda nilai" in app.list_html()


def test_a_decided_predikat_is_not_called_provisional(published_org):
    """With both ratings decided before publishing, the report shows the predikat and no 'sementara' banner."""
    from kinerja_lib.reports import prepare_cycle, published_report

    org = published_org
    nip = org.nip["citra"]
    org.db.execute("DELETE FROM laporan_versi WHERE nip = ?", [nip])
    for table in ("rating_hasil_kerja", "rating_perilaku"):
        columns = [r[1] for r in org.db.execute(f"PRAGMA table_info({table})")]
        row = {"cycle_id": org.cycle.id, "nip": nip, "rating": "Sesuai Ekspektasi", "ditetapkan": "2026-11-30",
               "penilai_nip": org.nip["kepala"], "sumber": "impor", "diperbarui": "2026-11-30"}
        org.db[table].insert({k: v for k, v in row.items() if k in columns})
    published_report(org.db, prepare_cycle(org.db, org.cycle.id), nip)
    report = report_access.open_own_report(org.db, _grant(org, "citra"))
    assert report.context["ringkasan"]["predikat"] == "Baik"
    assert not report.provisional


def test_the_admin_sees_who_opened_per_unit_and_exports_it(published_org, tmp_path):
    """`openings` lists every published report with its openings; the dashboard function asks for the admin link."""
    org = published_org
    report_access.open_own_report(org.db, _grant(org, "budi"))
    rows = report_access.openings(org.db, org.cycle.id)
    assert [(r.nip, r.jumlah) for r in rows] == [(org.nip[k], n) for k, n in
                                                 sorted([("andi", 0), ("budi", 1), ("citra", 0)],
                                                        key=lambda kn: org.db.execute(
                                                            "SELECT nama FROM pegawai WHERE nip = ?",
                                                            [org.nip[kn[0]]]).fetchone()[0])]
    assert [r.nip for r in report_access.openings(org.db, org.cycle.id, only="belum")] == \
        [r.nip for r in rows if r.jumlah == 0]
    assert report_access.openings_by_unit(rows) == [("Bidang Layanan", 3, 1)]
    admin = links.resolve(org.db, links.issue_admin_link(org.db, org.cycle.id).token)
    assert form_service.report_openings(org.db, admin) == rows
    with pytest.raises(AccessDenied):
        form_service.report_openings(org.db, _grant(org, "budi"))


def test_the_cli_lists_and_exports_the_openings(tmp_path):
    """`kinerja laporan dibuka` prints per unit who has opened; --out writes the table; errors are one line."""
    path = tmp_path / "k.db"
    db = open_db(path)
    org = build_published_org(db)
    report_access.open_own_report(db, _grant(org, "citra"))
    db.close()
    runner = CliRunner()
    result = runner.invoke(main, ["--db", str(path), "laporan", "dibuka"])
    assert result.exit_code == 0, result.output
    assert "Bidang Layanan: 1 dari 3 laporan sudah dibuka" in result.output
    assert "Citra Lestari" in result.output
    result = runner.invoke(main, ["--db", str(path), "laporan", "dibuka", "--belum", "--out", str(tmp_path / "b.csv")])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "b.csv").read_text(encoding="utf-8-sig")
    assert "Budi Santoso" in text and "Citra Lestari" not in text
    result = runner.invoke(main, ["--db", str(path), "laporan", "dibuka", "--out", str(tmp_path / "x.txt")])
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1


def test_laporan_kirim_reissues_links_of_those_who_have_not_opened(tmp_path):
    """`kinerja laporan kirim` gives a fresh link (old one revoked) with a WhatsApp message to unopened readers."""
    path = tmp_path / "k.db"
    db = open_db(path)
    org = build_published_org(db)
    db.execute("UPDATE pegawai SET no_hp = '6281234567890' WHERE nip = ?", [org.nip["andi"]])
    old = _grant(org, "andi")
    report_access.open_own_report(db, _grant(org, "citra"))
    db.close()
    out = tmp_path / "kirim.csv"
    result = CliRunner().invoke(main, ["--db", str(path), "laporan", "kirim", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8-sig")
    assert "Budi Santoso" in text and "Citra Lestari" not in text and "Rina" not in text
    assert "https://wa.me/6281234567890?text=Yth.%20Andi" in text
    db = open_db(path)
    with pytest.raises(AccessDenied):
        report_access.open_own_report(db, old)
    token = re.search(r"[?&]t=([A-Za-z0-9_-]{43})", text.split("Budi Santoso")[1]).group(1)
    assert report_access.open_own_report(db, links.resolve(db, token)).nip == org.nip["budi"]
    db.close()


def test_the_dashboard_shows_report_openings_per_unit_within_the_admins_opd(published_org):
    """The admin dashboard counts published and opened reports per unit; an OPD admin sees their OPD only."""
    from kinerja_lib.forms.admin import AdminApp

    org = published_org
    report_access.open_own_report(org.db, _grant(org, "budi"))
    whole = links.resolve(org.db, links.issue_named_admin_link(org.db, org.cycle.id, "Sri Lestari").token)
    page = AdminApp(org.db, whole).page_html()
    assert "1 dari 3 pegawai sudah membuka laporannya" in page
    assert re.search(r"<td>Bidang Layanan</td><td class='k360-num'>3</td><td class='k360-num'>1</td>", page)
    other = links.resolve(org.db, links.issue_named_admin_link(org.db, org.cycle.id, "Tono", opd="Dinas Lain").token)
    assert form_service.report_openings(org.db, other) == []
    assert "Bidang Layanan" not in AdminApp(org.db, other).page_html().split("Laporan 360 yang sudah dibuka")[1]
