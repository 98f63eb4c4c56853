"""Load log files into the warehouse: read, validate, normalise, place, resolve, insert.

One command loads one or more files inside a single write session (see :mod:`etl.db`): the
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
from etl.db import Discard, open_for_write
from etl.errors import AccessDataError, InputFileError
from etl.geo import REGION_FALLBACK, load_boundaries, locate_points, match_admin_names, read_regions
from etl.logformat import COLUMN_NAMES, MULTI_SEPARATORS
from etl.names import doubtful_pairs, name_key, stable_id
from etl.readers import SUPPORTED, SourceInfo, read_file
from etl.schema import ensure_schema, insert_rows
from etl.validate import (
    DATE_COLUMNS,
    REASONS,
    VOCAB_COLUMNS,
    country_iso3,
    country_name,
    infer_day_first,
    parse_date,
)
from etl.vocab import CONDITIONS, OBSTACLE_CATEGORIES

Progress = Callable[[str, float], None]
MULTI_SPLIT_SQL = r"\s*[;|\n]\s*"
assert MULTI_SEPARATORS.pattern == MULTI_SPLIT_SQL


@dataclass
class LoadResult:
    """What happened to one file. ``ok`` is True when the file's rows are in the database."""

    path: Path
    status: str  # loaded | nothing_new | already_loaded | all_rejected | failed
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
            out.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED
                              and not p.name.startswith((".", "~$"))))
        else:
            out.append(path)
    return out


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

    >>> results = load_paths([Path("logs/")], Path("data/access.duckdb"))  # doctest: +SKIP
    """
    settings = settings or get_settings()
    db_path = db_path or settings.db
    files = expand_paths(paths)
    results: list[LoadResult] = []
    with open_for_write(db_path, settings.lock_timeout_s) as con:
        ensure_schema(con)
        _refresh_geography(con, settings)
        for i, path in enumerate(files):
            def step(label: str, fraction: float, _i: int = i) -> None:
                if progress:
                    progress(f"{path.name}: {label}", (_i + fraction) / max(len(files), 1))

            results.append(_load_one(con, path, settings, step, encoding))
        if not any(r.load_id is not None and r.status != "already_loaded" for r in results):
            raise Discard  # nothing committed: keep the live file exactly as it was (same inode, same bytes)
        if progress:
            progress("publishing the new database version", 1.0)
    return results


def _refresh_geography(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Countries (operational regions) and admin areas from the configured files, if new or changed."""
    regions = read_regions(settings.regions)
    insert_rows(con, "countries", [(iso3, name, region) for iso3, (name, region) in sorted(regions.items())],
                replace=True)
    source = f"{settings.boundaries.name}@{settings.boundaries.stat().st_mtime_ns}"
    row = con.execute("SELECT count(*) FROM admin_areas WHERE source = ?", [source]).fetchone()
    if row and row[0]:
        return
    b = load_boundaries(settings.boundaries)
    areas = b.areas
    rows = []
    for iso3, geom in zip(b.countries["iso3"], b.countries.geometry, strict=True):
        c = geom.representative_point()
        name, region = regions.get(iso3, (country_name(iso3), REGION_FALLBACK))
        rows.append((iso3, name, 0, None, iso3, region, geom.wkb, c.y, c.x, source))
    for rec, geom in zip(areas.itertuples(index=False), areas.geometry, strict=True):
        c = geom.representative_point()
        region = regions.get(rec.iso3, ("", REGION_FALLBACK))[1]
        rows.append((rec.pcode, rec.name, 1, rec.iso3, rec.iso3, region, geom.wkb, c.y, c.x, source))
    con.execute("DELETE FROM admin_areas WHERE source IS NULL OR source != ?", [source])
    insert_rows(con, "admin_areas", rows, replace=True)
    for iso3 in b.iso3s - set(regions):
        con.execute("INSERT OR IGNORE INTO countries VALUES (?, ?, ?)", [iso3, country_name(iso3), REGION_FALLBACK])


