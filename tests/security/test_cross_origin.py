"""Another origin gets nothing from the dashboard, even from a browser that is signed in (issue 10).

The attack: a page served from another port of the same host (any local program, or a site the
user was lured to that reaches a local port) opens ``/_stcore/stream`` and fetches ``/media/...``.
Ports do not count for ``SameSite``, so the browser sends the ``access_session`` cookie along; the
server must tell the request apart by its ``Origin`` (``dashboard/session/web_guard.py``).
"""

from __future__ import annotations

import json
import socket
import time

import pytest

from tests.dashboard.conftest import Server, Visit, sql, visiting
from tests.security.attack import COOKIE, fetch, other_origin, rerun_message, session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

MENA = "Middle East and North Africa"
SIGNED_IN = "Signed in as"  # in the sidebar of every page a signed-in user sees

# The hostile page: fetches the media URLs it is given, posts to the cookie route, then opens the
# app's websocket, asks for a page (Streamlit's own first message) and keeps what comes back.
ATTACKER_PAGE = """<!doctype html><meta charset="utf-8"><title>another port</title><script>
const APP = __APP__, MEDIA = __MEDIA__, MARKER = __MARKER__, RERUN = new Uint8Array(__RERUN__);
const report = {media: [], remember: null,
                ws: {opened: false, messages: 0, bytes: 0, sawMarker: false, text: "", close: null, error: false}};
window.report = report;
async function attempt(url, init) {
  try {
    const r = await fetch(url, init);
    const body = await r.text();
    return {status: r.status, length: body.length, body: body.slice(0, 500)};
  } catch (e) { return {error: String(e)}; }
}
async function run() {
  for (const url of MEDIA) {
    for (const credentials of ["include", "omit"]) {
      report.media.push({url, credentials, ...(await attempt(url, {credentials, cache: "no-store"}))});
    }
  }
  report.remember = await attempt(APP + "/_access/remember", {method: "POST", credentials: "include"});
  await new Promise(resolve => {
    const ws = new WebSocket(APP.replace(/^http/, "ws") + "/_stcore/stream", ["streamlit"]);
    ws.binaryType = "arraybuffer";
    const decoder = new TextDecoder("utf-8", {fatal: false});
    const giveUp = setTimeout(() => { ws.close(); resolve(); }, 60000);
    ws.onopen = () => { report.ws.opened = true; ws.send(RERUN); };
    ws.onerror = () => { report.ws.error = true; };
    ws.onmessage = (event) => {
      report.ws.messages += 1;
      report.ws.bytes += event.data.byteLength;
      const text = decoder.decode(new Uint8Array(event.data));
      if (report.ws.text.length < 200000) { report.ws.text += text; }
      if (text.includes(MARKER)) { report.ws.sawMarker = true; clearTimeout(giveUp); ws.close(); resolve(); }
    };
    ws.onclose = (event) => { report.ws.close = event.code; clearTimeout(giveUp); resolve(); };
  });
  window.done = true;
}
run();
</script>"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port(server: Server) -> int:
    return int(server.url.rsplit(":", 1)[1])


def _attacker_page(app: str, media: list[str]) -> str:
    return (ATTACKER_PAGE.replace("__APP__", json.dumps(app)).replace("__MEDIA__", json.dumps(media))
            .replace("__MARKER__", json.dumps(SIGNED_IN)).replace("__RERUN__", json.dumps(list(rerun_message()))))


def _download_brief(visit: Visit, demo_db) -> str:  # type: ignore[no-untyped-def]
    """Open a MENA counterpart's profile as the signed-in coordinator, download its brief; the media URL."""
    cid = sql(demo_db, "SELECT counterpart_id FROM counterparts WHERE region = ? ORDER BY engagements DESC LIMIT 1",
              [MENA])[0][0]
    visit.open(f"/counterpart?id={cid}")
    media: list[str] = []
    visit.page.on("request", lambda r: media.append(r.url) if "/media/" in r.url else None)
    button = visit.page.locator('[data-testid="stDownloadButton"]').filter(has_text="brief")
    with visit.page.expect_download() as info:
        button.first.locator("button, a").first.click()
    assert info.value.failure() is None, f"the signed-in user's own brief download failed: {info.value.failure()}"
    # The page icon is media too, and may be fetched again while the page reruns: only the brief counts.
    urls = sorted({u for u in media if u.endswith(".html")}) or [info.value.url]
    assert len(urls) == 1 and "/media/" in urls[0], (urls, media)
    return urls[0]


