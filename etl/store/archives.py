"""Refusing zip-based files (workbooks, zipped shapefiles) that would inflate past the limits, before parsing.

An ``.xlsx`` is a zip of XML; a sheet of 300 MB packs into about 1 MB and the workbook reader
then holds several times that in memory (1.7 GB for 300 MB). A file built that way ("zip bomb"),
uploaded in the browser or dropped into a folder of logs, would take the machine down. So before
any reader opens a zip-based file, :func:`check_archive`:

1. reads the zip's central directory (no inflating) and refuses the file when its members add up
   to more than ``unpacked_max_mb`` or one of them inflates more than ``unpacked_max_ratio`` times
   its packed size (members under 1 MB are not judged by their ratio: small text packs well);
2. inflates every member as a stream, counting bytes and keeping none, and applies the same limits
   to what comes out: the directory's sizes are written by whoever made the file and can lie.

The refusal is an :class:`InputFileError` naming the file, what is wrong and how to fix it (split
the file, or raise the setting for a file you trust). A file that is not a zip, or a damaged one,
is left to its reader, which says what is wrong with it. A file that passed is remembered (by
path, size and modification time) so the several readers of one load do not inflate it again.

>>> from etl.config import Settings
>>> check_archive(Path("etl/store/archives.py"), Settings())  # not a zip: nothing to check
"""

from __future__ import annotations

import copy
import functools
import os
import zipfile
import zlib
from pathlib import Path

from etl.config import Settings, get_settings
from etl.errors import InputFileError

MB = 1024 * 1024
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
RATIO_FLOOR = 1 * MB
"""Members that inflate to less than this are not judged by their ratio (small text packs very well)."""
CHUNK = 1 * MB
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def is_zip(path: Path) -> bool:
    """Whether the file starts like a zip archive (workbooks, zipped shapefiles), whatever its name."""
    try:
        with open(path, "rb") as fh:
            return fh.read(4) in ZIP_MAGIC
    except OSError:
        return False


def _mb(size: int) -> str:
    return f"{size / MB:,.0f} MB" if size >= 10 * MB else f"{size / MB:,.1f} MB"


def _hint(path: Path, setting: str) -> str:
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        split = "Split the workbook into smaller files (by period, or one sheet per file) and load them one by one"
    else:
        split = "Split the archive into smaller ones (one country or admin level per zip)"
    return f"{split}; if you trust this file, raise {setting}."


def _too_big(path: Path, total: int, limit_mb: int, note: str = "") -> InputFileError:
    return InputFileError(path, f"would unpack to {_mb(total)}{'+' if note else ''}, more than the {limit_mb:,} MB "
                          f"allowed (setting unpacked_max_mb){note}; it was not read.",
                          _hint(path, "ACCESS_UNPACKED_MAX_MB"))


def _too_packed(path: Path, member: str, size: int, packed: int, max_ratio: int, note: str = "") -> InputFileError:
    ratio = size / max(packed, 1)
    return InputFileError(path, f"'{member}' would unpack to {_mb(size)}{'+' if note else ''}, "
                          f"{'over ' if note else ''}{ratio:,.0f} times "
                          f"its packed size, more than the {max_ratio:,} times allowed (setting unpacked_max_ratio)"
                          f"{note}; files built to exhaust memory look like this, so it was not read.",
                          _hint(path, "ACCESS_UNPACKED_MAX_RATIO"))


def _judge_directory(path: Path, members: list[zipfile.ZipInfo], limit_mb: int, max_ratio: int) -> None:
    total = sum(m.file_size for m in members)
    for m in members:
        if m.file_size > RATIO_FLOOR and m.file_size > max_ratio * max(m.compress_size, 1):
            raise _too_packed(path, m.filename, m.file_size, m.compress_size, max_ratio)
    if total > limit_mb * MB:
        raise _too_big(path, total, limit_mb)


def _judge_inflated(path: Path, zf: zipfile.ZipFile, members: list[zipfile.ZipInfo], limit_mb: int,
                    max_ratio: int) -> None:
    limit = limit_mb * MB
    total = 0
    for m in members:
        # Read past what the directory claims: ZipExtFile stops at file_size, so it is set to the budget left.
        probe = copy.copy(m)
        probe.file_size = limit - total + 1
        size = 0
        with zf.open(probe) as fh:
            while chunk := fh.read(CHUNK):
                size += len(chunk)
                lied = "" if size <= m.file_size else (
                    f" (its zip directory says {m.file_size:,} bytes: the file is damaged or made to deceive)")
                if size > RATIO_FLOOR and size > max_ratio * max(m.compress_size, 1):
                    raise _too_packed(path, m.filename, size, m.compress_size, max_ratio, lied)
                if total + size > limit:
                    raise _too_big(path, total + size, limit_mb, lied)
        total += size


@functools.lru_cache(maxsize=64)
def _checked(path: str, size: int, mtime_ns: int, limit_mb: int, max_ratio: int) -> bool:
    file = Path(path)
    try:
        with zipfile.ZipFile(file) as zf:
            members = [m for m in zf.infolist() if not m.is_dir()]
            _judge_directory(file, members, limit_mb, max_ratio)
            _judge_inflated(file, zf, members, limit_mb, max_ratio)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError, OSError):
        return False  # damaged, encrypted or an unknown compression: its reader says what is wrong
    return True


def check_archive(path: Path, settings: Settings | None = None) -> None:
    """Refuse a zip-based file that would inflate past the limits; do nothing for any other file.

    :param path: the file about to be read (a workbook, a zipped shapefile, or anything else).
    :param settings: the limits (``unpacked_max_mb``, ``unpacked_max_ratio``); default the process settings.
    :raises InputFileError: naming the file, the member and the sizes, and how to go on.
    """
    if not is_zip(path):
        return
    settings = settings or get_settings()
    try:
        st = os.stat(path)
    except OSError:
        return
    _checked(str(path), st.st_size, st.st_mtime_ns, settings.unpacked_max_mb, settings.unpacked_max_ratio)
