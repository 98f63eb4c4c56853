"""Counterpart lookup: find a counterpart by any spelling, then everything known about past dealings.

``?id=<counterpart_id>`` opens one profile, so a profile can be shared as a link. Search logic is
in :mod:`dashboard.lookup.search`, the profile queries and the printable brief in :mod:`dashboard.lookup.brief`.
Text from logs (names, notes, intermediaries) is shown through tables, plain text or escaped
markdown only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import streamlit as st

from dashboard import shell
from dashboard.db import profile_queries
from dashboard.db.connection import current_version, query
from dashboard.db.scope import scope_key
from dashboard.lookup import brief, search
from dashboard.session.auth import audit_event, current_scope
from dashboard.ui import alerts as alerts_ui
from dashboard.ui import charts, components, formats, narrow, viewer
from etl.errors import AccessDataError

md = search.escape_markdown
# Names and places shown in headings and captions are cut after this many characters (tables keep them whole).
NAME_CHARS = 160

st.title("Counterpart lookup")
f = shell.page_filters(stale_warning=False)  # a profile is a whole history, not the period
if f is None:
    st.stop()


@st.cache_resource(max_entries=16, show_spinner=False)
def _search_index(version: tuple[int, int], scope_name: str) -> search.SearchIndex:
    # Keyed by the user's scope as well: the index holds names, and users of other regions share this cache.
    return search.SearchIndex.from_frame(query(profile_queries.SEARCH_INDEX))


def _opener(key: str, ids: list[str]) -> Callable[[], None]:
    """Callback for a table row selection: open that counterpart's profile (and put it in the URL)."""

    def _open() -> None:
        rows = st.session_state[key].selection.rows
        if rows:
            st.query_params["id"] = ids[rows[0]]

    return _open


def _link(ids: pd.Series) -> pd.Series:
    return "counterpart?id=" + ids.astype(str)


def _pick_table(df: pd.DataFrame, key: str, columns: dict[str, st.column_config.Column | str | None],
                height: int | None = None) -> None:
    """A read-only table of counterparts; selecting a row (or its link) opens the profile."""
    shown = df.assign(profile=_link(df["counterpart_id"]))
    config = {"profile": st.column_config.LinkColumn("Profile", display_text="Open", width="small"), **columns}
    st.dataframe(shown, hide_index=True, width="stretch", column_order=["profile", *columns], column_config=config,
                 placeholder=formats.MISSING,
                 on_select=_opener(key, shown["counterpart_id"].tolist()), selection_mode="single-row", key=key,
                 **({"height": height} if height else {}))


def _highlighted(df: pd.DataFrame, mask: pd.Series, config: dict[str, object],
                 order: list[str] | None = None) -> None:
    """A read-only table with the rows in ``mask`` highlighted (follow-ups due)."""
    df = components.dash_empty_text(df)
    data: pd.DataFrame | pd.io.formats.style.Styler = df
    if mask.any():
        data = df.style.apply(lambda r: ["background-color: #fff3c4" if mask.loc[r.name] else ""] * len(r), axis=1)
    st.dataframe(data, hide_index=True, width="stretch", column_config=config,  # type: ignore[arg-type]
                 placeholder=formats.MISSING,
                 column_order=[c for c in order if c in df.columns] if order else None)


cid = brief.clean_id(st.query_params.get("id"))
if cid and current_version() is not None:
    # A link to a counterpart that was since merged into another opens the survivor (merges can chain).
    for _ in range(10):
        merged = query(profile_queries.MERGED_INTO, [cid])
        if merged.empty:
            break
        st.info(f"Counterpart {md(cid)} was merged into {md(merged.iloc[0]['result_id'])}: showing that profile.",
                icon=":material/merge:")
        cid = str(merged.iloc[0]["result_id"])
        st.query_params["id"] = cid

today = dt.date.today()
try:
    p = brief.load_profile(query, cid, today) if cid else None
    index = _search_index(current_version(), scope_key(current_scope()))  # type: ignore[arg-type]
except AccessDataError as err:
    st.error(str(err))
    st.stop()

# ------------------------------------------------------------------------------------- search

search_box = st.expander("Search another counterpart", expanded=p is None, icon=":material/search:") if cid \
    else st.container()
