"""The monthly access snapshot PDF (``python -m etl snapshot``, the Trends button): built offline from a small
real database, read back with pypdfium2 (text and a rendered page), its key figures checked against a plain
Python count over the raw rows, its headquarters edition against names and small cells, and what a log's
text may carry (``<b>``, ``&``, ``<font>``) shown as written.

The two PDFs (a coordinator's and the headquarters edition) are built once for the module, through the
command line in this process, with every network connection refused.
"""

from __future__ import annotations

import datetime as dt
import re
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path

import duckdb
import pypdfium2
import pytest

from dashboard.snapshot import cli as snapshot_cli
from dashboard.snapshot import content
from etl.accounts import audit
from etl.cli.main import main as etl_main
from etl.config import Settings
from etl.intake import load_paths
from tests.conftest import REPO, row, write_csv

MONTH = "2025-03"
MARKUP_CHECKPOINT = "Km <b>14</b> & <font color=red>gate</font>"
SMALL_CHECKPOINT = "Small post"
# Every engagement denied (first by share denied), but 4 denials: under k, so never in hq's lists.
TOP_BY_RATIO = "Wadi gate"
NAMES = ("Col. Mohammed Idris", "Sheikh Amal Nasser")
SECTIONS = ("Humanitarian access snapshot", "Denials month by month, against the previous years",
            "Denials by admin-1 area", "Notable changes", "Most affected areas",
            "Obstacles by OCHA access-constraint category", "Engagements and obstacles by counterpart type",
            "Most affected checkpoints", "Impact", "Conditions demanded", "The public incident record beside it",
            "About these figures", "under-reported")


def _rows() -> list[dict[str, str]]:
    """Aden: many engagements in March 2025 (most denied, at the markup checkpoint), fewer in February 2025 and
    March 2024; Ta'iz: three engagements in March 2025 at a small checkpoint (cells under k for hq)."""
    out: list[dict[str, str]] = []

    def add(day: str, outcome: str, n: int, **changes: str) -> None:
        for _ in range(n):
            i = len(out) + 1
            out.append(row(engagement_id=f"S-{i}", request_id=f"REQ-{i}", date=day, request_date=day,
                           resolution_date=day, outcome=outcome, **changes))

    aden = {"checkpoint": MARKUP_CHECKPOINT}
    add("2025-03-04", "Denied", 7, **aden, people_targeted="1000", people_reached="0")
    add("2025-03-11", "Granted", 4, **aden, counterpart=NAMES[1], counterpart_type="Militia")
    add("2025-03-12", "Granted with conditions", 2, **aden)
    add("2025-02-10", "Denied", 2, **aden)
    add("2025-02-11", "Granted", 4, **aden)
    add("2024-03-05", "Denied", 1, **aden)
    add("2024-03-06", "Granted", 5, **aden)
    add("2025-03-15", "Denied", 1, admin1="Ta'iz", checkpoint=SMALL_CHECKPOINT, latitude="", longitude="")
    add("2025-03-16", "Granted", 2, admin1="Ta'iz", checkpoint=SMALL_CHECKPOINT, latitude="", longitude="")
    add("2025-03-17", "Denied", 4, admin1="Lahj", checkpoint=TOP_BY_RATIO, latitude="", longitude="")
    return out


