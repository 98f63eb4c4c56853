"""Numbers as offices write them: '12.500', '12,5', '12 500' read as meant, or the row rejected with its reason.

Expected values are written by hand; files are loaded through etl.intake into a real DuckDB file.
"""

from __future__ import annotations

import duckdb
import pytest

from etl.cli.main import main
from etl.logs.numbers import PLAIN_COUNT_PATTERN, coordinate_sql, coordinate_value, parse_number
from tests.conftest import BASE_ROW, row, write_csv

# (as written, decimal separator declared, value read or the problem), by hand.
READINGS = [
    ("1200", None, 1200.0), ("1,200.5", None, 1200.5), ("1.200,5", None, 1200.5), ("12,5", None, 12.5),
    ("12 500", None, 12500.0), ("12\u00a0500", None, 12500.0), ("12\u202f500", None, 12500.0),
    ("1 234 567,5", None, 1234567.5), ("1.234.567", None, 1234567.0), ("1,234,567", None, 1234567.0),
    ("0,500", None, 0.5), ("1234.500", None, 1234.5), ("-40", None, -40.0), ("\u221240", None, -40.0),
    ("1.5E+03", None, 1500.0),
    ("12.500", None, "ambiguous_number"), ("12,500", None, "ambiguous_number"), ("999.999", None, "ambiguous_number"),
    ("12.500", ",", 12500.0), ("12.500", ".", 12.5), ("12,500", ",", 12.5), ("12,500", ".", 12500.0),
    ("12,5", ".", 12.5),  # only one reading, whatever the declaration
    ("many", None, "bad_number"), ("nan", None, "bad_number"), ("inf", None, "bad_number"),
    ("1e400", None, "bad_number"), ("1,23,456", None, "bad_number"), ("12 5", None, "bad_number"),
    ("1.234,5.6", None, "bad_number"), ("", None, "bad_number"), ("9" * 400, None, "bad_number"),
]


@pytest.mark.parametrize(("text", "decimal", "expected"), READINGS)
def test_each_way_of_writing_a_number(text, decimal, expected):
    read = parse_number(text, decimal)
    assert (read.problem if isinstance(expected, str) else read.value) == expected


COORDINATES = ["12.85", "12,85", "-12.850", "12,850", "+1", ".5", "44", "1e2", "nan", "15°33'", "1,234.5", "12.8.5",
               "", "-", "1 2"]


def test_coordinates_read_alike_in_python_and_in_sql():
    """The typed SQL reads coordinates with coordinate_sql, inspect and the feeds with coordinate_value."""
    con = duckdb.connect()
    got = dict(con.execute(f"SELECT v, {coordinate_sql('v')} FROM unnest(?::VARCHAR[]) t(v)", [COORDINATES]).fetchall())
    assert got == {v: coordinate_value(v) for v in COORDINATES}
    # ...and both read them as meant (by hand):
    assert [got[v] for v in COORDINATES] == [12.85, 12.85, -12.85, 12.85, 1.0, 0.5, 44.0, None, None, None, None,
                                             None, None, None, None]


PLAIN = ["0", "7", "007", "1200", "12500", "999999999999999", "1000000000000000", "12 500", " 12", "12.5", "-40",
         "\u0661\u0662", "١٢", "12,500", "+3", ""]


def test_plain_digits_read_in_sql_as_parse_number_reads_them():
    """The loader casts plain digits in SQL (PLAIN_NUMBERS) and reads every other count with parse_number:
    the SQL must take only what parse_number reads the same way in every convention, and read it alike."""
    con = duckdb.connect()
    taken = dict(con.execute(f"SELECT v, CASE WHEN regexp_full_match(v, '{PLAIN_COUNT_PATTERN}') THEN v::DOUBLE END "
                             "FROM unnest(?::VARCHAR[]) t(v)", [PLAIN]).fetchall())
    for text, cast in taken.items():
        if cast is not None:
            for decimal in (None, ".", ","):
                read = parse_number(text, decimal)
                assert (read.value, read.problem, read.decides) == (cast, None, None), text
    # By hand: which of them SQL takes (up to 15 ASCII digits, nothing else).
    assert [v for v in PLAIN if taken[v] is not None] == ["0", "7", "007", "1200", "12500", "999999999999999"]


def _stored(q) -> dict[str, tuple]:
    return {e: (t, r) for e, t, r in q("SELECT source_engagement_id, people_targeted, people_reached FROM engagements")}


def _rejected(q) -> list[tuple]:
    return q("SELECT row_number, column_name, value, reason_code, reason FROM rejected_rows ORDER BY row_number, 2")


def test_a_decimal_comma_file_reads_dots_and_spaces_as_thousands(tmp_path, load, q):
    """'12,85' in latitude shows the office writes decimals with a comma: 12.500 people are 12500."""
    rows = [row(engagement_id="A", request_id="RA", latitude="12,85", longitude="44,98", people_targeted="12.500",
                people_reached="1.200"),
            row(engagement_id="B", request_id="RB", latitude="12,85", longitude="44,98", people_targeted="12 500",
                people_reached="12\u00a0500"),
            row(engagement_id="C", request_id="RC", latitude="12,85", longitude="44,98", people_targeted="2\u202f000",
                people_reached="1.234.567")]
    [r] = load(write_csv(tmp_path / "log.csv", rows))
    assert (r.rows_loaded, r.rows_rejected) == (3, 0), _rejected(q)
    assert _stored(q) == {"A": (12500, 1200), "B": (12500, 12500), "C": (2000, 1234567)}
    assert q("SELECT DISTINCT latitude, longitude FROM engagements") == [(12.85, 44.98)]
    assert any("decimal comma" in note and "'12,85' in latitude" in note for note in r.source.notes)