with search_box:
    text = st.text_input("Name, alias or spelling", key="cp_search", max_chars=200,
                         placeholder="e.g. col mohamed idris, Rahmatulah Safi, governor",
                         help="Any spelling seen in the logs; titles, case, punctuation and small typos are forgiven.")
    scoped = bool(f.regions or f.countries)
    if scoped:
        scoped = st.checkbox("Only counterparts in the regions and countries chosen in the sidebar", value=True,
                             key="cp_scope")
    hits = search.search(index, text, limit=25, countries=f.countries if scoped else (),
                         regions=f.regions if scoped else ())
    if hits.empty:
        components.empty_state("No counterpart matches that name. Try fewer letters, another spelling, or search "
                               "outside the sidebar's regions and countries." if text.strip()
                               else "No counterpart in the regions and countries chosen in the sidebar.")
    else:
        st.caption(("Best matches first. " if text.strip() else "Most engaged counterparts. ")
                   + "Select a row to open the profile; the page address then links to it.")
        _pick_table(hits.assign(who=hits["counterpart_type"] + " · " + hits["country"]), f"hits_{cid}", {
            "name": st.column_config.TextColumn("Name", width="medium"),
            "matched": st.column_config.TextColumn("Matched spelling", width="medium"),
            "who": st.column_config.TextColumn("Type · country", width="medium"),
            "engagements": st.column_config.NumberColumn("Engagements", format="localized", width="small"),
            "score": st.column_config.NumberColumn("Match", format="%.0f", width="small",
                                                   help="Similarity of the best spelling, 0-100"),
        }, height=min(38 + 35 * len(hits), 300))

if not cid:
    st.stop()

# ------------------------------------------------------------------------------------ profile

if p is None:
    # Unknown and out-of-scope ids read the same: the page does not confirm what exists elsewhere.
    audit_event("denied", target=cid, detail={"what": "counterpart profile",
                                                     "why": "no such id, or outside the user's scope"})
    st.warning(f"No counterpart has the id “{md(cid)}”. The link may be mistyped, or the counterpart may come "
               "from another database or a region you do not have access to. Search by name above.",
               icon=":material/person_off:")
    st.stop()
audit_event("profile_view", target=p.counterpart_id, detail={"found": True}, once=True)
# A profile is one counterpart's, in its region, which the user sees in clear (dashboard/db/scope.py opens no other):
# its tables and downloads follow that region's disclosure rule, not the sidebar's.
st.session_state[viewer.PAGE_REGIONS] = (p.info.get("region") or "Other",)

info = p.info
head, action = narrow.heading_and_button()
head.header(md(p.name, NAME_CHARS), anchor=False)
identity = [info.get("counterpart_type"), info.get("level"),
            f"{info.get('country') or info.get('iso3')} ({info.get('region') or 'no region'})", p.counterpart_id]
head.caption(" · ".join(md(x, NAME_CHARS) for x in identity if x))
# Built when clicked, as every download: a file made with the page is fetched by the browser at once, and
# that fetch would be audited as a download of the brief nobody made.
action.download_button("Printable brief", lambda: brief.render_brief(p).encode("utf-8"),
                       file_name=f"brief_{p.counterpart_id}.html", mime="text/html", icon=":material/print:",
                       type="primary", key=f"brief_{p.counterpart_id}", on_click=audit_event,
                       args=("brief_download",), kwargs={"target": p.counterpart_id},
                       help="One page to print or save as PDF before a meeting. Confidential.")
facts = [f"**Seen** {formats.fmt_date(info.get('first_seen'))} to {formats.fmt_date(info.get('last_seen'))}"]
if not formats.is_missing(info.get("affiliation")):
    facts.insert(0, f"**Affiliation:** {md(info['affiliation'], NAME_CHARS)}")
st.markdown(" · ".join(facts))
st.caption("The profile is this counterpart's full history, all dates and places: the sidebar filters do not "
           "apply here (they only narrow the search). Share the page address to share the profile.")

me, peers = p.figures(), p.figures("peers")


def _pts(a: object, b: object) -> str | None:
    d = components.delta_pts(a, b)
    return f"{d} vs peers" if d else None


def _days(a: object, b: object) -> str | None:
    if formats.is_missing(a) or formats.is_missing(b):
        return None
    return formats.fmt_change(float(a) - float(b), 0, " days vs peers")  # type: ignore[arg-type]


cols = narrow.metric_row(5)
cols[0].metric("Engagements", formats.fmt_int(info.get("engagements")))
vs_peers = {"granted": _pts(me.get("share_granted"), peers.get("share_granted")),
            "conditions": _pts(me.get("share_with_conditions"), peers.get("share_with_conditions")),
            "denied": _pts(me.get("share_denied"), peers.get("share_denied")),
            "days": _days(me.get("median_days"), peers.get("median_days"))}
cols[1].metric("Share granted", formats.fmt_pct(me.get("share_granted")), vs_peers["granted"],
               **components.delta_style(vs_peers["granted"]))
