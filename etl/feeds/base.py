"""The shapes every feed publisher shares: what a feed file is (:class:`FeedFormat`), the rows it
yields (:class:`FeedRecord`, :class:`FeedCode`), and why a row is turned away (:class:`RowProblem`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from etl.logs.validate import Reason

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
    "future_date": Reason("The incident date {value} is in the future.", "Check the year. " + _SOURCE_FIX),
    "missing_country": Reason("No country.", "An incident without a country cannot be placed. " + _SOURCE_FIX),
    "unknown_country": Reason("'{value}' is not a country we can place{detail}.",
                              "Use an ISO code (ISO2 or ISO3) or an English country name. " + _SOURCE_FIX),
    "bad_number": Reason("'{value}' in {column} is not a number.", "Write a whole number. " + _SOURCE_FIX),
    "not_whole_number": Reason("'{value}' in {column} is not a whole number.", "Write a whole number. " + _SOURCE_FIX),
    "number_too_large": Reason("{column} is too large to be a count ({value}).",
                               "Write the whole number, below 2,147,483,648. " + _SOURCE_FIX),
    "negative_number": Reason("{column} is negative ({value}).", "Write zero or a positive number. " + _SOURCE_FIX),
    "missing_label": Reason("'{value}' has no partner: a code needs its label and a label its code.", "Give each code its meaning in the next "
                            "column. " + _SOURCE_FIX),
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


# One data row of an incident table -> a record, or None with the row's problems appended:
# (feed name, columns, cells, row number, problems, ids seen so far, latest acceptable date).
RowNormaliser = Callable[["str", "Columns", Sequence[object], int, list[RowProblem], dict[str, int], dt.date],
                         "FeedRecord | None"]


@dataclass(frozen=True)
class FeedFormat:
    """One kind of feed file: how it is recognised and how its rows are read.

    A file that is one incident table declares a ``signature`` and a ``normalise_row``; the
    registry finds the header row, skips blank and HXL rows and calls ``normalise_row`` per row.
    A file of another shape (the AWSD codebook) declares ``sheets_match`` and its own ``parse``.
    """

    name: str  # incidents.feed and loads.file_format, e.g. 'awsd_2016'
    source: str | None  # the publisher (incidents.source), None for a file that holds no incidents
    description: str
    # Header keys (etl.vocab.label_key of each header cell) that must all be in the header row,
    # and keys that rule the format out (an older export of the same publisher shares most columns).
    signature: frozenset[str] = frozenset()
    not_with: frozenset[str] = frozenset()
    normalise_row: RowNormaliser | None = None
    # A workbook recognised by its sheet names alone (called with the stripped names, never empty).
    sheets_match: Callable[[list[str]], bool] | None = None
    # Reads the whole file itself instead of one incident table.
    parse: Callable[[Path], ParsedFeed] | None = None
