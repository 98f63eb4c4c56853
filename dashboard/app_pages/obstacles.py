"""Obstacles: which access constraints recur, where, for how long, and what conditions come with a yes."""

import streamlit as st

from dashboard.db import queries
from dashboard.db.connection import query
from dashboard.shell import page_filters
from dashboard.ui import charts, viewer
from dashboard.ui.components import downloads, empty_state, filters_caption, table, too_narrow, withheld_note

st.title("Recurring obstacles")
f = page_filters()
if f is None:
    st.stop()
filters_caption(f"{f.describe()} · categories of OCHA's access monitoring framework")
k = viewer.viewer_k()  # a pseudonymised view (hq): the disclosure rule of dashboard/db/disclosure.py
if k is not None:
    too_narrow(query(*queries.engagement_count(f)).iloc[0]["engagements"], k)
    st.caption(withheld_note(k))

monthly = query(*queries.obstacles_monthly(f))
if monthly.empty:
    empty_state("No obstacles were logged for these filters. Widen the period or clear a filter in the sidebar.")
    st.stop()

st.plotly_chart(charts.category_lines(monthly.sort_values(["month", "number"]), "month", "obstacles", "category",
                                      "Obstacles per month, by category"), width="stretch", config={"displaylogo": False})
downloads(monthly, "obstacles per month")

regions = query(*queries.obstacles_by_region(f))
st.plotly_chart(charts.stacked_bars(regions, "region", "per_engagement", "category",
                                    "Obstacles per engagement, by region and category"),
                width="stretch", config={"displaylogo": False})
downloads(regions, "obstacles by region")

st.subheader("Recurring: the same obstacle at the same place, month after month")
st.caption("Ranked by the longest run of consecutive months in which the category was logged there.")
tabs = st.tabs(["At checkpoints", "In admin areas"])
for tab, level in zip(tabs, ("checkpoint", "area"), strict=True):
    with tab:
        # A pseudonymised view lists only places and categories of at least k obstacles.
        recurring = query(*queries.recurring_obstacles(f, level, min_obstacles=k or 0))
        if recurring.empty:
            empty_state("No obstacle was logged at the same place in two different months"
                        + (f" (places and categories of fewer than {k} obstacles are not listed)." if k else "."))
            continue
        table(recurring.drop(columns=["place"]), dates=("streak_from", "streak_to", "first_seen", "last_seen"))
        downloads(recurring, f"recurring obstacles by {level}")

st.subheader("Conditions imposed")
conditions = query(*queries.conditions(f))
if conditions.empty:
    empty_state("No conditions were logged for these filters.")
else:
    left, right = st.columns([2, 3])
    with left:
        st.plotly_chart(charts.share_bars(conditions, "condition", "share_granted",
                                          "How often each condition came with a yes", colour="#009E73"),
                        width="stretch", config={"displaylogo": False})
    with right:
        table(conditions, percent=("share_granted", "share_granted_with_conditions", "share_of_engagements"),
              share_granted="Came with a yes")
    downloads(conditions, "conditions")
