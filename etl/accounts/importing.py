"""Moving a laptop's accounts into the warehouse: its users file and its audit file, into PostgreSQL.

An installation that started on one laptop (the users file and the audit log beside ``ACCESS_DB``,
:mod:`etl.accounts.users`, :mod:`etl.accounts.audit`) and moves to a server (``ACCESS_WAREHOUSE``,
:mod:`etl.accounts.pgstore`) brings its people and its trail along with ``python -m etl warehouse
import-accounts --users FILE --audit FILE`` (:mod:`etl.cli.warehouse`). Both files are read and checked
whole before anything is written; a file that does not pass is refused with its line numbers.

- **Users**: every record is checked as the users file's reader checks it, and more strictly (no unknown
  field, no key given twice, a usable username, regions known here, an argon2 hash), then added to
  PostgreSQL unchanged (password hash, role, regions, disabled, demo, dates, failures). A user already
  there with the same record is left as it is (running the import twice adds nothing); one with a
  different record is **not** overwritten: it is listed (:attr:`UsersImport.conflicts`) and the
  others are added; so is a new user whose single sign-on e-mail is already another user's there. Sign-in bookkeeping (last sign-in, failures, lock) is not compared: it changes as
  soon as people sign in on the server.
- **Audit**: every event, in the file's order, appended once to the append-only table. An event's
  content key is the SHA-256 of its text (opened, when sealed); the events already in PostgreSQL are
  counted by key, and only the file's events beyond those counts are appended (the k-th of several
  identical events is its own event), all in one transaction: an import stopped half-way, or one of a
  shorter copy of the file, is completed by running it again, with no event twice and none missing.
  Sealed lines are kept as they are, and so must open with the database key configured here (the
  laptop's); plain lines are sealed on the way in when a key is configured. Each line must be exactly
  what :func:`etl.accounts.audit.event_line` writes: a line crafted by hand (a key given twice, so that
  two readers see two different users; text the writer never produces; an unknown action) is refused.

The audit trail is not hash-chained, in the file or in PostgreSQL: each event is one line that stands on
its own. A sealed line cannot be changed or made up without the key (AES-GCM); a plain one carries no
proof of who wrote it, here as in the file. After an import ``python -m etl audit`` reads the moved
events with the others (oldest first by time) and reports any line it cannot read.

>>> event = b'{"ts":"2026-03-01T09:00:00.000000+00:00","action":"sign_in","who":"amina","role":null,"target":null,"filters":null,"detail":null}'
>>> canonical_problem(event)
>>> canonical_problem(event.replace(b'"role":null', b'"who":"admin"'))
"the key 'who' is given twice (two readers could see two different values)"
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from etl.accounts import pgstore
from etl.accounts.audit import ACTIONS
from etl.accounts.records import User, UserError, _user_from_json
from etl.accounts.rules import check_username
from etl.accounts.users import FILE_FORMAT, UserStore
from etl.config import Settings
from etl.errors import AccessDataError, InputFileError
from etl.store import sealed
from etl.store.crypto import HOW_TO_SET

EVENT_KEYS = ("ts", "action", "who", "role", "target", "filters", "detail")
"""The fields of an audit event, in the order :func:`etl.accounts.audit.event_line` writes them."""
BOOKKEEPING = ("failed_attempts", "last_failed_at", "locked_until", "last_signed_in_at")
"""Fields of a user record that sign-ins change (not an admin): not compared when the user is already there."""
SHOWN_PROBLEMS = 5
USERS_FIX = "Fix it on the laptop with `python -m etl users` (or restore the file from a backup) and copy it again."
AUDIT_FIX = ("Nothing was imported from it. Keep a copy of the file; if the line is a torn last line (a crash, a "
             "full disk), remove it from the copy and import the copy; a line edited or added by hand is "
             "not an event of this tool and is not imported.")


class DuplicateKey(ValueError):
    """A JSON object names one key twice: JSON readers disagree on which value counts."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise DuplicateKey(key)
        seen[key] = value
    return seen


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _strict_json(text: str) -> Any:
    """JSON as :func:`json.loads` reads it, but refusing a key given twice and NaN/Infinity."""
    return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)


