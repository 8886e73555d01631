"""Individual 360° feedback reports and the panel's berita acara, rendered from Jinja2 templates to PDF.

One module per concept: :mod:`.formatting` (Indonesian numbers and dates), :mod:`.redaction` (names typed in
comments), :mod:`.data` (what a selection of reports reads, once), :mod:`.charts` (chart geometry),
:mod:`.individual` (one pegawai's report, its published versions, the batch), :mod:`.berita_acara` and
:mod:`.printing` (templates and the one Chromium that prints every PDF of the kit).
"""

from importlib import import_module
from typing import Any

# Names are loaded on first use (PEP 562): a form kernel, which keeps pandas out, reads only the light modules
# (printing, formatting, page), while ``from kinerja_lib.reports import render_reports`` still works everywhere.
_HOME = {
    "build_berita_acara_data": "berita_acara", "render_berita_acara": "berita_acara",
    "render_berita_acara_html": "berita_acara",
    "chart_competency": "charts", "chart_groups": "charts", "chart_self_others": "charts",
    "CycleReportData": "data", "cycle_scores": "data", "load_submitted_responses": "data", "prepare_cycle": "data",
    "angka": "formatting", "persen": "formatting", "tanggal": "formatting",
    "RenderedReport": "individual", "build_report_data": "individual", "published_report": "individual",
    "publishable": "individual", "render_reports": "individual", "report_basis": "individual",
    "report_html": "individual",
    "render_report_html": "page",
    "ENV_CHROMIUM": "printing", "TEMPLATE_DIR": "printing", "css_string": "printing", "find_chromium": "printing",
    "print_pdfs": "printing", "template_env": "printing", "without_bidi_controls": "printing",
    "REDACTED": "redaction", "NameRedactor": "redaction",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "ENV_CHROMIUM", "REDACTED", "TEMPLATE_DIR", "CycleReportData",
    "NameRedactor", "RenderedReport", "angka", "build_berita_acara_data", "build_report_data", "chart_competency",
    "chart_groups", "chart_self_others", "css_string", "cycle_scores", "find_chromium", "load_submitted_responses",
    "persen", "prepare_cycle", "print_pdfs", "publishable", "published_report", "render_berita_acara",
    "render_berita_acara_html", "render_report_html", "render_reports", "report_basis", "report_html", "tanggal",
    "template_env", "without_bidi_controls",
]
