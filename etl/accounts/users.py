"""The users file: who may sign in, with which role and regions; every change to it, and sign-in against it.

Issue 5 asks for sign-in before any data is shown. This module is everything about it that does
not draw a page, so that the Streamlit sign-in page stays thin and the rules can be tested:

- :class:`UserStore` reads and changes the users file (JSON, one record per person, argon2id
  password hashes). Every change locks ``<file>.lock``, re-reads the file, and replaces it
  atomically (a temporary file renamed over the old one, mode 0600; a new folder is made 0700),
  so a crash or two admins at once never leave half a file.
- :meth:`UserStore.verify` checks a password: signed in, wrong password, locked, disabled, unknown
  user, too soon after the last failure, or from an address that failed too often. Every refusal
  reads the same to the person at the form (:data:`REFUSED`, or how long to wait), and an unknown
  username is slowed and locked exactly like a real one (:class:`AttemptLimits`), so neither the
  answers nor the argon2 work tell which usernames exist; the precise outcome is for the audit log.
- :class:`Session` is plain frozen data the app keeps in ``st.session_state``; it expires after
  a while idle and a while after sign-in (settings), and :meth:`UserStore.resume` ends it early
  when the user is removed, disabled or given a new password. A lock stops new sign-ins only:
  anyone who knows a username can lock it, and must not be able to sign its owner out that way.
- :meth:`UserStore.create_demo_users` makes one demo user per role with published passwords;
  :meth:`UserStore.demo_active` tells the app to show its banner while any of them can sign in.

In warehouse mode (``ACCESS_WAREHOUSE``) the same class runs on PostgreSQL instead of the file
(:class:`etl.accounts.shared_users.SharedUserStore`; open the users with
:func:`etl.accounts.shared_users.user_store`, which picks the one the settings say).

The record itself is :mod:`etl.accounts.records`, the sign-in rules that need no file
:mod:`etl.accounts.signin`, the checks on usernames, passwords and regions :mod:`etl.accounts.rules`.
What a role may *see* is data in :mod:`etl.accounts.roles`; :attr:`User.scope` and :attr:`Session.scope`
combine it with the regions granted.

>>> import tempfile, datetime as dt
>>> from etl.config import Settings
>>> folder = Path(tempfile.mkdtemp())
>>> store = UserStore(folder / "users.json", Settings(argon2_memory_kib=64, argon2_time_cost=1,
...                                                    argon2_parallelism=1))
>>> now = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
>>> _ = store.add_user("amina", "long enough passphrase", "coordinator", ["Asia"], now=now)
>>> store.verify("amina", "long enough passphrase", now).outcome
<Outcome.SIGNED_IN: 'signed_in'>
>>> store.verify("amina", "wrong", now).outcome
<Outcome.WRONG_PASSWORD: 'wrong_password'>
>>> store.verify("amina", "long enough passphrase", now).message()  # within a second of the failure
'Too many failed sign-ins: wait 1 s before trying again.'
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import stat
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from etl.accounts.records import User, UserError, _user_from_json, _utc
from etl.accounts.roles import ALL_REGIONS, ROLE_NAMES, ROLES
from etl.accounts.rules import (
    DEMO_USERS,
    OTHER_REGION,
    _dummy_hash,
    _normalise,
    check_password,
    check_username,
    known_regions,
    make_hasher,
    normalise_username,
    parse_regions,
)
from etl.accounts.signin import AttemptLimits, Outcome, Session, SignIn, limits_for
from etl.config import Settings, get_settings
from etl.errors import InputFileError
from etl.store.files import write_atomic
from etl.store.locks import flock_within

FILE_FORMAT = 1
USERS_FILENAME = "users.json"
LOCK_WAIT_S = 10.0
SSO_EMAIL_RE = re.compile(r"[^@\s]{1,64}@[^@\s]{1,253}")


def users_path(settings: Settings | None = None, db: Path | None = None) -> Path:
    """Where the users file is: ``settings.users_file``, else ``users.json`` beside the database."""
    settings = settings or get_settings()
    if settings.users_file is not None:
        return settings.users_file
    return (db if db is not None else settings.db).parent / USERS_FILENAME


class UserStore:
    """The users file and every change to it.

    :param path: the users file (see :func:`users_path`); need not exist yet.
    :param settings: lockout, session and argon2 settings (default: the process settings).
    :param hasher: the password hasher (default: argon2id from the settings). Any object with argon2-cffi's
        ``PasswordHasher`` interface; tests pass a subclass that counts the hashes it checks.
    :param limits: failures kept in memory (per address, per unknown name); default: the process's, shared by
        every store of this users file (:func:`limits_for`).
    """

    def __init__(self, path: Path, settings: Settings | None = None, hasher: PasswordHasher | None = None,
                 limits: AttemptLimits | None = None) -> None:
        self.path = Path(path)
        self.settings = settings or get_settings()
        self.hasher = hasher or make_hasher(self.settings)
        self.limits = limits or limits_for(self.path)

    # -- reading

    def exists(self) -> bool:
        return self.path.exists()

    def list_users(self) -> list[User]:
        """Every user, sorted by username (an empty list while the file does not exist)."""
        return self._read()

    def get(self, username: str) -> User | None:
        name = normalise_username(username)
        return next((u for u in self._read() if u.username == name), None)

    def demo_active(self) -> bool:
        """Whether any demo user can sign in: the app shows its demo banner while this is true."""
        return any(u.demo and not u.disabled for u in self._read())

    def known_regions(self) -> tuple[str, ...]:
        return known_regions(self.settings.regions)

    # -- changing

    def add_user(self, username: str, password: str, role: str, regions: Iterable[str] | str = (),
                 display_name: str = "", now: dt.datetime | None = None, *, demo: bool = False) -> User:
        """Add a user; :class:`UserError` (nothing written) when the name is taken or anything is invalid.

        :param regions: region names as in the regions CSV (case ignored), or ``*`` for every region (hq only).
        :param demo: a demo user: exempt from the password rules, and shown as such by the app.
        """
        name, role, granted = self.validate_new_user(username, role, regions)
        password = _normalise(password) if demo else check_password(password, name, self.settings)
        now = _utc(now)
        user = User(username=name, display_name=display_name.strip() or name, role=role, regions=granted,
                    password_hash=self.hasher.hash(password), created_at=now, updated_at=now,
                    password_changed_at=now, demo=demo)
        with self._changing() as users:
            if any(u.username == name for u in users):
                raise UserError(f"There is already a user '{name}' in {self.path}.",
                                "Pick another name, or change that user with `users set-role`, `users grant` or "
                                "`users set-password`.")
            users.append(user)
        return user

    def validate_new_user(self, username: str, role: str, regions: Iterable[str] | str = ()) -> tuple[
            str, str, tuple[str, ...]]:
        """Check a new user's name, role and regions before asking for a password (the CLI does this first)."""
        name = check_username(username)
        if self.get(name) is not None:
            raise UserError(f"There is already a user '{name}' in {self.path}.",
                            "Pick another name, or change that user with `users set-role`, `users grant` or "
                            "`users set-password`.")
        return name, _check_role(role), self._check_regions(role, regions)

    def remove_user(self, username: str) -> User:
        with self._changing() as users:
            user = self._find(users, username)
            users.remove(user)
        return user

    def set_role(self, username: str, role: str, regions: Iterable[str] | str | None = None,
                 now: dt.datetime | None = None) -> User:
        """Give a user another role (and, optionally, a new set of regions at the same time)."""
        role = _check_role(role)
        return self._update(username, now, lambda u: {
            "role": role,
            "regions": self._check_regions(role, u.regions if regions is None else regions, u.username),
        })

    def set_password(self, username: str, password: str, now: dt.datetime | None = None) -> User:
        """A new password; it also lifts a lock and ends the user's open sessions (see :meth:`resume`)."""
        user = self.require(username)
        password = _normalise(password) if user.demo else check_password(password, user.username, self.settings)
        new_hash = self.hasher.hash(password)
        when = _utc(now)
        return self._update(username, when, lambda u: {
            "password_hash": new_hash, "password_changed_at": when, "failed_attempts": 0,
            "last_failed_at": None, "locked_until": None})

    def grant_regions(self, username: str, regions: Iterable[str] | str, now: dt.datetime | None = None,
                      *, replace_all: bool = False) -> User:
        """Add regions to a user's grant (or, with ``replace_all``, make them the whole grant)."""
        def change(u: User) -> dict[str, Any]:
            wanted = parse_regions(regions)
            if not wanted and not replace_all:
                raise UserError("No region given.", f"Name one or more, comma-separated: {self._region_list()}.")
            combined = wanted if replace_all else [*u.regions, *wanted]
            return {"regions": self._check_regions(u.role, combined, u.username)}
        return self._update(username, now, change)

    def revoke_regions(self, username: str, regions: Iterable[str] | str, now: dt.datetime | None = None) -> User:
        def change(u: User) -> dict[str, Any]:
            drop = {r.casefold() for r in parse_regions(regions)}
            missing = sorted(d for d in drop if d not in {r.casefold() for r in u.regions})
            if missing:
                raise UserError(f"'{u.username}' is not granted {', '.join(missing)}.",
                                f"Granted now: {', '.join(u.regions) or 'none'}.")
            return {"regions": self._check_regions(u.role, [r for r in u.regions if r.casefold() not in drop],
                                                   u.username)}
        return self._update(username, now, change)

    def set_disabled(self, username: str, disabled: bool, now: dt.datetime | None = None) -> User:
        return self._update(username, now, lambda u: {"disabled": disabled})

    def set_sso_email(self, username: str, email: str | None, now: dt.datetime | None = None) -> User:
        """Let a single sign-on identity (an e-mail address the provider vouches for) sign in as this user."""
        wanted = email.strip().lower() if email and email.strip() else None
        if wanted is not None and not SSO_EMAIL_RE.fullmatch(wanted):
            raise UserError(f"'{email}' does not look like an e-mail address.", "Give the address the provider reports.")
        if wanted is not None:
            other = next((u for u in self.list_users() if u.sso_email == wanted and u.username != username), None)
            if other is not None:
                raise UserError(f"{wanted} already signs in as '{other.username}'.",
                                f"Clear it there first: `python -m etl users set-sso-email {other.username} ''`.")
        return self._update(username, now, lambda u: {"sso_email": wanted})

    def verify_sso(self, email: str | None, now: dt.datetime | None = None) -> SignIn:
        """Sign in someone the single sign-on provider vouched for: the user whose ``sso_email`` is theirs.

        No password is involved; the users file still decides the role, regions, locks and disabling.
        """
        now = _utc(now)
        wanted = (email or "").strip().lower()
        user = next((u for u in self.list_users() if wanted and u.sso_email == wanted), None)
        if user is None:
            return SignIn(Outcome.UNKNOWN_USER, wanted or "(no e-mail)")
        if user.disabled:
            return SignIn(Outcome.DISABLED, user.username)
        if user.is_locked(now):
            return SignIn(Outcome.LOCKED, user.username, locked_until=user.locked_until)
        return SignIn(Outcome.SIGNED_IN, user.username,
                      user=self._update(user.username, now, lambda u: {"last_signed_in_at": now}))

    def unlock(self, username: str, now: dt.datetime | None = None) -> User:
        """Lift a lock and forget the wrong passwords counted so far."""
        return self._update(username, now, lambda u: {"failed_attempts": 0, "last_failed_at": None,
                                                       "locked_until": None})

    def create_demo_users(self, now: dt.datetime | None = None) -> list[User]:
        """One demo user per role, with the published passwords of :data:`DEMO_USERS`.

        Run again, it resets them (password, role, regions, lock). A real user with a demo name is left alone
        and reported. Demo regions missing from a custom regions file are replaced by its first region.
        """
        now = _utc(now)
        known = self.known_regions()
        fallback = next((r for r in known if r != OTHER_REGION), OTHER_REGION)
        made: list[User] = []
        planned: list[User] = []
        for d in DEMO_USERS:
            regions = tuple(r if r in known else fallback for r in d.regions)
            planned.append(User(username=d.username, display_name=d.display_name, role=d.role, regions=regions,
                                password_hash=self.hasher.hash(d.password), created_at=now, updated_at=now,
                                password_changed_at=now, demo=True))
        with self._changing() as users:
            for new in planned:
                old = next((u for u in users if u.username == new.username), None)
                if old is not None and not old.demo:
                    raise UserError(f"'{old.username}' is a real (non-demo) user in {self.path}.",
                                    "Rename or remove that user before creating the demo users.")
                if old is not None:
                    users.remove(old)
                    new = replace(new, created_at=old.created_at)
                users.append(new)
                made.append(new)
        return made

    def remove_demo_users(self) -> list[User]:
        """Remove every demo user (the banner goes with them)."""
        with self._changing() as users:
            gone = [u for u in users if u.demo]
            for u in gone:
                users.remove(u)
        return gone

    # -- signing in

    def verify(self, username: str, password: str, now: dt.datetime | None = None,
               address: str | None = None) -> SignIn:
        """Check a sign-in attempt and record its effect (failure counts, lock, last sign-in).

        In order: an ``address`` with ``signin_address_max_failures`` failures in the last
        ``signin_address_window_minutes`` is refused whatever the username and password (a success from it
        does not clear them, or one account's password would buy more guesses at the others); an attempt
        within the wait after the username's last failure is refused unchecked; otherwise the password is
        checked against an argon2 hash, even for an unknown, locked or disabled user. Every refused check
        counts for the username and the address. Unknown usernames go through the same steps, their failures
        kept in memory, so that waits, locks and messages are the same as for a real user. A correct password
        does not open a locked account before its lock ends.

        :param address: the client address (:func:`client_address`); None: no per-address limit (command line).
        """
        now = _utc(now)
        name = normalise_username(username)
        password = _normalise(password)
        if not self.exists():
            with self.limits.lock:
                return self._attempt(None, name, password, now, address)[0]
        with self._changing() as users, self.limits.lock:
            user = next((u for u in users if u.username == name), None)
            result, changed = self._attempt(user, name, password, now, address)
            if user is not None and changed is not None:
                users[users.index(user)] = changed
            elif result.outcome is Outcome.UNKNOWN_USER:
                # A refused user's new count is written to disk; write the same for an unknown name, or the
                # time the disk takes would tell them apart.
                self._write(users)
            return result

    def _attempt(self, user: User | None, name: str, password: str, now: dt.datetime,
                 address: str | None) -> tuple[SignIn, User | None]:
        """One attempt under the file's lock: the answer, and the user's record as it should now be."""
        s = self.settings
        if address is not None:
            wait = self.limits.address_wait(address, now, s)
            if wait is not None:
                return SignIn(Outcome.ADDRESS_LIMITED, name, retry_after=wait, at=now), None
        before = (user.failures if user is not None else self.limits.name_failures(name)).current(now)
        wait = before.wait_until(s)
        if wait is not None and now < wait:
            return SignIn(Outcome.TOO_SOON, name, retry_after=wait, at=now), None
        right = self._password_matches(user, password) if user is not None else self._dummy_check(password)
        if user is not None and right and not user.disabled and before.locked_until is None:
            new_hash = user.password_hash
            if self.hasher.check_needs_rehash(new_hash):  # the settings were raised since: upgrade quietly
                new_hash = self.hasher.hash(password)
            user = replace(user, password_hash=new_hash, failed_attempts=0, last_failed_at=None, locked_until=None,
                           last_signed_in_at=now)
            return SignIn(Outcome.SIGNED_IN, name, user=user, at=now), user
        after = before.failed(now, s)
        if address is not None:
            self.limits.address_failed(address, now, s)
        if user is None:
            outcome = Outcome.UNKNOWN_USER
        elif user.disabled:
            outcome = Outcome.DISABLED
        elif after.locked_until is not None:
            outcome = Outcome.LOCKED
        else:
            outcome = Outcome.WRONG_PASSWORD
        result = SignIn(outcome, name, locked_until=after.locked_until, retry_after=after.wait_until(s), at=now,
                        failures_left=s.signin_max_failures - after.count if outcome is Outcome.WRONG_PASSWORD
                        else None)
        if user is None:
            self.limits.name_failed(name, after)
            return result, None
        return result, replace(user, failed_attempts=after.count, last_failed_at=after.last_at,
                               locked_until=after.locked_until)

    def start_session(self, user: User, now: dt.datetime | None = None) -> Session:
        """A new session for a user who just signed in."""
        now = _utc(now)
        return Session(username=user.username, display_name=user.display_name, role=user.role,
                       regions=user.regions, demo=user.demo, started_at=now, last_seen_at=now,
                       idle_limit=dt.timedelta(hours=self.settings.session_idle_hours),
                       max_age=dt.timedelta(hours=self.settings.session_max_hours),
                       session_id=secrets.token_urlsafe(16))

    def resume(self, session: Session, now: dt.datetime | None = None) -> tuple[Session | None, str]:
        """Check a session on each page run: the session touched at ``now``, or None and why it ended.

        Besides expiry, a session ends when an admin removed or disabled its user, or set a new password
        since it started. Role and regions are re-read, so a change by an admin applies at once. A lock
        does not end it: wrong passwords can be typed by anyone who knows the username, and would
        otherwise sign its owner out at will; the lock only stops new sign-ins.
        """
        now = _utc(now)
        why = session.ended(now)
        if why:
            return None, why
        user = self.get(session.username)
        if user is None or user.disabled:
            return None, "This account was removed or disabled. Ask an admin if you need access."
        if user.password_changed_at > session.started_at:
            return None, "The password was changed since you signed in. Sign in with the new one."
        return replace(session.touch(now), role=user.role, regions=user.regions, display_name=user.display_name,
                       demo=user.demo), ""

    # -- internals

    def _dummy_check(self, password: str) -> bool:
        """The argon2 work of a real check, for a username that is not a user (always False)."""
        dummy = _dummy_hash(self.hasher.time_cost, self.hasher.memory_cost, self.hasher.parallelism)
        try:
            self.hasher.verify(dummy, password)
        except VerificationError:
            pass
        return False

    def _password_matches(self, user: User, password: str) -> bool:
        try:
            return bool(self.hasher.verify(user.password_hash, password))
        except VerificationError:
            return False
        except InvalidHashError:
            raise InputFileError(self.path, f"the password hash of '{user.username}' is not an argon2 hash.",
                                 f"Set a new password: `python -m etl users set-password {user.username}`.") from None

    def _check_regions(self, role: str, regions: Iterable[str] | str, username: str = "") -> tuple[str, ...]:
        wanted = parse_regions(regions)
        if ALL_REGIONS in wanted:
            if role != "hq":
                raise UserError(f"'{ALL_REGIONS}' (every region) can only be granted to hq users.",
                                f"List the regions instead: {self._region_list()}.")
            if len(wanted) > 1:
                raise UserError(f"'{ALL_REGIONS}' already means every region.", "Give '*' alone, or list regions.")
            return (ALL_REGIONS,)
        known = {r.casefold(): r for r in self.known_regions()}
        unknown = [w for w in wanted if w.casefold() not in known]
        if unknown:
            raise UserError(f"'{unknown[0]}' is not a region in {self.settings.regions}.",
                            f"Use one of: {self._region_list()} (comma-separated, in quotes).")
        granted = tuple(dict.fromkeys(known[w.casefold()] for w in wanted))
        if ROLES[role].needs_regions and not granted:
            who = f"'{username}' as " if username else "A "
            raise UserError(f"{who}{role} would see nothing without a region.",
                            f'Grant at least one with --regions "{self._region_list(2)}".')
        return granted

    def _region_list(self, limit: int | None = None) -> str:
        names = [r for r in self.known_regions()]
        return ", ".join(names[:limit] if limit else names)

    def require(self, username: str) -> User:
        """The user, or :class:`UserError` naming the users there are."""
        return self._find(self._read(), username)

    def _find(self, users: Sequence[User], username: str) -> User:
        name = normalise_username(username)
        user = next((u for u in users if u.username == name), None)
        if user is None:
            known = ", ".join(u.username for u in users[:10]) or "none yet"
            raise UserError(f"No user '{name}' in {self.path}.",
                            f"Check the spelling (`python -m etl users list`); users: {known}.")
        return user

    def _update(self, username: str, now: dt.datetime | None, change: Any) -> User:
        """Apply ``change(user) -> {field: value}`` to one user under the lock; returns the new record."""
        now = _utc(now)
        with self._changing() as users:
            user = self._find(users, username)
            new = replace(user, **change(user), updated_at=now)
            users[users.index(user)] = new
        return new

    def _read(self) -> list[User]:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return []
        if stat.S_IMODE(st.st_mode) & 0o077:
            raise InputFileError(self.path, f"can be read or written by other accounts on this machine (mode "
                                 f"{stat.S_IMODE(st.st_mode):o}).",
                                 f"It holds password hashes: run `chmod 600 {self.path}`.")
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InputFileError(self.path, f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).",
                                 "Restore it from a backup; it is written by `python -m etl users`.") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputFileError(self.path, f"cannot be read ({exc}).", "Check the file and its permissions.") from None
        if not isinstance(data, dict) or not isinstance(data.get("users"), list):
            raise InputFileError(self.path, "is not a users file (no 'users' list).",
                                 "Point ACCESS_USERS_FILE at the right file, or move this one away.")
        if data.get("format") != FILE_FORMAT:
            raise InputFileError(self.path, f"has format {data.get('format')!r}; this version reads format "
                                 f"{FILE_FORMAT}.", "Use the version of the tool that wrote it.")
        users = [_user_from_json(self.path, i, rec) for i, rec in enumerate(data["users"], start=1)]
        names = [u.username for u in users]
        if len(set(names)) != len(names):
            twice = next(n for n in names if names.count(n) > 1)
            raise InputFileError(self.path, f"lists user '{twice}' twice.", "Remove one of the two records.")
        return users

    @contextmanager
    def _changing(self) -> Iterator[list[User]]:
        """Lock, read, let the caller change the list, write it back atomically if it changed.

        An exception inside the block leaves the file as it was.
        """
        with self._lock():
            users = self._read()
            before = [u.to_json() for u in users]
            yield users
            users.sort(key=lambda u: u.username)
            if [u.to_json() for u in users] != before or not self.exists():
                self._write(users)

    @contextmanager
    def _lock(self) -> Iterator[None]:
        _make_private_dir(self.path.parent)
        lock = self.path.with_name(self.path.name + ".lock")
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise UserError(f"Cannot create {lock} ({exc.strerror}).",
                            "Check that you may write to that folder.") from None
        try:
            if not flock_within(fd, LOCK_WAIT_S):
                raise UserError(f"{self.path} is being changed by another command or sign-in.",
                                "Try again in a moment.")
            yield
        finally:
            os.close(fd)

    def _write(self, users: Sequence[User]) -> None:
        data = {
            "format": FILE_FORMAT,
            "about": "Who may sign in to the access dashboard. Managed with `python -m etl users`; "
                     "passwords are argon2id hashes. Keep private (mode 0600) and out of version control.",
            "users": [u.to_json() for u in users],
        }
        write_private_json(self.path, data)


def _check_role(role: str) -> str:
    name = role.strip().lower()
    if name not in ROLES:
        raise UserError(f"'{role}' is not a role.", f"Use one of: {', '.join(ROLE_NAMES)}.")
    return name


def _make_private_dir(folder: Path) -> None:
    """Create ``folder`` (owner-only, 0700) if it does not exist; an existing folder is left as it is."""
    if folder.is_dir():
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
    except OSError as exc:
        raise UserError(f"Cannot create the folder {folder} ({exc.strerror}).",
                        "Create it yourself, or set ACCESS_USERS_FILE to a path you may write to.") from None


def write_private_json(path: Path, data: object) -> None:
    """Write JSON so that a reader or a crash sees the old file or the new one, never part of one.

    Owner-only, through :func:`etl.store.files.write_atomic` (a temporary file beside the target,
    synced, renamed over it, the folder synced).
    """
    _make_private_dir(path.parent)
    try:
        write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    except OSError as exc:
        raise UserError(f"Cannot write {path} ({exc.strerror}); it was left as it was.",
                        "Check free disk space and that you may write to that folder.") from None
