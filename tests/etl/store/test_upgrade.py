"""``python -m etl upgrade``: databases made by past releases are migrated in place, nothing lost.

The fixtures (``tests/fixtures/past_schemas/``) were built by the releases themselves
(``make.py`` there). Each is upgraded through the real command line, then checked against an
independent oracle: the ORIGINAL file read with plain ``duckdb`` (every row of every table still
there, unchanged, in the columns that existed), new columns recomputed in plain Python from the
raw tables or compared with what the schema-3 release's own load wrote for the same demo rows, and
the audit log's references resolved against the upgraded tables.
"""

from __future__ import annotations

import collections
import gzip
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from pydantic import SecretStr

from dashboard import registry
from dashboard.db import queries
from dashboard.db.filters import Filters
from dashboard.db.scope import ensure_scope
from etl.accounts.roles import ALL_REGIONS, scope_for
from etl.config import Settings
from etl.errors import DatabaseError
from etl.intake import load_paths
from etl.store import crypto, migrations
from etl.store.db import connect_read
from etl.store.migrations import runner
from etl.store.schema import SCHEMA_VERSION, ensure_schema
from tests.conftest import REPO, row, write_csv
from tests.etl.store.test_encryption import no_outside_key  # noqa: F401 - autouse: no ACCESS_* or secrets leak in

FIXTURES = REPO / "tests" / "fixtures" / "past_schemas"
PAST = (1, 2, 3, 4)
KEY = "an upgrade test key, with a ' quote"
LABEL_TABLES = {"engagement_obstacles": "category", "engagement_conditions": "condition"}
FILTER_COLUMNS = ("engagement_date", "region", "iso3", "admin1_pcode", "checkpoint_id", "activity", "organisation",
                  "outcome")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCESS_")}
    env["PYTHONPATH"] = str(REPO)
    return {**env, **extra}


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "etl", *args], cwd=REPO, env=_env(**env), capture_output=True,
                          text=True, timeout=300)


def unpack(version: int, folder: Path) -> Path:
    """The fixture database of ``version`` as ``folder/access.duckdb``, with the files its release kept beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "access.duckdb"
    with gzip.open(FIXTURES / f"schema-{version}.duckdb.gz", "rb") as src, open(db, "wb") as dst:
        shutil.copyfileobj(src, dst)
    os.chmod(db, 0o600)
    for suffix in (".audit.jsonl", ".counterpart_decisions.csv"):
        beside = FIXTURES / f"schema-{version}{suffix}"
        if beside.exists():
            shutil.copyfile(beside, folder / f"access{suffix}")
    return db


def tables_of(db: Path) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every table of a plain database file: its columns and rows, read with plain duckdb."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for (table,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall():
            cur = con.execute(f'SELECT * FROM "{table}"')
            out[table] = ([d[0] for d in cur.description], cur.fetchall())
        return out
    finally:
        con.close()


def as_dicts(table: tuple[list[str], list[tuple]]) -> list[dict]:
    cols, rows = table
    return [dict(zip(cols, r, strict=True)) for r in rows]


def fingerprint(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file in ``folder`` with its bytes and inode."""
    return {p.name: (p.read_bytes(), p.stat().st_ino) for p in sorted(folder.iterdir()) if p.is_file()}


class Upgraded:
    def __init__(self, version: int, folder: Path) -> None:
        self.version = version
        self.db = unpack(version, folder)
        self.original_bytes = self.db.read_bytes()
        self.original = tables_of(self.db)
        self.result = cli("upgrade", "--db", str(self.db))
        self.after = tables_of(self.db)


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Upgraded]:
    return {v: Upgraded(v, tmp_path_factory.mktemp(f"schema{v}")) for v in PAST}


@pytest.fixture(scope="module")
def v3_load_wrote() -> dict[str, dict]:
    """What the schema-3 release's own load wrote for each engagement of the same demo (same seed and size)."""
    folder = Path(os.environ.get("TMPDIR", "/tmp"))
    with gzip.open(FIXTURES / "schema-3.duckdb.gz", "rb") as src:
        data = src.read()
    path = folder / f"v3-oracle-{os.getpid()}.duckdb"
    path.write_bytes(data)
    try:
        return {e["engagement_id"]: e for e in as_dicts(tables_of(path)["engagements"])}
    finally:
        path.unlink()


