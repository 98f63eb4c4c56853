"""The scratch database of a write session: where a log's staged and checked rows are held, in small row groups.

DuckDB scans a table in parallel one *row group* at a time, and a temporary table's row groups hold
122,880 rows: a log file of 100,000 rows staged in a temp table is one row group, and every query
over it (typing and checking each row, then each insert) ran on one core however many the laptop
has. A database file attached with a smaller ``ROW_GROUP_SIZE`` is DuckDB's supported way to get
more row groups (its performance guide says so); this module attaches one per write session and
puts the two wide per-file tables in it:

* ``stage_raw``, the file's rows as text (:mod:`etl.logs.readers`);
* ``checked``, their typed values and verdicts (:func:`etl.logs.sql.checked`).

Both are written outside the file's transaction (:mod:`etl.intake`): DuckDB lets one transaction
write to one database only, and the transaction is for the warehouse. Nothing in them needs to
survive: the scratch file is a private, owner-only file in the copy's spill folder
(:func:`etl.store.db.spill_folder`), encrypted with a random key of its own that is never written
anywhere when the warehouse is encrypted, and it is detached and deleted when the session ends,
on success or failure. While the scratch tables are written, DuckDB's string compression is
switched off (:func:`scratch_writes`): analysing and compressing text that is read twice and
thrown away cost more than the parallel reads saved. It is switched back on before any row is
written to the warehouse.

A connection without a scratch database (``inspect``, a spill folder that cannot be made) stages
into temporary tables as before: :func:`stage_create` says which.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from pathlib import Path

import duckdb

__all__ = ["ROW_GROUP_SIZE", "SCRATCH", "attach_scratch", "detach_scratch", "has_scratch", "scratch_writes",
           "stage_create"]

SCRATCH = "scratch"
"""The catalog name of the scratch database; its tables are found by unqualified name (search path)."""

ROW_GROUP_SIZE = 16384
"""Rows per row group in the scratch database: a 100,000-row file is 7 row groups, enough for every core.
Smaller groups cost more per group than they share out (measured in docs/performance.md)."""

# Text compressors: their analysis is what made writing the scratch tables slow. Numbers keep theirs (cheap).
_SKIPPED_COMPRESSION = "fsst,dictionary,dict_fsst"


def scratch_file(folder: Path) -> Path:
    """A new, unpredictable scratch file name in ``folder`` (the owner-only spill folder of the copy)."""
    return folder / f"scratch-{secrets.token_hex(8)}.duckdb"


def attach_scratch(con: duckdb.DuckDBPyConnection, folder: Path | None, *, encrypted: bool) -> Path | None:
    """Attach a new scratch database in ``folder`` and put it last on the search path; its path, or None.

    None (no scratch: temporary tables are used) when there is no folder to put it in. With
    ``encrypted``, the file is encrypted with a fresh random key held only by this connection
    (DuckDB's httpfs extension must already be loaded on it, as :func:`etl.store.db.attach` does).
    """
    if folder is None:
        return None
    # Under the writer lock: a scratch file still here was left by a session that was killed.
    for stale in folder.glob("scratch-*.duckdb*"):
        stale.unlink(missing_ok=True)
    path = scratch_file(folder)
    options = [f"ROW_GROUP_SIZE {ROW_GROUP_SIZE}"]
    if encrypted:
        options.append(f"ENCRYPTION_KEY '{secrets.token_hex(32)}'")  # hex: nothing to quote
    # The path is made here (an owner-only folder and a hex name), never given by a user: quoted as a literal.
    literal = "'" + str(path).replace("'", "''") + "'"
    try:
        con.execute(f"ATTACH {literal} AS {SCRATCH} ({', '.join(options)})")
        current = con.execute("SELECT current_setting('search_path')").fetchone()
        paths = [p for p in str(current[0] if current else "").split(",") if p]
        con.execute("SET search_path = ?", [",".join([*paths, f"{SCRATCH}.main"])])
    except BaseException:
        detach_scratch(con, path)
        raise
    return path


def detach_scratch(con: duckdb.DuckDBPyConnection | None, path: Path | None) -> None:
    """Detach the scratch database (when the connection is still open) and delete its files."""
    if path is None:
        return
    if con is not None:
        with contextlib.suppress(duckdb.Error):
            con.execute(f"DETACH DATABASE IF EXISTS {SCRATCH}")
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)


def has_scratch(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute("SELECT count(*) FROM duckdb_databases() WHERE database_name = ?", [SCRATCH]).fetchone()
    return bool(row and row[0])


def stage_create(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """The ``CREATE OR REPLACE`` clause for a per-file table: in the scratch database when there is one.

    >>> con = duckdb.connect()
    >>> stage_create(con, "stage_raw")
    'CREATE OR REPLACE TEMP TABLE stage_raw'
    """
    if has_scratch(con):
        return f"CREATE OR REPLACE TABLE {SCRATCH}.{table}"
    return f"CREATE OR REPLACE TEMP TABLE {table}"


@contextlib.contextmanager
def scratch_writes(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Within the block, text is written without compression (the scratch tables); restored after, always.

    Only for blocks that write no warehouse table: a warehouse row written meanwhile would be stored
    uncompressed for good.
    """
    if not has_scratch(con):
        yield
        return
    con.execute(f"SET disabled_compression_methods = '{_SKIPPED_COMPRESSION}'")
    try:
        yield
    finally:
        con.execute("RESET disabled_compression_methods")
