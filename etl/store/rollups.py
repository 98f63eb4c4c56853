"""Tables computed from other tables, rebuilt whenever a write session publishes: one monthly roll-up.

``engagement_months`` counts the engagements per month, region, country, admin-1 area, checkpoint,
counterpart, load and organisation (schema 6, :mod:`etl.store.migrations.m0006_engagement_months`). The
alerts (:mod:`etl.analysis.sql`) read a place's whole history from it: 106,000 rows instead of 975,000
engagements at 1M rows (``docs/performance.md``). It holds nothing the engagements do not: it is rebuilt
from them, whole, before every write session publishes its copy (:func:`etl.store.db.open_for_write`), so
no writer (a load, a merge decision, a migration) can leave it stale. The dashboard reads it through a
scoped view like the engagements' (:mod:`dashboard.db.scope`).
"""

from __future__ import annotations

import duckdb

TABLE = "engagement_months"

REFRESH = """
DELETE FROM engagement_months;
INSERT INTO engagement_months
SELECT date_trunc('month', engagement_date)::DATE AS month, region, iso3, admin1_pcode, checkpoint_id,
       counterpart_id, load_id, organisation, count(*) AS engagements,
       count(*) FILTER (WHERE outcome = 'denied') AS denied, max(engagement_date) AS latest
FROM engagements
GROUP BY ALL
ORDER BY month;
"""


def has_rollups(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the open database has the roll-up table (an older schema, before its upgrade, has not)."""
    row = con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
                      "AND schema_name = current_schema() AND table_name = ?", [TABLE]).fetchone()
    return bool(row and row[0])


def refresh(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild the roll-up from ``engagements`` (in the caller's transaction, if one is open)."""
    if has_rollups(con):
        con.execute(REFRESH)