# ------------------------------------------------------------------------------------- the oracle


@pytest.mark.parametrize("version", PAST)
def test_the_cli_upgrades_each_past_release_and_keeps_the_original_beside_it(upgraded, version):
    u = upgraded[version]
    assert u.result.returncode == 0, u.result.stderr
    assert f"from schema version {version} to {SCHEMA_VERSION}" in u.result.stdout
    kept = u.db.with_name(f"access.duckdb.before-upgrade-{version}")
    assert kept.read_bytes() == u.original_bytes
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600 and stat.S_IMODE(u.db.stat().st_mode) == 0o600
    leftovers = {p.name for p in u.db.parent.iterdir()} - {
        "access.duckdb", kept.name, "access.duckdb.lock", "access.audit.jsonl", "access.counterpart_decisions.csv"}
    assert not leftovers
    assert dict(u.after["schema_info"][1])["schema_version"] == SCHEMA_VERSION


@pytest.mark.parametrize("version", PAST)
def test_every_original_row_is_still_there_unchanged(upgraded, version):
    u = upgraded[version]
    for table, (cols, rows) in u.original.items():
        assert table in u.after, f"{table} is gone"
        new_cols, new_rows = u.after[table]
        kept = [c for c in cols if c in new_cols]
        dropped = [c for c in cols if c not in new_cols]
        # Only schema 1's text engagement_id of label rows was replaced (by engagement_key: checked below).
        assert dropped == ([] if version > 1 or table not in LABEL_TABLES else ["engagement_id"]), table
        if table == "schema_info":
            continue
        pick = [new_cols.index(c) for c in kept]
        before = collections.Counter(tuple(r[cols.index(c)] for c in kept) for r in rows)
        after = collections.Counter(tuple(r[i] for i in pick) for r in new_rows)
        if table == "schema_migrations":  # a record of migrations: the upgrade adds its own rows to it
            assert before <= after, f"{table}: recorded migrations were lost or changed"
            continue
        assert after == before, f"{table}: rows differ"


@pytest.mark.parametrize("version", PAST)
def test_label_rows_still_belong_to_their_engagement_and_carry_its_filter_columns(upgraded, version):
    u = upgraded[version]
    engagements = {e["engagement_key"]: e for e in as_dicts(u.after["engagements"])}
    assert len(engagements) == len(u.after["engagements"][1])  # the key is unique
    by_id = {e["engagement_id"]: e for e in engagements.values()}
    for table, label in LABEL_TABLES.items():
        rows = as_dicts(u.after[table])
        for r in rows:
            e = engagements[r["engagement_key"]]
            assert e["load_id"] == r["load_id"]
            assert {c: r[c] for c in FILTER_COLUMNS} == {c: e[c] for c in FILTER_COLUMNS}
        if version == 1:  # the original joined on engagement_id: the same engagement, the same labels
            original = collections.Counter((r["engagement_id"], r[label], r["raw_label"], r["load_id"])
                                           for r in as_dicts(u.original[table]))
            now = collections.Counter((engagements[r["engagement_key"]]["engagement_id"], r[label], r["raw_label"],
                                       r["load_id"]) for r in rows)
            assert now == original and set(original) and all(k[0] in by_id for k in original)


def test_schema_1_engagement_keys_hold_the_load_id_and_follow_the_file_order(upgraded):
    rows = as_dicts(upgraded[1].after["engagements"])
    by_load: dict[int, list[dict]] = collections.defaultdict(list)
    for e in rows:
        assert e["engagement_key"] >> 32 == e["load_id"]
        by_load[e["load_id"]].append(e)
    for group in by_load.values():
        ordered = sorted(group, key=lambda e: (e["source_row"], e["engagement_id"]))
        assert [e["engagement_key"] & 0xFFFFFFFF for e in ordered] == list(range(len(group)))


