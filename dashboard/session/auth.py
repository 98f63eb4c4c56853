"""Sign-in before any data is shown, sessions that expire, and the signed-in user's scope.

The users file and its rules are in :mod:`etl.accounts.users` (argon2 hashes, lockout, waits between
attempts, the per-address limit, session limits) and the roles in :mod:`etl.accounts.roles`; this module only
draws the sign-in form, tells the store which address an attempt comes from, and keeps the session
in ``st.session_state``. Nothing that limits attempts is kept in the session: a new page load would
reset it. The router calls :func:`gate` first on every run: no page, query or download
runs for someone who is not signed in (``dashboard.db.connection.query`` refuses without a scope).
"""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

from dashboard.session.remember import COOKIE, REMEMBERED, cookie_script
from etl.accounts import pgstore
from etl.accounts.records import utc_now
from etl.accounts.roles import Scope
from etl.accounts.shared_users import user_store
from etl.accounts.signin import Outcome, Session, client_address
from etl.accounts.users import UserStore, users_path
from etl.config import get_settings
from etl.errors import AccessDataError

log = logging.getLogger(__name__)

SESSION = "auth_session"
ENDED = "auth_ended"
REMEMBER_KEY = "auth_remember_key"  # this session's entry in dashboard.session.remember.REMEMBERED
REMEMBER_CODE = "auth_remember_code"  # one-time code still to be traded for the cookie


class NotSignedIn(AccessDataError):
    """A query was attempted without a signed-in user (never shown to a signed-in user)."""


@st.cache_resource(show_spinner=False)
def _store(path: str) -> UserStore:
    return user_store(get_settings(), Path(path))  # the users in PostgreSQL in warehouse mode


def store() -> UserStore:
    settings = get_settings()
    return _store(pgstore.where(settings) if pgstore.enabled(settings) else str(users_path(settings)))


def _audit(action: str, who: str, role: str | None = None, detail: dict | None = None) -> None:
    try:
        from etl.accounts import audit
    except ImportError:  # the audit module is optional while it is being built
        return
    audit.record(action, who=who, role=role, detail=detail)


def audit_event(action: str, target: str | None = None, detail: dict | None = None, once: bool = False) -> None:
    """Record what the signed-in user did (profile views, downloads...). ``once``: once per session and target
    (a page reruns on every click; the log should say who looked at what, not how many widgets they touched)."""
    session = current_session()
    if session is None:
        return
    if once:
        seen = st.session_state.setdefault("auth_audited", set())
        if (action, target) in seen:
            return
        seen.add((action, target))
    try:
        from etl.accounts import audit
    except ImportError:
        return
    f = st.session_state.get("filters")
    audit.record(action, who=session.username, role=session.role, target=target,
                 filters=None if f is None else {"view": f.describe()}, detail=detail)


def current_session() -> Session | None:
    return st.session_state.get(SESSION)


def current_scope() -> Scope:
    """The signed-in user's scope; :class:`NotSignedIn` otherwise (fail closed)."""
    session = current_session()
    if session is None:
        raise NotSignedIn("Not signed in.", "Sign in to see the data.")
    return session.scope


def _resume() -> Session | None:
    """The session, checked and touched for this run; None (and why, for the form) when it ended."""
    session = current_session()
    if session is None:
        return None
    key = st.session_state.get(REMEMBER_KEY)
    if key is not None and not REMEMBERED.is_live(key):
        # Signed out (or timed out) in another tab of this browser: that ends this one too.
        _end_session()
        st.session_state[ENDED] = "You signed out in another tab or window of this browser."
        return None
    resumed, why = store().resume(session, utc_now())
    if resumed is None:
        _end_session()
        REMEMBERED.forget(key)
        st.session_state[ENDED] = why
        _audit("session_expired", session.username, session.role, {"why": why})
        return None
    st.session_state[SESSION] = resumed
    if key is not None:
        REMEMBERED.update(key, resumed)  # other tabs share the idle clock and see role changes
    return resumed


def _end_session() -> None:
    for name in (SESSION, REMEMBER_KEY, REMEMBER_CODE):
        st.session_state.pop(name, None)


def _start(session: Session) -> None:
    """A session that just signed in, remembered for this browser's next page loads."""
    remembered = REMEMBERED.remember(session)
    st.session_state[SESSION] = session
    st.session_state[REMEMBER_KEY] = remembered.key
    st.session_state[REMEMBER_CODE] = remembered.code


