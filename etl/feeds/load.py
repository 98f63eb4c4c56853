"""Load public incident feeds (AWSD, Insecurity Insight) into ``incidents`` as a context layer.

:func:`etl.intake.load_paths` routes every file :func:`etl.feeds.registry.recognise` recognises
here instead of to the log loader. The steps mirror a log load so the CLI and the Data page
treat both alike: the file is read *before* the write transaction (a file that cannot be read
changes nothing), then inside it each feed file gets a ``loads`` row, its bad rows go to
``rejected_rows`` with a reason, and its incidents are placed on admin-1 areas and inserted.

Two decisions worth knowing:

- **Re-sent rows.** The same file twice is skipped by its hash. A newer export of a feed
  carries the same incident ids: identical rows are counted as duplicates; rows the publisher
  changed replace the older version (public feeds are corrected at source, unlike field logs).
- **Duplicates across sources are kept and marked**, never deleted: ``duplicate_of`` names the
  incident that is counted instead. One Insecurity Insight event published in two of its dataset
  files (the aid-worker and the health-care file, same SiND Event ID) is two rows, one counted. It is recomputed over the whole table after each feed load
  (see :mod:`etl.feeds.sql`), so the answer does not depend on the order of the loads. Count
  unique incidents with ``WHERE duplicate_of IS NULL``.

The 2016 AWSD snapshot stores codes; the abbreviations workbook explains them. Whichever comes
first, codes are decoded as soon as both are in the database.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import pandas as pd
from python_calamine import CalamineError

from etl.config import Settings
from etl.errors import AccessDataError, short_name
from etl.feeds import sql as isql
from etl.feeds.base import PERPETRATOR_TYPES, FeedRecord, ParsedFeed
from etl.feeds.normalise import access_category
from etl.feeds.registry import parse_feed
from etl.feeds.sind import DATASETS
from etl.geo.areas import load_boundaries, locate_points, match_admin_names
from etl.logs.readers import SourceInfo
from etl.logs.results import LoadResult, Progress, already_loaded
from etl.store.loads import next_load_id, record_load
from etl.store.schema import insert_rows
from etl.store.snapshots import Snapshot

# AWSD and Insecurity Insight dates of the same incident differ by a day or two (time zones,
# "reported on" vs "happened on"); more than two days apart is treated as two incidents.
MATCH_MAX_DAYS = 2
_CODE_LISTS = {"means_code": "means_of_attack", "context_code": "attack_context", "location_code": "location"}


@dataclass
class StagedFeed:
    """A feed file read and normalised, waiting for the write transaction."""

    index: int
    path: Path
    sha: str
    parsed: ParsedFeed
    file_bytes: int
    started: float
    started_at: dt.datetime


def stage_feed(con: duckdb.DuckDBPyConnection, snap: Snapshot, index: int, feed: str, seen: dict[str, Path],
               settings: Settings) -> StagedFeed | LoadResult:
    """Read a feed file (its private copy, :mod:`etl.store.snapshots`), or say why it is not loaded. Writes nothing."""
    started = time.monotonic()
    started_at = dt.datetime.now(dt.UTC)
    path = snap.path
    try:
        skipped = already_loaded(con, path, snap.sha256, seen, started)
        if skipped:
            return skipped
        parsed = parse_feed(snap.copy, feed, future_days=settings.future_days, origin=snap.path)
    except AccessDataError as err:
        return LoadResult(path, "failed", seconds=time.monotonic() - started, message=str(err))
    except (OSError, CalamineError) as exc:  # calamine: a damaged workbook whose first rows looked like a feed
        first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        return LoadResult(path, "failed", seconds=time.monotonic() - started,
                          message=f"{short_name(path.name)}: cannot be read ({first}). Download the file again and "
                                  "load it as downloaded.")
    seen[snap.sha256] = path
    return StagedFeed(index, path, snap.sha256, parsed, snap.size, started, started_at)


def load_feed(con: duckdb.DuckDBPyConnection, staged: StagedFeed, settings: Settings, step: Progress) -> LoadResult:
    """Write one staged feed file inside the caller's transaction; one ``loads`` row for it."""
    parsed = staged.parsed
    load_id = next_load_id(con)
    insert_rows(con, "vocabulary", [("perpetrator_type", code, label) for code, label in PERPETRATOR_TYPES.items()],
                replace=True)
    notes: list[str] = list(parsed.notes)
    if parsed.feed == "awsd_codebook":
        step("storing codes", 0.5)
        states = _insert_codes(con, parsed, load_id)
    else:
        step("placing incidents on admin areas", 0.3)
        _place(con, parsed.records, settings)
        step("inserting incidents", 0.6)
        states = _insert_incidents(con, parsed, load_id)
        blanked = sum(r.geo_problem is not None and r.geo_problem != "country_level_point" for r in parsed.records)
        if blanked:
            notes.append(f"coordinates blanked on {blanked:,} incident(s) (see incidents.geo_problem)")
        if states.get("changed"):
            notes.append(f"{states['changed']:,} incident(s) updated from this newer export")
    insert_problems(con, parsed, load_id, staged.path.name)
    step("decoding and de-duplicating", 0.8)
    decoded, undecoded = decode_codes(con)
    if decoded:
        notes.append(f"decoded the AWSD codes of {decoded:,} incident(s) of the 2016 snapshot")
    if undecoded and parsed.feed in ("awsd_2016", "awsd_codebook"):
        notes.append(f"{undecoded:,} incident(s) of the AWSD 2016 snapshot keep their raw codes until the "
                     "abbreviations workbook (awsd_abbreviations_codebook.xlsx) is loaded")
    mark_duplicates(con)

    return finish_load(con, staged, load_id, states, 0, notes, step)


