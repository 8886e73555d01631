"""'Laporan saya': a pegawai's own published 360° report inside the rater app, with a download to print."""

from __future__ import annotations

import base64
from collections.abc import Callable

import ipywidgets as widgets
from sqlite_utils import Database

from .. import report_access
from ..links import LinkGrant
from .common import box, button, esc, guarded, html_box, message_html, section, shared, tanggal

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


class OwnReportView(widgets.VBox):
    """The latest published version of the link's own report, opened (and recorded) when it is built."""

    def __init__(self, db: Database, grant: LinkGrant, *, on_back: Callable[[], None]):
        super().__init__(layout=shared("full"), _dom_classes=("k360-own-report",))
        self._on_back_cb = on_back
        self._back = button("← Kembali ke daftar", "k360-back", tooltip="Kembali ke daftar penilaian")
        self._back.on_click(self._on_back)
        report = report_access.open_own_report(db, grant)
        page = report.html()
        status = message_html("info", PROVISIONAL) if report.provisional else message_html("ok", DECIDED)
        head = html_box(f'<div class="k360-muted">Versi {report.versi}, diterbitkan '
                        f"{esc(tanggal(report.diterbitkan))}. Laporan ini hanya untuk Anda; nama penilai rekan dan "
                        "bawahan tidak pernah ditampilkan.</div>" + status, "k360-report-status")
        self._report = report
        self._page = html_box(report_frame(page), "k360-report")
        self._download = html_box(download_link(page, report.nip, report.versi), "k360-report-download")
        self.children = [self._back, section("Laporan saya"), head, self._download, self._page]

    @property
    def report(self) -> report_access.OwnReport:
        return self._report

    @property
    def back_button(self) -> widgets.Button:
        return self._back

    @property
    def page_html(self) -> str:
        """The HTML of the frame holding the report."""
        return self._page.value

    @guarded
    def _on_back(self, _button=None) -> None:
        self._on_back_cb()

    def _show_error(self, text: str) -> None:
        self.children = [*self.children[:1], html_box(message_html("error", text))]

    def _deny(self) -> None:
        self._show_error("Tautan tidak valid atau sudah tidak berlaku.")

    def _halt(self, text: str) -> None:
        self._show_error(text)


def report_entry(has_report: bool, on_open: Callable[[], None]) -> list[widgets.Widget]:
    """Return the 'Laporan saya' card of the rater's list page (nothing when no report is published)."""
    if not has_report:
        return []
    opener = button("Buka laporan", button_style="info", tooltip="Buka laporan umpan balik 360° Anda")
    opener.on_click(lambda _b: on_open())
    info = html_box('<div class="k360-name">Laporan saya</div><div class="k360-muted">Laporan umpan balik 360° '
                    "Anda untuk periode ini sudah terbit.</div>", "k360-card-info", layout=shared("auto"))
    return [section("Laporan saya"), box([info, opener], "k360-card", "k360-own-report-card", horizontal=True)]
