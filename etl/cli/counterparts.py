"""``python -m etl counterparts ...``: look at counterparts and record who is who.

list / review / decisions read the database (or the warehouse, :mod:`etl.store.reader`); merge / split /
keep-apart / undo record a decision through :mod:`etl.counterparts.decisions` (one transaction, published
atomically, mirrored to the decisions file; in the warehouse, one warehouse transaction). A decision that cannot be taken is one ``error: ...`` line and exit code 1, with the
database untouched (``etl.cli.main`` renders it).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb

from etl.cli import audited
from etl.config import get_settings
from etl.counterparts import decisions, mirror, queries, resolver
from etl.errors import DatabaseError
from etl.geo.countries import country_iso3
from etl.store import warehouse
from etl.store.reader import reading


def _read(db: Path, sql: str, params: Sequence[object] = ()) -> tuple[list[str], list[tuple]]:
    with reading(db) as con:
        try:
            cursor = con.execute(sql, list(params))
        except duckdb.CatalogException as exc:
            raise DatabaseError(f"{db} has no counterpart decisions table yet ({str(exc).splitlines()[0]}).",
                                "Load any log into it once (`python -m etl load FILE`) to add it.") from exc
        return [d[0] for d in cursor.description or ()], cursor.fetchall()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _print_table(columns: Sequence[str], rows: Sequence[tuple], widest: int = 60) -> None:
    """Plain aligned columns (names are printed as text, whatever they contain)."""
    cells = [[_cell(v).replace("\n", " ")[:widest] for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    for r in cells:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())


def cmd_list(args: argparse.Namespace) -> int:
    country = None
    if args.country:
        country = country_iso3(args.country)
        if country is None:
            print(f"error: '{args.country}' is not a country code or name. Give an ISO3 code such as SDN.",
                  file=sys.stderr)
            return 1
    columns, rows = _read(args.db, queries.LIST, queries.list_params(country, args.search, args.limit))
    if not rows:
        print("No counterpart matches." if args.search or country else "No counterparts yet.")
        return 0
    _print_table(["id", "name", "type", "country", "engagements", "aliases"], rows, widest=70)
    if len(rows) == args.limit:
        print(f"(first {args.limit}; narrow with --country or --search, or raise --limit)")
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    _, rows = _read(args.db, queries.REVIEW)
    if not rows:
        print("No doubtful pairs waiting for review.")
        return 0
    _print_table(["country", "id a", "name a", "engagements a", "id b", "name b", "engagements b", "similarity"],
                 rows)
    print(f"\n{len(rows)} pair(s). Decide with `counterparts merge ID ID` or `counterparts keep-apart ID ID`.")
    return 0


def cmd_decisions(args: argparse.Namespace) -> int:
    _, rows = _read(args.db, queries.DECISIONS)
    if not rows:
        print("No decisions yet.")
        return 0
    _print_table(["no", "action", "country", "id a", "name a", "id b", "name b", "split by", "alias", "result",
                  "reason", "by", "when", "active", "undone by", "undone"], rows, widest=40)
    return 0


def _done(decision: resolver.Decision, db: Path) -> int:
    print(f"Recorded {decision.describe()}.")
    kept = "In the warehouse" if warehouse.enabled(get_settings()) else f"Mirrored in {mirror.mirror_path(db)}"
    print(f"{kept}; undo with `python -m etl counterparts undo {decision.decision_id}`.")
    return 0


def cmd_merge(args: argparse.Namespace) -> int:
    return _done(decisions.merge(args.db, args.first, args.second, keep=args.keep, reason=args.reason), args.db)


def cmd_split(args: argparse.Namespace) -> int:
    return _done(decisions.split(args.db, args.counterpart_id, args.alias, reason=args.reason), args.db)


def cmd_keep_apart(args: argparse.Namespace) -> int:
    return _done(decisions.keep_apart(args.db, args.first, args.second, reason=args.reason), args.db)


def cmd_undo(args: argparse.Namespace) -> int:
    d = decisions.undo(args.db, args.decision_id)
    print(f"Undid {d.describe()}; the rows are back where they would be without it.")
    return 0


def add_parser(sub: argparse._SubParsersAction, add_db: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register ``counterparts`` and its sub-commands on the main parser's sub-parsers."""
    p = sub.add_parser("counterparts", help="list counterparts, review look-alikes, merge / split / keep apart, undo")
    cmds = p.add_subparsers(dest="counterparts_command", required=True)

    c = cmds.add_parser("list", help="counterparts with their type, country, engagements and spellings")
    c.add_argument("--country", help="only this country (ISO3 code or name)")
    c.add_argument("--search", help="part of a name or spelling, or an id")
    c.add_argument("--limit", type=int, default=200, help="how many to list (default 200)")
    c.set_defaults(func=cmd_list)

    c = cmds.add_parser("review", help="doubtful look-alike pairs waiting for a decision")
    c.set_defaults(func=cmd_review)

    c = cmds.add_parser("merge", help="two counterparts are one: keep one id, the other's spellings become aliases")
    c.add_argument("first", help="counterpart id")
    c.add_argument("second", help="counterpart id")
    c.add_argument("--keep", help="the id to keep (default: the one with more engagements)")
    c.add_argument("--reason", help="why, for the record")
    c.set_defaults(func=cmd_merge)

    c = cmds.add_parser("split", help="take one spelling (or name key) out of a counterpart into its own")
    c.add_argument("counterpart_id", help="counterpart id")
    c.add_argument("--alias", required=True, help="the spelling as logged (case and spacing ignored) or a name key")
    c.add_argument("--reason", help="why, for the record")
    c.set_defaults(func=cmd_split)

    c = cmds.add_parser("keep-apart", help="two look-alikes are different people: resolve their review item")
    c.add_argument("first", help="counterpart id")
    c.add_argument("second", help="counterpart id")
    c.add_argument("--reason", help="why, for the record")
    c.set_defaults(func=cmd_keep_apart)

    c = cmds.add_parser("decisions", help="every decision taken, newest first (undone ones too)")
    c.set_defaults(func=cmd_decisions)

    c = cmds.add_parser("undo", help="undo decision N (it stays on record as undone)")
    c.add_argument("decision_id", type=int, help="the decision number (see `counterparts decisions`)")
    c.set_defaults(func=cmd_undo)

    for name, parser in cmds.choices.items():
        add_db(parser)
        if name in ("merge", "split", "keep-apart", "undo"):  # decisions are on record in the audit log
            parser.set_defaults(func=audited.audited("decision", parser.get_default("func"),
                                                   target=("first", "second", "counterpart_id", "decision_id"),
                                                   detail=("keep", "alias", "reason")))
