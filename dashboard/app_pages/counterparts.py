"""Counterparts: patterns by type and region, stances that changed, who controls which checkpoints."""

import streamlit as st

from dashboard import charts, queries
from dashboard.auth import current_scope
from dashboard.components import downloads, empty_state, filters_caption, table
from dashboard.data import query
from dashboard.shell import page_filters
from etl import roles

st.title("Counterpart patterns")
f = page_filters()
if f is None:
    st.stop()
filters_caption(f.describe())

patterns = query(*queries.counterpart_patterns(f))
if patterns.empty:
    empty_state("No engagements match these filters. Widen the period or clear a filter in the sidebar.")
    st.stop()

st.subheader("By type of counterpart and region")
left, right = st.columns([2, 3])
with left:
    by_type = query(*queries.counterpart_types(f))
    st.plotly_chart(charts.share_bars(by_type, "counterpart_type", "share_granted",
                                      "Share granted, by type of counterpart", colour="#0072B2"),
                    width="stretch", config={"displaylogo": False})
with right:
    table(patterns, percent=("share_granted", "share_with_conditions", "change_granted"),
          change_granted="Change in share granted (points)", median_days="Median days")
downloads(patterns, "counterpart patterns")

st.subheader("Stance changed recently")
st.caption("Denial rate in the last 90 days of the period against the 12 months before, for counterparts with at "
           "least 6 engagements in each. Open a profile in Counterpart lookup for the full history.")
changes = query(*queries.stance_changes(f))
if changes.empty:
    empty_state("No counterpart has enough engagements in both windows to compare.")
else:
    if current_scope().may(roles.PROFILES):  # pseudonymised (hq) rows have no profile to open
        changes.insert(0, "profile", "/counterpart?id=" + changes["counterpart_id"])
    st.dataframe(changes.drop(columns=["counterpart_id"]), hide_index=True, width="stretch", column_config={
        "profile": st.column_config.LinkColumn("Profile", display_text="Open"),
        "denied_recent": st.column_config.NumberColumn("Denied, last 90 days", format="percent"),
        "denied_before": st.column_config.NumberColumn("Denied, before", format="percent"),
        "change": st.column_config.NumberColumn("Change", format="percent"),
        "name": st.column_config.TextColumn("Counterpart"),
    })
    downloads(changes, "stance changes")

st.subheader("Who controls which checkpoints")
control = query(*queries.checkpoint_control(f))
if control.empty:
    empty_state("No engagements at checkpoints for these filters.")
else:
    table(control.drop(columns=["checkpoint_id", "controlled_by_id"]), percent=("share_denied",))
    downloads(control, "checkpoint control")
