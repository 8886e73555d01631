"""Date arithmetic of service years and improvement windows."""

from __future__ import annotations

import calendar
import math
from datetime import date
from typing import Any

import pandas as pd



def to_date(value: Any) -> date | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    return date.fromisoformat(text[:10]) if text else None


def anniversary(start: date | str, years: int) -> date:
    """Return the day on which ``years`` full years since ``start`` are complete.

    The anniversary day itself counts. A 29 February start reaches its anniversary on 1 March in a
    common year (never a day early).

    >>> anniversary("2016-03-15", 10)
    datetime.date(2026, 3, 15)
    >>> anniversary("2016-02-29", 10)
    datetime.date(2026, 3, 1)
    """
    d = to_date(start)
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February in a common year
        return date(d.year + years, 3, 1)


def add_months(start: date | str, months: int) -> date:
    """Return ``start`` plus whole months, clamped to the month's last day.

    >>> add_months("2026-12-31", 6)
    datetime.date(2027, 6, 30)
    """
    d = to_date(start)
    m = d.month - 1 + months
    year, month = d.year + m // 12, m % 12 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def completed_years(start: pd.Series, on: date) -> pd.Series:
    """Return the full years of service from each ``start`` date to ``on`` (NaN where start is missing).

    Consistent with :func:`anniversary`: the anniversary day counts and 29 February turns over on 1 March.
    """
    s = pd.to_datetime(start, format="ISO8601", errors="coerce")
    years = on.year - s.dt.year
    before = (s.dt.month > on.month) | ((s.dt.month == on.month) & (s.dt.day > on.day))
    return (years - before.astype("Int64")).astype("Float64").astype(float)


def completed_years_of(start: date, on: date) -> int:
    """Return the full years of service from ``start`` to ``on``: :func:`completed_years` for one date.

    >>> completed_years_of(date(2016, 3, 15), date(2026, 3, 14)), completed_years_of(date(2016, 2, 29), date(2026, 2, 28))
    (9, 9)
    """
    return on.year - start.year - int((start.month, start.day) > (on.month, on.day))
