"""Who sees what, enforced in one place: per-user views over the database.

Every dashboard query (pages, downloads, the brief) goes through :func:`dashboard.data.query`,
which runs it on a cursor whose DuckDB ``search_path`` is a schema of views made for the user's
:class:`~etl.roles.Scope`. The views have the names of the tables, so the queries in
``dashboard/queries.py`` need no change and cannot forget a rule:

* rows of regions the user cannot reach are not there at all (engagements, obstacles, conditions,
  requests, counterparts and their spellings, checkpoints, review list, decisions, incidents);
* where names are pseudonymised (``hq`` outside granted regions), a counterpart's id and name are
  replaced by a stable code made with a secret salt (so a code cannot be computed from a name), and
  its spellings, name key, affiliation, logged name and intermediaries are gone;
* where notes are hidden, ``notes`` is NULL;
* rejected rows keep their reason code but lose their values (and the reason text, which quotes
  them) unless the user sees every region's names and notes in clear.

Only the tables listed here exist in a scope's schema (the search path holds nothing else), so a
table added later is unreachable from the dashboard until its rule is written here: fail closed.
Region names are put in small tables with bound parameters, never into SQL text.
"""

from __future__ import annotations

import hashlib
import threading

import duckdb

from etl.roles import Scope

# Reference tables with nothing confidential in them: shown as they are.
PASS_THROUGH = ("schema_info", "loads", "vocabulary", "obstacle_categories", "countries", "admin_areas",
                "incident_codes", "pcodes", "pcode_lengths", "boundary_layers")

_lock = threading.Lock()


def scope_key(scope: Scope) -> str:
    """A short stable name for a scope (part of the cache key and of the schema name)."""
    text = "|".join([scope.role, str(scope.every_region), ",".join(sorted(scope.regions)),
                     str(scope.clear_everywhere), str(scope.pseudonymise_names), str(scope.hide_notes)])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _region_of(iso3: str) -> str:
    return f"(SELECT coalesce(max(co.region), 'Other') FROM access.main.countries co WHERE co.iso3 = {iso3})"


class _Rules:
    """SQL fragments for one scope, inside schema ``s``."""

    def __init__(self, scope: Scope, s: str) -> None:
        self.s = s
        self.every = scope.every_region
        clear_all = scope.clear_everywhere or not scope.pseudonymise_names
        self.names_everywhere = clear_all
        self.names_nowhere = not clear_all and not scope.regions
        notes_all = scope.clear_everywhere or not scope.hide_notes
        self.notes_everywhere = notes_all
        self.notes_nowhere = not notes_all and not scope.regions

    def reach(self, region: str) -> str:
        return "TRUE" if self.every else f"coalesce({region}, 'Other') IN (SELECT region FROM {self.s}.reach)"

    def clear(self, region: str) -> str:
        if self.names_everywhere:
            return "TRUE"
        if self.names_nowhere:
            return "FALSE"
        return f"coalesce({region}, 'Other') IN (SELECT region FROM {self.s}.granted)"

    def notes(self, region: str) -> str:
        if self.notes_everywhere:
            return "TRUE"
        if self.notes_nowhere:
            return "FALSE"
        return f"coalesce({region}, 'Other') IN (SELECT region FROM {self.s}.granted)"

    def code(self, counterpart_id: str) -> str:
        """The pseudonym of a counterpart id: keyed by the salt, stable across runs and users."""
        return f"('CP~' || upper(substr(md5((SELECT salt FROM {self.s}.salt) || {counterpart_id}), 1, 10)))"

    def cp_id(self, counterpart_id: str, region: str) -> str:
        clear = self.clear(region)
        if clear == "TRUE":
            return counterpart_id
        return f"CASE WHEN {clear} THEN {counterpart_id} ELSE {self.code(counterpart_id)} END"

    def hide_unless(self, condition: str, column: str, kind: str = "VARCHAR") -> str:
        if condition == "TRUE":
            return column
        if condition == "FALSE":
            return f"NULL::{kind}"
        return f"CASE WHEN {condition} THEN {column} END"


