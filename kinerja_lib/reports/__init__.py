"""Individual 360° feedback reports and the panel's berita acara, rendered from Jinja2 templates to PDF.

One module per concept: :mod:`.formatting` (Indonesian numbers and dates), :mod:`.redaction` (names typed in
comments), :mod:`.data` (what a selection of reports reads, once), :mod:`.charts` (chart geometry),
:mod:`.individual` (one pegawai's report, its published versions, the batch), :mod:`.berita_acara` and
:mod:`.printing` (templates and the one Chromium that prints every PDF of the kit).
"""

from .berita_acara import build_berita_acara_data, render_berita_acara, render_berita_acara_html
from .charts import chart_competency, chart_groups, chart_self_others
from .data import CycleReportData, cycle_scores, load_submitted_responses, prepare_cycle
from .formatting import angka, persen, tanggal
from .individual import (RenderedReport, build_report_data, published_report, publishable, render_report_html,
                         render_reports, report_basis, report_html)
from .printing import (ENV_CHROMIUM, TEMPLATE_DIR, css_string, find_chromium, print_pdfs, template_env,
                       without_bidi_controls)
from .redaction import REDACTED, NameRedactor

__all__ = [
    "ENV_CHROMIUM", "REDACTED", "TEMPLATE_DIR", "CycleReportData",
    "NameRedactor", "RenderedReport", "angka", "build_berita_acara_data", "build_report_data", "chart_competency",
    "chart_groups", "chart_self_others", "css_string", "cycle_scores", "find_chromium", "load_submitted_responses",
    "persen", "prepare_cycle", "print_pdfs", "publishable", "published_report", "render_berita_acara",
    "render_berita_acara_html", "render_report_html", "render_reports", "report_basis", "report_html", "tanggal",
    "template_env", "without_bidi_controls",
]
