"""Bring back to an office what the warehouse holds for its regions: other offices' rows, and headquarters' decisions.

The second half of ``python -m etl sync`` (the first is :mod:`etl.sync.push`). The office names its
regions (``--regions`` or ``ACCESS_OFFICE_REGIONS``: never "every region" by default). Then:

1. **Read at the warehouse**, in one read-only session: its loads that the office has not got (by
   ``content_sha256``: the office's own loads, sent by push, are not received back) and that hold rows
   of the office's regions; of those loads, the engagements whose ``region`` is one of the office's
   (a NULL or unknown region never matches), their obstacles and conditions, requests, counterparts and
   checkpoints; headquarters' counterpart decisions about the regions' countries; the boundary layers
   headquarters loaded (``python -m etl boundaries``) for those countries that the office lacks or received
   before and that were loaded again since (:mod:`etl.sync.pull_boundaries`). Nothing else: no
   rejected rows (they have no region), no row of another region, not even another region's file names.
2. **Write at the office**, in one write session and one transaction (:mod:`etl.store.loads`): the file
   is worked on as a private copy under the writer lock and published whole, roll-ups rebuilt, as after
   a load, and the countries and bundled admin areas refreshed as a load refreshes them (a new office's
   file is created so); anything failing (or the process being killed) leaves the file as it was, and the
   next sync starts again from step 1. Each received load becomes an office load with the office's next
   ``load_id`` and ``pulled_from`` = the warehouse; its rows get that ``load_id`` (and an
   ``engagement_key`` made of it). An engagement the office already has with the same values is a
   duplicate (skipped); with other values, a **conflict**: listed in ``sync_conflicts``, the office's
   row kept; likewise a request (country, organisation, logged request id) the office has with other
   attributes (activity, date, area, people, priority). Headquarters' decisions are taken here as the office's own would be (the decision row, then
   :func:`etl.counterparts.decisions.reapply`), unless they contradict one of the office's (a pair merged
   there and kept apart or split here...): a conflict, listed, the office's decision kept. A decision
   received before and undone at headquarters since is undone here. The decisions file beside the
   database is rewritten, as after a decision. Headquarters' boundary layers are stored as a ``boundaries``
   load stores them (:func:`etl.geo.boundaries.store_layer`: the countries' bundled areas of that level give
   way), each received file an office load with ``pulled_from``; a layer the office loaded itself from
   another file is kept, and listed as a ``boundaries`` conflict. Engagements already at the office are not
   placed again on received areas: its next loads are.

Received twice, a load is once: its ``content_sha256`` is then the office's.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from etl.config import Settings, split_regions
from etl.counterparts import refresh
from etl.counterparts.decisions import import_mirror, reapply, undo_received
from etl.counterparts.mirror import mirror_path, write_mirror_or_refuse
from etl.counterparts.names import name_key
from etl.counterparts.resolver import COLUMNS, Decision, Resolver, read_decisions, spelling_key
from etl.errors import ConfigError, DatabaseError
from etl.geo.refresh import refresh_geography
from etl.store import warehouse
from etl.store.loads import record_load, transaction, write_session
from etl.store.schema import table_columns
from etl.sync import pull_boundaries, sql

REGION_HINT = ("Name them with --regions or ACCESS_OFFICE_REGIONS, comma-separated, as the region column of the "
               "countries list names them (data/regions.csv), e.g. --regions \"Middle East and North Africa\".")


def _no_region() -> ConfigError:
    return ConfigError("sync receives the rows of the office's regions, and none is named.", REGION_HINT)


@dataclass
class Received:
    """One load received: the warehouse's, and what the office made of it."""

    file_name: str
    office_load_id: int
    rows: int  # rows of the office's regions in it
    new: int
    duplicate: int
    conflict: int


@dataclass
class PullReport:
    """What a pull did, for the command's output and its audit event."""

    regions: tuple[str, ...]
    received: list[Received] = field(default_factory=list)
    decisions: int = 0  # headquarters' decisions taken here
    undone: int = 0  # received decisions undone here because headquarters undid them
    conflicts: list[tuple[str, str]] = field(default_factory=list)  # (kind, subject) found by this pull
    boundaries: int = 0  # headquarters' boundary layers (country and level) stored here

    @property
    def rows_new(self) -> int:
        return sum(r.new for r in self.received)


@dataclass
class _Fetched:
    tables: dict[str, pa.Table]
    decisions: list[Decision]
    layers: pull_boundaries.LayerPlan


def regions_of(given: str | None, settings: Settings) -> tuple[str, ...]:
    """The office's regions: ``--regions`` if given, else ``ACCESS_OFFICE_REGIONS``; refused when none."""
    regions = split_regions(given) if given is not None else settings.office_regions
    if not regions:
        raise _no_region()
    return regions


