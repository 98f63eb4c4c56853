"""The SQL of the monthly access snapshot (:mod:`dashboard.snapshot`), in one place.

Every function takes :class:`~dashboard.db.filters.Filters` (a calendar month and a country or a region)
and returns ``(sql, params)``: filter values are bound parameters only. The queries run on a user's
scoped views (:mod:`dashboard.db.scope`), from the dashboard or the command line alike. Key figures
that the Trends page already defines (people left without access, incidents, conditions) are read
with the queries of :mod:`dashboard.db.queries`, not written again here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dashboard.db.outcomes import IS_DENIED, Query

if TYPE_CHECKING:
    from dashboard.db.filters import Filters

# Which countries exist, their names and regions (the snapshot's title, the areas of its map).
PLACES = "SELECT iso3, name, region FROM countries ORDER BY name"

# The first and last engagement of the place (whatever the month): what a month without data is told.
# ``f.where(dates=False)`` narrows to the place.


def data_bounds(f: Filters) -> Query:
    where, params = f.where(dates=False)
    return f"SELECT min(e.engagement_date) AS first, max(e.engagement_date) AS last FROM engagements e WHERE {where}", params


def counts(f: Filters) -> Query:
    """Counts of the month beside :func:`dashboard.db.queries.headline`: denials, obstacles, places, people targeted."""
    where, params = f.where()
    where_o, params_o = f.where("o")
    return f"""
    SELECT count(*) AS engagements, coalesce(sum({IS_DENIED}), 0)::BIGINT AS engagements_denied,
           count(DISTINCT e.admin1_pcode) AS areas_count, count(DISTINCT e.checkpoint_id) AS checkpoints,
           (SELECT count(*) FROM engagement_obstacles o WHERE {where_o}) AS obstacles,
           (SELECT coalesce(sum(t), 0)::BIGINT FROM (SELECT max(e.people_targeted) AS t FROM engagements e
             WHERE {where} GROUP BY e.request_key)) AS people_targeted
    FROM engagements e WHERE {where}
    """, params_o + params + params


def monthly(f: Filters) -> Query:
    """Engagements, denials and obstacles per calendar month over ``f``'s dates (the trend chart)."""
    where, params = f.where()
    where_o, params_o = f.where("o")
    return f"""
    WITH e AS (SELECT date_trunc('month', e.engagement_date)::DATE AS month, count(*) AS engagements,
                      sum({IS_DENIED})::BIGINT AS engagements_denied
               FROM engagements e WHERE {where} GROUP BY 1),
    o AS (SELECT date_trunc('month', o.engagement_date)::DATE AS month, count(*) AS obstacles
          FROM engagement_obstacles o WHERE {where_o} GROUP BY 1)
    SELECT e.month, e.engagements, e.engagements_denied, coalesce(o.obstacles, 0)::BIGINT AS obstacles
    FROM e LEFT JOIN o USING (month) ORDER BY e.month
    """, params + params_o


def _two_months(f: Filters, before: Filters, alias: str) -> tuple[str, list[object]]:
    """Rows of ``f``'s month and of the month ``before`` (flag ``cur``); the place filters apply."""
    where, params = f.where(alias, dates=False)
    date = f"{alias}.engagement_date"
    return (f"({date} BETWEEN ? AND ? OR {date} BETWEEN ? AND ?) AND {where}",
            [f.start, f.end, before.start, before.end, *params])


def obstacles_by_category(f: Filters, before: Filters) -> Query:
    """Obstacles of each OCHA access-constraint category this month and the month before (every category listed)."""
    cond, params = _two_months(f, before, "o")
    return f"""
    SELECT c.number, c.name AS category,
           count(o.category) FILTER (WHERE o.engagement_date >= ?)::BIGINT AS obstacles,
           count(o.category) FILTER (WHERE o.engagement_date < ?)::BIGINT AS obstacles_before
    FROM obstacle_categories c
    LEFT JOIN (SELECT o.category, o.engagement_date FROM engagement_obstacles o WHERE {cond}) o USING (category)
    GROUP BY ALL ORDER BY c.number
    """, [f.start, f.start, *params]


def by_counterpart_type(f: Filters) -> Query:
    """Engagements, denials and obstacles of the month by the type of counterpart engaged."""
    where, params = f.where()
    return f"""
    SELECT coalesce(v.label, 'Unknown type') AS counterpart_type, count(*) AS engagements,
           sum({IS_DENIED})::BIGINT AS engagements_denied, coalesce(sum(ob.n), 0)::BIGINT AS obstacles
    FROM engagements e JOIN counterparts c USING (counterpart_id)
    LEFT JOIN vocabulary v ON v.vocabulary = 'counterpart_type' AND v.code = c.counterpart_type
    LEFT JOIN (SELECT engagement_key, count(*) AS n FROM engagement_obstacles GROUP BY 1) ob USING (engagement_key)
    WHERE {where} GROUP BY 1 ORDER BY engagements DESC, counterpart_type
    """, params


