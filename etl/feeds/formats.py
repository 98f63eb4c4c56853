"""Public aid-worker incident feeds: recognise a file, read it, and normalise each row.

Three publishers' files are context for negotiation data, never negotiation logs themselves:

- ``awsd``: the Aid Worker Security Database's current export (HXL-tagged CSV, one row per
  incident, ISO2 country codes, labels in plain words);
- ``awsd_2016``: the older AWSD snapshot (1997-2016, latin-1 CSV) whose categorical columns are
  *codes* (``AB``, ``Am``, ``OC``...) explained by the AWSD abbreviations workbook;
- ``awsd_codebook``: that workbook (one sheet per code list, no header row);
- ``insecurity_insight``: Insecurity Insight's aid-worker KIKA workbook (header + HXL row, an HXL
  row repeated at the end, duplicate header names).

A file is recognised by its header, not its name, because people rename downloads. This module
is pure Python (no database): it turns a file into :class:`FeedRecord` rows and
:class:`RowProblem` rejections. Placing rows on admin areas, de-duplicating and inserting is
:mod:`etl.feeds.load`' job. The files are small (thousands of rows), so plain Python is quick.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from python_calamine import CalamineWorkbook

from etl.counterparts.names import name_key, stable_id
from etl.errors import InputFileError
from etl.logs.columns import looks_like_hxl_row
from etl.logs.readers import detect_encoding
from etl.logs.validate import Reason, country_iso3, parse_date
from etl.vocab import label_key

FEED_FORMATS = ("awsd", "awsd_2016", "awsd_codebook", "insecurity_insight")
SOURCES = {"awsd": "awsd", "awsd_2016": "awsd", "insecurity_insight": "insecurity_insight"}
HEADER_SEARCH_ROWS = 10

# Header keys (etl.vocab.label_key of the header cell) that identify each tabular feed.
_SIGNATURES: dict[str, frozenset[str]] = {
    "awsd": frozenset({"incident id", "year", "month", "day", "country code", "means of attack", "actor type",
                       "actor name", "total killed"}),
    "awsd_2016": frozenset({"incident id", "year", "month", "day", "country", "lngo nrcs", "means of attack",
                            "attack context", "total killed"}),
    "insecurity_insight": frozenset({"date", "country iso", "admin 1", "actor", "actor name", "aid workers killed",
                                     "sind event id"}),
}

# Places the feeds write as a country but which are part of one (AWSD lists them separately in
# its early years), and codes hdx-python-country does not know. Kashmir is disputed between two
# countries and is deliberately left out: such rows are rejected as an unknown country.
COUNTRY_ALIASES = {"chechnya": "RUS", "kosovo": "XKX", "xk": "XKX", "xkx": "XKX"}

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
# label_key(raw type) -> code. Anything else non-blank is 'other' (the raw text is kept).
_PERPETRATOR_KEYS = {
    "nsa": "non_state_armed_group", "nsag": "non_state_armed_group", "armed group": "non_state_armed_group",
    "host state": "host_state", "state unknown": "host_state", "police": "host_state",
    "police or paramilitary": "host_state", "host or self declared host government military": "host_state",
    "host government": "host_state", "government": "host_state", "military": "host_state",
    "foreign or coalition forces": "foreign_forces", "foreign forces military": "foreign_forces",
    "foreign forces": "foreign_forces",
    "criminal": "criminal", "criminals": "criminal",
    "civilian": "civilian", "civilians": "civilian", "unaffiliated": "civilian", "aid recipient": "civilian",
    "staff member": "civilian", "community members": "civilian",
    "unknown": "unknown", "no information": "unknown", "not known": "unknown", "unidentified": "unknown",
}
# Names that say nobody is named: no perpetrator name, so nothing to link to a counterpart.
_PLACEHOLDER_NAMES = {"unknown", "not applicable", "n a", "na", "none", "no information", "unidentified",
                      "unidentified armed actor", "unidentified perpetrator", "unidentified perpetrators"}

# Insecurity Insight's "Time Precision" -> date_precision ('Close' means within 2-6 days).
_II_PRECISION = (("exact", "day"), ("close", "week"), ("week", "week"), ("month", "month"), ("year", "year"))


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


# ------------------------------------------------------------------------------------ recognising


def _keys(cells: Sequence[object]) -> set[str]:
    return {label_key(str(c)) for c in cells if c is not None and str(c).strip()}


def _match_signature(rows: Sequence[Sequence[object]]) -> tuple[str, int] | None:
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        keys = _keys(row)
        for feed, signature in _SIGNATURES.items():
            if signature <= keys and not (feed == "awsd_2016" and "country code" in keys):
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
                head = fh.read(16384).decode("latin-1")
            lines = list(csv.reader(head.lstrip("\ufeff").splitlines()[:HEADER_SEARCH_ROWS]))
            found = _match_signature(lines)
            return found[0] if found else None
        if suffix in (".xlsx", ".xlsm"):
            wb = CalamineWorkbook.from_path(str(path))
            names = [n.strip() for n in wb.sheet_names]
            if names and all(label_key(n).startswith("key for") for n in names):
                return "awsd_codebook"
            for index in range(len(names)):
                rows = wb.get_sheet_by_index(index).to_python(skip_empty_area=False, nrows=HEADER_SEARCH_ROWS)
                found = _match_signature(rows)
                if found:
                    return found[0]
    except Exception:  # noqa: BLE001 - unreadable files are not feeds; calamine raises several types
        return None
    return None


# -------------------------------------------------------------------------------------- reading


# OOXML escapes a control character in a cell as _xHHHH_ (e.g. _x000D_ for a carriage return);
# calamine leaves the escape in the text, openpyxl decodes it. Decoding here makes both agree.
_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _text(value: object) -> str:
    """A cell as trimmed text, whitespace collapsed; whole floats (Excel numbers) without '.0'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = _OOXML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), str(value))
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class _Table:
    header: list[str]
    rows: list[tuple[int, list[object]]]  # (row number as a person sees it, cells)
    sheet: str | None = None
    encoding: str | None = None


