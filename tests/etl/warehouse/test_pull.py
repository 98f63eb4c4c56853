"""``python -m etl sync`` receiving: an office gets its regions' rows of other offices' loads and headquarters'
decisions, never another region's rows, and lists the conflicts without overwriting them.

Three offices on one warehouse in a real PostgreSQL: A (Middle East and North Africa, Yemen), B (East and Horn of
Africa, Somalia, with one log mixing Somali and Yemeni rows) and C (a third office logging Yemeni rows). The oracle
is the logs themselves read with the csv module: which source engagement ids are Yemeni.
"""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from etl.config import Settings
from etl.counterparts import decisions
from etl.counterparts.names import stable_id
from etl.intake import load_paths
from etl.store import warehouse
from etl.store.db import reading
from etl.store.loads import transaction, write_session
from etl.store.pgserver import LocalPostgres
from etl.sync import pull as pull_module
from etl.sync.pull import pull
from tests.conftest import row, write_csv
from tests.etl.warehouse.tables import rows_of
from tests.etl.warehouse.test_sync import REPO, new_warehouse

MENA, EHA = "Middle East and North Africa", "East and Horn of Africa"
SOMALI = {"admin1": "", "location": "Mogadishu", "checkpoint": "", "latitude": "", "longitude": "", "country": "SOM",
          "people_targeted": "1200"}
# Tables an office's pull writes, compared whole (clock columns left out) between two runs.
PULLED = ("engagements", "engagement_obstacles", "engagement_conditions", "access_requests", "counterparts",
          "counterpart_aliases", "checkpoints", "counterpart_decisions", "sync_conflicts", "sync_decisions",
          "engagement_months", "reporting_months")
CLOCKS = {"loads": ("started_at", "finished_at"), "sync_conflicts": ("found_at",), "sync_decisions": ("received_at",)}


def log(path: Path, prefix: str, n: int, *, somali: bool = False, **values: str) -> Path:
    rows = [row(engagement_id=f"{prefix}-{i}", request_id=f"REQ-{prefix}-{i}",
                counterpart=values.get("counterpart", f"Col. Person {prefix}{i % 3}"),
                **{k: v for k, v in values.items() if k != "counterpart"}, **(SOMALI if somali else {}))
            for i in range(n)]
    return write_csv(path, rows)


def yemeni_ids(files: list[Path]) -> set[str]:
    """The oracle: source engagement ids of the Yemeni rows of the logs, read with the csv module."""
    ids: set[str] = set()
    for path in files:
        with open(path, encoding="utf-8", newline="") as fh:
            ids |= {r["engagement_id"] for r in csv.DictReader(fh) if r["country"] == "YEM"}
    return ids


def office_db(folder: Path, name: str, files: list[Path]) -> Path:
    db = folder / f"{name}.duckdb"
    for path in files:
        assert [r.status for r in load_paths([path], db, settings=Settings(db=db))] == ["loaded"], path
    return db


def snapshot(db: Path) -> dict[str, object]:
    """Every table a pull writes, and the loads, as multisets of rows without their clock columns."""
    with reading(db, settings=Settings(db=db)) as con:
        out: dict[str, object] = {t: rows_of(con, t) for t in PULLED}
        loads = [c for c in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = 'loads' "
                                        "ORDER BY column_index").fetchall()]
        kept = ", ".join(c[0] for c in loads if c[0] not in CLOCKS["loads"])
        out["loads"] = sorted(con.execute(f"SELECT {kept} FROM loads").fetchall(), key=str)  # noqa: S608
    for table in ("sync_conflicts", "sync_decisions"):  # written with now(): drop that column
        out[table] = sorted(tuple(v for v in r if not hasattr(v, "tzinfo")) for r in out[table])  # type: ignore[attr-defined]
    return out


def one(con: duckdb.DuckDBPyConnection, query: str, params: list[object] | None = None) -> object:
    found = con.execute(query, params or []).fetchone()
    assert found is not None
    return found[0]


def cp(name: str) -> str:
    from etl.counterparts.names import name_key
    return stable_id("CP", "YEM", name_key(name))


