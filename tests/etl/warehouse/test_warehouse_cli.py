"""``python -m etl warehouse try-postgres`` and ``warehouse init`` as a person runs them, and what encryption hides.

The server the command starts is a real PostgreSQL; Ctrl+C (SIGINT) must stop it. The encrypted
warehouse is checked from the outside: the bytes of every data file must not hold a counterpart's name,
no data file opens without the catalog's keys, and a plain dump of the catalog (pg_dump) holds no row;
it does hold each column's smallest and largest value (DuckLake's statistics), as docs/deployment.md says.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from etl.config import Settings
from etl.intake import load_paths
from etl.store import warehouse
from etl.store.pgserver import postgres_bin
from tests.conftest import row, write_csv

REPO = Path(__file__).resolve().parents[3]
# Three counterparts; DuckLake keeps each column's smallest and largest value in the catalog in plain (its
# statistics), so the name that matters here is the one in the middle.
FIRST, NAME, LAST = "Aaron Aardvark", "Maj. Zebulon Quartermaine", "Zz Zyzzyva"


def test_try_postgres_then_init_then_an_encrypted_load(tmp_path: Path) -> None:
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"access-try-{os.getpid()}"  # reachable by `postgres`
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    server = subprocess.Popen([sys.executable, "-m", "etl", "warehouse", "try-postgres", "--dir", str(folder)],
                              cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        lines = [server.stdout.readline() for _ in range(6)]  # the last says how to stop it
        found = {m.group(1): m.group(2) for line in lines if (m := re.search(r"export (\w+)='([^']+)'", line))}
        assert set(found) == {"ACCESS_WAREHOUSE", "ACCESS_WAREHOUSE_DATA"} and "Ctrl+C" in lines[-1], lines
        env.update(found)
        init = subprocess.run([sys.executable, "-m", "etl", "warehouse", "init", "--db", str(tmp_path / "a.duckdb")],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
        assert init.returncode == 0 and init.stdout.startswith("created the warehouse"), init.stdout + init.stderr
        again = subprocess.run([sys.executable, "-m", "etl", "warehouse", "init", "--db", str(tmp_path / "a.duckdb")],
                               cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
        assert "already at schema version" in again.stdout, again.stdout + again.stderr
        log = tmp_path / "log.csv"
        write_csv(log, [row(engagement_id=f"Z-{i}", counterpart=name) for i, name in enumerate((FIRST, NAME, LAST))])
        settings = Settings(warehouse=found["ACCESS_WAREHOUSE"], warehouse_data=found["ACCESS_WAREHOUSE_DATA"],
                                      db=tmp_path / "a.duckdb")
        assert [r.rows_loaded for r in load_paths([log], settings.db, settings=settings)] == [3]
        with warehouse.reading(settings) as con:
            assert con.execute("SELECT count(*) FROM engagements WHERE counterpart_name = ?", [NAME]).fetchone() == (1,)
        data_files = [p for p in Path(found["ACCESS_WAREHOUSE_DATA"]).rglob("*") if p.is_file()]
        assert any("engagements" in p.parts for p in data_files)
        for path in data_files:
            assert not any(n.encode() in path.read_bytes() for n in (FIRST, NAME, LAST)), path
            with pytest.raises(duckdb.Error, match="encrypted"):
                duckdb.sql(f"SELECT * FROM read_parquet('{path}')").fetchall()
        url = found["ACCESS_WAREHOUSE"]
        dump = subprocess.run([str(postgres_bin() / "pg_dump"), "--dbname", url], capture_output=True, text=True,
                              timeout=120)
        assert dump.returncode == 0 and "ducklake_data_file" in dump.stdout, dump.stderr
        assert NAME not in dump.stdout  # no row kept in the catalog in plain (data inlining off)...
        assert FIRST in dump.stdout and LAST in dump.stdout  # ...but each column's bounds are (docs/deployment.md)
        server.send_signal(signal.SIGINT)  # Ctrl+C
        _, err = server.communicate(timeout=60)
        assert server.returncode == 0 and "PostgreSQL stopped" in err, err
        assert not (folder / "data" / "postmaster.pid").exists()
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGINT)
            server.communicate(timeout=60)
        shutil.rmtree(folder, ignore_errors=True)