def _load_one(
    con: duckdb.DuckDBPyConnection, path: Path, settings: Settings, step: Progress, encoding: str | None
) -> LoadResult:
    started = time.monotonic()
    started_at = dt.datetime.now(dt.UTC)
    try:
        if not path.exists():
            raise InputFileError(path, "file not found.", "Check the path.")
        sha = file_sha256(path)
        prior = con.execute("SELECT load_id, strftime(started_at, '%Y-%m-%d %H:%M UTC') FROM loads "
                            "WHERE content_sha256 = ? ORDER BY load_id LIMIT 1", [sha]).fetchone()
        if prior:
            return LoadResult(path, "already_loaded", prior[0], seconds=time.monotonic() - started,
                              message=f"{path.name}: already loaded as load {prior[0]} on {prior[1]}; nothing to do.")
        con.execute("BEGIN TRANSACTION")
        try:
            step("reading", 0.05)
            info = read_file(con, path, encoding)
            if info.rows == 0:
                raise InputFileError(path, "the file has a header but no data rows.",
                                     "Check you exported the right sheet or period.")
            result = _validate_and_insert(con, path, sha, info, settings, step, started_at)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    except AccessDataError as err:
        return LoadResult(path, "failed", seconds=time.monotonic() - started, message=str(err))
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0][:300]
        return LoadResult(path, "failed", seconds=time.monotonic() - started,
                          message=f"{path.name}: the database refused the load ({first}). Nothing was written; "
                                  "report this with the file if it happens again.")
    result.seconds = time.monotonic() - started
    return result


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

    union = " UNION ".join(f"SELECT {c} AS v FROM stage_raw WHERE {c} IS NOT NULL" for c in DATE_COLUMNS)
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

    label_rows: list[tuple[str, str, str | None]] = []
    for column, vocab in (("obstacles", OBSTACLE_CATEGORIES), ("conditions", CONDITIONS)):
        sql = (f"SELECT DISTINCT trim(l) FROM (SELECT unnest(regexp_split_to_array({column}, ?)) AS l "  # noqa: S608
               f"FROM stage_raw WHERE {column} IS NOT NULL) WHERE trim(l) <> ''")
        for (raw,) in _distinct(con, sql, [MULTI_SPLIT_SQL]):
            code = vocab.lookup(raw)
            if code is None and column == "conditions":
                code = "other"  # conditions are open-ended; unknown ones are kept as 'other' with the raw text
            label_rows.append((column, raw, code))
    _temp_table(con, "map_label", pd.DataFrame(label_rows, columns=["col", "raw", "code"]),
                {"col": V, "raw": V, "code": V})
    return "day_first" if day_first else "month_first"


# ------------------------------------------------------------------------------ typed stage

def _num(col: str) -> str:
    return f"TRY_CAST(regexp_replace({col}, '[\\s,]', '', 'g') AS DOUBLE)"


def _coord(col: str) -> str:
    return (f"TRY_CAST(CASE WHEN contains({col}, ',') AND NOT contains({col}, '.') "
            f"THEN replace({col}, ',', '.') ELSE {col} END AS DOUBLE)")


STAGE_SQL = f"""
CREATE OR REPLACE TEMP TABLE stage AS
SELECT r.*,
    coalesce(mc.iso3, pc.iso3) AS _iso3,
    mc.iso3 AS _country_iso3,
    pc.pcode AS _pcode_given, pc.iso3 AS _pcode_iso3,
    d1.value AS _date, d1.problem AS _date_problem, d1.detail AS _date_detail,
    d2.value AS _request_date, d2.problem AS _request_date_problem, d2.detail AS _request_date_detail,
    d3.value AS _resolution_date, d3.problem AS _resolution_date_problem, d3.detail AS _resolution_date_detail,
    d4.value AS _follow_up_due, d4.problem AS _follow_up_due_problem, d4.detail AS _follow_up_due_detail,
    v_outcome.code AS _outcome, v_activity.code AS _activity, v_ctype.code AS _ctype, v_level.code AS _level,
    v_channel.code AS _channel, v_priority.code AS _priority, v_ckind.code AS _ckind,
    {_num('r.people_targeted')} AS _people_targeted,
    {_num('r.people_reached')} AS _people_reached,
    {_num('r.days_to_resolution')} AS _days,
    {_coord('r.latitude')} AS _lat,
    {_coord('r.longitude')} AS _lon
FROM stage_raw r
LEFT JOIN map_country mc ON mc.raw = r.country
LEFT JOIN admin_areas pc ON pc.pcode = upper(r.admin1_pcode) AND pc.level = 1
LEFT JOIN map_date d1 ON d1.raw = r.date
LEFT JOIN map_date d2 ON d2.raw = r.request_date
LEFT JOIN map_date d3 ON d3.raw = r.resolution_date
LEFT JOIN map_date d4 ON d4.raw = r.follow_up_due
LEFT JOIN map_vocab v_outcome ON v_outcome.col = 'outcome' AND v_outcome.raw = r.outcome
LEFT JOIN map_vocab v_activity ON v_activity.col = 'activity' AND v_activity.raw = r.activity
LEFT JOIN map_vocab v_ctype ON v_ctype.col = 'counterpart_type' AND v_ctype.raw = r.counterpart_type
LEFT JOIN map_vocab v_level ON v_level.col = 'counterpart_level' AND v_level.raw = r.counterpart_level
LEFT JOIN map_vocab v_channel ON v_channel.col = 'channel' AND v_channel.raw = r.channel
LEFT JOIN map_vocab v_priority ON v_priority.col = 'priority' AND v_priority.raw = r.priority
LEFT JOIN map_vocab v_ckind ON v_ckind.col = 'checkpoint_kind' AND v_ckind.raw = r.checkpoint_kind
"""


