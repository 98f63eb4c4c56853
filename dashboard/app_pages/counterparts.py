"""Counterparts: patterns by type and region, stances that changed, who controls which checkpoints."""

import streamlit as st

from dashboard.db import queries
from dashboard.db.connection import query
from dashboard.session.auth import current_scope
from dashboard.shell import page_filters
from dashboard.ui import charts, viewer
from dashboard.ui.components import downloads, empty_state, filters_caption, table, too_narrow, withheld_note
from etl.accounts import roles

st.title("Counterpart patterns")
f = page_filters()
if f is None:
    st.stop()
filters_caption(f.describe())

patterns = query(*queries.counterpart_patterns(f))
if patterns.empty:
    empty_state("No engagements match these filters. Widen the period or clear a filter in the sidebar.")
    st.stop()
k = viewer.viewer_k()  # a pseudonymised view (hq): the disclosure rule of dashboard/db/disclosure.py
if k is not None:
    too_narrow(query(*queries.engagement_count(f)).iloc[0]["engagements"], k)
    st.caption(withheld_note(k))

st.subheader("By type of counterpart and region")
left, right = st.columns([2, 3])
with left:
    by_type = query(*queries.counterpart_types(f))
    st.plotly_chart(charts.share_bars(by_type, "counterpart_type", "share_granted",
                                      "Share granted, by type of counterpart", colour="#0072B2"),
                    width="stretch", config={"displaylogo": False})
with right:
    table(patterns, percent=("share_granted", "share_with_conditions"), points=("change_granted",))
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
    table(changes.drop(columns=["counterpart_id"]), percent=("denied_recent", "denied_before"), points=("change",),
          links=("profile",), name="Counterpart", change="Change in share denied (points)")
    downloads(changes, "stance changes")

st.subheader("Who controls which checkpoints")
if k is not None:
    # Which counterpart controls which checkpoint is row-level: a pseudonymised view sees checkpoints by kind
    # and type of controller instead.
    st.caption("By kind of checkpoint and type of controlling counterpart: which counterpart controls which "
               "checkpoint is shown to users granted the region.")
    control = query(*queries.checkpoint_control_by_type(f))
    if control.empty:
        empty_state("No engagements at checkpoints for these filters.")
    else:
        table(control, percent=("share_denied",))
        downloads(control, "checkpoints by type of controller")
else:
    control = query(*queries.checkpoint_control(f))
    if control.empty:
        empty_state("No engagements at checkpoints for these filters.")
    else:
        table(control.drop(columns=["checkpoint_id", "controlled_by_id"]), percent=("share_denied",))
        downloads(control, "checkpoint control")
