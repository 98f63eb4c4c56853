"""No file makes the loader crash: the fuzz corpus (tests/fuzz/make_corpus.py) through the real loader.

Every file of the corpus, plus named pipes, sockets, devices and broken links made here, goes
through ``etl.intake.load_paths`` into a real DuckDB database that already holds data. For each:
no exception escapes, no message is a traceback or the loader's "unexpected problem" (each of those
was a crash, fixed where it happened), every refusal names the file, and the database file is
byte-identical after every refusal. Files go in batches (one write session each) to keep the test
short: a batch where everything was refused must leave the file byte-identical, and at the end
every refused file is loaded again among refused files only, which must leave it byte-identical
too. A sample also goes through ``python -m etl load`` and the Data page's upload path.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard import uploads
from etl.config import Settings, get_settings
from etl.errors import short_name
from etl.intake import UNEXPECTED, LoadResult, load_paths
from tests.conftest import REPO
from tests.fuzz.make_corpus import make_corpus

BATCH = 24


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _specials(folder: Path) -> list[Path]:
    """Things that are not files: refused by their kind, before the database is locked."""
    folder.mkdir()
    os.mkfifo(folder / "pipe.csv")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(folder / "socket.json"))
    sock.close()
    (folder / "zero.csv").symlink_to("/dev/zero")
    (folder / "null.json").symlink_to("/dev/null")
    (folder / "dangling.xlsx").symlink_to(folder / "nowhere.xlsx")
    (folder / "loop.csv").symlink_to(folder / "loop.csv")
    return [folder / n for n in ("pipe.csv", "socket.json", "zero.csv", "null.json", "dangling.xlsx", "loop.csv")] + [
        folder / ("N" * 300 + ".csv"), folder / "deleted.csv"]


def _check(result: LoadResult) -> None:
    message = result.message
    assert "Traceback" not in message and UNEXPECTED not in message, message
    assert len(message) < 1500, f"{short_name(result.path.name)}: message of {len(message):,} characters"
    if result.status == "failed":
        assert short_name(result.path.name) in message, message


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Settings]:
    root = tmp_path_factory.mktemp("fuzz")
    files = make_corpus(root / "corpus") + _specials(root / "specials")
    settings = Settings(db=root / "db" / "access.duckdb", lock_timeout_s=5)
    seeds = root / "corpus_seeds"
    base = load_paths([seeds / "demo_bfa_access_log.csv", seeds / "demo_afg_access_log.xlsx"], settings.db, settings)
    assert [r.status for r in base] == ["loaded", "loaded"]  # a database that already holds data
    return files, settings


def test_every_corpus_file_is_loaded_or_refused_by_name_leaving_the_database_untouched(corpus):
    files, settings = corpus
    assert len(files) >= 300
    db = settings.db
    statuses: dict[str, int] = {}
    refused: list[Path] = []
    for start in range(0, len(files), BATCH):
        batch = files[start:start + BATCH]
        before = _sha(db)
        results = load_paths(batch, db, settings)  # raises nothing, whatever the files
        assert [r.path for r in results] == batch
        for r in results:
            _check(r)
            statuses[r.status] = statuses.get(r.status, 0) + 1
        if all(r.status in ("failed", "already_loaded") for r in results):
            assert _sha(db) == before, f"nothing committed in {[p.name for p in batch]} but the file changed"
        else:  # checked below: a file loaded beside them changed the database anyway
            refused += [r.path for r in results if r.status in ("failed", "already_loaded")]
    assert statuses.get("failed", 0) > 150 and statuses.get("loaded", 0) > 5, statuses
    # The refused files of batches where another file loaded, again, among refused files only, on the final
    # baseline: had any of them written anything, its batch would have been published and the file would differ.
    assert refused
    for start in range(0, len(refused), BATCH * 2):
        batch = refused[start:start + BATCH * 2]
        before = _sha(db)
        results = load_paths(batch, db, settings)
        for r in results:
            _check(r)
        assert [r.status for r in results if r.status not in ("failed", "already_loaded")] == []
        assert _sha(db) == before, f"refused files changed the database: {[p.name for p in batch]}"


def test_a_sample_through_the_command_line_and_the_upload_page(corpus, tmp_path, monkeypatch):
    files, settings = corpus
    names = ("crafted_cell_far.xlsx", "crafted_deep_array.json", "crafted_lone_surrogate.json", "pipe.csv",
             "zero.csv", "demo_xlsx_cut_sheet1.xlsx", "log_csv_cr_only.csv", "crafted_sst_count_lie.xlsx")
    sample = [f for f in files if f.name in names] + [f for f in files if f.name.startswith("LLLL")]
    assert len(sample) == len(names) + 1
    db = tmp_path / "cli.duckdb"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "etl", "load", "--quiet", "--db", str(db), *map(str, sample)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert "Traceback" not in proc.stderr + proc.stdout and UNEXPECTED not in proc.stderr
    assert proc.returncode == 1  # some files failed
    for path in sample:  # each file is named, loaded or FAILED with its reason
        assert short_name(path.name).splitlines()[0][:40] in proc.stdout + proc.stderr, path.name
    assert "FAILED  pipe.csv: is a named pipe (FIFO), not a file." in proc.stderr

    monkeypatch.setenv("ACCESS_DB", str(tmp_path / "upload" / "access.duckdb"))
    get_settings.cache_clear()
    try:
        for path in sample:
            if not path.is_file():
                continue
            results, error = uploads.load_upload(path.name, path.read_bytes())
            assert error is None
            for r in results:
                _check(r)
    finally:
        get_settings.cache_clear()
