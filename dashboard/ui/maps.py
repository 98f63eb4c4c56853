"""The access map: admin-1 areas shaded by a measure, checkpoints as circles. Works offline.

:func:`build_map` is a pure function of DataFrames and returns a ``folium.Map`` that references
nothing outside the dashboard: no tiles unless ``tile_url`` is configured (a grey country layer
drawn from ``admin_areas`` stands in for a basemap), and only the local Leaflet JS/CSS served from
``dashboard/static`` (folium's defaults pull jQuery, Bootstrap, awesome-markers and font-awesome
from CDNs; they are replaced). Colours are computed here with fixed bins on colour-blind-safe
sequential scales (ColorBrewer YlOrRd for areas, Purples for checkpoints); the legend is drawn
by the page, outside the map (a branca colormap legend would load d3 from a CDN).

Every text shown in a tooltip comes from field logs and is HTML-escaped here: Leaflet tooltips
are HTML. Each clickable feature carries ``sel`` (``area`` or ``checkpoint``) and ``id`` properties,
which the page reads back from streamlit-folium's ``last_active_drawing`` to narrow the view.

In a pseudonymised view (``k``, by default the signed-in viewer's: see :mod:`dashboard.db.disclosure`)
counts and measures follow the disclosure rule: an area of fewer than k engagements is drawn
grey-blue with a dashed outline and no measure, a checkpoint's withheld count gets the smallest
circle and no share, tooltips read "< k", and no tooltip names who controls a checkpoint, lists the
outcomes of single engagements or names the perpetrator of an incident.
"""

from __future__ import annotations

import bisect
import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import folium
import numpy as np
import pandas as pd
import shapely
import streamlit as st
from branca.element import Figure
from shapely.geometry import mapping

from dashboard.db import disclosure, queries
from dashboard.db.connection import current_version, query, query_as
from dashboard.ui import formats, viewer
from dashboard.ui.charts import OUTCOME_COLOURS, OUTCOME_LABELS
from dashboard.ui.formats import fmt_date_as_known, fmt_days, fmt_int, fmt_number, fmt_pct, is_missing
from dashboard.ui.safe_text import html_text
from etl.accounts.roles import Scope

if TYPE_CHECKING:
    from dashboard.db.filters import Filters

# ColorBrewer 5-class sequential schemes, both marked colour-blind safe.
AREA_COLOURS = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")  # YlOrRd
CHECKPOINT_COLOURS = ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f")  # Purples
NO_DATA_LINE = "#a8a8a8"
COUNTRY_FILL, COUNTRY_LINE, BACKGROUND = "#dcdcdc", "#ffffff", "#eef2f5"
SIMPLIFY_DEGREES = 0.02  # about 2 km: invisible at country zoom, keeps the map under ~400 kB
MIN_RADIUS, MAX_RADIUS = 4.0, 16.0
# Rates from fewer engagements than this are drawn paler (and said so in the tooltip).
FEW_ENGAGEMENTS = 5
# Areas of fewer than k engagements in a pseudonymised view: a cool grey with a dashed outline, set apart
# from the warm scale, from "no engagements" (outline only) and from the grey country basemap.
WITHHELD_FILL, WITHHELD_LINE = "#b9c6d2", "#5f7080"
VIEWER = "viewer"
"""``k`` of a builder: the signed-in viewer's (see :func:`dashboard.ui.viewer.viewer_k`)."""
# Names and places from a log are cut to this many characters in a tooltip (a tooltip is 340 px wide).
TIP_CHARS = 120


@dataclass(frozen=True)
class Measure:
    label: str
    edges: tuple[float, ...]  # 4 inner edges -> 5 bins; each bin includes its lower edge
    bins: tuple[str, ...]  # legend label of each bin
    fmt: Callable[[float], str]
    help: str


