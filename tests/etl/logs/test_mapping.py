"""Mapping files kept with the data, bad mapping files, and schema drift between two exports."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest

from etl.cli.main import main
from etl.errors import InputFileError
from etl.logs.mapping import read_mapping
from etl.store.db import data_version
from tests.conftest import row, write_csv

FRENCH = ["Date de la rencontre", "Interlocuteur principal", "Type de demande", "Réponse", "Pays", "Ref interne",
          "Observations internes"]


def french_rows() -> list[list[str]]:
    return [["04/03/2025", "Col. Idris", "convoi", "feu vert", "Yémen", "R-1", "rien"],
            ["05/03/2025", "Col. Idris", "convoi", "niet", "Yémen", "R-2", "rien"],
            ["06/03/2025", "Sheikh Ali", "convoi", "OK", "Yémen", "R-3", "rien"]]


def write_rows(path: Path, headers: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


MAPPING = """\
date_order = "month_first"
ignore = ["Observations internes"]

[columns]
"Date de la rencontre" = "date"
"Interlocuteur principal" = "counterpart"
"Type de demande" = "activity"
"réponse" = "outcome"          # any case or accents
"Ref interne" = "engagement_id"

[values.outcome]
"Feu vert" = "granted"
"NIET" = "denied"

[values.activity]
"convoi" = "goods_delivery"