def _p(code: str, column: str | None, value: str = "NULL", detail: str = "NULL") -> str:
    """SQL for one problem struct."""
    col = "NULL" if column is None else f"'{column}'"
    return (f"struct_pack(col := {col}::VARCHAR, val := ({value})::VARCHAR, code := '{code}', "
            f"detail := ({detail})::VARCHAR)")


def _date_checks(column: str, typed: str, *, future: bool, required: bool) -> str:
    branches = []
    if required:
        branches.append(f"WHEN r.{column} IS NULL THEN {_p('missing_date', column)}")
    branches.append(f"WHEN {typed}_problem IS NOT NULL THEN "
                    f"struct_pack(col := '{column}'::VARCHAR, val := r.{column}::VARCHAR, code := {typed}_problem, "
                    f"detail := {typed}_detail::VARCHAR)")
    if future:
        branches.append(f"WHEN {typed} > current_date + $future_days::INTEGER THEN "
                        f"{_p('future_date', column, f'r.{column}')}")
    too_old = _p("too_old_date", column, f"r.{column}", "'1 January ' || $earliest_year::VARCHAR")
    branches.append(f"WHEN {typed} < make_date($earliest_year::BIGINT, 1, 1) THEN {too_old}")
    return "CASE " + " ".join(branches) + " END"


_LATLON = "r.latitude || ', ' || r.longitude"


def _vocab_check(column: str, typed: str, code: str) -> str:
    return f"CASE WHEN r.{column} IS NOT NULL AND {typed} IS NULL THEN {_p(code, column, f'r.{column}')} END"


def _number_check(column: str, typed: str) -> str:
    return (f"CASE WHEN r.{column} IS NOT NULL AND {typed} IS NULL THEN {_p('bad_number', column, f'r.{column}')} "
            f"WHEN {typed} < 0 THEN {_p('negative_number', column, f'r.{column}')} END")


