"""Kinerja 360: 360-degree performance feedback for Indonesian civil servants (ASN).

The public API is listed in ``__all__``. Names are imported lazily so that a form kernel
that only needs the store never pays for pandas or scipy.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "open_db": "store",
    "write_transaction": "store",
    "predikat_kinerja": "predikat",
    "check_distribution": "predikat",
    "open_cycle": "cycle",
    "get_cycle": "cycle",
    "MethodSettings": "settings",
    "close_cycle": "cycle",
    "generate_assignments": "assignments",
    "apply_manual_changes": "assignments",
    "generate_demo": "demo",
    "build_demo_database": "demo",
    "load_instrument": "reference",
    "load_competencies": "reference",
    "load_method_defaults": "reference",
    "score_responses": "scoring",
    "score_by_value": "scoring",
    "run_scoring": "scoring",
    "load_results": "scoring",
    "export_results_xlsx": "scoring",
    "fit_crossed": "bias",
    "icc1": "reliability",
    "rwg": "reliability",
    "krippendorff_alpha": "reliability",
    "analyse_competency": "competency",
    "export_training_xlsx": "competency",
    "build_report_data": "reports",
    "render_reports": "reports",
    "render_berita_acara": "reports",
    "award_report": "awards",
    "shortlist": "awards",
    "eligibility": "awards",
    "fairness": "awards",
    "follow_up_list": "awards",
    "satyalancana_list": "awards",
    "nine_box": "awards",
    "read_table": "tabular",
    "import_roster": "roster",
    "import_hasil_kerja": "importers",
    "import_disiplin": "importers",
    "import_responses": "importers",
    "import_predikat_organisasi": "importers",
    "import_ekspektasi": "importers",
    "import_standar_kompetensi": "importers",
    "import_potensi": "importers",
    "issue_links": "links",
    "issue_admin_link": "links",
    "issue_named_admin_link": "links",
    "admin_links": "links",
    "revoke_admin_link": "links",
    "resolve": "links",
    "revoke": "links",
    "export_links": "links",
    "raters_to_reach": "outreach",
    "send_mail": "outreach",
    "write_list": "outreach",
    "sent_log": "outreach",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'kinerja_lib' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
