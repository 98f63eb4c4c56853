"""Counterpart decisions taken on the warehouse (a real PostgreSQL): merge, undo, two people deciding at once.

The oracle is the log file itself, read here with ``csv``: the merged counterpart's engagements are the
rows logged under either spelling (tests/etl/counterparts/test_counterpart_decisions.py's logs). An
office's own database file, loaded with the same log, is never touched by a decision at the warehouse.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest

from etl.cli.main import main
from etl.config import Settings, get_settings
from etl.counterparts import decisions
from etl.counterparts.resolver import spelling_key, split_id
from etl.errors import AccessDataError
from etl.intake import load_paths
from etl.store import lake_read, warehouse
from etl.store.pgserver import LocalPostgres
from tests.conftest import write_csv
from tests.etl.counterparts.test_counterpart_decisions import ALI, ALIM, FIRST_LOG, IDRIS, _expected, _rows
from tests.etl.warehouse.conftest import warehouse_settings

BOTH = {"Cmdr. Hassan Ali", "Hassan Alim"}


@pytest.fixture(scope="module")
def lake(local_postgres: LocalPostgres, tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Path, Path]:
    """A warehouse and an office's database file, each loaded with the same small log."""
    folder = tmp_path_factory.mktemp("decide")
    log = write_csv(folder / "first.csv", _rows(FIRST_LOG, "A", 1))
    settings = warehouse_settings(local_postgres, "decide", folder)
    warehouse.init(settings)
    assert [r.status for r in load_paths([log], settings.db, settings=settings)] == ["loaded"]
    office = folder / "office.duckdb"
    assert [r.status for r in load_paths([log], office, settings=Settings(db=office, warehouse=None))] == ["loaded"]
    return settings, log, office


@pytest.fixture
def on_warehouse(lake: tuple[Settings, Path, Path], monkeypatch: pytest.MonkeyPatch,
                 tmp_path: Path) -> Iterator[Settings]:
    """This process's settings (read from the environment) pointed at the warehouse."""
    settings = lake[0]
    monkeypatch.setenv("ACCESS_DB", str(tmp_path / "none.duckdb"))
    monkeypatch.setenv("ACCESS_AUDIT_FILE", str(tmp_path / "audit.jsonl"))
    monkeypatch.setenv("ACCESS_WAREHOUSE", settings.warehouse.get_secret_value())  # type: ignore[union-attr]
    monkeypatch.setenv("ACCESS_WAREHOUSE_DATA", str(settings.warehouse_data))
    get_settings.cache_clear()
    yield settings
    monkeypatch.undo()
    get_settings.cache_clear()


def _counts(settings: Settings) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """Per counterpart, from a warehouse reader: engagement rows, the counterparts' totals, the monthly roll-up."""
    with warehouse.reading(settings) as con:  # the latest snapshot
        def per(sql: str) -> dict[str, int]:
            return {k: int(v) for k, v in con.execute(sql).fetchall()}

        return (per("SELECT counterpart_id, count(*) FROM engagements GROUP BY 1"),
                per("SELECT counterpart_id, engagements FROM counterparts"),
                per("SELECT counterpart_id, sum(engagements) FROM engagement_months GROUP BY 1"))


def _decisions(settings: Settings) -> list[tuple]:
    with warehouse.reading(settings) as con:
        return con.execute("SELECT decision_id, action, counterpart_id_a, counterpart_id_b, active "
                           "FROM counterpart_decisions ORDER BY decision_id").fetchall()