CHECKS = [
    _date_checks("date", "_date", future=True, required=True),
    _date_checks("request_date", "_request_date", future=True, required=False),
    _date_checks("resolution_date", "_resolution_date", future=True, required=False),
    _date_checks("follow_up_due", "_follow_up_due", future=False, required=False),
    f"CASE WHEN _request_date > _date THEN {_p('request_after_engagement', 'request_date', 'r.request_date', 'r.date')} END",
    f"CASE WHEN _resolution_date < _request_date THEN "
    f"{_p('resolution_before_request', 'resolution_date', 'r.resolution_date', 'r.request_date')} END",
    f"CASE WHEN r.counterpart IS NULL THEN {_p('missing_counterpart', 'counterpart')} END",
    f"CASE WHEN r.activity IS NULL THEN {_p('missing_activity', 'activity')} END",
    _vocab_check("activity", "_activity", "unknown_activity"),
    f"CASE WHEN r.outcome IS NULL THEN {_p('missing_outcome', 'outcome')} END",
    _vocab_check("outcome", "_outcome", "unknown_outcome"),
    f"CASE WHEN r.country IS NOT NULL AND _country_iso3 IS NULL THEN {_p('unknown_country', 'country', 'r.country')} "
    f"WHEN r.country IS NULL AND _pcode_iso3 IS NULL THEN {_p('missing_country', 'country')} END",
    f"CASE WHEN r.admin1_pcode IS NOT NULL AND _pcode_given IS NULL AND _iso3 IN (SELECT iso3 FROM admin_areas) "
    f"THEN {_p('unknown_pcode', 'admin1_pcode', 'r.admin1_pcode', 'coalesce(ctry.name, _iso3)')} "
    f"WHEN _pcode_iso3 IS NOT NULL AND _country_iso3 IS NOT NULL AND _pcode_iso3 <> _country_iso3 "
    f"THEN {_p('pcode_country_mismatch', 'admin1_pcode', 'r.admin1_pcode', 'coalesce(pctry.name, _pcode_iso3)')} END",
    _vocab_check("counterpart_type", "_ctype", "unknown_counterpart_type"),
    _vocab_check("counterpart_level", "_level", "unknown_counterpart_level"),
    _vocab_check("channel", "_channel", "unknown_channel"),
    _vocab_check("priority", "_priority", "unknown_priority"),
    _vocab_check("checkpoint_kind", "_ckind", "unknown_checkpoint_kind"),
    _number_check("people_targeted", "_people_targeted"),
    _number_check("people_reached", "_people_reached"),
    _number_check("days_to_resolution", "_days"),
    # Coordinates: format, range, both-or-neither, the GPS no-fix default, then the point-in-country test.
    f"CASE WHEN r.latitude IS NOT NULL AND _lat IS NULL THEN {_p('bad_coordinate', 'latitude', 'r.latitude')} "
    f"WHEN _lat NOT BETWEEN -90 AND 90 THEN {_p('coordinate_out_of_range', 'latitude', 'r.latitude')} END",
    f"CASE WHEN r.longitude IS NOT NULL AND _lon IS NULL THEN {_p('bad_coordinate', 'longitude', 'r.longitude')} "
    f"WHEN _lon NOT BETWEEN -180 AND 180 THEN {_p('coordinate_out_of_range', 'longitude', 'r.longitude')} END",
    f"CASE WHEN r.latitude IS NOT NULL AND r.longitude IS NULL THEN {_p('half_coordinate', 'latitude')} "
    f"WHEN r.longitude IS NOT NULL AND r.latitude IS NULL THEN {_p('half_coordinate', 'longitude')} "
    f"WHEN _lat = 0 AND _lon = 0 THEN {_p('null_island', 'latitude', _LATLON)} END",
    f"CASE WHEN pt.problem IS NOT NULL THEN struct_pack(col := 'latitude'::VARCHAR, "
    f"val := (r.latitude || ', ' || r.longitude)::VARCHAR, code := pt.problem, "
    f"detail := (CASE WHEN pt.detail IS NOT NULL THEN ' (' || pt.detail || ')' ELSE '' END)::VARCHAR) END",
]

CHECKED_SQL = f"""
CREATE OR REPLACE TEMP TABLE checked AS
SELECT r.*, pt.pcode AS _point_pcode, an.pcode AS _name_pcode,
    list_filter([{', '.join(CHECKS)}], x -> x IS NOT NULL) || coalesce(ob.problems, []) AS _problems
FROM stage r
LEFT JOIN countries ctry ON ctry.iso3 = r._iso3
LEFT JOIN countries pctry ON pctry.iso3 = r._pcode_iso3
LEFT JOIN map_point pt ON pt.iso3 = r._iso3 AND pt.lat = r._lat AND pt.lon = r._lon
LEFT JOIN map_admin_name an ON an.iso3 = r._iso3 AND an.raw = r.admin1
LEFT JOIN obstacle_problems ob ON ob._row = r._row AND ob._sheet IS NOT DISTINCT FROM r._sheet
"""

