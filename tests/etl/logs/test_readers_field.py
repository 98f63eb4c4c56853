"""What field offices really send: encodings, messy workbooks, JSON, KoboToolbox/ODK exports, HXL.

Each test builds a small file with one quirk, loads it into a real DuckDB file and checks what
landed; the real public files are read and counted independently with csv/openpyxl.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest
from openpyxl import Workbook, load_workbook

from etl.cli.main import main
from etl.logs.readers import read_file
from tests.conftest import BASE_ROW, realdata, row, write_csv, write_json

KOBO_HEADERS = ["start", "end", "grp_meta/date_of_engagement", "grp_cp/counterpart_name", "request/activity",
                "outcome", "country", "obstacles", "obstacles/checkpoint_delay", "obstacles/illegal_taxation",
                "obstacles/curfew", "conditions_imposed/armed_escort", "conditions_imposed/staff_list",
                "gps", "_gps_latitude", "_gps_longitude", "_gps_altitude", "_gps_precision",
                "_id", "_uuid", "_submission_time", "__version__"]


def kobo_row(uuid: str, date: str, obstacles: tuple[int, int, int], conditions: tuple[int, int] = (0, 0),
             gps: str = "12.85 44.98 0 5", lat: str = "", lon: str = "", combined: str = "") -> list[str]:
    return ["2025-03-05T08:00:00", "2025-03-05T09:00:00", date, "Sheikh Ahmed", "assessment", "approved", "YEM",
            combined, *map(str, obstacles), *map(str, conditions), gps, lat, lon, "0", "5", "101", uuid,
            "2025-03-20T10:00:00", "vX1"]


def write_rows(path: Path, headers: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


# ------------------------------------------------------------------------------------ encodings


def test_utf8_with_bom_keeps_the_first_header(tmp_path, load, q):
    path = write_csv(tmp_path / "bom.csv", [row(notes="Réunion à l'école")], encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    [r] = load(path)
    assert r.status == "loaded", r.message
    # engagement_id is the first column: with the BOM glued to it, it would not be recognised.
    assert q("SELECT source_engagement_id, notes FROM engagements") == [("T-1", "Réunion à l'école")]
    assert q("SELECT encoding FROM loads") == [("utf-8",)]


def test_an_8bit_file_is_detected_as_windows_1252_and_latin1_can_be_forced(tmp_path, capsys):
    path = write_csv(tmp_path / "latin.csv", [row(location="Sheikh Othmân", notes="Réunion")], encoding="latin-1")
    db = tmp_path / "a.duckdb"
    assert main(["load", str(path), "--db", str(db), "--encoding", "latin-1", "--quiet"]) == 0
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT location, notes FROM engagements").fetchall() == [("Sheikh Othmân", "Réunion")]
    assert con.execute("SELECT encoding FROM loads").fetchall() == [("latin-1",)]
    con.close()
    other = write_csv(tmp_path / "latin2.csv", [row(engagement_id="T-2", notes="Déjà vu")], encoding="latin-1")
    con = duckdb.connect()
    # é and à are the same bytes in latin-1 and windows-1252; Excel on Windows writes the latter.
    assert read_file(con, other).encoding == "windows-1252"
    assert con.execute("SELECT notes FROM stage_raw").fetchall() == [("Déjà vu",)]


# ----------------------------------------------------------------------------------------- XLSX


def test_xlsx_several_sheets_with_title_rows_each_read_with_its_row_numbers(tmp_path, load, q):
    wb = Workbook()
    north = wb.active
    north.title = "North"
    north.append(["Northern office access log"])
    north.append(["Printed 2025-03-31"])
    north.append([])
    north.append(["Date", "Counterpart", "Activity", "Outcome", "Country", "Notes"])
    north.append([dt.datetime(2025, 3, 5), "Col. Idris", "convoy", "granted", "Yemen", "first"])
    north.append([dt.datetime(2025, 3, 6), "Col. Idris", "convoy", "sometimes", "Yemen", "bad outcome"])
    south = wb.create_sheet("South")
    south.append(["Country", "Outcome", "Date", "Activity", "Counterpart"])  # other order, no title
    south.append(["YEM", "denied", "2025-03-07", "assessment", "Sheikh Ali"])
    wb.create_sheet("Lists").append(["outcomes", "granted", "denied"])
    path = tmp_path / "offices.xlsx"
    wb.save(path)
    [r] = load(path)
    assert (r.rows_read, r.rows_loaded, r.rows_rejected) == (3, 2, 1), r.message
    assert r.source is not None and r.source.sheets == ["North", "South"]
    assert r.source.header_rows == {"North": 4, "South": 1}
    assert q("SELECT sheet, row_number, column_name FROM rejected_rows") == [("North", 6, "Outcome")]
    assert q("SELECT engagement_date::VARCHAR, outcome, source_row FROM engagements ORDER BY 1") == [
        ("2025-03-05", "granted", 5), ("2025-03-07", "denied", 2)]
    assert q("SELECT sheets FROM loads") == [("North, South",)]
    assert "sheet Lists (no log columns)" in q("SELECT ignored_columns FROM loads")[0][0]


def test_xlsx_duplicate_headers_first_non_blank_wins_and_disagreements_are_reported(tmp_path, load, q, capsys):
    wb = Workbook()
    ws = wb.active
    ws.title = "Log"
    ws.append(["Date", "Counterpart", "Activity", "Outcome", "Country", "Outcome"])
    ws.append([dt.date(2025, 3, 5), "A", "convoy", "granted", "YEM", "granted"])  # agree
    ws.append([dt.date(2025, 3, 6), "B", "convoy", None, "YEM", "denied"])  # first blank: second read
    ws.append([dt.date(2025, 3, 7), "C", "convoy", "deferred", "YEM", "denied"])  # disagree: first read
    path = tmp_path / "dup.xlsx"
    wb.save(path)
    db = tmp_path / "a.duckdb"
    assert main(["load", str(path), "--db", str(db), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert ("outcome: 2 columns ('Outcome', 'Outcome') (sheet Log); the first non-blank value is read, in that "
            "order; they disagree on 1 row(s)") in out
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT engagement_date::VARCHAR, outcome FROM engagements ORDER BY 1").fetchall() == [
        ("2025-03-05", "granted"), ("2025-03-06", "denied"), ("2025-03-07", "deferred")]
    con.close()


def test_insecurity_insight_workbook_hxl_rows_and_duplicate_headers():
    """The real KIKA workbook: header + HXL row + 927 rows + the HXL row again, repeated header names."""
    path = realdata("insecurity_insight", "2020-2023-aid-worker-kika-incident-data.xlsx")
    wb = load_workbook(path, read_only=True)
    sheet = wb.sheetnames[0]  # " 2020-2023 Aid Worker KIKA", with a leading space
    ws = wb[sheet]
    rows = [[("" if v is None else str(v).strip()) for v in r] for r in ws.iter_rows(values_only=True)]
    header = rows[0]
    data = [r for r in rows[2:] if any(r) and not all(v.startswith("#") for v in r if v)]
    actor, actor_name = header.index("Actor"), header.index("Actor Name")
    disagree = sum(1 for r in data if r[actor] and r[actor_name] and r[actor] != r[actor_name])
    assert len(data) == 927 and len(header) != len(set(header))  # as SOURCES.md says

    con = duckdb.connect()
    info = read_file(con, path, check_required=False)
    assert info.hxl_row and info.header_rows[sheet] == 1
    assert info.rows == len(data) == con.execute("SELECT count(*) FROM stage_raw").fetchone()[0]
    # "Actor" and "Actor Name" both name the counterpart: the first is read, the disagreement counted.
    note = next(n for n in info.notes if n.startswith("counterpart:"))
    assert "('Actor', 'Actor Name')" in note and f"disagree on {disagree:,} row(s)" in note
    # The repeated HXL row at the end is not data: no staged value starts with '#'.
    assert con.execute("SELECT count(*) FROM stage_raw WHERE starts_with(date, '#')").fetchone() == (0,)


# ----------------------------------------------------------------------------------------- JSON


def test_json_numbers_as_strings_or_numbers(tmp_path, load, q):
    records = [
        {**row(), "people_targeted": "1,200", "people_reached": "1200", "latitude": "12.85", "longitude": "44.98"},
        {**row(engagement_id="T-2", date="2025-03-06"), "people_targeted": 350, "people_reached": 300.0,
         "latitude": 12.85, "longitude": 44.98, "days_to_resolution": "4"},
    ]
    [r] = load(write_json(tmp_path / "log.json", records))
    assert (r.rows_loaded, r.rows_rejected) == (2, 0), r.message
    assert q("SELECT people_targeted, people_reached, latitude, longitude, admin1_pcode FROM engagements "
             "ORDER BY engagement_date") == [(1200, 1200, 12.85, 44.98, "YE24"), (350, 300, 12.85, 44.98, "YE24")]


# ----------------------------------------------------------------------------------- Kobo / ODK


def test_kobo_select_multiple_option_columns_become_obstacle_and_condition_labels(tmp_path, load, q):
    rows = [kobo_row("uuid-1", "2025-03-05", (1, 1, 0), (1, 0), combined="checkpoint_delay illegal_taxation"),
            kobo_row("uuid-2", "2025-03-06", (0, 0, 1), (1, 1), combined="curfew"),
            kobo_row("uuid-3", "2025-03-07", (0, 0, 0))]
    [r] = load(write_rows(tmp_path / "kobo.csv", KOBO_HEADERS, rows))
    assert (r.rows_loaded, r.rows_rejected) == (3, 0), (r.message, r.reasons)
    got = q("""SELECT e.source_engagement_id, o.category, o.raw_label FROM engagement_obstacles o
               JOIN engagements e USING (engagement_key) ORDER BY 1, 3""")
    assert got == [("uuid-1", "movement_restrictions", "checkpoint delay"), ("uuid-1", "interference", "illegal taxation"),
                   ("uuid-2", "movement_restrictions", "curfew")]
    assert q("""SELECT e.source_engagement_id, c.condition, c.raw_label FROM engagement_conditions c
                JOIN engagements e USING (engagement_key) ORDER BY 1, 2""") == [
        ("uuid-1", "escort", "armed escort"), ("uuid-2", "escort", "armed escort"),
        ("uuid-2", "staff_list", "staff list")]
    # _uuid is the id (not Kobo's numeric _id); _submission_time is not the engagement date.
    assert q("SELECT source_engagement_id, engagement_date::VARCHAR FROM engagements ORDER BY 1") == [
        ("uuid-1", "2025-03-05"), ("uuid-2", "2025-03-06"), ("uuid-3", "2025-03-07")]
    ignored = json.loads(q("SELECT ignored_columns FROM loads")[0][0])
    assert "_submission_time (Kobo metadata)" in ignored and "_id (Kobo metadata)" in ignored
    assert "_gps_altitude (GPS part)" in ignored


def test_kobo_true_false_option_cells_in_xlsx(tmp_path, load, q):
    wb = Workbook()
    ws = wb.active
    ws.append(["date", "counterpart", "activity", "outcome", "country", "obstacle_types/road_closed",
               "obstacle_types/looting", "_uuid"])
    ws.append([dt.date(2025, 3, 5), "Sheikh Ahmed", "convoy", "denied", "YEM", True, False, "u1"])
    ws.append([dt.date(2025, 3, 6), "Sheikh Ahmed", "convoy", "denied", "YEM", "False", "True", "u2"])
    path = tmp_path / "kobo.xlsx"
    wb.save(path)
    [r] = load(path)
    assert r.rows_loaded == 2, r.message
    assert q("""SELECT e.source_engagement_id, o.category, o.raw_label FROM engagement_obstacles o
                JOIN engagements e USING (engagement_key) ORDER BY 1""") == [
        ("u1", "movement_restrictions", "road closed"), ("u2", "violence_against_personnel", "looting")]


@pytest.mark.parametrize(
    ("gps", "lat", "lon", "expected"),
    [
        ("12.85 44.98 0 5", "", "", (12.85, 44.98)),  # one geopoint cell
        ("", "12.85", "44.98", (12.85, 44.98)),  # split columns only
        ("12.80 44.90 0 5", "12.85", "44.98", (12.85, 44.98)),  # both: the split columns win
        ("", "", "", (None, None)),
    ],
    ids=["geopoint", "split", "both", "none"],
)
def test_kobo_gps_as_one_geopoint_cell_or_split_columns(tmp_path, load, q, gps, lat, lon, expected):
    [r] = load(write_rows(tmp_path / "kobo.csv", KOBO_HEADERS,
                          [kobo_row("u1", "2025-03-05", (1, 0, 0), gps=gps, lat=lat, lon=lon)]))
    assert r.rows_loaded == 1, (r.message, r.reasons)
    (got,) = q("SELECT latitude, longitude, admin1_pcode FROM engagements")
    assert got[:2] == expected
    assert got[2] == ("YE24" if expected[0] else None)


def test_a_geopoint_question_named_location_is_not_taken_for_a_place(tmp_path, load, q):
    headers = ["date", "counterpart", "activity", "outcome", "country", "location", "village"]
    [r] = load(write_rows(tmp_path / "k.csv", headers, [["2025-03-05", "A", "convoy", "granted", "YEM",
                                                        "12.85 44.98 0 4.5", "Sheikh Othman"]]))
    assert r.rows_loaded == 1, r.message
    assert q("SELECT latitude, longitude, location FROM engagements") == [(12.85, 44.98, "Sheikh Othman")]


def test_kobo_api_json_space_separated_choices_and_geolocation(tmp_path, load, q):
    records = [{"grp/date_of_engagement": "2025-03-05", "grp/counterpart_name": "Sheikh Ahmed",
                "request/activity": "assessment", "outcome": "approved", "country": "YEM", "_uuid": "abc",
                "obstacles": "checkpoint_delay illegal_taxation", "conditions_imposed": "armed_escort",
                "_geolocation": [12.85, 44.98], "_submission_time": "2025-03-07T10:00:00", "_id": 77,
                "_attachments": [], "_tags": []}]
    [r] = load(write_json(tmp_path / "kobo.json", records))
    assert r.rows_loaded == 1, (r.message, r.reasons)
    assert q("SELECT raw_label FROM engagement_obstacles ORDER BY 1") == [("checkpoint delay",), ("illegal taxation",)]
    assert q("SELECT condition FROM engagement_conditions") == [("escort",)]
    assert q("SELECT source_engagement_id, latitude, longitude FROM engagements") == [("abc", 12.85, 44.98)]


def test_kobo_form_without_a_date_question_is_refused_with_a_way_out(tmp_path, load):
    headers = ["counterpart", "activity", "outcome", "country", "_uuid", "_submission_time"]
    [r] = load(write_rows(tmp_path / "k.csv", headers, [["A", "convoy", "granted", "YEM", "u", "2025-03-05T10:00"]]))
    assert r.status == "failed"
    assert "required column(s) missing: date" in r.message
    assert "python -m etl inspect FILE" in r.message


# ------------------------------------------------------------------------------------------ HXL


def test_hxl_tags_recognise_columns_and_the_repeated_tag_row_is_dropped(tmp_path, load, q):
    headers = ["Quand", "Qui", "Quoi", "Résultat final", "Où"]
    tags = ["#date", "#group+name", "#activity", "#x_outcome", "#country+code"]
    rows = [tags, ["2025-03-05", "Col. Idris", "convoy", "granted", "YEM"],
            ["2025-03-06", "Col. Idris", "convoy", "denied", "YEM"], tags]
    [r] = load(write_rows(tmp_path / "hxl.csv", headers, rows))
    assert (r.rows_read, r.rows_loaded, r.rows_rejected) == (2, 2, 0), r.message
    assert q("SELECT source_row FROM engagements ORDER BY 1") == [(3,), (4,)]
    assert json.loads(q("SELECT column_mapping FROM loads")[0][0]) == {
        "Quand": "date", "Qui": "counterpart", "Quoi": "activity", "Résultat final": "outcome", "Où": "country"}


def test_awsd_export_with_hxl_row_is_read_and_counted():
    path = realdata("awsd", "awsd_global_incidents_1997-2025_hxl.csv")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    expected = sum(1 for r in rows[2:] if any(v.strip() for v in r))
    con = duckdb.connect()
    info = read_file(con, path, check_required=False)
    assert info.hxl_row and info.header_rows == {"": 1}
    assert info.rows == expected == 4954
    assert "date" in info.missing  # Year / Month / Day: no single date column


def test_base_row_columns_all_recognised(tmp_path):
    """Guard for the refactor: every canonical column name still maps to itself."""
    con = duckdb.connect()
    info = read_file(con, write_csv(tmp_path / "a.csv", [row()]))
    assert info.mapping == {k: k for k in BASE_ROW}
    assert not info.ignored and not info.notes
