"""``python -m etl warehouse init | maintain | try-postgres``: the shared warehouse (DuckLake, catalog in PostgreSQL).

* ``init`` creates the catalog, the data folder and the tables in the warehouse that ``ACCESS_WAREHOUSE``
  and ``ACCESS_WAREHOUSE_DATA`` name, with the reference rows, the countries and the bundled admin areas
  (so that the first loads do not all write them at once); on an existing warehouse it checks the
  schema version and rewrites the reference rows. On the audit record.
* ``import-accounts --users FILE --audit FILE`` moves a laptop's users file and audit file into the warehouse's
  PostgreSQL (:mod:`etl.accounts.importing`): users added unchanged, a user already there with another record
  listed and left alone (exit code 1 after the others are added), audit events appended once, in order. It
  sits here, not under ``users`` or ``audit``, because it is a one-time step of moving to the warehouse that
  takes both files together and needs ``ACCESS_WAREHOUSE``; ``audit`` has no sub-commands to put it under.
  On the audit record (who, when, how many), after the events it brings.
* ``maintain`` runs DuckLake's own maintenance (small files merged, files no snapshot needs deleted) with a
  safety margin for readers (:mod:`etl.store.lake_maintain`). On the audit record.
* ``try-postgres`` runs a throwaway local PostgreSQL in its own folder (``--dir``) until Ctrl+C, and
  prints the settings that point the other commands at it (:mod:`etl.store.pgserver`).

How to run a warehouse: docs/deployment.md.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from etl.accounts import importing, pgstore
from etl.cli import audited
from etl.config import get_settings
from etl.errors import ConfigError
from etl.intake import refresh_places
from etl.store import lake_maintain, sealed, warehouse
from etl.store.loads import retrying, write_session
from etl.store.pgserver import LocalPostgres


def cmd_init(args: argparse.Namespace) -> int:
    settings = get_settings()
    warehouse.data_folder(settings)  # both settings checked before anything is recorded or created
    with audited.command("warehouse_init", args.db, target=str(settings.warehouse_data)) as event:
        done = warehouse.init(settings)
        with write_session(args.db, settings, in_warehouse=True) as con:  # the bundled countries and areas, once, not in a first load
            retrying(lambda: refresh_places(con, settings))
        event.outcome = done
    print(done)
    return 0


def cmd_import_accounts(args: argparse.Namespace) -> int:
    settings = get_settings()
    if not pgstore.enabled(settings):
        raise ConfigError("import-accounts moves a laptop's users and audit trail into the warehouse, and "
                          "ACCESS_WAREHOUSE is not set.", "Set ACCESS_WAREHOUSE (docs/deployment.md), then run it again.")
    if args.users is None and args.audit is None:
        raise ConfigError("Nothing to import.", "Give --users FILE, --audit FILE, or both.")
    files = [str(p) for p in (args.users, args.audit) if p is not None]
    code = 0
    with audited.command("accounts_import", args.db, target=files, settings=settings) as event:
        # Both files are read and checked whole before anything is written (a refusal is on record too).
        users = importing.read_users_file(args.users, settings) if args.users is not None else None
        key = sealed.side_key(sealed.AUDIT, settings)
        events = importing.read_audit_file(args.audit, key) if args.audit is not None else None
        if users is not None:
            done = importing.import_users(settings, users)
            event.detail["users"] = {"added": len(done.added), "already_there": len(done.same),
                                     "left_alone": done.conflicts}
            print(f"Users from {args.users}: {len(done.added)} added, {len(done.same)} already there.")
            if done.conflicts:
                code = 1
                event.outcome = "partly done: users left alone"
                print(f"error: {len(done.conflicts)} user(s) are already in {pgstore.where(settings)} with another "
                      "record (or their single sign-on e-mail is another user's there), and were left as they are: "
                      f"{', '.join(done.conflicts)}. Decide which record is right: keep the warehouse's (nothing to "
                      "do), or remove it there (`python -m etl users remove NAME`) and run this again.",
                      file=sys.stderr)
        if events is not None:
            moved = importing.import_audit(settings, events, key)
            event.detail["audit_events"] = {"added": moved.appended, "already_there": moved.already}
            print(f"Audit events from {args.audit}: {moved.appended} added, {moved.already} already there"
                  f" (read them with `python -m etl audit`).")
    return code


def cmd_maintain(args: argparse.Namespace) -> int:
    settings = get_settings()
    days = lake_maintain.check_days(args.older_than)
    if not warehouse.enabled(settings):
        raise ConfigError("ACCESS_WAREHOUSE is not set: there is no warehouse to maintain (a database file needs "
                          "no maintenance).", warehouse.HOW_TO_SET)
    warehouse.data_folder(settings)
    with audited.command("warehouse_maintain", args.db, target=str(settings.warehouse_data),
                         detail={"older_than_days": days}) as event:
        done = lake_maintain.maintain(settings, days)
        event.detail.update({"files_before": done.files_before, "files_after": done.files_after, **done.steps})
    print("\n".join(done.lines()))
    return 0


def cmd_try_postgres(args: argparse.Namespace) -> int:
    pg = LocalPostgres(Path(args.dir).resolve(), args.port)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with pg.running():
        data = Path(args.dir).resolve() / "lake"
        print(f"PostgreSQL is running on 127.0.0.1:{pg.port} (data in {pg.data}, log in {pg.log}).")
        print("Point the other commands at it (in another terminal), then create the warehouse:")
        print(f"  export ACCESS_WAREHOUSE='{pg.url}'")
        print(f"  export ACCESS_WAREHOUSE_DATA='{data}'")
        print("  python -m etl warehouse init")
        print("Ctrl+C stops it (the folder is kept: run the same command again to restart it).", flush=True)
        stop.wait()
    print("PostgreSQL stopped.", file=sys.stderr)
    return 0


def add_parser(sub: argparse._SubParsersAction, add_db: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register ``warehouse init | import-accounts | maintain | try-postgres`` on the main parser's sub-parsers."""
    p = sub.add_parser("warehouse", help="the shared warehouse (DuckLake, catalog in PostgreSQL): init, "
                                         "try-postgres (docs/deployment.md)")
    actions = p.add_subparsers(dest="action", required=True)
    p_init = actions.add_parser("init", help="create the warehouse named by ACCESS_WAREHOUSE and "
                                             "ACCESS_WAREHOUSE_DATA (or check it and rewrite its reference rows)")
    add_db(p_init)  # where the audit record is kept, as for the other commands
    p_init.set_defaults(func=cmd_init)
    p_imp = actions.add_parser("import-accounts", help="move a laptop's users file and audit file into the "
                                                       "warehouse's PostgreSQL (twice = once; no user overwritten)")
    p_imp.add_argument("--users", type=Path, metavar="FILE", help="the laptop's users file (users.json)")
    p_imp.add_argument("--audit", type=Path, metavar="FILE", help="the laptop's audit file (*.audit.jsonl)")
    add_db(p_imp)
    p_imp.set_defaults(func=cmd_import_accounts)
    p_keep = actions.add_parser("maintain", help="merge the warehouse's small files and delete what no snapshot "
                                                 "needs any more, keeping a safety margin (run it on a schedule)")
    p_keep.add_argument("--older-than", type=float, default=lake_maintain.DEFAULT_DAYS, metavar="DAYS",
                        help="keep snapshots and files younger than this many days (default "
                             f"{lake_maintain.DEFAULT_DAYS:g}): readers and loads running now may use them")
    add_db(p_keep)  # where the audit record is kept, as for the other commands
    p_keep.set_defaults(func=cmd_maintain)
    p_try = actions.add_parser("try-postgres", help="run a throwaway local PostgreSQL in its own folder until "
                                                    "Ctrl+C, for trying the warehouse (not for production)")
    p_try.add_argument("--dir", required=True, help="its folder (created; kept after it stops)")
    p_try.add_argument("--port", type=int, default=0, help="its port on 127.0.0.1 (default: a free one)")
    p_try.set_defaults(func=cmd_try_postgres)
