"""The shared warehouse: DuckLake, its catalog in PostgreSQL and its data as Parquet files in a folder.

Selected by one setting, ``warehouse`` (``ACCESS_WAREHOUSE=postgresql://...``) with ``warehouse_data``
(the Parquet folder); unset, the single DuckDB file of :mod:`etl.store.db` is used as before. Every
connection to the warehouse is an in-memory DuckDB with the lake ATTACHed under the same name as the
file (``access``), so the loader's SQL and the dashboard's views run on either unchanged.

DuckDB's ``ducklake`` and ``postgres`` extensions come from the ``duckdb-extension-ducklake`` and
``duckdb-extension-postgres`` wheels and are loaded by file path: nothing is downloaded. The postgres
wheel's file is named ``postgres.duckdb_extension`` but DuckDB derives the entry point from the file
name and the extension is called ``postgres_scanner``, so it is loaded through a link of that name made
in a private temporary folder (removed once loaded).

**What DuckLake does not have** (DuckLake 1.5.5 extension; checked by the tests): PRIMARY KEY, UNIQUE,
FOREIGN KEY and CHECK constraints, indexes, sequences and defaults other than constants. Only
``NOT NULL`` is kept. And a ``HUGEINT``/``UHUGEINT`` column is accepted but written to Parquet as a
DOUBLE (silently rounded): the warehouse stores those as text (:data:`LAKE_TYPES`). So the warehouse's tables are *generated* from the embedded schema
(:func:`lake_ddl`): the baseline DDL and every migration run in an in-memory DuckDB, then each table is
written again from the catalog (names, types, NOT NULL) without the keys. The schema is declared once,
in :mod:`etl.store.schema` and its migrations. What the keys did is then up to the writers: the
reference rows are rewritten by ``warehouse init`` only, and every load transaction takes the
warehouse's *commit token* (:data:`COMMIT_TOKEN`), so two loads never both commit on the same state.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import duckdb
from pydantic import SecretStr

from etl import __version__
from etl.config import Settings
from etl.errors import ConfigError, DatabaseError
from etl.store import migrations
from etl.store.crypto import httpfs_extension
from etl.store.db import ALIAS, Discard, sql_literal
from etl.store.lake_secrets import SECRETS_DDL, SECRETS_TABLE, keep_pseudonym_salt
from etl.store.schema import SCHEMA_VERSION, check_lake_version, create_tables, insert_rows, reference_rows
from etl.store.scratch import attach_scratch, detach_scratch

# One row that every load transaction updates: DuckLake lets concurrent *appends* commit together, but
# two transactions that delete (an UPDATE deletes) from the same data file conflict, so the second to
# commit fails and is retried on the new state (etl/store/loads.py). This orders the loads' commits.
COMMIT_TOKEN = "warehouse_commits"
TAKE_TOKEN = f"UPDATE {COMMIT_TOKEN} SET commits = commits + 1"  # noqa: S608 - a constant
LAKE_ONLY_DDL = f"CREATE TABLE IF NOT EXISTS {COMMIT_TOKEN} (commits BIGINT NOT NULL)"
# Tables the warehouse has and a database file has not: the commit token and the shared secrets (the salt).
LAKE_ONLY_TABLES = (COMMIT_TOKEN, SECRETS_TABLE)

# Types DuckLake accepts but does not keep: its Parquet files hold a HUGEINT or UHUGEINT as a DOUBLE, so a
# 128-bit hash (engagements.row_hash) came back rounded and duplicate rows were no longer recognised. The
# warehouse keeps them as their exact decimal text; DuckDB compares such text with a number exactly.
LAKE_TYPES = {"HUGEINT": "VARCHAR", "UHUGEINT": "VARCHAR"}

HOW_TO_SET = ("Set ACCESS_WAREHOUSE to the catalog's URL, postgresql://USER:PASSWORD@HOST:PORT/DBNAME, and "
              "ACCESS_WAREHOUSE_DATA to the folder of its data files (see docs/deployment.md).")


class NoCatalog(DatabaseError):
    """The PostgreSQL database holds no warehouse catalog yet."""


def enabled(settings: Settings) -> bool:
    """Whether this process works on the warehouse rather than the single database file."""
    return settings.warehouse is not None


def _extension(package: str, file: str) -> Path:
    try:
        module = importlib.import_module(package)
    except ImportError:
        raise ConfigError(f"The {package.replace('_', '-')} package is not installed; the warehouse needs it.",
                          "Install the dependencies again (`python3 tasks.py run` does).") from None
    path = Path(str(module.__file__)).parent / "extensions" / f"v{duckdb.__version__}" / file
    if not path.is_file():
        raise ConfigError(f"No {file} for DuckDB {duckdb.__version__} at {path}.",
                          f"Install {package.replace('_', '-')} of the same version as duckdb.")
    return path


def load_extensions(con: duckdb.DuckDBPyConnection) -> None:
    """Load the postgres and ducklake extensions from their wheels (never downloaded)."""
    con.execute("SET autoinstall_known_extensions = false")
    postgres = _extension("duckdb_extension_postgres", "postgres.duckdb_extension")
    ducklake = _extension("duckdb_extension_ducklake", "ducklake.duckdb_extension")
    folder = Path(tempfile.mkdtemp(prefix="access-ext-"))
    try:
        link = folder / "postgres_scanner.duckdb_extension"  # the name DuckDB derives the entry point from
        link.symlink_to(postgres)
        con.execute(f"LOAD {sql_literal(str(link))}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    con.execute(f"LOAD {sql_literal(str(ducklake))}")


def catalog_conninfo(url: SecretStr) -> str:
    """The PostgreSQL URL as libpq's ``key=value`` words (what ``ducklake:postgres:`` takes).

    >>> catalog_conninfo(SecretStr("postgresql://access:s3cr%40t@127.0.0.1:5433/lake"))
    "host=127.0.0.1 port=5433 dbname=lake user=access password='s3cr@t'"
    """
    text = url.get_secret_value().strip()
    parts = urlsplit(text)
    if parts.scheme not in ("postgresql", "postgres") or not parts.hostname or not parts.path.strip("/"):
        raise ConfigError("ACCESS_WAREHOUSE is not a PostgreSQL URL (postgresql://USER:PASSWORD@HOST:PORT/DBNAME).",
                          HOW_TO_SET)
    words = {"host": parts.hostname, "port": str(parts.port or 5432), "dbname": unquote(parts.path.strip("/")),
             "user": unquote(parts.username or ""), "password": unquote(parts.password or "")}

    def quoted(value: str) -> str:
        if value and all(c.isalnum() or c in "._-" for c in value):
            return value
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    return " ".join(f"{k}={quoted(v)}" for k, v in words.items() if v)


def data_folder(settings: Settings) -> Path:
    if settings.warehouse_data is None:
        raise ConfigError("ACCESS_WAREHOUSE is set but ACCESS_WAREHOUSE_DATA (the folder of its data files) is not.",
                          HOW_TO_SET)
    return settings.warehouse_data


def connect(settings: Settings, *, read_only: bool = False, create: bool = False,
            snapshot: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the warehouse ATTACHed as ``access`` and in use. Close it when done.

    :param snapshot: read the warehouse as it was at this DuckLake snapshot (read-only), whatever is
        committed later: the dashboard keeps one connection per data version (:mod:`etl.store.lake_read`).

    :param create: make the catalog when the PostgreSQL database holds none yet (``warehouse init``);
        otherwise a missing catalog is an error saying to run it.
    """
    if settings.warehouse is None:
        raise ConfigError("ACCESS_WAREHOUSE is not set.", HOW_TO_SET)
    conninfo = catalog_conninfo(settings.warehouse)
    data = data_folder(settings)
    if create:
        data.mkdir(parents=True, exist_ok=True, mode=0o700)
    elif not data.is_dir():
        raise ConfigError(f"The warehouse data folder {data} does not exist.",
                          "Check ACCESS_WAREHOUSE_DATA, or create the warehouse with `python -m etl warehouse init`.")
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET enable_progress_bar = false")
        load_extensions(con)
        # DuckDB writes encrypted Parquet only with httpfs (OpenSSL) loaded; a warehouse created encrypted
        # stays so (the catalog says it), whatever this process's settings.
        con.execute(f"LOAD {sql_literal(str(httpfs_extension()))}")
        options = [f"DATA_PATH {sql_literal(str(data) + os.sep)}"]
        if not create:
            options.append("CREATE_IF_NOT_EXISTS false")
        elif settings.warehouse_encrypted:
            options.append("ENCRYPTED")
        if read_only or snapshot is not None:
            options.append("READ_ONLY")
        if snapshot is not None:
            options.append(f"SNAPSHOT_VERSION {int(snapshot)}")
        con.execute(f"ATTACH {sql_literal('ducklake:postgres:' + conninfo)} AS {ALIAS} ({', '.join(options)})")
        con.execute(f"USE {ALIAS}")
    except duckdb.Error as exc:
        con.close()
        raise _open_error(exc, settings.warehouse, create) from None
    except BaseException:
        con.close()
        raise
    return con


