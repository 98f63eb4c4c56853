"""Sidebar filters that live in the URL query string, and the SQL WHERE clause they stand for.

Every page calls :func:`sidebar_filters` and passes the returned :class:`Filters` to the query
module. The filters are mirrored in ``st.query_params`` (``?period=90d&region=Asia&country=AFG``)
so that a view can be shared as a link. Values only ever reach SQL as bound parameters.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

import streamlit as st

from dashboard.db import queries
from dashboard.db.connection import query
from dashboard.ui.safe_text import markdown_text

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


def _sync_url(f: Filters) -> None:
    """Mirror the filters in the URL; other parameters (a profile ``id``...) are left alone."""
    wanted = to_query_params(f)
    for key in list(st.query_params.keys()):
        if key in FILTER_KEYS and key not in wanted:
            del st.query_params[key]
    for key, values in wanted.items():
        if st.query_params.get_all(key) != values:
            st.query_params[key] = values if len(values) > 1 else values[0]


def sidebar_filters() -> Filters | None:
    """Draw the filters in the sidebar; return them, or None when there is no data at all.

    Called once per run by the router, so the widgets (and their state) are shared by all pages;
    pages get the result from :func:`current`.
    """
    bounds = query(queries.DATE_BOUNDS)
    if bounds.empty or bounds.iloc[0]["first"] is None or str(bounds.iloc[0]["first"]) == "NaT":
        return None
    first, last = bounds.iloc[0]["first"], bounds.iloc[0]["last"]
    first = first.date() if hasattr(first, "date") else first
    last = last.date() if hasattr(last, "date") else last
    url = {k: st.query_params.get_all(k) for k in st.query_params.keys()}
    current = from_query_params(url, first, last)
    options = query(queries.FILTER_OPTIONS)

    def opts(kind: str) -> dict[str, str]:
        rows = options[options["kind"] == kind]
        return dict(zip(rows["value"], rows["label"], strict=True))

    with st.sidebar:
        st.header("Filters")
        period = st.selectbox("Period", list(PERIODS), index=list(PERIODS).index(current.period),
                              format_func=PERIODS.get, key="f_period")
        start, end = period_bounds(period, last, first)
        if period == "custom":
            picked = st.date_input("Dates", value=(current.start, current.end), min_value=first, max_value=last,
                                   format="DD/MM/YYYY", key="f_dates")
            if isinstance(picked, tuple) and len(picked) == 2:
                start, end = picked
        chosen: dict[str, tuple[str, ...]] = {}
        # (label, Filters field, option kind, field whose choice narrows the options, widget key)
        for label, name, kind, parent, key in (
            ("Region", "regions", "region", None, "f_region"),
            ("Country", "countries", "country", "regions", "f_country"),
            ("Admin area", "areas", "area", "countries", "f_area"),
            ("Activity", "activities", "activity", None, "f_activity"),
            ("Organisation", "organisations", "organisation", None, "f_org"),
        ):
            choices = opts(kind)
            if parent and chosen[parent]:
                narrowed = options[(options["kind"] == kind) & options["parent"].isin(chosen[parent])]["value"]
                choices = {k: v for k, v in choices.items() if k in set(narrowed)}
            chosen[name] = tuple(st.multiselect(label, list(choices), default=[v for v in getattr(current, name)
                                                                                if v in choices],
                                                format_func=choices.get, key=key))
        checkpoint = current.checkpoint
        if checkpoint:
            # The id comes from the page address: a label is markdown, so it is shown escaped and cut.
            if st.button(f"Clear checkpoint {markdown_text(checkpoint, 40)}", key="f_clear_ck"):
                checkpoint = None
    checkpoint = _refuse_out_of_reach(current, options, checkpoint)
    f = Filters(start=start, end=end, period=period, checkpoint=checkpoint, **chosen)
    _sync_url(f)
    st.session_state["filters"] = f
    return f


# URL parameter -> option kind of FILTER_OPTIONS, for the filters whose values name places or organisations.
_KIND = {"region": "region", "country": "country", "area": "area", "activity": "activity", "org": "organisation"}
# At most this many refused values are written to the audit log per run (a URL can hold thousands).
AUDITED_VALUES = 20


def _refuse_out_of_reach(asked: Filters, options: object, checkpoint: str | None) -> str | None:
    """Audit filter values from the page address that the user's scope does not hold (another region's
    country, a checkpoint elsewhere...): they are dropped, like a mistyped value, and the attempt is logged.
    Returns the checkpoint to keep (None when it is out of reach)."""
    from dashboard.session.auth import audit_event

    refused: dict[str, list[str]] = {}
    for key, name in MULTI.items():
        known = set(options[options["kind"] == _KIND[key]]["value"])  # type: ignore[index]
        outside = [v for v in getattr(asked, name) if v not in known]
        if outside:
            refused[key] = [v[:80] for v in outside[:AUDITED_VALUES]]
    if checkpoint and query(queries.CHECKPOINT_IN_REACH, [checkpoint]).empty:
        refused["checkpoint"] = [checkpoint[:80]]
        checkpoint = None
        st.sidebar.warning("The checkpoint in the page address is not one you can see: it was left out.",
                           icon=":material/visibility_off:")
    if refused:
        # The address is rewritten without them right after (``_sync_url``): one entry per attempt.
        audit_event("denied", target="filters", detail={"refused": refused})
    return checkpoint


def current() -> Filters | None:
    """The filters the router drew for this run (None when the database has no engagements)."""
    return st.session_state.get("filters")
