"""Counterpart identity over time: merge, split and keep-apart decisions, applied now and on every load.

:mod:`etl.counterparts.names` folds the *obvious* spelling variants of a name into one counterpart per
country. The rest only a person can settle: "Hassan Ali" and "Hassan Alim" are the same
commander (merge), one spelling actually belongs to somebody else (split), or two look-alikes
really are two people (keep apart). Those decisions are rows of ``counterpart_decisions``, and:

* they are applied at once to what is already loaded (engagements, counterparts and their
  counts, aliases, who controls which checkpoint, the review list);
* every later load maps names through :class:`Resolver`, so new rows with either spelling go to
  the decided counterpart;
* they are mirrored in a CSV file beside the database (setting ``decisions``). A database
  without decisions, typically one rebuilt from the logs after the file was deleted, imports the
  file before it maps any name: a decision survives a full reload. With a database key configured
  the file is sealed with it (:mod:`etl.store.sealed`: the whole CSV as one AES-GCM record), since it
  names counterparts; a plain mirror written before the key was set is still read, and sealed by
  the next decision or by ``python -m etl encrypt``.

The current state is always *recomputed* from the active decisions (:func:`reapply`) rather than
patched step by step, so undo is simply "mark the decision inactive and recompute", and a
rebuilt database ends up exactly where the live one was.

>>> merge(Path("data/access.duckdb"), "CP-1A2B3C4D5E", "CP-5E4D3C2B1A", reason="same commander")  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import datetime as dt
import getpass
import io
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import astuple, dataclass, field
from pathlib import Path
from typing import TypeVar

import duckdb

from etl.config import Settings, get_settings
from etl.counterparts.names import name_key, stable_id
from etl.errors import AccessDataError, DatabaseError, InputFileError
from etl.logs import sql
from etl.store import sealed
from etl.store.crypto import HOW_TO_SET
from etl.store.files import write_atomic
from etl.store.loads import transaction, write_session
from etl.store.schema import insert_rows

ACTIONS = ("merge", "split", "keep_apart")
SPLIT_BY = ("spelling", "name_key")
# Columns of counterpart_decisions, in table order: also the header of the mirror file.
COLUMNS = ("decision_id", "action", "iso3", "counterpart_id_a", "name_key_a", "counterpart_id_b", "name_key_b",
           "split_by", "alias", "result_id", "reason", "decided_by", "decided_at", "active", "undone_by",
           "undone_at", "prior_state")
MIRROR_SUFFIX = ".counterpart_decisions.csv"
_FIND_IDS = "Find counterpart ids with `python -m etl counterparts list --search NAME`."


class DecisionError(AccessDataError):
    """A decision that cannot be taken as asked (unknown id, two countries...). Nothing is written."""


@dataclass(frozen=True)
class Decision:
    """One row of ``counterpart_decisions`` (same fields, same order)."""

    decision_id: int
    action: str
    iso3: str
    counterpart_id_a: str
    name_key_a: str | None
    counterpart_id_b: str | None
    name_key_b: str | None
    split_by: str | None
    alias: str | None
    result_id: str | None
    reason: str | None
    decided_by: str
    decided_at: dt.datetime
    active: bool
    undone_by: str | None = None
    undone_at: dt.datetime | None = None
    prior_state: str | None = None

    def describe(self) -> str:
        """One line for people, e.g. ``decision 3: merge CP-... into CP-... (YEM)``."""
        if self.action == "merge":
            what = f"merge {self.counterpart_id_b} into {self.counterpart_id_a}"
        elif self.action == "split":
            what = f"split {self.split_by} '{self.alias}' off {self.counterpart_id_a} as {self.result_id}"
        else:
            what = f"keep {self.counterpart_id_a} and {self.counterpart_id_b} apart"
        return f"decision {self.decision_id}: {what} ({self.iso3})"


def mirror_path(db_path: Path, settings: Settings | None = None) -> Path:
    """Where the decisions are mirrored: the ``decisions`` setting, else beside the database.

    >>> mirror_path(Path("data/access.duckdb"), Settings(decisions=None)).as_posix()
    'data/access.counterpart_decisions.csv'
    """
    settings = settings or get_settings()
    return settings.decisions or db_path.with_name(db_path.stem + MIRROR_SUFFIX)


def spelling_key(raw: str) -> str:
    """How spellings are compared for a split: case and runs of spaces do not matter.

    >>> spelling_key("  Col.  Hassan ALI ")
    'col. hassan ali'
    """
    return " ".join(str(raw).split()).casefold()


def split_id(iso3: str, split_by: str, alias: str) -> str:
    """Stable id of the counterpart a split creates: the same on every reload and machine.

    >>> split_id("YEM", "spelling", "Col. Hassan Ali") == split_id("YEM", "spelling", "COL. HASSAN  ALI")
    True
    """
    return stable_id("CP", iso3, name_key(alias), "split", split_by, spelling_key(alias))


# --------------------------------------------------------------------------- name -> counterpart


@dataclass
class Resolver:
    """The counterpart a logged name belongs to, honouring the active decisions.

    Splits are looked at first (a spelling, then a name key, taken out of a counterpart), then
    merges are followed from the id a name would otherwise get. A split's new counterpart can
    itself be merged later; a merged-away counterpart cannot be named any more, so no cycle can
    be recorded (and :meth:`final` would stop at one anyway).
    """

    spellings: dict[tuple[str, str], str] = field(default_factory=dict)
    keys: dict[tuple[str, str], str] = field(default_factory=dict)
    merged_into: dict[str, str] = field(default_factory=dict)
    key_of: dict[str, str] = field(default_factory=dict)
    apart: set[frozenset[str]] = field(default_factory=set)

    @classmethod
    def from_decisions(cls, decisions: Iterable[Decision]) -> Resolver:
        r = cls()
        for d in decisions:
            if not d.active:
                continue
            if d.action == "merge" and d.counterpart_id_b:
                r.merged_into[d.counterpart_id_b] = d.counterpart_id_a
                if d.name_key_a:
                    r.key_of[d.counterpart_id_a] = d.name_key_a
            elif d.action == "split" and d.alias and d.result_id:
                if d.split_by == "spelling":
                    r.spellings[(d.iso3, spelling_key(d.alias))] = d.result_id
                else:
                    r.keys[(d.iso3, name_key(d.alias))] = d.result_id
                r.key_of[d.result_id] = name_key(d.alias)
            elif d.action == "keep_apart" and d.counterpart_id_b:
                r.apart.add(frozenset((d.counterpart_id_a, d.counterpart_id_b)))
        return r

    def final(self, ident: str) -> str:
        """Follow merges from ``ident`` to the counterpart that absorbed it (itself if none)."""
        seen = {ident}
        while ident in self.merged_into and self.merged_into[ident] not in seen:
            ident = self.merged_into[ident]
            seen.add(ident)
        return ident

    def resolve(self, iso3: str, raw: str) -> tuple[str, str]:
        """(counterpart id, its name key) for a name logged in a country.

        >>> r = Resolver(merged_into={stable_id("CP", "YEM", "hassan alim"): "CP-SURVIVOR"},
        ...              key_of={"CP-SURVIVOR": "hassan ali"})
        >>> r.resolve("YEM", "Cmdr. Hassan Alim")
        ('CP-SURVIVOR', 'hassan ali')
        """
        key = name_key(raw)
        ident = (self.spellings.get((iso3, spelling_key(raw))) or self.keys.get((iso3, key))
                 or stable_id("CP", iso3, key))
        own_key = self.key_of.get(ident, key)
        final = self.final(ident)
        return final, (self.key_of.get(final, own_key) if final != ident else own_key)

    def kept_apart(self, a: str, b: str) -> bool:
        return frozenset((a, b)) in self.apart or frozenset((self.final(a), self.final(b))) in {
            frozenset(self.final(x) for x in pair) for pair in self.apart}


def read_decisions(con: duckdb.DuckDBPyConnection) -> list[Decision]:
    rows = con.execute(f"SELECT {', '.join(COLUMNS)} FROM counterpart_decisions ORDER BY decision_id").fetchall()  # noqa: S608 - constant column list
    return [Decision(*r) for r in rows]


def load_resolver(con: duckdb.DuckDBPyConnection) -> Resolver:
    """The resolver for this database's active decisions (what ``etl.logs.load`` maps names with)."""
    return Resolver.from_decisions(read_decisions(con))


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