cols[2].metric("With conditions", formats.fmt_pct(me.get("share_with_conditions")), vs_peers["conditions"],
               **components.delta_style(vs_peers["conditions"], "off"))
cols[3].metric("Share denied", formats.fmt_pct(me.get("share_denied")), vs_peers["denied"],
               **components.delta_style(vs_peers["denied"], "inverse"))
cols[4].metric("Median delay", formats.fmt_days(me.get("median_days")), vs_peers["days"],
               **components.delta_style(vs_peers["days"], "inverse"))
st.caption(f"Peers: {md(p.peer_label)}, {formats.fmt_int(peers.get('counterparts'))} counterparts. "
           "Granted counts granted, granted with conditions and partially granted; differences of shares are "
           "in percentage points (pts).")

# This counterpart's alerts in the last months of its history (dashboard/ui/alerts.py, docs/alerts.md).
alerts_ui.counterpart_alerts(p.counterpart_id, None if formats.is_missing(info.get("last_seen"))
                             else pd.Timestamp(info["last_seen"]).date())

if not p.review.empty:
    names = ", ".join(f"**{md(n, NAME_CHARS)}**" for n in p.review["similar_name"])
    st.warning(f"Possibly the same as {names}: similar names in the same country. They are kept as separate "
               "counterparts (never merged automatically); check both histories before relying on either.",
               icon=":material/compare_arrows:")
    _pick_table(p.review, f"review_{cid}", {
        "similar_name": st.column_config.TextColumn("Possibly the same as"),
        "counterpart_id": st.column_config.TextColumn("Id"),
        "similarity": st.column_config.NumberColumn("Name similarity", format="%.0f"),
        "status": st.column_config.TextColumn("Review"),
    })

if not p.follow_ups.empty:
    due = int((p.follow_ups["status"] == "Due").sum())
    overdue = len(p.follow_ups) - due
    parts = ([f"{due} due from today"] if due else []) + \
        ([f"{overdue} overdue (last {brief.OVERDUE_DAYS} days) with no later engagement on the request"] if overdue
         else [])
    st.warning("Open follow-ups: " + "; ".join(parts) + ".", icon=":material/event_upcoming:")
    _highlighted(p.follow_ups, p.follow_ups["status"] == "Due", {
        "follow_up_due": st.column_config.DateColumn("Follow-up due", format="D MMM YYYY"),
        "status": st.column_config.TextColumn("Status", width="small"),
        "date": st.column_config.DateColumn("Engagement", format="D MMM YYYY"),
        "activity": st.column_config.TextColumn("Request"),
        **{c: st.column_config.TextColumn(c.capitalize()) for c in ("outcome", "checkpoint", "organisation")},
        "notes": st.column_config.TextColumn("Notes", width="large"),
    })
else:
    st.caption(f"No open follow-up: nothing due from today ({formats.fmt_date(today)}), and none unanswered in the "
               f"last {brief.OVERDUE_DAYS} days.")

incidents = p.incidents
tabs = st.tabs(["History", "Outcomes and peers", "What preceded a yes", "Places", "Aliases and related",
                f"Security incidents ({len(incidents):,})", f"Conflict events ({brief.conflict_count(p)})"])

with tabs[0]:
    timeline = p.timeline
    if timeline.empty:
        components.empty_state("No engagement recorded with this counterpart.")
    else:
        flagged = p.future_follow_ups()
        config = {
            "date": st.column_config.DateColumn("Date", format="D MMM YYYY"),
            "follow_up_due": st.column_config.DateColumn("Follow-up due", format="D MMM YYYY"),
            "activity": st.column_config.TextColumn("Request"),
            "days_to_resolution": st.column_config.NumberColumn("Days to answer", format="%d"),
            **{c: st.column_config.TextColumn(c.replace("_", " ").capitalize())
               for c in ("outcome", "conditions", "obstacles", "channel", "intermediary", "checkpoint", "location",
                         "organisation", "notes")},
        }
        config["notes"] = st.column_config.TextColumn("Notes", width="large")
        order = ["date", "activity", "outcome", "conditions", "channel", "intermediary", "follow_up_due", "notes",
                 "checkpoint", "location", "organisation", "obstacles", "days_to_resolution"]
        _highlighted(timeline, flagged, config, order)
        total = int(info.get("engagements") or len(timeline))
        note = f" {int(flagged.sum())} highlighted: follow-up due from today." if flagged.any() else ""
        if total <= len(timeline):
            components.downloads(timeline, f"timeline {p.counterpart_id}",
                                 caption=f"{len(timeline):,} engagements, most recent first.{note}")
        else:
            # The whole history of a busy counterpart is large: read it only for someone who asks for it.
            st.caption(f"The latest {len(timeline):,} of {total:,} engagements, most recent first.{note}")
            whole_key = f"whole_history_{p.counterpart_id}"
            if st.button(f"Prepare the whole history ({total:,} engagements) for download", key=f"{whole_key}_go",
                         icon=":material/history:") or st.session_state.get(whole_key):
                st.session_state[whole_key] = True
                whole = query(profile_queries.PROFILE_TIMELINE, [p.counterpart_id, profile_queries.WHOLE_HISTORY])
                components.downloads(whole, f"timeline {p.counterpart_id}",
                                     caption=f"{len(whole):,} engagements, most recent first.")

