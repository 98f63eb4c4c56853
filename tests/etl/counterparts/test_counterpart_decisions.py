"""Counterpart identity decisions: merge, split, keep apart, undo; applied now, on later loads and after a rebuild.

Every figure is checked against counts made here straight from the rows written to the test
logs (not through the loader), on real DuckDB files in tmp_path.
"""

from __future__ import annotations

import csv
import getpass
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from etl.cli.main import main
from etl.config import Settings
from etl.counterparts import decisions, mirror, queries, resolver
from etl.counterparts.names import name_key, stable_id
from etl.errors import DatabaseError, InputFileError
from etl.intake import load_paths
from tests.conftest import REPO, row, write_csv
from tests.dashboard.conftest import signed_in_session

# One country, two look-alikes (a doubtful pair), one counterpart logged under two obvious variants,
# and the same name in another country.
FIRST_LOG = ([("Cmdr. Hassan Ali", "YEM")] * 3 + [("Hassan Alim", "YEM")] * 2
             + [("Col. Mohammed Idris", "YEM")] * 2 + [("COLONEL MUHAMMAD IDRIS", "YEM")] + [("Hassan Ali", "SSD")])
SECOND_LOG = [("Hassan Alim", "YEM"), ("Cmdr. Hassan Ali", "YEM"), ("COLONEL MUHAMMAD IDRIS", "YEM")]
ALI, ALIM = (stable_id("CP", "YEM", name_key(n)) for n in ("Cmdr. Hassan Ali", "Hassan Alim"))
IDRIS = stable_id("CP", "YEM", "muhammad idris")
ALI_SSD = stable_id("CP", "SSD", "hassan ali")


def _rows(names: list[tuple[str, str]], prefix: str, day0: int) -> list[dict[str, str]]:
    out = []
    for i, (name, country) in enumerate(names):
        extra = {"latitude": "4.85", "longitude": "31.6", "admin1": "", "checkpoint": ""} if country == "SSD" else {}
        out.append(row(engagement_id=f"{prefix}{i}", counterpart=name, country=country,
                       date=f"2025-03-{day0 + i:02d}", request_date="", resolution_date="", **extra))
    return out


@pytest.fixture
def logs(tmp_path: Path) -> tuple[Path, Path]:
    return (write_csv(tmp_path / "first.csv", _rows(FIRST_LOG, "A", 1)),
            write_csv(tmp_path / "second.csv", _rows(SECOND_LOG, "B", 20)))


def _expected(paths: list[Path], spellings: set[str], country: str = "YEM") -> tuple[int, str, str]:
    """(engagements, first date, last date) of these spellings, read from the log files themselves."""
    dates = []
    for path in paths:
        with open(path, encoding="utf-8", newline="") as fh:
            dates += [r["date"] for r in csv.DictReader(fh) if r["counterpart"] in spellings and r["country"] == country]
    return len(dates), min(dates), max(dates)