MEASURES: dict[str, Measure] = {
    "share_denied": Measure(
        "Share denied", (0.05, 0.10, 0.20, 0.30),
        ("under 5%", "5–10%", "10–20%", "20–30%", "30% or more"), fmt_pct,
        "Share of engagements whose outcome was a denial."),
    "obstacles_per_engagement": Measure(
        "Obstacles per engagement", (0.5, 0.75, 1.0, 1.5),
        ("under 0.5", "0.5–0.75", "0.75–1", "1–1.5", "1.5 or more"), lambda v: fmt_number(v, 2, grouping=False),
        "Obstacles recorded (any category) divided by engagements."),
    "median_days": Measure(
        "Median days to resolution", (3, 5, 7, 14),
        ("under 3 days", "3–5 days", "5–7 days", "7–14 days", "14 days or more"), fmt_days,
        "Median days from request to answer, for requests that got an answer."),
    "engagements": Measure(
        "Engagements", (10, 50, 100, 250),
        ("under 10", "10–49", "50–99", "100–249", "250 or more"), fmt_int,
        "Number of engagements recorded."),
}
CHECKPOINT_MEASURE = "share_denied"


def measures_help() -> str:
    """What each measure means, for the selector's help (markdown)."""
    lines = [f"- **{m.label}**: {m.help}" for m in MEASURES.values()]
    return "\n".join([*lines, "", "Colours use fixed bands, so maps stay comparable between views."])


def e(value: object) -> str:
    """Text from a log, made inert for a Leaflet tooltip (which is HTML) and cut to :data:`TIP_CHARS`."""
    return html_text(value, TIP_CHARS)


def bin_index(value: object, measure: str) -> int | None:
    """Which of the five bins ``value`` falls in; None when there is no value."""
    if is_missing(value):
        return None
    return bisect.bisect_right(MEASURES[measure].edges, float(value))  # type: ignore[arg-type]


def area_colour(value: object, measure: str) -> str | None:
    i = bin_index(value, measure)
    return None if i is None else AREA_COLOURS[i]


def checkpoint_colour(share_denied: object) -> str:
    i = bin_index(share_denied, CHECKPOINT_MEASURE)
    return "#bdbdbd" if i is None else CHECKPOINT_COLOURS[i]


def legend(measure: str) -> list[tuple[str, str]]:
    """(colour, label) rows of the area legend, lowest bin first."""
    return list(zip(AREA_COLOURS, MEASURES[measure].bins, strict=True))


def checkpoint_legend() -> list[tuple[str, str]]:
    return list(zip(CHECKPOINT_COLOURS, MEASURES[CHECKPOINT_MEASURE].bins, strict=True))


def largest_count(points: pd.DataFrame) -> float:
    """The largest engagement count shown among ``points`` (withheld counts left out); 0 when none is."""
    counts = pd.to_numeric(points["engagements"].map(lambda v: None if _withheld(v) else v), errors="coerce")
    return 0.0 if counts.dropna().empty else float(counts.max())


def radius(engagements: object, largest: float) -> float:
    """Circle radius in pixels: area proportional to engagements, relative to the largest shown. A withheld
    count (a pseudonymised view) gets the smallest circle."""
    if is_missing(engagements) or _withheld(engagements) or not largest:
        return MIN_RADIUS
    return round(MIN_RADIUS + (MAX_RADIUS - MIN_RADIUS) * math.sqrt(float(engagements) / largest), 1)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------- geometries


def shapes_to_features(shapes: pd.DataFrame, tolerance: float = SIMPLIFY_DEGREES) -> dict[str, Any]:
    """Admin areas (``queries.AREA_SHAPES`` rows, WKB geometry) as GeoJSON geometries.

    Returns ``{"countries": [feature, ...], "areas": {pcode: feature}}``; each feature has
    ``pcode``, ``name``, ``iso3`` properties. Geometries are simplified and rounded to 4 decimals.
    """
    out: dict[str, Any] = {"countries": [], "areas": {}}
    for row in shapes.itertuples(index=False):
        if is_missing(row.geometry):
            continue
        geom = shapely.from_wkb(bytes(row.geometry))
        if geom is None or geom.is_empty:
            continue
        geom = shapely.simplify(geom, tolerance, preserve_topology=True)
        geom = shapely.transform(geom, lambda xy: np.round(xy, 4))
        if geom.is_empty:
            continue
        feature = {"type": "Feature", "id": str(row.pcode), "geometry": mapping(geom),
                   "properties": {"pcode": str(row.pcode), "name": str(row.name), "iso3": str(row.iso3),
                                  "country": str(getattr(row, "country", None) or row.iso3)},
                   "bbox": [round(v, 4) for v in geom.bounds]}
        if int(row.level) == 0:
            out["countries"].append(feature)
        else:
            out["areas"][str(row.pcode)] = feature
    return out


