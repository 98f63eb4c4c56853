"""Counterpart identity over time: merge, split and keep-apart decisions, applied now and on every load.

:mod:`etl.counterparts.names` folds the *obvious* spelling variants of a name into one counterpart per
country. The rest only a person can settle: "Hassan Ali" and "Hassan Alim" are the same
commander (merge), one spelling actually belongs to somebody else (split), or two look-alikes
really are two people (keep apart). Those decisions are rows of ``counterpart_decisions``, and:

* they are applied at once to what is already loaded (engagements, counterparts and their
  counts, aliases, who controls which checkpoint, the review list);
* every later load maps names through :class:`Resolver`, so new rows with either spelling go to
  the decided counterpart;
* they are mirrored in a CSV file beside the database (:mod:`etl.counterparts.mirror`). A
  database without decisions, typically one rebuilt from the logs after the file was deleted,
  imports the file before it maps any name: a decision survives a full reload.

In the warehouse (``ACCESS_WAREHOUSE``) a decision is one warehouse transaction, retried when another
writer commits first, and ``counterpart_decisions`` there is the record (no mirror file): offices get
the decisions from it.

The current state is always *recomputed* from the active decisions (:func:`reapply`) rather than
patched step by step, so undo is simply "mark the decision inactive and recompute", and a
rebuilt database ends up exactly where the live one was.

>>> merge(Path("data/access.duckdb"), "CP-1A2B3C4D5E", "CP-5E4D3C2B1A", reason="same commander")  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
from collections.abc import Callable
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import TypeVar

import duckdb

from etl.config import Settings, get_settings
from etl.counterparts import refresh
from etl.counterparts.mirror import mirror_path, read_mirror, write_mirror_or_refuse
from etl.counterparts.names import name_key
from etl.counterparts.resolver import COLUMNS, Decision, Resolver, load_resolver, read_decisions, spelling_key, split_id
from etl.errors import AccessDataError, DatabaseError
from etl.store import lake_read, rollups, warehouse
from etl.store.loads import retrying, transaction, write_session
from etl.store.schema import insert_rows

_FIND_IDS = "Find counterpart ids with `python -m etl counterparts list --search NAME`."


class DecisionError(AccessDataError):
    """A decision that cannot be taken as asked (unknown id, two countries...). Nothing is written."""


# --------------------------------------------------------------------------- applying decisions

# Rows whose counterpart changes: every (country, logged name) whose decided id differs from
# the one stored. All rows with one name in one country always move together.
_MOVES = """
CREATE OR REPLACE TEMP TABLE cp_moves AS
SELECT e.iso3, e.counterpart_name AS raw, e.counterpart_id AS old_id, m.counterpart_id AS new_id,
       any_value(m.key) AS key, count(*) AS n, min(e.load_id) AS first_load
FROM engagements e JOIN cp_decided m ON m.iso3 = e.iso3 AND m.raw = e.counterpart_name
WHERE e.counterpart_id <> m.counterpart_id
GROUP BY e.iso3, e.counterpart_name, e.counterpart_id, m.counterpart_id
"""

# Counterparts that a decision brings into being (a split, or one restored by an undo) start
# from the counterpart their rows come from; an undo then restores their own attributes.
_NEW_COUNTERPARTS = """
INSERT INTO counterparts
SELECT mv.new_id, arg_max(mv.raw, mv.n), any_value(mv.key), arg_max(c.counterpart_type, mv.n),
       arg_max(c.affiliation, mv.n), arg_max(c.level, mv.n), mv.iso3, any_value(c.region), NULL, NULL, 0,
       min(mv.first_load)
FROM cp_moves mv LEFT JOIN counterparts c ON c.counterpart_id = mv.old_id
WHERE mv.new_id NOT IN (SELECT counterpart_id FROM counterparts)
GROUP BY mv.new_id, mv.iso3
"""

# A survivor learns what only the merged counterpart knew (type, affiliation, level).
_FILL_SURVIVORS = """
UPDATE counterparts c SET
    counterpart_type = coalesce(c.counterpart_type, s.t),
    affiliation = coalesce(c.affiliation, s.a),
    level = coalesce(c.level, s.l)
