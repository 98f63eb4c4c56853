"""Load log files into the warehouse: read, validate, normalise, place, resolve, insert.

One command loads one or more files inside a single write session (see :mod:`etl.store.db`): the
live database only changes when the whole command has finished. Inside the session each file
is one transaction, so a file that cannot be read at all is rolled back alone and leaves no
trace, while the other files load. Within a file, bad rows go to ``rejected_rows`` with their
reasons and the good rows load.

Loading is set-based: the heavy lifting is SQL over the staged file; Python only sees the
distinct values of messy columns (dates, countries, names, places), which are few.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from etl import __version__
from etl.config import Settings, get_settings
from etl.counterparts import decisions
from etl.counterparts.names import doubtful_pairs, name_key, stable_id
from etl.errors import AccessDataError, DatabaseError, InputFileError
from etl.geo.areas import (
    REGION_FALLBACK,
    boundaries_in_db,
    load_boundaries,
    locate_points,
    place_admin_names,
    read_regions,
)
from etl.logs import sql
from etl.logs.columns import BY_NAME, MULTI_SEPARATORS
from etl.logs.mapping import MULTI_VALUED, content_sha256, find_mapping
from etl.logs.readers import SUPPORTED, SourceInfo, read_file
from etl.logs.validate import (
    DATE_COLUMNS,
    REASONS,
    VOCAB_COLUMNS,
    country_iso3,
    country_name,
    infer_day_first,
    parse_date,
)
from etl.store.archives import check_archive
from etl.store.db import Discard, open_for_write
from etl.store.schema import ensure_schema, insert_rows

Progress = Callable[[str, float], None]


@dataclass
class LoadResult:
    """What happened to one file. ``ok`` is True when the file's rows are in the database."""

    path: Path
    status: str  # loaded | nothing_new | already_loaded | all_rejected | failed (| staged, while loading)
    load_id: int | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_duplicate: int = 0
    seconds: float = 0.0
    message: str = ""
    reasons: dict[str, int] = field(default_factory=dict)
    source: SourceInfo | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("loaded", "nothing_new", "already_loaded")


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files to load: files as given, folders expanded to their supported files (sorted, recursive)."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            # Hidden files, Excel lock files (~$) and files starting with '_' (notes, manifests) are skipped.
            out.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED
                              and not p.name.startswith((".", "~$", "_"))))
        else:
            out.append(path)
    return out


