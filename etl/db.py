"""Opening the database for reading and for writing, so that loads and the dashboard never collide.

DuckDB allows one writing process *or* many reading processes on a file, not both. A load can
take minutes and the dashboard must stay usable, so writes never touch the live file:

1. a load takes an exclusive lock on ``<db>.lock`` (a second load waits for the first);
2. it copies the live file to ``<db>.next`` and opens that copy read-write;
3. it loads inside one transaction, then checkpoints and closes the copy;
4. it atomically renames the copy over the live file (``os.replace``).

Readers (the dashboard, ``etl status``) open the live file read-only for the duration of one
query batch. A reader that is open during step 4 keeps reading the old version (POSIX keeps the
old inode alive) and the next one sees the new data. A load that is killed half-way leaves only
a stale ``<db>.next``, which the next load discards: the live file is exactly as before.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from etl.errors import DatabaseError


def next_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".next")


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


def data_version(db_path: Path) -> tuple[int, int] | None:
    """A value that changes whenever a load publishes a new version of the database.

    The dashboard keys its caches on it. None when there is no database yet.
    """
    try:
        st = os.stat(db_path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns)


def _open_owner_only(path: Path) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)


@contextmanager
def write_lock(db_path: Path, timeout_s: float) -> Iterator[None]:
    """Hold the database's writer lock; wait up to ``timeout_s`` for another load to finish."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    fd = _open_owner_only(lock_path(db_path))
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise DatabaseError(
                        f"Another load has been writing to {db_path} for more than {timeout_s:.0f} s.",
                        "Wait for it to finish (see `python -m etl status`), or raise ACCESS_LOCK_TIMEOUT_S.",
                    ) from None
                time.sleep(0.2)
        yield
    finally:
        os.close(fd)


class Discard(Exception):  # noqa: N818 - a signal, not an error
    """Raise inside :func:`open_for_write` to drop the copy without publishing (nothing changed)."""


@contextmanager
def open_for_write(
    db_path: Path, timeout_s: float = 900.0, memory_limit: str = "1500MB"
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a read-write connection to a private copy of the database; publish it on success.

    On any exception the copy is discarded and the live database is untouched; :class:`Discard`
    does the same silently.

    >>> with open_for_write(Path("/tmp/x.duckdb")) as con:  # doctest: +SKIP
    ...     con.execute("CREATE TABLE t(i INT)")
    """
    with write_lock(db_path, timeout_s):
        work = next_path(db_path)
        for stale in (work, work.with_name(work.name + ".wal")):
            stale.unlink(missing_ok=True)
        if db_path.exists():
            shutil.copyfile(db_path, work)
            wal = db_path.with_name(db_path.name + ".wal")
            if wal.exists():
                shutil.copyfile(wal, work.with_name(work.name + ".wal"))
        try:
            con = duckdb.connect(str(work))
            con.execute("SET enable_progress_bar = false")  # DuckDB's own bar would garble the CLI output
            # Field laptops are small: cap DuckDB's memory (it spills to <db>.next.tmp beyond it).
            con.execute(f"SET memory_limit = '{memory_limit}'")
            os.chmod(work, 0o600)  # negotiation records: owner only, from the first byte written
        except duckdb.Error as exc:
            work.unlink(missing_ok=True)
            raise DatabaseError(f"Cannot open {db_path} for writing: {exc}", "Check the disk is not full.") from exc
        try:
            yield con
            con.execute("CHECKPOINT")
            con.close()
        except BaseException as exc:
            con.close()
            work.unlink(missing_ok=True)
            work.with_name(work.name + ".wal").unlink(missing_ok=True)
            if isinstance(exc, Discard):
                return
            raise
        with open(work, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(work, db_path)
        db_path.with_name(db_path.name + ".wal").unlink(missing_ok=True)


def sql_literal(text: str) -> str:
    """A SQL string literal for ``text`` (single quotes doubled).

    >>> sql_literal("it's")
    "'it''s'"
    """
    return "'" + text.replace("'", "''") + "'"


def connect_read(db_path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the live database version. Close it when done.

    The file is ATTACHed to a private in-memory instance rather than opened with
    ``duckdb.connect(path)``: DuckDB shares one instance per path inside a process, so a
    long-lived reader would keep handing out the version that was live when it first opened,
    even after a load has published a new one.
    """
    if not db_path.exists():
        raise DatabaseError(
            f"No database at {db_path}.",
            "Create it with `python -m etl demo` (demo data) or `python -m etl load FILE`.",
        )
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET enable_progress_bar = false")
        # ATTACH takes no bound parameters: the path (from settings, never from a user) is quoted.
        con.execute(f"ATTACH {sql_literal(str(db_path))} AS access (READ_ONLY)")
        con.execute("USE access")
    except duckdb.Error as exc:
        con.close()
        raise DatabaseError(f"Cannot open {db_path}: {exc}", "Check the file is a DuckDB database.") from exc
    return con


def read_cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A cursor of a :func:`connect_read` connection, for one thread (cursors do not inherit USE)."""
    cursor = con.cursor()
    cursor.execute("USE access")
    return cursor


@contextmanager
def reading(db_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Context manager around :func:`connect_read`."""
    con = connect_read(db_path)
    try:
        yield con
    finally:
        con.close()
