"""The users in PostgreSQL (warehouse mode), behind the same :class:`etl.accounts.users.UserStore` interface.

:func:`user_store` is how everything opens the users: with ``ACCESS_WAREHOUSE`` set it gives a
:class:`SharedUserStore` (the users, and the failed sign-ins of unknown names and of client addresses,
in the warehouse's PostgreSQL database, :mod:`etl.accounts.pgstore`); unset, the users file as before.
Both run the same rules (:class:`UserStore` and :mod:`etl.accounts.signin`): only where records are
read, locked and written differs. Every change is one PostgreSQL transaction holding the users'
advisory lock, so two replicas (or a replica and ``python -m etl users``) never lose each other's
changes, and a lockout earned on one replica holds on every other.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import psycopg

from etl.accounts import pgstore
from etl.accounts.records import Failures, User, _user_from_json
from etl.accounts.signin import MAX_NAME_KEY, AttemptLimits, limit_key
from etl.accounts.users import UserStore, users_path
from etl.config import Settings, get_settings


def user_store(settings: Settings | None = None, path: Path | None = None, db: Path | None = None) -> UserStore:
    """The users of this installation: in PostgreSQL in warehouse mode, else the users file (``path``, or
    :func:`etl.accounts.users.users_path`)."""
    settings = settings or get_settings()
    if pgstore.enabled(settings):
        return SharedUserStore(settings)
    return UserStore(path if path is not None else users_path(settings, db), settings)


class SharedUserStore(UserStore):
    """:class:`UserStore` on the ``access_accounts`` schema of the warehouse's PostgreSQL database."""

    def __init__(self, settings: Settings, hasher: Any = None) -> None:
        self._tx = threading.local()  # the connection of the change under way in this thread, if any
        # ``path`` only names the store in messages ("There is already a user 'x' in ...").
        super().__init__(Path(pgstore.where(settings)), settings, hasher, SharedAttemptLimits(self))

    def exists(self) -> bool:
        with self._connection() as con:
            return pgstore.any_user(con)

    @contextlib.contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        """The connection of the change under way in this thread, or a new one for the block."""
        con = getattr(self._tx, "con", None)
        if con is not None:
            yield con
            return
        with pgstore.connection(self.settings) as con:
            yield con

    def _read(self) -> list[User]:
        with self._connection() as con:
            records = pgstore.read_users(con)
        return [_user_from_json(self.path, i, rec) for i, rec in enumerate(records, start=1)]

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """One transaction holding the users' advisory lock: what :meth:`_changing` reads and writes in it."""
        with pgstore.connection(self.settings) as con:
            pgstore.lock_users(con)
            self._tx.con = con
            try:
                yield
            finally:
                self._tx.con = None

    def _write(self, users: Sequence[User]) -> None:
        with self._connection() as con:
            pgstore.write_users(con, [u.to_json() for u in users])


class SharedAttemptLimits(AttemptLimits):
    """Failed sign-ins of unknown usernames and per client address, in PostgreSQL: the same on every replica.

    Called by :meth:`UserStore.verify` inside the users' transaction (or, with no user at all, in a
    transaction of its own); the same rules as :class:`AttemptLimits`, which keeps them in memory.
    """

    def __init__(self, store: SharedUserStore) -> None:
        super().__init__()
        self.store = store

    def address_wait(self, address: str, now: dt.datetime, settings: Settings) -> dt.datetime | None:
        window = dt.timedelta(minutes=settings.signin_address_window_minutes)
        with self.store._connection() as con:
            recent = [t for t in pgstore.address_times(con, limit_key(address)) if t > now - window]
        limit = settings.signin_address_max_failures
        return recent[-limit] + window if len(recent) >= limit else None

    def address_failed(self, address: str, now: dt.datetime, settings: Settings) -> None:
        key = limit_key(address)
        with self.store._connection() as con:
            times = [*pgstore.address_times(con, key), now][-settings.signin_address_max_failures:]
            pgstore.set_address_times(con, key, times)

    def name_failures(self, name: str) -> Failures:
        with self.store._connection() as con:
            count, last_at, locked_until = pgstore.name_failures(con, name[:MAX_NAME_KEY])
        return Failures(count, last_at, locked_until)

    def name_failed(self, name: str, failures: Failures) -> None:
        with self.store._connection() as con:
            pgstore.set_name_failures(con, name[:MAX_NAME_KEY], failures.count, failures.last_at,
                                      failures.locked_until)

    def size(self) -> int:
        return 0  # bounded in PostgreSQL by age (pgstore.FORGET_ATTEMPTS), not by count