OBSTACLE_PROBLEMS_SQL = """
CREATE OR REPLACE TEMP TABLE obstacle_problems AS
SELECT _row, _sheet,
    list(struct_pack(col := 'obstacles'::VARCHAR, val := label::VARCHAR, code := 'unknown_obstacle',
                     detail := NULL::VARCHAR) ORDER BY label) AS problems
FROM (SELECT _row, _sheet, trim(unnest(regexp_split_to_array(obstacles, $sep))) AS label
      FROM stage_raw WHERE obstacles IS NOT NULL) s
JOIN map_label m ON m.col = 'obstacles' AND m.raw = s.label
WHERE m.code IS NULL
GROUP BY _row, _sheet
"""

RAW_ROW_JSON = "to_json(struct_pack(" + ", ".join(f"{c} := r.{c}" for c in COLUMN_NAMES) + "))"
ROW_HASH = "md5(concat_ws(chr(31), " + ", ".join(f"coalesce(r.{c}, '')" for c in COLUMN_NAMES) + "))"

REJECT_SQL = f"""
INSERT INTO rejected_rows
SELECT $load_id, $file, r._sheet, r._row, coalesce(cn.source, p.col), p.val, p.code,
    replace(replace(replace(rs.problem, '{{column}}', coalesce(cn.source, p.col, '')),
                    '{{detail}}', coalesce(p.detail, '')),
            '{{value}}', coalesce(p.val, '')) || ' ' || rs.fix,
    {RAW_ROW_JSON}
FROM (SELECT *, unnest(_problems) AS p FROM checked WHERE len(_problems) > 0) r
JOIN reasons rs ON rs.code = r.p.code
LEFT JOIN column_names cn ON cn.canonical = r.p.col
"""

GOOD_SQL = f"""
CREATE OR REPLACE TEMP TABLE good AS
SELECT r.*, {ROW_HASH} AS _hash,
    'E-' || upper(substr(md5(CASE WHEN r.engagement_id IS NOT NULL THEN r._iso3 || chr(31) || r.engagement_id
                                  ELSE 'row' || chr(31) || {ROW_HASH} END), 1, 16)) AS _eid
FROM checked r WHERE len(r._problems) = 0
"""

CLASSIFY_SQL = """
CREATE OR REPLACE TEMP TABLE classified AS
SELECT g.*,
    CASE WHEN e.row_hash IS NOT NULL AND e.row_hash = g._hash THEN 'duplicate'
         WHEN e.row_hash IS NOT NULL THEN 'conflict_db'
         WHEN g._rank > 1 AND g._hash = g._first_hash THEN 'duplicate'
         WHEN g._rank > 1 THEN 'conflict_file'
         ELSE 'new' END AS _class,
    CASE WHEN e.row_hash IS NOT NULL THEN 'load ' || e.load_id || ', ' || l.file_name || ' row ' || e.source_row
         ELSE 'row ' || g._first_row || ' of this file' END AS _conflict_detail
FROM (SELECT *, row_number() OVER w AS _rank, first_value(_hash) OVER w AS _first_hash,
             first_value(_row) OVER w AS _first_row
      FROM good WINDOW w AS (PARTITION BY _eid ORDER BY _sheet NULLS FIRST, _row)) g
LEFT JOIN engagements e ON e.engagement_id = g._eid
LEFT JOIN loads l ON l.load_id = e.load_id
"""

CONFLICT_REJECT_SQL = f"""
INSERT INTO rejected_rows
SELECT $load_id, $file, r._sheet, r._row, coalesce(cn.source, 'engagement_id'), r.engagement_id,
    'conflicting_duplicate',
    replace(replace($problem, '{{detail}}', r._conflict_detail), '{{value}}', coalesce(r.engagement_id, '')) || ' '
        || $fix,
    {RAW_ROW_JSON}
FROM classified r LEFT JOIN column_names cn ON cn.canonical = 'engagement_id'
WHERE r._class LIKE 'conflict%'
"""

NEW_SQL = """
CREATE OR REPLACE TEMP TABLE new_rows AS
SELECT c.*, m.counterpart_id AS _cpid, k.checkpoint_id AS _ckid,
    'R-' || upper(substr(md5(CASE WHEN c.request_id IS NOT NULL
                                  THEN c._iso3 || chr(31) || coalesce(lower(c.organisation), '') || chr(31) || c.request_id
                                  ELSE 'e' || c._eid END), 1, 16)) AS _rid
FROM classified c
JOIN map_cp m ON m.iso3 = c._iso3 AND m.raw = c.counterpart
LEFT JOIN map_ck k ON k.iso3 = c._iso3 AND k.raw = c.checkpoint
WHERE c._class = 'new'
"""

