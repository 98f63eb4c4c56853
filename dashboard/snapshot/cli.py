"""``python -m etl snapshot --month YYYY-MM (--country ISO3 | --region R) --out FILE.pdf [--role ROLE]``.

The monthly access snapshot from the command line. It reads the database through the same per-user
views as the dashboard (:mod:`dashboard.db.scope`) with the scope of ``--role`` over the snapshot's
region (``hq``: every region, counterparts pseudonymised and small cells suppressed, the edition to
share with headquarters), and is on the audit record as an export before the file is written
(:func:`etl.cli.audited.command`). ``etl`` may not import ``dashboard``: ``etl/__main__.py`` adds this
sub-command to the parser (:func:`add_parser`), the one place where the two packages meet.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb
import pandas as pd

from dashboard.db.disclosure import k_for
from dashboard.db.scope import ensure_scope, pseudonym_salt
from dashboard.snapshot import content
from etl.accounts.roles import ROLE_NAMES, scope_for
from etl.cli import audited
from etl.store.files import write_atomic
from etl.store.reader import connect_read

DEFAULT_ROLE = "coordinator"


def scoped_runner(con: duckdb.DuckDBPyConnection, role: str, region: str,
                  db: Path) -> tuple[Callable[[str, Sequence[object]], pd.DataFrame], int | None]:
    """A ``run(sql, params)`` on ``con`` as a user of ``role`` granted ``region`` (``hq``: granted none) sees the
    data, and the disclosure ``k`` of that user."""
    scope = scope_for(role, () if role == "hq" else (region,))
    search_path = ensure_scope(con, scope, pseudonym_salt(db))
    cursor = con.cursor()
    cursor.execute(f"SET search_path = '{search_path}'")  # a generated schema name, never user text

    def run(sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
        return cursor.execute(sql, list(params)).df()

    return run, k_for(scope)


def build(db: Path, month: dt.date, country: str | None, region: str | None, role: str,
          today: dt.date | None = None) -> tuple[content.Snapshot, bytes]:
    """The snapshot and its PDF, read as ``role`` would see it (no file written)."""
    from dashboard.snapshot import pdf

    con = connect_read(db)
    try:
        places = con.execute("SELECT iso3, name, region FROM access.main.countries ORDER BY iso3").df()
        place = content.find_place(lambda _sql, _params: places, country, region)
        run, k = scoped_runner(con, role, place.region, db)
        snapshot = content.gather(run, place, month, k, today or dt.date.today())
    finally:
        con.close()
    return snapshot, pdf.render(snapshot)


def cmd_snapshot(args: argparse.Namespace) -> int:
    month = content.parse_month(args.month)
    out = Path(args.out)
    if out.suffix.lower() != ".pdf":
        print(f"error: {out.name}: the snapshot is a PDF. Give a file name ending in .pdf.", file=sys.stderr)
        return 2
    if not out.parent.is_dir():
        print(f"error: no folder {out.parent}. Create it, or give another --out.", file=sys.stderr)
        return 1
    place = {"country": args.country, "region": args.region}
    with audited.command("export", args.db, target=str(out),
                         detail={"what": "access snapshot", "month": args.month, "role": args.role,
                                 **{k: v for k, v in place.items() if v}}) as event:
        snapshot, data = build(args.db, month, args.country, args.region, args.role)
        write_atomic(out, data)
        event.detail["pages_bytes"] = len(data)
    print(f"Wrote {out}: {snapshot.title}, {snapshot.month_label}"
          + (f" (headquarters edition: pseudonyms, figures under {snapshot.k} withheld)" if snapshot.k else "") + ".")
    return 0


def add_parser(sub: argparse._SubParsersAction, add_db: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register ``snapshot`` on the main parser's sub-parsers."""
    p = sub.add_parser("snapshot", help="the monthly access snapshot of a country or region, as a PDF",
                       description="A 2-4 page PDF in the manner of OCHA's access snapshots: key figures against "
                                   "last month and last year, the trend, obstacles by category and counterpart type, "
                                   "a map by admin-1 area, the month's alerts in plain sentences, impact, conditions "
                                   "and the public incident record. Made offline; on the audit record as an export.")
    p.add_argument("--month", required=True, metavar="YYYY-MM", help="the calendar month, e.g. 2025-01")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--country", metavar="ISO3", help="one country (ISO3 code, e.g. SSD)")
    where.add_argument("--region", metavar="NAME", help="one region (e.g. MENA)")
    p.add_argument("--out", required=True, metavar="FILE.pdf", help="the PDF file to write")
    p.add_argument("--role", choices=ROLE_NAMES, default=DEFAULT_ROLE,
                   help=f"whose view (default {DEFAULT_ROLE}: names in clear in the snapshot's region); hq: the "
                        "headquarters edition, counterparts pseudonymised and figures under k withheld")
    add_db(p)
    p.set_defaults(func=cmd_snapshot)
