"""Readable everywhere: every table header a person's words, no "None"/"nan"/"NaT" cell or sentence, no "+0"
change drawn red or green, audit actions in words. Every page a role may open, as each kind of user, on the
demo data (one AppTest run per page and role, on the session's demo database).
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from dashboard import registry
from dashboard.ui import formats, labels
from etl.accounts import audit, roles
from tests.dashboard.conftest import TEST_USERS, DemoFacts, open_page, page_text, problems

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

USERS = ("test-admin", "test-hq", "test-coordinator", "test-negotiator")
# A header that reads like a column name: an underscore, a lower-case start, or a code word.
CODE_WORDS = re.compile(r"\b(iso3|iso|pcode|p-code|id|key|recent|sha256|ts)\b|\s[ab]$", re.IGNORECASE)
# What a missing value turns into when nobody formatted it.
MISSING_TEXT = re.compile(r"(?<![\w`-])(None|nan|NaN|NaT|<NA>)(?![\w`-])")  # `nan` in backticks: a value named


def machine_header(header: str) -> bool:
    """The oracle for headers (written apart from dashboard/ui/labels.py).

    >>> [machine_header(h) for h in ("Country code", "iso3", "Iso3", "Recent", "Load id", "Name a", "Came with a yes")]
    [False, True, True, True, True, True, False]
    """
    return "_" in header or not header[:1].isupper() and header[:1].isalpha() or bool(CODE_WORDS.search(header))


def shown_tables(at) -> list[tuple[list[str], pd.DataFrame, str]]:
    """Each table on the page: (its headers as drawn, its shown columns, its placeholder for missing cells)."""
    out = []
    for e in at.main.dataframe:
        config = json.loads(e.proto.columns or "{}")
        frame = e.value
        order = [c for c in e.proto.column_order] or [str(c) for c in frame.columns]
        order = [c for c in order if c in frame.columns and (config.get(c) or {}).get("hidden") is not True]
        headers = [(config.get(c) or {}).get("label") or c for c in order]
        out.append((headers, frame[order], e.proto.placeholder if e.proto.HasField("placeholder") else None))
    return out


def unreadable(at) -> list[str]:
    """What the page shows that a person should not have to read: machine headers, missing-value words."""
    bad: list[str] = []
    for i, (headers, frame, placeholder) in enumerate(shown_tables(at)):
        bad += [f"table {i}: header {h!r}" for h in headers if machine_header(h)]
        texts = [v for v in frame.to_numpy().ravel() if isinstance(v, str) and MISSING_TEXT.fullmatch(v.strip())]
        bad += [f"table {i}: a cell reads {v!r}" for v in texts[:3]]
        if frame.isna().to_numpy().any() and placeholder in (None, "None", "nan"):
            bad.append(f"table {i}: missing cells drawn as Streamlit's 'None' (no placeholder); columns "
                       f"{[h for h, c in zip(headers, frame.columns, strict=True) if frame[c].isna().any()]}")
    text = page_text(at) + "\n" + "\n".join(f"{m.value} {m.delta or ''}" for m in at.main.metric)
    bad += [f"text: …{text[max(0, m.start() - 60):m.end() + 20]!r}" for m in MISSING_TEXT.finditer(text)][:3]
    for m in at.main.metric:  # "+0 days": no change is neither good nor bad news
        if formats.is_no_change(m.delta) and _coloured(m):
            bad.append(f"metric {m.label!r}: the delta {m.delta!r} is coloured")
    return bad


def country_codes(at, codes: set[str]) -> list[str]:
    """Table cells that are a country's ISO3 code (``codes``: read from the raw ``countries`` table) where a
    person should read the country's name."""
    bad = []
    for i, (headers, frame, _) in enumerate(shown_tables(at)):
        for header, column in zip(headers, frame.columns, strict=True):
            shown = {str(v) for v in frame[column] if isinstance(v, str)}
            found = sorted(shown & codes)
            if found:
                bad.append(f"table {i}: column {header!r} shows country codes {found[:3]}")
    return bad


