"""Send an office's loads to the warehouse: what the warehouse does not have yet, one load per transaction.

The office's database file says which loads it committed (``loads.content_sha256``); its outbox
(:mod:`etl.store.outbox`) holds the bytes of each; the warehouse says which of those keys it has.
The rest are loaded into the warehouse, oldest first, by the same loader as ``python -m etl load``
(:func:`etl.intake.load_paths`, one session), each file in its own warehouse transaction. So:

* the same load sent twice adds nothing: the warehouse has its key, so it is not sent again; and if
  another office sent the same file meanwhile, the loader recognises it ("already loaded");
* an interrupted sync (lost link, Ctrl+C, a killed process) leaves the loads it committed, whole, and
  nothing of the one in flight: the next sync asks again and sends the rest.

The warehouse re-reads each file with its own counterpart decisions and places; the rows it derives
are headquarters' reading of the office's file, with the warehouse's own ``load_id``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from etl.config import Settings
from etl.errors import ConfigError
from etl.intake import LoadResult, load_paths
from etl.store import outbox, warehouse
from etl.store.db import reading

# The office's own loads (not those it received from the warehouse, etl/sync/pull.py).
# The office's own loads of logs and feeds. Not its boundaries or gazetteers (`python -m etl boundaries`): they
# place the office's rows on its areas, and the warehouse keeps headquarters' own (a different layer is listed as
# a conflict by the way back, etl/sync/pull_boundaries.py), so they are not sent.
LOCAL_ONLY_FORMATS = ("boundaries", "gazetteer")
OFFICE_LOADS = ("SELECT load_id, content_sha256, file_name FROM loads WHERE content_sha256 IS NOT NULL "
                "AND pulled_from IS NULL AND NOT list_contains(?::VARCHAR[], file_format) ORDER BY load_id")
WAREHOUSE_KEYS = "SELECT DISTINCT content_sha256 FROM loads WHERE content_sha256 IS NOT NULL"


@dataclass
class Sent:
    """One load sent: the office's file, its size, and what the warehouse made of it.

    The loader runs on the office's machine: what crosses the link is the warehouse's catalog traffic and
    the Parquet files it writes (``bench/bench_sync.py`` measures both), not the file itself.
    """

    file_name: str
    office_load_id: int
    file_bytes: int
    result: LoadResult


@dataclass
class PushReport:
    """What a push did, for the command's output and its audit event."""

    sent: list[Sent] = field(default_factory=list)
    already_there: int = 0  # the office's loads the warehouse had before this push
    not_kept: list[tuple[int, str]] = field(default_factory=list)  # (office load_id, file name): no outbox entry

    @property
    def file_bytes(self) -> int:
        return sum(s.file_bytes for s in self.sent)

    @property
    def failed(self) -> list[Sent]:
        return [s for s in self.sent if not s.result.ok]


def warehouse_keys(target: Settings) -> set[str]:
    """The ``content_sha256`` of every load the warehouse holds."""
    with warehouse.reading(target) as con:
        return {r[0] for r in con.execute(WAREHOUSE_KEYS).fetchall()}


def office_loads(db_path: Path, settings: Settings) -> list[tuple[int, str, str]]:
    """(load_id, content_sha256, file name) of every load in the office's database file, oldest first."""
    with reading(db_path, settings=settings) as con:
        return [(int(a), str(b), str(c)) for a, b, c in con.execute(OFFICE_LOADS, [list(LOCAL_ONLY_FORMATS)]).fetchall()]


def push(db_path: Path, office: Settings, target: Settings,
         on_sent: Callable[[Sent], None] | None = None) -> PushReport:
    """Send the office's loads that the warehouse lacks; what was sent and what could not be.

    :param office: the office's settings (its database key opens the outbox when sealed).
    :param target: settings naming the warehouse (``warehouse`` and ``warehouse_data``).
    :param on_sent: called after each load is committed in the warehouse (the command prints it at once).
    """
    have = warehouse_keys(target)
    kept = outbox.entries(db_path, office)
    report = PushReport()
    todo: list[outbox.Entry] = []
    for load_id, sha, name in office_loads(db_path, office):
        if sha in have:
            report.already_there += 1
        elif sha in kept:
            todo.append(kept[sha])
            have.add(sha)  # the same content loaded twice at the office (a corrected mapping...) goes once
        else:
            report.not_kept.append((load_id, name))
    # One warehouse session per run of entries read alike (the same --encoding and --decimal): attaching the
    # warehouse costs about half a megabyte of catalog reading (bench/bench_sync.py). Each file is still
    # committed in its own transaction, oldest first, and reported as soon as it is.
    for group in _runs(todo):
        with contextlib.ExitStack() as stack:
            paths: dict[Path, outbox.Entry] = {}
            for entry in group:
                try:
                    paths[stack.enter_context(outbox.opened(entry, office))] = entry
                except ConfigError as err:  # a damaged entry, or sealed with another key: said; the others go
                    _record(report, entry, LoadResult(Path(entry.file_name), "failed", message=str(err)), on_sent)
            if not paths:
                continue

            def sent(result: LoadResult, _paths: dict[Path, outbox.Entry] = paths) -> None:
                _record(report, _paths[result.path], result, on_sent)

            load_paths(list(paths), target.db, settings=target, encoding=group[0].encoding,
                       decimal=group[0].decimal, places=False, on_result=sent)
    return report


def _runs(entries: list[outbox.Entry]) -> list[list[outbox.Entry]]:
    """Consecutive entries read with the same options, in order."""
    runs: list[list[outbox.Entry]] = []
    for entry in entries:
        if runs and (runs[-1][0].encoding, runs[-1][0].decimal) == (entry.encoding, entry.decimal):
            runs[-1].append(entry)
        else:
            runs.append([entry])
    return runs


def _record(report: PushReport, entry: outbox.Entry, result: LoadResult,
            on_sent: Callable[[Sent], None] | None) -> None:
    result.path = Path(entry.file_name)
    sent = Sent(entry.file_name, entry.load_id, entry.size, result)
    report.sent.append(sent)
    if on_sent:
        on_sent(sent)
