"""Every file a command brings in, log or public feed, loaded in one write session, one file at a time.

One command loads one or more files inside a single write session (see :mod:`etl.store.db`): the
live database only changes when the whole command has finished, and not at all when no file
committed. Before the database's writer lock is taken, every path is checked to be a regular file
(:func:`etl.store.snapshots.file_problem`: a named pipe or a device is refused, never opened).
Then, file after file: a private copy is taken and hashed (:mod:`etl.store.snapshots`: what is
parsed is what is recorded, even if the file changes meanwhile), recognised (a public incident
feed by :func:`etl.feeds.registry.detect_feed`, anything else is a negotiation log), staged, and
inserted in its own transaction; its staged rows and its copy are dropped before the next file is
read, so a folder of 2,000 small exports needs no more memory than one file of the same rows.

A file that cannot be read, or whose rows the database refuses, leaves no trace while the other
files load; each result says which files committed and which did not, and why. Within a log, bad
rows go to ``rejected_rows`` with their reasons and the good rows load (:mod:`etl.logs.load`).
No input ends in a traceback: an error the loader did not foresee becomes that file's refusal,
naming it (:data:`UNEXPECTED`).
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import duckdb

from etl.config import Settings, get_settings
from etl.counterparts import decisions, mirror, refresh
from etl.errors import AccessDataError, short_name
from etl.feeds.conflict_base import ParsedConflict
from etl.feeds.conflict_load import load_conflict
from etl.feeds.load import StagedFeed, load_feed, stage_feed
from etl.feeds.registry import FEED_COLUMN_NAMES, safe_recognise
from etl.geo.refresh import refresh_places
from etl.logs.load import stage_log, validate_and_insert
from etl.logs.mapping import find_mapping_file
from etl.logs.readers import SUPPORTED
from etl.logs.results import LoadResult, Progress
from etl.store import outbox, rollups, warehouse
from etl.store.archives import check_archive
from etl.store.db import Discard
from etl.store.loads import retrying, transaction, write_session
from etl.store.migrations.runner import remove_backups
from etl.store.snapshots import file_problem, take_snapshot

__all__ = ["UNEXPECTED", "LoadResult", "Progress", "expand_paths", "load_paths", "refresh_places"]

LOG_FORMATS = {"csv", "xlsx", "json"}


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files to load: files as given, folders expanded to their supported files (sorted, recursive).

    In a folder, anything with a log's extension that is not a folder is listed, so that a named
    pipe or a broken link called ``x.csv`` is reported as not loaded rather than silently skipped.
    """
    out: list[Path] = []
    for path in paths:
        if _is_dir(path):
            # Hidden files, Excel lock files (~$) and files starting with '_' (notes, manifests) are skipped.
            out.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in SUPPORTED
                              and not p.name.startswith((".", "~$", "_")) and not _is_dir(p)))
        else:
            out.append(path)
    return out


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # a name too long for the file system...: load_paths says what is wrong with it
        return False