INSERT_COUNTERPARTS_SQL = """
INSERT INTO counterparts
SELECT n._cpid, mode(n.counterpart), any_value(m.key), mode(n._ctype), mode(n.counterpart_affiliation),
    mode(n._level), n._iso3, any_value(ctry.region), min(n._date), max(n._date), count(*), $load_id
FROM new_rows n
JOIN map_cp m ON m.counterpart_id = n._cpid AND m.raw = n.counterpart AND m.iso3 = n._iso3
LEFT JOIN countries ctry ON ctry.iso3 = n._iso3
WHERE n._cpid NOT IN (SELECT counterpart_id FROM counterparts)
GROUP BY n._cpid, n._iso3
"""

FILL_COUNTERPARTS_SQL = """
UPDATE counterparts c SET
    counterpart_type = coalesce(c.counterpart_type, s.t),
    affiliation = coalesce(c.affiliation, s.a),
    level = coalesce(c.level, s.l)
FROM (SELECT _cpid, mode(_ctype) AS t, mode(counterpart_affiliation) AS a, mode(_level) AS l
      FROM new_rows GROUP BY _cpid) s
WHERE c.counterpart_id = s._cpid
"""

ALIASES_SQL = """
INSERT INTO counterpart_aliases
SELECT _cpid, counterpart, count(*), $load_id FROM new_rows GROUP BY _cpid, counterpart
ON CONFLICT (counterpart_id, alias) DO UPDATE SET times_seen = counterpart_aliases.times_seen + excluded.times_seen
"""

INSERT_CHECKPOINTS_SQL = """
INSERT INTO checkpoints
SELECT n._ckid, mode(n.checkpoint), any_value(k.key), mode(n._ckind), median(n._lat), median(n._lon), n._iso3,
    mode(coalesce(n._pcode_given, n._point_pcode, n._name_pcode)), NULL, $load_id
FROM new_rows n JOIN map_ck k ON k.checkpoint_id = n._ckid
WHERE n._ckid IS NOT NULL AND n._ckid NOT IN (SELECT checkpoint_id FROM checkpoints)
GROUP BY n._ckid, n._iso3
"""

INSERT_REQUESTS_SQL = """
INSERT INTO access_requests
SELECT _rid, arg_min(request_id, _date), arg_min(organisation, _date), arg_min(_activity, _date),
    min(coalesce(_request_date, _date)), arg_min(location, _date), arg_min(_iso3, _date),
    arg_min(coalesce(_pcode_given, _point_pcode, _name_pcode), _date), max(_people_targeted)::INTEGER,
    arg_min(_priority, _date), $load_id
FROM new_rows
WHERE _rid NOT IN (SELECT request_id FROM access_requests)
GROUP BY _rid
"""

INSERT_ENGAGEMENTS_SQL = """
INSERT INTO engagements
SELECT n._eid, n.engagement_id, n._rid, n._date, n._cpid, n._ckid, n.location, n._iso3,
    coalesce(n._pcode_given, n._point_pcode, ck.admin1_pcode, n._name_pcode), ctry.region,
    coalesce(n._lat, ck.latitude), coalesce(n._lon, ck.longitude),
    n.organisation, n._activity, n._channel, n.intermediary, n._outcome, n._resolution_date,
    coalesce(CASE WHEN n._resolution_date IS NOT NULL AND n._request_date IS NOT NULL
                  THEN date_diff('day', n._request_date, n._resolution_date) END, round(n._days))::INTEGER,
    n._follow_up_due, round(n._people_targeted)::INTEGER, round(n._people_reached)::INTEGER, n.notes,
    n._hash, $load_id, n._row
FROM new_rows n
LEFT JOIN checkpoints ck ON ck.checkpoint_id = n._ckid
LEFT JOIN countries ctry ON ctry.iso3 = n._iso3
"""

INSERT_LABELS_SQL = """
INSERT INTO {table}
SELECT s._eid, m.code, s.label, $load_id
FROM (SELECT _eid, trim(unnest(regexp_split_to_array({column}, $sep))) AS label
      FROM new_rows WHERE {column} IS NOT NULL) s
JOIN map_label m ON m.col = '{column}' AND m.raw = s.label
WHERE s.label <> '' AND m.code IS NOT NULL
"""