FROM (SELECT mv.new_id, arg_max(o.counterpart_type, mv.n) AS t, arg_max(o.affiliation, mv.n) AS a,
             arg_max(o.level, mv.n) AS l
      FROM cp_moves mv JOIN counterparts o ON o.counterpart_id = mv.old_id GROUP BY mv.new_id) s
WHERE c.counterpart_id = s.new_id AND (c.counterpart_type IS NULL OR c.affiliation IS NULL OR c.level IS NULL)
"""

_MOVE_ENGAGEMENTS = """
UPDATE engagements e SET counterpart_id = m.counterpart_id
FROM cp_decided m
WHERE m.iso3 = e.iso3 AND m.raw = e.counterpart_name AND e.counterpart_id <> m.counterpart_id
"""

# MERGE rather than ON CONFLICT: the warehouse has no key to conflict on (etl/store/warehouse.py).
_MOVE_ALIASES = """
DELETE FROM counterpart_aliases a USING cp_moves mv WHERE a.counterpart_id = mv.old_id AND a.alias = mv.raw;
MERGE INTO counterpart_aliases a
USING (SELECT new_id, raw, sum(n)::INTEGER AS n, min(first_load) AS first_load FROM cp_moves GROUP BY new_id, raw) s
ON a.counterpart_id = s.new_id AND a.alias = s.raw
WHEN MATCHED THEN UPDATE SET times_seen = a.times_seen + s.n, load_id = least(a.load_id, s.first_load)
WHEN NOT MATCHED THEN INSERT VALUES (s.new_id, s.raw, s.n, s.first_load);
"""  # MERGE rather than ON CONFLICT: the warehouse (DuckLake) has no key to conflict on

# The same temp tables the loader fills, so refresh.REFRESH_COUNTERPARTS / REFRESH_CHECKPOINTS do the
# recounting (inside a load they are simply refreshed once more at its end).
_TOUCH = """
CREATE TEMP TABLE IF NOT EXISTS touched_counterparts (counterpart_id VARCHAR);
CREATE TEMP TABLE IF NOT EXISTS touched_checkpoints (checkpoint_id VARCHAR);
INSERT INTO touched_counterparts SELECT old_id FROM cp_moves UNION SELECT new_id FROM cp_moves;
INSERT INTO touched_checkpoints
SELECT DISTINCT e.checkpoint_id FROM engagements e SEMI JOIN cp_moves mv ON mv.new_id = e.counterpart_id
WHERE e.checkpoint_id IS NOT NULL
UNION SELECT checkpoint_id FROM checkpoints WHERE controlling_counterpart_id IN (SELECT old_id FROM cp_moves);
"""

_DROP_EMPTY = """
DELETE FROM counterparts c
WHERE c.counterpart_id IN (SELECT old_id FROM cp_moves)
  AND NOT EXISTS (SELECT 1 FROM engagements e WHERE e.counterpart_id = c.counterpart_id)
"""

# A counterpart whose display name was the spelling that left takes its most used remaining one.
_RENAME_LEFT_BEHIND = """
UPDATE counterparts c SET name = s.alias
FROM (SELECT counterpart_id, first(alias ORDER BY times_seen DESC, alias) AS alias FROM counterpart_aliases
      WHERE counterpart_id IN (SELECT old_id FROM cp_moves) GROUP BY counterpart_id) s
WHERE c.counterpart_id = s.counterpart_id
  AND NOT EXISTS (SELECT 1 FROM counterpart_aliases a WHERE a.counterpart_id = c.counterpart_id AND a.alias = c.name)
"""

_RESTORE = """
UPDATE counterparts SET name = $name, counterpart_type = $counterpart_type, affiliation = $affiliation,
    level = $level
WHERE counterpart_id = $counterpart_id
  AND EXISTS (SELECT 1 FROM counterpart_aliases a WHERE a.counterpart_id = $counterpart_id AND a.alias = $name)
