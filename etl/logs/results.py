"""What loading one file reports (:class:`LoadResult`), shared by the log loader and the feed loader.

:mod:`etl.logs.load` and :mod:`etl.feeds.load` both return these, and the CLI and the Data page
show them alike; they live here so that the feed loader does not import the log loader (which
routes feed files to it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from etl.logs.readers import SourceInfo

# progress(label, fraction done): what a loader reports while it works.
Progress = Callable[[str, float], None]


@dataclass
class LoadResult:
    """What happened to one file. ``ok`` is True when the file's rows are in the database."""

    path: Path
    status: str  # loaded | nothing_new | already_loaded | all_rejected | failed (| staged, while loading)
    load_id: int | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_duplicate: int = 0
    seconds: float = 0.0
    message: str = ""
    reasons: dict[str, int] = field(default_factory=dict)
    source: SourceInfo | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("loaded", "nothing_new", "already_loaded")


def already_loaded(con: duckdb.DuckDBPyConnection, path: Path, sha: str, seen: dict[str, Path],
                   started: float) -> LoadResult | None:
    """The "already loaded" result for a file whose content was loaded before or earlier in this command."""
    prior = con.execute("SELECT load_id, strftime(started_at, '%Y-%m-%d %H:%M UTC') FROM loads "
                        "WHERE content_sha256 = ? ORDER BY load_id LIMIT 1", [sha]).fetchone()
    if prior:
        return LoadResult(path, "already_loaded", prior[0], seconds=time.monotonic() - started,
                          message=f"{path.name}: already loaded as load {prior[0]} on {prior[1]}; nothing to do.")
    if sha in seen:
        return LoadResult(path, "already_loaded", seconds=time.monotonic() - started,
                          message=f"{path.name}: same content as {seen[sha].name} in this load; skipped.")
    return None
