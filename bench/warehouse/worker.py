"""One worker process of ``bench_warehouse.py pages``: a page's queries timed the way the app runs them.

    python -m bench.warehouse.worker SPEC.json cold|warm      # prints its timings as JSON

The app's path (``dashboard/db/connection.py``): the readers' door :func:`etl.store.reader.connect_read`
(the database file ATTACHed as ``access``, or the warehouse ATTACHed at its latest snapshot when the spec
names one), the scoped views of ``hq`` granted every region (the scope that may open every page: names
and notes in clear; :func:`dashboard.db.scope.ensure_scope`), then each query on a cursor with the
scope's ``search_path``, fetched into pandas (the disclosure rules, applied to the results in Python,
are not timed). With ``"catalog"`` in the spec, the warm worker runs every page once more with
DuckLake's metadata log on and reports, per page, the queries sent to the catalog and their milliseconds.
*Connect* is everything before the first query: ATTACH, the latest snapshot asked of
the catalog, the pseudonym salt, the scope's views. Imports happen before the clock starts.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import duckdb
from pydantic import SecretStr

from bench.pages.common import decode
from dashboard.db.scope import ensure_scope, pseudonym_salt
from etl.accounts.roles import ALL_REGIONS, scope_for
from etl.config import Settings
from etl.store import reader

# DuckLake's own log of the queries it sends to its catalog (PostgreSQL), with their time.
CATALOG_LOG = "SELECT count(*), coalesce(sum(elapsed_ms), 0) FROM duckdb_logs_parsed('DuckLakeMetadata')"
# hq granted every region ("*"): the one scope that opens every page (plain hq may not open a counterpart's
# profile), names and notes in clear.
SCOPE = scope_for("hq", (ALL_REGIONS,))


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text(), object_hook=decode)
    mode = sys.argv[2]
    duckdb.connect().execute("SELECT 1").df()  # pandas and friends loaded first, as in the app
    db = Path(spec["db"])
    settings = Settings(db=db, warehouse=SecretStr(spec["warehouse"]) if spec["warehouse"] else None,
                        warehouse_data=Path(spec["data"]) if spec["data"] else None)
    t = time.perf_counter()
    con = reader.connect_read(db, settings=settings)
    search_path = ensure_scope(con, SCOPE, pseudonym_salt(db, settings))
    connect = time.perf_counter() - t
    skip: dict[int, set[int]] = {}  # view -> queries that reached the timeout (not run again)

    def page(i: int) -> list[float | None]:
        times: list[float | None] = []
        for j, q in enumerate(spec["views"][i]):
            if j in skip.setdefault(i, set()):
                times.append(None)
                continue
            cur = con.cursor()
            timer = threading.Timer(spec["timeout"], cur.interrupt)
            timer.start()
            t = time.perf_counter()
            try:
                cur.execute(f"SET search_path = '{search_path}'")
                cur.execute(q["sql"], q["params"]).df()
                times.append(time.perf_counter() - t)
            except duckdb.InterruptException:
                times.append(None)
                skip[i].add(j)
            finally:
                timer.cancel()
                cur.close()
        return times

    out: dict = {"connect": connect, "runs": {i: [] for i in range(len(spec["views"]))}}
    if mode == "warm":  # one connection for every page, as in the app; a first round untimed
        for i in range(len(spec["views"])):
            page(i)
        for _ in range(spec["runs"]):
            for i in range(len(spec["views"])):
                out["runs"][i].append(page(i))
        if spec.get("catalog"):  # once more, counting the metadata queries DuckLake sends to the catalog
            con.execute("CALL enable_logging('DuckLakeMetadata')")
            out["catalog"] = {}
            for i in range(len(spec["views"])):
                before = con.execute(CATALOG_LOG).fetchone()
                page(i)
                after = con.execute(CATALOG_LOG).fetchone()
                out["catalog"][i] = [after[0] - before[0], float(after[1] - before[1])]
    else:
        out["runs"][0].append(page(0))
    con.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
