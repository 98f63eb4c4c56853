"""Sign-in answers and sessions: what a refused attempt says, how long to wait, per-address limits.

The rules here need no file: :meth:`etl.accounts.users.UserStore.verify` applies them to the
records of the users file. Every refusal reads the same to the person at the form
(:data:`REFUSED`, or how long to wait), and an unknown username is slowed and locked exactly like a
real one (:class:`AttemptLimits`), so neither the answers nor the timing tell which usernames exist.
A :class:`Session` is plain frozen data the app keeps in ``st.session_state``.
"""

from __future__ import annotations

import datetime as dt
import enum
import ipaddress
import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from etl.accounts.records import Failures, User, _clock, _utc, utc_now
from etl.accounts.roles import Scope, scope_for
from etl.config import Settings

MAX_TRACKED = 10_000
"""Most client addresses (and unknown usernames) whose failures are kept in memory (:class:`AttemptLimits`)."""
MAX_NAME_KEY = 100  # longer than any username (USERNAME_RE): longer typed names are counted by their start
REFUSED = ("Wrong username or password, or the account is locked or disabled. Check both (passwords are "
           "case-sensitive) and try again; if it keeps failing, wait a while or ask an admin.")
"""What the sign-in form says for every refused password, whatever the reason, so it never confirms a username."""


class Outcome(enum.StrEnum):
    SIGNED_IN = "signed_in"
    WRONG_PASSWORD = "wrong_password"
    LOCKED = "locked"
    DISABLED = "disabled"
    UNKNOWN_USER = "unknown_user"
    TOO_SOON = "too_soon"  # within the wait after this username's last failure: not checked, not counted
    ADDRESS_LIMITED = "address_limited"  # the client address failed too often lately: not checked, not counted


@dataclass(frozen=True)
class SignIn:
    """The answer to one sign-in attempt.

    :param outcome: what happened (for the audit log: the form tells every refusal the same way).
    :param user: the signed-in user (``SIGNED_IN`` only).
    :param locked_until: when a lock ends (``LOCKED``, and a disabled or unknown name locked the same way).
    :param retry_after: no attempt with this username (``TOO_SOON``) or from this address
        (``ADDRESS_LIMITED``) is checked before this: the wait doubles with each failure, so guessing gets
        slow before it gets locked. The store enforces it, whichever session asks.
    :param failures_left: wrong passwords left before the lock (``WRONG_PASSWORD``); for the audit log and
        admins, not for the person signing in (it would tell them the username exists).
    :param at: when the attempt was made (for the wait in :meth:`message`).
    """

    outcome: Outcome
    username: str
    user: User | None = None
    locked_until: dt.datetime | None = None
    retry_after: dt.datetime | None = None
    failures_left: int | None = None
    at: dt.datetime | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.SIGNED_IN

    def message(self) -> str:
        """What to tell the person at the sign-in form.

        A wrong password, an unknown username, a locked and a disabled account all read :data:`REFUSED`:
        anything else would confirm to whoever is guessing that the username exists. A wait is said with
        its length only, which is the same for a real and an unknown username.
        """
        if self.outcome is Outcome.SIGNED_IN and self.user is not None:
            return f"Signed in as {self.user.display_name} ({self.user.role})."
        if self.outcome in (Outcome.TOO_SOON, Outcome.ADDRESS_LIMITED) and self.retry_after is not None:
            wait = (self.retry_after - (self.at or utc_now())).total_seconds()
            return f"Too many failed sign-ins: wait {_wait(wait)} before trying again."
        return REFUSED

    def owner_message(self) -> str:
        """The account's real state, for someone whose identity is already proven (single sign-on)."""
        if self.outcome is Outcome.LOCKED and self.locked_until is not None:
            return (f"Too many wrong passwords: this account is locked until {_clock(self.locked_until)}. "
                    "Wait, or ask an admin to unlock it.")
        if self.outcome is Outcome.DISABLED:
            return "This account is disabled. Ask an admin to enable it."
        return self.message()


def _wait(seconds: float) -> str:
    """``"3 s"`` or, from two minutes, ``"14 min"``: rounded up, never "0"."""
    if seconds < 120:
        return f"{max(1, math.ceil(seconds))} s"
    return f"{math.ceil(seconds / 60)} min"


@dataclass(frozen=True)
class Session:
    """A signed-in session, as plain frozen data for ``st.session_state``.

    The limits are copied in at sign-in, so checking expiry needs no settings and no file.
    :param session_id: random, for the audit log to tie a user's actions together.
    """

    username: str
    display_name: str
    role: str
    regions: tuple[str, ...]
    demo: bool
    started_at: dt.datetime
    last_seen_at: dt.datetime
    idle_limit: dt.timedelta
    max_age: dt.timedelta
    session_id: str

    @property
    def scope(self) -> Scope:
        return scope_for(self.role, self.regions)

    def expires_at(self) -> dt.datetime:
        """The earlier of the idle and the absolute limit."""
        return min(self.last_seen_at + self.idle_limit, self.started_at + self.max_age)

    def ended(self, now: dt.datetime) -> str | None:
        """Why the session is over at ``now`` (a sentence for the sign-in page), or None while it runs."""
        now = _utc(now)
        if now >= self.started_at + self.max_age:
            return (f"You were signed in for {_hours(self.max_age)}, the longest a session lasts. "
                    "Sign in again to continue.")
        if now >= self.last_seen_at + self.idle_limit:
            return f"Your session ended after {_hours(self.idle_limit)} without use. Sign in again to continue."
        return None

    def touch(self, now: dt.datetime) -> Session:
        """The same session, used at ``now`` (resets the idle clock, never the absolute one)."""
        return replace(self, last_seen_at=max(self.last_seen_at, _utc(now)))


