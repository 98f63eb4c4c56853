"""Command line: ``python -m etl demo | load | status | inspect | alerts | counterparts | users | encrypt | decrypt | audit | upgrade``
(and ``snapshot``, added by ``etl/__main__.py``).

Every command takes ``--db PATH`` (default: ``ACCESS_DB`` or ``data/access.duckdb``). Exit code
0 when the command did its job (a load committed, even with rejected rows), 1 when nothing could
be loaded, 2 for wrong usage. Errors are one line naming the file and the problem; never a
traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from etl.cli import alerts as alerts_cli
from etl.cli import audit as audit_cli
from etl.cli import audited
from etl.cli import counterparts as counterparts_cli
from etl.cli import crypto as crypto_cli
from etl.cli import sync as sync_cli
from etl.cli import users as users_cli
from etl.cli import warehouse as warehouse_cli
from etl.config import DATA_DIR, get_settings
from etl.errors import AccessDataError, short_name
from etl.intake import LoadResult, load_paths
from etl.logs.numbers import DECIMAL_WORDS
from etl.logs.readers import describe_mapping
from etl.logs.readers.encodings import encoding_name
from etl.store.archives import check_archive
from etl.store.db import owner_only_umask


def _progress_bar(enabled: bool):  # type: ignore[no-untyped-def]
    """A tqdm bar on stderr when it is a terminal (or forced), else a no-op."""
    if not enabled:
        return None, None
    from tqdm import tqdm

    bar = tqdm(total=100, unit="%", bar_format="{l_bar}{bar}| {elapsed}", file=sys.stderr, leave=False)

    def update(label: str, fraction: float) -> None:
        bar.set_description_str(label[:60])
        bar.n = int(fraction * 100)
        bar.refresh()

    return bar, update


def _print_results(results: Sequence[LoadResult], seconds: float) -> None:
    for r in results:
        if r.status == "failed":
            print(f"FAILED  {r.message}", file=sys.stderr)
        elif r.status == "already_loaded":
            print(f"skipped {r.message}")
        else:
            line = (f"{r.status:<7} {short_name(r.path.name)}: {r.rows_read:,} rows read, {r.rows_loaded:,} loaded, "
                    f"{r.rows_rejected:,} rejected, {r.rows_duplicate:,} duplicates skipped "
                    f"({r.seconds:.1f} s, load {r.load_id})")
            print(line)
            if r.message:  # e.g. incident feeds: codes decoded, coordinates blanked
                print(f"        {r.message}")
            if r.reasons:
                print("        rejected because: " + ", ".join(f"{k} {v:,}" for k, v in r.reasons.items()))
            if r.source and r.source.ignored:
                print("        columns not used: " + ", ".join(r.source.ignored[:12]))
            if r.source:
                for line in describe_mapping(r.source):  # which mapping was used: schema drift shows here
                    print(f"        {line}")
    read = sum(r.rows_read for r in results)
    loaded = sum(r.rows_loaded for r in results)
    rejected = sum(r.rows_rejected for r in results)
    dup = sum(r.rows_duplicate for r in results)
    failed = sum(r.status == "failed" for r in results)
    skipped = sum(r.status == "already_loaded" for r in results)
    print(f"Summary: {len(results)} file(s), {read:,} rows read, {loaded:,} loaded, {rejected:,} rejected, "
          f"{dup:,} duplicates skipped, {skipped} file(s) already loaded, {failed} file(s) failed, "
          f"{seconds:.1f} s.")
    if rejected:
        print("See the reasons with `python -m etl status --rejected`.")


def _exit_code(results: Sequence[LoadResult]) -> int:
    """0 when every file committed (rejected rows allowed) or was already loaded; else 1."""
    return 0 if results and all(r.ok for r in results) else 1


def _audit_summary(results: Sequence[LoadResult]) -> tuple[str, dict[str, object]]:
    """A load's outcome and counts, for its audit event."""
    if not results:
        return "no files found", {}
    ok = sum(r.ok for r in results)
    outcome = "done" if ok == len(results) else "failed" if not ok else "partly failed"
    statuses: dict[str, int] = {}
    for r in results:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    return outcome, {"files": statuses, "rows_loaded": sum(r.rows_loaded for r in results),
                     "rows_rejected": sum(r.rows_rejected for r in results),
                     "load_ids": [r.load_id for r in results if r.load_id is not None],
                     "problems": [r.message for r in results if r.status == "failed"]}


