"""HDX HAPI conflict events -> ``conflict_event_counts``: ACLED's events and fatalities per admin
area, event type and month, as the Humanitarian API publishes them.

Recognised like every feed (:mod:`etl.feeds.recognise`) by ``location_code``, ``event_type``,
``events`` and ``reference_period_start`` (the names of API v1 and v2 and of the HDX download),
found by name, by the HXL tags of the HDX download (``#country+code``, ``#event+type``,
``#indicator+event+num``, ``#date+start``) or through a mapping file; read from the API's CSV (``output_format=csv``),
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

from etl.feeds.base import FeedColumn, FeedFormat, FeedTable, RowProblem
from etl.feeds.cells import Columns
from etl.feeds.conflict_base import ConflictCount, ParsedConflict, accept_rows, read_day, record_columns, with_row_hash
from etl.feeds.normalise import COUNTRY_ALIASES, take_count
from etl.geo.countries import country_iso3
from etl.vocab import label_key

SOURCE = "hdx_hapi"
FEED = "hdx_hapi_conflict"
EVENT_TYPES = ("civilian_targeting", "demonstration", "political_violence")
SIGNATURE = frozenset({"location code", "event type", "events", "reference period start"})


def _column(name: str, target: str | None, hxl: str, distinctive: bool = False) -> FeedColumn:
    return FeedColumn(name, (), (hxl,), distinctive, target)


# HAPI's fields (API v1 and v2, and the HDX download), the HXL tags of the HDX download, and the
# conflict_event_counts column each fills. ``location_name`` and the provider's names are read
# when HAPI's own are blank; ``error`` (HAPI's flag) is counted in the load's message. The API's
# ``location_ref``, ``admin1_ref`` and ``admin2_ref`` are HAPI's internal ids: not read.
COLUMNS: tuple[FeedColumn, ...] = (
    _column("location_code", "iso3", "#country+code", distinctive=True),
    _column("location_name", "iso3", "#country+name"),
    _column("admin_level", "admin_level", "#adm+level", distinctive=True),
    _column("admin1_code", "admin1_pcode", "#adm1+code"),
    _column("admin1_name", "admin1_name", "#adm1+name"),
    _column("provider_admin1_name", "admin1_name", "#adm1+name+provider"),
    _column("admin2_code", "admin2_pcode", "#adm2+code"),
    _column("admin2_name", "admin2_name", "#adm2+name"),
    _column("provider_admin2_name", "admin2_name", "#adm2+name+provider"),
    _column("event_type", "event_type", "#event+type"),
    _column("events", "events", "#indicator+event+num", distinctive=True),
    _column("fatalities", "fatalities", "#affected+killed"),
    _column("reference_period_start", "month", "#date+start", distinctive=True),
    _column("reference_period_end", "period_end", "#date+end", distinctive=True),
    _column("error", None, "#meta+error"),
)
# Used when HAPI's own names are blank (the provider's spelling of the area).
FALLBACK_NAMES = {"admin1 name": "provider admin1 name", "admin2 name": "provider admin2 name"}


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


def _repeated(cols: Columns, count: ConflictCount, first_row: int) -> RowProblem:
    return RowProblem(count.source_row, None, None, "repeated_count", f" (row {first_row})")


def read_counts(path: Path, tables: list[FeedTable], latest: dt.date) -> ParsedConflict:
    """The monthly counts of an HDX HAPI file's tables (found by :mod:`etl.feeds.recognise`), bad rows with their reasons."""
    parsed = ParsedConflict(path, FEED, tables[0].encoding)
    flagged = 0
    for cols, cells, count in accept_rows(parsed, tables, _count, count_key, _repeated):
        flagged += bool(cols.get(cells, "error"))
        parsed.counts.append(count)
    if flagged:
        parsed.notes.append(f"{flagged:,} row(s) carry HDX HAPI's own error flag; loaded as published")
    record_columns(parsed, COLUMNS, tables)
    return parsed


HAPI_CONFLICT = FeedFormat(FEED, SOURCE, "HDX HAPI conflict events (monthly counts per admin area)",
                           label="an HDX HAPI conflict-event file", columns=COLUMNS, signature=SIGNATURE,
                           read_rows=read_counts, table="conflict_event_counts")
