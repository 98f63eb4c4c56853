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
