"""What the security tests attack with: a page served from another port, raw HTTP, raw websockets.

Everything here talks to 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

COOKIE = "access_session"


def rerun_message() -> bytes:
    """The first message Streamlit's own page sends on its websocket: "run the script" (a BackMsg)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ClientState_pb2 import ClientState

    return BackMsg(rerun_script=ClientState(query_string="", page_script_hash="")).SerializeToString()


@dataclass
class OtherOrigin:
    """A tiny web server on another port of 127.0.0.1: the page a hostile site (or local program) serves."""

    url: str
    pages: dict[str, str] = field(default_factory=dict)
    reports: list[dict] = field(default_factory=list)


@contextlib.contextmanager
def other_origin() -> Iterator[OtherOrigin]:
    """Serve ``pages`` (path -> HTML) from a free port; a page may POST JSON to ``/report``. Stopped on exit."""
    site = OtherOrigin(url="")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            body = site.pages.get(self.path.split("?")[0])
            if body is None:
                self.send_error(404)
                return
            data = body.encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            site.reports.append(json.loads(self.rfile.read(length) or b"{}"))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:  # keep the test output clean
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, name="other-origin", daemon=True)
    thread.start()
    try:
        yield site
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def fetch(url: str, method: str = "GET", headers: dict[str, str] | None = None, cookie: str | None = None) -> Answer:
    """One HTTP request with exactly these headers (urllib adds no Origin and no cookies of its own)."""
    sent = dict(headers or {})
    if cookie is not None:
        sent["Cookie"] = f"{COOKIE}={cookie}"
    request = urllib.request.Request(url, method=method, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return Answer(resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read())
    except urllib.error.HTTPError as err:
        return Answer(err.code, {k.lower(): v for k, v in err.headers.items()}, err.read())


def session_cookie(context) -> str | None:  # type: ignore[no-untyped-def]
    """The value of the sign-in cookie a browser context holds, if any."""
    return next((c["value"] for c in context.cookies() if c["name"] == COOKIE), None)


def audit_events(db: Path) -> list[dict]:
    """The audit log beside ``db``, read independently of the app (one JSON object per line)."""
    log = db.with_name(f"{db.stem}.audit.jsonl")
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
