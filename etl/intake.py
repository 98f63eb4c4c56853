"""Every file a command brings in, log or public feed, loaded in one write session.

One command loads one or more files inside a single write session (see :mod:`etl.store.db`): the
live database only changes when the whole command has finished. Each file is recognised (a public
incident feed by :func:`etl.feeds.registry.recognise`, anything else is a negotiation log) and
staged; then all of them are inserted in one transaction, so a file that cannot be read at all
leaves no trace while the other files load. Within a log, bad rows go to ``rejected_rows`` with
their reasons and the good rows load (:mod:`etl.logs.load`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from etl.config import Settings, get_settings
from etl.counterparts import decisions, mirror, refresh
from etl.errors import InputFileError
from etl.feeds.conflict_base import ParsedConflict
from etl.feeds.conflict_load import load_conflict
from etl.feeds.load import StagedFeed, load_feed, stage_feed
from etl.feeds.registry import safe_recognise
from etl.geo.refresh import refresh_geography
from etl.logs.load import StagedLog, stage_log, validate_and_insert
from etl.logs.readers import SUPPORTED
from etl.logs.results import LoadResult, Progress
from etl.store.archives import check_archive
from etl.store.db import Discard
from etl.store.loads import transaction, write_session
from etl.store.migrations.runner import remove_backups

__all__ = ["LoadResult", "Progress", "expand_paths", "load_paths"]


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files to load: files as given, folders expanded to their supported files (sorted, recursive)."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            # Hidden files, Excel lock files (~$) and files starting with '_' (notes, manifests) are skipped.
            out.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED
                              and not p.name.startswith((".", "~$", "_"))))
        else:
            out.append(path)
    return out


def load_paths(
    paths: Sequence[Path],
    db_path: Path | None = None,
    settings: Settings | None = None,
    progress: Progress | None = None,
    encoding: str | None = None,
    decimal: str | None = None,
) -> list[LoadResult]:
    """Load files and folders into the database at ``db_path``; one result per file.

    Every readable file is first staged in its own temp table (a file that cannot be read is
    reported and changes nothing); then all of them are validated and inserted in one
    transaction, published at the end. If the database itself fails half-way, nothing at all is
    written and :class:`DatabaseError` says so.

    >>> results = load_paths([Path("logs/")], Path("data/access.duckdb"))  # doctest: +SKIP

    :param encoding: the text encoding of every CSV log (``--encoding``); default: each file's, detected.
    :param decimal: the decimal separator of every log, "." or "," (``--decimal``); default: each file's
        mapping file, else what its values show (see :mod:`etl.logs.numbers`).
    """
    settings = settings or get_settings()
    db_path = db_path or settings.db
    files = expand_paths(paths)
    results: list[LoadResult] = []
    published = False
    with write_session(db_path, settings) as con:
        refresh_geography(con, settings)
        # A database rebuilt from the logs gets its counterpart decisions back before any name is mapped.
        decisions.import_mirror(con, mirror.mirror_path(db_path, settings), settings)
        staged: list[StagedLog | StagedFeed] = []
        seen: dict[str, Path] = {}
        for i, path in enumerate(files):
            if progress:
                progress(f"{path.name}: reading", 0.3 * i / max(len(files), 1))
            try:
                check_archive(path, settings)  # a workbook that would inflate past the limits is never opened
            except InputFileError as err:
                results.append(LoadResult(path, "failed", message=str(err)))
                continue
            # Public incident feeds (AWSD, Insecurity Insight...) are recognised by their documented columns
            # and go to etl.feeds.load; a file that looks like a feed but lacks its required columns is
            # refused with the feed's own advice, never read as a negotiation log.
            recognition = safe_recognise(path) if path.is_file() else None
            if recognition is not None and recognition.feed is None and recognition.near is not None:
                results.append(LoadResult(path, "failed", message=str(recognition.refusal())))
                continue
            feed = recognition.feed.name if recognition is not None and recognition.feed else None
            outcome = (stage_feed(con, path, i, feed, seen, settings) if feed
                       else stage_log(con, path, i, encoding, seen, decimal))
            if isinstance(outcome, LoadResult):
                results.append(outcome)
            else:
                staged.append(outcome)
                results.append(LoadResult(path, "staged"))
        if staged:
            with transaction(con, "the load"):
                for n, st in enumerate(staged):
                    def step(label: str, fraction: float, _n: int = n, _name: str = st.path.name) -> None:
                        if progress:
                            progress(f"{_name}: {label}", 0.3 + 0.7 * (_n + fraction) / len(staged))

                    if isinstance(st, StagedFeed):
                        loader = load_conflict if isinstance(st.parsed, ParsedConflict) else load_feed
                        result = loader(con, st, settings, step)
                        result.seconds = time.monotonic() - st.started
                        results[st.index] = result
                        continue
                    con.execute(f"ALTER TABLE {st.table} RENAME TO stage_raw")  # noqa: S608 - generated name
                    result = validate_and_insert(con, st.path, st.sha, st.info, settings, step, st.started_at)
                    con.execute("DROP TABLE stage_raw")
                    result.seconds = time.monotonic() - st.started
                    results[st.index] = result
                if any(isinstance(st, StagedLog) for st in staged):  # feeds touch no counterpart
                    con.execute(refresh.REFRESH_COUNTERPARTS)
                    con.execute(refresh.REFRESH_CHECKPOINTS)
        if not any(r.load_id is not None and r.status != "already_loaded" for r in results):
            raise Discard  # nothing committed: keep the live file exactly as it was (same inode, same bytes)
        if progress:
            progress("publishing the new database version", 1.0)
        published = True
    if published:  # the file an upgrade kept (<db>.before-upgrade-N) is no longer needed
        remove_backups(db_path)
    return results
