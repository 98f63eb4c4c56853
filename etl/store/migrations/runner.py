"""``python -m etl upgrade``: bring a database made by an older release to this release's schema, in place.

The live file is never written to. Under the database's writer lock (no load can start meanwhile):

1. the file is copied to the private owner-only copy a load also uses (``<db>.next``, :mod:`etl.store.db`);
   an encrypted database's copy is the same ciphertext, opened with the same key;
2. each pending migration (:func:`etl.store.migrations.registry`) is applied to the copy in its own
   transaction, which also sets ``schema_info.schema_version`` and, from migration 4 on (the one
   that creates the table), writes its row in ``schema_migrations``;
3. the copy is verified: its tables and columns are exactly those of a new database of this
   version, and every table of the original has as many rows as before;
4. the original is kept as ``<db>.before-upgrade-<old version>`` (owner-only), and the copy is moved
   into place atomically (``os.replace``). The next successful load deletes the kept original.

If anything fails, the copy is deleted and the live file is exactly as it was (same bytes, same
inode); the error names the migration and says what to do. A database already at this version is
left alone; one made by a *newer* release is refused (this release cannot read it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from pydantic import SecretStr

from etl import __version__
from etl.config import Settings, get_settings
from etl.errors import DatabaseError
from etl.store import migrations
from etl.store.crypto import database_key
from etl.store.db import _copy_owner_only, _remove_empty, attach, next_path, sql_literal, wal_path, write_lock
from etl.store.migrations import Migration
from etl.store.schema import SCHEMA_VERSION, create_tables

BACKUP_INFIX = ".before-upgrade-"
MEMORY_LIMIT = "1500MB"  # as a load (etl.store.db.open_for_write): field laptops are small


class SchemaTooNewError(DatabaseError):
    """The database was made by a newer release than this one: nothing was touched."""


class MigrationError(DatabaseError):
    """A migration failed on the copy: the database is unchanged."""

    def __init__(self, message: str, hint: str, migration: Migration) -> None:
        self.migration = migration
        super().__init__(message, hint)


@dataclass
class UpgradeResult:
    """What :func:`upgrade` did. ``applied`` is empty when the database was already current."""

    db_path: Path
    from_version: int
    to_version: int
    applied: list[Migration] = field(default_factory=list)
    backup: Path | None = None

    @property
    def message(self) -> str:
        if not self.applied:
            return f"{self.db_path} is already at schema version {self.to_version}; nothing to do."
        steps = ", ".join(f"{m.version} ({m.name})" for m in self.applied)
        return (f"Upgraded {self.db_path} from schema version {self.from_version} to {self.to_version} "
                f"(migrations {steps}). The previous file is kept as {self.backup}; the next successful "
                "load deletes it.")


def backup_path(db_path: Path, version: int) -> Path:
    """``<db>.before-upgrade-<version>``, where :func:`upgrade` keeps the original file.

    >>> backup_path(Path("data/access.duckdb"), 3)
    PosixPath('data/access.duckdb.before-upgrade-3')
    """
    return db_path.with_name(f"{db_path.name}{BACKUP_INFIX}{version}")


def backups(db_path: Path) -> list[Path]:
    """The originals kept by earlier upgrades of ``db_path``."""
    return sorted(db_path.parent.glob(f"{db_path.name}{BACKUP_INFIX}*"))


def remove_backups(db_path: Path) -> None:
    """Delete the kept originals: called once a load has published a new version of the upgraded file."""
    for path in backups(db_path):
        path.unlink(missing_ok=True)


def stored_version(con: duckdb.DuckDBPyConnection, shown: Path) -> int:
    """The schema version recorded in an open database; :class:`DatabaseError` when it has none."""
    try:
        row = con.execute("SELECT value FROM schema_info WHERE key = 'schema_version'").fetchone()
    except duckdb.CatalogException:
        row = None
    if not row or not str(row[0]).isdigit():
        raise DatabaseError(f"{shown} records no schema version: it was not made by this software.",
                            "Check the --db path; build a database with `python -m etl load FOLDER`.")
    return int(row[0])


def pending(from_version: int) -> list[Migration]:
    """The migrations that take a database at ``from_version`` to the latest version, in order."""
    return [m for m in migrations.registry() if m.version > from_version]


def read_version(db_path: Path, key: SecretStr | None = None) -> int:
    """The schema version of the database at ``db_path`` (opened read-only; default key: the configured one)."""
    key = key if key is not None else database_key()
    spill = db_path.with_name(db_path.name + ".tmp")
    made_spill = not spill.exists()
    con = attach(db_path, key, read_only=True)
    try:
        return stored_version(con, db_path)
    finally:
        con.close()
        if made_spill:
            _remove_empty(spill)  # leave nothing behind when there is nothing to do


def _columns(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
                       "WHERE table_schema = current_schema() AND table_catalog = current_database() "
                       "ORDER BY table_name, ordinal_position").fetchall()


def _counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = "
                                        "current_schema() AND table_catalog = current_database()").fetchall()]
    out = {}
    for table in tables:
        row = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()  # noqa: S608 - names from the catalog
        out[table] = int(row[0]) if row else 0
    return out


def verify(con: duckdb.DuckDBPyConnection, before: dict[str, int]) -> None:
    """The upgraded copy has exactly a new database's tables and columns, and no table lost or gained rows.

    ``schema_migrations`` and ``schema_info`` are the exceptions to the row check (migrations write them).
    """
    fresh = duckdb.connect(":memory:")
    try:
        create_tables(fresh)
        expected = _columns(fresh)
    finally:
        fresh.close()
    got = _columns(con)
    if got != expected:
        differ = sorted(set(got) ^ set(expected))[:5]
        raise RuntimeError(f"the upgraded tables differ from a new database's: {differ}")
    after = _counts(con)
    changed = {t: (n, after.get(t)) for t, n in before.items()
               if t not in ("schema_migrations", "schema_info") and after.get(t) != n}
    if changed:
        raise RuntimeError(f"row counts changed (before, after): {changed}")
    version = stored_version(con, Path("the upgraded copy"))
    if version != int(SCHEMA_VERSION):
        raise RuntimeError(f"the copy says schema version {version}, not {SCHEMA_VERSION}")


def _apply_one(con: duckdb.DuckDBPyConnection, m: Migration, applied_now: list[Migration]) -> None:
    """One migration in one transaction, with its version and (once the table exists) its record."""
    con.execute("BEGIN TRANSACTION")
    try:
        m.apply(con)
        con.execute("INSERT OR REPLACE INTO schema_info VALUES ('schema_version', ?)", [str(m.version)])
        if con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations' "
                       "AND table_schema = current_schema() AND table_catalog = current_database()"
                       ).fetchone() == (1,):
            # Steps applied earlier in this run, before the table existed, get their real row now.
            for done in [*applied_now, m]:
                migrations.record(con, done, __version__)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def upgrade(db_path: Path, key: SecretStr | None = None, *, settings: Settings | None = None) -> UpgradeResult:
    """Upgrade the database at ``db_path`` to this release's schema version, keeping the original beside it.

    :param db_path: the live database file.
    :param key: its encryption key; default: the configured one (:func:`etl.store.crypto.database_key`).
    :param settings: for the lock timeout and the key (default: the process settings).
    :raises SchemaTooNewError: the file was made by a newer release (nothing touched).
    :raises MigrationError: a migration failed (the live file is unchanged).

    >>> upgrade(Path("data/access.duckdb")).message  # doctest: +SKIP
    'Upgraded data/access.duckdb from schema version 3 to 4 (migrations 4 (migration_record)). ...'
    """
    settings = settings or get_settings()
    key = key if key is not None else database_key(settings)
    target = int(SCHEMA_VERSION)
    if not db_path.exists():
        raise DatabaseError(f"No database at {db_path}.", "Check the --db path (or ACCESS_DB).")
    with write_lock(db_path, settings.lock_timeout_s):
        current = read_version(db_path, key)
        if current == target:
            return UpgradeResult(db_path, current, target)
        if current > target:
            raise SchemaTooNewError(
                f"{db_path} has schema version {current}; this release of the software knows versions up to "
                f"{target}. Nothing was changed.",
                "Install the newer release that made it (a database cannot be downgraded).")
        steps = pending(current)
        work, work_wal = next_path(db_path), wal_path(next_path(db_path))
        for stale in (work, work_wal):
            stale.unlink(missing_ok=True)
        _copy_owner_only(db_path, work)
        if wal_path(db_path).exists():
            _copy_owner_only(wal_path(db_path), work_wal)
        applied: list[Migration] = []
        step: Migration | None = None
        try:
            con = attach(work, key, read_only=False, shown_as=db_path)
            try:
                con.execute(f"SET memory_limit = {sql_literal(MEMORY_LIMIT)}")
                before = _counts(con)
                for step in steps:
                    _apply_one(con, step, applied)
                    applied.append(step)
                step = None
                verify(con, before)
                con.execute("CHECKPOINT")
            finally:
                con.close()
            with open(work, "rb+") as fh:
                os.fsync(fh.fileno())
        except BaseException as exc:
            for path in (work, work_wal):
                path.unlink(missing_ok=True)
            _remove_empty(work.with_name(work.name + ".tmp"))
            if isinstance(exc, DatabaseError) and step is None:
                raise
            if not isinstance(exc, Exception):
                raise
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
            what = (f"Migration {step.version} ({step.name}) failed" if step
                    else "The upgraded copy failed its final check")
            raise MigrationError(
                f"{what}: {first}. {db_path} is unchanged (still schema version {current}).",
                "Keep using the release that made it, and report this with the output of "
                f"`python -m etl status --db {db_path}`.", step or steps[-1]) from exc
        _remove_empty(work.with_name(work.name + ".tmp"))
        backup = backup_path(db_path, current)
        keep = backup.with_name(backup.name + ".new")
        keep.unlink(missing_ok=True)
        try:
            os.link(db_path, keep)  # the original's bytes under a second name: nothing copied, nothing lost
        except OSError:
            _copy_owner_only(db_path, keep)  # a file system without hard links
        os.chmod(keep, 0o600)
        os.replace(keep, backup)
        if wal_path(db_path).exists():  # its last changes, not yet checkpointed (now part of the upgraded copy)
            _copy_owner_only(wal_path(db_path), wal_path(backup))
        os.replace(work, db_path)
        wal_path(db_path).unlink(missing_ok=True)
    return UpgradeResult(db_path, current, target, applied, backup)
