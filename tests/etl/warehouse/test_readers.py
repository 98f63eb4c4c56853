"""Reading the warehouse (a real PostgreSQL): the scoped views, a new load seen by other processes, the salt.

* The differential scope test of the embedded mode (tests/dashboard/test_scope_oracle.py) runs on the
  warehouse too: the same demo files loaded into a file and into the warehouse, the same oracle rows
  planted in both; in each, every view of every role and grant equals the plain-Python oracle over its
  own raw tables, and the two modes' views are equal.
* Two reader processes started before a load see it without a restart, and show an ``hq`` user the
  same pseudonyms: keyed by the salt kept in the warehouse, computed here from the raw ids in Python.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from pydantic import SecretStr

from dashboard.snapshot.cli import build
from etl.cli.main import main
from etl.config import Settings, get_settings
from etl.demo.build import write_demo_logs
from etl.intake import load_paths
from etl.store import lake_read, warehouse
from etl.store.db import ALIAS
from etl.store.lake_secrets import READ_SALT, SALT
from etl.store.pgserver import LocalPostgres
from etl.store.reader import connect_read
from tests.dashboard.test_scope_oracle import LAST, check_every_view, code, plant_oracle_rows
from tests.etl.warehouse.conftest import warehouse_settings

REPO = Path(__file__).resolve().parents[3]
# Logs of three regions and the two kinds of public feed; one more log is loaded later by the second test.
FIRST = ("demo_bfa_access_log.csv", "demo_afg_access_log.xlsx", "demo_irq_access_log.json",
         "demo_awsd_incidents.csv", "demo_acled_events.csv")
LATER = "demo_ssd_access_log.xlsx"
# Every role with the region of unknown rows, and with two regions (one the planted last region); no region; hq with all.
SCOPES = [*[(role, grant) for role in ("coordinator", "negotiator", "admin", "hq") for grant in (("Other",), ("Asia", LAST))],
          ("coordinator", ()), ("hq", ()), ("hq", ("*",))]


@pytest.fixture(scope="module")
def both(local_postgres: LocalPostgres, tmp_path_factory: pytest.TempPathFactory
         ) -> tuple[Path, Settings, dict[str, Path]]:
    """The same demo files loaded into a DuckDB file and into a new warehouse, the oracle's rows planted in both."""
    folder = tmp_path_factory.mktemp("readers")
    files = {p.name: p for p in write_demo_logs(folder / "logs", rows=800)}
    paths = [files[n] for n in FIRST]
    file_db = folder / "embedded.duckdb"
    assert all(r.status == "loaded" for r in load_paths(paths, file_db, settings=Settings(db=file_db)))
    settings = warehouse_settings(local_postgres, "readers", folder)
    warehouse.init(settings)
    assert [r.status for r in load_paths(paths, settings.db, settings=settings)] == ["loaded"] * len(FIRST)
    con = duckdb.connect(str(file_db))
    try:
        plant_oracle_rows(con)
    finally:
        con.close()
    con = warehouse.connect(settings)
    try:
        plant_oracle_rows(con)
    finally:
        con.close()
    return file_db, settings, files


def _comparable(seen: dict[tuple, Counter]) -> dict[tuple, Counter]:
    """The views' rows with what may differ between the modes made equal: the warehouse keeps the 128-bit
    ``row_hash`` as text (compared as numbers), and a load's clock times differ (the ``loads`` view left out)."""
    def norm(value: object) -> object:
        return int(value) if isinstance(value, str) and value.isdigit() and len(value) > 18 else value

    return {k: Counter({tuple(norm(v) for v in row): n for row, n in rows.items()})
            for k, rows in seen.items() if k[2] != "loads"}


def test_every_scoped_view_of_the_warehouse_equals_the_oracle_and_the_file(
        both: tuple[Path, Settings, dict[str, Path]]) -> None:
    file_db, settings, _ = both

    shared = warehouse.connect(settings, read_only=True)

    def lake() -> duckdb.DuckDBPyConnection:  # the oracle's raw tables, read from the warehouse itself
        cursor = shared.cursor()  # closed by the oracle; the connection stays open
        cursor.execute(f"USE {ALIAS}")
        return cursor

    try:
        in_lake = check_every_view(connect_read(settings.db, settings=settings), lake, SCOPES)
    finally:
        shared.close()
    in_file = check_every_view(connect_read(file_db, settings=Settings(db=file_db)), file_db, SCOPES)
    assert in_lake.keys() == in_file.keys()
    lake_rows, file_rows = _comparable(in_lake), _comparable(in_file)
    differ = [k for k in file_rows if lake_rows[k] != file_rows[k]]
    assert not differ, (f"{len(differ)} scoped views differ between the warehouse and the file, e.g. {differ[0]}: "
                        f"{list(lake_rows[differ[0]] - file_rows[differ[0]])[:2]} in the warehouse, "
                        f"{list(file_rows[differ[0]] - lake_rows[differ[0]])[:2]} in the file")
    assert sum(sum(c.values()) for k, c in lake_rows.items() if k[2] == "engagements") > 500


@pytest.fixture
def in_mode(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Callable[[Settings], None]]:
    """Switch this process's settings (read from the environment) to a mode; restored at the end."""
    def switch(settings: Settings) -> None:
        monkeypatch.setenv("ACCESS_DB", str(settings.db if settings.warehouse is None else tmp_path / "none.duckdb"))
        monkeypatch.setenv("ACCESS_AUDIT_FILE", str(tmp_path / "audit.jsonl"))
        for name, value in (("ACCESS_WAREHOUSE", settings.warehouse), ("ACCESS_WAREHOUSE_DATA", settings.warehouse_data)):
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value.get_secret_value() if isinstance(value, SecretStr) else str(value))
        get_settings.cache_clear()

    yield switch
    monkeypatch.undo()
    get_settings.cache_clear()


