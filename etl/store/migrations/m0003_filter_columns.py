"""Schema 3: obstacle and condition rows carry their engagement's filter columns, and new tables arrive.

Why (release a8cbdaa, issue 4): the obstacles page filtered and grouped millions of label rows
through a join to ``engagements``; copying the engagement's filter columns onto each label row made
it about 3x faster. The same release added public incident feeds (``incidents``,
``incident_codes``), P-code gazetteers and boundary files (``pcodes``, ``pcode_lengths``,
``boundary_layers``), counterpart merge/split decisions (``counterpart_decisions``, and
``engagements.counterpart_name``, the name as logged, which decisions re-assign from), mapping
files (``loads.mapping_file``) and an integer ``engagements.request_key``.

Computed as the schema-3 load computes them:

- label rows: ``engagement_date, region, iso3, admin1_pcode, checkpoint_id, activity,
  organisation, outcome`` of the engagement with the same ``engagement_key`` (and ``load_id``);
- ``request_key``: ``(hash(request_id) >> 1)::BIGINT``;
- ``counterpart_name``: the load stored the name as logged, which schema 2 kept only in
  ``counterpart_aliases`` (one row per counterpart and spelling). When a counterpart has a single
  spelling, every one of its engagements was logged with it, so it is filled in; when it has
  several, which row had which spelling is lost and it stays NULL (as the data model says: such
  rows keep their counterpart when a decision re-assigns names);
- ``loads.mapping_file``: NULL (mapping files did not exist);
- the new tables start empty.
"""

from __future__ import annotations

import duckdb

from etl.store.migrations import swap_table

VERSION = 3

ENGAGEMENTS = """
CREATE TABLE engagements_v3 (
    engagement_id VARCHAR NOT NULL,
    source_engagement_id VARCHAR,
    request_id VARCHAR NOT NULL,
    engagement_date DATE NOT NULL,
    counterpart_id VARCHAR NOT NULL,
    checkpoint_id VARCHAR,
    location VARCHAR,
    iso3 VARCHAR NOT NULL,
    admin1_pcode VARCHAR,
    region VARCHAR,
    latitude DOUBLE,
    longitude DOUBLE,
    organisation VARCHAR,
    activity VARCHAR NOT NULL,
    channel VARCHAR,
    intermediary VARCHAR,
    outcome VARCHAR NOT NULL,
    resolution_date DATE,
    days_to_resolution INTEGER,
    follow_up_due DATE,
    people_targeted INTEGER,
    people_reached INTEGER,
    notes VARCHAR,
    row_hash UHUGEINT NOT NULL,
    load_id INTEGER NOT NULL,
    source_row INTEGER NOT NULL,
    engagement_key BIGINT NOT NULL,
    counterpart_name VARCHAR,
    request_key BIGINT NOT NULL
)
"""

LABELS = """
CREATE TABLE {table}_v3 (
    engagement_key BIGINT NOT NULL,
    {label} VARCHAR NOT NULL,
    raw_label VARCHAR NOT NULL,
    load_id INTEGER NOT NULL,
    engagement_date DATE NOT NULL,
    region VARCHAR,
    iso3 VARCHAR NOT NULL,
    admin1_pcode VARCHAR,
    checkpoint_id VARCHAR,
    activity VARCHAR NOT NULL,
    organisation VARCHAR,
    outcome VARCHAR NOT NULL
)
"""

