"""The Trends page's "Monthly access snapshot (PDF)": pick a month and a country or region, download the PDF.

The PDF is built when the button is clicked (Streamlit's deferred download), from the signed-in user's scoped
views (:func:`dashboard.db.connection.query_as` with the scope taken when the page ran) and with the
disclosure rule of that user for the snapshot's region (``hq``: pseudonyms, no figure under k). Each download
is on the audit record as an export.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import replace

import pandas as pd
import streamlit as st

from dashboard.db import snapshot_queries as sq
from dashboard.db.connection import query, query_as
from dashboard.db.disclosure import k_for
from dashboard.db.filters import Filters
from dashboard.session.auth import audit_event, current_scope
from dashboard.snapshot import content, pdf
from etl.accounts.roles import Scope


def _places(f: Filters) -> list[content.Place]:
    rows = query(sq.PLACES_IN_VIEW)
    places = [content.Place("country", str(r["iso3"]), str(r["name"]), str(r["region"]), (str(r["iso3"]),))
              for r in rows.to_dict("records")]
    for region, group in rows.groupby("region", sort=True):
        places.append(content.Place("region", str(region), str(region), str(region),
                                    tuple(str(c) for c in group["iso3"])))
    # The sidebar's single country (or region) first: the snapshot of what the user is looking at.
    def first(p: content.Place) -> int:
        return 0 if (p.kind, p.code) in {("country", c) for c in f.countries} else \
            1 if (p.kind, p.code) in {("region", r) for r in f.regions} else 2
    return sorted(places, key=first)


def _build(scope: Scope, place: content.Place, month: dt.date, k: int | None, today: dt.date) -> bytes:
    snapshot = content.gather(functools.partial(query_as, scope), place, month, k, today)
    return pdf.render(snapshot)


def offer(f: Filters) -> None:
    """The expander with the month, the place and the download button (Trends)."""
    with st.expander("Monthly access snapshot (PDF)", icon=":material/picture_as_pdf:"):
        places = _places(f)
        if not places:
            st.caption("No engagements you may see: nothing to make a snapshot of.")
            return
        left, right, button = st.columns([2, 2, 1], vertical_alignment="bottom")
        labels = {i: (p.name if p.kind == "country" else f"{p.name} (region)") for i, p in enumerate(places)}
        index = left.selectbox("Country or region", list(labels), format_func=labels.get, key="snapshot_place")
        place = places[int(index or 0)]
        months = [pd.Timestamp(m).date() for m in query(*sq.months_with_data(place.filters(f.start, f.end)))["month"]]
        if not months:
            right.caption(f"No engagements logged for {place.name}.")
            return
        month = right.selectbox("Month", months, format_func=lambda m: f"{m:%B %Y}", key="snapshot_month")
        scope = current_scope()
        k = k_for(scope, replace(f, regions=(place.region,)))
        name = f"access_snapshot_{place.code}_{month:%Y-%m}.pdf".replace(" ", "_")
        button.download_button(
            "PDF", functools.partial(_build, scope, place, month, k, dt.date.today()), file_name=name,
            mime="application/pdf", icon=":material/download:", key="snapshot_pdf", on_click=audit_event,
            args=("export",), kwargs={"target": name, "detail": {"what": "access snapshot", "place": place.name,
                                                                  "month": f"{month:%Y-%m}"}})
        st.caption("Key figures against last month and last year, the trend, obstacles by category and counterpart "
                   "type, a map by area, impact, conditions and the public incident record"
                   + (f"; figures under {k} withheld, as on this page." if k is not None else "."))
