"""The scope's hiding rule comes from the log column declarations (etl/logs/columns.py), not a hand list.

A column of ``engagements`` that holds a log column declared confidential is NULL in the pseudonymised
(``hq``, no region granted) view and in clear for a coordinator of the row's region; one not declared
confidential is in clear for both. Real DuckDB: one row loaded through the normal path.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from dashboard.db.scope import ensure_scope
from etl.accounts.roles import scope_for
from etl.logs import columns
from etl.logs.columns import NAMES, NOTES, Column, confidential_columns
from tests.conftest import row, write_csv

# Every confidential column must hold a value in the loaded row, so that NULL in the hq view means hidden.
LOGGED = row(intermediary="Sheikh Ali", notes="Convoy passed after two hours.")


@pytest.fixture
def loaded_db(tmp_path: Path, load: Callable[..., object], settings) -> Path:  # type: ignore[no-untyped-def]
    load(write_csv(tmp_path / "log.csv", [LOGGED]))
    return Path(settings.db)


def _view(db: Path, role: str, regions: tuple[str, ...], column: str) -> list[object]:
    con = duckdb.connect()
    try:
        path = str(db).replace("'", "''")  # a tmp_path of the test, quoted as an SQL string
        con.execute(f"ATTACH '{path}' AS access (READ_ONLY)")
        schema = ensure_scope(con, scope_for(role, regions), "test-salt")
        return [v for (v,) in con.execute(f"SELECT {column} FROM {schema}.engagements").fetchall()]
    finally:
        con.close()


def _region(db: Path) -> str:
    con = duckdb.connect(str(db), read_only=True)
    try:
        (region,) = con.execute("SELECT DISTINCT region FROM engagements").fetchone()  # type: ignore[misc]
        return str(region)
    finally:
        con.close()


def test_the_declared_confidential_columns_of_engagements():
    # A change here is a change of who sees what: review it with the scope oracle's rules.
    assert {col: c.confidential for col, c in confidential_columns("engagements").items()} == {
        "counterpart_name": NAMES, "intermediary": NAMES, "notes": NOTES}


@pytest.mark.parametrize("column", sorted(confidential_columns("engagements")))
def test_confidential_column_hidden_from_hq_and_shown_to_coordinator(loaded_db: Path, column: str):
    region = _region(loaded_db)
    assert _view(loaded_db, "coordinator", (region,), column)[0] is not None
    assert _view(loaded_db, "hq", (), column) == [None]
    assert _view(loaded_db, "hq", (region,), column)[0] is not None  # hq in clear in its granted regions


@pytest.mark.parametrize("kind", [NAMES, NOTES])
def test_a_newly_declared_confidential_column_is_hidden_without_editing_scope(
        loaded_db: Path, monkeypatch: pytest.MonkeyPatch, kind: str):
    con = duckdb.connect(str(loaded_db))
    try:
        con.execute("ALTER TABLE engagements ADD COLUMN escort_commander VARCHAR")
        con.execute("UPDATE engagements SET escort_commander = 'Capt. Test'")
    finally:
        con.close()
    region = _region(loaded_db)
    # Not declared: in clear for everyone (so the assertions below can fail).
    assert _view(loaded_db, "hq", (), "escort_commander") == ["Capt. Test"]
    declared = Column("escort_commander", "Who commanded the escort.", confidential=kind,
                      stored=("engagements.escort_commander",))
    monkeypatch.setattr(columns, "COLUMNS", (*columns.COLUMNS, declared))
    assert _view(loaded_db, "hq", (), "escort_commander") == [None]
    assert _view(loaded_db, "coordinator", (region,), "escort_commander") == ["Capt. Test"]
