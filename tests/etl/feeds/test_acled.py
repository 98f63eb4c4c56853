"""ACLED event exports loaded through etl.intake.load_paths into real DuckDB files.

The files are written here from ACLED's documented columns (codebook and API), in the forms
people download: the current lower-case CSV, an older upper-case CSV with numeric 'inter' codes,
XLSX with real date cells, and the API's JSON (envelope and bare array). Expected figures are
counted here from the rows written, in plain Python, never with the loader's readers.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from etl.feeds.registry import detect_feed
from tests.conftest import row, write_csv

HEADER = ("event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type", "sub_event_type",
          "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2", "interaction",
          "civilian_targeting", "iso", "region", "country", "admin1", "admin2", "admin3", "location", "latitude",
          "longitude", "geo_precision", "source", "source_scale", "notes", "fatalities", "tags", "timestamp")
ISO3_OF = {"887": "YEM", "728": "SSD", "4": "AFG"}
# Hand-checked: the admin-1 area each test point falls in (data/boundaries/admin1.geojson).
PLACES = {"Aden": (12.85, 44.98, "YE24"), "Taiz": (13.58, 44.02, "YE15"), "Al Hudaydah": (14.8, 42.95, "YE18"),
          "Juba": (4.85, 31.58, "SS01"), "Malakal": (9.53, 31.65, "SS07"), "Kabul": (34.53, 69.17, "AF01")}


def event(eid: str, date: str, iso: str, place: str, fatalities: str, **extra: str) -> dict[str, str]:
    lat, lon, _pcode = PLACES[place]
    country = {"887": "Yemen", "728": "South Sudan", "4": "Afghanistan"}[iso]
    out = {h: "" for h in HEADER}
    out.update(event_id_cnty=eid, event_date=date, year=date[:4], time_precision="1",
               disorder_type="Political violence", event_type="Battles", sub_event_type="Armed clash",
               actor1="Military Forces of Yemen (2017-)", inter1="State forces", actor2="Houthi Movement",
               inter2="Rebel group", interaction="State forces-Rebel group", iso=iso, region="Middle East",
               country=country, admin1=place, location=place, latitude=str(lat), longitude=str(lon),
               geo_precision="1", source="Local media", source_scale="Subnational", notes="Clashes (test data).",
               fatalities=fatalities, timestamp="1718000000")
    out.update(extra)
    return out


GOOD = [
    event("YEM100", "2024-01-15", "887", "Aden", "3"),
    event("YEM101", "2024-01-20", "887", "Taiz", "0", time_precision="2"),
    event("YEM102", "2024-02-03", "887", "Al Hudaydah", "12", event_type="Explosions/Remote violence",
          sub_event_type="Air/drone strike", civilian_targeting="Civilian targeting"),
    event("YEM103", "2024-02-28", "887", "Aden", "1", actor1="Col. Muhammad Idris", inter1="State forces",
          actor2="Civilians (Yemen)", inter2="Civilians", interaction="State forces-Civilians",
          event_type="Violence against civilians", sub_event_type="Attack", civilian_targeting="Civilian targeting"),
    event("SSD200", "2024-01-05", "728", "Juba", "2", actor1="Military Forces of South Sudan (2011-)",
          actor2="Unidentified Armed Group (South Sudan)", inter2="Political militia"),
    event("SSD201", "2024-03-11", "728", "Malakal", "7", time_precision="3"),
    event("SSD202", "2024-03-12", "728", "Malakal", "", disorder_type="Demonstrations", event_type="Protests",
          sub_event_type="Peaceful protest", actor1="Protesters (South Sudan)", inter1="Protesters", actor2="",
          inter2="", interaction="Protesters only"),
    event("AFG300", "2024-02-14", "4", "Kabul", "1,250"),
]
# Rows turned away, with the reason each gets (by CSV record number: the header is row 1).
BAD = {
    "nan": (event("YEM900", "2024-01-01", "887", "Aden", "nan"), "bad_number"),
    "inf": (event("YEM901", "2024-01-01", "887", "Aden", "inf"), "bad_number"),
    "huge float": (event("YEM902", "2024-01-01", "887", "Aden", "1e400"), "bad_number"),
    "negative": (event("YEM903", "2024-01-01", "887", "Aden", "-2"), "negative_number"),
    "fraction": (event("YEM904", "2024-01-01", "887", "Aden", "2.5"), "not_whole_number"),
    "too large": (event("YEM905", "2024-01-01", "887", "Aden", "3000000000"), "number_too_large"),
    "no id": (event("", "2024-01-01", "887", "Aden", "1"), "missing_event_id"),
    "no date": (event("YEM906", "", "887", "Aden", "1"), "missing_event_date"),
    "30 Feb": (event("YEM907", "2024-02-30", "887", "Aden", "1"), "impossible_date"),
    "future": (event("YEM908", "2091-01-01", "887", "Aden", "1"), "future_date"),
    "no type": (event("YEM909", "2024-01-01", "887", "Aden", "1", event_type=""), "missing_event_type"),
    "precision 7": (event("YEM910", "2024-01-01", "887", "Aden", "1", time_precision="7"), "bad_code"),
    "inter 9": (event("YEM911", "2024-01-01", "887", "Aden", "1", inter1="9"), "bad_code"),
    "nowhere": (dict(event("YEM912", "2024-01-01", "887", "Aden", "1"), iso="999", country="Atlantis"),
                "unknown_country"),
}


def write_acled_csv(path: Path, rows: list[dict[str, str]], header: tuple[str, ...] = HEADER) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for r in rows:
            w.writerow([r.get(h, "") for h in header])
    return path


def plain_date(text: str) -> dt.date:
    for fmt in ("%Y-%m-%d", "%d %B %Y", "%d-%B-%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise AssertionError(text)


def expected(rows: list[dict[str, str]]) -> tuple[Counter, Counter, Counter]:
    """Events per country, fatalities per country, events per (country, month): counted from the rows written."""
    events, deaths, months = Counter(), Counter(), Counter()
    for r in rows:
        iso3 = ISO3_OF[r["iso"]]
        events[iso3] += 1
        deaths[iso3] += int(r["fatalities"].replace(",", "") or 0)
        months[(iso3, plain_date(r["event_date"]).strftime("%Y-%m"))] += 1
    return events, deaths, months


def loaded_figures(q) -> tuple[Counter, Counter, Counter]:
    events = Counter(dict(q("SELECT iso3, count(*) FROM conflict_events GROUP BY 1")))
    deaths = Counter({k: int(v) for k, v in q("SELECT iso3, coalesce(sum(fatalities), 0) FROM conflict_events "
                                               "GROUP BY 1")})
    months = Counter({(i, m): n for i, m, n in q("SELECT iso3, strftime(event_date, '%Y-%m'), count(*) "
                                                  "FROM conflict_events GROUP BY ALL")})
    return events, deaths, months


@pytest.fixture
def current_csv(tmp_path: Path) -> Path:
    return write_acled_csv(tmp_path / "acled_2024.csv", GOOD + [r for r, _ in BAD.values()])


def test_current_export_loads_with_the_figures_of_the_file(current_csv, load, q):
    [result] = load(current_csv)
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_rejected) == (
        "loaded", len(GOOD) + len(BAD), len(GOOD), len(BAD))
    assert loaded_figures(q) == expected(GOOD)
    assert q("SELECT file_format FROM loads") == [("acled",)]
    # each event placed on the admin-1 area its point falls in (hand-checked P-codes)
    got = dict(q("SELECT source_id, admin1_pcode FROM conflict_events"))
    assert got == {r["event_id_cnty"]: PLACES[r["admin1"]][2] for r in GOOD}
    precision = dict(q("SELECT source_id, date_precision FROM conflict_events"))
    assert precision == {r["event_id_cnty"]: {"1": "day", "2": "week", "3": "month"}[r["time_precision"]] for r in GOOD}
    civilian = {k for (k,) in q("SELECT source_id FROM conflict_events WHERE civilian_targeting")}
    assert civilian == {r["event_id_cnty"] for r in GOOD if r["civilian_targeting"]}
    assert q("SELECT fatalities FROM conflict_events WHERE source_id = 'SSD202'") == [(None,)]


def test_each_bad_row_is_turned_away_with_its_reason(current_csv, load, q):
    load(current_csv)
    first_bad = len(GOOD) + 2  # CSV record number of the first bad row (header = 1)
    want = {first_bad + i: code for i, (_r, code) in enumerate(BAD.values())}
    got = {n: code for n, code in q("SELECT row_number, reason_code FROM rejected_rows")}
    assert got == want
    reasons = dict(q("SELECT value, reason FROM rejected_rows WHERE column_name = 'fatalities'"))
    assert "3000000000" in reasons and "too large to be a count" in reasons["3000000000"]
    assert all("Correct it in the file" in r for r in reasons.values())


def test_older_upper_case_export_with_numeric_codes(tmp_path, load, q):
    """Older files: upper-case names, ALLY_ACTOR_1, numeric inter codes, no DISORDER_TYPE or CIVILIAN_TARGETING."""
    header = ("EVENT_ID_CNTY", "EVENT_DATE", "YEAR", "TIME_PRECISION", "EVENT_TYPE", "ACTOR1", "ALLY_ACTOR_1",
              "INTER1", "ACTOR2", "ALLY_ACTOR_2", "INTER2", "INTERACTION", "COUNTRY", "ADMIN1", "ADMIN2", "ADMIN3",
              "LOCATION", "LATITUDE", "LONGITUDE", "GEO_PRECISION", "SOURCE", "NOTES", "FATALITIES")
    rows = [
        {"EVENT_ID_CNTY": "SSD1", "EVENT_DATE": "15-January-2016", "YEAR": "2016", "TIME_PRECISION": "1",
         "EVENT_TYPE": "Battle-No change of territory", "ACTOR1": "Military Forces of South Sudan (2011-)",
         "ALLY_ACTOR_1": "SPLA", "INTER1": "1", "ACTOR2": "SPLM/A-IO", "INTER2": "2", "INTERACTION": "12",
         "COUNTRY": "South Sudan", "ADMIN1": "Upper Nile", "LOCATION": "Malakal", "LATITUDE": "9.53",
         "LONGITUDE": "31.65", "GEO_PRECISION": "1", "SOURCE": "Radio Tamazuj", "FATALITIES": "4"},
        {"EVENT_ID_CNTY": "SSD2", "EVENT_DATE": "2-March-2016", "YEAR": "2016", "TIME_PRECISION": "2",
         "EVENT_TYPE": "Riots/Protests", "ACTOR1": "Protesters (South Sudan)", "INTER1": "6", "INTER2": "0",
         "INTERACTION": "60", "COUNTRY": "South Sudan", "ADMIN1": "Central Equatoria", "LOCATION": "Juba",
         "LATITUDE": "4.85", "LONGITUDE": "31.58", "GEO_PRECISION": "1", "SOURCE": "Eye Radio", "FATALITIES": "0"},
    ]
    path = tmp_path / "ACLED_South_Sudan_2016.csv"
    write_csv(path, rows, headers=header)
    assert detect_feed(path) == "acled"
    [result] = load(path)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 2, 0)
    got = q("SELECT source_id, event_date, date_precision, inter1, inter2, interaction, assoc_actor_1, "
            "civilian_targeting, disorder_type, iso3, admin1_pcode FROM conflict_events ORDER BY 1")
    assert got == [
        ("SSD1", dt.date(2016, 1, 15), "day", "State forces", "Rebel group", "State forces-Rebel group", "SPLA",
         None, None, "SSD", "SS07"),
        ("SSD2", dt.date(2016, 3, 2), "week", "Protesters", None, "Protesters only", None, None, None, "SSD", "SS01"),
    ]


def test_export_without_time_precision_is_taken_as_exact_and_says_so(tmp_path, load, q):
    header = tuple(h for h in HEADER if h != "time_precision")
    [result] = load(write_acled_csv(tmp_path / "acled_no_precision.csv", GOOD, header))
    assert result.rows_loaded == len(GOOD)
    assert "no time_precision column: event dates taken as exact to the day" in result.message
    assert q("SELECT DISTINCT date_precision FROM conflict_events") == [("day",)]


def write_xlsx(path: Path, rows: list[dict[str, str]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(list(HEADER))
    for r in rows:
        cells: list[object] = []
        for h in HEADER:
            value = r[h]
            if h == "event_date":
                cells.append(dt.datetime.combine(plain_date(value), dt.time()))  # a real Excel date
            elif h in ("fatalities", "latitude", "longitude", "iso", "year") and value:
                cells.append(float(value.replace(",", "")))  # numbers as Excel stores them
            else:
                cells.append(value or None)
        ws.append(cells)
    wb.save(path)
    return path


def api_json(rows: list[dict[str, str]]) -> list[dict[str, object]]:
    """Records as ACLED's API returns them: strings, iso as a number, fatalities as a string."""
    out = []
    for r in rows:
        rec: dict[str, object] = {h: r[h] for h in HEADER}
        rec["iso"] = int(r["iso"])
        rec["fatalities"] = r["fatalities"].replace(",", "")
        out.append(rec)
    return out


