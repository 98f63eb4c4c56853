"""ACLED (Armed Conflict Location & Event Data) event exports -> ``conflict_events``.

One row per event, recognised by the columns of ACLED's codebook: ``event_id_cnty``,
``event_date``, ``event_type``, ``actor1``, ``fatalities`` (any case: older files write
``EVENT_ID_CNTY``...). The same table comes as a CSV or XLSX download or from the API as JSON
(``{"status": 200, "success": true, "count": N, "data": [...]}`` or a bare array).

What is read how:

- ``event_date``: ``2024-01-15``, ``15 January 2024``, ``15-January-2024`` (older files) or a
  spreadsheet date; ``time_precision`` 1/2/3 gives ``date_precision`` day/week/month. A file
  without the column (or a blank cell) is taken as exact to the day, and the load says so.
- ``inter1``/``inter2``: older files write a number (1 State forces ... 8 External/Other forces,
  0 no second actor), the current API the label: both are stored as the label. A numeric
  ``interaction`` ("17") becomes the two labels joined ("State forces-Civilians"; "... only" for
  an actor alone); a textual one is kept as written.
- ``iso``: the numeric ISO 3166 code (729 = Sudan); the country name when it is blank or unknown
  (ACLED writes Kosovo with 0).
- ``civilian_targeting``: "Civilian targeting" is true, blank false; NULL when the file has no
  such column (files before 2022).
- ``actor1_key``/``actor2_key``: made like ``incidents.perpetrator_key`` (the incidents'
  placeholder names, "Unknown" and the like, get no key), so a counterpart profile finds the
  events naming it; the actors themselves are stored as published.
- Coordinates are checked like incidents' (a bad point is blanked with ``geo_problem``, the event
  still loads) and placed on admin-1 areas at load time (:mod:`etl.feeds.conflict_load`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from etl.config import get_settings
from etl.counterparts.names import name_key, stable_id
from etl.feeds.base import FeedColumn, FeedFormat, RowProblem
from etl.feeds.cells import Columns
from etl.feeds.conflict_base import ConflictEvent, ParsedConflict, read_day, take_count, with_row_hash
from etl.feeds.feed_tables import read_feed_table
from etl.feeds.normalise import COUNTRY_ALIASES, perpetrator_name, read_coordinates
from etl.geo.countries import country_iso3
from etl.vocab import label_key

SOURCE = "acled"
FEED = "acled"

# ACLED's actor types ('inter' codes), by the number older files write.
INTER_LABELS = {1: "State forces", 2: "Rebel group", 3: "Political militia", 4: "Identity militia",
                5: "Rioters", 6: "Protesters", 7: "Civilians", 8: "External/Other forces"}
TIME_PRECISION = {"1": "day", "2": "week", "3": "month"}
GEO_PRECISION = ("1", "2", "3")
# Canonical column key -> other spellings (older exports say ALLY_ACTOR_1; label_key handles case).
SYNONYMS = {"assoc actor 1": ("ally actor 1",), "assoc actor 2": ("ally actor 2",)}
# Canonical column key -> conflict_events column (what the load records as the file's mapping).
TARGETS = {
    "event id cnty": "source_id", "event date": "event_date", "time precision": "date_precision",
    "disorder type": "disorder_type", "event type": "event_type", "sub event type": "sub_event_type",
    "actor1": "actor1", "assoc actor 1": "assoc_actor_1", "inter1": "inter1", "actor2": "actor2",
    "assoc actor 2": "assoc_actor_2", "inter2": "inter2", "interaction": "interaction",
    "civilian targeting": "civilian_targeting", "iso": "iso3", "country": "country", "admin1": "admin1_name",
    "admin2": "admin2_name", "admin3": "admin3_name", "location": "location", "latitude": "latitude",
    "longitude": "longitude", "geo precision": "geo_precision", "source": "source_name", "notes": "notes",
    "fatalities": "fatalities",
}
SIGNATURE = frozenset({"event id cnty", "event date", "event type", "actor1", "fatalities"})


def inter_label(text: str) -> tuple[str | None, bool]:
    """(label, ok) for an inter1/inter2 cell: numbers become ACLED's labels, text is kept.

    >>> inter_label("1"), inter_label("State forces"), inter_label("0"), inter_label(""), inter_label("9")
    (('State forces', True), ('State forces', True), (None, True), (None, True), (None, False))
    """
    if not text:
        return None, True
    if text.isdigit():
        code = int(text)
        return (INTER_LABELS.get(code), code in INTER_LABELS or code == 0)
    return text, True


def interaction_label(text: str) -> tuple[str | None, bool]:
    """(label, ok) for an interaction cell: "17" -> "State forces-Civilians", "60" -> "Protesters only".

    >>> interaction_label("17"), interaction_label("60"), interaction_label("State forces-Civilians")
    (('State forces-Civilians', True), ('Protesters only', True), ('State forces-Civilians', True))
    >>> interaction_label("99")
    (None, False)
    """
    if not text or not text.isdigit():
        return text or None, True
    if len(text) != 2:
        return None, False
    a, b = int(text[0]), int(text[1])
    if a not in INTER_LABELS or (b not in INTER_LABELS and b != 0):
        return None, False
    return (f"{INTER_LABELS[a]} only" if b == 0 else f"{INTER_LABELS[a]}-{INTER_LABELS[b]}"), True


def _iso3(cols: Columns, cells: Sequence[object], row: int, problems: list[RowProblem]) -> str | None:
    iso, country = cols.get(cells, "iso"), cols.get(cells, "country")
    if iso.isdigit() and int(iso) > 0:
        from hdx.location.country import Country

        Country.set_use_live_default(False)
        found = Country.get_iso3_from_m49(int(iso))
        if found:
            return found.upper()
    if country:
        found = COUNTRY_ALIASES.get(label_key(country)) or country_iso3(country)
        if found:
            return found
    if not iso and not country:
        problems.append(RowProblem(row, cols.name("country"), None, "missing_country"))
    else:
        problems.append(RowProblem(row, cols.name("country" if country else "iso"), country or iso,
                                   "unknown_country"))
    return None


def _code(cols: Columns, cells: Sequence[object], key: str, allowed: Sequence[str], row: int,
          problems: list[RowProblem]) -> str:
    text = cols.get(cells, key)
    if text and text not in allowed:
        problems.append(RowProblem(row, cols.name(key), text, "bad_code", f" ({', '.join(allowed)})"))
    return text


def _civilian(cols: Columns, cells: Sequence[object], row: int, problems: list[RowProblem]) -> bool | None:
    if "civilian targeting" not in cols.pos:
        return None
    text = label_key(cols.get(cells, "civilian targeting"))
    if text in ("civilian targeting", "yes", "true", "1"):
        return True
    if text in ("", "no", "false", "0"):
        return False
    problems.append(RowProblem(row, cols.name("civilian targeting"), cols.get(cells, "civilian targeting"),
                               "bad_code", " ('Civilian targeting' or blank)"))
    return None


def _actor_key(actor: str | None) -> str | None:
    name = perpetrator_name(actor)
    return name_key(name) if name else None


def _event(cols: Columns, cells: Sequence[object], row: int, problems: list[RowProblem],
           latest: dt.date) -> ConflictEvent | None:
    get = cols.get
    source_id = get(cells, "event id cnty")
    if not source_id:
        problems.append(RowProblem(row, cols.name("event id cnty"), None, "missing_event_id"))
    raw_date = cells[cols.pos["event date"]] if cols.pos["event date"] < len(cells) else None
    date, date_problem = read_day(raw_date)
    if date_problem:
        problems.append(RowProblem(row, cols.name("event date"), get(cells, "event date"), date_problem))
    elif date is None:
        problems.append(RowProblem(row, cols.name("event date"), None, "missing_event_date"))
    elif date > latest:
        problems.append(RowProblem(row, cols.name("event date"), date.isoformat(), "future_date"))
    event_type = get(cells, "event type")
    if not event_type:
        problems.append(RowProblem(row, cols.name("event type"), None, "missing_event_type"))
    precision = _code(cols, cells, "time precision", tuple(TIME_PRECISION), row, problems)
    geo_precision = _code(cols, cells, "geo precision", GEO_PRECISION, row, problems)
    inters: list[str | None] = []
    for key in ("inter1", "inter2"):
        label, ok = inter_label(get(cells, key))
        if not ok:
            problems.append(RowProblem(row, cols.name(key), get(cells, key), "bad_code", " (0-8 or ACLED's label)"))
        inters.append(label)
    interaction, ok = interaction_label(get(cells, "interaction"))
    if not ok:
        problems.append(RowProblem(row, cols.name("interaction"), get(cells, "interaction"), "bad_code",
                                   " (two inter codes, e.g. 17, or ACLED's label)"))
    civilian = _civilian(cols, cells, row, problems)
    iso3 = _iso3(cols, cells, row, problems)
    fatalities = take_count(cols, cells, "fatalities", row, problems)
    if problems or date is None or iso3 is None:
        return None
    lat, lon, geo_problem = read_coordinates(get(cells, "latitude"), get(cells, "longitude"))
    actor1, actor2 = get(cells, "actor1") or None, get(cells, "actor2") or None
    return with_row_hash(ConflictEvent(
        event_id=stable_id("CE", SOURCE, source_id), source=SOURCE, source_id=source_id, event_date=date,
        date_precision=TIME_PRECISION.get(precision, "day"), disorder_type=get(cells, "disorder type") or None,
        event_type=event_type, sub_event_type=get(cells, "sub event type") or None,
        actor1=actor1, actor1_key=_actor_key(actor1), assoc_actor_1=get(cells, "assoc actor 1") or None,
        inter1=inters[0], actor2=actor2, actor2_key=_actor_key(actor2),
        assoc_actor_2=get(cells, "assoc actor 2") or None, inter2=inters[1], interaction=interaction,
        civilian_targeting=civilian, iso3=iso3, country=get(cells, "country") or None,
        admin1_name=get(cells, "admin1") or None, admin2_name=get(cells, "admin2") or None,
        admin3_name=get(cells, "admin3") or None, location=get(cells, "location") or None,
        latitude=lat, longitude=lon, geo_precision=int(geo_precision) if geo_precision else None,
        geo_problem=geo_problem, source_name=get(cells, "source") or None, notes=get(cells, "notes") or None,
        fatalities=fatalities, row_hash="", source_row=row))


def parse_acled(path: Path) -> ParsedConflict:
    """Read and normalise an ACLED export; raises :class:`~etl.errors.InputFileError` when it cannot be read."""
    table = read_feed_table(path, SIGNATURE)
    cols = Columns(table.header)
    for key, others in SYNONYMS.items():
        for other in others:
            if key not in cols.pos and other in cols.pos:
                cols.pos[key] = cols.pos[other]
    parsed = ParsedConflict(path, FEED, table.encoding, [table.sheet] if table.sheet else [],
                            rows_read=len(table.rows) + len(table.bad_entries or []))
    latest = dt.date.today() + dt.timedelta(days=get_settings().future_days)
    seen: dict[str, tuple[str, int]] = {}
    for n, entry in table.bad_entries or []:
        parsed.problems.append(RowProblem(n, None, entry, "not_a_record"))
    undated = 0
    for row, cells in table.rows:
        problems: list[RowProblem] = []
        event = _event(cols, cells, row, problems, latest)
        if event is not None and event.source_id in seen:
            first_hash, first_row = seen[event.source_id]
            if first_hash == event.row_hash:
                parsed.repeated += 1
                continue
            problems.append(RowProblem(row, cols.name("event id cnty"), event.source_id, "repeated_event_id",
                                       f" (row {first_row})"))
        if problems or event is None:
            raw = cols.raw_row(cells)
            parsed.problems.extend(RowProblem(p.row, p.column, p.value, p.code, p.detail, raw, table.sheet)
                                   for p in problems)
            continue
        seen[event.source_id] = (event.row_hash, row)
        undated += not cols.get(cells, "time precision")
        parsed.events.append(event)
    if "time precision" not in cols.pos:
        parsed.notes.append("no time_precision column: event dates taken as exact to the day")
    elif undated:
        parsed.notes.append(f"{undated:,} event(s) without time_precision taken as exact to the day")
    parsed.mapping = {cols.name(k): t for k, t in TARGETS.items() if k in cols.pos}
    parsed.ignored = [h for h in dict.fromkeys(table.header) if h and h not in parsed.mapping]
    return parsed


# The documented columns, for recognition (etl.feeds.recognise); a log would have none of the distinctive ones.
COLUMNS = tuple(FeedColumn(key.replace(" ", "_"), tuple(s.replace(" ", "_") for s in SYNONYMS.get(key, ())),
                           distinctive=key in {"event id cnty", "event type", "sub event type", "actor1", "inter1",
                                               "fatalities", "disorder type", "geo precision"})
                for key in TARGETS)
ACLED = FeedFormat(FEED, SOURCE, "ACLED event export (CSV, XLSX or API JSON)", signature=SIGNATURE,
                   columns=COLUMNS, parse=parse_acled, label="an ACLED export")