def _open_error(exc: duckdb.Error, url: SecretStr, create: bool) -> DatabaseError:
    """What went wrong attaching the warehouse, without the catalog's password."""
    text = str(exc)
    secret = url.get_secret_value()
    for word in {secret, unquote(urlsplit(secret).password or "")} - {""}:
        text = text.replace(word, "**********")
    first = text.strip().splitlines()[0][:300] if text.strip() else type(exc).__name__
    if not create and ("does not exist" in text or "not initialized" in text.lower() or "CREATE_IF_NOT" in text):
        return NoCatalog(f"The warehouse has no catalog yet ({first}).", "Create it with `python -m etl warehouse init`.")
    return DatabaseError(f"Cannot open the warehouse: {first}",
                         "Check ACCESS_WAREHOUSE (host, port, user, password, database) and that PostgreSQL runs.")


@contextlib.contextmanager
def reading(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the warehouse for the block."""
    con = connect(settings, read_only=True)
    try:
        yield con
    finally:
        con.close()


@contextlib.contextmanager
def writing(settings: Settings, memory_limit: str = "1500MB") -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection to the warehouse for a write session; no lock and no copy.

    Each transaction commits into the warehouse on its own (:func:`etl.store.loads.transaction`),
    so :class:`etl.store.db.Discard` has nothing left to undo. The session's scratch database and
    DuckDB's spill files go to a private folder of this process (several loads run at once), both
    encrypted with keys that are never written down.
    """
    con = connect(settings)
    spill = Path(tempfile.mkdtemp(prefix="access-load-"))  # 0700
    scratch = None
    try:
        con.execute(f"SET temp_directory = {sql_literal(str(spill))}")
        con.execute("SET temp_file_encryption = true")
        con.execute(f"SET memory_limit = {sql_literal(memory_limit)}")
        # Encrypted with a key only this connection holds: a load that is killed leaves nothing readable here.
        scratch = attach_scratch(con, spill, encrypted=True)
        yield con
    except Discard:
        pass
    finally:
        detach_scratch(con, scratch)
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def lake_ddl() -> str:
    """The warehouse's tables: the embedded schema (baseline DDL and every migration) without what DuckLake lacks.

    Generated, not written twice: the schema is built in an in-memory DuckDB by
    :func:`etl.store.schema.create_tables`, and each table is written again from DuckDB's catalog
    (column names in order, types, NOT NULL), without its keys (see :func:`dropped_features`); a type
    DuckLake would not keep exactly is stored as text (:data:`LAKE_TYPES`).
    """
    con = duckdb.connect(":memory:")
    try:
        create_tables(con)
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'memory' "
                                            "ORDER BY table_oid").fetchall()]
        statements = []
        for table in tables:
            cols = con.execute("SELECT column_name, data_type, is_nullable FROM duckdb_columns() WHERE "
                               "database_name = 'memory' AND table_name = ? ORDER BY column_index", [table]).fetchall()
            body = ",\n    ".join(f"{name} {LAKE_TYPES.get(kind, kind)}{'' if nullable else ' NOT NULL'}"
                                     for name, kind, nullable in cols)
            statements.append(f"CREATE TABLE IF NOT EXISTS {table} (\n    {body}\n);")
    finally:
        con.close()
    return "\n".join([*statements, LAKE_ONLY_DDL + ";", SECRETS_DDL + ";"])


