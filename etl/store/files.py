"""Writing the small files kept beside the database: owner-only, and atomically when they are replaced.

Every file this project writes outside DuckDB (the users file, the counterpart decisions mirror,
the sealed audit log, an audit export, an uploaded log, the pseudonym salt) holds something only
its owner should read, so every one is created 0600 whatever the umask. Two ways to write:

* :func:`write_atomic` replaces a file whole: the bytes go to a temporary file beside it, are
  synced to disk, and the temporary file is renamed over the old one (``os.replace``), then the
  folder is synced so the rename survives a power cut. A reader, or a crash, sees the old file or
  the new one, never part of one.
* :func:`create_owner_only` writes a file that must not exist yet (``O_EXCL``), refusing a link
  planted at its path: for names chosen to be new (an upload) or made once (a secret).

The database file itself is copied and renamed by :mod:`etl.store.db`, which this module does
not replace.

>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> write_atomic(folder / "notes.txt", "first\\n")
>>> write_atomic(folder / "notes.txt", b"second\\n")
>>> (folder / "notes.txt").read_text(), oct((folder / "notes.txt").stat().st_mode & 0o777)
('second\\n', '0o600')
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

OWNER_ONLY = 0o600


def write_atomic(path: Path, data: bytes | str) -> None:
    """Replace ``path`` with ``data`` (text is written as UTF-8): owner-only, all or nothing.

    The folder must exist. On any error the temporary file is removed, the old file is left as
    it was, and the error (an ``OSError`` for disk and permission problems) is raised for the
    caller to explain.

    :param path: the file to write or replace.
    :param data: its whole new content.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # created 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, OWNER_ONLY)  # mkstemp makes it 0600 already; said again so no platform can widen it
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)


def create_owner_only(path: Path, data: bytes | str) -> None:
    """Write ``data`` to the new file ``path``, created 0600; ``FileExistsError`` if anything is there already.

    A symbolic link at ``path`` is refused too (``O_NOFOLLOW``), so nothing is ever written through one.

    :param path: a file that must not exist yet.
    :param data: its content (text is written as UTF-8).
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, OWNER_ONLY)
    with os.fdopen(fd, "wb") as fh:
        fh.write(payload)


def _sync_folder(folder: Path) -> None:
    """Flush a folder's entries (a rename just made in it) to disk."""
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
