"""Calendar arithmetic for the periods people use: this/last week, month, quarter and year, the rolling ones
kept for old links, and the two comparisons (the previous period, the same period a year earlier).

Pure date arithmetic, no database and no widgets. Named periods are anchored on the **latest data date in
view** (the newest engagement the user can see), not on today: on a Monday, "this month" is the calendar
month of the newest data, from its first day up to that date, and it is *partial* when that date is not the
month's last day. A partial period is compared with the same days of the previous period (1-14 Oct with 1-14
Sep; the first 45 days of a quarter with the first 45 days of the quarter before, day of month for day of
month) and of the same period a year earlier, never with a whole one; the captions say so
(:func:`describe_span`).

Weeks start on Monday (ISO 8601).

>>> bounds("this_month", dt.date(2025, 10, 14), dt.date(2020, 1, 1))
(datetime.date(2025, 10, 1), datetime.date(2025, 10, 14))
>>> previous(dt.date(2025, 10, 1), dt.date(2025, 10, 14), "this_month")
(datetime.date(2025, 9, 1), datetime.date(2025, 9, 14))
>>> last_year(dt.date(2024, 2, 1), dt.date(2024, 2, 29), "last_month")
(datetime.date(2023, 2, 1), datetime.date(2023, 2, 28))
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Literal

Unit = Literal["week", "month", "quarter", "year"]
Grain = Literal["week", "month"]

# URL value -> label, in the order of the period picker. The rolling ones (counted back from the latest data)
# stay for the links people keep in their notes (``period=90d``).
PERIODS: dict[str, str] = {
    "this_week": "This week", "last_week": "Last week",
    "this_month": "This month", "last_month": "Last month",
    "this_quarter": "This quarter", "last_quarter": "Last quarter",
    "this_year": "This year", "last_year": "Last year",
    "30d": "Last 30 days", "90d": "Last 90 days", "365d": "Last 12 months",
    "all": "All time", "custom": "Custom dates",
}
DEFAULT_PERIOD = "365d"

# Named calendar period -> (its unit, how many units back from the one holding the latest data).
CALENDAR: dict[str, tuple[Unit, int]] = {
    "this_week": ("week", 0), "last_week": ("week", 1), "this_month": ("month", 0), "last_month": ("month", 1),
    "this_quarter": ("quarter", 0), "last_quarter": ("quarter", 1), "this_year": ("year", 0),
    "last_year": ("year", 1),
}
ROLLING_DAYS = {"30d": 30, "90d": 90, "365d": 365}
MONTHS_IN: dict[str, int] = {"month": 1, "quarter": 3, "year": 12}
# Up to this many days a series is drawn per week; longer ones per month.
WEEKLY_UP_TO_DAYS = 100


def month_end(d: dt.date) -> dt.date:
    """The last day of ``d``'s month.

    >>> month_end(dt.date(2024, 2, 10)), month_end(dt.date(2023, 2, 10))
    (datetime.date(2024, 2, 29), datetime.date(2023, 2, 28))
    """
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def add_months(d: dt.date, months: int) -> dt.date:
    """``d`` moved by whole months, the day kept or cut to the month's length (31 Mar - 1 month = 28/29 Feb).

    >>> add_months(dt.date(2024, 3, 31), -1), add_months(dt.date(2025, 1, 15), -3)
    (datetime.date(2024, 2, 29), datetime.date(2024, 10, 15))
    """
    index = d.year * 12 + d.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(d.day, calendar.monthrange(year, month + 1)[1]))


def unit_start(d: dt.date, unit: Unit) -> dt.date:
    """The first day of the week (Monday), month, quarter or year holding ``d``.

    >>> unit_start(dt.date(2025, 1, 1), "week"), unit_start(dt.date(2025, 8, 20), "quarter")
    (datetime.date(2024, 12, 30), datetime.date(2025, 7, 1))
    """
    if unit == "week":
        return d - dt.timedelta(days=d.weekday())
    if unit == "month":
        return d.replace(day=1)
    if unit == "quarter":
        return dt.date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)
    return dt.date(d.year, 1, 1)


def unit_end(start: dt.date, unit: Unit) -> dt.date:
    """The last day of the unit starting on ``start``."""
    if unit == "week":
        return start + dt.timedelta(days=6)
    return add_months(start, MONTHS_IN[unit]) - dt.timedelta(days=1)


def bounds(period: str, last: dt.date, first: dt.date) -> tuple[dt.date, dt.date]:
    """Start and end of a named period, anchored on the latest data date ``last`` (not today).

    A calendar period holding ``last`` ends on ``last`` (it is partial); an earlier one is whole. The rolling
    ones count back from ``last`` and do not start before ``first``; ``all`` (and ``custom``, whose dates come
    from the address) is ``first`` to ``last``.
    """
    if period in CALENDAR:
        unit, back = CALENDAR[period]
        start = unit_start(last, unit)
        for _ in range(back):
            start = unit_start(start - dt.timedelta(days=1), unit)
        return start, min(unit_end(start, unit), last)
    days = ROLLING_DAYS.get(period)
    if days is None:
        return first, last
    return max(first, last - dt.timedelta(days=days - 1)), last


def whole_months(start: dt.date, end: dt.date) -> int | None:
    """How many whole calendar months ``start``-``end`` covers, or None when it does not start on a first of
    the month and end on a last.

    >>> whole_months(dt.date(2025, 7, 1), dt.date(2025, 9, 30)), whole_months(dt.date(2025, 7, 2), dt.date(2025, 9, 30))
    (3, None)
    """
    if start.day != 1 or end != month_end(end) or end < start:
        return None
    return (end.year - start.year) * 12 + end.month - start.month + 1


def _shift_end(end: dt.date, months: int) -> dt.date:
    """An end date moved by whole months: a month's last day stays a month's last day (30 Nov -> 31 Aug)."""
    moved = add_months(end, months)
    return month_end(moved) if end == month_end(end) else moved


def _calendar_unit(start: dt.date, period: str) -> Unit | None:
    unit = CALENDAR.get(period, (None, 0))[0]
    return unit if unit is not None and unit_start(start, unit) == start else None


def is_partial(start: dt.date, end: dt.date, period: str) -> bool:
    """A calendar period cut short by the latest data (1-14 Oct of "this month")."""
    unit = _calendar_unit(start, period)
    return unit is not None and end < unit_end(start, unit)


def previous(start: dt.date, end: dt.date, period: str) -> tuple[dt.date, dt.date]:
    """The comparison period: the previous calendar period for a calendar one (the same days of it when this
    one is partial), the same number of whole months before for custom dates of whole months (a quarter picked
    by hand), the 12 months before for the last 12 months, otherwise (the other rolling periods, other custom
    dates) the same number of days just before.

    For a year (and the last 12 months, and 12 whole months picked by hand) the previous period *is* the same
    period last year (:func:`same_as_last_year`).

    >>> previous(dt.date(2024, 3, 16), dt.date(2025, 3, 15), "365d")  # a leap day in the year before
    (datetime.date(2023, 3, 16), datetime.date(2024, 3, 15))
    """
    unit = _calendar_unit(start, period)
    if unit == "week":
        return start - dt.timedelta(days=7), end - dt.timedelta(days=7)
    if period == "365d" and (end - start).days + 1 in (365, 366):  # the 12 months before: the same period
        return last_year(start, end, period)  # last year, said once (a leap day aside); other spans: days before
    months = MONTHS_IN[unit] if unit else whole_months(start, end) if period == "custom" else None
    if months is None:
        days = (end - start).days + 1
        return start - dt.timedelta(days=days), start - dt.timedelta(days=1)
    p_start = add_months(start, -months)
    if unit and end < unit_end(start, unit):  # partial: the same days into the previous one
        return p_start, min(_shift_end(end, -months), start - dt.timedelta(days=1))
    return p_start, start - dt.timedelta(days=1)


def last_year(start: dt.date, end: dt.date, period: str) -> tuple[dt.date, dt.date]:
    """The same period one year earlier: 52 weeks back for a week (Monday stays Monday), otherwise the same
    dates a year back (29 Feb -> 28 Feb; a month's last day stays one, 28 Feb 2025 -> 29 Feb 2024)."""
    if _calendar_unit(start, period) == "week":
        return start - dt.timedelta(days=364), end - dt.timedelta(days=364)
    return add_months(start, -12), _shift_end(end, -12)


def same_as_last_year(start: dt.date, end: dt.date, period: str) -> bool:
    """Whether the previous period and the same period last year are the same dates (a year, this year so far,
    the last 12 months): one comparison, to be said once.

    >>> same_as_last_year(dt.date(2024, 1, 1), dt.date(2024, 12, 31), "last_year")
    True
    >>> same_as_last_year(dt.date(2025, 10, 1), dt.date(2025, 10, 31), "last_month")
    False
    """
    return previous(start, end, period) == last_year(start, end, period)


def grain(start: dt.date, end: dt.date) -> Grain:
    """The series that fits the period: weeks up to about a quarter, months beyond."""
    return "week" if (end - start).days + 1 <= WEEKLY_UP_TO_DAYS else "month"


def describe_span(start: dt.date, end: dt.date) -> str:
    """Dates for a caption, short where the month or year repeats.

    >>> describe_span(dt.date(2025, 10, 1), dt.date(2025, 10, 14))
    '1–14 Oct 2025'
    >>> describe_span(dt.date(2024, 12, 30), dt.date(2025, 1, 5))
    '30 Dec 2024 – 5 Jan 2025'
    """
    if start.year != end.year:
        return f"{start.day} {start:%b %Y} – {end.day} {end:%b %Y}"
    if start.month != end.month:
        return f"{start.day} {start:%b} – {end.day} {end:%b %Y}"
    if start == end:
        return f"{start.day} {start:%b %Y}"
    return f"{start.day}–{end.day} {end:%b %Y}"
