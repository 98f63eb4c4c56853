"""Insecurity Insight's Security in Numbers (SiND) exports: every dataset family, spreadsheet or API.

Aid workers (KIKA: killed, injured, kidnapped, arrested), health care, education, food security and
protection share one schema (:mod:`etl.feeds.sind` declares what tells them apart and how their
victims are counted). A file is recognised by its documented columns or HXL tags (SiND Event ID
and Date at least); the HDX workbooks carry a header, an HXL row under it (repeated at the end in
the 2023 KIKA workbook) and duplicate header names; the API gives JSON with the same field names.
Older exports say "Actor" / "Actor Name" where current ones say "Reported Perpetrator" / "Reported
Perpetrator Name". Only the KIKA workbook has "Time Precision"; without it dates are taken as
exact to the day, and the load result says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from etl.counterparts.names import name_key
from etl.feeds.base import FeedColumn, FeedFormat, FeedRecord, RowProblem
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
from etl.feeds.sind import COUNT_FIELDS, DATASETS, FAMILY_BY_DATASET, family_columns, which_family
from etl.logs.validate import parse_date
from etl.vocab import label_key

SOURCE = "insecurity_insight"
ASSUMED_PRECISION = "day"

# Insecurity Insight's "Time Precision" -> date_precision ('Close' means within 2-6 days).
_II_PRECISION = (("exact", "day"), ("close", "week"), ("week", "week"), ("month", "month"), ("year", "year"))

CORE: tuple[FeedColumn, ...] = (
    FeedColumn("SiND Event ID", ("SiND ID", "SIND Event", "Event ID"), ("#event+id",), distinctive=True),
    FeedColumn("Date", ("Event Date", "Date of Event", "Date of Incident"), ("#date+occurred", "#date")),
    FeedColumn("Time Precision", ("Date Precision",), distinctive=True),
    FeedColumn("Country", ("Country Name",), ("#country+name", "#country")),
    FeedColumn("Country ISO", ("Country ISO3", "ISO3", "ISO"), ("#country_iso", "#country+iso", "#country+code"),
               distinctive=True),
    FeedColumn("Admin 1", ("Admin1", "ADM1"), ("#adm1", "#adm1+name")),
    FeedColumn("Latitude", ("Lat",), ("#geo+lat", "#geo+lac")),
    FeedColumn("Longitude", ("Lon", "Long"), ("#geo+lon",)),
    FeedColumn("Geo Precision", ("Geographic Precision",), ("#geo+precision",), distinctive=True),
    FeedColumn("Location of Incident", ("Location of Event", "Location of Violence",
                                        "Location Where Sexual Violence Was Committed"), ("#loc",)),
    FeedColumn("Reported Perpetrator", ("Actor", "Actor Type", "Perpetrator", "Perpetrator Type"),
               ("#group+perp",)),
    FeedColumn("Reported Perpetrator Name", ("Actor Name", "Perpetrator Name"), ("#group+name+perp",)),
    FeedColumn("Weapon Carried/Used", ("Weapon", "Weapons", "Weapon Used", "Explosive Weapon Type"),
               ("#weapon", "#weapons"), distinctive=True),
    FeedColumn("Event Description", ("Public Event Description", "Description"), ("#description",)),
)
COLUMNS = (*CORE, *family_columns())


def _ii_date(cols: Columns, cells: Sequence[object], row: int, problems: list[RowProblem],
             latest: dt.date) -> dt.date | None:
    value = cols.value(cells, "date")
    cols.used[cols.name("date")] = "incident_date"
    if isinstance(value, dt.datetime):
        date: dt.date | None = value.date()
    elif isinstance(value, dt.date):
        date = value
    else:
        text = cell_text(value)
        if not text:
            problems.append(RowProblem(row, cols.name("date"), None, "missing_date"))
            return None
        parsed = parse_date(text, day_first=cols.day_first)
        if parsed.value is None:
            problems.append(RowProblem(row, cols.name("date"), text, parsed.problem or "bad_date"))
            return None
        date = parsed.value
    if date is not None and date > latest:
        problems.append(RowProblem(row, cols.name("date"), date.isoformat(), "future_date"))
        return None
    return date


def _counts(cols: Columns, cells: Sequence[object], row: int, problems: list[RowProblem]) -> dict[str, int | None]:
    """killed/injured/kidnapped/detained of the table's family: each the sum of its parts (NULL when none given)."""
    family = FAMILY_BY_DATASET.get(cols.dataset or "")
    out: dict[str, int | None] = dict.fromkeys(COUNT_FIELDS)
    if family is None:
        return out
    for field, parts in family.counts.items():
        for alternatives in parts:
            column = next((c for c in alternatives if c.key in cols.pos), None)
            if column is None:
                continue
            value = take_count(cols, cells, column.key, row, problems, field)
            if value is not None:
                out[field] = (out[field] or 0) + value
    return out