@pytest.mark.parametrize("version", (1, 2))
def test_new_engagement_columns_match_what_the_schema_3_load_wrote(upgraded, v3_load_wrote, version):
    """request_key as schema 3's own load computed it; counterpart_name where the spelling is certain."""
    u = upgraded[version]
    aliases: dict[str, set[str]] = collections.defaultdict(set)
    for a in as_dicts(u.original["counterpart_aliases"]):
        aliases[a["counterpart_id"]].add(a["alias"])
    keys: dict[str, int] = {}
    compared = 0
    for e in as_dicts(u.after["engagements"]):
        assert keys.setdefault(e["request_id"], e["request_key"]) == e["request_key"]
        spellings = aliases[e["counterpart_id"]]
        assert e["counterpart_name"] == (next(iter(spellings)) if len(spellings) == 1 else None)
        v3 = v3_load_wrote.get(e["engagement_id"])
        if v3 and v3["request_id"] == e["request_id"]:
            assert e["request_key"] == v3["request_key"]
            if e["counterpart_name"] is not None and v3["counterpart_id"] == e["counterpart_id"]:
                assert e["counterpart_name"] == v3["counterpart_name"]
            compared += 1
    assert len(set(keys.values())) == len(keys)  # one key per request
    assert compared > 100  # the same demo rows: most engagements are comparable
    assert all(r["mapping_file"] is None for r in as_dicts(u.after["loads"]))


@pytest.mark.parametrize("version", [v for v in PAST if v >= 3])  # incidents arrived with schema 3
def test_incidents_loaded_before_schema_5_are_from_the_aid_worker_datasets(upgraded, version):
    u = upgraded[version]
    original = as_dicts(u.original["incidents"])
    after = as_dicts(u.after["incidents"])
    assert len(original) > 10 and len(after) == len(original)
    # AWSD and Insecurity Insight's KIKA workbook were the only feeds before schema 5: both count aid workers.
    assert {r["source"] for r in original} <= {"awsd", "insecurity_insight"}
    assert [r["dataset"] for r in after] == ["aid_workers"] * len(original)
    # The new tables start empty.
    assert u.after["conflict_events"][1] == [] and u.after["conflict_event_counts"][1] == []


def months_oracle(engagements: list[dict]) -> dict[str, collections.Counter]:
    """``engagement_months`` and ``reporting_months`` as plain Python counts them from the engagements' rows."""
    places: dict[tuple, list[int]] = {}
    sources: dict[tuple, list] = {}
    for e in engagements:
        day = e["engagement_date"]
        where = (day.replace(day=1), e["region"], e["iso3"], e["admin1_pcode"])
        p = places.setdefault((*where, e["checkpoint_id"], e["counterpart_id"]), [0, 0])
        p[0] += 1
        p[1] += e["outcome"] == "denied"
        s = sources.setdefault((*where, e["load_id"], e["organisation"]), [0, day])
        s[0] += 1
        s[1] = max(s[1], day)
    return {"engagement_months": collections.Counter(k + tuple(v) for k, v in places.items()),
            "reporting_months": collections.Counter(k + tuple(v) for k, v in sources.items())}


def months_stored(db: Path) -> dict[str, collections.Counter]:
    tables = tables_of(db)
    assert tables["engagement_months"][0] == ["month", "region", "iso3", "admin1_pcode", "checkpoint_id",
                                              "counterpart_id", "engagements", "denied"]
    assert tables["reporting_months"][0] == ["month", "region", "iso3", "admin1_pcode", "load_id", "organisation",
                                             "engagements", "latest"]
    return {t: collections.Counter(tables[t][1]) for t in ("engagement_months", "reporting_months")}


@pytest.mark.parametrize("version", PAST)
def test_the_upgrade_counts_the_engagements_by_month(upgraded, version):
    u = upgraded[version]
    expected = months_oracle(as_dicts(u.after["engagements"]))
    for table, rows in expected.items():
        assert len(rows) > 50 and sum(r[6] for r in rows) == len(u.after["engagements"][1]), table
        assert collections.Counter(u.after[table][1]) == rows, table


