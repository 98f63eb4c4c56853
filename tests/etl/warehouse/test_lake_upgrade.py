"""``python -m etl upgrade`` on a warehouse of the previous schema (a real PostgreSQL): upgraded in place, in one commit.

The warehouse of schema 6 is made the way the last release made it: this release's warehouse without what
migration 7 added (``loads.pulled_from``, ``sync_decisions``, ``sync_conflicts``), at version 6. Oracles:
the columns of a warehouse created new by ``warehouse init`` (not the upgrade's own check), and every row
read before the upgrade.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from etl.accounts import audit
from etl.cli.main import main
from etl.config import Settings
from etl.intake import load_paths
from etl.store import warehouse
from etl.store.migrations import m0007_sync_pull
from etl.store.pgserver import LocalPostgres
from etl.store.schema import SCHEMA_VERSION
from tests.conftest import row, write_csv
from tests.etl.warehouse.conftest import warehouse_settings
from tests.etl.warehouse.tables import column_types, rows_of, user_tables
from tests.etl.warehouse.test_readers import in_mode  # noqa: F401 - a fixture

COLUMNS = ("SELECT table_name, column_name, data_type, is_nullable FROM duckdb_columns() "
           "WHERE database_name = current_database() ORDER BY table_name, column_index")
AS_SCHEMA_6 = """
BEGIN TRANSACTION;
ALTER TABLE loads DROP COLUMN pulled_from;
DROP TABLE sync_decisions;
DROP TABLE sync_conflicts;
UPDATE schema_info SET value = '6' WHERE key = 'schema_version';
DELETE FROM schema_migrations WHERE version = 7;
COMMIT;
"""


def columns(settings: Settings) -> list[tuple]:
    with warehouse.reading(settings) as con:
        return con.execute(COLUMNS).fetchall()


def everything(settings: Settings) -> dict[str, object]:
    with warehouse.reading(settings) as con:
        return {t: rows_of(con, t, column_types(con, t)) for t in user_tables(con)
                if t not in ("schema_migrations", "schema_info", *warehouse.LAKE_ONLY_TABLES)}


@pytest.fixture(scope="module")
def new_columns(local_postgres: LocalPostgres, tmp_path_factory: pytest.TempPathFactory) -> list[tuple]:
    """The columns of a warehouse this release creates."""
    settings = warehouse_settings(local_postgres, "fresh7", tmp_path_factory.mktemp("fresh"))
    warehouse.init(settings)
    return columns(settings)


@pytest.fixture()
def at_six(local_postgres: LocalPostgres, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """A warehouse of schema 6 holding two loads."""
    settings = warehouse_settings(local_postgres, f"six_{request.node.name[-30:].lower()}", tmp_path)
    warehouse.init(settings)
    for n in range(2):
        log = write_csv(tmp_path / f"log{n}.csv", [row(engagement_id=f"U{n}-{i}", date=f"2025-05-{1 + i:02d}")
                                                   for i in range(4)])
        assert [r.status for r in load_paths([log], settings.db, settings=settings, places=False)] == ["loaded"]
    with warehouse.connect(settings) as con:
        con.execute(AS_SCHEMA_6)
    return settings


def test_a_warehouse_of_the_last_schema_is_upgraded_in_place_keeping_every_row(
        at_six: Settings, new_columns: list[tuple], in_mode: Callable[[Settings], None],  # noqa: F811
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    settings = at_six
    before, old_columns = everything(settings), columns(settings)
    assert old_columns != new_columns and ("loads", "pulled_from", "VARCHAR", True) not in old_columns
    in_mode(settings)
    assert main(["load", str(write_csv(tmp_path / "late.csv", [row(engagement_id="L-1")]))]) == 1  # refused
    assert "schema version 6; this release needs 7" in capsys.readouterr().err
    assert main(["upgrade"]) == 0
    assert capsys.readouterr().out.startswith(f"Upgraded the warehouse from schema version 6 to {SCHEMA_VERSION} "
                                              "(migrations 7 (sync_pull)), in one commit")
    assert columns(settings) == new_columns  # a new warehouse's tables and columns, in the same order
    after = everything(settings)
    assert {t: v for t, v in after.items() if t not in ("loads", "sync_decisions", "sync_conflicts")} == \
           {t: v for t, v in before.items() if t != "loads"}
    assert sum(after["loads"].values()) == 2 and not after["sync_decisions"] and not after["sync_conflicts"]
    with warehouse.reading(settings) as con:
        assert con.execute("SELECT count(*) FILTER (pulled_from IS NULL), count(*) FROM loads").fetchone() == (2, 2)
        assert con.execute("SELECT value FROM schema_info").fetchall() == [(SCHEMA_VERSION,)]
        assert con.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()[-1] == (7,)
    assert main(["load", str(tmp_path / "late.csv")]) == 0  # loads go on, on the new schema
    assert main(["upgrade"]) == 0 and "already at schema version" in capsys.readouterr().out
    events = [e for e in audit.read(settings).to_dict("records") if e["action"] == "upgrade"]
    assert len(events) == 1 and '"from_version":6' in events[0]["detail"].replace(" ", "")


def test_a_migration_without_a_warehouse_form_or_one_that_fails_changes_nothing(
        at_six: Settings, in_mode: Callable[[Settings], None],  # noqa: F811
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    settings = at_six
    before, old_columns = everything(settings), columns(settings)
    in_mode(settings)
    monkeypatch.setattr(m0007_sync_pull, "apply_lake", None)
    assert main(["upgrade"]) == 1
    err = capsys.readouterr().err
    assert "migration(s) 7 (sync_pull) cannot run on a warehouse" in err and err.count("\n") == 1

    def half_then_fails(con: duckdb.DuckDBPyConnection) -> None:  # the first statement runs, the next fails
        con.execute("ALTER TABLE loads ADD COLUMN pulled_from VARCHAR")
        con.execute("CREATE TABLE sync_decisions (x INTEGER)")
        con.execute("SELECT * FROM no_such_table")

    monkeypatch.setattr(m0007_sync_pull, "apply_lake", half_then_fails)
    assert main(["upgrade"]) == 1
    err = capsys.readouterr().err
    assert "The database refused the upgrade from schema version 6 to 7" in err and "Traceback" not in err
    assert columns(settings) == old_columns and everything(settings) == before
    with warehouse.reading(settings) as con:
        assert con.execute("SELECT value FROM schema_info").fetchall() == [("6",)]
