"""Warm the server at start-up, so that the first person to open a page does not pay for it.

A field office often starts the dashboard, then opens it: without this, that first visit waits
for Python to import the chart and map libraries (about 1.5 s) and for DuckDB to read the file
and compute each page's default view. :func:`start` runs in the server process (see
``dashboard/__main__.py``): it imports the page modules, copies the local Leaflet files, then,
in a background thread once Streamlit's runtime is up, runs every page's default queries through
the same cache the pages use (:func:`dashboard.db.connection.query`). Nothing here is needed for
correctness; any failure is logged and the app works as without it.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dashboard.db.filters import Filters
    from etl.accounts.roles import Scope

log = logging.getLogger(__name__)

# Libraries the pages import; importing them here puts them in ``sys.modules`` before any visit.
LIBRARIES = ("pandas", "plotly.express", "plotly.graph_objects", "folium", "shapely")
# Modules that declare Streamlit caches: imported only once the runtime exists (before it,
# Streamlit binds their caches to a private storage). ``streamlit_folium`` is left to the map
# page: a component declared outside a page run is never registered and the map stays blank.
APP_MODULES = ("dashboard.db.connection", "dashboard.ui.charts", "dashboard.ui.maps", "dashboard.ui.components",
               "dashboard.ui.exports", "dashboard.lookup.search", "dashboard.lookup.brief", "dashboard.uploads", "dashboard.shell")


# When a page last started running (time.monotonic()), set by the router: the warm-up gives way to visitors.
_last_visit = 0.0
# The warm-up waits until nobody's page has run for this long before its next step...
QUIET_S = 1.0
# ...but never more than this in all, so that it ends even while people use the app.
MAX_YIELD_S = 15.0
_yielded = 0.0


def visitor() -> None:
    """Called by the router at the start of every run: someone is drawing a page right now."""
    global _last_visit
    _last_visit = time.monotonic()


def give_way() -> None:
    """Wait while a visitor's page is being drawn (the warm-up's queries and figures would compete with it
    for the two cores of a field laptop and for Python's lock); bounded by :data:`MAX_YIELD_S` in all."""
    global _yielded
    while _yielded < MAX_YIELD_S and time.monotonic() - _last_visit < QUIET_S:
        time.sleep(0.05)
        _yielded += 0.05


def preload(names: tuple[str, ...]) -> None:
    """Import modules the pages use (errors are left for the page to report)."""
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - warming is best effort; the page reports real errors
            log.warning("warm-up: could not import %s", name, exc_info=True)


def _default_views(max_scopes: int) -> list[tuple[Scope, Filters]]:
    """(scope, the filters a visitor without URL parameters gets) for each distinct scope of the users in the
    users file (up to ``max_scopes``, demo users first) that has data to show."""
    from dashboard.db import filters, queries
    from dashboard.db.connection import current_version, query_as
    from dashboard.db.scope import scope_key
    from etl.accounts.shared_users import user_store
    from etl.config import get_settings

    if current_version() is None:
        return []
    settings = get_settings()
    users = user_store(settings)
    scopes = {}
    for user in sorted(users.list_users() if users.exists() else [], key=lambda u: not u.demo):
        if not user.disabled:
            scopes.setdefault(scope_key(user.scope), user.scope)
    views = []
    for scope in list(scopes.values())[:max_scopes]:
        bounds = query_as(scope, queries.DATE_BOUNDS)
        if bounds.empty or str(bounds.iloc[0]["first"]) in ("NaT", "None"):
            continue
        first, last = (v.date() if hasattr(v, "date") else v for v in (bounds.iloc[0]["first"], bounds.iloc[0]["last"]))
        views.append((scope, filters.from_query_params({}, first, last)))
    return views


