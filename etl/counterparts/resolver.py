"""What a counterpart decision is, and the counterpart a logged name belongs to once decisions are applied.

A :class:`Decision` is one row of ``counterpart_decisions`` (and of the mirror file,
:mod:`etl.counterparts.mirror`); :class:`Resolver` maps a (country, logged name) to its
counterpart through the active ones. :mod:`etl.counterparts.decisions` takes and applies decisions;
:mod:`etl.logs.load` maps every loaded name with :func:`load_resolver`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import duckdb

from etl.counterparts.names import name_key, stable_id

ACTIONS = ("merge", "split", "keep_apart")
SPLIT_BY = ("spelling", "name_key")
# Columns of counterpart_decisions, in table order: also the header of the mirror file.
COLUMNS = ("decision_id", "action", "iso3", "counterpart_id_a", "name_key_a", "counterpart_id_b", "name_key_b",
           "split_by", "alias", "result_id", "reason", "decided_by", "decided_at", "active", "undone_by",
           "undone_at", "prior_state")

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