@st.cache_data(max_entries=2, show_spinner=False)
def _cached_shapes(version: tuple[int, int], tolerance: float, _scope: Scope | None) -> dict[str, Any]:
    # admin_areas is reference data every scope sees whole (dashboard.db.scope.PASS_THROUGH): not keyed by scope.
    return shapes_to_features(query(queries.AREA_SHAPES) if _scope is None
                              else query_as(_scope, queries.AREA_SHAPES), tolerance)


def extent_bounds(extent: pd.DataFrame) -> list[list[float]] | None:
    """``[[south, west], [north, east]]`` from the one row of ``queries.map_extent``; None when it found nothing."""
    if extent.empty:
        return None
    r = extent.iloc[0]
    corners = [r.get(c) for c in ("south", "west", "north", "east")]
    if any(is_missing(v) for v in corners):
        return None
    south, west, north, east = (float(v) for v in corners)
    return [[south, west], [north, east]]


def map_bounds(f: Filters, scope: Scope | None = None) -> list[list[float]] | None:
    """What the map opens fitted to: the places the user may see, narrowed by the place filters of ``f``
    (:func:`dashboard.db.queries.map_extent`, through the user's scoped views). ``scope``: whose view to read
    through when nobody is signed in; by default the signed-in user's."""
    sql, params = queries.map_extent(f)
    return extent_bounds(query(sql, params) if scope is None else query_as(scope, sql, params))


def area_shapes(tolerance: float = SIMPLIFY_DEGREES, scope: Scope | None = None) -> dict[str, Any]:
    """:func:`shapes_to_features` of the live database, computed once per data version.

    ``scope``: whose view to read through when nobody is signed in (the warm-up); by default the signed-in user's.
    """
    version = current_version()
    if version is None:
        return {"countries": [], "areas": {}}
    return _cached_shapes(version, tolerance, scope)


# -------------------------------------------------------------------------------- tooltips


def _outcomes(recent: object) -> str:
    if recent is None or isinstance(recent, float):
        return "–"
    items = [o for o in list(recent) if not is_missing(o)]  # type: ignore[call-overload]
    if not items:
        return "–"
    parts = []
    for code in items:
        label = OUTCOME_LABELS.get(str(code), str(code))
        colour = OUTCOME_COLOURS.get(label, "#999999")
        parts.append(f'<span style="white-space:nowrap"><span style="color:{colour}">&#9632;</span>&nbsp;{e(label)}'
                     "</span>")
    return " · ".join(parts)


def _k(k: int | str | None) -> int | None:
    return viewer.viewer_k() if k == VIEWER else k  # type: ignore[return-value]


def _withheld(value: object) -> bool:
    return isinstance(value, str)


def country_of(row: Any) -> object:
    """The country's name of a row (a feature's properties, a query's row), its ISO3 code when no name is known."""
    name = row.get("country")
    return row.get("iso3") if is_missing(name) or not name else name


def area_tooltip(name: object, country: object, row: pd.Series | None, measure: str, k: int | None = None) -> str:
    """Tooltip of an admin area of ``country`` (its name); ``row`` as :func:`dashboard.db.disclosure.protect` made
    it when ``k`` is set."""
    head = f"<b>{e(name)}</b> ({e(country)})"
    if row is None:
        return f"{head}<br>No engagements match the filters"
    m = MEASURES[measure]
    value = row.get(measure)
    count = row["engagements"]
    if measure == "engagements":
        shown = formats.shown_count(count, k)
    else:
        shown = "–" if is_missing(value) or _withheld(value) else m.fmt(float(value))
    lines = [head, f"{e(m.label)}: <b>{e(shown)}</b>"]
    if measure != "engagements":
        lines.append(f"Engagements: {e(formats.shown_count(count, k))}")
        if k is not None and is_missing(value) and (_withheld(count) or disclosure.small(count, k)):
            lines.append(f"<i>Fewer than {k} engagements: no figure shown</i>")
        elif not _withheld(count) and int(count) < FEW_ENGAGEMENTS:
            lines.append("<i>Few engagements: read with care</i>")
    lines.append('<span style="color:#666">Click to look closer</span>')
    return "<br>".join(lines)


