"""The alerts a signed-in user may see: :mod:`etl.analysis.alerts` run on the user's scoped views.

The counts are read through :func:`dashboard.db.connection.query_as` (the scoped views of
:mod:`dashboard.db.scope`): a coordinator's alerts come from their regions' rows only, and hq's name
counterparts by their codes. Where the disclosure rule applies (``k``, :mod:`dashboard.db.disclosure`) no
alert rests on fewer than ``k`` engagements in its month. The page keeps the result per data version and
scope (:mod:`dashboard.ui.alerts`).
"""

from __future__ import annotations

import datetime as dt

from dashboard.db.filters import Filters
from etl.accounts.roles import Scope
from etl.analysis import alerts as engine
from etl.analysis.sql import Query

# A counterpart profile lists the alerts of this many months, up to its last engagement.
PROFILE_MONTHS = 12


def month_of(f: Filters) -> dt.date:
    """The calendar month whose alerts a page shows: the one the period ends in."""
    return engine.month_start(f.end)


def profile_months(last_seen: dt.date) -> list[dt.date]:
    """The months of a profile's alerts, oldest first, up to the counterpart's last engagement."""
    last = engine.month_start(last_seen)
    return [engine.add_months(last, -i) for i in range(PROFILE_MONTHS - 1, -1, -1)]


def trends_queries(f: Filters) -> list[Query]:
    """The queries the Trends page's alerts run (its query set, for the warm-up and the benchmark)."""
    return engine.reads([month_of(f)], regions=f.regions, countries=f.countries, areas=f.areas)


def profile_queries(counterpart_id: str, last_seen: dt.date) -> list[Query]:
    """The queries a counterpart profile's alerts run."""
    return engine.reads(profile_months(last_seen), counterpart_id=counterpart_id)


def alerts_as(scope: Scope, months: tuple[dt.date, ...], regions: tuple[str, ...] = (),
              countries: tuple[str, ...] = (), areas: tuple[str, ...] = (), counterpart_id: str = "",
              k: int | None = None) -> dict[dt.date, list[engine.Alert]]:
    """The alerts of ``months`` as ``scope`` sees the data, none on fewer than ``k`` engagements in its month."""
    # Imported here: the query lists above are also read by `python -m etl snapshot` (through queries.py), which
    # must not start Streamlit's cache (it warns on stderr outside the app).
    from dashboard.db.connection import query_as

    return engine.alerts_by_month(lambda text, params: query_as(scope, text, params), list(months), regions=regions,
                                  countries=countries, areas=areas, counterpart_id=counterpart_id or None,
                                  min_engagements=k)
