"""An office's outbox: every file a load committed into the database file, kept to be sent to the warehouse.

An office works on its own laptop, on the database file (the embedded mode), and sends its loads to
headquarters' warehouse when it has a link (``python -m etl sync``, :mod:`etl.sync.push`). What it
sends is the load itself: the bytes of the file the loader parsed (its private copy,
:mod:`etl.store.snapshots`) and the mapping file that was applied to it, so that the warehouse runs the
same loader on the same bytes and gives the load the same ``content_sha256``. "Already loaded" is then
the one rule that makes a load sent twice add nothing, whichever office sent it first.

The outbox is a folder beside the database, ``<db>.outbox/`` (owner-only), with one folder per load
named by its ``content_sha256``: ``data`` (the file's bytes), ``mapping`` (the mapping file's, if any)
and ``entry.json`` (the file's and mapping's names, the load's number, the ``--encoding`` and
``--decimal`` it was read with). A file's name can name a counterpart, so no name appears outside
``entry.json``. An entry appears whole or not at all (written in a hidden folder, then renamed). Without a
key, ``data`` is a second name (a hard link) for the loader's private copy, which the loader then drops:
the file's bytes are not read and written again (327 MB at 1M rows, 4 s of a 30 s load when they were;
``docs/performance.md``); on another file system, or for a copy that is not private, they are copied. With a
database key configured (:mod:`etl.store.crypto`) all three are sealed with a key derived from it
(:mod:`etl.store.sealed`), as the audit log is; ``python -m etl encrypt`` seals the entries kept before
(:func:`seal_entries`).

An entry is written when its load's transaction commits, before the command publishes the database;
a command that then fails leaves entries whose load is not in the database: :mod:`etl.sync.push` only
sends entries whose ``content_sha256`` the database's ``loads`` holds.

>>> outbox_path(Path("data/access.duckdb"))
PosixPath('data/access.duckdb.outbox')
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from etl.config import Settings
from etl.errors import ConfigError
from etl.store.sealed import SealError, is_sealed, seal, side_key, unseal

PURPOSE = "outbox"  # the sealing key's purpose (etl/store/sealed.py)
ENTRY, DATA, MAPPING = "entry.json", "data", "mapping"


def outbox_path(db_path: Path) -> Path:
    """The outbox folder of the database file ``db_path``."""
    return db_path.with_name(db_path.name + ".outbox")


@dataclass(frozen=True)
class Entry:
    """One kept load: where it is, its key (``content_sha256``) and how it was read."""

    folder: Path
    sha: str
    file_name: str
    size: int  # bytes of the data file as loaded
    load_id: int
    encoding: str | None
    decimal: str | None
    mapping_name: str | None


def _write(path: Path, data: bytes, key: bytes | None) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(seal(data, key, PURPOSE) if key else data)


def _read(path: Path, key: bytes | None) -> bytes:
    """A file of an entry, unsealed when sealed; :class:`ConfigError` when it cannot be read or opened."""
    where = path.parent
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"The outbox entry {where} is damaged: {path.name} cannot be read ({exc.strerror or exc}).",
                          "Load the original file at the warehouse (`python -m etl load` with ACCESS_WAREHOUSE "
                          "set) and remove that folder.") from None
    if not is_sealed(data):
        return data
    if key is None:
        raise ConfigError(f"The outbox entry {where} is sealed and no database key is configured.",
                          "Set ACCESS_DB_KEY (or ACCESS_DB_KEY_FILE) as when the file was loaded.")
    try:
        return unseal(data, key, PURPOSE)
    except SealError as err:
        raise ConfigError(f"The outbox entry {where} does not open: {err}.",
                          "Use the database key it was loaded with, or load the original file at the "
                          "warehouse.") from None


def keep(db_path: Path, sha: str, copy: Path, mapping_file: Path | None, *, load_id: int, encoding: str | None,
         decimal: str | None, settings: Settings | None = None) -> None:
    """Put one committed load in the outbox (nothing when an entry with this ``sha`` is there already).

    :param copy: the private copy the loader parsed (its name is the file's name).
    :param mapping_file: the mapping file applied to it (beside the file, or the folder's ``mapping.toml``).
    :raises OSError: the outbox cannot be written (the caller says so; the load itself stands).
    """
    box = outbox_path(db_path)
    box.mkdir(mode=0o700, exist_ok=True)
    final = box / sha
    if final.is_dir():
        return
    key = side_key(PURPOSE, settings)
    folder = Path(tempfile.mkdtemp(prefix=".keeping-", dir=box))
    try:
        size = _put_data(copy, folder / DATA, key)
        if mapping_file is not None:
            _write(folder / MAPPING, mapping_file.read_bytes(), key)
        meta = {"sha": sha, "file_name": copy.name, "size": size, "load_id": load_id, "encoding": encoding,
                "decimal": decimal, "mapping_name": mapping_file.name if mapping_file else None}
        _write(folder / ENTRY, json.dumps(meta, ensure_ascii=False).encode("utf-8"), key)
        try:
            folder.rename(final)
        except OSError:
            if not final.is_dir():  # else another process kept the same load meanwhile
                raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _put_data(copy: Path, dest: Path, key: bytes | None) -> int:
    """The loaded bytes as an entry's ``data`` file (a new name, owner-only); how many bytes.

    Sealed with ``key`` when there is one. Else a hard link to ``copy`` when it is the loader's private copy
    (owner-only, no other name: nothing else can change it, and the loader only removes its own name for it),
    and a chunked copy otherwise (another file system, a copy with other names or wider permissions).
    """
    if key is not None:
        data = copy.read_bytes()
        _write(dest, data, key)
        return len(data)
    st = os.stat(copy)
    if st.st_nlink == 1 and not st.st_mode & 0o077 and st.st_uid == os.getuid():
        with contextlib.suppress(OSError):  # another file system, links refused: copied below
            os.link(copy, dest)
            return st.st_size
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with open(copy, "rb") as src, os.fdopen(fd, "wb") as out:
        shutil.copyfileobj(src, out, 1 << 20)
        return out.tell()


def seal_entries(db_path: Path, settings: Settings | None = None) -> int:
    """Seal the entries kept before the database key was set (``python -m etl encrypt``); how many files.

    Each file is replaced whole (written sealed beside it, then renamed over it); like the plain database,
    its old blocks may stay on the disk until overwritten.
    """
    key = side_key(PURPOSE, settings)
    done = 0
    box = outbox_path(db_path)
    if key is None or not box.is_dir():
        return done
    for path in sorted(box.glob("[!.]*/[!.]*")):
        data = path.read_bytes()
        if is_sealed(data):
            continue
        work = path.with_name(f".{path.name}.sealing")
        work.unlink(missing_ok=True)
        _write(work, data, key)
        os.replace(work, path)
        done += 1
    return done


def entries(db_path: Path, settings: Settings | None = None) -> dict[str, Entry]:
    """The outbox's entries by ``content_sha256``.

    :raises ConfigError: an entry cannot be read (damaged, or sealed and the key is missing or another).
    """
    box = outbox_path(db_path)
    found: dict[str, Entry] = {}
    if not box.is_dir():
        return found
    key = side_key(PURPOSE, settings)
    for folder in sorted(box.iterdir()):
        if folder.name.startswith("."):
            continue
        try:
            meta = json.loads(_read(folder / ENTRY, key))
            found[meta["sha"]] = Entry(folder, meta["sha"], meta["file_name"], int(meta["size"]), int(meta["load_id"]),
                                       meta.get("encoding"), meta.get("decimal"), meta.get("mapping_name"))
        except (ValueError, KeyError, TypeError):
            raise ConfigError(f"The outbox entry {folder} is damaged: its {ENTRY} does not read.",
                              "Load the original file at the warehouse (`python -m etl load` with ACCESS_WAREHOUSE "
                              "set) and remove that folder.") from None
    return found


@contextlib.contextmanager
def opened(entry: Entry, settings: Settings | None = None) -> Iterator[Path]:
    """The entry's data file as the loader read it, under its own name, with its mapping file beside it, in a
    private temporary folder (removed after the block); unsealed when sealed."""
    key = side_key(PURPOSE, settings)
    folder = Path(tempfile.mkdtemp(prefix="access-sync-"))  # 0700
    try:
        _write(folder / entry.file_name, _read(entry.folder / DATA, key), None)
        if entry.mapping_name:
            _write(folder / entry.mapping_name, _read(entry.folder / MAPPING, key), None)
        yield folder / entry.file_name
    finally:
        shutil.rmtree(folder, ignore_errors=True)