def by_area(f: Filters, before: Filters) -> Query:
    """Each admin-1 area's engagements, denials and obstacles this month and the month before (map, tables,
    the month-on-month changes)."""
    cond, params = _two_months(f, before, "e")
    cond_o, params_o = _two_months(f, before, "o")
    return f"""
    WITH e AS (SELECT e.admin1_pcode AS pcode, count(*) FILTER (WHERE e.engagement_date >= ?) AS engagements,
                      coalesce(sum({IS_DENIED}) FILTER (WHERE e.engagement_date >= ?), 0)::BIGINT AS engagements_denied,
                      count(*) FILTER (WHERE e.engagement_date < ?) AS engagements_before,
                      coalesce(sum({IS_DENIED}) FILTER (WHERE e.engagement_date < ?), 0)::BIGINT AS denied_engagements_before
               FROM engagements e WHERE {cond} AND e.admin1_pcode IS NOT NULL GROUP BY 1),
    o AS (SELECT o.admin1_pcode AS pcode, count(*) FILTER (WHERE o.engagement_date >= ?) AS obstacles
          FROM engagement_obstacles o WHERE {cond_o} AND o.admin1_pcode IS NOT NULL GROUP BY 1)
    SELECT e.pcode, coalesce(a.name, e.pcode) AS area, coalesce(co.name, a.iso3) AS country, e.engagements, e.engagements_denied,
           coalesce(o.obstacles, 0)::BIGINT AS obstacles, e.engagements_before, e.denied_engagements_before
    FROM e LEFT JOIN o USING (pcode) LEFT JOIN admin_areas a ON a.pcode = e.pcode
    LEFT JOIN countries co ON co.iso3 = a.iso3
    ORDER BY e.engagements_denied DESC, e.engagements DESC, area
    """, [f.start] * 4 + params + [f.start] + params_o


def by_checkpoint(f: Filters, limit: int = 8, least: int = 0) -> Query:
    """The checkpoints with the most denials and obstacles this month, with their area and main obstacle;
    ranked among those with at least ``least`` denials (a pseudonymised view's k: a count it may not see is
    not ranked, so it cannot take a place in the list)."""
    where, params = f.where()
    where_o, params_o = f.where("o")
    return f"""
    WITH o AS (SELECT o.checkpoint_id, count(*) AS n, mode(c.name) AS top FROM engagement_obstacles o
               JOIN obstacle_categories c USING (category) WHERE {where_o} AND o.checkpoint_id IS NOT NULL GROUP BY 1)
    SELECT k.name AS checkpoint, coalesce(a.name, k.admin1_pcode) AS area,
           coalesce(any_value(co.name), k.iso3) AS country, count(*) AS engagements,
           sum({IS_DENIED})::BIGINT AS engagements_denied, coalesce(any_value(o.n), 0)::BIGINT AS obstacles,
           any_value(o.top) AS main_obstacle
    FROM engagements e JOIN checkpoints k ON k.checkpoint_id = e.checkpoint_id
    LEFT JOIN admin_areas a ON a.pcode = k.admin1_pcode
    LEFT JOIN countries co ON co.iso3 = k.iso3
    LEFT JOIN o ON o.checkpoint_id = e.checkpoint_id
    WHERE {where} GROUP BY k.checkpoint_id, k.name, a.name, k.admin1_pcode, k.iso3
    HAVING sum({IS_DENIED}) >= ?
    ORDER BY engagements_denied DESC, obstacles DESC, engagements DESC, checkpoint LIMIT ?
    """, params_o + params + [least, limit]


def area_shapes(countries: tuple[str, ...]) -> Query:
    """The admin-1 boundaries (WKB) of ``countries``, and each country's outline, for the map."""
    return """
    SELECT pcode, name, iso3, level, geometry FROM admin_areas
    WHERE level IN (0, 1) AND list_contains(?::VARCHAR[], iso3) AND geometry IS NOT NULL ORDER BY level, pcode
    """, [list(countries)]


def months_with_data(f: Filters) -> Query:
    """The calendar months with at least one engagement of the place (the Trends button offers these), latest first."""
    where, params = f.where(dates=False)
    return f"""
    SELECT DISTINCT date_trunc('month', e.engagement_date)::DATE AS month FROM engagements e WHERE {where}
    ORDER BY month DESC
    """, params


# The countries and regions with engagements the user may see (the views hold only those): what the button offers.
PLACES_IN_VIEW = """
SELECT c.iso3, c.name, c.region FROM countries c WHERE c.iso3 IN (SELECT DISTINCT iso3 FROM engagements)
ORDER BY c.region, c.name
"""
