"""The filters a page is narrowed by: what they hold, how they read from and write to a page address,
and the SQL WHERE clause they stand for. No widgets here (those are in :mod:`dashboard.ui.sidebar`).

The filters live in the page address (``?period=90d&region=Asia&country=AFG``) so that a view can be
shared as a link. Values only ever reach SQL as bound parameters.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

PERIODS = {"30d": "Last 30 days", "90d": "Last 90 days", "365d": "Last 12 months", "all": "All time",
           "custom": "Custom dates"}
DEFAULT_PERIOD = "365d"
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

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Filters:
        """The same filters over the period of the same length just before this one."""
        end = self.start - dt.timedelta(days=1)
        return replace(self, start=end - dt.timedelta(days=self.days - 1), end=end)

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

    def describe(self) -> str:
        """One line saying what is shown, for captions and exports."""
        parts = [f"{self.start:%d %b %Y} to {self.end:%d %b %Y}"]
        for label, values in (("regions", self.regions), ("countries", self.countries), ("areas", self.areas),
                              ("activities", self.activities), ("organisations", self.organisations)):
            if values:
                parts.append(f"{label}: {', '.join(values)}")
        if self.checkpoint:
            parts.append(f"checkpoint {self.checkpoint}")
        return "; ".join(parts)


def _parse_date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def period_bounds(period: str, last: dt.date, first: dt.date) -> tuple[dt.date, dt.date]:
    """Start and end of a named period, counted back from the latest data (not from today)."""
    days = {"30d": 30, "90d": 90, "365d": 365}.get(period)
    if days is None:
        return first, last
    return max(first, last - dt.timedelta(days=days - 1)), last


def from_query_params(params: dict[str, list[str]], first: dt.date, last: dt.date) -> Filters:
    """Filters from URL parameters; unknown or malformed values fall back to defaults."""
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