def test_the_monthly_counts_follow_a_load_and_a_merge(tmp_path):
    """Rebuilt when a write session publishes: after a new log, and after a merge moves engagements."""
    db = unpack(4, tmp_path)
    assert cli("upgrade", "--db", str(db)).returncode == 0
    settings = Settings(db=db)
    log = write_csv(tmp_path / "new_log.csv", [row(engagement_id=f"E-NEW-{i}", request_id=f"R-NEW-{i}")
                                               for i in range(3)])
    assert [r.status for r in load_paths([log], db, settings)] == ["loaded"]
    engagements = as_dicts(tables_of(db)["engagements"])
    assert months_stored(db) == months_oracle(engagements)
    # the two busiest counterparts of one country, merged: the absorbed one's engagements move
    a, b = (r[0] for r in duckdb.connect(str(db), read_only=True).execute(
        "SELECT counterpart_id FROM engagements WHERE iso3 = (SELECT iso3 FROM engagements GROUP BY 1 "
        "ORDER BY count(*) DESC LIMIT 1) GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 2").fetchall())
    done = cli("counterparts", "merge", a, b, "--reason", "test: same person", "--db", str(db))
    assert done.returncode == 0, done.stderr
    after = as_dicts(tables_of(db)["engagements"])
    assert {e["counterpart_id"] for e in after} != {e["counterpart_id"] for e in engagements}  # the merge moved rows
    assert months_stored(db) == months_oracle(after)


@pytest.mark.parametrize("version", PAST)
def test_every_load_of_an_upgraded_database_was_made_there_and_nothing_was_received(upgraded, version):
    """Schema 7: an office's loads before it could sync were its own (``pulled_from`` NULL); nothing received yet."""
    u = upgraded[version]
    loads = as_dicts(u.after["loads"])
    assert len(loads) == len(u.original["loads"][1]) > 0 and {r["pulled_from"] for r in loads} == {None}
    assert u.after["sync_decisions"][1] == [] and u.after["sync_conflicts"][1] == []


@pytest.mark.parametrize("version", PAST)
def test_the_migrations_are_on_record(upgraded, version):
    recorded = {r["version"]: r for r in as_dicts(upgraded[version].after["schema_migrations"])}
    assert sorted(recorded) == [m.version for m in migrations.registry()]
    for v, r in recorded.items():
        # Present before the upgrade in a database older than schema 4, which had no record: nobody knows
        # when it was made. From schema 4 on a database records its migrations (a new one all of them).
        backfilled = v <= version < 4
        assert r["name"].endswith("(already present; backfilled)") == backfilled, r
        assert (r["software_version"] is None) == backfilled, r


def test_decisions_and_the_audit_trail_still_resolve_after_the_upgrade(upgraded):
    u = upgraded[3]
    loads = {r["load_id"] for r in as_dicts(u.after["loads"])}
    decisions = as_dicts(u.after["counterpart_decisions"])
    assert [d["action"] for d in decisions] == ["merge", "keep_apart"]
    assert decisions == as_dicts(u.original["counterpart_decisions"])
    counterparts = {r["counterpart_id"] for r in as_dicts(u.after["counterparts"])}
    decided = {d[k] for d in decisions for k in ("counterpart_id_a", "counterpart_id_b") if d[k]}
    events = [json.loads(line) for line in (FIXTURES / "schema-3.audit.jsonl").read_text().splitlines()]
    load_refs = [i for e in events if e["action"] == "load" for i in e["detail"]["load_ids"]]
    decision_refs = [t for e in events if e["action"] == "decision" for t in e["target"]]
    assert load_refs and set(load_refs) <= loads
    assert len(decision_refs) == 4 and set(decision_refs) <= counterparts | decided
    merged = next(d for d in decisions if d["action"] == "merge")
    assert merged["result_id"] in counterparts
    # The merged-away spelling still lands on the kept counterpart.
    moved = [e for e in as_dicts(u.after["engagements"]) if e["counterpart_name"] and e["counterpart_id"] ==
             merged["result_id"]]
    assert len({e["counterpart_name"] for e in moved}) >= 2


