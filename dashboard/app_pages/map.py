"""Map: where is access hardest? Admin areas shaded by a measure, checkpoints as circles.

Clicking an area or a checkpoint narrows everything below the map to it. The map itself only
reports clicks (not pans or zooms), so moving around it never reruns the page.
"""

from dataclasses import replace

import streamlit as st
from streamlit_folium import st_folium

from dashboard.db import conflict_queries, disclosure, queries
from dashboard.db.connection import query
from dashboard.shell import page_filters
from dashboard.ui import charts, conflict_map, maps, narrow, viewer
from dashboard.ui.components import (
    downloads,
    empty_state,
    filters_caption,
    fmt_count,
    rows_withheld,
    table,
    too_narrow,
    withheld_note,
)
from dashboard.ui.formats import fmt_days, fmt_int, fmt_pct
from dashboard.ui.static_assets import ensure_leaflet, leaflet_urls
from etl.config import get_settings

SELECTION = "map_selection"  # (kind, id, label) of the clicked area or checkpoint
GENERATION = "map_generation"  # bumped by Clear: a fresh map, so the same object can be clicked again


def _map_key() -> str:
    return f"map_view_{st.session_state.get(GENERATION, 0)}"


def _on_click() -> None:
    picked = maps.selection_from_click(st.session_state.get(_map_key()))
    if picked:
        st.session_state[SELECTION] = picked


def _clear() -> None:
    if st.session_state.pop(SELECTION, None) is not None:
        st.session_state[GENERATION] = st.session_state.get(GENERATION, 0) + 1


st.title("Access map")
f = page_filters()
if f is None:
    st.stop()
filters_caption(f.describe())

totals = query(*queries.headline(f)).iloc[0]
if not totals["engagements"]:
    empty_state("No engagements match these filters. Widen the period or clear a filter in the sidebar.")
    st.stop()
k = viewer.viewer_k()  # a pseudonymised view (hq): the disclosure rule of dashboard/db/disclosure.py
too_narrow(totals["engagements"], k)
if not ensure_leaflet():
    st.error("The map cannot be drawn: Leaflet could not be copied into dashboard/static/vendor/leaflet "
             "(is the XStatic-Leaflet package installed and the folder writable?).")
    st.stop()

measures = query(*queries.area_measures(f))
points = query(*queries.checkpoint_points(f))
shapes = maps.area_shapes()

# A selection from an earlier click that the current filters no longer show is dropped.
selection = st.session_state.get(SELECTION)
if selection and selection[1] not in set(measures["pcode"] if selection[0] == "area" else points["checkpoint_id"]):
    _clear()
    selection = None

# The controls sit in a row above the map: in the narrow legend column (820 px, sidebar open) their labels
# were cut to a letter.
controls = st.columns(2)
with controls[0]:
    measure = st.selectbox("Shade areas by", list(maps.MEASURES), format_func=lambda k: maps.MEASURES[k].label,
                           key="map_measure", help=maps.measures_help())
with controls[1]:  # the layers, one under the other
    show_incidents = st.toggle("Security incidents", key="map_incidents",
                               help="Attacks on aid workers from the public record (Aid Worker Security Database, "
                                    "Insecurity Insight), when loaded: period, region, country and area filters "
                                    "apply; the 3,000 most recent located incidents are drawn.")
    show_events = st.toggle("Conflict events", key="map_conflict_events",
                            help="Political violence, protests and other events from an ACLED export, when loaded: "
                                 "period, region, country and area filters apply; the "
                                 f"{conflict_queries.POINTS_LIMIT:,} most recent located events are drawn.")
    show_areas = st.toggle("Conflict per area", key="map_conflict_areas",
                           help="HDX HAPI's monthly conflict-event counts, when loaded, added up per admin-1 area "
                                "over the months that overlap the period: a circle at the centre of each area.")
counts = query(*conflict_queries.counts_by_area(f)) if show_areas else None
area_type = None
if counts is not None and not counts.empty:
    with controls[0]:
        area_type = st.selectbox("Event type", conflict_map.event_types(counts), format_func=charts.event_label,
                                 key="map_conflict_type", help="Conflict per area shows one type at a time: the "
                                                               "types may overlap.")
