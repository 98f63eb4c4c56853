"""The conflict context on the access map: ACLED events as small circles, HDX HAPI counts as a circle per
admin-1 area, each a layer the page hands to :func:`dashboard.ui.maps.build_map`. Works offline (the
same local Leaflet; folium's ``CircleMarker`` draws with no icon or font from a CDN).

Every value from the publishers (event types, places, actors, notes) is HTML-escaped in the tooltips
(:func:`dashboard.ui.maps.e`): Leaflet tooltips are HTML. In a pseudonymised view (``k``: see
:mod:`dashboard.db.disclosure`) an event's tooltip names no actor and quotes no notes (the scoped view
holds them NULL there anyway), fatalities under k read "< k", and an area whose count of events is under k
(or withheld beside one) gets the smallest circle and "< k" in its tooltip.
"""

from __future__ import annotations

import math

import folium
import pandas as pd
from shapely.geometry import shape

from dashboard.db import disclosure
from dashboard.ui import formats, viewer
from dashboard.ui.charts import event_label
from dashboard.ui.formats import fmt_date_as_known, fmt_int, is_missing
from dashboard.ui.maps import MAX_RADIUS, MIN_RADIUS, country_of, e, feature_tooltip, legend_rows

VIEWER = "viewer"
"""``k`` of a builder: the signed-in viewer's (see :func:`dashboard.ui.viewer.viewer_k`)."""

EVENT_STYLE = {"radius": 3, "weight": 1, "color": "#00412e", "fill": True, "fillColor": "#009E73",
               "fillOpacity": 0.85}
AREA_STYLE = {"weight": 1.5, "color": "#00412e", "fill": True, "fillColor": "#009E73", "fillOpacity": 0.25}
EVENTS_LABEL = "conflict event (ACLED)"
AREAS_LABEL = "conflict events in the area (HDX HAPI)"


def _k(k: int | str | None) -> int | None:
    return viewer.viewer_k() if k == VIEWER else k  # type: ignore[return-value]


def _shown(value: object, k: int | None) -> str:
    return formats.shown_count(0 if is_missing(value) else value, k)


def event_tooltip(row: pd.Series, k: int | None = None) -> str:
    """Tooltip of one conflict event; every value from the publisher is escaped. With ``k`` (a pseudonymised
    view) no actor is named, no notes are quoted and fatalities under k read "< k"."""
    when = row.get("event_date")
    date = fmt_date_as_known(when, row.get("date_precision")) if hasattr(when, "strftime") else e(when)
    kind = e(row.get("event_type")) + ("" if is_missing(row.get("sub_event_type"))
                                       else f" – {e(row.get('sub_event_type'))}")
    place = ", ".join(e(row.get(c)) for c in ("location", "admin1_name") if not is_missing(row.get(c)))
    lines = [f"<b>Conflict event</b>, {e(date)} ({e(country_of(row))})", kind,
             f"Place: {place or 'not recorded'}"]
    if k is None:
        actors = [e(row.get(c)) for c in ("actor1", "actor2") if not is_missing(row.get(c))]
        if actors:
            lines.append("Actors: " + " – ".join(actors))
    lines.append(f"Fatalities: {e(_shown(row.get('fatalities'), k))}")
    if k is None and not is_missing(row.get("notes")):
        lines.append(f"<i>{e(row.get('notes'))}</i>")
    lines.append(f'<span style="color:#666">Source: {e(row.get("source"))}</span>')
    return "<br>".join(lines)


def event_layer(events: pd.DataFrame, k: int | str | None = VIEWER) -> folium.GeoJson | None:
    """Located conflict events (``conflict_queries.event_points``) as small circles; None when there are none."""
    k = _k(k)
    features = [{
        "type": "Feature", "id": f"conflict-{row['event_id']}",
        "geometry": {"type": "Point", "coordinates": [float(row["longitude"]), float(row["latitude"])]},
        "properties": {"sel": "conflict_event", "tip": event_tooltip(row, k)},
    } for _, row in events.iterrows() if not is_missing(row["latitude"]) and not is_missing(row["longitude"])]
    if not features:
        return None
    return folium.GeoJson({"type": "FeatureCollection", "features": features}, name="Conflict events",
                          marker=folium.CircleMarker(), style_function=lambda _f: EVENT_STYLE,
                          tooltip=feature_tooltip(), control=False)