"""

_SET_REVIEW_STATUS = """
UPDATE counterpart_review r SET status = c.status
FROM review_status c WHERE r.counterpart_id_a = c.a AND r.counterpart_id_b = c.b
"""


def reapply(con: duckdb.DuckDBPyConnection) -> int:
    """Bring every loaded row in line with the active decisions. Returns how many rows moved.

    Runs inside the caller's transaction. Rows loaded before engagements kept the logged name
    (``counterpart_name`` NULL) cannot be re-assigned and are left as they are.
    """
    resolver = load_resolver(con)
    names = con.execute("SELECT DISTINCT iso3, counterpart_name FROM engagements "
                        "WHERE counterpart_name IS NOT NULL").fetchall()
    con.execute("CREATE OR REPLACE TEMP TABLE cp_decided (iso3 VARCHAR, raw VARCHAR, counterpart_id VARCHAR, "
                "key VARCHAR)")
    insert_rows(con, "cp_decided", [(iso3, raw, *resolver.resolve(iso3, raw)) for iso3, raw in names])
    con.execute(_MOVES)
    row = con.execute("SELECT coalesce(sum(n), 0) FROM cp_moves").fetchone()
    moved = int(row[0]) if row else 0
    if moved:
        for statement in (_NEW_COUNTERPARTS, _FILL_SURVIVORS, _MOVE_ENGAGEMENTS, _MOVE_ALIASES, _TOUCH,
                          refresh.REFRESH_COUNTERPARTS, _DROP_EMPTY, _RENAME_LEFT_BEHIND, refresh.REFRESH_CHECKPOINTS):
            con.execute(statement)
    refresh_review_status(con, resolver)
    return moved


def refresh_review_status(con: duckdb.DuckDBPyConnection, resolver: Resolver | None = None) -> None:
    """Set each doubtful pair's status from the decisions: merged, kept_apart or pending.

    Pairs keep the ids they were found with; a pair whose one side was merged into a third
    counterpart is judged (and listed) by where both sides ended up.
    """
    resolver = resolver or load_resolver(con)
    changes = []
    for a, b, status in con.execute("SELECT counterpart_id_a, counterpart_id_b, status FROM counterpart_review"
                                    ).fetchall():
        if resolver.final(a) == resolver.final(b):
            wanted = "merged"
        elif resolver.kept_apart(a, b):
            wanted = "kept_apart"
        else:
            wanted = "pending"
        if wanted != status:
            changes.append((a, b, wanted))
    if changes:
        con.execute("CREATE OR REPLACE TEMP TABLE review_status (a VARCHAR, b VARCHAR, status VARCHAR)")
        insert_rows(con, "review_status", changes)
        con.execute(_SET_REVIEW_STATUS)


_INSERT_DECISION = f"INSERT INTO counterpart_decisions VALUES ({', '.join('?' * len(COLUMNS))})"  # noqa: S608 - placeholders only


def import_mirror(con: duckdb.DuckDBPyConnection, path: Path, settings: Settings | None = None) -> int:
    """Into a database that has no decisions (one rebuilt from the logs), the decisions of the file.

    A database that already has decisions is the reference and the file is left alone (it is
    rewritten from the database after each decision). Applies what it imports to the rows
    already loaded. Returns how many decisions were imported.
    """
    if not path.exists():
        return 0
    row = con.execute("SELECT count(*) FROM counterpart_decisions").fetchone()
    if row and row[0]:
        return 0
    decisions = read_mirror(path, settings)
    if decisions:
        con.executemany(_INSERT_DECISION, [list(astuple(d)) for d in decisions])
        reapply(con)
    return len(decisions)


# --------------------------------------------------------------------------- taking decisions


@dataclass(frozen=True)
class _Counterpart:
    counterpart_id: str
    name: str
    name_key: str
    iso3: str
    engagements: int
    counterpart_type: str | None
    affiliation: str | None
    level: str | None

    def snapshot(self) -> dict[str, str | None]:
        return {"counterpart_id": self.counterpart_id, "name": self.name, "counterpart_type": self.counterpart_type,
                "affiliation": self.affiliation, "level": self.level}


def _find(con: duckdb.DuckDBPyConnection, ident: str) -> _Counterpart:
    ident = ident.strip().upper()
    row = con.execute("SELECT counterpart_id, name, name_key, iso3, coalesce(engagements, 0), counterpart_type, "
                      "affiliation, level FROM counterparts WHERE counterpart_id = ?", [ident]).fetchone()
    if row:
        return _Counterpart(*row)
    merged = con.execute("SELECT decision_id, counterpart_id_a FROM counterpart_decisions WHERE action = 'merge' "
                         "AND active AND counterpart_id_b = ? ORDER BY decision_id DESC LIMIT 1", [ident]).fetchone()
    if merged:
        raise DecisionError(f"Counterpart {ident} was merged into {merged[1]} by decision {merged[0]}.",
                            f"Use {merged[1]}, or undo it with `python -m etl counterparts undo {merged[0]}`.")
    raise DecisionError(f"No counterpart {ident} in the database.", _FIND_IDS)


def _pair(con: duckdb.DuckDBPyConnection, first: str, second: str, verb: str) -> tuple[_Counterpart, _Counterpart]:
    a, b = _find(con, first), _find(con, second)
    if a.counterpart_id == b.counterpart_id:
        raise DecisionError(f"Both ids are {a.counterpart_id}: give two different counterparts to {verb}.",
                            _FIND_IDS)
    if a.iso3 != b.iso3:
        raise DecisionError(
            f"{a.counterpart_id} ({a.name}) is in {a.iso3} and {b.counterpart_id} ({b.name}) in {b.iso3}: "
            f"counterparts of different countries cannot be {'merged' if verb == 'merge' else 'paired'}.",
            "Counterparts are kept per country; pick two of the same country "
            "(`python -m etl counterparts list --country ISO3`).")
    return a, b


def _active_apart(con: duckdb.DuckDBPyConnection, a: str, b: str) -> int | None:
    row = con.execute("SELECT decision_id FROM counterpart_decisions WHERE action = 'keep_apart' AND active "
                      "AND ((counterpart_id_a = ? AND counterpart_id_b = ?) OR (counterpart_id_a = ? "
                      "AND counterpart_id_b = ?))", [a, b, b, a]).fetchone()
    return int(row[0]) if row else None


def _record(con: duckdb.DuckDBPyConnection, **values: object) -> Decision:
    row = con.execute("SELECT coalesce(max(decision_id), 0) + 1 FROM counterpart_decisions").fetchone()
    base: dict[str, object] = {c: None for c in COLUMNS}
    base.update(decision_id=int(row[0]) if row else 1, decided_at=dt.datetime.now(dt.UTC), active=True)
    base.update(values)
    decision = Decision(**base)  # type: ignore[arg-type]
    con.execute(_INSERT_DECISION, list(astuple(decision)))
    return decision


def _clean(reason: str | None) -> str | None:
    return " ".join(reason.split()) or None if reason else None


def _merge(con: duckdb.DuckDBPyConnection, first: str, second: str, keep: str | None, reason: str | None,
           by: str) -> Decision:
    a, b = _pair(con, first, second, "merge")
    apart = _active_apart(con, a.counterpart_id, b.counterpart_id)
    if apart is not None:
        raise DecisionError(f"Decision {apart} keeps {a.counterpart_id} and {b.counterpart_id} apart.",
                            f"If they are the same after all, undo it first: `python -m etl counterparts undo {apart}`.")
    if keep is not None:
        wanted = keep.strip().upper()
        if wanted not in (a.counterpart_id, b.counterpart_id):
            raise DecisionError(f"--keep {wanted} is neither of the two counterparts being merged.",
                                f"Give --keep {a.counterpart_id} or --keep {b.counterpart_id}.")
        survivor, absorbed = (a, b) if wanted == a.counterpart_id else (b, a)
    else:  # the one with more engagements keeps its id (and so its links and bookmarks)
        survivor, absorbed = (b, a) if b.engagements > a.engagements else (a, b)
    decision = _record(con, action="merge", iso3=a.iso3, counterpart_id_a=survivor.counterpart_id,
                       name_key_a=survivor.name_key, counterpart_id_b=absorbed.counterpart_id,
                       name_key_b=absorbed.name_key, result_id=survivor.counterpart_id, reason=_clean(reason),
                       decided_by=by, prior_state=json.dumps([survivor.snapshot(), absorbed.snapshot()]))
    reapply(con)
    return decision


def _split(con: duckdb.DuckDBPyConnection, ident: str, alias: str, reason: str | None, by: str) -> Decision:
    source = _find(con, ident)
    spellings = [r[0] for r in con.execute(
        "SELECT alias FROM counterpart_aliases WHERE counterpart_id = ? ORDER BY times_seen DESC, alias",
        [source.counterpart_id]).fetchall()]
    wanted = alias.strip()
    by_spelling = [s for s in spellings if spelling_key(s) == spelling_key(wanted)]
    by_key = [s for s in spellings if name_key(s) == name_key(wanted)] if wanted else []
    if by_spelling:
        split_by, stored, moving = "spelling", by_spelling[0], by_spelling
    elif by_key:
        split_by, stored, moving = "name_key", name_key(wanted), by_key
    else:
        shown = "; ".join(spellings[:8]) + (" ..." if len(spellings) > 8 else "")
        raise DecisionError(f"'{wanted}' is not a spelling of {source.counterpart_id} ({source.name}).",
                            f"Give one of its spellings ({shown}) or their name key.")
    if len(moving) == len(spellings):
        only = "the only spelling" if len(spellings) == 1 else f"every spelling ({len(spellings)})"
        raise DecisionError(f"'{wanted}' is {only} of {source.counterpart_id} ({source.name}): "
                            "splitting it off would leave nothing behind.",
                            "Split off another spelling, or merge or keep apart instead.")
    result = split_id(source.iso3, split_by, stored)
    if con.execute("SELECT 1 FROM counterparts WHERE counterpart_id = ?", [result]).fetchone():
        raise DecisionError(f"'{wanted}' was already split off {source.counterpart_id} as {result}.",
                            "See `python -m etl counterparts decisions`.")
    decision = _record(con, action="split", iso3=source.iso3, counterpart_id_a=source.counterpart_id,
                       name_key_a=source.name_key, split_by=split_by, alias=stored, result_id=result,
                       reason=_clean(reason), decided_by=by, prior_state=json.dumps([source.snapshot()]))
    reapply(con)
    return decision


def _keep_apart(con: duckdb.DuckDBPyConnection, first: str, second: str, reason: str | None, by: str) -> Decision:
    a, b = _pair(con, first, second, "keep apart")
    existing = _active_apart(con, a.counterpart_id, b.counterpart_id)
    if existing is not None:
        raise DecisionError(f"Decision {existing} already keeps {a.counterpart_id} and {b.counterpart_id} apart.",
                            "Nothing to do; see `python -m etl counterparts decisions`.")
    a, b = sorted((a, b), key=lambda c: c.counterpart_id)
    decision = _record(con, action="keep_apart", iso3=a.iso3, counterpart_id_a=a.counterpart_id,
                       name_key_a=a.name_key, counterpart_id_b=b.counterpart_id, name_key_b=b.name_key,
                       reason=_clean(reason), decided_by=by)
    refresh_review_status(con)
    return decision


def _undo(con: duckdb.DuckDBPyConnection, decision_id: int, by: str) -> Decision:
    found = [d for d in read_decisions(con) if d.decision_id == decision_id]
    if not found:
        raise DecisionError(f"No decision {decision_id}.", "See the numbers with `python -m etl counterparts decisions`.")
    d = found[0]
    if not d.active:
        when = d.undone_at.strftime("%Y-%m-%d %H:%M UTC") if d.undone_at else "earlier"
        raise DecisionError(f"Decision {decision_id} was already undone ({when}, by {d.undone_by}).",
                            "Take the decision again if it is wanted back.")
    if d.action == "split":
        later = con.execute("SELECT min(decision_id) FROM counterpart_decisions WHERE active AND decision_id > ? "
                            "AND ? IN (counterpart_id_a, counterpart_id_b)", [decision_id, d.result_id]).fetchone()
        if later and later[0] is not None:
            raise DecisionError(f"Decision {later[0]} builds on {d.result_id}, the counterpart decision "
                                f"{decision_id} created.", f"Undo decision {later[0]} first.")
    con.execute("UPDATE counterpart_decisions SET active = false, undone_by = ?, undone_at = ? "
                "WHERE decision_id = ?", [by, dt.datetime.now(dt.UTC), decision_id])
    reapply(con)
    for snap in json.loads(d.prior_state or "[]"):
        con.execute(_RESTORE, snap)
    return d


def undo_received(con: duckdb.DuckDBPyConnection, decision_id: int, by: str) -> Decision:
    """Undo a decision in the caller's transaction: one the office received from headquarters, undone there since
    (:mod:`etl.sync.pull`)."""
    return _undo(con, decision_id, by)


T = TypeVar("T")


def _decide(db_path: Path, settings: Settings | None, act: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
    """Run one decision in one transaction on a private copy, mirror all decisions, then publish.

    The mirror is written while the database's writer lock is held (so two people deciding at
    once cannot leave it behind the database) and before the new version is published: if the
    file cannot be written, the decision is not taken at all. In the warehouse: :func:`_decide_in_warehouse`.
    """
    settings = settings or get_settings()
    if warehouse.enabled(settings):
        return _decide_in_warehouse(db_path, settings, act)
    if not db_path.exists():
        raise DatabaseError(f"No database at {db_path}.",
                            "Load logs first (`python -m etl load FILE`), then decide about counterparts.")
    mirror = mirror_path(db_path, settings)
    with write_session(db_path, settings) as con:
        with transaction(con, "the decision", outcome="nothing was changed", hint="Report this if it happens again."):
            import_mirror(con, mirror, settings)  # a rebuilt database gets its earlier decisions back first
            result = act(con)
            every = read_decisions(con)
        write_mirror_or_refuse(mirror, every, settings, "nothing was changed")
    return result


def _decide_in_warehouse(db_path: Path, settings: Settings, act: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
    """One decision as one warehouse transaction: the decision row, the rows it moves, the counterparts'
    totals and the monthly roll-ups (they count by counterpart) commit together, or nothing does.

    The transaction takes the commit token (:func:`etl.store.loads.transaction`), so a load or another
    decision that commits first makes this one run again from the start on the new state (its checks, its
    decision number): two people deciding at once both land, in turn, or the second is refused saying why
    (a counterpart the first merged away). No mirror file: the warehouse's catalog is the record, backed up
    with PostgreSQL (docs/deployment.md), and offices get the decisions from it (``sync``).
    """
    with write_session(db_path, settings, in_warehouse=True) as con:
        def once() -> T:
            with transaction(con, "the decision", outcome="nothing was changed",
                             hint="Report this if it happens again."):
                result = act(con)
                rollups.refresh(con)
            return result

        result = retrying(once)
    lake_read.forget_latest(settings)  # this process's readers see the decision at once
    return result


def _user(decided_by: str | None) -> str:
    return decided_by or getpass.getuser()


def merge(db_path: Path, first: str, second: str, keep: str | None = None, reason: str | None = None,
          decided_by: str | None = None, settings: Settings | None = None) -> Decision:
    """Merge two counterparts of one country; the survivor is ``keep``, else the one with more engagements.

    :param first: a counterpart id.
    :param second: the other counterpart id.
    :param keep: which of the two keeps its id (default: the one with more engagements).
    :param reason: why, for the record.
    :param decided_by: who (default: the operating-system user).
    :raises DecisionError: unknown id, two countries, a pair kept apart... Nothing is written.
    """
    return _decide(db_path, settings, lambda con: _merge(con, first, second, keep, reason, _user(decided_by)))


def split(db_path: Path, counterpart_id: str, alias: str, reason: str | None = None,
          decided_by: str | None = None, settings: Settings | None = None) -> Decision:
    """Take one spelling (or every spelling with one name key) out of a counterpart into its own.

    :param alias: a spelling as logged (case and spacing do not matter) or a name key.
    :raises DecisionError: unknown id, not a spelling of it, or it would take every spelling.
    """
    return _decide(db_path, settings, lambda con: _split(con, counterpart_id, alias, reason, _user(decided_by)))


def keep_apart(db_path: Path, first: str, second: str, reason: str | None = None,
               decided_by: str | None = None, settings: Settings | None = None) -> Decision:
    """Record that two look-alike counterparts are different: their review item is resolved."""
    return _decide(db_path, settings, lambda con: _keep_apart(con, first, second, reason, _user(decided_by)))


def undo(db_path: Path, decision_id: int, decided_by: str | None = None,
         settings: Settings | None = None) -> Decision:
    """Undo a decision: it stays on record (inactive) and the rows go back to where they would be without it."""
    return _decide(db_path, settings, lambda con: _undo(con, decision_id, _user(decided_by)))
