"""What every page shares: page config, the data-version check, the sidebar filters, error rendering."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import streamlit as st

from dashboard.db import filters
from dashboard.db.connection import current_version, data_label, db_path, query
from dashboard.db.queries import STORED_SCHEMA_VERSION
from dashboard.ui import freshness, narrow, sidebar, viewer
from dashboard.ui.static_assets import ensure_leaflet
from etl.errors import AccessDataError, DatabaseError
from etl.store.schema import SCHEMA_VERSION, version_problem

if TYPE_CHECKING:
    from dashboard.registry import Page


def frame() -> None:
    """Set up the page and draw the sidebar filters (stored for the page in session state)."""
    ensure_leaflet()  # local Leaflet files in place before anyone opens the map (offline)
    narrow.sidebar_closed_when_narrow()  # a tablet gets the page's full width (dashboard/ui/narrow.py)
    st.session_state["filters"] = None
    st.session_state[viewer.PAGE_REGIONS] = None  # a page whose data is not the sidebar's sets it (profiles)
    try:
        version = current_version()
    except DatabaseError as err:  # the warehouse's catalog cannot be reached, or has no salt yet: say what to do
        st.error(str(err), icon=":material/database:")
        st.stop()
    if version is None:
        return
    problem = schema_problem()
    if problem:
        st.error(problem, icon=":material/database:")
        st.stop()
    try:
        sidebar.sidebar_filters()
    except AccessDataError as err:
        st.sidebar.error(str(err))
    with st.sidebar:
        st.caption(f"Data: {data_label()} · filters are kept in the page address, so a link shares the view.")


def nothing_to_show() -> None:
    """For a signed-in user whose role and regions open no page (e.g. a coordinator with no region)."""
    st.title("Access negotiations")
    st.info("Your account has no page to show: your role needs a region granted to it. Ask an admin "
            "(`python -m etl users grant NAME REGION`).", icon=":material/lock:")


def page_outside_role(pages: Iterable[Page], allowed: Iterable[Page]) -> str | None:
    """The URL path of the page asked for, when it is one of the app's pages this user's role does not open
    (Streamlit then shows the default page; the attempt is worth an audit line)."""
    try:
        path = urlsplit(st.context.url or "").path.strip("/").rsplit("/", 1)[-1]
    except Exception:  # noqa: BLE001 - no request context (AppTest): nothing asked by address
        return None
    known = {p.url_path for p in pages if p.url_path}
    return path if path in known and path not in {a.url_path for a in allowed} else None


def schema_problem() -> str | None:
    """Why the database cannot be shown (built by another version of the software), or None."""
    try:
        stored = query(STORED_SCHEMA_VERSION).iloc[0]["version"]
    except DatabaseError as err:  # cannot be opened at all: no key, wrong key, not encrypted yet...
        return str(err)
    except Exception:  # noqa: BLE001 - a file without schema_info is not a database of this app
        stored = None
    if stored is None:
        return (f"The database `{db_path()}` was not built by this software (it records no schema version; this "
                f"version needs {SCHEMA_VERSION}). Move the file away and build it from the logs: "
                "`python -m etl load FOLDER` (or `python -m etl demo` for the demo).")
    problem = version_problem(str(stored), db_path())
    # An older file: `python -m etl upgrade --db ...` (`python3 tasks.py run` runs it by itself).
    return str(problem) if problem else None


def page_filters(stale_warning: bool = True) -> filters.Filters | None:
    """The filters for this page; shows the right empty state and returns None when there is no data.

    :param stale_warning: warn when the period runs past a country's newest log (off for a page that does
        not follow the period: the counterpart profile shows a whole history; dashboard/registry.py ``filters``).
    """
    if current_version() is None:
        st.info("No database yet. Build the demo with `python -m etl demo`, or load logs with "
                "`python -m etl load FILE` (or from the Data page).", icon=":material/database:")
        return None
    f = sidebar.current()
    if f is None:
        st.info("The database has no engagements yet. Load a log from the Data page.", icon=":material/database:")
    elif stale_warning:
        freshness.stale_warning(f)  # the period runs past a country's newest log: said on every filtered page
    return f
