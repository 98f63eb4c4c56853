"""Loading a log uploaded in the browser, through exactly the same ETL as the command line.

The upload is written to ``uploads/`` beside the database (owner-only) because the readers work on
files. With a database key configured it is deleted as soon as its load is over, committed or not:
the database keeps its rows and its provenance (file name, SHA-256), and a plain copy of the log
must not outlive the load beside an encrypted database. Without a key it is kept, as before, for
provenance. Uploads larger than ``upload_max_mb`` are refused before anything is written.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from pathlib import Path

from etl.config import REPO_ROOT, Settings, get_settings
from etl.errors import AccessDataError
from etl.intake import LoadResult, load_paths
from etl.store.crypto import database_key
from etl.store.files import create_owner_only

LOG_FORMAT_DOC = REPO_ROOT / "docs" / "log-format.md"
DATA_MODEL_DOC = REPO_ROOT / "docs" / "data-model.md"
MB = 1024 * 1024
STALE_AFTER_S = 3600
"""With a key, uploads older than this (left by a crash mid-load, or kept from before the key) are deleted."""
DELETED = "The uploaded copy was deleted from the server (the database is encrypted); fix the file and upload it again."


def upload_dir(settings: Settings | None = None) -> Path:
    """``uploads/`` beside the database."""
    return (settings or get_settings()).db.parent / "uploads"


def safe_name(name: str) -> str:
    """A file name safe to write: no folders, no odd characters, the extension kept.

    >>> safe_name("../../etc/passwd.csv")
    'passwd.csv'
    """
    base = Path(name).name
    stem, suffix = Path(base).stem, Path(base).suffix.lower()
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._") or "upload"
    return f"{stem[:80]}{suffix}"


def too_large(name: str, size: int, settings: Settings | None = None) -> str | None:
    """The message refusing an upload over ``upload_max_mb``, or None when it is small enough.

    >>> too_large("log.csv", 3 * MB, Settings(upload_max_mb=2))
    'log.csv is 3.0 MB; uploads are limited to 2 MB (setting upload_max_mb). Split the log into smaller files, or load it on the server with `python -m etl load FILE`.'
    """
    limit = (settings or get_settings()).upload_max_mb
    if size <= limit * MB:
        return None
    return (f"{name} is {size / MB:,.1f} MB; uploads are limited to {limit:,} MB (setting upload_max_mb). "
            "Split the log into smaller files, or load it on the server with `python -m etl load FILE`.")


def _sweep(folder: Path, keep: Path) -> None:
    """Delete uploads left behind (a crash mid-load, or kept from before a key was set), except ``keep``."""
    cutoff = time.time() - STALE_AFTER_S
    for old in folder.iterdir():
        try:
            if old != keep and old.is_file() and old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            pass


def load_upload(
    name: str, content: bytes, progress: Callable[[str, float], None] | None = None
) -> tuple[list[LoadResult], str | None]:
    """Load an uploaded log (kept for provenance without a key, deleted after the load with one).

    Returns the results and an error, if any; every message says what to do.
    """
    settings = get_settings()
    refused = too_large(name, len(content), settings)
    if refused:
        return [], refused
    try:
        sealed = database_key(settings) is not None
    except AccessDataError as err:
        return [], str(err)
    folder = upload_dir(settings)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"{stamp}_{safe_name(name)}"
    try:
        create_owner_only(path, content)
        try:
            results = load_paths([path], settings.db, settings, progress=progress)
        finally:
            if sealed:
                path.unlink(missing_ok=True)
                _sweep(folder, path)
    except AccessDataError as err:
        return [], f"{err} {DELETED}" if sealed else str(err)
    except OSError as err:
        return [], f"Cannot keep the upload in {folder} ({err.strerror or err}). Check the disk is not full."
    if sealed:
        for r in results:
            if r.status == "failed":
                r.message = f"{r.message} {DELETED}"
    return results, None
