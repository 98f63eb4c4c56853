"""How the dashboard writes numbers, shares, durations and dates for people: one place for every page,
the printable brief, map tooltips and legends, and the disclosure rule's counts.

A missing value (None, NaN, NaT, pd.NA) reads "–" everywhere. Decimals: one decimal for figures that are not
whole (tables' shares "25.6%", averages "1.4"), whole per cent in headline figures and sentences ("26%"); a
change of a share is in percentage points with one decimal ("+3.2 pts"), a change of a count in whole per cent
("+12%"), a change of a duration in whole days ("+2 days"); a change that rounds to zero is said without a
colour (:func:`is_no_change`). These functions are pure (no Streamlit,
no database), so the brief and the tests use them as they are. Counts that may be withheld in a
pseudonymised view go through :func:`shown_count`, which writes the number here.

The CLI (``etl/cli``) keeps its own plain ``f"{n:,}"`` formatting: ``etl`` may not import
``dashboard`` (the layering is dashboard -> etl), and terminal lines have no missing-value "–" rule.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from dashboard.db import disclosure

MISSING = "–"
PERCENT_FORMAT = "%.1f%%"
"""Tables' shares, once multiplied by 100 (Streamlit's printf-style number format): ``25.6%``."""
POINTS_FORMAT = "%+.1f pts"
"""Tables' changes of a share, in percentage points once multiplied by 100: ``+3.2 pts``."""
DECIMAL_FORMAT = "%.1f"
"""Tables' other decimal figures: ``1.4``."""
HOVER_SHARE = ".1%"
"""A share in a chart's hover label (plotly's d3 format, of the value 0-1): ``25.6%``, as in the tables."""
HOVER_DECIMAL = ",.1f"
"""Another decimal figure in a chart's hover label (d3 format): ``1.4``, as in the tables."""


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


def fmt_points(points: object) -> str:
    """A change of a share already in percentage points, as tables write it (a zero never reads "-0.0").

    >>> fmt_points(3.21), fmt_points(-0.01), fmt_points(None)
    ('+3.2 pts', '+0.0 pts', '–')
    """
    return MISSING if is_missing(points) else fmt_change(float(points), 1, " pts")  # type: ignore[arg-type]


def fmt_change(value: float, digits: int = 0, unit: str = "") -> str:
    """A signed change for a metric's delta, a rounded zero written "+0" (never "-0").

    >>> fmt_change(2.4, unit=" days"), fmt_change(-0.3, unit=" days"), fmt_change(0.0321 * 100, 1, " pts")
    ('+2 days', '+0 days', '+3.2 pts')
    """
    text = f"{value:+.{digits}f}"
    if float(text) == 0:
        text = "+" + text.lstrip("+-")
    return text + unit


def is_no_change(delta: object) -> bool:
    """Whether a metric's delta text says that nothing changed ("+0 days", "+0.0 pts", "+0%"): such a delta is
    drawn grey with no arrow, neither good nor bad.

    >>> is_no_change("+0 days"), is_no_change("-0.0 pts"), is_no_change("+0%"), is_no_change("+10%"), is_no_change(None)
    (True, True, True, False, False)
    """
    if not isinstance(delta, str):
        return False
    m = re.match(r"\s*[+\-±]?\s*([\d.,]+)", delta)
    return bool(m) and float(m.group(1).replace(",", "") or "nan") == 0


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
