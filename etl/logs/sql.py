"""The ETL's SQL, in one place: typing, checking, de-duplicating and inserting a staged file.

Everything here runs over the temp table ``stage_raw`` (one VARCHAR column per log column, see
:mod:`etl.logs.readers`) and the small ``map_*`` tables built from distinct values in
:mod:`etl.logs.load`. Values from files are never spliced into SQL: they are data in tables, and the
few settings used are bound parameters (``$name``).

Speed matters (a million rows must load in seconds), so wide tables are materialised as few
times as possible: ``checked`` holds the typed values of every row and a cheap ``_ok`` flag; the
detailed problem list is only built for the rows that failed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from etl.logs.columns import (
    ADMIN_NAME,
    COLUMN_NAMES,
    COLUMNS,
    COORDINATE,
    COUNTRY,
    DATE,
    MULTI,
    NUMBER,
    PCODE,
    TEXT,
    VOCAB,
    Column,
)
from etl.logs.numbers import COORDINATE_PATTERN, PLAIN_COUNT_PATTERN, coordinate_sql

# A row's country: the one given, else the one of its admin-1 P-code (joins of COUNTRY and PCODE columns).
ISO3_OF_ROW = "coalesce(mc.iso3, pc.iso3)"


# Coordinates by the one pattern of etl.logs.numbers; counts through map_number (etl.logs.numbers.parse_number on
# the file's distinct values, by the file's decimal convention), so that SQL and Python read a number alike.
_coord = coordinate_sql


def _typed(c: Column) -> tuple[list[str], list[str]]:
    """The typed values of one log column (``_<name>``, plus a date's problem) and the joins they need."""
    n, raw = c.name, f"r.{c.name}"
    if c.type == DATE:
        return ([f"d_{n}.value AS _{n}", f"d_{n}.problem AS _{n}_problem", f"d_{n}.detail AS _{n}_detail"],
                [f"LEFT JOIN map_date d_{n} ON d_{n}.raw = {raw}"])
    if c.type == VOCAB:
        return [f"v_{n}.code AS _{n}"], [f"LEFT JOIN map_vocab v_{n} ON v_{n}.col = '{n}' AND v_{n}.raw = {raw}"]
    if c.type == NUMBER:
        return ([f"nm_{n}.value AS _{n}", f"nm_{n}.problem AS _{n}_problem", f"nm_{n}.detail AS _{n}_detail"],
                [f"LEFT JOIN map_number nm_{n} ON nm_{n}.raw = {raw}"])
    if c.type == COORDINATE:
        return [f"{_coord(raw)} AS _{n}"], []
    if c.type == COUNTRY:
        return ["mc.iso3 AS _country_iso3"], [f"LEFT JOIN map_country mc ON mc.raw = {raw}"]
    if c.type == PCODE:
        return ["pc.pcode AS _pcode_given", "pc.iso3 AS _pcode_iso3"], [f"LEFT JOIN map_pcode pc ON pc.raw = {raw}"]
    return [], []  # TEXT, MULTI and ADMIN_NAME are read as written (ADMIN_NAME after CHECKED's join)


# Log columns whose typed value ``_<name>`` every later step reads (kept in ``checked``).
TYPED_VALUES = tuple(f"_{c.name}" for c in COLUMNS if c.type in (DATE, VOCAB, NUMBER, COORDINATE))
_TYPED_PARTS = [_typed(c) for c in COLUMNS]
_TYPED_LIST = ",\n    ".join(v for values, _ in _TYPED_PARTS for v in values)
_TYPED_JOINS = "\n".join(j for _, joins in _TYPED_PARTS for j in joins)

# Every row of stage_raw with its values typed through the mapping tables, one part per log column
# (see _typed). Not materialised: it is the inner query of CHECKED and of PROBLEMS.
TYPED_TEMPLATE = f"""
SELECT r.* EXCLUDE (_k) REPLACE (coalesce(r._row, (r._k + $row_offset)::INTEGER) AS _row), r._k AS _key,
    {ISO3_OF_ROW} AS _iso3,
    {_TYPED_LIST}
FROM {{source}} r
{_TYPED_JOINS}
"""
TYPED = TYPED_TEMPLATE.format(source="(SELECT *, rowid AS _k FROM stage_raw)")
# The same, for the rows that failed a check only (to list their problems).
TYPED_FAILED = TYPED_TEMPLATE.format(
    source="(SELECT *, rowid AS _k FROM stage_raw WHERE rowid IN (SELECT _key FROM checked WHERE NOT _ok))")

# Country of each row, for the lean queries below that need nothing else typed.
_ROW_COUNTRY = """
FROM stage_raw r LEFT JOIN map_country mc ON mc.raw = r.country LEFT JOIN map_pcode pc ON pc.raw = r.admin1_pcode
"""

# Distinct points and admin-1 names of the file, for geopandas and name matching in Python.
DISTINCT_POINTS = f"""
SELECT DISTINCT iso3, lat, lon FROM (
    SELECT coalesce(mc.iso3, pc.iso3) AS iso3, {_coord('r.latitude')} AS lat, {_coord('r.longitude')} AS lon
    {_ROW_COUNTRY} WHERE r.latitude IS NOT NULL AND r.longitude IS NOT NULL)
WHERE iso3 IS NOT NULL AND lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180 AND NOT (lat = 0 AND lon = 0)
"""
# The distinct values of the count columns that are not plain digits, with their column: read in Python
# (etl.logs.numbers.parse_number) into map_number. Plain digits, the same in every convention and deciding
# none, are added to map_number by PLAIN_NUMBERS (a cast).
def _plain(col: str) -> str:
    return f"regexp_full_match({col}, '{PLAIN_COUNT_PATTERN}')"



NUMBER_VALUES = " UNION ".join(
    f"SELECT DISTINCT '{c.name}' AS col, {c.name} AS raw FROM stage_raw "  # noqa: S608
    f"WHERE {c.name} IS NOT NULL AND NOT {_plain(c.name)}"
    for c in COLUMNS if c.type == NUMBER) + " ORDER BY raw, col"
PLAIN_NUMBERS = "INSERT INTO map_number SELECT raw, raw::DOUBLE, NULL, NULL FROM (" + " UNION ".join(
    f"SELECT {c.name} AS raw FROM stage_raw WHERE {_plain(c.name)}"  # noqa: S608
    for c in COLUMNS if c.type == NUMBER) + ")"
# One coordinate written with a decimal comma, one with a decimal point, if any: they show the file's convention.
COORDINATE_EXAMPLES = " UNION ALL ".join(
    f"SELECT '{c.name}', min({c.name}) FILTER (contains({c.name}, ',')), min({c.name}) FILTER (contains({c.name}, '.')) "
    f"FROM stage_raw WHERE regexp_full_match({c.name}, '{COORDINATE_PATTERN}')"  # noqa: S608
    for c in COLUMNS if c.type == COORDINATE)
DISTINCT_ADMIN_NAMES = f"""
SELECT DISTINCT coalesce(mc.iso3, pc.iso3) AS iso3, r.admin1 AS raw
{_ROW_COUNTRY} WHERE r.admin1 IS NOT NULL AND coalesce(mc.iso3, pc.iso3) IS NOT NULL
"""


@dataclass(frozen=True)
class Branch:
    """One way a row can be wrong: a condition and the problem it raises."""

    when: str
    code: str  # a REASONS code, or an SQL expression giving one when ``dynamic``
    column: str | None
    value: str = "NULL"
    detail: str = "NULL"
    dynamic: bool = False

    def struct(self) -> str:
        col = "NULL" if self.column is None else f"'{self.column}'"
        code = self.code if self.dynamic else f"'{self.code}'"
        return (f"struct_pack(col := {col}::VARCHAR, val := ({self.value})::VARCHAR, code := {code}::VARCHAR, "
                f"detail := ({self.detail})::VARCHAR)")


_LATLON = "r.latitude || ', ' || r.longitude"
_RANGE = {"latitude": 90, "longitude": 180}


def _missing(c: str, code: str) -> list[Branch]:
    return [Branch(f"r.{c} IS NULL", code, c)]


def _unknown(c: str, code: str) -> list[Branch]:
    """A value given but not in the column's vocabulary (its typed value stayed NULL)."""
    return [Branch(f"r.{c} IS NOT NULL AND _{c} IS NULL", code, c, f"r.{c}")]


# How each check of a declaration (etl.logs.columns.Column.checks) is tested: check name -> the
# branches it adds for a column. ``missing_<column>`` and ``unknown_<column>`` need no entry.
_RULES: dict[str, Callable[[str, str], list[Branch]]] = {
    "date_parse": lambda c, _: [Branch(f"_{c}_problem IS NOT NULL", f"_{c}_problem", c, f"r.{c}", f"_{c}_detail",
                                       dynamic=True)],
    "future_date": lambda c, code: [Branch(f"_{c} > current_date + $future_days::INTEGER", code, c, f"r.{c}")],
    "too_old_date": lambda c, code: [Branch(f"_{c} < make_date($earliest_year::BIGINT, 1, 1)", code, c, f"r.{c}",
                                            "'1 January ' || $earliest_year::VARCHAR")],
    "request_after_engagement": lambda c, code: [Branch(f"_{c} > _date", code, c, f"r.{c}", "r.date")],
    "resolution_before_request": lambda c, code: [Branch(f"_{c} < _request_date", code, c, f"r.{c}",
                                                         "r.request_date")],
    "unknown_country": lambda c, code: [Branch(f"r.{c} IS NOT NULL AND _country_iso3 IS NULL", code, c, f"r.{c}")],
    "missing_country": lambda c, code: [Branch(f"r.{c} IS NULL AND _pcode_iso3 IS NULL", code, c)],
    "unknown_pcode": lambda c, code: [Branch(
        f"r.{c} IS NOT NULL AND _pcode_given IS NULL AND _iso3 IN (SELECT iso3 FROM admin_areas)", code, c,
        f"r.{c}", "(SELECT name FROM countries WHERE iso3 = _iso3)")],
    "pcode_country_mismatch": lambda c, code: [Branch(
        "_pcode_iso3 IS NOT NULL AND _country_iso3 IS NOT NULL AND _pcode_iso3 <> _country_iso3", code, c,
        f"r.{c}", "(SELECT name FROM countries WHERE iso3 = _pcode_iso3)")],
    # Not a number (also "nan", "1e400"), or "12.500" when the file's decimal separator is unknown (map_number).
    "number_parse": lambda c, _: [Branch(f"_{c}_problem IS NOT NULL", f"_{c}_problem", c, f"r.{c}", f"_{c}_detail",
                                         dynamic=True)],
    # Counts are stored as INTEGER: a larger value refuses its row, not the whole file.
    "number_too_large": lambda c, code: [Branch(f"abs(_{c}) > 2147483647", code, c, f"r.{c}")],
    "not_whole_number": lambda c, code: [Branch(f"_{c} <> trunc(_{c})", code, c, f"r.{c}", f"_{c}_detail")],
    "negative_number": lambda c, code: [Branch(f"_{c} < 0", code, c, f"r.{c}")],
    "bad_coordinate": lambda c, code: [Branch(f"r.{c} IS NOT NULL AND _{c} IS NULL", code, c, f"r.{c}")],
    "coordinate_out_of_range": lambda c, code: [Branch(
        f"_{c} NOT BETWEEN -{_RANGE[c]} AND {_RANGE[c]}", code, c, f"r.{c}")],
    # The pair's checks: both or neither, then the GPS no-fix default.
    "half_coordinate": lambda c, code: [Branch("r.latitude IS NOT NULL AND r.longitude IS NULL", code, "latitude"),
                                        Branch("r.longitude IS NOT NULL AND r.latitude IS NULL", code, "longitude")],
    "null_island": lambda c, code: [Branch("_latitude = 0 AND _longitude = 0", code, "latitude", _LATLON)],
    # The point against the row's country (map_point, from etl.geo.areas.locate_points).
    "point_in_country": lambda c, _: [Branch("pt.problem IS NOT NULL", "pt.problem", "latitude", _LATLON,
                                             "CASE WHEN pt.detail IS NOT NULL THEN ' (' || pt.detail || ')' ELSE '' END",
                                             dynamic=True)],
    # Expanded per unknown label by CELL_PROBLEMS; here only so that _any_problem sees it.
    "unknown_obstacle": lambda c, _: [Branch("ob.cell IS NOT NULL", "'unknown_obstacle'", None, dynamic=True)],
}


def _branches(column: Column, name: str) -> list[Branch]:
    if name in _RULES:
        return _RULES[name](column.name, name)
    if name == f"missing_{column.name}":
        return _missing(column.name, name)
    if name == f"unknown_{column.name}" and column.type == VOCAB:
        return _unknown(column.name, name)
    raise ValueError(f"log column {column.name}: no SQL for the check {name!r}. Add it to etl.logs.sql._RULES.")


# Each inner list is one check: its branches are exclusive (the first that holds is reported).
# Made from the declarations, column by column, in the order each column lists its checks.
CHECKS: list[list[Branch]] = [
    [b for name in check for b in _branches(c, name)] for c in COLUMNS for check in c.checks
]


def _any_problem() -> str:
    return " OR ".join(f"coalesce({b.when}, false)" for check in CHECKS for b in check)


def _problem_list() -> str:
    cases = []
    for check in CHECKS:
        if check[0].code == "'unknown_obstacle'":
            continue
        cases.append("CASE " + " ".join(f"WHEN {b.when} THEN {b.struct()}" for b in check) + " END")
    return f"list_filter([{', '.join(cases)}], x -> x IS NOT NULL) || coalesce(ob.problems, [])"


# MD5 of the row's values as a 128-bit number: stable across DuckDB versions (unlike hash()),
# and cheaper to store and compare than its hex text.
ROW_HASH = "md5_number(concat_ws(chr(31), " + ", ".join(f"coalesce({c}, '')" for c in COLUMN_NAMES) + "))"


def short_id(prefix: str, expr: str) -> str:
    """SQL for a 16-hex-digit id from the MD5 of a text expression, e.g. 'E-0A1B...'."""
    return f"'{prefix}-' || lpad(to_hex(md5_number_upper({expr})), 16, '0')"


# Obstacle cells holding labels that are not in the vocabulary, with the problem list each cell
# raises (built from the distinct cells, so it is tiny; rows join to it by cell value).
CELL_PROBLEMS = """
CREATE OR REPLACE TEMP TABLE cell_problems AS
SELECT cell,
    list(struct_pack(col := 'obstacles'::VARCHAR, val := label::VARCHAR, code := 'unknown_obstacle'::VARCHAR,
                     detail := NULL::VARCHAR) ORDER BY label) AS problems
FROM map_cell WHERE col = 'obstacles' AND code IS NULL
GROUP BY cell
"""

_JOINS_AFTER_TYPED = """
LEFT JOIN map_point pt ON pt.iso3 = r._iso3 AND pt.lat = r._latitude AND pt.lon = r._longitude
LEFT JOIN map_admin_name an ON an.iso3 = r._iso3 AND an.raw = r.admin1
LEFT JOIN cell_problems ob ON ob.cell = r.obstacles
"""

# A request is identified by country, organisation and the logged request id; a row without a
# request id is a request of its own.
_REQUEST_KEY = ("CASE WHEN r.request_id IS NOT NULL THEN r._iso3 || chr(31) || coalesce(lower(r.organisation), '') "
                "|| chr(31) || r.request_id ELSE 'E' || coalesce(r.engagement_id, r._hash::VARCHAR) END")

# The one wide materialisation: typed values of every row, a row hash, the engagement id, and
# whether the row passed every check.
CHECKED = f"""
CREATE OR REPLACE TEMP TABLE checked AS
SELECT r._key, r._row, r._sheet, r._iso3, {", ".join(f"r.{v}" for v in TYPED_VALUES)},
    coalesce(r._pcode_given, pt.pcode) AS _pcode_direct, an.pcode AS _name_pcode,
    r._hash,
    CASE WHEN r.engagement_id IS NOT NULL THEN {short_id('E', "r._iso3 || chr(31) || r.engagement_id")}
         ELSE 'E-' || lpad(to_hex((r._hash >> 64)::UBIGINT), 16, '0') END AS _eid,
    {short_id('R', _REQUEST_KEY)} AS _rid,
    m.counterpart_id AS _cpid, k.checkpoint_id AS _ckid, ctry.region AS _region,
    ($load_id::BIGINT << 32) + r._key AS _ekey,
    NOT ({_any_problem()}) AS _ok
FROM (SELECT *, {ROW_HASH} AS _hash FROM ({TYPED})) r
{_JOINS_AFTER_TYPED}
LEFT JOIN map_cp m ON m.iso3 = r._iso3 AND m.raw = r.counterpart
LEFT JOIN map_ck k ON k.iso3 = r._iso3 AND k.raw = r.checkpoint
LEFT JOIN countries ctry ON ctry.iso3 = r._iso3
"""

RAW_ROW_JSON = "to_json(struct_pack(" + ", ".join(f"{c} := r.{c}" for c in COLUMN_NAMES) + "))"

# Problems of the failed rows only, one rejected_rows entry per problem.
REJECT = f"""
INSERT INTO rejected_rows
SELECT $load_id, $file, r._sheet, r._row, coalesce(cn.source, r.p.col), r.p.val, r.p.code,
    replace(replace(replace(rs.problem, '{{column}}', coalesce(cn.source, r.p.col, '')),
                    '{{detail}}', coalesce(r.p.detail, '')),
            '{{value}}', coalesce(r.p.val, '')) || ' ' || rs.fix,
    r.raw_json
FROM (SELECT r._sheet, r._row, unnest({_problem_list()}) AS p, {RAW_ROW_JSON} AS raw_json
      FROM ({TYPED_FAILED}) r
      {_JOINS_AFTER_TYPED}) r
JOIN reasons rs ON rs.code = r.p.code
LEFT JOIN column_names cn ON cn.canonical = r.p.col
"""

# Rows that passed the checks but are already known: the same engagement id in the database or
# earlier in the file. Same values: a duplicate, skipped. Different values: a conflict, rejected.
SKIP = """
CREATE OR REPLACE TEMP TABLE skip AS
WITH g AS (SELECT _key, _row, _sheet, _eid, _hash FROM checked WHERE _ok),
db AS (SELECT g._key, CASE WHEN e.row_hash = g._hash THEN 'duplicate' ELSE 'conflict' END AS _class,
              'load ' || e.load_id || ', ' || l.file_name || ' row ' || e.source_row AS _detail
       FROM g JOIN engagements e ON e.engagement_id = g._eid LEFT JOIN loads l ON l.load_id = e.load_id),
multi AS (SELECT _eid FROM g GROUP BY _eid HAVING count(*) > 1),
ranked AS (SELECT g.*, row_number() OVER w AS rn, first_value(_hash) OVER w AS fh, first_value(_row) OVER w AS fr
           FROM g SEMI JOIN multi ON multi._eid = g._eid
           WINDOW w AS (PARTITION BY g._eid ORDER BY g._sheet NULLS FIRST, g._row))
SELECT * FROM db
UNION ALL
SELECT r._key, CASE WHEN r._hash = r.fh THEN 'duplicate' ELSE 'conflict' END, 'row ' || r.fr || ' of this file'
FROM ranked r ANTI JOIN db ON db._key = r._key
WHERE r.rn > 1
"""

CONFLICT_REJECT = f"""
INSERT INTO rejected_rows
SELECT $load_id, $file, c._sheet, c._row, coalesce(cn.source, 'engagement_id'), r.engagement_id,
    'conflicting_duplicate',
    replace(replace($problem, '{{detail}}', s._detail), '{{value}}', coalesce(r.engagement_id, '')) || ' ' || $fix,
    {RAW_ROW_JSON}
FROM skip s JOIN stage_raw r ON r.rowid = s._key JOIN checked c ON c._key = s._key
LEFT JOIN column_names cn ON cn.canonical = 'engagement_id'
WHERE s._class = 'conflict'
"""

# Distinct (country, name) of the file, for name resolution in Python before CHECKED.
_NAMES = """
SELECT DISTINCT coalesce(mc.iso3, pc.iso3) AS iso3, r.{col} AS raw
FROM stage_raw r LEFT JOIN map_country mc ON mc.raw = r.country LEFT JOIN map_pcode pc ON pc.raw = r.admin1_pcode
WHERE r.{col} IS NOT NULL AND coalesce(mc.iso3, pc.iso3) IS NOT NULL
"""
COUNTERPART_NAMES = _NAMES.format(col="counterpart")
CHECKPOINT_NAMES = _NAMES.format(col="checkpoint")
MAP_PCODE = """
CREATE OR REPLACE TEMP TABLE map_pcode AS
SELECT DISTINCT r.admin1_pcode AS raw, a.pcode, a.iso3
FROM stage_raw r JOIN admin_areas a ON a.pcode = upper(trim(r.admin1_pcode)) AND a.level = 1
"""

# The rows to insert: passed every check and not already known. A view: each insert reads it.
# The raw text columns come from stage_raw by row id rather than being copied into `checked`
# (copying wide text columns is the most expensive thing a load could do).
RAW_TEXT = tuple(c.name for c in COLUMNS if c.type in (TEXT, MULTI) and c.stored)
NEW_ROWS = f"""
CREATE OR REPLACE TEMP VIEW new_rows AS
SELECT c.*, {', '.join(f'r.{col}' for col in RAW_TEXT)}
FROM checked c JOIN stage_raw r ON r.rowid = c._key
ANTI JOIN skip s ON s._key = c._key
WHERE c._ok
"""

INSERT_COUNTERPARTS = """
INSERT INTO counterparts
SELECT n._cpid, mode(n.counterpart), any_value(m.key), mode(n._counterpart_type), mode(n.counterpart_affiliation),
    mode(n._counterpart_level), n._iso3, any_value(ctry.region), min(n._date), max(n._date), count(*), $load_id
FROM new_rows n
JOIN map_cp m ON m.iso3 = n._iso3 AND m.raw = n.counterpart
LEFT JOIN countries ctry ON ctry.iso3 = n._iso3
WHERE n._cpid NOT IN (SELECT counterpart_id FROM counterparts)
GROUP BY n._cpid, n._iso3
"""

FILL_COUNTERPARTS = """
UPDATE counterparts c SET
    counterpart_type = coalesce(c.counterpart_type, s.t),
    affiliation = coalesce(c.affiliation, s.a),
    level = coalesce(c.level, s.l)
FROM (SELECT _cpid, mode(_counterpart_type) AS t, mode(counterpart_affiliation) AS a, mode(_counterpart_level) AS l
      FROM new_rows GROUP BY _cpid) s
WHERE c.counterpart_id = s._cpid AND (c.counterpart_type IS NULL OR c.affiliation IS NULL OR c.level IS NULL)
"""

# MERGE rather than ON CONFLICT: the warehouse (DuckLake) has no key to conflict on.
ALIASES = """
MERGE INTO counterpart_aliases a
USING (SELECT _cpid, counterpart, count(*) AS n FROM new_rows GROUP BY _cpid, counterpart) s
ON a.counterpart_id = s._cpid AND a.alias = s.counterpart
WHEN MATCHED THEN UPDATE SET times_seen = a.times_seen + s.n
WHEN NOT MATCHED THEN INSERT VALUES (s._cpid, s.counterpart, s.n, $load_id)
"""

INSERT_CHECKPOINTS = """
INSERT INTO checkpoints
SELECT n._ckid, mode(n.checkpoint), any_value(k.key), mode(n._checkpoint_kind), median(n._latitude),
    median(n._longitude), n._iso3,
    mode(coalesce(n._pcode_direct, n._name_pcode)), NULL, $load_id
FROM new_rows n JOIN map_ck k ON k.iso3 = n._iso3 AND k.raw = n.checkpoint
WHERE n._ckid IS NOT NULL AND n._ckid NOT IN (SELECT checkpoint_id FROM checkpoints)
GROUP BY n._ckid, n._iso3
"""

# A request's attributes come from its first engagement: one arg_min over a struct rather than
# one per column (the grouping is by far the largest in a load).
INSERT_REQUESTS = """
INSERT INTO access_requests
SELECT _rid, f.request_id, f.organisation, f.activity, first_date, f.location, f.iso3, f.pcode, people, f.priority,
       $load_id
FROM (SELECT _rid,
             arg_min(struct_pack(request_id := request_id, organisation := organisation, activity := _activity,
                                 location := location, iso3 := _iso3,
                                 pcode := coalesce(_pcode_direct, _name_pcode), priority := _priority), _date) AS f,
             min(coalesce(_request_date, _date)) AS first_date, max(_people_targeted)::INTEGER AS people
      FROM new_rows
      WHERE _rid NOT IN (SELECT request_id FROM access_requests)
      GROUP BY _rid)
"""

# An engagement's admin-1 P-code: given or from its point, else its checkpoint's, else from the
# admin-1 name. Shared by the engagement and label inserts so that both hold the same value.
_ADMIN1 = "coalesce(n._pcode_direct, ck.admin1_pcode, n._name_pcode)"

# Values of the engagements columns that are not one log column's typed value: ids, place, provenance.
_ENGAGEMENT_DERIVED = {
    "engagement_id": "n._eid",
    "request_id": "n._rid",
    "counterpart_id": "n._cpid",
    "checkpoint_id": "n._ckid",
    "iso3": "n._iso3",
    "admin1_pcode": _ADMIN1,
    "region": "n._region",
    "row_hash": "n._hash",
    "load_id": "$load_id",
    "source_row": "n._row",
    "engagement_key": "n._ekey",
    "request_key": "(hash(n._rid) >> 1)::BIGINT",
}
# Log columns whose stored value is more than their typed value (a checkpoint's position when the row
# has none; the days between the two dates when both are given).
_ENGAGEMENT_VALUE = {
    "latitude": "coalesce(n._latitude, ck.latitude)",
    "longitude": "coalesce(n._longitude, ck.longitude)",
    "days_to_resolution": ("coalesce(CASE WHEN n._resolution_date IS NOT NULL AND n._request_date IS NOT NULL "
                           "THEN date_diff('day', n._request_date, n._resolution_date) END, "
                           "round(n._days_to_resolution))::INTEGER"),
}


def _engagement_value(c: Column) -> str:
    """SQL (over ``new_rows n``) for the engagements column a log column fills."""
    if c.name in _ENGAGEMENT_VALUE:
        return _ENGAGEMENT_VALUE[c.name]
    if c.type in (TEXT, MULTI):
        return f"n.{c.name}"
    if c.type == NUMBER:
        return f"round(n._{c.name})::INTEGER"
    return f"n._{c.name}"


# engagements column -> value: every log column stored in engagements (by its declaration), then the
# derived ones. A column both declare (iso3, admin1_pcode: resolved from several log columns) takes the
# derived value.
ENGAGEMENT_VALUES: dict[str, str] = {
    **{c.engagements_column: _engagement_value(c) for c in COLUMNS
       if c.engagements_column and c.type not in (COUNTRY, PCODE, ADMIN_NAME)},
    **_ENGAGEMENT_DERIVED,
}

INSERT_ENGAGEMENTS = f"""
INSERT INTO engagements ({", ".join(ENGAGEMENT_VALUES)})
SELECT {", ".join(ENGAGEMENT_VALUES.values())}
FROM new_rows n
LEFT JOIN checkpoints ck ON ck.checkpoint_id = n._ckid
"""


def insert_labels(table: str, column: str) -> str:
    """INSERT for engagement_obstacles / engagement_conditions: rows join their cell's labels.

    The engagement's filter columns (date, place, activity, organisation, outcome) are copied
    onto each label row, as inserted in ``engagements``, so the dashboard filters and groups
    obstacles and conditions without joining millions of engagements (about 3x faster). They are
    taken from ``new_rows`` with the same expressions as :data:`INSERT_ENGAGEMENTS` rather than
    by joining ``engagements`` back: that join scanned the whole, growing table once per file and
    label column (about a second per million rows).
    """
    return f"""
INSERT INTO {table}
SELECT n._ekey, m.code, m.label, $load_id,
    n._date, n._region, n._iso3, {_ADMIN1}, n._ckid, n._activity, n.organisation, n._outcome
FROM new_rows n JOIN map_cell m ON m.col = '{column}' AND m.cell = n.{column}
LEFT JOIN checkpoints ck ON ck.checkpoint_id = n._ckid
WHERE m.code IS NOT NULL
"""


def distinct_cells(column: str) -> str:
    return f"SELECT DISTINCT {column} FROM stage_raw WHERE {column} IS NOT NULL"  # noqa: S608 - fixed names


# Counterparts and checkpoints a command touched: their summary columns are refreshed once, after
# the last file, rather than after each file.
TOUCHED = """
CREATE TEMP TABLE IF NOT EXISTS touched_counterparts (counterpart_id VARCHAR);
CREATE TEMP TABLE IF NOT EXISTS touched_checkpoints (checkpoint_id VARCHAR);
INSERT INTO touched_counterparts SELECT DISTINCT _cpid FROM new_rows;
INSERT INTO touched_checkpoints SELECT DISTINCT _ckid FROM new_rows WHERE _ckid IS NOT NULL;
"""

COUNTS = """
SELECT (SELECT count(*) FROM new_rows), (SELECT count(*) FROM skip WHERE _class = 'duplicate'),
       (SELECT count(DISTINCT (sheet, row_number)) FROM rejected_rows WHERE load_id = $load_id)
"""
