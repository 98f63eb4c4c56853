"""The audit trail: who signed in, looked at which counterpart, uploaded, loaded, decided or exported what.

Issue 5 asks for "who, when, what, which filters", viewable and downloadable by admins. The trail
cannot live in the database: the dashboard opens it read-only, and the ETL publishes each new
version by renaming a finished copy over it (``etl/store/db.py``), so every sign-in would rewrite the whole
file and race the loads. It is an append-only JSON Lines file beside the database instead
(setting ``audit_file``; default ``<db stem>.audit.jsonl``):

- **one event per line**, fields ``ts`` (UTC, ISO 8601), ``action`` (one of :data:`ACTIONS`),
  ``who``, ``role``, ``target``, ``filters``, ``detail``; values are JSON (strings, numbers, lists,
  objects), encoded with :func:`json.dumps` and read back as data, never evaluated;
- **ASCII only**: control characters, right-to-left overrides and line separators in a user's
  text are ``\\u`` escapes, so one event is always one line and ``less`` shows nothing hidden;
  text is capped (:data:`MAX_TEXT`) so a hostile value cannot bloat the file;
- **appended, never rewritten**: the file is opened with ``O_APPEND`` (never truncated, never
  followed through a symbolic link), created owner-only (0600), and each line is written whole
  under an exclusive ``flock`` and synced to disk, so the CLI and any number of app sessions can
  append at once without interleaving;
- **read with DuckDB** (``read_json`` with explicit column types, in a private in-memory
  connection, filters as bound parameters) for the admin page and ``python -m etl audit``. A line
  that cannot be read (torn by a full disk, edited by hand) is counted and reported, not hidden;
- **sealed when a database key is configured** (:mod:`etl.store.sealed`): each event is then one
  AES-GCM sealed line, appended the same way, so the file names no counterpart id, file or user in
  clear; the readers open the lines with the key (lines written before the key was set are read as
  they are, and ``python -m etl encrypt`` seals them). Without a key the file is plain JSON Lines.

In warehouse mode (``ACCESS_WAREHOUSE``) the same lines go to an append-only PostgreSQL table instead
of the file (:mod:`etl.accounts.pgstore`): the same sealing, the same readers and filters, one trail for
every app replica and command line.

An action that cannot be audited must not silently happen: :func:`record` raises
:class:`AuditError` when the line cannot be written, and callers refuse the action (or, when it
is already done, say so). Commands that change data check first with :func:`ensure_writable`.

>>> import tempfile
>>> from etl.config import Settings
>>> s = Settings(db=Path(tempfile.mkdtemp()) / "access.duckdb")
>>> record("profile_view", who="amina", role="negotiator", target="CP-0042", settings=s)
>>> read(s)[["action", "who", "target"]].values.tolist()
[['profile_view', 'amina', 'CP-0042']]
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import math
import numbers
import os
import stat
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

import duckdb
import pandas as pd

from etl.accounts import pgstore
from etl.config import Settings, get_settings
from etl.errors import AccessDataError
from etl.formula_guard import spreadsheet_safe
from etl.store import sealed
from etl.store.crypto import HOW_TO_SET
from etl.store.files import write_atomic
from etl.store.locks import flock_within

T = TypeVar("T")

ACTIONS: tuple[str, ...] = (
    "sign_in",  # a user signed in
    "sign_in_failed",  # wrong password, unknown user, locked or disabled account
    "sign_out",
    "session_expired",  # idle or absolute limit reached, or the account changed under the session
    "profile_view",  # one counterpart's profile opened (target: its id)
    "brief_download",  # the printable brief of a counterpart
    "export",  # a table downloaded (target: what; filters: the view)
    "download",  # a file (export, brief) fetched from the server by the sign-in it was made for (target: its name)
    "upload",  # a log uploaded in the dashboard
    "load",  # python -m etl load / demo
    "boundaries",  # python -m etl boundaries
    "upgrade",  # python -m etl upgrade: the database migrated to this release's schema
    "warehouse_init",  # python -m etl warehouse init: the shared warehouse created or checked
    "accounts_import",  # python -m etl warehouse import-accounts: a laptop's users and audit file moved in
    "warehouse_maintain",  # python -m etl warehouse maintain: its files merged and cleaned up
    "sync",  # python -m etl sync: an office's loads sent to the warehouse, its regions' rows received
    "decision",  # counterpart merge / split / keep apart / undo
    "users_change",  # python -m etl users add / remove / set-role / ...
    "denied",  # access refused: a page, profile id or download outside the user's scope
)
"""The fixed vocabulary of ``action``: the admin page filters and counts by it."""

AUDIT_SUFFIX = ".audit.jsonl"
MAX_WHO = 200
MAX_ROLE = 40
MAX_TEXT = 2000
"""Longest text kept in any one value (a file name, a reason, a filter value); longer text is cut and marked."""
MAX_ITEMS = 100
"""Most entries kept of a list or mapping (e.g. the files of one load)."""
MAX_FIELD_JSON = 8000
"""Longest encoded ``target``, ``filters`` or ``detail``; beyond it the field is kept as cut text."""
LOCK_WAIT_S = 10.0
DEFAULT_LIMIT = 10_000
CUT_MARK = "...[cut: {n} characters]"


class AuditError(AccessDataError):
    """The audit file cannot be written (or read). Whatever was to be audited must not go ahead silently."""


# ------------------------------------------------------------------------------------------ where


def audit_path(settings: Settings | None = None) -> Path:
    """The audit file: ``settings.audit_file``, else ``<db stem>.audit.jsonl`` beside the database.

    >>> audit_path(Settings(db=Path("/srv/access/access.duckdb")))
    PosixPath('/srv/access/access.audit.jsonl')
    """
    settings = settings or get_settings()
    if settings.audit_file is not None:
        return settings.audit_file
    return settings.db.with_name(settings.db.stem + AUDIT_SUFFIX)


def location(settings: Settings | None = None) -> str:
    """Where the trail is, for messages: the file, or (warehouse mode) the PostgreSQL table.

    >>> location(Settings(db=Path("/srv/access/access.duckdb")))
    '/srv/access/access.audit.jsonl'
    """
    settings = settings or get_settings()
    if _shared(settings):
        return f"the table audit of {pgstore.where(settings)}"
    return str(audit_path(settings))


def for_database(db: Path, settings: Settings | None = None) -> Settings:
    """The settings with ``db`` as the database: a CLI ``--db`` decides where the default audit file is."""
    settings = settings or get_settings()
    return settings if settings.db == db else settings.model_copy(update={"db": Path(db)})


# ------------------------------------------------------------------------------------------ values


JsonValue = str | int | float | bool | None | list["JsonValue"] | dict[str, "JsonValue"]


def _cap(text: str, limit: int = MAX_TEXT) -> str:
    # Lone surrogates (undecodable file names) would make the line unreadable for DuckDB: replaced.
    text = text.encode("utf-8", "replace").decode("utf-8")
    if len(text) <= limit:
        return text
    return text[:limit] + CUT_MARK.format(n=len(text) - limit)


def _clean(value: object, depth: int = 0) -> JsonValue:
    """A JSON-safe copy of ``value``: text capped, containers shortened, anything else as its text."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        return number if math.isfinite(number) else str(number)
    if isinstance(value, str):
        return _cap(value)
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, Path):
        return _cap(str(value))
    if depth < 4 and isinstance(value, Mapping):
        items = list(value.items())
        out: dict[str, JsonValue] = {_cap(str(k), 100): _clean(v, depth + 1) for k, v in items[:MAX_ITEMS]}
        if len(items) > MAX_ITEMS:
            out["..."] = f"{len(items) - MAX_ITEMS} more"
        return out
    if depth < 4 and isinstance(value, list | tuple | set | frozenset):
        seq = sorted(value, key=str) if isinstance(value, set | frozenset) else list(value)
        kept: list[JsonValue] = [_clean(v, depth + 1) for v in seq[:MAX_ITEMS]]
        if len(seq) > MAX_ITEMS:
            kept.append(f"... {len(seq) - MAX_ITEMS} more")
        return kept
    return _cap(str(value))


