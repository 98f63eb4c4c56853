"""The shapes of the conflict-event feeds (ACLED events, HDX HAPI monthly counts) and the cell
readers they share: dates and the row hash (counts: :func:`etl.feeds.normalise.take_count`).

A :class:`ConflictEvent` becomes one row of ``conflict_events``, a :class:`ConflictCount` one row
of ``conflict_event_counts`` (schema 5, ``etl/store/migrations/m0005_conflict_events.py``). Both
publishers' files parse to a :class:`ParsedConflict`, which :mod:`etl.feeds.conflict_load`
writes; :func:`etl.intake.load_paths` routes a staged feed there by that type.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from typing import TypeVar

from etl.feeds.base import FeedColumn, FeedTable, ParsedFeed, RowProblem
from etl.feeds.cells import Columns, cell_text
from etl.logs.validate import parse_date


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


# One data row -> a record, or None with the row's problems appended: (columns, cells, row number, problems).
RowReader = Callable[[Columns, list[object], int, list[RowProblem]], "_Row | None"]


def accept_rows(parsed: ParsedConflict, tables: list[FeedTable], read: RowReader, key_of: Callable[[_Row], object],
                repeated: Callable[[Columns, _Row, int], RowProblem]) -> Iterator[tuple[Columns, list[object], _Row]]:
    """The rows of a conflict file's tables that load, each with its columns and cells.

    Counts the rows read; a bad row gets its problems (with the row as read) in ``parsed.problems``;
    a row repeating an earlier one exactly is counted in ``parsed.repeated``, one repeating its key
    with other values gets the problem ``repeated`` makes (the earlier row's number given).
    """
    seen: dict[object, tuple[str, int]] = {}
    for table in tables:
        cols = table.cols
        parsed.rows_read += len(table.rows) + len(table.not_records)
        parsed.problems += table.not_record_problems()
        for row, cells in table.rows:
            problems: list[RowProblem] = []
            record = read(cols, cells, row, problems)
            if record is not None and (key := key_of(record)) in seen:
                first_hash, first_row = seen[key]
                if first_hash == record.row_hash:
                    parsed.repeated += 1
                    continue
                problems.append(repeated(cols, record, first_row))
            if problems or record is None:
                parsed.problems += table.row_problems(problems, cells)
                continue
            seen[key_of(record)] = (record.row_hash, row)
            yield cols, cells, record


def record_columns(parsed: ParsedConflict, columns: tuple[FeedColumn, ...], tables: list[FeedTable]) -> None:
    """Say in the load which header fed which column (``loads.column_mapping``) and which were ignored."""
    for table in tables:
        for column in columns:
            if column.target and column.key in table.cols.pos:
                parsed.mapping[table.cols.name(column.key)] = column.target
    headers = dict.fromkeys(h for t in tables for h in t.cols.header if h)
    parsed.ignored = [h for h in headers if h not in parsed.mapping]
