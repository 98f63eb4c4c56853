"""How fresh the data is: per country and per loading office, the latest engagement and the latest load.

There is no "office" column in the logs or the loads. The closest honest notion is the **log file** a country
office sends and who loaded it: every engagement carries the ``load_id`` of the load that brought it, and the
load records the file's name (``loads.file_name``) and the operating-system user who ran it
(``loads.loaded_by``). So "per loading office" here is per log file that brought a country's rows.

Everything reads the per-user views (:mod:`dashboard.db.scope`): a user learns the freshness of the countries
they can reach, nothing else (``loads`` is readable by everyone already, but it is only reached through the
user's engagements here). Each function returns ``(sql, params)`` with user values as bound parameters.
They read ``reporting_months`` (the engagements counted per month, country, area, load and organisation;
``latest`` is the newest engagement date of each row, :mod:`etl.store.rollups`): the same dates, from a few
percent of the rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dashboard.db.outcomes import Query

if TYPE_CHECKING:
    from dashboard.db.filters import Filters

# Per country the user can reach: the newest engagement date and the day of the newest load that brought rows.
BY_COUNTRY = """
SELECT coalesce(c.name, e.iso3) AS country, e.iso3, max(e.latest) AS latest_engagement,
       max(l.finished_at)::DATE AS latest_load
FROM reporting_months e LEFT JOIN countries c ON c.iso3 = e.iso3 LEFT JOIN loads l ON l.load_id = e.load_id
GROUP BY ALL ORDER BY latest_engagement, country
"""

# Per country and log file that brought its rows (the loading office): the same two dates, and who loaded it.
BY_OFFICE = """
SELECT coalesce(c.name, e.iso3) AS country, l.file_name AS log_file, l.loaded_by,
       max(e.latest) AS latest_engagement, max(l.finished_at)::DATE AS loaded_on
FROM reporting_months e LEFT JOIN countries c ON c.iso3 = e.iso3 LEFT JOIN loads l ON l.load_id = e.load_id
GROUP BY ALL ORDER BY country, latest_engagement DESC, log_file
"""


# A pseudonymised viewer (hq) is told the week of a country's newest log, not its day: its Monday.
WEEK_OF_LATEST = "date_trunc('week', max(e.latest))::DATE"


def stale_countries(f: Filters, weekly: bool = False) -> Query:
    """The countries in view whose newest engagement is before the end of ``f``'s period.

    "In view" follows the place filters only (region, country, admin area: an area's country): a country is
    stale when its office stopped logging, not when one activity or organisation had nothing lately.

    :param weekly: for a pseudonymised viewer (hq): ``latest_engagement`` is the Monday of the week of the
        newest engagement, and a country is listed only when that whole week is before the period's end, so
        that moving the end date day by day does not give the day back either.
    """
    clauses, params = ["TRUE"], []
    if f.regions:
        clauses.append("list_contains(?::VARCHAR[], e.region)")
        params.append(list(f.regions))
    if f.countries:
        clauses.append("list_contains(?::VARCHAR[], e.iso3)")
        params.append(list(f.countries))
    if f.areas:
        clauses.append("e.iso3 IN (SELECT a.iso3 FROM admin_areas a WHERE list_contains(?::VARCHAR[], a.pcode))")
        params.append(list(f.areas))
    latest, last_day = (WEEK_OF_LATEST, f"{WEEK_OF_LATEST} + 6") if weekly else ("max(e.latest)",) * 2
    return f"""
    SELECT coalesce(c.name, e.iso3) AS country, e.iso3, {latest} AS latest_engagement
    FROM reporting_months e LEFT JOIN countries c ON c.iso3 = e.iso3
    WHERE {" AND ".join(clauses)} GROUP BY ALL HAVING {last_day} < ?
    ORDER BY latest_engagement, country
    """, [*params, f.end]