def load_paths(
    paths: Sequence[Path],
    db_path: Path | None = None,
    settings: Settings | None = None,
    progress: Progress | None = None,
    encoding: str | None = None,
    decimal: str | None = None,
    places: bool = True,
    on_result: Callable[[LoadResult], None] | None = None,
) -> list[LoadResult]:
    """Load files and folders into the database at ``db_path``; one result per file, in order.

    Each file is copied, read and inserted in its own transaction, one after the other; the new
    database version is published once, at the end, if any file committed. A file that cannot be
    read (or is not a file) is reported and changes nothing. If the database itself fails, nothing
    at all is written and :class:`DatabaseError` says so.

    >>> results = load_paths([Path("logs/")], Path("data/access.duckdb"))  # doctest: +SKIP

    :param encoding: the text encoding of every CSV log (``--encoding``); default: each file's, detected.
    :param decimal: the decimal separator of every log, "." or "," (``--decimal``); default: each file's
        mapping file, else what its values show (see :mod:`etl.logs.numbers`).
    :param places: refresh the countries and bundled admin areas first (``sync`` does not: the warehouse's
        reference rows are written by ``warehouse init``, not by each office).
    :param on_result: called with each file's result as soon as it is committed or refused (``sync`` prints it).

    On the database file, every committed file is also kept in the outbox (:mod:`etl.store.outbox`).
    """
    settings = settings or get_settings()
    db_path = db_path or settings.db
    files = expand_paths(paths)
    results: list[LoadResult] = [LoadResult(path, "failed") for path in files]
    todo: list[int] = []
    for i, path in enumerate(files):  # before the writer lock: a FIFO or a device is never opened
        problem = file_problem(path)
        if problem:
            results[i].message = str(problem)
        else:
            todo.append(i)
    if not todo:
        return results
    published = False
    copies_beside = None if warehouse.enabled(settings) else db_path  # the warehouse: a private temporary folder
    with write_session(db_path, settings, in_warehouse=True) as con, _copies_folder(copies_beside) as copies:
        if places:
            retrying(lambda: refresh_places(con, settings))
        # A database rebuilt from the logs gets its counterpart decisions back before any name is mapped (the
        # warehouse keeps its decisions in its own catalog: no mirror file).
        if not warehouse.enabled(settings):
            decisions.import_mirror(con, mirror.mirror_path(db_path, settings), settings)
        seen: dict[str, Path] = {}
        for n, i in enumerate(todo):
            def step(label: str, fraction: float, _n: int = n, _name: str = short_name(files[i].name)) -> None:
                if progress:
                    progress(f"{_name}: {label}", (_n + fraction) / len(todo))

            results[i] = _load_one(con, files[i], i, copies / str(i), seen, settings, encoding, decimal, step,
                                   None if warehouse.enabled(settings) else db_path)
            if on_result:
                on_result(results[i])
        if not warehouse.enabled(settings) and any(
                r.load_id is not None and r.status != "already_loaded" and r.source is not None
                and r.source.file_format in LOG_FORMATS for r in results):  # feeds touch no counterpart
            with transaction(con, "the counterpart totals"):
                _refresh_counts(con)
        if not any(r.load_id is not None and r.status != "already_loaded" for r in results):
            raise Discard  # nothing committed: keep the live file exactly as it was (same inode, same bytes)
        if progress:
            progress("publishing the new database version", 1.0)
        published = True
    if published and not warehouse.enabled(settings):  # the file an upgrade kept (<db>.before-upgrade-N) is no
        remove_backups(db_path)  # longer needed; a load into the warehouse (or a sync) published nothing to it
    return results


def _refresh_counts(con: duckdb.DuckDBPyConnection) -> None:
    """When each counterpart touched so far was first and last met, how often, and who controls each checkpoint.

    On the database file, once at the end of the command (it is published whole); in the warehouse, in
    each log's own transaction, so that a load stopped between two files leaves no counterpart behind.
    """
    con.execute(refresh.REFRESH_COUNTERPARTS)
    con.execute(refresh.REFRESH_CHECKPOINTS)


UNEXPECTED = "the loader met a problem it does not know how to explain"
"""Said (with the error's type and first line) when reading a file fails in a way no reader foresaw."""