def _text(pdf: Path) -> tuple[int, str]:
    doc = pypdfium2.PdfDocument(str(pdf))
    try:
        pages = [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
        return len(doc), " ".join(" ".join(pages).split())
    finally:
        doc.close()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    folder = tmp_path_factory.mktemp("snapshot")
    db = folder / "access.duckdb"
    results = load_paths([write_csv(folder / "log.csv", _rows())], db, Settings(db=db))
    assert all(r.ok for r in results) and results[0].rows_loaded == len(_rows()), results
    out: dict[str, object] = {"db": db}

    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("the snapshot tried to open a network connection")

    real_build = snapshot_cli.build
    made: list[content.Snapshot] = []

    def keep(*a: object, **kw: object) -> tuple[content.Snapshot, bytes]:
        snapshot, data = real_build(*a, **kw)  # type: ignore[arg-type]
        made.append(snapshot)
        return snapshot, data

    with pytest.MonkeyPatch.context() as mp:  # nothing may be fetched: fonts, tiles, anything
        mp.setattr(socket, "create_connection", refuse)
        mp.setattr(socket.socket, "connect", refuse)
        mp.setattr(snapshot_cli, "build", keep)
        for role in ("coordinator", "hq"):
            pdf = folder / f"{role}.pdf"
            code = etl_main(["snapshot", "--month", MONTH, "--country", "YEM", "--out", str(pdf), "--db", str(db),
                             "--role", role], extra=(snapshot_cli.add_parser,))
            assert code == 0
            out[role] = pdf
    out["hq_snapshot"] = made[-1]  # what the hq PDF was made from, for the check of every cell
    return out


def _raw(db: Path) -> tuple[list[tuple], list[tuple]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        engagements = con.execute("SELECT engagement_date, outcome, admin1_pcode, request_id, people_targeted "
                                  "FROM engagements").fetchall()
        obstacles = con.execute("SELECT engagement_date FROM engagement_obstacles").fetchall()
        return engagements, obstacles
    finally:
        con.close()


def _figure(text: str, label: str) -> str:
    found = re.search(r"(?<!\S)(< \d+|[\d,]+|hidden) " + re.escape(label), text)
    assert found, f"no key figure '{label}' in: {text[:400]}"
    return found.group(1)


def test_sections_pages_and_key_figures_against_the_raw_rows(built: dict[str, object]) -> None:
    pages, text = _text(built["coordinator"])  # type: ignore[arg-type]
    assert 2 <= pages <= 4
    assert "YEMEN" in text and "March 2025" in text
    missing = [s for s in SECTIONS if s not in text]
    assert missing == []
    engagements, obstacles = _raw(built["db"])  # type: ignore[arg-type]
    in_month = [e for e in engagements if f"{e[0]:%Y-%m}" == MONTH]
    in_feb = [e for e in engagements if f"{e[0]:%Y-%m}" == "2025-02"]
    assert _figure(text, "Engagements with counterparts") == str(len(in_month))
    assert _figure(text, "Engagements ending in a denial") == str(sum(e[1] == "denied" for e in in_month))
    assert _figure(text, "Obstacles reported") == str(sum(f"{o[0]:%Y-%m}" == MONTH for o in obstacles))
    assert _figure(text, "Access requests") == str(len({e[3] for e in in_month}))
    targeted = sum(max(t for (_, _, _, r2, t) in in_month if r2 == r) for r in {e[3] for e in in_month})
    assert _figure(text, "People targeted") == f"{targeted:,}"
    change = len(in_month) / len(in_feb) - 1
    assert f"{change:+.0%} on Feb 2025" in text  # against last month
    # The notable change: Aden's (YE24) denials, February to March.
    aden = {m: Counter(e[1] for e in rows if e[2] == "YE24") for m, rows in (("feb", in_feb), ("mar", in_month))}
    before, now = aden["feb"]["denied"], aden["mar"]["denied"]
    assert f"Denials in Aden rose from {before} in February to {now} in March ({now - before:+})." in text


def test_a_page_renders_to_an_image(built: dict[str, object], tmp_path: Path) -> None:
    doc = pypdfium2.PdfDocument(str(built["coordinator"]))
    try:
        image = doc[0].render(scale=1).to_pil().convert("L")
    finally:
        doc.close()
    image.save(tmp_path / "page1.png")
    assert image.size[0] > 500 and image.size[1] > 700
    dark = sum(image.histogram()[:200])
    assert dark > image.size[0] * image.size[1] * 0.05  # the header band, figures, chart and map are drawn


def test_text_from_a_log_is_shown_as_written_not_read_as_markup(built: dict[str, object]) -> None:
    _, text = _text(built["coordinator"])  # type: ignore[arg-type]
    assert MARKUP_CHECKPOINT in text


def test_no_counterpart_is_named_and_hq_sees_no_cell_under_k(built: dict[str, object]) -> None:
    for role in ("coordinator", "hq"):
        _, text = _text(built[role])  # type: ignore[arg-type]
        assert not [n for n in NAMES if n in text], role
    _, hq = _text(built["hq"])  # type: ignore[arg-type]
    assert "Headquarters edition" in hq
    _, clear = _text(built["coordinator"])  # type: ignore[arg-type]
    assert f"{SMALL_CHECKPOINT} Ta'iz 3 1 6 " in clear  # the coordinator sees the real counts
    assert f"{TOP_BY_RATIO} Lahj 4 4 8 " in clear
    snapshot: content.Snapshot = built["hq_snapshot"]  # type: ignore[assignment]
    assert snapshot.k == 5
    for name in ("categories", "counterpart_types", "areas", "checkpoints", "conditions", "incidents_by_type"):
        frame = getattr(snapshot, name)
        for column in frame.columns:
            if column in ("number",) or frame[column].dtype.kind == "f":
                continue
            for v in frame[column]:
                assert not (isinstance(v, int) and v < 5), (name, column, v)
    for f in snapshot.figures:
        assert not (f.value.replace(",", "").isdigit() and int(f.value.replace(",", "")) < 5), f
    assert all(t is None or t != t or t >= 5 for t in snapshot.trend["this"]), snapshot.trend


def test_hq_ranks_only_what_it_may_see(built: dict[str, object]) -> None:
    """Attack on the headquarters edition: a checkpoint (and an area) with fewer than k denials takes no place
    in "Most affected checkpoints" or "Most affected areas", even ranked first by share denied (4 of 4); a
    withheld count would otherwise be ranked against the others. By hand from the rows: Aden's checkpoint
    (7 denials) is the only one with 5 or more, Aden the only area."""
    _, hq = _text(built["hq"])  # type: ignore[arg-type]
    assert SMALL_CHECKPOINT not in hq and TOP_BY_RATIO not in hq
    assert MARKUP_CHECKPOINT in hq
    snapshot: content.Snapshot = built["hq_snapshot"]  # type: ignore[assignment]
    assert snapshot.checkpoints["checkpoint"].tolist() == [MARKUP_CHECKPOINT]
    assert snapshot.most_affected_areas["area"].tolist() == ["Aden"]
    assert "Lahj" in snapshot.areas["area"].tolist()  # still on the map, as "< 5"
    affected = hq.split("Most affected areas", 1)[1].split("Impact", 1)[0]
    assert "Lahj" not in affected and "Ta'iz" not in affected, affected


def test_the_command_is_on_the_audit_record(built: dict[str, object]) -> None:
    events = audit.read(audit.for_database(built["db"]), action="export")  # type: ignore[arg-type]
    targets = [str(t) for t in events["target"]]
    assert str(built["hq"]) in targets and str(built["coordinator"]) in targets


@pytest.mark.parametrize(("month", "said"), [
    ("2024-07", "No engagements logged for Yemen in July 2024. Its logs run from Mar 2024 to Mar 2025"),
    ("2099-01", "January 2099 has not happened yet"),
    ("March", "'March' is not a month. Write it as YYYY-MM"),
])
def test_a_month_without_data_or_to_come_is_explained(built: dict[str, object], month: str, said: str,
                                                     capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code = etl_main(["snapshot", "--month", month, "--country", "YEM", "--out", str(tmp_path / "x.pdf"),
                     "--db", str(built["db"])], extra=(snapshot_cli.add_parser,))
    err = capsys.readouterr().err
    assert code == 1 and said in err and "Traceback" not in err
    assert not (tmp_path / "x.pdf").exists()


def test_python_m_etl_has_the_command(built: dict[str, object], tmp_path: Path) -> None:
    """The real entry point (etl/__main__.py adds the sub-command): an unknown country, explained."""
    done = subprocess.run([sys.executable, "-m", "etl", "snapshot", "--month", MONTH, "--country", "XYZ",
                           "--out", str(tmp_path / "x.pdf"), "--db", str(built["db"])],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "No country 'XYZ' in the database" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_notable_changes_take_any_sentences(built: dict[str, object]) -> None:
    """The hook the statistical alerts fill: sentences in, the same sentences in the PDF."""
    from dashboard.snapshot import pdf

    snapshot = content.with_notable(built["hq_snapshot"], ["Alert: <b>Aden</b> & more."])  # type: ignore[arg-type]
    data = pdf.render(snapshot)
    doc = pypdfium2.PdfDocument(data)
    try:
        text = " ".join(" ".join(doc[i].get_textpage().get_text_range() for i in range(len(doc))).split())
    finally:
        doc.close()
    assert "Alert: <b>Aden</b> & more." in text


@pytest.mark.slow
def test_trends_offers_the_snapshot_of_the_users_places_only(demo_db: Path, use_db) -> None:  # type: ignore[no-untyped-def]
    """The Trends button: a coordinator is offered the countries of their region only, and the PDF it builds reads
    the scoped views (another region's country, asked for anyway, has no engagements the user may see)."""
    from dashboard.snapshot import download
    from etl.accounts.roles import scope_for
    from tests.dashboard.conftest import open_page, problems

    use_db(demo_db)
    at = open_page("trends", user="test-coordinator")
    assert not at.exception and not at.error, problems(at)
    place_box = next(s for s in at.selectbox if s.label == "Country or region")
    assert "Middle East and North Africa (region)" in place_box.options and "Yemen" in place_box.options
    assert "South Sudan" not in place_box.options and "East and Horn of Africa (region)" not in place_box.options
    month = next(s for s in at.selectbox if s.label == "Month").value
    scope = scope_for("coordinator", ("Middle East and North Africa",))
    yemen = content.Place("country", "YEM", "Yemen", "Middle East and North Africa", ("YEM",))
    data = download._build(scope, yemen, month, None, dt.date.today())
    doc = pypdfium2.PdfDocument(data)
    try:
        assert 2 <= len(doc) <= 4 and "YEMEN" in doc[0].get_textpage().get_text_range()
    finally:
        doc.close()
    sudan = content.Place("country", "SSD", "South Sudan", "East and Horn of Africa", ("SSD",))
    with pytest.raises(content.SnapshotError, match="that you may see"):
        download._build(scope, sudan, month, None, dt.date.today())


def test_place_values_are_bound_never_spliced(built: dict[str, object]) -> None:
    """Every snapshot query with a hostile country and region: the text is never in the SQL, and each query runs."""
    from dashboard.db import snapshot_queries as sq
    from etl.store.db import connect_read

    hostile = "x'); DROP TABLE engagements; --"
    con = connect_read(built["db"])  # type: ignore[arg-type]
    try:
        run, _ = snapshot_cli.scoped_runner(con, "hq", hostile, built["db"])  # type: ignore[arg-type]
        for kind in ("country", "region"):
            place = content.Place(kind, hostile, hostile, hostile, (hostile,))
            f, before = place.filters(dt.date(2025, 3, 1), dt.date(2025, 3, 31)), \
                place.filters(dt.date(2025, 2, 1), dt.date(2025, 2, 28))
            for sql, params in (sq.data_bounds(f), sq.counts(f), sq.monthly(f), sq.obstacles_by_category(f, before),
                                sq.by_counterpart_type(f), sq.by_area(f, before), sq.by_checkpoint(f),
                                sq.area_shapes(place.countries), sq.months_with_data(f)):
                assert hostile not in sql
                run(sql, params)
        assert run("SELECT count(*) AS n FROM engagements", []).iloc[0]["n"] == len(_rows())
    finally:
        con.close()


def test_notable_changes_say_the_months_alerts_first(demo_db: Path) -> None:
    """On the demo (the session's, 4,000 rows, seed 7): the South Sudan snapshot of February 2025 says Upper Nile's
    alert (the planted offensive, flagged that month: tests/dashboard/test_alerts.py) as a sentence, first, with
    the denials counted from the raw rows; the headquarters edition says it without the count, and names no
    counterpart."""
    month = dt.date(2025, 2, 1)
    con = duckdb.connect(str(demo_db), read_only=True)
    try:
        denied = con.execute("SELECT count(*) FROM engagements WHERE admin1_pcode = 'SS07' AND outcome = 'denied' "
                             "AND engagement_date >= '2025-02-01' AND engagement_date < '2025-03-01'").fetchone()[0]
        names = [n for (n,) in con.execute("SELECT name FROM counterparts WHERE iso3 = 'SSD'").fetchall()]
    finally:
        con.close()
    # hq: no count (the tables may withhold it), only that it is more than expected.
    for role, said in (("coordinator", f"Upper Nile: {denied} denials in February, about "),
                       ("hq", "Upper Nile: more denials in February than its own history predicts (about ")):
        snapshot, data = snapshot_cli.build(demo_db, month, "SSD", None, role)
        assert snapshot.notable_changes[0].startswith(said), (role, snapshot.notable_changes)
        assert "alert, since February 2025)." in snapshot.notable_changes[0]
        doc = pypdfium2.PdfDocument(data)
        try:
            text = " ".join(" ".join(doc[i].get_textpage().get_text_range() for i in range(len(doc))).split())
        finally:
            doc.close()
        assert said in text, role
        assert names and not [n for n in names if n in text], role


def test_the_category_chart_shows_every_label_whole_and_its_legend_off_the_bars(built: dict[str, object]) -> None:
    """OCHA's category names are long: each label of the bar chart reads in full (wrapped, never cut), labels
    do not run into each other, and the legend covers no bar nor count, even when the last bar is the longest."""
    from dashboard.snapshot import charts

    con = duckdb.connect(str(built["db"]), read_only=True)
    try:
        labels = [f"{n}. {name}" for n, name in con.execute("SELECT number, name FROM obstacle_categories "
                                                            "ORDER BY number").fetchall()]
    finally:
        con.close()
    assert len(labels) == 9 and max(len(label) for label in labels) > 60, labels
    now = [0, 0, 1, 1, 4, 2, 2, 0, 10][:len(labels)]  # the longest bar last: where a legend would sit
    fig = charts.bars_figure(labels, now, [1, 1, 2, 0, 3, 1, 1, 0, 7][:len(labels)], "September 2026",
                             "August 2026", width=3.7)
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    ticks = ax.get_yticklabels()
    assert sorted(" ".join(t.get_text().split()) for t in ticks) == sorted(labels)
    boxes = sorted((t.get_window_extent(renderer) for t in ticks), key=lambda b: b.y0)
    assert all(low.y1 <= high.y0 for low, high in zip(boxes, boxes[1:], strict=False)), "labels overlap"
    legend = ax.get_legend().get_window_extent(renderer)
    drawn = [p.get_window_extent(renderer) for p in ax.patches] + [t.get_window_extent(renderer) for t in ax.texts]
    assert not [b for b in drawn if b.width and legend.overlaps(b)], "the legend covers a bar or a count"