def dropped_features() -> dict[str, list[str]]:
    """What the embedded schema declares that the warehouse's tables cannot have, by kind (for docs and tests).

    >>> sorted(dropped_features())
    ['defaults', 'indexes', 'keys', 'sequences']
    """
    con = duckdb.connect(":memory:")
    try:
        create_tables(con)
        keys = [f"{t}: {c} {cols}" for t, c, cols in con.execute(
            "SELECT table_name, constraint_type, constraint_column_names FROM duckdb_constraints() "
            "WHERE database_name = 'memory' AND constraint_type NOT IN ('NOT NULL') ORDER BY ALL").fetchall()]
        indexes = [r[0] for r in con.execute("SELECT index_name FROM duckdb_indexes() WHERE database_name = "
                                             "'memory' ORDER BY ALL").fetchall()]
        sequences = [r[0] for r in con.execute("SELECT sequence_name FROM duckdb_sequences() WHERE database_name = "
                                               "'memory' ORDER BY ALL").fetchall()]
        defaults = [f"{t}.{c}" for t, c in con.execute("SELECT table_name, column_name FROM duckdb_columns() WHERE "
                                                       "database_name = 'memory' AND column_default IS NOT NULL "
                                                       "ORDER BY ALL").fetchall()]
    finally:
        con.close()
    return {"keys": keys, "indexes": indexes, "sequences": sequences, "defaults": defaults}