def test_a_page_on_another_port_gets_nothing_from_a_signed_in_browser(visit: Visit, server: Server, demo_db) -> None:
    visit.user = "test-coordinator"
    brief_url = _download_brief(visit, demo_db)
    assert session_cookie(visit.page.context), "the browser is not signed in: the attack would prove nothing"

    with other_origin() as site:
        site.pages["/"] = _attacker_page(server.url, [brief_url])
        attacker = visit.page.context.new_page()  # same browser, same cookies, another origin
        attacker.goto(site.url + "/", wait_until="domcontentloaded")
        attacker.wait_for_function("window.done === true", timeout=120_000, polling=200)
        report = attacker.evaluate("window.report")

    ws = report["ws"]
    assert not ws["opened"] and ws["messages"] == 0, (
        f"a page on another port opened the app's websocket and received {ws['messages']} messages "
        f"({ws['bytes']} bytes){', including the signed-in page' if ws['sawMarker'] else ''}: {ws['text'][:300]!r}")
    read = [m for m in report["media"] if m.get("status") == 200]
    assert not read, f"a page on another port read the signed-in user's brief: {read}"
    assert "status" not in report["remember"] or report["remember"]["status"] == 403, report["remember"]
    assert not visit.external, visit.external


def _websocket(url: str, origin: str | None, cookie: str | None = None) -> str:
    """'accepted' (with a first message), or 'refused <status>' / 'closed <code>' before any message."""
    from websockets.exceptions import ConnectionClosed, InvalidStatus
    from websockets.sync.client import connect

    headers = {"Cookie": f"{COOKIE}={cookie}"} if cookie else {}
    try:
        with connect(url, origin=origin, additional_headers=headers, subprotocols=["streamlit"],  # type: ignore[arg-type]
                     open_timeout=30, close_timeout=5) as ws:
            ws.send(rerun_message())
            first = ws.recv(timeout=60)
            return "accepted" if first else "accepted, empty"
    except InvalidStatus as refused:
        return f"refused {refused.response.status_code}"
    except ConnectionClosed as closed:
        return f"closed {closed.rcvd.code if closed.rcvd else 'without a code'}"


def test_the_websocket_accepts_only_the_apps_own_origin(server: Server) -> None:
    port, other = _port(server), _free_port()
    stream = f"ws://127.0.0.1:{port}/_stcore/stream"
    # Written by hand: what a browser page at each origin must get.
    expected = {
        f"http://127.0.0.1:{port}": "accepted",  # the app itself
        f"http://localhost:{port}": "accepted",  # the same server, named differently
        f"http://127.0.0.1:{other}": "refused 403",  # another port of this host
        f"http://localhost:{other}": "refused 403",
        f"https://127.0.0.1:{port}": "refused 403",  # another scheme is another origin
        "http://evil.example": "refused 403",
        f"http://evil.example:{port}": "refused 403",  # DNS rebinding: a hostile name pointed at this host
        "null": "refused 403",  # sandboxed frames, file:// pages
        None: "refused 403",  # browsers always send Origin on websockets: no Origin is not a browser page of ours
    }
    got = {origin: _websocket(stream, origin) for origin in expected}
    assert got == expected
    # The origin check comes before the sign-in check, not instead of it: a made-up cookie gets the sign-in form.
    page = _first_page(stream, server.url, cookie="made-up")
    assert b"Password" in page and SIGNED_IN.encode() not in page


def _first_page(url: str, origin: str, cookie: str) -> bytes:
    """What the app sends for its first page, up to the sign-in form (or a minute)."""
    from websockets.sync.client import connect

    seen = b""
    with connect(url, origin=origin, additional_headers={"Cookie": f"{COOKIE}={cookie}"},  # type: ignore[arg-type]
                 subprotocols=["streamlit"], open_timeout=30) as ws:
        ws.send(rerun_message())
        deadline = time.monotonic() + 60
        while b"Password" not in seen and time.monotonic() < deadline:
            message = ws.recv(timeout=max(1.0, deadline - time.monotonic()))
            seen += message if isinstance(message, bytes) else message.encode()
    return seen


