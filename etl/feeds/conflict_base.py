"""The shapes of the conflict-event feeds (ACLED events, HDX HAPI monthly counts) and the cell
readers they share: counts that fit an INTEGER, dates, and the row hash.

A :class:`ConflictEvent` becomes one row of ``conflict_events``, a :class:`ConflictCount` one row
of ``conflict_event_counts`` (schema 5, ``etl/store/migrations/m0005_conflict_events.py``). Both
publishers' files parse to a :class:`ParsedConflict`, which :mod:`etl.feeds.conflict_load`
writes; :func:`etl.intake.load_paths` routes a staged feed there by that type.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import TypeVar

from etl.feeds.base import ParsedFeed, RowProblem
from etl.feeds.cells import Columns, cell_text
from etl.logs.validate import parse_date

INT_MAX = 2_147_483_647  # the largest value an INTEGER column holds
_WHOLE = re.compile(r"^\+?\d+(?:\.0*)?$")
_THOUSANDS = re.compile(r"^\d{1,3}(?:,\d{3})+$")


@dataclass
class ConflictEvent:
    """One ACLED event, normalised, not yet placed on an admin-1 area."""

    event_id: str
    source: str
    source_id: str
    event_date: dt.date
    date_precision: str
    disorder_type: str | None
    event_type: str
    sub_event_type: str | None
    actor1: str | None
    actor1_key: str | None
    assoc_actor_1: str | None
    inter1: str | None
    actor2: str | None
    actor2_key: str | None
    assoc_actor_2: str | None
    inter2: str | None
    interaction: str | None
    civilian_targeting: bool | None
    iso3: str
    country: str | None
    admin1_name: str | None
    admin2_name: str | None
    admin3_name: str | None
    location: str | None
    latitude: float | None
    longitude: float | None
    geo_precision: int | None
    geo_problem: str | None
    source_name: str | None
    notes: str | None
    fatalities: int | None
    row_hash: str
    source_row: int
    admin1_pcode: str | None = None  # set by etl.feeds.conflict_load when the event is placed


@dataclass
class ConflictCount:
    """One HDX HAPI conflict-event row: events and fatalities of one event type, area and month."""

    source: str
    iso3: str
    admin_level: int
    admin1_code: str | None  # as written; admin1_pcode is decided at load time
    admin1_name: str | None
    admin2_pcode: str | None
    admin2_name: str | None
    event_type: str
    month: dt.date
    period_end: dt.date | None
    events: int | None
    fatalities: int | None
    row_hash: str
    source_row: int
    admin1_pcode: str | None = None  # set by etl.feeds.conflict_load


_Row = TypeVar("_Row", ConflictEvent, ConflictCount)

# Columns of each table a parsed row fills (the rest: load_id).
EVENT_COLUMNS = tuple(f.name for f in fields(ConflictEvent))
COUNT_COLUMNS = tuple(f.name for f in fields(ConflictCount) if f.name != "admin1_code")


@dataclass
class ParsedConflict(ParsedFeed):
    """A conflict-event file read and normalised (``records`` and ``codes`` stay empty)."""

    events: list[ConflictEvent] = field(default_factory=list)
    counts: list[ConflictCount] = field(default_factory=list)
    # Rows repeated unchanged inside the file: counted as duplicates, loaded once.
    repeated: int = 0
    # What the loader assumed, said in the load's message (e.g. a missing time_precision column).
    notes: list[str] = field(default_factory=list)


def read_count(text: str) -> tuple[int | None, str | None]:
    """(count, None), (None, None) for a blank, or (None, reason code) for a value no count can be.

    Whole numbers only, written plainly ("12", "12.0" from a spreadsheet, "1,234" with thousands
    commas); anything else is turned away with its reason rather than guessed.

    >>> read_count("12"), read_count("12.0"), read_count("1,234"), read_count("")
    ((12, None), (12, None), (1234, None), (None, None))
    >>> read_count("nan"), read_count("inf"), read_count("1e400"), read_count("abc")
    ((None, 'bad_number'), (None, 'bad_number'), (None, 'bad_number'), (None, 'bad_number'))
    >>> read_count("-3"), read_count("2.5"), read_count("3000000000")
    ((None, 'negative_number'), (None, 'not_whole_number'), (None, 'number_too_large'))
    """
    text = text.strip()
    if not text:
        return None, None
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    if _WHOLE.match(text):
        value = int(text.split(".")[0])
        return (value, None) if value <= INT_MAX else (None, "number_too_large")
    try:
        number = float(text)
    except ValueError:
        return None, "bad_number"
    if not math.isfinite(number):
        return None, "bad_number"
    if number < 0:
        return None, "negative_number"
    if not number.is_integer():
        return None, "not_whole_number"
    return (int(number), None) if number <= INT_MAX else (None, "number_too_large")


def read_day(value: object) -> tuple[dt.date | None, str | None]:
    """A date cell (a spreadsheet date, ISO text, "15 January 2024", "15-January-2024") -> (date, problem).

    >>> read_day("2024-01-15"), read_day("15 January 2024"), read_day("15-January-2024")[0]
    ((datetime.date(2024, 1, 15), None), (datetime.date(2024, 1, 15), None), datetime.date(2024, 1, 15))
    >>> read_day("2024-01-15T00:00:00")[0], read_day("31 February 2024"), read_day("soon")
    (datetime.date(2024, 1, 15), (None, 'bad_date'), (None, 'bad_date'))
    """
    if isinstance(value, dt.datetime):
        return value.date(), None
    if isinstance(value, dt.date):
        return value, None
    text = cell_text(value)
    if not text:
        return None, None
    parsed = parse_date(text, day_first=True)
    if parsed.value is None:
        return None, parsed.problem or "bad_date"
    if parsed.value.year < 1900:
        return None, "bad_date"
    return parsed.value, None


_NOT_HASHED = {"row_hash", "source_row", "admin1_pcode"}


def with_row_hash(record: _Row) -> _Row:
    """Set ``row_hash``: MD5 of the normalised values (the same event written as CSV, XLSX or JSON
    hashes alike; where the file has it, which row, and the load's placing do not count)."""
    values = [getattr(record, f.name) for f in fields(record) if f.name not in _NOT_HASHED]
    text = json.dumps([v.isoformat() if isinstance(v, dt.date) else v for v in values], ensure_ascii=False)
    record.row_hash = hashlib.md5(text.encode("utf-8")).hexdigest()
    return record


def take_count(cols: Columns, cells: Sequence[object], key: str, row: int, problems: list[RowProblem]) -> int | None:
    """The count in column ``key`` (None when blank or absent); a bad value adds the row's problem."""
    text = cols.get(cells, key)
    value, problem = read_count(text)
    if problem:
        problems.append(RowProblem(row, cols.name(key), text, problem))
    return value
