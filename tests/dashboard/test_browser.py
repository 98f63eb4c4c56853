"""The dashboard in a real browser: Debian's chromium against ``streamlit run`` on the demo database.

Nothing may leave the machine (field offices work offline and negotiation data is confidential):
every request to another host is aborted, recorded, and fails the test. Each page leaves a
full-page screenshot in ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from tests.dashboard.conftest import (
    ARTIFACTS,
    PAGES,
    DemoFacts,
    Visit,
    error_texts,
    metric_values,
    shot,
    wait_for_app,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(180)]


def _assert_clean(v: Visit, what: str) -> None:
    errors = error_texts(v.page)
    assert not errors, f"{what}: error on the page:\n" + "\n---\n".join(errors)
    assert not v.external, f"{what}: requests to other hosts (blocked): {sorted(set(v.external))}"


@pytest.mark.parametrize("page", list(PAGES))
def test_page_opens_without_errors_or_external_requests(page: str, visit: Visit) -> None:
    visit.open(PAGES[page][1])
    path = shot(visit.page, page)
    _assert_clean(visit, f"{PAGES[page][1]} (screenshot {path})")
    assert visit.page.locator('[data-testid="stMain"] h1').count() > 0, f"{page}: no page title"
    if page == "trends":
        # The demo's Iraq log stops before the newest data: the period runs past it, and the page says so
        # above the figures (dashboard/ui/freshness.py, drawn by dashboard/shell.py for every filtered page).
        warning = visit.page.locator('[data-testid="stMain"] [data-testid="stAlert"]').filter(
            has_text="past the newest data")
        assert warning.count() == 1 and warning.first.is_visible(), f"no freshness warning (screenshot {path})"
        assert "latest log" in warning.first.inner_text()


def test_requests_to_other_hosts_are_blocked_and_recorded(visit: Visit) -> None:
    """The guard every browser test relies on: an outside request is aborted and noted."""
    outside = "https://tile.openstreetmap.org/0/0/0.png"
    with visit.page.expect_event("requestfailed", predicate=lambda r: r.url == outside):
        visit.page.set_content(f'<img src="{outside}">')
    assert visit.external == [outside]


def _leaflet_frame(v: Visit):
    """The frame holding the Leaflet map (streamlit-folium draws it in an iframe)."""
    for _ in range(100):  # up to ~20 s for the component iframe to load and draw
        for frame in v.page.frames:
            try:
                if frame.locator(".leaflet-container").count():
                    return frame
            except Exception:  # a frame detached while we looked: try the others
                continue
        v.page.wait_for_timeout(200)
    return None


def test_map_draws_leaflet_with_checkpoints(visit: Visit) -> None:
    visit.open("/map")
    frame = _leaflet_frame(visit)
    path = shot(visit.page, "map")
    assert frame is not None, f"no .leaflet-container in any frame (screenshot {path})"
    box = frame.locator(".leaflet-container").first.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100, f"the map is not drawn at a visible size: {box}"
    frame.locator("path.leaflet-interactive").first.wait_for(state="attached", timeout=20_000)
    assert frame.locator("path.leaflet-interactive").count() > 0, "no checkpoint circles on the map"
    _assert_clean(visit, "/map")


def test_map_shows_security_incidents_when_asked(visit: Visit) -> None:
    """The demo has a public incident feed: the toggle adds its incidents to the map, as local circles."""
    visit.open("/map")
    frame = _leaflet_frame(visit)
    assert frame is not None
    frame.locator("path.leaflet-interactive").first.wait_for(state="attached", timeout=20_000)
    before = frame.locator("path.leaflet-interactive").count()
    visit.page.get_by_text("Security incidents", exact=True).click()
    wait_for_app(visit.page)
    frame = _leaflet_frame(visit)
    assert frame is not None
    frame.locator("path.leaflet-interactive").first.wait_for(state="attached", timeout=20_000)
    after = frame.locator("path.leaflet-interactive").count()
    path = shot(visit.page, "map_incidents")
    assert after > before, f"no incident circles added ({before} -> {after}; screenshot {path})"
    assert "security incident" in visit.page.inner_text("body")  # the legend outside the map
    _assert_clean(visit, "/map")


def test_filter_in_the_url_is_applied(visit: Visit, demo_facts: DemoFacts) -> None:
    visit.open("/")
    everywhere = metric_values(visit.page)
    assert everywhere, "no headline metrics on Trends"

    visit.open("/?country=YEM")
    shot(visit.page, "trends_yemen")
    _assert_clean(visit, "/?country=YEM")
    country = visit.page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(
        has_text=re.compile(r"^\s*Country", re.M))
    assert country.count() == 1, "no Country filter in the sidebar"
    chosen = [t.strip() for t in country.locator('[data-testid="stMultiSelectTagsContainer"] [data-tag], [data-baseweb="tag"]').all_inner_texts()]
    assert chosen == [demo_facts.yemen_name], f"the Country filter shows {chosen}, not {demo_facts.yemen_name}"
    yemen = metric_values(visit.page)
    assert yemen.keys() == everywhere.keys()
    assert yemen != everywhere, "the headline figures for Yemen are those for all countries"
    assert "country=YEM" in visit.page.url


def test_brief_downloads_from_a_profile(visit: Visit, demo_facts: DemoFacts) -> None:
    visit.open(f"/counterpart?id={demo_facts.counterpart_id}")
    shot(visit.page, "counterpart_profile")
    _assert_clean(visit, "profile")
    button = visit.page.locator('[data-testid="stDownloadButton"]').filter(has_text=re.compile("brief", re.I))
    assert button.count() >= 1, "no brief download button on the profile"
    # The brief is built when the button is clicked: click once the page is idle, and wait for the file as long as
    # a busy machine needs to build it (a wait for what is asserted, not a timing assertion).
    wait_for_app(visit.page)
    with visit.page.expect_download(timeout=120_000) as info:
        button.first.locator("button, a").first.click()
    download = info.value
    ARTIFACTS.mkdir(exist_ok=True)
    saved = ARTIFACTS / (download.suggested_filename or "brief.html")
    download.save_as(saved)
    text = Path(saved).read_text(encoding="utf-8")
    assert download.suggested_filename.lower().endswith((".html", ".htm")), download.suggested_filename
    assert re.search(r"<html|<!doctype html", text, re.I), "the brief is not an HTML document"
    name = demo_facts.counterpart_name
    assert name in text or html.escape(name) in text, f"the brief does not name {name!r}"
    assert "<script" not in text.lower(), "the brief contains a script"
    wait_for_app(visit.page)
    _assert_clean(visit, "profile after the download")