def _from_cookie() -> None:
    """A new page load of a browser that signed in before: resume its session (checked by :func:`_resume`)."""
    try:
        token = st.context.cookies.get(COOKIE)
    except Exception:  # noqa: BLE001 - no request context (AppTest, bare mode): nothing to resume
        return
    found = REMEMBERED.session_for(token)
    if found is not None:
        st.session_state[REMEMBER_KEY], st.session_state[SESSION] = found


def set_cookie() -> None:
    """After a sign-in, until the browser has done it: the page trades its one-time code for the sign-in cookie
    (see dashboard.session.remember).

    Drawn again on every run while the code waits: a run that draws it can be cut short before the browser
    runs it (a role whose first page has its own address is switched to it at once: admin -> /data), and a
    code spent on the first run would leave that browser asking to sign in again on its next page load."""
    code = st.session_state.get(REMEMBER_CODE)
    if not code:
        return
    if not REMEMBERED.pending(code):  # traded (or too old): nothing more to draw
        st.session_state.pop(REMEMBER_CODE, None)
        return
    with st.sidebar:
        st.html(cookie_script(code), unsafe_allow_javascript=True)


def request_address() -> str:
    """The client address of this session (``trusted_proxies`` decides whether X-Forwarded-For is believed)."""
    try:
        peer = st.context.ip_address
        forwarded = st.context.headers.get_all("X-Forwarded-For")
    except Exception:  # noqa: BLE001 - no request context (bare mode): this machine
        peer, forwarded = None, []
    # Only text counts: under AppTest the runtime is a mock, and a mock must not become an address.
    peer = peer if isinstance(peer, str) else None
    forwarded = [h for h in forwarded if isinstance(h, str)] if isinstance(forwarded, list) else []
    return client_address(peer, forwarded, get_settings())


def sign_in(username: str, password: str) -> None:
    now = utc_now()
    address = request_address()
    try:
        result = store().verify(username, password, now, address=address)
    except AccessDataError as err:
        st.session_state["auth_message"] = str(err)
        return
    if result.ok and result.user is not None:
        _start(store().start_session(result.user, now))
        st.session_state.pop(ENDED, None)
        st.session_state.pop("auth_message", None)
        _audit("sign_in", result.user.username, result.user.role, {"address": address})
        return
    # The same words for every refusal (etl.accounts.signin.REFUSED); the log keeps what really happened.
    st.session_state["auth_message"] = result.message()
    detail: dict[str, str] = {"outcome": str(result.outcome), "address": address}
    if result.retry_after is not None:
        detail["retry_after"] = result.retry_after.isoformat()
    _audit("sign_in_failed", result.username, None, detail)


def sso_configured() -> bool:
    """Single sign-on is on when ``[auth]`` is configured in ``.streamlit/secrets.toml`` (Streamlit's OIDC)."""
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file at all
        return False


def _sso_user() -> tuple[bool, str | None]:
    """(signed in with the provider, the e-mail it vouches for)."""
    try:
        if not st.user.get("is_logged_in"):
            return False, None
        email = st.user.get("email")
        return True, str(email) if email else None
    except Exception:  # noqa: BLE001 - st.user is unavailable outside a real server session
        return False, None


def _sign_in_sso() -> None:
    """After the provider's redirect: a session for the users-file user with that e-mail, else a message."""
    signed, email = _sso_user()
    if not signed:
        return
    result = store().verify_sso(email, utc_now())
    if result.ok and result.user is not None:
        _start(store().start_session(result.user, utc_now()))
        st.session_state.pop(ENDED, None)
        _audit("sign_in", result.user.username, result.user.role, {"via": "single sign-on", "address": request_address()})
        return
    _audit("sign_in_failed", result.username, None, {"via": "single sign-on", "outcome": str(result.outcome),
                                                     "address": request_address()})
    st.session_state["auth_message"] = (
        f"Single sign-on says you are {email or 'someone without an e-mail address'}, but no user of this dashboard "
        "has that address. Ask an admin: `python -m etl users set-sso-email NAME EMAIL`."
        if result.outcome is Outcome.UNKNOWN_USER else result.owner_message())
    st.logout()


def sign_out() -> None:
    session = current_session()
    if session is not None:
        _audit("sign_out", session.username, session.role)
    REMEMBERED.forget(st.session_state.get(REMEMBER_KEY))  # every tab of this browser, and its cookie
    _end_session()
    st.session_state.pop("auth_message", None)
    st.session_state[ENDED] = "You signed out."
    if sso_configured() and _sso_user()[0]:
        st.logout()


def gate() -> Session | None:
    """Check the session for this run; the signed-in session, or None (then draw only the sign-in page)."""
    if current_session() is None and ENDED not in st.session_state:
        _from_cookie()
    if current_session() is None and sso_configured():
        _sign_in_sso()
    return _resume()
