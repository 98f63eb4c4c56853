"""Every table of a database as a multiset of rows, for comparing two databases independently of row order."""

from __future__ import annotations

from collections import Counter

import duckdb

# Columns that record when a row was written, not what it says: never equal between two loads.
CLOCK = {("loads", "started_at"), ("loads", "finished_at"), ("schema_migrations", "applied_at"),
         ("sync_conflicts", "found_at"), ("sync_decisions", "received_at")}


def user_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return sorted(r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = "
                                            "current_database() AND NOT temporary").fetchall())


def column_types(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    return dict(con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = "
                            "current_database() AND table_name = ?", [table]).fetchall())


def rows_of(con: duckdb.DuckDBPyConnection, table: str, types: dict[str, str] | None = None) -> Counter[tuple]:
    """The rows of ``table`` (clock columns left out) as a multiset, read with plain Python values.

    :param types: read each column as this type (the warehouse keeps a 128-bit number as its text).
    """
    cols = [r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE database_name = "
                                      "current_database() AND table_name = ? ORDER BY column_index",
                                      [table]).fetchall()]
    kept = [c for c in cols if (table, c) not in CLOCK]
    select = ", ".join(f"CAST({c} AS {types[c]})" if types else c for c in kept)
    return Counter(con.execute(f"SELECT {select} FROM {table}").fetchall())  # noqa: S608 - catalog names
