"""The accounts in PostgreSQL: users, failed sign-ins, the audit trail and remembered sign-ins, for the warehouse mode.

With ``ACCESS_WAREHOUSE`` set (:mod:`etl.store.warehouse`), every app replica and every command line
works on the same accounts, so they live in the warehouse's PostgreSQL database, in their own schema
:data:`SCHEMA`, not in files beside ``ACCESS_DB``. Unset, nothing here is used. All SQL of the
accounts' PostgreSQL backend is in this module; it is reached through psycopg (one short connection
per operation, the URL never printed).

- ``users``: one row per user, the record as the users file holds it (``to_json``), checked the same
  way when read. Every change runs in one transaction holding an advisory lock (:data:`TAKE_USERS_LOCK`),
  like the users file's ``flock``: read, change, write, commit.
- ``attempt_names`` / ``attempt_addresses``: failed sign-ins of unknown usernames and per client
  address, which the file mode keeps in one process's memory (:class:`etl.accounts.signin.AttemptLimits`);
  shared here, so that a replica cannot be told from another by its waits and locks.
- ``audit``: one row per event, the same line the audit file holds (plain JSON or AES-GCM sealed),
  numbered by a sequence. **Append-only in PostgreSQL itself**: a trigger refuses every UPDATE,
  DELETE and TRUNCATE, whoever asks (:data:`SCHEMA_DDL`).
- ``remembered`` / ``remember_codes``: remembered sign-ins (by token hash) and their one-time codes,
  which the file mode keeps in the app process's memory (:mod:`dashboard.session.remember`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from urllib.parse import unquote, urlsplit

import psycopg

from etl.accounts.signin import Session
from etl.config import Settings
from etl.errors import AccessDataError

SCHEMA = "access_accounts"  # written out in the SQL below (no SQL is built from strings)
# pg_advisory_xact_lock keys (any numbers, the same everywhere): 7304201 every change to the users,
# 7304202 the creation of the schema, 7304203 an import of an audit file (etl.accounts.importing).
SET_LOCK_WAIT = "SET LOCAL lock_timeout = '10s'"  # a change waits at most this for another
HINT = ("Check ACCESS_WAREHOUSE (host, port, user, password, database) and that PostgreSQL runs "
        "(docs/deployment.md).")

SCHEMA_DDL = """
SELECT pg_advisory_xact_lock(7304202);
CREATE SCHEMA IF NOT EXISTS access_accounts;
CREATE TABLE IF NOT EXISTS access_accounts.users (username TEXT PRIMARY KEY, record JSONB NOT NULL);
CREATE TABLE IF NOT EXISTS access_accounts.attempt_names (
    name TEXT PRIMARY KEY, count INTEGER NOT NULL, last_at TIMESTAMPTZ, locked_until TIMESTAMPTZ);
CREATE TABLE IF NOT EXISTS access_accounts.attempt_addresses (address TEXT PRIMARY KEY, times TIMESTAMPTZ[] NOT NULL);
CREATE TABLE IF NOT EXISTS access_accounts.audit (
    id BIGSERIAL PRIMARY KEY, written_at TIMESTAMPTZ NOT NULL DEFAULT now(), line TEXT NOT NULL);
CREATE OR REPLACE FUNCTION access_accounts.audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % refused', TG_OP;
END $$;
CREATE OR REPLACE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON access_accounts.audit
    FOR EACH ROW EXECUTE FUNCTION access_accounts.audit_append_only();
CREATE OR REPLACE TRIGGER audit_no_truncate BEFORE TRUNCATE ON access_accounts.audit
    FOR EACH STATEMENT EXECUTE FUNCTION access_accounts.audit_append_only();
CREATE TABLE IF NOT EXISTS access_accounts.remembered (
    key TEXT PRIMARY KEY, session JSONB NOT NULL, expires_at TIMESTAMPTZ NOT NULL);
CREATE TABLE IF NOT EXISTS access_accounts.remember_codes (
    code_hash TEXT PRIMARY KEY, token TEXT NOT NULL, deadline TIMESTAMPTZ NOT NULL);