def finish_load(con: duckdb.DuckDBPyConnection, staged: StagedFeed, load_id: int, states: dict[str, int],
                repeated: int, notes: list[str], step: Progress) -> LoadResult:
    """The ``loads`` row of a feed file written by the caller, and its result (every publisher's load ends here).

    :param states: rows per state against the table ('new', 'changed', 'same').
    :param repeated: rows repeated within the file itself, identical (counted as duplicates).
    """
    parsed = staged.parsed
    loaded = states.get("new", 0) + states.get("changed", 0)
    duplicates = states.get("same", 0) + repeated
    rejected = len({(p.sheet, p.row) for p in parsed.problems})
    reasons: dict[str, int] = {}
    for p in parsed.problems:
        reasons[p.code] = reasons.get(p.code, 0) + 1
    status = "loaded" if loaded else "all_rejected" if rejected and not duplicates else "nothing_new"
    record_load(
        con, load_id=load_id, source_path=str(staged.path), file_name=staged.path.name, content_sha256=staged.sha,
        file_bytes=staged.file_bytes, file_format=parsed.feed, encoding=parsed.encoding,
        sheets=", ".join(parsed.sheets) or None, column_mapping=parsed.mapping, ignored_columns=parsed.ignored,
        started_at=staged.started_at, status=status, rows_read=parsed.rows_read, rows_loaded=loaded,
        rows_rejected=rejected, rows_duplicate=duplicates)
    info = SourceInfo(staged.path, parsed.feed, parsed.encoding, parsed.sheets, parsed.mapping, parsed.ignored,
                      rows=parsed.rows_read)
    step("done", 1.0)
    return LoadResult(staged.path, status, load_id, parsed.rows_read, loaded, rejected, duplicates,
                      message="; ".join(notes), reasons=dict(sorted(reasons.items(), key=lambda kv: -kv[1])),
                      source=info)


# ------------------------------------------------------------------------------------ steps


def _place(con: duckdb.DuckDBPyConnection, records: list[FeedRecord], settings: Settings) -> None:
    """Admin-1 P-code of each incident: its point's polygon first, else its admin-1 name.

    Points that fall outside their country (or only inside it when swapped) are blanked with
    the reason in ``geo_problem``: a wrong dot on the map is worse than none.
    """
    boundaries = load_boundaries(settings.boundaries)
    points = pd.DataFrame([(r.iso3, r.latitude, r.longitude) for r in records if r.latitude is not None],
                          columns=["iso3", "lat", "lon"]).drop_duplicates()
    located = locate_points(boundaries, points, settings.country_tolerance_km)
    by_point = {(i, la, lo): (pc, pr) for i, la, lo, pc, pr in
                zip(located["iso3"], located["lat"], located["lon"], located["pcode"], located["problem"], strict=True)}
    pcodes: dict[str, str | None] = {}
    for r in records:
        if r.latitude is None:
            continue
        pcode, problem = by_point.get((r.iso3, r.latitude, r.longitude), (None, None))
        if problem:
            r.latitude = r.longitude = None
            r.geo_problem = problem
        elif pcode:
            pcodes[r.incident_id] = pcode
    wanted = pd.DataFrame(sorted({(r.iso3, r.admin1_name) for r in records
                                  if r.incident_id not in pcodes and r.admin1_name}), columns=["iso3", "raw"])
    areas = con.execute("SELECT pcode, name, iso3 FROM admin_areas WHERE level = 1").df()
    by_name = {}
    if not wanted.empty and not areas.empty:
        matched = match_admin_names(areas, wanted)
        by_name = {(i, raw): pc for i, raw, pc in zip(matched["iso3"], matched["raw"], matched["pcode"], strict=True)
                   if pc}
    for r in records:
        r.admin1_pcode = pcodes.get(r.incident_id) or by_name.get((r.iso3, r.admin1_name or ""))