# ------------------------------------------------------------------------------------------ users


@dataclass
class UsersImport:
    """What an import of a users file did: usernames added, already there (same record), left alone (different)."""

    added: list[str] = field(default_factory=list)
    same: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


_SPACE = re.compile(r"[ \t\n\r]*")


def _record_lines(text: str) -> list[int]:
    """The line on which each record of the ``users`` list starts, in a file :func:`_strict_json` has read."""
    decoder = json.JSONDecoder()

    def skip(i: int) -> int:
        match = _SPACE.match(text, i)
        return match.end() if match else i

    i = skip(0) + 1  # past "{"
    while True:
        i = skip(i)
        if text[i] == "}":
            return []
        key, i = decoder.raw_decode(text, i)
        i = skip(skip(i) + 1)  # past ":"
        if key == "users":
            break
        _, i = decoder.raw_decode(text, i)
        i = skip(i)
        i += text[i] == ","
    starts: list[int] = []
    i = skip(i + 1)  # past "["
    while text[i] != "]":
        starts.append(text.count("\n", 0, i) + 1)
        _, i = decoder.raw_decode(text, i)
        i = skip(i)
        i = skip(i + (text[i] == ","))
    return starts


def read_users_file(path: Path, settings: Settings) -> list[User]:
    """Every user of a users file, checked; :class:`InputFileError` with the line of the first bad record."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(path, f"cannot be read ({exc}).", "Check the path and that this account may read it.") \
            from None
    try:
        data = _strict_json(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(path, f"line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg}).",
                             USERS_FIX) from None
    except (DuplicateKey, ValueError) as exc:
        why = f"the key '{exc}' is given twice in one object" if isinstance(exc, DuplicateKey) else str(exc)
        raise InputFileError(path, f"is not a users file written by this tool: {why}.", USERS_FIX) from None
    if not isinstance(data, dict) or not isinstance(data.get("users"), list):
        raise InputFileError(path, "is not a users file (no 'users' list).",
                             "Give the users.json from beside the laptop's database (or its ACCESS_USERS_FILE).")
    if data.get("format") != FILE_FORMAT:
        raise InputFileError(path, f"has format {data.get('format')!r}; this version reads format {FILE_FORMAT}.",
                             "Import it with the version of the tool that wrote it.")
    checker = UserStore(path, settings)
    users: list[User] = []
    first_line: dict[str, int] = {}
    for number, (record, line) in enumerate(zip(data["users"], _record_lines(text), strict=True), start=1):
        try:
            user = _user_from_json(path, number, record)
            _check_record(checker, number, record, user)
        except InputFileError as err:
            raise InputFileError(path, f"line {line}: {err.problem}", err.hint) from None
        except UserError as err:
            raise InputFileError(path, f"line {line}: user {number} ('{user.username}'): {err.message}",
                                 f"{err.hint} {USERS_FIX}".strip()) from None
        if user.username in first_line:
            raise InputFileError(path, f"line {line}: user '{user.username}' is listed twice (first on line "
                                 f"{first_line[user.username]}).", "Remove one of the two records. " + USERS_FIX)
        first_line[user.username] = line
        twin = next((u for u in users if user.sso_email is not None and u.sso_email == user.sso_email), None)
        if twin is not None:
            raise InputFileError(path, f"line {line}: user '{user.username}' signs in with single sign-on as "
                                 f"{user.sso_email}, like '{twin.username}'.", "Keep it on one user. " + USERS_FIX)
        users.append(user)
    return users


def _check_record(checker: UserStore, number: int, record: dict[str, Any], user: User) -> None:
    """What the users file's reader leaves to the commands that wrote it: checked again for a file from elsewhere."""
    unknown = sorted(set(record) - set(user.to_json()))
    if unknown:
        raise UserError(f"has a field this version does not know ({', '.join(repr(k) for k in unknown[:3])}).",
                        "Import it with the version of the tool that wrote it.")
    if check_username(user.username) != user.username:
        raise UserError("the username is not written as `python -m etl users` writes it (lower case).", "")
    granted = checker._check_regions(user.role, user.regions, user.username)
    if granted != user.regions:
        raise UserError(f"the regions {list(user.regions)} are not written as the regions file here names them "
                        f"({list(granted)}).", "")
    if not user.password_hash.startswith("$argon2"):
        raise UserError("the password hash is not an argon2 hash.",
                        f"Set a new password on the laptop: `python -m etl users set-password {user.username}`.")


