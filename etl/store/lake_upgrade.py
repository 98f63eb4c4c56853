"""``python -m etl upgrade`` on the shared warehouse: its pending migrations in one commit, checked, or a refusal.

A database file is upgraded on a private copy (:mod:`etl.store.migrations.runner`); a warehouse cannot be
copied, and other offices may be loading into it. So its upgrade is one warehouse transaction, holding the
commit token (:data:`etl.store.warehouse.TAKE_TOKEN`) like every writer: the pending migrations' warehouse
forms (``apply_lake``, :mod:`etl.store.migrations`), the schema version and each migration's row in
``schema_migrations``, then a check that every table and column is exactly what a new warehouse of this
release has (:func:`etl.store.warehouse.lake_ddl`) and that no table lost or gained rows. Readers and loads
see the old schema or the new one, never a mix; if anything fails, nothing is changed.

A pending migration without a warehouse form (one that needs keys, indexes or a rebuilt table, which
DuckLake does not have) is refused before anything is written, naming it. A warehouse made by a newer
release is refused too.
"""

from __future__ import annotations

import duckdb

from etl import __version__
from etl.config import Settings
from etl.errors import DatabaseError
from etl.store import lake_read, migrations, warehouse
from etl.store.loads import REPORT_HINT, transaction
from etl.store.schema import SCHEMA_VERSION, insert_rows, lake_version_problem

COLUMNS = ("SELECT table_name, column_name, data_type, is_nullable FROM duckdb_columns() "
           "WHERE database_name = current_database() AND schema_name = current_schema() ORDER BY ALL")
TABLES = ("SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
          "AND schema_name = current_schema()")
VERSION = "SELECT value FROM schema_info WHERE key = 'schema_version'"
SET_VERSION = "UPDATE schema_info SET value = ? WHERE key = 'schema_version'"


def upgrade_lake(settings: Settings) -> tuple[int, list[migrations.Migration]]:
    """Bring the warehouse to this release's schema; (the version it had, the migrations applied: none when current).

    :raises DatabaseError: made by a newer release, no schema, a pending migration with no warehouse form, or a
        migration that failed (nothing changed).
    """
    con = warehouse.connect(settings)
    try:
        found = _version(con)
        target = int(SCHEMA_VERSION)
        if found > target:
            raise lake_version_problem(str(found))
        todo = [m for m in migrations.registry() if m.version > found]
        if not todo:
            return found, []
        lacking = [m for m in todo if m.apply_lake is None]
        if lacking:
            names = ", ".join(f"{m.version} ({m.name})" for m in lacking)
            raise DatabaseError(f"The warehouse has schema version {found}; this release needs {target}, and "
                                f"migration(s) {names} cannot run on a warehouse (they need keys or a rebuilt "
                                "table, which DuckLake does not have). Nothing was changed.",
                                "Keep the release that made it on the server and at the offices; see "
                                "\"Upgrading\" in docs/deployment.md.")
        counts = _counts(con)
        with transaction(con, f"the upgrade from schema version {found} to {target}",
                         hint="Nothing was changed; run `python -m etl upgrade` again. " + REPORT_HINT):
            for m in todo:
                assert m.apply_lake is not None  # noqa: S101 - checked above
                m.apply_lake(con)
            con.execute(SET_VERSION, [str(target)])
            now = migrations.utc_now()
            insert_rows(con, "schema_migrations", [(m.version, m.name, now, __version__) for m in todo], replace=True)
            problem = _differs(con, counts)
            if problem:  # raised inside the transaction: rolled back
                raise DatabaseError(f"The upgraded warehouse would not be a new warehouse's schema ({problem}); "
                                    "nothing was changed.", REPORT_HINT)
        lake_read.forget_latest(settings)  # this process's readers see the new schema at once
        return found, todo
    finally:
        con.close()


def _version(con: duckdb.DuckDBPyConnection) -> int:
    try:
        row = con.execute(VERSION).fetchone()
    except duckdb.CatalogException:
        row = None
    if row is None:
        raise DatabaseError("The warehouse has no tables yet.", "Create them with `python -m etl warehouse init`.")
    if not str(row[0]).isdigit():
        raise DatabaseError(f"The warehouse records schema version {row[0]!r}: it was not made by this software.",
                            "Check ACCESS_WAREHOUSE and ACCESS_WAREHOUSE_DATA.")
    return int(row[0])


def _counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    out = {}
    for (table,) in con.execute(TABLES).fetchall():
        row = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()  # noqa: S608 - names from the catalog
        out[table] = int(row[0]) if row else 0
    return out


def _differs(con: duckdb.DuckDBPyConnection, before: dict[str, int]) -> str:
    """What the upgraded warehouse has that a new one would not (or lacks), and tables whose rows changed."""
    fresh = duckdb.connect(":memory:")
    try:
        fresh.execute(warehouse.lake_ddl())
        expected = set(fresh.execute(COLUMNS).fetchall())
    finally:
        fresh.close()
    got = set(con.execute(COLUMNS).fetchall())
    if got != expected:
        return f"columns differ: {sorted(got ^ expected)[:4]}"
    after = _counts(con)
    changed = {t: (n, after.get(t)) for t, n in before.items()
               if t not in ("schema_migrations", "schema_info") and after.get(t) != n}
    return f"row counts changed (before, after): {changed}" if changed else ""