def test_a_merge_at_the_warehouse_is_read_there_and_undone_and_the_office_is_untouched(
        lake: tuple[Settings, Path, Path], on_warehouse: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    settings, log, office = lake
    office_bytes = hashlib.sha256(office.read_bytes()).hexdigest()
    ali, alim = _expected([log], {"Cmdr. Hassan Ali"})[0], _expected([log], {"Hassan Alim"})[0]
    assert (ali, alim) == (3, 2)
    before = _counts(settings)
    assert all(c[ALI] == ali and c[ALIM] == alim for c in before)

    clock = time.monotonic() + 1000  # the dashboard's door trusts its answer for 2 s of this clock
    seen = lake_read.latest_snapshot(settings, now=clock)
    assert main(["counterparts", "merge", ALIM, ALI, "--reason", "same commander"]) == 0
    assert "In the warehouse; undo with `python -m etl counterparts undo 1`" in capsys.readouterr().out
    # The decision told this process's readers to ask again: a page's rerun shows it, not 2 s later.
    assert lake_read.latest_snapshot(settings, now=clock + 1) > seen
    lake_read.forget_latest(settings)  # back to the real clock
    merged = _counts(settings)
    for counts in merged:  # rows, totals and roll-up all moved, in the one transaction
        assert counts[ALI] == _expected([log], BOTH)[0] == ali + alim and ALIM not in counts
    assert main(["counterparts", "list", "--country", "YEM"]) == 0  # the CLI reader reads the warehouse
    listed = capsys.readouterr().out
    assert ALI in listed and ALIM not in listed and "Hassan Alim" in listed
    assert main(["counterparts", "decisions"]) == 0 and "same commander" in capsys.readouterr().out

    assert main(["counterparts", "undo", "1"]) == 0
    assert _counts(settings) == before
    assert _decisions(settings) == [(1, "merge", ALI, ALIM, False)]

    # A split: one spelling of IDRIS becomes its own counterpart, with the rows logged under it.
    assert main(["counterparts", "split", IDRIS, "--alias", "colonel muhammad idris"]) == 0
    split_off = split_id("YEM", "spelling", spelling_key("COLONEL MUHAMMAD IDRIS"))
    for counts in _counts(settings):
        assert counts[split_off] == _expected([log], {"COLONEL MUHAMMAD IDRIS"})[0] == 1
        assert counts[IDRIS] == _expected([log], {"Col. Mohammed Idris"})[0] == 2
    assert main(["counterparts", "undo", str(_decisions(settings)[-1][0])]) == 0
    assert _counts(settings) == before
    # The office's file is another database: nothing the warehouse decided reaches it (sync brings decisions).
    assert hashlib.sha256(office.read_bytes()).hexdigest() == office_bytes
    with duckdb.connect(str(office), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM counterpart_decisions").fetchone() == (0,)


def test_two_people_deciding_at_once_both_land_in_turn_or_the_second_is_refused(
        lake: tuple[Settings, Path, Path]) -> None:
    settings, log, _ = lake
    first = max([d[0] for d in _decisions(settings)], default=0) + 1
    tries: list[int] = []

    def racing(other: Callable[[], object], act: Callable[[duckdb.DuckDBPyConnection], decisions.Decision]
               ) -> Callable[[duckdb.DuckDBPyConnection], decisions.Decision]:
        def run(con: duckdb.DuckDBPyConnection) -> decisions.Decision:
            tries.append(1)
            if len(tries) == 1:  # another desk's decision commits while this one's transaction is open
                other()
            return act(con)
        return run

    # Another desk keeps IDRIS and ALI apart while this one merges: the merge runs again on the new state.
    d = decisions._decide_in_warehouse(settings.db, settings, racing(
        lambda: decisions.keep_apart(settings.db, IDRIS, ALI, reason="other desk", settings=settings),
        lambda con: decisions._merge(con, ALIM, ALI, None, "same", "tester")))
    assert len(tries) == 2 and d.decision_id == first + 1
    assert _decisions(settings)[-2:] == [(first, "keep_apart", *sorted((ALI, IDRIS)), True), (first + 1, "merge", ALI, ALIM, True)]
    assert all(c[ALI] == _expected([log], BOTH)[0] and ALIM not in c for c in _counts(settings))

    # Both desks merge ALIM: the second finds it merged by the first, and says so; nothing of it is written.
    decisions.undo(settings.db, first + 1, settings=settings)
    tries.clear()
    with pytest.raises(AccessDataError, match=rf"{ALIM} was merged into {ALI} by decision {first + 2}"):
        decisions._decide_in_warehouse(settings.db, settings, racing(
            lambda: decisions.merge(settings.db, ALI, ALIM, reason="first desk", settings=settings),
            lambda con: decisions._merge(con, ALIM, ALI, None, "second desk", "tester")))
    assert len(tries) == 2 and [d[:2] for d in _decisions(settings)][-1] == (first + 2, "merge")