def _frame(records: list[FeedRecord]) -> pd.DataFrame:
    rows = [{**asdict(r), "incident_date": r.incident_date.isoformat()} for r in records]
    frame = pd.DataFrame(rows, columns=list(FeedRecord.__dataclass_fields__)).astype(object)
    for col in ("killed", "injured", "kidnapped", "detained"):
        frame[col] = pd.array(frame[col].tolist(), dtype="Int32")
    for col in ("latitude", "longitude"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    frame["codes_decoded"] = frame["codes_decoded"].astype(bool)
    frame["source_row"] = frame["source_row"].astype("int32")
    return frame


def _insert_incidents(con: duckdb.DuckDBPyConnection, parsed: ParsedFeed, load_id: int) -> dict[str, int]:
    if not parsed.records:
        return {}
    con.register("feed_rows", _frame(parsed.records))
    try:
        con.execute(isql.FEED_ROW_STATE)
        con.execute(isql.DELETE_CHANGED)
        con.execute(isql.INSERT_INCIDENTS, {"load_id": load_id})
        states = {str(k): int(v) for k, v in con.execute(isql.FEED_STATE_COUNTS).fetchall()}
    finally:
        con.unregister("feed_rows")
    return states


def _insert_codes(con: duckdb.DuckDBPyConnection, parsed: ParsedFeed, load_id: int) -> dict[str, int]:
    # A code listed twice on one sheet keeps its first label (reversed, so the first is written last).
    unique = {(c.code_list, c.code): c.label for c in reversed(parsed.codes)}
    frame = pd.DataFrame([(k[0], k[1], v) for k, v in unique.items()], columns=["code_list", "code", "label"])
    con.register("feed_codes", frame.astype(object))
    try:
        con.execute(isql.CODE_STATE)
        con.execute(isql.DELETE_CHANGED_CODES)
        con.execute(isql.INSERT_CODES, {"load_id": load_id})
        states = {str(k): int(v) for k, v in con.execute(isql.CODE_STATE_COUNTS).fetchall()}
    finally:
        con.unregister("feed_codes")
    states["same"] = states.get("same", 0) + len(parsed.codes) - len(unique)
    return states


def insert_problems(con: duckdb.DuckDBPyConnection, parsed: ParsedFeed, load_id: int, file_name: str) -> None:
    if not parsed.problems:
        return
    frame = pd.DataFrame(
        [(p.sheet, p.row, p.column, p.value, p.code, p.reason, json.dumps(p.raw, ensure_ascii=False))
         for p in parsed.problems],
        columns=["sheet", "row_number", "column_name", "value", "reason_code", "reason", "raw_row"]).astype(object)
    con.register("feed_problems", frame)
    try:
        con.execute(isql.INSERT_REJECTED, {"load_id": load_id, "file": file_name})
    finally:
        con.unregister("feed_problems")


def decode_codes(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """Decode the 2016 snapshot's codes with the codebook in the database.

    Returns (incidents decoded now, incidents still holding codes). A code missing from the
    codebook leaves its incident undecoded (it is tried again at the next load).
    """
    pending = con.execute(isql.UNDECODED_CODES).fetchall()
    if not pending:
        return 0, 0
    book: dict[tuple[str, str], str] = {(lst, code): label for lst, code, label in con.execute(isql.CODEBOOK).fetchall()}
    rows = []
    for means_code, context_code, location_code in pending:
        labels: dict[str, str | None] = {}
        complete = bool(book)
        for col, code in (("means_code", means_code), ("context_code", context_code),
                          ("location_code", location_code)):
            label = book.get((_CODE_LISTS[col], code.strip().upper())) if code else None
            complete = complete and (label is not None or not code)
            labels[col] = label
        if not complete:
            continue
        rows.append((means_code, context_code, location_code, labels["means_code"], labels["context_code"],
                     labels["location_code"], access_category(labels["means_code"], labels["context_code"]), True))
    before = _count(con, isql.COUNT_UNDECODED)
    if rows:
        frame = pd.DataFrame(rows, columns=["means_code", "context_code", "location_code", "means_of_attack",
                                            "attack_context", "location_type", "category", "codes_decoded"])
        con.register("map_decoded", frame.astype(object))
        try:
            con.execute(isql.APPLY_DECODED)
        finally:
            con.unregister("map_decoded")
    after = _count(con, isql.COUNT_UNDECODED)
    return before - after, after


def mark_duplicates(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Recompute ``duplicate_of`` over all incidents; returns the count per rule."""
    con.execute(isql.RESET_DUPLICATES)
    con.execute(isql.MARK_SAME_AWSD_ID)
    con.execute(isql.MARK_SAME_SIND_ID, {"datasets": list(DATASETS)})
    con.execute(isql.MARK_CROSS_SOURCE, {"max_days": MATCH_MAX_DAYS})
    return {str(k): int(v) for k, v in con.execute(isql.DUPLICATE_COUNTS).fetchall()}


def _count(con: duckdb.DuckDBPyConnection, query: str) -> int:
    row = con.execute(query).fetchone()
    return int(row[0]) if row else 0