def _fetch(target: Settings, have: list[str], regions: list[str], layers: dict[tuple[str, int], tuple],
           where: str) -> _Fetched:
    """Everything the office receives, read at the warehouse in one read-only session."""
    with warehouse.reading(target) as con:
        known = {r[0] for r in con.execute(sql.WH_REGIONS).fetchall()}
        unknown = [r for r in regions if r not in known]
        if unknown:  # a typo would otherwise receive nothing, silently
            raise ConfigError(f"The warehouse has no region {', '.join(repr(r) for r in unknown)}; its regions are "
                              f"{', '.join(sorted(known)) or 'none yet'}.", REGION_HINT)
        loads = con.execute(sql.WH_LOADS, {"have": have, "regions": regions}).to_arrow_table()
        ids = [int(i) for i in loads.column("load_id").to_pylist()]
        tables = {"hq_loads": loads}
        if ids:
            scope = {"regions": regions, "loads": ids}
            for name, query in (("hq_engagements", sql.WH_ENGAGEMENTS),
                                ("hq_obstacles", sql.WH_LABELS.format(table="engagement_obstacles")),
                                ("hq_conditions", sql.WH_LABELS.format(table="engagement_conditions")),
                                ("hq_requests", sql.WH_REQUESTS), ("hq_counterparts", sql.WH_COUNTERPARTS),
                                ("hq_checkpoints", sql.WH_CHECKPOINTS)):
                tables[name] = con.execute(query, scope).to_arrow_table()
        rows = con.execute(sql.WH_DECISIONS.format(columns=", ".join(COLUMNS)), {"regions": regions}).fetchall()
        plan = pull_boundaries.fetch(con, regions, layers, where)
    return _Fetched(tables, [Decision(*r) for r in rows], plan)


def _copy(con: duckdb.DuckDBPyConnection, template: str, table: str, overrides: dict[str, str], **parts: str) -> None:
    """``template`` filled with ``table``'s columns (by name: the office's order) and each one's value."""
    columns = table_columns(con, table)
    values = ", ".join(overrides.get(c, f"h.{c}") for c in columns)
    con.execute(template.format(table=table, columns=", ".join(columns), values=values, **parts))


def _write_rows(con: duckdb.DuckDBPyConnection, fetched: _Fetched, where: str) -> list[Received]:
    """The received loads, their rows and what they name, into the office's file (in the caller's transaction)."""
    con.execute(sql.PULL_LOADS)
    con.execute(sql.PULL_ROWS)
    _copy(con, sql.INSERT_ENGAGEMENTS, "engagements", sql.ENGAGEMENT_VALUES)
    for table, source in (("engagement_obstacles", "hq_obstacles"), ("engagement_conditions", "hq_conditions")):
        _copy(con, sql.INSERT_LABELS, table, sql.LABEL_VALUES, source=source)
    con.execute(sql.REQUEST_CONFLICTS, {"warehouse": where})  # before the office's requests gain the new ones
    for table, source, key in (("access_requests", "hq_requests", "request_id"),
                               ("counterparts", "hq_counterparts", "counterpart_id"),
                               ("checkpoints", "hq_checkpoints", "checkpoint_id")):
        _copy(con, sql.INSERT_NEW, table, {"load_id": sql.FIRST_LOAD.format(key=key)}, source=source, key=key)
    con.execute(sql.ALIASES)
    con.execute(sql.TOUCH)
    con.execute(refresh.REFRESH_COUNTERPARTS)
    con.execute(refresh.REFRESH_CHECKPOINTS)
    con.execute(sql.ENGAGEMENT_CONFLICTS, {"warehouse": where})
    loads = {r["load_id"]: r for r in fetched.tables["hq_loads"].to_pylist()}
    received = []
    for wh_id, new_id, rows, new, dup, conflict in con.execute(sql.LOAD_COUNTS).fetchall():
        wh = loads[wh_id]
        record_load(con, load_id=new_id, source_path=wh["source_path"], file_name=wh["file_name"],
                    content_sha256=wh["content_sha256"], file_bytes=wh["file_bytes"], file_format=wh["file_format"],
                    encoding=wh["encoding"], sheets=wh["sheets"], column_mapping=wh["column_mapping"],
                    ignored_columns=wh["ignored_columns"], date_order=wh["date_order"],
                    mapping_file=wh["mapping_file"], started_at=wh["started_at"],
                    status="loaded" if new else "nothing_new", rows_read=rows, rows_loaded=new,
                    rows_rejected=conflict, rows_duplicate=dup, pulled_from=where)
        received.append(Received(wh["file_name"], int(new_id), int(rows), int(new), int(dup), int(conflict)))
    return received


def _touches(d: Decision) -> set[str]:
    return {x for x in (d.counterpart_id_a, d.counterpart_id_b, d.result_id) if x}


def _same(d: Decision) -> tuple:
    return (d.action, d.iso3, d.counterpart_id_a, d.counterpart_id_b, d.split_by, d.alias, d.result_id)


