"""One published report as an HTML page, from its stored context alone (no pandas: form kernels use it)."""

from __future__ import annotations

import json
import zlib
from typing import Any

from ..instansi import load_instansi
from .printing import template_env


def stored_context(konteks: bytes, held: str | None = None) -> dict[str, Any]:
    """Return the template context of a published version from its stored (compressed) form.

    ``held`` is the note shown when newer answers wait for more raters (see ``individual.published_report``).
    """
    context = json.loads(zlib.decompress(konteks).decode("utf-8"))
    # JSON keys are text: the scale's labels are keyed by their integer points.
    context["skala"]["label"] = {int(k): v for k, v in context["skala"]["label"].items()}
    context["versi"] = {**context.get("versi", {}), "tertahan": held}
    # Versions published before the header text became a setting carry only the instansi's name.
    context.setdefault("teks_logo", context.get("instansi") or load_instansi().teks_logo)
    return context


def render_report_html(context: dict[str, Any]) -> str:
    """Return the HTML of one person's report from the context of :func:`~.individual.build_report_data`."""
    kaki = f"Laporan 360° · {context['pegawai']['nama']} · {context['siklus']['nama']} · Rahasia"
    return template_env().get_template("laporan.html.j2").render(**context, kaki=kaki)
