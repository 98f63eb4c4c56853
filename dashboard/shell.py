"""What every page shares: page config, the data-version check, the sidebar filters, error rendering."""

from __future__ import annotations

import streamlit as st

from dashboard import filters
from dashboard.data import current_version, db_path
from dashboard.static_assets import ensure_leaflet
from etl.errors import AccessDataError


def frame() -> None:
    """Set up the page and draw the sidebar filters (stored for the page in session state)."""
    ensure_leaflet()  # local Leaflet files in place before anyone opens the map (offline)
    st.session_state["filters"] = None
    if current_version() is None:
        return
    try:
        filters.sidebar_filters()
    except AccessDataError as err:
        st.sidebar.error(str(err))
    with st.sidebar:
        st.caption(f"Data: `{db_path().name}` · filters are kept in the page address, so a link shares the view.")


def page_filters() -> filters.Filters | None:
    """The filters for this page; shows the right empty state and returns None when there is no data."""
    if current_version() is None:
        st.info("No database yet. Build the demo with `python -m etl demo`, or load logs with "
                "`python -m etl load FILE` (or from the Data page).", icon=":material/database:")
        return None
    f = filters.current()
    if f is None:
        st.info("The database has no engagements yet. Load a log from the Data page.", icon=":material/database:")
    return f