def _table_from_rows(rows: list[list[object]], header_index: int, sheet: str | None,
                     encoding: str | None) -> _Table:
    header = [_text(c) for c in rows[header_index]]
    body: list[tuple[int, list[object]]] = []
    for i in range(header_index + 1, len(rows)):
        cells = list(rows[i])
        if not any(_text(c) for c in cells) or looks_like_hxl_row(cells):
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
        if found and found[0] == feed:
            return _table_from_rows([list(r) for r in cells], found[1], name.strip(), None)
    raise InputFileError(path, "no sheet with the incident table was found.",
                         "Load the workbook exactly as downloaded from the publisher.")


class _Columns:
    """Column positions by header key; with duplicate header names the first one wins."""

    def __init__(self, header: list[str]) -> None:
        self.header = header
        self.pos: dict[str, int] = {}
        for i, name in enumerate(header):
            self.pos.setdefault(label_key(name), i)
        self.used: dict[str, str] = {}

    def get(self, cells: Sequence[object], key: str) -> str:
        i = self.pos.get(key)
        return _text(cells[i]) if i is not None and i < len(cells) else ""

    def name(self, key: str) -> str:
        i = self.pos.get(key)
        return self.header[i] if i is not None else key

    def raw_row(self, cells: Sequence[object]) -> dict[str, str]:
        out: dict[str, str] = {}
        for i, name in enumerate(self.header):
            label = name or f"column {i + 1}"
            while label in out:
                label += " (again)"
            out[label] = _text(cells[i]) if i < len(cells) else ""
        return out


def parse_feed(path: Path, feed: str, today: dt.date | None = None, future_days: int = 30) -> ParsedFeed:
    """Read and normalise a feed file; raises :class:`InputFileError` when it cannot be read at all.

    :param path: the file.
    :param feed: its format, from :func:`detect_feed`.
    :param today: reference day for the future-date check (default: today).
    :param future_days: incident dates more than this many days after ``today`` are rejected.
    """
    if feed == "awsd_codebook":
        return _parse_codebook(path)
    try:
        table = _read_table(path, feed)
    except (OSError, UnicodeError, csv.Error) as exc:
        raise InputFileError(path, f"cannot be read ({exc}).", "Load the file as downloaded.") from exc
    if not table.rows:
        raise InputFileError(path, "the incident feed has a header but no data rows.",
                             "Check the download is complete.")
    latest = (today or dt.date.today()) + dt.timedelta(days=future_days)
    cols = _Columns(table.header)
    parsed = ParsedFeed(path, feed, table.encoding, [table.sheet] if table.sheet else [], rows_read=len(table.rows))
    normalise = {"awsd": _awsd_row, "awsd_2016": _awsd_row, "insecurity_insight": _ii_row}[feed]
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


