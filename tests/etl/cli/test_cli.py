"""The command line as a user runs it: exit codes, one-line messages, atomic loads."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from etl.errors import short_name
from tests.conftest import BASE_ROW, REPO, row, write_csv


def etl(*args: str, db: Path, env: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "etl", *args, "--db", str(db)], cwd=REPO, capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=300, **kw)


def test_load_then_status(tmp_path):
    db = tmp_path / "a.duckdb"
    log = write_csv(tmp_path / "log.csv", [row(), row(engagement_id="T-2", outcome="maybe")])
    r = etl("load", str(log), db=db)
    assert r.returncode == 0, r.stderr
    assert "loaded  log.csv: 2 rows read, 1 loaded, 1 rejected, 0 duplicates skipped" in r.stdout
    assert "rejected because: unknown_outcome 1" in r.stdout
    assert "Traceback" not in r.stdout + r.stderr
    s = etl("status", "--rejected", db=db)
    assert s.returncode == 0
    assert "engagements                       1" in s.stdout
    assert "log.csv row 3, outcome: 'maybe' is not a known outcome." in s.stdout


def test_loading_again_is_a_no_op_with_exit_0(tmp_path):
    db = tmp_path / "a.duckdb"
    log = write_csv(tmp_path / "log.csv", [row()])
    etl("load", str(log), db=db)
    r = etl("load", str(log), db=db)
    assert r.returncode == 0
    assert "already loaded as load 1" in r.stdout


def test_bad_file_exits_1_with_one_line_naming_file_and_problem(tmp_path):
    db = tmp_path / "a.duckdb"
    empty = tmp_path / "field_log.csv"
    empty.write_bytes(b"")
    r = etl("load", str(empty), db=db)
    assert r.returncode == 1
    assert r.stderr.strip().splitlines()[0] == ("FAILED  field_log.csv: the file is empty (0 bytes). "
                                                "The export or copy probably failed; export the log again.")
    assert not db.exists()


def test_all_rows_rejected_exits_1(tmp_path):
    db = tmp_path / "a.duckdb"
    r = etl("load", str(write_csv(tmp_path / "bad.csv", [row(outcome="maybe")])), db=db)
    assert r.returncode == 1
    assert "all_rejected" in r.stdout


def test_missing_path_and_missing_database(tmp_path):
    db = tmp_path / "a.duckdb"
    r = etl("load", str(tmp_path / "nope.csv"), db=db)
    # A long path is shown cut in the middle (etl.errors.short_name): the temp folder's length varies.
    assert (r.returncode, r.stderr.strip()) == (1, f"error: {short_name(str(tmp_path / 'nope.csv'))}: no such "
                                                   "file or folder. Check the path.")
    s = etl("status", db=db)
    assert s.returncode == 1
    assert s.stderr.startswith(f"error: No database at {db}.")
    assert "python -m etl demo" in s.stderr


def test_access_db_environment_variable(tmp_path):
    db = tmp_path / "env.duckdb"
    log = write_csv(tmp_path / "log.csv", [row()])
    r = subprocess.run([sys.executable, "-m", "etl", "load", str(log)], cwd=REPO, capture_output=True, text=True,
                       env={**os.environ, "ACCESS_DB": str(db)}, timeout=120)
    assert r.returncode == 0, r.stderr
    assert db.exists()


def _big_log(path: Path, rows: int) -> Path:
    headers = list(BASE_ROW)
    base = [row(request_date="", resolution_date="")[h] for h in headers]
    i_id, i_date = headers.index("engagement_id"), headers.index("date")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(",".join(headers) + "\n")
        for i in range(rows):
            vals = list(base)
            vals[i_id] = f"BIG-{i}"
            vals[i_date] = f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}"
            fh.write(",".join(f'"{v}"' for v in vals) + "\n")
    return path


def test_a_load_killed_half_way_leaves_the_database_exactly_as_before(tmp_path):
    db = tmp_path / "a.duckdb"
    assert etl("load", str(write_csv(tmp_path / "first.csv", [row()])), db=db).returncode == 0
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    big = _big_log(tmp_path / "big.csv", 400_000)
    proc = subprocess.Popen([sys.executable, "-m", "etl", "load", str(big), "--db", str(db)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    work = db.with_name(db.name + ".next")
    deadline = time.monotonic() + 60
    while not work.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    time.sleep(0.5)  # well inside the load: reading and checking 400k rows takes several seconds
    assert proc.poll() is None, "the load finished before it could be killed; make the file bigger"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM engagements").fetchone() == (1,)
    con.close()
    # The next load discards the stale copy and works.
    r = etl("load", str(write_csv(tmp_path / "after.csv", [row(engagement_id="T-2", date="2025-03-06")])), db=db)
    assert r.returncode == 0, r.stderr
    assert not work.exists()


def test_a_second_load_waits_for_the_first(tmp_path):
    db = tmp_path / "a.duckdb"
    big = _big_log(tmp_path / "big.csv", 100_000)
    first = subprocess.Popen([sys.executable, "-m", "etl", "load", str(big), "--db", str(db)], cwd=REPO,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.3)
    second = etl("load", str(write_csv(tmp_path / "small.csv", [row(engagement_id="S-1")])), db=db)
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert second.returncode == 0, second.stderr
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM engagements").fetchone() == (100_001,)
    con.close()


def test_every_command_starts_without_the_statistics_libraries() -> None:
    """`python -m etl load` (any command) imports what every sub-command needs to be listed, not scipy: the alerts
    import it when they compute (0.5 s of every command's start otherwise, docs/performance.md)."""
    code = ("import sys, dashboard.snapshot.cli, etl.cli.main; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('scipy', 'statsmodels')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(REPO)})
    assert out.stdout.strip() == "[]"
