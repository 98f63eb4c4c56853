"""All SQL of :mod:`etl.analysis`: monthly counts per place and per country, bound parameters only.

The queries name tables without a schema (``engagements``, ``admin_areas``...), so they read the database
itself from the command line and the signed-in user's views (:mod:`dashboard.db.scope`) in the dashboard:
there a coordinator's rows of other regions are not there, and hq's counterpart ids and names are codes.
The monthly counts read ``engagement_months`` and ``reporting_months`` (the engagements counted per month and
place, and per month, load and organisation: :mod:`etl.store.rollups`) rather than every engagement: the same
figures, from a few percent of the rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

# A query: SQL text with ``?`` placeholders, and the values bound to them.
Query = tuple[str, list[object]]


def _where(start: dt.date, end: dt.date, regions: Sequence[str], countries: Sequence[str],
           counterpart_id: str | None, areas: Sequence[str] = (), date: str = "e.engagement_date"
           ) -> tuple[str, list[object]]:
    """Rows of alias ``e`` with ``date`` from ``start`` to ``end`` (exclusive), narrowed to regions, countries,
    admin-1 areas (P-codes) or one counterpart."""
    clauses = [f"{date} >= ?", f"{date} < ?"]
    params: list[object] = [start, end]
    if regions:
        clauses.append(f"e.region IN ({', '.join('?' * len(regions))})")
        params.extend(regions)
    if countries:
        clauses.append(f"e.iso3 IN ({', '.join('?' * len(countries))})")
        params.extend(countries)
    if areas:
        clauses.append(f"e.admin1_pcode IN ({', '.join('?' * len(areas))})")
        params.extend(areas)
    if counterpart_id is not None:
        clauses.append("e.counterpart_id = ?")
        params.append(counterpart_id)
    return " AND ".join(clauses), params


def _month_where(start: dt.date, end: dt.date, regions: Sequence[str], countries: Sequence[str],
                 counterpart_id: str | None, areas: Sequence[str] = ()) -> tuple[str, list[object]]:
    """:func:`_where` on a monthly count (alias ``e``): whole months, so ``start`` and ``end`` are first days.

    >>> _month_where(dt.date(2025, 1, 2), dt.date(2025, 2, 1), (), (), None)
    Traceback (most recent call last):
    ...
    ValueError: monthly counts need first days of months, not 2025-01-02 and 2025-02-01
    """
    if start.day != 1 or end.day != 1:
        raise ValueError(f"monthly counts need first days of months, not {start} and {end}")
    return _where(start, end, regions, countries, counterpart_id, areas, date="e.month")


def place_months(start: dt.date, end: dt.date, regions: Sequence[str] = (), countries: Sequence[str] = (),
                 counterpart_id: str | None = None, areas: Sequence[str] = ()) -> Query:
    """Engagements and denials per month for every admin-1 area, checkpoint and counterpart, from ``start`` to
    ``end`` (first days of months; ``end`` excluded).

    Columns: ``level`` (area, checkpoint, counterpart), ``key`` (P-code or id), ``name`` (the area's,
    checkpoint's or counterpart's name), ``iso3``, ``country`` (its name), ``month`` (first day),
    ``engagements``, ``denied``.
    With ``counterpart_id`` only that counterpart's engagements count (its own series, and the places
    where it was met).
    """
    where, params = _month_where(start, end, regions, countries, counterpart_id, areas)
    return f"""
    WITH g AS (
        SELECT CASE WHEN grouping(e.admin1_pcode) = 0 THEN 'area'
                    WHEN grouping(e.checkpoint_id) = 0 THEN 'checkpoint' ELSE 'counterpart' END AS level,
               coalesce(e.admin1_pcode, e.checkpoint_id, e.counterpart_id) AS key, e.month,
               min(e.iso3) AS iso3, sum(e.engagements)::BIGINT AS engagements, sum(e.denied)::BIGINT AS denied
        FROM engagement_months e
        WHERE {where}
        GROUP BY GROUPING SETS ((e.month, e.admin1_pcode), (e.month, e.checkpoint_id), (e.month, e.counterpart_id))),
    names AS (  -- one equi-join on (level, key): three joins each guarded by its level ran as nested loops
        SELECT 'area' AS level, pcode AS key, name FROM admin_areas
        UNION ALL SELECT 'checkpoint', checkpoint_id, name FROM checkpoints
        UNION ALL SELECT 'counterpart', counterpart_id, name FROM counterparts)
    SELECT g.level, g.key, coalesce(n.name, g.key) AS name, g.iso3,
           coalesce(co.name, g.iso3) AS country, g.month, g.engagements, g.denied
    FROM g
    LEFT JOIN countries co ON co.iso3 = g.iso3
    LEFT JOIN names n ON n.level = g.level AND n.key = g.key
    WHERE g.key IS NOT NULL
    ORDER BY g.level, g.key, g.month
    """, params


def country_months(start: dt.date, end: dt.date, regions: Sequence[str] = (), countries: Sequence[str] = (),
                   areas: Sequence[str] = ()) -> Query:
    """Per country and month (``start`` to ``end``, first days of months): engagements, and how many sources
    reported (files loaded, organisations named).

    Columns: ``iso3``, ``name`` (the country's), ``month``, ``engagements``, ``loads``, ``organisations``.
    """
    where, params = _month_where(start, end, regions, countries, None, areas)
    return f"""
    SELECT e.iso3, coalesce(any_value(co.name), e.iso3) AS name, e.month,
           sum(e.engagements)::BIGINT AS engagements, count(DISTINCT e.load_id) AS loads,
           count(DISTINCT e.organisation) AS organisations
    FROM reporting_months e LEFT JOIN countries co ON co.iso3 = e.iso3
    WHERE {where}
    GROUP BY e.iso3, e.month
    ORDER BY e.iso3, e.month
    """, params


# The regions that exist (to tell a misspelt --region from a region without engagements).
REGIONS = "SELECT DISTINCT region FROM countries WHERE region IS NOT NULL ORDER BY region"


def areas_with_engagements(month: dt.date, end: dt.date, regions: Sequence[str] = (),
                           countries: Sequence[str] = ()) -> Query:
    """How many admin-1 areas had engagements from ``month`` to ``end`` (exclusive): the false-alarm denominator."""
    where, params = _where(month, end, regions, countries, None)
    return f"SELECT count(DISTINCT e.admin1_pcode) FROM engagements e WHERE {where}", params
