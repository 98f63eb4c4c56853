"""Tables computed from other tables, rebuilt whenever a write session publishes: the engagements counted by month.

Two counts of the engagements per month (schema 6, :mod:`etl.store.migrations.m0006_engagement_months`), each a
small fraction of the engagements' rows (``docs/performance.md``):

- ``engagement_months``: per region, country, admin-1 area, checkpoint and counterpart, with the denials.
  The alerts (:mod:`etl.analysis.sql`) read each place's whole history from it, and Trends' "what changed"
  (:mod:`dashboard.db.change_queries`) its two periods when they are whole months;
- ``reporting_months``: per region, country, admin-1 area, load and organisation, with the newest engagement
  date: who reported (the alerts' completeness guard) and how fresh each country's data is
  (:mod:`dashboard.db.freshness_queries`).

They hold nothing the engagements do not: both are rebuilt from them, whole, before every write session
publishes its copy (:func:`etl.store.db.open_for_write`), so no writer (a load, a merge decision, a migration)
can leave them stale. The dashboard reads them through scoped views like the engagements'
(:mod:`dashboard.db.scope`).
"""

from __future__ import annotations

import duckdb

TABLES = ("engagement_months", "reporting_months")

REFRESH = """
DELETE FROM engagement_months;
INSERT INTO engagement_months
SELECT date_trunc('month', engagement_date)::DATE AS month, region, iso3, admin1_pcode, checkpoint_id,
       counterpart_id, count(*) AS engagements, count(*) FILTER (WHERE outcome = 'denied') AS denied
FROM engagements
GROUP BY ALL
ORDER BY month;
DELETE FROM reporting_months;
INSERT INTO reporting_months
SELECT date_trunc('month', engagement_date)::DATE AS month, region, iso3, admin1_pcode, load_id, organisation,
       count(*) AS engagements, max(engagement_date) AS latest
FROM engagements
GROUP BY ALL
ORDER BY month;
"""


def has_rollups(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the open database has the roll-up tables (an older schema, before its upgrade, has not)."""
    row = con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
                      "AND schema_name = current_schema() AND list_contains(?, table_name)", [list(TABLES)]).fetchone()
    return bool(row and row[0] == len(TABLES))


def refresh(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild the roll-ups from ``engagements`` (in the caller's transaction, if one is open)."""
    if has_rollups(con):
        con.execute(REFRESH)
