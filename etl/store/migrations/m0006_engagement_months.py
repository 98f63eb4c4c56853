"""Schema 6: ``engagement_months`` and ``reporting_months``, the engagements counted by month for the alerts' history.

Why (issue 13, speed): the alerts (``docs/alerts.md``) compare each admin-1 area's, checkpoint's and
counterpart's month with up to four years of its own history, and counted it from every engagement on
each Trends view: 170 ms of a page whose queries must stay under 250 ms at 1M rows. Counted by month once
per load, the same series are 25,000 rows at 1M (975,000 engagements), and who reported another 25,000.

Every column is computed from ``engagements`` (:mod:`etl.store.rollups`, ``REFRESH``): ``month`` is the
first day of ``engagement_date``'s month; ``engagements`` the rows, ``denied`` those with outcome
``denied``, ``latest`` the newest ``engagement_date``; the other columns are the engagements' own. The
tables are rebuilt whole whenever a write session publishes (a load, a merge decision), so they never
disagree with the engagements.
"""

from __future__ import annotations

import duckdb

from etl.store import rollups

VERSION = 6

ENGAGEMENT_MONTHS = """
CREATE TABLE IF NOT EXISTS engagement_months (
    month DATE NOT NULL,
    region VARCHAR,
    iso3 VARCHAR NOT NULL,
    admin1_pcode VARCHAR,
    checkpoint_id VARCHAR,
    counterpart_id VARCHAR NOT NULL,
    engagements BIGINT NOT NULL,
    denied BIGINT NOT NULL
)
"""

REPORTING_MONTHS = """
CREATE TABLE IF NOT EXISTS reporting_months (
    month DATE NOT NULL,
    region VARCHAR,
    iso3 VARCHAR NOT NULL,
    admin1_pcode VARCHAR,
    load_id INTEGER NOT NULL,
    organisation VARCHAR,
    engagements BIGINT NOT NULL,
    latest DATE NOT NULL
)
"""


def apply(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(ENGAGEMENT_MONTHS)
    con.execute(REPORTING_MONTHS)
    rollups.refresh(con)
