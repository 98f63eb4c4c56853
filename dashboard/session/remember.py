"""Remembered sign-in: one sign-in per browser, not one per page load.

Streamlit starts a new session for every page load (a reload, a new tab, a shared link opened),
and a session knows nothing of the last one. Without this module every one of them shows the
sign-in form again. With it, a successful sign-in also registers the session here, under a random
token, and the browser gets that token as a cookie that scripts cannot read (``HttpOnly``), sent
only by this site's own pages (``SameSite=Strict``), and forgotten when the browser closes (no
expiry date). A new page load that presents the cookie resumes the same session: same limits (idle
and absolute, see :class:`etl.accounts.signin.Session`), same session id in the audit log, and the same
checks against the users file on every run (removed, disabled, locked, new password, new role).

How the cookie is set: Streamlit can read cookies but not set them, so the app is served as an
``st.App`` (:mod:`dashboard.app_server`) with one extra route, :data:`ROUTE`. After a sign-in the
page runs a short script that posts a one-time code (valid :data:`CODE_SECONDS`, usable once) to
that route; the route answers with the cookie. The page's scripts only ever see the code, never
the token. Tokens live in this process' memory, hashed: restarting the server signs everybody out,
and nothing about sessions is written to disk.

**Behind a load balancer** (warehouse mode, ``ACCESS_WAREHOUSE`` set) the table is in the warehouse's
PostgreSQL instead (:class:`SharedRememberedSessions`, tables of :mod:`etl.accounts.pgstore`), so a cookie
set by one replica opens the session on every other, a sign-out on one ends it on all, and the
one-time code may be posted to any replica. The tokens are stored hashed as in memory; a pending code's
token is stored encrypted with a key derived from the code (which only the page holds), and deleted
when the code is spent or runs out. Restarting a replica then signs nobody out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from etl.accounts import pgstore
from etl.accounts.records import utc_now
from etl.accounts.signin import Session
from etl.config import Settings, get_settings

COOKIE = "access_session"
ROUTE = "/_access/remember"
CODE_HEADER = "X-Access-Code"
CODE_SECONDS = 120.0
# A browser that signs in again and again (or a script that does) cannot grow the table without bound.
MAX_SESSIONS = 10_000


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Remembered:
    """What :meth:`RememberedSessions.remember` hands to the signing-in page run."""

    key: str  # the token's hash: how this Streamlit session refers to its remembered entry
    code: str  # one-time code the page posts to ROUTE to receive the cookie


class RememberedSessions:
    """Signed-in sessions by token hash, and the pending one-time codes; thread-safe, in memory."""

    def __init__(self, code_seconds: float = CODE_SECONDS, max_sessions: int = MAX_SESSIONS) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}
        self._codes: dict[str, tuple[str, float]] = {}  # code hash -> (token, monotonic deadline)
        self.code_seconds = code_seconds
        self.max_sessions = max_sessions

    def remember(self, session: Session) -> Remembered:
        """Register a session that just signed in; the code the page exchanges for the cookie."""
        token, code = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        key = _digest(token)
        with self._lock:
            self._purge()
            if len(self._sessions) >= self.max_sessions:  # the oldest sign-ins go first
                for old in sorted(self._sessions, key=lambda k: self._sessions[k].started_at)[:len(self._sessions) // 10]:
                    del self._sessions[old]
            self._sessions[key] = session
            self._codes[_digest(code)] = (token, time.monotonic() + self.code_seconds)
        return Remembered(key=key, code=code)

    def redeem(self, code: str | None) -> str | None:
        """The token for a one-time code (then the code is spent), or None: unknown, used or too old."""
        if not isinstance(code, str) or not code:
            return None
        with self._lock:
            found = self._codes.pop(_digest(code), None)
        if found is None or time.monotonic() > found[1]:
            return None
        return found[0]

    def pending(self, code: str) -> bool:
        """Whether the one-time ``code`` is still waiting to be traded (not redeemed, not too old)."""
        with self._lock:
            found = self._codes.get(_digest(code))
        return found is not None and time.monotonic() <= found[1]

    def session_for(self, token: str | None) -> tuple[str, Session] | None:
        """(key, session) for the token a browser presented, or None when it is unknown or forgotten."""
        if not isinstance(token, str) or not token:
            return None
        key = _digest(token)  # a lookup by hash: comparing hashes of random tokens reveals nothing usable
        with self._lock:
            session = self._sessions.get(key)
        return None if session is None else (key, session)

    def is_live(self, key: str) -> bool:
        with self._lock:
            return key in self._sessions

    def update(self, key: str, session: Session) -> None:
        """Keep the latest state of a live session (idle clock, role and regions re-read) for other tabs."""
        with self._lock:
            if key in self._sessions:
                self._sessions[key] = session

    def forget(self, key: str | None) -> None:
        """Sign-out or an ended session: the cookie no longer opens anything, in any tab."""
        if key is None:
            return
        with self._lock:
            self._sessions.pop(key, None)

    def _purge(self) -> None:
        """Drop sessions past their limits and spent codes (called with the lock held)."""
        now, clock = utc_now(), time.monotonic()
        for key in [k for k, s in self._sessions.items() if s.ended(now)]:
            del self._sessions[key]
        for code in [c for c, (_t, deadline) in self._codes.items() if clock > deadline]:
            del self._codes[code]


def _code_key(code: str) -> bytes:
    return hashlib.sha256(b"access-remember-code:" + code.encode()).digest()


def _lock_token(token: str, code: str) -> str:
    """The token encrypted with a key only the one-time code gives (stored while the code is pending)."""
    nonce = secrets.token_bytes(12)
    return (nonce + AESGCM(_code_key(code)).encrypt(nonce, token.encode(), None)).hex()


def _unlock_token(stored: str, code: str) -> str | None:
    raw = bytes.fromhex(stored)
    try:
        return AESGCM(_code_key(code)).decrypt(raw[:12], raw[12:], None).decode()
    except (InvalidTag, ValueError):
        return None


class SharedRememberedSessions:
    """:class:`RememberedSessions` in the warehouse's PostgreSQL database: the same on every app replica.

    Sessions past their limits and spent or expired codes are deleted at each new sign-in; nothing else
    bounds the table, since every row is a sign-in that passed the password check and its rate limits.
    """

    def __init__(self, settings: Settings, code_seconds: float = CODE_SECONDS) -> None:
        self.settings = settings
        self.code_seconds = code_seconds

    def remember(self, session: Session) -> Remembered:
        token, code = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        key = _digest(token)
        deadline = utc_now() + dt.timedelta(seconds=self.code_seconds)
        pgstore.remember(self.settings, key, session, _digest(code), _lock_token(token, code), deadline)
        return Remembered(key=key, code=code)

    def redeem(self, code: str | None) -> str | None:
        if not isinstance(code, str) or not code:
            return None
        stored = pgstore.redeem(self.settings, _digest(code))
        return None if stored is None else _unlock_token(stored, code)

    def pending(self, code: str) -> bool:
        return pgstore.code_pending(self.settings, _digest(code))

    def session_for(self, token: str | None) -> tuple[str, Session] | None:
        if not isinstance(token, str) or not token:
            return None
        key = _digest(token)
        session = pgstore.session_for(self.settings, key)
        return None if session is None else (key, session)

    def is_live(self, key: str) -> bool:
        return pgstore.session_for(self.settings, key) is not None

    def update(self, key: str, session: Session) -> None:
        pgstore.update_session(self.settings, key, session)

    def forget(self, key: str | None) -> None:
        if key is not None:
            pgstore.forget_session(self.settings, key)


class Remembering:
    """The process's table of remembered sign-ins: in memory, or in PostgreSQL when the settings name a
    warehouse (decided at each call, so that the settings in force decide)."""

    def __init__(self) -> None:
        self.local = RememberedSessions()
        self._shared: dict[str, SharedRememberedSessions] = {}

    def table(self) -> RememberedSessions | SharedRememberedSessions:
        settings = get_settings()
        if not pgstore.enabled(settings):
            return self.local
        url = pgstore.where(settings)
        if url not in self._shared:
            self._shared[url] = SharedRememberedSessions(settings)
        return self._shared[url]

    def remember(self, session: Session) -> Remembered:
        return self.table().remember(session)

    def redeem(self, code: str | None) -> str | None:
        return self.table().redeem(code)

    def pending(self, code: str) -> bool:
        return self.table().pending(code)

    def session_for(self, token: str | None) -> tuple[str, Session] | None:
        return self.table().session_for(token)

    def is_live(self, key: str) -> bool:
        return self.table().is_live(key)

    def update(self, key: str, session: Session) -> None:
        self.table().update(key, session)

    def forget(self, key: str | None) -> None:
        self.table().forget(key)


# One table per server process (the route, app_server, and the page runs, auth, share it); in PostgreSQL,
# one for every replica.
REMEMBERED = Remembering()


def cookie_script(code: str, route: str = ROUTE) -> str:
    """The script a page runs once after a sign-in: trade the one-time code for the HttpOnly cookie.

    ``code`` is made here (URL-safe base64), never from user input; a failure (the app started without
    :mod:`dashboard.app_server`, say) only means the next page load asks to sign in again.
    """
    if not code.replace("-", "").replace("_", "").isalnum():
        raise ValueError("not a code made by RememberedSessions")
    return ("<script>fetch(" + repr(route) + ", {method: 'POST', credentials: 'same-origin', cache: 'no-store', "
            "headers: {" + repr(CODE_HEADER) + ": " + repr(code) + "}}).catch(function () {});</script>")