def _same_user(old: object, new: dict[str, Any]) -> bool:
    """Whether a record already in PostgreSQL is the file's (sign-in bookkeeping aside)."""
    if not isinstance(old, dict):
        return False
    kept = [k for k in new if k not in BOOKKEEPING]
    return {k: old.get(k) for k in kept} == {k: new[k] for k in kept}


def import_users(settings: Settings, users: Sequence[User]) -> UsersImport:
    """Add the users that PostgreSQL lacks, in one transaction under the users' lock; nothing is overwritten."""
    done = UsersImport()
    with pgstore.connection(settings) as con:
        pgstore.lock_users(con)
        there = {rec.get("username"): rec for rec in pgstore.read_users(con) if isinstance(rec, dict)}
        new: list[dict[str, Any]] = []
        for user in users:
            record = user.to_json()
            old = there.get(user.username)
            if old is not None:
                (done.same if _same_user(old, record) else done.conflicts).append(user.username)
            elif user.sso_email is not None and any(r.get("sso_email") == user.sso_email for r in there.values()):
                done.conflicts.append(user.username)  # two users for one single sign-on identity: the first would win
            else:
                new.append(record)
                done.added.append(user.username)
        pgstore.add_users(con, new)
    return done


# ------------------------------------------------------------------------------------------ audit


@dataclass(frozen=True)
class AuditLine:
    """One event of an audit file: its line number, the text to store, and the event's own text."""

    number: int
    stored: str
    event: str

    @property
    def key(self) -> str:
        return content_key(self.event)


def content_key(event: str) -> str:
    """The content key of an event (its plain text): SHA-256, hex.

    >>> content_key("{}")[:12]
    '44136fa355b3'
    """
    return hashlib.sha256(event.encode("utf-8")).hexdigest()


def canonical_problem(text: bytes) -> str | None:
    """What makes ``text`` something :func:`etl.accounts.audit.event_line` never writes (None: it could have).

    The line must be the JSON that writer makes of the same values (the same fields in the same order,
    ASCII, no spaces, the same escapes), so that every JSON reader sees the one event the writer wrote.

    >>> from etl.accounts.audit import event_line
    >>> line = event_line("denied", who="x" * 300, when=dt.datetime(2026, 3, 1, tzinfo=dt.UTC)).rstrip()
    >>> canonical_problem(line), canonical_problem(line.replace(b'"who":"x', b'"who":"\\\\u0078'))
    (None, 'it is not written as the tool writes an event (spacing, escapes or a value changed by hand)')
    """
    try:
        event = _strict_json(text.decode("ascii"))
    except UnicodeDecodeError:
        return "it holds characters that are not ASCII (the tool writes ASCII only)"
    except DuplicateKey as exc:
        return f"the key '{exc}' is given twice (two readers could see two different values)"
    except ValueError as exc:
        return f"it is not JSON ({str(exc).splitlines()[0][:80]})"
    if not isinstance(event, dict) or tuple(event) != EVENT_KEYS:
        return "it is not an event (the fields " + ", ".join(EVENT_KEYS) + ", in that order)"
    if event["action"] not in ACTIONS:
        return f"its action {str(event['action'])[:40]!r} is not an audit action"
    if not isinstance(event["who"], str) or not isinstance(event["role"], str | None):
        return "its 'who' or 'role' is not text"
    try:
        when = dt.datetime.fromisoformat(event["ts"]) if isinstance(event["ts"], str) else None
    except ValueError:
        when = None
    if when is None or when.utcoffset() != dt.timedelta(0) or event["ts"] != when.isoformat(timespec="microseconds"):
        return "its time 'ts' is not a UTC time as the tool writes it"
    if json.dumps(event, ensure_ascii=True, separators=(",", ":")).encode("ascii") != text:
        return "it is not written as the tool writes an event (spacing, escapes or a value changed by hand)"
    return None