def _absent(path: Path) -> bool:
    """True when nothing is at ``path``; a path the system cannot even look up (a name too long) is left
    to the load, which says why it cannot be read."""
    try:
        os.lstat(path)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return False


def cmd_load(args: argparse.Namespace) -> int:
    paths = [Path(p) for p in args.paths]
    missing = [p for p in paths if _absent(p)]
    if missing:
        print(f"error: {short_name(str(missing[0]))}: no such file or folder. Check the path.", file=sys.stderr)
        return 1
    bar, update = _progress_bar(not args.quiet and (sys.stderr.isatty() or args.progress))
    start = time.monotonic()
    # On record (etl/accounts/audit.py): refused before anything is written when the audit log cannot be appended to.
    with audited.command("load", args.db, target=[str(p) for p in paths],
                       detail=getattr(args, "audit_detail", None)) as event:
        try:
            results = load_paths(paths, args.db, progress=update, encoding=args.encoding,
                                 decimal=DECIMAL_WORDS.get(args.decimal or ""))
        finally:
            if bar is not None:
                bar.close()
        event.target = [str(r.path) for r in results] or event.target
        event.outcome, counts = _audit_summary(results)
        event.detail.update(counts)
    if not results:
        print(f"error: no .csv, .xlsx or .json files found in {', '.join(map(str, paths))}.", file=sys.stderr)
        return 1
    _print_results(results, time.monotonic() - start)
    return _exit_code(results)


def cmd_demo(args: argparse.Namespace) -> int:
    from etl.demo import write_demo_logs

    out = Path(args.out)
    start = time.monotonic()
    print(f"Writing {args.rows:,} demo engagements (seed {args.seed}) to {out}/ ...")
    files = write_demo_logs(out, rows=args.rows, seed=args.seed,
                            end_date=dt.date.fromisoformat(args.end_date))
    print(f"Wrote {len(files)} file(s) in {time.monotonic() - start:.1f} s; loading them like any field log.")
    args.paths = [str(f) for f in files]
    args.audit_detail = {"demo": {"rows": args.rows, "seed": args.seed, "out": str(out)}}
    return cmd_load(args)


def cmd_inspect(args: argparse.Namespace) -> int:
    from etl.feeds.inspect import inspect_feed
    from etl.logs.inspect import default_mapping_path, inspect_file, render, write_skeleton

    path = Path(args.file)
    if not path.is_file():
        print(f"error: {path}: no such file. Check the path.", file=sys.stderr)
        return 1
    check_archive(path, get_settings())  # a workbook that would inflate past the limits is never opened
    feed_report = inspect_feed(path)  # a public feed is described in its publisher's terms
    if feed_report is not None:
        print(feed_report)
        if args.write_mapping is not None:
            print("A feed's mapping file names its columns by the publisher's documented names "
                  "([columns] \"your header\" = \"Reported Perpetrator\"); see docs/data-model.md, 'incidents'.")
        return 0
    report = inspect_file(path, args.encoding, DECIMAL_WORDS.get(args.decimal or ""))
    print(render(report))
    if args.write_mapping is not None:
        target = write_skeleton(report, Path(args.write_mapping) if args.write_mapping else default_mapping_path(path))
        print(f"Wrote {target}: fill it in, then run inspect again.")
    return 0


def cmd_boundaries(args: argparse.Namespace) -> int:
    """Admin boundaries and P-code gazetteers (etl/geo/boundaries.py); 0 when every file was used."""
    from etl.geo.boundaries import load_boundary_paths

    given = {"iso3": args.iso3, "level": args.level}
    with audited.command("boundaries", args.db, target=list(args.paths),
                       detail={k: v for k, v in given.items() if v is not None}) as event:
        results = load_boundary_paths([Path(p) for p in args.paths], args.db, iso3=args.iso3, level=args.level)
        ok = sum(r.ok for r in results)
        event.outcome = "done" if results and ok == len(results) else "failed" if not ok else "partly failed"
        event.detail["files"] = [{"file": r.path.name, "status": r.status, "kind": r.kind, "load_id": r.load_id}
                                 for r in results]
    for r in results:
        if r.status == "failed":
            print(f"error: {r.lines[0]}", file=sys.stderr)
        else:
            print("\n".join(r.lines))
    return 0 if results and all(r.ok for r in results) else 1