def _field(value: object) -> JsonValue:
    cleaned = _clean(value)
    encoded = json.dumps(cleaned, ensure_ascii=True)
    return cleaned if len(encoded) <= MAX_FIELD_JSON else _cap(encoded, MAX_FIELD_JSON)


def event_line(action: str, *, who: str, role: str | None = None, target: object = None, filters: object = None,
               detail: object = None, when: dt.datetime | None = None) -> bytes:
    """The line :func:`record` appends: one JSON object, ASCII only, ending in a newline.

    >>> event_line("denied", who="x", target="<b>\\u202eCP-1\\n", when=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    b'{"ts":"2026-03-01T00:00:00.000000+00:00","action":"denied","who":"x","role":null,"target":"<b>\\\\u202eCP-1\\\\n","filters":null,"detail":null}\\n'
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; use one of {', '.join(ACTIONS)}")
    when = (when or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    event = {
        "ts": when.isoformat(timespec="microseconds"),
        "action": action,
        "who": _cap(str(who).strip(), MAX_WHO) or "(unknown)",
        "role": _cap(str(role), MAX_ROLE) if role is not None else None,
        "target": _field(target),
        "filters": _field(filters),
        "detail": _field(detail),
    }
    return (json.dumps(event, ensure_ascii=True, separators=(",", ":")) + "\n").encode("ascii")


# ------------------------------------------------------------------------------------------ writing


def _cannot(path: Path, reason: str) -> AuditError:
    return AuditError(
        f"Cannot write the audit log {path}: {reason}.",
        "Nothing was done. Check the folder exists and this account owns the file (a plain file, not a link, "
        "mode 600), or set ACCESS_AUDIT_FILE to a file it can append to.",
    )


def _open(path: Path) -> int:
    """The audit file opened for appending (created 0600; its folder 0700 if new); checked to be a plain file."""
    try:
        if not path.parent.is_dir():
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # O_NOFOLLOW: a link planted at the path is refused; O_NONBLOCK: a FIFO there fails instead of hanging.
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                     0o600)
    except OSError as exc:
        reasons = {errno.ELOOP: "it is a symbolic link", errno.EISDIR: "it is a folder, not a file"}
        reason = reasons.get(exc.errno or 0, exc.strerror or str(exc))
        raise _cannot(path, reason) from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _cannot(path, "it is not a plain file")
        if stat.S_IMODE(info.st_mode) & 0o077:
            os.fchmod(fd, 0o600)  # created by hand or copied with a looser mode: owner-only again
    except OSError as exc:
        os.close(fd)
        raise _cannot(path, exc.strerror or str(exc)) from exc
    except AuditError:
        os.close(fd)
        raise
    return fd


def _lock(fd: int, path: Path) -> None:
    if not flock_within(fd, LOCK_WAIT_S, poll_s=0.01):
        raise _cannot(path, f"another process has held its lock for more than {LOCK_WAIT_S:.0f} s")


def _open_locked(path: Path) -> int:
    """The audit file opened and locked; if ``etl encrypt`` replaced it meanwhile, the new file."""
    while True:
        fd = _open(path)
        try:
            _lock(fd, path)
            if os.fstat(fd).st_ino == os.stat(path, follow_symlinks=False).st_ino:
                return fd
        except OSError as exc:
            os.close(fd)
            raise _cannot(path, exc.strerror or str(exc)) from exc
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)  # the file we locked was replaced by a sealed copy: append to that one


def append_line(path: Path, line: bytes) -> None:
    """Append one whole line to the audit file, under its lock, synced to disk."""
    fd = _open_locked(path)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            # The last line was torn (a full disk, a crash): start ours on a fresh line; the torn one stays.
            line = b"\n" + line
        view = memoryview(line)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    except OSError as exc:
        raise _cannot(path, exc.strerror or str(exc)) from exc
    finally:
        os.close(fd)  # releases the lock


def ensure_writable(settings: Settings | None = None) -> Path:
    """Open (creating if need be) the audit file for appending, and close it; :class:`AuditError` if it cannot be.

    Commands that change data call it before starting, so nothing happens that cannot be recorded.
    """
    path = audit_path(settings)
    if _shared(settings):
        _in_postgres(pgstore.check_reachable, settings)
        return path
    os.close(_open(path))
    return path


def _shared(settings: Settings | None) -> bool:
    """Whether the trail is the append-only table in the warehouse's PostgreSQL (:mod:`etl.accounts.pgstore`)."""
    return pgstore.enabled(settings or get_settings())