_MOVE_ALIASES = """
DELETE FROM counterpart_aliases a USING cp_moves mv WHERE a.counterpart_id = mv.old_id AND a.alias = mv.raw;
INSERT INTO counterpart_aliases
SELECT new_id, raw, sum(n)::INTEGER, min(first_load) FROM cp_moves GROUP BY new_id, raw
ON CONFLICT (counterpart_id, alias) DO UPDATE SET
    times_seen = counterpart_aliases.times_seen + excluded.times_seen,
    load_id = least(counterpart_aliases.load_id, excluded.load_id);
"""

# The same temp tables the loader fills, so sql.REFRESH_COUNTERPARTS / REFRESH_CHECKPOINTS do the
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
                          sql.REFRESH_COUNTERPARTS, _DROP_EMPTY, _RENAME_LEFT_BEHIND, sql.REFRESH_CHECKPOINTS):
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


# --------------------------------------------------------------------------- the mirror file


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    return str(value)


def write_mirror(path: Path, decisions: Sequence[Decision], settings: Settings | None = None) -> None:
    """Write every decision to the mirror file, atomically (a temp file renamed over the old one).

    A reader (or a crash) sees the old file or the new one, never half of one. Owner-only: the
    file names counterparts; sealed with the database key when one is configured.
    """
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(COLUMNS)
    for d in decisions:
        writer.writerow([_cell(v) for v in astuple(d)])
    data = text.getvalue().encode("utf-8")
    key = sealed.side_key(sealed.DECISIONS, settings)
    if key is not None:
        data = sealed.seal(data, key, sealed.DECISIONS) + b"\n"
    _replace(path, data)