NEW_TABLES = """
CREATE TABLE IF NOT EXISTS counterpart_decisions (
    decision_id INTEGER PRIMARY KEY,
    action VARCHAR NOT NULL,
    iso3 VARCHAR NOT NULL,
    counterpart_id_a VARCHAR NOT NULL,
    name_key_a VARCHAR,
    counterpart_id_b VARCHAR,
    name_key_b VARCHAR,
    split_by VARCHAR,
    alias VARCHAR,
    result_id VARCHAR,
    reason VARCHAR,
    decided_by VARCHAR NOT NULL,
    decided_at TIMESTAMPTZ NOT NULL,
    active BOOLEAN NOT NULL,
    undone_by VARCHAR,
    undone_at TIMESTAMPTZ,
    prior_state JSON
);

CREATE TABLE IF NOT EXISTS incidents (
    incident_id VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    feed VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,
    incident_date DATE NOT NULL,
    date_precision VARCHAR NOT NULL,
    iso3 VARCHAR NOT NULL,
    country VARCHAR,
    admin1_name VARCHAR,
    admin2_name VARCHAR,
    place VARCHAR,
    location_type VARCHAR,
    latitude DOUBLE,
    longitude DOUBLE,
    geo_problem VARCHAR,
    perpetrator_type VARCHAR NOT NULL,
    perpetrator_type_raw VARCHAR,
    perpetrator_name VARCHAR,
    perpetrator_key VARCHAR,
    means_of_attack VARCHAR,
    attack_context VARCHAR,
    category VARCHAR NOT NULL,
    killed INTEGER,
    injured INTEGER,
    kidnapped INTEGER,
    detained INTEGER,
    description VARCHAR,
    means_code VARCHAR,
    context_code VARCHAR,
    location_code VARCHAR,
    codes_decoded BOOLEAN NOT NULL,
    row_hash VARCHAR NOT NULL,
    source_row INTEGER NOT NULL,
    admin1_pcode VARCHAR,
    duplicate_of VARCHAR,
    duplicate_rule VARCHAR,
    load_id INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS incident_codes (
    code_list VARCHAR NOT NULL,
    code VARCHAR NOT NULL,
    label VARCHAR NOT NULL,
    load_id INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS pcodes (
    iso3 VARCHAR NOT NULL,
    admin_level TINYINT NOT NULL,
    pcode VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    parent_pcode VARCHAR,
    valid_from DATE,
    source VARCHAR NOT NULL,
    load_id INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS pcode_lengths (
    iso3 VARCHAR NOT NULL,
    admin_level TINYINT NOT NULL,
    length TINYINT,
    source VARCHAR NOT NULL,
    load_id INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS boundary_layers (
    iso3 VARCHAR NOT NULL,
    level TINYINT NOT NULL,
    load_id INTEGER NOT NULL,
    source VARCHAR NOT NULL,
    fields VARCHAR NOT NULL,
    features INTEGER NOT NULL,
    areas INTEGER NOT NULL,
    matched_pcode INTEGER NOT NULL,
    matched_exact INTEGER NOT NULL,
    matched_normalised INTEGER NOT NULL,
    matched_fuzzy INTEGER NOT NULL,
    unmatched JSON,
    PRIMARY KEY (iso3, level)
);
"""


def apply(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("ALTER TABLE loads ADD COLUMN mapping_file VARCHAR")
    con.execute(ENGAGEMENTS)
    con.execute("""
        INSERT INTO engagements_v3
        SELECT e.*, s.alias, (hash(e.request_id) >> 1)::BIGINT
        FROM engagements e
        LEFT JOIN (SELECT counterpart_id, any_value(alias) AS alias FROM counterpart_aliases
                   GROUP BY counterpart_id HAVING count(*) = 1) s ON s.counterpart_id = e.counterpart_id
    """)
    for table, label in (("engagement_obstacles", "category"), ("engagement_conditions", "condition")):
        con.execute(LABELS.format(table=table, label=label))
        con.execute(f"""
            INSERT INTO {table}_v3
            SELECT x.engagement_key, x.{label}, x.raw_label, x.load_id, e.engagement_date, e.region, e.iso3,
                e.admin1_pcode, e.checkpoint_id, e.activity, e.organisation, e.outcome
            FROM {table} x JOIN engagements e ON e.engagement_key = x.engagement_key AND e.load_id = x.load_id
        """)  # noqa: S608 - constant table names
        swap_table(con, table, f"{table}_v3")
    swap_table(con, "engagements", "engagements_v3")
    con.execute(NEW_TABLES)