REFRESH_COUNTERPARTS_SQL = """
UPDATE counterparts c SET first_seen = s.f, last_seen = s.l, engagements = s.n
FROM (SELECT counterpart_id, min(engagement_date) AS f, max(engagement_date) AS l, count(*) AS n
      FROM engagements WHERE counterpart_id IN (SELECT DISTINCT _cpid FROM new_rows)
      GROUP BY counterpart_id) s
WHERE c.counterpart_id = s.counterpart_id
"""

# The controlling counterpart of a checkpoint: the armed or de facto actor met there most often.
REFRESH_CHECKPOINTS_SQL = """
UPDATE checkpoints ck SET controlling_counterpart_id = s.cp
FROM (SELECT checkpoint_id, arg_max(counterpart_id, score) AS cp
      FROM (SELECT e.checkpoint_id, e.counterpart_id,
                   count(*) + 1000000 * any_value(c.counterpart_type IN ('state_armed_forces', 'nsag', 'militia',
                                                   'police', 'de_facto_authority'))::INTEGER AS score
            FROM engagements e JOIN counterparts c USING (counterpart_id)
            WHERE e.checkpoint_id IN (SELECT DISTINCT _ckid FROM new_rows WHERE _ckid IS NOT NULL)
            GROUP BY e.checkpoint_id, e.counterpart_id)
      GROUP BY checkpoint_id) s
WHERE ck.checkpoint_id = s.checkpoint_id
"""