@pytest.mark.parametrize("form", ["xlsx", "json_envelope", "json_array"])
def test_xlsx_and_api_json_give_the_same_events_as_the_csv(form, tmp_path, load, q, current_csv):
    if form == "xlsx":
        path = write_xlsx(tmp_path / "acled.xlsx", GOOD)
    elif form == "json_envelope":
        path = tmp_path / "acled_api.json"
        path.write_text(json.dumps({"status": 200, "success": True, "count": len(GOOD), "data": api_json(GOOD)}))
    else:
        path = tmp_path / "acled_array.json"
        path.write_text(json.dumps(api_json(GOOD)))
    assert detect_feed(path) == "acled"
    [result] = load(path)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", len(GOOD), 0)
    assert loaded_figures(q) == expected(GOOD)
    cols = ("source_id, event_date, date_precision, event_type, actor1_key, inter1, interaction, "
            "civilian_targeting, iso3, admin1_pcode, latitude, fatalities")
    first = q(f"SELECT {cols} FROM conflict_events ORDER BY 1")  # noqa: S608
    # the same events as a CSV are duplicates: the row hash is over the values, not the file's form
    [again] = load(write_acled_csv(tmp_path / "same_as_csv.csv", GOOD))
    assert (again.rows_loaded, again.rows_duplicate) == (0, len(GOOD))
    assert q(f"SELECT {cols} FROM conflict_events ORDER BY 1") == first  # noqa: S608


