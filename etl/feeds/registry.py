"""Public aid-worker incident feeds: recognise a file, read it, and normalise each row.

Three publishers' files are context for negotiation data, never negotiation logs themselves:

- ``awsd``: the Aid Worker Security Database's current export (HXL-tagged CSV, one row per
  incident, ISO2 country codes, labels in plain words);
- ``awsd_2016``: the older AWSD snapshot (1997-2016, latin-1 CSV) whose categorical columns are
  *codes* (``AB``, ``Am``, ``OC``...) explained by the AWSD abbreviations workbook;
- ``awsd_codebook``: that workbook (one sheet per code list, no header row);
- ``insecurity_insight``: Insecurity Insight's aid-worker KIKA workbook (header + HXL row, an HXL
  row repeated at the end, duplicate header names).

Each publisher has one module declaring its files as :class:`~etl.feeds.base.FeedFormat`
(how the file is recognised, its header signature, its row normaliser); :data:`FEEDS` lists
them. Adding a publisher is one module and one line in :data:`FEEDS`.

A file is recognised by its header, not its name, because people rename downloads. This module
is pure Python (no database): it turns a file into :class:`~etl.feeds.base.FeedRecord` rows and
:class:`~etl.feeds.base.RowProblem` rejections. Placing rows on admin areas, de-duplicating and inserting is
:mod:`etl.feeds.load`' job. The files are small (thousands of rows), so plain Python is quick.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from python_calamine import CalamineWorkbook

from etl.errors import InputFileError
from etl.feeds import acled, awsd, hdx_hapi, insecurity_insight
from etl.feeds.base import FeedFormat, ParsedFeed, RowProblem
from etl.feeds.cells import Columns, cell_text
from etl.feeds.feed_tables import json_head_keys
from etl.logs.columns import looks_like_hxl_row
from etl.logs.readers import detect_encoding
from etl.vocab import label_key

# Recognition tries them in this order: the first whose signature the header row holds wins.
FEEDS: tuple[FeedFormat, ...] = (
    awsd.CURRENT,
    awsd.SNAPSHOT_2016,
    awsd.CODEBOOK,
    insecurity_insight.KIKA,
    acled.ACLED,
    hdx_hapi.HAPI_CONFLICT,
)
FEED_BY_NAME = {f.name: f for f in FEEDS}
FEED_FORMATS = tuple(FEED_BY_NAME)
SOURCES = {f.name: f.source for f in FEEDS if f.source}
HEADER_SEARCH_ROWS = 10


# ------------------------------------------------------------------------------------ recognising


def _keys(cells: Sequence[object]) -> set[str]:
    return {label_key(str(c)) for c in cells if c is not None and str(c).strip()}



def _match_signature(rows: Sequence[Sequence[object]]) -> tuple[FeedFormat, int] | None:
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        keys = _keys(row)
        for feed in FEEDS:
            if feed.signature and feed.signature <= keys and not feed.not_with & keys:
                return feed, i
    return None


def detect_feed(path: Path) -> str | None:
    """The feed format of ``path`` ('awsd', 'awsd_2016', 'awsd_codebook', 'insecurity_insight') or None.

    Only the first rows are read, so calling it on every file of a load is cheap. Files that
    cannot be opened are not feeds: the log reader reports them.

    >>> detect_feed(Path("awsd_global_incidents_1997-2025_hxl.csv"))  # doctest: +SKIP
    'awsd'
    """
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".txt"):
            with open(path, "rb") as fh:
                head = fh.read(16384).removeprefix(b"\xef\xbb\xbf").decode("latin-1")
            lines = list(csv.reader(head.lstrip("\ufeff").splitlines()[:HEADER_SEARCH_ROWS]))
            found = _match_signature(lines)
            return found[0].name if found else None
        if suffix == ".json":  # an array of records or an API's {"data": [...]} envelope
            found = _match_signature([sorted(json_head_keys(path))])
            return found[0].name if found else None
        if suffix in (".xlsx", ".xlsm"):
            wb = CalamineWorkbook.from_path(str(path))
            names = [n.strip() for n in wb.sheet_names]
            for feed in FEEDS:
                if names and feed.sheets_match is not None and feed.sheets_match(names):
                    return feed.name
            for index in range(len(names)):
                rows = wb.get_sheet_by_index(index).to_python(skip_empty_area=False, nrows=HEADER_SEARCH_ROWS)
                found = _match_signature(rows)
                if found:
                    return found[0].name
    except Exception:  # noqa: BLE001 - unreadable files are not feeds; calamine raises several types
        return None
    return None



# -------------------------------------------------------------------------------------- reading


@dataclass
class _Table:
    header: list[str]
    rows: list[tuple[int, list[object]]]  # (row number as a person sees it, cells)
    sheet: str | None = None
    encoding: str | None = None


def _table_from_rows(rows: list[list[object]], header_index: int, sheet: str | None,
                     encoding: str | None) -> _Table:
    header = [cell_text(c) for c in rows[header_index]]
    body: list[tuple[int, list[object]]] = []
    for i in range(header_index + 1, len(rows)):
        cells = list(rows[i])
        if not any(cell_text(c) for c in cells) or looks_like_hxl_row(cells):
            continue  # blank rows and HXL hashtag rows (under the header, and repeated at the end)
        body.append((i + 1, cells))
    return _Table(header, body, sheet, encoding)


def _read_table(path: Path, feed: str) -> _Table:
    if path.suffix.lower() in (".csv", ".txt"):
        encoding = detect_encoding(path)
        with open(path, encoding=encoding, newline="") as fh:
            rows: list[list[object]] = [list(r) for r in csv.reader(fh)]
        if rows and rows[0] and isinstance(rows[0][0], str):
            rows[0][0] = rows[0][0].lstrip("\ufeff")
        found = _match_signature(rows)
        if not found:
            raise InputFileError(path, "the header of this incident feed was not found.",
                                 "Load the file exactly as downloaded from the publisher.")
        # CSV records are numbered counting the header as row 1 (the project's convention).
        return _table_from_rows(rows, found[1], None, encoding)
    wb = CalamineWorkbook.from_path(str(path))
    for index, name in enumerate(wb.sheet_names):
        cells = wb.get_sheet_by_index(index).to_python(skip_empty_area=False)
        found = _match_signature(cells)
        if found and found[0].name == feed:
            return _table_from_rows([list(r) for r in cells], found[1], name.strip(), None)
    raise InputFileError(path, "no sheet with the incident table was found.",
                         "Load the workbook exactly as downloaded from the publisher.")



def parse_feed(path: Path, feed: str, today: dt.date | None = None, future_days: int = 30) -> ParsedFeed:
    """Read and normalise a feed file; raises :class:`InputFileError` when it cannot be read at all.

    :param path: the file.
    :param feed: its format, from :func:`detect_feed`.
    :param today: reference day for the future-date check (default: today).
    :param future_days: incident dates more than this many days after ``today`` are rejected.
    """
    feed_format = FEED_BY_NAME[feed]
    if feed_format.parse is not None:
        return feed_format.parse(path)
    normalise = feed_format.normalise_row
    assert normalise is not None, f"feed format {feed} declares neither parse nor normalise_row"
    try:
        table = _read_table(path, feed)
    except (OSError, UnicodeError, csv.Error) as exc:
        raise InputFileError(path, f"cannot be read ({exc}).", "Load the file as downloaded.") from exc
    if not table.rows:
        raise InputFileError(path, "the incident feed has a header but no data rows.",
                             "Check the download is complete.")
    latest = (today or dt.date.today()) + dt.timedelta(days=future_days)
    cols = Columns(table.header)
    parsed = ParsedFeed(path, feed, table.encoding, [table.sheet] if table.sheet else [], rows_read=len(table.rows))
    occurrences: dict[str, int] = {}
    for row_number, cells in table.rows:
        problems: list[RowProblem] = []
        record = normalise(feed, cols, cells, row_number, problems, occurrences, latest)
        if problems or record is None:
            raw = cols.raw_row(cells)
            parsed.problems.extend(RowProblem(p.row, p.column, p.value, p.code, p.detail, raw, table.sheet)
                                   for p in problems)
        else:
            parsed.records.append(record)
    parsed.mapping = dict(cols.used)
    used = set(cols.used)
    parsed.ignored = [h for h in dict.fromkeys(table.header) if h and h not in used]
    return parsed
