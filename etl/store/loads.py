"""The one way to write: a write session, one transaction in it, and a ``loads`` row for every file.

Every command that changes the database (``load``, ``boundaries``, the counterpart decisions, in
either mode) does the same three things, so they are written once, here:

* :func:`write_session`: the database opened for writing on a private copy, under the writer
  lock (:func:`etl.store.db.open_for_write`), with its schema in place; published when the
  block ends, discarded on any error (or on :class:`etl.store.db.Discard`).
* :func:`transaction`: ``BEGIN`` ... ``COMMIT``; any error rolls back, and an error of the
  database itself becomes one :class:`etl.errors.DatabaseError`, "The database refused ...".
* :func:`record_load`: the provenance row of one file, inserted by column *name* (commands
  fill different columns, and new columns are only ever added at the end of the table), with
  :func:`next_load_id` giving the number its rows carry.

>>> with write_session(Path("data/access.duckdb"), settings) as con:  # doctest: +SKIP
...     with transaction(con, "the load"):
...         load_id = record_load(con, source_path="a.csv", file_name="a.csv", ...)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import hashlib
import json
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import duckdb

from etl import __version__
from etl.config import Settings
from etl.errors import ConfigError, DatabaseError
from etl.store import warehouse
from etl.store.db import open_for_write
from etl.store.schema import ensure_schema, is_lake

REPORT_HINT = "Report this with the files if it happens again."
NEXT_LOAD_ID = "SELECT coalesce(max(load_id), 0) + 1 FROM loads"
LOADS_COLUMNS = ("SELECT column_name FROM information_schema.columns "
                 "WHERE table_name = 'loads' AND table_schema = 'main' ORDER BY ordinal_position")


@contextmanager
def write_session(db_path: Path, settings: Settings, *, in_warehouse: bool = False
                  ) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection to a private copy of the database, its schema ensured; published at the end.

    With ``ACCESS_WAREHOUSE`` set, a connection to the warehouse instead (:func:`etl.store.warehouse.writing`),
    for the commands that can write there (``in_warehouse``); the others are refused, saying so.

    :param db_path: the live database (created when missing).
    :param settings: gives the lock timeout and the database key.
    """
    if warehouse.enabled(settings) and not in_warehouse:
        raise ConfigError("ACCESS_WAREHOUSE is set, and this command does not write to the warehouse (`load`, "
                          "`boundaries`, `counterparts` decisions and `warehouse` do).",
                          f"Unset ACCESS_WAREHOUSE to work on the database file {db_path}; see docs/deployment.md.")
    if warehouse.enabled(settings):  # no copy, no lock: each transaction commits into the warehouse
        with warehouse.writing(settings) as con:
            ensure_schema(con)
            yield con
        return
    with open_for_write(db_path, settings.lock_timeout_s, settings=settings) as con:
        ensure_schema(con)
        yield con


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection, what: str, *, outcome: str = "nothing was written",
                hint: str = REPORT_HINT) -> Iterator[duckdb.DuckDBPyConnection]:
    """One transaction: committed when the block ends, rolled back on any error.

    An error of the database (``duckdb.Error``) is raised as :class:`DatabaseError`, "The database
    refused ``what`` (its first line); ``outcome``." with ``hint``; any other error is re-raised
    as it is, after the rollback.

    :param what: what was being written, as the message names it: "the load", "the decision".
    :param outcome: what the rollback means for the user.
    :param hint: what to do about it.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        if is_lake(con):  # orders this commit after any other writer's (see etl/store/warehouse.py)
            con.execute(warehouse.TAKE_TOKEN)
        yield con
        con.execute("COMMIT")
    except duckdb.Error as exc:
        _rollback(con)
        first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise DatabaseError(f"The database refused {what} ({first}); {outcome}.", hint) from exc
    except BaseException:
        _rollback(con)
        raise


T = TypeVar("T")
CONFLICT_RETRIES = 30  # a load that loses the race this many times in a row gives up, saying so


def is_conflict(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is the warehouse refusing a commit because another writer committed first."""
    cause = exc.__cause__ if isinstance(exc, DatabaseError) else exc
    return isinstance(cause, duckdb.TransactionException) and "conflict" in str(cause).lower()


def retrying(write: Callable[[], T], *, retries: int = CONFLICT_RETRIES) -> T:
    """``write()`` (one whole transaction), again from the start whenever the warehouse refuses it for a conflict.

    Another load committed first: the transaction is run again on the new state (its reads, its
    ``load_id``, its duplicate checks), after a short random wait that grows. Any other error, or a
    conflict on the last try, goes up as it is. On the single database file there are no conflicts.
    """
    for attempt in range(retries):
        try:
            return write()
        except DatabaseError as exc:
            if not is_conflict(exc):
                raise
            if attempt == retries - 1:
                raise DatabaseError(f"{exc.message} Other loads committed first {retries} times in a row.",
                                    "Run the same command again: what was already loaded is recognised and "
                                    "skipped.") from exc
            time.sleep(random.uniform(0.05, 0.2) * min(attempt + 1, 10))  # noqa: S311 - a wait, not a secret
    raise AssertionError("unreachable")


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    # A COMMIT that failed has already ended the transaction: the error to report is the first one.
    with contextlib.suppress(duckdb.Error):
        con.execute("ROLLBACK")


def next_load_id(con: duckdb.DuckDBPyConnection) -> int:
    """The ``load_id`` the next file's rows will carry (one more than the highest so far)."""
    row = con.execute(NEXT_LOAD_ID).fetchone()
    return int(row[0]) if row else 1


def record_load(con: duckdb.DuckDBPyConnection, *, load_id: int | None = None, **columns: object) -> int:
    """Insert one ``loads`` row, by column name, and return its ``load_id``.

    ``finished_at`` (now), ``loaded_by`` (the operating-system user) and ``etl_version`` are filled
    in unless given; lists and mappings (``column_mapping``, ``ignored_columns``) are stored as
    JSON. Columns not given stay NULL, so a ``NOT NULL`` one left out is refused by the database.

    :param load_id: the number the file's rows already carry (default: :func:`next_load_id`).
    :param columns: values by column name (see ``loads`` in docs/data-model.md).
    :raises ValueError: a name that is not a column of ``loads`` (a programming error).
    """
    known = [r[0] for r in con.execute(LOADS_COLUMNS).fetchall()]
    unknown = sorted(set(columns) - set(known))
    if unknown:
        raise ValueError(f"loads has no column {', '.join(unknown)}")
    values: dict[str, object] = {"load_id": next_load_id(con) if load_id is None else load_id,
                                 "finished_at": dt.datetime.now(dt.UTC), "loaded_by": getpass.getuser(),
                                 "etl_version": __version__}
    for name, value in columns.items():
        values[name] = json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list, tuple)) else value
    names = [c for c in known if c in values]  # table order; every name checked against the catalogue above
    con.execute(f"INSERT INTO loads ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",  # noqa: S608
                [values[c] for c in names])
    return int(values["load_id"])  # type: ignore[call-overload]


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in 1 MiB chunks (what ``loads.content_sha256`` records)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
