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

from dataclasses import dataclass

from etl.logs.columns import COLUMN_NAMES


def _num(col: str) -> str:
    return f"TRY_CAST(regexp_replace({col}, '[\\s,]', '', 'g') AS DOUBLE)"


def _coord(col: str) -> str:
    return (f"TRY_CAST(CASE WHEN contains({col}, ',') AND NOT contains({col}, '.') "
            f"THEN replace({col}, ',', '.') ELSE {col} END AS DOUBLE)")


# Every row of stage_raw with its values typed through the mapping tables. Not materialised:
# it is the inner query of CHECKED and of PROBLEMS.
TYPED_TEMPLATE = f"""
SELECT r.* EXCLUDE (_k) REPLACE (coalesce(r._row, (r._k + $row_offset)::INTEGER) AS _row), r._k AS _key,
    coalesce(mc.iso3, pc.iso3) AS _iso3, mc.iso3 AS _country_iso3,
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
FROM {{source}} r
LEFT JOIN map_country mc ON mc.raw = r.country
LEFT JOIN map_pcode pc ON pc.raw = r.admin1_pcode
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


def _date_branches(column: str, typed: str, *, future: bool, required: bool) -> list[Branch]:
    out = []
    if required:
        out.append(Branch(f"r.{column} IS NULL", "missing_date", column))
    out.append(Branch(f"{typed}_problem IS NOT NULL", f"{typed}_problem", column, f"r.{column}", f"{typed}_detail",
                      dynamic=True))
    if future:
        out.append(Branch(f"{typed} > current_date + $future_days::INTEGER", "future_date", column, f"r.{column}"))
    out.append(Branch(f"{typed} < make_date($earliest_year::BIGINT, 1, 1)", "too_old_date", column, f"r.{column}",
                      "'1 January ' || $earliest_year::VARCHAR"))
    return out


def _vocab_branch(column: str, typed: str, code: str) -> list[Branch]:
    return [Branch(f"r.{column} IS NOT NULL AND {typed} IS NULL", code, column, f"r.{column}")]


def _number_branches(column: str, typed: str) -> list[Branch]:
    return [Branch(f"r.{column} IS NOT NULL AND {typed} IS NULL", "bad_number", column, f"r.{column}"),
            Branch(f"{typed} < 0", "negative_number", column, f"r.{column}")]


_LATLON = "r.latitude || ', ' || r.longitude"

# Each inner list is one check: its branches are exclusive (the first that holds is reported).
CHECKS: list[list[Branch]] = [
    _date_branches("date", "_date", future=True, required=True),
    _date_branches("request_date", "_request_date", future=True, required=False),
    _date_branches("resolution_date", "_resolution_date", future=True, required=False),
    _date_branches("follow_up_due", "_follow_up_due", future=False, required=False),
    [Branch("_request_date > _date", "request_after_engagement", "request_date", "r.request_date", "r.date")],
    [Branch("_resolution_date < _request_date", "resolution_before_request", "resolution_date",
            "r.resolution_date", "r.request_date")],
    [Branch("r.counterpart IS NULL", "missing_counterpart", "counterpart")],
    [Branch("r.activity IS NULL", "missing_activity", "activity")],
    _vocab_branch("activity", "_activity", "unknown_activity"),
    [Branch("r.outcome IS NULL", "missing_outcome", "outcome")],
    _vocab_branch("outcome", "_outcome", "unknown_outcome"),
    [Branch("r.country IS NOT NULL AND _country_iso3 IS NULL", "unknown_country", "country", "r.country"),
     Branch("r.country IS NULL AND _pcode_iso3 IS NULL", "missing_country", "country")],
    [Branch("r.admin1_pcode IS NOT NULL AND _pcode_given IS NULL AND _iso3 IN (SELECT iso3 FROM admin_areas)",
            "unknown_pcode", "admin1_pcode", "r.admin1_pcode",
            "(SELECT name FROM countries WHERE iso3 = _iso3)"),
     Branch("_pcode_iso3 IS NOT NULL AND _country_iso3 IS NOT NULL AND _pcode_iso3 <> _country_iso3",
            "pcode_country_mismatch", "admin1_pcode", "r.admin1_pcode",
            "(SELECT name FROM countries WHERE iso3 = _pcode_iso3)")],
    _vocab_branch("counterpart_type", "_ctype", "unknown_counterpart_type"),
    _vocab_branch("counterpart_level", "_level", "unknown_counterpart_level"),
    _vocab_branch("channel", "_channel", "unknown_channel"),
    _vocab_branch("priority", "_priority", "unknown_priority"),
    _vocab_branch("checkpoint_kind", "_ckind", "unknown_checkpoint_kind"),
    _number_branches("people_targeted", "_people_targeted"),
    _number_branches("people_reached", "_people_reached"),
    _number_branches("days_to_resolution", "_days"),
    # Coordinates: format, range, both-or-neither, the GPS no-fix default, then the country test.
    [Branch("r.latitude IS NOT NULL AND _lat IS NULL", "bad_coordinate", "latitude", "r.latitude"),
     Branch("_lat NOT BETWEEN -90 AND 90", "coordinate_out_of_range", "latitude", "r.latitude")],
    [Branch("r.longitude IS NOT NULL AND _lon IS NULL", "bad_coordinate", "longitude", "r.longitude"),
     Branch("_lon NOT BETWEEN -180 AND 180", "coordinate_out_of_range", "longitude", "r.longitude")],
    [Branch("r.latitude IS NOT NULL AND r.longitude IS NULL", "half_coordinate", "latitude"),
     Branch("r.longitude IS NOT NULL AND r.latitude IS NULL", "half_coordinate", "longitude"),
     Branch("_lat = 0 AND _lon = 0", "null_island", "latitude", _LATLON)],
    [Branch("pt.problem IS NOT NULL", "pt.problem", "latitude", _LATLON,
            "CASE WHEN pt.detail IS NOT NULL THEN ' (' || pt.detail || ')' ELSE '' END", dynamic=True)],
    [Branch("ob.cell IS NOT NULL", "'unknown_obstacle'", None, dynamic=True)],  # expanded per label below
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
LEFT JOIN map_point pt ON pt.iso3 = r._iso3 AND pt.lat = r._lat AND pt.lon = r._lon
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
SELECT r._key, r._row, r._sheet, r._iso3, r._date, r._request_date, r._resolution_date, r._follow_up_due, r._outcome, r._activity, r._ctype,
    r._level, r._channel, r._priority, r._ckind, r._people_targeted, r._people_reached, r._days, r._lat, r._lon,
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
ISO3_OF_ROW = "coalesce(mc.iso3, pc.iso3)"
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
RAW_TEXT = ("engagement_id", "request_id", "organisation", "location", "checkpoint", "counterpart",
            "counterpart_affiliation", "intermediary", "notes", "obstacles", "conditions")
NEW_ROWS = f"""
CREATE OR REPLACE TEMP VIEW new_rows AS
SELECT c.*, {', '.join(f'r.{col}' for col in RAW_TEXT)}
FROM checked c JOIN stage_raw r ON r.rowid = c._key
ANTI JOIN skip s ON s._key = c._key
WHERE c._ok
"""

INSERT_COUNTERPARTS = """
INSERT INTO counterparts
SELECT n._cpid, mode(n.counterpart), any_value(m.key), mode(n._ctype), mode(n.counterpart_affiliation),
    mode(n._level), n._iso3, any_value(ctry.region), min(n._date), max(n._date), count(*), $load_id
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
FROM (SELECT _cpid, mode(_ctype) AS t, mode(counterpart_affiliation) AS a, mode(_level) AS l
      FROM new_rows GROUP BY _cpid) s
