"""HDX HAPI conflict events -> ``conflict_event_counts``: ACLED's events and fatalities per admin
area, event type and month, as the Humanitarian API publishes them.

Recognised by ``location_code``, ``event_type``, ``events`` and ``reference_period_start`` (the
names of API v1 and v2 and of the HDX download); read from the API's CSV (``output_format=csv``),
the HDX resource (the same columns with an HXL hashtag row under the header), or JSON (the API's
``{"data": [...]}`` envelope, or a bare array). Optional columns (``location_name``,
``admin_level``, ``provider_admin1_name``, ``has_hrp``, ``in_gho``, ``resource_hdx_id``,
``warning``, ``error``, the ``*_ref`` ids) may be absent.

- ``event_type`` is one of ``civilian_targeting``, ``demonstration``, ``political_violence``
  (the three are not exclusive: an event can count in two). ``fatalities`` may be blank (HAPI
  gives none for demonstrations).
- ``month`` is the first day of ``reference_period_start``'s month; a period longer than one
  calendar month is refused for its row.
- ``admin_level`` (0 country, 1, 2) is derived from the codes given when the column is absent;
  ``admin1_pcode`` is decided at load time from ``admin1_code`` (see :mod:`etl.feeds.conflict_load`).
- Rows carrying HAPI's own ``error`` flag (e.g. "Non matching p-code" on Kosovo) are loaded as
  published; the load says how many.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from etl.feeds.base import FeedColumn, FeedFormat, RowProblem
from etl.feeds.cells import Columns
from etl.feeds.conflict_base import ConflictCount, ParsedConflict, read_day, take_count, with_row_hash
from etl.feeds.feed_tables import read_feed_table
from etl.feeds.normalise import COUNTRY_ALIASES
from etl.geo.countries import country_iso3
from etl.vocab import label_key

SOURCE = "hdx_hapi"
FEED = "hdx_hapi_conflict"
EVENT_TYPES = ("civilian_targeting", "demonstration", "political_violence")
SIGNATURE = frozenset({"location code", "event type", "events", "reference period start"})
TARGETS = {
    "location code": "iso3", "admin level": "admin_level", "admin1 code": "admin1_pcode",
    "admin1 name": "admin1_name", "admin2 code": "admin2_pcode", "admin2 name": "admin2_name",
    "event type": "event_type", "events": "events", "fatalities": "fatalities",
    "reference period start": "month", "reference period end": "period_end",
}
# Used when HAPI's own names are blank (the provider's spelling of the area).
FALLBACK_NAMES = {"admin1 name": "provider admin1 name", "admin2 name": "provider admin2 name"}


# The documented columns, for recognition (etl.feeds.recognise).
COLUMNS = tuple(FeedColumn(key.replace(" ", "_"), distinctive=key in {"location code", "events", "reference period start",
                                                                   "reference period end", "admin level"})
                for key in TARGETS)


def event_type_code(text: str) -> str | None:
    """HAPI's event type from its code or label.

    >>> event_type_code("political_violence"), event_type_code("Civilian targeting"), event_type_code("riots")
    ('political_violence', 'civilian_targeting', None)
    """
    code = label_key(text).replace(" ", "_")
    return code if code in EVENT_TYPES else None


def _iso3(cols: Columns, cells: Sequence[object], row: int, problems: list[RowProblem]) -> str | None:
    code, name = cols.get(cells, "location code"), cols.get(cells, "location name")
    for raw in (code, name):
        found = raw and (COUNTRY_ALIASES.get(label_key(raw)) or country_iso3(raw))
        if found:
            return found
    if not code and not name:
        problems.append(RowProblem(row, cols.name("location code"), None, "missing_country"))
    else:
        problems.append(RowProblem(row, cols.name("location code"), code or name, "unknown_country"))
    return None


def _admin_level(cols: Columns, cells: Sequence[object], row: int, problems: list[RowProblem]) -> int | None:
    text = cols.get(cells, "admin level")
    if "admin level" not in cols.pos or not text:
        a2 = cols.get(cells, "admin2 code") or cols.get(cells, "admin2 name")
        a1 = cols.get(cells, "admin1 code") or cols.get(cells, "admin1 name")
        return 2 if a2 else 1 if a1 else 0
    if text not in ("0", "1", "2"):
        problems.append(RowProblem(row, cols.name("admin level"), text, "bad_code", " (0, 1 or 2)"))
        return None
    level = int(text)
    for n in range(1, level + 1):
        if not (cols.get(cells, f"admin{n} code") or cols.get(cells, f"admin{n} name")):
            problems.append(RowProblem(row, cols.name(f"admin{n} code"), text, "missing_admin_area"))
            return None
    return level


def _period(cols: Columns, cells: Sequence[object], row: int,
            problems: list[RowProblem]) -> tuple[dt.date | None, dt.date | None]:
    start_key, end_key = "reference period start", "reference period end"
    start, problem = read_day(cells[cols.pos[start_key]] if cols.pos[start_key] < len(cells) else None)
    if problem:
        problems.append(RowProblem(row, cols.name(start_key), cols.get(cells, start_key), problem))
        return None, None
    if start is None:
        problems.append(RowProblem(row, cols.name(start_key), None, "missing_period"))
        return None, None
    end = None
    if end_key in cols.pos:
        end, problem = read_day(cells[cols.pos[end_key]] if cols.pos[end_key] < len(cells) else None)
        if problem:
            problems.append(RowProblem(row, cols.name(end_key), cols.get(cells, end_key), problem))
        elif end is not None and end < start:
            problems.append(RowProblem(row, cols.name(end_key), end.isoformat(), "period_end_before_start",
                                       start.isoformat()))
        elif end is not None and (end.year, end.month) != (start.year, start.month):
            problems.append(RowProblem(row, cols.name(end_key), f"{start} to {end}", "not_monthly"))
    return start, end


def _count(cols: Columns, cells: Sequence[object], row: int, problems: list[RowProblem]) -> ConflictCount | None:
    iso3 = _iso3(cols, cells, row, problems)
    raw_type = cols.get(cells, "event type")
    event_type = event_type_code(raw_type)
    if not raw_type:
        problems.append(RowProblem(row, cols.name("event type"), None, "missing_event_type"))
    elif event_type is None:
        problems.append(RowProblem(row, cols.name("event type"), raw_type, "unknown_event_type",
                                   f" ({', '.join(EVENT_TYPES)})"))
    level = _admin_level(cols, cells, row, problems)
    start, end = _period(cols, cells, row, problems)
    events = take_count(cols, cells, "events", row, problems)
    fatalities = take_count(cols, cells, "fatalities", row, problems)
    if problems or iso3 is None or event_type is None or level is None or start is None:
        return None
    names = {k: cols.get(cells, k) or cols.get(cells, FALLBACK_NAMES[k]) or None for k in FALLBACK_NAMES}
    a1_code = (cols.get(cells, "admin1 code").upper() or None) if level >= 1 else None
    a2_code = (cols.get(cells, "admin2 code").upper() or None) if level >= 2 else None
    return with_row_hash(ConflictCount(
        source=SOURCE, iso3=iso3, admin_level=level, admin1_code=a1_code,
        admin1_name=names["admin1 name"] if level >= 1 else None, admin2_pcode=a2_code,
        admin2_name=names["admin2 name"] if level >= 2 else None, event_type=event_type,
        month=start.replace(day=1), period_end=end, events=events, fatalities=fatalities, row_hash="",
        source_row=row))


def count_key(c: ConflictCount) -> tuple[object, ...]:
    """What one row counts: a newer row with the same key replaces it (area by code, else by name)."""
    return (c.source, c.iso3, c.admin_level, c.admin1_code or c.admin1_name or "",
            c.admin2_pcode or c.admin2_name or "", c.event_type, c.month)


def parse_hapi(path: Path) -> ParsedConflict:
    """Read and normalise an HDX HAPI conflict-event file; raises :class:`~etl.errors.InputFileError`."""
    table = read_feed_table(path, SIGNATURE)
    cols = Columns(table.header)
    parsed = ParsedConflict(path, FEED, table.encoding, [table.sheet] if table.sheet else [],
                            rows_read=len(table.rows) + len(table.bad_entries or []))
    for n, entry in table.bad_entries or []:
        parsed.problems.append(RowProblem(n, None, entry, "not_a_record"))
    seen: dict[tuple[object, ...], tuple[str, int]] = {}
    flagged = 0
    for row, cells in table.rows:
        problems: list[RowProblem] = []
        count = _count(cols, cells, row, problems)
        if count is not None and (key := count_key(count)) in seen:
            first_hash, first_row = seen[key]
            if first_hash == count.row_hash:
                parsed.repeated += 1
                continue
            problems.append(RowProblem(row, None, None, "repeated_count", f" (row {first_row})"))
        if problems or count is None:
            raw = cols.raw_row(cells)
            parsed.problems.extend(RowProblem(p.row, p.column, p.value, p.code, p.detail, raw, table.sheet)
                                   for p in problems)
            continue
        seen[count_key(count)] = (count.row_hash, row)
        flagged += bool(cols.get(cells, "error"))
        parsed.counts.append(count)
    if flagged:
        parsed.notes.append(f"{flagged:,} row(s) carry HDX HAPI's own error flag; loaded as published")
    parsed.mapping = {cols.name(k): t for k, t in TARGETS.items() if k in cols.pos}
    parsed.ignored = [h for h in dict.fromkeys(table.header) if h and h not in parsed.mapping]
    return parsed


HAPI_CONFLICT = FeedFormat(FEED, SOURCE, "HDX HAPI conflict events (monthly counts per admin area)",
                           signature=SIGNATURE, columns=COLUMNS, parse=parse_hapi, label="an HDX HAPI conflict-event file")