def _views(rules: _Rules, scope: Scope, all_regions: set[str]) -> dict[str, str]:
    r = rules
    a = "access.main"
    views = {t: f"SELECT * FROM {a}.{t}" for t in PASS_THROUGH}
    e_region = "region"
    views["engagements"] = f"""
        SELECT * REPLACE ({r.cp_id('counterpart_id', e_region)} AS counterpart_id,
                          {r.hide_unless(r.clear(e_region), 'counterpart_name')} AS counterpart_name,
                          {r.hide_unless(r.clear(e_region), 'intermediary')} AS intermediary,
                          {r.hide_unless(r.notes(e_region), 'notes')} AS notes)
        FROM {a}.engagements WHERE {r.reach(e_region)}"""
    for table in ("engagement_obstacles", "engagement_conditions"):
        views[table] = f"SELECT * FROM {a}.{table} WHERE {r.reach('region')}"
    views["access_requests"] = f"SELECT * FROM {a}.access_requests WHERE {r.reach(_region_of('iso3'))}"
    pseudo_name = f"'Counterpart ' || substr({r.code('counterpart_id')}, 4)"
    views["counterparts"] = f"""
        SELECT * REPLACE ({r.cp_id('counterpart_id', 'region')} AS counterpart_id,
                          CASE WHEN {r.clear('region')} THEN name ELSE {pseudo_name} END AS name,
                          {r.hide_unless(r.clear('region'), 'name_key')} AS name_key,
                          {r.hide_unless(r.clear('region'), 'affiliation')} AS affiliation)
        FROM {a}.counterparts WHERE {r.reach('region')}"""
    cp_region = f"(SELECT max(c.region) FROM {a}.counterparts c WHERE c.counterpart_id = x.counterpart_id)"
    views["counterpart_aliases"] = f"""
        SELECT x.* FROM {a}.counterpart_aliases x
        WHERE {r.reach(cp_region)} AND {r.clear(cp_region)}"""
    views["counterpart_review"] = f"""
        SELECT x.* FROM {a}.counterpart_review x
        WHERE {r.reach(_region_of('x.iso3'))} AND {r.clear(_region_of('x.iso3'))}"""
    views["counterpart_decisions"] = f"""
        SELECT x.* FROM {a}.counterpart_decisions x
        WHERE {r.reach(_region_of('x.iso3'))} AND {r.clear(_region_of('x.iso3'))}"""
    k_region = _region_of("iso3")
    views["checkpoints"] = f"""
        SELECT * REPLACE ({r.cp_id('controlling_counterpart_id', k_region)} AS controlling_counterpart_id)
        FROM {a}.checkpoints WHERE {r.reach(k_region)}"""
    i_region = _region_of("iso3")
    views["incidents"] = f"""
        SELECT * REPLACE ({r.hide_unless(r.clear(i_region), 'perpetrator_key')} AS perpetrator_key)
        FROM {a}.incidents WHERE {r.reach(i_region)}"""
    # A rejected row has no trustworthy region: its values (names, notes) only for a user who sees every
    # region's names and notes in clear.
    in_clear = all(scope.names_in_clear(r) and scope.notes_visible(r) for r in all_regions)
    views["rejected_rows"] = (f"SELECT * FROM {a}.rejected_rows" if in_clear else
                              f"SELECT * REPLACE (NULL::VARCHAR AS value, NULL::JSON AS raw_row, "
                              f"'(hidden: the reason quotes the value) ' || reason_code AS reason) "
                              f"FROM {a}.rejected_rows")
    return views


def ensure_scope(con: duckdb.DuckDBPyConnection, scope: Scope, salt: str) -> str:
    """Create (once per connection) the schema of views for ``scope``; returns its ``search_path``."""
    schema = f"scope_{scope_key(scope)}"
    with _lock:
        exists = con.execute("SELECT count(*) FROM duckdb_schemas() WHERE database_name = 'memory' "
                             "AND schema_name = ?", [schema]).fetchone()
        if exists and exists[0]:
            return f"memory.{schema}"
        tables = {t for (t,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'access'").fetchall()}
        s = f"memory.{schema}"
        con.execute(f"CREATE SCHEMA {s}")
        con.execute(f"CREATE TABLE {s}.reach (region VARCHAR)")
        con.execute(f"CREATE TABLE {s}.granted (region VARCHAR)")
        con.execute(f"CREATE TABLE {s}.salt (salt VARCHAR)")
        for region in sorted(scope.regions):
            con.execute(f"INSERT INTO {s}.reach VALUES (?)", [region])
            con.execute(f"INSERT INTO {s}.granted VALUES (?)", [region])
        con.execute(f"INSERT INTO {s}.salt VALUES (?)", [salt])
        all_regions = {r for (r,) in con.execute(
            "SELECT DISTINCT coalesce(region, 'Other') FROM access.main.countries").fetchall()} | {"Other"}
        for name, sql in _views(_Rules(scope, s), scope, all_regions).items():
            if name in tables:  # an older database may lack a newer table: it is simply absent
                con.execute(f"CREATE VIEW {s}.{name} AS {sql}")
        return s
