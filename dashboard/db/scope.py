"""Who sees what, enforced in one place: per-user views over the database.

Every dashboard query (pages, downloads, the brief) goes through :func:`dashboard.db.connection.query`,
which runs it on a cursor whose DuckDB ``search_path`` is a schema of views made for the user's
:class:`~etl.accounts.roles.Scope`. The views have the names of the tables, so the queries in
``dashboard/db/queries.py`` need no change and cannot forget a rule:

* rows of regions the user cannot reach are not there at all (engagements and their monthly counts, obstacles, conditions,
  requests, counterparts and their spellings, checkpoints, review list, decisions, incidents, conflict events
  and monthly conflict-event counts);
* where names are pseudonymised (``hq`` outside granted regions), a counterpart's id and name are
  replaced by a stable code made with a secret salt (so a code cannot be computed from a name), and
  its spellings, name key, affiliation, logged name and intermediaries are gone;
* where names are pseudonymised, incident perpetrator names and keys are NULL too (they would tie a code
  to a name), as are the actors of conflict events (names, associated actors and name keys: a key ties
  an event to a counterpart's profile), and ``counterpart_profiles`` (what a profile and the brief read)
  holds only counterparts in clear: a profile is row-level history;
* where notes are hidden, ``notes`` is NULL; a conflict event's ``notes`` (the publisher's free text, which
  may name people) is NULL where notes are hidden or names are pseudonymised;
* which stored columns are names or notes is not listed here: every column that holds a log column
  declared ``confidential`` in :mod:`etl.logs.columns` (``NAMES`` or ``NOTES``) is NULL wherever the
  scope hides names or notes, in every view of its table (:meth:`_Rules.hidden`); pseudonyms (codes in
  place of ids and names) are the rules written below;
* which region a row belongs to is declared once per table in :data:`REGION_OF`;
* rejected rows keep their reason (what was wrong and how to fix it) but lose their values unless
  the user sees every region's names and notes in clear.

Only the tables listed here exist in a scope's schema (the search path holds nothing else), so a
table added later is unreachable from the dashboard until its rule is written here: fail closed.
Region names are put in small tables with bound parameters, never into SQL text.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import duckdb

from etl.accounts.roles import Scope
from etl.config import Settings, get_settings
from etl.logs.columns import NAMES, NOTES, confidential_columns
from etl.logs.validate import REASONS
from etl.store import lake_read
from etl.store.files import create_owner_only

# Reference tables with nothing confidential in them: shown as they are.
PASS_THROUGH = ("schema_info", "loads", "vocabulary", "obstacle_categories", "countries", "admin_areas",
                "incident_codes", "pcodes", "pcode_lengths", "boundary_layers")

# What a rejected row's reason says instead of the value, for users who may not see values.
HIDDEN_VALUE = "(value hidden)"

# Views with no table of their name, and the table each is made from.
DERIVED = {"counterpart_profiles": "counterparts", "review_waiting": "counterpart_review"}

# Columns of ``conflict_events`` naming its actors (and their name keys): hidden like perpetrator names.
CONFLICT_ACTOR_COLUMNS = ("actor1", "actor1_key", "assoc_actor_1", "actor2", "actor2_key", "assoc_actor_2")

_lock = threading.Lock()


def pseudonym_salt(db: Path, settings: Settings | None = None) -> str:
    """The secret that keys counterpart pseudonyms (``hq``): made once, kept beside the database ``db``, owner-only.

    Without it a pseudonym could be computed from a guessed name; with it codes stay stable across
    restarts, users, the dashboard and the command line. Deleting the file changes every code (nothing else).
    With ``ACCESS_WAREHOUSE`` set, the salt kept in the warehouse, the same for every replica and command
    (:mod:`etl.store.lake_secrets`, made by ``python -m etl warehouse init``).
    """
    import secrets

    settings = settings or get_settings()
    if settings.warehouse is not None:
        return lake_read.pseudonym_salt(settings)

    path = db.with_name(f"{db.stem}.pseudonym-salt")
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        create_owner_only(path, secrets.token_hex(32))
        return path.read_text(encoding="ascii").strip()


def scope_key(scope: Scope) -> str:
    """A short stable name for a scope (part of the cache key and of the schema name)."""
    text = "|".join([scope.role, str(scope.every_region), ",".join(sorted(scope.regions)),
                     str(scope.clear_everywhere), str(scope.pseudonymise_names), str(scope.hide_notes)])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# How the rows of each table get their region: the one place that decides it. ``("region", col)`` reads
# the row's own region column; ``("country", col)`` the region of the country (ISO3) in ``col``, through
# ``countries``; ``("counterpart", col)`` the region of the counterpart in ``col``. A row whose region is
# unknown (no region, a country missing from ``countries``, a counterpart that no longer exists) belongs
# to :data:`OTHER`, which only users granted ``Other`` (or every region) reach.
REGION_OF: dict[str, tuple[str, str]] = {
    "engagements": ("region", "region"),
    "engagement_obstacles": ("region", "region"),
    "engagement_conditions": ("region", "region"),
    "engagement_months": ("region", "region"),
    "reporting_months": ("region", "region"),
    "counterparts": ("region", "region"),
    "access_requests": ("country", "iso3"),
    "checkpoints": ("country", "iso3"),
    "incidents": ("country", "iso3"),
    "conflict_events": ("country", "iso3"),
    "conflict_event_counts": ("country", "iso3"),
    "counterpart_review": ("country", "iso3"),
    "counterpart_decisions": ("country", "iso3"),
    "counterpart_aliases": ("counterpart", "counterpart_id"),
}
OTHER = "Other"


def _source(table: str) -> str:
    """``FROM`` clause giving every row of ``table`` as ``x`` and its region as ``_row_region``."""
    a = "access.main"
    kind, column = REGION_OF[table]
    if kind == "region":
        return f"(SELECT x.*, coalesce(x.{column}, '{OTHER}') AS _row_region FROM {a}.{table} x)"
    if kind == "country":
        return (f"(SELECT x.*, coalesce(co.region, '{OTHER}') AS _row_region FROM {a}.{table} x "
                f"LEFT JOIN {a}.countries co ON co.iso3 = x.{column})")
    if kind == "counterpart":
        return (f"(SELECT x.*, coalesce(c.region, '{OTHER}') AS _row_region FROM {a}.{table} x "
                f"LEFT JOIN {a}.counterparts c ON c.counterpart_id = x.{column})")
    raise ValueError(f"no region rule for {table}")


class _Rules:
    """SQL fragments for one scope, inside schema ``s``; ``_row_region`` is the row's region (see REGION_OF)."""

    def __init__(self, scope: Scope, s: str) -> None:
        self.s = s
        self.every = scope.every_region
        clear_all = scope.clear_everywhere or not scope.pseudonymise_names
        self.names_everywhere = clear_all
        self.names_nowhere = not clear_all and not scope.regions
        notes_all = scope.clear_everywhere or not scope.hide_notes
        self.notes_everywhere = notes_all
        self.notes_nowhere = not notes_all and not scope.regions

    @property
    def reach(self) -> str:
        return "TRUE" if self.every else f"_row_region IN (SELECT region FROM {self.s}.reach)"

    @property
    def clear(self) -> str:
        if self.names_everywhere:
            return "TRUE"
        if self.names_nowhere:
            return "FALSE"
        return f"_row_region IN (SELECT region FROM {self.s}.granted)"

    @property
    def notes(self) -> str:
        if self.notes_everywhere:
            return "TRUE"
        if self.notes_nowhere:
            return "FALSE"
        return f"_row_region IN (SELECT region FROM {self.s}.granted)"

    def code(self, counterpart_id: str) -> str:
        """The pseudonym of a counterpart id: keyed by the salt, stable across runs and users."""
        return f"('CP~' || upper(substr(md5((SELECT salt FROM {self.s}.salt) || {counterpart_id}), 1, 10)))"

    def cp_id(self, counterpart_id: str) -> str:
        if self.clear == "TRUE":
            return counterpart_id
        return f"CASE WHEN {self.clear} THEN {counterpart_id} ELSE {self.code(counterpart_id)} END"

    @property
    def notes_and_names(self) -> str:
        """Where both notes and names are shown: free text of a public record, which may name people."""
        if "FALSE" in (self.notes, self.clear):
            return "FALSE"
        shown = [c for c in (self.notes, self.clear) if c != "TRUE"]
        return " AND ".join(dict.fromkeys(shown)) or "TRUE"

    def hide_unless(self, condition: str, column: str, kind: str = "VARCHAR") -> str:
        if condition == "TRUE":
            return column
        if condition == "FALSE":
            return f"NULL::{kind}"
        return f"CASE WHEN {condition} THEN {column} END"

    def hidden(self, table: str) -> dict[str, str]:
        """Columns of ``table`` holding a log column declared confidential, each NULL where the scope hides it."""
        when = {NAMES: self.clear, NOTES: self.notes}
        return {column: self.hide_unless(when[c.confidential], column, c.sql_type)
                for column, c in confidential_columns(table).items()}

    def view(self, table: str, replace: dict[str, str] | None = None, where: str = "TRUE") -> str:
        """The rows of ``table`` the scope reaches, confidential columns hidden (:meth:`hidden`), then
        ``replace`` (column -> expression) applied."""
        swaps = ", ".join(f"{expr} AS {col}" for col, expr in {**self.hidden(table), **(replace or {})}.items())
        columns = f"* EXCLUDE (_row_region) REPLACE ({swaps})" if swaps else "* EXCLUDE (_row_region)"
        return f"SELECT {columns} FROM {_source(table)} WHERE {self.reach} AND ({where})"


