"""'Laporan saya': a pegawai's own published 360° report inside the rater app, with a download to print."""

from __future__ import annotations

import base64
from collections.abc import Callable

import ipywidgets as widgets
from sqlite_utils import Database

from .. import report_access
from ..links import LinkGrant
from .common import PageView, box, button, esc, html_box, message_html, section, shared, tanggal

PROVISIONAL = ("Sementara: predikat kinerja Anda belum ditetapkan. Angka dan saran 360° dalam laporan ini adalah "
               "masukan, bukan keputusan; Rating Perilaku Kerja dan predikat ditetapkan oleh Pejabat Penilai "
               "Kinerja (PermenPANRB 6/2022).")
DECIDED = "Predikat kinerja dalam laporan ini sudah ditetapkan oleh Pejabat Penilai Kinerja."


def report_frame(page: str) -> str:
    """Return the report page inside a sandboxed frame: its style sheet stays out of the app, no script runs.

    >>> '&lt;b&gt;' in report_frame("<b>x</b>") and 'sandbox=""' in report_frame("")
    True
    """
    return (f'<iframe class="k360-report-frame" title="Laporan umpan balik 360°" sandbox="" '
            f'srcdoc="{esc(page)}" style="width:100%;height:75vh;border:1px solid #cbd5e1;background:#fff">'
            "</iframe>")


def download_link(page: str, nip: str, versi: int) -> str:
    """Return a link that saves the report page as an HTML file (open it and print it to PDF)."""
    data = base64.b64encode(page.encode("utf-8")).decode("ascii")
    name = f"laporan-360-{nip}-versi-{versi}.html"
    return (f'<a class="k360-download" download="{esc(name)}" href="data:text/html;charset=utf-8;base64,{data}">'
            "Unduh laporan (HTML; buka lalu cetak atau simpan sebagai PDF)</a>")


class OwnReportView(PageView):
    """The latest published version of the link's own report, opened (and recorded) when it is built."""

    def __init__(self, db: Database, grant: LinkGrant, **callbacks):
        super().__init__("k360-own-report", **callbacks)
        report = report_access.open_own_report(db, grant)
        page = report.html()
        status = message_html("info", PROVISIONAL) if report.provisional else message_html("ok", DECIDED)
        head = html_box(f'<div class="k360-muted">Versi {report.versi}, diterbitkan '
                        f"{esc(tanggal(report.diterbitkan))}. Laporan ini hanya untuk Anda; nama penilai rekan dan "
                        "bawahan tidak pernah ditampilkan.</div>" + status, "k360-report-status")
        self._report = report
        self._page = html_box(report_frame(page), "k360-report")
        self._download = html_box(download_link(page, report.nip, report.versi), "k360-report-download")
        self.children = [self._back, section("Laporan saya"), self._message, head, self._download, self._page]

    @property
    def report(self) -> report_access.OwnReport:
        return self._report

    @property
    def page_html(self) -> str:
        """The HTML of the frame holding the report."""
        return self._page.value


def report_entry(has_report: bool, on_open: Callable[[], None]) -> list[widgets.Widget]:
    """Return the 'Laporan saya' card of the rater's list page (nothing when no report is published)."""
    if not has_report:
        return []
    opener = button("Buka laporan", button_style="info", tooltip="Buka laporan umpan balik 360° Anda")
    opener.on_click(lambda _b: on_open())
    info = html_box('<div class="k360-name">Laporan saya</div><div class="k360-muted">Laporan umpan balik 360° '
                    "Anda untuk periode ini sudah terbit.</div>", "k360-card-info", layout=shared("auto"))
    return [section("Laporan saya"), box([info, opener], "k360-card", "k360-own-report-card", horizontal=True)]
