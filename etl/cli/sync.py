"""``python -m etl sync --to URL --data FOLDER --regions R``: send this office's loads to headquarters' warehouse, and
receive its regions' rows and headquarters' decisions.

The office works on its database file (``ACCESS_WAREHOUSE`` unset); every load it committed is in
its outbox (:mod:`etl.store.outbox`). ``sync`` asks the warehouse which loads it has and sends the
others, one warehouse transaction each (:mod:`etl.sync.push`), printing each as it is committed; then
it receives what the warehouse holds for the office's regions (``--regions`` or ``ACCESS_OFFICE_REGIONS``)
in one write session (:mod:`etl.sync.pull`) and lists the conflicts it found. ``--push-only`` and
``--pull-only`` do one half; ``--conflicts`` lists the conflicts on record and touches nothing. On the
audit record, with the warehouse's address without its password.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr

from etl.cli import audited
from etl.config import get_settings, split_regions
from etl.errors import ConfigError, short_name
from etl.store import warehouse
from etl.store.db import reading
from etl.sync import sql
from etl.sync.pull import PullReport, pull, regions_of
from etl.sync.push import PushReport, Sent, push

WHAT_TO_DO = {
    "engagement": "the office keeps its row. Find which is right (the office's log or the other office's); correct "
                  "the wrong log and load it again where it was logged.",
    "request": "the office keeps its request (the first engagement that named it here set its date, activity, "
               "area...). Find which log is right and correct the other; the engagements of both are kept.",
    "counterpart_decision": "the office keeps its decision. To take headquarters' instead, undo the office's "
                            "(`python -m etl counterparts undo N`) and sync again; else ask headquarters to undo theirs.",
    "boundaries": "the office keeps the boundaries it loaded. To take headquarters' instead, load their file here "
                  "(`python -m etl boundaries FILE`); else ask headquarters to load the office's.",
}


def shown_url(url: str) -> str:
    """The warehouse's URL as printed and recorded: its password left out.

    >>> shown_url("postgresql://hq:s3cret@10.0.0.5:5432/access")
    'postgresql://hq@10.0.0.5:5432/access'
    """
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    netloc = (f"{parts.username}@" if parts.username else "") + host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _print_sent(sent: Sent) -> None:
    r = sent.result
    name = short_name(sent.file_name)
    if r.status == "already_loaded":
        print(f"there   {name}: the warehouse has it already (sent by another office or machine)", flush=True)
    elif r.ok or r.status == "all_rejected":
        print(f"sent    {name}: {sent.file_bytes:,} bytes, {r.rows_loaded:,} rows loaded, {r.rows_rejected:,} "
              f"rejected, {r.rows_duplicate:,} duplicates skipped (office load {sent.office_load_id}, warehouse "
              f"load {r.load_id})", flush=True)
    else:
        print(f"FAILED  {r.message}", file=sys.stderr, flush=True)


def cmd_sync(args: argparse.Namespace) -> int:
    settings = get_settings()
    if warehouse.enabled(settings):
        raise ConfigError("ACCESS_WAREHOUSE is set: this process works on the warehouse itself, and sync sends an "
                          "office's database file to it.",
                          "Unset ACCESS_WAREHOUSE on the office's machine and name the warehouse with --to.")
    if not args.db.is_file() and not args.pull_only:
        raise ConfigError(f"{args.db}: no such database file.", "Give the office's database with --db (a new office "
                          "with no file yet: --pull-only creates it from the warehouse).")
    if args.conflicts:
        return _list_conflicts(args)
    if args.to is None:
        raise ConfigError("sync needs the warehouse's address.", "Give --to postgresql://USER@HOST:PORT/DBNAME.")
    data = args.data or settings.warehouse_data
    if data is None:
        raise ConfigError("sync needs the warehouse's data folder.",
                          "Give --data FOLDER (as this machine sees it), or set ACCESS_WAREHOUSE_DATA.")
    target = settings.model_copy(update={"warehouse": SecretStr(args.to),
                                         "warehouse_data": Path(data).expanduser().resolve()})
    warehouse.catalog_conninfo(SecretStr(args.to))  # a malformed URL is refused before anything is recorded
    regions = () if args.push_only else regions_of(args.regions, settings)  # refused before anything is sent
    where = shown_url(args.to)
    report: PushReport | None = None
    with audited.command("sync", args.db, target=where, detail={"data": str(data), "regions": list(regions)}) as event:
        if not args.pull_only:
            report = push(args.db, settings, target, on_sent=_print_sent)
            event.outcome = "failed" if report.failed else "done"
            event.detail.update({"sent": [{"file": s.file_name, "office_load_id": s.office_load_id,
                                           "warehouse_load_id": s.result.load_id, "status": s.result.status,
                                           "bytes": s.file_bytes} for s in report.sent],
                                 "already_there": report.already_there,
                                 "not_in_outbox": [n for _, n in report.not_kept]})
            _print_push_summary(report, where)  # before the way back: said even if that is then refused
        if regions:
            got = pull(args.db, settings, target, regions, where)
            event.detail.update({"received": [{"file": r.file_name, "office_load_id": r.office_load_id, "new": r.new,
                                               "duplicate": r.duplicate, "conflict": r.conflict} for r in got.received],
                                 "decisions_taken": got.decisions, "decisions_undone": got.undone,
                                 "boundary_layers": got.boundaries,
                                 "conflicts": len(got.conflicts)})
    if regions:
        _print_pull(got, where)
    return 1 if report is not None and report.failed else 0


def _print_push_summary(report: PushReport, where: str) -> None:
    for load_id, name in report.not_kept:
        print(f"not kept {short_name(name)} (office load {load_id}): loaded before this office kept an outbox; "
              "load the original file at the warehouse (`python -m etl load` with ACCESS_WAREHOUSE set).")
    sent = [s for s in report.sent if s.result.status != "already_loaded" and s.result.load_id is not None]
    print(f"Summary: {len(sent)} load(s) sent to {where} ({report.file_bytes:,} bytes of files), "
          f"{report.already_there + len(report.sent) - len(sent) - len(report.failed)} already there, "
          f"{len(report.failed)} failed, {len(report.not_kept)} not in the outbox.")


def _print_pull(got: PullReport, where: str) -> None:
    for r in got.received:
        print(f"received {short_name(r.file_name)}: {r.new:,} new rows of {', '.join(got.regions)}, {r.duplicate:,} "
              f"already here, {r.conflict:,} in conflict (office load {r.office_load_id})")
    print(f"Received from {where}: {len(got.received)} load(s), {got.rows_new:,} new rows of {', '.join(got.regions)}; "
          f"{got.decisions} counterpart decision(s) taken, {got.undone} undone; {got.boundaries} boundary layer(s); "
          f"{len(got.conflicts)} new conflict(s).")
    if got.conflicts:
        print("Conflicts (nothing was overwritten; `python -m etl sync --conflicts` lists them all):")
        for kind, subject in got.conflicts:
            print(f"  {kind} {subject}: {WHAT_TO_DO.get(kind, '')}")


def _list_conflicts(args: argparse.Namespace) -> int:
    """``sync --conflicts``: what earlier syncs found and did not overwrite, optionally of some regions only."""
    regions = list(split_regions(args.regions)) if args.regions else None
    with audited.command("sync", args.db, detail={"listed": "conflicts", "regions": regions}) as event:
        with reading(args.db, settings=get_settings()) as con:
            rows = con.execute(sql.LIST_CONFLICTS, {"regions": regions}).fetchall()
        event.detail["conflicts"] = len(rows)
    if not rows:
        print("No conflicts on record.")
        return 0
    for kind, subject, iso3, region, ours, theirs, where, found in rows:
        print(f"{found:%Y-%m-%d %H:%M} {kind} {subject} ({iso3 or '?'}, {region or 'no region'}) from {where}\n"
              f"  office:    {ours}\n  warehouse: {theirs}\n  what to do: {WHAT_TO_DO.get(kind, '')}")
    print(f"{len(rows)} conflict(s).")
    return 0


def add_parser(sub: argparse._SubParsersAction, add_db: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register ``sync`` on the main parser's sub-parsers."""
    p = sub.add_parser("sync", help="send this office's loads to headquarters' warehouse (what it does not have "
                                    "yet) and receive its regions' rows and headquarters' counterpart decisions "
                                    "(docs/deployment.md, 'Offices that sync')")
    p.add_argument("--to", metavar="URL",
                   help="the warehouse's catalog, postgresql://USER@HOST:PORT/DBNAME (the password from PGPASSWORD "
                        "or ~/.pgpass rather than on the command line)")
    p.add_argument("--data", metavar="FOLDER",
                   help="the warehouse's data folder as this machine sees it (default: $ACCESS_WAREHOUSE_DATA)")
    p.add_argument("--regions", metavar="NAMES",
                   help="the office's regions, comma-separated, as the engagements' region names them (default: "
                        "$ACCESS_OFFICE_REGIONS; one is needed to receive anything)")
    half = p.add_mutually_exclusive_group()
    half.add_argument("--push-only", action="store_true", help="only send this office's loads")
    half.add_argument("--pull-only", action="store_true", help="only receive (nothing is sent)")
    half.add_argument("--conflicts", action="store_true",
                      help="list the conflicts earlier syncs found (with --regions: of those regions only); "
                           "nothing is sent or received")
    add_db(p)  # the office's database file (and where the audit record is kept)
    p.set_defaults(func=cmd_sync)
