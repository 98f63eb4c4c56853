"""All the dashboard's SQL, in one place. Every aggregate is computed in DuckDB.

Each function returns ``(sql, params)``. Filter conditions come from :meth:`Filters.where`,
which only produces fixed SQL with ``?`` placeholders: user values are always bound
parameters, never part of the SQL text. Page code never writes SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Literal

from dashboard import registry
from dashboard.db import alerts as alerts_db
from dashboard.db import change_queries
from dashboard.db import conflict_queries as conflict
from dashboard.db import freshness_queries as freshness
from dashboard.db import profile_queries as profile
from dashboard.db.outcomes import IS_DENIED, IS_GRANTED, Query
from etl.config import get_settings
from etl.counterparts import queries as counterpart_sql

if TYPE_CHECKING:
    from dashboard.db.filters import Filters
    from dashboard.db.periods import Grain


DATE_BOUNDS = "SELECT min(engagement_date) AS first, max(engagement_date) AS last FROM engagements"

FILTER_OPTIONS = """
SELECT 'region' AS kind, region AS value, region AS label, NULL AS parent FROM
    (SELECT DISTINCT region FROM engagements WHERE region IS NOT NULL)
UNION ALL
SELECT 'country', c.iso3, c.name, c.region FROM countries c WHERE c.iso3 IN (SELECT DISTINCT iso3 FROM engagements)
UNION ALL
SELECT 'area', a.pcode, a.name || ', ' || coalesce(c.name, a.iso3), a.iso3 FROM admin_areas a
    LEFT JOIN countries c ON c.iso3 = a.iso3
    WHERE a.level = 1 AND a.pcode IN (SELECT DISTINCT admin1_pcode FROM engagements)
UNION ALL
SELECT 'activity', code, label, NULL FROM vocabulary WHERE vocabulary = 'activity'
UNION ALL
SELECT 'organisation', organisation, organisation, NULL FROM
    (SELECT DISTINCT organisation FROM engagements WHERE organisation IS NOT NULL)