def command(db: Path, target: Settings, *args: str) -> tuple[list[str], dict[str, str]]:
    """``python -m etl sync --to URL --data FOLDER --db DB ARGS`` (the password in PGPASSWORD) and its environment."""
    assert target.warehouse is not None
    url = target.warehouse.get_secret_value()
    password = url.split("@")[0].rsplit(":", 1)[1]
    env = {**os.environ, "PYTHONPATH": str(REPO), "PGPASSWORD": password,
           "ACCESS_AUDIT_FILE": str(db.with_suffix(".audit.jsonl"))}
    for name in ("ACCESS_WAREHOUSE", "ACCESS_OFFICE_REGIONS"):
        env.pop(name, None)
    return ([sys.executable, "-m", "etl", "sync", "--to", url.replace(f":{password}@", "@"), "--data",
             str(target.warehouse_data), "--db", str(db), *args], env)


def run_sync(db: Path, target: Settings, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    argv, env = command(db, target, *args)
    done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert (done.returncode == 0) == ok, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return done


@pytest.fixture(scope="module")
def world(local_postgres: LocalPostgres, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """B and C sync first; A loads, takes its own decisions and sends its loads; headquarters decides about
    Yemeni counterparts; a copy of A's file is kept before it receives anything."""
    folder = tmp_path_factory.mktemp("pull")
    target = new_warehouse(local_postgres, "pull_world", folder / "hq")
    b_files = [log(folder / "b_somalia.csv", "BS", 6, somali=True),
               write_csv(folder / "b_mixed.csv",
                         [row(engagement_id=f"BM-{i}", request_id=f"REQ-BM-{i}", counterpart=f"Col. Person BM{i % 2}",
                              **(SOMALI if i % 2 else {})) for i in range(8)]
                         # A's engagement A-0, logged by B with another outcome (the same id changed in two places)
                         + [row(engagement_id="A-0", request_id="REQ-A-0", counterpart="Col. Person A0",
                                outcome="denied")])]
    c_files = [log(folder / "c_yemen.csv", "C", 7)]
    b, c = office_db(folder, "b", b_files), office_db(folder, "c", c_files)
    run_sync(b, target, "--regions", EHA)
    run_sync(c, target, "--regions", MENA)
    a_rows = [row(engagement_id=f"A-{i}", request_id=f"REQ-A-{i}",
                  counterpart="Colonel Person A1" if i == 4 else f"Col. Person A{i % 3}") for i in range(6)]
    a_files = [write_csv(folder / "a_yemen.csv", a_rows)]
    a = office_db(folder, "a", a_files)
    office = Settings(db=a)
    decisions.split(a, cp("Col. Person A1"), "Colonel Person A1", decided_by="office", settings=office)
    decisions.merge(a, cp("Col. Person A0"), cp("Col. Person A2"), keep=cp("Col. Person A0"), decided_by="office",
                    settings=office)
    run_sync(a, target, "--push-only")
    with write_session(target.db, target, in_warehouse=True) as con:
        with transaction(con, "headquarters' decisions"):
            decisions._merge(con, cp("Col. Person C1"), cp("Col. Person C2"), cp("Col. Person C1"), "same", "hq")
            decisions._merge(con, cp("Col. Person A1"), cp("Col. Person C0"), cp("Col. Person A1"), "same", "hq")
            decisions._keep_apart(con, cp("Col. Person A0"), cp("Col. Person A2"), "two people", "hq")
        # The attacker's rows: one whose region was never set, one of a region nobody has.
        with transaction(con, "rows without a region"):
            con.execute("UPDATE engagements SET region = NULL WHERE source_engagement_id = 'C-5'")
            con.execute("UPDATE engagements SET region = 'Atlantis' WHERE source_engagement_id = 'C-6'")
    before = folder / "a_before.duckdb"
    shutil.copy(a, before)
    return {"target": target, "a": a, "b": b, "c": c, "before": before, "folder": folder,
            "files": {"a": a_files, "b": b_files, "c": c_files}}


def test_smoke(world):
    out = run_sync(world["a"], world["target"], "--regions", MENA)
    print(out.stdout, out.stderr)