def cmd_status(args: argparse.Namespace) -> int:
    from etl.cli.status import print_status

    return print_status(args.db, rejected=args.rejected, limit=args.limit)


def cmd_upgrade(args: argparse.Namespace) -> int:
    """Migrate the database to this release's schema (etl/store/migrations/runner.py); 0 when it is current."""
    from etl.store import warehouse
    from etl.store.migrations.runner import read_version, upgrade
    from etl.store.schema import SCHEMA_VERSION

    if warehouse.enabled(get_settings()):  # one warehouse transaction (etl/store/lake_upgrade.py), or a refusal
        return _upgrade_warehouse(args)
    if args.db.exists() and read_version(args.db) == int(SCHEMA_VERSION):
        # `tasks.py run` asks at every start: a database already current is not worth an audit line.
        print(f"{args.db} is already at schema version {SCHEMA_VERSION}; nothing to do.")
        return 0
    with audited.command("upgrade", args.db, target=str(args.db)) as event:
        result = upgrade(args.db)
        event.outcome = "done" if result.applied else "nothing to do"
        event.detail.update({"from_version": result.from_version, "to_version": result.to_version,
                             "migrations": [m.version for m in result.applied]})
    print(result.message)
    return 0


def _upgrade_warehouse(args: argparse.Namespace) -> int:
    """``upgrade`` with ACCESS_WAREHOUSE set: the pending migrations in one commit; at this version, nothing."""
    import duckdb

    from etl.store import warehouse
    from etl.store.lake_upgrade import upgrade_lake
    from etl.store.schema import SCHEMA_VERSION

    settings = get_settings()
    with warehouse.reading(settings) as con:
        try:
            row = con.execute("SELECT value FROM schema_info WHERE key = 'schema_version'").fetchone()
        except duckdb.CatalogException:  # no tables yet: upgrade_lake says to run `warehouse init`
            row = None
    if row is not None and row[0] == SCHEMA_VERSION:  # asked at every start, as for the file: not audited
        print(warehouse.check_upgrade(settings))
        return 0
    with audited.command("upgrade", args.db, target=str(settings.warehouse_data)) as event:
        found, applied = upgrade_lake(settings)
        event.outcome = "done" if applied else "nothing to do"
        event.detail.update({"warehouse": True, "from_version": found, "to_version": int(SCHEMA_VERSION),
                             "migrations": [m.version for m in applied]})
    steps = ", ".join(f"{m.version} ({m.name})" for m in applied)
    print(f"Upgraded the warehouse from schema version {found} to {SCHEMA_VERSION} (migrations {steps}), in one "
          "commit: readers and loads saw the old schema or the new one." if applied else
          f"The warehouse is already at schema version {SCHEMA_VERSION}; nothing to do.")
    return 0


def _encoding(name: str) -> str:
    """--encoding: any text encoding Python knows (cp1252, utf-16, cp1256...), checked before anything is read."""
    try:
        return encoding_name(name)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_text_options(p: argparse.ArgumentParser) -> None:
    """How CSV text and numbers are read: --encoding and --decimal (load and inspect)."""
    p.add_argument("--encoding", type=_encoding, metavar="NAME",
                   help="CSV text encoding, e.g. utf-8, cp1252 (Excel on Windows), utf-16, cp1256 (default: detected)")
    p.add_argument("--decimal", choices=sorted(DECIMAL_WORDS),
                   help="decimal separator of the numbers: comma (12.500 is 12500) or point (12.500 is 12.5); "
                        "default: the mapping file's, else what the values show")


# A function that adds a sub-command: given the sub-parsers and ``add_db`` (``etl/__main__.py`` passes the
# commands that read through the dashboard's per-user views, which ``etl`` may not import).
AddParser = Callable[[argparse._SubParsersAction, Callable[[argparse.ArgumentParser], None]], None]


