"""The warehouse schema (DuckDB DDL) and the reference rows every database starts with.

``docs/data-model.md`` documents each column; ``tests/test_docs.py`` checks that every column
created here is documented there. New columns are always added at the end of a table.

The DDL here is the schema of version ``BASELINE_VERSION``. Every later version is only its numbered
migration (``etl/store/migrations/``, ``docs/migrations.md``): a new database runs those migrations after
this DDL, an older one runs them in ``python -m etl upgrade``. So a schema change (a new log column's
place in ``engagements``...) is one migration module, and this file is not edited.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import duckdb
import pandas as pd

from etl import __version__
from etl.errors import DatabaseError
from etl.store import migrations
from etl.vocab import OBSTACLE_CATEGORIES, VOCABULARIES

# The version this DDL describes; the software's version is its newest migration's.
BASELINE_VERSION = 4
SCHEMA_VERSION = str(max(BASELINE_VERSION, *(m.version for m in migrations.registry())))

DDL = """
CREATE TABLE IF NOT EXISTS schema_info (
    key VARCHAR PRIMARY KEY,
    value VARCHAR
);

CREATE TABLE IF NOT EXISTS loads (
    load_id INTEGER PRIMARY KEY,
    source_path VARCHAR NOT NULL,
    file_name VARCHAR NOT NULL,
    content_sha256 VARCHAR NOT NULL,
    file_bytes BIGINT NOT NULL,
    file_format VARCHAR NOT NULL,
    encoding VARCHAR,
    sheets VARCHAR,
    column_mapping JSON,
    ignored_columns JSON,
    date_order VARCHAR,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL,
    status VARCHAR NOT NULL,
    rows_read INTEGER NOT NULL,
    rows_loaded INTEGER NOT NULL,
    rows_rejected INTEGER NOT NULL,
    rows_duplicate INTEGER NOT NULL,
    loaded_by VARCHAR,
    etl_version VARCHAR,
    mapping_file VARCHAR
);

CREATE TABLE IF NOT EXISTS rejected_rows (
    load_id INTEGER NOT NULL,
    source_file VARCHAR NOT NULL,
    sheet VARCHAR,
    row_number INTEGER NOT NULL,
    column_name VARCHAR,
    value VARCHAR,
    reason_code VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    raw_row JSON
);

CREATE TABLE IF NOT EXISTS vocabulary (
    vocabulary VARCHAR NOT NULL,
    code VARCHAR NOT NULL,
    label VARCHAR NOT NULL,
    PRIMARY KEY (vocabulary, code)
);

