"""``python -m etl sync``: an office's loads sent to a warehouse in a real PostgreSQL, as a person runs it.

Oracles: the office's own files, counted in plain Python (engagement ids written), and an uninterrupted
sync's tables (multisets of rows, tests/etl/warehouse/tables.py).
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from etl.config import Settings
from etl.intake import load_paths, refresh_places
from etl.store import outbox, warehouse
from etl.store.loads import retrying, write_session
from etl.store.pgserver import LocalPostgres
from tests.conftest import row, write_csv
from tests.etl.warehouse.conftest import warehouse_settings
from tests.etl.warehouse.tables import rows_of

REPO = Path(__file__).resolve().parents[3]
LOAD_KEYS = "SELECT content_sha256, file_name, rows_loaded, rows_rejected FROM loads ORDER BY load_id"


def week(path: Path, office: str, day: int, n: int, *, own_header: bool = False) -> Path:
    """One office's log of ``n`` engagements on one day; ``own_header``: the counterpart's column is called
    "Interlocuteur", with a mapping file beside the log that says so."""
    rows = [row(engagement_id=f"{office}-{day}-{i}", request_id=f"REQ-{office}-{day}-{i}", date=f"2025-03-{day:02d}",
                counterpart=f"Col. Person {office}{i % 7}") for i in range(n)]
    if own_header:
        rows = [{("Interlocuteur" if k == "counterpart" else k): v for k, v in r.items()} for r in rows]
        path.with_name(path.stem + ".mapping.toml").write_text('[columns]\n"Interlocuteur" = "counterpart"\n',
                                                               encoding="utf-8")
    return write_csv(path, rows)


def engagement_ids(files: list[Path]) -> set[str]:
    """The oracle: engagement ids in the files themselves, read with the csv module."""
    ids: set[str] = set()
    for path in files:
        with open(path, encoding="utf-8", newline="") as fh:
            ids |= {r["engagement_id"] for r in csv.DictReader(fh)}
    return ids


def new_warehouse(pg: LocalPostgres, name: str, folder: Path) -> Settings:
    """An empty warehouse as `python -m etl warehouse init` leaves it (tables, reference rows, countries)."""
    settings = warehouse_settings(pg, name, folder)
    warehouse.init(settings)
    with write_session(settings.db, settings, in_warehouse=True) as con:
        retrying(lambda: refresh_places(con, settings))
    return settings


def sync(office_db: Path, target: Settings, **popen: object) -> subprocess.Popen[str]:
    assert target.warehouse is not None
    url = target.warehouse.get_secret_value()
    password = url.split("@")[0].rsplit(":", 1)[1]
    env = {**os.environ, "PYTHONPATH": str(REPO), "PGPASSWORD": password,
           "ACCESS_AUDIT_FILE": str(office_db.with_suffix(".audit.jsonl"))}
    env.pop("ACCESS_WAREHOUSE", None)
    return subprocess.Popen([sys.executable, "-m", "etl", "sync", "--to", url.replace(f":{password}@", "@"),
                             "--data", str(target.warehouse_data), "--db", str(office_db), "--push-only"],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def finished(proc: subprocess.Popen[str]) -> str:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, out + err
    return out


def tables(target: Settings) -> dict[str, object]:
    with warehouse.reading(target) as con:
        return {"engagements": rows_of(con, "engagements"), "loads": con.execute(LOAD_KEYS).fetchall()}


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    """An office's database file with three loads (three days of one week), each in its own command; the
    last with a mapping file (the warehouse must read it with the same mapping, and know it as the same load)."""
    folder = tmp_path_factory.mktemp("office")
    db = folder / "office.duckdb"
    files = [week(folder / f"day{d}.csv", "A", d, 20, own_header=d == 5) for d in (3, 4, 5)]
    for path in files:
        assert [r.status for r in load_paths([path], db, settings=Settings(db=db))] == ["loaded"]
    return db, files


def test_every_committed_load_is_in_the_outbox(office: tuple[Path, list[Path]]) -> None:
    db, files = office
    kept = outbox.entries(db)
    assert sorted(e.file_name for e in kept.values()) == sorted(p.name for p in files)
    assert sorted(str(e.mapping_name) for e in kept.values()) == ["None", "None", "day5.mapping.toml"]
    for entry in kept.values():  # the bytes as loaded, byte for byte
        with outbox.opened(entry) as copy:
            assert copy.read_bytes() == next(p for p in files if p.name == entry.file_name).read_bytes()
    assert oct(outbox.outbox_path(db).stat().st_mode & 0o777) == "0o700"


@pytest.fixture(scope="module")
def synced(local_postgres: LocalPostgres, office: tuple[Path, list[Path]], tmp_path_factory: pytest.TempPathFactory
           ) -> tuple[Settings, str, dict[str, object]]:
    """A warehouse the office synced to once, uninterrupted: its settings, the output, its tables then."""
    target = new_warehouse(local_postgres, "sync_twice", tmp_path_factory.mktemp("hq"))
    first = finished(sync(office[0], target))
    return target, first, tables(target)


def test_sync_twice_is_once_and_a_load_another_office_sent_is_not_duplicated(
        synced: tuple[Settings, str, dict[str, object]], local_postgres: LocalPostgres,
        office: tuple[Path, list[Path]], tmp_path: Path) -> None:
    db, files = office
    target, first, after_first = synced
    assert first.count("\nsent ") + first.startswith("sent ") == 3 and "3 load(s) sent" in first, first
    with warehouse.reading(target) as con:
        ids = {r[0] for r in con.execute("SELECT source_engagement_id FROM engagements").fetchall()}
        names = {r[0] for r in con.execute("SELECT counterpart_name FROM engagements").fetchall()}
    assert ids == engagement_ids(files) and len(after_first["engagements"]) == 60  # type: ignore[arg-type]
    assert names == {f"Col. Person A{i}" for i in range(7)}  # day 5's mapping file was applied there too
    second = finished(sync(db, target))
    # Asked first: nothing read from the outbox, nothing sent (not sent and then found there), one summary line.
    assert second.splitlines() == [second.strip()] and "0 load(s) sent" in second and "3 already there" in second
    assert tables(target) == after_first
    audit = db.with_suffix(".audit.jsonl").read_text(encoding="utf-8")
    assert audit.count('"sync"') == 2 and local_postgres.password not in audit

    # A second office loaded one of the same files (a shared export) and one of its own, and syncs.
    other = tmp_path / "other.duckdb"
    own = week(tmp_path / "own.csv", "B", 6, 15)
    assert [r.status for r in load_paths([files[0], own], other, settings=Settings(db=other))] == ["loaded"] * 2
    third = finished(sync(other, target))
    assert "1 load(s) sent" in third and "1 already there" in third, third
    with warehouse.reading(target) as con:
        ids = [r[0] for r in con.execute("SELECT source_engagement_id FROM engagements").fetchall()]
        shas = [r[0] for r in con.execute("SELECT content_sha256 FROM loads").fetchall()]
    assert sorted(ids) == sorted(engagement_ids([*files, own])) and len(shas) == len(set(shas)) == 4


def test_an_interrupted_sync_resumes_and_ends_as_an_uninterrupted_one(
        synced: tuple[Settings, str, dict[str, object]], local_postgres: LocalPostgres,
        office: tuple[Path, list[Path]], tmp_path: Path) -> None:
    db, _ = office
    cut = new_warehouse(local_postgres, "sync_cut", tmp_path / "cut")
    proc = sync(db, cut)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("sent "), line + proc.communicate()[1]
    proc.send_signal(signal.SIGKILL)  # the link or the laptop goes, after the first load committed
    proc.communicate(timeout=60)
    with warehouse.reading(cut) as con:
        committed = con.execute("SELECT count(*) FROM loads").fetchone()
    assert committed is not None and 1 <= committed[0] < 3, committed
    resumed = finished(sync(db, cut))
    assert f"{3 - committed[0]} load(s) sent" in resumed and f"{committed[0]} already there" in resumed, resumed
    assert "there   " not in resumed  # what was committed before the kill is known, not sent again
    assert tables(cut) == synced[2]  # what the uninterrupted sync left


def test_sync_refuses_a_wrong_address_or_password_without_a_traceback_or_the_password(
        synced: tuple[Settings, str, dict[str, object]], office: tuple[Path, list[Path]], tmp_path: Path) -> None:
    db, _ = office
    target = synced[0]
    assert target.warehouse is not None
    good = target.warehouse.get_secret_value()
    wrong = good.replace(good.split("@")[0].rsplit(":", 1)[1], "Wr0ngPassw0rd")
    env = {**os.environ, "PYTHONPATH": str(REPO), "ACCESS_AUDIT_FILE": str(tmp_path / "audit.jsonl")}
    for url, says in (("mysql://x@h/db", "error: ACCESS_WAREHOUSE is not a PostgreSQL URL"),
                      (wrong, "error: Cannot open the warehouse")):
        done = subprocess.run([sys.executable, "-m", "etl", "sync", "--to", url, "--data", str(target.warehouse_data),
                               "--db", str(db), "--push-only"], cwd=REPO, env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 1 and done.stderr.startswith(says), done.stdout + done.stderr
        assert "Traceback" not in done.stderr and "Wr0ngPassw0rd" not in done.stdout + done.stderr
    assert "Wr0ngPassw0rd" not in (tmp_path / "audit.jsonl").read_text(encoding="utf-8")
    env["ACCESS_WAREHOUSE"] = good  # this machine works on the warehouse itself: nothing to send from
    done = subprocess.run([sys.executable, "-m", "etl", "sync", "--to", good, "--data", str(target.warehouse_data),
                           "--db", str(db)], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and done.stderr.startswith("error: ACCESS_WAREHOUSE is set"), done.stderr
