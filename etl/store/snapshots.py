"""What a load reads: regular files only, each copied once, privately, and hashed as it is copied.

A load reads a file several times (its kind, its header, its rows) and records its SHA-256 in
``loads``. Reading the path each time would let a file that is replaced, appended to or deleted
while the load runs give rows from one version and a hash of another, or fail half-way. So each
file is copied once into a private folder beside the database (created owner-only, removed when
the load ends), its hash computed from the bytes as they are copied, and the readers parse that
copy, which nobody else writes: what is recorded is what was loaded.

Only regular files are read (symbolic links to them too). A named pipe (FIFO) would make the
loader wait forever for a writer, a device such as ``/dev/zero`` never ends, and a folder or a
socket is not a file at all: :func:`file_problem` says so *before* the load takes the database's
writer lock, from the file's metadata alone (``os.stat``, nothing opened), and :func:`take_snapshot`
checks again on the open file (a FIFO put in its place since is not waited for).

>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> (folder / "log.csv").write_text("date,counterpart\\n")
17
>>> file_problem(folder / "log.csv") is None, str(file_problem(folder)).split(": ", 1)[1]
(True, 'is a folder, not a file. Load a log exported as CSV, XLSX or JSON.')
>>> snap = take_snapshot(folder / "log.csv", folder / "copies")
>>> snap.copy.name, snap.size, snap.sha256[:12]
('log.csv', 17, '096cce79f087')
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from etl.errors import InputFileError

CHUNK = 1 << 20
_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a disk device"))
_LOAD_A_FILE = "Load a log exported as CSV, XLSX or JSON."


@dataclass(frozen=True)
class Snapshot:
    """A file as the load read it: where it was, the private copy parsed, the hash and size of its bytes."""

    path: Path
    copy: Path
    sha256: str
    size: int


def _not_regular(path: Path, mode: int) -> InputFileError | None:
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    return InputFileError(path, f"is {kind}, not a file.", _LOAD_A_FILE)


def _os_problem(path: Path, exc: OSError) -> InputFileError:
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return InputFileError(path, "file not found (moved or deleted before it was read).", "Check the path.")
    if exc.errno == errno.ENAMETOOLONG:
        return InputFileError(path, "the file name (or its path) is too long for the file system.",
                              "Rename the file to a shorter name, or move it to a shorter folder path.")
    if exc.errno == errno.ELOOP:
        return InputFileError(path, "is a symbolic link that points back to itself.", "Load the file it should point to.")
    if exc.errno == errno.ENOSPC:
        return InputFileError(path, "cannot be copied for loading: the disk beside the database is full.",
                              "Free some space and load again.")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return InputFileError(path, "cannot be read: permission denied.", "Check the file's permissions.")
    return InputFileError(path, f"cannot be read ({exc.strerror or exc}).", "Copy the file to a local folder and load the copy.")


def file_problem(path: Path) -> InputFileError | None:
    """Why ``path`` cannot be loaded as a file, from its metadata only (never opened); None when it can.

    :param path: a file as given (a symbolic link is followed).
    """
    try:
        st = os.stat(path)
    except OSError as exc:
        return _os_problem(path, exc)
    return _not_regular(path, st.st_mode)


def take_snapshot(path: Path, folder: Path) -> Snapshot:
    """Copy ``path`` to ``folder/<its name>`` (owner-only), hashing the bytes as they are copied.

    The copy keeps the file's name, so what the readers say about the copy names the file.

    :param path: the file to load.
    :param folder: a new private folder for this one copy (created here, 0700).
    :raises InputFileError: the file is gone, unreadable, or not a regular file any more.
    """
    try:
        # O_NONBLOCK: opening a FIFO that replaced the file since file_problem() must not wait for a writer.
        src = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise _os_problem(path, exc) from None
    try:
        problem = _not_regular(path, os.fstat(src).st_mode)
        if problem:
            raise problem
        os.set_blocking(src, True)
        folder.mkdir(mode=0o700, parents=True, exist_ok=False)
        copy = folder / path.name
        digest = hashlib.sha256()
        size = 0
        dst = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            while chunk := os.read(src, CHUNK):
                digest.update(chunk)
                size += len(chunk)
                view = memoryview(chunk)
                while view:
                    view = view[os.write(dst, view):]
        finally:
            os.close(dst)
    except InputFileError:
        raise
    except OSError as exc:
        raise _os_problem(path, exc) from None
    finally:
        os.close(src)
    return Snapshot(path, copy, digest.hexdigest(), size)
