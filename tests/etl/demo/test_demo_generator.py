"""The demo log generator (the etl/demo/ package): determinism, file formats, the manifest, dirty rows, patterns.

The files are read back here with pandas, openpyxl and json (not with the ETL), so that these
tests say what the generator promises independently of the loader.
"""

from __future__ import annotations

import csv
import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely
from shapely.geometry import shape

from etl import demo
from etl import vocab as V
from etl.demo.world import _build_world
from etl.logs.columns import MULTI_SEPARATORS, REQUIRED, match_column
from tests.conftest import realdata

ROWS = 3000
END = date(2026, 10, 31)
_DATE_FORMATS = {"iso": "%Y-%m-%d", "dmy": "%d/%m/%Y", "dmon": "%d-%b-%Y"}


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    demo.write_demo_logs(out, rows=ROWS)
    return out


@pytest.fixture(scope="module")
def manifest(demo_dir: Path) -> dict:
    return json.loads((demo_dir / demo.MANIFEST_NAME).read_text(encoding="utf-8"))


def _raw_table(path: Path, meta: dict) -> tuple[list[str], list[list[object]]]:
    """Header and data rows of one log file, values as the file holds them."""
    if meta["format"] == "csv":
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=meta["encoding"])
        return list(df.columns), df.to_numpy(dtype=object).tolist()
    if meta["format"] == "json":
        doc = json.loads(path.read_text(encoding="utf-8"))
        assert isinstance(doc, list)
        header = list(doc[0])
        return header, [[obj.get(h) for h in header] for obj in doc]
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    wb.close()
    h = meta["header_row"] - 1
    header = [str(x) for x in rows[h]]
    # read-only openpyxl leaves out trailing empty cells
    return header, [list(r) + [None] * (len(header) - len(r)) for r in rows[h + 1:]]


