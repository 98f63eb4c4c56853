"""``python -m etl warehouse maintain`` on a real warehouse after many small loads, and ``upgrade`` there.

``upgrade`` on a warehouse at this release's schema says so; one made by a newer release is refused, saying
what to do, and nothing changes (an older one is upgraded: tests/etl/warehouse/test_lake_upgrade.py).

Oracle: the rows written to the small logs, counted here in plain Python; the data files counted on disk.
A reader pinned to a snapshot before the maintenance keeps reading it, whole.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from etl.accounts import audit
from etl.cli.main import main
from etl.config import Settings, get_settings
from etl.intake import load_paths
from etl.store import lake_read, warehouse
from etl.store.pgserver import LocalPostgres
from etl.store.schema import SCHEMA_VERSION
from tests.conftest import row, write_csv
from tests.etl.warehouse.conftest import warehouse_settings
from tests.etl.warehouse.test_readers import in_mode  # noqa: F401 - a fixture

LOADS = 5  # small loads, each its own files (and snapshot)
COUNT = "SELECT count(*), count(DISTINCT counterpart_id) FROM engagements"


def _logs(folder: Path) -> tuple[list[Path], tuple[int, int]]:
    """Small logs of a few rows each; what they hold, counted here: (engagements, distinct counterparts)."""
    paths, names = [], set()
    for n in range(LOADS):
        rows = [row(engagement_id=f"M{n}-{i}", counterpart=f"Commander Number{n}x{i % 2}",
                    date=f"2025-04-{1 + n:02d}") for i in range(3)]
        names |= {r["counterpart"] for r in rows}
        paths.append(write_csv(folder / f"log{n}.csv", rows))
    return paths, (3 * LOADS, len(names))


def _parquet_files(settings: Settings) -> int:
    return sum(1 for _ in warehouse.data_folder(settings).rglob("*.parquet"))


@pytest.fixture(scope="module")
def many_loads(local_postgres: LocalPostgres, tmp_path_factory: pytest.TempPathFactory
               ) -> tuple[Settings, tuple[int, int]]:
    folder = tmp_path_factory.mktemp("maintain")
    settings = warehouse_settings(local_postgres, "maintain", folder)
    warehouse.init(settings)
    paths, expected = _logs(folder)
    for path in paths:  # one command each: each commits its own small files
        assert [r.status for r in load_paths([path], settings.db, settings=settings, places=False)] == ["loaded"]
    return settings, expected


def test_maintain_merges_small_files_keeps_the_data_and_a_pinned_reader_works(
        many_loads: tuple[Settings, tuple[int, int]], in_mode: Callable[[Settings], None],  # noqa: F811
        capsys: pytest.CaptureFixture[str]) -> None:
    settings, expected = many_loads
    pinned = lake_read.connect_read(settings, lake_read.latest_snapshot(settings, now=0.0))
    try:
        assert pinned.execute(COUNT).fetchone() == expected
        on_disk = _parquet_files(settings)
        in_mode(settings)
        assert main(["warehouse", "maintain"]) == 0  # the default margin: 7 days
        out = capsys.readouterr().out
        before, after = (int(n.replace(",", "")) for n in out.split("Data files in use: ")[1].split(" after")[0]
                         .replace(" before,", "").split())
        assert after < before and int(out.split("small files merged: ")[1].split()[0]) > 0
        # The merged files are encrypted as the loads' were (Parquet's encrypted footer, "PARE").
        assert {f.read_bytes()[-4:] for f in warehouse.data_folder(settings).rglob("*.parquet")} == {b"PARE"}
        # Again: the files the first run replaced were scheduled for deletion seconds ago, inside the margin.
        assert main(["warehouse", "maintain"]) == 0
        assert _parquet_files(settings) >= on_disk  # nothing deleted yet: younger than the margin
        assert pinned.execute(COUNT).fetchone() == expected  # the reader pinned before still reads its snapshot
        with warehouse.reading(settings) as con:
            assert con.execute(COUNT).fetchone() == expected
        # With no margin the replaced files go from the disk; the data stays.
        assert main(["warehouse", "maintain", "--older-than", "0"]) == 0
        assert _parquet_files(settings) < on_disk
        with warehouse.reading(settings) as con:
            assert con.execute(COUNT).fetchone() == expected
            assert con.execute("SELECT sum(engagements) FROM engagement_months").fetchone() == (expected[0],)
        trail = audit.read(get_settings(), action="warehouse_maintain")  # newest first
        assert [json.loads(d)["older_than_days"] for d in trail["detail"]] == [0.0, 7.0, 7.0]
    finally:
        pinned.close()


def test_a_negative_margin_and_encrypt_or_decrypt_on_the_warehouse_are_refused_in_one_line(
        many_loads: tuple[Settings, tuple[int, int]], in_mode: Callable[[Settings], None],  # noqa: F811
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    in_mode(many_loads[0])
    assert main(["warehouse", "maintain", "--older-than", "-1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: --older-than: -1 is not a number of days") and err.count("\n") == 1
    for argv in (["encrypt"], ["decrypt", "--out", str(get_settings().db) + ".plain"]):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert f"`{argv[0]}` works on a database file, not on the warehouse" in err and err.count("\n") == 1
    in_mode(Settings(db=tmp_path / "office.duckdb", warehouse=None, warehouse_data=None))  # no warehouse set
    assert main(["warehouse", "maintain"]) == 1
    assert capsys.readouterr().err.startswith("error: ACCESS_WAREHOUSE is not set: there is no warehouse to maintain")


def test_upgrade_on_the_warehouse_says_it_is_current_or_refuses_a_newer_version_touching_nothing(
        many_loads: tuple[Settings, tuple[int, int]], in_mode: Callable[[Settings], None],  # noqa: F811
        capsys: pytest.CaptureFixture[str]) -> None:
    settings = many_loads[0]
    in_mode(settings)
    assert main(["upgrade"]) == 0
    assert capsys.readouterr().out == f"The warehouse is already at schema version {SCHEMA_VERSION}; nothing to do.\n"
    assert not get_settings().db.exists()  # the database file the setting names is not made nor upgraded

    def tables() -> list[tuple]:
        with warehouse.reading(settings) as con:
            return con.execute("SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE database_name "
                               "= 'access' ORDER BY ALL").fetchall()

    before = tables()
    try:
        for version in (str(int(SCHEMA_VERSION) + 1),):  # as if made by a newer release
            with warehouse.connect(settings) as con:
                con.execute("UPDATE schema_info SET value = ? WHERE key = 'schema_version'", [version])
            assert main(["upgrade"]) == 1
            err = capsys.readouterr().err
            assert f"schema version {version}, made by a newer release. Install the release that made it" in err
            assert err.count("\n") == 1 and "Traceback" not in err
            assert main(["counterparts", "merge", "CP-X", "CP-Y"]) == 1  # a writer is refused the same way
            assert f"schema version {version}" in capsys.readouterr().err
        assert tables() == before
    finally:
        with warehouse.connect(settings) as con:
            con.execute("UPDATE schema_info SET value = ? WHERE key = 'schema_version'", [SCHEMA_VERSION])