@pytest.mark.parametrize("version", PAST)
def test_the_upgraded_tables_are_those_of_a_new_database(upgraded, version):
    fresh = duckdb.connect()
    ensure_schema(fresh)
    want = fresh.execute("SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
                         "ORDER BY 1, ordinal_position").fetchall()
    con = duckdb.connect(str(upgraded[version].db), read_only=True)
    got = con.execute("SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
                      "ORDER BY 1, ordinal_position").fetchall()
    con.close()
    assert got == want


# ------------------------------------------------------------------------------------- the runner


def test_a_second_upgrade_touches_nothing(upgraded):
    db = upgraded[2].db
    before = fingerprint(db.parent)
    result = cli("upgrade", "--db", str(db))
    assert result.returncode == 0 and f"already at schema version {SCHEMA_VERSION}; nothing to do" in result.stdout
    assert fingerprint(db.parent) == before


def test_a_database_of_a_newer_release_is_refused_untouched(tmp_path):
    db = unpack(3, tmp_path)
    con = duckdb.connect(str(db))
    con.execute("UPDATE schema_info SET value = '99' WHERE key = 'schema_version'")
    con.close()
    before = fingerprint(tmp_path)
    result = cli("upgrade", "--db", str(db))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert (f"error: {db} has schema version 99; this release of the software knows versions up to {SCHEMA_VERSION}. "
            "Nothing was changed. Install the newer release that made it") in result.stderr
    after = fingerprint(tmp_path)
    audit_line = json.loads(after.pop("access.audit.jsonl")[0].splitlines()[-1])
    assert audit_line["action"] == "upgrade" and audit_line["detail"]["outcome"].startswith("refused: ")
    assert {k: v for k, v in after.items() if k != "access.duckdb.lock"} == {
        k: v for k, v in before.items() if k != "access.audit.jsonl"}


def test_a_failing_migration_leaves_the_original_byte_identical(tmp_path, monkeypatch):
    db = unpack(1, tmp_path)
    before = fingerprint(tmp_path)
    real = migrations.registry()

    def broken(con: duckdb.DuckDBPyConnection) -> None:
        con.execute("CREATE TABLE half_done (i INTEGER)")
        raise duckdb.ConversionException("Conversion Error: something in the data this migration did not expect")

    monkeypatch.setattr(migrations, "registry",
                        lambda: [real[0], migrations.Migration(3, "broken", "fails", broken), *real[2:]])
    with pytest.raises(runner.MigrationError) as err:
        runner.upgrade(db, settings=Settings(db=db))
    message = str(err.value)
    assert message.startswith("Migration 3 (broken) failed: Conversion Error: something in the data")
    assert f"{db} is unchanged (still schema version 1)" in message and "Keep using the release" in message
    assert err.value.migration.name == "broken"
    after = fingerprint(tmp_path)
    assert set(after) == set(before) | {"access.duckdb.lock"}  # no copy, no spill folder, no kept original
    assert after["access.duckdb"] == before["access.duckdb"]
    assert not [p for p in tmp_path.iterdir() if p.is_dir()]


def test_a_load_says_to_upgrade_an_older_database(tmp_path):
    db = unpack(2, tmp_path)
    log = write_csv(tmp_path / "log.csv", [row(engagement_id="E-NEW-1")])
    before = db.read_bytes()
    result = cli("load", str(log), "--db", str(db))
    assert result.returncode == 1
    assert (f"{db} has schema version 2; this version of the software needs {SCHEMA_VERSION}. "
            f"Run `python -m etl upgrade --db {db}`") in result.stderr
    assert "Rebuild" not in result.stderr and db.read_bytes() == before


def test_the_upgraded_database_loads_a_new_log_and_then_forgets_the_kept_original(tmp_path):
    db = unpack(3, tmp_path)
    assert cli("upgrade", "--db", str(db)).returncode == 0
    kept = db.with_name("access.duckdb.before-upgrade-3")
    assert kept.exists()
    settings = Settings(db=db)
    log = write_csv(tmp_path / "new_log.csv", [row(engagement_id=f"E-NEW-{i}", request_id=f"R-NEW-{i}")
                                               for i in range(3)])
    nothing = load_paths([tmp_path / "no-such-file.csv"], db, settings)  # nothing published: the original stays
    assert nothing[0].status == "failed" and kept.exists()
    results = load_paths([log], db, settings)
    assert [r.status for r in results] == ["loaded"], [r.message for r in results]
    assert not kept.exists()
    after = as_dicts(tables_of(db)["engagements"])
    assert len({e["engagement_key"] for e in after}) == len(after) == 390 + 3
    assert sum(e["engagement_id"].startswith("E-") and e["load_id"] == results[0].load_id for e in after) == 3


