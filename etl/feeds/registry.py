"""Public incident feeds: which publishers' files are known, recognising a file, and reading it.

Feeds are context for negotiation data, never negotiation logs themselves:

- ``awsd``: the Aid Worker Security Database's current export (HXL-tagged CSV, ISO2 country codes);
- ``awsd_2016``: the older AWSD snapshot (1997-2016, latin-1 CSV) whose categorical columns are
  *codes* (``AB``, ``Am``, ``OC``...) explained by the AWSD abbreviations workbook;
- ``awsd_codebook``: that workbook (one sheet per code list, no header row);
- ``insecurity_insight``: Insecurity Insight's Security in Numbers exports, every dataset family
  (aid workers, health care, education, food security, protection), spreadsheet or API JSON;
- ``acled``: ACLED event exports (-> ``conflict_events``);
- ``hdx_hapi_conflict``: HDX HAPI's monthly conflict-event counts (-> ``conflict_event_counts``).

Each publisher has one module declaring its files as :class:`~etl.feeds.base.FeedFormat` (its
documented columns with synonyms and HXL tags, the columns that identify it, its row reader);
:data:`FEEDS` lists them. Adding a publisher is one module and one line in :data:`FEEDS`.

A file is recognised by its columns (:mod:`etl.feeds.recognise`), not its name, because people
rename downloads; CSV, XLSX and JSON (an array of objects, or an API envelope) alike
(:mod:`etl.feeds.tables`). This module is pure Python (no database): it turns a file into
:class:`~etl.feeds.base.FeedRecord` rows (or a publisher's own, for conflict events) and
:class:`~etl.feeds.base.RowProblem` rejections.
Placing rows on admin areas, de-duplicating and inserting is :mod:`etl.feeds.load`' job.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from etl.errors import AccessDataError, InputFileError
from etl.feeds import acled, awsd, hdx_hapi, insecurity_insight
from etl.feeds.base import FeedFormat, FeedTable, ParsedFeed, RowProblem
from etl.feeds.cells import Columns, cell_text
from etl.feeds.recognise import Found, recognise_rows
from etl.feeds.tables import RawTable, read_tables, sheet_names, unreadable
from etl.logs.columns import looks_like_hxl_row
from etl.logs.mapping import Mapping, find_mapping

# Recognition tries them in this order: the first whose signature a header row holds wins.
FEEDS: tuple[FeedFormat, ...] = (
    awsd.CURRENT,
    awsd.SNAPSHOT_2016,
    awsd.CODEBOOK,
    insecurity_insight.SIND,
    acled.ACLED,
    hdx_hapi.HAPI_CONFLICT,
)
FEED_BY_NAME = {f.name: f for f in FEEDS}
FEED_FORMATS = tuple(FEED_BY_NAME)
SOURCES = {f.name: f.source for f in FEEDS if f.source}
# Every documented name and synonym a mapping file may name for a feed's column.
FEED_COLUMN_NAMES = frozenset(n for f in FEEDS for c in f.columns for n in (c.name, *c.synonyms))


def docs(feed: FeedFormat) -> str:
    """Where the columns of a feed's table are documented."""
    return f"docs/data-model.md, '{feed.table}'"


