"""The dashboard served as an ``st.App``: Streamlit's own server, guarded, plus the route that sets the sign-in cookie.

``python -m dashboard`` (and so ``python3 tasks.py run``) runs ``streamlit run`` on this file; Streamlit
finds :data:`app` and serves ``streamlit_app.py`` (the router) through it, with:

- :data:`dashboard.session.remember.ROUTE`, which sets the sign-in cookie (see :mod:`dashboard.session.remember`);
- :class:`dashboard.session.web_guard.WebGuard` in front of everything (Streamlit's websocket, media,
  upload, component and static routes, and the route above): only the app's own origin is
  answered, downloads only to the sign-in that made them (each audited), security headers;
- a start-up step that ties every file Streamlit makes to its sign-in (:func:`dashboard.session.media_owners.watch`).

``streamlit run dashboard/streamlit_app.py`` still works, without any of these: every page load asks
to sign in again, and the origin and download checks are Streamlit's own (any localhost origin, any
holder of a download's URL). Serve the app through this file.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import streamlit as st
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dashboard.session import media_owners
from dashboard.session.remember import CODE_HEADER, COOKIE, REMEMBERED, ROUTE
from dashboard.session.web_guard import WebGuard, server_policy


def _https(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "")
    return request.url.scheme == "https" or forwarded.split(",")[0].strip() == "https"


async def remember(request: Request) -> Response:
    """Trade a one-time code (posted by the page right after a sign-in) for the session cookie."""
    token = REMEMBERED.redeem(request.headers.get(CODE_HEADER))
    if token is None:
        return Response("Unknown, used or expired code: sign in again.", status_code=403,
                        headers={"Cache-Control": "no-store"})
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    # No max_age: a session cookie, gone when the browser closes; the server's limits apply before that.
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=_https(request), path="/")
    return response


@contextlib.asynccontextmanager
async def lifespan(_app: st.App) -> AsyncIterator[None]:
    """After Streamlit's runtime has started, before the first request: check the origins setting (a wrong
    one stops the server, saying why) and bind downloads to their sign-ins."""
    from streamlit import runtime

    server_policy()
    media_owners.watch(runtime.get_instance().media_file_mgr)
    yield


app = st.App("streamlit_app.py", routes=[Route(ROUTE, remember, methods=["POST"])],
             middleware=[Middleware(WebGuard)], lifespan=lifespan)
