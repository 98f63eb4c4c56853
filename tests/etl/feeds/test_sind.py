"""Insecurity Insight's dataset families, written here from the publisher's documented schema
(OCHA-DAP/hdx-scraper-insecurity-insight: metadata/schema.csv and the API samples), in CSV (with and
without the HXL row), XLSX and JSON (array and API envelope), with headers renamed by synonym and
optional columns left out. Expected figures are the numbers written into the files, summed by hand.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import openpyxl
import pytest

from etl.cli.main import main
from etl.config import Settings
from etl.intake import load_paths
from tests.conftest import realdata, row, write_csv

CORE = {"Date": "2024-05-12", "Event Description": "Synthetic test event.", "Country": "Yemen",
        "Country ISO": "YEM", "Admin 1": "Aden", "Latitude": "12.85", "Longitude": "44.98",
        "Geo Precision": "(2) 25 km precision", "Reported Perpetrator": "NSA",
        "Reported Perpetrator Name": "Houthi Forces", "Weapon Carried/Used": "Firearms"}
CORE_HXL = {"Date": "#date +occurred", "Event Description": "#description", "Country": "#country +name",
            "Country ISO": "#country_ISO", "Admin 1": "#adm1", "Latitude": "#geo +lat", "Longitude": "#geo +lon",
            "Geo Precision": "#geo +precision", "Reported Perpetrator": "#group +perp",
            "Reported Perpetrator Name": "#group +perp +name", "Weapon Carried/Used": "#weapon",
            "SiND Event ID": "#event +id"}


def query(db: Path, sql: str, params: list[object] | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def records(family_columns: dict[str, list[int]], ids: list[int], **core: str) -> list[dict[str, object]]:
    """One record per SiND id: the core columns, then each family column with its value for that row."""
    out = []
    for n, sind in enumerate(ids):
        rec: dict[str, object] = {**CORE, **core}
        rec.update({name: values[n] for name, values in family_columns.items()})
        rec["SiND Event ID"] = sind
        out.append(rec)
    return out


def write_rows(path: Path, recs: list[dict[str, object]], hxl: dict[str, str] | None = None,
               sheet: str = "Incidents") -> Path:
    header = list(dict.fromkeys(k for r in recs for k in r))
    if path.suffix == ".csv":
        with open(path, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            if hxl:
                w.writerow([hxl.get(h, "") for h in header])
            w.writerows([[r.get(h, "") for h in header] for r in recs])
    elif path.suffix == ".xlsx":
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = sheet
        ws.append(header)
        if hxl:
            ws.append([hxl.get(h) for h in header])
        for r in recs:
            ws.append([r.get(h) for h in header])
        wb.save(path)
    return path


# (family, documented victim columns with one value per row, expected killed/injured/kidnapped/detained totals)
HEALTH = {"Health Workers Killed": [1, 0], "Health Workers Injured": [2, 0], "Health Workers Kidnapped": [0, 1],
          "Health Workers Arrested": [0, 3], "Health Workers Threatened": [0, 0],
          "Number of Attacks on Health Facilities Reporting Damaged": [1, 0]}
EDUCATION = {"Type of Education Facility": ["Primary School", "University"], "Educators Killed": [1, 0],
             "Educators Injured": [0, 0], "Educators Kidnapped": [2, 0], "Educators Arrested": [0, 0],
             "Students Killed": [3, 1], "Students Injured": [4, 0], "Students Kidnapped": [0, 0],
             "Students Arrested": [0, 5]}
PROTECTION = {"Camp Name": ["Al-Mazraq Camp", "Kharaz Camp"], "Protection Event Context": ["Raid", "Shelling"],
              "Victim of Violence": ["Camp Resident", "Service Provider"], "Camp Resident Killed": [2, 0],
              "Camp Resident Injured": [1, 0], "Camp Residents Kidnapped": [0, 0], "Camp Residents Arrested": [4, 0],
              "Service Provider Killed": [0, 1], "Service Provider Kidnapped": [0, 2],
              "Service Provider Arrested": [0, 0]}
FOOD = {"Location of Incident": ["Warehouse", "Road"], "Infrastructure Affected": [" Warehouse", " Lorry"],
        "FoodSecurity": ["FoodSecurity", "FoodSecurity"]}


def test_health_care_api_json_without_time_precision(tmp_path):
    recs = records(HEALTH, [900001, 900002], Date="2024-04-30T00:00:00.000Z")
    recs[1]["Facility Name"] = ["Unnamed Health Facility"]  # the API's list values
    path = tmp_path / "healthcare.json"
    path.write_text(json.dumps(recs), encoding="utf-8")
    db = tmp_path / "access.duckdb"
    [result] = load_paths([path], db, Settings(db=db))
    assert (result.status, result.rows_loaded) == ("loaded", 2)
    assert "no Time Precision column: dates taken as exact to the day" in result.message
    assert query(db, "SELECT dataset, sum(killed), sum(injured), sum(kidnapped), sum(detained), "
                     "min(date_precision), min(incident_date)::VARCHAR FROM incidents GROUP BY 1") == [
        ("health_care", 1, 2, 1, 3, "day", "2024-04-30")]


@pytest.mark.parametrize("suffix,hxl", [(".xlsx", True), (".csv", False)], ids=["xlsx-hxl", "csv-plain"])
def test_education_counts_educators_and_students(tmp_path, suffix, hxl):
    path = write_rows(tmp_path / f"education{suffix}", records(EDUCATION, [910001, 910002]),
                      CORE_HXL if hxl else None, sheet="2020-2024 Education in Danger")
    db = tmp_path / "access.duckdb"
    [result] = load_paths([path], db, Settings(db=db))
    assert (result.status, result.rows_loaded) == ("loaded", 2)
    # killed = Educators Killed + Students Killed, row by row (1+3, 0+1); and so on.
    assert query(db, "SELECT source_id, dataset, killed, injured, kidnapped, detained FROM incidents ORDER BY 1") == [
        ("910001", "education", 4, 4, 2, 0), ("910002", "education", 1, 0, 0, 5)]


def test_protection_with_api_names_and_synonyms(tmp_path):
    recs = records(PROTECTION, [920001, 920002])
    for r in recs:  # the protection API's names: "Actor Type", "Actor Name", "SiND ID"; no Geo Precision
        r["Actor Type"], r["Actor Name"] = r.pop("Reported Perpetrator"), r.pop("Reported Perpetrator Name")
        r["SiND ID"] = r.pop("SiND Event ID")
        del r["Geo Precision"]
    path = write_rows(tmp_path / "protection.csv", recs)
    db = tmp_path / "access.duckdb"
    [result] = load_paths([path], db, Settings(db=db))
    assert (result.status, result.rows_loaded) == ("loaded", 2)
    assert query(db, "SELECT source_id, dataset, killed, injured, kidnapped, detained, place, perpetrator_name, "
                     "perpetrator_type FROM incidents ORDER BY 1") == [
        ("920001", "protection", 2, 1, 0, 4, "Al-Mazraq Camp", "Houthi Forces", "non_state_armed_group"),
        ("920002", "protection", 1, 0, 2, 0, "Kharaz Camp", "Houthi Forces", "non_state_armed_group")]


def test_food_security_api_envelope_without_counts(tmp_path):
    recs = records(FOOD, [930001, 930002])
    path = tmp_path / "foodSecurity.json"
    path.write_text(json.dumps({"data": recs, "metadata": {"total": 2}}), encoding="utf-8")
    db = tmp_path / "access.duckdb"
    [result] = load_paths([path], db, Settings(db=db))
    assert (result.status, result.rows_loaded) == ("loaded", 2)
    assert query(db, "SELECT DISTINCT dataset, killed, location_type IS NOT NULL FROM incidents") == [
        ("food_security", None, True)]


def test_hxl_row_recognises_renamed_headers(tmp_path):
    """Headers in another language: the HXL row alone says what each column is."""
    french = {"Date": "Date de l'incident", "Country ISO": "Code pays", "Admin 1": "Région", "Latitude": "Lat.",
              "Longitude": "Long.", "Reported Perpetrator": "Auteur", "Reported Perpetrator Name": "Nom de l'auteur",
              "Weapon Carried/Used": "Arme", "SiND Event ID": "Identifiant", "Country": "Pays",
              "Geo Precision": "Précision", "Event Description": "Récit"}
    recs = [{french.get(k, k): v for k, v in r.items()}
            for r in records({"Travailleurs humanitaires tués": [2]}, [940001])]
    hxl = {french.get(k, k): v for k, v in CORE_HXL.items()} | {"Travailleurs humanitaires tués":
                                                                 "#affected +aidworker +killed"}
    path = write_rows(tmp_path / "rapport.csv", recs, hxl)
    db = tmp_path / "access.duckdb"
    [result] = load_paths([path], db, Settings(db=db))
    assert (result.status, result.rows_loaded) == ("loaded", 1)
    assert query(db, "SELECT source_id, dataset, killed, admin1_pcode, perpetrator_type FROM incidents") == [
        ("940001", "aid_workers", 2, "YE24", "non_state_armed_group")]


def test_the_same_sind_event_in_two_files_is_counted_once(tmp_path):
    aid = records({"Aid Workers Killed": [1, 0, 2], "Aid Workers Injured": [0, 1, 0],
                   "Organisation Affected": ["INGO", "UN", "NGO"]}, [950001, 950002, 950003])
    health = records(HEALTH, [950002, 950009])  # 950002 is in both files
    aid_path = write_rows(tmp_path / "kika.csv", aid)
    health_path = tmp_path / "health.json"
    health_path.write_text(json.dumps(health), encoding="utf-8")
    db = tmp_path / "access.duckdb"
    results = load_paths([aid_path, health_path], db, Settings(db=db))
    assert [r.rows_loaded for r in results] == [3, 2]
    unique_ids = {r["SiND Event ID"] for r in aid + health}
    assert query(db, "SELECT count(*), count(*) FILTER (duplicate_of IS NULL) FROM incidents") == [
        (5, len(unique_ids))]
    # The aid-worker row is the one counted; the health-care row points at it.
    assert query(db, """SELECT d.dataset, k.dataset, d.duplicate_rule FROM incidents d
                        JOIN incidents k ON k.incident_id = d.duplicate_of""") == [
        ("health_care", "aid_workers", "same_sind_id")]
    # In the other order, the same row is counted.
    db2 = tmp_path / "again.duckdb"
    load_paths([health_path], db2, Settings(db=db2))
    load_paths([aid_path], db2, Settings(db=db2))
    sql = "SELECT dataset, source_id FROM incidents WHERE duplicate_of IS NOT NULL"
    assert query(db2, sql) == query(db, sql) == [("health_care", "950002")]


def test_a_mapping_file_makes_a_feed_recognised(tmp_path):
    recs = records(HEALTH, [960001])
    for r in recs:
        r["Ref. SiND"] = r.pop("SiND Event ID")
        r["Fecha"] = r.pop("Date")
    path = write_rows(tmp_path / "salud.csv", recs)
    db = tmp_path / "access.duckdb"
    [refused] = load_paths([path], db, Settings(db=db))
    assert refused.status == "failed" and "SiND Event ID" in refused.message
    (tmp_path / "salud.mapping.toml").write_text(
        '[columns]\n"Ref. SiND" = "SiND Event ID"\n"Fecha" = "Date"\n', encoding="utf-8")
    [result] = load_paths([path], db, Settings(db=db))
    assert (result.status, result.rows_loaded) == ("loaded", 1)
    assert query(db, "SELECT source_id, dataset, killed FROM incidents") == [("960001", "health_care", 1)]
    assert query(db, "SELECT column_mapping->>'Ref. SiND' FROM loads WHERE status = 'loaded'") == [("source_id",)]


def test_a_near_miss_feed_gets_its_own_advice_and_changes_nothing(tmp_path):
    db = tmp_path / "access.duckdb"
    load_paths([write_csv(tmp_path / "log.csv", [row()])], db, Settings(db=db))
    before = db.read_bytes()
    recs = records(HEALTH, [970001])
    del recs[0]["SiND Event ID"]
    path = write_rows(tmp_path / "health_extract.csv", recs)
    [result] = load_paths([path], db, Settings(db=db))
    assert result.status == "failed"
    assert "looks like an Insecurity Insight export" in result.message
    assert "required column(s) not found: SiND Event ID" in result.message
    assert "mapping.toml" in result.message
    assert "activity" not in result.message and "counterpart" not in result.message
    assert db.read_bytes() == before


def test_inspect_says_what_a_file_is(tmp_path, capsys):
    health = tmp_path / "healthcare.json"
    health.write_text(json.dumps(records(HEALTH, [980001])), encoding="utf-8")
    log = write_csv(tmp_path / "log.csv", [row()])
    expected = {health: "Looks like: an Insecurity Insight export (health care, SiND schema)",
                realdata("awsd", "awsd_global_incidents_1997-2025_hxl.csv"): "Looks like: an AWSD export",
                log: "Looks like: a negotiation log"}
    for path, line in expected.items():
        assert main(["inspect", str(path)]) == 0
        out = capsys.readouterr().out
        assert line in out, out
    assert "no Time Precision column: dates taken as exact to the day" in main_out(health, capsys)
    recs = records(HEALTH, [980002])
    del recs[0]["SiND Event ID"]
    near = write_rows(tmp_path / "near.csv", recs)
    out = main_out(near, capsys)
    assert "Cannot load" in out and "SiND Event ID" in out and "Required columns missing" not in out


def main_out(path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    main(["inspect", str(path)])
    return capsys.readouterr().out
