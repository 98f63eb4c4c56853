"""The SQL of the conflict context beside the negotiations: ACLED events and HDX HAPI monthly counts.

Two public records, loaded by the ETL as context (never as negotiation data):

* ``conflict_events``: one ACLED event per row (date, type, actors, place, fatalities, notes);
* ``conflict_event_counts``: HDX HAPI's aggregates per admin area, event type and month.

Period, region, country and admin-area filters apply (the region is the country's, as for incidents:
:data:`dashboard.db.scope.REGION_OF`); activity, organisation and checkpoint filters do not (the events are
not tied to them). Each function returns ``(sql, params)`` with user values as bound parameters only, and
reads the user's scoped views (actors and notes are NULL where the scope hides them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dashboard.db.outcomes import Query

if TYPE_CHECKING:
    from dashboard.db.filters import Filters

# The map draws this many located events at most (the most recent first).
POINTS_LIMIT = 3000


def _scope_clauses(f: Filters, alias: str, region: str = "co.region") -> tuple[list[str], list[object]]:
    """Region, country and admin-area conditions on ``alias`` (its country's region in ``region``)."""
    clauses: list[str] = []
    params: list[object] = []
    for column, values in ((f"coalesce({region}, 'Other')", f.regions), (f"{alias}.iso3", f.countries),
                           (f"{alias}.admin1_pcode", f.areas)):
        if values:
            clauses.append(f"list_contains(?::VARCHAR[], {column})")
            params.append(list(values))
    return clauses, params


def event_where(f: Filters) -> tuple[str, list[object]]:
    """Condition on ``conflict_events c`` joined to ``countries co``, with its parameters in order."""
    clauses, params = _scope_clauses(f, "c")
    return " AND ".join(["c.event_date BETWEEN ? AND ?", *clauses]), [f.start, f.end, *params]


def events_monthly(f: Filters) -> Query:
    """Conflict events and their fatalities per month and event type (events dated to the year only are left
    out: their month is unknown)."""
    where, params = event_where(f)
    return f"""
    SELECT date_trunc('month', c.event_date)::DATE AS month, c.event_type, count(*) AS events,
           coalesce(sum(c.fatalities), 0)::BIGINT AS fatalities
    FROM conflict_events c LEFT JOIN countries co ON co.iso3 = c.iso3
    WHERE {where} AND c.date_precision <> 'year' GROUP BY ALL ORDER BY month, c.event_type
    """, params


def events_by_type(f: Filters) -> Query:
    """Conflict events per event type in the period, with fatalities, events that targeted civilians, and the
    events of the comparison period (``f.previous()``)."""
    prev = f.previous()
    clauses, params = _scope_clauses(f, "c")
    where = " AND ".join(["(c.event_date BETWEEN ? AND ? OR c.event_date BETWEEN ? AND ?)", *clauses])
    return f"""
    SELECT c.event_type,
           count(*) FILTER (WHERE c.event_date >= ?) AS events,
           coalesce(sum(c.fatalities) FILTER (WHERE c.event_date >= ?), 0)::BIGINT AS fatalities,
           count(*) FILTER (WHERE c.event_date >= ? AND c.civilian_targeting) AS events_targeting_civilians,
           count(*) FILTER (WHERE c.event_date < ?) AS events_before
    FROM conflict_events c LEFT JOIN countries co ON co.iso3 = c.iso3
    WHERE {where} GROUP BY 1 HAVING count(*) FILTER (WHERE c.event_date >= ?) > 0 ORDER BY events DESC, 1
    """, [f.start, f.start, f.start, f.start, prev.start, prev.end, f.start, f.end, *params, f.start]


def event_points(f: Filters, limit: int = POINTS_LIMIT) -> Query:
    """Located conflict events for the map (most recent first)."""
    where, params = event_where(f)
    return f"""
    SELECT c.event_id, c.event_date, c.date_precision, c.latitude, c.longitude, c.iso3,
           coalesce(co.name, c.iso3) AS country, c.location,
           c.admin1_name, c.event_type, c.sub_event_type, c.actor1, c.actor2, c.fatalities, c.notes, c.source
    FROM conflict_events c LEFT JOIN countries co ON co.iso3 = c.iso3
    WHERE {where} AND c.latitude IS NOT NULL AND c.longitude IS NOT NULL
    ORDER BY c.event_date DESC, c.event_id LIMIT ?
    """, [*params, limit]


# HDX HAPI publishes a country's counts per admin-1 or per admin-2 area; were both loaded, adding them up would
# count each event twice. Each country's rows are read at its finest level only.
_FINEST = """
counts AS (SELECT x.*, co.region, co.name AS country_name FROM conflict_event_counts x LEFT JOIN countries co ON co.iso3 = x.iso3
           QUALIFY x.admin_level = max(x.admin_level) OVER (PARTITION BY x.iso3))
"""


def _counts_where(f: Filters) -> tuple[str, list[object]]:
    """Condition on the ``counts`` rows above: months that overlap the period, region, country and area."""
    clauses, params = _scope_clauses(f, "x", region="x.region")
    return " AND ".join(["x.month BETWEEN date_trunc('month', ?::DATE) AND ?", *clauses]), [f.start, f.end, *params]


def counts_monthly(f: Filters) -> Query:
    """HDX HAPI conflict events and fatalities per month and event type (months that overlap the period)."""
    where, params = _counts_where(f)
    return f"""
    WITH {_FINEST}
    SELECT x.month, x.event_type, coalesce(sum(x.events), 0)::BIGINT AS events,
           coalesce(sum(x.fatalities), 0)::BIGINT AS fatalities
    FROM counts x WHERE {where} GROUP BY ALL ORDER BY x.month, x.event_type
    """, params


def counts_by_area(f: Filters) -> Query:
    """HDX HAPI conflict events and fatalities per admin-1 area and event type, over the months that overlap
    the period (for the map: a circle per area at its centre)."""
    where, params = _counts_where(f)
    return f"""
    WITH {_FINEST}
    SELECT x.admin1_pcode AS pcode, coalesce(a.name, any_value(x.admin1_name)) AS area, x.iso3,
           coalesce(any_value(x.country_name), x.iso3) AS country, x.event_type,
           coalesce(sum(x.events), 0)::BIGINT AS events, coalesce(sum(x.fatalities), 0)::BIGINT AS fatalities
    FROM counts x LEFT JOIN admin_areas a ON a.pcode = x.admin1_pcode AND a.level = 1
    WHERE {where} AND x.admin1_pcode IS NOT NULL GROUP BY x.admin1_pcode, a.name, x.iso3, x.event_type
    ORDER BY pcode, x.event_type
    """, params