def _load_one(con: duckdb.DuckDBPyConnection, path: Path, index: int, folder: Path, seen: dict[str, Path],
              settings: Settings, encoding: str | None, decimal: str | None, step: Progress,
              outbox_of: Path | None = None) -> LoadResult:
    """Copy, recognise, stage and insert one file in its own transaction; its result, never an exception.

    Only a failure of the database itself (:class:`DatabaseError` outside this file's rows, or an
    interruption) goes up, ending the whole command with nothing written.
    """
    started = time.monotonic()
    name = short_name(path.name)
    step("reading", 0.0)
    try:
        snap = take_snapshot(path, folder)
        check_archive(snap.copy, settings)  # a workbook that would inflate past the limits is never opened
        # Public feeds (AWSD, Insecurity Insight, ACLED, HDX HAPI) are recognised by their documented columns
        # (a mapping file beside the original counts) and go to etl.feeds; a file that looks like a feed but
        # lacks its required columns is refused with the feed's own advice, never read as a negotiation log.
        recognition = safe_recognise(snap.copy, origin=path)
        if recognition.feed is None and recognition.near is not None:
            return LoadResult(path, "failed", seconds=time.monotonic() - started, message=str(recognition.refusal()))
        feed = recognition.feed.name if recognition.feed else None
        staged = (stage_feed(con, snap, index, feed, seen, settings) if feed
                  else stage_log(con, snap, index, encoding, seen, decimal))
        if isinstance(staged, LoadResult):
            return staged
        def write() -> LoadResult:
            with transaction(con, f"the rows of {name}", outcome="nothing from this file was written"):
                if isinstance(staged, StagedFeed):
                    loader = load_conflict if isinstance(staged.parsed, ParsedConflict) else load_feed
                    return loader(con, staged, settings, step)
                result = validate_and_insert(con, staged.path, staged.sha, staged.info, staged.file_bytes,
                                             settings, step, staged.started_at)
                if warehouse.enabled(settings):  # each file is published by its own commit: its totals with it
                    _refresh_counts(con)
                    rollups.refresh(con)  # and the monthly counts (on a file: when the copy is published)
                return result

        try:  # in the warehouse, run again when another load committed first (never on the database file)
            result = retrying(write)
        except Exception as err:  # rolled back: this file left no trace
            seen.pop(staged.sha, None)  # an identical file later in the command may still load
            if not con_alive(con):
                raise
            return LoadResult(path, "failed", seconds=time.monotonic() - started,
                              message=str(err) if isinstance(err, AccessDataError) else _unexpected(name, err))
        result.seconds = time.monotonic() - started
        if outbox_of is not None and result.load_id is not None and result.status != "already_loaded":
            _keep(outbox_of, staged.sha, snap.copy, path, feed is not None, result, encoding, decimal, settings)
        return result
    except AccessDataError as err:
        return LoadResult(path, "failed", seconds=time.monotonic() - started, message=str(err))
    except Exception as exc:  # noqa: BLE001 - never a traceback: the file is refused, named, with what went wrong
        return LoadResult(path, "failed", seconds=time.monotonic() - started, message=_unexpected(name, exc))
    finally:
        _drop_staged(con)
        shutil.rmtree(folder, ignore_errors=True)


def _keep(db_path: Path, sha: str, copy: Path, path: Path, is_feed: bool, result: LoadResult, encoding: str | None,
          decimal: str | None, settings: Settings) -> None:
    """Put a committed file in the outbox; when that fails, the load stands and its result says so."""
    try:
        mapping = find_mapping_file(path, FEED_COLUMN_NAMES if is_feed else ())
        outbox.keep(db_path, sha, copy, mapping, load_id=result.load_id or 0, encoding=encoding, decimal=decimal,
                    settings=settings)
    except (OSError, AccessDataError) as err:
        note = (f"not kept in the outbox ({err}): `python -m etl sync` cannot send it; load the file at the "
                "warehouse instead.")
        result.message = f"{result.message} {note}".strip()


def _drop_staged(con: duckdb.DuckDBPyConnection) -> None:
    """Drop a log's staged rows, after its transaction (they may be in the scratch database, which the
    transaction cannot write): the next file's rows take their memory and scratch space."""
    with contextlib.suppress(duckdb.Error):  # a database that stopped answering is reported by the caller
        con.execute("DROP TABLE IF EXISTS stage_raw")


def _unexpected(name: str, exc: BaseException) -> str:
    first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return (f"{name}: not loaded: {UNEXPECTED} ({type(exc).__name__}{': ' + first if first else ''}). Nothing from "
            "this file was written. Check the file opens in a spreadsheet, export it again as CSV UTF-8 or XLSX, "
            "and report this with the file if it happens again.")


def con_alive(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the database still answers (after a refused file, before going on with the next)."""
    try:
        con.execute("SELECT 1").fetchall()
    except duckdb.Error:
        return False
    return True


@contextlib.contextmanager
def _copies_folder(db_path: Path | None) -> Iterator[Path]:
    """A private folder beside the database (or in the temporary folder) for the copies of the files being read
    (removed at the end)."""
    folder = Path(tempfile.mkdtemp(prefix=f".{db_path.name}.reading-" if db_path else "access-reading-",
                                   dir=db_path.parent if db_path else None))  # 0700
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
