"""``python -m etl status``: what is in the database and what was turned away, and why."""

from __future__ import annotations

from pathlib import Path

from etl.config import get_settings
from etl.store.reader import reading

TABLES = ("engagements", "access_requests", "counterparts", "counterpart_aliases", "counterpart_review",
          "counterpart_decisions", "checkpoints", "engagement_obstacles", "engagement_conditions", "incidents",
          "incident_codes", "admin_areas", "pcodes", "loads", "rejected_rows")


def print_status(db_path: Path, rejected: bool = False, limit: int = 20) -> int:
    with reading(db_path) as con:
        settings = get_settings()
        print(f"Warehouse: data in {settings.warehouse_data}" if settings.warehouse else f"Database: {db_path}")
        loads = con.execute("""
            SELECT load_id, file_name, status, rows_read, rows_loaded, rows_rejected, rows_duplicate,
                   strftime(finished_at, '%Y-%m-%d %H:%M')
            FROM loads ORDER BY load_id""").fetchall()
        print(f"\nLoads ({len(loads)}):")
        print(f"  {'id':>4}  {'file':<38} {'status':<12} {'read':>9} {'loaded':>9} {'rejected':>9} {'dupes':>8}  when")
        for load_id, name, status, read, loaded, rej, dup, when in loads:
            print(f"  {load_id:>4}  {name[:38]:<38} {status:<12} {read:>9,} {loaded:>9,} {rej:>9,} {dup:>8,}  {when}")
        print("\nRows:")
        for table in TABLES:
            row = con.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608 - fixed table names
            print(f"  {table:<24} {row[0] if row else 0:>10,}")
        unique = con.execute("SELECT count(*) FROM incidents WHERE duplicate_of IS NULL").fetchone()
        if unique and unique[0]:
            print(f"  {'incidents, counted once':<24} {unique[0]:>10,}  (the same incident from two sources)")
        pending = con.execute("SELECT count(*) FROM counterpart_review WHERE status = 'pending'").fetchone()
        if pending and pending[0]:
            print(f"\n{pending[0]} doubtful counterpart name pair(s) kept apart, waiting for review.")
        reasons = con.execute("""
            SELECT reason_code, count(*) AS problems, count(DISTINCT (load_id, sheet, row_number)) AS rows_
            FROM rejected_rows GROUP BY 1 ORDER BY 2 DESC, 1""").fetchall()
        total = con.execute("SELECT count(DISTINCT (load_id, sheet, row_number)) FROM rejected_rows").fetchone()
        print(f"\nRejected rows by reason ({total[0] if total else 0:,} rows):")
        for code, _problems, rows in reasons:
            print(f"  {code:<28} {rows:>8,} rows")
        if rejected:
            print(f"\nFirst {limit} rejected rows:")
            for file, sheet, row, col, reason in con.execute("""
                    SELECT source_file, sheet, row_number, column_name, reason FROM rejected_rows
                    ORDER BY load_id, sheet NULLS FIRST, row_number LIMIT ?""", [limit]).fetchall():
                where = f"{file}" + (f" [{sheet}]" if sheet else "") + f" row {row}" + (f", {col}" if col else "")
                print(f"  {where}: {reason}")
    return 0
