"""One negotiation log into the warehouse: stage it, then validate, normalise, place, resolve and insert.

:mod:`etl.intake` runs this for every log of a command, inside one write session. Within a file, bad
rows go to ``rejected_rows`` with their reasons and the good rows load.

Loading is set-based: the heavy lifting is SQL over the staged file; Python only sees the
distinct values of messy columns (dates, countries, names, places), which are few.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from etl.config import Settings
from etl.counterparts import decisions
from etl.counterparts.names import doubtful_pairs, name_key, stable_id
from etl.counterparts.resolver import load_resolver
from etl.errors import AccessDataError, InputFileError, short_name
from etl.geo.areas import boundaries_in_db, locate_points, place_admin_names
from etl.geo.countries import country_iso3
from etl.logs import sql
from etl.logs.columns import BY_NAME, MULTI_SEPARATORS
from etl.logs.mapping import MULTI_VALUED, content_sha256, find_mapping
from etl.logs.numbers import detect_convention, parse_number, read_with
from etl.logs.readers import SourceInfo, read_file
from etl.logs.results import LoadResult, Progress, already_loaded
from etl.logs.validate import (
    DATE_COLUMNS,
    REASONS,
    VOCAB_COLUMNS,
    infer_day_first,
    parse_date,
)
from etl.store.loads import next_load_id, record_load
from etl.store.schema import insert_rows
from etl.store.scratch import scratch_writes
from etl.store.snapshots import Snapshot

__all__ = ["StagedLog", "stage_log", "validate_and_insert"]


@dataclass
class StagedLog:
    index: int
    path: Path
    sha: str
    info: SourceInfo
    file_bytes: int
    started: float
    started_at: dt.datetime


def stage_log(
    con: duckdb.DuckDBPyConnection, snap: Snapshot, index: int, encoding: str | None, seen: dict[str, Path],
    decimal: str | None = None,
) -> StagedLog | LoadResult:
    """Read one file (its private copy, :mod:`etl.store.snapshots`) into table ``stage_raw``, or say why not.

    ``stage_raw`` is in the session's scratch database (:mod:`etl.store.scratch`), else a temp table.
    """
    started = time.monotonic()
    started_at = dt.datetime.now(dt.UTC)
    path = snap.path
    try:
        mapping = find_mapping(path)  # a bad mapping file refuses the file, before anything is read
        sha = content_sha256(snap.sha256, mapping)
        skipped = already_loaded(con, path, sha, seen, started)
        if skipped:
            return skipped
        # into temp table stage_raw: nothing in the database changes
        with scratch_writes(con):  # stage_raw is written to the scratch database when there is one
            info = read_file(con, snap.copy, encoding, mapping=mapping, discover=False, decimal=decimal)
        info.path = path
        if info.rows == 0:
            raise InputFileError(path, "the file has a header but no data rows.",
                                 "Check you exported the right sheet or period.")
    except AccessDataError as err:
        return LoadResult(path, "failed", seconds=time.monotonic() - started, message=str(err))
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0][:300]
        return LoadResult(path, "failed", seconds=time.monotonic() - started,
                          message=f"{short_name(path.name)}: cannot be read ({first}). "
                                  "Export it again as CSV UTF-8 or XLSX.")
    seen[sha] = path
    return StagedLog(index, path, sha, info, snap.size, started, started_at)


# --------------------------------------------------------------------------- mapping tables


def _distinct(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] = ()) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()


def _temp_table(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame, types: dict[str, str]) -> None:
    """Create a temp table from a small DataFrame, with explicit column types (empty frames too)."""
    cols = ", ".join(f"CAST({c} AS {t}) AS {c}" for c, t in types.items())
    con.register("_frame", frame.reindex(columns=list(types)).astype(object))
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {cols} FROM _frame")  # noqa: S608 - fixed names
    finally:
        con.unregister("_frame")


V = "VARCHAR"


def _map_numbers(con: duckdb.DuckDBPyConnection, info: SourceInfo) -> None:
    """map_number: each distinct count of the file read by the file's decimal convention (etl.logs.numbers).

    Plain digits (most counts) are read by a cast in SQL (:data:`etl.logs.sql.PLAIN_NUMBERS`), the rest here.
    """
    values = [(col, raw) for col, raw in _distinct(con, sql.NUMBER_VALUES)]
    examples = [(col, raw) for col, *found in _distinct(con, sql.COORDINATE_EXAMPLES) for raw in found if raw]
    convention = detect_convention([*examples, *values], info.decimal, info.decimal_by)
    raws = list(dict.fromkeys(raw for _, raw in values))
    reads = [read_with(convention, raw) for raw in raws]
    _temp_table(con, "map_number", pd.DataFrame({
        "raw": raws, "value": [r.value for r in reads], "problem": [r.problem for r in reads],
        "detail": [r.detail for r in reads]}), {"raw": V, "value": "DOUBLE", "problem": V, "detail": V})
    con.execute(sql.PLAIN_NUMBERS)
    # Said in the load summary when it was declared or changed how a value reads ('12.500').
    if info.decimal or any(parse_number(raw).problem == "ambiguous_number" for raw in raws):
        info.notes.append(convention.note())


def _build_mappings(con: duckdb.DuckDBPyConnection, settings: Settings, info: SourceInfo) -> str:
    """Create the small map_* tables from distinct raw values. Returns the date order used."""
    _map_numbers(con, info)
    countries = [r[0] for r in _distinct(con, "SELECT DISTINCT country FROM stage_raw WHERE country IS NOT NULL")]
    _temp_table(con, "map_country", pd.DataFrame({"raw": countries, "iso3": [country_iso3(c) for c in countries]}),
                {"raw": V, "iso3": V})

    union = " UNION ".join(f"SELECT {c} AS v FROM stage_raw WHERE {c} IS NOT NULL" for c in DATE_COLUMNS)  # noqa: S608
    date_values = [r[0] for r in _distinct(con, f"SELECT DISTINCT v FROM ({union})")]  # noqa: S608
    day_first = infer_day_first(date_values, settings.day_first)
    parsed = [parse_date(v, day_first) for v in date_values]
    _temp_table(con, "map_date", pd.DataFrame({
        "raw": date_values,
        "value": [p.value.isoformat() if p.value else None for p in parsed],
        "problem": [p.problem for p in parsed],
        "detail": [p.detail for p in parsed],
    }), {"raw": V, "value": "DATE", "problem": V, "detail": V})

    vocab_rows: list[tuple[str, str, str | None]] = []
    for column, (vocab, _code) in VOCAB_COLUMNS.items():
        for (raw,) in _distinct(con, f"SELECT DISTINCT {column} FROM stage_raw WHERE {column} IS NOT NULL"):  # noqa: S608
            vocab_rows.append((column, raw, vocab.lookup(raw)))
    _temp_table(con, "map_vocab", pd.DataFrame(vocab_rows, columns=["col", "raw", "code"]),
                {"col": V, "raw": V, "code": V})

    cell_rows: list[tuple[str, str, str, str | None]] = []
    for column, vocab in MULTI_VALUED.items():
        for (cell,) in _distinct(con, sql.distinct_cells(column)):
            for label in dict.fromkeys(x.strip() for x in MULTI_SEPARATORS.split(cell)):
                if not label:
                    continue
                code = vocab.lookup(label)
                if code is None and not BY_NAME[column].checks:
                    code = "other"  # open-ended (conditions): unknown labels are kept as 'other' with their text
                cell_rows.append((column, cell, label, code))
    _temp_table(con, "map_cell", pd.DataFrame(cell_rows, columns=["col", "cell", "label", "code"]),
                {"col": V, "cell": V, "label": V, "code": V})
    con.execute(sql.MAP_PCODE)
    return "day_first" if day_first else "month_first"


def _place_points(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    points = con.execute(sql.DISTINCT_POINTS).df()
    # The areas in the database: the bundled ones and any loaded with `python -m etl boundaries`.
    located = locate_points(boundaries_in_db(con), points, settings.country_tolerance_km)
    _temp_table(con, "map_point", located,
                {"iso3": V, "lat": "DOUBLE", "lon": "DOUBLE", "pcode": V, "problem": V, "detail": V})
    names = con.execute(sql.DISTINCT_ADMIN_NAMES).df()
    areas = con.execute("SELECT pcode, name, iso3 FROM admin_areas WHERE level = 1").df()
    _temp_table(con, "map_admin_name", place_admin_names(areas, names), {"iso3": V, "raw": V, "pcode": V})


def _map_names(con: duckdb.DuckDBPyConnection) -> None:
    """Counterpart and checkpoint ids for every (country, name) of the file (map_cp, map_ck).

    Counterpart names go through the recorded merge/split decisions (:mod:`etl.counterparts.decisions`), so a
    row with either spelling of a merged pair lands on the counterpart that was kept.
    """
    resolver = load_resolver(con)
    for table, query, prefix, id_col in (("map_cp", sql.COUNTERPART_NAMES, "CP", "counterpart_id"),
                                         ("map_ck", sql.CHECKPOINT_NAMES, "CK", "checkpoint_id")):
        rows = [(iso3, raw, *reversed(resolver.resolve(iso3, raw))) if prefix == "CP"
                else (iso3, raw, key := name_key(raw), stable_id(prefix, iso3, key))
                for iso3, raw in con.execute(query).fetchall()]
        _temp_table(con, table, pd.DataFrame(rows, columns=["iso3", "raw", "key", id_col]),
                    {"iso3": V, "raw": V, "key": V, id_col: V})


def _review_doubtful(con: duckdb.DuckDBPyConnection, load_id: int) -> None:
    """List pairs of similar but not obviously identical counterparts that this load introduced."""
    new = con.execute("SELECT iso3, name_key FROM counterparts WHERE load_id = ?", [load_id]).fetchall()
    if not new:
        return
    countries = sorted({iso3 for iso3, _ in new})
    known = con.execute("SELECT iso3, name_key FROM counterparts WHERE list_contains(?, iso3)", [countries]).fetchall()
    pairs = doubtful_pairs(new, known)
    # After a split two counterparts can share a key, so a pair may already be listed.
    listed = set(con.execute("SELECT counterpart_id_a, counterpart_id_b FROM counterpart_review").fetchall())
    rows = []
    for p in pairs:
        ids = (stable_id("CP", p.iso3, p.key_a), stable_id("CP", p.iso3, p.key_b))
        if ids not in listed:
            rows.append((p.iso3, *ids, p.score, "pending", load_id))
    if rows:
        insert_rows(con, "counterpart_review", rows)
        decisions.refresh_review_status(con)  # a pair someone already kept apart (or merged) is not pending


def validate_and_insert(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    sha: str,
    info: SourceInfo,
    file_bytes: int,
    settings: Settings,
    step: Progress,
    started_at: dt.datetime,
) -> LoadResult:
    load_id = next_load_id(con)
    typed = {"row_offset": info.row_offset}

    step("normalising values", 0.2)
    date_order = _build_mappings(con, settings, info)
    step("placing points on admin areas", 0.35)
    _place_points(con, settings)
    con.execute(sql.CELL_PROBLEMS)
    _map_names(con)
    step("checking rows", 0.5)
    checks = {**typed, "future_days": settings.future_days, "earliest_year": settings.earliest_year}
    con.execute(sql.CHECKED, {**checks, "load_id": load_id})
    _temp_table(con, "reasons", pd.DataFrame(
        [(code, r.problem, r.fix) for code, r in REASONS.items()], columns=["code", "problem", "fix"]),
        {"code": V, "problem": V, "fix": V})
    _temp_table(con, "column_names", pd.DataFrame(
        [(canonical, source) for source, canonical in info.mapping.items()], columns=["canonical", "source"]
        ).drop_duplicates("canonical"), {"canonical": V, "source": V})
    con.execute(sql.REJECT, {**checks, "load_id": load_id, "file": path.name})

    step("finding duplicates", 0.6)
    con.execute(sql.SKIP)
    conflict = REASONS["conflicting_duplicate"]
    con.execute(sql.CONFLICT_REJECT, {"load_id": load_id, "file": path.name, "problem": conflict.problem,
                                      "fix": conflict.fix})

    con.execute(sql.NEW_ROWS)
    step("inserting", 0.8)
    lp = {"load_id": load_id}
    for statement in (sql.INSERT_COUNTERPARTS, sql.ALIASES, sql.INSERT_CHECKPOINTS, sql.INSERT_REQUESTS,
                      sql.INSERT_ENGAGEMENTS, sql.insert_labels("engagement_obstacles", "obstacles"),
                      sql.insert_labels("engagement_conditions", "conditions")):
        con.execute(statement, lp)
    con.execute(sql.FILL_COUNTERPARTS)
    con.execute(sql.TOUCHED)
    _review_doubtful(con, load_id)

    counts = con.execute(sql.COUNTS, lp).fetchone()
    loaded, duplicates, rejected = (int(c) for c in counts) if counts else (0, 0, 0)
    reasons = dict(con.execute("SELECT reason_code, count(*) FROM rejected_rows WHERE load_id = ? GROUP BY 1 "
                               "ORDER BY 2 DESC, 1", [load_id]).fetchall())
    if loaded:
        status = "loaded"
    elif rejected and not duplicates:
        status = "all_rejected"
    else:
        status = "nothing_new"
    record_load(
        con, load_id=load_id, source_path=str(path), file_name=path.name, content_sha256=sha,
        file_bytes=file_bytes, file_format=info.file_format, encoding=info.encoding,
        sheets=", ".join(info.sheets) or None, column_mapping=info.mapping,
        ignored_columns=info.ignored + [f"sheet {s}" for s in info.skipped_sheets],
        date_order=info.date_order or date_order, started_at=started_at, status=status, rows_read=info.rows,
        rows_loaded=loaded, rows_rejected=rejected, rows_duplicate=duplicates,
        mapping_file=str(info.mapping_file) if info.mapping_file else None)
    step("done", 1.0)
    return LoadResult(path, status, load_id, info.rows, loaded, rejected, duplicates, reasons=reasons, source=info)
