"""Placing points on admin-1 areas with the shipped boundaries (real polygons, geopandas)."""

from __future__ import annotations

import pandas as pd

from etl.config import Settings
from etl.geo.areas import load_boundaries, locate_points, match_admin_names


def locate(*points: tuple[str, float, float]):
    b = load_boundaries(Settings().boundaries)
    frame = pd.DataFrame(points, columns=["iso3", "lat", "lon"])
    return locate_points(b, frame, tolerance_km=15).to_dict("records")


def test_points_fall_in_their_admin1_area():
    got = locate(("YEM", 12.85, 44.98), ("SSD", 4.85, 31.6), ("UKR", 50.45, 30.52), ("AFG", 34.52, 69.18))
    assert [g["pcode"] for g in got] == ["YE24", "SS01", "UA80", "AF01"]
    assert all(g["problem"] is None for g in got)


def test_every_area_contains_its_own_representative_point():
    b = load_boundaries(Settings().boundaries)
    pts = b.areas.geometry.representative_point()
    frame = pd.DataFrame({"iso3": b.areas["iso3"], "lat": pts.y, "lon": pts.x})
    got = locate_points(b, frame, tolerance_km=0)
    assert list(got["pcode"]) == list(b.areas["pcode"])


def test_swapped_and_foreign_points_are_flagged():
    got = locate(("YEM", 44.98, 12.85), ("YEM", 4.85, 31.6), ("YEM", -30.0, -60.0))
    assert [g["problem"] for g in got] == ["swapped_coordinates", "outside_country", "outside_country"]
    assert got[1]["detail"] == "it falls in South Sudan"
    assert got[2]["detail"] is None


def test_points_just_outside_a_simplified_border_are_snapped_to_the_nearest_area():
    # Aden's coast: a point a few hundred metres out to sea still belongs to Aden.
    got = locate(("YEM", 12.76, 44.93))
    assert got[0]["pcode"] == "YE24" and got[0]["problem"] is None


def test_countries_without_boundaries_are_accepted_without_an_area():
    got = locate(("KEN", -1.29, 36.82))
    assert got[0]["pcode"] is None and got[0]["problem"] is None


def test_admin_names_match_exactly_or_closely_never_loosely():
    b = load_boundaries(Settings().boundaries)
    wanted = pd.DataFrame({"iso3": ["YEM", "YEM", "YEM", "NGA"],
                           "raw": ["Aden", "Sanaa City", "Atlantis", "Federal Capital Territory"]})
    got = match_admin_names(b.areas, wanted)
    assert list(got["pcode"]) == ["YE24", "YE13", None, "NG015"]
