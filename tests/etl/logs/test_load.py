"""Loading logs into a real DuckDB file: rejections, idempotency, atomicity, bad files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from etl.intake import load_paths
from etl.logs.validate import REASONS
from etl.store.db import data_version
from tests.conftest import BASE_ROW, row, write_csv, write_json


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_valid_row_loads_with_everything_normalised(tmp_path, load, q):
    [result] = load(write_csv(tmp_path / "log.csv", [row()]))
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 1, 0)
    (e,) = q("""SELECT engagement_date, outcome, activity, iso3, admin1_pcode, region, channel, people_targeted,
                       days_to_resolution, notes, source_row, load_id FROM engagements""")
    assert e == (__import__("datetime").date(2025, 3, 5), "granted_with_conditions", "goods_delivery", "YEM", "YE24",
                 "Middle East and North Africa", "in_person", 1200, 4, "Convoy passed after two hours.", 2, 1)
    assert q("SELECT category, raw_label FROM engagement_obstacles ORDER BY 2") == [
        ("movement_restrictions", "checkpoint delay"), ("interference", "illegal taxation")]
    assert sorted(q("SELECT condition FROM engagement_conditions")) == [("escort",), ("staff_list",)]
    assert q("SELECT name, counterpart_type, level, affiliation FROM counterparts") == [
        ("Col. Mohammed Idris", "state_armed_forces", "frontline", "4th Brigade")]
    assert q("SELECT name, kind, admin1_pcode, controlling_counterpart_id IS NOT NULL FROM checkpoints") == [
        ("Km 14 checkpoint", "fixed", "YE24", True)]
    assert q("SELECT priority, people_targeted, requested_date::VARCHAR FROM access_requests") == [
        ("high", 1200, "2025-03-01")]
    assert q("SELECT file_name, status, rows_read, rows_loaded FROM loads") == [("log.csv", "loaded", 1, 1)]


# (changes to the base row, expected reason code, column named in the rejection, text in the reason)
REJECTIONS = [
    ({"date": ""}, "missing_date", "date", "No engagement date"),
    ({"date": "sometime in May"}, "bad_date", "date", "'sometime in May' in date is not a date"),
    ({"date": "31/02/2025"}, "impossible_date", "date", "not a real calendar date"),
    ({"date": "2099-01-01"}, "future_date", "date", "in the future"),
    ({"date": "1975-06-01", "request_date": "", "resolution_date": ""}, "too_old_date", "date",
     "before 1 January 1990"),
    ({"request_date": "2025-03-09", "resolution_date": ""}, "request_after_engagement", "request_date", "after the engagement date"),
    ({"resolution_date": "2025-02-01"}, "resolution_before_request", "resolution_date", "before the request date"),
    ({"counterpart": ""}, "missing_counterpart", "counterpart", "No counterpart"),
    ({"activity": ""}, "missing_activity", "activity", "No access request"),
    ({"activity": "picnic"}, "unknown_activity", "activity", "'picnic' is not a known activity"),
    ({"outcome": ""}, "missing_outcome", "outcome", "No outcome"),
    ({"outcome": "maybe"}, "unknown_outcome", "outcome", "Use one of: Granted"),
    ({"country": ""}, "missing_country", "country", "No country"),
    ({"country": "Atlantis"}, "unknown_country", "country", "'Atlantis' is not a country"),
    ({"counterpart_type": "aliens"}, "unknown_counterpart_type", "counterpart_type", "counterpart type"),
    ({"counterpart_level": "galactic"}, "unknown_counterpart_level", "counterpart_level", "counterpart level"),
    ({"channel": "pigeon"}, "unknown_channel", "channel", "'pigeon' is not a known channel"),
    ({"priority": "whenever"}, "unknown_priority", "priority", "priority"),
    ({"checkpoint_kind": "drawbridge"}, "unknown_checkpoint_kind", "checkpoint_kind", "checkpoint kind"),
    ({"obstacles": "checkpoint delay; bad vibes at gate"}, "unknown_obstacle", "obstacles", "'bad vibes at gate'"),
    ({"people_targeted": "many"}, "bad_number", "people_targeted", "'many' in people_targeted is not a number"),
    ({"people_targeted": "-40"}, "negative_number", "people_targeted", "negative"),
    ({"people_reached": "12000000000"}, "number_too_large", "people_reached", "too large to be a count"),
    # The other row's latitude 12.85 shows a decimal point: 12.500 is twelve and a half, not a count.
    ({"people_targeted": "12.500"}, "not_whole_number", "people_targeted",
     "must be a whole number: '12.500' reads as 12.5 (a decimal point, shown by the file's values, e.g. '12.85'"),
    ({"latitude": "north"}, "bad_coordinate", "latitude", "not a coordinate"),
    ({"latitude": "123.45"}, "coordinate_out_of_range", "latitude", "out of range"),
    ({"longitude": ""}, "half_coordinate", "latitude", "Only the latitude"),
    ({"latitude": "0", "longitude": "0"}, "null_island", "latitude", "GPS that had no fix"),
    ({"latitude": "44.98", "longitude": "12.85"}, "swapped_coordinates", "latitude", "look swapped"),
    ({"latitude": "4.85", "longitude": "31.6"}, "outside_country", "latitude", "it falls in South Sudan"),
    ({"admin1_pcode": "YE99"}, "unknown_pcode", "admin1_pcode", "not an admin-1 P-code of Yemen"),
    ({"admin1_pcode": "SS01"}, "pcode_country_mismatch", "admin1_pcode", "belongs to South Sudan"),
]


def test_every_reason_is_covered_by_a_test():
    # ambiguous_number needs a file whose values show no decimal separator: tests/etl/logs/test_numbers.py
    tested = {code for _, code, _, _ in REJECTIONS} | {"conflicting_duplicate", "ambiguous_number"}
    assert tested == set(REASONS)


@pytest.mark.parametrize(("changes", "code", "column", "text"), REJECTIONS, ids=[r[1] for r in REJECTIONS])
def test_each_rejection_reason(tmp_path, load, q, changes, code, column, text):
    good = row(engagement_id="GOOD")
    bad = row(engagement_id="BAD", **changes)
    [result] = load(write_csv(tmp_path / "log.csv", [good, bad]))
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 1, 1)
    rejected = q("SELECT row_number, column_name, reason_code, reason, raw_row->>'engagement_id' FROM rejected_rows")
    assert len(rejected) == 1, rejected
    row_number, col, got_code, reason, raw_id = rejected[0]
    assert (row_number, col, got_code, raw_id) == (3, column, code, "BAD")
    assert text in reason
    assert reason.endswith(REASONS[code].fix)
    assert q("SELECT source_engagement_id FROM engagements") == [("GOOD",)]


def test_a_row_with_several_problems_lists_each(tmp_path, load, q):
    load(write_csv(tmp_path / "log.csv", [row(), row(engagement_id="X", outcome="maybe", counterpart="", date="")]))
    assert sorted(c for (c,) in q("SELECT reason_code FROM rejected_rows")) == [
        "missing_counterpart", "missing_date", "unknown_outcome"]
    assert q("SELECT count(DISTINCT row_number) FROM rejected_rows") == [(1,)]


def test_loading_the_same_file_twice_adds_nothing(tmp_path, load, settings, q):
    path = write_csv(tmp_path / "log.csv", [row(), row(engagement_id="T-2", date="2025-03-06"),
                                            row(engagement_id="T-3", outcome="maybe")])
    load(path)
    before = q("SELECT (SELECT count(*) FROM engagements), (SELECT count(*) FROM rejected_rows), "
               "(SELECT count(*) FROM loads)")
    version = data_version(settings.db)
    [again] = load(path)
    assert again.status == "already_loaded" and again.ok
    assert data_version(settings.db) == version  # not even republished
    assert q("SELECT (SELECT count(*) FROM engagements), (SELECT count(*) FROM rejected_rows), "
             "(SELECT count(*) FROM loads)") == before


def test_resent_rows_in_a_new_file_are_skipped_as_duplicates(tmp_path, load, q):
    load(write_csv(tmp_path / "week1.csv", [row(), row(engagement_id="T-2", date="2025-03-06")]))
    [r] = load(write_csv(tmp_path / "week2.csv", [row(), row(engagement_id="T-2", date="2025-03-06"),
                                                  row(engagement_id="T-3", date="2025-03-07")]))
    assert (r.rows_loaded, r.rows_duplicate, r.rows_rejected) == (1, 2, 0)
    assert q("SELECT count(*) FROM engagements") == [(3,)]


def test_rows_without_ids_are_deduplicated_by_content(tmp_path, load, q):
    rows = [row(engagement_id=""), row(engagement_id="", date="2025-03-06")]
    load(write_csv(tmp_path / "a.csv", rows))
    [r] = load(write_csv(tmp_path / "b.csv", rows + [row(engagement_id="", date="2025-03-07")]))
    assert (r.rows_loaded, r.rows_duplicate) == (1, 2)


def test_a_changed_row_with_a_known_id_is_rejected_not_applied(tmp_path, load, q):
    load(write_csv(tmp_path / "a.csv", [row()]))
    [r] = load(write_csv(tmp_path / "b.csv", [row(outcome="Denied")]))
    assert (r.rows_loaded, r.rows_rejected) == (0, 1)
    (reason,) = q("SELECT reason FROM rejected_rows")[0]
    assert "Engagement id 'T-1' was already loaded with different values (load 1, a.csv row 2)" in reason
    assert q("SELECT outcome FROM engagements") == [("granted_with_conditions",)]


def test_duplicate_ids_inside_one_file(tmp_path, load, q):
    [r] = load(write_csv(tmp_path / "a.csv", [row(), row(), row(outcome="Denied")]))
    assert (r.rows_loaded, r.rows_duplicate, r.rows_rejected) == (1, 1, 1)
    assert "row 2 of this file" in q("SELECT reason FROM rejected_rows")[0][0]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "empty.csv: the file is empty (0 bytes)."),
        ("header_only.csv", ",".join(BASE_ROW).encode() + b"\n", "header but no data rows"),
        ("wrong_columns.csv", b"name,age,city\nAli,34,Aden\n", "no header row with log columns"),
        ("missing_required.csv", b"date,counterpart,country\n2025-01-01,X,YEM\n",
         "required column(s) missing: activity, outcome"),
        ("image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
        ("excel.csv", b"PK\x03\x04rest-of-zip", "zip or Excel file, not a CSV"),
        ("notes.pdf", b"%PDF-1.4", "'.pdf' files are not supported"),
        ("broken.json", b'[{"date": "2025-01-01",', "not valid JSON"),
        ("object.json", b'{"date": "2025-01-01"}', "not an array of objects"),
        ("broken.xlsx", b"this is not a workbook", "the Excel file cannot be opened"),
    ],
)
def test_unreadable_files_leave_the_database_untouched(tmp_path, load, settings, q, name, content, message):
    load(write_csv(tmp_path / "good.csv", [row()]))
    before_hash, before_version = sha(settings.db), data_version(settings.db)
    bad = tmp_path / name
    bad.write_bytes(content)
    [r] = load(bad)
    assert r.status == "failed" and not r.ok
    assert message in r.message and name in r.message
    assert sha(settings.db) == before_hash and data_version(settings.db) == before_version


def test_first_load_of_a_bad_file_creates_no_database(tmp_path, load, settings):
    bad = tmp_path / "empty.csv"
    bad.write_bytes(b"")
    load(bad)
    assert not settings.db.exists()


def test_a_folder_loads_good_files_and_reports_bad_ones(tmp_path, load, q):
    folder = tmp_path / "logs"
    folder.mkdir()
    write_csv(folder / "a.csv", [row()])
    (folder / "b.csv").write_bytes(b"")
    write_json(folder / "c.json", [row(engagement_id="T-9", date="2025-04-01")])
    results = load(folder)
    assert [(r.path.name, r.status) for r in results] == [("a.csv", "loaded"), ("b.csv", "failed"),
                                                          ("c.json", "loaded")]
    assert q("SELECT count(*) FROM engagements") == [(2,)]


def test_html_and_hostile_text_is_stored_verbatim_as_text(tmp_path, load, q):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)> \u202eevil ' + "A" * 5000
    load(write_csv(tmp_path / "a.csv", [row(notes=hostile, counterpart="<b>Cmdr</b> Zed")]))
    assert q("SELECT notes FROM engagements") == [(hostile,)]
    assert q("SELECT name FROM counterparts") == [("<b>Cmdr</b> Zed",)]


def test_latin1_csv_and_semicolons(tmp_path, load, q):
    import csv

    path = tmp_path / "latin.csv"
    with open(path, "w", encoding="latin-1", newline="") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(BASE_ROW.keys())
        writer.writerow(row(notes="Réunion à l'école", location="Sheikh Othmân").values())
    [r] = load(path)
    assert r.status == "loaded", r.message
    assert q("SELECT notes FROM engagements") == [("Réunion à l'école",)]
    assert q("SELECT encoding FROM loads") == [("windows-1252",)]  # the same bytes as latin-1 here


def test_xlsx_with_title_rows_and_date_cells(tmp_path, load, q):
    import datetime as dt

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Log"
    ws.append(["Yemen office access log, March 2025"])
    ws.append([])
    headers = ["Date of engagement", "Counterpart name", "Activity", "Result", "Country", "Lat", "Lon"]
    ws.append(headers)
    ws.append([dt.datetime(2025, 3, 5), "Col. Idris", "convoy", "ok'd", "Yemen", 12.85, 44.98])
    ws.append([dt.datetime(2025, 3, 6), "Col. Idris", "convoy", "unknown!", "Yemen", 12.85, 44.98])
    wb.create_sheet("Lists").append(["lookup", "values"])
    path = tmp_path / "log.xlsx"
    wb.save(path)
    [r] = load(path)
    assert (r.rows_loaded, r.rows_rejected) == (1, 1), r.message
    assert q("SELECT sheet, row_number, column_name FROM rejected_rows") == [("Log", 5, "Result")]
    assert q("SELECT engagement_date::VARCHAR, admin1_pcode FROM engagements") == [("2025-03-05", "YE24")]


def test_json_with_numbers_as_strings_and_kobo_group_paths(tmp_path, load, q):
    rec = {"grp_meta/date": "2025-03-05", "grp_cp/counterpart_name": "Sheikh Ahmed", "request/activity": "assessment",
           "outcome": "approved", "country": "YEM", "_uuid": "abc-123", "people_targeted": "350",
           "_gps_latitude": "12.85", "_gps_longitude": "44.98"}
    [r] = load(write_json(tmp_path / "kobo.json", [rec]))
    assert r.status == "loaded", r.message
    assert q("SELECT source_engagement_id, people_targeted, admin1_pcode FROM engagements") == [
        ("abc-123", 350, "YE24")]


def test_month_first_files_are_recognised(tmp_path, load, q):
    rows = [row(engagement_id="A", date="03/25/2025", request_date="03/20/2025", resolution_date=""),
            row(engagement_id="B", date="04/02/2025", request_date="04/01/2025", resolution_date="")]
    load(write_csv(tmp_path / "us.csv", rows))
    assert q("SELECT engagement_date::VARCHAR FROM engagements ORDER BY 1") == [("2025-03-25",), ("2025-04-02",)]
    assert q("SELECT date_order FROM loads") == [("month_first",)]


def test_admin_area_from_name_when_no_coordinates(tmp_path, load, q):
    # people_targeted without a separator: without coordinates nothing shows how '1,200' is meant.
    load(write_csv(tmp_path / "a.csv", [row(latitude="", longitude="", checkpoint="", admin1="Sanaa City",
                                            people_targeted="1200")]))
    assert q("SELECT admin1_pcode FROM engagements") == [("YE13",)]


def test_readers_hold_no_lock_against_a_load(tmp_path, load, settings):
    """A dashboard holding a read-only connection must not block a load, and sees new data after it."""
    load(write_csv(tmp_path / "a.csv", [row()]))
    reader = duckdb.connect(str(settings.db), read_only=True)
    try:
        [r] = load(write_csv(tmp_path / "b.csv", [row(engagement_id="T-2", date="2025-03-06")]))
        assert r.status == "loaded"
        assert reader.execute("SELECT count(*) FROM engagements").fetchone() == (1,)  # its snapshot
    finally:
        reader.close()
    fresh = duckdb.connect(str(settings.db), read_only=True)
    assert fresh.execute("SELECT count(*) FROM engagements").fetchone() == (2,)
    fresh.close()


def test_database_file_is_owner_only(tmp_path, load, settings):
    load(write_csv(tmp_path / "a.csv", [row()]))
    assert settings.db.stat().st_mode & 0o077 == 0


def test_a_reader_in_the_same_process_sees_each_new_version(tmp_path, load, settings):
    """The dashboard keeps a connection open; a load in the same process (an upload) must still show."""
    from etl.store.db import connect_read

    load(write_csv(tmp_path / "a.csv", [row()]))
    old = connect_read(settings.db)
    try:
        load(write_csv(tmp_path / "b.csv", [row(engagement_id="T-2", date="2025-03-06")]))
        new = connect_read(settings.db)
        assert new.execute("SELECT count(*) FROM engagements").fetchone() == (2,)
        assert old.execute("SELECT count(*) FROM engagements").fetchone() == (1,)
        new.close()
    finally:
        old.close()


def test_a_checkpoint_controlled_by_two_equally_met_actors_names_the_one_met_last(tmp_path, settings):
    """Two armed actors met as often at one checkpoint: the one met last controls it, whichever file came first,
    and every load of the same rows names the same one (a tie used to be settled at random)."""
    earlier = [row(engagement_id=f"A-{i}", date=f"2025-01-0{i}", request_date="2025-01-01",
                   resolution_date=f"2025-01-0{i}", counterpart="Col. Amir Haddad") for i in (2, 3)]
    later = [row(engagement_id=f"B-{i}", date=f"2025-04-0{i}", request_date="2025-04-01",
                 resolution_date=f"2025-04-0{i}", counterpart="Maj. Rashid Noor") for i in (2, 3)]
    for name, rows in (("later_first.csv", later + earlier), ("earlier_first.csv", earlier + later)):
        db = tmp_path / f"{name}.duckdb"
        [result] = load_paths([write_csv(tmp_path / name, rows)], db, settings)
        assert result.rows_loaded == 4
        with duckdb.connect(str(db), read_only=True) as con:
            controller = con.execute("""SELECT c.name FROM checkpoints k
                                        JOIN counterparts c ON c.counterpart_id = k.controlling_counterpart_id""").fetchall()
        assert controller == [("Maj. Rashid Noor",)], name


def test_a_number_no_count_can_hold_refuses_its_row_not_the_file(tmp_path, load, q):
    """One cell of 20 digits, 'nan' or 1e400 used to stop the whole file with an internal error naming no row."""
    cells = {"N-2": ("99999999999999999999", "number_too_large"), "N-3": ("3000000000", "number_too_large"),
             "N-4": ("nan", "bad_number"), "N-5": ("1e400", "bad_number"), "N-6": ("-inf", "bad_number")}
    rows = [row(engagement_id="N-1"), *[row(engagement_id=e, request_id=f"R-{e}", people_targeted=v)
                                        for e, (v, _) in cells.items()]]
    [result] = load(write_csv(tmp_path / "log.csv", rows))
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 1, len(cells))
    assert q("SELECT source_engagement_id FROM engagements") == [("N-1",)]
    got = q("SELECT row_number, column_name, reason_code, value FROM rejected_rows ORDER BY row_number")
    assert got == [(n + 3, "people_targeted", reason, value) for n, (value, reason) in enumerate(cells.values())]
