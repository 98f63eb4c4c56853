"""The Aid Worker Security Database (Humanitarian Outcomes): three kinds of file.

- ``awsd``: the current export (HXL-tagged CSV, one row per incident, ISO2 country codes,
  labels in plain words);
- ``awsd_2016``: the older snapshot (1997-2016, latin-1 CSV) whose categorical columns are
  *codes* (``AB``, ``Am``, ``OC``...) explained by the abbreviations workbook;
- ``awsd_codebook``: that workbook (one sheet per code list, no header row).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path

from python_calamine import CalamineWorkbook

from etl.counterparts.names import name_key
from etl.errors import InputFileError
from etl.feeds.base import FeedCode, FeedColumn, FeedFormat, FeedRecord, ParsedFeed, RowProblem
from etl.feeds.cells import Columns, cell_text
from etl.feeds.normalise import (
    access_category,
    hash_cells,
    make_incident_id,
    perpetrator_name,
    perpetrator_type,
    read_coordinates,
    read_country,
    take_count,
)
from etl.vocab import label_key

SOURCE = "awsd"
DATASET = "aid_workers"  # AWSD records attacks on aid workers only

# The documented columns (AWSD's download and its HDX HXL export) the loader reads, with the HXL
# tags of the HDX export. The 2016 snapshot has the same names, no country code, no actors.
COLUMNS: tuple[FeedColumn, ...] = (
    FeedColumn("Incident ID", ("Incident", "AWSD ID"), ("#event+id",)),
    FeedColumn("Year", (), ("#date+year",)),
    FeedColumn("Month", (), ("#date+month",)),
    FeedColumn("Day", (), ("#date+day",)),
    FeedColumn("Country Code", ("Country ISO", "ISO2"), ("#country+code",), distinctive=True),
    FeedColumn("Country", ("Country Name",), ("#country+name",)),
    FeedColumn("Region", ("Admin 1",), ("#adm1+name",)),
    FeedColumn("District", ("Admin 2",), ("#adm2+name",)),
    FeedColumn("City", ("Town",), ("#adm3+name",)),
    FeedColumn("LNGO/NRCS", (), (), distinctive=True),
    FeedColumn("Total killed", (), ("#affected+killed+total",), distinctive=True),
    FeedColumn("Total wounded", ("Total injured",), ("#affected+injured+total",), distinctive=True),
    FeedColumn("Total kidnapped", (), ("#affected+kidnapped+total",), distinctive=True),
    FeedColumn("Total detained", (), ("#affected+detained+total",), distinctive=True),
    FeedColumn("Means of attack", (), ("#event+means",), distinctive=True),
    FeedColumn("Attack context", (), ("#event+type",), distinctive=True),
    FeedColumn("Location", ("Location type",), ("#loc+type",)),
    FeedColumn("Latitude", (), ("#geo+lat",)),
    FeedColumn("Longitude", (), ("#geo+lon",)),
    FeedColumn("Actor type", (), ("#group+type",)),
    FeedColumn("Actor name", (), ("#group+name",)),
    FeedColumn("Details", ("Description",), ("#description",)),
)

def _awsd_date(cols: Columns, cells: Sequence[object], row: int, problems: list[RowProblem],
               latest: dt.date) -> tuple[dt.date | None, str]:
    year, month, day = (cols.get(cells, k) for k in ("year", "month", "day"))
    for k in ("year", "month", "day"):
        cols.used[cols.name(k)] = "incident_date"
    if not year:
        problems.append(RowProblem(row, cols.name("year"), None, "missing_date"))
        return None, "year"
    parts = []
    for key, text in (("year", year), ("month", month), ("day", day)):
        if text and not re.fullmatch(r"\d{1,4}", text):
            problems.append(RowProblem(row, cols.name(key), text, "bad_date"))
            return None, "year"
        parts.append(int(text) if text else None)
    y, m, d = parts
    precision = "day" if m and d else "month" if m else "year"
    if d and not m:
        precision = "year"  # a day without a month says nothing
    try:
        value = dt.date(y or 1, m or 1, d if (m and d) else 1)
    except ValueError:
        problems.append(RowProblem(row, cols.name("day" if m and m <= 12 else "month"),
                                   f"{year}-{month}-{day}".strip("-"), "impossible_date"))
        return None, precision
    if y is not None and y < 1900:
        problems.append(RowProblem(row, cols.name("year"), year, "bad_date"))
        return None, precision
    if value > latest:
        problems.append(RowProblem(row, cols.name("year"), value.isoformat(), "future_date"))
        return None, precision
    return value, precision


def _awsd_row(feed: str, cols: Columns, cells: Sequence[object], row: int, problems: list[RowProblem],
              occurrences: dict[tuple[str, str], int], latest: dt.date) -> FeedRecord | None:
    source_id = cols.get(cells, "incident id")
    cols.used[cols.name("incident id")] = "source_id"
    if not source_id:
        problems.append(RowProblem(row, cols.name("incident id"), None, "missing_source_id"))
    date, precision = _awsd_date(cols, cells, row, problems, latest)
    iso3, country = read_country(cols, cells, "country code" if feed == "awsd" else None, "country", row, problems)
    killed = take_count(cols, cells, "total killed", row, problems, "killed")
    injured = take_count(cols, cells, "total wounded", row, problems, "injured")
    kidnapped = take_count(cols, cells, "total kidnapped", row, problems, "kidnapped")
    detained = take_count(cols, cells, "total detained", row, problems, "detained") if "total detained" in cols.pos else None
    if problems or date is None or iso3 is None:
        return None
    lat, lon, geo_problem = read_coordinates(cols.get(cells, "latitude"), cols.get(cells, "longitude"))
    means, context, location = (cols.get(cells, k) or None for k in ("means of attack", "attack context", "location"))
    for key, target in (("region", "admin1_name"), ("district", "admin2_name"), ("city", "place"),
                        ("location", "location_type"), ("latitude", "latitude"), ("longitude", "longitude"),
                        ("means of attack", "means_of_attack"), ("attack context", "attack_context"),
                        ("details", "description")):
        if key in cols.pos:
            cols.used[cols.name(key)] = target
    coded = feed == "awsd_2016"
    raw_type = name = None
    if not coded:
        raw_type = cols.get(cells, "actor type") or None
        name = perpetrator_name(cols.get(cells, "actor name"))
        cols.used[cols.name("actor type")] = "perpetrator_type"
        cols.used[cols.name("actor name")] = "perpetrator_name"
    return FeedRecord(
        incident_id=make_incident_id(feed, source_id, occurrences), source=SOURCE, feed=feed,
        source_id=source_id, incident_date=date, date_precision=precision, iso3=iso3, country=country,
        admin1_name=cols.get(cells, "region") or None, admin2_name=cols.get(cells, "district") or None,
        place=cols.get(cells, "city") or None, location_type=None if coded else location,
        latitude=lat, longitude=lon, geo_problem=geo_problem,
        perpetrator_type=perpetrator_type(raw_type), perpetrator_type_raw=raw_type,
        perpetrator_name=name, perpetrator_key=name_key(name) if name else None,
        means_of_attack=None if coded else means, attack_context=None if coded else context,
        # The 2016 codes get their category once the codebook decodes them (etl.feeds.load).
        category=access_category(None if coded else means, None if coded else context),
        killed=killed, injured=injured, kidnapped=kidnapped, detained=detained,
        description=cols.get(cells, "details") or None,
        means_code=means if coded else None, context_code=context if coded else None,
        location_code=location if coded else None, codes_decoded=not coded,
        row_hash=hash_cells(cells), source_row=row, dataset=DATASET,
    )



# ------------------------------------------------------------------------------------- codebook


def code_list_name(sheet: str) -> str:
    """'Key for means of attack' -> 'means_of_attack'.

    >>> code_list_name(" Key for attack context")
    'attack_context'
    """
    key = label_key(sheet)
    return key.removeprefix("key for").strip().replace(" ", "_")


def _parse_codebook(path: Path) -> ParsedFeed:
    wb = CalamineWorkbook.from_path(str(path))
    parsed = ParsedFeed(path, "awsd_codebook", sheets=[n.strip() for n in wb.sheet_names])
    for index, sheet in enumerate(wb.sheet_names):
        code_list = code_list_name(sheet)
        parsed.mapping[sheet.strip()] = code_list
        for i, cells in enumerate(wb.get_sheet_by_index(index).to_python(skip_empty_area=False)):
            code, label = (cell_text(cells[j]) if j < len(cells) else "" for j in (0, 1))
            if not code and not label:
                continue
            parsed.rows_read += 1
            if not code or not label:
                raw = {"code": code, "label": label, "sheet": sheet.strip()}
                parsed.problems.append(RowProblem(i + 1, "label" if code else "code", code or label, "missing_label",
                                                  raw=raw, sheet=sheet.strip()))
                continue
            parsed.codes.append(FeedCode(code_list, code, label, i + 1, sheet.strip()))
    if not parsed.rows_read:
        raise InputFileError(path, "the abbreviations workbook has no codes.", "Load the workbook as downloaded.")
    return parsed


def _is_codebook(sheets: list[str]) -> bool:
    return all(label_key(n).startswith("key for") for n in sheets)


def _aid_workers(found: set[str], names: str) -> str:
    return DATASET


CURRENT = FeedFormat(
    "awsd", SOURCE, "AWSD current export (HXL CSV)", label="an AWSD export", columns=COLUMNS,
    signature=frozenset({"incident id", "year", "month", "day", "country code", "means of attack", "actor type",
                         "actor name", "total killed"}),
    normalise_row=_awsd_row, dataset_of=_aid_workers)
SNAPSHOT_2016 = FeedFormat(
    "awsd_2016", SOURCE, "AWSD 2016 snapshot (coded CSV)", label="an AWSD 2016 snapshot (coded)", columns=COLUMNS,
    signature=frozenset({"incident id", "year", "month", "day", "country", "lngo nrcs", "means of attack",
                         "attack context", "total killed"}),
    not_with=frozenset({"country code"}), normalise_row=_awsd_row, dataset_of=_aid_workers)
CODEBOOK = FeedFormat("awsd_codebook", None, "AWSD abbreviations workbook", label="the AWSD abbreviations workbook",
                      sheets_match=_is_codebook, parse=_parse_codebook)
