"""The "Alerts" block of Trends and of a counterpart profile (method: ``docs/alerts.md``).

Each alert is a plain table row: level, place, measure, this month against what the place's own history
predicts, and since when. The data comes from :mod:`dashboard.db.alerts` (the user's scoped views; no alert
on fewer than ``k`` engagements where the disclosure rule applies).

A row opens its place (:func:`open_links`): an area or checkpoint the map narrowed to it in the alert's month,
a counterpart its profile (where the user may open profiles and names are in clear), a profile's own alert
that month on Trends in its country. A link carries ids only, never a name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from dashboard import registry
from dashboard.db import alerts as alerts_db
from dashboard.db.connection import current_version
from dashboard.db.filters import Filters
from dashboard.db.scope import scope_key
from dashboard.session.auth import current_scope
from dashboard.ui import change_list, change_story, viewer
from dashboard.ui.components import empty_state, table
from etl.accounts.roles import Scope
from etl.analysis.alerts import Alert, add_months, frame

OPEN = "Open"  # the link column


def open_links(alerts: Sequence[Alert], month: dt.date, f: Filters | None, pages: Sequence[str]) -> list[str | None]:
    """Where each alert row opens, for a user who may open ``pages`` (keys of :mod:`dashboard.registry`):

    - an area or checkpoint: the map (``map``) narrowed to it (``f``'s other filters kept), over ``month``;
    - a counterpart on Trends (``f`` given): its profile (``counterpart``, by id);
    - a counterpart's own alert on its profile (``f`` None): Trends of ``month`` in its country;
    - None where the user may not open that page, or for a country (its reporting).

    >>> m = dt.date(2025, 2, 1)
    >>> f = Filters(start=dt.date(2025, 1, 1), end=dt.date(2025, 2, 14), period="custom", countries=("SSD",))
    >>> rows = [Alert("alert", "area", "SS07", "<b>Upper Nile</b>", "SSD", "denials", 6, 1.0, m, 9),
    ...         Alert("warning", "counterpart", "CP-1", "Col. X", "SSD", "denials", 9, 2.0, m, 12),
    ...         Alert("reporting change", "country", "SSD", "South Sudan", "SSD", "engagements logged", 3, 40, m, 3)]
    >>> open_links(rows, m, f, ["map", "counterpart"])
    ['/map?period=custom&from=2025-02-01&to=2025-02-28&country=SSD&area=SS07', '/counterpart?id=CP-1', None]
    >>> open_links(rows, m, f, ["map"])[1] is None, open_links(rows[1:2], m, None, ["trends"])
    (True, ['/?period=custom&from=2025-02-01&to=2025-02-28&country=SSD'])
    """
    last = add_months(month, 1) - dt.timedelta(days=1)
    out: list[str | None] = []
    for a in alerts:
        if a.kind in ("area", "checkpoint") and "map" in pages and f is not None:
            over = replace(f, start=month, end=last, period="custom")
            out.append(change_story.page_address("map", change_story.narrowed(over, a.kind, a.key)))
        elif a.kind == "counterpart" and f is not None and "counterpart" in pages:
            out.append(registry.page("counterpart").url + "?" + urlencode({"id": a.key}))
        elif a.kind == "counterpart" and f is None and "trends" in pages:
            out.append(change_story.page_address("trends", Filters(start=month, end=last, period="custom",
                                                                    countries=(a.iso3,))))
        else:
            out.append(None)
    return out


def _pages(k: int | None) -> list[str]:
    """The pages an alert row may open for the signed-in user (a profile only where names are in clear)."""
    scope = current_scope()
    trends = ["trends"] if scope.may(registry.page("trends").needs) else []
    return [*change_list.openable(scope, k), *trends]


def _with_links(rows: pd.DataFrame, links: list[str | None]) -> pd.DataFrame:
    """The table with the link column first (in sight however wide the table); none when no row has a link."""
    if not any(links):
        return rows
    return pd.concat([pd.DataFrame({OPEN: pd.Series(links, dtype=object)}), rows.reset_index(drop=True)], axis=1)


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
    pages = _pages(k)
    st.caption(f"{month:%B %Y} (the month the period ends in). Open a row to see the place on the map that month"
               + (", or a counterpart's profile" if "counterpart" in pages else "") + f". {HOW}")
    if not found:
        empty_state(f"No alerts for {month:%B %Y}: no area, checkpoint or counterpart in view had more denials than "
                    "its own history predicts, and no country's reporting dropped.")
        return
    table(_with_links(frame(found, month, k), open_links(found, month, f, pages)), links=(OPEN,))


def counterpart_alerts(counterpart_id: str, last_seen: dt.date | None) -> None:
    """A profile: this counterpart's alerts in the last months of its history, newest first."""
    if last_seen is None:
        return
    by_month = _for(alerts_db.profile_months(last_seen), counterpart_id=counterpart_id)
    months = alerts_db.PROFILE_MONTHS
    k = viewer.viewer_k()
    pages = _pages(k)
    shown = [_with_links(frame(by_month[m], m, k), open_links(by_month[m], m, None, pages)).assign(Month=f"{m:%b %Y}")
             for m in sorted(by_month, reverse=True) if by_month[m]]
    if not shown:
        st.caption(f"No alert in the {months} months up to the last engagement: denials stayed within what this "
                   "counterpart's own history predicts.")
        return
    st.markdown("**Alerts**")
    rows = pd.concat(shown, ignore_index=True).drop(columns=["Place", "Kind"])
    first = [c for c in (OPEN, "Month") if c in rows.columns]
    table(rows[[*first, *[c for c in rows.columns if c not in first]]], links=(OPEN,))
    st.caption(f"The last {months} months up to the last engagement; open a month to see it on Trends, in the "
               f"counterpart's country. {HOW}")
