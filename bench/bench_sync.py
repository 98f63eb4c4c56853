"""Benchmark: the bytes one office's week (about 500 engagements) costs to send and to receive with ``python -m etl sync``.

    python bench/bench_sync.py                  # 500 engagements, a warehouse already holding 3,000 other rows
    python bench/bench_sync.py --week 500 --files 1 --others 0

What it does, all on this machine: a throwaway PostgreSQL (etl/store/pgserver.py), a warehouse in it
filled with the demo logs of the other offices (``--others`` rows), and an office's database file with
one week: the first ``--week`` rows of one demo office's log, as ``--files`` daily exports, each loaded
with its own ``python -m etl load``. Then the
office syncs (:func:`etl.sync.push.push`) through a TCP proxy that counts the bytes to and from
PostgreSQL, and the new Parquet files in the warehouse's data folder are added up. The loader runs on the
office's machine, so what crosses its link is the catalog traffic and the data files it writes (to a
shared folder or S3), not the log itself. A second sync then shows what asking costs when there is
nothing to send.

Then the way back (:func:`etl.sync.pull.pull`), for the office's region (Burkina Faso's: West and Central
Africa): a first receive catches up with the region's history at the warehouse (the other offices' demo
rows of the region); then another office of the region (Niger) sends its own week (``--week`` rows, its
log's last ones) and the office receives it: a typical week received; then a receive with nothing new.
Bytes from PostgreSQL are counted by the proxy; the Parquet bytes read are the process's file reads
(``rchar`` of ``/proc/self/io``) during the warehouse reads, less those of opening the warehouse and reading
nothing (the extensions' files). It prints its figures and asserts nothing (no timing either).
"""

from __future__ import annotations

import argparse
import csv
import re
import socket
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pydantic import SecretStr  # noqa: E402

from etl.config import Settings  # noqa: E402
from etl.demo.build import write_demo_logs  # noqa: E402
from etl.intake import load_paths, refresh_places  # noqa: E402
from etl.store import outbox, warehouse  # noqa: E402
from etl.store.db import reading  # noqa: E402
from etl.store.loads import retrying, write_session  # noqa: E402
from etl.store.pgserver import LocalPostgres  # noqa: E402
from etl.sync import pull as pull_module  # noqa: E402
from etl.sync import sql as pull_sql  # noqa: E402
from etl.sync.push import push  # noqa: E402

REGION = "West and Central Africa"  # Burkina Faso's


def file_reads() -> int:
    """Bytes this process has read from files so far (socket reads are not counted: libpq uses recv)."""
    text = Path("/proc/self/io").read_text(encoding="ascii")
    found = re.search(r"^rchar: (\d+)$", text, re.M)
    return int(found.group(1)) if found else 0


