"""Loading a log uploaded in the browser, through exactly the same ETL as the command line."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

from etl.config import DATA_DIR, REPO_ROOT, get_settings
from etl.errors import AccessDataError
from etl.load import LoadResult, load_paths

UPLOAD_DIR = DATA_DIR / "uploads"
LOG_FORMAT_DOC = REPO_ROOT / "docs" / "log-format.md"
DATA_MODEL_DOC = REPO_ROOT / "docs" / "data-model.md"


def safe_name(name: str) -> str:
    """A file name safe to write: no folders, no odd characters, the extension kept.

    >>> safe_name("../../etc/passwd.csv")
    'passwd.csv'
    """
    base = Path(name).name
    stem, suffix = Path(base).stem, Path(base).suffix.lower()
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._") or "upload"
    return f"{stem[:80]}{suffix}"


def load_upload(
    name: str, content: bytes, progress: Callable[[str, float], None] | None = None
) -> tuple[list[LoadResult], str | None]:
    """Keep a copy of the uploaded file (for provenance) and load it. Returns results and an error, if any."""
    UPLOAD_DIR.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = UPLOAD_DIR / f"{stamp}_{safe_name(name)}"
    path.write_bytes(content)
    path.chmod(0o600)
    try:
        return load_paths([path], get_settings().db, progress=progress), None
    except AccessDataError as err:
        return [], str(err)
