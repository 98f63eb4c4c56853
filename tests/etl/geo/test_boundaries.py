"""`python -m etl boundaries`: real boundary files and P-code gazetteers into a real DuckDB file.

Every figure is checked against one computed here from the raw files with the standard library
(json, csv, zipfile, struct) or openpyxl/pyarrow, never with the loader's own readers.
"""

from __future__ import annotations

import csv
import json
import shutil
import struct
import zipfile
from collections import Counter
from functools import cache
from pathlib import Path

import duckdb
import openpyxl
import pyarrow.parquet as pq
import pytest
import shapely

from etl.cli.main import main
from etl.config import Settings
from etl.geo.boundaries import load_boundary_paths
from etl.geo.gazetteer import Place, reconcile
from etl.geo.refresh import bundled_source
from tests.conftest import realdata, row, write_csv

GEOJSON = ["MMR", "PSE", "SDN", "SOM", "SSD", "SYR", "UKR", "YEM"]
ZIPPED = ["AFG", "COD"]
# Areas each geoBoundaries file should end up with: every name matched except those listed in
# UNMATCHED (never guessed). Reached figures, checked pair by pair below.
STORED = {"SDN": 18, "UKR": 27, "SYR": 12, "SOM": 18, "MMR": 18, "SSD": 10, "PSE": 1, "AFG": 34, "COD": 26,
          "YEM": 22, "CAF": 17}
UNMATCHED = {"SYR": {"Rif Dimashq", "As-Suwayda", "United Nations Disengagement Observer Force"},
             "PSE": {"Judea and Samaria"}}
# Matches that need more than case and punctuation, checked by hand.
HAND_CHECKED = {
    ("SDN", "South Darfur State"): "SD03", ("SDN", "Gezira State"): "SD15", ("SDN", "West Kurdufan"): "SD18",
    ("SDN", "Gedarif State"): "SD12", ("UKR", "Kyiv"): "UA80", ("UKR", "Kyiv Oblast"): "UA32",
    ("UKR", "Kherson Oblast"): "UA65", ("UKR", "Sumy Oblast"): "UA59", ("UKR", "Odessa Oblast"): "UA51",
    ("SYR", "Damascus Governorate"): "SY01", ("SYR", "Idlib"): "SY07", ("SOM", "Hiiraan"): "SO20",
    ("SOM", "Lower Shebelle"): "SO23", ("MMR", "Naypyitaw  Council"): "MMR018", ("MMR", "Bago East"): "MMR007",
    ("COD", "Central Kasai"): "CD91", ("COD", "Upper Uele"): "CD53", ("AFG", "Wardak"): "AF04",
}


def boundary_files() -> list[Path]:
    return ([realdata("admin1_boundaries", f"{c}-ADM1.geojson") for c in GEOJSON]
            + [realdata("admin1_boundaries", f"{c}-ADM1-shp.zip") for c in ZIPPED]
            + [realdata("admin1_boundaries", "YEM-ADM1-centroids_cod.geojson"),
               realdata("cod_ab_caf", "caf_admin1.parquet")])


def gazetteer_files() -> list[Path]:
    return [realdata("pcodes", "global_pcodes_adm1_adm2.csv"), realdata("pcodes", "global_pcode_lengths.csv"),
            realdata("cod_ab_caf", "caf_cod_ab.xlsx")]


@cache
def features_in(path: Path) -> list[dict]:
    """Feature properties of a GeoJSON file, or of the .dbf inside a zipped shapefile (count only)."""
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as zf:
            dbf = next(n for n in zf.namelist() if n.endswith(".dbf"))
            count = struct.unpack("<I", zf.read(dbf)[4:8])[0]  # dBase header: record count at bytes 4-8
        return [{}] * count
    return [f["properties"] for f in json.loads(path.read_text(encoding="utf-8"))["features"]]


