"""The warehouse mode (DuckLake, catalog in a real PostgreSQL): init, a load, three loads at once.

The oracle is the embedded mode: the same files loaded into a DuckDB file must give the same rows,
table by table, as multisets (tests/etl/warehouse/tables.py reads both with plain SELECTs).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from etl.config import Settings
from etl.demo.build import write_demo_logs
from etl.errors import AccessDataError
from etl.intake import load_paths
from etl.store import warehouse
from etl.store.db import reading
from etl.store.loads import retrying, transaction
from etl.store.pgserver import LocalPostgres
from etl.store.schema import ensure_schema, primary_keys
from tests.etl.warehouse.conftest import warehouse_settings
from tests.etl.warehouse.tables import column_types, rows_of, user_tables

REPO = Path(__file__).resolve().parents[3]
# A negotiation log of each format, and a public feed of each kind of table (incidents, conflict events).
FILES = ("demo_bfa_access_log.csv", "demo_afg_access_log.xlsx", "demo_irq_access_log.json",
         "demo_awsd_incidents.csv", "demo_acled_events.csv")


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("logs")
    return {p.name: p for p in write_demo_logs(folder, rows=3000)}


@pytest.fixture(scope="module")
def loaded(local_postgres: LocalPostgres, demo_files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
           ) -> tuple[Path, Settings]:
    """The same files loaded into a DuckDB file and into a new warehouse, each in one command."""
    folder = tmp_path_factory.mktemp("oracle")
    paths = [demo_files[n] for n in FILES]
    file_db = folder / "embedded.duckdb"
    assert all(r.status == "loaded" for r in load_paths(paths, file_db, settings=Settings(db=file_db)))
    settings = warehouse_settings(local_postgres, "oracle", folder)
    warehouse.init(settings)
    results = load_paths(paths, settings.db, settings=settings)
    assert [r.status for r in results] == ["loaded"] * len(FILES), [r.message for r in results]
    return file_db, settings


def test_init_makes_the_embedded_schema_without_its_keys(local_postgres: LocalPostgres, tmp_path: Path) -> None:
    settings = warehouse_settings(local_postgres, "init", tmp_path)
    for _ in range(2):  # nothing there yet (no data folder, then no catalog): the error says what to run
        with pytest.raises(AccessDataError, match="python -m etl warehouse init"):
            load_paths([REPO / "README.md"], settings.db, settings=settings)
        (tmp_path / "lake").mkdir(exist_ok=True)
    assert settings.warehouse is not None
    url = settings.warehouse.get_secret_value()
    wrong = Settings(warehouse=url.replace(f":{local_postgres.password}@", ":not-it@"), warehouse_data=tmp_path / "lake")
    with pytest.raises(AccessDataError, match="Check ACCESS_WAREHOUSE") as refused:
        warehouse.init(wrong)
    assert "not-it" not in str(refused.value) and local_postgres.password not in str(refused.value)
    assert warehouse.init(settings).startswith("created")
    file_db = tmp_path / "fresh.duckdb"
    con = duckdb.connect(str(file_db))
    ensure_schema(con)  # a new database file, as the first load makes it
    columns = ("SELECT table_name, column_name, data_type, is_nullable FROM duckdb_columns() WHERE database_name = "
               "current_database() AND table_name NOT IN ('warehouse_commits', 'warehouse_secrets') ORDER BY ALL")
    keys = ("SELECT count(*) FROM duckdb_constraints() WHERE database_name = current_database() "
            "AND constraint_type = 'PRIMARY KEY'")
    embedded = [(t, c, warehouse.LAKE_TYPES.get(kind, kind), n) for t, c, kind, n in con.execute(columns).fetchall()]
    assert ("engagements", "row_hash", "VARCHAR", False) in embedded  # a UHUGEINT in the file
    reference = {t: rows_of(con, t) for t in ("vocabulary", "obstacle_categories", "schema_info", "schema_migrations")}
    embedded_keys = con.execute(keys).fetchone()
    con.close()
    assert embedded_keys and embedded_keys[0] == len(primary_keys()) > 10
    for attempt in range(2):  # init twice: the second changes nothing
        with warehouse.reading(settings) as lake:
            assert lake.execute(columns).fetchall() == embedded
            assert lake.execute(keys).fetchone() == (0,)  # DuckLake has no keys: replaced by key in insert_rows
            for table, rows in reference.items():
                assert rows_of(lake, table) == rows, table
        if attempt == 0:
            assert "already" in warehouse.init(settings)


def test_a_load_into_the_warehouse_has_the_rows_of_the_same_load_into_a_file(
        loaded: tuple[Path, Settings]) -> None:
    file_db, settings = loaded
    with reading(file_db, settings=Settings(db=file_db)) as con:
        tables = user_tables(con)
        expected = {t: rows_of(con, t) for t in tables}
        types = {t: column_types(con, t) for t in tables}
    assert len(expected["engagements"]) > 500 and len(expected["incidents"]) > 20
    with warehouse.reading(settings) as lake:
        assert user_tables(lake) == sorted([*tables, *warehouse.LAKE_ONLY_TABLES])
        for table in tables:
            got = rows_of(lake, table, types[table])
            assert got == expected[table], (table, list((got - expected[table]).items())[:3],
                                            list((expected[table] - got).items())[:3])


def test_the_same_files_again_add_nothing(loaded: tuple[Path, Settings], demo_files: dict[str, Path]) -> None:
    _, settings = loaded
    with warehouse.reading(settings) as lake:
        before = {t: rows_of(lake, t) for t in user_tables(lake) if t != warehouse.COMMIT_TOKEN}
    results = load_paths([demo_files[FILES[0]]], settings.db, settings=settings)
    assert [r.status for r in results] == ["already_loaded"]
    with warehouse.reading(settings) as lake:
        assert {t: rows_of(lake, t) for t in before} == before


LOOK = """
SELECT load_id, sum(l)::INT, sum(e)::INT, sum(i)::INT FROM (
    SELECT load_id, 1 AS l, 0 AS e, 0 AS i FROM loads
    UNION ALL SELECT load_id, 0, 1, 0 FROM engagements
    UNION ALL SELECT load_id, 0, 0, 1 FROM incidents) GROUP BY load_id