WHERE c.counterpart_id = s._cpid AND (c.counterpart_type IS NULL OR c.affiliation IS NULL OR c.level IS NULL)
"""

ALIASES = """
INSERT INTO counterpart_aliases
SELECT _cpid, counterpart, count(*), $load_id FROM new_rows GROUP BY _cpid, counterpart
ON CONFLICT (counterpart_id, alias) DO UPDATE SET times_seen = counterpart_aliases.times_seen + excluded.times_seen
"""

INSERT_CHECKPOINTS = """
INSERT INTO checkpoints
SELECT n._ckid, mode(n.checkpoint), any_value(k.key), mode(n._ckind), median(n._lat), median(n._lon), n._iso3,
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

INSERT_ENGAGEMENTS = f"""
INSERT INTO engagements
SELECT n._eid, n.engagement_id, n._rid, n._date, n._cpid, n._ckid, n.location, n._iso3,
    {_ADMIN1}, n._region,
    coalesce(n._lat, ck.latitude), coalesce(n._lon, ck.longitude),
    n.organisation, n._activity, n._channel, n.intermediary, n._outcome, n._resolution_date,
    coalesce(CASE WHEN n._resolution_date IS NOT NULL AND n._request_date IS NOT NULL
                  THEN date_diff('day', n._request_date, n._resolution_date) END, round(n._days))::INTEGER,
    n._follow_up_due, round(n._people_targeted)::INTEGER, round(n._people_reached)::INTEGER, n.notes,
    n._hash, $load_id, n._row, n._ekey, n.counterpart, (hash(n._rid) >> 1)::BIGINT
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


REFRESH_COUNTERPARTS = """
UPDATE counterparts c SET first_seen = s.f, last_seen = s.l, engagements = s.n
FROM (SELECT counterpart_id, min(engagement_date) AS f, max(engagement_date) AS l, count(*) AS n
      FROM engagements WHERE counterpart_id IN (SELECT counterpart_id FROM touched_counterparts)
      GROUP BY counterpart_id) s
WHERE c.counterpart_id = s.counterpart_id
"""

# The controlling counterpart of a checkpoint: the armed or de facto actor met there most often
# (any counterpart when no armed actor was ever met there); on a tie, the one met last, then the
# greatest id, so that the same data always names the same controller.
REFRESH_CHECKPOINTS = """
UPDATE checkpoints ck SET controlling_counterpart_id = s.cp
FROM (SELECT checkpoint_id, arg_max(counterpart_id, (score, last_met, counterpart_id)) AS cp
      FROM (SELECT e.checkpoint_id, e.counterpart_id, max(e.engagement_date) AS last_met,
                   count(*) + 1000000 * any_value(c.counterpart_type IN ('state_armed_forces', 'nsag', 'militia',
                                                   'police', 'de_facto_authority'))::INTEGER AS score
            FROM engagements e JOIN counterparts c USING (counterpart_id)
            WHERE e.checkpoint_id IN (SELECT checkpoint_id FROM touched_checkpoints)
            GROUP BY e.checkpoint_id, e.counterpart_id)
      GROUP BY checkpoint_id) s
WHERE ck.checkpoint_id = s.checkpoint_id
"""

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