def _q(db: Path, sql: str, params: list[object] | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _counterpart(db: Path, ident: str) -> tuple | None:
    found = _q(db, "SELECT engagements, strftime(first_seen, '%Y-%m-%d'), strftime(last_seen, '%Y-%m-%d') "
                   "FROM counterparts WHERE counterpart_id = ?", [ident])
    return found[0] if found else None


def _by_counterpart(db: Path) -> dict[str, int]:
    return dict(_q(db, "SELECT counterpart_id, count(*) FROM engagements GROUP BY 1"))


def _mirror(db: Path) -> list[dict[str, str]]:
    with open(mirror.mirror_path(db, Settings(db=db)), encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _digest(db: Path) -> str:
    return hashlib.sha256(db.read_bytes()).hexdigest()


# ------------------------------------------------------------------------------ merge


def test_merge_applies_to_existing_rows_and_to_later_loads(logs, settings):
    first, second = logs
    db = settings.db
    load_paths([first], db, settings)
    assert _q(db, "SELECT counterpart_id_a, counterpart_id_b, status FROM counterpart_review") == [(ALI, ALIM, "pending")]

    d = decisions.merge(db, ALIM, ALI, reason="same commander", settings=settings)

    # The survivor is the one with more engagements (3 against 2), whatever the order given.
    assert (d.action, d.counterpart_id_a, d.counterpart_id_b, d.result_id) == ("merge", ALI, ALIM, ALI)
    assert _by_counterpart(db).get(ALIM) is None
    assert _counterpart(db, ALIM) is None
    assert _counterpart(db, ALI) == _expected([first], {"Cmdr. Hassan Ali", "Hassan Alim"})
    assert _q(db, "SELECT alias, times_seen FROM counterpart_aliases WHERE counterpart_id = ? ORDER BY alias",
              [ALI]) == [("Cmdr. Hassan Ali", 3), ("Hassan Alim", 2)]
    assert _q(db, "SELECT count(*) FROM checkpoints WHERE controlling_counterpart_id = ?", [ALIM]) == [(0,)]
    assert _q(db, "SELECT status FROM counterpart_review") == [("merged",)]
    assert _q(db, "SELECT decided_by, reason, active FROM counterpart_decisions") == [
        (getpass.getuser(), "same commander", True)]
    assert [(m["decision_id"], m["action"], m["counterpart_id_a"], m["counterpart_id_b"], m["active"])
            for m in _mirror(db)] == [("1", "merge", ALI, ALIM, "true")]
    assert mirror.mirror_path(db, settings).stat().st_mode & 0o077 == 0  # it names counterparts: owner only
    # The SSD namesake is another counterpart and is not touched.
    assert _counterpart(db, ALI_SSD) == _expected([first], {"Hassan Ali"}, "SSD")

    # A later load: rows with either spelling land on the survivor.
    load_paths([second], db, settings)
    assert ALIM not in _by_counterpart(db)
    assert _counterpart(db, ALI) == _expected([first, second], {"Cmdr. Hassan Ali", "Hassan Alim"})
    assert _q(db, "SELECT count(*) FROM counterparts WHERE counterpart_id = ?", [ALIM]) == [(0,)]


def test_a_merge_survives_a_full_reload(logs, settings):
    first, second = logs
    db = settings.db
    load_paths([first], db, settings)
    decisions.merge(db, ALI, ALIM, keep=ALIM, settings=settings)  # the user names the survivor
    assert _counterpart(db, ALIM) == _expected([first], {"Cmdr. Hassan Ali", "Hassan Alim"})

    db.unlink()  # the database is deleted and rebuilt from the same logs (plus a new one)
    load_paths([first, second], db, settings)

    assert _q(db, "SELECT decision_id, action, active FROM counterpart_decisions") == [(1, "merge", True)]
    assert ALI not in _by_counterpart(db)
    assert _counterpart(db, ALI) is None
    assert _counterpart(db, ALIM) == _expected([first, second], {"Cmdr. Hassan Ali", "Hassan Alim"})
    assert _q(db, "SELECT count(*) FROM counterpart_review WHERE status = 'pending'") == [(0,)]
    assert _q(db, "SELECT name_key FROM counterparts WHERE counterpart_id = ?", [ALIM]) == [("hassan alim",)]


# ------------------------------------------------------------------------------ split


def test_a_split_takes_one_spelling_out_and_survives_a_reload(logs, settings):
    first, second = logs
    db = settings.db
    load_paths([first], db, settings)
    assert _counterpart(db, IDRIS) == _expected([first], {"Col. Mohammed Idris", "COLONEL MUHAMMAD IDRIS"})

    d = decisions.split(db, IDRIS, "colonel  muhammad IDRIS", reason="a different colonel", settings=settings)
    new = d.result_id
    assert (d.split_by, d.alias) == ("spelling", "COLONEL MUHAMMAD IDRIS")
    assert new == resolver.split_id("YEM", "spelling", "COLONEL MUHAMMAD IDRIS") != IDRIS
    assert _counterpart(db, IDRIS) == _expected([first], {"Col. Mohammed Idris"})
    assert _counterpart(db, new) == _expected([first], {"COLONEL MUHAMMAD IDRIS"})
    assert _q(db, "SELECT name FROM counterparts WHERE counterpart_id IN (?, ?) ORDER BY name", [IDRIS, new]) == [
        ("COLONEL MUHAMMAD IDRIS",), ("Col. Mohammed Idris",)]
    assert _q(db, "SELECT counterpart_id, alias FROM counterpart_aliases WHERE alias LIKE '%IDRIS'") == [
        (new, "COLONEL MUHAMMAD IDRIS")]

    db.unlink()
    load_paths([first, second], db, settings)
    assert _counterpart(db, IDRIS) == _expected([first, second], {"Col. Mohammed Idris"})
    assert _counterpart(db, new) == _expected([first, second], {"COLONEL MUHAMMAD IDRIS"})
    # Now `new` has a single spelling: it cannot be split again.
    with pytest.raises(decisions.DecisionError, match="is the only spelling of"):
        decisions.split(db, new, "COLONEL MUHAMMAD IDRIS", settings=settings)


# ------------------------------------------------------------------------------ keep apart and undo


def test_keep_apart_resolves_the_review_item_and_blocks_a_merge(logs, settings):
    first, _ = logs
    db = settings.db
    load_paths([first], db, settings)
    decisions.keep_apart(db, ALIM, ALI, reason="brothers", settings=settings)
    assert _q(db, "SELECT status FROM counterpart_review") == [("kept_apart",)]
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute(queries.REVIEW).fetchall() == []
    assert _by_counterpart(db)[ALI] == 3 and _by_counterpart(db)[ALIM] == 2
    with pytest.raises(decisions.DecisionError, match="Decision 1 keeps .* apart"):
        decisions.merge(db, ALI, ALIM, settings=settings)

    db.unlink()  # the pair is found again by the reload, and is not pending
    load_paths([first], db, settings)
    assert _q(db, "SELECT status FROM counterpart_review") == [("kept_apart",)]


def test_undo_puts_everything_back(logs, settings):
    first, _ = logs
    db = settings.db
    load_paths([first], db, settings)
    before = _q(db, "SELECT * FROM counterparts ORDER BY counterpart_id")
    aliases = _q(db, "SELECT * FROM counterpart_aliases ORDER BY ALL")
    decisions.merge(db, ALI, ALIM, settings=settings)
    assert _q(db, "SELECT status FROM counterpart_review") == [("merged",)]

    decisions.undo(db, 1, settings=settings)
    assert _q(db, "SELECT * FROM counterparts ORDER BY counterpart_id") == before
    assert _q(db, "SELECT * FROM counterpart_aliases ORDER BY ALL") == aliases
    assert _q(db, "SELECT status FROM counterpart_review") == [("pending",)]
    assert _q(db, "SELECT active, undone_by IS NOT NULL FROM counterpart_decisions") == [(False, True)]
    assert _mirror(db)[0]["active"] == "false"
    with pytest.raises(decisions.DecisionError, match="already undone"):
        decisions.undo(db, 1, settings=settings)


# ------------------------------------------------------------------------------ the mirror file


def test_a_broken_mirror_file_refuses_the_load_and_names_the_cell(logs, settings):
    first, _ = logs
    db = settings.db
    load_paths([first], db, settings)
    decisions.merge(db, ALI, ALIM, settings=settings)
    mirror_file = mirror.mirror_path(db, settings)
    rows = _mirror(db)
    rows[0]["action"] = "marge"
    with open(mirror_file, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=resolver.COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    db.unlink()
    with pytest.raises(InputFileError) as err:
        load_paths([first], db, settings)
    assert str(err.value).startswith(f"{mirror_file.name}, row 2, column 'action': 'marge' is not one of merge, split, "
                                     "keep_apart. Fix that cell")
    assert not db.exists()


def test_a_decision_that_cannot_be_mirrored_is_not_taken(logs, tmp_path):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the decisions folder should be")
    settings = Settings(db=tmp_path / "access.duckdb", decisions=blocker / "decisions.csv")
    load_paths([logs[0]], settings.db, settings)
    digest = _digest(settings.db)
    with pytest.raises(DatabaseError, match=r"^Cannot write the decisions file .*; nothing was changed\."):
        decisions.merge(settings.db, ALI, ALIM, settings=settings)
    assert _digest(settings.db) == digest


# ------------------------------------------------------------------------------ CLI


@pytest.mark.parametrize(("args", "message"), [
    (["merge", ALI, "CP-0000000000"], "error: No counterpart CP-0000000000 in the database. Find counterpart ids "
                                      "with `python -m etl counterparts list --search NAME`."),
    (["merge", ALI, ALI_SSD], f"error: {ALI} (Cmdr. Hassan Ali) is in YEM and {ALI_SSD} (Hassan Ali) in SSD: "
                              "counterparts of different countries cannot be merged."),
    (["merge", ALI, ALIM, "--keep", IDRIS], f"error: --keep {IDRIS} is neither of the two counterparts being merged. "
                                            f"Give --keep {ALI} or --keep {ALIM}."),
    (["split", ALI, "--alias", "Cmdr. Hassan Ali"], f"error: 'Cmdr. Hassan Ali' is the only spelling of {ALI} "
                                                    "(Cmdr. Hassan Ali): splitting it off would leave nothing behind."),
    (["split", IDRIS, "--alias", "Hassan"], f"error: 'Hassan' is not a spelling of {IDRIS} (Col. Mohammed Idris). "
                                            "Give one of its spellings"),
    (["keep-apart", ALI, ALI], f"error: Both ids are {ALI}: give two different counterparts to keep apart."),
    (["undo", "7"], "error: No decision 7. See the numbers with `python -m etl counterparts decisions`."),
])
def test_cli_refuses_with_one_line_and_exit_1_leaving_the_database_as_it_was(logs, settings, capsys, args, message):
    load_paths([logs[0]], settings.db, settings)
    digest = _digest(settings.db)
    code = main(["counterparts", *args, "--db", str(settings.db)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith(message), err
    assert len(err.strip().splitlines()) == 1
    assert _digest(settings.db) == digest
    assert not mirror.mirror_path(settings.db, settings).exists()


def test_cli_end_to_end(logs, settings, capsys):
    db = settings.db
    load_paths([logs[0]], db, settings)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ACCESS_")}, "PYTHONPATH": str(REPO)}

    def etl(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "etl", "counterparts", *args, "--db", str(db)], cwd=REPO,
                              capture_output=True, text=True, timeout=120, env=env)

    def in_process(*args: str) -> tuple[int, str, str]:
        code = main(["counterparts", *args, "--db", str(db)])
        out = capsys.readouterr()
        return code, out.out, out.err

    code, out, _ = in_process("review")
    assert code == 0 and f"YEM      {ALI}  Cmdr. Hassan Ali" in out and "95.2" in out
    merged = etl("merge", ALI.lower(), ALIM, "--reason", "same man")  # ids are not case-sensitive
    assert merged.returncode == 0, merged.stderr
    assert merged.stdout.startswith(f"Recorded decision 1: merge {ALIM} into {ALI} (YEM).")
    listed = etl("list", "--country", "Yemen", "--search", "alim")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["id", "name", "type", "country", "engagements", "aliases"]
    assert len(lines) == 2 and lines[1].startswith(f"{ALI}  Cmdr. Hassan Ali") and "5" in lines[1].split()
    assert lines[1].endswith("Cmdr. Hassan Ali | Hassan Alim")
    code, out, _ = in_process("decisions")
    assert code == 0 and out.splitlines()[1].split()[:3] == ["1", "merge", "YEM"] and "same man" in out
    assert in_process("list", "--country", "Atlantis") == (
        1, "", "error: 'Atlantis' is not a country code or name. Give an ISO3 code such as SDN.\n")
    code, out, _ = in_process("undo", "1")
    assert code == 0 and out.startswith(f"Undid decision 1: merge {ALIM} into {ALI} (YEM)")
    assert _by_counterpart(db)[ALIM] == 2


# ------------------------------------------------------------------------------ Data page


def test_the_data_page_merges_a_review_pair(logs, settings, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from etl.config import get_settings

    load_paths([logs[0]], settings.db, settings)
    for key in [k for k in os.environ if k.startswith("ACCESS_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("ACCESS_DB", str(settings.db))
    get_settings.cache_clear()
    try:
        at = AppTest.from_file(str(REPO / "dashboard" / "streamlit_app.py"), default_timeout=60)
        at.session_state["auth_session"] = signed_in_session(settings.db)  # the test admin: every region
        at.run()
        at.switch_page("app_pages/data.py").run()
        assert not at.exception, at.exception
        frames = [d.value for d in at.dataframe]
        review = next(f for f in frames if "counterpart_id_a" in f.columns)
        assert review[["counterpart_id_a", "counterpart_id_b"]].values.tolist() == [[ALI, ALIM]]
        at.selectbox(key="identity_action").set_value("The same counterpart: merge them")
        at.selectbox(key="identity_keep").set_value(ALIM)
        at.text_input(key="identity_reason").set_value("same person, seen twice")
        at.button(key="identity_go").click().run()
        assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
        assert [s.value for s in at.success] == [f"Recorded decision 1: merge {ALI} into {ALIM} (YEM)."]
        # The page reads the new database version: the pair has left the review list.
        assert any("No doubtful counterpart names" in i.value for i in at.info)
        assert _by_counterpart(settings.db)[ALIM] == 5 and ALI not in _by_counterpart(settings.db)
        assert _q(settings.db, "SELECT decided_by, reason FROM counterpart_decisions") == [
            ("test-admin (dashboard)", "same person, seen twice")]
    finally:
        get_settings.cache_clear()


def test_a_profile_link_to_a_merged_counterpart_opens_the_survivor(logs, settings, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from etl.config import get_settings

    load_paths([logs[0]], settings.db, settings)
    decisions.merge(settings.db, ALIM, ALI, reason="same commander", settings=settings)
    for key in [k for k in os.environ if k.startswith("ACCESS_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("ACCESS_DB", str(settings.db))
    get_settings.cache_clear()
    try:
        at = AppTest.from_file(str(REPO / "dashboard" / "streamlit_app.py"), default_timeout=60)
        at.session_state["auth_session"] = signed_in_session(settings.db)  # the test admin: every region
        at.switch_page("app_pages/counterpart.py")
        at.query_params["id"] = ALIM
        at.run()
        assert not at.exception and not at.warning, (at.exception, [w.value for w in at.warning])
        assert any(f"was merged into {ALI}" in i.value for i in at.info)
        assert ALI in " ".join(c.value for c in at.caption)  # the survivor's identity line
        assert at.query_params["id"] in (ALI, [ALI])  # the address now links to the survivor
    finally:
        get_settings.cache_clear()


def test_docstring_examples_are_true():
    import doctest

    for module in (decisions, resolver, mirror):  # the decisions code, split by job
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, module.__name__
    assert doctest.testmod(resolver).attempted > 0 and doctest.testmod(mirror).attempted > 0