ORDER BY kind, label
"""

LABELS = "SELECT vocabulary, code, label FROM vocabulary"
# Whether a checkpoint id from the page address is one the user may see (the view holds only those).
CHECKPOINT_IN_REACH = "SELECT name FROM checkpoints WHERE checkpoint_id = ?"

STORED_SCHEMA_VERSION = """
SELECT max(value) AS version FROM schema_info WHERE key = 'schema_version'
"""

# ----------------------------------------------------------------------------------- Trends


def headline(f: Filters) -> Query:
    """Headline figures for the filtered period: volume, shares, delay, people reached and not.

    Engagement figures come from one plain scan; request figures from a second scan grouped by
    request (a request's people are counted once, with its latest answer). The grouping is on the
    integer ``request_key`` and carries only what needs it: it is most of the page's time at 10M rows.
    """
    where, params = f.where()
    sql = f"""
    SELECT t.n AS engagements, r.requests, t.granted / t.n AS share_granted, t.denied / t.n AS share_denied,
           t.median_days, r.people_reached, r.people_without_access
    FROM (SELECT count(*) AS n, sum({IS_GRANTED}) AS granted, sum({IS_DENIED}) AS denied,
                 median(e.days_to_resolution) AS median_days
          FROM engagements e WHERE {where}) t,
         (SELECT count(*) AS requests, sum(reached) AS people_reached,
                 sum(CASE WHEN NOT final_granted THEN greatest(coalesce(targeted, 0) - coalesce(reached, 0), 0) END)
                     AS people_without_access
          FROM (SELECT e.request_key, arg_max(e.outcome = 'granted', e.engagement_date) AS final_granted,
                       max(e.people_targeted) AS targeted, max(e.people_reached) AS reached
                FROM engagements e WHERE {where} GROUP BY e.request_key)) r
    """
    return sql, params + params


def monthly_outcomes(f: Filters, grain: Grain = "month") -> Query:
    """Engagements per outcome and per month (column ``month``) or per week starting Monday (column ``week``):
    ``Filters.grain`` is the one that fits the period."""
    if grain not in ("month", "week"):  # the column name is SQL text: only these two
        raise ValueError(f"grain must be 'month' or 'week', not {grain!r}")
    where, params = f.where()
    return f"""
    SELECT date_trunc('{grain}', e.engagement_date)::DATE AS {grain}, e.outcome, count(*) AS engagements
    FROM engagements e WHERE {where} GROUP BY ALL ORDER BY {grain}, outcome
    """, params


def _compare(f: Filters) -> tuple[str, list[object]]:
    """Rows of the current and the comparison period (``f.previous()``), flagged ``cur``; filters other than
    dates apply. The comparison period need not touch this one (1-14 Sep against 1-14 Oct)."""
    where, params = f.where(dates=False)
    prev = f.previous()
    sql = f"""
    SELECT e.*, e.engagement_date >= ? AS cur FROM engagements e
    WHERE (e.engagement_date BETWEEN ? AND ? OR e.engagement_date BETWEEN ? AND ?) AND {where}
    """
    return sql, [f.start, prev.start, prev.end, f.start, f.end, *params]


def by_region(f: Filters) -> Query:
    """Regions side by side, with the change in denial rate against the previous period.

    When the previous period is counted by month (:attr:`Filters.counted_by_month`), its engagements and denials
    per region are sums of ``engagement_months`` rows (etl/store/rollups.py) and only this period's engagements
    are read (the shares and the median need them): the same figures, in about 0.6 of the time at 1M rows.
    """
    prev = f.previous()
    if not prev.counted_by_month:
        base, params = _compare(f)
        return f"""
        SELECT coalesce(region, 'Other') AS region,
               count(*) FILTER (WHERE cur) AS engagements,
               avg({IS_GRANTED}) FILTER (WHERE cur) AS share_granted,
               avg({IS_DENIED}) FILTER (WHERE cur) AS share_denied,
               avg({IS_DENIED}) FILTER (WHERE NOT cur) AS share_denied_before,
               median(days_to_resolution) FILTER (WHERE cur) AS median_days,
               count(*) FILTER (WHERE NOT cur) AS engagements_before
        FROM ({base}) e GROUP BY ALL HAVING count(*) FILTER (WHERE cur) > 0 ORDER BY engagements DESC
        """, params
    where, params = f.where()
    where_m, params_m = f.where("m", dates=False)
    return f"""
    SELECT c.region, c.engagements, c.share_granted, c.share_denied, b.denied / b.n AS share_denied_before,
           c.median_days, coalesce(b.n, 0) AS engagements_before
    FROM (SELECT coalesce(e.region, 'Other') AS region, count(*) AS engagements, avg({IS_GRANTED}) AS share_granted,
                 avg({IS_DENIED}) AS share_denied, median(e.days_to_resolution) AS median_days
          FROM engagements e WHERE {where} GROUP BY ALL) c
    LEFT JOIN (SELECT coalesce(m.region, 'Other') AS region, sum(m.engagements)::BIGINT AS n, sum(m.denied) AS denied
               FROM engagement_months m WHERE m.month BETWEEN ? AND ? AND {where_m} GROUP BY ALL) b USING (region)
    ORDER BY c.engagements DESC
    """, [*params, prev.start, prev.end, *params_m]


# ---------------------------------------------------------------------------------- Obstacles


def obstacles_monthly(f: Filters) -> Query:
    where, params = f.where("o")
    return f"""
    SELECT date_trunc('month', o.engagement_date)::DATE AS month, c.name AS category, c.number, count(*) AS obstacles
    FROM engagement_obstacles o JOIN obstacle_categories c ON c.category = o.category
    WHERE {where} GROUP BY ALL ORDER BY month, number
    """, params


def obstacles_by_region(f: Filters) -> Query:
    where, params = f.where()
    where_o, params_o = f.where("o")
    return f"""
    SELECT coalesce(o.region, 'Other') AS region, c.name AS category, c.number, count(*) AS obstacles,
           count(*) / any_value(t.n) AS per_engagement
    FROM engagement_obstacles o JOIN obstacle_categories c ON c.category = o.category
    JOIN (SELECT coalesce(region, 'Other') AS region, count(*) AS n FROM engagements e WHERE {where} GROUP BY 1) t
      ON t.region = coalesce(o.region, 'Other')
    WHERE {where_o} GROUP BY ALL ORDER BY region, number
    """, params + params_o


def recurring_obstacles(f: Filters, level: Literal["checkpoint", "area"] = "checkpoint", limit: int = 25,
                        min_obstacles: int = 0) -> Query:
    """The same category at the same place month after month, ranked by its longest monthly streak.

    ``obstacles``: how many obstacles of the category were logged there; only rows of at least
    ``min_obstacles`` (a pseudonymised view lists none of fewer than ``small_cell_k``).
    """
    key = "o.checkpoint_id" if level == "checkpoint" else "o.admin1_pcode"
    name = ("(SELECT name || ' (' || iso3 || ')' FROM checkpoints WHERE checkpoint_id = s.place)" if level == "checkpoint"
            else "(SELECT name || ' (' || iso3 || ')' FROM admin_areas WHERE pcode = s.place)")
    where, params = f.where("o")
    return f"""
    WITH m AS (SELECT {key} AS place, o.category, date_trunc('month', o.engagement_date)::DATE AS month,
                      count(*) AS n
               FROM engagement_obstacles o WHERE {where} AND {key} IS NOT NULL GROUP BY ALL),
    runs AS (SELECT place, category, month,
                    date_diff('month', DATE '2000-01-01', month)
                    - row_number() OVER (PARTITION BY place, category ORDER BY month) AS island
             FROM m),
    streaks AS (SELECT place, category, island, count(*) AS months, min(month) AS since, max(month) AS until
                FROM runs GROUP BY ALL),
    s AS (SELECT place, category, max(months) AS longest_streak, arg_max(since, months) AS streak_from,
                 arg_max(until, months) AS streak_to, sum(months) AS months_with_obstacle,
                 min(since) AS first_seen, max(until) AS last_seen
          FROM streaks GROUP BY ALL),
    t AS (SELECT place, category, sum(n) AS obstacles FROM m GROUP BY ALL)
    SELECT s.place, {name} AS name, c.name AS category, s.longest_streak, s.streak_from, s.streak_to,
           s.months_with_obstacle, s.first_seen, s.last_seen, t.obstacles::BIGINT AS obstacles
    FROM s JOIN t USING (place, category) JOIN obstacle_categories c USING (category)
    WHERE s.months_with_obstacle >= 2 AND t.obstacles >= ?
    ORDER BY s.longest_streak DESC, s.months_with_obstacle DESC, name LIMIT ?
    """, [*params, min_obstacles, limit]


def conditions(f: Filters) -> Query:
    """Conditions imposed, and how often they came with a yes."""
    where, params = f.where()
    where_c, params_c = f.where("e")
    # e is the condition row here: it carries the engagement's outcome and filter columns.
    return f"""
    SELECT v.label AS condition, count(DISTINCT e.engagement_key) AS engagements,
           avg({IS_GRANTED}) AS share_granted,
           avg((e.outcome = 'granted_with_conditions')::INTEGER) AS share_granted_with_conditions,
           count(DISTINCT e.engagement_key) / any_value(t.n) AS share_of_engagements
    FROM engagement_conditions e
    JOIN vocabulary v ON v.vocabulary = 'condition' AND v.code = e.condition
    CROSS JOIN (SELECT count(*) AS n FROM engagements e WHERE {where}) t
    WHERE {where_c} GROUP BY 1 ORDER BY engagements DESC
    """, params + params_c


# ------------------------------------------------------------------------------- Counterparts


def counterpart_patterns(f: Filters) -> Query:
    base, params = _compare(f)
    return f"""
    SELECT coalesce(e.region, 'Other') AS region, coalesce(v.label, 'Unknown type') AS counterpart_type,
           count(DISTINCT e.counterpart_id) FILTER (WHERE cur) AS counterparts,
           count(*) FILTER (WHERE cur) AS engagements,
           avg({IS_GRANTED}) FILTER (WHERE cur) AS share_granted,
           avg((e.outcome = 'granted_with_conditions')::INTEGER) FILTER (WHERE cur) AS share_with_conditions,
           median(e.days_to_resolution) FILTER (WHERE cur) AS median_days,
           avg({IS_GRANTED}) FILTER (WHERE cur) - avg({IS_GRANTED}) FILTER (WHERE NOT cur) AS change_granted,
           count(*) FILTER (WHERE NOT cur) AS engagements_before
    FROM ({base}) e JOIN counterparts c USING (counterpart_id)
    LEFT JOIN vocabulary v ON v.vocabulary = 'counterpart_type' AND v.code = c.counterpart_type
    GROUP BY ALL HAVING count(*) FILTER (WHERE cur) > 0 ORDER BY region, engagements DESC
    """, params


def counterpart_types(f: Filters) -> Query:
    where, params = f.where()
    return f"""
    SELECT coalesce(v.label, 'Unknown type') AS counterpart_type, count(*) AS engagements,
           avg({IS_GRANTED}) AS share_granted
    FROM engagements e JOIN counterparts c USING (counterpart_id)
    LEFT JOIN vocabulary v ON v.vocabulary = 'counterpart_type' AND v.code = c.counterpart_type
    WHERE {where} GROUP BY 1 ORDER BY share_granted
    """, params


def stance_changes(f: Filters, recent_days: int = 90, min_engagements: int = 6, limit: int = 20) -> Query:
    """Counterparts whose denial rate in the last ``recent_days`` of the period differs most from before."""
    where, params = f.where(dates=False)
    split = f.end - dt.timedelta(days=recent_days - 1)
    before_start = split - dt.timedelta(days=365)
    return f"""
    SELECT c.counterpart_id, c.name, coalesce(co.name, c.iso3) AS country,
           coalesce(v.label, 'Unknown type') AS counterpart_type, g.recent, g.before, g.denied_recent, g.denied_before, g.denied_recent - g.denied_before AS change
    FROM (SELECT e.counterpart_id,
                 count(*) FILTER (WHERE e.engagement_date >= ?) AS recent,
                 count(*) FILTER (WHERE e.engagement_date < ?) AS before,
                 avg({IS_DENIED}) FILTER (WHERE e.engagement_date >= ?) AS denied_recent,
                 avg({IS_DENIED}) FILTER (WHERE e.engagement_date < ?) AS denied_before
          FROM engagements e WHERE e.engagement_date BETWEEN ? AND ? AND {where} GROUP BY 1) g
    JOIN counterparts c USING (counterpart_id)
    LEFT JOIN countries co ON co.iso3 = c.iso3
    LEFT JOIN vocabulary v ON v.vocabulary = 'counterpart_type' AND v.code = c.counterpart_type
    WHERE g.recent >= ? AND g.before >= ?
    ORDER BY abs(change) DESC, c.name LIMIT ?
    """, [split, split, split, split, before_start, f.end, *params, min_engagements, min_engagements, limit]


def checkpoint_control(f: Filters, limit: int = 200) -> Query:
    where, params = f.where()
    return f"""
    SELECT k.checkpoint_id, k.name AS checkpoint, coalesce(kv.label, 'Unknown') AS kind,
           coalesce(co.name, k.iso3) AS country, a.name AS area, c.counterpart_id AS controlled_by_id, c.name AS controlled_by,
           coalesce(tv.label, 'Unknown type') AS controller_type,
           count(e.engagement_id) AS engagements, avg({IS_DENIED}) AS share_denied
    FROM checkpoints k
    JOIN engagements e ON e.checkpoint_id = k.checkpoint_id
    LEFT JOIN counterparts c ON c.counterpart_id = k.controlling_counterpart_id
    LEFT JOIN admin_areas a ON a.pcode = k.admin1_pcode
    LEFT JOIN countries co ON co.iso3 = k.iso3
    LEFT JOIN vocabulary kv ON kv.vocabulary = 'checkpoint_kind' AND kv.code = k.kind
    LEFT JOIN vocabulary tv ON tv.vocabulary = 'counterpart_type' AND tv.code = c.counterpart_type
    WHERE {where}
    GROUP BY ALL ORDER BY engagements DESC, checkpoint LIMIT ?
    """, [*params, limit]


def checkpoint_control_by_type(f: Filters) -> Query:
    """Checkpoints by kind and type of controlling counterpart: what a pseudonymised view shows instead of
    :func:`checkpoint_control` (which names who controls each checkpoint)."""
    where, params = f.where()
    return f"""
    SELECT coalesce(tv.label, 'Unknown type') AS controller_type, coalesce(kv.label, 'Unknown') AS kind,
           count(DISTINCT k.checkpoint_id) AS checkpoints, count(e.engagement_id) AS engagements,
           avg({IS_DENIED}) AS share_denied
    FROM checkpoints k
    JOIN engagements e ON e.checkpoint_id = k.checkpoint_id
    LEFT JOIN counterparts c ON c.counterpart_id = k.controlling_counterpart_id
    LEFT JOIN vocabulary kv ON kv.vocabulary = 'checkpoint_kind' AND kv.code = k.kind
    LEFT JOIN vocabulary tv ON tv.vocabulary = 'counterpart_type' AND tv.code = c.counterpart_type
    WHERE {where}
    GROUP BY ALL ORDER BY engagements DESC, controller_type, kind
    """, params


def engagement_count(f: Filters) -> Query:
    """How many engagements match ``f`` (whether a pseudonymised view is too narrow to show figures)."""
    where, params = f.where()
    return f"SELECT count(*) AS engagements FROM engagements e WHERE {where}", params


# ------------------------------------------------------------------------------------- Map


AREA_SHAPES = """
SELECT a.pcode, a.name, a.iso3, coalesce(co.name, a.iso3) AS country, a.level, a.geometry
FROM admin_areas a LEFT JOIN countries co ON co.iso3 = a.iso3 WHERE a.level IN (0, 1) ORDER BY a.level, a.pcode
"""

MapMeasure = Literal["share_denied", "obstacles_per_engagement", "median_days", "engagements"]

# A coordinate pair of a geometry's text (WKT): "x y", decimals, maybe with an exponent ("-6e-07").
_NUMBER = r"(-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)"
_XY = f"{_NUMBER} {_NUMBER}"


def map_extent(f: Filters) -> Query:
    """South, west, north, east around what the map opens on: the countries (their outline, else their admin-1
    areas; a point of a checkpoint where a country has no boundaries) where the user's scoped engagements lie, narrowed
    by the place filters of ``f`` (region, country, area; not the period, activities or organisations, so the
    map keeps its extent while they change). Countries come from the scoped ``engagements`` view only: a filter
    naming another region's country or area finds no engagement and adds nothing. All NULL when nothing is
    found. DuckDB's core reads WKB but has no extent function: the corners are the smallest and largest
    coordinates of the geometry's text."""
    places = replace(f, activities=(), organisations=(), checkpoint=None)
    where, params = places.where(dates=False)
    return f"""
    WITH reach AS (SELECT DISTINCT e.iso3 FROM engagements e WHERE {where} AND e.iso3 IS NOT NULL),
    areas AS (SELECT a.iso3, ST_AsText(ST_GeomFromWKB(a.geometry)) AS wkt FROM admin_areas a
              WHERE a.iso3 IN (SELECT iso3 FROM reach) AND a.geometry IS NOT NULL
                AND (a.level = 1 AND list_contains(?::VARCHAR[], a.pcode)
                     OR len(?::VARCHAR[]) = 0 AND (a.level = 0 OR a.level = 1 AND a.iso3 NOT IN (
                         SELECT o.iso3 FROM admin_areas o WHERE o.level = 0 AND o.geometry IS NOT NULL)))),
    xy AS (SELECT unnest(regexp_extract_all(wkt, ?, 1))::DOUBLE AS x,
                  unnest(regexp_extract_all(wkt, ?, 2))::DOUBLE AS y FROM areas
           UNION ALL  -- checkpoints of a country with no boundaries loaded
           SELECT k.longitude, k.latitude FROM checkpoints k
           WHERE k.iso3 IN (SELECT iso3 FROM reach) AND k.iso3 NOT IN (SELECT iso3 FROM areas)
             AND k.latitude IS NOT NULL AND k.longitude IS NOT NULL
             AND (len(?::VARCHAR[]) = 0 OR list_contains(?::VARCHAR[], k.admin1_pcode)))
    SELECT min(y) AS south, min(x) AS west, max(y) AS north, max(x) AS east FROM xy
    """, [*params, list(f.areas), list(f.areas), _XY, _XY, list(f.areas), list(f.areas)]


def area_measures(f: Filters) -> Query:
    where, params = f.where()
    return f"""
    WITH e AS (SELECT e.admin1_pcode, e.outcome, e.days_to_resolution FROM engagements e
               WHERE {where} AND e.admin1_pcode IS NOT NULL),
    o AS (SELECT e.admin1_pcode, count(*) AS n FROM engagement_obstacles e
          WHERE {where} AND e.admin1_pcode IS NOT NULL GROUP BY 1)
    SELECT e.admin1_pcode AS pcode, count(*) AS engagements, avg({IS_DENIED}) AS share_denied,
           median(e.days_to_resolution) AS median_days,
           coalesce(any_value(o.n), 0) / count(*) AS obstacles_per_engagement
    FROM e LEFT JOIN o USING (admin1_pcode) GROUP BY e.admin1_pcode
    """, params + params


def checkpoint_points(f: Filters) -> Query:
    where, params = f.where()
    return f"""
    SELECT k.checkpoint_id, k.name, k.latitude, k.longitude, k.iso3, coalesce(co.name, k.iso3) AS country,
           c.name AS controlled_by,
           count(*) AS engagements, avg({IS_DENIED}) AS share_denied,
           arg_max(e.outcome, e.engagement_date, 5) AS recent_outcomes  -- latest first; a top-5, not a sort
    FROM engagements e JOIN checkpoints k ON k.checkpoint_id = e.checkpoint_id
    LEFT JOIN counterparts c ON c.counterpart_id = k.controlling_counterpart_id
    LEFT JOIN countries co ON co.iso3 = k.iso3
    WHERE {where} AND k.latitude IS NOT NULL GROUP BY ALL ORDER BY engagements DESC
    """, params


def engagements_list(f: Filters, limit: int = 500) -> Query:
    """The filtered engagements themselves (most recent first), for tables and downloads."""
    where, params = f.where()
    return f"""
    SELECT e.engagement_date AS date, coalesce(co.name, e.iso3) AS country, a.name AS area, k.name AS checkpoint, c.name AS counterpart,
           va.label AS activity, vo.label AS outcome, e.organisation, e.days_to_resolution
    FROM engagements e
    LEFT JOIN admin_areas a ON a.pcode = e.admin1_pcode
    LEFT JOIN countries co ON co.iso3 = e.iso3
    LEFT JOIN checkpoints k ON k.checkpoint_id = e.checkpoint_id
    JOIN counterparts c ON c.counterpart_id = e.counterpart_id
    LEFT JOIN vocabulary va ON va.vocabulary = 'activity' AND va.code = e.activity
    LEFT JOIN vocabulary vo ON vo.vocabulary = 'outcome' AND vo.code = e.outcome
    WHERE {where} ORDER BY e.engagement_date DESC, e.engagement_id LIMIT ?
    """, [*params, limit]


# ------------------------------------------------------------------ Incidents (public record)
# Security incidents against aid workers from public feeds (AWSD, Insecurity Insight), loaded by
# the ETL into ``incidents``. The same incident reported by two sources is counted once
# (``duplicate_of IS NULL``). Period, region, country and admin-area filters apply; activity,
# organisation and checkpoint filters do not (incidents are not tied to them).


def incident_where(f: Filters) -> tuple[str, list[object]]:
    """Condition on ``incidents i`` joined to ``countries co``, with its parameters in order."""
    clauses = ["i.duplicate_of IS NULL", "i.incident_date BETWEEN ? AND ?"]
    params: list[object] = [f.start, f.end]
    for column, values in (("coalesce(co.region, 'Other')", f.regions), ("i.iso3", f.countries),
                           ("i.admin1_pcode", f.areas)):
        if values:
            clauses.append(f"list_contains(?::VARCHAR[], {column})")
            params.append(list(values))
    return " AND ".join(clauses), params


def incidents_monthly(f: Filters) -> Query:
    """Incidents per month (incidents dated to the year only are left out: their month is unknown)."""
    where, params = incident_where(f)
    return f"""
    SELECT date_trunc('month', i.incident_date)::DATE AS month, count(*) AS incidents,
           coalesce(sum(i.killed), 0)::BIGINT AS killed, coalesce(sum(i.injured), 0)::BIGINT AS injured,
           coalesce(sum(i.kidnapped), 0)::BIGINT AS kidnapped, coalesce(sum(i.detained), 0)::BIGINT AS detained
    FROM incidents i LEFT JOIN countries co ON co.iso3 = i.iso3
    WHERE {where} AND i.date_precision <> 'year' GROUP BY 1 ORDER BY 1
    """, params


def incidents_by_perpetrator(f: Filters) -> Query:
    where, params = incident_where(f)
    return f"""
    SELECT coalesce(v.label, i.perpetrator_type) AS perpetrator_type, count(*) AS incidents,
           coalesce(sum(i.killed), 0)::BIGINT AS killed,
           (coalesce(sum(i.kidnapped), 0) + coalesce(sum(i.detained), 0))::BIGINT AS kidnapped_or_detained,
           string_agg(DISTINCT i.source, ', ' ORDER BY i.source) AS sources
    FROM incidents i LEFT JOIN countries co ON co.iso3 = i.iso3
    LEFT JOIN vocabulary v ON v.vocabulary = 'perpetrator_type' AND v.code = i.perpetrator_type
    WHERE {where} GROUP BY 1 ORDER BY incidents DESC
    """, params


def incident_points(f: Filters, limit: int = 3000) -> Query:
    """Located incidents for the map (most recent first)."""
    where, params = incident_where(f)
    return f"""
    SELECT i.incident_id, i.incident_date, i.date_precision, i.latitude, i.longitude, i.iso3,
           coalesce(co.name, i.iso3) AS country, i.place,
           coalesce(v.label, i.perpetrator_type) AS perpetrator_type, i.perpetrator_name, i.means_of_attack,
           i.killed, i.injured, i.kidnapped, i.detained, i.source
    FROM incidents i LEFT JOIN countries co ON co.iso3 = i.iso3
    LEFT JOIN vocabulary v ON v.vocabulary = 'perpetrator_type' AND v.code = i.perpetrator_type
    WHERE {where} AND i.latitude IS NOT NULL AND i.longitude IS NOT NULL
    ORDER BY i.incident_date DESC, i.incident_id LIMIT ?
    """, [*params, limit]


# ------------------------------------------------------------------------------------- Data

LOADS = """
SELECT load_id, file_name, file_format, status, rows_read, rows_loaded, rows_rejected, rows_duplicate,
       strftime(finished_at, '%Y-%m-%d %H:%M UTC') AS finished, loaded_by, content_sha256, source_path,
       column_mapping, ignored_columns, date_order
FROM loads ORDER BY load_id DESC
"""

REJECTED_SUMMARY = """
SELECT reason_code, count(DISTINCT (load_id, sheet, row_number)) AS rows_, count(*) AS problems
FROM rejected_rows GROUP BY 1 ORDER BY rows_ DESC, reason_code
"""

# The Data page draws `rejected_rows_shown` rejected rows (a setting; a table of thousands is slow to draw);
# its download holds up to REJECTED_DOWNLOAD_ROWS, and `python -m etl status --rejected` all of them.
REJECTED_DOWNLOAD_ROWS = 200_000

REJECTED = """
SELECT r.load_id, r.source_file, r.sheet, r.row_number, r.column_name, r.value, r.reason_code, r.reason
FROM rejected_rows r WHERE (? IS NULL OR r.load_id = ?) ORDER BY r.load_id DESC, r.sheet NULLS FIRST, r.row_number
LIMIT ?
"""

# The pending review list, following merges (the Data page's "Counterpart identities" tab), with each pair's
# country by name (the table shows it; the download keeps the ISO3 code beside it).
REVIEW_QUEUE = f"""
SELECT coalesce(co.name, r.iso3) AS country, r.* FROM ({counterpart_sql.REVIEW}) r
LEFT JOIN countries co ON co.iso3 = r.iso3
ORDER BY r.similarity DESC, r.iso3, r.name_a, r.name_b
"""
# Pending look-alike pairs per region, counts only: what waits where the user cannot see names.
REVIEW_WAITING = "SELECT region, pairs FROM review_waiting ORDER BY region"


# ------------------------------------------------------------------------ per-page query sets

def _trends_set(f: Filters, _cp: str) -> list[Query]:
    # The outcome series per week or month to fit the period; monthly too beside the public record (one query
    # when the period's series is the monthly one).
    series = [monthly_outcomes(f, f.grain)] + ([monthly_outcomes(f)] if f.grain != "month" else [])
    year = [headline(f.last_year())] if f.has_last_year else []
    return [headline(f), headline(f.previous()), *year, *series, by_region(f), change_queries.changes(f),
            incidents_monthly(f), incidents_by_perpetrator(f), conflict.events_monthly(f), conflict.events_by_type(f),
            conflict.counts_monthly(f), *alerts_db.trends_queries(f)]


def _map_set(f: Filters, _cp: str) -> list[Query]:
    return [(AREA_SHAPES, []), map_extent(f), area_measures(f), checkpoint_points(f), engagements_list(f), incident_points(f),
            conflict.event_points(f), conflict.counts_by_area(f)]


def _obstacles_set(f: Filters, _cp: str) -> list[Query]:
    return [obstacles_monthly(f), obstacles_by_region(f), recurring_obstacles(f, "checkpoint"),
            recurring_obstacles(f, "area"), conditions(f)]


def _counterparts_set(f: Filters, _cp: str) -> list[Query]:
    return [counterpart_patterns(f), counterpart_types(f), stance_changes(f), checkpoint_control(f)]


def _profile_set(f: Filters, cp: str) -> list[Query]:
    return [(profile.SEARCH_INDEX, []), (profile.PROFILE, [cp]), (profile.PROFILE_ALIASES, [cp]), (profile.PROFILE_PLACES, [cp]),
            (profile.PROFILE_TIMELINE, [cp, profile.TIMELINE_ROWS]), (profile.PROFILE_OUTCOMES_BY_QUARTER, [cp]), (profile.PROFILE_PEERS, [cp, cp]),
            (profile.PROFILE_CHANNELS, [cp]), (profile.PROFILE_INTERMEDIARIES, [cp]), (profile.PROFILE_RELATED, [cp]),
            (profile.PROFILE_REVIEW, [cp, cp, cp]), (profile.PROFILE_CONDITIONS, [cp, cp]), profile.profile_follow_ups(cp, f.end),
            (profile.PROFILE_INCIDENTS, [cp]), (profile.PROFILE_CONFLICT_EVENTS, [cp, profile.CONFLICT_EVENT_ROWS]),
            *alerts_db.profile_queries(cp, f.end)]


def _data_set(_f: Filters, _cp: str) -> list[Query]:
    return [(LOADS, []), (freshness.BY_COUNTRY, []), (freshness.BY_OFFICE, []), (REJECTED_SUMMARY, []),
            (REJECTED, [None, None, get_settings().rejected_rows_shown]), (REVIEW_QUEUE, [])]


# Query set name (``query_set`` of a page in dashboard/registry.py) -> every query the page runs for one view,
# given its filters and, for the lookup page, the counterpart shown.
QUERY_SETS: dict[str, Callable[[Filters, str], list[Query]]] = {
    "trends": _trends_set,
    "map": _map_set,
    "obstacles": _obstacles_set,
    "counterparts": _counterparts_set,
    "profile": _profile_set,
    "data": _data_set,
}


def page_queries(page: str, f: Filters, counterpart_id: str | None = None) -> list[Query]:
    """Every query the page ``page`` (a key of dashboard/registry.py) runs for one view with filters ``f``: what
    the warm-up caches and the page benchmark times. A page without a query set raises ``KeyError``."""
    spec = registry.page(page)
    if spec.query_set is None:
        raise KeyError(f"page {page!r} has no query set (dashboard/registry.py)")
    # A page that follows the filters draws the freshness warning over them (dashboard/shell.py, page_filters).
    header = [freshness.stale_countries(f)] if spec.filters else []
    # A query the page asks twice runs once: the app's cache answers the repeat (a 365-day period's previous
    # period is also its same period last year, so Trends' two comparison headlines are one query).
    unique: dict[tuple[str, str], Query] = {}
    for sql, params in header + QUERY_SETS[spec.query_set](f, counterpart_id or ""):
        unique.setdefault((sql, repr(params)), (sql, params))
    return list(unique.values())