def test_a_decimal_point_file_rejects_a_count_that_is_not_whole(tmp_path, load, q):
    """'12.85' shows a decimal point: 12.500 people is twelve and a half, rejected for its row, with the fix."""
    rows = [row(engagement_id="A", request_id="RA", people_targeted="1,200"),
            row(engagement_id="B", request_id="RB", people_targeted="12.500"),
            row(engagement_id="C", request_id="RC", people_targeted="12,500.0", days_to_resolution="2.5",
                resolution_date="", request_date="")]
    [r] = load(write_csv(tmp_path / "log.csv", rows))
    assert (r.rows_loaded, r.rows_rejected) == (2, 1)
    assert _stored(q) == {"A": (1200, 1200), "C": (12500, 1200)}
    assert q("SELECT days_to_resolution FROM engagements WHERE source_engagement_id = 'C'") == [(3,)]  # days: 2.5 rounded half up
    [(number, column, value, code, reason)] = _rejected(q)
    assert (number, column, value, code) == (3, "people_targeted", "12.500", "not_whole_number")
    assert "'12.500' reads as 12.5 (a decimal point" in reason and "'12.85' in latitude" in reason
    assert 'decimal = ","' in reason


def _no_decimals(**changes: str) -> dict[str, str]:
    """A row whose values show no decimal separator (no coordinates)."""
    return row(latitude="", longitude="", checkpoint="", people_reached="", **changes)


def test_an_ambiguous_number_is_rejected_until_the_convention_is_declared(tmp_path, load, q):
    rows = [_no_decimals(engagement_id="A", request_id="RA", people_targeted="350"),
            _no_decimals(engagement_id="B", request_id="RB", people_targeted="12.500"),
            _no_decimals(engagement_id="C", request_id="RC", people_targeted="1,200")]
    path = write_csv(tmp_path / "log.csv", rows)
    [r] = load(path)
    assert (r.rows_loaded, r.rows_rejected) == (1, 2)
    got = _rejected(q)
    assert [g[:4] for g in got] == [(3, "people_targeted", "12.500", "ambiguous_number"),
                                    (4, "people_targeted", "1,200", "ambiguous_number")]
    assert "can be read as 12500 (with '.' separating thousands) or 12.5" in got[0][4]
    assert "no value shows it" in got[0][4] and 'decimal = ","' in got[0][4] and "--decimal comma" in got[0][4]

    # The office writes decimals with a comma: said once, in a mapping file kept with the data.
    (tmp_path / "log.mapping.toml").write_text('decimal = ","\n', encoding="utf-8")
    [r] = load(path)
    assert (r.rows_loaded, r.rows_rejected, r.rows_duplicate) == (1, 1, 1)  # A was loaded the first time
    assert _stored(q) == {"A": (350, None), "B": (12500, None)}
    # ...and then 1,200 is one point two, which is no count of people.
    [(number, column, value, code, reason)] = q(
        "SELECT row_number, column_name, value, reason_code, reason FROM rejected_rows WHERE load_id = 2")
    assert (number, column, value, code) == (4, "people_targeted", "1,200", "not_whole_number")
    assert "reads as 1.2 (a decimal comma, declared in log.mapping.toml)" in reason


def test_decimal_on_the_command_line(tmp_path):
    db = tmp_path / "a.duckdb"
    path = write_csv(tmp_path / "log.csv", [_no_decimals(people_targeted="12.500")])
    assert main(["load", str(path), "--db", str(db), "--decimal", "comma", "--quiet"]) == 0
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT people_targeted FROM engagements").fetchall() == [(12500,)]


def test_a_bad_decimal_in_a_mapping_file_names_the_line(tmp_path, load):
    (tmp_path / "log.mapping.toml").write_text('# for log.csv\ndecimal = ";"\n', encoding="utf-8")
    [r] = load(write_csv(tmp_path / "log.csv", [row()]))
    assert r.status == "failed"
    assert "log.mapping.toml: line 2, decimal: decimal ';' is not a decimal separator" in r.message
    assert 'decimal = ","' in r.message


def test_typed_workbook_numbers_are_never_read_by_a_convention(tmp_path, load, q):
    """A number cell holds a number: 123.456 stays 123.456 (not whole), even where the text '12.500' is 12500."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    headers = list(BASE_ROW)
    ws.append(headers)
    for changes in ({"engagement_id": "A", "people_targeted": "12.500", "latitude": "12,85", "longitude": "44,98"},
                    {"engagement_id": "B", "request_id": "RB", "people_targeted": 123.456, "people_reached": 1200.0,
                     "latitude": "12,85", "longitude": "44,98"}):
        values = row(**{k: v for k, v in changes.items() if isinstance(v, str)})
        ws.append([changes.get(h, values[h]) for h in headers])
    path = tmp_path / "log.xlsx"
    wb.save(path)
    (tmp_path / "log.mapping.toml").write_text('decimal = ","\n', encoding="utf-8")
    [r] = load(path)
    assert (r.rows_loaded, r.rows_rejected) == (1, 1), _rejected(q)
    assert _stored(q) == {"A": (12500, 1200)}
    assert [g[:4] for g in _rejected(q)] == [(3, "people_targeted", "123.4560", "not_whole_number")]
