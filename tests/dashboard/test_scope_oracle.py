"""Who sees what, checked against an independent oracle.

For every role, for users granted each single region, two regions, none (and ``*`` for hq), and for
every view the dashboard can read, the rows and the values in clear must equal what a plain Python
computation over the raw tables says. The oracle below is written from the rules in the README
("Who sees what") and never calls :mod:`dashboard.db.scope` or :mod:`etl.accounts.roles` to decide anything:

* ``coordinator``, ``negotiator``, ``admin``: only rows of the regions granted, everything in clear;
* ``hq``: rows of every region; counterpart ids as codes (``CP~`` + the first 10 hex digits of
  md5(salt + id), upper case), counterpart names as "Counterpart <code>", name keys, affiliations,
  logged names, intermediaries, notes, spellings, review pairs, decisions, incident perpetrator
  names and the actors (names, keys) and notes of conflict events hidden, except in the regions granted
  to that hq user (``*``: everywhere);
* a row's region: its own ``region`` column for engagements, their obstacles, conditions and monthly
  counts, and counterparts; the region of its country (``countries``) for requests, checkpoints, incidents,
  conflict events and counts, review pairs and decisions; its counterpart's region for spellings;
  ``Other`` when unknown;
* a profile (row-level history) opens only for counterparts in clear;
* rejected rows keep their values only for a user who sees every region in clear.

The test database is the demo plus rows built to trip a region rule: a country missing from
``countries`` and a region that sorts after every other (the old rule gave every country-keyed row
the region that sorts last).
"""

from __future__ import annotations

import functools
import hashlib
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from dashboard.db.scope import ensure_scope
from etl.accounts.roles import scope_for
from etl.store.db import connect_read
from tests.dashboard.conflict_data import UNKNOWN, plant

SALT = "oracle-salt"
LAST = "Zulu Test Region"  # sorts after every real region
LAST_COUNTRY = "ZZL"


