"""The demo's entry point, :func:`write_demo_logs`: builds the world, plans the offices, samples
and renders the rows chunk by chunk, writes the logs and incident feeds, then the manifest.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from etl.demo.conflict import write_conflict_feeds
from etl.demo.constants import (
    CHUNK_ROWS,
    DEFAULT_BOUNDARIES,
    DEFECT_KINDS,
    DIRTY_SHARE,
    ETL_REASON,
    FILE_PREFIX,
    MANIFEST_NAME,
    MIXED_FORMATS_MAX_ROWS,
    O_DEFERRED,
    TYPE_CODES,
)
from etl.demo.feeds import FEED_FILES, write_incident_feeds
from etl.demo.model import Office, World
from etl.demo.offices import _office_plan
from etl.demo.patterns import DENIAL_END, DENIAL_START, OFFENSIVE_DENIAL, RESTRICTIVE_COUNTERPARTS, SEASONS
from etl.demo.render import _DateTables, _Renderer
from etl.demo.sampling import _generate_chunk, _Tables, _tables
from etl.demo.world import _build_world
from etl.demo.writers import _CsvWriter, _JsonWriter, _XlsxWriter


def _choose_defects(rng: np.random.Generator, ch: dict[str, np.ndarray], tb: _Tables, first_dirty: int,
                    n_dirty: int) -> np.ndarray:
    """Defect kind per row (-1 for clean rows); kinds cycle so that the shares stay equal."""
    n = len(ch["day"])
    defects = np.full(n, -1, np.int64)
    if n_dirty <= 0:
        return defects
    open_outcome = (ch["outcome"] >= O_DEFERRED) & (ch["cond"][:, 0] < 0)
    site = np.where(ch["chk"] >= 0, tb.n_places + ch["chk"], ch["place"])
    eligible = {
        "unknown_outcome": open_outcome,
        "negative_people_targeted": open_outcome,
        "non_numeric_people_targeted": open_outcome,
        "swapped_coordinates": tb.site_swap_ok[site],
    }
    wanted = [0] * len(DEFECT_KINDS)
    for g in range(first_dirty, first_dirty + n_dirty):
        wanted[g % len(DEFECT_KINDS)] += 1
    order = rng.permutation(n)
    taken = np.zeros(n, bool)
    # constrained kinds first, so that the others cannot use up their rows
    for kind in sorted(range(len(DEFECT_KINDS)), key=lambda k: DEFECT_KINDS[k] not in eligible):
        if not wanted[kind]:
            continue
        ok = ~taken[order]
        if DEFECT_KINDS[kind] in eligible:
            ok &= eligible[DEFECT_KINDS[kind]][order]
        rows = order[ok][:wanted[kind]]
        taken[rows] = True
        defects[rows] = kind
    return defects


def _clean_out_dir(out_dir: Path) -> None:
    manifest = out_dir / MANIFEST_NAME
    names: set[str] = set(FEED_FILES)
    if manifest.exists():
        try:
            doc = json.loads(manifest.read_text(encoding="utf-8"))
            names |= {f["file"] for f in doc.get("files", [])}
            names |= {f["file"] for f in (doc.get("incident_feeds") or {}).get("files", [])}
        except (ValueError, KeyError, TypeError, AttributeError):
            pass
    for path in sorted(out_dir.glob(f"{FILE_PREFIX}*_access_log.*")):
        names.add(path.name)
    for name in sorted(names):
        target = out_dir / name
        if target.is_file() and target.name.startswith(FILE_PREFIX):
            target.unlink()
    if manifest.exists():
        manifest.unlink()


def write_demo_logs(out_dir: Path, rows: int = 30_000, seed: int = 7, end_date: date = date(2026, 10, 31),
                    boundaries: Path = DEFAULT_BOUNDARIES,
                    progress: Callable[[int], None] | None = None) -> list[Path]:
    """Write deterministic, realistic demo engagement logs (one file per country office).

    Earlier demo files in ``out_dir`` (those named in its manifest, ``demo_*_access_log.*`` and
    the incident feed files) are removed first; other files are left alone. The same arguments always give byte-identical
    files. See the package docstring (:mod:`etl.demo`) for the content and the patterns to discover.

    :param out_dir: folder to write to (created if needed).
    :param rows: total number of data rows over all files (clean and dirty).
    :param seed: random seed.
    :param end_date: last day of the three-year window of engagements.
    :param boundaries: admin-1 GeoJSON (properties pcode, name, iso3, country, region); its
        countries (those flagged ``demo`` in the sibling ``regions.csv``, when present) are the offices.
    :param progress: called with the number of rows written so far after each chunk.
    :returns: the paths of the log and incident feed files written, sorted by name (the manifest
        is not included).

    >>> paths = write_demo_logs(Path("/tmp/demo"), rows=3000)  # doctest: +SKIP
    >>> json.loads((Path("/tmp/demo") / MANIFEST_NAME).read_text())["dirty_rows"]  # doctest: +SKIP
    75
    """
    if rows < 0:
        raise ValueError(f"rows must be zero or more, not {rows}.")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _clean_out_dir(out_dir)
    world = _build_world(Path(boundaries), seed, end_date)
    tb = _tables(world, seed)
    mixed = rows <= MIXED_FORMATS_MAX_ROWS
    offices = _office_plan(world, seed, mixed)
    ndays = (world.end - world.start).days + 1
    dates = _DateTables(world.start, ndays + 200 + 800, 200)
    fixed_time = datetime(end_date.year, end_date.month, end_date.day, 12, 0, 0)
    writers: list[Any] = []
    for office in offices:
        path = out_dir / office.filename
        if office.fmt == "xlsx":
            writers.append(_XlsxWriter(path, office, world.countries[office.country].name, fixed_time))
        elif office.fmt == "json":
            writers.append(_JsonWriter(path, office))
        else:
            writers.append(_CsvWriter(path, office))
    renderers = [_Renderer(world, tb, office, dates, seed) for office in offices]
    n_dirty_total = int(math.floor(rows * DIRTY_SHARE + 0.5))
    n_chunks = max(1, math.ceil(rows / CHUNK_ROWS))
    file_rows = [0] * len(offices)
    file_counts: list[dict[str, int]] = [{} for _ in offices]
    hostile = 0
    done = 0
    dirty_done = 0
    try:
        for chunk in range(n_chunks):
            n = rows // n_chunks + (1 if chunk < rows % n_chunks else 0)
            if n == 0:
                continue
            ch = _generate_chunk(world, tb, seed, chunk, n_chunks, n)
            target_dirty = n_dirty_total * (done + n) // rows if rows else 0
            defects = _choose_defects(np.random.default_rng((seed, 3, chunk)), ch, tb, dirty_done,
                                      target_dirty - dirty_done)
            dirty_done = target_dirty
            for oi, office in enumerate(offices):
                sel = np.flatnonzero(ch["country"] == office.country)
                if not len(sel):
                    continue
                cells, counts, n_hostile = renderers[oi].render(ch, sel, defects, chunk)
                writers[oi].write(cells)
                file_rows[oi] += len(sel)
                hostile += n_hostile
                for k, v in counts.items():
                    file_counts[oi][k] = file_counts[oi].get(k, 0) + v
            done += n
            if progress is not None:
                progress(done)
    finally:
        for w in writers:
            w.close()
    # Incident feeds (AWSD, Insecurity Insight) beside the logs: etl.demo.feeds.
    feed_paths, feeds = write_incident_feeds(out_dir, world, rows, seed, mixed, fixed_time)
    # Conflict events (ACLED) and monthly counts (HDX HAPI) beside them: etl.demo.conflict.
    conflict_paths, conflict = write_conflict_feeds(out_dir, world, rows, seed)
    paths = sorted([*(out_dir / o.filename for o in offices), *feed_paths, *conflict_paths])
    _write_manifest(out_dir, world, offices, rows, seed, file_rows, file_counts, hostile, mixed,
                    {"incident_feeds": feeds, "conflict_feeds": conflict})
    return paths


def _write_manifest(out_dir: Path, world: World, offices: list[Office], rows: int, seed: int,
                    file_rows: list[int],
                    file_counts: list[dict[str, int]], hostile: int, mixed: bool,
                    feeds: dict[str, Any]) -> None:
    """Write ``_manifest.json``; ``feeds`` holds the feed sections (``incident_feeds``, ``conflict_feeds``)."""
    by_kind = {k: 0 for k in DEFECT_KINDS}
    detail: dict[str, int] = {}
    files: list[dict[str, Any]] = []
    for office, n, counts in zip(offices, file_rows, file_counts, strict=True):
        kinds = {k: counts.get(k, 0) for k in DEFECT_KINDS if counts.get(k, 0)}
        for k, v in counts.items():
            if k in by_kind:
                by_kind[k] += v
            else:
                detail[k] = detail.get(k, 0) + v
        dirty = sum(kinds.values())
        c = world.countries[office.country]
        files.append({
            "file": office.filename, "iso3": office.iso3, "country": c.name, "region": c.region,
            "format": office.fmt, "encoding": office.encoding, "date_style": office.date_style,
            "header_row": 3 if office.title_rows else 1, "first_data_row": 4 if office.title_rows else 2,
            "rows": n, "clean_rows": n - dirty, "dirty_rows": dirty, "dirty_by_kind": kinds,
            "columns": {h: col for h, col in office.columns},
        })
    dirty_total = sum(by_kind.values())
    reasons: dict[str, int] = {}
    for kind, n in by_kind.items():
        if kind != "bad_date" and n:
            reasons[ETL_REASON[kind]] = reasons.get(ETL_REASON[kind], 0) + n
    for sub, n in detail.items():
        code = ETL_REASON[sub]
        reasons[code] = reasons.get(code, 0) + n
    off = world.offensive
    manifest = {
        "generator": "etl.demo", "seed": seed, "end_date": world.end.isoformat(),
        "start_date": world.start.isoformat(), "mixed_formats": mixed,
        "rows_written": rows, "clean_rows": rows - dirty_total, "dirty_rows": dirty_total,
        "dirty_by_kind": by_kind,
        "bad_date_detail": {k.split(".", 1)[1]: v for k, v in sorted(detail.items())},
        "etl_reasons": dict(sorted(reasons.items())),
        "hostile_notes": hostile,
        "files": sorted(files, key=lambda f: f["file"]),
        "patterns": {
            "restrictive_counterparts": [
                {"iso3": iso3, "name": name, "counterpart_type": TYPE_CODES[t], "affiliation": next(
                    cp.affiliation for cp in world.counterparts if cp.name == name),
                 "level": level, "denial_start": DENIAL_START, "denial_end": DENIAL_END}
                for iso3, name, t, _aff, level, _ctrl in RESTRICTIVE_COUNTERPARTS
                if any(cp.name == name for cp in world.counterparts)],
            "offensive": None if off is None else {
                "iso3": off["iso3"], "admin1": off["admin1"], "pcode": off["pcode"],
                "start": off["start"].isoformat(), "end": off["end"].isoformat(),
                "ease_end": off["ease_end"].isoformat(), "denial": OFFENSIVE_DENIAL},
            "seasons": {iso3: {"months": list(m), "obstacles": sorted(set(labels))}
                        for iso3, (m, labels) in SEASONS.items()
                        if any(c.iso3 == iso3 for c in world.countries)},
            "signature_checkpoints": [
                {"iso3": world.countries[ch.country].iso3, "checkpoint": ch.name, "obstacle": ch.signature,
                 "controller": world.counterparts[ch.controller].name}
                for ch in world.checkpoints if ch.signature],
            "near_duplicate_pairs": world.near_pairs,
        },
        "counts": {"countries": len(world.countries), "counterparts": len(world.counterparts),
                   "checkpoints": len(world.checkpoints), "places": len(world.places)},
        **feeds,
    }
    (out_dir / MANIFEST_NAME).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n",
                                         encoding="utf-8")
