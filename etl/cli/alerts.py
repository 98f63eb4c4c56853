"""``python -m etl alerts --month YYYY-MM [--region R] [--country ISO3]``: the month's alerts, one line each.

The method is :mod:`etl.analysis.alerts` (``docs/alerts.md``). Printing them hands data out, so the
command is on the audit record (an ``export`` of ``alerts``, with the month, region and country) before
anything is printed, like ``python -m etl audit --csv``. ``--through YYYY-MM --summary`` counts the alerts
of every month of a range (how the false-alarm figure of ``docs/alerts.md`` is measured).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable

from etl.accounts import audit
from etl.analysis import sql
from etl.analysis.alerts import Alert, add_months, alerts_by_month
from etl.cli import audited
from etl.geo.countries import country_iso3
from etl.store.reader import reading


def _month(text: str) -> dt.date:
    """--month / --through: a calendar month written YYYY-MM."""
    try:
        return dt.datetime.strptime(text.strip(), "%Y-%m").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a month: write it YYYY-MM, e.g. 2025-03") from None


def _usage(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def cmd_alerts(args: argparse.Namespace) -> int:
    country = None
    if args.country:
        country = country_iso3(args.country)
        if country is None:
            return _usage(f"'{args.country}' is not a country code or name. Give an ISO3 code such as SSD.")
    through = args.through or args.month
    if through < args.month:
        return _usage(f"--through {through:%Y-%m} is before --month {args.month:%Y-%m}: give the later month last.")
    with reading(args.db) as con:
        regions = [r for (r,) in con.execute(sql.REGIONS).fetchall()]
        if args.region and args.region not in regions:
            return _usage(f"no region '{args.region}'. Regions: {', '.join(regions)}.")

        def run(text: str, params: list[object]):  # type: ignore[no-untyped-def]
            return con.execute(text, params).df()

        months = [args.month]
        while months[-1] < through:
            months.append(add_months(months[-1], 1))
        chosen = [args.region] if args.region else []
        countries = [country] if country else []
        found = alerts_by_month(run, months, regions=chosen, countries=countries)
        areas = {m: int(run(*sql.areas_with_engagements(m, add_months(m, 1), chosen, countries)).iloc[0, 0])
                 for m in months}
    # On record before anything is shown (etl/accounts/audit.py): who read which alerts.
    audit.record("export", who=audited.cli_user(), target=f"alerts {args.month:%Y-%m}"
                 + (f" to {through:%Y-%m}" if through != args.month else ""),
                 settings=audit.for_database(args.db),
                 filters={k: v for k, v in {"region": args.region, "country": country}.items() if v},
                 detail={"what": "alerts", "alerts": sum(len(a) for a in found.values()), "via": "command line"})
    if args.summary:
        _print_summary(found, areas)
    else:
        for m, alerts in found.items():
            _print_month(m, alerts, len(found) > 1)
    return 0


def _print_month(month: dt.date, alerts: list[Alert], heading: bool) -> None:
    if heading:
        print(f"{month:%B %Y}:")
    if not alerts:
        print(f"No alerts for {month:%B %Y}.")
    for a in alerts:
        print(a.line(month))


def _print_summary(found: dict[dt.date, list[Alert]], areas: dict[dt.date, int]) -> None:
    """Per month: how many alerts of each kind of place, the areas flagged (by name); then area alerts per 100 areas."""
    for month, alerts in found.items():
        by_kind = {k: sum(a.kind == k for a in alerts) for k in ("area", "checkpoint", "counterpart", "country")}
        names = sorted({f"{a.name} ({a.iso3})" for a in alerts if a.kind == "area"})
        print(f"{month:%Y-%m}  {areas[month]} areas with engagements; alerts: "
              + ", ".join(f"{n} {k}" for k, n in by_kind.items()) + (f"; areas flagged: {'; '.join(names)}" if names else ""))
    flagged = sum(a.kind == "area" for alerts in found.values() for a in alerts)
    total = sum(areas.values())
    print(f"Total: {flagged} area alert(s) in {total} area-months = {100 * flagged / max(total, 1):.1f} per 100 areas a month.")


def add_parser(sub: argparse._SubParsersAction, add_db: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register ``alerts`` on the main parser's sub-parsers."""
    p = sub.add_parser("alerts", help="a month's alerts: places with more denials than their history predicts, "
                                      "sustained rises, reporting changes (docs/alerts.md)",
                       description="One line per alert: level, place, measure, this month, expected, since when. "
                                   "On the audit record.")
    p.add_argument("--month", type=_month, required=True, metavar="YYYY-MM", help="the calendar month, e.g. 2025-03")
    p.add_argument("--through", type=_month, metavar="YYYY-MM", help="every month from --month to this one")
    p.add_argument("--region", help="only this region (as in the countries table, e.g. 'East and Horn of Africa')")
    p.add_argument("--country", help="only this country (ISO3 code or name)")
    p.add_argument("--summary", action="store_true", help="per month, the number of alerts by kind of place")
    add_db(p)
    p.set_defaults(func=cmd_alerts)