def _in_postgres(action: Callable[[Settings], T], settings: Settings | None) -> T:
    """Run one operation on the PostgreSQL trail; its failure is an :class:`AuditError`, like the file's."""
    settings = settings or get_settings()
    try:
        return action(settings)
    except pgstore.SharedStoreError as err:
        raise AuditError(f"Cannot use the audit trail in {pgstore.where(settings)}: {err.message}", err.hint) from None


def record(action: str, *, who: str, role: str | None = None, target: object = None, filters: object = None,
           detail: object = None, settings: Settings | None = None) -> None:
    """Append one event to the audit file.

    Raises :class:`AuditError` when the line cannot be written. An action that cannot be audited
    must not silently happen: record *before* showing or handing out data (a profile, an export)
    and refuse when this raises; for a change already made, report that it is not on record.

    :param action: one of :data:`ACTIONS` (anything else is a programming error: ``ValueError``).
    :param who: the signed-in username, or the operating-system account for the command line.
    :param role: the user's role (None for the command line).
    :param target: what the action was about: a counterpart id, file names, a username...
    :param filters: the filters of the view (a mapping), for exports and views.
    :param detail: anything else worth keeping: outcome, counts, reasons (text, numbers, lists, mappings).
    """
    path = audit_path(settings)
    line = event_line(action, who=who, role=role, target=target, filters=filters, detail=detail)
    key = _key(path, settings)
    if key is not None:
        line = sealed.seal(line.rstrip(b"\n"), key, sealed.AUDIT) + b"\n"
    if _shared(settings):
        _in_postgres(lambda s: pgstore.append_audit(s, line), settings)
        return
    append_line(path, line)