def _text(value: object) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _parse_date(value: object, style: str) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value).strip()
    for fmt in (_DATE_FORMATS.get(style, "%d/%m/%Y"), "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


@pytest.fixture(scope="module")
def world() -> demo.World:
    return _build_world(demo.DEFAULT_BOUNDARIES, 7, END)


@pytest.fixture(scope="module")
def logs(demo_dir: Path, manifest: dict) -> pd.DataFrame:
    """All files in one frame with canonical column names, text values and parsed dates."""
    frames = []
    for meta in manifest["files"]:
        header, rows = _raw_table(demo_dir / meta["file"], meta)
        cols = [match_column(h) for h in header]
        df = pd.DataFrame(rows, columns=cols, dtype=object)
        for c in ("date", "request_date", "resolution_date", "follow_up_due"):
            if c in df:
                df[c + "_parsed"] = pd.Series([_parse_date(v, meta["date_style"]) for v in df[c]], dtype=object)
        for c in df.columns:
            if not c.endswith("_parsed"):
                df[c] = [_text(v) for v in df[c]]
        df["_file"] = meta["file"]
        df["_iso3"] = meta["iso3"]
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


# ------------------------------------------------------------------------------ determinism


def test_same_arguments_give_identical_files(demo_dir: Path, tmp_path: Path) -> None:
    paths = demo.write_demo_logs(tmp_path, rows=ROWS)
    assert paths == sorted(paths) and len(paths) >= 10
    names = sorted(p.name for p in demo_dir.iterdir())
    assert names == sorted([p.name for p in paths] + [demo.MANIFEST_NAME])
    for name in names:
        assert (tmp_path / name).read_bytes() == (demo_dir / name).read_bytes(), name


def test_rerun_replaces_old_demo_files_and_reports_progress(demo_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "keep_me.csv").write_text("not a demo file\n")
    first = demo.write_demo_logs(tmp_path, rows=600, seed=1)
    stale = tmp_path / "demo_zzz_access_log.csv"
    stale.write_text("left over from an older run\n")
    seen: list[int] = []
    second = demo.write_demo_logs(tmp_path, rows=600, seed=2, progress=seen.append)
    assert not stale.exists()
    assert (tmp_path / "keep_me.csv").exists()
    assert [p.name for p in first] == [p.name for p in second]
    assert any(p.read_bytes() != (demo_dir / p.name).read_bytes() for p in second)
    assert seen and seen[-1] == 600 and seen == sorted(seen)


# --------------------------------------------------------------------------------- manifest


def test_manifest_adds_up(manifest: dict, logs: pd.DataFrame) -> None:
    assert manifest["rows_written"] == ROWS == len(logs)
    assert manifest["clean_rows"] + manifest["dirty_rows"] == ROWS
    assert sum(manifest["dirty_by_kind"].values()) == manifest["dirty_rows"]
    assert set(manifest["dirty_by_kind"]) == set(demo.DEFECT_KINDS)
    assert sum(f["rows"] for f in manifest["files"]) == ROWS
    assert sum(f["dirty_rows"] for f in manifest["files"]) == manifest["dirty_rows"]
    for f in manifest["files"]:
        assert f["clean_rows"] + f["dirty_rows"] == f["rows"]
        assert sum(f["dirty_by_kind"].values()) == f["dirty_rows"]
        assert (logs["_file"] == f["file"]).sum() == f["rows"], f["file"]
    for kind in demo.DEFECT_KINDS:
        assert sum(f["dirty_by_kind"].get(kind,
                                          0) for f in manifest["files"]) == manifest["dirty_by_kind"][kind]
    assert sum(manifest["bad_date_detail"].values()) == manifest["dirty_by_kind"]["bad_date"]


def test_dirty_share_and_equal_kinds(manifest: dict) -> None:
    assert 0.02 <= manifest["dirty_rows"] / ROWS <= 0.03
    counts = manifest["dirty_by_kind"].values()
    assert max(counts) - min(counts) <= 1
    assert sum(1 for f in manifest["files"] if f["dirty_rows"]) >= len(manifest["files"]) - 1


# ------------------------------------------------------------------------------------ files


def test_every_file_parses_and_every_header_maps(demo_dir: Path, manifest: dict) -> None:
    formats = {}
    for meta in manifest["files"]:
        header, rows = _raw_table(demo_dir / meta["file"], meta)
        assert len(rows) == meta["rows"]
        mapped = [match_column(h) for h in header]
        assert None not in mapped, (meta["file"], header)
        assert len(set(mapped)) == len(mapped)
        assert set(REQUIRED) <= set(mapped), meta["file"]
        assert meta["columns"] == dict(zip(header, mapped, strict=True))
        formats.setdefault(meta["format"], []).append(meta)
    assert len(formats["xlsx"]) == 2 and len(formats["json"]) == 1 and len(formats["csv"]) >= 8
    assert sum(m["encoding"] == "utf-8-sig" for m in formats["csv"]) == 1
    assert {m["date_style"] for m in formats["csv"]} >= {"iso", "dmy", "dmon"}
    assert sorted(m["header_row"] for m in formats["xlsx"]) == [1, 3]
    # offices spell their headers differently
    spellings = {h for m in manifest["files"] for h, c in m["columns"].items() if c == "date"}
    assert len(spellings) >= 4


def test_format_details(demo_dir: Path, manifest: dict) -> None:
    by_fmt = {m["format"]: m for m in manifest["files"] if m["format"] != "csv"}
    bom = next(m for m in manifest["files"] if m["encoding"] == "utf-8-sig")
    assert (demo_dir / bom["file"]).read_bytes()[:3] == b"\xef\xbb\xbf"
    # XLSX: real date cells; the titled one has a title row and a blank row above the header
    for meta in (m for m in manifest["files"] if m["format"] == "xlsx"):
        ws = openpyxl.load_workbook(demo_dir / meta["file"]).worksheets[0]
        header = [c.value for c in ws[meta["header_row"]]]
        date_col = header.index(next(h for h, c in meta["columns"].items() if c == "date")) + 1
        cells = [ws.cell(row=r, column=date_col) for r in range(meta["first_data_row"], ws.max_row + 1)]
        real = [c for c in cells if c.is_date]
        assert len(real) >= len(cells) - meta["dirty_rows"]
        if meta["header_row"] == 3:
            assert ws.cell(1, 1).value and "demo" in ws.cell(1, 1).value
            assert all(c.value is None for c in ws[2])
    # JSON: numbers arrive as strings
    doc = json.loads((demo_dir / by_fmt["json"]["file"]).read_text(encoding="utf-8"))
    assert all(v is None or isinstance(v, str) for obj in doc for v in obj.values())
    key = next(h for h, c in by_fmt["json"]["columns"].items() if c == "people_targeted")
    assert any(re.fullmatch(r"\d+", obj[key] or "") for obj in doc)


def test_engagement_ids_unique_and_shaped(logs: pd.DataFrame) -> None:
    assert logs["engagement_id"].is_unique
    assert logs["engagement_id"].str.fullmatch(r"[A-Z]{3}-20\d\d-\d{6}").all()
    assert (logs["engagement_id"].str[:3] == logs["_iso3"]).all()


# ------------------------------------------------------------------------------- dirty rows


def _unknown(vocab: V.Vocabulary, values: pd.Series) -> pd.Series:
    return values.map(lambda v: bool(v.strip()) and vocab.lookup(v) is None)


def test_dirty_rows_are_where_the_manifest_says(logs: pd.DataFrame, manifest: dict) -> None:
    kinds = manifest["dirty_by_kind"]
    assert (logs["country"] == "Atlantis").sum() == kinds["unknown_country"]
    assert (logs["counterpart"].str.strip() == "").sum() == kinds["missing_counterpart"]
    assert (logs["activity"].str.strip() == "").sum() == kinds["missing_activity"]
    assert _unknown(V.OUTCOMES, logs["outcome"]).sum() == kinds["unknown_outcome"]
    people = logs["people_targeted"]
    assert people.str.fullmatch(r"-\d+").sum() == kinds["negative_people_targeted"]
    assert (~people.str.fullmatch(r"-?\d+")).sum() == kinds["non_numeric_people_targeted"]
    lat = pd.to_numeric(logs["latitude"])
    assert (lat.abs() > 90).sum() == kinds["latitude_out_of_range"]

    def has_unknown_obstacle(cell: str) -> bool:
        parts = [p for p in MULTI_SEPARATORS.split(cell) if p.strip()]
        return any(V.OBSTACLE_CATEGORIES.lookup(p) is None for p in parts)

    assert logs["obstacles"].map(has_unknown_obstacle).sum() == kinds["unknown_obstacle"]
    unparsed = logs["date_parsed"].isna()
    assert unparsed.sum() == kinds["bad_date"]
    assert (logs["date"][unparsed].str.strip() == "").sum() == manifest["bad_date_detail"].get("blank", 0)
    future = logs["date_parsed"].map(lambda d: d is not None and d > END + timedelta(days=30))
    assert future.sum() == kinds["future_date"]
    assert logs["date_parsed"].dropna().map(lambda d: d <= END or d > END + timedelta(days=365)).all()


def test_coordinates(logs: pd.DataFrame, manifest: dict) -> None:
    """Clean points fall in their admin-1 area; the coordinate defects are exactly as counted."""
    features = json.loads(demo.DEFAULT_BOUNDARIES.read_text(encoding="utf-8"))["features"]
    areas = {f["properties"]["pcode"]: shape(f["geometry"]) for f in features}
    by_name = {(f["properties"]["iso3"], f["properties"]["name"]): f["properties"]["pcode"] for f in features}
    countries: dict[str, list] = {}
    for f in features:
        countries.setdefault(f["properties"]["iso3"], []).append(areas[f["properties"]["pcode"]])
    country_geom = {k: shapely.union_all(v) for k, v in countries.items()}
    lat = pd.to_numeric(logs["latitude"]).to_numpy()
    lon = pd.to_numeric(logs["longitude"]).to_numpy()
    pcode = [p or by_name.get((i, n)) for p, i, n in
             zip(logs.get("admin1_pcode", pd.Series([""] * len(logs))).fillna(""), logs["_iso3"],
                 logs.get("admin1", pd.Series([""] * len(logs))).fillna(""), strict=True)]
    in_area = np.array([abs(la) <= 90 and shapely.contains_xy(areas[p], lo, la)
                        for p, la, lo in zip(pcode, lat, lon, strict=True)])
    kinds = manifest["dirty_by_kind"]
    coord_defects = (kinds["swapped_coordinates"] + kinds["latitude_out_of_range"]
                     + kinds["coordinates_in_other_country"])
    assert (~in_area).sum() == coord_defects
    out = np.flatnonzero(~in_area)
    in_other = sum(1 for i in out if abs(lat[i]) <= 90 and any(
        shapely.contains_xy(g, lon[i], lat[i]) for k, g in country_geom.items() if k != logs["_iso3"][i]))
    assert in_other == kinds["coordinates_in_other_country"]
    swapped = sum(1 for i in out if abs(lat[i]) <= 90 and shapely.contains_xy(
        country_geom[logs["_iso3"][i]], lat[i], lon[i]))
    assert swapped == kinds["swapped_coordinates"]


def test_clean_values_use_the_vocabularies(logs: pd.DataFrame, manifest: dict) -> None:
    for col, vocab in (("activity", V.ACTIVITIES), ("counterpart_type", V.COUNTERPART_TYPES),
                       ("counterpart_level", V.COUNTERPART_LEVELS), ("channel", V.CHANNELS),
                       ("priority", V.PRIORITIES), ("checkpoint_kind", V.CHECKPOINT_KINDS)):
        if col in logs:
            assert _unknown(vocab, logs[col].fillna("")).sum() == 0, col
    for cell in logs["conditions"].fillna(""):
        for part in MULTI_SEPARATORS.split(cell):
            assert not part.strip() or V.CONDITIONS.lookup(part) is not None, part
    assert set(logs["outcome"].map(V.OUTCOMES.lookup).dropna()) == set(V.OUTCOMES.codes)
    # people reached never exceeds people targeted; requests come before engagements
    both = logs[logs["people_reached"].str.fullmatch(r"\d+") & logs["people_targeted"].str.fullmatch(r"\d+")]
    assert (both["people_reached"].astype(int) <= both["people_targeted"].astype(int)).all()
    targeted = logs["people_targeted"][logs["people_targeted"].str.fullmatch(r"\d+")].astype(int)
    assert targeted.between(200, 50_000).all()
    dated = logs.dropna(subset=["date_parsed", "request_date_parsed"])
    assert (dated["request_date_parsed"] <= dated["date_parsed"]).all()
    # about half the engagements at a checkpoint; some mentions through an intermediary
    share_cp = (logs["checkpoint"] != "").mean()
    assert 0.35 <= share_cp <= 0.65
    # multi-engagement requests exist and keep their request id
    sizes = logs.groupby(["_iso3", "request_id"]).size()
    assert sizes.max() == 3 and (sizes > 1).mean() > 0.15


def test_hostile_notes_are_there(logs: pd.DataFrame, manifest: dict) -> None:
    notes = logs["notes"]
    hostile = (notes.str.contains("<script>|onerror=|\u202e|DROP TABLE|javascript:", regex=True)
               | (notes.str.len() >= 3000))
    assert hostile.sum() == manifest["hostile_notes"] >= 3


# ------------------------------------------------------------------------------ counterparts


def test_counterparts_variants_and_near_duplicates(world: demo.World) -> None:
    names = pytest.importorskip("etl.counterparts.names")
    per_country: dict[int, list] = {}
    for cp in world.counterparts:
        per_country.setdefault(cp.country, []).append(cp)
        key = names.name_key(cp.name)
        for variant in cp.variants:
            assert names.name_key(variant) == key, (cp.name, variant)
        assert len(set(cp.variants)) >= 2
    for cps in per_country.values():
        assert 30 <= len(cps) <= 45
        keys = [names.name_key(cp.name) for cp in cps]
        assert len(set(keys)) == len(keys)  # different counterparts never share a key
    assert len(world.near_pairs) == 10
    for pair in world.near_pairs:
        a, b = names.name_key(pair["a"]), names.name_key(pair["b"])
        assert a != b
        pairs = names.doubtful_pairs([(pair["iso3"], a)], [(pair["iso3"], b)])
        assert pairs, pair
    per_country_chk: dict[int, int] = {}
    for ch in world.checkpoints:
        per_country_chk[ch.country] = per_country_chk.get(ch.country, 0) + 1
    assert all(5 <= n <= 8 for n in per_country_chk.values())


def test_about_30_percent_of_mentions_are_variants(logs: pd.DataFrame, world: demo.World) -> None:
    canonical = {cp.name for cp in world.counterparts}
    mentioned = logs["counterpart"][logs["counterpart"] != ""]
    share = (~mentioned.isin(canonical)).mean()
    assert 0.22 <= share <= 0.36


# ---------------------------------------------------------------------------------- patterns


def _denied(df: pd.DataFrame) -> pd.Series:
    return df["outcome"].map(V.OUTCOMES.lookup) == "denied"


def _key(text: str) -> str:
    return re.sub(r"[^a-z]+", " ", text.lower())


def test_offensive_pattern(logs: pd.DataFrame, manifest: dict) -> None:
    off = manifest["patterns"]["offensive"]
    assert off == {"iso3": "SSD", "admin1": "Upper Nile", "pcode": "SS07", "start": "2025-01-15",
                   "end": "2025-05-14", "ease_end": "2025-07-13", "denial": 0.72}
    rows = logs[(logs["_iso3"] == off["iso3"]) & logs["date_parsed"].notna()]
    here = rows[(rows.get("admin1", "") == off["admin1"]) | (rows.get("admin1_pcode", "") == off["pcode"])]
    start, end = date.fromisoformat(off["start"]), date.fromisoformat(off["end"])
    during = here[here["date_parsed"].between(start, end)]
    before = here[here["date_parsed"] < start]
    assert len(during) >= 15
    assert _denied(during).mean() >= 0.5
    assert _denied(before).mean() <= 0.3
    hostile = "military operations|armed clashes|shelling|fighting|airstrikes"
    hostilities = during["obstacles"].str.contains(hostile, case=False)
    assert hostilities.mean() >= 0.6
    # engagement volume in the area rises during the offensive
    per_day_during = len(during) / ((end - start).days + 1)
    per_day_before = len(before) / max(1, (start - date.fromisoformat(manifest["start_date"])).days)
    assert per_day_during > 1.5 * per_day_before


def test_restrictive_counterparts_pattern(logs: pd.DataFrame, manifest: dict) -> None:
    start = date.fromisoformat(manifest["start_date"])
    first_year, last_year = [], []
    for cp in manifest["patterns"]["restrictive_counterparts"]:
        family = _key(cp["name"]).split()[-1]
        rows = logs[(logs["_iso3"] == cp["iso3"]) & logs["date_parsed"].notna()
                    & logs["counterpart"].map(lambda n, f=family: f in _key(n).split())]
        assert len(rows) >= 20, cp["name"]
        year = rows["date_parsed"].map(lambda d: (d - start).days // 365)
        first_year.append(_denied(rows[year == 0]))
        last_year.append(_denied(rows[year >= 2]))
    early, late = pd.concat(first_year).mean(), pd.concat(last_year).mean()
    assert early <= 0.3 and late >= 0.4 and late - early >= 0.2


def test_seasonal_pattern(logs: pd.DataFrame) -> None:
    physical = ("impassable road|flooding|floods|mud|damaged bridge|rainy season|road impassable|snow"
                "|landslide")
    for iso3, months in (("SSD", {6, 7, 8, 9, 10}), ("AFG", {12, 1, 2})):
        rows = logs[(logs["_iso3"] == iso3) & logs["date_parsed"].notna()]
        season = rows["date_parsed"].map(lambda d, m=months: d.month in m)
        hit = rows["obstacles"].str.contains(physical, case=False)
        assert hit[season].mean() >= 0.35 and hit[~season].mean() <= 0.1, iso3
        deferred = rows["outcome"].map(V.OUTCOMES.lookup) == "deferred"
        assert deferred[season].mean() > deferred[~season].mean()


def test_checkpoint_and_condition_patterns(logs: pd.DataFrame, manifest: dict) -> None:
    sig = manifest["patterns"]["signature_checkpoints"]
    assert sig
    hits = []
    for s in sig:
        rows = logs[(logs["_iso3"] == s["iso3"]) & (logs["checkpoint"] == s["checkpoint"])]
        hits.append(rows["obstacles"].str.lower().str.contains(s["obstacle"], regex=False))
    assert pd.concat(hits).mean() >= 0.6
    ctype = logs["counterpart_type"].map(V.COUNTERPART_TYPES.lookup)

    def share(cond: str, mask: pd.Series) -> float:
        codes = logs["conditions"][mask].map(
            lambda c: {V.CONDITIONS.lookup(p) for p in MULTI_SEPARATORS.split(c) if p.strip()})
        codes = codes[codes.map(bool)]
        return codes.map(lambda s: cond in s).mean()

    assert share("escort", ctype == "state_armed_forces") >= 0.4
    assert share("staff_list", ctype == "de_facto_authority") >= 0.4
    assert share("fee", ctype.isin(["nsag", "militia"]) & (logs["checkpoint"] != "")) >= 0.4
    border = logs.get("checkpoint_kind", pd.Series([""] * len(logs))).map(V.CHECKPOINT_KINDS.lookup)
    assert share("inspection", border == "border_crossing") >= 0.5


def test_the_etl_rejects_exactly_the_dirty_rows(demo_dir: Path, manifest: dict, tmp_path: Path) -> None:
    """Loaded through the real ETL, each dirty row is rejected for the one reason the manifest names."""
    load = pytest.importorskip("etl.intake")
    paths = [demo_dir / f["file"] for f in manifest["files"]]
    results = load.load_paths(paths, tmp_path / "demo.duckdb")
    assert all(r.ok for r in results), [r.message for r in results if not r.ok]
    assert sum(r.rows_read for r in results) == ROWS
    assert sum(r.rows_loaded for r in results) == manifest["clean_rows"]
    assert sum(r.rows_rejected for r in results) == manifest["dirty_rows"]
    reasons: dict[str, int] = {}
    for r in results:
        for k, v in r.reasons.items():
            reasons[k] = reasons.get(k, 0) + v
    assert reasons == manifest["etl_reasons"]


# --------------------------------------------------------------------------- incident feeds

AWSD_REAL = ("awsd", "awsd_global_incidents_1997-2025_hxl.csv")
# AWSD writes ISO2 codes; the demo countries' (ISO 3166-1).
ISO2 = {"AFG": "AF", "BFA": "BF", "CAF": "CF", "IRQ": "IQ", "NER": "NE", "NGA": "NG", "PAK": "PK", "SSD": "SS",
        "SYR": "SY", "UGA": "UG", "UKR": "UA", "YEM": "YE"}
ISO3 = {v: k for k, v in ISO2.items()}
KIKA_REAL = ("insecurity_insight", "2020-2023-aid-worker-kika-incident-data.xlsx")


def _csv_records(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


@pytest.fixture(scope="module")
def feeds(manifest: dict) -> dict:
    return {f["feed"]: f for f in manifest["incident_feeds"]["files"]}


@pytest.fixture(scope="module")
def awsd(demo_dir: Path, feeds: dict) -> tuple[list[str], list[dict[str, str]]]:
    """Header and data rows (as dicts, with their CSV record number under '_record') of the demo AWSD file."""
    records = _csv_records(demo_dir / feeds["awsd"]["file"])
    header = records[0]
    rows = [dict(zip(header, r, strict=True)) | {"_record": str(i + 1)} for i, r in enumerate(records) if i >= 2]
    return header, rows


def test_incident_volume_follows_the_demo_size() -> None:
    from etl.demo.incidents import incident_count

    assert [incident_count(n) for n in (0, 3000, 30_000, 150_000, 1_000_000, 10_000_000)] == [
        0, 40, 200, 1000, 6667, 20_000]


def test_awsd_file_has_the_export_header_and_hxl_row(demo_dir: Path, feeds: dict) -> None:
    real = _csv_records(realdata(*AWSD_REAL))
    ours = _csv_records(demo_dir / feeds["awsd"]["file"])
    assert ours[0] == real[0] and ours[1] == real[1]
    # same quoting as the export: names with spaces quoted, plain words not
    first = (demo_dir / feeds["awsd"]["file"]).read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith('"Incident ID",Year,Month,Day,"Country Code",Country,')
    assert all(len(r) == len(real[0]) for r in ours)


def test_awsd_rows_add_up_to_the_manifest(awsd: tuple, feeds: dict, manifest: dict, world: demo.World) -> None:
    _header, rows = awsd
    meta = feeds["awsd"]
    assert len(rows) == meta["rows"] == meta["loaded"] + meta["rejected"]
    assert meta["loaded"] == 40  # 3,000 engagements: the minimum
    no_country = [r for r in rows if not r["Country Code"].strip() and not r["Country"].strip()]
    assert sorted(int(r["_record"]) for r in no_country) == meta["rejected_rows"]
    assert meta["rejected_by_reason"] == {"missing_country": len(no_country)} and no_country
    counted: dict[str, dict[str, int]] = {}
    for r in rows:
        if r in no_country:
            continue
        iso3 = ISO3[r["Country Code"]]
        counted.setdefault(iso3, {})
        counted[iso3][r["Year"]] = counted[iso3].get(r["Year"], 0) + 1
    assert counted == meta["by_country_year"]
    ids = [int(r["Incident ID"]) for r in rows]
    assert len(set(ids)) == len(ids) and min(ids) == meta["first_id"]
    start, end = date.fromisoformat(manifest["start_date"]), END
    for r in rows:
        if r not in no_country:
            assert start.year <= int(r["Year"]) <= end.year
            if r["Month"] and r["Day"]:
                assert start <= date(int(r["Year"]), int(r["Month"]), int(r["Day"])) <= end
        figures = [int(r[f"Total {k}"]) for k in ("killed", "wounded", "kidnapped", "detained")]
        assert sum(figures) == int(r["Total affected"]) >= 1
        for k in ("killed", "wounded", "kidnapped", "detained"):
            assert int(r[f"Nationals {k}"]) + int(r[f"Internationals {k}"]) == int(r[f"Total {k}"])
        assert sum(int(r[c]) for c in ("UN", "INGO", "ICRC", "NRCS and IFRC", "NNGO", "Other")) == sum(figures)
        assert sum(int(r[f"Gender {g}"]) for g in ("Male", "Female", "Unknown")) == sum(figures)


def test_awsd_dirt_is_there_as_counted(awsd: tuple, feeds: dict) -> None:
    _header, rows = awsd
    dirt = feeds["awsd"]["dirt"]
    placed = [r for r in rows if r["Country Code"]]
    assert sum(not r["Day"] and r["Month"] != "" for r in placed) == dirt["blank_day"] >= 1
    assert sum(not r["Day"] and not r["Month"] for r in placed) == dirt["blank_month_and_day"] >= 1
    assert sum(not r["Latitude"] and not r["Longitude"] for r in placed) == dirt["missing_coordinates"] >= 1
    assert sum(not r["Region"] for r in placed) == dirt["blank_region"] >= 1
    trailing = sum(v != v.rstrip() for r in rows for v in r.values())
    assert trailing == dirt["trailing_spaces"] >= 1
    variants = sum(r["Source"] in ("Focal point", "media", "Official report") or r["Actor type"] == "Host State"
                   for r in rows)
    assert variants == dirt["case_variants"] >= 2


def test_awsd_vocabularies_are_awsd_s(awsd: tuple) -> None:
    _header, rows = awsd
    real = _csv_records(realdata(*AWSD_REAL))
    header = real[0]
    for col in ("Means of attack", "Attack context", "Location", "Motive", "Actor type", "Verified", "Source"):
        i = header.index(col)
        known = {r[i] for r in real[2:]}
        ours = {r[col] for r in rows}
        assert ours <= known, (col, ours - known)
    assert {r["Actor type"] for r in rows} & {"Host state", "Non-state armed group: National",
                                              "Non-state armed group: Subnational", "Unknown"}


def test_awsd_points_lie_in_their_admin1_area(awsd: tuple) -> None:
    _header, rows = awsd
    features = json.loads(demo.DEFAULT_BOUNDARIES.read_text(encoding="utf-8"))["features"]
    by_name = {(f["properties"]["iso3"], f["properties"]["name"]): shape(f["geometry"]) for f in features}
    by_country: dict[str, list] = {}
    for f in features:
        by_country.setdefault(f["properties"]["iso3"], []).append(shape(f["geometry"]))
    checked = 0
    for r in rows:
        if not r["Latitude"] or not r["Country Code"]:
            continue
        iso3 = ISO3[r["Country Code"]]
        lat, lon = float(r["Latitude"]), float(r["Longitude"])
        if r["Region"]:
            assert shapely.contains_xy(by_name[(iso3, r["Region"])], lon, lat), r["Incident ID"]
        else:
            assert any(shapely.contains_xy(g, lon, lat) for g in by_country[iso3]), r["Incident ID"]
        checked += 1
    assert checked >= 30


def test_named_perpetrators_are_armed_demo_counterparts(awsd: tuple, world: demo.World, feeds: dict) -> None:
    _header, rows = awsd
    armed = {(world.countries[cp.country].iso3, cp.name) for cp in world.counterparts
             if cp.ctype in (demo.T_STATE, demo.T_POLICE, demo.T_NSAG, demo.T_DFA, demo.T_MILITIA)}
    armed2 = {(ISO2[i], n) for i, n in armed}
    named = [r for r in rows if r["Actor name"] not in ("Unknown", "Not applicable")]
    assert named and all((r["Country Code"], r["Actor name"]) in armed2 for r in named)
    assert 0.15 <= len(named) / len(rows) <= 0.6


def test_incidents_concentrate_where_access_is_hardest(awsd: tuple, manifest: dict, world: demo.World) -> None:
    from etl.demo.incidents import _Builder

    _header, rows = awsd
    off = manifest["patterns"]["offensive"]
    start, ease_end = date.fromisoformat(off["start"]), date.fromisoformat(off["ease_end"])
    here = [r for r in rows if r["Country Code"] == "SS" and r["Region"] == off["admin1"] and r["Month"]]
    during = [r for r in here if start <= date(int(r["Year"]), int(r["Month"]), int(r["Day"] or 1)) <= ease_end]
    assert len(during) >= manifest["incident_feeds"]["offensive_incidents"] - 1 >= 3
    window = (ease_end - start).days + 1
    rate_during = len(during) / window
    rate_other = (len(here) - len(during)) / ((END - date.fromisoformat(manifest["start_date"])).days - window)
    assert rate_during > 5 * rate_other
    # restrictive counterparts: more incidents late in the window, as their denials rise (a big draw)
    many = _Builder(world, 7).build(5000)
    names = {cp.name for cp in world.counterparts if cp.restrictive}
    mid = world.start + (world.end - world.start) / 2
    theirs = [i for i in many if i.counterpart in names]
    late = sum(i.day > mid for i in theirs)
    assert len(theirs) >= 200 and late > 1.5 * (len(theirs) - late)


def test_insecurity_insight_file_re_reports_some_awsd_incidents(demo_dir: Path, feeds: dict, awsd: tuple) -> None:
    meta = feeds["insecurity_insight"]
    wb = openpyxl.load_workbook(demo_dir / meta["file"], read_only=True)
    sheet = wb.worksheets[0]
    cells = [list(r) for r in sheet.iter_rows(values_only=True)]
    wb.close()
    header, hxl, body, last = cells[0], cells[1], cells[2:-1], cells[-1]
    real = openpyxl.load_workbook(realdata(*KIKA_REAL), read_only=True)
    real_rows = real.worksheets[0].iter_rows(values_only=True, max_row=2)
    real_header, real_hxl = next(real_rows), next(real_rows)
    real.close()
    assert header == list(real_header)
    assert [h or "" for h in hxl] == [h or "" for h in real_hxl] == [h or "" for h in last]
    assert len(body) == meta["rows"] >= 3
    _h, rows = awsd
    col = {h: header.index(h) for h in ("Date", "Country ISO", "Admin 1", "Aid Workers Killed", "Aid Workers Injured",
                                        "Aid Workers Kidnapped", "Aid Workers Arrested", "SiND Event ID")}
    awsd_keyed = {}
    for r in rows:
        if r["Day"] and r["Region"]:
            key = (r["Country Code"], r["Region"], r["Total killed"], r["Total wounded"], r["Total kidnapped"],
                   r["Total detained"])
            awsd_keyed.setdefault(key, []).append(date(int(r["Year"]), int(r["Month"]), int(r["Day"])))
    matched = []
    for r in body:
        key = (ISO2[r[col["Country ISO"]]], r[col["Admin 1"]],
               *(str(int(r[col[c]])) for c in ("Aid Workers Killed", "Aid Workers Injured", "Aid Workers Kidnapped",
                                                "Aid Workers Arrested")))
        day = r[col["Date"]].date()
        if any(abs((d - day).days) <= 2 for d in awsd_keyed.get(key, [])):
            matched.append(int(r[col["SiND Event ID"]]))
    assert sorted(matched) == sorted(meta["duplicate_ids"])
    assert len(matched) == meta["cross_source_duplicates"] < len(body)


# ------------------------------------------------------------------------------ large runs


def test_large_runs_write_iso_csv_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # write_demo_logs (etl/demo/build.py) reads both sizes from its own module
    monkeypatch.setattr("etl.demo.build.MIXED_FORMATS_MAX_ROWS", 1000)
    monkeypatch.setattr("etl.demo.build.CHUNK_ROWS", 700)  # several chunks, as in a streamed run
    paths = demo.write_demo_logs(tmp_path, rows=3000)
    m = json.loads((tmp_path / demo.MANIFEST_NAME).read_text(encoding="utf-8"))
    assert all(p.suffix == ".csv" for p in paths)
    assert [f["feed"] for f in m["incident_feeds"]["files"]] == ["awsd"]  # no workbook in large runs
    assert {f["date_style"] for f in m["files"]} == {"iso"}
    assert {f["encoding"] for f in m["files"]} == {"utf-8"}
    total = 0
    ids: list[str] = []
    for f in m["files"]:
        df = pd.read_csv(tmp_path / f["file"], dtype=str, keep_default_na=False)
        assert len(df) == f["rows"]
        total += len(df)
        ids.extend(df[next(h for h, c in f["columns"].items() if c == "engagement_id")])
    assert total == 3000 and len(set(ids)) == 3000
    assert 0.02 <= m["dirty_rows"] / 3000 <= 0.03
