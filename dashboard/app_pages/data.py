"""Data: loads and their provenance, rejected rows and why, uploading a new log, the data dictionary."""

import streamlit as st

from dashboard import queries
from dashboard.components import downloads, empty_state, table
from dashboard.data import current_version, query
from dashboard.uploads import DATA_MODEL_DOC, LOG_FORMAT_DOC, load_upload

st.title("Data")

tab_loads, tab_rejected, tab_upload, tab_review, tab_dictionary = st.tabs(
    ["Loads", "Rejected rows", "Upload a log", "Names to review", "Data dictionary"])

with tab_upload:
    st.write("Load a field log (CSV, XLSX or JSON). It goes through exactly the same checks as "
             "`python -m etl load`: bad rows are set aside with a reason, the rest load, and loading the "
             "same file twice adds nothing.")
    uploaded = st.file_uploader("Log file", type=["csv", "xlsx", "json"], key="upload_file")
    if uploaded is not None and st.button("Load this file", type="primary", key="upload_go"):
        bar = st.progress(0.0, text="Starting")
        results, error = load_upload(uploaded.name, uploaded.getvalue(),
                                     progress=lambda label, fraction: bar.progress(min(fraction, 1.0), text=label))
        bar.empty()
        if error:
            st.error(error)
        for r in results:
            if r.status == "failed":
                st.error(r.message)
            elif r.status == "already_loaded":
                st.info(r.message)
            else:
                st.success(f"{r.path.name}: {r.rows_read:,} rows read, {r.rows_loaded:,} loaded, "
                           f"{r.rows_rejected:,} rejected, {r.rows_duplicate:,} duplicates skipped.")
                if r.reasons:
                    st.warning("Rejected because: " + ", ".join(f"{k} ({v:,})" for k, v in r.reasons.items()) +
                               ". See the Rejected rows tab for each row and how to fix it.")
    with st.expander("Accepted columns and values"):
        st.markdown(LOG_FORMAT_DOC.read_text(encoding="utf-8"))

if current_version() is None:
    with tab_loads:
        empty_state("No database yet: upload a log, or run `python -m etl demo`.")
    st.stop()

with tab_loads:
    loads = query(queries.LOADS)
    if loads.empty:
        empty_state("Nothing loaded yet.")
    else:
        st.caption("One row per file loaded; every engagement carries its load id. Files that could not be read "
                   "at all left no trace.")
        table(loads, content_sha256="SHA-256", rows_duplicate="Duplicates skipped")
        downloads(loads, "loads")

with tab_rejected:
    summary = query(queries.REJECTED_SUMMARY)
    if summary.empty:
        empty_state("No rejected rows.")
    else:
        table(summary, rows_="Rows", problems="Problems")
        load_ids = [None, *query(queries.LOADS)["load_id"].tolist()]
        chosen = st.selectbox("Load", load_ids, format_func=lambda v: "All loads" if v is None else f"Load {v}",
                              key="rejected_load")
        rejected = query(queries.REJECTED, [chosen, chosen, 5000])
        table(rejected, height=420)
        downloads(rejected, "rejected rows", caption="Each row names the file, row and column, what was wrong and "
                                                     "how to fix it. Fix the file and load it again.")

with tab_review:
    review = query(queries.REVIEW_QUEUE)
    if review.empty:
        empty_state("No doubtful counterpart names.")
    else:
        st.caption("Pairs of names similar enough to be the same counterpart, but not obviously so. They are kept "
                   "apart until someone decides.")
        table(review)
        downloads(review, "names to review")

with tab_dictionary:
    st.markdown(DATA_MODEL_DOC.read_text(encoding="utf-8"))
