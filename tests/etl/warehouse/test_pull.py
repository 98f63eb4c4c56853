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

from etl.cli.sync import shown_url
from etl.config import Settings
from etl.counterparts import decisions
from etl.counterparts.names import name_key, stable_id
from etl.intake import load_paths
from etl.store.db import reading
from etl.store.loads import transaction, write_session
from etl.store.pgserver import LocalPostgres
from etl.sync import pull as pull_module
from etl.sync.pull import pull
from etl.sync.push import push
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


def log(path: Path, prefix: str, n: int, *, somali: bool = False) -> Path:
    """``n`` engagements ``<prefix>-<i>`` with three counterparts, in Yemen (or Somalia)."""
    rows = [row(engagement_id=f"{prefix}-{i}", request_id=f"REQ-{prefix}-{i}", counterpart=f"Col. Person {prefix}{i % 3}",
                **(SOMALI if somali else {})) for i in range(n)]
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
        return {t: rows_of(con, t) for t in (*PULLED, "loads")}


def one(con: duckdb.DuckDBPyConnection, query: str, params: list[object] | None = None) -> object:
    found = con.execute(query, params or []).fetchone()
    assert found is not None
    return found[0]


def cp(name: str) -> str:
    """A Yemeni counterpart's id, as the loader derives it from the name."""
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
def world(local_postgres: LocalPostgres, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """B and C send their loads first; A loads, takes its own decisions and sends its load; headquarters decides
    about Yemeni counterparts; a copy of A's file is kept before it receives anything."""
    folder = tmp_path_factory.mktemp("pull")
    target = new_warehouse(local_postgres, "pull_world", folder / "hq")
    b_files = [log(folder / "b_somalia.csv", "BS", 6, somali=True),
               write_csv(folder / "b_mixed.csv",
                         [row(engagement_id=f"BM-{i}", request_id=f"REQ-BM-{i}", counterpart=f"Col. Person BM{i % 2}",
                              **(SOMALI if i % 2 else {})) for i in range(8)]
                         # A's engagement A-0, logged by B with another outcome (the same id changed in two places)
                         + [row(engagement_id="A-0", request_id="REQ-A-0", counterpart="Col. Person A0",
                                outcome="denied"),
                            # A's request REQ-A-3, logged by B first, requested on another day
                            row(engagement_id="BM-R", request_id="REQ-A-3", request_date="2025-02-20",
                                counterpart="Col. Person BM0")])]
    c_files = [log(folder / "c_yemen.csv", "C", 7)]
    b, c = office_db(folder, "b", b_files), office_db(folder, "c", c_files)
    for db in (b, c):
        assert not push(db, Settings(db=db), target).failed
    a_rows = [row(engagement_id=f"A-{i}", request_id=f"REQ-A-{i}",
                  counterpart="Colonel Person A1" if i == 4 else f"Col. Person A{i % 3}") for i in range(6)]
    a_files = [write_csv(folder / "a_yemen.csv", a_rows)]
    a = office_db(folder, "a", a_files)
    office = Settings(db=a)
    decisions.split(a, cp("Col. Person A1"), "Colonel Person A1", decided_by="office", settings=office)
    decisions.merge(a, cp("Col. Person A0"), cp("Col. Person A2"), keep=cp("Col. Person A0"), decided_by="office",
                    settings=office)
    assert not push(a, office, target).failed
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
    done = run_sync(a, target, "--regions", MENA)  # the whole command: send (nothing new), then receive
    return {"target": target, "a": a, "before": before, "folder": folder, "out": done.stdout,
            "files": [*a_files, *b_files, *c_files]}


def test_an_office_receives_its_regions_rows_of_every_office_and_nothing_else(world: dict) -> None:
    expected = yemeni_ids(world["files"]) - {"C-5", "C-6"}  # the two rows headquarters holds without MENA
    with reading(world["a"], settings=Settings(db=world["a"])) as con:
        ids = [r[0] for r in con.execute("SELECT source_engagement_id FROM engagements").fetchall()]
        assert sorted(ids) == sorted(expected)  # B's Yemeni rows of its mixed log, C's, A's own; each once
        for table in ("engagements", "access_requests", "counterparts", "checkpoints"):
            assert one(con, f"SELECT list(DISTINCT iso3) FROM {table}") == ["YEM"], table  # noqa: S608
        for table in ("engagement_obstacles", "engagement_conditions", "engagement_months", "reporting_months"):
            assert one(con, f"SELECT list(DISTINCT region) FROM {table}") == [MENA], table  # noqa: S608
        assert one(con, "SELECT count(*) FROM counterpart_aliases WHERE alias LIKE '%BS%' OR alias = "
                        "'Col. Person BM1'") == 0  # B's Somali counterparts are not even named
        loads = con.execute("SELECT file_name, pulled_from IS NOT NULL, rows_loaded FROM loads ORDER BY load_id"
                            ).fetchall()
        assert loads == [("a_yemen.csv", False, 6), ("b_mixed.csv", True, 5), ("c_yemen.csv", True, 5)]
        # Every received engagement has its two obstacles and two conditions (the log's), under its new key.
        assert one(con, "SELECT count(*) FROM engagements e JOIN engagement_obstacles o USING (engagement_key)") == \
            one(con, "SELECT count(*) FROM engagement_conditions") == 2 * len(expected)
        assert one(con, "SELECT count(DISTINCT engagement_key >> 32 = load_id) FROM engagements") == 1
        assert one(con, "SELECT sum(engagements) FROM engagement_months") == len(expected)
        assert one(con, "SELECT engagements FROM counterparts WHERE counterpart_id = ?", [cp("Col. Person BM0")]) == 5
    assert "received b_mixed.csv: 5 new rows" in world["out"] and "b_somalia" not in world["out"]


def test_the_same_engagement_or_request_changed_in_two_places_is_listed_and_the_office_keeps_its_own(
        world: dict) -> None:
    with reading(world["a"], settings=Settings(db=world["a"])) as con:
        outcome = one(con, "SELECT outcome FROM engagements WHERE source_engagement_id = 'A-0'")
        listed = con.execute("SELECT office_version->>'outcome', warehouse_version->>'outcome', "
                             "warehouse_version->>'load' FROM sync_conflicts WHERE kind = 'engagement'").fetchall()
        requested = one(con, "SELECT requested_date::VARCHAR FROM access_requests WHERE source_request_id = 'REQ-A-3'")
        request = con.execute("SELECT office_version->>'requested_date', warehouse_version->>'requested_date' "
                              "FROM sync_conflicts WHERE kind = 'request'").fetchall()
    assert outcome == "granted_with_conditions" and listed == [("granted_with_conditions", "denied", "b_mixed.csv")]
    assert requested == "2025-03-01" and request == [("2025-03-01", "2025-02-20")]
    shown = run_sync(world["a"], world["target"], "--conflicts").stdout
    assert "engagement E-" in shown and '"outcome":"denied"' in shown and "4 conflict(s)." in shown, shown
    assert run_sync(world["a"], world["target"], "--conflicts", "--regions", EHA).stdout.startswith("No conflicts")


def test_headquarters_decisions_are_taken_unless_they_contradict_the_offices_own(world: dict) -> None:
    with reading(world["a"], settings=Settings(db=world["a"])) as con:
        by_name = dict(con.execute("SELECT counterpart_name, list(DISTINCT counterpart_id) FROM engagements "
                                   "GROUP BY ALL").fetchall())
        listed = sorted(r[0] for r in con.execute("SELECT warehouse_version->>'decision' FROM sync_conflicts "
                                                  "WHERE kind = 'counterpart_decision'").fetchall())
        active = {r[0] for r in con.execute("SELECT action FROM counterpart_decisions WHERE active").fetchall()}
    assert by_name["Col. Person C2"] == by_name["Col. Person C1"] == [cp("Col. Person C1")]  # HQ's merge taken
    assert by_name["Col. Person C0"] == [cp("Col. Person C0")]  # HQ merged C0 into A1, which the office split
    assert by_name["Colonel Person A1"] != by_name["Col. Person A1"]  # the office's split stands
    assert by_name["Col. Person A2"] == by_name["Col. Person A0"]  # the office's merge stands (HQ: keep apart)
    apart = sorted((cp("Col. Person A0"), cp("Col. Person A2")))
    assert sorted(x.split(":")[1].split("(")[0].strip() for x in listed) == sorted([
        f"keep {apart[0]} and {apart[1]} apart", f"merge {cp('Col. Person C0')} into {cp('Col. Person A1')}"])
    assert active == {"merge", "split"}
    assert "4 new conflict(s)" in world["out"]


def test_receiving_twice_is_once(world: dict) -> None:
    after_first = snapshot(world["a"])
    report = pull(world["a"], Settings(db=world["a"]), world["target"], (MENA,), shown(world["target"]))
    assert (report.received, report.decisions, report.conflicts) == ([], 0, [])
    assert snapshot(world["a"]) == after_first


def test_an_interrupted_pull_leaves_the_file_as_it_was_and_the_next_one_completes(
        world: dict, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    office = tmp_path / "a.duckdb"
    shutil.copy(world["before"], office)
    settings = Settings(db=office)
    digest = hashlib.sha256(office.read_bytes()).hexdigest()

    def cut(*args: object) -> bool:  # the rows are written; the laptop goes before the decisions
        raise KeyboardInterrupt

    monkeypatch.setattr(pull_module, "_take_decisions", cut)
    with pytest.raises(KeyboardInterrupt):
        pull(office, settings, world["target"], (MENA,), shown(world["target"]))
    assert hashlib.sha256(office.read_bytes()).hexdigest() == digest
    monkeypatch.undo()
    pull(office, settings, world["target"], (MENA,), shown(world["target"]))
    assert snapshot(office) == snapshot(world["a"])  # as the uninterrupted command left A's file


def test_no_region_named_is_refused_and_a_row_without_a_region_is_never_received(world: dict, tmp_path: Path) -> None:
    for args in ((), ("--regions", " , ")):
        done = run_sync(world["a"], world["target"], *args, ok=False)
        assert done.stderr.startswith("error: sync receives the rows of the office's regions, and none is named"), \
            done.stderr
    # A region the warehouse does not know (a typo, or rows someone labelled with it): refused, saying which exist.
    argv, env = command(world["a"], world["target"], "--pull-only")  # the regions from the office's settings
    done = subprocess.run(argv, cwd=REPO, env={**env, "ACCESS_OFFICE_REGIONS": f"{MENA}, Atlantis"},
                          capture_output=True, text=True, timeout=300)
    assert done.stderr.startswith("error: The warehouse has no region 'Atlantis'; its regions are Asia, "), done.stderr
    # An office naming every region there is: still not the rows whose region is NULL or unknown.
    office = tmp_path / "everything.duckdb"
    every = (MENA, EHA, "Asia", "Eastern Europe", "Latin America and Caribbean", "West and Central Africa")
    pull(office, Settings(db=office), world["target"], every, "all")
    with reading(office, settings=Settings(db=office)) as con:  # a new file: made by the pull, places and all
        ids = {r[0] for r in con.execute("SELECT source_engagement_id FROM engagements").fetchall()}
        assert one(con, "SELECT region FROM countries WHERE iso3 = 'SOM'") == EHA
    every_row = set()
    for path in world["files"]:
        with open(path, encoding="utf-8", newline="") as fh:
            every_row |= {r["engagement_id"] for r in csv.DictReader(fh)}
    assert ids == every_row - {"C-5", "C-6"}


def test_a_decision_undone_at_headquarters_is_undone_at_the_office(world: dict, tmp_path: Path) -> None:
    target = world["target"]
    office = tmp_path / "a.duckdb"
    shutil.copy(world["a"], office)
    with write_session(target.db, target, in_warehouse=True) as con:
        with transaction(con, "the undo"):
            decisions._undo(con, 1, "hq")  # headquarters' merge of C2 into C1
    report = pull(office, Settings(db=office), target, (MENA,), shown(target))
    with reading(office, settings=Settings(db=office)) as con:
        ids = {r[0]: r[1] for r in con.execute("SELECT counterpart_name, any_value(counterpart_id) FROM engagements "
                                               "GROUP BY ALL").fetchall()}
    assert report.undone == 1 and ids["Col. Person C2"] == cp("Col. Person C2")
    with open(office.parent / "a.counterpart_decisions.csv", encoding="utf-8", newline="") as fh:  # the mirror file
        mirrored = [(r["counterpart_id_b"], r["active"]) for r in csv.DictReader(fh) if r["action"] == "merge"]
    assert (cp("Col. Person C2"), "false") in mirrored and (cp("Col. Person C2"), "true") not in mirrored


def shown(target: Settings) -> str:
    assert target.warehouse is not None
    return shown_url(target.warehouse.get_secret_value())


def test_a_rebuilt_office_file_gets_its_own_decisions_back_before_headquarters_are_weighed(
        world: dict, tmp_path: Path) -> None:
    """The office's file rebuilt from its logs (no decisions in it), its decisions file beside it: a pull imports
    the file first, as a decision would, so headquarters' contradicting decisions are still listed, not taken."""
    files = [p for p in world["files"] if p.name == "a_yemen.csv"]
    office = office_db(tmp_path, "a", files)
    shutil.copy(world["a"].with_name("a.counterpart_decisions.csv"), tmp_path / "a.counterpart_decisions.csv")
    report = pull(office, Settings(db=office), world["target"], (MENA,), shown(world["target"]))
    with reading(office, settings=Settings(db=office)) as con:
        by_name = dict(con.execute("SELECT counterpart_name, any_value(counterpart_id) FROM engagements "
                                   "GROUP BY ALL").fetchall())
    assert by_name["Colonel Person A1"] != by_name["Col. Person A1"] and report.decisions == 0
    assert by_name["Col. Person C0"] == cp("Col. Person C0")  # HQ's merge into A1 (split here): not taken
    assert sorted(k for k, _ in report.conflicts) == ["counterpart_decision", "counterpart_decision", "engagement",
                                                      "request"]
