"""What people read instead of the machine's names: column headers and audit actions, declared once.

:func:`column_label` is the header every table of the dashboard shows for a column (``table()`` in
:mod:`dashboard.ui.components` uses it unless a page names a column for its own context) and the header of
the downloaded CSV and Excel files. :func:`action_words` is how the audit page writes an audit action.
A name that is not listed reads as itself with its underscores as spaces and a capital first letter; an
unknown audit action reads as its code (never an error). Pure: no Streamlit, no database.

>>> column_label("iso3"), column_label("share_denied_before"), column_label("people_reached")
('Country code', 'Share denied, previous period', 'People reached')
>>> action_words("profile_view"), action_words("something_new")
('Opened a counterpart profile', 'something_new')
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

COLUMN_LABELS: Mapping[str, str] = {
    # Places and codes
    "iso3": "Country code",
    "pcode": "Area code",
    "admin1_pcode": "Area code",
    "admin1": "Area",
    "admin2": "District",
    "key": "Code",
    "place": "Place",
    # Periods: "before" is the period compared with, "recent" the latest window of a stance change
    "recent": "Engagements, last 90 days",
    "before": "Engagements, before",
    "engagements_before": "Engagements, previous period",
    "share_denied_before": "Share denied, previous period",
    "events_before": "Events, previous period",
    "denials_before": "Denials, previous period",
    "denied_recent": "Denied, last 90 days",
    "denied_before": "Denied, before",
    # Changes of a share are in percentage points (shown "+3.2 pts"); of a count, in per cent
    "change": "Change (points)",
    "change_granted": "Change in share granted (points)",
    "volume_change": "Change in engagements",
    # Figures
    "median_days": "Median days",
    "days_to_resolution": "Days to resolution",
    "people_without_access": "People left without access",
    "kidnapped_or_detained": "Kidnapped or detained",
    "events_targeting_civilians": "Targeting civilians",
    "obstacles_per_engagement": "Obstacles per engagement",
    "share_granted_with_conditions": "Share granted with conditions",
    "share_of_engagements": "Share of all engagements",
    "longest_streak": "Longest run (months)",
    "months_with_obstacle": "Months with it",
    "times_seen": "Times seen",
    # Who and what
    "counterpart_type": "Counterpart type",
    "controller_type": "Controller type",
    "perpetrator_type": "Perpetrator type",
    "event_type": "Event type",
    "checkpoint_kind": "Checkpoint kind",
    "kind": "Kind",
    "what_changed": "What changed, and why",
    # The Data page: loads, rejected rows, names to review
    "load_id": "Load",
    "row_number": "Row",
    "column_name": "Column",
    "reason_code": "Problem code",
    "rows_": "Rows",
    "content_sha256": "SHA-256",
    "rows_duplicate": "Duplicates skipped",
    "log_file": "Log file",
    "loaded_by": "Loaded by",
    "loaded_on": "Loaded on",
    "latest_engagement": "Latest engagement",
    "latest_load": "Latest load",
    "counterpart_id": "Counterpart number",
    "source_id": "Source reference",
    "date_precision": "Date known to",
    "counterpart_id_a": "First counterpart's number",
    "name_a": "First name",
    "engagements_a": "Engagements (first)",
    "counterpart_id_b": "Second counterpart's number",
    "name_b": "Second name",
    "engagements_b": "Engagements (second)",
}
"""Column name -> header. Add a column here (not on a page) when its name does not read well as it is."""

AUDIT_ACTIONS: Mapping[str, str] = {
    "sign_in": "Signed in",
    "sign_in_failed": "Sign-in refused",
    "sign_out": "Signed out",
    "session_expired": "Session expired",
    "profile_view": "Opened a counterpart profile",
    "brief_download": "Downloaded a counterpart brief",
    "export": "Downloaded a table",
    "download": "Fetched a prepared file",
    "upload": "Uploaded a log",
    "load": "Loaded logs into the database",
    "boundaries": "Loaded area boundaries",
    "upgrade": "Upgraded the database",
    "warehouse_init": "Created or checked the shared warehouse",
    "accounts_import": "Moved a laptop's users and audit trail into the warehouse",
    "warehouse_maintain": "Merged and cleaned up the shared warehouse's files",
    "sync": "Synced the office with the warehouse (sent, received)",
    "decision": "Decided on similar counterparts",
    "users_change": "Changed a user account",
    "denied": "Access refused",
}
"""Audit action (:data:`etl.accounts.audit.ACTIONS`) -> what the audit page writes for it."""


def column_label(column: object) -> str:
    """The header people read for ``column``.

    >>> column_label("counterpart_type"), column_label("engagements"), column_label("rows_")
    ('Counterpart type', 'Engagements', 'Rows')
    """
    name = str(column)
    if name in COLUMN_LABELS:
        return COLUMN_LABELS[name]
    return name.replace("_", " ").strip().capitalize()


def human_headers(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its columns renamed by :func:`column_label`: the header row of a downloaded file.

    >>> list(human_headers(pd.DataFrame(columns=["iso3", "share_denied"])).columns)
    ['Country code', 'Share denied']
    """
    return df.rename(columns={c: column_label(c) for c in df.columns})


def action_words(action: object) -> str:
    """An audit action in words; an action this release does not know reads as its code.

    >>> action_words("sign_in_failed"), action_words(None)
    ('Sign-in refused', '–')
    """
    if action is None or (isinstance(action, float) and action != action):
        return "–"
    return AUDIT_ACTIONS.get(str(action), str(action))