def gazetteer_csv() -> list[dict[str, str]]:
    with open(realdata("pcodes", "global_pcodes_adm1_adm2.csv"), encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, int]:
    """One database with every real boundary and gazetteer file (boundary files first on purpose)."""
    db = tmp_path_factory.mktemp("boundaries") / "access.duckdb"
    import io
    from contextlib import redirect_stderr, redirect_stdout

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["boundaries", *map(str, boundary_files() + gazetteer_files()), "--db", str(db)])
    assert err.getvalue() == ""
    return db, out.getvalue(), code


def test_every_real_file_loads_without_a_traceback(loaded):
    db, out, code = loaded
    assert code == 0
    assert "Traceback" not in out
    loads = query(db, "SELECT file_name, file_format, status FROM loads ORDER BY load_id")
    # Gazetteers are applied first whatever the order given, so names find their P-codes.
    assert [f for _, f, _ in loads[:3]] == ["gazetteer"] * 3
    assert sorted(n for n, _, _ in loads) == sorted(p.name for p in boundary_files() + gazetteer_files())
    assert {s for _, _, s in loads} == {"loaded"}


@pytest.mark.parametrize("iso3", GEOJSON + ZIPPED)
def test_feature_and_matched_counts_match_the_raw_files(loaded, iso3):
    db, out, _ = loaded
    path = realdata("admin1_boundaries", f"{iso3}-ADM1.geojson" if iso3 in GEOJSON else f"{iso3}-ADM1-shp.zip")
    features = len(features_in(path))
    layer = query(db, "SELECT features, areas, source, unmatched FROM boundary_layers WHERE iso3 = ? AND level = 1",
                  [iso3])
    assert layer and layer[0][:3] == (features, STORED[iso3], path.name)
    unmatched = {u["name"] for u in json.loads(layer[0][3])}
    assert unmatched == UNMATCHED.get(iso3, set())
    assert STORED[iso3] == features - len(unmatched)
    areas = query(db, "SELECT pcode, name, source, parent_pcode FROM admin_areas WHERE iso3 = ? AND level = 1",
                  [iso3])
    assert len(areas) == STORED[iso3]
    # Every stored area carries an OCHA P-code and name of that country, from the raw CSV.
    ocha = {r["P-Code"]: r["Name"] for r in gazetteer_csv() if r["Location"] == iso3 and r["Admin Level"] == "1"}
    assert all(ocha.get(p) == n and s == path.name and parent == iso3 for p, n, s, parent in areas)
    assert query(db, "SELECT count(*) FROM admin_areas WHERE pcode = ? AND level = 0 AND source = ?",
                 [iso3, path.name]) == [(1,)]


def test_plain_exact_matches_are_kept_and_normalisation_does_much_better(loaded):
    db, out, _ = loaded
    rows = gazetteer_csv()
    got = {}
    for iso3 in GEOJSON:
        if iso3 == "YEM":
            continue
        names = {r["Name"] for r in rows if r["Location"] == iso3 and r["Admin Level"] == "1"}
        props = features_in(realdata("admin1_boundaries", f"{iso3}-ADM1.geojson"))
        got[iso3] = sum(p["shapeName"] in names for p in props)
        layer = query(db, "SELECT matched_exact, matched_exact + matched_normalised + matched_fuzzy "
                          "FROM boundary_layers WHERE iso3 = ?", [iso3])[0]
        assert layer[0] >= got[iso3] and layer[1] == STORED[iso3]
    # The join reality check of SOURCES.md, recomputed: plain equality of names.
    assert got == {"SDN": 1, "UKR": 3, "SYR": 4, "SOM": 15, "MMR": 15, "SSD": 10, "PSE": 1}
    assert "Sudan (SDN): 18 features; 18/18 names matched (1 exact, 14 normalised, 3 fuzzy)" in out
    assert "Ukraine (UKR): 27 features; 27/27 names matched (3 exact, 0 normalised, 24 fuzzy)" in out


def test_hand_checked_matches(loaded):
    db, _, _ = loaded
    for (iso3, raw), pcode in HAND_CHECKED.items():
        # the file's name is gone (the OCHA name is stored); the area is found by its own polygon instead
        props = features_in(realdata("admin1_boundaries", f"{iso3}-ADM1.geojson")) if iso3 in GEOJSON else None
        if props is not None:
            assert raw in {p["shapeName"] for p in props}
        assert query(db, "SELECT iso3 FROM admin_areas WHERE pcode = ? AND level = 1", [pcode]) == [(iso3,)], raw


