"""Numbered schema migrations: the registry.

Each released schema version after the first has one module here, ``m<NNNN>_<name>.py``, whose
docstring says what it changes and why, with

- ``VERSION: int``: the schema version the database has once it is applied (``NNNN``);
- ``def apply(con) -> None``: the change, on a connection to the database at ``VERSION - 1``;
- ``apply_lake`` (optional): the same change on the shared warehouse (DuckLake: no keys, indexes,
  sequences or defaults), or ``apply`` itself when it needs none of them. A release whose pending
  migrations all have one upgrades a warehouse in place (:mod:`etl.store.lake_upgrade`); without it the
  warehouse is refused, saying so.

:func:`registry` finds them in order; :mod:`etl.store.migrations.runner` applies the pending ones
to a private copy of the database, each in its own transaction, and records each one in
``schema_migrations`` (the table arrives with migration 4: the steps before it are recorded in the
same transaction as migration 4). A new database is created at the latest version directly
(:func:`etl.store.schema.ensure_schema`) with every migration recorded. How to add one:
``docs/migrations.md``.

>>> [(m.version, m.name) for m in registry()][:3]
[(2, 'engagement_key'), (3, 'filter_columns'), (4, 'migration_record')]
"""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass

import duckdb

# The first schema version: databases start there; it has no migration of its own.
BASE_VERSION = 1

_MODULE = re.compile(r"m(\d{4})_([a-z0-9_]+)")


@dataclass(frozen=True)
class Migration:
    """One numbered step: ``apply`` takes a database from ``version - 1`` to ``version``."""

    version: int
    name: str
    summary: str  # the first line of the module's docstring
    apply: Callable[[duckdb.DuckDBPyConnection], None]
    apply_lake: Callable[[duckdb.DuckDBPyConnection], None] | None = None  # its warehouse form, if it has one


def registry() -> list[Migration]:
    """Every migration module of this package, in version order; checked to be numbered 2, 3, 4... without gaps.

    A module whose file number, ``VERSION`` and docstring disagree is a programming error and
    raises :class:`RuntimeError` (the tests walk this registry).
    """
    found: list[Migration] = []
    for info in pkgutil.iter_modules(__path__):
        match = _MODULE.fullmatch(info.name)
        if not match:
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        version = int(match.group(1))
        doc = (module.__doc__ or "").strip()
        if getattr(module, "VERSION", None) != version or not callable(getattr(module, "apply", None)) or not doc:
            raise RuntimeError(f"{module.__name__}: needs VERSION = {version}, def apply(con) and a docstring.")
        found.append(Migration(version, match.group(2), doc.splitlines()[0], module.apply,
                               getattr(module, "apply_lake", None)))
    found.sort(key=lambda m: m.version)
    expected = list(range(BASE_VERSION + 1, BASE_VERSION + 1 + len(found)))
    if [m.version for m in found] != expected:
        raise RuntimeError(f"Migration numbers {[m.version for m in found]} should be {expected}.")
    return found


RECORD = "INSERT OR REPLACE INTO schema_migrations VALUES (?, ?, ?, ?)"

BACKFILLED = " (already present; backfilled)"


def record(con: duckdb.DuckDBPyConnection, migration: Migration, software_version: str | None,
           applied_at: dt.datetime | None = None, *, backfilled: bool = False) -> None:
    """Write ``migration``'s row in ``schema_migrations`` (replacing one already there).

    ``backfilled``: the database already had this version when the table was introduced (nobody
    recorded when): the name says so and ``software_version`` is NULL.
    """
    when = applied_at or utc_now()
    if backfilled:
        con.execute(RECORD, [migration.version, migration.name + BACKFILLED, when, None])
    else:
        con.execute(RECORD, [migration.version, migration.name, when, software_version])


def swap_table(con: duckdb.DuckDBPyConnection, table: str, new: str) -> None:
    """Put table ``new`` (the rebuilt one) in place of ``table``, after checking that it has as many rows.

    Migrations that change a column's type or constraints rebuild the table: DuckDB cannot add a
    NOT NULL column to a table that has rows, nor change a column's constraints in place.
    """
    counts = [con.execute(f"SELECT count(*) FROM {t}").fetchone() for t in (table, new)]  # noqa: S608 - constants
    before, after = (int(c[0]) if c else 0 for c in counts)
    if before != after:
        raise RuntimeError(f"{table}: {before} rows before, {after} after the rebuild; some rows did not find "
                           "their engagement.")
    con.execute(f"DROP TABLE {table}")
    con.execute(f"ALTER TABLE {new} RENAME TO {table}")


def utc_now() -> dt.datetime:
    """Now in UTC as a naive timestamp (``schema_migrations.applied_at`` is a TIMESTAMP, in UTC)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
