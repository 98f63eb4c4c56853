"""The dashboard's only door to the database: read-only, cached per data version.

The ETL publishes each new database version by renaming a finished copy over the live file
(see ``etl/db.py``), so a read-only connection held here never blocks a load. Connections are
kept per *data version* (inode + mtime of the file): when a load lands, the next rerun opens the
new version and query caches keyed on the version miss, so users see new data without restarting.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from etl.config import get_settings
from etl.db import connect_read, data_version, read_cursor


def db_path() -> Path:
    return get_settings().db


def current_version() -> tuple[int, int] | None:
    return data_version(db_path())


@st.cache_resource(max_entries=2, show_spinner=False)
def _connection(path: str, version: tuple[int, int]) -> duckdb.DuckDBPyConnection:
    return connect_read(Path(path))


@st.cache_data(max_entries=512, ttl=3600, show_spinner=False)
def _query(path: str, version: tuple[int, int], sql: str, params: tuple[object, ...]) -> pd.DataFrame:
    cursor = read_cursor(_connection(path, version))
    try:
        return cursor.execute(sql, list(params)).df()
    finally:
        cursor.close()


def query(sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
    """Run one read-only query with bound parameters; cached until the next load lands."""
    version = current_version()
    if version is None:
        raise FileNotFoundError(db_path())
    return _query(str(db_path()), version, sql, tuple(params))