def test_unmatched_names_are_listed_with_candidates_and_not_stored(loaded):
    db, out, _ = loaded
    assert "unmatched, not stored: Rif Dimashq; best candidates: Rural Damascus SY03" in out
    assert "unmatched, not stored: Judea and Samaria; best candidates:" in out
    assert query(db, "SELECT count(*) FROM admin_areas WHERE pcode IN ('SY03', 'SY13', 'PS01')") == [(0,)]


def test_fuzzy_matching_never_takes_a_place_twice_nor_guesses():
    places = [Place("UA80", "Kyiv"), Place("UA32", "Kyivska"), Place("UA59", "Sumska")]
    got = reconcile(["Kyiv Oblast", "Kyiv", "Sumy Oblast", "Sumy City", "Atlantis"], places)
    assert [(m.pcode, m.how) for m in got] == [("UA32", "fuzzy"), ("UA80", "exact"), ("UA59", "fuzzy"),
                                               (None, None), (None, None)]
    assert got[3].candidates[0][:2] == ("Sumska", "UA59")  # its best candidate went to "Sumy Oblast"


def test_pcode_files_are_stored_as_they_are_and_checked(loaded):
    db, out, _ = loaded
    yem = [p["ADM1_PCODE"] for p in features_in(realdata("admin1_boundaries", "YEM-ADM1.geojson"))]
    assert sorted(yem) == [r[0] for r in query(db, "SELECT pcode FROM admin_areas WHERE iso3 = 'YEM' AND level = 1 "
                                                   "ORDER BY pcode")]
    caf = pq.read_table(realdata("cod_ab_caf", "caf_admin1.parquet"), columns=["adm1_pcode"]).column(0).to_pylist()
    assert pq.read_metadata(realdata("cod_ab_caf", "caf_admin1.parquet")).num_rows == 17
    assert sorted(caf) == [r[0] for r in query(db, "SELECT pcode FROM admin_areas WHERE iso3 = 'CAF' AND level = 1 "
                                                   "AND source = 'caf_admin1.parquet' ORDER BY pcode")]
    assert "Yemen (YEM): 22 features; 22 by P-code" in out
    assert "P-codes not in the gazetteer" not in out and "unexpected length" not in out
    # Geometries are valid WKB polygons in degrees.
    for (wkb,) in query(db, "SELECT geometry FROM admin_areas WHERE source = 'UKR-ADM1.geojson'"):
        geom = shapely.from_wkb(bytes(wkb))
        assert geom.is_valid and geom.geom_type in ("Polygon", "MultiPolygon")
        assert 22 < geom.centroid.x < 41 and 44 < geom.centroid.y < 53


def test_gazetteers_match_the_raw_files(loaded):
    db, out, _ = loaded
    rows = gazetteer_csv()
    assert len(rows) == 33_453
    # CAF's levels 1 and 2 were replaced by its COD-AB workbook, loaded after the global list.
    not_caf = Counter((r["Location"], r["Admin Level"]) for r in rows if r["Location"] != "CAF")
    got = query(db, "SELECT iso3, admin_level::VARCHAR, count(*) FROM pcodes "
                    "WHERE source = 'global_pcodes_adm1_adm2.csv' GROUP BY ALL")
    assert {(i, lvl): n for i, lvl, n in got} == dict(not_caf)
    wb = openpyxl.load_workbook(realdata("cod_ab_caf", "caf_cod_ab.xlsx"), read_only=True)
    for level in range(5):
        sheet = list(wb[f"caf_admin{level}"].iter_rows(values_only=True))
        col = sheet[0].index(f"adm{level}_pcode")
        codes = {r[col] for r in sheet[1:] if r[col]}
        got_codes = {c for (c,) in query(db, "SELECT pcode FROM pcodes WHERE iso3 = 'CAF' AND admin_level = ? "
                                             "AND source = 'caf_cod_ab.xlsx'", [level])}
        assert got_codes == codes, level
    assert "26 row(s) left out: sheet 'caf_admin4', row 2, column 'adm4_pcode': no P-code" in out
    with open(realdata("pcodes", "global_pcode_lengths.csv"), encoding="utf-8-sig", newline="") as fh:
        lengths = {r["Location"]: r for r in csv.DictReader(fh)}
    assert query(db, "SELECT count(DISTINCT iso3) FROM pcode_lengths") == [(len(lengths),)]
    assert query(db, "SELECT list(length ORDER BY length) FROM pcode_lengths WHERE iso3 = 'SOM' "
                     "AND admin_level = 2") == [([int(x) for x in lengths["SOM"]["Admin 2 Length"].split("|")],)]


