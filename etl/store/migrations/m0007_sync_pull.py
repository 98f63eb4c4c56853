"""Schema 7: what an office received from the warehouse (``loads.pulled_from``, ``sync_decisions``) and the conflicts it found (``sync_conflicts``).

Why (issue 14, offices that sync): ``python -m etl sync`` brings back into an office's database file the
rows of its regions that other offices sent to the warehouse, and headquarters' counterpart decisions
(:mod:`etl.sync.pull`). A received load is an ordinary ``loads`` row of the office, with the office's own
``load_id``, and:

- ``loads.pulled_from``: the warehouse it came from (its address, without the password); NULL for a load
  the office made itself. Every load of a database before schema 7 was made there: NULL. Its
  ``content_sha256`` is the warehouse load's, so the same load is never received twice nor sent back;
- ``sync_decisions``: which of the office's counterpart decisions were received, and their number at the
  warehouse (so that a decision undone there is undone here); empty before schema 7;
- ``sync_conflicts``: what the office and the warehouse hold differently and sync did not overwrite (the
  same engagement or request changed in two places; a counterpart decided one way here and another there), the
  office's version and the warehouse's; empty before schema 7.
"""

from __future__ import annotations

import duckdb

VERSION = 7

SYNC_DECISIONS = """
CREATE TABLE IF NOT EXISTS sync_decisions (
    decision_id INTEGER NOT NULL,
    warehouse_decision_id INTEGER NOT NULL,
    warehouse VARCHAR NOT NULL,
    received_at TIMESTAMPTZ NOT NULL
)
"""

SYNC_CONFLICTS = """
CREATE TABLE IF NOT EXISTS sync_conflicts (
    kind VARCHAR NOT NULL,
    subject VARCHAR NOT NULL,
    iso3 VARCHAR,
    region VARCHAR,
    office_version JSON NOT NULL,
    warehouse_version JSON NOT NULL,
    warehouse VARCHAR NOT NULL,
    found_at TIMESTAMPTZ NOT NULL
)
"""


def apply(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("ALTER TABLE loads ADD COLUMN IF NOT EXISTS pulled_from VARCHAR")
    con.execute(SYNC_DECISIONS)
    con.execute(SYNC_CONFLICTS)


apply_lake = apply  # a column and two tables without keys: the warehouse (DuckLake) takes the same statements
