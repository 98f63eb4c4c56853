"""Public incident feeds (AWSD, Insecurity Insight) loaded through the real CLI into real DuckDB files.

Expected figures are computed here straight from the files with csv / openpyxl, never with the
loader's own readers.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from pathlib import Path

import duckdb
import openpyxl
import pytest

from etl.cli.main import main
from etl.config import Settings
from etl.feeds.base import GEO_PROBLEMS
from etl.feeds.registry import detect_feed, parse_feed
from etl.intake import load_paths
from tests.conftest import realdata, row, write_csv

AWSD = ("awsd", "awsd_global_incidents_1997-2025_hxl.csv")
AWSD_2016 = ("awsd", "awsd_security_incidents_1997-2016_snapshot2016-10-03.csv")
CODEBOOK = ("awsd", "awsd_abbreviations_codebook.xlsx")
KIKA = ("insecurity_insight", "2020-2023-aid-worker-kika-incident-data.xlsx")


def query(db: Path, sql: str, params: list[object] | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def read_csv_rows(path: Path, encoding: str) -> list[tuple[int, dict[str, str]]]:
    """(row number counting the header as 1, row) for every data row that is not an HXL row."""
    with open(path, encoding=encoding, newline="") as fh:
        records = list(csv.reader(fh))
    header = records[0]
    out = []
    for n, rec in enumerate(records[1:], start=2):
        if rec and rec[0].startswith("#"):
            continue
        out.append((n, dict(zip(header, rec, strict=False))))
    return out


def read_kika() -> list[tuple[int, dict[str, object]]]:
    wb = openpyxl.load_workbook(realdata(*KIKA), read_only=True, data_only=True)
    ws = wb.worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    out = []
    for n, values in enumerate(rows[1:], start=2):
        if values[0] is None or str(values[0]).startswith("#"):
            continue
        rec: dict[str, object] = {}
        for name, value in zip(header, values, strict=False):
            rec.setdefault(str(name), value)  # duplicate header names: the first column
        out.append((n, rec))
    return out


def load_cli(db: Path, *paths: Path) -> int:
    return main(["load", *map(str, paths), "--db", str(db), "--quiet"])


@pytest.fixture(scope="module")
def all_feeds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All four real files loaded in one command, through the CLI."""
    db = tmp_path_factory.mktemp("feeds") / "access.duckdb"
    paths = [realdata(*p) for p in (AWSD, AWSD_2016, CODEBOOK, KIKA)]
    assert load_cli(db, *paths) == 0
    return db


def test_each_feed_is_recognised_by_its_header():
    assert [detect_feed(realdata(*p)) for p in (AWSD, AWSD_2016, CODEBOOK, KIKA)] == [
        "awsd", "awsd_2016", "awsd_codebook", "insecurity_insight"]
    assert detect_feed(realdata("pcodes", "global_pcodes_adm1_adm2.csv")) is None


def test_loads_rows_per_file(all_feeds):
    got = query(all_feeds, "SELECT file_name, file_format, status, rows_read, rows_loaded, rows_rejected FROM loads "
                           "ORDER BY load_id")
    awsd = read_csv_rows(realdata(*AWSD), "utf-8")
    snap = read_csv_rows(realdata(*AWSD_2016), "latin-1")
    kika = read_kika()
    awsd_bad = [r for _, r in awsd if not r["Country"] or r["Country"] == "Kashmir"]
    snap_bad = [r for _, r in snap if not r["Country"] or r["Country"] == "Kashmir"]
    assert got == [
        (AWSD[1], "awsd", "loaded", len(awsd), len(awsd) - len(awsd_bad), len(awsd_bad)),
        (AWSD_2016[1], "awsd_2016", "loaded", len(snap), len(snap) - len(snap_bad), len(snap_bad)),
        (CODEBOOK[1], "awsd_codebook", "loaded", 34, 34, 0),
        (KIKA[1], "insecurity_insight", "loaded", len(kika), len(kika), 0),
    ]
    assert (len(awsd), len(snap), len(kika)) == (4954, 2088, 927)  # SOURCES.md


