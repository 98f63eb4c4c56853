"""The filters a page is narrowed by: what they hold, how they read from and write to a page address,
and the SQL WHERE clause they stand for. No widgets here (those are in :mod:`dashboard.ui.sidebar`).

The filters live in the page address (``?period=this_month&region=Asia&country=AFG``) so that a view can be
shared as a link; links of older versions (``period=90d``) still open the same view. Values only ever reach SQL
as bound parameters. The period arithmetic (calendar periods, comparisons) is in :mod:`dashboard.db.periods`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from dashboard.db import periods
from dashboard.db.periods import DEFAULT_PERIOD, PERIODS, Grain

# URL key -> Filters field for the multi-valued filters.
MULTI = {"region": "regions", "country": "countries", "area": "areas", "activity": "activities",
         "org": "organisations"}


@dataclass(frozen=True)
class Filters:
    """What the user is looking at. ``start``/``end`` are inclusive dates."""

    start: dt.date
    end: dt.date
    regions: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    activities: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()
    checkpoint: str | None = None
    period: str = DEFAULT_PERIOD
    extra: dict[str, str] = field(default_factory=dict, compare=False)
    names: dict[str, str] = field(default_factory=dict, compare=False)
    """What people call the codes the filters hold (``SSD001`` -> "Upper Nile, South Sudan", ``YEM`` -> "Yemen"): the
    sidebar fills it from the options it offers, :meth:`describe` writes the names."""

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Filters:
        """The same filters over the comparison period: the previous calendar period (the same days of it when
        this one is partial), or the same number of days just before (:func:`dashboard.db.periods.previous`)."""
        start, end = periods.previous(self.start, self.end, self.period)
        return replace(self, start=start, end=end)

    def last_year(self) -> Filters:
        """The same filters over the same period one year earlier (:func:`dashboard.db.periods.last_year`)."""
        start, end = periods.last_year(self.start, self.end, self.period)
        return replace(self, start=start, end=end)

    @property
    def has_last_year(self) -> bool:
        """Whether the same period last year is a second comparison: not for a period of more than a year (it
        would overlap this one), nor for all the data, nor when it is the previous period already (a year, the
        last 12 months: :attr:`previous_is_last_year`)."""
        return (self.period != "all" and self.last_year().end < self.start
                and not self.previous_is_last_year)

    @property
    def previous_is_last_year(self) -> bool:
        """The previous period is the same period last year (a year, this year so far, the last 12 months)."""
        return self.period != "all" and periods.same_as_last_year(self.start, self.end, self.period)

    @property
    def counted_by_month(self) -> bool:
        """Whether ``engagement_months`` (etl/store/rollups.py) holds these filters' engagement and denial counts: a
        period of whole months, filtered on columns it has (not activities or organisations)."""
        return (not self.activities and not self.organisations
                and periods.whole_months(self.start, self.end) is not None)

    @property
    def partial(self) -> bool:
        """A calendar period cut short by the latest data ("this month" up to the 14th)."""
        return periods.is_partial(self.start, self.end, self.period)

    @property
    def grain(self) -> Grain:
        """The series that fits the period: ``week`` for a month or a quarter, ``month`` for longer."""
        return periods.grain(self.start, self.end)

    def describe_period(self) -> str:
        """The period in words: its name, its dates, and whether it is partial.

        >>> Filters(dt.date(2025, 10, 1), dt.date(2025, 10, 14), period="this_month").describe_period()
        'This month, 1–14 Oct 2025 (partial: data up to 14 Oct 2025)'
        """
        text = f"{PERIODS.get(self.period, self.period)}, {periods.describe_span(self.start, self.end)}"
        return text + (f" (partial: data up to {self.end.day} {self.end:%b %Y})" if self.partial else "")

    def describe_comparisons(self) -> str:
        """What the changes are against, for the caption over key figures: each comparison once.

        >>> Filters(dt.date(2025, 11, 1), dt.date(2026, 10, 31), period="365d").describe_comparisons()
        'compared with the same period last year, 1 Nov 2024 – 31 Oct 2025'
        """
        prev, year = self.previous(), self.last_year()
        if self.period == "all":
            return "all the data: no earlier period to compare with"
        if self.previous_is_last_year:
            same = " (the same days)" if self.partial else ""
            return f"compared with the same period last year, {periods.describe_span(prev.start, prev.end)}{same}"
        if not self.has_last_year:
            return f"compared with {periods.describe_span(prev.start, prev.end)}"
        same = " (the same days of each)" if self.partial else ""
        return (f"compared with {periods.describe_span(prev.start, prev.end)} and the same period last year, "
                f"{periods.describe_span(year.start, year.end)}{same}")

    def where(self, alias: str = "e", dates: bool = True) -> tuple[str, list[object]]:
        """SQL condition on an engagements alias, with its parameters in order."""
        clauses: list[str] = []
        params: list[object] = []
        if dates:
            clauses.append(f"{alias}.engagement_date BETWEEN ? AND ?")
            params += [self.start, self.end]
        for column, values in (("region", self.regions), ("iso3", self.countries), ("admin1_pcode", self.areas),
                               ("activity", self.activities), ("organisation", self.organisations)):
            if values:
                clauses.append(f"list_contains(?::VARCHAR[], {alias}.{column})")
                params.append(list(values))
        if self.checkpoint:
            clauses.append(f"{alias}.checkpoint_id = ?")
            params.append(self.checkpoint)
        return (" AND ".join(clauses) or "TRUE"), params

    def describe(self, dates: bool = True) -> str:
        """One line saying what is shown, for captions and exports (``dates=False``: the filters only): places
        by their names (:attr:`names`), a code only when no name is known.

        >>> Filters(dt.date(2025, 1, 1), dt.date(2025, 1, 31), areas=("SS01",), checkpoint="CP-9",
        ...         names={"SS01": "Upper Nile, South Sudan", "CP-9": "Renk bridge"}).describe()
        '1–31 Jan 2025; areas: Upper Nile, South Sudan; checkpoint Renk bridge'
        """
        parts = [periods.describe_span(self.start, self.end)] if dates else []
        for label, values in (("regions", self.regions), ("countries", self.countries), ("areas", self.areas),
                              ("activities", self.activities), ("organisations", self.organisations)):
            if values:
                parts.append(f"{label}: {', '.join(self.names.get(v, v) for v in values)}")
        if self.checkpoint:
            parts.append(f"checkpoint {self.names.get(self.checkpoint, self.checkpoint)}")
        return "; ".join(parts)


def _parse_date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def period_bounds(period: str, last: dt.date, first: dt.date) -> tuple[dt.date, dt.date]:
    """Start and end of a named period, anchored on the latest data (not on today): :func:`periods.bounds`."""
    return periods.bounds(period, last, first)


def from_query_params(params: dict[str, list[str]], first: dt.date, last: dt.date) -> Filters:
    """Filters from URL parameters; unknown or malformed values fall back to defaults.

    >>> old = from_query_params({"period": ["90d"]}, dt.date(2023, 1, 1), dt.date(2025, 10, 14))
    >>> old.period, old.start, old.end
    ('90d', datetime.date(2025, 7, 17), datetime.date(2025, 10, 14))
    """
    period = (params.get("period") or [DEFAULT_PERIOD])[0]
    if period not in PERIODS:
        period = DEFAULT_PERIOD
    start, end = period_bounds(period, last, first)
    if period == "custom":
        start = _parse_date((params.get("from") or [None])[0]) or start
        end = _parse_date((params.get("to") or [None])[0]) or end
        if start > end:
            start, end = end, start
        # A shared link may predate a reload of the data: keep the dates inside what exists.
        start, end = min(max(start, first), last), max(min(end, last), first)
    values = {name: tuple(v for v in params.get(key, []) if v) for key, name in MULTI.items()}
    checkpoint = (params.get("checkpoint") or [None])[0] or None
    return Filters(start=start, end=end, period=period, checkpoint=checkpoint, **values)


def to_query_params(f: Filters) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"period": [f.period]}
    if f.period == "custom":
        out["from"], out["to"] = [f.start.isoformat()], [f.end.isoformat()]
    for key, name in MULTI.items():
        values = getattr(f, name)
        if values:
            out[key] = list(values)
    if f.checkpoint:
        out["checkpoint"] = [f.checkpoint]
    return out


FILTER_KEYS = ("period", "from", "to", *MULTI, "checkpoint")
