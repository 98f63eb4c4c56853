"""The sidebar filters: drawn once per run by the router, mirrored in the page address.

Every page gets what they hold from :func:`current` and passes the :class:`~dashboard.db.filters.Filters`
to the query module. Values from the address that the user's scope does not hold are dropped and the
attempt is audited.
"""

from __future__ import annotations

import streamlit as st

from dashboard.db import queries
from dashboard.db.connection import query
from dashboard.db.filters import FILTER_KEYS, MULTI, PERIODS, Filters, from_query_params, period_bounds, to_query_params
from dashboard.session.auth import audit_event
from dashboard.ui.safe_text import markdown_text


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
            # A calendar period may start before the first data (this month, data since the 5th): kept inside.
            shown_start = min(max(current.start, first), last)
            shown = (shown_start, max(min(current.end, last), shown_start))
            picked = st.date_input("Dates", value=shown, min_value=first, max_value=last,
                                   format="DD/MM/YYYY", key="f_dates")
            if isinstance(picked, tuple) and len(picked) == 2:
                start, end = picked
        else:  # named periods are anchored on the newest data the user can see, not on today
            st.caption(Filters(start=start, end=end, period=period).describe_period())
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
            # The id comes from the page address: a label is markdown, so it is shown escaped and cut. Its name
            # when the user can see it (the query runs on the scoped views), else the id as typed.
            known = query(queries.CHECKPOINT_IN_REACH, [checkpoint])
            shown = checkpoint if known.empty else str(known.iloc[0]["name"])
            if st.button(f"Clear checkpoint {markdown_text(shown, 40)}", key="f_clear_ck"):
                checkpoint = None
    checkpoint = _refuse_out_of_reach(current, options, checkpoint)
    # Captions name places, not their codes (Filters.describe): the labels the sidebar offers.
    names = dict(zip(options["value"], options["label"], strict=True))
    if checkpoint:
        names[checkpoint] = str(query(queries.CHECKPOINT_IN_REACH, [checkpoint]).iloc[0]["name"])
    f = Filters(start=start, end=end, period=period, checkpoint=checkpoint, names=names, **chosen)
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