def _key(path: Path, settings: Settings | None) -> bytes | None:
    """The key sealing the audit log (None: plain); a key configured wrongly is an :class:`AuditError`."""
    try:
        return sealed.side_key(sealed.AUDIT, settings)
    except AccessDataError as err:
        raise AuditError(f"Cannot use the audit log {path}: {err.message}", err.hint) from None


def seal_file(settings: Settings | None = None) -> int:
    """Seal the plain lines of the audit log with the configured key (``python -m etl encrypt`` does); how many.

    The file is rewritten once, under its lock, into an owner-only copy renamed over it: events
    appended meanwhile wait for the lock and then go to the sealed file. Lines already sealed are
    kept as they are.
    """
    path = audit_path(settings)
    key = _key(path, settings)
    if key is None or _shared(settings) or not path.is_file():
        return 0  # the PostgreSQL trail is append-only: lines written before the key stay as they are
    fd = _open_locked(path)
    try:
        with open(fd, "rb", closefd=False) as fh:
            lines = fh.read().splitlines()
        plain = [line for line in lines if line.strip() and not sealed.is_sealed(line)]
        if not plain:
            return 0
        out = b"".join((line if sealed.is_sealed(line) else sealed.seal(line, key, sealed.AUDIT)) + b"\n"
                       for line in lines if line.strip())
        write_atomic(path, out)
        return len(plain)
    except OSError as exc:
        raise _cannot(path, exc.strerror or str(exc)) from exc
    finally:
        os.close(fd)


# ------------------------------------------------------------------------------------------ reading

