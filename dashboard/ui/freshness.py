"""Data freshness on screen: the warning every filtered page shows when the period runs past a country's newest
log, and the Data page's tables (SQL: :mod:`dashboard.db.freshness_queries`)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard.db import freshness_queries
from dashboard.db.connection import query
from dashboard.db.filters import Filters
from dashboard.session.auth import current_scope
from dashboard.ui import viewer
from dashboard.ui.components import empty_state, table
from dashboard.ui.safe_text import markdown_text
from etl.accounts import roles

# The warning names at most this many countries, the oldest first, then says how many more.
NAMED = 6


def _day(value: object, year_of: dt.date) -> str:
    d = pd.Timestamp(value).date()  # type: ignore[arg-type]
    return f"{d.day} {d:%b}" if d.year == year_of.year else f"{d.day} {d:%b %Y}"


def stale_message(stale: pd.DataFrame, f: Filters, weekly: bool = False, data_page: bool = True) -> str | None:
    """The warning's text for the rows of :func:`freshness_queries.stale_countries` (None when there are none);
    ``weekly`` (hq): their dates are Mondays, said as the week; ``data_page``: whether the user may open the
    Data page (only then is it pointed to).

    Country names come from the reference table, but are shown as text all the same.

    >>> f = Filters(dt.date(2025, 10, 1), dt.date(2025, 10, 31), period="this_month")
    >>> print(stale_message(pd.DataFrame({"country": ["Yemen"], "latest_engagement": [dt.date(2025, 10, 20)]}), f,
    ...                     weekly=True, data_page=False))
    The period runs to 31 Oct 2025, past the newest data of Yemen: latest log in the week of 20 Oct. Their figures for the last days are missing, not low (a log not sent or not loaded yet).
    """
    if stale.empty:
        return None
    when = "latest log in the week of " if weekly else "latest log "
    named = [f"{markdown_text(row.country, 60)}: {when}{_day(row.latest_engagement, f.end)}"
             for row in stale.head(NAMED).itertuples()]
    more = len(stale) - NAMED
    if more > 0:
        named.append(f"and {more} more {'country' if more == 1 else 'countries'}")
    listed = "; ".join(named)
    return (f"The period runs to {f.end.day} {f.end:%b %Y}, past the newest data of {listed}. Their figures for the "
            "last days are missing, not low (a log not sent or not loaded yet)" + (": see Data, Freshness." if data_page
                                                                                    else "."))


def stale_warning(f: Filters) -> None:
    """Warn when the period extends past the newest data of a country in view (every filtered page: shell)."""
    weekly = viewer.viewer_k() is not None  # hq: the week of a country's newest log, not its day
    scope = current_scope()
    message = stale_message(query(*freshness_queries.stale_countries(f, weekly)), f, weekly,
                            data_page=scope.may(roles.LOADS))
    if message:
        st.warning(message, icon=":material/update:")


def freshness_tables() -> None:
    """The Data page's tables: per country, and per log file (the loading office)."""
    countries = query(freshness_queries.BY_COUNTRY)
    if countries.empty:
        empty_state("No engagements you can see: nothing to date.")
        return
    st.caption("The newest engagement each country's logs hold, and the day the newest of those logs was loaded. "
               "A filtered page warns when its period runs past a country's newest engagement.")
    table(countries.drop(columns=["iso3"]), dates=("latest_engagement", "latest_load"))
    st.caption("Per loading office: the logs record no office, so each log file that brought a country's rows "
               "stands for the office that sent it, with who loaded it.")
    table(query(freshness_queries.BY_OFFICE), dates=("latest_engagement", "loaded_on"))