"""

READ_USERS = "SELECT record::text FROM access_accounts.users ORDER BY username"
ANY_USER = "SELECT EXISTS (SELECT 1 FROM access_accounts.users)"
CLEAR_USERS = "DELETE FROM access_accounts.users"
INSERT_USER = "INSERT INTO access_accounts.users (username, record) VALUES (%s, %s::jsonb)"
TAKE_USERS_LOCK = "SELECT pg_advisory_xact_lock(7304201)"

NAME_FAILURES = "SELECT count, last_at, locked_until FROM access_accounts.attempt_names WHERE name = %s"
SET_NAME_FAILURES = """
INSERT INTO access_accounts.attempt_names (name, count, last_at, locked_until) VALUES (%s, %s, %s, %s)
ON CONFLICT (name) DO UPDATE SET count = excluded.count, last_at = excluded.last_at,
                                 locked_until = excluded.locked_until
"""
ADDRESS_TIMES = "SELECT times FROM access_accounts.attempt_addresses WHERE address = %s"
SET_ADDRESS_TIMES = """
INSERT INTO access_accounts.attempt_addresses (address, times) VALUES (%s, %s)
ON CONFLICT (address) DO UPDATE SET times = excluded.times
"""
# Failures older than a day mean nothing to any limit (the longest is the lock, in minutes): forgotten.
FORGET_ATTEMPTS = """
DELETE FROM access_accounts.attempt_names WHERE coalesce(locked_until, last_at) < now() - interval '1 day';
DELETE FROM access_accounts.attempt_addresses WHERE times[array_length(times, 1)] < now() - interval '1 day';
"""

APPEND_AUDIT = "INSERT INTO access_accounts.audit (line) VALUES (%s)"
AUDIT_LINES = "SELECT line FROM access_accounts.audit ORDER BY id"
TAKE_AUDIT_IMPORT_LOCK = "SELECT pg_advisory_xact_lock(7304203)"

REMEMBER = """
INSERT INTO access_accounts.remembered (key, session, expires_at) VALUES (%s, %s::jsonb, %s)
ON CONFLICT (key) DO UPDATE SET session = excluded.session, expires_at = excluded.expires_at
"""
ADD_CODE = "INSERT INTO access_accounts.remember_codes (code_hash, token, deadline) VALUES (%s, %s, %s)"
PURGE_REMEMBERED = """
DELETE FROM access_accounts.remembered WHERE expires_at <= now();
DELETE FROM access_accounts.remember_codes WHERE deadline <= now();
"""
REDEEM = "DELETE FROM access_accounts.remember_codes WHERE code_hash = %s RETURNING token, deadline > now()"
CODE_PENDING = "SELECT deadline > now() FROM access_accounts.remember_codes WHERE code_hash = %s"
SESSION_FOR = "SELECT session::text FROM access_accounts.remembered WHERE key = %s AND expires_at > now()"
UPDATE_SESSION = "UPDATE access_accounts.remembered SET session = %s::jsonb, expires_at = %s WHERE key = %s"
FORGET_SESSION = "DELETE FROM access_accounts.remembered WHERE key = %s"


class SharedStoreError(AccessDataError):
    """The accounts' PostgreSQL database cannot be reached or used."""


def enabled(settings: Settings) -> bool:
    """Whether accounts, audit and remembered sign-ins live in PostgreSQL (the warehouse mode)."""
    return settings.warehouse is not None


def where(settings: Settings) -> str:
    """How messages name the store: ``PostgreSQL access_accounts at HOST:PORT/DB`` (no user, no password)."""
    assert settings.warehouse is not None
    parts = urlsplit(settings.warehouse.get_secret_value().strip())
    return f"PostgreSQL {SCHEMA} at {parts.hostname}:{parts.port or 5432}/{unquote(parts.path.strip('/'))}"


_READY: set[str] = set()
_READY_LOCK = threading.Lock()