def _hours(span: dt.timedelta) -> str:
    hours = span.total_seconds() / 3600
    if hours >= 1:
        return f"{hours:g} hour" + ("" if hours == 1 else "s")
    return f"{span.total_seconds() / 60:g} minutes"


def limit_key(address: str) -> str:
    """What the per-address limit counts: the address, but an IPv6 address by its /64 network (one
    household or server holds a whole /64, so counting single IPv6 addresses would limit nothing).

    >>> limit_key("2001:db8:0:7::1"), limit_key("::ffff:203.0.113.7"), limit_key("203.0.113.7")
    ('2001:db8:0:7::/64', '203.0.113.7', '203.0.113.7')
    """
    text = address.strip()
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return text[:100]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def client_address(peer: str | None, forwarded_for: Sequence[str], settings: Settings) -> str:
    """The address a sign-in attempt comes from, for the per-address limit and the audit log.

    ``X-Forwarded-For`` is believed only when the connection comes from a proxy listed in
    ``trusted_proxies``, and then only up to the first address (from the right) that is not such a
    proxy: anything further left was written by the client and could be forged.

    :param peer: the connection's address (``st.context.ip_address``: None for this machine).
    :param forwarded_for: every ``X-Forwarded-For`` header of the request, in order.

    >>> s = Settings(trusted_proxies="127.0.0.1")
    >>> client_address(None, ["6.6.6.6, 203.0.113.7"], s), client_address("198.51.100.2", ["6.6.6.6"], s)
    ('203.0.113.7', '198.51.100.2')
    """
    address = peer or "127.0.0.1"  # Streamlit reports a connection from this machine (or none at all) as None
    trusted = settings.trusted_networks()
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",") if hop.strip()]
    while _is_trusted(address, trusted) and hops:
        hop = hops.pop()
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return address  # the proxy passed on something that is not an address: count the proxy itself
        address = hop
    return address


def _is_trusted(address: str, trusted: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in trusted)


class AttemptLimits:
    """Failed sign-ins the users file does not hold, in this process's memory: per client address, and per
    username that is not a user (so that it is slowed and locked like a real one).

    Bounded: at most ``max_keys`` addresses and as many names, the least recently failing forgotten
    first. Shared by every session of the app (see :func:`limits_for`); a restart forgets it.
    """

    def __init__(self, max_keys: int = MAX_TRACKED) -> None:
        self.max_keys = max_keys
        self.lock = threading.RLock()
        self._addresses: OrderedDict[str, list[dt.datetime]] = OrderedDict()
        self._names: OrderedDict[str, Failures] = OrderedDict()

    def address_wait(self, address: str, now: dt.datetime, settings: Settings) -> dt.datetime | None:
        """When ``address`` may try again, or None when it may now (fewer failures than the limit in the window)."""
        with self.lock:
            window = dt.timedelta(minutes=settings.signin_address_window_minutes)
            recent = [t for t in self._addresses.get(limit_key(address), []) if t > now - window]
            limit = settings.signin_address_max_failures
            return recent[-limit] + window if len(recent) >= limit else None

    def address_failed(self, address: str, now: dt.datetime, settings: Settings) -> None:
        with self.lock:
            key = limit_key(address)
            times = [*self._addresses.pop(key, []), now][-settings.signin_address_max_failures:]
            self._remember(self._addresses, key, times)

    def name_failures(self, name: str) -> Failures:
        with self.lock:
            return self._names.get(name[:MAX_NAME_KEY], Failures())

    def name_failed(self, name: str, failures: Failures) -> None:
        # Cut to a length no username reaches: typed names cannot make the memory grow without bound.
        key = name[:MAX_NAME_KEY]
        with self.lock:
            self._names.pop(key, None)
            self._remember(self._names, key, failures)

    def size(self) -> int:
        with self.lock:
            return max(len(self._addresses), len(self._names))

    def _remember(self, table: OrderedDict[str, Any], key: str, value: Any) -> None:
        table[key] = value
        while len(table) > self.max_keys:
            table.popitem(last=False)


_LIMITS: dict[str, AttemptLimits] = {}
_LIMITS_LOCK = threading.Lock()


def limits_for(path: Path) -> AttemptLimits:
    """The process's :class:`AttemptLimits` for one users file (every session and store of it share them)."""
    key = str(Path(path).expanduser().absolute())
    with _LIMITS_LOCK:
        return _LIMITS.setdefault(key, AttemptLimits())
