"""Fixtures and helpers for the dashboard tests.

Databases are built through the real CLI (``python -m etl demo`` / ``python -m etl load``), once
per session. Two kinds of tests use them:

* AppTest tests run the Streamlit script in this process (``streamlit.testing.v1.AppTest``);
  the app finds its database through ``ACCESS_DB``, read by the cached ``get_settings()``.
* Browser tests (marked ``browser``) start a real ``streamlit run`` server and drive Debian's
  chromium through Playwright. No request may leave the machine: every request to a host other
  than 127.0.0.1/localhost is aborted and recorded, and the tests assert that none was made.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import pytest

from dashboard import registry
from tests.conftest import row, write_csv

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "dashboard" / "streamlit_app.py"
ARTIFACTS = REPO / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}

# The pages that show what the database holds (dashboard/registry.py; the audit log, which reads its own file,
# is tested on its own): page key -> (file relative to the router, URL path).
PAGES: dict[str, tuple[str, str]] = {p.key: (p.script, p.url) for p in registry.DATABASE_PAGES}
# Pages whose figures follow the sidebar filters.
FILTERED_PAGES = tuple(p.key for p in registry.PAGES if p.filters)

# Element types that carry figures (values, tables, charts, maps), as opposed to text.
FIGURE_TYPES = {"metric", "arrow_data_frame", "arrow_table", "table", "dataframe", "plotly_chart",
                "vega_lite_chart", "arrow_vega_lite_chart", "deck_gl_json_chart", "component_instance",
                "bidi_component", "iframe", "json", "map"}
CHART_TYPES = {"plotly_chart", "vega_lite_chart", "arrow_vega_lite_chart", "deck_gl_json_chart"}
# Long hex runs are ids generated per render (folium's map_<uuid>, element ids): not content.
_RANDOM_IDS = re.compile(rb"[0-9a-f]{16,}")


# ------------------------------------------------------------------------------ databases


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without the developer's own ACCESS_* settings (a tile server, another DB...)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCESS_")}
    return {**env, "PYTHONPATH": str(REPO), **extra}


def _etl(*args: str, ok_codes: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "etl", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=600, env=clean_env())
    assert done.returncode in ok_codes, f"python -m etl {' '.join(args)} exited {done.returncode}:\n" \
                                        f"{done.stdout}\n{done.stderr}"
    return done


# Session fixtures that another test package re-exports (tests/security/conftest.py) get a second
# instance from pytest; these hold the first one's value so that both share one database, one server
# and one Playwright (a second sync_playwright() in the same process fails).
_SHARED: dict[str, object] = {}


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4,000 demo engagements (seed 7), written and loaded by the real CLI."""
    if "demo_db" in _SHARED:
        return _SHARED["demo_db"]  # type: ignore[return-value]
    folder = tmp_path_factory.mktemp("demo")
    db = folder / "access.duckdb"
    _etl("demo", "--rows", "4000", "--seed", "7", "--db", str(db), "--out", str(folder / "logs"), "--quiet")
    assert sql(db, "SELECT count(*) FROM engagements")[0][0] > 3000
    _SHARED["demo_db"] = db
    return db