def _views(rules: _Rules, scope: Scope, all_regions: set[str]) -> dict[str, str]:
    r = rules
    a = "access.main"
    views = {t: f"SELECT * FROM {a}.{t}" for t in PASS_THROUGH}
    # Logged names, intermediaries and notes are hidden by their declarations (etl.logs.columns).
    views["engagements"] = r.view("engagements", {"counterpart_id": r.cp_id("counterpart_id")})
    for table in ("engagement_obstacles", "engagement_conditions"):
        views[table] = r.view(table)
    # The engagements counted by month (etl/store/rollups.py): the same rows' regions and counterpart codes.
    views["engagement_months"] = r.view("engagement_months", {"counterpart_id": r.cp_id("counterpart_id")})
    views["reporting_months"] = r.view("reporting_months")
    views["access_requests"] = r.view("access_requests")
    pseudo_name = f"'Counterpart ' || substr({r.code('counterpart_id')}, 4)"
    views["counterparts"] = r.view("counterparts", {
        "counterpart_id": r.cp_id("counterpart_id"),
        "name": f"CASE WHEN {r.clear} THEN name ELSE {pseudo_name} END",
        "name_key": r.hide_unless(r.clear, "name_key")})
    # A profile (one counterpart's engagement by engagement history, and the brief) is row-level: only for
    # counterparts whose names the user sees in clear. Elsewhere (hq outside granted regions) aggregates only.
    views["counterpart_profiles"] = r.view("counterparts", where=r.clear)
    for table in ("counterpart_aliases", "counterpart_review", "counterpart_decisions"):
        views[table] = r.view(table, where=r.clear)
    views["checkpoints"] = r.view("checkpoints", {
        "controlling_counterpart_id": r.cp_id("controlling_counterpart_id")})
    views["incidents"] = r.view("incidents", {
        "perpetrator_name": r.hide_unless(r.clear, "perpetrator_name"),
        "perpetrator_key": r.hide_unless(r.clear, "perpetrator_key")})
    # Conflict events (ACLED): their actors are named like incident perpetrators, and their notes may name people.
    views["conflict_events"] = r.view("conflict_events", {
        **{c: r.hide_unless(r.clear, c) for c in CONFLICT_ACTOR_COLUMNS},
        "notes": r.hide_unless(r.notes_and_names, "notes")})
    # Monthly conflict-event counts per admin area (HDX HAPI): no names; small counts are the disclosure rule's.
    views["conflict_event_counts"] = r.view("conflict_event_counts")
    # How many look-alike pairs wait for a decision in each region: a count, no names, for everyone who may
    # see the Data page (an admin without regions learns that pairs wait, and where).
    views["review_waiting"] = (f"SELECT _row_region AS region, count(*) AS pairs FROM {_source('counterpart_review')} "
                               "WHERE status = 'pending' GROUP BY ALL")
    # A rejected row has no trustworthy region: its values (names, notes) only for a user who sees every
    # region's names and notes in clear. Others get the reason's fix, which quotes no value.
    in_clear = all(scope.names_in_clear(r) and scope.notes_visible(r) for r in all_regions)
    views["rejected_rows"] = (f"SELECT * FROM {a}.rejected_rows" if in_clear else
                              f"SELECT x.* REPLACE (NULL::VARCHAR AS value, NULL::JSON AS raw_row, "
                              f"coalesce(replace(f.reason, '{{column}}', coalesce(x.column_name, 'the column')), "
                              f"'See the reason code ' || x.reason_code || ' in docs/log-format.md.') AS reason) "
                              f"FROM {a}.rejected_rows x LEFT JOIN {rules.s}.reason_fixes f "
                              f"ON f.reason_code = x.reason_code")
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
        con.execute(f"CREATE TABLE {s}.reason_fixes (reason_code VARCHAR, reason VARCHAR)")
        con.executemany(f"INSERT INTO {s}.reason_fixes VALUES (?, ?)",
                        [[code, reason.render(HIDDEN_VALUE, "{column}", "")] for code, reason in REASONS.items()])
        all_regions = {r for (r,) in con.execute(
            "SELECT DISTINCT coalesce(region, 'Other') FROM access.main.countries").fetchall()} | {"Other"}
        for name, sql in _views(_Rules(scope, s), scope, all_regions).items():
            if DERIVED.get(name, name) in tables:  # an older database may lack a newer table: then it is absent
                con.execute(f"CREATE VIEW {s}.{name} AS {sql}")
        return s
