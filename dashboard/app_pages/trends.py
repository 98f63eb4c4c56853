"""Trends: where is access getting worse, and how do regions compare with the previous period?"""

import streamlit as st

from dashboard.db import change_queries, conflict_queries, disclosure, queries
from dashboard.db.connection import query
from dashboard.shell import page_filters
from dashboard.snapshot import download as snapshot_download
from dashboard.ui import change_list, charts, comparisons, narrow, viewer
from dashboard.ui.alerts import alerts_section
from dashboard.ui.components import (
    delta_pct,
    delta_pts,
    delta_style,
    downloads,
    empty_state,
    filters_caption,
    fmt_count,
    table,
    too_narrow,
    withheld_note,
)
from dashboard.ui.formats import fmt_change, fmt_days, fmt_pct

st.title("Access trends")
f = page_filters()
if f is None:
    st.stop()
prev = f.previous()
# The period (and whether it is partial), then what the changes are against: dashboard/db/periods.py.
filters_caption(" · ".join(t for t in (f.describe_period(), f.describe(dates=False), f.describe_comparisons()) if t))

now = query(*queries.headline(f)).iloc[0]
before = query(*queries.headline(prev)).iloc[0]
last_year = query(*queries.headline(f.last_year())).iloc[0] if f.has_last_year else None
if not now["engagements"]:
    empty_state("No engagements match these filters. Widen the period or clear a filter in the sidebar.")
    st.stop()
# A pseudonymised view (hq) shows no figure of fewer than k engagements, and no change against a previous
# period of fewer than k (the change would give the previous count back): dashboard/db/disclosure.py.
k = viewer.viewer_k()
too_narrow(now["engagements"], k)
n_before = before["engagements"]
small_before = disclosure.small(n_before, k)

cols = narrow.metric_row(4)
deltas = {"engagements": delta_pct(now["engagements"], n_before, k),
          "requests": None if small_before else delta_pct(now["requests"], before["requests"], k),
          "granted": delta_pts(now["share_granted"], before["share_granted"], k, n_before),
          "denied": delta_pts(now["share_denied"], before["share_denied"], k, n_before)}
cols[0].metric("Engagements", fmt_count(now["engagements"], k), deltas["engagements"],
               **delta_style(deltas["engagements"]))
cols[1].metric("Access requests", fmt_count(now["requests"], k), deltas["requests"], **delta_style(deltas["requests"]))
cols[2].metric("Share granted", fmt_pct(now["share_granted"]), deltas["granted"], **delta_style(deltas["granted"]),
               help="Granted, granted with conditions or partially granted; the change is in percentage points.")
cols[3].metric("Share denied", fmt_pct(now["share_denied"]), deltas["denied"],
               **delta_style(deltas["denied"], "inverse"), help="The change is in percentage points.")
cols = narrow.metric_row(4)
days_delta = (None if small_before or now["median_days"] is None or before["median_days"] is None
              or before["median_days"] != before["median_days"]
              else fmt_change(now['median_days'] - before['median_days'], 0, " days"))
cols[0].metric("Median days to access", fmt_days(now["median_days"]), days_delta, **delta_style(days_delta, "inverse"),
               help="From request to answer, for requests that got an answer.")
deltas["reached"] = None if small_before else delta_pct(now["people_reached"], before["people_reached"], k)
deltas["without"] = (None if small_before
                     else delta_pct(now["people_without_access"], before["people_without_access"], k))
cols[1].metric("People reached", fmt_count(now["people_reached"], k), deltas["reached"],
               **delta_style(deltas["reached"]))
cols[2].metric("People left without access", fmt_count(now["people_without_access"], k), deltas["without"],
               **delta_style(deltas["without"], "inverse"),
               help="People targeted by requests whose latest answer was not a full yes, minus those reached.")
against = comparisons.caption(f, now, last_year, k)  # None for all the data (its caption says so)
if against:
    st.caption(against)
if k is not None:
    st.caption(withheld_note(k) + (f" The previous period had fewer than {k} engagements: no changes shown."
                                   if small_before else ""))

# The series fits the period (weeks for a month or a quarter, months beyond); the charts beside the public
# record below stay monthly, like the record itself.
series = query(*queries.monthly_outcomes(f, f.grain))
st.plotly_chart(charts.monthly_outcomes(series, grain=f.grain), width="stretch", config={"displaylogo": False})
if f.grain == "week":
    st.caption("Each bar is a week from Monday, named by its Monday; a week cut by the start or end of the period "
               "counts only its days inside the period.")
downloads(series, f"{f.grain}ly outcomes")
monthly = series if f.grain == "month" else query(*queries.monthly_outcomes(f))

st.subheader("Regions side by side")
regions = query(*queries.by_region(f))
left, right = st.columns([3, 2])
with left:
    st.plotly_chart(charts.regions_denial(regions), width="stretch", config={"displaylogo": False})
with right:
    table(regions, percent=("share_granted", "share_denied", "share_denied_before"))
downloads(regions, "regions")

alerts_section(f)  # dashboard/ui/alerts.py: the month's alerts (docs/alerts.md)

st.subheader("What changed most, and why")
changes = query(*change_queries.changes(f, min_engagements=change_list.least_engagements(k)))
change_list.draw(changes, f, (prev.start, prev.end), k)

st.subheader("Security incidents against aid workers")
incidents = query(*queries.incidents_monthly(f))
if incidents.empty:
    empty_state("No security incidents from the public record for these filters. Load an Aid Worker Security "
                "Database or Insecurity Insight export on the Data page (or with `python -m etl load FILE`) to see "
                "them beside the negotiation outcomes.")
else:
    st.caption("Public record (Aid Worker Security Database, Insecurity Insight), an incident reported by two "
               "sources counted once. Period, region, country and area filters apply; activity and organisation "
               "filters do not.")
    st.plotly_chart(charts.incidents_beside_denials(monthly, incidents), width="stretch",
                    config={"displaylogo": False})
    downloads(incidents, "incidents per month")
    perpetrators = query(*queries.incidents_by_perpetrator(f))  # by type: no perpetrator is named
    table(perpetrators)
    downloads(perpetrators, "incidents by perpetrator type")

st.subheader("Conflict events")
events = query(*conflict_queries.events_monthly(f))
if events.empty:
    empty_state("No conflict events from the public record for these filters. Load an ACLED export on the Data page "
                "(or with `python -m etl load FILE`) to see them beside the negotiation outcomes.")
else:
    st.caption("ACLED events (battles, violence against civilians, protests...) by the month they happened. Period, "
               "region, country and area filters apply; activity and organisation filters do not.")
    st.plotly_chart(charts.conflict_beside_denials(monthly, events), width="stretch", config={"displaylogo": False})
    downloads(events, "conflict events per month")
    by_type = query(*conflict_queries.events_by_type(f))
    table(by_type)
    downloads(by_type, "conflict events by type")
counts = query(*conflict_queries.counts_monthly(f))
if counts.empty:
    st.caption("No HDX HAPI conflict-event counts for these filters: load an HDX HAPI conflict-event file to see "
               "the monthly context series.")
else:
    st.caption("HDX HAPI's monthly conflict-event counts per admin area (from ACLED), added up over the areas in "
               "view; the months that overlap the period are shown.")
    st.plotly_chart(charts.conflict_counts_monthly(counts), width="stretch", config={"displaylogo": False})
    downloads(counts, "conflict event counts per month")

snapshot_download.offer(f)  # the monthly access snapshot PDF of a country or region (dashboard/snapshot/)