@pytest.fixture(scope="session")
def conflict_db(demo_db: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A copy of the demo database with conflict events and HDX HAPI counts planted by SQL
    (tests/dashboard/conflict_data.py): (path, the counterparts the planted events name)."""
    if "conflict_db" in _SHARED:
        return _SHARED["conflict_db"]
    from tests.dashboard.conflict_data import conflict_copy

    _SHARED["conflict_db"] = conflict_copy(demo_db, tmp_path_factory.mktemp("conflict"))
    return _SHARED["conflict_db"]


EMPTY_LOG_NAME = "only_bad_row.csv"


@pytest.fixture(scope="session")
def empty_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with the schema and one load, whose only row was rejected: no engagements."""
    folder = tmp_path_factory.mktemp("empty")
    db = folder / "access.duckdb"
    log = write_csv(folder / EMPTY_LOG_NAME, [row(country="ZZZ")])
    _etl("load", str(log), "--db", str(db), "--quiet", ok_codes=(1,))  # 1: nothing could be loaded
    assert sql(db, "SELECT count(*) FROM engagements")[0][0] == 0
    assert sql(db, "SELECT count(*) FROM loads")[0][0] == 1
    return db


@pytest.fixture(scope="session")
def missing_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database path where nothing has been built yet."""
    return tmp_path_factory.mktemp("missing") / "access.duckdb"


def sql(db: Path, query: str, params: list[object] | None = None) -> list[tuple]:
    """Ground truth straight from the database, read-only."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(query, params or []).fetchall()
    finally:
        con.close()


@dataclass(frozen=True)
class DemoFacts:
    """Values picked from the demo database that tests need (never hard-coded ids)."""

    counterpart_id: str
    counterpart_name: str
    yemen_name: str
    org_absent_from_yemen: str
    checkpoint_elsewhere: str


@pytest.fixture(scope="session")
def demo_facts(demo_db: Path) -> DemoFacts:
    cid, name = sql(demo_db, "SELECT counterpart_id, name FROM counterparts ORDER BY engagements DESC, "
                             "counterpart_id LIMIT 1")[0]
    yemen = sql(demo_db, "SELECT name FROM countries WHERE iso3 = 'YEM'")[0][0]
    org = sql(demo_db, "SELECT DISTINCT organisation FROM engagements WHERE organisation IS NOT NULL "
                       "AND organisation NOT IN (SELECT organisation FROM engagements WHERE iso3 = 'YEM' "
                       "AND organisation IS NOT NULL) ORDER BY 1 LIMIT 1")
    assert org, "the demo data has no organisation that never works in Yemen: pick another empty filter"
    checkpoint = sql(demo_db, "SELECT checkpoint_id FROM checkpoints WHERE iso3 <> 'YEM' ORDER BY 1 LIMIT 1")[0][0]
    return DemoFacts(cid, name, yemen, org[0][0], checkpoint)


# ------------------------------------------------------------------------------ AppTest


# Users of the test databases: (role, regions). Passwords are TEST_PASSWORD. "test-admin" reaches everything.
TEST_USERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "test-admin": ("admin", ("every known region",)),  # replaced by the list of regions (only hq takes "*")
    "test-hq": ("hq", ()),
    "test-coordinator": ("coordinator", ("Middle East and North Africa",)),
    "test-negotiator": ("negotiator", ("East and Horn of Africa",)),
    "test-admin-only": ("admin", ()),
}
TEST_PASSWORD = "correct horse battery staple"


def ensure_users(db: Path) -> Path:
    """The users file beside ``db`` with the test users (cheap argon2 settings: the hashes say their cost)."""
    from etl.accounts.users import UserStore, users_path
    from etl.config import Settings

    settings = Settings(db=db, argon2_time_cost=1, argon2_memory_kib=8192, argon2_parallelism=1)
    store = UserStore(users_path(settings), settings)
    if not store.exists() or not store.get("test-admin"):
        for name, (role, regions) in TEST_USERS.items():
            if store.get(name) is None:
                granted = store.known_regions() if regions == ("every known region",) else regions
                store.add_user(name, TEST_PASSWORD, role, granted)
    return store.path


def signed_in_session(db: Path, username: str = "test-admin"):  # type: ignore[no-untyped-def]
    """A fresh session for a test user, to put in AppTest's session state (as the sign-in form does)."""
    from etl.accounts.users import UserStore, users_path
    from etl.config import Settings

    ensure_users(db)
    settings = Settings(db=db)
    store = UserStore(users_path(settings), settings)
    return store.start_session(store.require(username))


@pytest.fixture
def use_db(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path], None]]:
    """Point the app (this process) at a database: only ACCESS_DB set, and the cached settings dropped."""
    from etl.config import get_settings

    def _use(db: Path) -> None:
        for key in [k for k in os.environ if k.startswith("ACCESS_")]:
            monkeypatch.delenv(key)
        monkeypatch.setenv("ACCESS_DB", str(db))
        get_settings.cache_clear()
        ensure_users(db)

    yield _use
    get_settings.cache_clear()
    monkeypatch.undo()  # ACCESS_DB back as it was before the next test reads settings
    get_settings.cache_clear()


