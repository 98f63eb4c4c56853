"""Insecurity Insight's aid-worker KIKA workbook (killed, injured, kidnapped, arrested).

One incident table: a header, an HXL row under it and repeated at the end, duplicate header names.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from etl.counterparts.names import name_key
from etl.feeds.base import FeedFormat, FeedRecord, RowProblem
from etl.feeds.cells import Columns, cell_text
from etl.feeds.normalise import (
    access_category,
    hash_cells,
    make_incident_id,
    perpetrator_name,
    perpetrator_type,
    read_coordinates,
    read_country,
    read_number,
)
from etl.logs.validate import parse_date
from etl.vocab import label_key

SOURCE = "insecurity_insight"

# Insecurity Insight's "Time Precision" -> date_precision ('Close' means within 2-6 days).
_II_PRECISION = (("exact", "day"), ("close", "week"), ("week", "week"), ("month", "month"), ("year", "year"))


def _ii_date(cols: Columns, cells: Sequence[object], row: int, problems: list[RowProblem],
             latest: dt.date) -> dt.date | None:
    i = cols.pos["date"]
    value = cells[i] if i < len(cells) else None
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
        parsed = parse_date(text, day_first=True)
        if parsed.value is None:
            problems.append(RowProblem(row, cols.name("date"), text, parsed.problem or "bad_date"))
            return None
        date = parsed.value
    if date is not None and date > latest:
        problems.append(RowProblem(row, cols.name("date"), date.isoformat(), "future_date"))
        return None
    return date


def _ii_row(feed: str, cols: Columns, cells: Sequence[object], row: int, problems: list[RowProblem],
            occurrences: dict[str, int], latest: dt.date) -> FeedRecord | None:
    source_id = cols.get(cells, "sind event id")
    cols.used[cols.name("sind event id")] = "source_id"
    if not source_id:
        problems.append(RowProblem(row, cols.name("sind event id"), None, "missing_source_id"))
    date = _ii_date(cols, cells, row, problems, latest)
    iso3, country = read_country(cols, cells, "country iso", "country", row, problems)
    killed = read_number(cols, cells, "aid workers killed", row, problems)
    injured = read_number(cols, cells, "aid workers injured", row, problems)
    kidnapped = read_number(cols, cells, "aid workers kidnapped", row, problems)
    detained = read_number(cols, cells, "aid workers arrested", row, problems)
    if problems or date is None or iso3 is None:
        return None
    precision_text = label_key(cols.get(cells, "time precision"))
    precision = next((p for word, p in _II_PRECISION if precision_text.startswith(word)), "day")
    lat, lon, geo_problem = read_coordinates(cols.get(cells, "latitude"), cols.get(cells, "longitude"))
    country_level = label_key(cols.get(cells, "geo precision")).startswith("6")
    if country_level and geo_problem is None and lat is not None:
        lat = lon = None
        geo_problem = "country_level_point"
    weapon = cols.get(cells, "weapon carried used") or None
    raw_type = cols.get(cells, "actor") or None
    name = perpetrator_name(cols.get(cells, "actor name"))
    for key, target in (("time precision", "date_precision"), ("admin 1", "admin1_name"),
                        ("location of incident", "location_type"), ("latitude", "latitude"),
                        ("longitude", "longitude"), ("geo precision", "geo_problem"),
                        ("actor", "perpetrator_type"), ("actor name", "perpetrator_name"),
                        ("weapon carried used", "means_of_attack"), ("event description", "description")):
        cols.used[cols.name(key)] = target
    return FeedRecord(
        incident_id=make_incident_id(feed, source_id, occurrences), source=SOURCE, feed=feed,
        source_id=source_id, incident_date=date, date_precision=precision, iso3=iso3, country=country,
        admin1_name=cols.get(cells, "admin 1") or None, admin2_name=None, place=None,
        location_type=cols.get(cells, "location of incident") or None,
        latitude=lat, longitude=lon, geo_problem=geo_problem,
        perpetrator_type=perpetrator_type(raw_type), perpetrator_type_raw=raw_type,
        perpetrator_name=name, perpetrator_key=name_key(name) if name else None,
        means_of_attack=weapon, attack_context=None, category=access_category(weapon, None),
        killed=killed, injured=injured, kidnapped=kidnapped, detained=detained,
        description=cols.get(cells, "event description") or None,
        means_code=None, context_code=None, location_code=None, codes_decoded=True,
        row_hash=hash_cells(cells), source_row=row,
    )


KIKA = FeedFormat(
    "insecurity_insight", SOURCE, "Insecurity Insight aid-worker KIKA workbook",
    signature=frozenset({"date", "country iso", "admin 1", "actor", "actor name", "aid workers killed",
                         "sind event id"}),
    normalise_row=_ii_row)