def test_reload_is_idempotent_and_a_newer_export_replaces_changed_events(tmp_path, load, q, current_csv):
    load(current_csv)
    [again] = load(current_csv)
    assert again.status == "already_loaded"
    newer = [dict(r) for r in GOOD]
    newer[0]["fatalities"] = "5"  # ACLED corrected YEM100
    newer.append(event("YEM104", "2024-03-30", "887", "Taiz", "4"))
    newer.append(dict(GOOD[1]))  # a repeated identical row: loaded once, counted as a duplicate
    [result] = load(write_acled_csv(tmp_path / "acled_2024_newer.csv", newer))
    assert (result.status, result.rows_loaded, result.rows_duplicate, result.rows_rejected) == (
        "loaded", 2, len(GOOD), 0)
    assert "1 event(s) updated from this newer file" in result.message
    assert loaded_figures(q) == expected(newer[:-1])
    assert q("SELECT fatalities, load_id FROM conflict_events WHERE source_id = 'YEM100'") == [(5, 2)]


def test_a_repeated_event_id_with_other_values_is_rejected(tmp_path, load, q):
    rows = [*GOOD, dict(GOOD[0], fatalities="99")]
    [result] = load(write_acled_csv(tmp_path / "acled_repeat.csv", rows))
    assert (result.rows_loaded, result.rows_rejected) == (len(GOOD), 1)
    assert q("SELECT row_number, reason_code FROM rejected_rows") == [(len(rows) + 1, "repeated_event_id")]
    assert q("SELECT fatalities FROM conflict_events WHERE source_id = 'YEM100'") == [(3,)]


