"""Every page of the dashboard, declared once.

The router (``dashboard/streamlit_app.py``) routes these pages, the query layer
(:func:`dashboard.db.queries.page_queries`) finds each page's query set here, the start-up warm-up
(:mod:`dashboard.warmup`) caches the default view of the pages marked ``warm``, and the tests and
``bench/bench_pages.py`` take their page lists from here. Adding a page means writing its file in
``dashboard/app_pages/`` and one :class:`Page` below (plus its SQL in ``dashboard/db/queries.py`` when it
has a query set); ``tests/dashboard/test_registry.py`` fails when the two disagree.

No Streamlit import here: the tests and the benchmark read this module without starting an app.

>>> page("map").script, page("map").url, page("trends").url
('app_pages/map.py', '/map', '/')
>>> [p.key for p in PAGES if p.filters]
['trends', 'map', 'obstacles', 'counterparts']
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from etl.accounts import roles

APP_PAGES = Path(__file__).parent / "app_pages"
"""The folder of the page files (named ``app_pages``: Streamlit treats a ``pages/`` folder specially)."""


@dataclass(frozen=True)
class Page:
    """One page of the dashboard.

    :param key: its short name, used by :func:`dashboard.db.queries.page_queries`, the tests and the bench.
    :param file: its file in ``dashboard/app_pages/``.
    :param title: the title in the sidebar.
    :param icon: a Material icon (drawn from the app's own font: nothing fetched from outside).
    :param url_path: its address after the app's root; ``""`` for the page served at ``/``.
    :param needs: the role capability (:mod:`etl.accounts.roles`) a user needs for the router to route the
        page at all; a user without it gets no such page.
    :param filters: its figures follow the sidebar filters (which live in the URL).
    :param query_set: the name of its query set in :data:`dashboard.db.queries.QUERY_SETS` (every query the
        page runs for one view: what the warm-up caches and the bench times), or ``None`` for a page that
        reads no table of the database (the audit log reads its own file).
    :param warm: the warm-up caches its default view at start-up, for each kind of user who may open it
        (``needs``). Needs a query set.
    :param needs_id: it shows one record, chosen with ``?id=`` (the counterpart lookup): the browser tests
        and the bench open it on one.
    """

    key: str
    file: str
    title: str
    icon: str
    url_path: str
    needs: str
    filters: bool = False
    query_set: str | None = None
    warm: bool = False
    needs_id: bool = False

    @property
    def script(self) -> str:
        """The file relative to the router, as ``st.Page`` and ``AppTest.switch_page`` take it."""
        return f"{APP_PAGES.name}/{self.file}"

    @property
    def url(self) -> str:
        """Its address from the app's root: ``/`` or ``/map``."""
        return "/" + self.url_path


# In sidebar order; the first page a role may open is its landing page.
PAGES: tuple[Page, ...] = (
    Page("trends", "trends.py", "Trends", ":material/trending_up:", "", roles.TRENDS,
         filters=True, query_set="trends", warm=True),
    Page("map", "map.py", "Map", ":material/map:", "map", roles.TRENDS,
         filters=True, query_set="map", warm=True),
    Page("obstacles", "obstacles.py", "Obstacles", ":material/block:", "obstacles", roles.PATTERNS,
         filters=True, query_set="obstacles", warm=True),
    Page("counterparts", "counterparts.py", "Counterparts", ":material/groups:", "counterparts", roles.PATTERNS,
         filters=True, query_set="counterparts", warm=True),
    Page("counterpart", "counterpart.py", "Counterpart lookup", ":material/person_search:", "counterpart",
         roles.COUNTERPART_LOOKUP, query_set="profile", needs_id=True),
    Page("data", "data.py", "Data", ":material/database:", "data", roles.LOADS,
         query_set="data", warm=True),
    Page("audit", "audit.py", "Audit log", ":material/policy:", "audit", roles.AUDIT_LOG),
)

BY_KEY: dict[str, Page] = {p.key: p for p in PAGES}

DATABASE_PAGES: tuple[Page, ...] = tuple(p for p in PAGES if p.query_set)
"""The pages that show what the database holds (those with a query set)."""


def page(key: str) -> Page:
    """The page named ``key``; a ``KeyError`` naming the known pages otherwise.

    >>> page("data").needs
    'loads'
    """
    try:
        return BY_KEY[key]
    except KeyError:
        raise KeyError(f"no page {key!r} in dashboard/registry.py (known: {', '.join(BY_KEY)})") from None


def pages_for(scope: roles.Scope) -> list[Page]:
    """The pages a user with ``scope`` may open, in sidebar order (what the router routes for them).

    >>> [p.key for p in pages_for(roles.scope_for("admin", ()))]
    ['data', 'audit']
    """
    return [p for p in PAGES if scope.may(p.needs)]
