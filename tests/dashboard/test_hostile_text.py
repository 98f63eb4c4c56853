"""Hostile text from a log renders as plain text on every page, in the map and in the printable brief.

A log whose every text field carries markup (script tags, event-handler attributes, ``javascript:``
links, markdown and Streamlit directives, plotly template syntax, a 5,000-character string, a
right-to-left override, zero-width characters, line breaks) is loaded by the real ETL beside a few
ordinary rows, with a public incident feed row written the same way. Then:

* AppTest opens every page (the hostile counterpart's profile, the map with incidents) and checks
  the markdown, HTML and widget-label bodies it sends: the payload may only appear escaped;
  plotly figures carry no raw markup and no overlong label;
* a real browser visits every page, hovers and opens the map tooltips, downloads the brief and
  opens it: nothing the payload would create exists, no script ran (``window.__pwned``), no dialog
  opened, nothing left the machine, and the payload is visible *as text* (so dropping the rows
  would fail the test).
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard import registry
from etl.config import Settings
from etl.demo.feeds import AWSD_HEADER, AWSD_HXL
from etl.intake import load_paths
from tests.conftest import row, write_csv
from tests.dashboard.conftest import (
    APP,
    ARTIFACTS,
    LOCAL_HOSTS,
    PAGES,
    TEST_PASSWORD,
    Server,
    Visit,
    error_texts,
    main_elements,
    open_page,
    problems,
    running_server,
    shot,
    sql,
    wait_for_app,
)

# Each payload tries another way in; none contains ";" (the conditions separator) so it stays whole.
SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=2">'
SVG = '<svg onload="window.__pwned=3">'
LINK = '<a href="javascript:window.__pwned=4">hostile link</a>'
MARKDOWN = "[click](javascript:alert(1)) ![pic](javascript:alert(5))"
TEMPLATES = "{{7*7}} %{customdata} %{y} ${x}"
BIDI = "\u202eevil\u202c\u200b\u200dzw\ufeff"
LINES = "line one\nline two <b>bold</b>"
DIRECTIVES = ":red[alert] **bold** $x^2$ # heading"
LONG = "W" * 5000
PAYLOADS = [SCRIPT, IMG, SVG, LINK, MARKDOWN, TEMPLATES, BIDI, LINES, DIRECTIVES, LONG]
TEXT_FIELDS = ["counterpart", "counterpart_affiliation", "checkpoint", "location", "notes", "intermediary",
               "organisation", "conditions", "request_id", "engagement_id"]
# The counterpart whose profile and brief are opened: a script tag for a name.
VICTIM = f"{SCRIPT} cou0"

# Markup that must never reach a renderer unescaped. In markdown a backslash escapes the next
# character; in HTML and plotly labels "<" must have become "&lt;".
MARKDOWN_RAW = [re.compile(p) for p in (
    r"(?<!\\)<(?:script|img|svg|a|b)\b", r"(?<!\\)\]\(javascript", r":red\[", r"(?<!\\)\*\*bold", r"(?<!\\)\$x\^2",
    r"(?m)^#\s*heading")]
HTML_RAW = re.compile(r"<(?:script|img|svg|a|b)\b[^>]*(?:pwned|hostile|bold)|<b>bold", re.I)
# A right-to-left override must stay inside a first-strong isolate (U+2068 ... U+2069), or it turns the
# rest of the line around.
LOOSE_OVERRIDE = re.compile("\u202e(?![^\u2068\u2069]*\u2069)")
# More of the 5,000-character payload than a heading or a label should ever show.
TOO_LONG = "W" * 400


def _when(days_ago: int) -> str:
    return (dt.date.today() - dt.timedelta(days=days_ago)).isoformat()


def _awsd_row(place: str, actor: str, details: str) -> list[str]:
    """One incident of the Aid Worker Security Database's export, in Aden, with hostile text."""
    day = dt.date.today() - dt.timedelta(days=20)
    cells = dict.fromkeys(AWSD_HEADER, "0")
    cells.update({"Incident ID": "990001", "Year": str(day.year), "Month": str(day.month), "Day": str(day.day),
                  "Country Code": "YE", "Country": "Yemen", "Region": "Aden", "District": place, "City": place,
                  "Nationals killed": "1", "Total nationals": "1", "Total killed": "1", "Total affected": "1",
                  "NNGO": "1", "Gender Unknown": "1", "Means of attack": "Shooting", "Attack context": "Ambush",
                  "Location": "Road", "Latitude": "12.86", "Longitude": "44.99", "Motive": "Unknown",
                  "Actor type": "Unknown", "Actor name": actor, "Details": details, "Verified": "Yes",
                  "Source": details})
    return [cells[h] for h in AWSD_HEADER]


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ordinary rows so every page draws something, then one row per payload in every text field."""
    folder = tmp_path_factory.mktemp("hostile_text")
    rows = [row(engagement_id=f"N-{i}", request_id=f"RN-{i}", date=_when(10 + 7 * i), request_date=_when(12 + 7 * i),
                resolution_date=_when(10 + 7 * i), outcome=("Granted", "Denied", "Granted with conditions")[i % 3])
            for i in range(12)]
    for i, payload in enumerate(PAYLOADS):
        hostile = {name: f"{payload} {name[:3]}{i}" for name in TEXT_FIELDS}
        # Spread the checkpoints a little inside Aden, so that each has its own circle on the map.
        rows.append(row(**hostile, date=_when(12 + 5 * i), request_date=_when(14 + 5 * i),
                        resolution_date=_when(12 + 5 * i), channel="intermediary",
                        latitude=f"{12.80 + 0.012 * i:.3f}", longitude=f"{44.95 + 0.008 * i:.3f}",
                        outcome=("Denied", "Granted")[i % 2], follow_up_due=_when(-7)))
    # An obstacle nobody knows: the row is rejected and its value shown on the Data page.
    rows.append(row(engagement_id="BAD-1", request_id="RB-1", obstacles=f"{IMG} obstacle", date=_when(30)))
    log = write_csv(folder / f"{SCRIPT}.csv".replace("/", "_"), rows)
    feed = folder / "awsd_incidents.csv"
    with open(feed, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(AWSD_HEADER)
        writer.writerow(AWSD_HXL)
        writer.writerow(_awsd_row(f"{SVG} town", VICTIM, f"{IMG} {LINK}"))
    db = folder / "access.duckdb"
    results = load_paths([log, feed], db, Settings(db=db))
    assert [(r.rows_loaded, r.rows_rejected) for r in results] == [(12 + len(PAYLOADS), 1), (1, 0)], results
    stored = {r[0] for r in sql(db, "SELECT name FROM counterparts")}
    assert VICTIM in stored and f"{LONG} cou{PAYLOADS.index(LONG)}" in stored, "the loader changed the hostile text"
    return db


def _victim_id(db: Path, name: str = VICTIM) -> str:
    return sql(db, "SELECT counterpart_id FROM counterparts WHERE name = ?", [name])[0][0]


# ------------------------------------------------------------------------------------ AppTest


def _walk(node) -> Iterator:
    """Every element in the main area and the sidebar, containers included."""
    for root in (node.main, node.sidebar):
        yield from root


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _raw_markup(at) -> list[str]:
    """Where a payload would be rendered as markup: (kind, excerpt) for each place found."""
    found: list[str] = []
    for node in _walk(at):
        proto = getattr(node, "proto", None)
        kind = getattr(node, "type", type(node).__name__)
        bodies: list[tuple[str, str]] = []
        if kind == "plotly_chart":
            spec = json.loads(proto.spec)
            for s in _strings(spec):
                if HTML_RAW.search(s):
                    found.append(f"plotly: {s[:120]!r}")
                if TOO_LONG in s:
                    found.append(f"plotly: a label of {len(s)} characters")
                if LOOSE_OVERRIDE.search(s):
                    found.append(f"plotly: a right-to-left override not isolated: {s[:80]!r}")
            continue
        if kind == "html" or (proto is not None and proto.DESCRIPTOR.name == "Html"):
            bodies.append(("html", proto.body))
        elif isinstance(getattr(node, "value", None), str) and kind in (
                "markdown", "caption", "title", "header", "subheader", "info", "warning", "error", "success",
                "toast", "alert"):
            bodies.append((kind, node.value))
        for attr in ("label", "body", "help", "placeholder"):
            text = getattr(proto, attr, None) if proto is not None and kind != "html" else None
            if isinstance(text, str) and text:
                bodies.append((f"{kind}.{attr}", text))
        for where, body in bodies:
            if LOOSE_OVERRIDE.search(body):
                found.append(f"{where}: a right-to-left override not isolated: {body[:80]!r}")
            if TOO_LONG in body:
                found.append(f"{where}: {len(body)} characters, the long payload not cut")
            patterns = [HTML_RAW] if where == "html" else MARKDOWN_RAW
            for pattern in patterns:
                m = pattern.search(body)
                if m:
                    found.append(f"{where}: …{body[max(0, m.start() - 40):m.end() + 40]!r}…")
    return found


# The counterpart lookup is opened on three profiles: a script tag, 5,000 characters, a direction override.
# Last, the audit log: by then it holds the profile views and filters of the runs before.
VIEWS = [*[p for p in PAGES if p != "counterpart"], "counterpart", "counterpart-long", "counterpart-bidi", "audit"]
AUDIT_PAGE = registry.page("audit").script
PROFILE_OF = {"counterpart": VICTIM, "counterpart-long": f"{LONG} cou{PAYLOADS.index(LONG)}",
              "counterpart-bidi": f"{BIDI} cou{PAYLOADS.index(BIDI)}"}


@pytest.mark.parametrize("view", VIEWS)
def test_every_page_shows_hostile_text_as_text(view: str, hostile_db: Path, use_db) -> None:
    use_db(hostile_db)
    page = view.split("-")[0]
    params: dict[str, str | list[str]] = {"period": "all"}
    if view in PROFILE_OF:
        params["id"] = _victim_id(hostile_db, PROFILE_OF[view])
    if view == "audit":
        assert (APP.parent / AUDIT_PAGE).exists(), "the audit page is missing"
        at = open_page("trends", params)
        at.switch_page(AUDIT_PAGE).run()
    else:
        at = open_page(page, params)
    if page == "map":
        at.toggle(key="map_incidents").set_value(True).run()
    assert not problems(at), problems(at)
    raw = _raw_markup(at)
    assert not raw, f"{page}: log text rendered as markup:\n" + "\n".join(raw)
    headers = [e.value for e in main_elements(at) if e.type == "header"]
    if view == "audit":
        assert [e.value for e in main_elements(at) if e.type == "title"][:1] == ["Audit log"], "not the audit page"
    if view == "counterpart":
        assert headers and headers[0] == r"\<script\>window.\_\_pwned=1\</script\> cou0", headers
    elif view == "counterpart-long":
        assert headers and headers[0].startswith("WWWW") and headers[0].endswith("…"), headers
    elif view == "counterpart-bidi":
        assert headers and headers[0].startswith("\u2068\u202eevil"), headers


def test_filter_values_from_the_log_and_the_url_stay_text(hostile_db: Path, use_db) -> None:
    """An organisation chosen in the sidebar (its name from the log) and a checkpoint in the URL are
    echoed in captions and a button label: escaped there too."""
    use_db(hostile_db)
    at = open_page("trends", {"period": "all", "org": f"{LINK} org3", "checkpoint": MARKDOWN})
    assert not problems(at), problems(at)
    raw = _raw_markup(at)
    assert not raw, "log or URL text rendered as markup:\n" + "\n".join(raw)
    assert any("hostile link" in e.value for e in main_elements(at) if e.type == "caption"), \
        "the chosen organisation is not named in the caption"


def test_plotly_and_folium_text_is_escaped_and_long_labels_are_cut(hostile_db: Path, use_db) -> None:
    """The pure builders, on the hostile database: chart labels and map tooltips."""
    import duckdb

    from dashboard.db import queries
    from dashboard.db.filters import Filters
    from dashboard.ui import charts, maps

    con = duckdb.connect(str(hostile_db), read_only=True)
    try:
        f = Filters(start=dt.date(2000, 1, 1), end=dt.date.today() + dt.timedelta(days=1), period="all")
        names = con.execute("SELECT name, 0.5 AS share FROM counterparts ORDER BY name").df()
        points = con.execute(*queries.checkpoint_points(f)).df()
        incidents = con.execute(*queries.incident_points(f)).df()
    finally:
        con.close()
    fig = charts.share_bars(names, "name", "share", "t")
    labels = [str(v) for v in fig.data[0].y]
    assert any("&lt;script&gt;" in v for v in labels), labels
    assert max(len(html.unescape(v)) for v in labels) <= charts.LABEL_CHARS + 2, "a 5,000-character label reached the chart"
    assert len(set(labels)) == len(labels), "two long labels were cut to the same text"
    tips = [maps.checkpoint_tooltip(r) for _, r in points.iterrows()]
    tips += [maps.incident_tooltip(r) for _, r in incidents.iterrows()]
    assert tips and not [t for t in tips if HTML_RAW.search(t)], "raw markup in a tooltip"
    assert any("&lt;svg onload" in t for t in tips), "the hostile place is not in the incident tooltip"
    assert max(len(t) for t in tips) < 2000, "a 5,000-character name reached a tooltip whole"


# ------------------------------------------------------------------------------------ browser

# Elements a payload would create if it were parsed as HTML (its own <script> is found by its text).
MADE_BY_PAYLOAD = """() => [...document.querySelectorAll("img[src='x'], svg[onload], [onerror], [onload], a[href^='javascript' i]"),
  ...[...document.scripts].filter(s => s.textContent.trim().startsWith('window.__pwned'))]
  .map(e => e.outerHTML.slice(0, 200))"""
PWNED = "() => typeof window.__pwned === 'undefined'"


class HostileVisit(Visit):
    """A visit that signs in on each new page (each address opened is a new Streamlit session)."""

    dialogs: list[str]

    def open(self, path: str, sign_in: bool = True) -> None:
        self.page.goto(self.server.url + path, wait_until="domcontentloaded")
        wait_for_app(self.page)
        if sign_in and self.page.locator('[data-testid="stForm"]').filter(has_text="Password").count():
            self.page.get_by_label("Username", exact=True).fill(self.user)
            self.page.get_by_label("Password", exact=True).fill(TEST_PASSWORD)
            self.page.get_by_role("button", name="Sign in").click()
            wait_for_app(self.page)


@pytest.fixture(scope="module")
def hostile_server(hostile_db: Path) -> Iterator[Server]:
    with running_server(hostile_db, log_name="streamlit-hostile.log") as s:
        yield s


@pytest.fixture
def hostile_visit(browser, hostile_server: Server) -> Iterator[HostileVisit]:
    """A fresh browser context on the hostile server: outside traffic blocked, dialogs recorded."""
    from urllib.parse import urlsplit

    context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True)
    page = context.new_page()
    v = HostileVisit(page, hostile_server)
    v.dialogs = dialogs = []

    def guard(route) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if host in LOCAL_HOSTS or route.request.url.startswith(("data:", "blob:", "about:", "file:")):
            route.continue_()
        else:
            v.external.append(route.request.url)
            route.abort()

    def on_dialog(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    context.route("**/*", guard)
    context.on("page", lambda p: p.on("dialog", on_dialog))
    page.on("dialog", on_dialog)
    try:
        yield v
    finally:
        context.close()


def _frames_inert(v: HostileVisit, what: str) -> None:
    """In the page and every frame: no element made by a payload, no script ran, no dialog."""
    for frame in v.page.frames:
        try:
            made = frame.evaluate(MADE_BY_PAYLOAD)
            untouched = frame.evaluate(PWNED)
        except Exception:  # noqa: BLE001 - a frame detached while we looked: nothing to check in it
            continue
        assert not made, f"{what}: the payload created elements in frame {frame.url[:80]}: {made}"
        assert untouched, f"{what}: a payload ran in frame {frame.url[:80]} (window.__pwned is set)"
    assert not v.dialogs, f"{what}: a dialog opened: {v.dialogs}"
    assert not v.external, f"{what}: requests to other hosts (blocked): {sorted(set(v.external))}"
    errors = error_texts(v.page)
    assert not errors, f"{what}: error on the page:\n" + "\n---\n".join(errors)


def _leaflet(v: Visit):
    for _ in range(100):
        for frame in v.page.frames:
            try:
                if frame.locator(".leaflet-container").count():
                    return frame
            except Exception:  # noqa: BLE001
                continue
        v.page.wait_for_timeout(200)
    return None


# Hovers every shape of the map, as a mouse would (a "mouseover" that reaches its layer group), and
# returns the text of each tooltip that opened. streamlit-folium keeps the map in ``window.map``.
HOVER_ALL = """() => { const texts = [];
  window.map.eachLayer(group => { if (!(group instanceof L.GeoJSON) || !group.getTooltip()) return;
    group.eachLayer(shape => {
      const at = shape.getLatLng ? shape.getLatLng() : shape.getBounds().getCenter();
      shape.fire('mouseover', {latlng: at}, true);
      const el = group.getTooltip() && group.getTooltip().getElement();
      texts.push(el ? el.innerText : '');
      shape.fire('mouseout', {latlng: at}, true); }); });
  return texts; }"""


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.timeout(240)
def test_hostile_text_is_inert_in_a_real_browser(hostile_visit: HostileVisit, hostile_db: Path) -> None:
    v = hostile_visit
    victim = _victim_id(hostile_db)
    seen_as_text = False
    for page, (_, path) in PAGES.items():
        url = f"{path}?period=all" + (f"&id={victim}" if page == "counterpart" else "")
        v.open(url)
        v.page.wait_for_timeout(700)  # tables and charts draw after the script finished
        shot(v.page, f"hostile_{page}")
        _frames_inert(v, url)
        if page == "counterpart":
            heading = v.page.locator('[data-testid="stMain"] h2').first.inner_text()
            assert SCRIPT in heading, f"the profile heading does not show the name as text: {heading!r}"
            seen_as_text = True

    v.open("/map?period=all")
    v.page.get_by_text("Security incidents", exact=True).click()
    wait_for_app(v.page)
    frame = _leaflet(v)
    assert frame is not None, "no Leaflet map"
    frame.locator("path.leaflet-interactive").first.wait_for(state="attached", timeout=20_000)
    circles = frame.locator("path.leaflet-interactive")
    for i in range(min(circles.count(), 4)):  # a few real mouse hovers first
        try:
            circles.nth(i).hover(timeout=1_000, force=True)
        except Exception:  # noqa: BLE001 - a shape under another: every shape is hovered below anyway
            continue
    shot(v.page, "hostile_map_tooltip")
    texts = frame.evaluate(HOVER_ALL)
    tips = "\n".join(texts)
    v.page.wait_for_timeout(300)  # an <img onerror> would have fired by now
    _frames_inert(v, "/map tooltips")
    assert len([t for t in texts if t]) > len(PAYLOADS), f"only {len(texts)} tooltips opened: {texts}"
    assert SCRIPT in tips and SVG in tips and LINK in tips, "the hostile checkpoint and incident names are not " \
                                                            f"shown as text in the tooltips: {tips[:2000]}"

    v.open(f"/counterpart?id={victim}")
    button = v.page.locator('[data-testid="stDownloadButton"]').filter(has_text=re.compile("brief", re.I))
    wait_for_app(v.page)  # the brief is built on the click: click once the page is idle, wait as long as it takes
    with v.page.expect_download(timeout=120_000) as info:
        button.first.locator("button, a").first.click()
    ARTIFACTS.mkdir(exist_ok=True)
    saved = ARTIFACTS / "hostile_brief.html"
    info.value.save_as(saved)
    v.page.goto(saved.as_uri())
    v.page.wait_for_timeout(500)
    body = v.page.inner_text("body")
    shot(v.page, "hostile_brief")
    assert VICTIM in body, "the brief does not show the hostile name as text"
    assert seen_as_text
    _frames_inert(v, "the brief")
    width = v.page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 1366 + 10, f"a long string stretches the brief to {width}px"


@pytest.mark.parametrize("name", ["dashboard.ui.safe_text", "dashboard.lookup.search"])
def test_escaping_examples_hold(name: str) -> None:
    """The examples in the escaping helpers' docstrings are true."""
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
