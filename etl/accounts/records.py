"""A user of the users file: the record, its JSON form checked field by field, and its failed sign-ins.

:mod:`etl.accounts.users` keeps these records in the users file; :mod:`etl.accounts.signin` judges
sign-in attempts with them. Times are always aware UTC datetimes (:func:`utc_now`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from etl.accounts.roles import ROLE_NAMES, ROLES, Scope, scope_for
from etl.config import Settings
from etl.errors import AccessDataError, InputFileError

MAX_DELAY_S = 30
"""Longest wait asked for between two wrong passwords (1, 2, 4, 8... seconds before that)."""


class UserError(AccessDataError):
    """A user-management request that cannot be carried out; nothing was changed."""


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _utc(when: dt.datetime | None) -> dt.datetime:
    if when is None:
        return utc_now()
    if when.tzinfo is None:
        raise ValueError("pass an aware datetime (e.g. datetime.now(datetime.UTC)), not a naive one")
    return when.astimezone(dt.UTC)


def _stamp(when: dt.datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


def _clock(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True)
class User:
    """One person who may sign in. ``password_hash`` is left out of ``repr`` so it never lands in a log."""

    username: str
    display_name: str
    role: str
    regions: tuple[str, ...]
    password_hash: str = field(repr=False)
    created_at: dt.datetime
    updated_at: dt.datetime
    password_changed_at: dt.datetime
    demo: bool = False
    disabled: bool = False
    failed_attempts: int = 0
    last_failed_at: dt.datetime | None = None
    locked_until: dt.datetime | None = None
    last_signed_in_at: dt.datetime | None = None
    sso_email: str | None = None  # the identity a single sign-on provider vouches for (lower case)

    @property
    def scope(self) -> Scope:
        """What this user may see (role + regions granted), for the query layer."""
        return scope_for(self.role, self.regions)

    def is_locked(self, now: dt.datetime) -> bool:
        return self.locked_until is not None and _utc(now) < self.locked_until

    @property
    def failures(self) -> Failures:
        return Failures(self.failed_attempts, self.last_failed_at, self.locked_until)

    def status(self, now: dt.datetime) -> str:
        """``active``, ``disabled`` or ``locked until ...``: for ``users list`` and the admin page."""
        if self.disabled:
            return "disabled"
        if self.is_locked(now) and self.locked_until is not None:
            return f"locked until {_clock(self.locked_until)}"
        return "active"

    def to_json(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "display_name": self.display_name,
            "role": self.role,
            "regions": list(self.regions),
            "password_hash": self.password_hash,
            "demo": self.demo,
            "disabled": self.disabled,
            "created_at": _stamp(self.created_at),
            "updated_at": _stamp(self.updated_at),
            "password_changed_at": _stamp(self.password_changed_at),
            "failed_attempts": self.failed_attempts,
            "last_failed_at": _stamp(self.last_failed_at),
            "locked_until": _stamp(self.locked_until),
            "last_signed_in_at": _stamp(self.last_signed_in_at),
            "sso_email": self.sso_email,
        }


def _field(path: Path, number: int, record: dict[str, Any], key: str, kind: type | tuple[type, ...],
           optional: bool = False) -> Any:
    """One field of a user record, checked, or an error naming the file, the user and the field."""
    who = f"user {number}" + (f" ('{record['username']}')" if isinstance(record.get("username"), str) else "")
    if key not in record or record[key] is None:
        if optional:
            return None
        raise InputFileError(path, f"{who} has no '{key}'.",
                             "Restore the file from a backup, or remove that user and add them again with "
                             "`python -m etl users`.")
    value = record[key]
    if kind is dt.datetime:
        try:
            return _utc(dt.datetime.fromisoformat(value)) if isinstance(value, str) else _bad(path, who, key, value)
        except ValueError:
            return _bad(path, who, key, value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        return _bad(path, who, key, value)
    return value


def _bad(path: Path, who: str, key: str, value: object) -> Any:
    raise InputFileError(path, f"{who}: '{key}' has the wrong kind of value ({value!r:.40}).",
                         "The file is written by `python -m etl users`; restore it from a backup rather than "
                         "editing it by hand.")


def _user_from_json(path: Path, number: int, record: object) -> User:
    if not isinstance(record, dict):
        raise InputFileError(path, f"user {number} is not a JSON object.", "Restore the file from a backup.")
    role = _field(path, number, record, "role", str)
    if role not in ROLES:
        raise InputFileError(path, f"user {number} ('{record.get('username')}') has role '{role}', which is not a "
                             f"role.", f"Use one of {', '.join(ROLE_NAMES)}: `python -m etl users set-role NAME ROLE`.")
    regions = _field(path, number, record, "regions", list)
    if not all(isinstance(r, str) for r in regions):
        _bad(path, f"user {number}", "regions", regions)
    return User(
        username=_field(path, number, record, "username", str),
        display_name=_field(path, number, record, "display_name", str),
        role=role,
        regions=tuple(regions),
        password_hash=_field(path, number, record, "password_hash", str),
        created_at=_field(path, number, record, "created_at", dt.datetime),
        updated_at=_field(path, number, record, "updated_at", dt.datetime),
        password_changed_at=_field(path, number, record, "password_changed_at", dt.datetime),
        demo=_field(path, number, record, "demo", bool),
        disabled=_field(path, number, record, "disabled", bool),
        failed_attempts=_field(path, number, record, "failed_attempts", int),
        last_failed_at=_field(path, number, record, "last_failed_at", dt.datetime, optional=True),
        locked_until=_field(path, number, record, "locked_until", dt.datetime, optional=True),
        last_signed_in_at=_field(path, number, record, "last_signed_in_at", dt.datetime, optional=True),
        sso_email=_field(path, number, record, "sso_email", str, optional=True) if "sso_email" in record else None,
    )


def delay_after(failures: int, first: float = 1.0) -> float:
    """Seconds to wait before the next attempt after ``failures`` refused ones in a row.

    :param first: the first wait (setting ``signin_delay_s``); it doubles up to :data:`MAX_DELAY_S`
        (or ``first``, if longer).

    >>> [delay_after(n) for n in (1, 2, 3, 4, 5, 9)]
    [1.0, 2.0, 4.0, 8.0, 16.0, 30.0]
    """
    return min(first * 2 ** max(failures - 1, 0), max(float(MAX_DELAY_S), first))


@dataclass(frozen=True)
class Failures:
    """The failed sign-ins of one username: kept in the users file for a user, in memory for an unknown name.

    Both go through the same rules, so that an attacker cannot tell a real username from an unknown one by
    the waits and refusals it earns (:meth:`UserStore.verify`).
    """

    count: int = 0
    last_at: dt.datetime | None = None
    locked_until: dt.datetime | None = None

    def current(self, now: dt.datetime) -> Failures:
        """As they stand at ``now``: a lock that ran out is a fresh start."""
        if self.locked_until is not None and now >= self.locked_until:
            return Failures(0, self.last_at, None)
        return self

    def wait_until(self, settings: Settings) -> dt.datetime | None:
        """No attempt is checked before this (None: at once)."""
        if self.count == 0 or self.last_at is None:
            return None
        return self.last_at + dt.timedelta(seconds=delay_after(self.count, settings.signin_delay_s))

    def failed(self, now: dt.datetime, settings: Settings) -> Failures:
        """After one more refused attempt. The lock starts at ``signin_max_failures``; attempts during it are
        slowed down like any others but never make it longer."""
        count = self.count + 1
        if self.locked_until is None and count >= settings.signin_max_failures:
            return Failures(0, now, now + dt.timedelta(minutes=settings.signin_lock_minutes))
        return Failures(count, now, self.locked_until)