def _coloured(metric) -> bool:
    """Whether Streamlit draws this metric's delta in colour or with an arrow (not grey, or a direction)."""
    from streamlit.proto.Metric_pb2 import Metric

    return metric.proto.color != Metric.MetricColor.GRAY or metric.proto.direction != Metric.MetricDirection.NONE


def _pages(user: str) -> list[registry.Page]:
    role, regions = TEST_USERS[user]
    return registry.pages_for(roles.scope_for(role, regions))


def test_every_table_and_sentence_reads_as_words_for_every_role(demo_db: Path, demo_facts: DemoFacts,
                                                               use_db) -> None:
    use_db(demo_db)
    from tests.dashboard.conftest import sql

    codes = {iso3 for (iso3,) in sql(demo_db, "SELECT iso3 FROM countries")}
    found: list[str] = []
    seen_headers = 0
    for user in USERS:
        for page in _pages(user):
            params = {"id": demo_facts.counterpart_id} if page.needs_id and user == "test-admin" else None
            at = open_page(page.key, params, user=user)
            assert not at.exception and not at.error, f"{user} {page.key}: {problems(at)}"
            seen_headers += sum(len(h) for h, _, _ in shown_tables(at))
            found += [f"{user} {page.key}: {b}" for b in unreadable(at) + country_codes(at, codes)]
    assert seen_headers > 150, f"only {seen_headers} headers seen: the sweep is not reaching the tables"
    assert not found, "\n".join(found)


def test_audit_actions_read_as_words(demo_db: Path, use_db) -> None:
    """Every action of the audit vocabulary has words; the page shows them, and an unknown one as its code."""
    use_db(demo_db)
    assert set(labels.AUDIT_ACTIONS) == set(audit.ACTIONS), "an audit action without words (dashboard/ui/labels.py)"
    assert labels.action_words("not_an_action_yet") == "not_an_action_yet"
    at = open_page("audit", user="test-admin")
    assert not at.exception and not at.error, problems(at)
    actions = [set(frame.set_axis(headers, axis=1)["Action"]) for headers, frame, _ in shown_tables(at)
               if "Action" in headers]
    assert actions, "no table with an Action column on the audit page"
    codes = set(audit.ACTIONS)
    assert all(not (a & codes) for a in actions), f"actions shown as codes: {[a & codes for a in actions]}"
    assert all(a <= set(labels.AUDIT_ACTIONS.values()) for a in actions), actions


def test_a_zero_change_has_no_colour() -> None:
    from dashboard.ui.components import delta_pct, delta_pts, delta_style

    assert delta_style(formats.fmt_change(-0.2, 0, " days"), "inverse") == {"delta_color": "off", "delta_arrow": "off"}
    assert delta_style(delta_pts(0.30, 0.30)) == {"delta_color": "off", "delta_arrow": "off"}
    assert delta_style(delta_pct(100, 100)) == {"delta_color": "off", "delta_arrow": "off"}
    assert delta_style(delta_pts(0.30, 0.25), "inverse") == {"delta_color": "inverse"}
    assert delta_pts(0.30, 0.25) == "+5.0 pts"


def test_captions_name_areas_and_checkpoints_not_their_codes(demo_db: Path, use_db) -> None:
    """An area and a checkpoint in the page address: the captions say their names and the area's country
    (read here from the tables the codes come from), never the codes."""
    from tests.dashboard.conftest import sql

    use_db(demo_db)
    pcode, area, iso3, country = sql(demo_db, "SELECT a.pcode, a.name, a.iso3, c.name FROM engagements e JOIN admin_areas a "
                                              "ON a.pcode = e.admin1_pcode JOIN countries c ON c.iso3 = a.iso3 "
                                              "GROUP BY ALL ORDER BY count(*) DESC, 1 LIMIT 1")[0]
    checkpoint, name = sql(demo_db, "SELECT c.checkpoint_id, c.name FROM engagements e JOIN checkpoints c "
                                    "USING (checkpoint_id) WHERE e.admin1_pcode = ? GROUP BY ALL "
                                    "ORDER BY count(*) DESC, 1 LIMIT 1", [pcode])[0]
    at = open_page("map", {"area": pcode, "checkpoint": checkpoint, "period": "all"})
    assert not at.exception and not at.error, problems(at)
    captions = "\n".join(c.value for c in at.main.caption)
    assert f"areas: {area}, {country}" in captions and f"checkpoint {name}" in captions, captions
    assert pcode not in captions and checkpoint not in captions and f"({iso3})" not in captions, captions
    buttons = [b.label for b in at.sidebar.button]
    assert f"Clear checkpoint {name}" in buttons and not any(checkpoint in b for b in buttons), buttons