def test_centroid_points_set_label_points_of_loaded_areas(loaded):
    db, out, _ = loaded
    points = json.loads(realdata("admin1_boundaries", "YEM-ADM1-centroids_cod.geojson").read_text(encoding="utf-8"))
    for f in points["features"]:
        lon, lat = f["geometry"]["coordinates"][:2]
        got = query(db, "SELECT centroid_lat, centroid_lon FROM admin_areas WHERE pcode = ?",
                    [f["properties"]["ADM1_PCODE"]])
        assert got == [(pytest.approx(lat), pytest.approx(lon))]
    assert "label points set for 22 area(s)" in out


def test_a_log_loaded_after_boundaries_is_placed_on_the_new_areas(loaded, tmp_path):
    db = tmp_path / "access.duckdb"
    shutil.copyfile(loaded[0], db)
    # A point inside South Darfur, from the raw polygon; Sudan is not in the bundled extract.
    sdn = json.loads(realdata("admin1_boundaries", "SDN-ADM1.geojson").read_text(encoding="utf-8"))
    darfur = next(f for f in sdn["features"] if f["properties"]["shapeName"] == "South Darfur State")
    inside = shapely.geometry.shape(darfur["geometry"]).representative_point()
    log = write_csv(tmp_path / "sudan.csv", [
        row(engagement_id="S-1", country="Sudan", admin1="", latitude=f"{inside.y:.5f}", longitude=f"{inside.x:.5f}",
            checkpoint="", location="Nyala"),
        row(engagement_id="S-2", country="Sudan", admin1="Gezira State", latitude="", longitude="", checkpoint=""),
        row(engagement_id="N-1", country="Nigeria", admin1="Borno", latitude="", longitude="", checkpoint="")])
    assert main(["load", str(log), "--db", str(db), "--quiet"]) == 0
    assert query(db, "SELECT source_engagement_id, admin1_pcode, region FROM engagements ORDER BY 1") == [
        ("N-1", "NG008", "West and Central Africa"), ("S-1", "SD03", "East and Horn of Africa"),
        ("S-2", "SD15", "East and Horn of Africa")]
    # The load kept the loaded areas and the bundled ones of the other countries.
    assert query(db, "SELECT DISTINCT source FROM admin_areas WHERE iso3 IN ('SDN', 'SSD') ORDER BY 1") == [
        ("SDN-ADM1.geojson",), ("SSD-ADM1.geojson",)]
    assert query(db, "SELECT count(*) FROM admin_areas WHERE iso3 = 'NGA' AND source LIKE 'admin1.geojson@%'") == [
        (38,)]


def test_a_new_bundled_file_does_not_undo_loaded_areas(loaded, tmp_path):
    db = tmp_path / "access.duckdb"
    shutil.copyfile(loaded[0], db)
    bundled = tmp_path / "admin1.geojson"
    shutil.copyfile(Settings().boundaries, bundled)
    settings = Settings(db=db, boundaries=bundled)
    from etl.intake import load_paths

    log = write_csv(tmp_path / "log.csv", [row()])
    load_paths([log], db, settings)
    with bundled.open("ab") as f:  # the bundled file changed (its content: what identifies it)
        f.write(b"\n")
    load_paths([write_csv(tmp_path / "log2.csv", [row(engagement_id="T-2")])], db, settings)
    sources = dict(query(db, "SELECT iso3, string_agg(DISTINCT source) FROM admin_areas GROUP BY 1"))
    assert sources["SSD"] == "SSD-ADM1.geojson" and sources["UKR"] == "UKR-ADM1.geojson"
    new = bundled_source(bundled)
    assert sources["NGA"] == new and sources["IRQ"] == new != bundled_source(Settings().boundaries)
    # Yemen's label points came from the centroid file onto the YEM polygons: untouched.
    assert query(db, "SELECT count(*) FROM admin_areas WHERE iso3 = 'YEM' AND source = 'YEM-ADM1.geojson'") == [
        (23,)]