@pytest.fixture(autouse=True, scope="session")
def full_error_details() -> Iterator[None]:
    """AppTest runs report the real exception (the app's config redacts it for users)."""
    from streamlit import config

    before = config.get_option("client.showErrorDetails")
    config.set_option("client.showErrorDetails", "full", "tests/dashboard/conftest.py")
    yield
    config.set_option("client.showErrorDetails", before, "tests/dashboard/conftest.py")


def open_page(page: str, params: dict[str, str | list[str]] | None = None, timeout: float = 60,
              user: str | None = "test-admin"):
    """Run the router on ``page`` with these URL parameters, signed in as ``user``; return the finished AppTest.

    The router runs once on the default page first, as a browser session would, so that
    ``switch_page`` finds the pages ``st.navigation`` registered; the URL parameters are then
    set again (a page switch must not depend on what the first page did with them).
    ``user=None`` opens the app without signing in.
    """
    from streamlit.testing.v1 import AppTest

    from etl.config import get_settings

    at = AppTest.from_file(str(APP), default_timeout=timeout)
    if user:
        at.session_state["auth_session"] = signed_in_session(get_settings().db, user)
    at.query_params.update(params or {})
    at.run()
    if page != "trends":
        at.query_params.clear()
        at.query_params.update(params or {})
        at.switch_page(registry.page(page).script).run()
    return at


def main_elements(at) -> list:
    """Every element (not container) on the main area, in page order."""
    from streamlit.testing.v1.element_tree import Block

    return [node for node in at.main if not isinstance(node, Block)]


def element_types(at) -> list[str]:
    return [e.type for e in main_elements(at)]


def figures(at) -> list[tuple[str, bytes]]:
    """What the page shows as figures (metrics, tables, charts, maps), comparable between runs."""
    out = []
    for e in main_elements(at):
        if e.type in FIGURE_TYPES:
            proto = e.proto
            blob = proto.SerializeToString(deterministic=True) if hasattr(proto, "SerializeToString") \
                else repr(proto).encode()
            out.append((e.type, _RANDOM_IDS.sub(b"#", blob)))
    return out


def figures_diff(a: list[tuple[str, bytes]], b: list[tuple[str, bytes]]) -> str:
    """Where two ``figures()`` lists differ, for an assertion message."""
    if [t for t, _ in a] != [t for t, _ in b]:
        return f"element types differ: {[t for t, _ in a]} vs {[t for t, _ in b]}"
    out = []
    for i, ((kind, x), (_, y)) in enumerate(zip(a, b, strict=True)):
        if x != y:
            at = next((j for j, (p, q) in enumerate(zip(x, y, strict=False)) if p != q), min(len(x), len(y)))
            out.append(f"#{i} {kind} at byte {at}: {x[max(0, at - 60):at + 60]!r} vs {y[max(0, at - 60):at + 60]!r}")
    return "\n".join(out) or "no difference"


def metrics(at) -> dict[str, str]:
    """Headline figures shown with st.metric on the main area: label -> value."""
    return {m.label: m.value for m in at.main.metric}


def charts(at) -> list[str]:
    return [t for t in element_types(at) if t in CHART_TYPES]


TEXT_TYPES = {"title", "header", "subheader", "markdown", "caption", "text", "code", "info", "warning", "success",
              "error", "latex"}


def page_text(at) -> str:
    """All text on the main area: titles, markdown, captions, alerts, metric and widget labels."""
    parts: list[str] = []
    for e in main_elements(at):
        if e.type in TEXT_TYPES and isinstance(e.value, str):
            parts.append(e.value)
        label = getattr(e.proto, "label", None)
        if isinstance(label, str):
            parts.append(label)
    return "\n".join(parts)


def dataframes(at) -> list:
    return [d.value for d in at.main.dataframe] + [t.value for t in at.main.table]


def map_tips(at) -> list[str]:
    """The tooltip HTML of every feature of the map on the page (each feature's ``tip`` property)."""
    import html
    import json

    tips = []
    for e in main_elements(at):
        if e.type == "component_instance":
            args = json.loads(e.proto.json_args)
            script = args.get("script", "") + args.get("feature_group", "")
            tips += [html.unescape(json.loads(m.group(1))) for m in re.finditer(r'"tip":\s*("(?:[^"\\]|\\.)*")', script)]
    return tips


