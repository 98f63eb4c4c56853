"""``python -m etl sync --to URL --data FOLDER``: send this office's loads to headquarters' warehouse.

The office works on its database file (``ACCESS_WAREHOUSE`` unset); every load it committed is in
its outbox (:mod:`etl.store.outbox`). ``sync`` asks the warehouse which loads it has and sends the
others, one warehouse transaction each (:mod:`etl.sync.push`), printing each as it is committed. On
the audit record, with the warehouse's address without its password.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr

from etl.cli import audited
from etl.config import get_settings
from etl.errors import ConfigError, short_name
from etl.store import warehouse
from etl.sync.push import Sent, push


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
    data = args.data or settings.warehouse_data
    if data is None:
        raise ConfigError("sync needs the warehouse's data folder.",
                          "Give --data FOLDER (as this machine sees it), or set ACCESS_WAREHOUSE_DATA.")
    if not args.db.is_file():
        raise ConfigError(f"{args.db}: no such database file.", "Give the office's database with --db.")
    target = settings.model_copy(update={"warehouse": SecretStr(args.to),
                                         "warehouse_data": Path(data).expanduser().resolve()})
    warehouse.catalog_conninfo(SecretStr(args.to))  # a malformed URL is refused before anything is recorded
    with audited.command("sync", args.db, target=shown_url(args.to), detail={"data": str(data)}) as event:
        report = push(args.db, settings, target, on_sent=_print_sent)
        event.outcome = "failed" if report.failed else "done"
        event.detail.update({"sent": [{"file": s.file_name, "office_load_id": s.office_load_id,
                                       "warehouse_load_id": s.result.load_id, "status": s.result.status,
                                       "bytes": s.file_bytes} for s in report.sent],
                             "already_there": report.already_there,
                             "not_in_outbox": [n for _, n in report.not_kept]})
    for load_id, name in report.not_kept:
        print(f"not kept {short_name(name)} (office load {load_id}): loaded before this office kept an outbox; "
              "load the original file at the warehouse (`python -m etl load` with ACCESS_WAREHOUSE set).")
    sent = [s for s in report.sent if s.result.status != "already_loaded" and s.result.load_id is not None]
    print(f"Summary: {len(sent)} load(s) sent to {shown_url(args.to)} ({report.file_bytes:,} bytes of files), "
          f"{report.already_there + len(report.sent) - len(sent) - len(report.failed)} already there, "
          f"{len(report.failed)} failed, {len(report.not_kept)} not in the outbox.")
    return 1 if report.failed else 0


def add_parser(sub: argparse._SubParsersAction, add_db: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register ``sync`` on the main parser's sub-parsers."""
    p = sub.add_parser("sync", help="send this office's loads to headquarters' warehouse (what it does not have "
                                    "yet; docs/deployment.md, 'Offices that sync')")
    p.add_argument("--to", required=True, metavar="URL",
                   help="the warehouse's catalog, postgresql://USER@HOST:PORT/DBNAME (the password from PGPASSWORD "
                        "or ~/.pgpass rather than on the command line)")
    p.add_argument("--data", metavar="FOLDER",
                   help="the warehouse's data folder as this machine sees it (default: $ACCESS_WAREHOUSE_DATA)")
    add_db(p)  # the office's database file (and where the audit record is kept)
    p.set_defaults(func=cmd_sync)