def test_without_a_gazetteer_names_are_not_stored_and_the_message_says_how(tmp_path, capsys):
    db = tmp_path / "access.duckdb"
    assert main(["boundaries", str(realdata("admin1_boundaries", "SDN-ADM1.geojson")), "--db", str(db)]) == 1
    out = capsys.readouterr().out
    assert "no P-code gazetteer for Sudan (SDN) admin level 1 is loaded" in out
    assert "python -m etl boundaries global_pcodes_adm1_adm2.csv" in out
    assert not db.exists()  # nothing stored: the database was not even created


def test_loading_a_file_again_does_nothing_until_another_replaces_it(loaded, tmp_path, capsys):
    db = tmp_path / "access.duckdb"
    shutil.copyfile(loaded[0], db)
    ssd = realdata("admin1_boundaries", "SSD-ADM1.geojson")
    before = query(db, "SELECT count(*) FROM loads")
    assert main(["boundaries", str(ssd), "--db", str(db)]) == 0
    assert "already loaded as load" in capsys.readouterr().out
    assert query(db, "SELECT count(*) FROM loads") == before


@pytest.mark.parametrize(("args", "message"), [
    (["metadata/SDN-ADM1-metaData.json"], "error: SDN-ADM1-metaData.json: is geoBoundaries metadata for "
                                          "SDN-ADM1-2_0_1-G483 (licence: Open Data Commons Open Database License "
                                          "1.0), not boundaries. Load the boundary file it describes instead"),
    (["../SOURCES.md"], "error: SOURCES.md: '.md' files are not boundaries or gazetteers. Give GeoJSON"),
    (["SDN-ADM1.geojson", "--iso3", "SSD"], "error: SDN-ADM1.geojson: its field 'shapeGroup' says SDN, but --iso3 "
                                            "says SSD. Drop --iso3"),
    (["SDN-ADM1.geojson", "--level", "2"], "error: SDN-ADM1.geojson: its shapeType says ADM1, not admin level 2."),
    (["YEM-ADM1.geojson", "--level", "2"], "error: YEM-ADM1.geojson: has no admin-2 fields (it has ADM1_PCODE). "
                                           "Drop --level or use --level 1."),
    (["SDN-ADM1.geojson", "--iso3", "XYZ"], "error: --iso3: 'XYZ' is not an ISO 3166-1 alpha-3 country code."),
])
def test_bad_input_is_one_line_naming_file_and_fix(tmp_path, capsys, args, message):
    first = str(realdata("admin1_boundaries", args[0]))
    code = main(["boundaries", first, *args[1:], "--db", str(tmp_path / "x.duckdb")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith(message) and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "x.duckdb").exists()


def test_every_realdata_metadata_file_is_refused_cleanly(tmp_path, capsys):
    folder = realdata("admin1_boundaries", "metadata")
    files = sorted(folder.iterdir())
    assert files
    assert main(["boundaries", *map(str, files), "--db", str(tmp_path / "x.duckdb")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == len(files) and all(line.startswith("error: ") for line in err)


def test_a_zipped_geojson_and_a_gpkg_read_too(tmp_path, loaded):
    """Forms the real files do not cover: a GeoPackage and a zip holding a GeoJSON, made here."""
    import geopandas as gpd

    src = realdata("admin1_boundaries", "SSD-ADM1.geojson")
    frame = gpd.read_file(src).to_crs(3857)  # projected on purpose: it must come back to degrees
    gpkg = tmp_path / "ssd.gpkg"
    frame.to_file(gpkg, driver="GPKG")
    zipped = tmp_path / "ssd.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.write(src, "inner/SSD-ADM1.geojson")
    db = tmp_path / "access.duckdb"
    shutil.copyfile(loaded[0], db)
    for path in (gpkg, zipped):
        results = load_boundary_paths([path], db, Settings(db=db))
        assert results[0].status == "stored", results[0].lines
        [(count, source)] = query(db, "SELECT count(*), any_value(source) FROM admin_areas "
                                      "WHERE iso3 = 'SSD' AND level = 1")
        assert (count, source) == (10, path.name)
        [(wkb,)] = query(db, "SELECT geometry FROM admin_areas WHERE pcode = 'SS03'")
        assert 29 < shapely.from_wkb(bytes(wkb)).centroid.x < 35  # Jonglei, in degrees



def _geojson(path: Path, features: list[tuple[dict, dict]]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": geom} for props, geom in features]}), encoding="utf-8")
    return path


def _square(x: float, y: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[x, y], [x + 1, y], [x + 1, y + 1], [x, y + 1], [x, y]]]}


def test_unknown_and_malformed_pcodes_are_reported(loaded, tmp_path, capsys):
    db = tmp_path / "access.duckdb"
    shutil.copyfile(loaded[0], db)
    cod = _geojson(tmp_path / "sdn_cod.geojson", [
        ({"ADM1_PCODE": "SD01", "ADM1_EN": "Khartoum", "ADM0_PCODE": "SD"}, _square(32, 15)),
        ({"ADM1_PCODE": "SD77", "ADM1_EN": "Nowhere", "ADM0_PCODE": "SD"}, _square(30, 12)),
        ({"ADM1_PCODE": "SD1234", "ADM1_EN": "Too long", "ADM0_PCODE": "SD"}, _square(26, 12))])
    assert main(["boundaries", str(cod), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "Sudan (SDN): 3 features; 3 by P-code" in out
    assert "P-codes not in the gazetteer: SD1234, SD77" in out
    assert "P-codes of unexpected length for SDN (pcode_lengths): SD1234" in out
    # Stored as given (the file is the authority), replacing the geoBoundaries areas of Sudan.
    assert query(db, "SELECT pcode, name FROM admin_areas WHERE iso3 = 'SDN' AND level = 1 ORDER BY 1") == [
        ("SD01", "Khartoum"), ("SD1234", "Too long"), ("SD77", "Nowhere")]


def test_points_of_areas_nobody_loaded_are_refused_without_a_traceback(tmp_path, capsys):
    points = _geojson(tmp_path / "sdn_points.geojson", [
        ({"ADM1_PCODE": "SD01", "ADM1_EN": "Khartoum", "ADM0_PCODE": "SD"},
         {"type": "Point", "coordinates": [32.5, 15.6]})])
    assert main(["boundaries", str(points), "--db", str(tmp_path / "x.duckdb")]) == 1
    captured = capsys.readouterr()
    assert "nothing stored: points can only set the label points of areas already loaded" in captured.out
    assert "1 point(s) of no loaded area: Khartoum" in captured.out
    assert "Traceback" not in captured.err and not (tmp_path / "x.duckdb").exists()


@pytest.mark.parametrize("iso3", [c for c in GEOJSON + ZIPPED if c != "YEM"])  # YEM is a COD-AB file: no metadata
def test_geoboundaries_metadata_files_are_named_for_what_they_are(iso3, tmp_path, capsys):
    """The metadata JSON beside each geoBoundaries file: one line saying what it is, with its licence."""
    path = realdata("admin1_boundaries", "metadata", f"{iso3}-ADM1-metaData.json")
    licence = json.loads(path.read_text(encoding="utf-8"))["boundaryLicense"]
    db = tmp_path / "access.duckdb"
    assert main(["boundaries", str(path), "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path.name}: is geoBoundaries metadata") and licence in err
    assert "Traceback" not in err and not db.exists()
