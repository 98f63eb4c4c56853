"""A real PostgreSQL for the warehouse tests: started once per test process, stopped at its end.

Nothing is skipped: without PostgreSQL's programs the tests fail, saying how to install them.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from etl.config import Settings
from etl.errors import ConfigError
from etl.store.pgserver import LocalPostgres, postgres_bin


@pytest.fixture(scope="session")
def local_postgres() -> Iterator[LocalPostgres]:
    """A throwaway PostgreSQL in a folder under /tmp (reachable by the `postgres` account when tests run as root)."""
    try:
        postgres_bin()
    except ConfigError as err:
        pytest.fail(f"{err} (`python3 tasks.py test` installs it)", pytrace=False)
    folder = Path(tempfile.mkdtemp(prefix="access-pg-", dir="/tmp"))
    try:
        with LocalPostgres(folder).running() as pg:
            yield pg
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def warehouse_settings(pg: LocalPostgres, name: str, folder: Path) -> Settings:
    """Settings for a new, empty warehouse: its own PostgreSQL database ``name`` and data folder."""
    return Settings(warehouse=SecretStr(pg.new_database(name)), warehouse_data=folder / "lake",
                    db=folder / "unused.duckdb")
