"""The shapes every feed publisher shares: what a feed file is (:class:`FeedFormat`, its documented
columns :class:`FeedColumn`), the rows it yields (:class:`FeedRecord`, :class:`FeedCode`), and why a
row is turned away (:class:`RowProblem`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from etl.logs.validate import Reason
from etl.vocab import label_key

if TYPE_CHECKING:
    from etl.feeds.cells import Columns

# Reasons a feed row is turned away, or its coordinates blanked (``incidents.geo_problem``).
# Codes shared with etl.logs.validate.REASONS mean the same thing; the wording here speaks of
# incidents, and the fix says where a data manager can act (the source publishes the file).
_SOURCE_FIX = "Correct it in the file (or ask the publisher) and load it again."
INCIDENT_REASONS: dict[str, Reason] = {
    "missing_source_id": Reason("No incident id in {column}.",
                                "Every incident needs the publisher's id; the row was not loaded. " + _SOURCE_FIX),
    "missing_date": Reason("No incident date: {column} is blank.", "The year at least is needed. " + _SOURCE_FIX),
    "bad_date": Reason("'{value}' in {column} is not a date.", _SOURCE_FIX),
    "impossible_date": Reason("'{value}' in {column} is not a real calendar date.", _SOURCE_FIX),
    "future_date": Reason("The date {value} in {column} is in the future.", "Check the year. " + _SOURCE_FIX),
    "missing_country": Reason("No country.", "An incident without a country cannot be placed. " + _SOURCE_FIX),
    "unknown_country": Reason("'{value}' is not a country we can place{detail}.",
                              "Use an ISO code (ISO2 or ISO3) or an English country name. " + _SOURCE_FIX),
    "bad_number": Reason("'{value}' in {column} is not a number.", "Write a whole number. " + _SOURCE_FIX),
    "negative_number": Reason("{column} is negative ({value}).", "Write zero or a positive number. " + _SOURCE_FIX),
    "missing_label": Reason("'{value}' has no partner: a code needs its label and a label its code.", "Give each code its meaning in the next "
                            "column. " + _SOURCE_FIX),
    # Conflict events (ACLED) and conflict-event counts (HDX HAPI): etl.feeds.acled, etl.feeds.hdx_hapi.
    "missing_event_id": Reason("No event id in {column}.",
                               "Every ACLED event needs its event_id_cnty; the row was not loaded. " + _SOURCE_FIX),
    "repeated_event_id": Reason("Event id '{value}' is on an earlier row of this file with other values{detail}.",
                                "The first row was loaded. Download the export again: one row per event. "
                                + _SOURCE_FIX),
    "missing_event_date": Reason("No event date: {column} is blank.", _SOURCE_FIX),
    "missing_event_type": Reason("No event type: {column} is blank.", _SOURCE_FIX),
    "unknown_event_type": Reason("'{value}' in {column} is not an event type of this file{detail}.", _SOURCE_FIX),
    "bad_code": Reason("'{value}' in {column} is not one of the publisher's codes{detail}.", _SOURCE_FIX),
    "not_whole_number": Reason("'{value}' in {column} is not a whole number.",
                               "A count is a whole number, e.g. 12. " + _SOURCE_FIX),
    "number_too_large": Reason("{column} is too large to be a count ({value}).",
                               "Counts stop at 2,147,483,647: an identifier pasted into the cell, or several "
                               "numbers run together, look like this. " + _SOURCE_FIX),
    "missing_period": Reason("No reference period: {column} is blank.", _SOURCE_FIX),
    "period_end_before_start": Reason("The period ends ({value}) before it starts ({detail}).", _SOURCE_FIX),
    "not_monthly": Reason("The period {value} is longer than one calendar month.",
                          "Conflict-event counts are read month by month: load the monthly rows. " + _SOURCE_FIX),
    "missing_admin_area": Reason("Admin level {value} but no admin area: {column} is blank.", _SOURCE_FIX),
    "repeated_count": Reason("This area, event type and month is on an earlier row of this file with other "
                             "figures{detail}.", "The first row was loaded. " + _SOURCE_FIX),
    "not_a_record": Reason("Entry {value} of the file's list is not a record with named fields.",
                           "Load the file exactly as the API returned it. " + _SOURCE_FIX),
}
# Coordinate problems: the incident is loaded, its coordinates are blanked, the code is kept.
GEO_PROBLEMS = {
    "bad_coordinate": "a coordinate is not a number",
    "coordinate_out_of_range": "latitude beyond +/-90 or longitude beyond +/-180",
    "half_coordinate": "only one of latitude and longitude is given",
    "null_island": "0, 0 (a GPS default, not a place)",
    "same_lat_lon": "latitude equals longitude (a copy-paste geocoding error)",
    "swapped_coordinates": "the point is in the country only with latitude and longitude exchanged",
    "outside_country": "the point is outside the incident's country",
    "country_level_point": "the source says the point only marks the country, not the place",
}

PERPETRATOR_TYPES: dict[str, str] = {
    "non_state_armed_group": "Non-state armed group",
    "host_state": "Host state (military, police, government)",
    "foreign_forces": "Foreign or coalition forces",
    "criminal": "Criminal",
    "civilian": "Civilians, community members, aid recipients or staff",
    "other": "Other",
    "unknown": "Unknown",
}


@dataclass(frozen=True)
class RowProblem:
    """One reason one row of a feed was turned away (a row with two problems gives two)."""

    row: int
    column: str | None
    value: str | None
    code: str
    detail: str | None = None
    raw: dict[str, str] = field(default_factory=dict, compare=False)
    sheet: str | None = None

    @property
    def reason(self) -> str:
        return INCIDENT_REASONS[self.code].render(self.value, self.column, self.detail)


@dataclass
class FeedRecord:
    """One incident as read from a feed, normalised but not yet placed on an admin area."""

    incident_id: str
    source: str
    feed: str
    source_id: str
    incident_date: dt.date
    date_precision: str
    iso3: str
    country: str | None
    admin1_name: str | None
    admin2_name: str | None
    place: str | None
    location_type: str | None
    latitude: float | None
    longitude: float | None
    geo_problem: str | None
    perpetrator_type: str
    perpetrator_type_raw: str | None
    perpetrator_name: str | None
    perpetrator_key: str | None
    means_of_attack: str | None
    attack_context: str | None
    category: str
    killed: int | None
    injured: int | None
    kidnapped: int | None
    detained: int | None
    description: str | None
    means_code: str | None
    context_code: str | None
    location_code: str | None
    codes_decoded: bool
    row_hash: str
    source_row: int
    # Which of the publisher's dataset families the row comes from (incidents.dataset): 'aid_workers',
    # 'health_care', 'education', 'food_security', 'protection'; None when the file does not say.
    dataset: str | None = None
    admin1_pcode: str | None = None  # set by etl.feeds.load when the incident is placed


@dataclass
class FeedCode:
    """One entry of the AWSD abbreviations workbook."""

    code_list: str
    code: str
    label: str
    source_row: int
    sheet: str


@dataclass
class ParsedFeed:
    """A feed file read and normalised: records (or codes), rejections, and what was read how."""

    path: Path
    feed: str
    encoding: str | None = None
    sheets: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    rows_read: int = 0
    records: list[FeedRecord] = field(default_factory=list)
    codes: list[FeedCode] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # said in the load result (e.g. an assumed precision)
    label: str = ""  # what the file is, for people: "an AWSD export"


# One data row of an incident table -> a record, or None with the row's problems appended:
# (feed name, columns, cells, row number, problems, ids seen so far, latest acceptable date).
RowNormaliser = Callable[["str", "Columns", Sequence[object], int, list[RowProblem], dict[tuple[str, str], int],
                          dt.date], "FeedRecord | None"]


@dataclass
class FeedTable:
    """One table of a file recognised as a feed, ready to read: where its columns are and its data rows."""

    cols: Columns
    rows: list[tuple[int, list[object]]]  # (row number as a person sees it, cells); blank and HXL rows left out
    sheet: str | None = None
    encoding: str | None = None
    not_records: list[int] = field(default_factory=list)  # JSON list entries that are not records

    def not_record_problems(self) -> list[RowProblem]:
        """A problem for each entry of a JSON list that is not a record (the rest of the file loads)."""
        return [RowProblem(n, None, str(n), "not_a_record", sheet=self.sheet) for n in self.not_records]

    def row_problems(self, problems: list[RowProblem], cells: Sequence[object]) -> list[RowProblem]:
        """A turned-away row's problems, each carrying the row as read and its sheet (``rejected_rows``)."""
        raw = self.cols.raw_row(cells)
        return [RowProblem(p.row, p.column, p.value, p.code, p.detail, raw, self.sheet) for p in problems]


