"""Schema 4: the database records its migrations in ``schema_migrations``.

Why: until schema 3 a database of another version was refused and had to be rebuilt from the
logs, losing uploads and counterpart decisions; from schema 4 on, ``python -m etl upgrade``
migrates it in place, and this table says which migration made each version, when, and with
which release of the software (one row per version from 2 on).

The versions the database already had are backfilled: their name ends in
``(already present; backfilled)`` and their ``software_version`` is NULL, since nobody recorded
when or by what they were made. (When this same upgrade applied them, the runner then writes
their real row in the same transaction.)
"""

from __future__ import annotations

import duckdb

from etl.store import migrations

VERSION = 4

SCHEMA_MIGRATIONS = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL,
    applied_at TIMESTAMP NOT NULL,
    software_version VARCHAR
)
"""


def apply(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(SCHEMA_MIGRATIONS)
    now = migrations.utc_now()
    for m in migrations.registry():
        if m.version < VERSION:
            migrations.record(con, m, None, now, backfilled=True)