def check_upgrade(settings: Settings) -> str:
    """What ``python -m etl upgrade`` says about a warehouse at this release's schema: nothing to do.

    Another version is refused (:func:`etl.store.schema.lake_version_problem`); an older one is upgraded by
    :func:`etl.store.lake_upgrade.upgrade_lake`.
    """
    with reading(settings) as con:
        check_lake_version(con)
    return f"The warehouse is already at schema version {SCHEMA_VERSION}; nothing to do."


def init(settings: Settings) -> str:
    """Create the warehouse (catalog, data folder, tables, reference rows), or check an existing one; what was done.

    Idempotent: on a warehouse already at this schema version it only rewrites the reference rows.
    """
    data_folder(settings).mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        con = connect(settings)  # an existing warehouse keeps what it was created with (encrypted or not)
    except NoCatalog:
        con = connect(settings, create=True)
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(lake_ddl())
            row = con.execute("SELECT value FROM schema_info WHERE key = 'schema_version'").fetchone()
            if row is None:
                if settings.warehouse_encrypted:  # small inserts would be kept in the catalog, unencrypted
                    con.execute(f"CALL {ALIAS}.set_option('data_inlining_row_limit', 0)")
                con.execute("INSERT INTO schema_info VALUES ('schema_version', ?)", [SCHEMA_VERSION])
                now = migrations.utc_now()
                insert_rows(con, "schema_migrations", [(m.version, m.name, now, __version__)
                                                       for m in migrations.registry()])
                con.execute(f"INSERT INTO {COMMIT_TOKEN} VALUES (0)")  # noqa: S608 - a constant
                done = f"created the warehouse at schema version {SCHEMA_VERSION}"
            else:
                check_lake_version(con)
                done = f"the warehouse is already at schema version {SCHEMA_VERSION}; reference rows rewritten"
            keep_pseudonym_salt(con)  # made once, shared by every reader (never rewritten)
            for table, rows in reference_rows().items():
                con.execute(f"DELETE FROM {table}")  # noqa: S608 - table names are constants
                insert_rows(con, table, rows)
            con.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                con.execute("ROLLBACK")
            raise
    except duckdb.Error as exc:
        raise DatabaseError(f"The warehouse refused its schema ({str(exc).strip().splitlines()[0][:300]}).",
                            "Nothing was created; report this with the output of `python -m etl warehouse init`.")\
            from None
    finally:
        con.close()
    return done