def test_status_alerts_and_snapshot_read_the_warehouse_as_they_read_the_file(
        both: tuple[Path, Settings, dict[str, Path]], in_mode: Callable[[Settings], None],
        capsys: pytest.CaptureFixture[str]) -> None:
    file_db, settings, _ = both
    with duckdb.connect(str(file_db), read_only=True) as con:
        last = con.execute("SELECT max(engagement_date) FROM engagements").fetchone()[0]
    month = f"{last:%Y-%m}"
    out: dict[str, tuple[str, str]] = {}
    snapshots = {}
    for mode, chosen in (("file", Settings(db=file_db)), ("warehouse", settings)):
        in_mode(chosen)
        assert main(["status"]) == 0
        status = capsys.readouterr().out
        assert main(["alerts", "--month", month, "--through", month, "--summary"]) == 0
        out[mode] = (status, capsys.readouterr().out)
        snapshots[mode], pdf = build(get_settings().db, dt.date(last.year, last.month, 1), None, "Asia", "coordinator")
        assert pdf.startswith(b"%PDF")
    assert out["warehouse"][0].startswith("Warehouse: data in ") and out["file"][0].startswith("Database: ")
    drop_when = re.compile(r"\s+\d{4}-\d\d-\d\d \d\d:\d\d$", re.M)  # a load's time, not what it loaded
    status_file, status_lake = (drop_when.sub("", out[m][0]).split("\n", 1)[1] for m in ("file", "warehouse"))
    assert status_lake == status_file and "engagements" in status_lake
    assert out["warehouse"][1] == out["file"][1] and "areas with engagements" in out["file"][1]
    a, b = snapshots["file"], snapshots["warehouse"]
    for field in dataclasses.fields(a):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if isinstance(x, pd.DataFrame):
            pd.testing.assert_frame_equal(x.reset_index(drop=True), y.reset_index(drop=True), obj=field.name)
        else:
            assert x == y, field.name
    assert a.figures, "the snapshot has no key figures: the comparison above proves nothing"


# One reader process: each line read on stdin is answered with what an hq user granted no region sees, read
# through the dashboard's own cached door (dashboard/db/connection.py), keyed on the data version.
READER = """
import json, sys
from dashboard.db.connection import current_version, query_as
from etl.accounts.roles import scope_for
hq = scope_for("hq", ())
for _ in sys.stdin:
    ids = query_as(hq, "SELECT counterpart_id FROM counterparts ORDER BY 1")["counterpart_id"].tolist()
    files = query_as(hq, "SELECT file_name FROM loads ORDER BY 1")["file_name"].tolist()
    print(json.dumps({"version": current_version(), "files": files, "ids": ids}), flush=True)
"""


@pytest.fixture
def readers(both: tuple[Path, Settings, dict[str, Path]], tmp_path: Path) -> Iterator[list[subprocess.Popen[str]]]:
    _, settings, _ = both
    assert settings.warehouse is not None
    env = {**os.environ, "PYTHONPATH": str(REPO), "ACCESS_WAREHOUSE": settings.warehouse.get_secret_value(),
           "ACCESS_WAREHOUSE_DATA": str(settings.warehouse_data), "ACCESS_DB": str(tmp_path / "unused.duckdb")}
    procs = [subprocess.Popen([sys.executable, "-c", READER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True, env=env, cwd=tmp_path) for _ in range(2)]
    try:
        yield procs
    finally:
        for p in procs:
            p.kill()
            p.wait()


def ask(proc: subprocess.Popen[str]) -> dict:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("?\n")
    proc.stdin.flush()
    line = proc.stdout.readline()
    assert line, "the reader process died"
    return json.loads(line)


def test_two_reader_processes_see_a_new_load_without_restart_and_the_same_pseudonyms(
        both: tuple[Path, Settings, dict[str, Path]], readers: list[subprocess.Popen[str]]) -> None:
    _, settings, files = both
    before = [ask(p) for p in readers]
    assert all(LATER not in b["files"] for b in before)
    assert [r.status for r in load_paths([files[LATER]], settings.db, settings=settings)] == ["loaded"]
    file_db = both[0]  # the file keeps the same rows as the warehouse
    assert [r.status for r in load_paths([files[LATER]], file_db, settings=Settings(db=file_db))] == ["loaded"]
    deadline = time.monotonic() + 10 * lake_read.VERSION_TTL_S + 30  # the version is re-read every few seconds
    after = [ask(p) for p in readers]
    while any(LATER not in a["files"] for a in after) and time.monotonic() < deadline:
        time.sleep(0.5)
        after = [ask(p) for p in readers]
    assert all(LATER in a["files"] for a in after), "a reader process did not see the new load"
    assert all(a["version"] != b["version"] for a, b in zip(after, before, strict=True))
    # The pseudonyms: the same in both processes, and computed from the raw ids with the warehouse's salt.
    with warehouse.reading(settings) as con:
        salt = con.execute(READ_SALT, [SALT]).fetchone()[0]
        raw_ids = [r[0] for r in con.execute("SELECT counterpart_id FROM counterparts").fetchall()]
    assert after[0]["ids"] == after[1]["ids"] == sorted(str(code(c, salt)) for c in raw_ids)
    assert len(after[0]["ids"]) > len(before[0]["ids"])  # the new load's counterparts are there too