def test_http_routes_refuse_other_origins(server: Server) -> None:
    other = f"http://127.0.0.1:{_free_port()}"
    routes = [
        ("GET", "/"),
        ("GET", "/_stcore/health"),
        ("GET", "/_stcore/host-config"),
        ("GET", "/media/0123456789abcdef0123456789abcdef0123456789abcdef01234567.csv"),
        ("GET", "/app/static/vendor/leaflet/leaflet.js"),
        ("GET", "/component/streamlit_folium.st_folium/index.html"),
        ("OPTIONS", "/media/0123456789abcdef0123456789abcdef0123456789abcdef01234567.csv"),
        ("POST", "/_access/remember"),
        ("PUT", "/_stcore/upload_file/some-session/some-file"),
    ]
    # Each row: (method, path, headers, expected status), written by hand.
    table: list[tuple[str, str, dict[str, str], int]] = []
    for method, path in routes:
        table.append((method, path, {"Origin": other}, 403))
        table.append((method, path, {"Origin": "http://evil.example"}, 403))
        table.append((method, path, {"Origin": "null"}, 403))
    # A same-site page (another port) that does not send Origin is still told apart by Sec-Fetch-Site.
    table += [
        ("GET", "/_stcore/host-config", {"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "no-cors"}, 403),
        ("GET", "/app/static/vendor/leaflet/leaflet.js", {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors",
                                                          "Sec-Fetch-Dest": "script"}, 403),
        # A link to the app followed from elsewhere opens the sign-in page (the cookie is not sent anyway).
        ("GET", "/", {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"},
         200),
        # Unsafe methods need the app's own Origin: every browser sends one with them.
        ("POST", "/_access/remember", {}, 403),
        # The app's own pages, and programs that send no Origin (monitoring, the tests' health poll).
        ("GET", "/_stcore/health", {"Origin": server.url}, 200),
        ("GET", "/_stcore/health", {}, 200),
        ("GET", "/", {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"},
         200),
        ("GET", "/", {"Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}, 200),
    ]
    wrong = []
    for method, path, headers, status in table:
        answer = fetch(server.url + path, method, headers)
        if answer.status != status:
            wrong.append(f"{method} {path} {headers}: {answer.status}, expected {status}")
        if answer.status == 403 and "access-control-allow-origin" in answer.headers:
            wrong.append(f"{method} {path} {headers}: a refusal carries Access-Control-Allow-Origin")
    assert not wrong, "\n".join(wrong)


def test_the_cookie_route_refuses_a_valid_code_posted_from_another_origin(browser, server: Server) -> None:
    with visiting(browser, server) as v:
        codes: list[str] = []

        def capture(route) -> None:  # type: ignore[no-untyped-def]
            codes.append(route.request.headers.get("x-access-code", ""))
            route.abort()  # the code stays unspent: the test posts it itself

        v.page.route("**/_access/remember", capture)
        v.user = "test-coordinator"
        v.open("/")
        deadline = time.monotonic() + 30
        while not codes and time.monotonic() < deadline:
            v.page.wait_for_timeout(100)
        assert codes and codes[0], "the page did not post its one-time code"
        url = server.url + "/_access/remember"
        foreign = fetch(url, "POST", {"X-Access-Code": codes[0], "Origin": f"http://127.0.0.1:{_free_port()}"})
        assert foreign.status == 403 and "set-cookie" not in foreign.headers, (
            f"another origin traded the code for a cookie: {foreign.status} {foreign.headers.get('set-cookie')}")
        own = fetch(url, "POST", {"X-Access-Code": codes[0], "Origin": server.url})
        assert own.status == 204 and COOKIE in own.headers.get("set-cookie", ""), (
            "the app's own origin could not use the code the refused request carried (so the refusal proves nothing)")


def test_responses_carry_security_headers(server: Server) -> None:
    page = fetch(server.url + "/")
    assert page.status == 200
    assert page.headers.get("x-frame-options") == "DENY"
    assert "frame-ancestors 'none'" in page.headers.get("content-security-policy", "")
    assert page.headers.get("referrer-policy") == "no-referrer"
    assert page.headers.get("x-content-type-options") == "nosniff"
    assert page.headers.get("cross-origin-resource-policy") == "same-origin"
    # Component frames (the folium map) are framed by the app's own page: same origin only, not "none".
    # (The component is registered once a page has drawn a map; the headers do not depend on that.)
    component = fetch(server.url + "/component/streamlit_folium.st_folium/index.html")
    assert "frame-ancestors 'self'" in component.headers.get("content-security-policy", "")
    assert component.headers.get("x-frame-options") == "SAMEORIGIN"
