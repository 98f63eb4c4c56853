"""Shared pieces of the page benchmark: paths, targets, statistics, JSON with dates, worker processes, CPU use."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

DEFAULT_WORK = ROOT / "bench" / "out" / "pages"
START, END = "<!-- bench_pages:start -->", "<!-- bench_pages:end -->"
# Targets from the issue.
TARGET_MEDIAN_S = {1_000_000: 0.25, 10_000_000: 2.0}
TARGET_APP_MB = 1536  # 1.5 GB, at 10M rows
TARGET_DRAW_S = 2.0  # at 1M rows
# ------------------------------------------------------------------------------------ helpers


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else math.nan


def p95(xs: list[float]) -> float:
    """Nearest-rank 95th percentile (the maximum when there are fewer than 20 values)."""
    if not xs:
        return math.nan
    s = sorted(xs)
    return s[max(0, math.ceil(0.95 * len(s)) - 1)]


def fmt_s(x: float) -> str:
    if x is None or math.isnan(x):
        return "–"
    return f"{x * 1000:,.0f} ms" if x < 10 else f"{x:,.1f} s"


def encode(obj: object) -> object:
    if isinstance(obj, dt.date):
        return {"__date__": obj.isoformat()}
    if isinstance(obj, set):
        return sorted(obj)
    raise TypeError(type(obj))


def decode(obj: dict) -> object:
    return dt.date.fromisoformat(obj["__date__"]) if "__date__" in obj else obj


def run_json(cmd: list[str]) -> tuple[dict, float]:
    """Run a worker process (its stderr shown as it comes); return its JSON output and its peak RSS in MB."""
    sys.stdout.flush()
    sys.stderr.flush()
    out = tempfile.TemporaryFile()
    pid = os.fork()
    if pid == 0:  # child
        os.chdir(ROOT)
        os.dup2(out.fileno(), 1)
        os.execvp(cmd[0], cmd)
    _, status, usage = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"worker failed (exit {os.waitstatus_to_exitcode(status)}): {' '.join(cmd)[:200]}")
    out.seek(0)
    return json.loads(out.read().decode(), object_hook=decode), usage.ru_maxrss / 1024


class CpuMeter:
    """CPU seconds used on the machine by others than this script (and its children) during a phase."""

    def __init__(self) -> None:
        self.tick = os.sysconf("SC_CLK_TCK")
        self.start = self._snap()

    def _snap(self) -> tuple[float, float, float]:
        with open("/proc/stat") as fh:
            f = [int(x) for x in fh.readline().split()[1:]]
        busy = (f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] if len(f) > 7 else 0)) / self.tick
        own = sum(getattr(resource.getrusage(w), a) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
                  for a in ("ru_utime", "ru_stime"))
        return time.monotonic(), busy, own

    def others(self) -> tuple[float, float]:
        """(seconds elapsed, average number of cores busy with other work)."""
        t1, b1, o1 = self._snap()
        t0, b0, o0 = self.start
        wall = max(t1 - t0, 1e-9)
        return wall, max(0.0, (b1 - b0) - (o1 - o0)) / wall