def already_loaded(con: duckdb.DuckDBPyConnection, path: Path, sha: str, seen: dict[str, Path],
                   started: float) -> LoadResult | None:
    """The "already loaded" result for a file whose content was loaded before or earlier in this command."""
    prior = con.execute("SELECT load_id, strftime(started_at, '%Y-%m-%d %H:%M UTC') FROM loads "
                        "WHERE content_sha256 = ? ORDER BY load_id LIMIT 1", [sha]).fetchone()
    if prior:
        return LoadResult(path, "already_loaded", prior[0], seconds=time.monotonic() - started,
                          message=f"{path.name}: already loaded as load {prior[0]} on {prior[1]}; nothing to do.")
    if sha in seen:
        return LoadResult(path, "already_loaded", seconds=time.monotonic() - started,
                          message=f"{path.name}: same content as {seen[sha].name} in this load; skipped.")
    return None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def load_paths(
    paths: Sequence[Path],
    db_path: Path | None = None,
    settings: Settings | None = None,
    progress: Progress | None = None,
    encoding: str | None = None,
) -> list[LoadResult]:
    """Load files and folders into the database at ``db_path``; one result per file.

    Every readable file is first staged in its own temp table (a file that cannot be read is
    reported and changes nothing); then all of them are validated and inserted in one
    transaction, published at the end. If the database itself fails half-way, nothing at all is
    written and :class:`DatabaseError` says so.

    >>> results = load_paths([Path("logs/")], Path("data/access.duckdb"))  # doctest: +SKIP
    """
    settings = settings or get_settings()
    db_path = db_path or settings.db
    files = expand_paths(paths)
    results: list[LoadResult] = []
    # Public incident feeds (AWSD, Insecurity Insight) are recognised by their header and go to
    # etl.feeds.load; imported here because etl.feeds.load builds on this module's LoadResult.
    from etl.feeds.formats import detect_feed
    from etl.feeds.load import StagedFeed, load_feed, stage_feed

    with open_for_write(db_path, settings.lock_timeout_s, settings=settings) as con:
        ensure_schema(con)
        _refresh_geography(con, settings)
        # A database rebuilt from the logs gets its counterpart decisions back before any name is mapped.
        decisions.import_mirror(con, decisions.mirror_path(db_path, settings), settings)
        staged: list[_Staged | StagedFeed] = []
        seen: dict[str, Path] = {}
        for i, path in enumerate(files):
            if progress:
                progress(f"{path.name}: reading", 0.3 * i / max(len(files), 1))
            try:
                check_archive(path, settings)  # a workbook that would inflate past the limits is never opened
            except InputFileError as err:
                results.append(LoadResult(path, "failed", message=str(err)))
                continue
            feed = detect_feed(path) if path.is_file() else None
            outcome = (stage_feed(con, path, i, feed, seen, settings) if feed
                       else _stage_file(con, path, i, encoding, seen))
            if isinstance(outcome, LoadResult):
                results.append(outcome)
            else:
                staged.append(outcome)
                results.append(LoadResult(path, "staged"))
        if staged:
            con.execute("BEGIN TRANSACTION")
            try:
                for n, st in enumerate(staged):
                    def step(label: str, fraction: float, _n: int = n, _name: str = st.path.name) -> None:
                        if progress:
                            progress(f"{_name}: {label}", 0.3 + 0.7 * (_n + fraction) / len(staged))

                    if isinstance(st, StagedFeed):
                        result = load_feed(con, st, settings, step)
                        result.seconds = time.monotonic() - st.started
                        results[st.index] = result
                        continue
                    con.execute(f"ALTER TABLE {st.table} RENAME TO stage_raw")  # noqa: S608 - generated name
                    result = _validate_and_insert(con, st.path, st.sha, st.info, settings, step, st.started_at)
                    con.execute("DROP TABLE stage_raw")
                    result.seconds = time.monotonic() - st.started
                    results[st.index] = result
                if any(isinstance(st, _Staged) for st in staged):  # feeds touch no counterpart
                    con.execute(sql.REFRESH_COUNTERPARTS)
                    con.execute(sql.REFRESH_CHECKPOINTS)
                con.execute("COMMIT")
            except duckdb.Error as exc:
                con.execute("ROLLBACK")
                first = str(exc).strip().splitlines()[0][:300]
                raise DatabaseError(f"The database refused the load ({first}); nothing was written.",
                                    "Report this with the files if it happens again.") from exc
        if not any(r.load_id is not None and r.status != "already_loaded" for r in results):
            raise Discard  # nothing committed: keep the live file exactly as it was (same inode, same bytes)
        if progress:
            progress("publishing the new database version", 1.0)
    return results


@dataclass
class _Staged:
    index: int
    path: Path
    sha: str
    info: SourceInfo
    table: str
    started: float
    started_at: dt.datetime


def _stage_file(
    con: duckdb.DuckDBPyConnection, path: Path, index: int, encoding: str | None, seen: dict[str, Path]
) -> _Staged | LoadResult:
    """Read one file into its own temp table, or say why it is not loaded."""
    started = time.monotonic()
    started_at = dt.datetime.now(dt.UTC)
    try:
        if not path.exists():
            raise InputFileError(path, "file not found.", "Check the path.")
        mapping = find_mapping(path)  # a bad mapping file refuses the file, before anything is read
        sha = content_sha256(file_sha256(path), mapping)
        skipped = already_loaded(con, path, sha, seen, started)
        if skipped:
            return skipped
        # into temp table stage_raw: nothing in the database changes
        info = read_file(con, path, encoding, mapping=mapping, discover=False)
        if info.rows == 0:
            raise InputFileError(path, "the file has a header but no data rows.",
                                 "Check you exported the right sheet or period.")
    except AccessDataError as err:
        return LoadResult(path, "failed", seconds=time.monotonic() - started, message=str(err))
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0][:300]
        return LoadResult(path, "failed", seconds=time.monotonic() - started,
                          message=f"{path.name}: cannot be read ({first}). Export it again as CSV UTF-8 or XLSX.")
    seen[sha] = path
    table = f"stage_raw_{index}"
    con.execute(f"ALTER TABLE stage_raw RENAME TO {table}")  # noqa: S608 - generated name
    return _Staged(index, path, sha, info, table, started, started_at)


