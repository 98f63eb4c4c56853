"""Where a load's time goes: `python -m etl load` with a clock around each of its phases.

    python bench/load_phases.py LOGS --db /tmp/x.duckdb --quiet     # the arguments of `python -m etl load`

Prints, after the load's own output, the seconds spent importing the command line and, summed over the
files, in each phase of :mod:`etl.intake`: the private copy, recognising the file, staging its rows, the
file's transaction (checking and inserting, then its COMMIT), keeping it in the outbox; then the places,
the roll-ups and the whole command. The phases are the functions of :mod:`etl.intake` it looks up, wrapped
in this process only (nothing in the tree is changed); if one is renamed, this script says which. For the
SQL statements inside a phase, run the same command under ``python -m cProfile -o FILE -m etl load ...``
and read the callers of ``_duckdb.execute``. This is not a test: it prints, it asserts nothing.
"""

from __future__ import annotations

import atexit
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

START = time.perf_counter()
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashboard.snapshot import cli as snapshot_cli  # noqa: E402 - what `python -m etl` imports, timed
from etl import intake  # noqa: E402
from etl.cli import main as cli_main  # noqa: E402
from etl.store import rollups  # noqa: E402

IMPORTED = time.perf_counter()
PHASES = {  # (module, function): what the report calls it
    (intake, "take_snapshot"): "private copy of each file",
    (intake, "safe_recognise"): "recognising each file",
    (intake, "stage_log"): "staging each log's rows",
    (intake, "validate_and_insert"): "checking and inserting",
    (intake, "retrying"): "transactions with COMMIT (+ places)",
    (intake, "_keep"): "keeping each file in the outbox",
    (intake, "refresh_places"): "countries and admin areas",
    (rollups, "refresh"): "monthly roll-ups",
    (intake, "_load_one"): "all files",
    (intake, "load_paths"): "the whole load (then the exit)",
}
seconds: dict[str, float] = defaultdict(float)


def clocked(function: Callable[..., Any], label: str) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            seconds[label] += time.perf_counter() - began
    return run


def report() -> None:
    print(f"\nimporting the command line   {IMPORTED - START:7.2f} s", file=sys.stderr)
    for label, spent in seconds.items():
        print(f"{label:<36} {spent:7.2f} s", file=sys.stderr)
    print(f"{'process, from start to exit':<36} {time.perf_counter() - START:7.2f} s", file=sys.stderr)


def main() -> int:
    for (module, name), label in PHASES.items():
        if not hasattr(module, name):
            raise SystemExit(f"{module.__name__} has no {name} any more: update PHASES in {__file__}")
        setattr(module, name, clocked(getattr(module, name), label))
    atexit.register(report)
    return cli_main.main(["load", *sys.argv[1:]], extra=(snapshot_cli.add_parser,))


if __name__ == "__main__":
    sys.exit(main())