def build_parser(extra: Sequence[AddParser] = ()) -> argparse.ArgumentParser:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m etl", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def add_db(p: argparse.ArgumentParser) -> None:
        p.add_argument("--db", type=Path, default=settings.db,
                       help=f"DuckDB database file (default: $ACCESS_DB or {settings.db})")

    p_load = sub.add_parser("load", help="load log files or folders (CSV, XLSX, JSON)")
    p_load.add_argument("paths", nargs="+", help="files or folders")
    add_text_options(p_load)
    p_load.add_argument("--progress", action="store_true", help="show the progress bar even when not a terminal")
    p_load.add_argument("--quiet", action="store_true", help="no progress bar")
    add_db(p_load)
    p_load.set_defaults(func=cmd_load)

    p_demo = sub.add_parser("demo", help="write realistic demo logs, then load them through the normal path")
    p_demo.add_argument("--rows", type=int, default=30_000, help="number of engagements (default 30,000)")
    p_demo.add_argument("--seed", type=int, default=7, help="random seed (same seed, same files)")
    p_demo.add_argument("--end-date", default="2026-10-31", help="last day of the three demo years")
    p_demo.add_argument("--out", default=str(DATA_DIR / "demo_logs"), help="folder for the demo log files")
    p_demo.add_argument("--encoding", default=None, help=argparse.SUPPRESS)
    p_demo.add_argument("--decimal", default=None, help=argparse.SUPPRESS)
    p_demo.add_argument("--progress", action="store_true", help="show the progress bar even when not a terminal")
    p_demo.add_argument("--quiet", action="store_true", help="no progress bar")
    add_db(p_demo)
    p_demo.set_defaults(func=cmd_demo)

    p_status = sub.add_parser("status", help="loads so far, row counts, rejected rows by reason")
    p_status.add_argument("--rejected", action="store_true", help="also list rejected rows with their reasons")
    p_status.add_argument("--limit", type=int, default=20, help="how many rejected rows to list")
    add_db(p_status)
    p_status.set_defaults(func=cmd_status)

    p_bound = sub.add_parser("boundaries", help="load admin boundaries (GeoJSON, zipped shapefile, GeoPackage, "
                             "GeoParquet) and P-code gazetteers (CSV, XLSX)")
    p_bound.add_argument("paths", nargs="+", metavar="FILE", help="boundary or gazetteer files")
    p_bound.add_argument("--iso3", help="country of the file's areas, when its fields do not say")
    p_bound.add_argument("--level", type=int, choices=range(0, 6), metavar="N",
                         help="admin level of the file's areas, when its fields do not say (or to pick a layer)")
    add_db(p_bound)
    p_bound.set_defaults(func=cmd_boundaries)

    p_inspect = sub.add_parser("inspect", help="show what a file is (a negotiation log, a public feed) and how it would be read; "
                                     "write a mapping file to start from")
    p_inspect.add_argument("file", help="a CSV, XLSX or JSON file (a log or a public feed)")
    add_text_options(p_inspect)
    p_inspect.add_argument("--write-mapping", nargs="?", const="", default=None, metavar="PATH",
                           help="write a mapping file skeleton (default: <file>.mapping.toml beside the file)")
    p_inspect.set_defaults(func=cmd_inspect)

    p_upgrade = sub.add_parser("upgrade", help="migrate a database made by an older release to this release's schema, "
                               "in place (the previous file is kept as <db>.before-upgrade-N)")
    add_db(p_upgrade)
    p_upgrade.set_defaults(func=cmd_upgrade)

    counterparts_cli.add_parser(sub, add_db)  # counterparts list | review | merge | split | keep-apart | ...
    users_cli.add_parser(sub, add_db)  # users add | remove | list | set-role | set-password | grant | ...
    crypto_cli.add_parsers(sub, add_db)  # encrypt | decrypt (the database key: etl/store/crypto.py)
    alerts_cli.add_parser(sub, add_db)  # alerts --month YYYY-MM [--region R] [--country ISO3]
    audit_cli.add_parser(sub, add_db)  # audit [--since DATE] [--action A] [--who U] [--csv FILE]
    warehouse_cli.add_parser(sub, add_db)  # warehouse init | import-accounts | try-postgres (etl/store/warehouse.py)
    sync_cli.add_parser(sub, add_db)  # sync --to URL: an office's loads to the warehouse (etl/sync/)
    for add in extra:  # snapshot (etl/__main__.py)
        add(sub, add_db)
    return parser


def main(argv: Sequence[str] | None = None, extra: Sequence[AddParser] = ()) -> int:
    owner_only_umask()  # before anything is written: DuckDB's WAL and spill files take the process umask
    try:
        parser = build_parser(extra)
        args = parser.parse_args(argv)
        return int(args.func(args))
    except AccessDataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted: nothing was changed in the database.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # Output piped into `head` and the like: the reader went away; not an error of ours.
        sys.stderr.close()
        return 0
