"""The "Alerts" block of Trends and of a counterpart profile (method: ``docs/alerts.md``).

Each alert is a plain table row: level, place, measure, this month against what the place's own history
predicts, and since when. The data comes from :mod:`dashboard.db.alerts` (the user's scoped views; no alert
on fewer than ``k`` engagements where the disclosure rule applies).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard.db import alerts as alerts_db
from dashboard.db.connection import current_version
from dashboard.db.filters import Filters
from dashboard.db.scope import scope_key
from dashboard.session.auth import current_scope
from dashboard.ui import viewer
from dashboard.ui.components import empty_state, table
from etl.accounts.roles import Scope
from etl.analysis.alerts import Alert, frame


@st.cache_data(max_entries=256, ttl=3600, show_spinner=False)
def _alerts(version: tuple[int, int] | None, scope_name: str, _scope: Scope, months: tuple[dt.date, ...],
            regions: tuple[str, ...], countries: tuple[str, ...], areas: tuple[str, ...], counterpart_id: str,
            k: int | None) -> dict[dt.date, list[Alert]]:
    # The modelling takes a fraction of a second: kept per data version and scope (both in the key; the scope
    # object itself is not hashed), like the queries.
    return alerts_db.alerts_as(_scope, months, regions, countries, areas, counterpart_id, k)


def _for(months: list[dt.date], f: Filters | None = None, counterpart_id: str = "") -> dict[dt.date, list[Alert]]:
    scope = current_scope()
    narrow = (f.regions, f.countries, f.areas) if f is not None else ((), (), ())
    return _alerts(current_version(), scope_key(scope), scope, tuple(months), *narrow, counterpart_id,
                   viewer.viewer_k())


HOW = ("Against each place's own history: more denials than its usual month predicts (same calendar month of "
       "earlier years, allowing for chance), or a denial share rising for several months. A place already flagged "
       "in the last three months shows again only if it got worse. \"Reporting change\": fewer engagements or "
       "reporting offices than usual in a country, so lower figures there are not an improvement.")


def alerts_section(f: Filters) -> None:
    """Trends: the alerts of the month the period ends in, within the sidebar's regions, countries and areas."""
    month = alerts_db.month_of(f)
    st.subheader("Alerts", anchor=False)
    k = viewer.viewer_k()
    found = _for([month], f)[month]
    st.caption(f"{month:%B %Y} (the month the period ends in). {HOW}")
    if not found:
        empty_state(f"No alerts for {month:%B %Y}: no area, checkpoint or counterpart in view had more denials than "
                    "its own history predicts, and no country's reporting dropped.")
        return
    table(frame(found, month, k))


def counterpart_alerts(counterpart_id: str, last_seen: dt.date | None) -> None:
    """A profile: this counterpart's alerts in the last months of its history, newest first."""
    if last_seen is None:
        return
    by_month = _for(alerts_db.profile_months(last_seen), counterpart_id=counterpart_id)
    months = alerts_db.PROFILE_MONTHS
    shown = [frame(by_month[m], m, viewer.viewer_k()).assign(Month=f"{m:%b %Y}") for m in sorted(by_month, reverse=True) if by_month[m]]
    if not shown:
        st.caption(f"No alert in the {months} months up to the last engagement: denials stayed within what this "
                   "counterpart's own history predicts.")
        return
    st.markdown("**Alerts**")
    rows = pd.concat(shown, ignore_index=True).drop(columns=["Place", "Kind"])
    table(rows[["Month", *[c for c in rows.columns if c != "Month"]]])
    st.caption(f"The last {months} months up to the last engagement. {HOW}")