@pytest.mark.parametrize("version", PAST)
def test_the_dashboard_page_queries_run_on_the_upgraded_database(upgraded, version):
    con = connect_read(upgraded[version].db)
    try:
        con.execute(f"SET search_path = '{ensure_scope(con, scope_for('hq', (ALL_REGIONS,)), 'salt')}'")
        first, last = con.execute(queries.DATE_BOUNDS).fetchone()
        busiest = con.execute("SELECT counterpart_id FROM counterparts ORDER BY engagements DESC LIMIT 1").fetchone()[0]
        for page in (p.key for p in registry.DATABASE_PAGES):
            for sql, params in queries.page_queries(page, Filters(start=first, end=last), busiest):
                con.execute(sql, params).fetchall()
        assert con.execute("SELECT count(*) FROM engagement_obstacles").fetchone()[0] > 0
    finally:
        con.close()


def test_an_encrypted_database_upgrades_with_its_key(tmp_path):
    plain = unpack(2, tmp_path / "plain")
    db = tmp_path / "access.duckdb"
    con = duckdb.connect()
    con.execute(f"LOAD '{crypto.httpfs_extension()}'")
    con.execute(f"ATTACH '{plain}' AS p (READ_ONLY)")
    con.execute(f"ATTACH '{db}' AS e (ENCRYPTION_KEY '{KEY.replace(chr(39), chr(39) * 2)}')")
    con.execute("COPY FROM DATABASE p TO e")
    con.close()
    original = tables_of(plain)

    no_key = cli("upgrade", "--db", str(db))
    assert no_key.returncode == 1 and "is encrypted and no database key is configured" in no_key.stderr

    result = cli("upgrade", "--db", str(db), ACCESS_DB_KEY=KEY)
    assert result.returncode == 0, result.stderr
    with pytest.raises(duckdb.Error):
        duckdb.connect(str(db), read_only=True)  # still encrypted
    with pytest.raises(DatabaseError):
        connect_read(db, settings=Settings(db=db))
    con = connect_read(db, settings=Settings(db=db, db_key=SecretStr(KEY)))
    try:
        assert con.execute("SELECT value FROM schema_info").fetchone()[0] == SCHEMA_VERSION
        for table, (_cols, rows) in original.items():
            assert con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] == len(rows), table
    finally:
        con.close()
    kept = db.with_name("access.duckdb.before-upgrade-2")
    with pytest.raises(duckdb.Error):
        duckdb.connect(str(kept), read_only=True)  # the kept original is the encrypted file as it was


# ------------------------------------------------------------------------------------- the registry


def test_the_registry_walks_every_migration_up_to_this_schema_version():
    found = migrations.registry()
    assert [m.version for m in found] == list(range(2, int(SCHEMA_VERSION) + 1))
    for m in found:
        assert m.summary and m.summary.startswith(f"Schema {m.version}:"), m
    for version in PAST:  # a fixture, built by that release, for every version a database may be at
        manifest = json.loads((FIXTURES / f"schema-{version}.json").read_text())
        assert manifest["schema_version"] == version and manifest["row_counts"]["engagements"] > 0


def test_a_new_database_is_made_at_the_latest_version_with_every_migration_recorded():
    con = duckdb.connect()
    ensure_schema(con)
    ensure_schema(con)  # idempotent: recorded once
    rows = con.execute("SELECT version, name, software_version FROM schema_migrations ORDER BY 1").fetchall()
    assert rows == [(m.version, m.name, "0.1.0") for m in migrations.registry()]
    assert con.execute("SELECT value FROM schema_info").fetchone()[0] == SCHEMA_VERSION
