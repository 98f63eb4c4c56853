"""etl.intake under hostile conditions: non-files refused before the lock, files changing mid-load,
mixed folders, and loading that streams file by file."""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb

import etl.intake
from etl.store.db import lock_path
from tests.conftest import REPO, row, write_csv


def test_pipes_and_devices_are_refused_before_the_writer_lock_is_taken(tmp_path, settings):
    os.mkfifo(tmp_path / "pipe.csv")
    (tmp_path / "zero.csv").symlink_to("/dev/zero")
    settings.lock_timeout_s = 0.5
    settings.db.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path(settings.db), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another load holds the database
    try:
        start = time.monotonic()
        results = etl.intake.load_paths([tmp_path / "pipe.csv", tmp_path / "zero.csv", tmp_path], settings.db,
                                        settings)
        assert time.monotonic() - start < 5  # neither waited for a writer nor read forever
    finally:
        os.close(fd)
    # given directly, and found in the folder: every one named, with what it is
    messages = [r.message for r in results]
    assert [r.status for r in results] == ["failed"] * 4
    assert messages[0] == messages[2] == "pipe.csv: is a named pipe (FIFO), not a file. Load a log exported as CSV, XLSX or JSON."
    assert messages[1] == messages[3] == "zero.csv: is a device, not a file. Load a log exported as CSV, XLSX or JSON."
    assert not settings.db.exists()


def test_the_hash_recorded_is_of_the_bytes_loaded_when_the_file_changes_or_goes_during_the_load(
        tmp_path, load, q, monkeypatch):
    first = write_csv(tmp_path / "a.csv", [row(engagement_id="A-1"), row(engagement_id="A-2")])
    second = write_csv(tmp_path / "b.csv", [row(engagement_id="B-1")])
    loaded_bytes = first.read_bytes()
    real = etl.intake.check_archive

    def meddle(path: Path, *args: object) -> None:  # a.csv has just been copied: it is overwritten, b.csv deleted
        if path.name == "a.csv":
            first.write_bytes(b"date,counterpart\n2025-01-01,Someone else\n")
            second.unlink()
        real(path, *args)

    monkeypatch.setattr(etl.intake, "check_archive", meddle)
    ra, rb = load(first, second)
    assert ra.status == "loaded" and ra.rows_loaded == 2
    assert rb.status == "failed" and rb.message.startswith("b.csv: file not found")
    assert q("SELECT content_sha256, file_bytes FROM loads") == [
        (hashlib.sha256(loaded_bytes).hexdigest(), len(loaded_bytes))]
    assert q("SELECT count(*) FROM engagements") == [(2,)]  # the two rows of the bytes read, not the new file


def test_each_file_is_inserted_before_the_next_is_read(tmp_path, load, monkeypatch):
    """Streaming: when a file is staged, no earlier file's staged rows are still held."""
    files = [write_csv(tmp_path / f"s{i}.csv", [row(engagement_id=f"S-{i}")]) for i in range(4)]
    held: list[int] = []
    real = etl.intake.stage_log

    def spy(con: duckdb.DuckDBPyConnection, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        held.append(con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary AND "
                                "starts_with(table_name, 'stage_raw')").fetchone()[0])
        return real(con, *args, **kwargs)

    monkeypatch.setattr(etl.intake, "stage_log", spy)
    assert [r.status for r in load(*files)] == ["loaded"] * 4
    assert held == [0, 0, 0, 0]


def test_a_mixed_folder_says_which_files_committed_and_which_did_not(tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    write_csv(folder / "good.csv", [row(engagement_id="G-1")])
    (folder / "broken.json").write_text("[" * 5000, encoding="utf-8")
    (folder / "empty.csv").write_bytes(b"")
    os.mkfifo(folder / "pipe.csv")
    db = tmp_path / "access.duckdb"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "etl", "load", "--quiet", "--db", str(db), str(folder)], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "loaded  good.csv: 1 rows read, 1 loaded" in proc.stdout
    failed = sorted(line.split(":")[0] for line in proc.stderr.splitlines() if line.startswith("FAILED"))
    assert failed == ["FAILED  broken.json", "FAILED  empty.csv", "FAILED  pipe.csv"]
    assert "4 file(s)" in proc.stdout and "3 file(s) failed" in proc.stdout
