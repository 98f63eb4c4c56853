"""``python -m etl inspect``: explains a file it cannot fully map, writes a mapping file to start from."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from etl.cli.main import main
from etl.logs.inspect import inspect_file, skeleton, write_skeleton
from etl.logs.mapping import read_mapping
from tests.conftest import realdata, row, write_csv

HEADERS = ["Date", "Vis-à-vis", "Activity", "Outcome", "Country", "Remarques du chef", "obstacles"]
ROWS = [["2025-03-05", "Col. Idris", "convoy", "granted", "YEM", "ras", "checkpoint delay"],
        ["2025-03-06", "Col. Idris", "convoy", "peut-être", "YEM", "", "bad vibes"],
        ["sometime", "Col. Idris", "convoy", "peut-être", "Atlantis", "", ""]]


def write_rows(path: Path, headers: list[str], rows: list[list[str]], hxl: list[str] | None = None) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        if hxl:
            writer.writerow(hxl)
        writer.writerows(rows)
    return path


@pytest.fixture(autouse=True)
def no_default_db(tmp_path, monkeypatch):
    """inspect never writes to a database: point the default at a file that must stay absent."""
    monkeypatch.setenv("ACCESS_DB", str(tmp_path / "never.duckdb"))
    yield
    assert not (tmp_path / "never.duckdb").exists()


def test_inspect_explains_a_file_it_cannot_fully_map(tmp_path, capsys):
    path = write_rows(tmp_path / "field.csv", HEADERS, ROWS)
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Format: csv, encoding utf-8" in out
    assert "header on row 1; 3 data rows" in out
    assert "Mapping file: none" in out
    assert re.search(r"^\s+1  Date\s+date\s+name\s+'2025-03-05', '2025-03-06', 'sometime'$", out, re.M), out
    assert re.search(r"^\s+2  Vis-à-vis\s+-\s+unmatched\s+'Col. Idris'$", out, re.M)
    assert "Unmatched columns (2, not read): 'Vis-à-vis', 'Remarques du chef'" in out
    assert "Required columns missing: counterpart." in out
    assert "outcome: 'peut-être' (2 rows): not a known outcome; known: granted," in out
    assert "date: 'sometime' (1 row): not a date" in out
    assert "country: 'Atlantis' (1 row): not a country name or ISO code." in out
    assert "obstacles: 'bad vibes' (1 row): not an access-constraint category" in out
    assert "To fix: name columns and values in a mapping file kept with the data (field.mapping.toml)" in out


def test_the_written_mapping_is_valid_and_once_filled_in_the_file_loads(tmp_path, capsys):
    path = write_rows(tmp_path / "field.csv", HEADERS, ROWS[:2])
    assert main(["inspect", str(path), "--write-mapping"]) == 0
    target = tmp_path / "field.mapping.toml"
    assert f"Wrote {target}" in capsys.readouterr().out
    text = target.read_text(encoding="utf-8")
    assert '"Vis-à-vis" = "ignore"   # e.g. Col. Idris' in text
    assert '"Remarques du chef" = "ignore"' in text
    assert "# Required columns not found: counterpart." in text
    assert '# "Date" = "date"   # name' in text
    assert '[values.outcome]\n# Give each value a code' in text and '# "peut-être" = ""   # 1 row(s)' in text
    mapping = read_mapping(target)  # valid as written: unmatched columns are ignored, values commented
    assert mapping.column_for("Vis-à-vis") == "ignore" and not any(mapping.values.values())

    # The user fills it in; the same file now loads, and the load records the mapping file.
    text = text.replace('"Vis-à-vis" = "ignore"', '"Vis-à-vis" = "counterpart"')
    text = text.replace('# "peut-être" = ""', '"peut-être" = "deferred"')
    text = text.replace('# "bad vibes" = ""', '"bad vibes" = "ignore"')
    target.write_text(text, encoding="utf-8")
    db = tmp_path / "a.duckdb"
    assert main(["load", str(path), "--db", str(db), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "2 rows read, 2 loaded, 0 rejected" in out
    assert f"mapping file: {target}" in out
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"Mapping file: {target}" in out
    assert re.search(r"^\s+2  Vis-à-vis\s+counterpart\s+mapping file", out, re.M)
    assert "Values that would not be understood" not in out
    assert "Every column is accounted for" in out


def test_write_mapping_to_a_path_and_never_over_an_existing_file(tmp_path, capsys):
    path = write_rows(tmp_path / "field.csv", HEADERS, ROWS)
    other = tmp_path / "elsewhere.toml"
    assert main(["inspect", str(path), "--write-mapping", str(other)]) == 0
    before = other.read_text(encoding="utf-8")
    capsys.readouterr()
    assert main(["inspect", str(path), "--write-mapping", str(other)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: elsewhere.toml: already exists; inspect does not overwrite a mapping file.")
    assert len(err.strip().splitlines()) == 1
    assert other.read_text(encoding="utf-8") == before


def test_a_bad_mapping_file_is_one_error_line(tmp_path, capsys):
    path = write_rows(tmp_path / "field.csv", HEADERS, ROWS)
    (tmp_path / "field.mapping.toml").write_text('[columns]\n"Vis-à-vis" = "counterparty"\n', encoding="utf-8")
    assert main(["inspect", str(path)]) == 1
    err = capsys.readouterr().err
    assert err == ("error: field.mapping.toml: line 2, columns.\"Vis-à-vis\": 'counterparty' is not a log column "
                   "(mapping for field.csv). Did you mean 'counterpart'? Use one of the columns in "
                   "docs/log-format.md or \"ignore\".\n")


def test_missing_file_and_unreadable_file(tmp_path, capsys):
    assert main(["inspect", str(tmp_path / "nope.csv")]) == 1
    assert capsys.readouterr().err == f"error: {tmp_path / 'nope.csv'}: no such file. Check the path.\n"
    bad = tmp_path / "notes.pdf"
    bad.write_bytes(b"%PDF-1.4")
    assert main(["inspect", str(bad)]) == 1
    assert "error: notes.pdf: '.pdf' files are not supported." in capsys.readouterr().err


def test_a_clean_file_is_said_to_be_clean(tmp_path, capsys):
    path = write_csv(tmp_path / "log.csv", [row()])
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Every column is accounted for and every value checked would be understood." in out
    assert "Unmatched" not in out and "missing" not in out


def test_xlsx_title_rows_hxl_and_skipped_sheets_are_reported(tmp_path, capsys):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Log"
    ws.append(["Access log, Aden"])
    ws.append(["Quand", "Qui", "Quoi", "Issue", "Pays"])
    ws.append(["#date", "#group+name", "#activity", "#x_outcome", "#country"])
    ws.append(["2025-03-05", "Col. Idris", "convoy", "granted", "YEM"])
    wb.create_sheet("Notes").append(["free text"])
    path = tmp_path / "book.xlsx"
    wb.save(path)
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "sheet 'Log': header on row 2, HXL hashtag row under it; 1 data rows" in out
    assert "sheet not read: Notes (no log columns)" in out
    assert re.search(r"^\s+4  Issue\s+outcome\s+HXL tag\s+'granted'$", out, re.M), out


def test_kobo_columns_are_explained(tmp_path):
    headers = ["today", "grp/date", "grp/counterpart_name", "activity", "outcome", "country", "gps",
               "obstacles/checkpoint_delay", "_uuid", "_submission_time"]
    path = write_rows(tmp_path / "kobo.csv", headers, [["2025-03-05", "2025-03-05", "A", "convoy", "granted",
                                                        "YEM", "12.85 44.98 0 5", "1", "u", "2025-03-06"]])
    report = inspect_file(path)
    how = {c.header: (c.field, c.how) for c in report.info.columns}
    assert how == {"today": (None, "Kobo metadata"), "grp/date": ("date", "name"),
                   "grp/counterpart_name": ("counterpart", "synonym"), "activity": ("activity", "name"),
                   "outcome": ("outcome", "name"), "country": ("country", "name"), "gps": ("latitude", "GPS point"),
                   "obstacles/checkpoint_delay": ("obstacles", "option"), "_uuid": ("engagement_id", "synonym"),
                   "_submission_time": (None, "Kobo metadata")}
    assert report.info.kobo and report.fully_mapped
    assert "_submission_time" not in skeleton(report).split("# Recognised")[0]


def test_inspect_the_real_awsd_export(tmp_path, capsys):
    """A public feed is described as the feed it is, never with negotiation-log advice; read as a log
    (the log report, for a file someone wants to load as a log), it cannot be fully mapped."""
    path = realdata("awsd", "awsd_global_incidents_1997-2025_hxl.csv")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header, _tags = next(reader), next(reader)
        rows = sum(1 for r in reader if any(v.strip() for v in r))
    out_path = tmp_path / "awsd.mapping.toml"
    assert main(["inspect", str(path), "--write-mapping", str(out_path)]) == 0
    out = capsys.readouterr().out
    assert "Looks like: an AWSD export" in out
    assert f"header on row 1, HXL hashtag row under it; {rows:,} data rows" in out
    assert "Required columns missing" not in out and not out_path.exists()
    report = inspect_file(path)
    assert report.info.missing == ["date", "activity", "outcome"]
    assert len(report.info.columns) == len([h for h in header if h.strip()])
    assert {c.header for c in report.unmatched} >= {"Year", "Month", "Day", "Means of attack"}
    write_skeleton(report, out_path)
    mapping = read_mapping(out_path)
    assert {k for k, v in mapping.columns.items() if v == "ignore"} >= {"year", "month", "day"}