def test_downloads_carry_the_tables_headers() -> None:
    """A downloaded file's header row is what the table shows (the codes a person would not read, renamed)."""
    from dashboard.ui.components import _built, csv_bytes

    frame = pd.DataFrame({"iso3": ["YEM"], "share_denied_before": [0.25], "engagements": [12]})
    header = next(csv.reader(io.StringIO(_built(lambda df: df, lambda: frame, csv_bytes).decode("utf-8"))))
    assert header == ["Country code", "Share denied, previous period", "Engagements"], header
    assert not any(machine_header(h) for h in header), header


def test_chart_hovers_use_one_decimal() -> None:
    """Every chart's hover label is written by the dashboard (no plotly default listing raw column names and
    values like 0.2564102), and a number it formats has one decimal, as in the tables: ``25.6%``, ``1.4``."""
    import datetime as dt

    from dashboard.ui import charts

    months = [dt.date(2025, 1, 1), dt.date(2025, 2, 1)]
    outcomes = pd.DataFrame({"month": months * 2, "outcome": ["granted", "granted", "denied", "denied"],
                             "engagements": [7, 5, 3, 4]})
    events = pd.DataFrame({"month": months, "event_type": ["battles", "battles"], "events": [3, 4],
                           "fatalities": [1, 0]})
    figures = {
        "monthly_outcomes": charts.monthly_outcomes(outcomes, k=None),
        "share_bars": charts.share_bars(pd.DataFrame({"channel": ["a", "b"], "share_granted": [0.2564, 0.5],
                                                      "engagements": [39, 10]}), "channel", "share_granted", "t", k=None),
        "regions_denial": charts.regions_denial(pd.DataFrame({"region": ["Asia"], "share_denied": [0.2564],
                                                              "share_denied_before": [0.1], "engagements": [39],
                                                              "engagements_before": [30]}), k=None),
        "category_lines": charts.category_lines(pd.DataFrame({"month": months, "category": ["x", "x"], "number": [1, 1],
                                                              "obstacles": [3, 4]}), "month", "obstacles", "category",
                                                "t", k=None),
        "stacked_bars": charts.stacked_bars(pd.DataFrame({"region": ["Asia"], "category": ["x"], "number": [1],
                                                          "per_engagement": [0.7534]}), "region", "per_engagement",
                                            "category", "t", k=None),
        "outcomes_over_time": charts.outcomes_over_time(outcomes.rename(columns={"month": "quarter"}), k=None),
        "incidents_beside_denials": charts.incidents_beside_denials(outcomes, pd.DataFrame(
            {"month": months, "incidents": [2, 1], "killed": [0, 1], "injured": [0, 0], "kidnapped": [0, 0],
             "detained": [0, 0]}), k=None),
        "conflict_beside_denials": charts.conflict_beside_denials(outcomes, events, k=None),
        "conflict_counts_monthly": charts.conflict_counts_monthly(events, k=None),
    }
    bad = []
    for name, fig in figures.items():
        for trace in fig.data:
            template = trace.hovertemplate or ""
            if not template or "=%{" in template:  # plotly express's own: "per_engagement=%{y}"
                bad.append(f"{name} {trace.name!r}: plotly's own hover {template!r}")
            for spec in re.findall(r"%\{[^}|:]+:([^}]+)\}", template):
                if spec not in (".1%", ",.1f"):
                    bad.append(f"{name} {trace.name!r}: number format {spec!r} in {template!r}")
    assert not bad, "\n".join(bad)