def test_awsd_rows_per_country_and_year_and_killed(all_feeds):
    expected: Counter[tuple[str, int]] = Counter()
    killed: Counter[str] = Counter()
    for _, r in read_csv_rows(realdata(*AWSD), "utf-8"):
        if r["Country"] and r["Country"] != "Kashmir":
            expected[(r["Country"], int(r["Year"]))] += 1
            killed[r["Country"]] += int(r["Total killed"])
    got = query(all_feeds, "SELECT country, year(incident_date), count(*) FROM incidents WHERE feed = 'awsd' "
                           "GROUP BY ALL")
    assert Counter({(c, y): n for c, y, n in got}) == expected
    got_killed = query(all_feeds, "SELECT country, sum(killed) FROM incidents WHERE feed = 'awsd' GROUP BY 1")
    assert {c: int(k) for c, k in got_killed} == dict(killed)
    # ISO2 codes became ISO3; Chechnya (no code in the file) is Russia.
    assert query(all_feeds, "SELECT DISTINCT iso3 FROM incidents WHERE feed = 'awsd' AND country = 'Chechnya'") == [
        ("RUS",)]
    assert query(all_feeds, "SELECT DISTINCT iso3 FROM incidents WHERE country = 'South Sudan'") == [("SSD",)]


def test_awsd_perpetrator_types_raw_and_normalised(all_feeds):
    raw = Counter(r["Actor type"].strip() for _, r in read_csv_rows(realdata(*AWSD), "utf-8")
                  if r["Country"] and r["Country"] != "Kashmir")
    got = dict(query(all_feeds, "SELECT perpetrator_type_raw, count(*) FROM incidents WHERE feed = 'awsd' "
                                "GROUP BY 1"))
    assert got == dict(raw)
    expected = Counter()
    for label, n in raw.items():
        if label.startswith("Non-state armed group"):
            expected["non_state_armed_group"] += n
        elif label.lower() in ("host state", "state: unknown", "police or paramilitary"):
            expected["host_state"] += n
        elif label == "Foreign or coalition forces":
            expected["foreign_forces"] += n
        elif label == "Criminal":
            expected["criminal"] += n
        elif label in ("Unaffiliated", "Aid recipient", "Staff member"):
            expected["civilian"] += n
        else:
            expected["unknown"] += n
    got_types = dict(query(all_feeds, "SELECT perpetrator_type, count(*) FROM incidents WHERE feed = 'awsd' "
                                      "GROUP BY 1"))
    assert got_types == dict(expected)


def test_awsd_rejected_rows_and_why(all_feeds):
    expected = set()
    for n, r in read_csv_rows(realdata(*AWSD), "utf-8"):
        if not r["Country"]:
            expected.add((n, "Country", None, "missing_country"))
        elif r["Country"] == "Kashmir":
            expected.add((n, "Country", "Kashmir", "unknown_country"))
    got = query(all_feeds, "SELECT row_number, column_name, value, reason_code FROM rejected_rows "
                           "WHERE source_file = ?", [AWSD[1]])
    assert set(got) == expected and len(got) == 8
    (reason, raw_id) = query(all_feeds, "SELECT reason, raw_row->>'Incident ID' FROM rejected_rows "
                                        "WHERE reason_code = 'unknown_country' AND source_file = ?", [AWSD[1]])[0]
    assert "'Kashmir' is not a country we can place (a disputed area" in reason
    assert raw_id == next(r["Incident ID"] for _, r in read_csv_rows(realdata(*AWSD), "utf-8")
                          if r["Country"] == "Kashmir")


def test_bad_geocodes_are_blanked_with_a_reason(all_feeds):
    snap = read_csv_rows(realdata(*AWSD_2016), "latin-1")
    same = {r["Incident ID"] for _, r in snap
            if r["Latitude"] and r["Latitude"] == r["Longitude"] and r["Country"]}
    got = {i for (i,) in query(all_feeds, "SELECT source_id FROM incidents WHERE feed = 'awsd_2016' "
                                          "AND geo_problem = 'same_lat_lon'")}
    assert got == same and snap[-1][1]["Incident ID"] in got  # the last row of the snapshot
    assert query(all_feeds, "SELECT count(*) FROM incidents WHERE geo_problem IS NOT NULL AND latitude IS NOT NULL") \
        == [(0,)]
    assert query(all_feeds, "SELECT count(*) FROM incidents WHERE abs(latitude) > 90 OR latitude = longitude") \
        == [(0,)]
    codes = {c for (c,) in query(all_feeds, "SELECT DISTINCT geo_problem FROM incidents WHERE geo_problem IS NOT NULL")}
    assert codes <= set(GEO_PROBLEMS) and "country_level_point" in codes


