"""A counterpart's profile tells the truth: what the raw tables hold for it, for every role that may open it.

For a sample of counterparts in every region (the one named in most public incidents, and the one
with most checkpoints), the profile page (and the brief) opened as a coordinator, a negotiator, an
hq user granted that region and an admin granted that region must show:

* the number of engagements the raw ``engagements`` table holds for that id;
* "Security incidents (N)" with N the raw incidents of the same country whose perpetrator key is the
  counterpart's name key (not counted twice: ``duplicate_of`` empty);
* every checkpoint its engagements went through, by name, in the Places tab.

The expected values are plain Python over rows read from the database file, not the app's SQL.
Users who may not open the profile (hq without that region, other regions) get "No counterpart".
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from dashboard.lookup import brief
from tests.dashboard.conftest import dataframes, metrics, open_page, page_text, problems, region_users

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

ROLES = ("coordinator", "negotiator", "hq", "admin")


@pytest.fixture(scope="module")
def truth_users(demo_db: Path) -> dict[tuple[str, str], str]:
    return region_users(demo_db, ROLES)


def _rows(db: Path, query: str, params: list[object] | None = None) -> list[dict[str, object]]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        cur = con.execute(query, params or [])
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()


def _expected(db: Path) -> dict[str, dict[str, object]]:
    """Per sampled counterpart: region, engagements, incidents, checkpoint names; computed in Python."""
    counterparts = _rows(db, "SELECT counterpart_id, name_key, iso3, region FROM counterparts")
    engagements = _rows(db, "SELECT counterpart_id, checkpoint_id FROM engagements")
    incidents = _rows(db, "SELECT iso3, perpetrator_key, duplicate_of FROM incidents")
    checkpoints = {r["checkpoint_id"]: r["name"] for r in _rows(db, "SELECT checkpoint_id, name FROM checkpoints")}
    merges = _rows(db, "SELECT result_id, name_key_b FROM counterpart_decisions WHERE action = 'merge' AND active")
    per_cp = Counter(e["counterpart_id"] for e in engagements)
    places: dict[str, set[str]] = {}
    at_checkpoint: dict[str, Counter] = {}
    for e in engagements:
        if e["checkpoint_id"] is not None:
            places.setdefault(str(e["counterpart_id"]), set()).add(str(checkpoints[e["checkpoint_id"]]))
            at_checkpoint.setdefault(str(e["counterpart_id"]), Counter())[str(checkpoints[e["checkpoint_id"]])] += 1
    facts = {}
    for c in counterparts:
        keys = {c["name_key"]} | {m["name_key_b"] for m in merges if m["result_id"] == c["counterpart_id"]}
        named = sum(1 for i in incidents if i["iso3"] == c["iso3"] and i["perpetrator_key"] in keys
                    and i["duplicate_of"] is None)
        facts[str(c["counterpart_id"])] = {"region": c["region"], "engagements": per_cp[c["counterpart_id"]],
                                           "incidents": named, "checkpoints": places.get(str(c["counterpart_id"]),
                                                                                        set()),
                                           "per_checkpoint": at_checkpoint.get(str(c["counterpart_id"]), Counter())}
    sample = {}
    for region in {f["region"] for f in facts.values()}:
        mine = {k: v for k, v in facts.items() if v["region"] == region and v["engagements"]}
        for measure in ("incidents", "checkpoints"):
            best = max(mine, key=lambda k, m=measure: (len(mine[k][m]) if m == "checkpoints" else mine[k][m], k))
            sample[best] = mine[best]
    return sample


@pytest.fixture(scope="module")
def sample(demo_db: Path) -> dict[str, dict[str, object]]:
    facts = _expected(demo_db)
    assert any(f["incidents"] >= 2 for f in facts.values()), "the demo names no counterpart in several incidents"
    regions = {f["region"] for f in facts.values()}
    assert {f["region"] for f in facts.values() if f["checkpoints"]} == regions, "a region without checkpoints"
    return facts


def _incident_tab(at) -> str:
    labels = [t.label for t in at.tabs if t.label.startswith("Security incidents")]
    assert labels, f"no incidents tab: {[t.label for t in at.tabs]}\n{problems(at)}"
    return labels[0]


def test_every_role_that_may_open_a_profile_sees_the_raw_tables_figures(
        demo_db: Path, use_db, truth_users: dict, sample: dict) -> None:
    use_db(demo_db)
    wrong = []
    for cid, want in sorted(sample.items()):
        for role in ROLES:
            at = open_page("counterpart", {"id": cid}, user=truth_users[(role, want["region"])])
            assert not at.exception, problems(at)
            shown = metrics(at).get("Engagements")
            if shown != f"{want['engagements']:,}":
                wrong.append(f"{role} {cid}: Engagements {shown}, raw {want['engagements']}")
            tab = _incident_tab(at)
            if tab != f"Security incidents ({want['incidents']:,})":
                wrong.append(f"{role} {cid}: '{tab}', raw {want['incidents']} incidents")
            places = next((d for d in dataframes(at) if "checkpoint" in d.columns and "area" in d.columns), None)
            names = set() if places is None else {str(n) for n in places["checkpoint"]} - {"(no checkpoint)"}
            if names != want["checkpoints"]:
                wrong.append(f"{role} {cid}: checkpoints {sorted(names)}, raw {sorted(want['checkpoints'])}")
            # exact counts, small ones included: the profile is in clear for everyone who may open it
            counts = {} if places is None else {str(n): v for n, v in zip(places["checkpoint"], places["engagements"],
                                                                          strict=True) if n != "(no checkpoint)"}
            if counts != dict(want["per_checkpoint"]):
                wrong.append(f"{role} {cid}: per checkpoint {counts}, raw {dict(want['per_checkpoint'])}")
    assert not wrong, "\n".join(wrong)


def test_the_brief_lists_the_incidents_and_checkpoints(demo_db: Path, sample: dict) -> None:
    import duckdb

    from dashboard.db.scope import ensure_scope
    from etl.accounts.roles import scope_for
    from etl.store.db import connect_read

    con = connect_read(demo_db)
    try:
        for cid, want in sample.items():
            path = ensure_scope(con, scope_for("negotiator", (str(want["region"]),)), "salt")
            cur = con.cursor()
            cur.execute(f"SET search_path = '{path}'")

            def run(q: str, params, cur: duckdb.DuckDBPyConnection = cur):  # type: ignore[no-untyped-def]
                return cur.execute(q, list(params)).df()

            p = brief.load_profile(run, cid)
            assert p is not None, cid
            page = brief.render_brief(p)
            assert f"Security incidents naming this counterpart ({want['incidents']:,})" in page, cid
            last = {str(c) for c in p.timeline.head(brief.LAST_ENGAGEMENTS)["checkpoint"].dropna()}
            assert last <= want["checkpoints"], (cid, last)
            assert all(brief.html.escape(c) in page for c in last), cid
            cur.close()
    finally:
        con.close()


def test_users_who_may_not_open_a_profile_get_none(demo_db: Path, use_db, truth_users: dict, sample: dict) -> None:
    """hq without the region, with another region, and coordinators of other regions: no profile, by id or code."""
    use_db(demo_db)
    regions = sorted({str(f["region"]) for f in sample.values()})
    cid, want = next(iter(sorted(sample.items())))
    other = next(r for r in regions if r != want["region"])
    with pytest.raises(ValueError, match="Could not find a navigation page"):  # hq alone: the page is not routed
        open_page("counterpart", {"id": cid}, user="test-hq")
    for user in (truth_users[("hq", other)], truth_users[("coordinator", other)]):
        at = open_page("counterpart", {"id": cid}, user=user)
        text = page_text(at)
        assert "No counterpart has the id" in text or "Counterpart lookup" not in text, (user, text[:300])
        assert "Engagements" not in metrics(at), user
    # hq granted another region, with the pseudonym the hq pages show for that counterpart
    from dashboard.db.connection import pseudonym_salt
    from tests.dashboard.test_scope_oracle import code

    pseudonym = code(cid, pseudonym_salt())
    at = open_page("counterpart", {"id": str(pseudonym)}, user=truth_users[("hq", other)])
    assert "No counterpart has the id" in page_text(at), "hq opened another region's timeline by its code"
    assert not [d for d in dataframes(at) if "outcome" in d.columns], "a timeline was drawn"
