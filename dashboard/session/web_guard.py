"""Only the dashboard's own pages may talk to it; downloads only to the sign-in that made them.

Every HTTP request and websocket reaches the app through :class:`WebGuard`, an ASGI middleware
that :mod:`dashboard.app_server` hands to ``st.App`` (it runs before all of Streamlit's own routes
and middleware: ``/_stcore/stream``, ``/_stcore/*``, ``/media/*``, uploads, components, static
files, and the app's ``/_access/remember``).

Why: the sign-in cookie is ``SameSite=Strict``, but a "site" ignores ports, so a page served from
another port of the same host (any local program, or a page that reaches a local port) is
same-site: the browser sends the cookie along with its requests. Streamlit accepts websockets from
any localhost origin, so such a page could open the app's websocket as the signed-in user and read
every page. The browser does say where a request comes from: the ``Origin`` header (always sent on
websockets and on every request but GET/HEAD), and ``Sec-Fetch-Site``. The rules (:meth:`OriginPolicy.refusal`):

- **websocket**: the ``Origin`` must be one of the app's own origins. No ``Origin`` is refused too
  (every browser sends one; a program can send the app's own).
- **HTTP with an ``Origin``**: it must be one of the app's own origins (``null`` never is).
- **HTTP without ``Origin``**: only GET and HEAD (browsers always send ``Origin`` with other
  methods). When ``Sec-Fetch-Site`` says another origin made the request (``same-site``,
  ``cross-site``), only a top-level navigation to a page (a followed link, which opens the sign-in
  page: the cookie is not sent along) is let through; sub-resources and Streamlit's routes are not.
  Without any of these headers (a program such as a monitoring probe, or ``curl``), GET and HEAD
  pass: such a client only holds the cookies it was given.

The app's own origins (:meth:`OriginPolicy.for_server`): the ``public_origins`` setting when set
(``ACCESS_PUBLIC_ORIGINS``: exactly those; behind a reverse proxy, its public address), otherwise
the address the server listens on: ``http://127.0.0.1:PORT`` and ``http://localhost:PORT`` (and
``[::1]``) for a loopback address (one socket, so the same app whichever name the browser used),
``http://ADDRESS:PORT`` for another fixed address, ``https`` when Streamlit serves TLS itself.
Listening on every interface without ``public_origins``, the app cannot know its names: the
``Origin`` must then equal the address the browser asked for (its ``Host`` header) on the server's
port, and a warning says to set ``public_origins``. ``X-Forwarded-*`` headers are never read: a
proxy's address is configured, not taken from the request.

``/media/*`` (downloads): see :mod:`dashboard.session.media_owners`; each file served is audited
(``download``), each refusal to a signed-in user too (``denied``). A click on a download button makes
two requests: Streamlit's page first checks that the file answers (a script's ``fetch``:
``Sec-Fetch-Mode: cors``), then the browser downloads it (``navigate``). The check is answered "204 No
Content" without the file and is not on record (:func:`is_check`): one download, one ``download`` event.

Every answer also carries headers that cost nothing: no framing by other sites
(``frame-ancestors 'none'``; ``'self'`` for component frames such as the folium map, which the
app's own page frames), ``Referrer-Policy: no-referrer`` (URLs with filters never leave in a
``Referer``), ``nosniff``, ``Cross-Origin-Resource-Policy: same-origin``; downloads are
``no-store`` and sandboxed, so a file opened in the browser cannot run script as the app.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import urlsplit

from dashboard.session import media_owners
from dashboard.session.remember import COOKIE
from etl.config import normalise_origin

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
WILDCARD_ADDRESSES = ("", "0.0.0.0", "::", "[::]")  # noqa: S104 - names, not a bind
SAFE_METHODS = ("GET", "HEAD")
OTHER_ORIGIN_SITES = ("same-site", "cross-site")
# Streamlit's routes and the app's own: never for another origin, not even as a navigation.
APP_PATHS = ("/_stcore/", "/media/", "/component/", "/static/", "/app/static/", "/_access/")
# Frames the app's own page draws (custom components such as the folium map).
FRAMED_PATHS = ("/component/", "/_stcore/bidi-components/")

COMMON_HEADERS = {
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "cross-origin-resource-policy": "same-origin",
}
PAGE_FRAMING = {"x-frame-options": "DENY", "content-security-policy": "frame-ancestors 'none'"}
COMPONENT_FRAMING = {"x-frame-options": "SAMEORIGIN", "content-security-policy": "frame-ancestors 'self'"}
MEDIA_HEADERS = {"x-frame-options": "DENY", "cache-control": "no-store",
                 "content-security-policy": "default-src 'none'; sandbox; frame-ancestors 'none'"}

REFUSED = ("Refused: this dashboard only answers its own pages. If you opened it at an address it does not "
           "know (a reverse proxy, a host name), an administrator adds that address to ACCESS_PUBLIC_ORIGINS.")
NOT_YOURS = "Refused: this file was made for another sign-in, or the sign-in has ended. Sign in and download it again."
NOT_RECORDED = "Refused: the download could not be written to the audit log, so it is not handed out."


@dataclass(frozen=True)
class OriginPolicy:
    """The origins the app answers (exactly, as ``scheme://host[:port]``), or "the browser's own" (``port``)."""

    origins: frozenset[str]
    same_host_port: int | None = None  # listening everywhere, nothing configured: Origin == scheme://Host
    scheme: str = "http"

    @classmethod
    def for_server(cls, configured: Iterable[str], address: str | None, port: int, https: bool = False) -> OriginPolicy:
        """The policy for a server listening on ``address``:``port`` with ``public_origins`` = ``configured``.

        >>> sorted(OriginPolicy.for_server((), "127.0.0.1", 8501).origins)
        ['http://127.0.0.1:8501', 'http://[::1]:8501', 'http://localhost:8501']
        >>> OriginPolicy.for_server(["https://access.example.org"], "127.0.0.1", 8501).origins
        frozenset({'https://access.example.org'})
        """
        scheme = "https" if https else "http"
        chosen = frozenset(normalise_origin(o) for o in configured)
        if chosen:
            return cls(chosen, scheme=scheme)
        host = (address or "").strip().lower()
        if host in WILDCARD_ADDRESSES:
            return cls(frozenset(), same_host_port=port, scheme=scheme)
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        names = LOOPBACK_NAMES if host in LOOPBACK_NAMES or host.startswith("127.") else ()
        return cls(frozenset(normalise_origin(f"{scheme}://{name}:{port}") for name in (host, *names)), scheme=scheme)

    def allows(self, origin: str | None, host: str | None) -> bool:
        """Whether a page at ``origin`` is the app's own (``host``: the request's Host header)."""
        if not origin or origin == "null":
            return False
        try:
            origin = normalise_origin(origin)
        except ValueError:
            return False
        if origin in self.origins:
            return True
        if self.same_host_port is None or not host:
            return False
        try:
            own = normalise_origin(f"{self.scheme}://{host}")
            port = urlsplit(own).port or (443 if self.scheme == "https" else 80)
        except ValueError:
            return False
        return origin == own and port == self.same_host_port

    def refusal(self, kind: str, method: str, path: str, headers: dict[str, str]) -> str | None:
        """Why this request must be refused, or None when it may go on (the rules in the module docstring).

        >>> p = OriginPolicy.for_server((), "127.0.0.1", 8501)
        >>> p.refusal("websocket", "GET", "/_stcore/stream", {"origin": "http://127.0.0.1:8000"})
        'another origin: http://127.0.0.1:8000'
        >>> p.refusal("http", "GET", "/", {"origin": "http://localhost:8501"}) is None
        True
        >>> p.refusal("http", "GET", "/_stcore/host-config", {"sec-fetch-site": "same-site"})
        'a same-site request without Origin'
        """
        origin, host = headers.get("origin"), headers.get("host")
        if origin is not None:
            return None if self.allows(origin, host) else f"another origin: {origin[:100]}"
        if kind == "websocket":
            return "a websocket without Origin"
        if method not in SAFE_METHODS:
            return f"{method} without Origin"
        site = headers.get("sec-fetch-site", "")
        if site in OTHER_ORIGIN_SITES:
            navigation = headers.get("sec-fetch-mode") == "navigate" and headers.get("sec-fetch-dest") == "document"
            if not navigation or path.startswith(APP_PATHS):
                return f"a {site} request without Origin"
        return None


def _headers(scope: Scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in scope.get("headers", ()):
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        out[key] = f"{out[key]}; {text}" if key == "cookie" and key in out else out.get(key, text)
    return out


def _cookie(headers: dict[str, str]) -> str | None:
    try:
        jar = SimpleCookie(headers.get("cookie", ""))
    except CookieError:
        return None
    morsel = jar.get(COOKIE)
    return morsel.value if morsel else None


def _with_headers(raw: list[tuple[bytes, bytes]], extra: dict[str, str]) -> list[tuple[bytes, bytes]]:
    """The response headers with ours set (replacing any of the same name)."""
    names = {k.encode() for k in extra}
    kept = [(k, v) for k, v in raw if k.lower() not in names]
    return kept + [(k.encode(), v.encode()) for k, v in extra.items()]


def _security_headers(path: str) -> dict[str, str]:
    if path.startswith(media_owners.MEDIA_PREFIX):
        return {**COMMON_HEADERS, **MEDIA_HEADERS}
    if path.startswith(FRAMED_PATHS):
        return {**COMMON_HEADERS, **COMPONENT_FRAMING}
    return {**COMMON_HEADERS, **PAGE_FRAMING}


async def _answer(send: Send, status: int, text: str, path: str) -> None:
    body = text.encode("utf-8")
    headers = _with_headers([(b"content-type", b"text/plain; charset=utf-8"),
                             (b"content-length", str(len(body)).encode()), (b"cache-control", b"no-store")],
                            _security_headers(path))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def is_check(headers: dict[str, str]) -> bool:
    """A script's request for a file (``fetch``), not a download: Streamlit's check that a download button's
    file answers before the browser downloads it. A browser's download is a navigation; an image or a media
    element says what it loads (``Sec-Fetch-Dest``); a program sends no ``Sec-Fetch-*`` header.

    >>> is_check({"sec-fetch-mode": "cors", "sec-fetch-dest": "empty"})
    True
    >>> is_check({"sec-fetch-mode": "navigate", "sec-fetch-dest": "empty"}), is_check({})
    (False, False)
    """
    return headers.get("sec-fetch-mode") in ("cors", "same-origin") and headers.get("sec-fetch-dest") == "empty"


def _audit(action: str, verdict: media_owners.Verdict, detail: dict[str, object]) -> None:
    from etl.accounts import audit

    session = verdict.session
    assert session is not None
    audit.record(action, who=session.username, role=session.role, target=verdict.file_name, detail=detail)


@functools.lru_cache(maxsize=1)
def server_policy() -> OriginPolicy:
    """The policy of the running Streamlit server: its settings, address, port and TLS, read once.

    Called at start-up (:func:`dashboard.app_server.lifespan`), so that a wrong ``ACCESS_PUBLIC_ORIGINS``
    stops the server with its message instead of refusing every request.
    """
    from streamlit import config

    from etl.config import get_settings

    configured = get_settings().public_origins
    address = config.get_option("server.address")
    policy = OriginPolicy.for_server(configured, address, int(config.get_option("server.port")),
                                     https=bool(config.get_option("server.sslCertFile")))
    if policy.same_host_port is not None:
        log.warning("The dashboard listens on every interface and ACCESS_PUBLIC_ORIGINS is not set: requests are "
                    "accepted from a page at the address the browser asked for, on port %s. Set "
                    "ACCESS_PUBLIC_ORIGINS to the addresses people use.", policy.same_host_port)
    else:
        log.info("Answering pages of %s only", ", ".join(sorted(policy.origins)))
    return policy


class WebGuard:
    """ASGI middleware: the origin rules on every request and websocket, the media binding, security headers.

    :param app: the application to guard (Streamlit's, with the app's routes).
    :param policy: the origins to accept; by default read from the running server on first use.
    :param owners: who may have which download (:data:`dashboard.session.media_owners.OWNERS`).
    """

    def __init__(self, app: ASGIApp, policy: OriginPolicy | None = None,
                 owners: media_owners.MediaOwners | None = None, base_path: str | None = None) -> None:
        self.app = app
        self._policy = policy
        self.owners = owners or media_owners.OWNERS
        self._base = base_path

    @property
    def policy(self) -> OriginPolicy:
        if self._policy is None:
            self._policy = server_policy()
        return self._policy

    def _app_path(self, path: str) -> str:
        """The path without Streamlit's ``server.baseUrlPath``, so that ``/media/`` is recognised under it too."""
        if self._base is None:
            from streamlit import config

            base = (config.get_option("server.baseUrlPath") or "").strip("/")
            self._base = f"/{base}" if base else ""
        return path[len(self._base):] if self._base and path.startswith(self._base + "/") else path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers, path = _headers(scope), self._app_path(scope.get("path", ""))
        why = self.policy.refusal(kind, scope.get("method", "GET"), path, headers)
        if why is not None:
            log.warning("Refused %s %s: %s", kind, path[:200], why)
            if kind == "websocket":
                await receive()  # websocket.connect; closing before accepting answers 403 to the handshake
                await send({"type": "websocket.close", "code": 1008})
            else:
                await _answer(send, 403, REFUSED, path)
            return
        if kind == "websocket":
            await self.app(scope, receive, send)
            return
        if path.startswith(media_owners.MEDIA_PREFIX) and not await self._media_allowed(scope, headers, path, send):
            return

        extra = _security_headers(path)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": _with_headers(list(message.get("headers", [])), extra)}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _media_allowed(self, scope: Scope, headers: dict[str, str], path: str, send: Send) -> bool:
        """Whether a ``/media/`` request goes on to Streamlit; answers it (403/503) when not."""
        name = path[len(media_owners.MEDIA_PREFIX):]
        verdict = self.owners.check(name, _cookie(headers))
        method = scope.get("method", "GET")
        detail: dict[str, object] = {"what": "download", "file": name[:100], "method": method}
        if not verdict.allowed:
            log.warning("Refused %s %s: %s", method, path[:200], verdict.why)
            if verdict.session is not None:  # a signed-in user asked for someone else's file: on record
                try:
                    await asyncio.to_thread(_audit, "denied", verdict, {**detail, "why": verdict.why})
                except Exception:  # noqa: BLE001 - refused either way; the failure is logged
                    log.exception("Could not audit a refused download")
            await _answer(send, 403, NOT_YOURS, path)
            return False
        if method == "GET" and verdict.session is not None and is_check(headers):
            # Streamlit's check before the download (module docstring): "it answers", without the file.
            await _answer(send, 204, "", path)
            return False
        if method == "GET" and verdict.session is not None:  # HEAD hands out nothing; a public file is no download
            if "range" in headers:
                detail["range"] = headers["range"][:100]
            try:
                await asyncio.to_thread(_audit, "download", verdict, detail)
            except Exception:  # noqa: BLE001 - AuditError or worse: not on record, so not handed out
                log.exception("Could not audit a download")
                await _answer(send, 503, NOT_RECORDED, path)
                return False
        return True
