"""Shared pieces of the warehouse benchmark: a warehouse in the throwaway PostgreSQL, environments, row counts,
the machine's load, and the sections of docs/performance.md."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from bench.docs import put_block

ROOT = Path(__file__).resolve().parents[2]
WAREHOUSE_VARS = ("ACCESS_WAREHOUSE", "ACCESS_WAREHOUSE_DATA", "ACCESS_WAREHOUSE_ENCRYPTED")


@dataclass(frozen=True)
class Warehouse:
    """One warehouse: its catalog (a database of the throwaway PostgreSQL) and its data folder."""

    url: str
    data: Path
    audit_db: Path  # the ``--db`` the commands are given (where a file-mode command would keep its records)

    def env(self) -> dict[str, str]:
        return env({"ACCESS_WAREHOUSE": self.url, "ACCESS_WAREHOUSE_DATA": str(self.data)})

    def settings(self):  # type: ignore[no-untyped-def]
        from etl.config import Settings

        return Settings(warehouse=SecretStr(self.url), warehouse_data=self.data, db=self.audit_db)


def env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment for a child: the tree on PYTHONPATH, no warehouse unless ``extra`` names one."""
    out = {k: v for k, v in os.environ.items() if k not in WAREHOUSE_VARS}
    out["PYTHONPATH"] = str(ROOT)
    return out | (extra or {})


def new_warehouse(url: str, folder: Path) -> Warehouse:
    """``python -m etl warehouse init`` on the catalog ``url`` with its data in ``folder/lake`` (not timed)."""
    folder.mkdir(parents=True, exist_ok=True)
    wh = Warehouse(url, folder / "lake", folder / "audit.duckdb")
    done = subprocess.run([sys.executable, "-m", "etl", "warehouse", "init", "--db", str(wh.audit_db)],
                          cwd=ROOT, env=wh.env(), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"warehouse init failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return wh


COUNTS = {
    "engagements": "SELECT count(*) FROM engagements",
    "distinct engagement ids": "SELECT count(DISTINCT engagement_id) FROM engagements",
    "distinct row hashes": "SELECT count(DISTINCT row_hash) FROM engagements",
    "rejected rows": "SELECT count(*) FROM rejected_rows",
}


def counts(where: Warehouse | Path) -> dict[str, int]:
    """The counts of :data:`COUNTS` in a warehouse (read through the readers' door) or a database file."""
    import duckdb

    if isinstance(where, Warehouse):
        from etl.store import warehouse

        with warehouse.reading(where.settings()) as con:
            return {k: int(con.execute(sql).fetchone()[0]) for k, sql in COUNTS.items()}
    con = duckdb.connect(str(where), read_only=True)
    try:
        return {k: int(con.execute(sql).fetchone()[0]) for k, sql in COUNTS.items()}
    finally:
        con.close()


def check_counts(label: str, got: dict[str, int], clean: int, dirty: int) -> list[str]:
    """What is wrong with ``got`` against the generated files (``clean`` rows to load, ``dirty`` to reject)."""
    wrong = []
    for key in ("engagements", "distinct engagement ids", "distinct row hashes"):
        if got[key] != clean:
            wrong.append(f"{label}: {got[key]:,} {key}, the files hold {clean:,} clean rows")
    if got["rejected rows"] != dirty:
        wrong.append(f"{label}: {got['rejected rows']:,} rejected rows, the files hold {dirty:,} planted bad rows")
    return wrong


def machine_load() -> str:
    """The load averages (1, 5, 15 minutes), as ``uptime`` shows them."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f}"


def write_section(name: str, section: str) -> None:
    """Put ``section`` between the markers ``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` of the docs."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    put_block(f"{start}\n{section.strip()}\n{end}", start, end)