# Reads the tables of a file whose rows are not incidents (ACLED events, HDX HAPI counts), with
# the latest acceptable date, into its own ParsedFeed.
TableReader = Callable[[Path, list[FeedTable], dt.date], ParsedFeed]


@dataclass(frozen=True)
class FeedColumn:
    """One column of a publisher's documented schema, found in a file by name or HXL tag, never by position.

    :param name: the documented header, e.g. "Reported Perpetrator" (what a mapping file may name).
    :param synonyms: other headers meaning the same (older exports, the API's field names).
    :param hxl: HXL hashtags meaning this column, as documented (compared case-, space- and order-free,
        language attributes such as ``+i_en`` ignored).
    :param distinctive: a negotiation log would not have it; two of them make a file "look like" this
        feed, so a file that is not quite one is refused with the feed's own advice.
    :param target: the column of the feed's table it fills, recorded in ``loads.column_mapping``
        (feeds whose rows are read by ``read_rows``; incident normalisers record theirs as they read).
    """

    name: str
    synonyms: tuple[str, ...] = ()
    hxl: tuple[str, ...] = ()
    distinctive: bool = False
    target: str | None = None

    @cached_property
    def key(self) -> str:
        """The key the row normaliser asks for: ``label_key`` of the documented name."""
        return label_key(self.name)

    @cached_property
    def keys(self) -> frozenset[str]:
        """Every header key that means this column (computed once: recognising a file asks
        for it once per column, candidate header and feed)."""
        return frozenset({self.key, *(label_key(s) for s in self.synonyms)})