def warm_queries(views: list[tuple[Scope, Filters]]) -> int:
    """Run the default queries of each page marked ``warm`` (dashboard/registry.py) through the page cache, for
    each kind of user who may open it; returns how many ran.

    The cache is per scope (what a user may see), so the queries are run as each scope of ``views``; the
    filters are the ones a visitor without URL parameters gets, so their cache keys are the ones the first
    visit looks up.
    """
    from dashboard import registry
    from dashboard.db import queries
    from dashboard.db.connection import query_as

    done = 0
    for scope, f in views:
        query_as(scope, queries.FILTER_OPTIONS)
        query_as(scope, queries.LABELS)
        done += 3  # with DATE_BOUNDS, run by _default_views
        for page in registry.PAGES:  # the pages marked ``warm``, for the users who may open them
            if page.warm and scope.may(page.needs):
                for sql, params in queries.page_queries(page.key, f):
                    give_way()
                    query_as(scope, sql, params)
                    done += 1
    return done


def warm_drawing(views: list[tuple[Scope, Filters]]) -> None:
    """Build and serialise one of each chart and the map once, on the default view of the first user who has them.

    The first plotly express figure in a process costs about 0.2 s more than the next ones (templates and
    validators load lazily), and the first folium map likewise; without this, the first visitor after a
    restart pays for it. The figures and the map are thrown away; the area shapes (the same for every
    user, cached per data version by :func:`dashboard.ui.maps.area_shapes`) stay cached.
    """
    import plotly.io

    from dashboard.db import queries
    from dashboard.db.connection import query_as
    from dashboard.ui import charts, maps
    from dashboard.ui.static_assets import leaflet_urls
    from etl.config import get_settings

    scope, f = next(((s, f) for s, f in views if s.may("trends")), (None, None))
    if scope is None or f is None:
        return
    monthly = query_as(scope, *queries.monthly_outcomes(f))
    regions = query_as(scope, *queries.by_region(f))
    incidents = query_as(scope, *queries.incidents_monthly(f))
    figures = [charts.monthly_outcomes(monthly), charts.regions_denial(regions)]
    if not incidents.empty:
        figures.append(charts.incidents_beside_denials(monthly, incidents))
    for fig in figures:
        plotly.io.to_json(fig, validate=False)
    give_way()
    js, css = leaflet_urls()
    fmap = maps.build_map(maps.area_shapes(scope=scope), query_as(scope, *queries.area_measures(f)),
                          query_as(scope, *queries.checkpoint_points(f)), next(iter(maps.MEASURES)),
                          leaflet_js=js, leaflet_css=css, tile_url=get_settings().tile_url)
    fmap.get_root().render()


def _when_runtime_is_up(timeout_s: float = 120.0) -> None:
    from streamlit.runtime import Runtime

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not Runtime.exists():
        time.sleep(0.1)
    if not Runtime.exists():
        return
    start = time.monotonic()
    # Imports and cache calls warn when made outside a page run; that is expected here.
    quiet = [logging.getLogger(n) for n in ("streamlit.runtime.scriptrunner_utils.script_run_context",
                                            "streamlit.runtime.caching.cache_data_api",
                                            "streamlit.runtime.caching.cache_resource_api")]
    levels = [q.level for q in quiet]
    for q in quiet:
        q.setLevel(logging.ERROR)
    try:
        preload(APP_MODULES)
        from dashboard.ui.static_assets import ensure_leaflet

        ensure_leaflet()
        views = _default_views(max_scopes=8)
        n = warm_queries(views)
        give_way()
        warm_drawing(views)
        # A plain line on the console: operators (and bench/bench_pages.py) see when the first visit is fast.
        print(f"  Warm-up done: {n} queries cached in {time.monotonic() - start:.1f} s.", flush=True)
    except Exception:  # noqa: BLE001 - best effort: the page will run and report the query itself
        log.warning("warm-up: the default queries could not be cached", exc_info=True)
    finally:
        for q, level in zip(quiet, levels, strict=True):
            q.setLevel(level)


def start() -> None:
    """Import libraries now; the app modules and default queries in a background thread once the server runs."""
    preload(LIBRARIES)
    threading.Thread(target=_when_runtime_is_up, name="warm-up", daemon=True).start()
