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

Every open, for writing or reading, goes through :func:`attach`, which applies the database key
when one is configured (:mod:`etl.store.crypto`): an encrypted file is copied as it is, so the copy is
encrypted too, and a file opened with no key, the wrong key, or a key it does not need fails with a
message that says which and what to do. The database, its copy and the lock are created readable
by their owner only; so are DuckDB's own files (the WAL, spilled temporary data): the command line
and the dashboard start with an owner-only umask (:func:`owner_only_umask`), and DuckDB spills into
``<file>.tmp``, a folder only the owner may enter, whatever the umask.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import duckdb
from pydantic import SecretStr

from etl.config import Settings, get_settings
from etl.errors import ConfigError, DatabaseError
from etl.store import rollups
from etl.store.crypto import HOW_TO_SET, database_key, httpfs_extension
from etl.store.locks import flock_within
from etl.store.scratch import attach_scratch, detach_scratch

# The name every connection gives the database file (dashboard/db/scope.py builds its views on it).
ALIAS = "access"


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


OWNER_ONLY_UMASK = 0o077
# WAL size at which DuckDB checkpoints on its own while a write session runs (see open_for_write).
CHECKPOINT_THRESHOLD = "256MB"


def owner_only_umask() -> int:
    """Make every file this process creates from now on owner-only (0600, folders 0700); the old umask.

    DuckDB creates its WAL and spill files with the process umask (0644 under the usual 022), and
    they hold negotiation records, so the command line and the dashboard call this as they start.
    """
    return os.umask(OWNER_ONLY_UMASK)


def spill_folder(path: Path) -> Path | None:
    """``<path>.tmp``, where DuckDB spills data that does not fit in memory: created 0700 (tightened if looser).

    None when it cannot be made (a read-only folder): the connection then does not spill at all
    rather than spill somewhere others may look.
    """
    folder = path.with_name(path.name + ".tmp")
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        if not folder.is_symlink() and os.stat(folder).st_mode & 0o077:
            os.chmod(folder, 0o700)
    except OSError:
        return None
    return folder


def _open_owner_only(path: Path) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)


