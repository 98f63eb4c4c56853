"""The page registry (dashboard/registry.py) against the page files, the query sets and the router.

A page is declared once, in the registry; these tests fail when a page file is not registered, when a
registered file is missing, when two pages share a key, file, title or address, when the query sets and
the registry disagree, and when the router routes anything but the registered pages a role may open.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from dashboard import registry
from dashboard.db import queries
from etl.accounts import roles
from tests.dashboard.conftest import APP, TEST_USERS, signed_in_session


def _repeated(values: list[str]) -> list[str]:
    return sorted(v for v, n in Counter(values).items() if n > 1)


def test_every_page_file_is_registered() -> None:
    files = {p.name for p in registry.APP_PAGES.glob("*.py") if p.name != "__init__.py"}
    unregistered = sorted(files - {p.file for p in registry.PAGES})
    assert not unregistered, f"page files not in dashboard/registry.py (add a Page for each): {unregistered}"


def test_every_registered_file_exists() -> None:
    missing = [p.file for p in registry.PAGES if not (registry.APP_PAGES / p.file).is_file()]
    assert not missing, f"registered in dashboard/registry.py but not in {registry.APP_PAGES}: {missing}"
    assert all((APP.parent / p.script).is_file() for p in registry.PAGES), "script paths are not the router's"


@pytest.mark.parametrize("field", ["key", "file", "title", "url_path"])
def test_pages_do_not_collide(field: str) -> None:
    repeated = _repeated([getattr(p, field) for p in registry.PAGES])
    assert not repeated, f"two pages share the {field} {repeated} in dashboard/registry.py"


def test_addresses_are_plain_and_one_page_is_at_the_root() -> None:
    """Streamlit serves the default page at "/" only: exactly one page has the empty address, and it comes
    first; the others are single path segments (the "home" address is the router's own hidden page)."""
    assert [p.key for p in registry.PAGES if not p.url_path] == [registry.PAGES[0].key]
    bad = [p.url_path for p in registry.PAGES[1:] if not p.url_path.isidentifier() or p.url_path == "home"]
    assert not bad, f"addresses that are not one plain word: {bad}"


def test_capabilities_are_roles_capabilities() -> None:
    known = {v for k, v in vars(roles).items() if k.isupper() and isinstance(v, str) and k != "ALL_REGIONS"}
    unknown = {p.key: p.needs for p in registry.PAGES if p.needs not in known}
    assert not unknown, f"capabilities that etl/accounts/roles.py does not define: {unknown}"


def test_query_sets_agree_with_the_registry() -> None:
    named = [p.query_set for p in registry.PAGES if p.query_set]
    assert not _repeated(named), f"two pages share a query set: {_repeated(named)}"
    assert set(named) == set(queries.QUERY_SETS), (
        f"query sets named by pages {sorted(named)} vs defined in dashboard/db/queries.py "
        f"{sorted(queries.QUERY_SETS)}")
    assert all(p.query_set for p in registry.PAGES if p.warm), "a page marked warm has no query set to warm"
    with pytest.raises(KeyError, match="no query set"):
        queries.page_queries(next(p.key for p in registry.PAGES if not p.query_set), None)  # type: ignore[arg-type]


def _routed(at) -> dict[str, tuple[str, str]]:  # type: ignore[no-untyped-def]
    """What the last run's ``st.navigation`` registered: script path (relative to the router, '' for a page
    drawn by a function) -> (title, URL path)."""
    out = {}
    for info in at._registered_pages.values():  # noqa: SLF001 - AppTest keeps no public list of the pages
        script = info["script_path"]
        rel = Path(script).resolve().relative_to(APP.parent).as_posix() if script else f"<{info['url_pathname']}>"
        out[rel] = (info["page_name"], info["url_pathname"])
    return out


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("user", [None, *TEST_USERS])
def test_the_router_routes_exactly_the_registered_pages_a_role_may_open(user: str | None, demo_db: Path,
                                                                        use_db) -> None:
    from streamlit.testing.v1 import AppTest

    use_db(demo_db)
    at = AppTest.from_file(str(APP), default_timeout=60)
    if user:
        session = signed_in_session(demo_db, user)
        at.session_state["auth_session"] = session
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    routed = _routed(at)
    if user is None:  # the sign-in form answers at every registered address, and only there
        assert sorted(url for _title, url in routed.values()) == sorted(p.url_path for p in registry.PAGES)
        return
    expected = {p.script: (p.title, p.url_path) for p in registry.pages_for(session.scope)}
    assert expected, f"{user} may open no registered page: pick users that do"
    hidden = {k: v for k, v in routed.items() if k.startswith("<")}
    assert {k: v for k, v in routed.items() if k not in hidden} == expected, f"{user}: routed {routed}"
    # Besides: only the hidden page at "/" that sends a role whose first page has its own address there.
    assert list(hidden.values()) == ([("Home", "")] if registry.pages_for(session.scope)[0].url_path else [])
