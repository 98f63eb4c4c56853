"""The dashboard served as an ``st.App``: Streamlit's own server plus the route that sets the sign-in cookie.

``python -m dashboard`` (and so ``python3 tasks.py run``) runs ``streamlit run`` on this file; Streamlit
finds :data:`app` and serves ``streamlit_app.py`` (the router) through it. The only addition is
:data:`dashboard.remember.ROUTE` (see :mod:`dashboard.remember`). ``streamlit run
dashboard/streamlit_app.py`` still works, without remembered sign-in: every page load asks again.
"""

from __future__ import annotations

import streamlit as st
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dashboard.remember import CODE_HEADER, COOKIE, REMEMBERED, ROUTE


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


app = st.App("streamlit_app.py", routes=[Route(ROUTE, remember, methods=["POST"])])