def test_snapshot_rows_per_country_and_year(all_feeds):
    expected = Counter((r["Country"], int(r["Year"])) for _, r in read_csv_rows(realdata(*AWSD_2016), "latin-1")
                       if r["Country"] and r["Country"] != "Kashmir")
    got = query(all_feeds, "SELECT country, year(incident_date), count(*) FROM incidents WHERE feed = 'awsd_2016' "
                           "GROUP BY ALL")
    assert Counter({(c, y): n for c, y, n in got}) == expected
    # Blank month/day: the precision says so, the date is the first of the period.
    blank_month = sum(1 for _, r in read_csv_rows(realdata(*AWSD_2016), "latin-1")
                      if r["Country"] and r["Country"] != "Kashmir" and not r["Month"])
    assert query(all_feeds, "SELECT count(*) FROM incidents WHERE feed = 'awsd_2016' AND date_precision = 'year' "
                            "AND month(incident_date) = 1 AND day(incident_date) = 1") == [(blank_month,)]


def test_kika_rows_per_country_and_year_and_perpetrators(all_feeds):
    kika = read_kika()
    expected = Counter((r["Country ISO"], r["Date"].year) for _, r in kika)
    got = query(all_feeds, "SELECT iso3, year(incident_date), count(*) FROM incidents "
                           "WHERE feed = 'insecurity_insight' GROUP BY ALL")
    assert Counter({(c, y): n for c, y, n in got}) == expected
    assert dict(query(all_feeds, "SELECT perpetrator_type_raw, count(*) FROM incidents "
                                 "WHERE feed = 'insecurity_insight' GROUP BY 1")) \
        == dict(Counter(str(r["Actor"]) for _, r in kika))
    assert query(all_feeds, "SELECT count(*) FROM incidents WHERE feed = 'insecurity_insight' "
                            "AND perpetrator_type = 'non_state_armed_group'") \
        == [(sum(r["Actor"] == "NSA" for _, r in kika),)]
    # The first 'Aid Workers Arrested' column counts, not its duplicate further right.
    assert query(all_feeds, "SELECT sum(detained), sum(killed) FROM incidents WHERE feed = 'insecurity_insight'") == [
        (sum(int(r["Aid Workers Arrested"]) for _, r in kika), sum(int(r["Aid Workers Killed"]) for _, r in kika))]
    # Source rows point at the spreadsheet row of the same SiND event.
    by_row = {n: str(int(r["SiND Event ID"])) for n, r in kika}
    got_rows = dict(query(all_feeds, "SELECT source_row, source_id FROM incidents WHERE feed = 'insecurity_insight'"))
    assert got_rows == by_row


def test_codebook_decodes_the_snapshot(all_feeds):
    wb = openpyxl.load_workbook(realdata(*CODEBOOK), read_only=True)
    means = {str(c).strip(): str(label).strip() for c, label in wb["Key for means of attack"].iter_rows(values_only=True)}
    snap = [r for _, r in read_csv_rows(realdata(*AWSD_2016), "latin-1")
            if r["Country"] and r["Country"] != "Kashmir"]
    expected = Counter(means[r["Means of attack"].strip()] for r in snap)
    got = dict(query(all_feeds, "SELECT means_of_attack, count(*) FROM incidents WHERE feed = 'awsd_2016' "
                                "GROUP BY 1"))
    assert got == dict(expected)
    assert query(all_feeds, "SELECT count(*) FROM incidents WHERE NOT codes_decoded") == [(0,)]
    ab = sum(r["Means of attack"].strip() == "AB" for r in snap)
    assert query(all_feeds, "SELECT count(*) FROM incidents WHERE feed = 'awsd_2016' AND means_code = 'AB' "
                            "AND category = 'hostilities'") == [(ab,)]
    assert query(all_feeds, "SELECT count(*) FROM incident_codes") == [(34,)]


def test_snapshot_before_codebook_keeps_codes_then_decodes(tmp_path, capsys):
    db = tmp_path / "access.duckdb"
    assert load_cli(db, realdata(*AWSD_2016)) == 0
    out = capsys.readouterr().out
    assert "keep their raw codes until the abbreviations workbook" in out
    assert query(db, "SELECT count(*), count(means_of_attack) FROM incidents WHERE NOT codes_decoded") == [(2081, 0)]
    assert load_cli(db, realdata(*CODEBOOK)) == 0
    assert "decoded the AWSD codes of 2,081 incident(s)" in capsys.readouterr().out
    assert query(db, "SELECT count(*), count(means_of_attack) FROM incidents WHERE codes_decoded") == [(2081, 2081)]
    assert query(db, "SELECT means_of_attack FROM incidents WHERE means_code = 'LM' LIMIT 1") == [
        ("Landmine or UXO detonation",)]