# Areas that a `python -m etl boundaries` load owns (see boundary_layers: that country and level,
# and the country's outline, level 0, when it owns level 1) must come from that load, the others
# from the current bundled file: a row from an old bundled file, or a bundled row of an owned
# country, goes.
DELETE_STALE_BUNDLED = """
DELETE FROM admin_areas a WHERE (a.source IS DISTINCT FROM $source) <> EXISTS (
    SELECT 1 FROM boundary_layers b WHERE b.iso3 = a.iso3 AND (b.level = a.level OR (a.level = 0 AND b.level = 1)))
"""


def _refresh_geography(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Countries (operational regions), and admin areas from the bundled file where nobody loaded any.

    Areas loaded with ``python -m etl boundaries`` (see ``boundary_layers``) are kept; the bundled
    file (``settings.boundaries``) fills in the other countries, and its rows are replaced when
    the file changes. Rows of the current bundled file are left alone otherwise, so their label
    points (which a centroid file may have set) survive.
    """
    regions = read_regions(settings.regions)
    insert_rows(con, "countries", [(iso3, name, region) for iso3, (name, region) in sorted(regions.items())],
                replace=True)
    source = f"{settings.boundaries.name}@{settings.boundaries.stat().st_mtime_ns}"
    con.execute(DELETE_STALE_BUNDLED, {"source": source})
    row = con.execute("SELECT count(*) FROM admin_areas WHERE source = ?", [source]).fetchone()
    if row and row[0]:
        return
    owned = {r[0] for r in con.execute("SELECT DISTINCT iso3 FROM boundary_layers WHERE level = 1").fetchall()}
    b = load_boundaries(settings.boundaries)
    areas = b.areas
    rows = []
    for iso3, geom in zip(b.countries["iso3"], b.countries.geometry, strict=True):
        if iso3 in owned:
            continue
        c = geom.representative_point()
        name, region = regions.get(iso3, (country_name(iso3), REGION_FALLBACK))
        rows.append((iso3, name, 0, None, iso3, region, geom.wkb, c.y, c.x, source))
    for rec, geom in zip(areas.itertuples(index=False), areas.geometry, strict=True):
        if rec.iso3 in owned:
            continue
        c = geom.representative_point()
        region = regions.get(rec.iso3, ("", REGION_FALLBACK))[1]
        rows.append((rec.pcode, rec.name, 1, rec.iso3, rec.iso3, region, geom.wkb, c.y, c.x, source))
    insert_rows(con, "admin_areas", rows, replace=True)
    for iso3 in b.iso3s - set(regions):
        con.execute("INSERT OR IGNORE INTO countries VALUES (?, ?, ?)", [iso3, country_name(iso3), REGION_FALLBACK])


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


def _build_mappings(con: duckdb.DuckDBPyConnection, settings: Settings) -> str:
    """Create the small map_* tables from distinct raw values. Returns the date order used."""
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
    resolver = decisions.load_resolver(con)
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


def _validate_and_insert(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    sha: str,
    info: SourceInfo,
    settings: Settings,
    step: Progress,
    started_at: dt.datetime,
) -> LoadResult:
    row = con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM loads").fetchone()
    load_id = int(row[0]) if row else 1
    typed = {"row_offset": info.row_offset}

    step("normalising values", 0.2)
    date_order = _build_mappings(con, settings)
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
    con.execute(
        "INSERT INTO loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [load_id, str(path), path.name, sha, path.stat().st_size, info.file_format, info.encoding,
         ", ".join(info.sheets) or None, json.dumps(info.mapping, ensure_ascii=False),
         json.dumps(info.ignored + [f"sheet {s}" for s in info.skipped_sheets], ensure_ascii=False),
         info.date_order or date_order, started_at, dt.datetime.now(dt.UTC), status, info.rows, loaded, rejected,
         duplicates, getpass.getuser(), __version__, str(info.mapping_file) if info.mapping_file else None],
    )
    step("done", 1.0)
    return LoadResult(path, status, load_id, info.rows, loaded, rejected, duplicates, reasons=reasons, source=info)
