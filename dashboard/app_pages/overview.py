"""Overview: what the warehouse holds (a first page; the full dashboard comes with the pages issue)."""

import streamlit as st

from dashboard import queries
from dashboard.data import query
from etl.errors import AccessDataError

st.title("Access negotiations")

try:
    totals = query(queries.TOTALS).iloc[0]
except FileNotFoundError:
    st.info("No database yet. Build the demo with `python -m etl demo`, or load logs with `python -m etl load FILE`.")
    st.stop()
except AccessDataError as err:
    st.error(str(err))
    st.stop()

cols = st.columns(5)
cols[0].metric("Engagements", f"{int(totals['engagements']):,}")
cols[1].metric("Access requests", f"{int(totals['requests']):,}")
cols[2].metric("Counterparts", f"{int(totals['counterparts']):,}")
cols[3].metric("Checkpoints", f"{int(totals['checkpoints']):,}")
cols[4].metric("Share granted", f"{totals['share_granted']:.0%}" if totals["engagements"] else "–")

by_region = query(queries.OUTCOMES_BY_REGION)
if by_region.empty:
    st.info("No engagements loaded yet.")
else:
    st.subheader("Outcomes by region")
    st.dataframe(by_region, hide_index=True, use_container_width=True)

loads = query(queries.RECENT_LOADS)
st.subheader("Latest loads")
st.dataframe(loads, hide_index=True, use_container_width=True)