def _contradicts(theirs: Decision, own: list[Decision]) -> bool:
    """Whether headquarters' decision goes against what the office decided about the same counterparts.

    A merge of a pair the office keeps apart, of a counterpart the office split (or split off), or of one
    it merged itself (either way round); keeping apart a pair the office merged; splitting a counterpart
    the office merged, or a spelling the office split off as another counterpart.
    """
    ours = Resolver.from_decisions(own)
    split = {x for d in own if d.action == "split" for x in (d.counterpart_id_a, d.result_id) if x}
    merged = {x for d in own if d.action == "merge" for x in (d.counterpart_id_a, d.counterpart_id_b) if x}
    a, b = theirs.counterpart_id_a, theirs.counterpart_id_b
    if theirs.action == "merge" and b:
        return ours.kept_apart(a, b) or bool({a, b} & split) or a in ours.merged_into or b in ours.merged_into
    if theirs.action == "keep_apart" and b:
        return ours.final(a) == ours.final(b)
    if theirs.action == "split" and theirs.alias:
        if theirs.split_by == "spelling":
            taken = ours.spellings.get((theirs.iso3, spelling_key(theirs.alias)))
        else:
            taken = ours.keys.get((theirs.iso3, name_key(theirs.alias)))
        return bool({a, theirs.result_id} & merged) or taken not in (None, theirs.result_id)
    return False


def _take_decisions(con: duckdb.DuckDBPyConnection, theirs: list[Decision], where: str, report: PullReport) -> bool:
    """Headquarters' decisions, taken here unless they contradict the office's own; whether anything changed."""
    received = dict((w, o) for o, w in con.execute(sql.RECEIVED_DECISIONS, [where]).fetchall())
    changed = False
    for d in theirs:
        if d.decision_id in received:
            mine = received[d.decision_id]
            if not d.active and any(x.active for x in read_decisions(con) if x.decision_id == mine):
                undo_received(con, mine, d.undone_by or "headquarters")
                report.undone += 1
                changed = True
            continue
        if not d.active:
            continue
        ours = read_decisions(con)
        subject = f"warehouse decision {d.decision_id}"
        if any(x.active and _same(x) == _same(d) for x in ours):  # taken here too: nothing to do
            continue
        own = [x for x in ours if x.active and x.decision_id not in received.values()]
        if _contradicts(d, own):
            against = [x.describe() for x in own if _touches(x) & _touches(d)] or ["(the office's decisions)"]
            con.execute(sql.DECISION_CONFLICT, {"subject": subject, "iso3": d.iso3, "warehouse": where,
                                                "office": json.dumps({"decisions": against}),
                                                "theirs": json.dumps({"decision": d.describe(),
                                                                      "decided_by": d.decided_by,
                                                                      "decided_at": d.decided_at.isoformat()})})
            continue
        row = con.execute(sql.NEXT_DECISION).fetchone()
        mine = int(row[0]) if row else 1
        con.execute(sql.INSERT_DECISION.format(columns=", ".join(COLUMNS), marks=", ".join("?" * len(COLUMNS))),
                    list(dataclasses.astuple(dataclasses.replace(d, decision_id=mine))))
        con.execute(sql.RECORD_RECEIVED, [mine, d.decision_id, where])
        con.execute(sql.CONFLICT_SETTLED, [subject, where])
        received[d.decision_id] = mine
        report.decisions += 1
        changed = True
    return changed


def pull(db_path: Path, office: Settings, target: Settings, regions: tuple[str, ...], where: str) -> PullReport:
    """Receive into the office's database file what the warehouse holds for ``regions``; what was received.

    :param office: the office's settings (its database key, lock timeout, decisions file).
    :param target: settings naming the warehouse.
    :param where: the warehouse as recorded in ``loads.pulled_from`` (its address without the password).
    """
    if not regions:
        raise _no_region()
    report = PullReport(regions)
    mirror = mirror_path(db_path, office)
    with write_session(db_path, office) as con:
        have = [r[0] for r in con.execute(sql.OFFICE_KEYS).fetchall()]
        try:
            fetched = _fetch(target, have, list(regions), pull_boundaries.office_layers(con), where)
        except duckdb.Error as exc:
            first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
            raise DatabaseError(f"Reading the warehouse failed ({first}); nothing was received.",
                                "Run `python -m etl sync` again; report this if it happens again.") from exc
        before = set(con.execute(sql.CONFLICT_KEYS).fetchall())
        with transaction(con, "the rows received from the warehouse", outcome="nothing was received",
                         hint="Run `python -m etl sync` again; report this if it happens again."):
            for name, table in fetched.tables.items():
                con.register(name, table)
            try:
                import_mirror(con, mirror, office)  # a rebuilt database gets its own decisions back first
                refresh_geography(con, office)  # countries and bundled areas, as every load refreshes them
                if "hq_engagements" in fetched.tables:
                    report.received = _write_rows(con, fetched, where)
                report.boundaries = pull_boundaries.apply(con, fetched.layers, office, where)
                changed = _take_decisions(con, fetched.decisions, where, report)
                if report.rows_new or changed:
                    reapply(con)  # the office's decisions (and those just taken) on every row, received or not
                report.conflicts = [(k, s) for k, s in con.execute(sql.CONFLICT_KEYS).fetchall() if (k, s) not in before]
            finally:
                for name in fetched.tables:
                    con.unregister(name)
            every = read_decisions(con)
        if report.decisions or report.undone:
            write_mirror_or_refuse(mirror, every, office, "nothing was received")
    return report
