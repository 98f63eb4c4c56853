"""Schema 5: conflict events (ACLED) and monthly conflict-event counts (HDX HAPI) beside the incidents.

Why (issue 12): coordinators read negotiations against the conflict around them. Two public
records are loaded as context, never as negotiation data:

- ``conflict_events``: one row per ACLED event (``event_id_cnty``), with its actors as published
  and their name keys (``actor1_key``, ``actor2_key``, made like ``incidents.perpetrator_key``) so
  that a counterpart profile finds the events naming it; placed on admin-1 areas like incidents;
- ``conflict_event_counts``: HDX HAPI's conflict-event rows, aggregates per admin area, event type
  (``civilian_targeting``, ``demonstration``, ``political_violence``) and month: a monthly
  context series for Trends and the map.

``incidents`` gains ``dataset``: which of a publisher's dataset families the incident comes from
(Insecurity Insight publishes aid workers, health care, education, food security and protection
files in one Security in Numbers schema; AWSD is aid workers only). Existing rows came from the
aid-worker files (AWSD and Insecurity Insight's aid-worker KIKA workbook), so they get
``'aid_workers'``.
"""

from __future__ import annotations

import duckdb

VERSION = 5

CONFLICT_EVENTS = """
CREATE TABLE IF NOT EXISTS conflict_events (
    event_id VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,
    event_date DATE NOT NULL,
    date_precision VARCHAR NOT NULL,
    disorder_type VARCHAR,
    event_type VARCHAR NOT NULL,
    sub_event_type VARCHAR,
    actor1 VARCHAR,
    actor1_key VARCHAR,
    assoc_actor_1 VARCHAR,
    inter1 VARCHAR,
    actor2 VARCHAR,
    actor2_key VARCHAR,
    assoc_actor_2 VARCHAR,
    inter2 VARCHAR,
    interaction VARCHAR,
    civilian_targeting BOOLEAN,
    iso3 VARCHAR NOT NULL,
    country VARCHAR,
    admin1_name VARCHAR,
    admin2_name VARCHAR,
    admin3_name VARCHAR,
    location VARCHAR,
    latitude DOUBLE,
    longitude DOUBLE,
    geo_precision TINYINT,
    geo_problem VARCHAR,
    admin1_pcode VARCHAR,
    source_name VARCHAR,
    notes VARCHAR,
    fatalities INTEGER,
    row_hash VARCHAR NOT NULL,
    source_row INTEGER NOT NULL,
    load_id INTEGER NOT NULL
)
"""

CONFLICT_EVENT_COUNTS = """
CREATE TABLE IF NOT EXISTS conflict_event_counts (
    source VARCHAR NOT NULL,
    iso3 VARCHAR NOT NULL,
    admin_level TINYINT NOT NULL,
    admin1_pcode VARCHAR,
    admin1_name VARCHAR,
    admin2_pcode VARCHAR,
    admin2_name VARCHAR,
    event_type VARCHAR NOT NULL,
    month DATE NOT NULL,
    period_end DATE,
    events INTEGER,
    fatalities INTEGER,
    row_hash VARCHAR NOT NULL,
    source_row INTEGER NOT NULL,
    load_id INTEGER NOT NULL
)
"""


def apply(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(CONFLICT_EVENTS)
    con.execute(CONFLICT_EVENT_COUNTS)
    con.execute("ALTER TABLE incidents ADD COLUMN IF NOT EXISTS dataset VARCHAR")
    con.execute("UPDATE incidents SET dataset = 'aid_workers' WHERE dataset IS NULL")