"""


def look(con: duckdb.DuckDBPyConnection) -> dict[int, tuple[int, int, int]]:
    """Per load id: its ``loads`` rows, engagements and incidents, as one snapshot of the warehouse shows them."""
    return {r[0]: (r[1], r[2], r[3]) for r in con.execute(LOOK).fetchall()}


def watch_while(settings: Settings, done: Callable[[], bool]) -> list[dict[int, tuple[int, int, int]]]:
    """Look at the warehouse again and again until ``done()`` (each look one snapshot)."""
    looks = []
    with warehouse.reading(settings) as con:
        while not done() or not looks:
            looks.append(look(con))
            time.sleep(0.05)
    return looks


def test_three_loaders_at_once_all_commit_without_duplicates(
        local_postgres: LocalPostgres, demo_files: dict[str, Path], tmp_path: Path) -> None:
    settings = warehouse_settings(local_postgres, "three", tmp_path)
    warehouse.init(settings)
    # Two logs and a feed: the logs also conflict through the counterparts they update; the feed only appends.
    files = [demo_files[n] for n in ("demo_yem_access_log.csv", "demo_syr_access_log.csv", "demo_awsd_incidents.csv")]
    assert settings.warehouse is not None
    env = {**os.environ, "PYTHONPATH": str(REPO), "ACCESS_WAREHOUSE": settings.warehouse.get_secret_value(),
           "ACCESS_WAREHOUSE_DATA": str(settings.warehouse_data), "TMPDIR": str(tmp_path)}
    loaders = [subprocess.Popen([sys.executable, "-m", "etl", "load", "--quiet", str(f), "--db",
                                 str(tmp_path / f"office{i}" / "x.duckdb")], cwd=REPO, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for i, f in enumerate(files)]
    looks = watch_while(settings, lambda: all(p.poll() is not None for p in loaders))
    outputs = [p.communicate(timeout=300) for p in loaders]
    for p, (out, err) in zip(loaders, outputs, strict=True):
        assert p.returncode == 0 and not err.strip(), (out, err)
        assert out.startswith("loaded"), out
    with warehouse.reading(settings) as lake:
        order = [r[0] for r in lake.execute("SELECT source_path FROM loads ORDER BY load_id").fetchall()]
        assert sorted(order) == sorted(map(str, files))  # one loads row each, load ids 1, 2, 3
        assert [r[0] for r in lake.execute("SELECT load_id FROM loads ORDER BY 1").fetchall()] == [1, 2, 3]
        final = look(lake)
    # A reader saw each load entirely (its loads row and all its rows) or not at all, never part of one.
    assert len(looks) > 3 and all(final[k] == v for seen in looks for k, v in seen.items()), (final, looks)
    # Oracle: the same files loaded one after the other, in the order the warehouse committed them.
    file_db = tmp_path / "embedded.duckdb"
    load_paths([Path(p) for p in order], file_db, settings=Settings(db=file_db))
    with reading(file_db, settings=Settings(db=file_db)) as con:
        expected = {t: rows_of(con, t) for t in user_tables(con)}
        types = {t: column_types(con, t) for t in expected}
    with warehouse.reading(settings) as lake:
        got = {t: rows_of(lake, t, types.get(t)) for t in user_tables(lake) if t not in warehouse.LAKE_ONLY_TABLES}
    assert got.keys() == expected.keys()
    for table, rows in expected.items():
        assert got[table] == rows, (table, list((got[table] - rows).items())[:3], list((rows - got[table]).items())[:3])
    assert max(Counter(r[0] for r in got["engagements"]).values()) == 1  # engagement ids: no duplicates


def test_rows_loaded_before_from_another_file_are_duplicates_in_both_modes(
        loaded: tuple[Path, Settings], demo_files: dict[str, Path], tmp_path: Path) -> None:
    file_db, settings = loaded
    again = tmp_path / "bfa_again.csv"  # the same rows, another file (its bytes differ by a last empty line)
    again.write_bytes(demo_files[FILES[0]].read_bytes() + b"\n")
    embedded = load_paths([again], file_db, settings=Settings(db=file_db))[0]
    lake = load_paths([again], settings.db, settings=settings)[0]
    assert embedded.rows_duplicate > 200 and embedded.rows_loaded == 0
    assert ((lake.status, lake.rows_read, lake.rows_loaded, lake.rows_duplicate, lake.rows_rejected)
            == (embedded.status, embedded.rows_read, embedded.rows_loaded, embedded.rows_duplicate,
                embedded.rows_rejected))


def test_a_transaction_that_loses_the_race_runs_again_and_says_so_when_it_keeps_losing(
        loaded: tuple[Path, Settings]) -> None:
    _, settings = loaded
    other, mine = warehouse.connect(settings), warehouse.connect(settings)
    attempts: list[int] = []

    def write(losses: int) -> str:
        with transaction(mine, "the test"):
            attempts.append(1)
            if len(attempts) <= losses:  # another writer commits while this transaction is open
                other.execute("BEGIN TRANSACTION")
                other.execute(warehouse.TAKE_TOKEN)
                other.execute("COMMIT")
        return "committed"

    try:
        assert retrying(lambda: write(2), retries=3) == "committed" and len(attempts) == 3
        attempts.clear()
        with pytest.raises(AccessDataError, match="committed first 2 times in a row. Run the same command again"):
            retrying(lambda: write(5), retries=2)
        assert len(attempts) == 2
    finally:
        other.close()
        mine.close()


def test_a_loader_killed_half_way_leaves_whole_loads_and_the_next_run_finishes(
        local_postgres: LocalPostgres, demo_files: dict[str, Path], tmp_path: Path) -> None:
    settings = warehouse_settings(local_postgres, "killed", tmp_path)
    warehouse.init(settings)
    files = [str(demo_files[n]) for n in FILES[:3]]
    assert settings.warehouse is not None
    env = {**os.environ, "PYTHONPATH": str(REPO), "ACCESS_WAREHOUSE": settings.warehouse.get_secret_value(),
           "ACCESS_WAREHOUSE_DATA": str(settings.warehouse_data), "TMPDIR": str(tmp_path)}
    command = [sys.executable, "-m", "etl", "load", "--quiet", *files, "--db", str(tmp_path / "x.duckdb")]
    loader = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with warehouse.reading(settings) as lake:  # killed (SIGKILL) as soon as its first file is committed
        while not lake.execute("SELECT count(*) FROM loads").fetchone() == (1,) and loader.poll() is None:
            time.sleep(0.02)
    loader.kill()
    loader.wait(timeout=60)
    with warehouse.reading(settings) as lake:
        kept = look(lake)
        recorded = dict(lake.execute("SELECT load_id, rows_loaded FROM loads").fetchall())
    assert kept and all(kept[k] == (1, recorded[k], 0) for k in kept), kept  # each load whole, none in part
    assert len(recorded) < len(files), "the loader finished before it was killed"
    again = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.count("already loaded as load") == len(recorded), again.stdout
    file_db = tmp_path / "embedded.duckdb"
    load_paths([Path(f) for f in files], file_db, settings=Settings(db=file_db))
    with reading(file_db, settings=Settings(db=file_db)) as con:
        expected = {t: rows_of(con, t) for t in ("engagements", "counterparts", "counterpart_aliases", "checkpoints")}
        types = {t: column_types(con, t) for t in expected}
    with warehouse.reading(settings) as lake:
        for table, rows in expected.items():
            assert rows_of(lake, table, types[table]) == rows, table
