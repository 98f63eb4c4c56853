"""A counterpart's profile, and the one-page printable brief a negotiator takes to a meeting.

:func:`load_profile` runs the profile queries of :mod:`dashboard.db.queries` through any
``run(sql, params) -> DataFrame`` function (the dashboard's cached :func:`dashboard.db.connection.query`,
or a plain DuckDB connection in tests), so nothing here needs Streamlit.

:func:`render_brief` turns a profile into a self-contained HTML page: inline CSS with print rules,
no scripts, fonts, images or links to anything outside the file, and a Content-Security-Policy
that forbids them anyway. Every value is passed through :func:`html.escape`: names, notes and
intermediaries come from field logs and may contain anything.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from dashboard.db import profile_queries
from dashboard.ui.exports import spreadsheet_safe  # noqa: F401 - re-exported for the page
from dashboard.ui.formats import fmt_date, fmt_days, fmt_int, fmt_pct, is_missing
from dashboard.ui.safe_text import isolate

Run = Callable[[str, Sequence[object]], pd.DataFrame]

# How far back an unanswered follow-up still counts as open.
OVERDUE_DAYS = 60
LAST_ENGAGEMENTS = 10
# Notes longer than this are cut in the brief, so that it stays on one page.
NOTE_CHARS = 240
# Names, places and other single values are cut after this many characters in the brief.
NAME_CHARS = 160
ME = "This counterpart"


@dataclass(frozen=True)
class Profile:
    """Everything known about one counterpart, across all dates and places."""

    counterpart_id: str
    info: dict[str, object]
    aliases: pd.DataFrame
    places: pd.DataFrame
    timeline: pd.DataFrame
    quarters: pd.DataFrame
    peers: pd.DataFrame
    channels: pd.DataFrame
    intermediaries: pd.DataFrame
    related: pd.DataFrame
    review: pd.DataFrame
    conditions: pd.DataFrame
    follow_ups: pd.DataFrame
    today: dt.date
    incidents: pd.DataFrame  # security incidents in the public record naming this counterpart
    conflict_events: pd.DataFrame  # conflict events (ACLED) naming this counterpart as an actor, latest first

    @property
    def name(self) -> str:
        return str(self.info.get("name") or self.counterpart_id)

    def figures(self, who: str = ME) -> dict[str, object]:
        """Key figures of this counterpart (``who=ME``) or of its peers, from ``PROFILE_PEERS``."""
        rows = self.peers[self.peers["who"] == ME] if who == ME else self.peers[self.peers["who"] != ME]
        return rows.iloc[0].to_dict() if not rows.empty else {}

    @property
    def peer_label(self) -> str:
        region = self.info.get("region") or "the same region"
        return f"{self.info.get('counterpart_type') or 'Same type'} counterparts in {region}"

    def future_follow_ups(self) -> pd.Series:
        """Rows of the timeline whose follow-up is due today or later."""
        due = pd.to_datetime(self.timeline["follow_up_due"], errors="coerce")
        return (due >= pd.Timestamp(self.today)).astype(bool)


def clean_id(raw: object) -> str | None:
    """An ``?id=`` value as typed in a URL, trimmed and bounded (it only ever reaches SQL as a parameter)."""
    if raw is None:
        return None
    text = str(raw).strip()[:64]
    return text or None


def load_profile(run: Run, counterpart_id: str, today: dt.date | None = None) -> Profile | None:
    """The profile of ``counterpart_id``; None when no counterpart has that id."""
    today = today or dt.date.today()
    cp = counterpart_id
    info = run(profile_queries.PROFILE, [cp])
    if info.empty:
        return None
    fu_sql, fu_params = profile_queries.profile_follow_ups(cp, today, OVERDUE_DAYS)
    return Profile(
        counterpart_id=cp,
        info=info.iloc[0].to_dict(),
        aliases=run(profile_queries.PROFILE_ALIASES, [cp]),
        places=run(profile_queries.PROFILE_PLACES, [cp]),
        timeline=run(profile_queries.PROFILE_TIMELINE, [cp, profile_queries.TIMELINE_ROWS]),  # the latest ones
        quarters=run(profile_queries.PROFILE_OUTCOMES_BY_QUARTER, [cp]),
        peers=run(profile_queries.PROFILE_PEERS, [cp, cp]),
        channels=run(profile_queries.PROFILE_CHANNELS, [cp]),
        intermediaries=run(profile_queries.PROFILE_INTERMEDIARIES, [cp]),
        related=run(profile_queries.PROFILE_RELATED, [cp]),
        review=run(profile_queries.PROFILE_REVIEW, [cp, cp, cp]),
        conditions=run(profile_queries.PROFILE_CONDITIONS, [cp, cp]),
        follow_ups=run(fu_sql, fu_params),
        today=today,
        incidents=run(profile_queries.PROFILE_INCIDENTS, [cp]),
        conflict_events=run(profile_queries.PROFILE_CONFLICT_EVENTS, [cp, profile_queries.CONFLICT_EVENT_ROWS]),
    )


def conflict_count(p: Profile) -> str:
    """How many conflict events name the counterpart, as a label says it ("500+" when the list is cut)."""
    n = len(p.conflict_events)
    return f"{n:,}+" if n >= profile_queries.CONFLICT_EVENT_ROWS else f"{n:,}"


# --------------------------------------------------------------------------------- formatting


def text(value: object) -> str:
    """A value from the database as escaped HTML text ("–" when missing); line breaks kept."""
    if is_missing(value):
        return "–"
    if isinstance(value, dt.date):
        return html.escape(fmt_date(value))
    # A direction override in one value must not turn the rest of its line around.
    return html.escape(isolate(str(value)), quote=True).replace("\r\n", "\n").replace("\n", "<br>")


# ------------------------------------------------------------------------------------ the brief

_CSS = """
*{box-sizing:border-box}
body{font-family:"DejaVu Sans",Arial,Helvetica,sans-serif;font-size:10.5pt;color:#111;margin:0 auto;max-width:190mm;
     padding:10mm 0;line-height:1.35;overflow-wrap:anywhere}
