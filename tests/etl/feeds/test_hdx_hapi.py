"""HDX HAPI conflict-event rows loaded through etl.intake.load_paths into real DuckDB files.

The files are written here from HAPI's documented fields (API v1/v2 and the HDX download): the
API's CSV, the HDX resource (UTF-8 with BOM and an HXL row under the header) and the API's JSON
envelope. Expected figures are summed here from the rows written, in plain Python.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest

from etl.feeds.registry import detect_feed

HEADER = ("location_code", "location_name", "has_hrp", "in_gho", "provider_admin1_name", "provider_admin2_name",
          "admin1_code", "admin1_name", "admin2_code", "admin2_name", "admin_level", "event_type", "events",
          "fatalities", "reference_period_start", "reference_period_end", "resource_hdx_id", "warning", "error")
HXL = ("#country+code", "#country+name", "#meta+has_hrp", "#meta+in_gho", "#adm1+name+provider",
       "#adm2+name+provider", "#adm1+code", "#adm1+name", "#adm2+code", "#adm2+name", "#adm+level", "#event+type",
       "#indicator+event+num", "#affected+killed", "#date+start", "#date+end", "#meta+resource_id", "#meta+warning",
       "#meta+error")
RESOURCE = "fb139931-641f-4428-be77-429972878e19"


def hapi(iso3: str, a1: tuple[str, str] | None, a2: tuple[str, str] | None, event_type: str, events: str,
         fatalities: str, month: str, **extra: str) -> dict[str, str]:
    y, m = map(int, month.split("-"))
    end = (dt.date(y + m // 12, m % 12 + 1, 1) - dt.timedelta(days=1)).isoformat()
    out = {h: "" for h in HEADER}
    out.update(location_code=iso3, location_name={"YEM": "Yemen", "SSD": "South Sudan"}.get(iso3, iso3),
               has_hrp="Y", in_gho="Y", admin_level=str(2 if a2 else 1 if a1 else 0), event_type=event_type,
               events=events, fatalities=fatalities, reference_period_start=f"{month}-01",
               reference_period_end=end, resource_hdx_id=RESOURCE)
    if a1:
        out.update(admin1_code=a1[0], admin1_name=a1[1], provider_admin1_name=a1[1])
    if a2:
        out.update(admin2_code=a2[0], admin2_name=a2[1], provider_admin2_name=a2[1])
    out.update(extra)
    return out


ADEN, TAIZ, UPPER_NILE = ("YE24", "Aden"), ("YE15", "Ta'iz"), ("SS07", "Upper Nile")
GOOD = [
    hapi("YEM", ADEN, ("YE2402", "Al Mualla"), "political_violence", "4", "6", "2024-01"),
    hapi("YEM", ADEN, ("YE2402", "Al Mualla"), "civilian_targeting", "1", "1", "2024-01"),
    hapi("YEM", ADEN, ("YE2402", "Al Mualla"), "demonstration", "3", "", "2024-01"),
    hapi("YEM", TAIZ, ("YE1520", "Al Qahirah"), "political_violence", "9", "14", "2024-01"),
    hapi("YEM", TAIZ, ("YE1520", "Al Qahirah"), "political_violence", "11", "3", "2024-02"),
    hapi("YEM", ADEN, ("YE2402", "Al Mualla"), "demonstration", "2", "", "2024-02"),
    hapi("SSD", UPPER_NILE, ("SS0701", "Malakal"), "political_violence", "5", "12", "2024-01"),
    hapi("SSD", UPPER_NILE, ("SS0701", "Malakal"), "civilian_targeting", "2", "2", "2024-02"),
    hapi("SSD", None, None, "demonstration", "0", "0", "2024-02"),
    # a period starting mid-month still counts for its month
    hapi("SSD", UPPER_NILE, None, "demonstration", "1", "", "2024-02", reference_period_start="2024-02-10"),
    hapi("XKX", None, None, "civilian_targeting", "0", "0", "2024-01", error="Non matching p-code"),
]
BAD = [
    (hapi("YEM", ADEN, None, "political_violence", "-1", "0", "2024-03"), "negative_number"),
    (hapi("YEM", ADEN, None, "political_violence", "2", "nan", "2024-03"), "bad_number"),
    (hapi("YEM", TAIZ, None, "political_violence", "3000000000", "0", "2024-03"), "number_too_large"),
    (hapi("YEM", TAIZ, None, "political_violence", "1e400", "0", "2024-03"), "bad_number"),
    (hapi("YEM", TAIZ, None, "riots", "1", "0", "2024-03"), "unknown_event_type"),
    (hapi("YEM", TAIZ, None, "demonstration", "1", "", "2024-03", reference_period_end="2024-05-31"), "not_monthly"),
    (hapi("YEM", TAIZ, None, "demonstration", "1", "", "2024-03", reference_period_end="2024-02-01"),
     "period_end_before_start"),
    (hapi("XXX", None, None, "demonstration", "1", "", "2024-03", location_name="Atlantis"), "unknown_country"),
    (hapi("YEM", TAIZ, None, "demonstration", "1", "", "2024-03", admin_level="5"), "bad_code"),
    (hapi("YEM", None, None, "demonstration", "1", "", "2024-03", admin_level="1"), "missing_admin_area"),
    (hapi("YEM", TAIZ, None, "demonstration", "1", "", "2024-03", reference_period_start=""), "missing_period"),
]


def write_hapi_csv(path: Path, rows: list[dict[str, str]], hxl: bool = False, bom: bool = False) -> Path:
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        if hxl:
            w.writerow(HXL)
        for r in rows:
            w.writerow([r[h] for h in HEADER])
    return path


def write_hapi_json(path: Path, rows: list[dict[str, str]]) -> Path:
    """The API's JSON: numbers as numbers, null for blanks, v1's *_ref ids, dates with a time."""
    data = []
    for i, r in enumerate(rows):
        rec: dict[str, object] = {k: (v or None) for k, v in r.items() if k not in ("admin_level", "has_hrp", "in_gho")}
        rec.update(location_ref=100 + i, admin1_ref=200 + i, admin2_ref=300 + i,
                   events=int(r["events"]) if r["events"] else None,
                   fatalities=int(r["fatalities"]) if r["fatalities"] else None,
                   reference_period_start=r["reference_period_start"] + "T00:00:00",
                   reference_period_end=r["reference_period_end"] + "T23:59:59")
        data.append(rec)
    path.write_text(json.dumps({"data": data}), encoding="utf-8")
    return path


def expected(rows: list[dict[str, str]]) -> tuple[Counter, Counter, Counter]:
    """Events per (country, month, type), fatalities per (country, type), rows per country."""
    events, deaths, per_country = Counter(), Counter(), Counter()
    for r in rows:
        key = (r["location_code"], r["reference_period_start"][:7], r["event_type"])
        events[key] += int(r["events"])
        deaths[(r["location_code"], r["event_type"])] += int(r["fatalities"] or 0)
        per_country[r["location_code"]] += 1
    return events, deaths, per_country


def loaded(q) -> tuple[Counter, Counter, Counter]:
    events = Counter({(i, m, t): int(n) for i, m, t, n in q(
        "SELECT iso3, strftime(month, '%Y-%m'), event_type, sum(events) FROM conflict_event_counts GROUP BY ALL")})
    deaths = Counter({(i, t): int(n) for i, t, n in q(
        "SELECT iso3, event_type, coalesce(sum(fatalities), 0) FROM conflict_event_counts GROUP BY ALL")})
    per_country = Counter(dict(q("SELECT iso3, count(*) FROM conflict_event_counts GROUP BY 1")))
    return events, deaths, per_country


@pytest.mark.parametrize("form", ["hdx_download_with_hxl_row", "api_csv", "api_json"])
def test_each_form_loads_with_the_figures_of_the_file(form, tmp_path, load, q):
    if form == "api_json":
        path = write_hapi_json(tmp_path / "conflict_event.json", GOOD)
    else:
        hdx = form.startswith("hdx")
        path = write_hapi_csv(tmp_path / "hdx_hapi_conflict_event_global_2024.csv", GOOD, hxl=hdx, bom=hdx)
    assert detect_feed(path) == "hdx_hapi_conflict"
    [result] = load(path)
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_rejected) == (
        "loaded", len(GOOD), len(GOOD), 0)
    assert loaded(q) == expected(GOOD)
    # months are the first day of the period; the period end is kept
    assert q("SELECT DISTINCT month FROM conflict_event_counts ORDER BY 1") == [
        (dt.date(2024, 1, 1),), (dt.date(2024, 2, 1),)]
    assert q("SELECT DISTINCT period_end FROM conflict_event_counts WHERE month = '2024-02-01'") == [
        (dt.date(2024, 2, 29),)]
    # demonstrations without fatalities stay NULL (not zero)
    assert q("SELECT count(*) FROM conflict_event_counts WHERE fatalities IS NULL") == [
        (sum(not r["fatalities"] for r in GOOD),)]
    levels = Counter(dict(q("SELECT admin_level, count(*) FROM conflict_event_counts GROUP BY 1")))
    assert levels == Counter(2 if r["admin2_code"] else 1 if r["admin1_code"] else 0 for r in GOOD)
    if form != "api_json":
        assert "1 row(s) carry HDX HAPI's own error flag" in result.message


def test_each_bad_row_is_turned_away_with_its_reason(tmp_path, load, q):
    [result] = load(write_hapi_csv(tmp_path / "hapi_bad.csv", GOOD + [r for r, _ in BAD]))
    assert (result.rows_loaded, result.rows_rejected) == (len(GOOD), len(BAD))
    first_bad = len(GOOD) + 2  # CSV record number (header = 1)
    got = {n: code for n, code in q("SELECT row_number, reason_code FROM rejected_rows")}
    assert got == {first_bad + i: code for i, (_r, code) in enumerate(BAD)}
    assert loaded(q) == expected(GOOD)


def test_admin1_pcode_from_the_code_or_the_name(tmp_path, load, q):
    rows = [
        hapi("YEM", ("YE24", "Aden"), None, "demonstration", "1", "", "2024-01"),  # a P-code the map knows
        hapi("YEM", ("YE99", "Lahj Governorate"), None, "demonstration", "1", "", "2024-01"),  # unknown code, known name
        hapi("YEM", ("YE98", "Nowhere"), None, "demonstration", "1", "", "2024-01"),  # neither
        hapi("YEM", ("", "Taiz"), None, "demonstration", "1", "", "2024-01"),  # a name only
    ]
    [result] = load(write_hapi_csv(tmp_path / "hapi_codes.csv", rows))
    assert result.rows_loaded == 4
    assert "1 row(s) keep an admin-1 code the database does not know" in result.message
    got = dict(q("SELECT admin1_name, admin1_pcode FROM conflict_event_counts"))
    assert got == {"Aden": "YE24", "Lahj Governorate": "YE25", "Nowhere": "YE98", "Taiz": "YE15"}


def test_a_newer_file_for_the_same_months_replaces_its_rows(tmp_path, load, q):
    load(write_hapi_csv(tmp_path / "hapi_v1.csv", GOOD))
    [again] = load(write_hapi_csv(tmp_path / "hapi_v1_copy.csv", GOOD, hxl=True))  # same rows, another file
    assert (again.status, again.rows_loaded, again.rows_duplicate) == ("nothing_new", 0, len(GOOD))
    newer = [dict(r) for r in GOOD[:-3]]  # the last three rows are not in the newer file
    newer[0]["events"], newer[0]["fatalities"] = "6", "9"  # HAPI revised Aden's January figures
    newer.append(hapi("YEM", TAIZ, ("YE1520", "Al Qahirah"), "civilian_targeting", "2", "2", "2024-02"))
    [result] = load(write_hapi_csv(tmp_path / "hapi_v2.csv", newer))
    assert (result.rows_loaded, result.rows_duplicate) == (2, len(newer) - 2)
    assert "1 row(s) updated from this newer file" in result.message
    # the newer figures replace the older; rows only the older file had are kept
    assert loaded(q) == expected(newer + GOOD[-3:])
    assert q("SELECT count(*) FROM conflict_event_counts") == [(len(GOOD) + 1,)]


def test_a_refused_file_leaves_the_database_byte_identical(tmp_path, load, settings):
    load(write_hapi_csv(tmp_path / "hapi.csv", GOOD))
    before = settings.db.read_bytes()
    path = write_hapi_csv(tmp_path / "hapi_empty.csv", [], hxl=True, bom=True)
    assert detect_feed(path) == "hdx_hapi_conflict"
    [result] = load(path)
    assert result.status == "failed" and "hapi_empty.csv" in result.message and "no data rows" in result.message
    assert settings.db.read_bytes() == before


def test_hapi_files_are_not_taken_for_acled_or_incident_feeds(tmp_path):
    csv_path = write_hapi_csv(tmp_path / "a.csv", GOOD[:1], hxl=True, bom=True)
    json_path = write_hapi_json(tmp_path / "a.json", GOOD[:1])
    assert [detect_feed(csv_path), detect_feed(json_path)] == ["hdx_hapi_conflict", "hdx_hapi_conflict"]
    (tmp_path / "other.json").write_text(json.dumps({"data": [{"location_code": "YEM", "population": 5}]}))
    assert detect_feed(tmp_path / "other.json") is None


def test_recognised_by_its_hxl_row_alone(tmp_path, load, q):
    """The HDX download's HXL row (OCHA-DAP/hdx-scraper-acled's hxl_tags) under headers renamed."""
    path = tmp_path / "conflits.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([f"Champ {i + 1}" for i in range(len(HEADER))])
        w.writerow(HXL)
        for r in GOOD:
            w.writerow([r[h] for h in HEADER])
    assert detect_feed(path) == "hdx_hapi_conflict"
    [result] = load(path)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", len(GOOD), 0)
    assert loaded(q) == expected(GOOD)
    mapping = json.loads(q("SELECT column_mapping FROM loads")[0][0])
    assert mapping[f"Champ {HEADER.index('events') + 1}"] == "events"


@pytest.mark.parametrize("damage", ["cut_off", "invalid"])
def test_a_damaged_json_is_refused_as_hapi_with_the_fix(damage, tmp_path, load, settings, capsys):
    from etl.cli.main import main

    load(write_hapi_csv(tmp_path / "hapi.csv", GOOD))
    before = settings.db.read_bytes()
    text = write_hapi_json(tmp_path / "whole.json", GOOD).read_text(encoding="utf-8")
    path = tmp_path / "conflict_event_api.json"
    if damage == "cut_off":  # a download that stopped half-way
        path.write_text(text[: len(text) // 2], encoding="utf-8")
    else:  # a stray character after the first records: the head is still HAPI's
        cut = text.index("},", len(text) // 2) + 2
        path.write_text(text[:cut] + "@" + text[cut:], encoding="utf-8")
    assert detect_feed(path) == "hdx_hapi_conflict"
    [result] = load(path)
    assert result.status == "failed" and path.name in result.message
    if damage == "cut_off":
        assert f"cut off at byte {path.stat().st_size:,}" in result.message and "Download it again" in result.message
    else:
        assert "is not valid JSON (line 1, column" in result.message and "as the API returned it" in result.message
    assert "activity" not in result.message and "counterpart" not in result.message
    assert settings.db.read_bytes() == before
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Looks like: an HDX HAPI conflict-event file" in out and "Cannot load: " in out
