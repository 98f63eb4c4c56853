"""Peak memory of loading many one-row files against one file holding the same rows.

    python bench/bench_many_files.py                  # 2,000 one-row CSV files vs one 2,000-row CSV
    python bench/bench_many_files.py --files 200      # quicker

Field offices often send one file per submission (KoboToolbox / ODK exports). A load streams file
by file (etl/intake.py): each file is copied, staged, checked and inserted in its own transaction,
and its staged rows are dropped before the next file is read. So the peak memory of a folder of
N one-row files should stay close to that of one file of N rows. Each side runs
``python -m etl load`` in a fresh process on a fresh database; peak memory is that process'
maximum resident set size. Prints both, their ratio and the wall times.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HEADER = ["_uuid", "_submission_time", "date", "organisation", "activity", "country", "admin1", "location",
          "latitude", "longitude", "counterpart", "counterpart_type", "outcome", "obstacles", "people_reached"]


def submission(i: int) -> list[str]:
    """One engagement as a KoboToolbox export row; every one different."""
    day = dt.date(2025, 1, 1) + dt.timedelta(days=i % 300)
    return [f"uuid-{i:06d}", f"{day.isoformat()}T18:00:00", day.isoformat(), "Northstar Relief",
            "Delivery of goods", "YEM", "Aden", f"Site {i % 40}",
            f"{12.80 + (i % 50) / 1000:.3f}", f"{44.95 + (i % 70) / 1000:.3f}", f"Commander {i % 90}", "Army",
            ("Granted", "Denied", "Granted with conditions")[i % 3], "checkpoint delay", str(10 + i % 500)]


def write_files(folder: Path, n: int, one_file: bool) -> None:
    folder.mkdir(parents=True)
    if one_file:
        with open(folder / "all_submissions.csv", "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(HEADER)
            writer.writerows(submission(i) for i in range(n))
        return
    for i in range(n):
        with open(folder / f"submission_{i:06d}.csv", "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(HEADER)
            writer.writerow(submission(i))


def measure(folder: Path, db: Path) -> tuple[float, str]:
    """(seconds, summary line) of `python -m etl load folder` in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "etl", "load", "--quiet", "--db", str(db), str(folder)],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate()
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        raise SystemExit(f"load failed ({proc.returncode}): {err.strip()[-2000:]}")
    summary = [line for line in out.splitlines() if line.startswith("Summary:")]
    return seconds, summary[-1] if summary else out.strip().splitlines()[-1]


def run_side(n: int, one_file: bool, work: Path) -> tuple[float, float, str]:
    """Load one side in a child process and read its peak RSS from RUSAGE_CHILDREN (fresh per side)."""
    folder = work / ("one_file" if one_file else "many_files")
    write_files(folder, n, one_file)
    # Each side runs under its own intermediate process, so RUSAGE_CHILDREN is that side's alone.
    code = (f"import resource, sys; sys.path.insert(0, {str(REPO)!r}); from bench.bench_many_files import measure; "
            f"from pathlib import Path; s, line = measure(Path({str(folder)!r}), Path({str(work / (folder.name + '.duckdb'))!r})); "
            "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024; print(s, peak, line, sep='\\t')")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(out.stderr.strip()[-2000:])
    seconds, peak, line = out.stdout.strip().splitlines()[-1].split("\t")
    return float(seconds), float(peak), line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000, help="number of one-row files (and rows of the one file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_many_files_") as tmp:
        work = Path(tmp)
        one_s, one_mb, one_line = run_side(args.files, True, work)
        many_s, many_mb, many_line = run_side(args.files, False, work)
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{resource.getpagesize()}-byte pages, {dt.date.today()}")
    print(f"one file of {args.files:,} rows      {one_s:8.1f} s  peak {one_mb:7,.0f} MB  | {one_line}")
    print(f"{args.files:,} files of one row each {many_s:8.1f} s  peak {many_mb:7,.0f} MB  | {many_line}")
    print(f"peak memory ratio (many / one): {many_mb / one_mb:.2f}")


if __name__ == "__main__":
    main()