def _copy_owner_only(src: Path, dst: Path) -> None:
    """Copy ``src`` to a new ``dst`` that is owner-only before its first byte is written."""
    os.close(os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    os.chmod(dst, 0o600)  # in case it already existed with a wider mode
    shutil.copyfile(src, dst)  # writes into the existing file: its mode stays


def make_folder(folder: Path) -> None:
    """Create the database's folder if needed, owner-only (0700); an existing folder is left as it is."""
    if not folder.is_dir():
        folder.mkdir(parents=True, mode=0o700, exist_ok=True)


@contextmanager
def write_lock(db_path: Path, timeout_s: float) -> Iterator[None]:
    """Hold the database's writer lock; wait up to ``timeout_s`` for another load to finish."""
    make_folder(db_path.parent)
    fd = _open_owner_only(lock_path(db_path))
    try:
        if not flock_within(fd, timeout_s, poll_s=0.2):
            raise DatabaseError(
                f"Another load has been writing to {db_path} for more than {timeout_s:.0f} s.",
                "Wait for it to finish (see `python -m etl status`), or raise ACCESS_LOCK_TIMEOUT_S.",
            )
        yield
    finally:
        os.close(fd)


class Discard(Exception):  # noqa: N818 - a signal, not an error
    """Raise inside :func:`open_for_write` to drop the copy without publishing (nothing changed)."""


@contextmanager
def open_for_write(
    db_path: Path, timeout_s: float = 900.0, memory_limit: str = "1500MB", *, settings: Settings | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a read-write connection to a private copy of the database; publish it on success.

    On any exception the copy is discarded and the live database is untouched; :class:`Discard`
    does the same silently. ``settings`` gives the database key (default: the process settings);
    a new database is created encrypted when a key is configured.

    >>> with open_for_write(Path("/tmp/x.duckdb")) as con:  # doctest: +SKIP
    ...     con.execute("CREATE TABLE t(i INT)")
    """
    key = database_key(settings)  # a key badly configured is reported before anything is locked or copied
    with write_lock(db_path, timeout_s):
        work = next_path(db_path)
        work_wal = wal_path(work)
        for stale in (work, work_wal):
            stale.unlink(missing_ok=True)
        if db_path.exists():
            _copy_owner_only(db_path, work)  # an encrypted file's copy is the same ciphertext
            if wal_path(db_path).exists():
                _copy_owner_only(wal_path(db_path), work_wal)
        try:
            con = attach(work, key, read_only=False, shown_as=db_path)
        except DatabaseError:
            work.unlink(missing_ok=True)
            work_wal.unlink(missing_ok=True)
            raise
        try:
            os.chmod(work, 0o600)  # negotiation records: owner only (a new file is created with the umask's mode)
            # Field laptops are small: cap DuckDB's memory; beyond it DuckDB spills to <db>.next.tmp, an
            # owner-only folder (encrypted too when the database is: see attach()).
            con.execute(f"SET memory_limit = {sql_literal(memory_limit)}")
            # This copy is published whole, after its final CHECKPOINT (below): checkpointing it after
            # every file's commit too (DuckDB's default, once the WAL passes 16 MB) rewrote the growing
            # tables and their indexes again and again (a fifth of a 1M-row load's time).
            con.execute(f"SET checkpoint_threshold = {sql_literal(CHECKPOINT_THRESHOLD)}")
            # Each file's staged and checked rows, in small row groups so that they are read on every core.
            scratch = attach_scratch(con, spill_folder(work), encrypted=key is not None)
        except (duckdb.Error, OSError) as exc:
            con.close()
            work.unlink(missing_ok=True)
            raise DatabaseError(f"Cannot open {db_path} for writing: {exc}", "Check the disk is not full.") from exc
        try:
            yield con
            rollups.refresh(con)  # tables computed from others (the alerts' monthly counts): never stale
            detach_scratch(con, scratch)
            con.execute("CHECKPOINT")
            con.close()
        except BaseException as exc:
            con.close()
            detach_scratch(None, scratch)
            work.unlink(missing_ok=True)
            work_wal.unlink(missing_ok=True)
            _remove_empty(work.with_name(work.name + ".tmp"))
            if isinstance(exc, Discard):
                return
            raise
        _remove_empty(work.with_name(work.name + ".tmp"))
        with open(work, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(work, db_path)
        wal_path(db_path).unlink(missing_ok=True)


def _remove_empty(folder: Path) -> None:
    """Remove the copy's spill folder once DuckDB has deleted its files from it (left alone if not empty)."""
    try:
        folder.rmdir()
    except OSError:
        pass


def wal_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".wal")


def sql_literal(text: str) -> str:
    """A SQL string literal for ``text`` (single quotes doubled).

    >>> sql_literal("it's")
    "'it''s'"
    """
    return "'" + text.replace("'", "''") + "'"


def attach(path: Path, key: SecretStr | None, *, read_only: bool, shown_as: Path | None = None
           ) -> duckdb.DuckDBPyConnection:
    """The one way this project opens a database file: ATTACHed as ``access`` to an in-memory DuckDB.

    With a key, DuckDB's httpfs extension is loaded from the installed wheel first (DuckDB writes
    encrypted files only with it; it is never downloaded) and spilled temporary files are
    encrypted as well. Spilled files go to :func:`spill_folder` (owner-only), never to DuckDB's
    default ``.tmp`` in the working directory. ATTACH takes no bound parameters, so the path and the key are quoted as SQL
    literals; neither comes from a user of the dashboard. Errors name ``shown_as`` (the live file
    when ``path`` is its private copy) and never contain the key.
    """
    shown = shown_as or path
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET enable_progress_bar = false")  # DuckDB's own bar would garble the CLI output
        spill = spill_folder(path)
        con.execute(f"SET temp_directory = {sql_literal(str(spill) if spill else '')}")
        options = ["READ_ONLY"] if read_only else []
        if key is not None:
            con.execute(f"LOAD {sql_literal(str(httpfs_extension()))}")
            con.execute("SET temp_file_encryption = true")
            options.append(f"ENCRYPTION_KEY {sql_literal(key.get_secret_value())}")
        con.execute(f"ATTACH {sql_literal(str(path))} AS {ALIAS}" + (f" ({', '.join(options)})" if options else ""))
        con.execute(f"USE {ALIAS}")
    except duckdb.Error as exc:
        con.close()
        raise _open_error(shown, exc, key) from None
    except BaseException:
        con.close()
        raise
    return con


def _open_error(path: Path, exc: duckdb.Error, key: SecretStr | None) -> DatabaseError:
    """What went wrong opening ``path``, said so that the user knows which key to fix (never the key itself)."""
    text = str(exc)
    if key is not None:
        text = text.replace(key.get_secret_value(), "**********")
    if "without a key" in text:
        return DatabaseError(f"{path} is encrypted and no database key is configured.", HOW_TO_SET)
    if "Wrong encryption key" in text:
        return DatabaseError(f"The configured database key does not open {path}.", HOW_TO_SET)
    if "is not encrypted" in text:
        return DatabaseError(f"A database key is configured but {path} is not encrypted.",
                             f"Run `python -m etl encrypt --db {path}` to encrypt it with the key, or unset the key.")
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return DatabaseError(f"Cannot open {path}: {first}", "Check the file is a DuckDB database and the disk is not full.")


def connect_read(db_path: Path, *, settings: Settings | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the live database version, with the configured key. Close it when done.

    The file is ATTACHed to a private in-memory instance (:func:`attach`) rather than opened with
    ``duckdb.connect(path)``: DuckDB shares one instance per path inside a process, so a
    long-lived reader would keep handing out the version that was live when it first opened,
    even after a load has published a new one.
    """
    key = database_key(settings)
    if (settings or get_settings()).warehouse is not None:
        raise ConfigError("ACCESS_WAREHOUSE is set, and this command does not read the warehouse (the dashboard, "
                          "`status`, `alerts`, `snapshot` and `counterparts` do: etl/store/reader.py): it would read "
                          "the database file instead.",
                          f"Unset ACCESS_WAREHOUSE to read the database file {db_path}; see docs/deployment.md.")
    if not db_path.exists():
        raise DatabaseError(
            f"No database at {db_path}.",
            "Create it with `python -m etl demo` (demo data) or `python -m etl load FILE`.",
        )
    return attach(db_path, key, read_only=True)


def reading(db_path: Path, *, settings: Settings | None = None) -> closing[duckdb.DuckDBPyConnection]:
    """:func:`connect_read` for a ``with`` block: the connection is closed at its end."""
    return closing(connect_read(db_path, settings=settings))