def problems(at) -> str:
    """Exceptions and error messages anywhere on the page, as text for an assertion message."""
    out = [f"exception: {e.message}\n" + "\n".join(e.stack_trace) for e in at.exception]
    out += [f"error: {e.value}" for e in at.error]
    return "\n".join(out)


# ------------------------------------------------------------------------------ browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path


@contextlib.contextmanager
def running_server(db: Path, log_name: str = "streamlit-server.log", **settings: str) -> Iterator[Server]:
    """A real Streamlit server on ``db``, on a free local port, with ``settings`` (ACCESS_* variables); stopped on exit."""
    ARTIFACTS.mkdir(exist_ok=True)
    ensure_users(db)
    port = _free_port()
    log = ARTIFACTS / log_name
    env = clean_env(ACCESS_DB=str(db), PYTHONUNBUFFERED="1", **settings)
    with open(log, "w") as out:
        process = subprocess.Popen(
            # The launcher users get from `tasks.py run` (streamlit run, warmed up).
            [sys.executable, "-m", "dashboard", "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
             # Full details so that a failing page says why in the screenshot and the assertion.
             "--client.showErrorDetails", "full"],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"streamlit exited with {process.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not answer /_stcore/health within 90 s:\n{log.read_text()}")
            time.sleep(0.25)
        yield Server(url, process, log)
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def server(demo_db: Path) -> Iterator[Server]:
    """The app on the (read-only in tests) demo database."""
    if "server" in _SHARED:
        yield _SHARED["server"]  # type: ignore[misc]
        return
    with running_server(demo_db) as s:
        _SHARED["server"] = s
        try:
            yield s
        finally:
            _SHARED.pop("server", None)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)
    except ProcessLookupError:
        pass