[values.country]
"Yémen" = "YEM"
"""


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_mapping_file_beside_the_log_names_columns_values_and_date_order(tmp_path, load, q):
    log = write_rows(tmp_path / "yemen_march.csv", FRENCH, french_rows())
    mapping = tmp_path / "yemen_march.mapping.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    [r] = load(log)
    assert (r.rows_loaded, r.rows_rejected) == (3, 0), (r.message, r.reasons)
    # month_first: 04/03/2025 is the 3rd of April (the values alone could not tell).
    assert q("SELECT source_engagement_id, engagement_date::VARCHAR, outcome, activity, iso3, notes FROM engagements "
             "ORDER BY 1") == [("R-1", "2025-04-03", "granted", "goods_delivery", "YEM", None),
                               ("R-2", "2025-05-03", "denied", "goods_delivery", "YEM", None),
                               ("R-3", "2025-06-03", "granted", "goods_delivery", "YEM", None)]
    (mapping_file, date_order, column_mapping, ignored) = q(
        "SELECT mapping_file, date_order, column_mapping, ignored_columns FROM loads")[0]
    assert (mapping_file, date_order) == (str(mapping), "month_first")
    assert json.loads(column_mapping)["Interlocuteur principal"] == "counterpart"
    assert json.loads(ignored) == ["Observations internes (ignored by the mapping file)"]


def test_a_folder_mapping_applies_to_the_files_matching_its_globs(tmp_path, load, q):
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "mapping.toml").write_text('files = ["kobo_*.csv"]\n\n[columns]\n"Qui" = "counterpart"\n',
                                         encoding="utf-8")
    headers = ["date", "Qui", "activity", "outcome", "country"]
    write_rows(folder / "kobo_1.csv", headers, [["2025-03-05", "A", "convoy", "granted", "YEM"]])
    write_rows(folder / "other.csv", headers, [["2025-03-06", "B", "convoy", "granted", "YEM"]])
    results = load(folder)
    assert [(r.path.name, r.status) for r in results] == [("kobo_1.csv", "loaded"), ("other.csv", "failed")]
    assert "required column(s) missing: counterpart" in results[1].message
    assert q("SELECT file_name, mapping_file FROM loads") == [("kobo_1.csv", str(folder / "mapping.toml"))]


def test_a_file_s_own_mapping_wins_over_the_folder_s(tmp_path, load, q):
    (tmp_path / "mapping.toml").write_text('[columns]\n"Qui" = "notes"\n', encoding="utf-8")
    (tmp_path / "a.mapping.toml").write_text('[columns]\n"Qui" = "counterpart"\n', encoding="utf-8")
    log = write_rows(tmp_path / "a.csv", ["date", "Qui", "activity", "outcome", "country"],
                     [["2025-03-05", "Col. X", "convoy", "granted", "YEM"]])
    [r] = load(log)
    assert r.status == "loaded", r.message
    assert q("SELECT name FROM counterparts") == [("Col. X",)]


def test_obstacle_labels_can_be_mapped_or_dropped(tmp_path, load, q):
    log = write_csv(tmp_path / "a.csv", [row(obstacles="checkpoint delay; other; fuel shortage")])
    (tmp_path / "a.mapping.toml").write_text(
        '[values.obstacles]\n"Other" = "ignore"\n"fuel shortage" = "physical_environment"\n', encoding="utf-8")
    [r] = load(log)
    assert (r.rows_loaded, r.rows_rejected) == (1, 0), r.reasons
    assert q("SELECT category FROM engagement_obstacles ORDER BY 1") == [
        ("movement_restrictions",), ("physical_environment",)]


def test_sheets_limits_the_sheets_read(tmp_path, load, q):
    from openpyxl import Workbook

    wb = Workbook()
    for name, day in (("Log", "2025-03-05"), ("Old", "2024-03-05")):
        ws = wb.create_sheet(name)
        ws.append(["date", "counterpart", "activity", "outcome", "country"])
        ws.append([day, "A", "convoy", "granted", "YEM"])
    del wb["Sheet"]
    path = tmp_path / "book.xlsx"
    wb.save(path)
    (tmp_path / "book.mapping.toml").write_text('sheets = ["Log"]\n', encoding="utf-8")
    [r] = load(path)
    assert r.rows_loaded == 1, r.message
    assert q("SELECT sheets, ignored_columns FROM loads") == [
        ("Log", '["sheet Old (not in the mapping file\'s sheets)"]')]
    (tmp_path / "book.mapping.toml").write_text('sheets = ["Logs"]\n', encoding="utf-8")
    [bad] = load(path)
    assert bad.status == "failed"
    assert "book.mapping.toml: sheet 'Logs' named in 'sheets' is not in book.xlsx (its sheets: Log, Old)." \
        in bad.message


# (mapping file text, text expected in the message)
BAD_MAPPINGS = [
    ('[columns]\n"Interlocuteur principal" = counterpart\n',
     "a.mapping.toml: not valid TOML (mapping for a.csv): Invalid value (at line 2, column 29)."),
    ('[columns]\n"Date de la rencontre" = "date"\n"Interlocuteur principal" = "counterpart_nam"\n',
     "a.mapping.toml: line 3, columns.\"Interlocuteur principal\": 'counterpart_nam' is not a log column "
     "(mapping for a.csv). Did you mean 'counterpart'?"),
    ('[values.outcome]\n"feu vert" = "grantd"\n',
     "a.mapping.toml: line 2, values.outcome.\"feu vert\": 'grantd' is not a known outcome code (mapping for a.csv). "
     "Did you mean 'granted'? Use one of: granted, granted_with_conditions"),
    ('[values.outcomes]\n"feu vert" = "granted"\n',
     "line 1, values.outcomes: 'outcomes' is not a log column (mapping for a.csv). Did you mean 'outcome'?"),
    ('colums = {}\n', "line 1, colums: unknown setting 'colums' (mapping for a.csv). Did you mean 'columns'?"),
    ('date_order = "dmy"\n', "line 1, date_order: date_order 'dmy' is not known (mapping for a.csv). "
                             'Write "day_first" or "month_first".'),
    ('[values.country]\n"Yémen" = "Atlantis"\n', "'Atlantis' is not a country name or ISO code"),
]


@pytest.mark.parametrize(("text", "message"), BAD_MAPPINGS,
                         ids=["toml", "column", "code", "values_column", "setting", "date_order", "country"])
def test_a_bad_mapping_file_refuses_its_file_and_leaves_the_database_untouched(tmp_path, load, settings, q,
                                                                              text, message):
    load(write_csv(tmp_path / "good.csv", [row()]))
    before = sha(settings.db), data_version(settings.db)
    log = write_rows(tmp_path / "a.csv", FRENCH, french_rows())
    (tmp_path / "a.mapping.toml").write_text(text, encoding="utf-8")
    [r] = load(log)
    assert r.status == "failed" and not r.ok
    assert message in r.message, r.message
    assert (sha(settings.db), data_version(settings.db)) == before


def test_the_mapping_error_carries_its_line_and_key(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text('# comment\n[columns]\n"A" = "date"\n"B" = "nope"\n', encoding="utf-8")
    with pytest.raises(InputFileError) as err:
        read_mapping(path)
    assert (err.value.path, err.value.row, err.value.column) == (path, 4, 'columns."B"')


def test_a_corrected_mapping_lets_the_same_file_load_again(tmp_path, load, q):
    log = write_rows(tmp_path / "a.csv", FRENCH, french_rows())
    mapping = tmp_path / "a.mapping.toml"
    mapping.write_text(MAPPING.replace('"NIET" = "denied"\n', ""), encoding="utf-8")
    [first] = load(log)
    assert (first.rows_loaded, first.rows_rejected) == (2, 1)
    [same] = load(log)
    assert same.status == "already_loaded"
    mapping.write_text(MAPPING, encoding="utf-8")
    [second] = load(log)
    assert (second.status, second.rows_loaded, second.rows_duplicate) == ("loaded", 1, 2)
    assert q("SELECT count(*) FROM engagements") == [(3,)]


# ------------------------------------------------------------------------------- schema drift

V1 = ["_uuid", "grp_visit/date_of_engagement", "grp_visit/counterpart_name", "activity", "outcome", "country",
      "location", "obstacles/checkpoint_delay", "obstacles/curfew"]
# Next export of the same form: the counterpart question renamed, a group added around the date,
# 'location' dropped, the obstacle question renamed, and a question only a mapping file can place.
V2 = ["_uuid", "grp_meta/grp_visit/date_of_engagement", "grp_visit/interlocutor", "activity", "outcome", "country",
      "obstacles_met/checkpoint_delay", "obstacles_met/curfew", "Chef de poste"]


def test_two_exports_of_a_changed_form_load_into_one_table_and_say_which_mapping(tmp_path, capsys):
    folder = tmp_path / "kobo"
    folder.mkdir()
    write_rows(folder / "form_v1.csv", V1, [["u1", "2025-03-05", "Sheikh Ahmed", "convoy", "denied", "YEM",
                                             "Aden", "1", "0"]])
    write_rows(folder / "form_v2.csv", V2, [["u2", "2025-04-05", "Sheikh Ahmed", "convoy", "denied", "YEM",
                                             "0", "1", "Lt. Saleh"]])
    (folder / "mapping.toml").write_text('files = ["form_v2*"]\n\n[columns]\n"Chef de poste" = "counterpart_affiliation"\n',
                                         encoding="utf-8")
    db = tmp_path / "a.duckdb"
    assert main(["load", str(folder), "--db", str(db), "--quiet"]) == 0
    out = capsys.readouterr().out
    v1, v2 = out.split("form_v2.csv:")
    assert "mapping file" not in v1
    assert ("columns read as: _uuid -> engagement_id (synonym), grp_visit/date_of_engagement -> date (synonym), "
            "grp_visit/counterpart_name -> counterpart (synonym)\n") in v1
    assert f"mapping file: {folder / 'mapping.toml'}" in v2
    assert ("grp_visit/interlocutor -> counterpart (synonym), Chef de poste -> counterpart_affiliation "
            "(mapping file)") in v2
    assert "obstacles: 2 option column(s)" in v1 and "obstacles: 2 option column(s)" in v2

    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("""SELECT e.source_engagement_id, e.engagement_date::VARCHAR, c.name, e.location, o.raw_label,
                                 l.file_name, l.mapping_file IS NOT NULL
                          FROM engagements e JOIN counterparts c USING (counterpart_id)
                          JOIN engagement_obstacles o USING (engagement_key) JOIN loads l ON l.load_id = e.load_id
                          ORDER BY 1""").fetchall()
    assert rows == [("u1", "2025-03-05", "Sheikh Ahmed", "Aden", "checkpoint delay", "form_v1.csv", False),
                    ("u2", "2025-04-05", "Sheikh Ahmed", None, "curfew", "form_v2.csv", True)]
    assert con.execute("SELECT affiliation FROM counterparts").fetchall() == [("Lt. Saleh",)]
    mappings = [json.loads(m) for (m,) in con.execute("SELECT column_mapping FROM loads ORDER BY load_id").fetchall()]
    assert mappings[0]["grp_visit/counterpart_name"] == "counterpart" and "location" in mappings[0]
    assert mappings[1]["grp_visit/interlocutor"] == "counterpart" and "location" not in mappings[1]
    assert mappings[1]["obstacles_met/curfew"] == "obstacles"
    con.close()