@dataclass
class Recognition:
    """What a file is: a feed (its tables), a near miss (looks like a feed, not enough), or neither."""

    path: Path
    feed: FeedFormat | None = None
    tables: list[tuple[RawTable, Found]] = field(default_factory=list)
    near: Found | None = None
    near_sheet: str | None = None
    mapping: Mapping | None = None

    @property
    def dataset(self) -> str | None:
        return next((dataset_of(self.path, t, f) for t, f in self.tables), None)

    def what(self) -> str:
        """"an Insecurity Insight export (health care, SiND schema)", or "" when not a feed."""
        if self.feed is not None:
            return self.feed.what(self.dataset)
        if self.near is not None:
            return self.near.feed.what(None)
        return ""

    def refusal(self) -> InputFileError:
        """Why a near miss cannot load, with the feed's own missing columns and the fix."""
        assert self.near is not None
        missing = self.near.missing or sorted(self.near.feed.column(k).name  # type: ignore[union-attr]
                                              for k in self.near.feed.not_with & set(self.near.pos))
        example = missing[0].split(" or ")[0]
        return InputFileError(
            self.path, f"looks like {self.near.feed.what(None)} but required column(s) not found: "
                       f"{', '.join(missing)} (looked for by name, synonym and HXL tag).",
            f"Load the export as downloaded from the publisher, or name the column in a mapping file "
            f"kept beside it ({self.path.stem}.mapping.toml: [columns] \"your header\" = \"{example}\"); "
            f"the documented columns are in {docs(self.near.feed)}.", sheet=self.near_sheet)


def dataset_of(path: Path, table: RawTable, found: Found) -> str | None:
    """The dataset family of a table: from its columns, then its sheet name, then the file name."""
    if found.feed.dataset_of is None:
        return None
    return found.feed.dataset_of(set(found.pos), f"{table.sheet or ''} {path.stem}")


def recognise(path: Path, head: bool = True, origin: Path | None = None) -> Recognition:
    """Recognise a file; reads only its first rows with ``head`` (of JSON: its first complete records).

    Files that cannot be opened are not feeds (the log reader reports them); a bad mapping file
    counts as no mapping here and is reported when the file is read. ``origin``: where the file was
    found, when ``path`` is a private copy of it (:mod:`etl.store.snapshots`): its mapping file is there.
    """
    out = Recognition(path)
    try:
        out.mapping = find_mapping(origin or path, FEED_COLUMN_NAMES)
    except AccessDataError:
        out.mapping = None
    names = sheet_names(path)
    for feed in FEEDS:
        if names and feed.sheets_match is not None and feed.sheets_match(names):
            out.feed = feed
            return out
    wanted = set(out.mapping.sheets) if out.mapping and out.mapping.sheets else None
    for table in read_tables(path, head):
        if wanted is not None and table.sheet not in wanted:
            continue
        found, near = recognise_rows(table.rows, FEEDS, out.mapping)
        if found is not None and (out.feed is None or found.feed is out.feed):
            out.feed = found.feed
            out.tables.append((table, found))
        elif near is not None and (out.near is None or near.hints > out.near.hints):
            out.near, out.near_sheet = near, table.sheet
    return out


def safe_recognise(path: Path, origin: Path | None = None) -> Recognition:
    """:func:`recognise`, a file that cannot be read being no feed (the log reader says why)."""
    try:
        return recognise(path, origin=origin)
    except Exception:  # noqa: BLE001 - unreadable files are not feeds; calamine, csv and json raise many types
        return Recognition(path)


def detect_feed(path: Path) -> str | None:
    """The feed format of ``path`` (a name in :data:`FEED_FORMATS`, e.g. 'awsd', 'acled') or None.

    Only the first rows are read, so calling it on every file of a load is cheap.

    >>> detect_feed(Path("awsd_global_incidents_1997-2025_hxl.csv"))  # doctest: +SKIP
    'awsd'
    """
    feed = safe_recognise(path).feed
    return feed.name if feed else None


# -------------------------------------------------------------------------------------- reading


def data_rows(table: RawTable, found: Found) -> list[tuple[int, list[object]]]:
    """(row number as a person sees it, cells) of each data row: blank and HXL rows skipped."""
    body = []
    for i in range(found.header_index + 1, len(table.rows)):
        cells = list(table.rows[i])
        if not any(cell_text(c) for c in cells) or looks_like_hxl_row(cells):
            continue  # blank rows and HXL hashtag rows (under the header, and repeated at the end)
        body.append((i + table.first_row, cells))
    return body