def checkpoint_tooltip(row: pd.Series, k: int | None = None) -> str:
    """Tooltip of a checkpoint. With ``k`` (a pseudonymised view, ``row`` protected) it does not say who
    controls the checkpoint nor list the outcomes of its latest engagements (single engagements)."""
    share = row.get("share_denied")
    controlled = row.get("controlled_by")
    lines = [f"<b>{e(row.get('name'))}</b> ({e(country_of(row))})"]
    if k is None:
        lines.append(f"Controlled by: {e(controlled) if not is_missing(controlled) else 'not recorded'}")
    lines += [f"Engagements: {e(formats.shown_count(row['engagements'], k))}",
              f"Share denied: {fmt_pct(share)}"]
    if k is None:
        lines.append("Last five outcomes, latest first:<br>" + _outcomes(row.get("recent_outcomes")))
    lines.append('<span style="color:#666">Click to look closer</span>')
    return "<br>".join(lines)


def _count(value: object) -> int:
    return 0 if is_missing(value) else int(value)  # type: ignore[call-overload]


def incident_tooltip(row: pd.Series, k: int | None = None) -> str:
    """Tooltip of a security incident; every value from the feed is escaped. With ``k`` (a pseudonymised
    view) the perpetrator is named by type only and harm counts under k read "< k"."""
    when = row.get("incident_date")
    precision = row.get("date_precision")
    date = fmt_date_as_known(when, precision) if hasattr(when, "strftime") else e(when)
    who = row.get("perpetrator_name") if k is None else None
    harm = ", ".join(f"{formats.shown_count(_count(row.get(c)), k)} {c}"
                     for c in ("killed", "injured", "kidnapped", "detained") if _count(row.get(c)))
    return "<br>".join([
        f"<b>Security incident</b>, {e(date)} ({e(country_of(row))})",
        f"Place: {e(row.get('place')) if not is_missing(row.get('place')) else 'not recorded'}",
        f"Perpetrator: {e(row.get('perpetrator_type'))}" + (f" – {e(who)}" if not is_missing(who) else ""),
        f"Means: {e(row.get('means_of_attack'))}" if not is_missing(row.get("means_of_attack")) else "Means: not recorded",
        f"Aid workers: {e(harm) if harm else 'none recorded as harmed'}",
        f'<span style="color:#666">Source: {e(row.get("source"))}</span>',
    ])


INCIDENT_STYLE = {"radius": 3.5, "weight": 1, "color": "#000000", "fill": True, "fillColor": "#444444",
                  "fillOpacity": 0.8}


def incident_layer(incidents: pd.DataFrame, k: int | None = None) -> list[dict]:
    features = []
    for _, row in incidents.iterrows():
        if is_missing(row["latitude"]) or is_missing(row["longitude"]):
            continue
        features.append({
            "type": "Feature", "id": f"incident-{row['incident_id']}",
            "geometry": {"type": "Point", "coordinates": [float(row["longitude"]), float(row["latitude"])]},
            "properties": {"sel": "incident", "tip": incident_tooltip(row, k)},
        })
    return features


# ------------------------------------------------------------------------------------- map


def _bounds(boxes: Sequence[Sequence[float]]) -> list[list[float]] | None:
    """[[south, west], [north, east]] around (minx, miny, maxx, maxy) boxes."""
    if not boxes:
        return None
    a = np.asarray(boxes, dtype=float)
    return [[float(a[:, 1].min()), float(a[:, 0].min())], [float(a[:, 3].max()), float(a[:, 2].max())]]


def feature_tooltip() -> folium.GeoJsonTooltip:
    """The tooltip of a GeoJSON layer: each feature's ``tip`` property (HTML escaped by its builder)."""
    return folium.GeoJsonTooltip(fields=["tip"], labels=False, sticky=True,
                                 style="font-size:13px; min-width:240px; max-width:340px; white-space:normal;")


def _style_lookup(styles: dict[str, dict[str, Any]]) -> Callable[[dict], dict]:
    return lambda feature: styles[feature["id"]]


