"""The dashboard's only door to the database: read-only, cached per data version.

The ETL publishes each new database version by renaming a finished copy over the live file
(see ``etl/store/db.py``), so a read-only connection held here never blocks a load. Connections are
kept per *data version* (inode + mtime of the file): when a load lands, the next rerun opens the
new version and query caches keyed on the version miss, so users see new data without restarting.
With ``ACCESS_WAREHOUSE`` set, the data version is the warehouse's latest DuckLake snapshot (asked of
the catalog at most every :data:`etl.store.lake_read.VERSION_TTL_S` seconds) and each connection is
pinned at its snapshot, so every replica sees a new load within seconds, whole or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from dashboard.db.scope import ensure_scope, scope_key
from dashboard.db.scope import pseudonym_salt as scope_salt
from etl.accounts.roles import Scope
from etl.config import get_settings
from etl.store.reader import connect_read, data_version


def db_path() -> Path:
    return get_settings().db


def data_label() -> str:
    """What the data is, in the sidebar: the database file's name, or the warehouse (never its URL: a password)."""
    return "the shared warehouse" if get_settings().warehouse is not None else f"`{db_path().name}`"


def current_version() -> tuple[int, int] | None:
    return data_version(db_path())


@st.cache_resource(max_entries=2, show_spinner=False)
def _connection(path: str, version: tuple[int, int]) -> duckdb.DuckDBPyConnection:
    return connect_read(Path(path), version=version)  # the warehouse: pinned at that snapshot


def pseudonym_salt() -> str:
    """The secret that keys counterpart pseudonyms, beside the database (:func:`dashboard.db.scope.pseudonym_salt`)."""
    return scope_salt(db_path())


@st.cache_data(max_entries=1024, ttl=3600, show_spinner=False)
def _query(path: str, version: tuple[int, int], scope_name: str, _scope: Scope, sql: str,
           params: tuple[object, ...]) -> pd.DataFrame:
    # ``scope_name`` (a hash of the scope) is in the cache key; the scope object itself is not hashed.
    con = _connection(path, version)
    search_path = ensure_scope(con, _scope, pseudonym_salt())
    cursor = con.cursor()
    try:
        cursor.execute(f"SET search_path = '{search_path}'")  # a generated schema name, never user text
        return cursor.execute(sql, list(params)).df()
    finally:
        cursor.close()


def query_as(scope: Scope, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
    """Run one read-only query as a user with ``scope`` sees the data; cached until the next load lands."""
    version = current_version()
    if version is None:
        raise FileNotFoundError(db_path())
    return _query(str(db_path()), version, scope_key(scope), scope, sql, tuple(params))


def query(sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
    """Run one read-only query with bound parameters, within the signed-in user's scope.

    Every page, download and brief reads the data through here; without a signed-in user it
    refuses (:class:`dashboard.session.auth.NotSignedIn`).
    """
    from dashboard.session.auth import current_scope

    return query_as(current_scope(), sql, params)
