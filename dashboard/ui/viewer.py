"""Who is looking, and which disclosure rule (:mod:`dashboard.db.disclosure`) applies to what they see.

The charts, maps, tables and pages ask :func:`viewer_k` for the ``k`` of the signed-in user and the
page's filters; the data layer itself never reads the Streamlit session.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from dashboard.db.disclosure import k_for
from dashboard.session.auth import current_session
from dashboard.ui import sidebar

# Session-state key: the regions the page's data comes from when that is not the sidebar's choice (a counterpart
# profile is one counterpart's, in one region, whatever the sidebar says). Reset on every run by the router.
PAGE_REGIONS = "disclosure_page_regions"


def viewer_k() -> int | None:
    """:func:`k_for` the signed-in user and the page's filters (or the page's own regions, see PAGE_REGIONS).

    None when nobody is signed in: then no data can be read either (``dashboard.db.connection.query`` refuses),
    and the chart and map builders are being used as plain functions (tests).
    """
    try:
        session = current_session()
        f = sidebar.current()
    except Exception:  # noqa: BLE001 - outside a script run (the warm-up thread): nobody to show anything to
        return None
    if session is None:
        return None
    regions = st.session_state.get(PAGE_REGIONS)
    if regions and f is not None:
        f = replace(f, regions=tuple(regions))
    return k_for(session.scope, f)