with tabs[1]:
    if p.quarters.empty:
        components.empty_state("No engagement recorded with this counterpart.")
    else:
        st.plotly_chart(charts.outcomes_over_time(p.quarters, title="Outcomes per quarter"), width="stretch")
    st.subheader("Compared with peers", anchor=False)
    st.caption(f"{md(p.peer_label)}: every engagement since records began.")
    components.table(p.peers, percent=["share_granted", "share_denied", "share_with_conditions"],
                     median_days="Median days to answer")

with tabs[2]:
    left, right = st.columns(2)
    with left:
        st.subheader("Channels", anchor=False)
        if p.channels.empty:
            components.empty_state("No channel recorded.")
        else:
            st.plotly_chart(charts.share_bars(p.channels, "channel", "share_granted", "Share that ended in a yes",
                                              colour="#009E73"), width="stretch")
            components.table(p.channels, percent=["share_granted"], share_granted="Share yes")
    with right:
        st.subheader("Intermediaries", anchor=False)
        if p.intermediaries.empty:
            components.empty_state("No intermediary recorded with this counterpart.")
        else:
            components.table(p.intermediaries.astype({"granted": "Int64"}), percent=["share_granted"], granted="Yes",
                             share_granted="Share yes")
        st.subheader("Conditions demanded", anchor=False)
        if p.conditions.empty:
            components.empty_state("No condition recorded with this counterpart.")
        else:
            components.table(p.conditions, percent=["share_of_engagements"], dates=["last_demanded"],
                             engagements="Times", share_of_engagements="Of all engagements")
    st.caption("A yes is granted, granted with conditions or partially granted.")

with tabs[3]:
    if p.places.empty:
        components.empty_state("No place recorded.")
    else:
        components.table(p.places, percent=["share_granted"], dates=["last_engagement"], share_granted="Share yes")

with tabs[4]:
    st.subheader("Related counterparts", anchor=False)
    if p.related.empty:
        components.empty_state("No counterpart shares this one's affiliation or checkpoints.")
    else:
        st.caption("Same affiliation or the same checkpoints, in the same country. Select a row to open a profile.")
        _pick_table(p.related, f"related_{cid}", {
            "name": st.column_config.TextColumn("Name"),
            "counterpart_type": st.column_config.TextColumn("Type"),
            "same_affiliation": st.column_config.CheckboxColumn("Same affiliation", width="small"),
            "shared_checkpoints": st.column_config.NumberColumn("Shared checkpoints", width="small"),
            "engagements": st.column_config.NumberColumn("Engagements", format="localized", width="small"),
            "affiliation": st.column_config.TextColumn("Affiliation"),
        })
    left, _ = st.columns([1, 1])
    with left:
        st.subheader("Spellings in the logs", anchor=False)
        components.table(p.aliases, alias="Spelling", times_seen="Times seen")

with tabs[5]:
    if incidents.empty:
        components.empty_state("No security incident against aid workers in the public record names this counterpart "
                               "(Aid Worker Security Database, Insecurity Insight, when loaded).")
    else:
        st.caption("Incidents from the public record whose perpetrator name matches this counterpart's name (same "
                   "country, spelling variants allowed). A match on a name is a lead, not proof: check the source.")
        components.table(incidents, dates=["date"], date_precision="Date known to", perpetrator_name="Named as")
        components.downloads(incidents, f"incidents {cid}")

with tabs[6]:
    events = p.conflict_events
    if events.empty:
        components.empty_state("No conflict event in the public record names this counterpart as an actor (ACLED, "
                               "when loaded).")
    else:
        st.caption("ACLED events whose actor matches this counterpart's name (same country, spelling variants "
                   "allowed). A match on a name is a lead, not proof: check the source."
                   + (f" The latest {len(events):,}." if brief.conflict_count(p).endswith("+") else ""))
        components.table(events, dates=["date"], date_precision="Date known to", actor1="Actor",
                         actor2="Against", reported_by="Reported by",
                         source_id="Event reference")
        components.downloads(events, f"conflict events {cid}")