CREATE TABLE IF NOT EXISTS obstacle_categories (
    category VARCHAR PRIMARY KEY,
    number TINYINT NOT NULL,
    name VARCHAR NOT NULL,
    pillar VARCHAR NOT NULL,
    description VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS countries (
    iso3 VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    region VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS admin_areas (
    pcode VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    level TINYINT NOT NULL,
    parent_pcode VARCHAR,
    iso3 VARCHAR NOT NULL,
    region VARCHAR,
    geometry BLOB,
    centroid_lat DOUBLE,
    centroid_lon DOUBLE,
    source VARCHAR
);

CREATE TABLE IF NOT EXISTS counterparts (
    counterpart_id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    name_key VARCHAR NOT NULL,
    counterpart_type VARCHAR,
    affiliation VARCHAR,
    level VARCHAR,
    iso3 VARCHAR NOT NULL,
    region VARCHAR,
    first_seen DATE,
    last_seen DATE,
    engagements INTEGER,
    load_id INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS counterpart_aliases (
    counterpart_id VARCHAR NOT NULL,
    alias VARCHAR NOT NULL,
    times_seen INTEGER NOT NULL,
    load_id INTEGER NOT NULL,
    PRIMARY KEY (counterpart_id, alias)
);

CREATE TABLE IF NOT EXISTS counterpart_review (
    iso3 VARCHAR NOT NULL,
    counterpart_id_a VARCHAR NOT NULL,
    counterpart_id_b VARCHAR NOT NULL,
    similarity DOUBLE NOT NULL,
    status VARCHAR NOT NULL,
    load_id INTEGER NOT NULL,
    PRIMARY KEY (counterpart_id_a, counterpart_id_b)
);

CREATE TABLE IF NOT EXISTS checkpoints (
    checkpoint_id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    name_key VARCHAR NOT NULL,
    kind VARCHAR,
    latitude DOUBLE,
    longitude DOUBLE,
    iso3 VARCHAR NOT NULL,
    admin1_pcode VARCHAR,
    controlling_counterpart_id VARCHAR,
    load_id INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS access_requests (
    request_id VARCHAR NOT NULL,
    source_request_id VARCHAR,
    organisation VARCHAR,
    activity VARCHAR NOT NULL,
    requested_date DATE,
    location VARCHAR,
    iso3 VARCHAR NOT NULL,
    admin1_pcode VARCHAR,
    people_targeted INTEGER,
    priority VARCHAR,
    load_id INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS engagements (
    engagement_id VARCHAR NOT NULL,
    source_engagement_id VARCHAR,
    request_id VARCHAR NOT NULL,
    engagement_date DATE NOT NULL,
    counterpart_id VARCHAR NOT NULL,
    checkpoint_id VARCHAR,
    location VARCHAR,
    iso3 VARCHAR NOT NULL,
    admin1_pcode VARCHAR,
    region VARCHAR,
    latitude DOUBLE,
    longitude DOUBLE,
    organisation VARCHAR,
    activity VARCHAR NOT NULL,
    channel VARCHAR,
    intermediary VARCHAR,
    outcome VARCHAR NOT NULL,
    resolution_date DATE,
    days_to_resolution INTEGER,
    follow_up_due DATE,
    people_targeted INTEGER,
    people_reached INTEGER,
    notes VARCHAR,
    row_hash UHUGEINT NOT NULL,
    load_id INTEGER NOT NULL,
    source_row INTEGER NOT NULL,
    engagement_key BIGINT NOT NULL,
    counterpart_name VARCHAR,
    request_key BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS engagement_obstacles (
    engagement_key BIGINT NOT NULL,
    category VARCHAR NOT NULL,
    raw_label VARCHAR NOT NULL,
    load_id INTEGER NOT NULL,
    engagement_date DATE NOT NULL,
    region VARCHAR,
    iso3 VARCHAR NOT NULL,
    admin1_pcode VARCHAR,
    checkpoint_id VARCHAR,
    activity VARCHAR NOT NULL,
    organisation VARCHAR,
    outcome VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS engagement_conditions (
    engagement_key BIGINT NOT NULL,
    condition VARCHAR NOT NULL,
    raw_label VARCHAR NOT NULL,
    load_id INTEGER NOT NULL,
    engagement_date DATE NOT NULL,
    region VARCHAR,
    iso3 VARCHAR NOT NULL,
    admin1_pcode VARCHAR,
    checkpoint_id VARCHAR,
    activity VARCHAR NOT NULL,
    organisation VARCHAR,
    outcome VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS counterpart_decisions (
    decision_id INTEGER PRIMARY KEY,
    action VARCHAR NOT NULL,
    iso3 VARCHAR NOT NULL,
    counterpart_id_a VARCHAR NOT NULL,
    name_key_a VARCHAR,
    counterpart_id_b VARCHAR,
    name_key_b VARCHAR,
    split_by VARCHAR,
    alias VARCHAR,
    result_id VARCHAR,
    reason VARCHAR,
    decided_by VARCHAR NOT NULL,
    decided_at TIMESTAMPTZ NOT NULL,
    active BOOLEAN NOT NULL,
    undone_by VARCHAR,
    undone_at TIMESTAMPTZ,
    prior_state JSON
);

CREATE TABLE IF NOT EXISTS incidents (
    incident_id VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    feed VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,
    incident_date DATE NOT NULL,
    date_precision VARCHAR NOT NULL,
    iso3 VARCHAR NOT NULL,
    country VARCHAR,
    admin1_name VARCHAR,
    admin2_name VARCHAR,
    place VARCHAR,
    location_type VARCHAR,
    latitude DOUBLE,
    longitude DOUBLE,
    geo_problem VARCHAR,
    perpetrator_type VARCHAR NOT NULL,
    perpetrator_type_raw VARCHAR,
    perpetrator_name VARCHAR,
    perpetrator_key VARCHAR,
    means_of_attack VARCHAR,
    attack_context VARCHAR,
    category VARCHAR NOT NULL,
    killed INTEGER,
    injured INTEGER,
    kidnapped INTEGER,
    detained INTEGER,
    description VARCHAR,
    means_code VARCHAR,
    context_code VARCHAR,
    location_code VARCHAR,
    codes_decoded BOOLEAN NOT NULL,
    row_hash VARCHAR NOT NULL,
    source_row INTEGER NOT NULL,
    admin1_pcode VARCHAR,
    duplicate_of VARCHAR,
    duplicate_rule VARCHAR,
    load_id INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS incident_codes (
    code_list VARCHAR NOT NULL,
    code VARCHAR NOT NULL,
    label VARCHAR NOT NULL,
    load_id INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS pcodes (
    iso3 VARCHAR NOT NULL,
    admin_level TINYINT NOT NULL,
    pcode VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    parent_pcode VARCHAR,
    valid_from DATE,
    source VARCHAR NOT NULL,
    load_id INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS pcode_lengths (
    iso3 VARCHAR NOT NULL,
    admin_level TINYINT NOT NULL,
    length TINYINT,
    source VARCHAR NOT NULL,
    load_id INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS boundary_layers (
    iso3 VARCHAR NOT NULL,
    level TINYINT NOT NULL,
    load_id INTEGER NOT NULL,
    source VARCHAR NOT NULL,
    fields VARCHAR NOT NULL,
    features INTEGER NOT NULL,
    areas INTEGER NOT NULL,
    matched_pcode INTEGER NOT NULL,
    matched_exact INTEGER NOT NULL,
    matched_normalised INTEGER NOT NULL,
    matched_fuzzy INTEGER NOT NULL,
    unmatched JSON,
    PRIMARY KEY (iso3, level)
);

CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL,
    applied_at TIMESTAMP NOT NULL,
    software_version VARCHAR
);
"""

# Pillars of OCHA's access monitoring framework, as ACAPS groups its nine indicators.
PILLARS = {
    "denial_of_needs": (1, "Access of people in need to aid"),
    "restriction_of_people_access": (2, "Access of people in need to aid"),
    "entry_impediments": (3, "Access of humanitarian actors to people in need"),
    "movement_restrictions": (4, "Access of humanitarian actors to people in need"),
    "interference": (5, "Access of humanitarian actors to people in need"),
    "violence_against_personnel": (6, "Access of humanitarian actors to people in need"),
    "hostilities": (7, "Security and physical constraints"),
    "explosive_ordnance": (8, "Security and physical constraints"),
    "physical_environment": (9, "Security and physical constraints"),
}


def version_problem(stored: str | None, db_path: Path | str) -> DatabaseError | None:
    """Why a database whose ``schema_info`` says ``stored`` cannot be used by this software, and what to do; None if it can.

    >>> print(version_problem("3", "data/access.duckdb"))
    data/access.duckdb has schema version 3; this version of the software needs 7. Run `python -m etl upgrade --db data/access.duckdb` to upgrade it in place (the previous file is kept beside it).
    """
    if stored == SCHEMA_VERSION:
        return None
    if stored is not None and stored.isdigit() and int(stored) > int(SCHEMA_VERSION):
        return DatabaseError(
            f"{db_path} has schema version {stored}, made by a newer release; this version of the software "
            f"knows versions up to {SCHEMA_VERSION}.", "Install the newer release that made it.")
    return DatabaseError(
        f"{db_path} has schema version {stored or 'unknown'}; this version of the software needs {SCHEMA_VERSION}.",
        f"Run `python -m etl upgrade --db {db_path}` to upgrade it in place (the previous file is kept beside it).")


def _live_path(con: duckdb.DuckDBPyConnection) -> str:
    """The database file a connection has open, as the user knows it (a load works on ``<db>.next``)."""
    row = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    path = str(row[0]) if row and row[0] else "DB"
    return path.removesuffix(".next")


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The tables of a new database at ``SCHEMA_VERSION``: the baseline DDL, then each later migration."""
    con.execute(DDL)
    for m in migrations.registry():
        if m.version > BASELINE_VERSION:
            m.apply(con)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create missing tables and (re)write the reference vocabularies. Idempotent.

    A new database is created at this schema version, with every migration recorded in
    ``schema_migrations``. A database of another version is refused: an older one with the
    ``python -m etl upgrade`` command that migrates it (:mod:`etl.store.migrations`).
    """
    if is_lake(con):  # the warehouse's schema and reference rows are written by `warehouse init` alone
        check_lake_version(con)
        return
    exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_info' "
                         "AND table_schema = current_schema() AND table_catalog = current_database()").fetchone()
    row = None
    if exists and exists[0]:
        row = con.execute("SELECT value FROM schema_info WHERE key = 'schema_version'").fetchone()
        problem = version_problem(row[0], _live_path(con)) if row else None
        if problem:
            raise problem
    if row is None:  # a new database: the baseline, then every later migration, each on record
        create_tables(con)
        now = migrations.utc_now()
        for m in migrations.registry():
            migrations.record(con, m, __version__, now)
    else:
        con.execute(DDL)  # tables of this version that are missing (none, unless someone dropped one)
    con.execute("INSERT OR REPLACE INTO schema_info VALUES ('schema_version', ?)", [SCHEMA_VERSION])
    for table, rows in reference_rows().items():
        insert_rows(con, table, rows, replace=True)


def reference_rows() -> dict[str, list[tuple]]:
    """The rows every database starts with, by table: the controlled vocabularies and OCHA's obstacle categories."""
    return {"vocabulary": [(v.name, t.code, t.label) for v in VOCABULARIES.values() for t in v.terms],
            "obstacle_categories": [(t.code, PILLARS[t.code][0], t.label, PILLARS[t.code][1], t.description)
                                    for t in OBSTACLE_CATEGORIES.terms]}


def is_lake(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the connection's current database is the DuckLake warehouse (not a DuckDB file)."""
    row = con.execute("SELECT type FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    return bool(row and row[0] == "ducklake")


def check_lake_version(con: duckdb.DuckDBPyConnection) -> None:
    """Refuse a warehouse with no schema yet, or of another schema version."""
    try:
        row = con.execute("SELECT value FROM schema_info WHERE key = 'schema_version'").fetchone()
    except duckdb.CatalogException:
        row = None
    if row is None:
        raise DatabaseError("The warehouse has no tables yet.", "Create them with `python -m etl warehouse init`.")
    if row[0] != SCHEMA_VERSION:
        raise lake_version_problem(str(row[0]))


def lake_version_problem(version: str) -> DatabaseError:
    """Why a warehouse at ``version`` (not this release's) is refused, and what to do (docs/deployment.md, "Upgrading")."""
    if version.isdigit() and int(version) > int(SCHEMA_VERSION):
        return DatabaseError(f"The warehouse has schema version {version}, made by a newer release.",
                             f"Install the release that made it (this one knows schema versions up to {SCHEMA_VERSION}).")
    return DatabaseError(f"The warehouse has schema version {version}; this release needs {SCHEMA_VERSION}.",
                         "Upgrade it with `python -m etl upgrade` (ACCESS_WAREHOUSE set; one commit, loads may go on), "
                         "or keep the release that made it; see \"Upgrading\" in docs/deployment.md.")


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple], replace: bool = False) -> None:
    """Insert many Python rows at once (``executemany`` is row-by-row and slow in DuckDB)."""
    if not rows:
        return
    frame = pd.DataFrame(rows, dtype=object)
    lake = replace and is_lake(con)
    if lake:  # the warehouse has no keys to replace on (see etl/store/warehouse.py): delete by key, then insert
        frame.columns = table_columns(con, table)[:len(frame.columns)]
    con.register("_rows", frame)
    try:
        if lake:
            match = " AND ".join(f"r.{k} = {table}.{k}" for k in primary_keys()[table])
            con.execute(f"DELETE FROM {table} WHERE EXISTS (SELECT 1 FROM _rows r WHERE {match})")  # noqa: S608
        verb = "INSERT OR REPLACE" if replace and not lake else "INSERT"
        con.execute(f"{verb} INTO {table} SELECT * FROM _rows")  # noqa: S608 - table names are constants
    finally:
        con.unregister("_rows")


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """The columns of ``table`` in the connection's current database, in order."""
    return [r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE database_name = "
                                      "current_database() AND schema_name = current_schema() AND table_name = ? "
                                      "ORDER BY column_index", [table]).fetchall()]


@lru_cache(maxsize=1)
def primary_keys() -> dict[str, tuple[str, ...]]:
    """Each table's primary key columns, as the embedded schema declares them (built in memory, read from DuckDB)."""
    con = duckdb.connect(":memory:")
    try:
        create_tables(con)
        rows = con.execute("SELECT table_name, constraint_column_names FROM duckdb_constraints() WHERE "
                           "database_name = 'memory' AND constraint_type = 'PRIMARY KEY'").fetchall()
    finally:
        con.close()
    return {table: tuple(cols) for table, cols in rows}
