"""Numbers and dates written the Indonesian way: decimal comma, "12 Maret 2026"."""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime
from typing import Any

_BULAN = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
          "Oktober", "November", "Desember")



def angka(value: Any, digits: int = 2) -> str:
    """Return a number with a decimal comma, or an en dash when it is missing.

    >>> angka(3.846), angka(None), angka(0.5, 0)
    ('3,85', '–', '0')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{float(value):.{digits}f}".replace(".", ",")


def persen(value: Any, digits: int = 0) -> str:
    """Return a share as an Indonesian percentage, e.g. ``persen(0.705, 1) == '70,5%'``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return angka(100 * float(value), digits) + "%"


def tanggal(value: date | datetime | str | None) -> str:
    """Return a date written the Indonesian way, e.g. ``tanggal('2026-03-12') == '12 Maret 2026'``.

    A timestamp (a datetime, or ISO text with a time) is first put in the instansi's zone: a stored UTC time of
    23:30 on 31 December is 1 January in WIB.

    >>> tanggal("2026-12-31T23:30:00+00:00")
    '1 Januari 2027'
    """
    if value is None:
        return "–"
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if len(value) > 10 else date.fromisoformat(value)
    if isinstance(value, datetime):
        from ..instansi import load_instansi

        value = load_instansi().local(value).date()
    return f"{value.day} {_BULAN[value.month - 1]} {value.year}"


def slug(text: str) -> str:
    """Return ``text`` as a lowercase ASCII file-name part ('Dinas Kesehatan' -> 'dinas-kesehatan')."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "unit"


def is_missing(value: Any) -> bool:
    """Return whether ``value`` is None or a float NaN."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def num(value: Any) -> float | None:
    """Return ``value`` as a float, or None when it is missing."""
    return None if is_missing(value) else float(value)