def recognised_tables(path: Path, feed_format: FeedFormat, day_first: bool = True,
                      origin: Path | None = None) -> list[FeedTable]:
    """The tables of ``path`` recognised as ``feed_format``, read whole, each with its columns and data rows.

    :raises InputFileError: the file cannot be read (naming what is wrong and the fix), or no table
        of it is this feed.
    """
    try:
        recognition = recognise(path, head=False, origin=origin)
    except Exception as exc:  # noqa: BLE001 - calamine, csv and json raise many types; a refusal, never a traceback
        raise unreadable(path, exc) from exc
    tables = [FeedTable(Columns(f.header, f.pos, dataset_of(path, t, f), day_first), data_rows(t, f), t.sheet,
                        t.encoding, t.not_records)
              for t, f in recognition.tables if f.feed is feed_format]
    if not tables:
        raise InputFileError(path, f"the header of {feed_format.what()} was not found.",
                             f"Load the file exactly as downloaded from the publisher (columns: {docs(feed_format)}).")
    return tables


def parse_feed(path: Path, feed: str, today: dt.date | None = None, future_days: int = 30,
               origin: Path | None = None) -> ParsedFeed:
    """Read and normalise a feed file; raises :class:`InputFileError` when it cannot be read at all.

    :param path: the file.
    :param feed: its format, from :func:`detect_feed`.
    :param today: reference day for the future-date check (default: today).
    :param future_days: dates more than this many days after ``today`` are rejected.
    :param origin: where the file was found when ``path`` is a private copy (its mapping file is there).
    """
    feed_format = FEED_BY_NAME[feed]
    if feed_format.parse is not None:
        parsed = feed_format.parse(path)
        parsed.label = feed_format.what()
        return parsed
    mapping = find_mapping(origin or path, FEED_COLUMN_NAMES)  # a bad mapping file refuses the file, naming its line
    tables = recognised_tables(path, feed_format, day_first=not (mapping and mapping.date_order == "month_first"),
                               origin=origin)
    latest = (today or dt.date.today()) + dt.timedelta(days=future_days)
    if feed_format.read_rows is not None:
        parsed = feed_format.read_rows(path, tables, latest)
    else:
        parsed = _incidents(path, feed_format, tables, latest)
    parsed.label = feed_format.what(tables[0].cols.dataset)
    parsed.sheets = [t.sheet for t in tables if t.sheet]
    if feed_format.notes is not None:
        for table in tables:
            parsed.notes += [n for n in feed_format.notes(table.cols) if n not in parsed.notes]
    if not parsed.rows_read:
        raise InputFileError(path, f"the file has a header but no data rows ({feed_format.what()}).",
                             "Check the download is complete.")
    return parsed


def _incidents(path: Path, feed_format: FeedFormat, tables: list[FeedTable], latest: dt.date) -> ParsedFeed:
    """The incidents of a file's tables, row by row through the feed's ``normalise_row``."""
    normalise = feed_format.normalise_row
    assert normalise is not None, f"feed format {feed_format.name} declares neither read_rows nor normalise_row"
    parsed = ParsedFeed(path, feed_format.name, tables[0].encoding)
    occurrences: dict[tuple[str, str], int] = {}
    ignored: list[str] = []
    for table in tables:
        cols = table.cols
        parsed.rows_read += len(table.rows) + len(table.not_records)
        parsed.problems += table.not_record_problems()
        for row_number, cells in table.rows:
            problems: list[RowProblem] = []
            record = normalise(feed_format.name, cols, cells, row_number, problems, occurrences, latest)
            if problems or record is None:
                parsed.problems += table.row_problems(problems, cells)
            else:
                parsed.records.append(record)
        parsed.mapping.update(cols.used)
        used = set(cols.used)
        ignored += [h for h in dict.fromkeys(cols.header) if h and h not in used]
    parsed.ignored = list(dict.fromkeys(ignored))
    return parsed