.banner{border:2px solid #b00020;color:#b00020;background:#fdecee;font-weight:bold;text-align:center;padding:4px 8px;
        letter-spacing:.08em;text-transform:uppercase;font-size:9.5pt}
.meta{display:flex;justify-content:space-between;color:#555;font-size:8.5pt;margin:4px 0 8px}
h1{font-size:17pt;margin:6px 0 2px}
h2{font-size:11pt;margin:12px 0 4px;padding-bottom:2px;border-bottom:1px solid #999;break-after:avoid;
   page-break-after:avoid}
.sub{color:#333;margin:0 0 6px}
.figures{display:grid;grid-template-columns:repeat(6,1fr);gap:4px;margin:6px 0}
.figure{border:1px solid #ccc;padding:4px 6px}
.figure b{display:block;font-size:12pt;white-space:nowrap}
.figure span{font-size:8pt;color:#444}
.note{color:#444;font-size:8.5pt;margin:2px 0}
.warn{border-left:4px solid #E69F00;padding:3px 8px;background:#fff6e5;margin:6px 0}
table{border-collapse:collapse;width:100%;font-size:8.5pt}
th,td{border-bottom:1px solid #ddd;padding:2px 4px;text-align:left;vertical-align:top}
th{background:#f0f0f0}
td.num,th.num{text-align:right;white-space:nowrap}
td.date,th.date{white-space:nowrap}
tr.due td{background:#fff3c4;font-weight:bold}
ul{margin:2px 0;padding-left:18px}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:12px}
footer{margin-top:10px;color:#666;font-size:8pt;border-top:1px solid #ccc;padding-top:4px}
@page{size:A4;margin:10mm}
@media print{
  body{padding:0;max-width:none;font-size:9pt;line-height:1.25}
  h1{font-size:15pt;margin:4px 0 1px}
  h2{font-size:10pt;margin:7px 0 3px}
  table{font-size:7.8pt}
  th,td{padding:1px 3px}
  .figure{padding:2px 5px}
  .figure b{font-size:11pt}
  .note{font-size:7.8pt}
  .banner,.warn,th,tr.due td{-webkit-print-color-adjust:exact;print-color-adjust:exact}
  tr,.figure{break-inside:avoid;page-break-inside:avoid}
}
"""


def _short(value: object, limit: int = NOTE_CHARS) -> object:
    """Long notes cut for the one-page brief (the dashboard and the downloads keep them whole)."""
    if isinstance(value, str) and len(value) > limit:
        return value[: limit - 1].rstrip() + "…"
    return value


def _table(df: pd.DataFrame, columns: list[tuple[str, str, str]], row_class: Sequence[str] | None = None) -> str:
    """An HTML table of ``df``: columns are (column, heading, kind) with kind text/note/num/pct/date/days."""
    fmt = {"text": lambda v: text(_short(v)), "note": lambda v: text(_short(v)),
           "num": lambda v: html.escape(fmt_int(v)),
           "pct": lambda v: html.escape(fmt_pct(v)),
           "date": lambda v: html.escape(fmt_date(v)), "days": lambda v: html.escape(fmt_days(v))}
    css = {"num": "num", "pct": "num", "days": "num", "date": "date"}
    head = "".join(f'<th class="{css.get(k, "text")}">{html.escape(h)}</th>' for _, h, k in columns)
    body = []
    for i, (_, r) in enumerate(df.iterrows()):
        cls = f' class="{html.escape(row_class[i])}"' if row_class and row_class[i] else ""
        cells = "".join(f'<td class="{css.get(k, "text")}">{fmt[k](r.get(c))}</td>' for c, _, k in columns)
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _figure(value: str, label: str) -> str:
    return f'<div class="figure"><b>{html.escape(value)}</b><span>{html.escape(label)}</span></div>'


def _identity(p: Profile) -> str:
    i = p.info
    parts = [i.get("counterpart_type"), i.get("level")]
    if not is_missing(i.get("affiliation")):
        parts.append(f"affiliation: {i['affiliation']}")
    place = i.get("country") if not is_missing(i.get("country")) else i.get("iso3")
    parts.append(f"{place} ({i.get('region') or 'no region'})")
    return " · ".join(text(_short(x, NAME_CHARS)) for x in parts if not is_missing(x))


def render_brief(p: Profile, generated: dt.datetime | None = None) -> str:
    """The printable one-page brief of a profile, as a complete HTML document."""
    generated = generated or dt.datetime.now(dt.UTC)
    me, peers = p.figures(ME), p.figures("peers")
    out: list[str] = []
    add = out.append

    add('<div class="banner">Confidential · negotiation notes · do not forward or leave unattended</div>')
    add(f'<div class="meta"><span>Counterpart brief · {text(p.counterpart_id)}</span>'
        f'<span>Generated {html.escape(f"{generated:%d %b %Y %H:%M %Z}".strip())}</span></div>')
    add(f"<h1>{text(_short(p.name, NAME_CHARS))}</h1>")
    add(f'<p class="sub">{_identity(p)}</p>')

    aliases = [str(a) for a in p.aliases["alias"] if str(a) != p.name] if not p.aliases.empty else []
    if aliases:
        shown = ", ".join(text(_short(a, NAME_CHARS)) for a in aliases[:12])
        more = f" and {len(aliases) - 12} more" if len(aliases) > 12 else ""
        add(f'<p class="note"><b>Also written as:</b> {shown}{html.escape(more)}</p>')
    for _, r in p.review.iterrows():
        add(f'<div class="warn">Possibly the same as <b>{text(_short(r["similar_name"], NAME_CHARS))}</b> ({text(r["counterpart_id"])}, '
            f'name similarity {html.escape(fmt_int(r["similarity"]))}/100, {text(r["status"])} review). '
            "Kept apart until someone confirms: check before relying on either history.</div>")

    add('<div class="figures">')
    add(_figure(fmt_int(p.info.get("engagements")), "engagements"))
    add(_figure(f"{fmt_date(p.info.get('first_seen'))}", "first seen"))
    add(_figure(f"{fmt_date(p.info.get('last_seen'))}", "last seen"))
    add(_figure(fmt_pct(me.get("share_granted")), f"granted (peers {fmt_pct(peers.get('share_granted'))})"))
    add(_figure(fmt_pct(me.get("share_with_conditions")),
                f"with conditions (peers {fmt_pct(peers.get('share_with_conditions'))})"))
    add(_figure(fmt_days(me.get("median_days")), f"median delay (peers {fmt_days(peers.get('median_days'))})"))
    add("</div>")
    add(f'<p class="note">Peers: {html.escape(p.peer_label)} ({html.escape(fmt_int(peers.get("counterparts")))} '
        f'counterparts, {html.escape(fmt_int(peers.get("engagements")))} engagements). Share denied: '
        f'{html.escape(fmt_pct(me.get("share_denied")))} '
        f'(peers {html.escape(fmt_pct(peers.get("share_denied")))}).</p>')

    add("<h2>Follow-ups due</h2>")
    if p.follow_ups.empty:
        add(f'<p class="note">None open: nothing due from {html.escape(fmt_date(p.today))}, and no unanswered '
            f"follow-up in the last {OVERDUE_DAYS} days.</p>")
    else:
        add(_table(p.follow_ups, [("follow_up_due", "Due", "date"), ("status", "Status", "text"),
                                  ("date", "From engagement of", "date"), ("activity", "Request", "text"),
                                  ("outcome", "Outcome then", "text"), ("checkpoint", "Checkpoint", "text"),
                                  ("notes", "Notes", "note")],
                   ["due" if s == "Due" else "" for s in p.follow_ups["status"]]))
        add(f'<p class="note">Due: from {html.escape(fmt_date(p.today))} on. Overdue: due in the last {OVERDUE_DAYS} '
            "days with no later engagement on the same request.</p>")

    add('<div class="cols"><div>')
    add("<h2>Conditions typically demanded</h2>")
    if p.conditions.empty:
        add('<p class="note">No condition recorded.</p>')
    else:
        add(_table(p.conditions.head(8), [("condition", "Condition", "text"), ("engagements", "Times", "num"),
                                          ("share_of_engagements", "Of engagements", "pct"),
                                          ("last_demanded", "Last", "date")]))
    add("</div><div>")
    add("<h2>What preceded a yes</h2>")
    if p.channels.empty:
        add('<p class="note">No engagement recorded.</p>')
    else:
        add(_table(p.channels, [("channel", "Channel", "text"), ("engagements", "Engagements", "num"),
                                ("share_granted", "Yes", "pct")]))
    if not p.intermediaries.empty:
        add(_table(p.intermediaries.head(5), [("intermediary", "Intermediary", "text"),
                                              ("engagements", "Engagements", "num"), ("granted", "Yes", "num"),
                                              ("share_granted", "Share yes", "pct")]))
    add('<p class="note">"Yes": granted, granted with conditions or partially granted.</p>')
    add("</div></div>")

    add(f"<h2>Security incidents naming this counterpart ({len(p.incidents):,})</h2>")
    if p.incidents.empty:
        add('<p class="note">None in the public record loaded here (Aid Worker Security Database, Insecurity '
            "Insight).</p>")
    else:
        add(_table(p.incidents.head(5), [("date", "Date", "date"), ("area", "Area", "text"), ("place", "Place", "text"),
                                         ("perpetrator_name", "Named as", "text"),
                                         ("means_of_attack", "Means", "text"), ("killed", "Killed", "num"),
                                         ("kidnapped", "Kidnapped", "num"), ("source", "Source", "text")]))
        add('<p class="note">The latest five; a match on a name is a lead, not proof: check the source.</p>')

    if not p.conflict_events.empty:
        add(f"<h2>Conflict events naming this counterpart ({conflict_count(p)})</h2>")
        add(_table(p.conflict_events.head(5), [("date", "Date", "date"), ("event_type", "Event", "text"),
                                               ("area", "Area", "text"), ("location", "Place", "text"),
                                               ("actor1", "Actor", "text"), ("actor2", "Against", "text"),
                                               ("fatalities", "Fatalities", "num")]))
        add('<p class="note">The latest five, from ACLED; a match on a name is a lead, not proof.</p>')

    add(f"<h2>Last {LAST_ENGAGEMENTS} engagements</h2>")
    last = p.timeline.head(LAST_ENGAGEMENTS)
    if last.empty:
        add('<p class="note">No engagement recorded.</p>')
    else:
        due = p.future_follow_ups().head(LAST_ENGAGEMENTS).tolist()
        add(_table(last, [("date", "Date", "date"), ("activity", "Request", "text"), ("outcome", "Outcome", "text"),
                          ("conditions", "Conditions", "text"), ("channel", "Channel", "text"),
                          ("checkpoint", "Checkpoint", "text"), ("follow_up_due", "Follow-up", "date"),
                          ("notes", "Notes", "note")],
                   ["due" if d else "" for d in due]))

    add(f"<footer>Full history of this counterpart in the access database, all dates and places "
        f"({html.escape(fmt_date(p.info.get('first_seen')))} to {html.escape(fmt_date(p.info.get('last_seen')))}); "
        "dashboard filters do not apply. Highlighted rows: follow-up due. Notes are as logged by field teams "
        f"(cut after {NOTE_CHARS} characters here, whole in the dashboard).</footer>")

    title = f"Brief: {_short(p.name, NAME_CHARS)}"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            "<meta name=\"robots\" content=\"noindex\">"
            f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>\n<body>\n"
            + "\n".join(out) + "\n</body></html>\n")
