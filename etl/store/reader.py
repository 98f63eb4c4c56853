"""The readers' one door, in either mode: the database file, or the warehouse when ``ACCESS_WAREHOUSE`` is set.

The dashboard (``dashboard/db/connection.py``), ``python -m etl status``, ``alerts`` and ``snapshot``
read through here. On the file it is :func:`etl.store.db.connect_read` and the file's inode and
modification time (:func:`etl.store.db.data_version`); in the warehouse it is a read-only DuckLake
connection ATTACHed as ``access`` at a snapshot, and the latest snapshot's id
(:mod:`etl.store.lake_read`). Either way the connection has the same tables under the same names,
so the scoped views (``dashboard/db/scope.py``) and every page's queries run on it unchanged.
"""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import duckdb

from etl.config import Settings, get_settings
from etl.store import db, lake_read


def data_version(db_path: Path, *, settings: Settings | None = None) -> tuple[int, int] | None:
    """A value that changes whenever a load publishes a new version: the dashboard keys its caches on it.

    On the file, its inode and modification time (None when there is no database yet); in the
    warehouse, ``(0, latest snapshot id)``, at most :data:`etl.store.lake_read.VERSION_TTL_S` seconds old.
    """
    settings = settings or get_settings()
    if settings.warehouse is not None:
        return (0, lake_read.latest_snapshot(settings))
    return db.data_version(db_path)


def connect_read(db_path: Path, *, settings: Settings | None = None,
                 version: tuple[int, int] | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection with the data ATTACHed as ``access`` and in use. Close it when done.

    :param version: in the warehouse, the :func:`data_version` to read (the connection is pinned at that
        snapshot and never sees a later load); default the latest. On the file, always the live file.
    """
    settings = settings or get_settings()
    if settings.warehouse is not None:
        return lake_read.connect_read(settings, None if version is None else version[1])
    return db.connect_read(db_path, settings=settings)


def reading(db_path: Path, *, settings: Settings | None = None) -> closing[duckdb.DuckDBPyConnection]:
    """:func:`connect_read` for a ``with`` block: the connection is closed at its end."""
    return closing(connect_read(db_path, settings=settings))
