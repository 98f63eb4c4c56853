"""The office's outbox (etl/store/outbox.py): what a load keeps for ``sync``, sealed when the database is.

Oracle: the bytes of the files written here; the loads a command committed, per its own results.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from etl.config import Settings
from etl.errors import ConfigError
from etl.intake import load_paths
from etl.store import outbox
from tests.conftest import row, write_csv

NAME = "Lt. Col. Outbox Sentinel"


def test_committed_loads_only_and_sealed_with_the_database_key(tmp_path: Path) -> None:
    db = tmp_path / "office.duckdb"
    keyed = Settings(db=db, db_key=SecretStr("the office's key, long enough"))
    good = write_csv(tmp_path / "good.csv", [row(engagement_id=f"O-{i}", counterpart=NAME) for i in range(3)])
    empty = write_csv(tmp_path / "empty.csv", [], headers=["date", "counterpart"])  # refused: no data rows
    results = load_paths([good, empty], db, settings=keyed)
    assert [r.status for r in results] == ["loaded", "failed"]
    again = load_paths([good], db, settings=keyed)  # already loaded: nothing new to keep
    assert [r.status for r in again] == ["already_loaded"]
    kept = outbox.entries(db, keyed)
    assert [(e.file_name, e.load_id, e.size) for e in kept.values()] == [("good.csv", 1, good.stat().st_size)]
    [entry] = kept.values()
    assert sorted(p.name for p in entry.folder.iterdir()) == ["data", "entry.json"]  # no file name in sight
    for part in entry.folder.iterdir():  # sealed, not a plain copy, and its name too (entry.json)
        stored = part.read_bytes()
        assert NAME.encode() not in stored and b"good" not in stored and stored.startswith(b"access-sealed-v1:")
    with outbox.opened(entry, keyed) as copy:
        assert copy.read_bytes() == good.read_bytes()
    for wrong, says in ((Settings(db=db), "no database key"), (Settings(db=db, db_key=SecretStr("another key!!")),
                                                              "does not open")):
        with pytest.raises(ConfigError, match=says):
            outbox.entries(db, wrong)


def test_a_damaged_entry_says_what_to_do(tmp_path: Path) -> None:
    db = tmp_path / "plain.duckdb"
    log = write_csv(tmp_path / "plain.csv", [row(engagement_id="P-1")])
    load_paths([log], db, settings=Settings(db=db))
    [entry] = outbox.entries(db).values()
    assert (entry.folder / "data").read_bytes() == log.read_bytes()  # no key: a plain owner-only copy
    assert oct((entry.folder / "data").stat().st_mode & 0o777) == "0o600"
    (entry.folder / "data").unlink()
    with pytest.raises(ConfigError, match="damaged.*Load the original file at the warehouse"), \
            outbox.opened(entry, Settings(db=db)):
        pass


def test_a_plain_entry_is_the_private_copy_itself_and_anything_else_is_copied(tmp_path: Path) -> None:
    """Without a key the loader's private copy (owner-only, one name) becomes the entry's data file by a second
    name, not read and written again; a file that has other names or that others may read is copied instead, so
    that no later change to it reaches the entry. Oracle: the bytes written here, and the files' inode numbers."""
    db, plain = tmp_path / "office.duckdb", Settings(db=tmp_path / "office.duckdb")
    payload = b"date,counterpart\n2026-01-05,Ms. Link\n"
    reading = tmp_path / ".reading"
    reading.mkdir(mode=0o700)
    private = reading / "log.csv"
    private.write_bytes(payload)
    private.chmod(0o600)
    outbox.keep(db, "a" * 64, private, None, load_id=1, encoding=None, decimal=None, settings=plain)
    data = outbox.outbox_path(db) / ("a" * 64) / "data"
    assert data.stat().st_ino == private.stat().st_ino  # the same file: no byte read or written again
    private.unlink()  # the loader removes its folder of copies: the entry keeps the bytes
    assert data.read_bytes() == payload and oct(data.stat().st_mode & 0o777) == "0o600"
    assert outbox.entries(db, plain)["a" * 64].size == len(payload)

    shared = tmp_path / "shared.csv"  # a second name: whoever holds it could change the entry's bytes
    shared.write_bytes(payload)
    shared.chmod(0o600)
    (tmp_path / "other-name.csv").hardlink_to(shared)
    wide = tmp_path / "wide.csv"  # readable by others
    wide.write_bytes(payload)
    wide.chmod(0o644)
    for sha, source in (("b" * 64, shared), ("c" * 64, wide)):
        outbox.keep(db, sha, source, None, load_id=2, encoding=None, decimal=None, settings=plain)
        kept = outbox.outbox_path(db) / sha / "data"
        assert kept.stat().st_ino != source.stat().st_ino and kept.stat().st_nlink == 1
        assert oct(kept.stat().st_mode & 0o777) == "0o600"
        source.write_bytes(b"changed afterwards")
        assert kept.read_bytes() == payload
        assert outbox.entries(db, plain)[sha].size == len(payload)
