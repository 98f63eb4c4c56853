"""Schema 2: an integer ``engagement_key`` joins obstacles and conditions to their engagement.

Why: joining millions of obstacle and condition rows on the text ``engagement_id`` was the
slowest part of the dashboard's pages (release 16af7e6). Schema 2 gives every engagement a
BIGINT ``engagement_key`` (its ``load_id`` in the high 32 bits, its row in the load in the low
ones) and ``engagement_obstacles`` / ``engagement_conditions`` carry that key instead of
``engagement_id``.

How the key is computed here: the schema-2 load used the row's position in the staged file
(``stage_raw.rowid``), which a schema-1 database does not keep. The rows of one load are numbered
0, 1, 2... in file order (``source_row``, then ``engagement_id`` for rows of different sheets that
share a row number), which keeps what the key promises: unique, the load id in the high 32 bits,
file order in the low ones; later loads use higher load ids, so their keys never collide. The
label rows find their engagement through ``engagement_id`` and ``load_id``, as schema 1 joined them.

The early schema-1 files (before 22c3a65) stored ``row_hash`` as MD5 hex text and declared primary
keys on ``engagements`` and ``access_requests``: the hash becomes the 128-bit number later loads
compute (``md5_number``: the digest's bytes read little-endian) and both tables get schema 2's
definition.
"""

from __future__ import annotations

import duckdb

from etl.store.migrations import swap_table

VERSION = 2

ACCESS_REQUESTS = """
CREATE TABLE access_requests_v2 (
    request_id VARCHAR NOT NULL,
    source_request_id VARCHAR,
    organisation VARCHAR,
    activity VARCHAR NOT NULL,
    requested_date DATE,
    location VARCHAR,
    iso3 VARCHAR NOT NULL,
    admin1_pcode VARCHAR,
    people_targeted INTEGER,
    priority VARCHAR,
    load_id INTEGER NOT NULL
)
"""

ENGAGEMENTS = """
CREATE TABLE engagements_v2 (
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
    engagement_key BIGINT NOT NULL
)
"""

# Schema 1's engagement columns, in order (row_hash is converted when it is text).
ENGAGEMENT_COLUMNS = (
    "engagement_id, source_engagement_id, request_id, engagement_date, counterpart_id, checkpoint_id, location, "
    "iso3, admin1_pcode, region, latitude, longitude, organisation, activity, channel, intermediary, outcome, "
    "resolution_date, days_to_resolution, follow_up_due, people_targeted, people_reached, notes")

# MD5 hex text -> the same digest as md5_number() gives: its 16 bytes read little-endian.
_LE = "array_to_string(list_reverse([substr(row_hash, 2 * i + 1, 2) FOR i IN range(16)]), '')"
HEX_TO_NUMBER = (f"((('0x' || substr({_LE}, 1, 16))::UBIGINT::UHUGEINT << 64) "
                 f"| ('0x' || substr({_LE}, 17, 16))::UBIGINT::UHUGEINT)")

LABELS = """
CREATE TABLE {table}_v2 (
    engagement_key BIGINT NOT NULL,
    {label} VARCHAR NOT NULL,
    raw_label VARCHAR NOT NULL,
    load_id INTEGER NOT NULL
)
"""


def _column_type(con: duckdb.DuckDBPyConnection, table: str, column: str) -> str | None:
    row = con.execute("SELECT data_type FROM information_schema.columns WHERE table_schema = 'main' "
                      "AND table_name = ? AND column_name = ?", [table, column]).fetchone()
    return str(row[0]) if row else None


def apply(con: duckdb.DuckDBPyConnection) -> None:
    row_hash = HEX_TO_NUMBER if _column_type(con, "engagements", "row_hash") == "VARCHAR" else "row_hash"
    con.execute(ACCESS_REQUESTS)
    con.execute("INSERT INTO access_requests_v2 SELECT * FROM access_requests")
    swap_table(con, "access_requests", "access_requests_v2")
    con.execute(ENGAGEMENTS)
    con.execute(f"""
        INSERT INTO engagements_v2
        SELECT {ENGAGEMENT_COLUMNS}, {row_hash}, load_id, source_row,
            (load_id::BIGINT << 32) + row_number() OVER (PARTITION BY load_id ORDER BY source_row, engagement_id) - 1
        FROM engagements
    """)  # noqa: S608 - constant fragments
    for table, label in (("engagement_obstacles", "category"), ("engagement_conditions", "condition")):
        con.execute(LABELS.format(table=table, label=label))
        con.execute(f"""
            INSERT INTO {table}_v2
            SELECT e.engagement_key, x.{label}, x.raw_label, x.load_id
            FROM {table} x JOIN engagements_v2 e ON e.engagement_id = x.engagement_id AND e.load_id = x.load_id
        """)  # noqa: S608 - constant table names
        swap_table(con, table, f"{table}_v2")
    swap_table(con, "engagements", "engagements_v2")
