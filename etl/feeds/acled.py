"""ACLED (Armed Conflict Location & Event Data) event exports -> ``conflict_events``.

One row per event, recognised like every feed (:mod:`etl.feeds.recognise`) by the columns of
ACLED's codebook: ``event_id_cnty``, ``event_date``, ``event_type``, ``actor1``, ``fatalities``,
found by name in any case (older files write ``EVENT_ID_CNTY``, ``ALLY_ACTOR_1``), by the HXL
tags of ACLED's files on HDX (``#event+code``, ``#date+occurred``...), or through a mapping file.
The same table comes as a CSV or XLSX download or from the API as JSON
(``{"status": 200, "success": true, "count": N, "data": [...]}`` or a bare array).

What is read how:

- ``event_date``: ``2024-01-15``, ``15 January 2024``, ``15-January-2024`` (older files) or a
  spreadsheet date; ``time_precision`` 1/2/3 gives ``date_precision`` day/week/month. A file
  without the column (or a blank cell) is taken as exact to the day, and the load says so.
- ``inter1``/``inter2``: older files write a number (1 State forces ... 8 External/Other forces,
  0 no second actor), the current API the label: both are stored as the label. A numeric
  ``interaction`` ("17") becomes the two labels joined ("State forces-Civilians"; "... only" for
  an actor alone); a textual one is kept as written.
- ``iso``: the numeric ISO 3166 code (729 = Sudan), or the ISO3 code of HDX's ``iso3`` column;
  the country name when it is blank or unknown (ACLED writes Kosovo with 0).
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

from etl.counterparts.names import name_key, stable_id
from etl.feeds.base import FeedColumn, FeedFormat, FeedTable, RowProblem
from etl.feeds.cells import Columns
from etl.feeds.conflict_base import ConflictEvent, ParsedConflict, accept_rows, read_day, record_columns, with_row_hash
from etl.feeds.normalise import COUNTRY_ALIASES, perpetrator_name, read_coordinates, take_count
from etl.geo.countries import country_iso3
from etl.vocab import label_key

SOURCE = "acled"
FEED = "acled"

# ACLED's actor types ('inter' codes), by the number older files write.
INTER_LABELS = {1: "State forces", 2: "Rebel group", 3: "Political militia", 4: "Identity militia",
                5: "Rioters", 6: "Protesters", 7: "Civilians", 8: "External/Other forces"}
TIME_PRECISION = {"1": "day", "2": "week", "3": "month"}
GEO_PRECISION = ("1", "2", "3")


def _column(name: str, target: str, hxl: str = "", synonyms: tuple[str, ...] = (),
            distinctive: bool = False) -> FeedColumn:
    return FeedColumn(name, synonyms, (hxl,) if hxl else (), distinctive, target)


# ACLED's codebook columns (any case: label_key compares them), the HXL tags of ACLED's files on
# HDX, and the conflict_events column each fills. A log would have none of the distinctive ones.
COLUMNS: tuple[FeedColumn, ...] = (
    _column("event_id_cnty", "source_id", "#event+code", distinctive=True),
    _column("event_date", "event_date", "#date+occurred"),
    _column("time_precision", "date_precision"),
    _column("disorder_type", "disorder_type", distinctive=True),
    _column("event_type", "event_type", "#event+type", distinctive=True),
    _column("sub_event_type", "sub_event_type", distinctive=True),
    _column("actor1", "actor1", "#group+name+first", distinctive=True),
    _column("assoc_actor_1", "assoc_actor_1", "#group+name+first+assoc", ("ally_actor_1",)),
    _column("inter1", "inter1", distinctive=True),
    _column("actor2", "actor2", "#group+name+second"),
    _column("assoc_actor_2", "assoc_actor_2", "#group+name+second+assoc", ("ally_actor_2",)),
    _column("inter2", "inter2"),
    _column("interaction", "interaction"),
    _column("civilian_targeting", "civilian_targeting"),
    _column("iso", "iso3", "#country+code", ("iso3",)),  # ACLED: the numeric ISO code; HDX's files: iso3
    _column("country", "country", "#country+name"),
    _column("admin1", "admin1_name", "#adm1+name"),
    _column("admin2", "admin2_name", "#adm2+name"),
    _column("admin3", "admin3_name", "#adm3+name"),
    _column("location", "location", "#loc+name"),
    _column("latitude", "latitude", "#geo+lat"),
    _column("longitude", "longitude", "#geo+lon"),
    _column("geo_precision", "geo_precision", distinctive=True),
    _column("source", "source_name", "#meta+source"),
    _column("notes", "notes", "#description"),
    _column("fatalities", "fatalities", "#affected+killed", distinctive=True),
)
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
    elif iso.isalpha():  # an ISO3 code (the HDX files' iso3 column)
        found = COUNTRY_ALIASES.get(label_key(iso)) or country_iso3(iso)
        if found:
            return found
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


def _repeated(cols: Columns, event: ConflictEvent, first_row: int) -> RowProblem:
    return RowProblem(event.source_row, cols.name("event id cnty"), event.source_id, "repeated_event_id",
                      f" (row {first_row})")


def read_events(path: Path, tables: list[FeedTable], latest: dt.date) -> ParsedConflict:
    """The events of an ACLED export's tables (found by :mod:`etl.feeds.recognise`), bad rows with their reasons."""
    parsed = ParsedConflict(path, FEED, tables[0].encoding)
    undated = 0
    for cols, cells, event in accept_rows(parsed, tables, lambda c, cells, row, problems: _event(
            c, cells, row, problems, latest), lambda e: e.source_id, _repeated):
        undated += "time precision" in cols.pos and not cols.get(cells, "time precision")
        parsed.events.append(event)
    if undated:
        parsed.notes.append(f"{undated:,} event(s) without time_precision taken as exact to the day")
    record_columns(parsed, COLUMNS, tables)
    return parsed


def _notes(cols: Columns) -> list[str]:
    return [] if "time precision" in cols.pos else ["no time_precision column: event dates taken as exact to the day"]


ACLED = FeedFormat(FEED, SOURCE, "ACLED event export (CSV, XLSX or API JSON)", label="an ACLED export",
                   columns=COLUMNS, signature=SIGNATURE, read_rows=read_events, notes=_notes, table="conflict_events")
