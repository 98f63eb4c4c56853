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


FEED_FORMATS = ("awsd", "insecurity_insight")


def counts(db):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608
                for t in ("engagements", "access_requests", "counterparts", "checkpoints", "engagement_obstacles",
                          "engagement_conditions", "rejected_rows", "loads", "incidents")}
    finally:
        con.close()


def query(db, sql, params=()):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def by_country_year(rows):
    out = {}
    for iso3, year, n in rows:
        out.setdefault(iso3, {})[str(year)] = n
    return out


def test_demo_loads_clean_rows_and_rejects_dirty_ones_for_stated_reasons(demo):
    db, _logs, manifest, stdout = demo
    feeds, conflict = manifest["incident_feeds"], manifest["conflict_feeds"]
    read = manifest["rows_written"] + feeds["rows_written"] + conflict["rows_written"]
    loaded = manifest["clean_rows"] + feeds["loaded"] + conflict["loaded"]
    files = len(manifest["files"]) + len(feeds["files"]) + len(conflict["files"])
    assert f"Summary: {files} file(s), {read:,} rows read, {loaded:,} loaded" in stdout
    logs_only = ("SELECT load_id FROM loads WHERE file_format NOT IN ('awsd', 'insecurity_insight', 'acled', "
                 "'hdx_hapi_conflict')")
    reasons = dict(query(db, f"SELECT reason_code, count(*) FROM rejected_rows WHERE load_id IN ({logs_only}) "
                             "GROUP BY 1"))
    rejected_rows = query(db, "SELECT count(DISTINCT (load_id, sheet, row_number)) FROM rejected_rows "
                              f"WHERE load_id IN ({logs_only})")[0][0]
    assert rejected_rows == manifest["dirty_rows"]
    assert reasons == manifest["etl_reasons"]


def test_demo_incidents_are_exactly_what_the_manifest_says(demo):
    """The incident feeds went through the normal load path into ``incidents``, with the stated results."""
    db, _logs, manifest, _stdout = demo
    feeds = manifest["incident_feeds"]
    loads = {f: (r, n, rej) for f, r, n, rej in query(
        db, "SELECT file_name, rows_read, rows_loaded, rows_rejected FROM loads WHERE file_format IN (?, ?)",
        FEED_FORMATS)}
    assert loads == {f["file"]: (f["rows"], f["loaded"], f["rejected"]) for f in feeds["files"]}
    assert len(loads) == 2  # the AWSD export and the Insecurity Insight workbook
    # every loaded row, and the unique ones, per country and year
    per_year = "SELECT iso3, year(incident_date), count(*) FROM incidents {} GROUP BY ALL ORDER BY ALL"
    assert by_country_year(query(db, per_year.format(""))) == feeds["by_country_year"]
    assert by_country_year(query(db, per_year.format("WHERE duplicate_of IS NULL"))) == feeds["unique_by_country_year"]
    for f in feeds["files"]:
        rows = query(db, "SELECT iso3, year(incident_date), count(*) FROM incidents i JOIN loads l USING (load_id) "
                         "WHERE l.file_name = ? GROUP BY ALL ORDER BY ALL", [f["file"]])
        assert by_country_year(rows) == f["by_country_year"], f["file"]
    # rows turned away, and why, with their row numbers
    rejected = query(db, "SELECT l.file_name, r.reason_code, r.row_number FROM rejected_rows r JOIN loads l "
                         "USING (load_id) WHERE l.file_format IN (?, ?) ORDER BY 1, 3", FEED_FORMATS)
    reasons: dict[str, int] = {}
    for _file, code, _row in rejected:
        reasons[code] = reasons.get(code, 0) + 1
    assert reasons == feeds["etl_reasons"]
    awsd = next(f for f in feeds["files"] if f["feed"] == "awsd")
    assert [r for f, _c, r in rejected if f == awsd["file"]] == awsd["rejected_rows"]
    # placed on admin-1 areas (by point, or by the region name when the point is missing)
    areas = dict(query(db, "SELECT admin1_pcode, count(*) FROM incidents WHERE admin1_pcode IS NOT NULL GROUP BY 1"))
    assert areas == feeds["by_admin1"]
    assert query(db, "SELECT count(*) FROM incidents WHERE admin1_pcode IS NULL")[0][0] == feeds["unplaced"]
    assert query(db, "SELECT count(*) FROM incidents WHERE geo_problem IS NOT NULL")[0][0] == 0
    assert dict(query(db, "SELECT date_precision, count(*) FROM incidents GROUP BY 1")) == {
        k: v for k, v in feeds["date_precision"].items() if v}
    # the Insecurity Insight re-reports are marked as duplicates of the AWSD rows
    assert dict(query(db, "SELECT duplicate_rule, count(*) FROM incidents WHERE duplicate_of IS NOT NULL "
                          "GROUP BY 1")) == feeds["duplicates"]
    ii = next(f for f in feeds["files"] if f["feed"] == "insecurity_insight")
    marked = query(db, "SELECT CAST(i.source_id AS DOUBLE)::INTEGER FROM incidents i JOIN incidents k "
                       "ON k.incident_id = i.duplicate_of WHERE i.feed = 'insecurity_insight' AND k.feed = 'awsd' "
                       "ORDER BY 1")
    assert [m for (m,) in marked] == sorted(ii["duplicate_ids"])