def event_types(counts: pd.DataFrame) -> list[str]:
    """The event types of ``conflict_queries.counts_by_area``, most events first (the map shows one at a time:
    the publisher's types may overlap)."""
    if counts.empty:
        return []
    totals = counts.groupby("event_type")["events"].sum().sort_values(ascending=False, kind="stable")
    return [str(t) for t in totals.index]


def _largest(values: pd.Series) -> float:
    shown = pd.to_numeric(values.map(lambda v: None if isinstance(v, str) else v), errors="coerce").dropna()
    return 0.0 if shown.empty else float(shown.max())


def area_radius(events: object, largest: float) -> float:
    """Circle radius in pixels, area proportional to events; a withheld count gets the smallest circle."""
    if is_missing(events) or isinstance(events, str) or not largest:
        return MIN_RADIUS
    return round(MIN_RADIUS + (MAX_RADIUS - MIN_RADIUS) * math.sqrt(float(events) / largest), 1)  # type: ignore[arg-type]


def area_tooltip(rows: pd.DataFrame, event_type: str, k: int | None) -> str:
    """Tooltip of one area: its counts (as protected) for each event type, the type drawn first."""
    first = rows.iloc[0]
    ordered = pd.concat([rows[rows["event_type"] == event_type], rows[rows["event_type"] != event_type]])
    lines = [f"Conflict events in <b>{e(first['area'])}</b> ({e(country_of(first))}), HDX HAPI:"]
    for _, r in ordered.iterrows():
        lines.append(f"{e(event_label(r['event_type']))}: {e(_shown(r['events'], k))} events, "
                     f"{e(_shown(r['fatalities'], k))} fatalities")
    return "<br>".join(lines)


def area_layer(shapes: dict, counts: pd.DataFrame, event_type: str,
               k: int | str | None = VIEWER) -> tuple[folium.GeoJson | None, float]:
    """A circle at the centre of each admin-1 area with ``event_type`` events in ``counts``
    (``conflict_queries.counts_by_area``), sized by them; and the largest count shown (for the legend).
    Areas without a shape in ``shapes`` (:func:`dashboard.ui.maps.shapes_to_features`) are not drawn."""
    k = _k(k)
    if counts.empty:
        return None, 0.0
    data = disclosure.protect(counts, k) if k is not None else counts
    chosen = data[data["event_type"] == event_type]
    largest = _largest(chosen["events"])
    features, styles = [], {}
    for _, row in chosen.iterrows():
        area = shapes["areas"].get(str(row["pcode"]))
        if area is None:
            continue
        centre = shape(area["geometry"]).representative_point()
        fid = f"hapi-{row['pcode']}"
        styles[fid] = {**AREA_STYLE, "radius": area_radius(row["events"], largest)}
        features.append({
            "type": "Feature", "id": fid,
            "geometry": {"type": "Point", "coordinates": [round(centre.x, 4), round(centre.y, 4)]},
            "properties": {"sel": "conflict_area",
                           "tip": area_tooltip(data[data["pcode"] == row["pcode"]], event_type, k)},
        })
    if not features:
        return None, largest
    return folium.GeoJson({"type": "FeatureCollection", "features": features}, name="Conflict events per area",
                          marker=folium.CircleMarker(), style_function=lambda f: styles[f["id"]],
                          tooltip=feature_tooltip(), control=False), largest


def legend_html(events: bool, areas: str | None, largest: float | None, k: int | None = None) -> str:
    """Legend rows of the conflict layers shown (fixed labels only; ``areas``: the event type drawn).
    ``largest``: the largest area count shown; with ``k``, under k it is not given."""
    if not events and not areas:
        return ""
    size = ("" if not areas or not largest or disclosure.small(largest, k)
            else f"<div style='color:#555;margin-top:4px'>Circle size: events (largest {fmt_int(largest)})</div>")
    return ("<div style='font-size:13px;line-height:1.3'>"
            "<div style='font-weight:600;margin:10px 0 2px'>Conflict</div>"
            + (legend_rows([(EVENT_STYLE["fillColor"], EVENTS_LABEL)], "circle") if events else "")
            + (legend_rows([(AREA_STYLE["fillColor"] + "40", f"{AREAS_LABEL}: {event_label(areas).lower()}")],
                           "circle") if areas else "")
            + size + "</div>")