# --------------------------------------------------------------------------------- normalising


def _number(cols: _Columns, cells: Sequence[object], key: str, row: int, problems: list[RowProblem]) -> int | None:
    text = cols.get(cells, key).replace(",", "")
    cols.used[cols.name(key)] = key.replace(" ", "_")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        problems.append(RowProblem(row, cols.name(key), text, "bad_number"))
        return None
    if value < 0:
        problems.append(RowProblem(row, cols.name(key), text, "negative_number"))
        return None
    return int(value)


def _country(cols: _Columns, cells: Sequence[object], code_key: str | None, name_key_: str, row: int,
             problems: list[RowProblem]) -> tuple[str | None, str | None]:
    """(iso3, country as written): from the code column when given, else the name."""
    code = cols.get(cells, code_key) if code_key else ""
    name = cols.get(cells, name_key_)
    cols.used[cols.name(name_key_)] = "country"
    for raw, key in ((code, code_key), (name, name_key_)):
        if not raw or key is None:
            continue
        cols.used[cols.name(key)] = "iso3" if key == code_key else "country"
        iso3 = COUNTRY_ALIASES.get(label_key(raw)) or country_iso3(raw)
        if iso3:
            return iso3, name or None
    if not code and not name:
        problems.append(RowProblem(row, cols.name(name_key_), None, "missing_country"))
    else:
        shown = name or code
        detail = " (a disputed area; no single country)" if label_key(shown) == "kashmir" else ""
        problems.append(RowProblem(row, cols.name(name_key_ if name else code_key or name_key_), shown,
                                   "unknown_country", detail))
    return None, name or None


def _coordinates(lat_text: str, lon_text: str) -> tuple[float | None, float | None, str | None]:
    """(lat, lon, problem). A bad geocode gives (None, None, code): the incident still loads."""
    if not lat_text and not lon_text:
        return None, None, None
    if not lat_text or not lon_text:
        return None, None, "half_coordinate"
    try:
        lat, lon = float(lat_text.replace(",", ".")), float(lon_text.replace(",", "."))
    except ValueError:
        return None, None, "bad_coordinate"
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None, "coordinate_out_of_range"
    if lat == 0 and lon == 0:
        return None, None, "null_island"
    if lat == lon:
        return None, None, "same_lat_lon"
    return lat, lon, None


def perpetrator_type(raw: str | None) -> str:
    """Small perpetrator vocabulary for the feeds' many spellings.

    >>> perpetrator_type("Non-state armed group: Global ")
    'non_state_armed_group'
    >>> perpetrator_type("Host or self-declared host government - military")
    'host_state'
    >>> perpetrator_type("")
    'unknown'
    """
    key = label_key(raw or "")
    if not key:
        return "unknown"
    if key.startswith("non state armed group"):
        return "non_state_armed_group"
    return _PERPETRATOR_KEYS.get(key, "other")


def perpetrator_name(raw: str | None) -> str | None:
    text = _text(raw)
    return None if label_key(text) in _PLACEHOLDER_NAMES or not text else text


_HOSTILITY_WORDS = {"aerial", "bombardment", "shelling", "missile", "missiles", "airstrike", "airstrikes",
                    "artillery", "mortar", "rocket", "rockets"}
_ORDNANCE_WORDS = {"ied", "ieds", "landmine", "landmines", "uxo", "bombing", "explosive", "explosives",
                   "grenade", "mine"}


def access_category(means: str | None, context: str | None) -> str:
    """OCHA access-constraint category of an attack, from its means (and context for crossfire).

    Shelling and air strikes are hostilities; mines, IEDs and set explosives are explosive
    ordnance (a complex attack mixes explosives with gunfire, so it stays an attack on people);
    a shooting in combat or crossfire is hostilities; everything else aimed at aid workers is
    violence against personnel.

    >>> access_category("Roadside IED", None)
    'explosive_ordnance'
    >>> access_category("Aerial bombing, missiles and shelling", None)
    'hostilities'
    >>> access_category("Shooting", "Combat/Crossfire")
    'hostilities'
    >>> access_category("Kidnapping", "Ambush")
    'violence_against_personnel'
    """
    words = set(label_key(means or "").split())
    if words & _HOSTILITY_WORDS:
        return "hostilities"
    if words & _ORDNANCE_WORDS and "complex" not in words:
        return "explosive_ordnance"
    context_words = set(label_key(context or "").split())
    if context_words & {"crossfire", "combat"}:
        return "hostilities"
    return "violence_against_personnel"