def _scrubbed(exc: BaseException, settings: Settings) -> str:
    text = str(exc).strip() or type(exc).__name__
    assert settings.warehouse is not None
    secret = settings.warehouse.get_secret_value()
    for word in {secret, unquote(urlsplit(secret).password or "")} - {""}:
        text = text.replace(word, "**********")
    return text.splitlines()[0][:300]


@contextlib.contextmanager
def connection(settings: Settings) -> Iterator[psycopg.Connection[Any]]:
    """A connection in one transaction (committed at the end of the block, rolled back on an error); the
    schema is created on first use by this process."""
    if settings.warehouse is None:
        raise SharedStoreError("The shared accounts need ACCESS_WAREHOUSE.", HINT)
    url = settings.warehouse.get_secret_value().strip()
    try:
        con = psycopg.connect(url, connect_timeout=10)
    except psycopg.Error as exc:
        raise SharedStoreError(f"Cannot reach the accounts database ({_scrubbed(exc, settings)}).", HINT) from None
    try:
        with con:  # commit on success, roll back on an exception
            if url not in _READY:
                with _READY_LOCK:
                    con.execute(SCHEMA_DDL)
                    con.commit()
                    _READY.add(url)
            con.execute(SET_LOCK_WAIT)
            yield con
    except psycopg.errors.LockNotAvailable:
        raise SharedStoreError("The users are being changed by another command or sign-in.",
                               "Try again in a moment.") from None
    except psycopg.Error as exc:
        raise SharedStoreError(f"The accounts database refused: {_scrubbed(exc, settings)}", HINT) from None
    finally:
        con.close()


# ------------------------------------------------------------------------------------------ users


def lock_users(con: psycopg.Connection[Any]) -> None:
    con.execute(TAKE_USERS_LOCK)


def read_users(con: psycopg.Connection[Any]) -> list[object]:
    """Every user record (parsed JSON, to be checked by the caller), sorted by username."""
    return [json.loads(row[0]) for row in con.execute(READ_USERS).fetchall()]


def any_user(con: psycopg.Connection[Any]) -> bool:
    row = con.execute(ANY_USER).fetchone()
    return bool(row and row[0])


def write_users(con: psycopg.Connection[Any], records: Sequence[dict[str, Any]]) -> None:
    """Replace every user (inside the caller's transaction, under :func:`lock_users`)."""
    con.execute(CLEAR_USERS)
    add_users(con, records)


def add_users(con: psycopg.Connection[Any], records: Sequence[dict[str, Any]]) -> None:
    """Add users whose names are not taken (inside the caller's transaction, under :func:`lock_users`)."""
    with con.cursor() as cur:
        cur.executemany(INSERT_USER, [(r["username"], json.dumps(r, ensure_ascii=False)) for r in records])


# ------------------------------------------------------------------------------------------ failed sign-ins


def _utc(when: dt.datetime | None) -> dt.datetime | None:
    return None if when is None else when.astimezone(dt.UTC)


def name_failures(con: psycopg.Connection[Any], name: str) -> tuple[int, dt.datetime | None, dt.datetime | None]:
    row = con.execute(NAME_FAILURES, [name]).fetchone()
    return (0, None, None) if row is None else (int(row[0]), _utc(row[1]), _utc(row[2]))


def set_name_failures(con: psycopg.Connection[Any], name: str, count: int, last_at: dt.datetime | None,
                      locked_until: dt.datetime | None) -> None:
    con.execute(SET_NAME_FAILURES, [name, count, last_at, locked_until])
    con.execute(FORGET_ATTEMPTS)


def address_times(con: psycopg.Connection[Any], address: str) -> list[dt.datetime]:
    row = con.execute(ADDRESS_TIMES, [address]).fetchone()
    return [t.astimezone(dt.UTC) for t in row[0]] if row else []


def set_address_times(con: psycopg.Connection[Any], address: str, times: Sequence[dt.datetime]) -> None:
    con.execute(SET_ADDRESS_TIMES, [address, list(times)])
    con.execute(FORGET_ATTEMPTS)


# ------------------------------------------------------------------------------------------ audit


def append_audit(settings: Settings, line: bytes) -> None:
    """Append one audit line (one row, committed before this returns)."""
    with connection(settings) as con:
        con.execute(APPEND_AUDIT, [line.rstrip(b"\n").decode("ascii")])


