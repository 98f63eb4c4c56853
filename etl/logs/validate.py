"""Validation rules: how raw values become typed, normalised values, and why a row is rejected.

The messy part (dates in a dozen formats, country names, outcome synonyms) is solved in Python
on the *distinct* raw values of a file, which are few; the results become small mapping tables
that DuckDB joins to every row. The rejection reasons live in :data:`REASONS`, written for a
field officer: what is wrong, then how to fix it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from etl.logs.columns import COLUMNS, DATE_COLUMNS, NUMBER_COLUMNS, VOCAB
from etl.vocab import (
    ACTIVITIES,
    CHANNELS,
    CHECKPOINT_KINDS,
    COUNTERPART_LEVELS,
    COUNTERPART_TYPES,
    OUTCOMES,
    PRIORITIES,
    VOCABULARIES,
    Vocabulary,
)

__all__ = ["DATE_COLUMNS", "NUMBER_COLUMNS", "REASONS", "VOCAB_COLUMNS", "Reason", "parse_date"]


@dataclass(frozen=True)
class Reason:
    problem: str  # may use {value}, {column}, {detail}
    fix: str

    def render(self, value: str | None, column: str | None, detail: str | None) -> str:
        text = self.problem.format(value=value if value is not None else "", column=column or "",
                                   detail=detail or "")
        return f"{text} {self.fix}".replace("  ", " ").strip()


_DATE_FIX = "Write dates as YYYY-MM-DD, e.g. 2025-03-05 (05/03/2025 and 5-Mar-2025 are also read)."

REASONS: dict[str, Reason] = {
    "missing_date": Reason("No engagement date.", "Fill in the date of the engagement (YYYY-MM-DD)."),
    "bad_date": Reason("'{value}' in {column} is not a date.", _DATE_FIX),
    "impossible_date": Reason("'{value}' in {column} is not a real calendar date{detail}.",
                              "Check the day and the month."),
    "future_date": Reason("{column} {value} is in the future.",
                          "Check the year: engagements are logged after they happen."),
    "too_old_date": Reason("{column} {value} is before {detail}.", "Check the year; it is probably a typo."),
    "request_after_engagement": Reason("The request date {value} is after the engagement date {detail}.",
                                       "Check the two date columns are not swapped."),
    "resolution_before_request": Reason("The resolution date {value} is before the request date {detail}.",
                                        "Check the two date columns are not swapped."),
    "missing_counterpart": Reason("No counterpart.",
                                  "Write who was engaged (person, unit or office); use 'Unknown' only if "
                                  "nobody can say."),
    "missing_activity": Reason("No access request: the activity is blank.",
                               f"Say what access was requested for: {ACTIVITIES.help()}."),
    "unknown_activity": Reason("'{value}' is not a known activity.", f"Use one of: {ACTIVITIES.help()}."),
    "missing_outcome": Reason("No outcome.", f"Use one of: {OUTCOMES.help()}."),
    "unknown_outcome": Reason("'{value}' is not a known outcome.", f"Use one of: {OUTCOMES.help()}."),
    "missing_country": Reason("No country.",
                              "Give the country as an ISO3 code (e.g. SDN) or a name, or give an admin-1 P-code."),
    "unknown_country": Reason("'{value}' is not a country name or ISO code we know.",
                              "Use the ISO3 code, e.g. SDN for Sudan."),
    "unknown_pcode": Reason("'{value}' is not an admin-1 P-code of {detail}.",
                            "Check the P-code against the OCHA COD gazetteer, or leave it blank and give "
                            "the admin-1 name."),
    "pcode_country_mismatch": Reason("P-code '{value}' belongs to {detail}, not to the row's country.",
                                     "Check the country and the P-code columns."),
    "unknown_counterpart_type": Reason("'{value}' is not a known counterpart type.",
                                       f"Use one of: {COUNTERPART_TYPES.help()}."),
    "unknown_counterpart_level": Reason("'{value}' is not a known counterpart level.",
                                        f"Use one of: {COUNTERPART_LEVELS.help()}."),
    "unknown_channel": Reason("'{value}' is not a known channel.", f"Use one of: {CHANNELS.help()}."),
    "unknown_priority": Reason("'{value}' is not a known priority.", f"Use one of: {PRIORITIES.help()}."),
    "unknown_checkpoint_kind": Reason("'{value}' is not a known checkpoint kind.",
                                      f"Use one of: {CHECKPOINT_KINDS.help()}."),
    "unknown_obstacle": Reason("Obstacle '{value}' is not an access-constraint category or sub-type we know.",
                               "Use OCHA's categories or the sub-types listed in docs/log-format.md; "
                               "separate several obstacles with ';'."),
    "bad_number": Reason("'{value}' in {column} is not a number.",
                         "Write a whole number, e.g. 1200 (1,200 and 1 200 are also read)."),
    "ambiguous_number": Reason("'{value}' in {column} can be read as {detail}.",
                               "Declare the file's decimal separator in a mapping file (decimal = \",\" or "
                               "decimal = \".\"), or load with --decimal comma (or point); or write the number "
                               "without separators, e.g. 12500."),
    "not_whole_number": Reason("{column} must be a whole number: '{value}' reads as {detail}.",
                               "Write a whole number, e.g. 12500. If '.' or ',' separates thousands in this file, "
                               "declare the decimal separator in a mapping file (decimal = \",\") or load with "
                               "--decimal comma."),
    "negative_number": Reason("{column} is negative ({value}).", "Write zero or a positive number."),
    "number_too_large": Reason("{column} is too large to be a count ({value}).",
                               "Write the whole number, below 2,147,483,648: an identifier pasted into the cell, or "
                               "several numbers run together, look like this."),
    "bad_coordinate": Reason("'{value}' in {column} is not a coordinate in decimal degrees.",
                             "Write decimal degrees, e.g. 15.5527 (not 15°33'10\")."),
    "coordinate_out_of_range": Reason("{column} {value} is out of range{detail}.",
                                      "Latitude is between -90 and 90, longitude between -180 and 180; check "
                                      "the two are not swapped."),
    "half_coordinate": Reason("Only the {column} is filled in.", "Give both latitude and longitude, or neither."),
    "null_island": Reason("Coordinates 0, 0 are the default of a GPS that had no fix.",
                          "Leave latitude and longitude blank when there is no position."),
    "swapped_coordinates": Reason("Latitude and longitude look swapped: {value} is in the country only when "
                                  "the two are exchanged.", "Swap the latitude and longitude values."),
    "outside_country": Reason("The point {value} is outside the row's country{detail}.",
                              "Check the coordinates and the country column."),
    "conflicting_duplicate": Reason("Engagement id '{value}' was already loaded with different values "
                                    "({detail}).",
                                    "Corrections are not applied silently: give the corrected engagement a "
                                    "new id, or remove the earlier row at its source."),
}


# ------------------------------------------------------------------------------------- dates

_NUMERIC_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")
_NAMED_FORMATS = ("%d-%b-%Y", "%d %b %Y", "%d %B %Y", "%d-%B-%Y", "%b %d %Y", "%B %d %Y", "%d-%b-%y",
                  "%d %b %y", "%b %d, %Y", "%B %d, %Y", "%d. %B %Y", "%a %d %b %Y", "%A %d %B %Y")


@dataclass(frozen=True)
class ParsedDate:
    value: dt.date | None
    problem: str | None = None  # 'bad_date' or 'impossible_date'
    detail: str | None = None


def infer_day_first(values: Iterable[str], default: bool) -> bool:
    """Whether a file writes numeric dates day-first, judged from the values themselves.

    >>> infer_day_first(["05/03/2025", "25/03/2025"], default=False)
    True
    >>> infer_day_first(["03/25/2025"], default=True)
    False
    """
    first_big = second_big = 0
    for v in values:
        m = _NUMERIC_DMY.match(v.strip())
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            first_big += a > 12
            second_big += b > 12
    if first_big and not second_big:
        return True
    if second_big and not first_big:
        return False
    return default


def _safe_date(y: int, m: int, d: int, detail: str | None = None) -> ParsedDate:
    try:
        return ParsedDate(dt.date(y, m, d))
    except ValueError:
        return ParsedDate(None, "impossible_date", detail)


def parse_date(raw: str, day_first: bool) -> ParsedDate:
    """Parse one date as field offices write it.

    >>> parse_date("2025-03-05", True).value
    datetime.date(2025, 3, 5)
    >>> parse_date("05/03/2025", True).value
    datetime.date(2025, 3, 5)
    >>> parse_date("5-Mar-2025", True).value
    datetime.date(2025, 3, 5)
    >>> parse_date("45721", True).value   # Excel serial number
    datetime.date(2025, 3, 5)
    >>> parse_date("31/02/2025", True).problem
    'impossible_date'
    """
    text = raw.strip()
    if m := _ISO.match(text):
        return _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if m := _NUMERIC_DMY.match(text):
        a, b, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if y < 100:
            y += 2000 if y < 70 else 1900
        day, month = (a, b) if day_first else (b, a)
        if month > 12 and day <= 12:
            return ParsedDate(None, "impossible_date",
                              " (this file writes dates day-first; this one looks month-first)" if day_first
                              else " (this file writes dates month-first; this one looks day-first)")
        return _safe_date(y, month, day)
    if m := _COMPACT.match(text):
        return _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if _SERIAL.match(text):
        serial = float(text)
        if 20000 <= serial <= 80000:
            return ParsedDate(dt.date(1899, 12, 30) + dt.timedelta(days=int(serial)))
        return ParsedDate(None, "bad_date")
    cleaned = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", text).replace(",", ", ").replace(" ,", ",")
    cleaned = re.sub(r"\s+", " ", cleaned).strip()
    for fmt in _NAMED_FORMATS:
        try:
            return ParsedDate(dt.datetime.strptime(cleaned, fmt).date())
        except ValueError:
            continue
    return ParsedDate(None, "bad_date")


# --------------------------------------------------------------------------------- vocabularies

# Log column -> (vocabulary, reason code when the value is not recognised), from the declarations.
VOCAB_COLUMNS: dict[str, tuple[Vocabulary, str]] = {
    c.name: (VOCABULARIES[c.vocab], f"unknown_{c.name}") for c in COLUMNS if c.type == VOCAB and c.vocab
}