def build_map(shapes: dict[str, Any], measures: pd.DataFrame, points: pd.DataFrame, measure: str, *,
              leaflet_js: str, leaflet_css: str, tile_url: str | None = None,
              incidents: pd.DataFrame | None = None, layers: Sequence[folium.GeoJson] = (),
              k: int | str | None = VIEWER, bounds: list[list[float]] | None = None) -> folium.Map:
    """The access map.

    ``shapes`` comes from :func:`shapes_to_features`, ``measures`` from ``queries.area_measures``
    (one row per admin-1 pcode), ``points`` from ``queries.checkpoint_points``; ``measure`` is a
    key of :data:`MEASURES`. ``leaflet_js`` / ``leaflet_css`` are the local Leaflet addresses.
    ``incidents`` (``queries.incident_points``), when given, adds security incidents from the
    public record as small dark squares-in-circles under the checkpoints; they are not clickable.
    ``layers``: more context layers drawn above the areas and under the checkpoints (the conflict events of
    :mod:`dashboard.ui.conflict_map`).
    ``k``: the disclosure rule's k for a pseudonymised view (None: figures as they are).
    ``bounds``: ``[[south, west], [north, east]]`` the map opens fitted to (:func:`map_bounds`: the user's places,
    narrowed by the filters); without it, the areas with data and the checkpoints drawn.
    """
    if measure not in MEASURES:
        raise KeyError(measure)
    k = _k(k)
    if k is not None:
        measures, points = disclosure.protect(measures, k), disclosure.protect(points, k)
    # No scroll-wheel zoom: the map sits in a scrolling page (zoom with the buttons or a double-click).
    m = folium.Map(location=[15, 30], zoom_start=3, tiles=None, min_zoom=2, control_scale=True,
                   world_copy_jump=True, scrollWheelZoom=False)
    # Only the local Leaflet: folium's CDN defaults (jQuery, Bootstrap, awesome-markers...) are dropped.
    m.default_js = [("leaflet", leaflet_js)]
    m.default_css = [("leaflet_css", leaflet_css)]
    root = m.get_root()
    assert isinstance(root, Figure)
    root.header.add_child(folium.Element(
        f"<style>.leaflet-container {{ background: {BACKGROUND}; font-family: 'DejaVu Sans', Arial, sans-serif; }}"
        ".leaflet-tooltip table td { padding: 0; }</style>"))
    if tile_url:
        host = urlsplit(tile_url).hostname or "local tile server"
        folium.TileLayer(tiles=tile_url, attr=f"Map tiles: {e(host)}", name="Tiles", control=False,
                         max_zoom=18).add_to(m)

    # Countries: the basemap (outline only over tiles). Not clickable.
    if shapes["countries"]:
        country_style = {"fillColor": COUNTRY_FILL, "fillOpacity": 0.0 if tile_url else 1.0,
                         "color": "#8c8c8c" if tile_url else COUNTRY_LINE, "weight": 1.2}
        folium.GeoJson({"type": "FeatureCollection", "features": shapes["countries"]}, name="Countries",
                       style_function=lambda _f: country_style, interactive=False, control=False).add_to(m)

    by_pcode = measures.set_index("pcode") if not measures.empty else pd.DataFrame()
    with_data: list[dict] = []
    without: list[dict] = []
    styles: dict[str, dict[str, Any]] = {}
    fill_opacity = 0.65 if tile_url else 0.85
    for pcode, feature in shapes["areas"].items():
        props = feature["properties"]
        row = by_pcode.loc[pcode] if pcode in by_pcode.index else None
        # A pseudonymised view withholds the figures of an area of fewer than k engagements (or of one whose
        # count is withheld beside such an area): drawn grey, its tooltip says why.
        withheld = row is not None and k is not None and (_withheld(row["engagements"])
                                                          or disclosure.small(row["engagements"], k))
        if row is None or (is_missing(row.get(measure)) and not withheld):
            without.append(feature)
            continue
        if withheld:
            styles[pcode] = {"fillColor": WITHHELD_FILL, "fillOpacity": fill_opacity, "color": WITHHELD_LINE,
                             "weight": 0.8, "dashArray": "3 3"}
        else:
            few = measure != "engagements" and not _withheld(row["engagements"]) \
                and int(row["engagements"]) < FEW_ENGAGEMENTS
            styles[pcode] = {"fillColor": area_colour(row[measure], measure),
                             "fillOpacity": fill_opacity * (0.45 if few else 1.0), "color": "#ffffff", "weight": 0.8}
        with_data.append({
            **feature,
            "properties": {"sel": "area", "id": pcode, "label": f"{props['name']} ({country_of(props)})",
                           "tip": area_tooltip(props["name"], country_of(props), row, measure, k)},
        })
    if without:
        none_style = {"fillOpacity": 0.0, "color": NO_DATA_LINE, "weight": 0.6}
        folium.GeoJson({"type": "FeatureCollection", "features": without}, name="Areas without data",
                       style_function=lambda _f: none_style, interactive=False, control=False).add_to(m)
    if with_data:
        folium.GeoJson({"type": "FeatureCollection", "features": with_data}, name="Admin areas",
                       style_function=_style_lookup(styles),
                       highlight_function=lambda _f: {"weight": 2.5, "color": "#222222"},
                       tooltip=feature_tooltip(), control=False).add_to(m)

    incident_features = incident_layer(incidents, k) if incidents is not None else []
    if incident_features:
        folium.GeoJson({"type": "FeatureCollection", "features": incident_features}, name="Security incidents",
                       marker=folium.CircleMarker(), style_function=lambda _f: INCIDENT_STYLE,
                       tooltip=feature_tooltip(), control=False).add_to(m)
    for layer in layers:
        layer.add_to(m)

    point_features: list[dict] = []
    point_styles: dict[str, dict[str, Any]] = {}
    if not points.empty:
        largest = largest_count(points)
        for _, row in points.iterrows():
            if is_missing(row["latitude"]) or is_missing(row["longitude"]):
                continue
            cid = str(row["checkpoint_id"])
            point_styles[cid] = {"radius": radius(row["engagements"], largest), "weight": 1.2, "color": "#222222",
                                 "fill": True, "fillColor": checkpoint_colour(row["share_denied"]), "fillOpacity": 0.95}
            point_features.append({
                "type": "Feature", "id": cid,
                "geometry": {"type": "Point", "coordinates": [float(row["longitude"]), float(row["latitude"])]},
                "properties": {"sel": "checkpoint", "id": cid, "label": f"{row['name']} ({country_of(row)})",
                               "tip": checkpoint_tooltip(row, k)},
            })
    if point_features:
        folium.GeoJson({"type": "FeatureCollection", "features": point_features}, name="Checkpoints",
                       marker=folium.CircleMarker(), style_function=_style_lookup(point_styles),
                       highlight_function=lambda _f: {"weight": 3, "color": "#000000"},
                       tooltip=feature_tooltip(), control=False).add_to(m)

    if bounds is None:  # never every country loaded: those of other regions would widen the view
        boxes = [f["bbox"] for f in with_data]
        boxes += [[p["geometry"]["coordinates"][0], p["geometry"]["coordinates"][1]] * 2 for p in point_features]
        bounds = _bounds(boxes)
    if bounds:
        m.fit_bounds(bounds, padding=(12, 12))
    return m


