"""Commands that change data, on the audit record: who ran which command, on what, and how it ended.

``python -m etl load | boundaries | upgrade | users ... | counterparts ...`` run inside :func:`command`
(or are wrapped by :func:`audited`), so no change happens off the record (:mod:`etl.accounts.audit`).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import getpass
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from etl.accounts import audit
from etl.config import Settings
from etl.errors import AccessDataError


def cli_user() -> str:
    """The operating-system account running a command: who the command line acts as."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no USER variable and no passwd entry (some containers)
        return f"uid {os.getuid()}"


@dataclass
class CommandEvent:
    """What a command records; the command fills it in as it learns more (files read, ids created)."""

    target: object = None
    detail: dict[str, object] = field(default_factory=dict)
    outcome: str = "done"



@contextlib.contextmanager
def command(action: str, db: Path, *, target: object = None, detail: Mapping[str, object] | None = None,
            settings: Settings | None = None) -> Iterator[CommandEvent]:
    """Audit one command-line command that changes data, as the operating-system user running it.

    Refuses to start (:class:`audit.AuditError`) when the audit file cannot be written, so the change
    cannot happen off the record. Afterwards one event is appended with the outcome: ``done`` (or
    what the command set), ``refused: <message>`` when it raised a user-facing error, ``interrupted``.

    >>> with command("load", Path("/tmp/x.duckdb"), target=["log.csv"]) as event:  # doctest: +SKIP
    ...     event.detail["rows_loaded"] = 120
    """
    settings = audit.for_database(db, settings)
    audit.ensure_writable(settings)
    event = CommandEvent(target=target, detail=dict(detail or {}))

    def write() -> None:
        audit.record(action, who=cli_user(), target=event.target, settings=settings,
               detail={"outcome": event.outcome, "via": "command line", **event.detail})

    try:
        yield event
    except AccessDataError as err:
        event.outcome = f"refused: {err}"
        # The command failed and changed nothing: its own error is the one to show, even if this fails too.
        with contextlib.suppress(audit.AuditError):
            write()
        raise
    except BaseException as err:
        event.outcome = f"interrupted ({type(err).__name__})"
        with contextlib.suppress(audit.AuditError):
            write()
        raise
    try:
        write()
    except audit.AuditError as err:
        raise audit.AuditError(f"The {action} above was done, but is not on record: {err.message}", err.hint) from err


def audited(action: str, func: Callable[[argparse.Namespace], int], *, target: Sequence[str] = (),
            detail: Sequence[str] = ()) -> Callable[[argparse.Namespace], int]:
    """Wrap a CLI sub-command so that it runs inside :func:`command`.

    :param target: names of the arguments that say what the command acted on (e.g. ``("name",)``).
    :param detail: names of the other arguments worth keeping (role, regions, reason...); never passwords
        (they are not arguments).
    """

    @functools.wraps(func)
    def run(args: argparse.Namespace) -> int:
        aimed = [getattr(args, n) for n in target if getattr(args, n, None) is not None]
        kept = {n: getattr(args, n) for n in detail if getattr(args, n, None) not in (None, False, "")}
        sub = next((v for k, v in vars(args).items() if k.endswith("_command") and isinstance(v, str)), None)
        command_name = " ".join(x for x in (getattr(args, "command", None), sub) if x)
        with command(action, args.db, target=aimed[0] if len(aimed) == 1 else (aimed or None),
                     detail={"command": command_name, **kept}) as event:
            code = func(args)
            if code:
                event.outcome = f"failed (exit code {code})"
            return code

    return run
