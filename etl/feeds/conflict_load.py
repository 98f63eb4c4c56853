"""Load conflict-event feeds (ACLED events, HDX HAPI monthly counts) as context beside the negotiations.

:func:`etl.intake.load_paths` stages these files like the incident feeds
(:func:`etl.feeds.load.stage_feed`: read before the write transaction, so a file that cannot be
read changes nothing) and hands a staged :class:`~etl.feeds.conflict_base.ParsedConflict` to
:func:`load_conflict` inside the transaction: one ``loads`` row per file, bad rows in
``rejected_rows`` with their reasons, and the rows placed on admin-1 areas and inserted.

Re-sent rows:

- **ACLED** (``conflict_events``): the same file twice is skipped by its hash. A newer export
  carries the same ``event_id_cnty``: identical events count as duplicates, events ACLED has
  corrected replace the older version (the row hash is over the normalised values, so the same
  event saved as CSV, XLSX or JSON is the same).
- **HDX HAPI** (``conflict_event_counts``): a row is known by (country, admin level, admin-1,
  admin-2, event type, month), each area by its P-code or, without one, its name. A newer file's
  row with that key replaces the older figures; identical rows count as duplicates. Rows an
  older file had and a newer one lacks are kept.

Placing: an ACLED event's point falls in an admin-1 polygon (points outside their country are
blanked with ``geo_problem``, as for incidents), else its ``admin1`` name is matched. A HAPI row
keeps its ``admin1_code`` when the database knows that P-code (the map's areas or the loaded
gazetteer), else its admin-1 name is matched to the map's areas, else the code is kept as
published.
"""

from __future__ import annotations

from dataclasses import asdict

import duckdb
import pandas as pd

from etl.config import Settings
from etl.feeds import conflict_sql as csql
from etl.feeds.conflict_base import COUNT_COLUMNS, EVENT_COLUMNS, ConflictCount, ConflictEvent, ParsedConflict
from etl.feeds.load import StagedFeed, finish_load, insert_problems
from etl.geo.areas import load_boundaries, locate_points, match_admin_names
from etl.logs.results import LoadResult, Progress
from etl.store.loads import next_load_id


def load_conflict(con: duckdb.DuckDBPyConnection, staged: StagedFeed, settings: Settings,
                  step: Progress) -> LoadResult:
    """Write one staged conflict-event file inside the caller's transaction; one ``loads`` row for it."""
    parsed = staged.parsed
    assert isinstance(parsed, ParsedConflict)
    load_id = next_load_id(con)
    notes = list(parsed.notes)
    step("placing on admin areas", 0.3)
    if parsed.events:
        _place_events(con, parsed.events, settings)
        blanked = sum(e.geo_problem is not None for e in parsed.events)
        if blanked:
            notes.append(f"coordinates blanked on {blanked:,} event(s) (see conflict_events.geo_problem)")
        step("inserting events", 0.6)
        states = _insert(con, "conflict_rows", _frame(parsed.events, EVENT_COLUMNS), csql.EVENT_STATE,
                         (csql.DELETE_CHANGED_EVENTS, csql.INSERT_EVENTS), csql.EVENT_STATE_COUNTS, load_id)
        what = "event(s)"
    else:
        kept = _place_counts(con, parsed.counts)
        if kept:
            notes.append(f"{kept:,} row(s) keep an admin-1 code the database does not know")
        step("inserting monthly counts", 0.6)
        states = _insert(con, "count_rows", _frame(parsed.counts, COUNT_COLUMNS), csql.COUNT_STATE,
                         (csql.DELETE_CHANGED_COUNTS, csql.INSERT_COUNTS), csql.COUNT_STATE_COUNTS, load_id)
        what = "row(s)"
    if states.get("changed"):
        notes.append(f"{states['changed']:,} {what} updated from this newer file")
    insert_problems(con, parsed, load_id, staged.path.name)

    return finish_load(con, staged, load_id, states, parsed.repeated, notes, step)


# ------------------------------------------------------------------------------------ placing