def test_demo_incidents_name_demo_counterparts(demo):
    """Perpetrators named after demo counterparts link to them (same country, same name key)."""
    db, _logs, manifest, _stdout = demo
    feeds = manifest["incident_feeds"]
    named = query(db, "SELECT count(*) FROM incidents WHERE feed = 'awsd' AND perpetrator_key IS NOT NULL")[0][0]
    assert named == feeds["named_after_counterparts"] > 0
    linked = query(db, "SELECT count(*) FROM incidents i WHERE feed = 'awsd' AND EXISTS (SELECT 1 FROM counterparts c "
                       "WHERE c.iso3 = i.iso3 AND c.name_key = i.perpetrator_key)")[0][0]
    assert linked >= 0.9 * named
    types = dict(query(db, "SELECT c.counterpart_type, count(*) FROM incidents i JOIN counterparts c "
                           "ON c.iso3 = i.iso3 AND c.name_key = i.perpetrator_key GROUP BY 1"))
    assert set(types) <= {"state_armed_forces", "police", "nsag", "de_facto_authority", "militia"}


def test_demo_conflict_events_are_what_the_manifest_says(demo):
    """ACLED-like events and HDX HAPI-like monthly counts load through the normal path, as stated."""
    db, _logs, manifest, _stdout = demo
    conflict = manifest["conflict_feeds"]
    loads = {f: (r, n, rej) for f, r, n, rej in query(
        db, "SELECT file_name, rows_read, rows_loaded, rows_rejected FROM loads "
            "WHERE file_format IN ('acled', 'hdx_hapi_conflict')")}
    assert loads == {f["file"]: (f["rows"], f["loaded"], f["rejected"]) for f in conflict["files"]}
    assert dict(query(db, "SELECT iso3, count(*) FROM conflict_events GROUP BY 1")) == conflict["events_by_country"]
    assert {k: int(v) for k, v in query(db, "SELECT iso3, sum(fatalities) FROM conflict_events GROUP BY 1")} == \
        conflict["fatalities_by_country"]
    assert dict(query(db, "SELECT admin1_pcode, count(*) FROM conflict_events GROUP BY 1")) == \
        conflict["events_by_admin1"]
    acled = next(f for f in conflict["files"] if f["feed"] == "acled")
    assert [list(r) for r in query(db, "SELECT r.row_number, r.reason_code FROM rejected_rows r JOIN loads l "
                                       "USING (load_id) WHERE l.file_format = 'acled' ORDER BY 1")] == \
        acled["rejected_rows"]
    assert {t: int(n) for t, n in query(db, "SELECT event_type, sum(events) FROM conflict_event_counts "
                                            "GROUP BY 1")} == conflict["hapi_events_by_type"]
    # the monthly counts are the events, aggregated: political violence per country and month agrees
    by_month = query(db, "SELECT iso3, month, sum(events) FROM conflict_event_counts "
                         "WHERE event_type = 'political_violence' GROUP BY ALL ORDER BY ALL")
    assert by_month == query(db, "SELECT iso3, date_trunc('month', event_date)::DATE, count(*) FROM conflict_events "
                                 "WHERE disorder_type = 'Political violence' GROUP BY ALL ORDER BY ALL")
    # actors named after demo counterparts link to them, as incident perpetrators do
    linked = query(db, "SELECT count(*) FROM conflict_events e WHERE EXISTS (SELECT 1 FROM counterparts c "
                       "WHERE c.iso3 = e.iso3 AND c.name_key = e.actor1_key)")[0][0]
    assert linked >= 0.9 * conflict["named_after_counterparts"] > 0


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