def _place_points(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    points = con.execute(
        "SELECT DISTINCT _iso3 AS iso3, _lat AS lat, _lon AS lon FROM stage "
        "WHERE _iso3 IS NOT NULL AND _lat BETWEEN -90 AND 90 AND _lon BETWEEN -180 AND 180 "
        "AND NOT (_lat = 0 AND _lon = 0)"
    ).df()
    located = locate_points(load_boundaries(settings.boundaries), points, settings.country_tolerance_km)
    _temp_table(con, "map_point", located,
                {"iso3": V, "lat": "DOUBLE", "lon": "DOUBLE", "pcode": V, "problem": V, "detail": V})
    names = con.execute("SELECT DISTINCT _iso3 AS iso3, admin1 AS raw FROM stage "
                        "WHERE _iso3 IS NOT NULL AND admin1 IS NOT NULL").df()
    areas = con.execute("SELECT pcode, name, iso3 FROM admin_areas WHERE level = 1").df()
    _temp_table(con, "map_admin_name", match_admin_names(areas, names), {"iso3": V, "raw": V, "pcode": V})


def _resolve_names(con: duckdb.DuckDBPyConnection, load_id: int) -> None:
    """Counterpart and checkpoint ids for the new rows; doubtful counterpart pairs to review."""
    raw = con.execute("SELECT DISTINCT _iso3, counterpart FROM classified WHERE _class = 'new'").fetchall()
    rows = [(iso3, name, key := name_key(name), stable_id("CP", iso3, key)) for iso3, name in raw]
    _temp_table(con, "map_cp", pd.DataFrame(rows, columns=["iso3", "raw", "key", "counterpart_id"]),
                {"iso3": V, "raw": V, "key": V, "counterpart_id": V})
    raw_ck = con.execute("SELECT DISTINCT _iso3, checkpoint FROM classified "
                         "WHERE _class = 'new' AND checkpoint IS NOT NULL").fetchall()
    ck_rows = [(iso3, name, key := name_key(name), stable_id("CK", iso3, key)) for iso3, name in raw_ck]
    _temp_table(con, "map_ck", pd.DataFrame(ck_rows, columns=["iso3", "raw", "key", "checkpoint_id"]),
                {"iso3": V, "raw": V, "key": V, "checkpoint_id": V})

    countries = sorted({r[0] for r in rows})
    known = con.execute("SELECT iso3, name_key FROM counterparts WHERE list_contains(?, iso3)",
                        [countries]).fetchall() if countries else []
    pairs = doubtful_pairs([(r[0], r[2]) for r in rows], known)
    if pairs:
        review = pd.DataFrame(
            [(p.iso3, stable_id("CP", p.iso3, p.key_a), stable_id("CP", p.iso3, p.key_b), p.score, load_id)
             for p in pairs], columns=["iso3", "a", "b", "score", "load_id"])
        con.register("_review", review)
        try:
            con.execute("INSERT INTO counterpart_review SELECT iso3, a, b, score, 'pending', load_id FROM _review "
                        "ON CONFLICT DO NOTHING")
        finally:
            con.unregister("_review")


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
    params = {"load_id": load_id, "file": path.name}

    step("normalising values", 0.2)
    date_order = _build_mappings(con, settings)
    con.execute(STAGE_SQL)
    step("placing points on admin areas", 0.35)
    _place_points(con, settings)
    con.execute(OBSTACLE_PROBLEMS_SQL, {"sep": MULTI_SPLIT_SQL})
    step("checking rows", 0.5)
    con.execute(CHECKED_SQL, {"future_days": settings.future_days, "earliest_year": settings.earliest_year})
    _temp_table(con, "reasons", pd.DataFrame(
        [(code, r.problem, r.fix) for code, r in REASONS.items()], columns=["code", "problem", "fix"]),
        {"code": V, "problem": V, "fix": V})
    _temp_table(con, "column_names", pd.DataFrame(
        [(canonical, source) for source, canonical in info.mapping.items()], columns=["canonical", "source"]
        ).drop_duplicates("canonical"), {"canonical": V, "source": V})
    con.execute(REJECT_SQL, params)

    step("finding duplicates", 0.6)
    con.execute(GOOD_SQL)
    con.execute(CLASSIFY_SQL)
    conflict = REASONS["conflicting_duplicate"]
    con.execute(CONFLICT_REJECT_SQL, {**params, "problem": conflict.problem, "fix": conflict.fix})

    step("resolving counterparts and checkpoints", 0.7)
    _resolve_names(con, load_id)
    con.execute(NEW_SQL)
    step("inserting", 0.8)
    lp = {"load_id": load_id}
    con.execute(INSERT_COUNTERPARTS_SQL, lp)
    con.execute(FILL_COUNTERPARTS_SQL)
    con.execute(ALIASES_SQL, lp)
    con.execute(INSERT_CHECKPOINTS_SQL, lp)
    con.execute(INSERT_REQUESTS_SQL, lp)
    con.execute(INSERT_ENGAGEMENTS_SQL, lp)
    for table, column in (("engagement_obstacles", "obstacles"), ("engagement_conditions", "conditions")):
        con.execute(INSERT_LABELS_SQL.format(table=table, column=column), {"load_id": load_id, "sep": MULTI_SPLIT_SQL})
    con.execute(REFRESH_COUNTERPARTS_SQL)
    con.execute(REFRESH_CHECKPOINTS_SQL)

    counts = con.execute("""
        SELECT count(*) FILTER (WHERE _class = 'new'), count(*) FILTER (WHERE _class = 'duplicate')
        FROM classified""").fetchone()
    loaded, duplicates = (int(counts[0]), int(counts[1])) if counts else (0, 0)
    rejected_row = con.execute("SELECT count(DISTINCT (sheet, row_number)) FROM rejected_rows WHERE load_id = ?",
                               [load_id]).fetchone()
    rejected = int(rejected_row[0]) if rejected_row else 0
    reasons = dict(con.execute("SELECT reason_code, count(*) FROM rejected_rows WHERE load_id = ? GROUP BY 1 "
                               "ORDER BY 2 DESC", [load_id]).fetchall())
    if loaded:
        status = "loaded"
    elif rejected and not duplicates:
        status = "all_rejected"
    else:
        status = "nothing_new"
    con.execute(
        "INSERT INTO loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [load_id, str(path), path.name, sha, path.stat().st_size, info.file_format, info.encoding,
         ", ".join(info.sheets) or None, json.dumps(info.mapping, ensure_ascii=False),
         json.dumps(info.ignored + [f"sheet {s}" for s in info.skipped_sheets], ensure_ascii=False), date_order,
         started_at, dt.datetime.now(dt.UTC), status, info.rows, loaded, rejected, duplicates,
         getpass.getuser(), __version__],
    )
    step("done", 1.0)
    return LoadResult(path, status, load_id, info.rows, loaded, rejected, duplicates, reasons=reasons, source=info)
