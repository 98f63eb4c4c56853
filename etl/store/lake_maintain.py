"""Keeping the warehouse's data folder small and fast: DuckLake's own maintenance, with a safety margin.

Every load, decision and boundaries file commits a DuckLake *snapshot* and writes its own small Parquet
files; nothing is ever rewritten in place, and nothing is deleted (older snapshots stay readable). Over
months that is many small files and data nobody can reach any more. ``python -m etl warehouse maintain``
runs, in DuckLake's recommended order (the order of its ``CHECKPOINT`` statement):

1. ``ducklake_flush_inlined_data``: rows kept in the catalog (a warehouse created unencrypted may inline
   small inserts) written out to Parquet;
2. ``ducklake_expire_snapshots(older_than)``: snapshots older than the margin forgotten (the latest is
   always kept, whatever its age);
3. ``ducklake_merge_adjacent_files``: the small files of each table merged into larger ones;
4. ``ducklake_rewrite_data_files``: files with many deleted rows rewritten without them (the roll-ups and
   the counterparts are rewritten by every load);
5. ``ducklake_cleanup_old_files(older_than)``: files no snapshot needs any more, scheduled for deletion
   more than the margin ago, deleted from the folder;
6. ``ducklake_delete_orphaned_files(older_than)``: files in the folder that the catalog does not know
   (left by a loader killed before its commit), older than the margin, deleted.

**The margin** (``--older-than``, default :data:`DEFAULT_DAYS` days) is what keeps readers safe. A
dashboard reader is pinned to a snapshot (:mod:`etl.store.lake_read`) and moves to a newer one within
2 seconds of a commit; a file a merge replaced is only deleted once it was scheduled for deletion more
than the margin ago, and a file not yet in the catalog (a load writing it right now) only once it is
older than the margin. So no reader or loader running for less than the margin ever loses a file.
Each step commits on its own (DuckLake refuses these calls inside a transaction that also takes the
commit token), and is run again when a load committed first (:func:`etl.store.loads.retrying`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from etl.config import Settings
from etl.errors import DatabaseError, InputFileError
from etl.store import warehouse
from etl.store.db import ALIAS
from etl.store.loads import retrying

DEFAULT_DAYS = 7.0
# Live data files of the warehouse's tables (files of expired snapshots have an end snapshot).
LIVE_FILES = f"SELECT count(*) FROM __ducklake_metadata_{ALIAS}.ducklake_data_file WHERE end_snapshot IS NULL"  # noqa: S608

# Each step: its name for the report, its call (older_than, when it takes one, is the bound $1), and the column
# of its result to add up for the report (None: its rows are counted: one per snapshot or per file).
STEPS = (
    ("rows written out of the catalog", f"CALL ducklake_flush_inlined_data('{ALIAS}')", False, "rows_flushed"),
    ("snapshots expired", f"CALL ducklake_expire_snapshots('{ALIAS}', older_than => $1)", True, None),
    ("small files merged", f"CALL ducklake_merge_adjacent_files('{ALIAS}')", False, "files_processed"),
    ("files rewritten without their deleted rows", f"CALL ducklake_rewrite_data_files('{ALIAS}')", False,
     "files_processed"),
    ("old files deleted", f"CALL ducklake_cleanup_old_files('{ALIAS}', older_than => $1)", True, None),
    ("orphaned files deleted", f"CALL ducklake_delete_orphaned_files('{ALIAS}', older_than => $1)", True, None),
)


@dataclass
class Maintained:
    """What :func:`maintain` did: rows each step reported, and the live data files before and after."""

    days: float
    files_before: int
    files_after: int = 0
    steps: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = [f"Data files in use: {self.files_before:,} before, {self.files_after:,} after."]
        out += [f"  {name}: {n:,}" for name, n in self.steps.items()]
        out.append(f"Files and snapshots younger than {self.days:g} day(s) were kept (readers and loads may use them).")
        return out


def check_days(days: float) -> float:
    """The margin in days: not negative, and not absurd."""
    if not 0 <= days <= 3650:
        raise InputFileError("--older-than", f"{days:g} is not a number of days between 0 and 3650.",
                             f"Give the margin in days, e.g. --older-than {DEFAULT_DAYS:g} (the default).")
    return days


def maintain(settings: Settings, days: float = DEFAULT_DAYS) -> Maintained:
    """Run DuckLake's maintenance on the warehouse, keeping what is younger than ``days`` (see the module)."""
    check_days(days)
    with warehouse.writing(settings) as con:
        done = Maintained(days, _count(con, LIVE_FILES))
        older_than = con.execute("SELECT now() - to_microseconds(?::BIGINT)",
                                 [int(days * 86_400 * 1_000_000)]).fetchone()[0]  # type: ignore[index]
        for name, call, dated, summed in STEPS:
            def step(name: str = name, call: str = call, dated: bool = dated, summed: str | None = summed) -> int:
                try:
                    cursor = con.execute(call, [older_than] if dated else [])
                    columns = [d[0] for d in cursor.description or ()]
                    rows = cursor.fetchall()
                except duckdb.Error as exc:  # a conflict (a load committed meanwhile) is run again by retrying
                    first = str(exc).strip().splitlines()[0][:300]
                    raise DatabaseError(f"The warehouse refused the maintenance ({name}: {first}); the earlier "
                                        "steps stand.", "Run the same command again later.") from exc
                if summed in columns:
                    return sum(int(r[columns.index(summed)] or 0) for r in rows)
                return len(rows)
            done.steps[name] = retrying(step)
        done.files_after = _count(con, LIVE_FILES)
    return done


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0