@pytest.fixture(scope="session")
def browser() -> Iterator:
    if "browser" in _SHARED:
        yield _SHARED["browser"]
        return
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (python3 tasks.py test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        _SHARED["browser"] = chromium
        try:
            yield chromium
        finally:
            _SHARED.pop("browser", None)
            chromium.close()


@dataclass
class Visit:
    """A page in a fresh browser context, with the external requests it tried (all aborted)."""

    page: object
    server: Server
    external: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    user: str = "test-admin"

    def open(self, path: str, sign_in: bool = True) -> None:
        """Go to ``path`` (a new Streamlit session: it asks to sign in again) and sign in as ``user``."""
        self.page.goto(self.server.url + path, wait_until="domcontentloaded")
        wait_for_app(self.page)
        if sign_in and self.page.locator('[data-testid="stForm"]').filter(has_text="Password").count():
            sign_in_with(self.page, self.user, TEST_PASSWORD)
            # The app sets its sign-in cookie just after the first page is drawn (a code traded by a fetch), and
            # a download is served only with it (dashboard/session/media_owners.py): on a busy machine a click
            # could come first. Waited for here, so every test starts signed in as a browser stays.
            if session_cookie(self.page, wait_s=60):
                wait_for_app(self.page)  # and whatever rerun the trade started


@pytest.fixture
def visit(browser, server: Server) -> Iterator[Visit]:
    with visiting(browser, server) as v:
        yield v


@contextlib.contextmanager
def visiting(browser, server: Server) -> Iterator[Visit]:  # type: ignore[no-untyped-def]
    """A fresh browser context on ``server``, every request to another host aborted and recorded."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    page = context.new_page()
    v = Visit(page, server)

    def guard(route) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if host in LOCAL_HOSTS or route.request.url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            v.external.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page.on("console", lambda msg: v.console_errors.append(msg.text) if msg.type == "error" else None)
    try:
        yield v
    finally:
        context.close()


APP_IDLE = '[data-testid="stApp"][data-test-connection-state="CONNECTED"][data-test-script-state="notRunning"]'
ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'


BUSY = '[data-testid="stSkeleton"], [data-testid="stStatusWidgetRunningIcon"], [data-testid="stSpinner"]'


def session_cookie(page, wait_s: float = 0.0) -> dict | None:  # type: ignore[no-untyped-def]
    """The app's sign-in cookie in the page's browser context; with ``wait_s``, waited for that long at most."""
    deadline = time.monotonic() + wait_s
    while True:
        cookie = next((c for c in page.context.cookies() if c["name"] == "access_session"), None)
        if cookie is not None or time.monotonic() >= deadline:
            return cookie
        page.wait_for_timeout(200)


def sign_in_with(page, username: str, password: str) -> None:
    """Fill the sign-in form and submit it; waits for the page that follows."""
    page.get_by_label("Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    wait_for_app(page)


def wait_for_app(page, settle_ms: int = 300, timeout_ms: int = 60_000) -> None:
    """Wait until Streamlit has connected, run the script and drawn its elements, then let it settle.

    Right after an interaction the rerun may not have started yet, so the idle state is checked
    again after the settle.
    """
    for _ in range(5):
        page.wait_for_selector(APP_IDLE, timeout=timeout_ms)
        page.wait_for_function(f"() => !document.querySelector({BUSY!r})", timeout=timeout_ms, polling=100)
        page.wait_for_timeout(settle_ms)
        if page.locator(APP_IDLE).count() and not page.locator(BUSY).count():
            return


def shot(page, name: str) -> Path:
    """Save a screenshot of the whole page to test-artifacts/screenshots/<name>.png.

    Streamlit scrolls inside its main container, not the document, so a "full page" screenshot
    only shows the viewport: the viewport is made as tall as the content for the shot.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    size = page.viewport_size
    height = page.evaluate("""() => Math.max(...['stMain', 'stSidebarContent'].map(id =>
        document.querySelector(`[data-testid="${id}"]`)?.scrollHeight || 0))""")
    try:
        if size and height > size["height"]:
            page.set_viewport_size({"width": size["width"], "height": min(int(height) + 40, 12_000)})
            page.wait_for_timeout(300)
        page.screenshot(path=str(path), full_page=True)
    finally:
        if size:
            page.set_viewport_size(size)
    return path


def error_texts(page) -> list[str]:
    return [t.strip()[:2000] for t in page.locator(ERRORS).all_inner_texts()]


def metric_values(page) -> dict[str, str]:
    """Headline metrics on the main area: label -> value, as the user reads them."""
    out = {}
    for m in page.locator('[data-testid="stMain"] [data-testid="stMetric"]').all():
        label = m.locator('[data-testid="stMetricLabel"]').inner_text().strip()
        out[label] = m.locator('[data-testid="stMetricValue"]').inner_text().strip()
    return out


def wait_for_metric(page, label: str, expected: str | None = None, timeout_s: float = 60) -> str:
    """The value of the main-area metric ``label`` once it is drawn (and equals ``expected``, when given).

    Reading a metric right after a page load or a rerun can catch the page half drawn, or the previous
    run's value: wait for what is asserted instead of reading once.
    """
    deadline = time.monotonic() + timeout_s
    seen: str | None = None
    while True:
        seen = metric_values(page).get(label)
        if seen is not None and (expected is None or seen == expected):
            return seen
        if time.monotonic() > deadline:
            raise AssertionError(f"metric {label!r} is {seen!r} after {timeout_s:.0f} s, expected {expected!r}")
        page.wait_for_timeout(250)


def region_users(db: Path, roles: tuple[str, ...] = ("coordinator", "negotiator", "hq", "admin")) -> dict[
        tuple[str, str], str]:
    """One test user per role and per region holding engagements in ``db``, granted that region only
    (password TEST_PASSWORD, cheap argon2 settings): ``{(role, region): username}``."""
    from etl.accounts.users import UserStore, users_path
    from etl.config import Settings

    ensure_users(db)
    settings = Settings(db=db, argon2_time_cost=1, argon2_memory_kib=8192, argon2_parallelism=1)
    store = UserStore(users_path(settings), settings)
    out = {}
    for (region,) in sql(db, "SELECT DISTINCT region FROM engagements ORDER BY 1"):
        for role in roles:
            name = f"t-{role}-{''.join(w[0] for w in region.split()).lower()}"
            if store.get(name) is None:
                store.add_user(name, TEST_PASSWORD, role, [region])
            out[(role, region)] = name
    return out