# The file as a table. ignore_errors: a line that is not an event comes back as a row of NULLs
# (counted by DAMAGED, never shown as an event).
LOAD_FILE = """
CREATE TEMP TABLE events AS
SELECT * FROM read_json($path, format = 'newline_delimited', ignore_errors = true,
    columns = {'ts': 'TIMESTAMP', 'action': 'VARCHAR', 'who': 'VARCHAR', 'role': 'VARCHAR',
               'target': 'VARCHAR', 'filters': 'VARCHAR', 'detail': 'VARCHAR'})
"""
# No file yet: the same columns, no rows (DuckDB cannot read a file that is not there).
NO_FILE = """
CREATE TEMP TABLE events (ts TIMESTAMP, action VARCHAR, who VARCHAR, role VARCHAR, target VARCHAR,
                          filters VARCHAR, detail VARCHAR)
"""
CHOOSE = """
CREATE TEMP TABLE chosen AS
SELECT ts, action, who, role, target, filters, detail
FROM events
WHERE ts IS NOT NULL AND action IS NOT NULL
  AND ($since::TIMESTAMP IS NULL OR ts >= $since::TIMESTAMP)
  AND ($until::TIMESTAMP IS NULL OR ts < $until::TIMESTAMP)
  AND ($actions::VARCHAR[] IS NULL OR list_contains($actions::VARCHAR[], action))
  AND ($who::VARCHAR IS NULL OR who = $who::VARCHAR)
  AND ($target::VARCHAR IS NULL OR contains(lower(coalesce(target, '')), lower($target::VARCHAR)))
"""
EVENTS = "SELECT * FROM chosen ORDER BY ts DESC LIMIT $limit"
COUNTS = """
SELECT action, count(*) AS events, count(DISTINCT who) AS people, min(ts) AS first, max(ts) AS last
FROM chosen GROUP BY action ORDER BY events DESC, action
"""
PEOPLE = """
SELECT who, count(*) AS events, max(ts) AS last FROM events
WHERE ts IS NOT NULL AND action IS NOT NULL GROUP BY who ORDER BY who
"""
DAMAGED = "SELECT count(*) AS damaged FROM events WHERE ts IS NULL OR action IS NULL"

When = dt.date | dt.datetime | None


def _instant(value: When, end_of_day: bool = False) -> dt.datetime | None:
    """A naive UTC instant for a filter bound: a date means its midnight (or the next one, for ``until``)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
    start = dt.datetime.combine(value, dt.time())
    return start + dt.timedelta(days=1) if end_of_day else start


# A sealed file, opened line by line in Python: the same columns and the same NULL row for a line that
# is not an event as LOAD_FILE gives.
LOAD_LINES = """
CREATE TEMP TABLE events AS
SELECT ev.ts AS ts, ev.action AS action, ev.who AS who, ev.role AS role, ev.target AS target,
       ev.filters AS filters, ev.detail AS detail