def test_the_same_incident_is_counted_once(all_feeds):
    awsd = {r["Incident ID"]: r for _, r in read_csv_rows(realdata(*AWSD), "utf-8") if r["Country"]}
    shared = {r["Incident ID"] for _, r in read_csv_rows(realdata(*AWSD_2016), "latin-1")
              if r["Country"] and r["Country"] != "Kashmir" and r["Incident ID"] in awsd}
    got = {i for (i,) in query(all_feeds, "SELECT source_id FROM incidents WHERE duplicate_rule = 'same_awsd_id'")}
    assert got == shared and len(shared) == 2078
    total, unique = query(all_feeds, "SELECT count(*), count(*) FILTER (duplicate_of IS NULL) FROM incidents")[0]
    matched = query(all_feeds, "SELECT count(*) FROM incidents WHERE duplicate_rule = 'cross_source_match'")[0][0]
    assert unique == total - len(shared) - matched
    # Measured on the real files: about a third of Insecurity Insight's incidents are in AWSD too.
    assert 250 <= matched <= 400
    # Every cross-source pair obeys the documented rule, and each kept row is counted.
    bad = query(all_feeds, """
        SELECT d.incident_id FROM incidents d JOIN incidents k ON k.incident_id = d.duplicate_of
        WHERE d.duplicate_rule = 'cross_source_match' AND (
            d.source <> 'insecurity_insight' OR k.source <> 'awsd' OR k.duplicate_of IS NOT NULL
            OR d.iso3 <> k.iso3 OR abs(d.incident_date - k.incident_date) > 2
            OR [d.killed, d.injured, d.kidnapped, d.detained] <> [k.killed, k.injured, k.kidnapped, k.detained])""")
    assert bad == []
    assert query(all_feeds, "SELECT count(*) - count(DISTINCT duplicate_of) FROM incidents "
                            "WHERE duplicate_rule = 'cross_source_match'") == [(0,)]


def test_duplicates_do_not_depend_on_load_order(all_feeds, tmp_path):
    db = tmp_path / "access.duckdb"
    for part in (KIKA, AWSD_2016, AWSD, CODEBOOK):  # one load per file, the reverse order
        assert load_cli(db, realdata(*part)) == 0
    sql = "SELECT incident_id, duplicate_of FROM incidents WHERE duplicate_of IS NOT NULL ORDER BY 1"
    assert query(db, sql) == query(all_feeds, sql)


def test_same_file_twice_adds_nothing(tmp_path, capsys):
    db = tmp_path / "access.duckdb"
    settings = Settings(db=db)
    [first] = load_paths([realdata(*KIKA)], db, settings)
    assert (first.status, first.rows_loaded) == ("loaded", 927)
    assert "Time Precision" not in first.message  # the workbook has the column: nothing assumed
    [again] = load_paths([realdata(*KIKA)], db, settings)
    assert again.status == "already_loaded"
    assert load_cli(db, realdata(*KIKA)) == 0
    assert "already loaded as load 1" in capsys.readouterr().out
    # The same rows in another file (a re-export with a note row added) are duplicates, not new incidents.
    wb = openpyxl.load_workbook(realdata(*KIKA))
    wb.worksheets[0].append(["#note", "", "", ""])
    copy = tmp_path / "kika-reexport.xlsx"
    wb.save(copy)
    [re_export] = load_paths([copy], db, settings)
    assert (re_export.status, re_export.rows_loaded, re_export.rows_duplicate) == ("nothing_new", 0, 927)
    assert query(db, "SELECT count(*) FROM incidents") == [(927,)]


AWSD_HEADER = ["Incident ID", "Year", "Month", "Day", "Country Code", "Country", "Region", "District", "City",
               "Total killed", "Total wounded", "Total kidnapped", "Total detained", "Means of attack",
               "Attack context", "Location", "Latitude", "Longitude", "Actor type", "Actor name", "Details"]


def awsd_row(**changes: str) -> dict[str, str]:
    base = {"Incident ID": "9001", "Year": "2024", "Month": "5", "Day": "12", "Country Code": "YE",
            "Country": "Yemen", "Region": "Aden", "Total killed": "0", "Total wounded": "1", "Total kidnapped": "0",
            "Total detained": "0", "Means of attack": "Shooting", "Attack context": "Ambush", "Location": "Road",
            "Latitude": "12.85", "Longitude": "44.98", "Actor type": "Non-state armed group: National",
            "Actor name": "Houthi Forces", "Details": "Synthetic test incident."}
    base.update(changes)
    return base