@pytest.mark.parametrize("kind", ["header_only", "truncated_json"])
def test_a_refused_file_leaves_the_database_byte_identical(kind, tmp_path, load, settings, current_csv):
    load(current_csv)
    before = settings.db.read_bytes()
    if kind == "header_only":
        path = write_acled_csv(tmp_path / "acled_empty.csv", [])
    else:
        text = json.dumps({"status": 200, "success": True, "data": api_json(GOOD)})
        path = tmp_path / "acled_cut.json"
        path.write_text(text[: len(text) // 2])
    assert detect_feed(path) == "acled"
    [result] = load(path)
    assert result.status == "failed" and path.name in result.message
    if kind == "header_only":
        assert "no data rows" in result.message and "Check the download" in result.message
    else:  # refused as a cut-off ACLED export, with the fix
        assert f"cut off at byte {path.stat().st_size:,}" in result.message and "Download it again" in result.message
    assert "activity" not in result.message  # never advice about negotiation-log columns
    assert settings.db.read_bytes() == before


def test_actor_keys_find_the_counterpart_named_in_the_logs(tmp_path, load, q, current_csv):
    """'Col. Muhammad Idris' in ACLED and 'Col. Mohammed Idris' in a Yemen log are one counterpart."""
    log = write_csv(tmp_path / "yemen_log.csv", [row()])
    load(log, current_csv)
    linked = q("SELECT e.source_id, c.name FROM conflict_events e JOIN counterparts c "
               "ON c.iso3 = e.iso3 AND c.name_key = e.actor1_key")
    assert linked == [("YEM103", "Col. Mohammed Idris")]
    # ACLED's placeholder actors keep their name but the incidents' placeholders get no key
    assert q("SELECT actor2, actor2_key IS NOT NULL FROM conflict_events WHERE source_id = 'SSD200'") == [
        ("Unidentified Armed Group (South Sudan)", True)]


def test_acled_files_are_told_apart_from_logs_and_other_feeds(tmp_path, current_csv):
    assert detect_feed(current_csv) == "acled"
    assert detect_feed(write_csv(tmp_path / "log.csv", [row()])) is None
    hapi = write_csv(tmp_path / "hapi.csv", [{"location_code": "YEM", "event_type": "demonstration", "events": "1",
                                              "reference_period_start": "2024-01-01"}])
    assert detect_feed(hapi) == "hdx_hapi_conflict"


# ACLED's columns as HDX tags them (OCHA-DAP/hdx-scraper-acled, hdx-python-api's ACLED fixture); the
# headers are renamed so that only the HXL row (or a mapping file) can say what each column is.
HXL_TAGS = {"event_id_cnty": "#event+code", "event_date": "#date+occurred", "year": "#date+year",
            "event_type": "#event+type", "actor1": "#group+name+first", "assoc_actor_1": "#group+name+first+assoc",
            "actor2": "#group+name+second", "assoc_actor_2": "#group+name+second+assoc", "region": "#region+name",
            "country": "#country+name", "admin1": "#adm1+name", "admin2": "#adm2+name", "admin3": "#adm3+name",
            "location": "#loc+name", "latitude": "#geo+lat", "longitude": "#geo+lon", "source": "#meta+source",
            "notes": "#description", "fatalities": "#affected+killed", "iso": "#country+code"}


def write_renamed_csv(path: Path, rows: list[dict[str, str]], hxl: bool) -> Path:
    """ACLED's rows under headers of another language (and HDX's HXL row under them when ``hxl``)."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([f"Colonne {i + 1}" for i in range(len(HEADER))])
        if hxl:
            w.writerow([HXL_TAGS.get(h, "") for h in HEADER])
        for r in rows:
            w.writerow([r[h] for h in HEADER])
    return path


def test_recognised_by_its_hxl_row_alone(tmp_path, load, q):
    path = write_renamed_csv(tmp_path / "conflict_data_yem.csv", GOOD, hxl=True)
    assert detect_feed(path) == "acled"
    assert detect_feed(write_renamed_csv(tmp_path / "no_hxl.csv", GOOD, hxl=False)) is None
    [result] = load(path)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", len(GOOD), 0)
    assert loaded_figures(q) == expected(GOOD)
    # the columns no HXL tag names (time_precision, inter1...) are optional: dates taken as exact
    assert "no time_precision column" in result.message
    mapping = json.loads(q("SELECT column_mapping FROM loads")[0][0])
    assert mapping[f"Colonne {HEADER.index('fatalities') + 1}"] == "fatalities"


def test_a_mapping_file_names_two_renamed_columns(tmp_path, load, q, settings):
    renamed = {"event_id_cnty": "Code evenement", "fatalities": "Morts"}
    header = tuple(renamed.get(h, h) for h in HEADER)
    rows = [{renamed.get(k, k): v for k, v in r.items()} for r in GOOD]
    path = write_acled_csv(tmp_path / "acled_fr.csv", rows, header)
    [refused] = load(path)  # without the mapping file: looks like ACLED, two columns missing
    assert refused.status == "failed" and "event_id_cnty" in refused.message and "fatalities" in refused.message
    (tmp_path / "acled_fr.mapping.toml").write_text(
        '[columns]\n"Code evenement" = "event_id_cnty"\n"Morts" = "fatalities"\n', encoding="utf-8")
    assert detect_feed(path) == "acled"
    [result] = load(path)
    assert (result.status, result.rows_loaded) == ("loaded", len(GOOD))
    assert loaded_figures(q) == expected(GOOD)
    mapping = json.loads(q("SELECT column_mapping FROM loads WHERE status = 'loaded'")[0][0])
    assert (mapping["Code evenement"], mapping["Morts"]) == ("source_id", "fatalities")


def test_a_near_miss_gets_acleds_advice_and_changes_nothing(tmp_path, load, settings, current_csv):
    load(current_csv)
    before = settings.db.read_bytes()
    header = tuple(h for h in HEADER if h != "event_id_cnty")
    path = write_acled_csv(tmp_path / "acled_extract.csv", GOOD, header)
    assert detect_feed(path) is None
    [result] = load(path)
    assert result.status == "failed" and path.name in result.message
    assert "looks like an ACLED export" in result.message
    assert "required column(s) not found: event_id_cnty" in result.message
    assert "acled_extract.mapping.toml" in result.message and "'conflict_events'" in result.message
    for log_column in ("activity", "counterpart", "outcome"):  # never advice about negotiation-log columns
        assert log_column not in result.message
    assert settings.db.read_bytes() == before


def test_inspect_says_it_is_acled_and_how_each_column_is_read(tmp_path, capsys):
    from etl.cli.main import main

    path = write_renamed_csv(tmp_path / "conflict_data_yem.csv", GOOD, hxl=True)
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Looks like: an ACLED export" in out
    lines = {line.split()[0] + " " + line.split()[1]: line for line in out.splitlines() if line.startswith("Colonne")}
    fatalities = lines[f"Colonne {HEADER.index('fatalities') + 1}"]
    assert "fatalities -> fatalities" in fatalities and "HXL tag" in fatalities
    assert "not read" in lines[f"Colonne {HEADER.index('tags') + 1}"]
    assert "Loads into the conflict_events table" in out


def test_a_json_entry_that_is_not_a_record_is_rejected_for_itself(tmp_path, load, q):
    entries: list[object] = [*api_json(GOOD[:2]), "YEM999", *api_json(GOOD[2:])]
    path = tmp_path / "acled_api.json"
    path.write_text(json.dumps({"status": 200, "success": True, "data": entries}))
    [result] = load(path)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (len(GOOD) + 1, len(GOOD), 1)
    assert q("SELECT row_number, reason_code FROM rejected_rows") == [(3, "not_a_record")]
    assert loaded_figures(q) == expected(GOOD)