@dataclass(frozen=True)
class FeedFormat:
    """One kind of feed file: how it is recognised and how its rows are read.

    A file that is one table declares its documented ``columns`` and a ``signature``. Recognition
    (:mod:`etl.feeds.recognise`) looks for a header row (with or without an HXL row under it) in
    which every ``signature`` column is found by name, synonym, HXL tag or mapping file, none of
    ``not_with``, and at least one column of each ``one_of`` group. The registry reads the tables
    so found (:func:`etl.feeds.registry.parse_feed`) and calls ``normalise_row`` per data row of
    an incident table, or ``read_rows`` with all the tables of a file of other rows (conflict
    events, conflict-event counts).
    A file of another shape (the AWSD codebook) declares ``sheets_match`` and its own ``parse``.

    A new publisher declares one of these in its module and adds it to ``FEEDS`` in
    :mod:`etl.feeds.registry`: nothing else lists publishers.
    """

    name: str  # incidents.feed and loads.file_format, e.g. 'awsd_2016'
    source: str | None  # the publisher (incidents.source), None for a file that holds no incidents
    description: str
    # What `inspect` calls such a file, e.g. "an AWSD export"; ``describe`` may say more from the
    # columns found (Insecurity Insight: which dataset family).
    label: str = ""
    columns: tuple[FeedColumn, ...] = ()
    # Column keys (FeedColumn.key) that must all be found, and keys that rule the format out (an
    # older export of the same publisher shares most columns).
    signature: frozenset[str] = frozenset()
    not_with: frozenset[str] = frozenset()
    one_of: tuple[frozenset[str], ...] = ()  # e.g. a country code or a country name
    normalise_row: RowNormaliser | None = None
    read_rows: TableReader | None = None
    table: str = "incidents"  # the table its rows go to (docs/data-model.md has a section per table)
    # The dataset family of a table (Columns.dataset), from its columns and names (sheet, file).
    dataset_of: Callable[[set[str], str], str | None] | None = None
    describe: Callable[[str | None], str] | None = None  # label with the dataset family
    # Notes for the load result from the columns found (e.g. a precision assumed for a missing column).
    notes: Callable[[Columns], list[str]] | None = None
    # A workbook recognised by its sheet names alone (called with the stripped names, never empty).
    sheets_match: Callable[[list[str]], bool] | None = None
    # Reads the whole file itself instead of one incident table.
    parse: Callable[[Path], ParsedFeed] | None = None

    def column(self, key: str) -> FeedColumn | None:
        return next((c for c in self.columns if c.key == key), None)

    def what(self, dataset: str | None = None) -> str:
        """What this file is, for people (``inspect``, refusals)."""
        if self.describe is not None:
            return self.describe(dataset)
        return self.label or self.description