def highlight(shapes: dict[str, Any], points: pd.DataFrame, kind: str | None, key: str | None,
              k: int | str | None = VIEWER) -> folium.FeatureGroup:
    """An outline around the selected area or checkpoint, added without reloading the map
    (streamlit-folium's ``feature_group_to_add``). Empty when nothing is selected. The ring's size follows
    the circle's, so it is drawn from the counts as shown (``k``)."""
    group = folium.FeatureGroup(name="Selection", control=False)
    k = _k(k)
    if k is not None and not points.empty:
        points = disclosure.protect(points, k)
    if kind == "area" and key in shapes["areas"]:
        outline = {"fill": False, "color": "#000000", "weight": 3.5, "dashArray": "6 4"}
        folium.GeoJson(shapes["areas"][key], style_function=lambda _f: outline, interactive=False,
                       control=False).add_to(group)
    elif kind == "checkpoint" and not points.empty:
        row = points[points["checkpoint_id"].astype(str) == key]
        if not row.empty and not is_missing(row.iloc[0]["latitude"]):
            r = row.iloc[0]
            ring = {"radius": radius(r["engagements"], largest_count(points)) + 5, "fill": False,
                    "color": "#000000", "weight": 3, "interactive": False}  # folium.CircleMarker drops `interactive`
            point = {"type": "Feature", "id": "selected", "properties": {},
                     "geometry": {"type": "Point", "coordinates": [float(r["longitude"]), float(r["latitude"])]}}
            folium.GeoJson(point, marker=folium.CircleMarker(), style_function=lambda _f: ring,
                           control=False).add_to(group)
    return group


