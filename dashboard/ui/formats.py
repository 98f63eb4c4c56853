"""How the dashboard writes numbers, shares, durations and dates for people: one place for every page,
the printable brief, map tooltips and legends, and the disclosure rule's counts.

A missing value (None, NaN, NaT, pd.NA) reads "–" everywhere. These functions are pure (no Streamlit,
no database), so the brief and the tests use them as they are. Counts that may be withheld in a
pseudonymised view go through :func:`shown_count`, which writes the number here.

The CLI (``etl/cli``) keeps its own plain ``f"{n:,}"`` formatting: ``etl`` may not import
``dashboard`` (the layering is dashboard -> etl), and terminal lines have no missing-value "–" rule.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboard.db import disclosure

MISSING = "–"


def is_missing(value: object) -> bool:
    """None, NaN, NaT or pd.NA; never raises (a list or a string is not missing).

    >>> is_missing(float("nan")), is_missing(pd.NaT), is_missing(0), is_missing("")
    (True, True, False, False)
    """
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def fmt_int(value: object) -> str:
    """A whole number with thousands separators.

    >>> fmt_int(1234.0), fmt_int(None)
    ('1,234', '–')
    """
    return MISSING if is_missing(value) else f"{int(value):,}"  # type: ignore[call-overload]


def fmt_number(value: object, digits: int = 1, grouping: bool = True) -> str:
    """A decimal number: ``1,234.5`` (``grouping=False``: ``1234.5``).

    >>> fmt_number(1234.56), fmt_number(0.756, 2, grouping=False), fmt_number(float("nan"))
    ('1,234.6', '0.76', '–')
    """
    if is_missing(value):
        return MISSING
    return f"{float(value):,.{digits}f}" if grouping else f"{float(value):.{digits}f}"  # type: ignore[arg-type]


def fmt_pct(value: object, digits: int = 0) -> str:
    """A share (0-1) as a percentage.

    >>> fmt_pct(0.256), fmt_pct(0.256, 1), fmt_pct(None)
    ('26%', '25.6%', '–')
    """
    return MISSING if is_missing(value) else f"{float(value):.{digits}%}"  # type: ignore[arg-type]


def fmt_days(value: object) -> str:
    """A duration in whole days.

    >>> fmt_days(1.2), fmt_days(4), fmt_days(None)
    ('1 day', '4 days', '–')
    """
    if is_missing(value):
        return MISSING
    v = float(value)  # type: ignore[arg-type]
    return f"{v:.0f} day" + ("" if round(v) == 1 else "s")


def as_date(value: object) -> dt.date | None:
    """A date from a date, a datetime, a pandas Timestamp or an ISO text; None when missing."""
    if is_missing(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    return None if pd.isna(stamp) else stamp.date()


def fmt_date(value: object) -> str:
    """A day as people write it: ``3 Mar 2025``.

    >>> fmt_date(dt.date(2025, 3, 3)), fmt_date("2025-03-14"), fmt_date(None)
    ('3 Mar 2025', '14 Mar 2025', '–')
    """
    d = as_date(value)
    return MISSING if d is None else f"{d.day} {d:%b %Y}"


def fmt_date_as_known(value: dt.date, precision: object) -> str:
    """A date only as precisely as the source knows it (an incident's ``date_precision``).

    >>> [fmt_date_as_known(dt.date(2024, 3, 5), p) for p in ("year", "month", "day", None)]
    ['2024', 'Mar 2024', '05 Mar 2024', '05 Mar 2024']
    """
    return value.strftime({"year": "%Y", "month": "%b %Y"}.get(str(precision), "%d %b %Y"))


def shown_count(v: object, k: int | None) -> str:
    """A count as text for a metric, a label or a tooltip: ``1,234``, ``"< k"``, ``"hidden"`` or ``–``."""
    if isinstance(v, str):
        return v
    if k is not None and disclosure.small(v, k):
        return disclosure.mark(k)
    return fmt_int(v)
