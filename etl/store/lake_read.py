"""Reading the warehouse: its data version (the latest DuckLake snapshot), pinned readers, the shared salt.

The file mode publishes a new version by renaming a finished copy over the live file, and readers key
their caches on the file's inode and modification time (:func:`etl.store.db.data_version`). In the
warehouse every committed load is a new DuckLake *snapshot*, numbered in order, so the data version is
the latest snapshot's id, and a reader opened for a version is ATTACHed at that snapshot
(``SNAPSHOT_VERSION``): it keeps reading exactly that version, whole, while loads commit, and the
next version is read by a new connection, so a dashboard replica sees a new load without a restart.

Asking for the latest snapshot is one small query to the catalog (PostgreSQL) on a connection this
process keeps open; its answer is kept for :data:`VERSION_TTL_S` seconds, so a page that asks many
times in one rerun asks the catalog once, and a load is seen at most that long after its commit.
"""

from __future__ import annotations

import threading
import time

import duckdb

from etl.config import Settings
from etl.errors import DatabaseError
from etl.store import lake_secrets, warehouse
from etl.store.db import ALIAS

# How long the latest snapshot id is trusted before the catalog is asked again (seconds).
VERSION_TTL_S = 2.0
LATEST = f"SELECT max(snapshot_id) FROM ducklake_snapshots('{ALIAS}')"  # noqa: S608 - a constant

_lock = threading.Lock()
# Per warehouse (catalog and data folder): the connection that asks for the latest snapshot, when it
# last asked, and the answer.
_probes: dict[tuple[str, str], tuple[duckdb.DuckDBPyConnection, float, int]] = {}
_salts: dict[tuple[str, str], str] = {}


def _key(settings: Settings) -> tuple[str, str]:
    assert settings.warehouse is not None  # noqa: S101 - callers check warehouse.enabled first
    return settings.warehouse.get_secret_value(), str(warehouse.data_folder(settings))


def latest_snapshot(settings: Settings, *, now: float | None = None) -> int:
    """The id of the warehouse's latest snapshot (its data version), at most :data:`VERSION_TTL_S` old."""
    key = _key(settings)
    clock = time.monotonic() if now is None else now
    with _lock:
        probe = _probes.get(key)
        if probe is not None and clock - probe[1] < VERSION_TTL_S:
            return probe[2]
        con = probe[0] if probe is not None else warehouse.connect(settings, read_only=True)
        try:
            row = con.execute(LATEST).fetchone()
        except duckdb.Error as exc:  # the catalog restarted or the link dropped: a new connection next time
            con.close()
            _probes.pop(key, None)
            raise DatabaseError(f"Cannot ask the warehouse for its latest version: {str(exc).splitlines()[0][:200]}",
                                "Check that the warehouse's PostgreSQL runs, then reload the page.") from None
        _probes[key] = (con, clock, int(row[0]) if row and row[0] is not None else 0)
        return _probes[key][2]


def forget_latest(settings: Settings) -> None:
    """Ask the catalog afresh at the next :func:`latest_snapshot`: this process just committed (a decision
    taken on a dashboard page is then shown by the page's rerun, not up to :data:`VERSION_TTL_S` later)."""
    with _lock:
        probe = _probes.get(_key(settings))
        if probe is not None:
            _probes[_key(settings)] = (probe[0], float("-inf"), probe[2])


def connect_read(settings: Settings, snapshot: int | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the warehouse at ``snapshot`` (default: the latest). Close it when done."""
    return warehouse.connect(settings, read_only=True,
                             snapshot=latest_snapshot(settings) if snapshot is None else snapshot)


def pseudonym_salt(settings: Settings) -> str:
    """The salt of counterpart pseudonyms, kept in the warehouse (:mod:`etl.store.lake_secrets`); read once."""
    key = _key(settings)
    with _lock:
        if key in _salts:
            return _salts[key]
    latest_snapshot(settings)  # the connection that asks for versions (opened once per process) reads it too
    with _lock:
        probe = _probes.get(key)
        con = probe[0] if probe is not None else warehouse.connect(settings, read_only=True)
        try:
            salt = lake_secrets.pseudonym_salt(con)
        finally:
            if probe is None:  # gone meanwhile (the catalog dropped it): the one opened here
                con.close()
        return _salts.setdefault(key, salt)
