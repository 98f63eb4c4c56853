"""``python -m etl audit``: read the audit log (who did what, when, to which target), newest first.

The log is the JSON Lines file of :mod:`etl.accounts.audit` (beside the database unless ``ACCESS_AUDIT_FILE``
says otherwise). Filters are the admin page's: a first and last day, actions, one person, text in the
target. ``--csv FILE`` writes the events chosen to a file (owner-only, formulas quoted as text), and
that export is itself recorded.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from etl.accounts import audit
from etl.cli import audited

TERMINAL_LIMIT = 50
COLUMNS = ("ts", "action", "who", "role", "target", "filters", "detail")
HEADERS = ("when (UTC)", "action", "who", "role", "target", "filters", "detail")
WIDEST = 60


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date: give it as YYYY-MM-DD, e.g. 2026-03-01") from None


def _positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a positive whole number")
    return number


def _cell(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[arg-type]
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    text = str(value).replace("\n", " ").replace("\r", " ")
    return text if len(text) <= WIDEST else text[: WIDEST - 3] + "..."


def _print_events(events: pd.DataFrame) -> None:
    """Aligned plain text (values are printed as text, whatever they contain; the file holds them in full)."""
    cells = [[_cell(v) for v in row] for row in events[list(COLUMNS)].itertuples(index=False)]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(HEADERS)]
    print("  ".join(h.ljust(w) for h, w in zip(HEADERS, widths, strict=True)).rstrip())
    for r in cells:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())


def cmd_audit(args: argparse.Namespace) -> int:
    settings = audit.for_database(args.db)
    path = audit.location(settings)
    limit = args.limit if args.limit is not None else (audit.DEFAULT_LIMIT if args.csv else TERMINAL_LIMIT)
    chosen = {"since": args.since, "until": args.until, "action": args.action, "who": args.who,
              "target": args.target}
    events = audit.read(settings, limit=limit + 1, **chosen)
    more = len(events) > limit
    events = events.head(limit)
    damaged = audit.damaged_lines(settings)
    if damaged:
        print(f"warning: {damaged} line(s) of {path} are not readable events (torn by a crash or a full disk, or "
              "edited by hand); they are left in the file.", file=sys.stderr)
    if args.csv is not None:
        # Handing the log out is an export like any other: on record before the file is written.
        audit.record("export", who=audited.cli_user(), target=str(args.csv), settings=settings,
                     filters={k: v for k, v in chosen.items() if v},
                     detail={"what": "audit log", "events": len(events), "via": "command line"})
        audit.write_csv(events, args.csv)
        print(f"Wrote {len(events):,} event(s) to {args.csv}" + (f" (the newest {limit:,}; raise --limit for more)."
                                                                   if more else "."))
        return 0
    if events.empty:
        print(f"No events in {path}" + (" match these filters." if any(chosen.values()) else " yet."))
        return 0
    _print_events(events)
    print(f"\n{len(events):,} event(s), newest first" + ("; older ones not shown (raise --limit, or --csv FILE)."
                                                         if more else ".") + f" From {path}.")
    return 0


def add_parser(sub: argparse._SubParsersAction, add_db: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register ``audit`` on the main parser's sub-parsers."""
    p = sub.add_parser("audit", help="the audit log: sign-ins, profile views, uploads, loads, exports, user changes",
                       description="The audit log (who did what, when, to which target), newest first. "
                                   "Filters combine; --csv writes the events chosen to a file (on record).")
    p.add_argument("--since", type=_day, metavar="DATE", help="from this day (YYYY-MM-DD, UTC)")
    p.add_argument("--until", type=_day, metavar="DATE", help="up to and including this day (YYYY-MM-DD, UTC)")
    p.add_argument("--action", action="append", choices=audit.ACTIONS, metavar="ACTION",
                   help="only this action (repeat for several): " + ", ".join(audit.ACTIONS))
    p.add_argument("--who", help="only this user (username, or account name for the command line)")
    p.add_argument("--target", help="only events whose target contains this text (e.g. a counterpart id)")
    p.add_argument("--limit", type=_positive, default=None,
                   help=f"most events, newest first (default {TERMINAL_LIMIT}; {audit.DEFAULT_LIMIT:,} with --csv)")
    p.add_argument("--csv", type=Path, metavar="FILE", help="write the events to this CSV file instead of printing")
    add_db(p)
    p.set_defaults(func=cmd_audit)