@pytest.fixture(scope="module")
def oracle_db(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo database with rows of an unknown country and of a region that sorts last."""
    db = tmp_path_factory.mktemp("oracle") / "access.duckdb"
    shutil.copy(demo_db, db)
    con = duckdb.connect(str(db))
    try:
        plant_oracle_rows(con)
    finally:
        con.close()
    return db


def plant_oracle_rows(con: duckdb.DuckDBPyConnection) -> None:
    """Rows of an unknown country and of a region that sorts last (also planted in the warehouse's copy:
    tests/etl/warehouse/test_readers.py)."""
    con.execute("INSERT INTO countries VALUES (?, 'Zululand', ?)", [LAST_COUNTRY, LAST])
    for iso3 in (UNKNOWN, LAST_COUNTRY):
        # one row of each country-keyed table, copied from an existing row with the country changed
        con.execute("INSERT INTO incidents SELECT * REPLACE (incident_id || ? AS incident_id, ? AS iso3, "
                    "'Oracle Commander ' || ? AS perpetrator_name, 'oracle commander' AS perpetrator_key) "
                    "FROM incidents t ORDER BY t.incident_id LIMIT 1", [iso3, iso3, iso3])
        con.execute("INSERT INTO checkpoints SELECT * REPLACE ('CK-ORACLE-' || ? AS checkpoint_id, ? AS iso3) "
                    "FROM checkpoints t WHERE controlling_counterpart_id IS NOT NULL ORDER BY t.checkpoint_id LIMIT 1", [iso3, iso3])
        con.execute("INSERT INTO access_requests SELECT * REPLACE ('RQ-ORACLE-' || ? AS request_id, ? AS iso3) "
                    "FROM access_requests t ORDER BY t.request_id LIMIT 1", [iso3, iso3])
        con.execute("INSERT INTO counterpart_review SELECT * REPLACE (? AS iso3, counterpart_id_a || ? AS "
                    "counterpart_id_a) FROM counterpart_review t ORDER BY t.counterpart_id_a, t.counterpart_id_b LIMIT 1", [iso3, iso3])
    # a counterpart with no region and its spelling; one whose region sorts last
    con.execute("INSERT INTO counterparts SELECT * REPLACE ('CP-ORACLE-NONE' AS counterpart_id, NULL AS region, "
                "? AS iso3) FROM counterparts t ORDER BY t.counterpart_id LIMIT 1", [UNKNOWN])
    con.execute("INSERT INTO counterparts SELECT * REPLACE ('CP-ORACLE-LAST' AS counterpart_id, ? AS region, "
                "? AS iso3) FROM counterparts t ORDER BY t.counterpart_id LIMIT 1", [LAST, LAST_COUNTRY])
    for cid in ("CP-ORACLE-NONE", "CP-ORACLE-LAST"):
        con.execute("INSERT INTO counterpart_aliases SELECT * REPLACE (? AS counterpart_id, 'Oracle alias ' || ? "
                    "AS alias) FROM counterpart_aliases t ORDER BY t.counterpart_id, t.alias LIMIT 1", [cid, cid])
    con.execute("INSERT INTO counterpart_aliases SELECT * REPLACE ('CP-ORACLE-GONE' AS counterpart_id, "
                "'Oracle orphan alias' AS alias) FROM counterpart_aliases t ORDER BY t.counterpart_id, t.alias LIMIT 1")
    # conflict events and HAPI counts in four regions and the unknown country; copies in the last region
    plant(con)
    con.execute("INSERT INTO conflict_events SELECT * REPLACE (event_id || 'L' AS event_id, ? AS iso3) "
                "FROM conflict_events t WHERE iso3 = 'AFG' ORDER BY t.event_id LIMIT 3", [LAST_COUNTRY])
    con.execute("INSERT INTO conflict_event_counts SELECT * REPLACE (? AS iso3) FROM conflict_event_counts t "
                "WHERE iso3 = 'AFG' ORDER BY t.month, t.admin1_pcode, t.admin2_pcode, t.event_type LIMIT 3",
                [LAST_COUNTRY])


# ------------------------------------------------------------------------------------ the oracle

# Where the oracle reads the raw tables: a database file, or a function opening a connection (the warehouse).
Source = Path | Callable[[], duckdb.DuckDBPyConnection]


@functools.lru_cache(maxsize=64)
def raw(db: Source, table: str) -> tuple[list[str], list[dict[str, object]]]:
    """The raw table, read once per test database (the oracle copies a row before changing it)."""
    con = duckdb.connect(str(db), read_only=True) if isinstance(db, Path) else db()
    try:
        cur = con.execute(f"SELECT * FROM main.{table}")  # table names from the oracle's own list
        columns = [d[0] for d in cur.description]
        return columns, [dict(zip(columns, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()


def code(cid: object, salt: str = SALT) -> object:
    if cid is None:
        return None
    return "CP~" + hashlib.md5((salt + str(cid)).encode()).hexdigest()[:10].upper()


class Oracle:
    """What one user should see, computed in plain Python from the raw tables."""

    def __init__(self, db: Source, role: str, granted: tuple[str, ...]) -> None:
        self.db = db
        self.role = role
        _, countries = raw(db, "countries")
        self.country_region = {c["iso3"]: c["region"] for c in countries}
        self.regions = {r or "Other" for r in self.country_region.values()} | {"Other"}
        every = "*" in granted
        self.granted = set(self.regions) if every else set(granted)
        self.reach = set(self.regions) if role == "hq" else set(granted)
        self.clear_regions = self.granted if role == "hq" else self.reach
        _, cps = raw(db, "counterparts")
        self.cp_region = {c["counterpart_id"]: c["region"] or "Other" for c in cps}

    def region(self, table: str, row: dict[str, object]) -> str:
        if table in ("engagements", "engagement_obstacles", "engagement_conditions", "engagement_months",
                     "reporting_months", "counterparts"):
            return str(row["region"] or "Other")
        if table == "counterpart_aliases":
            return self.cp_region.get(row["counterpart_id"], "Other")
        return str(self.country_region.get(row["iso3"]) or "Other")

    def rows(self, table: str) -> tuple[list[str], list[dict[str, object]]]:
        source = {"counterpart_profiles": "counterparts"}.get(table, table)
        columns, rows = raw(self.db, source)
        if table in PASS_THROUGH:
            return columns, rows
        out = []
        for row in rows:
            region = self.region(source, row)
            if region not in self.reach:
                continue
            clear = region in self.clear_regions
            if table in ("counterpart_profiles", "counterpart_aliases", "counterpart_review",
                         "counterpart_decisions") and not clear:
                continue
            row = dict(row)
            if not clear and table == "engagements":
                row.update(counterpart_id=code(row["counterpart_id"]), counterpart_name=None, intermediary=None,
                           notes=None)
            if not clear and table == "engagement_months":  # counts of engagements: their counterparts as codes
                row.update(counterpart_id=code(row["counterpart_id"]))
            if not clear and table == "counterparts":
                row.update(counterpart_id=code(row["counterpart_id"]), name="Counterpart " + str(code(
                    row["counterpart_id"]))[3:], name_key=None, affiliation=None)
            if not clear and table == "checkpoints":
                row.update(controlling_counterpart_id=code(row["controlling_counterpart_id"]))
            if not clear and table == "incidents":
                row.update(perpetrator_name=None, perpetrator_key=None)
            if not clear and table == "conflict_events":  # actors named like perpetrators; notes may name people
                row.update(actor1=None, actor1_key=None, assoc_actor_1=None, actor2=None, actor2_key=None,
                           assoc_actor_2=None, notes=None)
            out.append(row)
        return columns, out

    def sees_everything_in_clear(self) -> bool:
        return self.regions <= self.clear_regions


PASS_THROUGH = ("schema_info", "loads", "vocabulary", "obstacle_categories", "countries", "admin_areas",
                "incident_codes", "pcodes", "pcode_lengths", "boundary_layers")


def _hashable(value: object) -> object:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


def bag(columns: list[str], rows: list[dict[str, object]]) -> Counter:
    return Counter(tuple(_hashable(r[c]) for c in columns) for r in rows)


# --------------------------------------------------------------------------------------- scopes

def _scopes(db: Source) -> list[tuple[str, tuple[str, ...]]]:
    _, countries = raw(db, "countries")
    regions = sorted({c["region"] for c in countries} | {"Other"})
    grants: list[tuple[str, ...]] = [(), *[(r,) for r in regions], (regions[0], regions[-1])]
    out = [(role, g) for role in ("coordinator", "negotiator", "admin", "hq") for g in grants]
    return [*out, ("hq", ("*",))]


def _view_rows(con: duckdb.DuckDBPyConnection, search_path: str, view: str) -> tuple[list[str], list[dict]]:
    cur = con.cursor()
    try:
        cur.execute(f"SET search_path = '{search_path}'")
        result = cur.execute(f"SELECT * FROM {view}")  # view names listed by DuckDB itself
        columns = [d[0] for d in result.description]
        return columns, [dict(zip(columns, r, strict=True)) for r in result.fetchall()]
    finally:
        cur.close()


def _scope_views(con: duckdb.DuckDBPyConnection, search_path: str) -> list[str]:
    schema = search_path.split(".", 1)[1]
    return [v for (v,) in con.execute("SELECT view_name FROM duckdb_views() WHERE database_name = 'memory' "
                                      "AND schema_name = ? ORDER BY 1", [schema]).fetchall()]


def _check_rejected(oracle: Oracle, columns: list[str], shown: list[dict]) -> None:
    raw_columns, raw_rows = raw(oracle.db, "rejected_rows")
    assert columns == raw_columns
    assert len(shown) == len(raw_rows)
    if oracle.sees_everything_in_clear():
        assert bag(columns, shown) == bag(raw_columns, raw_rows)
        return
    assert all(r["value"] is None and r["raw_row"] is None for r in shown), "a rejected value shown"
    values = {str(r["value"]) for r in raw_rows if r["value"] is not None and len(str(r["value"])) >= 4}
    leaked = [r["reason"] for r in shown for v in values if v in str(r["reason"])]
    assert not leaked, f"rejected values quoted in reasons: {leaked[:3]}"
    assert all(r["reason"] and "hidden: the reason" not in r["reason"] for r in shown), "reason without its fix"


def _check_waiting(oracle: Oracle, shown: list[dict]) -> None:
    _, review = raw(oracle.db, "counterpart_review")
    expected = Counter(oracle.region("counterpart_review", r) for r in review if r["status"] == "pending")
    assert {r["region"]: r["pairs"] for r in shown} == dict(expected)


SPECIAL: dict[str, Callable[[Oracle, list[str], list[dict]], None]] = {
    "rejected_rows": _check_rejected,
    "review_waiting": lambda o, _c, rows: _check_waiting(o, rows),
}


def test_every_view_equals_the_oracle_for_every_role_and_grant(oracle_db: Path) -> None:
    check_every_view(connect_read(oracle_db), oracle_db)


def check_every_view(con: duckdb.DuckDBPyConnection, source: Source, scopes: list[tuple[str, tuple[str, ...]]] | None
                     = None) -> dict[tuple[str, tuple[str, ...], str], Counter]:
    """Every scoped view on ``con`` (closed at the end) equals the oracle over ``source``'s raw tables, for
    ``scopes`` (default: every role and grant of :func:`_scopes`); the views' rows by (role, grant, view)."""
    checked: set[str] = set()
    failures: list[str] = []
    seen: dict[tuple[str, tuple[str, ...], str], Counter] = {}
    try:
        for role, granted in scopes or _scopes(source):
            search_path = ensure_scope(con, scope_for(role, granted), SALT)
            oracle = Oracle(source, role, granted)
            for view in _scope_views(con, search_path):
                columns, shown = _view_rows(con, search_path, view)
                seen[role, granted, view] = bag(columns, shown)
                if view in SPECIAL:
                    try:
                        SPECIAL[view](oracle, columns, shown)
                    except AssertionError as err:
                        failures.append(f"{role} {granted} {view}: {err}")
                    checked.add(view)
                    continue
                expected_columns, expected = oracle.rows(view)
                assert columns == expected_columns, f"{view}: columns differ from the table's"
                want, got = bag(columns, expected), bag(columns, shown)
                if want != got:
                    extra, missing = got - want, want - got
                    failures.append(f"{role} {granted} {view}: {sum(extra.values())} row(s) shown that should not "
                                    f"be (e.g. {next(iter(extra), None)}), {sum(missing.values())} missing "
                                    f"(e.g. {next(iter(missing), None)})")
                checked.add(view)
    finally:
        con.close()
    assert not failures, "\n".join(failures[:20])
    # Every table with content must have been checked: a view the oracle does not know is a failure.
    for table in ("engagements", "engagement_obstacles", "engagement_conditions", "access_requests", "counterparts",
                  "counterpart_aliases", "counterpart_review", "counterpart_decisions", "checkpoints", "incidents",
                  "counterpart_profiles", "rejected_rows", "review_waiting", "conflict_events",
                  "conflict_event_counts", "engagement_months", "reporting_months"):
        assert table in checked, f"no view {table} was checked"
    return seen


def test_the_oracle_database_trips_the_region_rules(oracle_db: Path) -> None:
    """The planted rows are there, so the test above can fail on a wrong region rule."""
    oracle = Oracle(oracle_db, "coordinator", (LAST,))
    _, incidents = oracle.rows("incidents")
    assert [r["iso3"] for r in incidents] == [LAST_COUNTRY], "a coordinator of the last region sees other incidents"
    other = Oracle(oracle_db, "coordinator", ("Other",))
    assert {r["iso3"] for r in other.rows("checkpoints")[1]} == {UNKNOWN}
    assert {r["alias"] for r in other.rows("counterpart_aliases")[1]} >= {"Oracle alias CP-ORACLE-NONE",
                                                                          "Oracle orphan alias"}
    for table in ("conflict_events", "conflict_event_counts"):
        assert {r["iso3"] for r in oracle.rows(table)[1]} == {LAST_COUNTRY}, table
        assert {r["iso3"] for r in other.rows(table)[1]} == {UNKNOWN}, table
    hq = Oracle(oracle_db, "hq", ("Asia",))
    events = hq.rows("conflict_events")[1]
    named = [r for r in events if r["actor1"]]  # the planted AFG events, and the demo's own ACLED file's
    assert "AFG" in {r["iso3"] for r in named} and all(hq.region("conflict_events", r) == "Asia" for r in named)
    assert any(hq.region("conflict_events", r) != "Asia" for r in events), "no event outside the granted region"
    asia = Oracle(oracle_db, "coordinator", ("Asia",))
    assert asia.rows("incidents")[1] and all(asia.region("incidents", r) == "Asia" for r in asia.rows("incidents")[1])


def test_an_unknown_role_reaches_nothing(oracle_db: Path) -> None:
    con = connect_read(oracle_db)
    try:
        search_path = ensure_scope(con, scope_for("superuser", ("*",)), SALT)
        for view in ("engagements", "incidents", "checkpoints", "counterparts", "access_requests"):
            assert not _view_rows(con, search_path, view)[1], view
    finally:
        con.close()