def read_audit_file(path: Path, key: bytes | None) -> list[AuditLine]:
    """Every event of an audit file, checked, with the text to store; :class:`InputFileError` naming the bad lines.

    :param key: the audit key configured here (:func:`etl.store.sealed.side_key`); None: no database key.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputFileError(path, f"cannot be read ({exc.strerror or exc}).",
                             "Check the path and that this account may read it.") from None
    numbered = [(n, line.strip()) for n, line in enumerate(raw.split(b"\n"), start=1) if line.strip()]
    sealed_lines = [n for n, line in numbered if sealed.is_sealed(line)]
    if sealed_lines and key is None:
        raise InputFileError(path, f"is sealed with a database key (line {sealed_lines[0]} and "
                             f"{len(sealed_lines) - 1} more), and no database key is configured here.",
                             "Configure here the key of the laptop's database (the audit file is sealed with a key "
                             "derived from it). " + HOW_TO_SET)
    out: list[AuditLine] = []
    problems: list[str] = []
    unopened = 0
    for number, line in numbered:
        event = line
        if sealed.is_sealed(line):
            assert key is not None
            try:
                event = sealed.unseal(line, key, sealed.AUDIT)
            except sealed.SealError:
                unopened += 1
                problems.append(f"line {number}: it is sealed but does not open with the key configured here "
                                "(damaged or edited)")
                continue
        problem = canonical_problem(event)
        if problem is not None:
            problems.append(f"line {number}: {problem}")
            continue
        stored = line if sealed.is_sealed(line) or key is None else sealed.seal(line, key, sealed.AUDIT)
        out.append(AuditLine(number, stored.decode("ascii"), event.decode("ascii")))
    if sealed_lines and unopened == len(sealed_lines):
        raise InputFileError(path, f"is sealed with another database key: none of its {len(sealed_lines)} sealed "
                             "lines opens with the key configured here.",
                             "Configure here the key of the laptop's database (the one it was encrypted with). "
                             + HOW_TO_SET)
    if problems:
        more = len(problems) - SHOWN_PROBLEMS
        raise InputFileError(path, "; ".join(problems[:SHOWN_PROBLEMS]) + (f"; and {more} more line(s)" if more > 0
                                                                             else "") + ".", AUDIT_FIX)
    return out


def _key_of_stored(line: str, key: bytes | None) -> str:
    """The content key of a line already in PostgreSQL (one that does not open keys as its own text)."""
    data = line.encode("ascii", "replace")
    if sealed.is_sealed(data) and key is not None:
        try:
            data = sealed.unseal(data, key, sealed.AUDIT)
        except sealed.SealError:
            pass
    return content_key(data.decode("ascii", "replace"))


@dataclass(frozen=True)
class AuditImport:
    appended: int
    already: int


def import_audit(settings: Settings, lines: Sequence[AuditLine], key: bytes | None) -> AuditImport:
    """Append, in order and in one transaction, the events PostgreSQL does not hold yet (counted by content key)."""
    def missing(there: list[str]) -> list[str]:
        counts = Counter(_key_of_stored(line, key) for line in there)
        chosen: list[str] = []
        for line in lines:
            if counts[line.key] > 0:
                counts[line.key] -= 1
            else:
                chosen.append(line.stored)
        return chosen

    try:
        appended = pgstore.append_audit_once(settings, missing)
    except pgstore.SharedStoreError as err:
        raise AccessDataError(f"The audit events were not imported: {err.message}", err.hint) from None
    return AuditImport(appended=appended, already=len(lines) - appended)