def test_synthetic_feed_gets_specific_reasons(tmp_path):
    rows = [
        awsd_row(),
        awsd_row(**{"Incident ID": "9002", "Month": "13"}),
        awsd_row(**{"Incident ID": "9003", "Year": ""}),
        awsd_row(**{"Incident ID": "9004", "Total killed": "two"}),
        awsd_row(**{"Incident ID": "9005", "Latitude": "95.1"}),
        awsd_row(**{"Incident ID": "9006", "Latitude": "14.5", "Longitude": "14.5"}),
        awsd_row(**{"Incident ID": "9007", "Latitude": "44.98", "Longitude": "12.85"}),
        awsd_row(**{"Incident ID": "9008", "Month": "", "Day": "", "Means of attack": "Roadside IED",
                    "Latitude": "", "Longitude": "", "Region": "Aden Governorate"}),
        awsd_row(**{"Incident ID": "9009", "Year": "2099"}),
    ]
    path = write_csv(tmp_path / "awsd_extract.csv", rows, headers=AWSD_HEADER)
    db = tmp_path / "access.duckdb"
    [result] = load_paths([path], db, Settings(db=db))
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_rejected) == ("loaded", 9, 5, 4)
    assert query(db, "SELECT row_number, column_name, value, reason_code FROM rejected_rows ORDER BY 1") == [
        (3, "Month", "2024-13-12", "impossible_date"),
        (4, "Year", None, "missing_date"),
        (5, "Total killed", "two", "bad_number"),
        (10, "Year", "2099-05-12", "future_date"),
    ]
    got = query(db, "SELECT source_id, geo_problem, latitude, admin1_pcode, date_precision, incident_date, category, "
                    "perpetrator_type, perpetrator_key FROM incidents ORDER BY 1")
    assert got == [
        ("9001", None, 12.85, "YE24", "day", dt.date(2024, 5, 12), "violence_against_personnel",
         "non_state_armed_group", "houthi forces"),
        ("9005", "coordinate_out_of_range", None, "YE24", "day", dt.date(2024, 5, 12), "violence_against_personnel",
         "non_state_armed_group", "houthi forces"),
        ("9006", "same_lat_lon", None, "YE24", "day", dt.date(2024, 5, 12), "violence_against_personnel",
         "non_state_armed_group", "houthi forces"),
        ("9007", "swapped_coordinates", None, "YE24", "day", dt.date(2024, 5, 12), "violence_against_personnel",
         "non_state_armed_group", "houthi forces"),
        ("9008", None, None, "YE24", "year", dt.date(2024, 1, 1), "explosive_ordnance", "non_state_armed_group",
         "houthi forces"),
    ]
    (reason,) = query(db, "SELECT reason FROM rejected_rows WHERE reason_code = 'bad_number'")[0]
    assert reason.startswith("'two' in Total killed is not a number.")


def test_incident_counts_are_read_strictly_row_by_row(tmp_path):
    """A count no whole number can be is turned away for its row with its reason; never truncated or guessed."""
    values = {"9101": ("2.5", "not_whole_number"), "9102": ("nan", "bad_number"), "9103": ("inf", "bad_number"),
              "9104": ("3000000000", "number_too_large"), "9105": ("-1", "negative_number"),
              "9106": ("1,2", "not_whole_number"), "9107": ("1,234", None), "9108": ("4.0", None), "9109": ("", None)}
    rows = [awsd_row(**{"Incident ID": k, "Total wounded": v}) for k, (v, _code) in values.items()]
    path = write_csv(tmp_path / "awsd_counts.csv", rows, headers=AWSD_HEADER)
    db = tmp_path / "access.duckdb"
    [result] = load_paths([path], db, Settings(db=db))
    assert (result.rows_loaded, result.rows_rejected) == (3, 6)
    rejected = query(db, "SELECT value, reason_code FROM rejected_rows WHERE column_name = 'Total wounded'")
    assert sorted(rejected) == sorted((v, code) for v, code in values.values() if code)
    assert query(db, "SELECT source_id, injured FROM incidents ORDER BY 1") == [
        ("9107", 1234), ("9108", 4), ("9109", None)]