def _hash(cells: Sequence[object]) -> str:
    return hashlib.md5(json.dumps([_text(c) for c in cells], ensure_ascii=False).encode("utf-8")).hexdigest()


def _incident_id(feed: str, source_id: str, occurrences: dict[str, int]) -> str:
    """Stable id from feed, publisher id and occurrence (AWSD has reused an id for two incidents)."""
    occurrences[source_id] = occurrences.get(source_id, 0) + 1
    return stable_id("IN", feed, source_id, str(occurrences[source_id]))


def _awsd_date(cols: _Columns, cells: Sequence[object], row: int, problems: list[RowProblem],
               latest: dt.date) -> tuple[dt.date | None, str]:
    year, month, day = (cols.get(cells, k) for k in ("year", "month", "day"))
    for k in ("year", "month", "day"):
        cols.used[cols.name(k)] = "incident_date"
    if not year:
        problems.append(RowProblem(row, cols.name("year"), None, "missing_date"))
        return None, "year"
    parts = []
    for key, text in (("year", year), ("month", month), ("day", day)):
        if text and not re.fullmatch(r"\d{1,4}", text):
            problems.append(RowProblem(row, cols.name(key), text, "bad_date"))
            return None, "year"
        parts.append(int(text) if text else None)
    y, m, d = parts
    precision = "day" if m and d else "month" if m else "year"
    if d and not m:
        precision = "year"  # a day without a month says nothing
    try:
        value = dt.date(y or 1, m or 1, d if (m and d) else 1)
    except ValueError:
        problems.append(RowProblem(row, cols.name("day" if m and m <= 12 else "month"),
                                   f"{year}-{month}-{day}".strip("-"), "impossible_date"))
        return None, precision
    if y is not None and y < 1900:
        problems.append(RowProblem(row, cols.name("year"), year, "bad_date"))
        return None, precision
    if value > latest:
        problems.append(RowProblem(row, cols.name("year"), value.isoformat(), "future_date"))
        return None, precision
    return value, precision


def _awsd_row(feed: str, cols: _Columns, cells: Sequence[object], row: int, problems: list[RowProblem],
              occurrences: dict[str, int], latest: dt.date) -> FeedRecord | None:
    source_id = cols.get(cells, "incident id")
    cols.used[cols.name("incident id")] = "source_id"
    if not source_id:
        problems.append(RowProblem(row, cols.name("incident id"), None, "missing_source_id"))
    date, precision = _awsd_date(cols, cells, row, problems, latest)
    iso3, country = _country(cols, cells, "country code" if feed == "awsd" else None, "country", row, problems)
    killed = _number(cols, cells, "total killed", row, problems)
    injured = _number(cols, cells, "total wounded", row, problems)
    kidnapped = _number(cols, cells, "total kidnapped", row, problems)
    detained = _number(cols, cells, "total detained", row, problems) if "total detained" in cols.pos else None
    if problems or date is None or iso3 is None:
        return None
    lat, lon, geo_problem = _coordinates(cols.get(cells, "latitude"), cols.get(cells, "longitude"))
    means, context, location = (cols.get(cells, k) or None for k in ("means of attack", "attack context", "location"))
    for key, target in (("region", "admin1_name"), ("district", "admin2_name"), ("city", "place"),
                        ("location", "location_type"), ("latitude", "latitude"), ("longitude", "longitude"),
                        ("means of attack", "means_of_attack"), ("attack context", "attack_context"),
                        ("details", "description")):
        cols.used[cols.name(key)] = target
    coded = feed == "awsd_2016"
    raw_type = name = None
    if not coded:
        raw_type = cols.get(cells, "actor type") or None
        name = perpetrator_name(cols.get(cells, "actor name"))
        cols.used[cols.name("actor type")] = "perpetrator_type"
        cols.used[cols.name("actor name")] = "perpetrator_name"
    return FeedRecord(
        incident_id=_incident_id(feed, source_id, occurrences), source=SOURCES[feed], feed=feed,
        source_id=source_id, incident_date=date, date_precision=precision, iso3=iso3, country=country,
        admin1_name=cols.get(cells, "region") or None, admin2_name=cols.get(cells, "district") or None,
        place=cols.get(cells, "city") or None, location_type=None if coded else location,
        latitude=lat, longitude=lon, geo_problem=geo_problem,
        perpetrator_type=perpetrator_type(raw_type), perpetrator_type_raw=raw_type,
        perpetrator_name=name, perpetrator_key=name_key(name) if name else None,
        means_of_attack=None if coded else means, attack_context=None if coded else context,
        # The 2016 codes get their category once the codebook decodes them (etl.feeds.load).
        category=access_category(None if coded else means, None if coded else context),
        killed=killed, injured=injured, kidnapped=kidnapped, detained=detained,
        description=cols.get(cells, "details") or None,
        means_code=means if coded else None, context_code=context if coded else None,
        location_code=location if coded else None, codes_decoded=not coded,
        row_hash=_hash(cells), source_row=row,
    )