def append_audit_once(settings: Settings, to_append: Callable[[list[str]], Sequence[str]]) -> int:
    """Append the lines ``to_append(every line already there, oldest first)`` chooses, in their order, in one
    transaction; two of these at once run one after the other (an advisory lock). How many were appended."""
    with connection(settings) as con:
        con.execute(TAKE_AUDIT_IMPORT_LOCK)
        lines = to_append([str(row[0]) for row in con.execute(AUDIT_LINES).fetchall()])
        with con.cursor() as cur:
            cur.executemany(APPEND_AUDIT, [(line,) for line in lines])
    return len(lines)


def audit_lines(settings: Settings) -> list[str]:
    """Every audit line, oldest first."""
    with connection(settings) as con:
        return [str(row[0]) for row in con.execute(AUDIT_LINES).fetchall()]


def check_reachable(settings: Settings) -> None:
    """Open and close a connection (creating the schema): :class:`SharedStoreError` when it cannot be done."""
    with connection(settings):
        pass


# ------------------------------------------------------------------------------------------ remembered sign-ins


def session_to_json(session: Session) -> str:
    """A :class:`Session` as JSON text (datetimes in ISO 8601, limits in seconds).

    >>> s = Session("amina", "Amina", "coordinator", ("Asia",), False, dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
    ...             dt.datetime(2026, 3, 1, tzinfo=dt.UTC), dt.timedelta(hours=8), dt.timedelta(hours=12), "x")
    >>> session_from_json(session_to_json(s)) == s
    True
    """
    return json.dumps({
        "username": session.username, "display_name": session.display_name, "role": session.role,
        "regions": list(session.regions), "demo": session.demo, "started_at": session.started_at.isoformat(),
        "last_seen_at": session.last_seen_at.isoformat(), "idle_s": session.idle_limit.total_seconds(),
        "max_s": session.max_age.total_seconds(), "session_id": session.session_id}, ensure_ascii=False)


def session_from_json(text: str) -> Session:
    d = json.loads(text)
    return Session(username=d["username"], display_name=d["display_name"], role=d["role"],
                   regions=tuple(d["regions"]), demo=bool(d["demo"]),
                   started_at=dt.datetime.fromisoformat(d["started_at"]),
                   last_seen_at=dt.datetime.fromisoformat(d["last_seen_at"]),
                   idle_limit=dt.timedelta(seconds=d["idle_s"]), max_age=dt.timedelta(seconds=d["max_s"]),
                   session_id=d["session_id"])


def remember(settings: Settings, key: str, session: Session, code_hash: str, token: str,
             deadline: dt.datetime) -> None:
    with connection(settings) as con:
        con.execute(PURGE_REMEMBERED)
        con.execute(REMEMBER, [key, session_to_json(session), session.expires_at()])
        con.execute(ADD_CODE, [code_hash, token, deadline])


def redeem(settings: Settings, code_hash: str) -> str | None:
    """The token of a one-time code, which is spent whatever happens; None when unknown or too old."""
    with connection(settings) as con:
        row = con.execute(REDEEM, [code_hash]).fetchone()
    return str(row[0]) if row is not None and row[1] else None


def code_pending(settings: Settings, code_hash: str) -> bool:
    """Whether a one-time code still waits to be traded (not redeemed, not too old)."""
    with connection(settings) as con:
        row = con.execute(CODE_PENDING, [code_hash]).fetchone()
    return bool(row and row[0])


def session_for(settings: Settings, key: str) -> Session | None:
    with connection(settings) as con:
        row = con.execute(SESSION_FOR, [key]).fetchone()
    return None if row is None else session_from_json(row[0])


def update_session(settings: Settings, key: str, session: Session) -> None:
    with connection(settings) as con:
        con.execute(UPDATE_SESSION, [session_to_json(session), session.expires_at(), key])


def forget_session(settings: Settings, key: str) -> None:
    with connection(settings) as con:
        con.execute(FORGET_SESSION, [key])