def test_a_corrected_re_export_updates_the_incident(tmp_path):
    db = tmp_path / "access.duckdb"
    settings = Settings(db=db)
    load_paths([write_csv(tmp_path / "v1.csv", [awsd_row()], headers=AWSD_HEADER)], db, settings)
    [result] = load_paths([write_csv(tmp_path / "v2.csv", [awsd_row(**{"Total killed": "1"}),
                                                           awsd_row(**{"Incident ID": "9010"})],
                                     headers=AWSD_HEADER)], db, settings)
    assert (result.rows_loaded, result.rows_duplicate) == (2, 0)
    assert "1 incident(s) updated" in result.message
    assert query(db, "SELECT source_id, killed, load_id FROM incidents ORDER BY 1") == [("9001", 1, 2), ("9010", 0, 2)]


def test_perpetrators_link_to_counterparts_of_the_same_country(tmp_path):
    db = tmp_path / "access.duckdb"
    settings = Settings(db=db)
    log = write_csv(tmp_path / "log.csv", [row(counterpart="HOUTHI FORCES", counterpart_type="nsag")])
    feed = write_csv(tmp_path / "awsd_extract.csv", [awsd_row(), awsd_row(**{"Incident ID": "9011", "Country Code":
                                                                            "SO", "Country": "Somalia",
                                                                            "Region": "", "Latitude": "",
                                                                            "Longitude": ""})],
                     headers=AWSD_HEADER)
    results = load_paths([log, feed], db, settings)
    assert [r.status for r in results] == ["loaded", "loaded"]
    linked = query(db, """
        SELECT i.source_id, c.name FROM incidents i
        JOIN counterparts c ON c.iso3 = i.iso3 AND c.name_key = i.perpetrator_key
        WHERE i.duplicate_of IS NULL""")
    assert linked == [("9001", "HOUTHI FORCES")]  # the Somali incident has no Yemeni counterpart


def test_unique_incidents_per_month_and_area(all_feeds):
    """The count the dashboard will use, checked against the AWSD file for one country and year."""
    got = dict(query(all_feeds, """
        SELECT month(incident_date), count(*) FROM incidents
        WHERE duplicate_of IS NULL AND iso3 = 'SSD' AND year(incident_date) = 2024 AND date_precision IN ('day', 'week', 'month')
        GROUP BY 1"""))
    expected = Counter(int(r["Month"]) for _, r in read_csv_rows(realdata(*AWSD), "utf-8")
                       if r["Country Code"] == "SS" and r["Year"] == "2024" and r["Month"])
    assert got == dict(expected)  # 2024 is after both the snapshot and the Insecurity Insight period


def test_kika_figures_match_an_independent_count(all_feeds):
    """Unique SiND ids, killed and incidents per country, counted with openpyxl over the raw sheet."""
    kika = read_kika()
    ids = {int(r["SiND Event ID"]) for _, r in kika}
    per_country = Counter(str(r["Country ISO"]) for _, r in kika)
    got = query(all_feeds, "SELECT count(DISTINCT source_id), sum(killed), min(dataset), max(dataset) "
                           "FROM incidents WHERE feed = 'insecurity_insight'")
    assert got == [(len(ids), sum(int(r["Aid Workers Killed"]) for _, r in kika), "aid_workers", "aid_workers")]
    assert dict(query(all_feeds, "SELECT iso3, count(*) FROM incidents WHERE feed = 'insecurity_insight' "
                                 "GROUP BY 1")) == dict(per_country)
    assert per_country.most_common(2) == [("SSD", 162), ("MMR", 107)]  # SOURCES.md


def test_awsd_is_recognised_by_its_hxl_tags_alone(tmp_path):
    """The HDX export with its header row renamed: the HXL row under it still says what each column is."""
    with open(realdata(*AWSD), encoding="utf-8", newline="") as fh:
        records = list(csv.reader(fh))
    records[0] = [f"col {i}" for i in range(len(records[0]))]
    path = tmp_path / "renamed.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(records)
    assert detect_feed(path) == "awsd"
    parsed = parse_feed(path, "awsd", today=dt.date(2026, 1, 1))
    expected = [r for _, r in read_csv_rows(realdata(*AWSD), "utf-8") if r["Country"] and r["Country"] != "Kashmir"]
    assert len(parsed.records) == len(expected)
    assert sum(r.killed or 0 for r in parsed.records) == sum(int(r["Total killed"]) for r in expected)
    assert {r.dataset for r in parsed.records} == {"aid_workers"}