def _ii_date(cols: _Columns, cells: Sequence[object], row: int, problems: list[RowProblem],
             latest: dt.date) -> dt.date | None:
    i = cols.pos["date"]
    value = cells[i] if i < len(cells) else None
    cols.used[cols.name("date")] = "incident_date"
    if isinstance(value, dt.datetime):
        date: dt.date | None = value.date()
    elif isinstance(value, dt.date):
        date = value
    else:
        text = _text(value)
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


def _ii_row(feed: str, cols: _Columns, cells: Sequence[object], row: int, problems: list[RowProblem],
            occurrences: dict[str, int], latest: dt.date) -> FeedRecord | None:
    source_id = cols.get(cells, "sind event id")
    cols.used[cols.name("sind event id")] = "source_id"
    if not source_id:
        problems.append(RowProblem(row, cols.name("sind event id"), None, "missing_source_id"))
    date = _ii_date(cols, cells, row, problems, latest)
    iso3, country = _country(cols, cells, "country iso", "country", row, problems)
    killed = _number(cols, cells, "aid workers killed", row, problems)
    injured = _number(cols, cells, "aid workers injured", row, problems)
    kidnapped = _number(cols, cells, "aid workers kidnapped", row, problems)
    detained = _number(cols, cells, "aid workers arrested", row, problems)
    if problems or date is None or iso3 is None:
        return None
    precision_text = label_key(cols.get(cells, "time precision"))
    precision = next((p for word, p in _II_PRECISION if precision_text.startswith(word)), "day")
    lat, lon, geo_problem = _coordinates(cols.get(cells, "latitude"), cols.get(cells, "longitude"))
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
        incident_id=_incident_id(feed, source_id, occurrences), source=SOURCES[feed], feed=feed,
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
        row_hash=_hash(cells), source_row=row,
    )


# ------------------------------------------------------------------------------------- codebook


def code_list_name(sheet: str) -> str:
    """'Key for means of attack' -> 'means_of_attack'.

    >>> code_list_name(" Key for attack context")
    'attack_context'
    """
    key = label_key(sheet)
    return key.removeprefix("key for").strip().replace(" ", "_")


def _parse_codebook(path: Path) -> ParsedFeed:
    wb = CalamineWorkbook.from_path(str(path))
    parsed = ParsedFeed(path, "awsd_codebook", sheets=[n.strip() for n in wb.sheet_names])
    for index, sheet in enumerate(wb.sheet_names):
        code_list = code_list_name(sheet)
        parsed.mapping[sheet.strip()] = code_list
        for i, cells in enumerate(wb.get_sheet_by_index(index).to_python(skip_empty_area=False)):
            code, label = (_text(cells[j]) if j < len(cells) else "" for j in (0, 1))
            if not code and not label:
                continue
            parsed.rows_read += 1
            if not code or not label:
                raw = {"code": code, "label": label, "sheet": sheet.strip()}
                parsed.problems.append(RowProblem(i + 1, "label" if code else "code", code or label, "missing_label",
                                                  raw=raw, sheet=sheet.strip()))
                continue
            parsed.codes.append(FeedCode(code_list, code, label, i + 1, sheet.strip()))
    if not parsed.rows_read:
        raise InputFileError(path, "the abbreviations workbook has no codes.", "Load the workbook as downloaded.")
    return parsed