def _ii_row(feed: str, cols: Columns, cells: Sequence[object], row: int, problems: list[RowProblem],
            occurrences: dict[tuple[str, str], int], latest: dt.date) -> FeedRecord | None:
    source_id = cols.get(cells, "sind event id")
    cols.used[cols.name("sind event id")] = "source_id"
    if not source_id:
        problems.append(RowProblem(row, cols.name("sind event id"), None, "missing_source_id"))
    date = _ii_date(cols, cells, row, problems, latest)
    iso3, country = read_country(cols, cells, "country iso", "country", row, problems)
    counts = _counts(cols, cells, row, problems)
    if problems or date is None or iso3 is None:
        return None
    precision_text = label_key(cols.get(cells, "time precision"))
    precision = next((p for word, p in _II_PRECISION if precision_text.startswith(word)), ASSUMED_PRECISION)
    lat, lon, geo_problem = read_coordinates(cols.get(cells, "latitude"), cols.get(cells, "longitude"))
    country_level = label_key(cols.get(cells, "geo precision")).startswith("6")
    if country_level and geo_problem is None and lat is not None:
        lat = lon = None
        geo_problem = "country_level_point"
    weapon = cols.get(cells, "weapon carried used") or None
    raw_type = cols.get(cells, "reported perpetrator") or None
    name = perpetrator_name(cols.get(cells, "reported perpetrator name"))
    for key, target in (("time precision", "date_precision"), ("admin 1", "admin1_name"),
                        ("location of incident", "location_type"), ("camp name", "place"),
                        ("latitude", "latitude"), ("longitude", "longitude"), ("geo precision", "geo_problem"),
                        ("reported perpetrator", "perpetrator_type"), ("reported perpetrator name", "perpetrator_name"),
                        ("weapon carried used", "means_of_attack"), ("event description", "description")):
        if key in cols.pos:
            cols.used[cols.name(key)] = target
    return FeedRecord(
        incident_id=make_incident_id(feed, source_id, occurrences, cols.dataset, DATASETS[0]), source=SOURCE,
        feed=feed, source_id=source_id, incident_date=date, date_precision=precision, iso3=iso3, country=country,
        admin1_name=cols.get(cells, "admin 1") or None, admin2_name=None, place=cols.get(cells, "camp name") or None,
        location_type=cols.get(cells, "location of incident") or None,
        latitude=lat, longitude=lon, geo_problem=geo_problem,
        perpetrator_type=perpetrator_type(raw_type), perpetrator_type_raw=raw_type,
        perpetrator_name=name, perpetrator_key=name_key(name) if name else None,
        means_of_attack=weapon, attack_context=None, category=access_category(weapon, None),
        killed=counts["killed"], injured=counts["injured"], kidnapped=counts["kidnapped"],
        detained=counts["detained"], description=cols.get(cells, "event description") or None,
        means_code=None, context_code=None, location_code=None, codes_decoded=True,
        row_hash=hash_cells(cells), source_row=row, dataset=cols.dataset,
    )


def _notes(cols: Columns) -> list[str]:
    notes = []
    if "time precision" not in cols.pos:
        notes.append(f"no Time Precision column: dates taken as exact to the {ASSUMED_PRECISION}")
    if cols.dataset is None:
        notes.append("which Insecurity Insight dataset this is (aid workers, health care, education, food "
                     "security, protection) could not be told from its columns or name: victim counts left "
                     "blank and incidents.dataset empty")
    return notes


def _describe(dataset: str | None) -> str:
    family = FAMILY_BY_DATASET.get(dataset or "")
    return f"an Insecurity Insight export ({family.label + ', ' if family else ''}SiND schema)"


SIND = FeedFormat(
    "insecurity_insight", SOURCE, "Insecurity Insight Security in Numbers export (any dataset family)",
    label="an Insecurity Insight export", columns=COLUMNS,
    signature=frozenset({"sind event id", "date"}), one_of=(frozenset({"country", "country iso"}),),
    normalise_row=_ii_row, dataset_of=which_family, describe=_describe, notes=_notes)
