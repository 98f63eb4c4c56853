"""The demo goes through the same path as field files: write logs, load them, check every count."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pytest

from tests.conftest import REPO


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    work = tmp_path_factory.mktemp("demo")
    db, logs = work / "access.duckdb", work / "logs"
    result = subprocess.run([sys.executable, "-m", "etl", "demo", "--rows", "4000", "--db", str(db), "--out",
                             str(logs)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = json.loads((logs / "_manifest.json").read_text())
    return db, logs, manifest, result.stdout


def counts(db):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608
                for t in ("engagements", "access_requests", "counterparts", "checkpoints", "engagement_obstacles",
                          "engagement_conditions", "rejected_rows", "loads")}
    finally:
        con.close()


def test_demo_loads_clean_rows_and_rejects_dirty_ones_for_stated_reasons(demo):
    db, _logs, manifest, stdout = demo
    assert f"{manifest['rows_written']:,} rows read, {manifest['clean_rows']:,} loaded" in stdout
    con = duckdb.connect(str(db), read_only=True)
    reasons = dict(con.execute("SELECT reason_code, count(*) FROM rejected_rows GROUP BY 1").fetchall())
    rejected_rows = con.execute("SELECT count(DISTINCT (load_id, sheet, row_number)) FROM rejected_rows").fetchone()[0]
    con.close()
    assert rejected_rows == manifest["dirty_rows"]
    assert reasons == manifest["etl_reasons"]


def test_demo_has_the_shape_a_coordinator_expects(demo):
    db, _logs, manifest, _ = demo
    con = duckdb.connect(str(db), read_only=True)
    regions = con.execute("SELECT count(DISTINCT region), count(DISTINCT iso3) FROM engagements").fetchone()
    assert regions[0] >= 4 and regions[1] >= 8
    span = con.execute("SELECT date_diff('day', min(engagement_date), max(engagement_date)) FROM engagements").fetchone()
    assert span[0] > 3 * 365 - 40
    unplaced = con.execute("SELECT count(*) FILTER (WHERE admin1_pcode IS NULL) FROM engagements").fetchone()[0]
    assert unplaced == 0
    outcomes = {o for (o,) in con.execute("SELECT DISTINCT outcome FROM engagements").fetchall()}
    assert outcomes == {"granted", "granted_with_conditions", "partially_granted", "denied", "deferred", "no_response"}
    assert con.execute("SELECT count(*) FROM counterpart_review").fetchone()[0] > 0
    # Aliases: several spellings collapse onto one counterpart.
    assert con.execute("SELECT max(n) FROM (SELECT count(*) AS n FROM counterpart_aliases GROUP BY counterpart_id)").fetchone()[0] > 2
    con.close()


def test_loading_the_demo_files_again_changes_no_count(demo):
    db, logs, _manifest, _ = demo
    before = counts(db)
    result = subprocess.run([sys.executable, "-m", "etl", "load", str(logs), "--db", str(db)], cwd=REPO,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "already loaded" in result.stdout
    assert counts(db) == before


def test_status_shows_loads_and_reasons(demo):
    db, *_ = demo
    result = subprocess.run([sys.executable, "-m", "etl", "status", "--db", str(db)], cwd=REPO, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0
    assert "Rejected rows by reason" in result.stdout
    assert "unknown_outcome" in result.stdout