def _replace(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data)


def seal_mirror(path: Path, settings: Settings | None = None) -> bool:
    """Seal a plain mirror file with the configured key (``python -m etl encrypt`` does); whether it did.

    Call it with the database's writer lock held, like every other write of the mirror.
    """
    key = sealed.side_key(sealed.DECISIONS, settings)
    if key is None or not path.is_file():
        return False
    data = path.read_bytes()
    if sealed.is_sealed(data):
        return False
    _replace(path, sealed.seal(data, key, sealed.DECISIONS) + b"\n")
    return True


_MIRROR_FIX = ("Fix that cell (the columns are those of counterpart_decisions in docs/data-model.md), "
               "or move the file away to go on without the decisions it holds.")


def _timestamp(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _mirror_text(path: Path, settings: Settings | None) -> str:
    data = path.read_bytes()
    if sealed.is_sealed(data):
        key = sealed.side_key(sealed.DECISIONS, settings)
        if key is None:
            raise InputFileError(path, "is encrypted (it was written with a database key) and no key is configured.",
                                 HOW_TO_SET)
        try:
            data = sealed.unseal(data, key, sealed.DECISIONS)
        except sealed.SealError:
            raise InputFileError(path, "does not open with the configured database key (another key, or the file "
                                 "was damaged).", "Configure the key it was written with, or restore it from a "
                                 "backup, or move it away to go on without the decisions it holds.") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputFileError(path, "is not UTF-8 text.", "Restore it from a backup, or move it away.") from None


def read_mirror(path: Path, settings: Settings | None = None) -> list[Decision]:
    """The decisions in a mirror file (opened with the database key when it is sealed), checked cell by cell.

    :raises InputFileError: naming the file, row, column and value of the first problem found
        (and how many more there are); or saying the file is sealed and which key is missing.
    """
    text = _mirror_text(path, settings)
    reader = csv.DictReader(text.splitlines())
    header = tuple(reader.fieldnames or ())
    missing = [c for c in COLUMNS if c not in header]
    extra = [c for c in header if c not in COLUMNS]
    if missing or extra:
        problem = "; ".join(part for part in (f"columns missing: {', '.join(missing)}" if missing else "",
                                              f"unknown columns: {', '.join(extra)}" if extra else "") if part)
        raise InputFileError(path, f"is not a counterpart decisions file ({problem}).", _MIRROR_FIX, row=1)
    problems: list[InputFileError] = []
    out: list[Decision] = []
    seen: set[int] = set()
    for number, rec in enumerate(reader, start=2):
        def bad(column: str, problem: str, _n: int = number, _rec: dict[str, str] = rec) -> None:
            problems.append(InputFileError(path, problem, _MIRROR_FIX, row=_n, column=column,
                                           value=_rec.get(column)))

        v: dict[str, str | None] = {c: (rec.get(c) or "").strip() or None for c in COLUMNS}
        raw_id = v["decision_id"] or ""
        decision_id = int(raw_id) if raw_id.isdigit() else None
        if decision_id is None or decision_id in seen:
            bad("decision_id", f"'{v['decision_id'] or ''}' is not a new whole number.")
        action = v["action"]
        if action not in ACTIONS:
            bad("action", f"'{action or ''}' is not one of {', '.join(ACTIONS)}.")
        for column in ("iso3", "counterpart_id_a", "decided_by", "decided_at", "active"):
            if v[column] is None:
                bad(column, "is empty.")
        if action in ("merge", "keep_apart") and v["counterpart_id_b"] is None:
            bad("counterpart_id_b", f"is empty, but a {action} needs two counterparts.")
        if action == "split" and (v["split_by"] not in SPLIT_BY or v["alias"] is None or v["result_id"] is None):
            bad("split_by", f"a split needs split_by ({' or '.join(SPLIT_BY)}), alias and result_id.")
        if action == "merge" and v["result_id"] is None:
            bad("result_id", "is empty, but a merge needs the counterpart it kept.")
        active = (v["active"] or "").lower()
        if v["active"] is not None and active not in ("true", "false"):
            bad("active", f"'{v['active']}' is not true or false.")
        stamps: dict[str, dt.datetime | None] = {}
        for column in ("decided_at", "undone_at"):
            cell = v[column]
            try:
                stamps[column] = _timestamp(cell) if cell else None
            except ValueError:
                bad(column, f"'{v[column]}' is not a date and time such as 2025-03-05T14:30:00+00:00.")
        if v["prior_state"] is not None:
            try:
                json.loads(v["prior_state"])
            except ValueError:
                bad("prior_state", "is not valid JSON.")
        if problems or decision_id is None:
            continue
        seen.add(decision_id)
        out.append(Decision(
            decision_id, str(action), str(v["iso3"]).upper(), str(v["counterpart_id_a"]), v["name_key_a"],
            v["counterpart_id_b"], v["name_key_b"], v["split_by"], v["alias"], v["result_id"], v["reason"],
            str(v["decided_by"]), stamps["decided_at"] or dt.datetime.now(dt.UTC), active == "true",
            v["undone_by"], stamps["undone_at"], v["prior_state"]))
    if problems:
        first = problems[0]
        more = f" ({len(problems) - 1} more problem(s) in the file)" if len(problems) > 1 else ""
        raise InputFileError(path, first.problem + more, _MIRROR_FIX, row=first.row, column=first.column,
                             value=first.value)
    return out


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


T = TypeVar("T")


def _decide(db_path: Path, settings: Settings | None, act: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
    """Run one decision in one transaction on a private copy, mirror all decisions, then publish.

    The mirror is written while the database's writer lock is held (so two people deciding at
    once cannot leave it behind the database) and before the new version is published: if the
    file cannot be written, the decision is not taken at all.
    """
    settings = settings or get_settings()
    if not db_path.exists():
        raise DatabaseError(f"No database at {db_path}.",
                            "Load logs first (`python -m etl load FILE`), then decide about counterparts.")
    mirror = mirror_path(db_path, settings)
    with write_session(db_path, settings) as con:
        with transaction(con, "the decision", outcome="nothing was changed", hint="Report this if it happens again."):
            import_mirror(con, mirror, settings)  # a rebuilt database gets its earlier decisions back first
            result = act(con)
            every = read_decisions(con)
        try:
            write_mirror(mirror, every, settings)
        except OSError as exc:
            raise DatabaseError(f"Cannot write the decisions file {mirror} ({exc.strerror or exc}); nothing was "
                                "changed.", "Fix the folder's permissions, or set ACCESS_DECISIONS to another "
                                "file.") from exc
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


# --------------------------------------------------------------------------- reading (CLI and Data page)

# Counterparts with their spellings. $1 country (or NULL), $2 search text (or NULL), $3 its name
# key, $4 how many.
LIST = """
SELECT c.counterpart_id, c.name, coalesce(v.label, c.counterpart_type) AS counterpart_type, c.iso3,
       c.engagements, a.aliases
FROM counterparts c
LEFT JOIN vocabulary v ON v.vocabulary = 'counterpart_type' AND v.code = c.counterpart_type
LEFT JOIN (SELECT counterpart_id, string_agg(alias, ' | ' ORDER BY times_seen DESC, alias) AS aliases
           FROM counterpart_aliases GROUP BY counterpart_id) a USING (counterpart_id)
WHERE ($1::VARCHAR IS NULL OR c.iso3 = upper($1::VARCHAR))
  AND ($2::VARCHAR IS NULL OR c.counterpart_id = upper(trim($2::VARCHAR))
       OR contains(lower(a.aliases), lower(trim($2::VARCHAR))) OR contains(c.name_key, $3::VARCHAR))
ORDER BY c.engagements DESC, c.name
LIMIT $4
"""


def list_params(country: str | None = None, search: str | None = None, limit: int = 200) -> list[object]:
    """Bound parameters of :data:`LIST`."""
    text = (search or "").strip() or None
    return [(country or "").strip() or None, text, name_key(text) if text else None, limit]


# Doubtful pairs still waiting for a person, shown by where both sides are now (merges followed).
REVIEW = """
WITH RECURSIVE merged(src, dst) AS (
    SELECT counterpart_id_b, counterpart_id_a FROM counterpart_decisions WHERE action = 'merge' AND active),
walk(start_id, id, depth) AS (
    SELECT src, dst, 1 FROM merged
    UNION ALL
    SELECT w.start_id, m.dst, w.depth + 1 FROM walk w JOIN merged m ON m.src = w.id WHERE w.depth < 100),
final AS (SELECT start_id, arg_max(id, depth) AS id FROM walk GROUP BY start_id),
pairs AS (
    SELECT r.iso3, coalesce(fa.id, r.counterpart_id_a) AS id_a, coalesce(fb.id, r.counterpart_id_b) AS id_b,
           r.similarity
    FROM counterpart_review r
    LEFT JOIN final fa ON fa.start_id = r.counterpart_id_a LEFT JOIN final fb ON fb.start_id = r.counterpart_id_b
    WHERE r.status = 'pending')
SELECT p.iso3, p.id_a AS counterpart_id_a, a.name AS name_a, a.engagements AS engagements_a,
       p.id_b AS counterpart_id_b, b.name AS name_b, b.engagements AS engagements_b, max(p.similarity) AS similarity
FROM pairs p JOIN counterparts a ON a.counterpart_id = p.id_a JOIN counterparts b ON b.counterpart_id = p.id_b
WHERE p.id_a <> p.id_b
GROUP BY ALL
ORDER BY similarity DESC, p.iso3, name_a, name_b
"""

DECISIONS = """
SELECT d.decision_id, d.action, d.iso3, d.counterpart_id_a, coalesce(a.name, d.name_key_a) AS name_a,
       d.counterpart_id_b, coalesce(b.name, d.name_key_b) AS name_b, d.split_by, d.alias, d.result_id, d.reason,
       d.decided_by, strftime(d.decided_at, '%Y-%m-%d %H:%M UTC') AS decided_at, d.active, d.undone_by,
       strftime(d.undone_at, '%Y-%m-%d %H:%M UTC') AS undone_at
FROM counterpart_decisions d
LEFT JOIN counterparts a ON a.counterpart_id = d.counterpart_id_a
LEFT JOIN counterparts b ON b.counterpart_id = d.counterpart_id_b
ORDER BY d.decision_id DESC
"""

SPELLINGS = "SELECT alias, times_seen FROM counterpart_aliases WHERE counterpart_id = ? ORDER BY times_seen DESC, alias"

HAS_DECISIONS_TABLE = ("SELECT count(*) > 0 FROM information_schema.tables WHERE table_name = 'counterpart_decisions' "
                       "AND table_schema = 'main'")