def selection_from_click(value: object) -> tuple[str, str, str] | None:
    """(kind, id, label) of the area or checkpoint clicked, from st_folium's returned value."""
    if not isinstance(value, dict):
        return None
    feature = value.get("last_active_drawing")
    props = feature.get("properties") if isinstance(feature, dict) else None
    if not isinstance(props, dict):
        return None
    kind, key = props.get("sel"), props.get("id")
    if kind not in ("area", "checkpoint") or not isinstance(key, str) or not key:
        return None
    return kind, key, str(props.get("label") or key)


def legend_rows(items: list[tuple[str, str]], shape: str) -> str:
    """Legend rows of (colour, fixed label): a square or a circle of the colour, then the label."""
    radius_css = "50%" if shape == "circle" else "2px"
    return "".join(
        f'<div style="display:flex;align-items:center;gap:6px;margin:2px 0">'
        f'<span style="display:inline-block;flex:none;width:14px;height:14px;border:1px solid #555;'
        f'border-radius:{radius_css};background:{colour}"></span>{html.escape(label)}</div>'
        for colour, label in items)


def legend_html(measure: str, largest: float | None, tiles: bool = False, incidents: bool = False,
                k: int | None = None) -> str:
    """The legend, drawn by the page outside the map (fixed labels only, no log text). ``largest``: the
    largest count shown (:func:`largest_count`); with ``k``, under k it is not given."""
    rows = legend_rows
    m = MEASURES[measure]
    size = ("" if largest is None or is_missing(largest) or not largest or disclosure.small(largest, k)
            else f"<div style='color:#555;margin-top:4px'>Circle size: engagements (largest {fmt_int(largest)})</div>")
    return (
        "<div style='font-size:13px;line-height:1.3'>"
        f"<div style='font-weight:600;margin-bottom:2px'>Areas: {html.escape(m.label.lower())}</div>"
        + rows(legend(measure), "square")
        + f'<div style="display:flex;align-items:center;gap:6px;margin:2px 0"><span style="display:inline-block;'
          f'flex:none;width:14px;height:14px;border:1px solid {NO_DATA_LINE};background:{"transparent" if tiles else COUNTRY_FILL}">'
          "</span>"
          "no engagements</div>"
        + ("" if k is None else
           f'<div style="display:flex;align-items:center;gap:6px;margin:2px 0"><span style="display:inline-block;'
           f'flex:none;width:14px;height:14px;border:1px dashed {WITHHELD_LINE};background:{WITHHELD_FILL}"></span>'
           f"fewer than {k} engagements: figures withheld</div>")
        + ("" if measure == "engagements" or k is not None else
           f"<div style='color:#555;margin-top:2px'>Paler: fewer than {FEW_ENGAGEMENTS} engagements</div>")
        + "<div style='font-weight:600;margin:10px 0 2px'>Checkpoints: share denied</div>"
        + rows(checkpoint_legend(), "circle")
        + size
        + ("<div style='font-weight:600;margin:10px 0 2px'>Public record</div>"
           + rows([(INCIDENT_STYLE["fillColor"], "security incident")], "circle") if incidents else "")
        + "</div>"
    )



def showing_html(kind: str | None, label: str | None) -> str:
    """The "Showing: ..." line under the map. HTML rather than markdown: markdown would turn a URL
    in a checkpoint name into a link."""
    if not kind:
        return ("<div style='font-size:15px'><b>Showing:</b> everything on the map · "
                "<i>click an admin area or a checkpoint to look closer</i></div>")
    what = "Area" if kind == "area" else "Checkpoint"
    return f"<div style='font-size:15px'><b>Showing:</b> {what}: {e(label)}</div>"
