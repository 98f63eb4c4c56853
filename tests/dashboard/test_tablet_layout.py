"""Every page at a tablet's size (820x1180) and a laptop's (1366x768), in a real browser: nothing cut, no empty chart.

For each kind of user (a coordinator: the content pages and a profile; hq: its pseudonymised pages; an admin: the
Data and Audit pages), one browser context opens every page the user may open (``dashboard/registry.py``) at
tablet size and looks at it as opened, with the sidebar opened by hand (then in each of its tabs too), and widened
to a laptop's size. Once the page is drawn:

* no metric value, label or delta and no button label is cut (an element that clips its overflow, with more
  text than room: Streamlit's "435,…" ellipsis, a download button squeezed to its icon);
* every chart on view has marks drawn (bars, lines, points, slices), and the map has areas or circles: the demo's
  data is there, so an empty chart is a bug;
* the sidebar starts closed at tablet width and open at laptop width (``dashboard/ui/narrow.py``).

Viewport screenshots of each page are left in ``test-artifacts/screenshots/tablet/``.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from dashboard import registry
from etl.accounts import roles
from tests.dashboard.conftest import (
    SCREENSHOTS,
    TEST_USERS,
    Server,
    error_texts,
    sql,
    visiting,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

SIZES = {"laptop": {"width": 1366, "height": 768}, "tablet": {"width": 820, "height": 1180}}
# The sidebar as each size should show it on load (its data-collapsed attribute).
SIDEBAR_COLLAPSED = {"laptop": "false", "tablet": "true"}
# One user per kind of view (tests/dashboard/conftest.py TEST_USERS); together they open every page.
USERS = ("test-coordinator", "test-hq", "test-admin-only")

# Text that is clipped: an element hiding its overflow (or ending it with "…") whose text is wider than its box, in a
# metric, a button or a choice shown in a select box; an input field narrower than its value or placeholder.
CUT_TEXT = """() => {
  const cut = [];
  const kind = el => el.closest('[data-testid="stMetric"]') ? 'metric'
    : el.closest('button') ? 'button' : 'field';
  const seen = document.querySelectorAll('[data-testid="stMetric"], [data-testid="stMetric"] *, button, button *, '
    + '[data-testid="stMain"] [data-baseweb="select"] *');
  for (const el of seen) {
    if (!el.checkVisibility()) continue;  // a label squeezed to 0 px is cut too: its width is not a reason to skip
    const style = getComputedStyle(el);
    if (style.overflowX !== 'visible' && el.scrollWidth > el.clientWidth && el.tagName !== 'INPUT') {
      cut.push(`${kind(el)} "${el.textContent.trim().slice(0, 60)}": ${el.scrollWidth} px of text in ${el.clientWidth} px`);
    }
  }
  const pen = document.createElement('canvas').getContext('2d');
  for (const input of document.querySelectorAll('[data-testid="stMain"] input:not([type="checkbox"])')) {
    if (!input.checkVisibility() || input.closest('[data-baseweb="select"]')) continue;
    const text = input.value || input.placeholder;
    const style = getComputedStyle(input);
    pen.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const needs = Math.ceil(pen.measureText(text).width);
    if (text && needs > room) cut.push(`field "${text.slice(0, 60)}": ${needs} px of text in ${Math.floor(room)} px`);
  }
  return cut;
}"""

# Per chart on view (plotly): is its SVG there, and how many marks with a size does it draw.
CHART_MARKS = """() => Array.from(document.querySelectorAll('[data-testid="stPlotlyChart"]'))
  .filter(chart => chart.checkVisibility())
  .map(chart => {
    const svg = chart.querySelector('.main-svg');
    const title = (chart.querySelector('.gtitle') || {}).textContent || '(untitled)';
    // A bar or slice counts when it has an area; a line when it has a length (a flat line is data too).
    const marks = Array.from(chart.querySelectorAll(
        '.cartesianlayer .trace path, .cartesianlayer image, .pielayer .slice path'))
      .filter(m => { const b = m.getBBox();
                     return m.classList.contains('js-line') ? b.width > 0 || b.height > 0 : b.width > 0 && b.height > 0; })
      .length;
    // Drawn: plotly's layers are there, at the width the chart has now (after a resize, once it has re-drawn).
    const fits = !!svg && Math.abs(Number(svg.getAttribute('width')) - chart.getBoundingClientRect().width) < 2;
    return {title: title, marks: marks, width: svg ? svg.getAttribute('width') : null,
            drawn: fits && !!chart.querySelector('.main-svg .cartesianlayer, .main-svg .pielayer')};
  })"""

MAP_MARKS = "() => document.querySelectorAll('.leaflet-container path.leaflet-interactive, .leaflet-marker-icon').length"


def _user_pages(user: str) -> list[registry.Page]:
    role, regions = TEST_USERS[user]
    return registry.pages_for(roles.scope_for(role, regions))


def test_the_users_cover_every_page() -> None:
    """The browser test below opens every page of the registry (a new page is checked without editing it)."""
    covered = {p.key for user in USERS for p in _user_pages(user)}
    assert covered == set(registry.BY_KEY), f"pages no test user opens: {set(registry.BY_KEY) - covered}"


def _address(page: registry.Page, counterpart_id: str) -> str:
    return f"{page.url}?id={counterpart_id}" if page.needs_id else page.url


def _settled(read, what: str, timeout_s: float = 30):  # type: ignore[no-untyped-def]
    """``read()`` once its answer is ready (``None`` means not yet) and the same twice in a row (drawing is over)."""
    deadline = time.monotonic() + timeout_s
    last = None
    while True:
        now = read()
        if now is not None and now == last:
            return now
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} still changing or not drawn after {timeout_s:.0f} s: {now}")
        last = now
        time.sleep(0.4)


def _charts(page) -> list[dict]:  # type: ignore[no-untyped-def]
    def read():  # type: ignore[no-untyped-def]
        charts = page.evaluate(CHART_MARKS)
        return charts if all(c["drawn"] for c in charts) else None

    return _settled(read, "the charts")


def _map_marks(page) -> int | None:  # type: ignore[no-untyped-def]
    """Areas and circles drawn on the map (the map page's), or None when no map came."""
    try:  # the map's frame is a component: it may come a moment after the page is drawn
        page.locator('iframe[title*="folium"]').first.wait_for(state="attached", timeout=30_000)
    except Exception:  # noqa: BLE001 - no map: reported by the caller
        return None

    def read():  # type: ignore[no-untyped-def]
        frames = [f for f in page.frames if _has_leaflet(f)]
        return sum(f.evaluate(MAP_MARKS) for f in frames) if frames else None

    return _settled(read, "the map")


def _has_leaflet(frame) -> bool:  # type: ignore[no-untyped-def]
    try:
        return frame.locator(".leaflet-container").count() > 0
    except Exception:  # noqa: BLE001 - a frame detached while we looked
        return False


@pytest.fixture(scope="module")
def profile_id(demo_db: Path) -> str:
    """The coordinator's (Middle East and North Africa) counterpart with the most engagements: a full profile."""
    return sql(demo_db, "SELECT counterpart_id FROM engagements WHERE region = ? GROUP BY counterpart_id "
                        "ORDER BY count(*) DESC, counterpart_id LIMIT 1", [TEST_USERS["test-coordinator"][1][0]])[0][0]


def _sidebar_is(page, collapsed: str, where: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The sidebar in the state expected, waited for (at tablet width a script closes it once the page is drawn)."""
    try:
        page.wait_for_selector(f'[data-testid="stSidebar"][data-collapsed="{collapsed}"]', state="attached",
                               timeout=15_000)
    except Exception:  # noqa: BLE001 - reported with the other problems
        state = page.get_attribute('[data-testid="stSidebar"]', "data-collapsed")
        return [f"{where}: the sidebar has data-collapsed={state}, expected {collapsed}"]
    return []


def _look(page, where: str, shot: Path, charted: bool, mapped: bool) -> list[str]:  # type: ignore[no-untyped-def]
    """What is wrong with the page as drawn now: errors, cut text, empty charts, an empty map."""
    charts = _charts(page)
    marks = _map_marks(page) if mapped else None
    page.screenshot(path=str(shot))
    problems = [f"{where}: error on the page: {e}" for e in error_texts(page)]
    problems += [f"{where}: cut {c} (screenshot {shot})" for c in dict.fromkeys(page.evaluate(CUT_TEXT))]
    problems += [f"{where}: chart {c['title']!r} draws nothing (screenshot {shot})" for c in charts if not c["marks"]]
    if charted and not charts:
        problems.append(f"{where}: no chart drawn on a page of figures (screenshot {shot})")
    if mapped and not marks:
        problems.append(f"{where}: the map draws no area or checkpoint ({marks}; screenshot {shot})")
    return problems


def _look_in_tabs(page, where: str, shot: Path) -> list[str]:  # type: ignore[no-untyped-def]
    """The same look at what each tab of the page holds (a tab's charts and buttons are drawn when it is chosen)."""
    problems: list[str] = []
    tabs = page.locator('[data-testid="stMain"] [data-testid="stTab"]')
    for n in range(tabs.count()):
        tab = tabs.nth(n)
        name = tab.inner_text().strip()
        tab.click()
        page.wait_for_function("t => t.getAttribute('aria-selected') === 'true'", arg=tab.element_handle())
        problems += _look(page, f"{where}, tab {name!r}", shot.with_name(f"{shot.stem}-tab{n}.png"), False, False)
    return problems


@pytest.mark.parametrize("user", USERS)
def test_every_page_fits_a_tablet_and_a_laptop(user: str, browser, server: Server,  # type: ignore[no-untyped-def]
                                               profile_id: str) -> None:
    """Each page is opened once, at tablet size, and looked at three ways: as opened (sidebar closed), with the
    sidebar opened by hand (the page narrower still), and with the window widened to a laptop's (the sidebar open,
    as a laptop shows it). A laptop-size load then checks that the sidebar starts open there."""
    folder = SCREENSHOTS / "tablet"
    folder.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    pages = _user_pages(user)
    with visiting(browser, server) as v:
        v.user = user
        for page in pages:
            address = _address(page, profile_id)
            v.page.set_viewport_size(SIZES["tablet"])
            v.open(address)
            name = f"{user}-{page.key}"
            where = f"{user} {address} at"
            problems += _sidebar_is(v.page, SIDEBAR_COLLAPSED["tablet"], f"{where} 820 px")
            problems += _look(v.page, f"{where} 820 px", folder / f"tablet-{name}.png", page.filters,
                              page.key == "map")

            if v.page.locator('[data-testid="stSidebar"][data-collapsed="true"]').count():  # reported above if not
                v.page.locator('[data-testid="stExpandSidebarButton"]').first.click()
            problems += _sidebar_is(v.page, "false", f"{where} 820 px, sidebar opened")
            problems += _look(v.page, f"{where} 820 px with the sidebar open", folder / f"tablet-{name}-sidebar.png",
                              page.filters, False)
            # The narrowest view: every tab's content too.
            problems += _look_in_tabs(v.page, f"{where} 820 px with the sidebar open",
                                      folder / f"tablet-{name}-sidebar.png")

            v.page.set_viewport_size(SIZES["laptop"])
            problems += _look(v.page, f"{where} 1366 px", folder / f"laptop-{name}.png", page.filters,
                              page.key == "map")
            # Forget the sidebar opened by hand (Streamlit remembers it): the next page opens as a new visit.
            v.page.evaluate("() => window.localStorage.clear()")

        v.page.set_viewport_size(SIZES["laptop"])
        v.open(_address(pages[0], profile_id))
        problems += _sidebar_is(v.page, SIDEBAR_COLLAPSED["laptop"], f"{user} {pages[0].url} opened at 1366 px")
        assert not v.external, f"requests to other hosts (blocked): {sorted(set(v.external))}"
    assert not problems, "\n".join(problems)
