"""Audit log (admins): who signed in, looked at which counterpart, uploaded, loaded, exported or changed what.

Reading, filtering and counting happen in :mod:`etl.accounts.audit` (DuckDB over the append-only file); this
page only draws. Every value is shown as text in tables, never as markdown or HTML: usernames,
targets and filters can carry anything someone typed.
"""

import streamlit as st

from dashboard.session.auth import current_session
from dashboard.ui import narrow
from dashboard.ui.components import dash_empty_text, empty_state
from dashboard.ui.exports import spreadsheet_safe
from dashboard.ui.formats import MISSING
from dashboard.ui.labels import action_words
from etl.accounts import audit, roles
from etl.config import get_settings
from etl.errors import AccessDataError

SHOWN = 5000  # newest events drawn and offered for download; older ones: narrow the filters or use the CLI
TEXT = st.column_config.TextColumn
WHEN = "YYYY-MM-DD HH:mm:ss"

st.title("Audit log")
session = current_session()
if session is None or not session.scope.may(roles.AUDIT_LOG):  # the router hides the page too; fail closed
    st.error("The audit log is for admins.", icon=":material/lock:")
    st.stop()

settings = get_settings()
where = (audit.location(settings) if settings.warehouse is not None
         else f"`{audit.audit_path(settings).name}` beside the database")
st.caption(f"Sign-ins (and failures), sign-outs, profile views, briefs, exports, uploads, loads, counterpart "
           f"decisions, user changes and refused access, as appended to {where} "
           "(never rewritten). Times are UTC. The command line reads the same log: `python -m etl audit`.")

try:
    everyone = audit.people(settings)
    damaged = audit.damaged_lines(settings)
except AccessDataError as err:
    st.error(str(err))
    st.stop()
if damaged:
    st.warning(f"{damaged} line(s) of the file are not readable events (torn by a crash or a full disk, or edited "
               "by hand). They are left in the file; look at it on the server.", icon=":material/warning:")

cols = narrow.field_row(200, 280, 150, 150, 240)  # wraps at tablet width (dashboard/ui/narrow.py)
who = cols[0].selectbox("Who", [None, *everyone], format_func=lambda v: "Everyone" if v is None else str(v),
                        key="audit_who")
actions = cols[1].multiselect("Actions", audit.ACTIONS, key="audit_actions", placeholder="All actions",
                              format_func=action_words)
since = cols[2].date_input("From", value=None, key="audit_since", format="YYYY-MM-DD")
until = cols[3].date_input("To", value=None, key="audit_until", format="YYYY-MM-DD")
target = cols[4].text_input("Target contains", key="audit_target", max_chars=200,
                            placeholder="a counterpart id, a file, a user")
chosen = {"since": since, "until": until, "action": actions, "who": who, "target": target}

try:
    per_action = audit.counts(settings, **chosen)
    events = audit.read(settings, limit=SHOWN, **chosen)
except AccessDataError as err:
    st.error(str(err))
    st.stop()

if events.empty:
    empty_state("No events match these filters." if any(chosen.values()) else
                "No events yet: sign-ins, profile views, exports, uploads and loads will appear here.")
    st.stop()

total = int(per_action["events"].sum())
st.subheader("Events per action")
# Actions in words (dashboard/ui/labels.py); the download keeps the codes that `python -m etl audit` prints.
st.dataframe(per_action.assign(action=per_action["action"].map(action_words)), hide_index=True, width="stretch",
             placeholder=MISSING, column_config={
    "action": TEXT("Action"),
    "events": st.column_config.NumberColumn("Events", format="localized"),
    "people": st.column_config.NumberColumn("People", format="localized"),
    "first": st.column_config.DatetimeColumn("First (UTC)", format=WHEN),
    "last": st.column_config.DatetimeColumn("Last (UTC)", format=WHEN),
})

st.subheader("Events, newest first")
FIT_ROWS = 10  # up to this many events the table is as tall as its rows (Streamlit's "auto"), else scrolls at 520 px
if total > len(events):
    st.caption(f"The newest {len(events):,} of {total:,}: narrow the filters, or use `python -m etl audit --csv FILE`.")
st.dataframe(dash_empty_text(events.assign(action=events["action"].map(action_words))), hide_index=True,
             width="stretch", height=520 if len(events) > FIT_ROWS else "auto", placeholder=MISSING, column_config={
    "ts": st.column_config.DatetimeColumn("When (UTC)", format=WHEN),
    "action": TEXT("Action"),
    "who": TEXT("Who"),
    "role": TEXT("Role"),
    "target": TEXT("Target"),
    "filters": TEXT("Filters"),
    "detail": TEXT("Detail"),
})


def _exported(count: int) -> None:
    """Handing the log out is an export like any other: on record, with the audit page's own filters."""
    audit.record("export", who=session.username, role=session.role, target="audit_log.csv", settings=settings,
                 filters={k: v for k, v in chosen.items() if v}, detail={"what": "audit log", "events": count})


# Built when clicked: a file made with the page would be fetched by the browser at once, and the fetch is
# audited as a download nobody made (dashboard/session/media_owners.py).
st.download_button("CSV", lambda: spreadsheet_safe(events).to_csv(index=False).encode("utf-8"), file_name="audit_log.csv",
                   mime="text/csv", key="audit_csv", icon=":material/download:", on_click=_exported,
                   args=(len(events),))