def _place_events(con: duckdb.DuckDBPyConnection, events: list[ConflictEvent], settings: Settings) -> None:
    """Admin-1 P-code of each event: the polygon its point falls in, else its admin-1 name."""
    boundaries = load_boundaries(settings.boundaries)
    points = pd.DataFrame([(e.iso3, e.latitude, e.longitude) for e in events if e.latitude is not None],
                          columns=["iso3", "lat", "lon"]).drop_duplicates()
    located = locate_points(boundaries, points, settings.country_tolerance_km)
    by_point = {(i, la, lo): (pc, pr) for i, la, lo, pc, pr in
                zip(located["iso3"], located["lat"], located["lon"], located["pcode"], located["problem"], strict=True)}
    for e in events:
        if e.latitude is None:
            continue
        pcode, problem = by_point.get((e.iso3, e.latitude, e.longitude), (None, None))
        if problem:
            e.latitude = e.longitude = None
            e.geo_problem = problem
        else:
            e.admin1_pcode = pcode
    by_name = _match_names(con, {(e.iso3, e.admin1_name) for e in events if not e.admin1_pcode and e.admin1_name})
    for e in events:
        e.admin1_pcode = e.admin1_pcode or by_name.get((e.iso3, e.admin1_name or ""))


def _place_counts(con: duckdb.DuckDBPyConnection, counts: list[ConflictCount]) -> int:
    """Admin-1 P-code of each HAPI row; returns how many keep a code the database does not know."""
    known: dict[str, set[str]] = {}
    for iso3, pcode in con.execute(csql.KNOWN_ADMIN1_PCODES).fetchall():
        known.setdefault(iso3, set()).add(pcode)
    wanted = {(c.iso3, c.admin1_name) for c in counts
              if c.admin_level >= 1 and c.admin1_name and c.admin1_code not in known.get(c.iso3, set())}
    by_name = _match_names(con, wanted)
    unknown = 0
    for c in counts:
        if c.admin_level < 1:
            continue
        if c.admin1_code and c.admin1_code in known.get(c.iso3, ()):
            c.admin1_pcode = c.admin1_code
            continue
        c.admin1_pcode = by_name.get((c.iso3, c.admin1_name or "")) or c.admin1_code
        unknown += c.admin1_pcode is not None and c.admin1_pcode not in known.get(c.iso3, ())
    return unknown


def _match_names(con: duckdb.DuckDBPyConnection, wanted: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    frame = pd.DataFrame(sorted(wanted), columns=["iso3", "raw"])
    areas = con.execute(csql.ADMIN1_AREAS).df()
    if frame.empty or areas.empty:
        return {}
    matched = match_admin_names(areas, frame)
    return {(i, raw): pc for i, raw, pc in zip(matched["iso3"], matched["raw"], matched["pcode"], strict=True) if pc}


# ------------------------------------------------------------------------------------ writing


def _frame(rows: list[ConflictEvent] | list[ConflictCount], columns: tuple[str, ...]) -> pd.DataFrame:
    records = []
    for r in rows:
        values = asdict(r)
        records.append({c: values[c].isoformat() if hasattr(values[c], "isoformat") else values[c] for c in columns})
    frame = pd.DataFrame(records, columns=list(columns)).astype(object)
    for col in ("fatalities", "events", "geo_precision", "admin_level", "source_row"):
        if col in frame:
            frame[col] = pd.array(frame[col].tolist(), dtype="Int64")
    for col in ("latitude", "longitude"):
        if col in frame:
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    if "civilian_targeting" in frame:
        frame["civilian_targeting"] = pd.array(frame["civilian_targeting"].tolist(), dtype="boolean")
    return frame


def _insert(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame, state_sql: str,
            write_sql: tuple[str, ...], counts_sql: str, load_id: int) -> dict[str, int]:
    if frame.empty:
        return {}
    con.register(name, frame)
    try:
        con.execute(state_sql)
        for sql in write_sql:
            con.execute(sql, {"load_id": load_id} if "$load_id" in sql else None)
        return {str(k): int(v) for k, v in con.execute(counts_sql).fetchall()}
    finally:
        con.unregister(name)
