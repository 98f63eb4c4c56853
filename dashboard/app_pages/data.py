"""Data: loads and their provenance, rejected rows and why, uploading a new log, counterpart identities
(review look-alikes, merge / keep apart / split, undo), the data dictionary."""

import functools
import getpass
from collections.abc import Callable

import streamlit as st

from dashboard.db import queries
from dashboard.db.connection import current_version, db_path, query, query_as
from dashboard.session.auth import audit_event, current_scope, current_session
from dashboard.ui.components import EXCEL_MAX_ROWS, downloads, empty_state, table
from dashboard.ui.freshness import freshness_tables
from dashboard.ui.safe_text import markdown_text as md
from dashboard.uploads import DATA_MODEL_DOC, LOG_FORMAT_DOC, load_upload
from etl.config import get_settings
from etl.counterparts import decisions, resolver
from etl.counterparts import queries as counterpart_sql
from etl.errors import AccessDataError

st.title("Data")

tab_loads, tab_fresh, tab_rejected, tab_upload, tab_review, tab_dictionary = st.tabs(
    ["Loads", "Freshness", "Rejected rows", "Upload a log", "Counterpart identities", "Data dictionary"])

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
        audit_event("upload", target=uploaded.name, detail={
            "error": error, "results": [{"status": r.status, "load_id": r.load_id, "rows_loaded": r.rows_loaded,
                                         "rows_rejected": r.rows_rejected} for r in results]})
        # Messages name the uploaded file and values from it: shown as text, never markdown.
        if error:
            st.error(md(error))
        for r in results:
            if r.status == "failed":
                st.error(md(r.message))
            elif r.status == "already_loaded":
                st.info(md(r.message))
            else:
                st.success(f"{md(r.path.name)}: {r.rows_read:,} rows read, {r.rows_loaded:,} loaded, "
                           f"{r.rows_rejected:,} rejected, {r.rows_duplicate:,} duplicates skipped.")
                if r.reasons:
                    st.warning("Rejected because: " + ", ".join(f"{md(k)} ({v:,})" for k, v in r.reasons.items()) +
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
        table(loads)
        downloads(loads, "loads")

with tab_fresh:
    freshness_tables()

with tab_rejected:
    summary = query(queries.REJECTED_SUMMARY)
    if summary.empty:
        empty_state("No rejected rows.")
    else:
        table(summary)
        load_ids = [None, *query(queries.LOADS)["load_id"].tolist()]
        chosen = st.selectbox("Load", load_ids, format_func=lambda v: "All loads" if v is None else f"Load {v}",
                              key="rejected_load")
        rejected = query(queries.REJECTED, [chosen, chosen, get_settings().rejected_rows_shown])
        table(rejected, height=420)
        scope = current_scope()  # the download runs the query on click, on another thread, as this user
        everything = functools.partial(query_as, scope, queries.REJECTED,
                                       [chosen, chosen, queries.REJECTED_DOWNLOAD_ROWS])
        shown = (f"The first {len(rejected):,} problems are shown; the download holds up to "
                 f"{queries.REJECTED_DOWNLOAD_ROWS:,} (`python -m etl status --rejected` lists them all). "
                 if len(rejected) >= get_settings().rejected_rows_shown else "")
        downloads(rejected, "rejected rows", source=everything, excel=int(summary["problems"].sum()) <= EXCEL_MAX_ROWS,
                  caption=shown + "Each row names the file, row and column, what was wrong and how to fix it. "
                                  "Fix the file and load it again.")



def _decided_by() -> str:
    """Who takes a decision: the signed-in user (the router lets nobody else reach this page)."""
    session = current_session()
    return f"{session.username} (dashboard)" if session else f"{getpass.getuser()} (dashboard)"


def _decide(act: Callable[[], resolver.Decision], done: str) -> None:
    """Take a decision through etl.counterparts.decisions (same checks and write path as the CLI), then redraw."""
    try:
        decision = act()
    except AccessDataError as err:
        audit_event("decision", detail={"outcome": f"refused: {err}"})
        st.error(md(str(err)))
        return
    audit_event("decision", target=decision.describe(), detail={"decision_id": decision.decision_id,
                                                               "action": decision.action})
    # The decision published a new database version, so every cached query misses on the rerun.
    st.session_state["identity_done"] = md(f"{done} {decision.describe()}.")  # names from logs: as text
    st.rerun()


def _waiting_elsewhere() -> None:
    """Say how many look-alike pairs wait in regions whose names this user may not see (counts only)."""
    scope = current_scope()
    waiting = query(queries.REVIEW_WAITING)
    hidden = waiting[[not scope.names_in_clear(r) for r in waiting["region"]]] if not waiting.empty else waiting
    if hidden.empty:
        return
    where = ", ".join(f"{r.region} ({int(r.pairs):,})" for r in hidden.itertuples())
    st.info(f"{int(hidden['pairs'].sum()):,} doubtful name pair(s) wait in regions whose names you do not see: "
            f"{md(where)}. Someone granted that region decides them here, or on the server with "
            "`python -m etl counterparts review`; an admin can be granted a region with "
            "`python -m etl users grant NAME REGION`.", icon=":material/visibility_off:")


def _identities() -> None:
    """Review list, merge / keep apart / split forms, and the decisions with undo."""
    st.subheader("Counterpart identities")
    if done := st.session_state.pop("identity_done", None):
        st.success(done)
    if not query(counterpart_sql.HAS_DECISIONS_TABLE).iloc[0, 0]:
        empty_state("This database predates counterpart decisions: load any log once to add them.")
        return
    review = query(queries.REVIEW_QUEUE)
    _waiting_elsewhere()
    if review.empty:
        empty_state("No doubtful counterpart names waiting for a decision in the regions you can see.")
    else:
        st.caption("Pairs of names similar enough to be the same counterpart, but not obviously so. They stay "
                   "apart until someone decides; decisions apply to the rows already loaded and to every later "
                   "load, and survive rebuilding the database from the logs.")
        table(review.drop(columns=["iso3"]), similarity="Similarity")
        downloads(review, "names to review")
        pick = st.selectbox("Pair", range(len(review)), key="identity_pair",
                            format_func=lambda i: f"{review.name_a[i]} / {review.name_b[i]} ({review.country[i]})")
        pair = review.iloc[pick]
        same = st.selectbox("Decision", ["The same counterpart: merge them", "Different counterparts: keep apart"],
                            key="identity_action").endswith("merge them")
        ids = [pair.counterpart_id_a, pair.counterpart_id_b]
        keep = None
        if same:
            names = {pair.counterpart_id_a: (pair.name_a, pair.engagements_a),
                     pair.counterpart_id_b: (pair.name_b, pair.engagements_b)}
            keep = st.selectbox("Keep the id of", ids, key="identity_keep",
                                index=0 if pair.engagements_a >= pair.engagements_b else 1,
                                format_func=lambda i: f"{names[i][0]} ({i}, {names[i][1]:,} engagements)")
        reason = st.text_input("Reason (kept with the decision)", key="identity_reason")
        if st.button("Record decision", type="primary", key="identity_go"):
            if same:
                _decide(lambda: decisions.merge(db_path(), ids[0], ids[1], keep=keep, reason=reason,
                                                decided_by=_decided_by()), "Recorded")
            else:
                _decide(lambda: decisions.keep_apart(db_path(), ids[0], ids[1], reason=reason,
                                                     decided_by=_decided_by()), "Recorded")

    st.markdown("**Split a spelling off a counterpart** (two people logged under one name)")
    search = st.text_input("Find a counterpart: name, spelling or id", key="split_search")
    if search.strip():
        found = query(counterpart_sql.LIST, counterpart_sql.list_params(None, search, 50))
        if found.empty:
            empty_state("No counterpart matches.")
        else:
            row = found.iloc[st.selectbox(
                "Counterpart", range(len(found)), key="split_counterpart",
                format_func=lambda i: f"{found.name[i]} ({found.iso3[i]}, {found.counterpart_id[i]}, "
                                      f"{found.engagements[i]:,} engagements)")]
            spellings = query(counterpart_sql.SPELLINGS, [row.counterpart_id])
            table(spellings, times_seen="Rows")
            if len(spellings) < 2:
                st.info("It has a single spelling: nothing to split.")
            else:
                alias = st.selectbox("Spelling to take out", spellings.alias.tolist(), key="split_alias")
                split_reason = st.text_input("Reason (kept with the decision)", key="split_reason")
                if st.button("Split it off", key="split_go"):
                    _decide(lambda: decisions.split(db_path(), row.counterpart_id, alias, reason=split_reason,
                                                    decided_by=_decided_by()), "Recorded")

    history = query(counterpart_sql.DECISIONS)
    if not history.empty:
        kept = "kept in the warehouse" if get_settings().warehouse else "mirrored in a file beside the database"
        st.markdown(f"**Decisions taken** ({kept})")
        table(history)
        active = history.loc[history.active, "decision_id"].tolist()
        if active:
            number = st.selectbox("Decision to undo", active, key="undo_pick")
            if st.button("Undo it", key="undo_go"):
                _decide(lambda: decisions.undo(db_path(), int(number), decided_by=_decided_by()), "Undid")


with tab_review:
    _identities()

with tab_dictionary:
    st.markdown(DATA_MODEL_DOC.read_text(encoding="utf-8"))