class CountingProxy:
    """127.0.0.1:<port> forwarded to PostgreSQL's port, counting the bytes each way."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.up = self.down = 0
        self.lock = threading.Lock()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.server.getsockname()[1])
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            client, _ = self.server.accept()
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            threading.Thread(target=self._pump, args=(client, upstream, "up"), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, "down"), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, way: str) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
                with self.lock:
                    setattr(self, way, getattr(self, way) + len(data))
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def reset(self) -> tuple[int, int]:
        with self.lock:
            counts = (self.up, self.down)
            self.up = self.down = 0
        return counts


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def split_log(source: Path, out: Path, last: int) -> tuple[Path, Path]:
    """A demo log as two files: its history (every row but the last ``last``) and its week (those)."""
    with open(source, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        lines = list(reader)
    paths = (out / f"{source.stem}_history.csv", out / f"{source.stem}_week.csv")
    for path, part in zip(paths, (lines[:-last], lines[-last:]), strict=True):
        with open(path, "w", encoding="utf-8", newline="") as dst:
            writer = csv.writer(dst)
            writer.writerow(header)
            writer.writerows(part)
    return paths


def receive(office_db: Path, target: Settings, proxy: CountingProxy, baseline: int) -> tuple[str, int, int, int]:
    """One receive at the office: its line of figures, and (from PostgreSQL, to it, Parquet bytes read)."""
    with reading(office_db, settings=Settings(db=office_db)) as con:
        have = [r[0] for r in con.execute(pull_sql.OFFICE_KEYS).fetchall()]
    proxy.reset()
    before = file_reads()
    pull_module._fetch(target, have, [REGION])  # what the receive reads at the warehouse, measured alone
    parquet = max(file_reads() - before - baseline, 0)
    proxy.reset()
    report = pull_module.pull(office_db, Settings(db=office_db), target, (REGION,), "bench")
    up, down = proxy.reset()
    line = (f"{len(report.received)} loads, {report.rows_new:,} rows received; to PostgreSQL {up:,} bytes, from "
            f"PostgreSQL {down:,} bytes; Parquet bytes read {parquet:,}; total over the link {up + down + parquet:,} "
            "bytes.")
    return line, down, up, parquet


def one_week(source: Path, out: Path, rows: int, files: int) -> list[Path]:
    """The first ``rows`` data rows of a demo office's log, as that office's ``files`` exports of the week."""
    with open(source, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        lines = [line for _, line in zip(range(rows), reader, strict=False)]
    out.mkdir()
    paths = []
    for day in range(files):
        path = out / f"office_day{day + 1}.csv"
        with open(path, "w", encoding="utf-8", newline="") as dst:
            writer = csv.writer(dst)
            writer.writerow(header)
            writer.writerows(lines[day::files])
        paths.append(path)
    return paths


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--week", type=int, default=500, help="engagements in the office's week (default 500)")
    parser.add_argument("--files", type=int, default=7, help="exports the week comes in, each loaded on its own "
                                                              "(default 7: one a day)")
    parser.add_argument("--others", type=int, default=3000, help="demo rows of the other offices already in the "
                                                                  "warehouse (default 3,000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="access-bench-sync-", dir="/tmp") as tmp:
        work = Path(tmp)
        work.chmod(0o755)  # the throwaway server's account (when run as root) must reach its folder
        demo = write_demo_logs(work / "demo", rows=max(args.others, args.week * 12))
        office_log = next(p for p in demo if p.name == "demo_bfa_access_log.csv")
        week = one_week(office_log, work / "office_week", args.week, args.files)
        office_db = work / "office.duckdb"
        loaded = sum(r.rows_loaded for path in week for r in load_paths([path], office_db, settings=Settings(db=office_db)))
        with LocalPostgres(work / "pg").running() as pg:
            proxy = CountingProxy(pg.port)
            url = pg.new_database("bench").replace(f":{pg.port}/", f":{proxy.port}/")
            target = Settings(warehouse=SecretStr(url), warehouse_data=work / "lake", db=work / "unused.duckdb")
            warehouse.init(target)
            with write_session(target.db, target, in_warehouse=True) as con:
                retrying(lambda: refresh_places(con, target))
            neighbour_log = next(p for p in demo if p.name == "demo_ner_access_log.csv")
            neighbour_history, neighbour_week = split_log(neighbour_log, work, args.week)
            if args.others:
                others = [p for p in demo if p not in (office_log, neighbour_log) and p.suffix == ".csv"
                          and "access_log" in p.name]
                load_paths([*others, neighbour_history], target.db, settings=target)
            proxy.reset()
            before = folder_bytes(work / "lake")
            report = push(office_db, Settings(db=office_db), target)
            up, down = proxy.reset()
            written = folder_bytes(work / "lake") - before
            again = push(office_db, Settings(db=office_db), target)
            up2, down2 = proxy.reset()
            # The way back. Opening the warehouse and reading nothing: the file reads every receive pays anyway.
            before_open = file_reads()
            with warehouse.reading(target):
                pass
            baseline = file_reads() - before_open
            caught_up = receive(office_db, target, proxy, baseline)[0]
            load_paths([neighbour_week], target.db, settings=target)  # Niger's office sends its week
            week_in = receive(office_db, target, proxy, baseline)[0]
            nothing = receive(office_db, target, proxy, baseline)[0]
        size = sum(e.size for e in outbox.entries(office_db).values())
        print(f"Office week: {loaded:,} engagements loaded at the office from {len(week)} files of {size:,} bytes "
              f"in all; warehouse already holding the demo logs of the other offices ({args.others:,} rows asked for).")
        print(f"First sync: {len(report.sent)} loads sent ({sum(s.result.rows_loaded for s in report.sent):,} rows at the "
              f"warehouse); to PostgreSQL {up:,} bytes, from PostgreSQL {down:,} bytes; Parquet files written "
              f"{written:,} bytes; total over the link {up + down + written:,} bytes.")
        print(f"Second sync (nothing to send): {len(again.sent)} sent, {again.already_there} already there; "
              f"to PostgreSQL {up2:,} bytes, from PostgreSQL {down2:,} bytes.")
        print(f"Receiving ({REGION}), first time (the region's history at the warehouse): {caught_up}")
        print(f"Receiving a typical week (Niger's office sent {args.week:,} rows of its log): {week_in}")
        print(f"Receiving with nothing new: {nothing}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