map_col, legend_col = st.columns([4, 1])
with legend_col:
    incidents = query(*queries.incident_points(f)) if show_incidents else None
    events = query(*conflict_queries.event_points(f)) if show_events else None
    area_layer, largest_area = conflict_map.area_layer(shapes, counts, area_type) if area_type else (None, 0.0)
    event_layer = conflict_map.event_layer(events) if events is not None else None
    shown_points = disclosure.protect(points, k)
    st.html(maps.legend_html(measure, maps.largest_count(shown_points) if not points.empty else None,
                             tiles=bool(get_settings().tile_url), incidents=show_incidents, k=k)
            + conflict_map.legend_html(event_layer is not None, area_type if area_layer else None, largest_area, k))
    if show_incidents and incidents is not None and incidents.empty:
        st.caption("No located incidents for these filters (load a public incident feed on the Data page).")
    if (show_events and event_layer is None) or (show_areas and area_layer is None):
        st.caption("No located conflict events for these filters (load an ACLED export or HDX HAPI conflict-event "
                   "file on the Data page).")
    unmapped = int(totals["engagements"]) - int(measures["engagements"].sum() if not measures.empty else 0)
    # In a pseudonymised view the number is not given: with the total and the areas it would give back a
    # withheld area's count.
    st.caption("Zoom with + and − or a double-click."
               + ("" if unmapped <= 0 else " Some engagements have no admin area." if k is not None
                  else f" {fmt_int(unmapped)} engagements have no admin area."))
with map_col:
    js, css = leaflet_urls()
    fmap = maps.build_map(shapes, measures, points, measure, leaflet_js=js, leaflet_css=css,
                          tile_url=get_settings().tile_url, incidents=incidents,
                          layers=[layer for layer in (area_layer, event_layer) if layer is not None],
                          bounds=maps.map_bounds(f))
    st_folium(fmap, key=_map_key(), height=450, use_container_width=True,
              returned_objects=["last_active_drawing", "last_object_clicked"],
              feature_group_to_add=maps.highlight(shapes, points, *(selection[:2] if selection else (None, None))),
              on_change=_on_click)

view = f
if selection:
    kind, key, label = selection
    view = replace(f, names={**f.names, key: label})  # the captions name the place clicked, not its code
    view = replace(view, areas=(key,)) if kind == "area" else replace(view, checkpoint=key)
cols = st.columns([5, 1], vertical_alignment="center")
with cols[0]:
    st.html(maps.showing_html(*(selection[::2] if selection else (None, None))))
if selection:
    cols[1].button("Clear", on_click=_clear, icon=":material/close:", key="map_clear", width="stretch",
                   help="Show everything again (the map goes back to its full extent).")

now = totals if not selection else query(*queries.headline(view)).iloc[0]
if not now["engagements"]:
    empty_state("No engagements here with these filters.")
    st.stop()
too_narrow(now["engagements"], k)
cols = narrow.metric_row(4)
cols[0].metric("Engagements", fmt_count(now["engagements"], k))
cols[1].metric("Share granted", fmt_pct(now["share_granted"]),
               help="Granted, granted with conditions or partially granted.")
cols[2].metric("Share denied", fmt_pct(now["share_denied"]))
cols[3].metric("Median days to access", fmt_days(now["median_days"]),
               help="From request to answer, for requests that got an answer.")

monthly = query(*queries.monthly_outcomes(view))
st.plotly_chart(charts.monthly_outcomes(monthly), width="stretch", config={"displaylogo": False})
downloads(monthly, "map monthly outcomes", caption=view.describe())

st.subheader("Engagements")
if k is not None:
    st.caption(withheld_note(k))
    rows_withheld(k)  # single engagements are row-level: never listed where names are pseudonymised
    st.stop()
rows = query(*queries.engagements_list(view))
table(rows, dates=("date",))
downloads(rows, "map engagements",
          caption=f"The {len(rows):,} most recent engagements. " + view.describe() if len(rows) >= 500
          else view.describe())
