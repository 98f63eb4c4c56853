"""Refusing zip-based files (workbooks, zipped shapefiles) that would inflate past the limits, before parsing.

An ``.xlsx`` is a zip of XML; a sheet of 300 MB packs into about 1 MB and the workbook reader
then holds several times that in memory (1.7 GB for 300 MB). A file built that way ("zip bomb"),
uploaded in the browser or dropped into a folder of logs, would take the machine down. So before
any reader opens a zip-based file, :func:`check_archive`:

1. reads the zip's central directory (no inflating) and refuses the file when its members add up
   to more than ``unpacked_max_mb`` or one of them inflates more than ``unpacked_max_ratio`` times
   its packed size (members under 1 MB are not judged by their ratio: small text packs well);
2. inflates every member as a stream, counting bytes and keeping none, and applies the same limits
   to what comes out: the directory's sizes are written by whoever made the file and can lie;
3. while inflating, reads the cell references of each sheet and the string count a workbook
   declares: the workbook reader allocates the whole grid from A1 to the farthest cell, and
   reserves room for every declared string, before reading a value. One cell at XFD1048576 is a
   grid of 17 billion cells; a declared count of 4 billion strings is 96 GB; either kills the
   process outright (no error to catch). A grid or a count beyond :func:`max_cells` is refused.

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
import re
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
CELL_BYTES = 16
"""One cell of a sheet held by the workbook reader costs at least this much memory."""
# Searched after _SAME_SPACE and quotes are made uniform: a pattern starting with plain text is searched fast.
_SAME_SPACE = bytes.maketrans(b"\t\n\r'", b'   "')
_COLUMN_REF = re.compile(rb' r="([A-Za-z]+)[0-9]')  # a cell: r="AB12"
_ROW_REF = re.compile(rb' r="[A-Za-z]*([0-9]+)"')  # a cell or a row: r="AB12", r="12"
_STRING_COUNT = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?sst\b[^>]*?\buniqueCount="([0-9]+)"')


def max_cells(unpacked_max_mb: int) -> int:
    """The largest sheet grid (rows x columns from A1) or string count a workbook may have.

    As many cells as the ``unpacked_max_mb`` budget holds at :data:`CELL_BYTES` each: 13 million
    under the default 200 MB; a full sheet that large would not fit in the budget's XML anyway.

    >>> f"{max_cells(200):,}"
    '13,107,200'
    """
    return unpacked_max_mb * MB // CELL_BYTES


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def _column_letters(n: int) -> str:
    out = ""
    while n > 0:
        n, rest = divmod(n - 1, 26)
        out = chr(65 + rest) + out
    return out or "A"


class _Grid:
    """The farthest row and column referenced in one member, read chunk by chunk as it is inflated."""

    def __init__(self, path: Path, member: str, limit: int) -> None:
        self.path, self.member, self.limit = path, member, limit
        self.rows = self.cols = 0
        self.tail = b""
        self.first = True  # the string count is in the first tag

    def feed(self, chunk: bytes) -> None:
        # The end of each chunk is read again with the next one, so a reference cut in two is seen whole
        # (a cut one reads as a nearer cell: it never raises the extent).
        data = (self.tail + chunk).translate(_SAME_SPACE)
        self.tail = data[-64:]
        if self.first:
            self.first = False
            if (m := _STRING_COUNT.search(data)) and int(m.group(1)) > self.limit:
                raise InputFileError(self.path, f"its shared-string table ('{self.member}') declares "
                                     f"{int(m.group(1)):,} strings, more than the {self.limit:,} the limits allow "
                                     "(setting unpacked_max_mb); the workbook reader would reserve memory for all of "
                                     "them. The file is damaged or built to exhaust memory; it was not read.",
                                     "Open it in Excel and save it again as .xlsx, or export the sheet as CSV.")
        cols = set(_COLUMN_REF.findall(data))
        if cols:
            self.cols = max(self.cols, *map(_column_number, cols))
        rows = set(_ROW_REF.findall(data))
        if rows:
            self.rows = max(self.rows, *map(int, rows))
        if self.rows * max(self.cols, 1) > self.limit:
            cells = self.rows * max(self.cols, 1)
            raise InputFileError(
                self.path, f"'{self.member}' reaches cell {_column_letters(self.cols)}{self.rows} (row {self.rows:,}, "
                f"column {max(self.cols, 1):,}): the workbook reader would hold a grid of {cells:,} cells from A1, "
                f"more than the {self.limit:,} the limits allow (setting unpacked_max_mb); it was not read.",
                "Delete the rows and columns beyond the table (in Excel, Ctrl+End shows the last cell used), "
                "save, and load it again; or export the sheet as CSV.")


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
        grid = _Grid(path, m.filename, max_cells(limit_mb)) if m.filename.lower().endswith(".xml") else None
        with zf.open(probe) as fh:
            while chunk := fh.read(CHUNK):
                size += len(chunk)
                if grid is not None:
                    grid.feed(chunk)
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