FROM (SELECT TRY(json_transform(line::VARCHAR, '{"ts": "TIMESTAMP", "action": "VARCHAR", "who": "VARCHAR", "role": "VARCHAR",
                                        "target": "VARCHAR", "filters": "VARCHAR", "detail": "VARCHAR"}')) AS ev
      FROM audit_lines)
"""


def _opened_lines(path: Path, key: bytes) -> list[str | None]:
    """Every line of a sealed audit file as JSON text; None for a line that does not open (damaged)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise AuditError(f"Cannot read the audit log {path}: {exc.strerror or exc}.",
                         "Check the file is readable by this account.") from exc
    return _opened(raw.splitlines(), key, str(path))


def _opened(lines: Sequence[bytes], key: bytes | None, where: str) -> list[str | None]:
    """Each line as JSON text, a sealed one opened with ``key``; None for a line that does not open."""
    out: list[str | None] = []
    tried = opened = 0
    for line in lines:
        if not line.strip():
            continue
        if sealed.is_sealed(line):
            if key is None:
                raise AuditError(f"The audit log {where} is encrypted (it was written with a database key) and "
                                 "no key is configured.", HOW_TO_SET)
            tried += 1
            try:
                out.append(sealed.unseal(line, key, sealed.AUDIT).decode("ascii"))
                opened += 1
            except (sealed.SealError, UnicodeDecodeError):
                out.append(None)
        else:  # written before the key was configured (``python -m etl encrypt`` seals those)
            out.append(line.decode("utf-8", "replace"))
    if tried and not opened:
        raise AuditError(f"The configured database key does not open the audit log {where}.",
                         "Configure the key the log was written with. " + HOW_TO_SET)
    return out


@contextlib.contextmanager
def _events(settings: Settings | None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A private in-memory DuckDB with the audit file as the temporary table ``events``."""
    path = audit_path(settings)
    key = _key(path, settings)
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET enable_progress_bar = false")
        if _shared(settings):
            lines = _in_postgres(pgstore.audit_lines, settings)
            opened = _opened([line.encode("ascii") for line in lines], key, pgstore.where(settings or get_settings()))
            con.register("audit_lines", pd.DataFrame({"line": pd.Series(opened, dtype=object)}))
            con.execute(LOAD_LINES)
            con.unregister("audit_lines")
        elif not path.is_file():
            con.execute(NO_FILE)
        elif key is not None:
            con.register("audit_lines", pd.DataFrame({"line": pd.Series(_opened_lines(path, key), dtype=object)}))
            con.execute(LOAD_LINES)
            con.unregister("audit_lines")
        else:
            with open(path, "rb") as fh:
                if sealed.is_sealed(fh.read(len(sealed.PREFIX))):
                    raise AuditError(f"The audit log {path} is encrypted (it was written with a database key) and "
                                     "no key is configured.", HOW_TO_SET)
            con.execute(LOAD_FILE, {"path": str(path)})
        yield con
    except duckdb.Error as exc:
        raise AuditError(f"Cannot read the audit log {path}: {str(exc).splitlines()[0]}",
                         "Check the file is readable by this account and is the JSON Lines audit file.") from exc
    finally:
        con.close()


def _filter_params(since: When, until: When, action: str | Sequence[str] | None, who: str | None,
                   target: str | None) -> dict[str, object]:
    actions = [action] if isinstance(action, str) else list(action or [])
    return {
        "since": _instant(since),
        "until": _instant(until, end_of_day=True),
        "actions": actions or None,
        "who": who or None,
        "target": target.strip() if target and target.strip() else None,
    }


def read(settings: Settings | None = None, since: When = None, action: str | Sequence[str] | None = None,
         who: str | None = None, limit: int = DEFAULT_LIMIT, *, until: When = None,
         target: str | None = None) -> pd.DataFrame:
    """Events newest first, as a DataFrame of text (``ts`` a UTC timestamp); empty when there is no file yet.

    :param since: first day (a date: from its midnight UTC) or instant included.
    :param until: last day included (a date), or the instant before which events count.
    :param action: one action or several (any of them).
    :param who: exactly this user.
    :param target: text the target contains (case-insensitive).
    :param limit: most events returned (the newest).
    """
    with _events(settings) as con:
        con.execute(CHOOSE, _filter_params(since, until, action, who, target))
        return con.execute(EVENTS, {"limit": max(0, int(limit))}).df()


def counts(settings: Settings | None = None, since: When = None, action: str | Sequence[str] | None = None,
           who: str | None = None, *, until: When = None, target: str | None = None) -> pd.DataFrame:
    """Events per action (and distinct people, first and last time) under the same filters as :func:`read`."""
    with _events(settings) as con:
        con.execute(CHOOSE, _filter_params(since, until, action, who, target))
        return con.execute(COUNTS).df()


def people(settings: Settings | None = None) -> list[str]:
    """Everyone who appears in the log, for the admin page's filter."""
    with _events(settings) as con:
        return [str(row[0]) for row in con.execute(PEOPLE).fetchall()]


def damaged_lines(settings: Settings | None = None) -> int:
    """Lines of the file that are not readable events (torn or edited by hand); they stay in the file."""
    with _events(settings) as con:
        row = con.execute(DAMAGED).fetchone()
        return int(row[0]) if row else 0


def write_csv(events: pd.DataFrame, path: Path) -> Path:
    """Write events as CSV, owner-only, with text a spreadsheet would run as a formula quoted as text
    (:func:`etl.formula_guard.spreadsheet_safe`)."""
    out = spreadsheet_safe(events)
    try:
        write_atomic(path, out.to_csv(index=False, lineterminator="\n"))
    except OSError as exc:
        raise AccessDataError(f"Cannot write {path}: {exc.strerror or exc}.", "Check the folder exists and is "
                              "writable, or give another file name.") from exc
    return path
