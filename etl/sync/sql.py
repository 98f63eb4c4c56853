"""The SQL of a pull (:mod:`etl.sync.pull`): what is read from the warehouse, and how it is written into the office's file.

Every user value is a bound parameter: ``$regions`` (the office's region names), ``$have`` (the
``content_sha256`` of the office's loads), ``$loads`` (the warehouse loads being received). A row whose
``region`` is NULL or another region's never matches ``list_contains($regions, region)``.
"""

from __future__ import annotations

# ----------------------------------------------------------------------------------- read at the warehouse

# The regions there are: those of the warehouse's countries (a region an office names must be one of them).
WH_REGIONS = "SELECT DISTINCT region FROM countries WHERE region IS NOT NULL"

# The warehouse's loads the office has not got and that hold rows of its regions, oldest first.
WH_LOADS = """
SELECT l.load_id, l.content_sha256, l.file_name, l.source_path, l.file_bytes, l.file_format, l.encoding, l.sheets,
       l.column_mapping::VARCHAR AS column_mapping, l.ignored_columns::VARCHAR AS ignored_columns, l.date_order,
       l.mapping_file, l.started_at, l.loaded_by
FROM loads l
WHERE NOT list_contains($have, l.content_sha256)
  AND l.load_id IN (SELECT load_id FROM engagements WHERE list_contains($regions, region))
ORDER BY l.load_id
"""

_IN_SCOPE = "list_contains($regions, e.region) AND list_contains($loads, e.load_id)"

WH_ENGAGEMENTS = f"SELECT e.* FROM engagements e WHERE {_IN_SCOPE}"  # noqa: S608 - constants
WH_LABELS = f"""
SELECT x.* FROM {{table}} x
WHERE list_contains($regions, x.region) AND x.engagement_key IN (SELECT e.engagement_key FROM engagements e WHERE {_IN_SCOPE})
"""  # noqa: S608 - constants
WH_REQUESTS = f"SELECT r.* FROM access_requests r WHERE r.request_id IN (SELECT e.request_id FROM engagements e WHERE {_IN_SCOPE})"  # noqa: S608
WH_COUNTERPARTS = f"SELECT c.* FROM counterparts c WHERE c.counterpart_id IN (SELECT e.counterpart_id FROM engagements e WHERE {_IN_SCOPE})"  # noqa: S608
WH_CHECKPOINTS = f"SELECT k.* FROM checkpoints k WHERE k.checkpoint_id IN (SELECT e.checkpoint_id FROM engagements e WHERE {_IN_SCOPE})"  # noqa: S608
# Headquarters' counterpart decisions about counterparts of the office's regions' countries, taken or undone.
WH_DECISIONS = ("SELECT {columns} FROM counterpart_decisions WHERE iso3 IN "
                "(SELECT iso3 FROM countries WHERE list_contains($regions, region)) ORDER BY decision_id")

# ----------------------------------------------------------------------------------- written at the office

OFFICE_KEYS = "SELECT DISTINCT content_sha256 FROM loads"

# The received loads with the office's own numbers, after its highest.
PULL_LOADS = """
CREATE OR REPLACE TEMP TABLE pull_loads AS
SELECT load_id AS wh_load_id, content_sha256,
       (SELECT coalesce(max(load_id), 0) FROM loads) + row_number() OVER (ORDER BY load_id) AS new_load_id
FROM hq_loads
"""

# Each received engagement: new here, the same as here (a duplicate), or the same id with other values (a conflict).
PULL_ROWS = """
CREATE OR REPLACE TEMP TABLE pull_rows AS
SELECT h.engagement_id, h.engagement_key AS wh_key, h.load_id AS wh_load_id, p.new_load_id,
       (h.engagement_key - (h.load_id::BIGINT << 32) + (p.new_load_id::BIGINT << 32)) AS new_key,
       h.request_id, h.counterpart_id, h.counterpart_name, h.checkpoint_id, h.iso3, h.region,
       CASE WHEN o.engagement_id IS NULL THEN 'new'
            WHEN o.row_hash = h.row_hash::UHUGEINT THEN 'duplicate' ELSE 'conflict' END AS class
FROM hq_engagements h JOIN pull_loads p ON p.wh_load_id = h.load_id
LEFT JOIN engagements o ON o.engagement_id = h.engagement_id
"""

# Expressions replacing a column's value when a received row is written here (the rest are copied as they are).
ENGAGEMENT_VALUES = {"load_id": "p.new_load_id", "engagement_key": "p.new_key", "row_hash": "h.row_hash::UHUGEINT"}
INSERT_ENGAGEMENTS = """
INSERT INTO engagements ({columns})
SELECT {values} FROM hq_engagements h JOIN pull_rows p ON p.engagement_id = h.engagement_id AND p.class = 'new'
"""
LABEL_VALUES = {"load_id": "p.new_load_id", "engagement_key": "p.new_key"}
INSERT_LABELS = """
INSERT INTO {table} ({columns})
SELECT {values} FROM {source} h JOIN pull_rows p ON p.wh_key = h.engagement_key AND p.wh_load_id = h.load_id
WHERE p.class = 'new'
"""
# A request, counterpart or checkpoint the office has not got: its load is the first received load naming it.
FIRST_LOAD = "(SELECT min(p.new_load_id) FROM pull_rows p WHERE p.class = 'new' AND p.{key} = h.{key})"
INSERT_NEW = """
INSERT INTO {table} ({columns})
SELECT {values} FROM {source} h
WHERE h.{key} IN (SELECT {key} FROM pull_rows WHERE class = 'new') AND h.{key} NOT IN (SELECT {key} FROM {table})
"""
# The spellings the received rows were logged under, counted as a load counts them.
ALIASES = """
MERGE INTO counterpart_aliases a
USING (SELECT counterpart_id, counterpart_name, count(*) AS n, min(new_load_id) AS first_load FROM pull_rows
       WHERE class = 'new' AND counterpart_name IS NOT NULL GROUP BY ALL) s
ON a.counterpart_id = s.counterpart_id AND a.alias = s.counterpart_name
WHEN MATCHED THEN UPDATE SET times_seen = a.times_seen + s.n
WHEN NOT MATCHED THEN INSERT VALUES (s.counterpart_id, s.counterpart_name, s.n, s.first_load)
"""
TOUCH = """
CREATE TEMP TABLE IF NOT EXISTS touched_counterparts (counterpart_id VARCHAR);
CREATE TEMP TABLE IF NOT EXISTS touched_checkpoints (checkpoint_id VARCHAR);
INSERT INTO touched_counterparts SELECT DISTINCT counterpart_id FROM pull_rows WHERE class = 'new';
INSERT INTO touched_checkpoints SELECT DISTINCT checkpoint_id FROM pull_rows WHERE class = 'new' AND checkpoint_id IS NOT NULL;
"""
# Per received load: rows of the office's regions, new ones, duplicates, conflicts.
LOAD_COUNTS = """
SELECT p.wh_load_id, p.new_load_id, count(r.engagement_id), count(*) FILTER (WHERE r.class = 'new'),
       count(*) FILTER (WHERE r.class = 'duplicate'), count(*) FILTER (WHERE r.class = 'conflict')
FROM pull_loads p LEFT JOIN pull_rows r ON r.wh_load_id = p.wh_load_id
GROUP BY ALL ORDER BY p.new_load_id
"""

# What each side holds for one engagement: the values a person compares (no names, no notes).
_VERSION = ("json_object('source_engagement_id', {e}.source_engagement_id, 'engagement_date', {e}.engagement_date, "
            "'outcome', {e}.outcome, 'counterpart_id', {e}.counterpart_id, 'checkpoint_id', {e}.checkpoint_id, "
            "'resolution_date', {e}.resolution_date, 'people_reached', {e}.people_reached, "
            "'load', {l}.file_name, 'load_id', {e}.load_id)")
ENGAGEMENT_CONFLICTS = f"""
INSERT INTO sync_conflicts
SELECT 'engagement', o.engagement_id, o.iso3, o.region, {_VERSION.format(e='o', l='ol')},
       {_VERSION.format(e='h', l='hl')}, $warehouse, now()
FROM pull_rows p JOIN engagements o ON o.engagement_id = p.engagement_id
JOIN hq_engagements h ON h.engagement_id = p.engagement_id
LEFT JOIN loads ol ON ol.load_id = o.load_id LEFT JOIN hq_loads hl ON hl.load_id = h.load_id
WHERE p.class = 'conflict'
  AND NOT EXISTS (SELECT 1 FROM sync_conflicts s WHERE s.kind = 'engagement' AND s.subject = o.engagement_id
                  AND s.warehouse_version::VARCHAR = ({_VERSION.format(e='h', l='hl')})::VARCHAR)
"""  # noqa: S608 - constants

# The same request (country, organisation and the logged request id) with other attributes at the warehouse than
# here: each side's request row comes from the first engagement that named it there.
_REQUEST = ("json_object('source_request_id', {r}.source_request_id, 'organisation', {r}.organisation, "
            "'activity', {r}.activity, 'requested_date', {r}.requested_date, 'admin1_pcode', {r}.admin1_pcode, "
            "'people_targeted', {r}.people_targeted, 'priority', {r}.priority, 'load_id', {r}.load_id)")
REQUEST_CONFLICTS = f"""
INSERT INTO sync_conflicts
SELECT 'request', o.request_id, o.iso3, (SELECT region FROM countries c WHERE c.iso3 = o.iso3),
       {_REQUEST.format(r='o')}, {_REQUEST.format(r='h')}, $warehouse, now()
FROM access_requests o JOIN hq_requests h ON h.request_id = o.request_id
WHERE h.request_id IN (SELECT request_id FROM pull_rows WHERE class = 'new')
  AND (o.activity, o.requested_date, o.admin1_pcode, o.people_targeted, o.priority)
      IS DISTINCT FROM (h.activity, h.requested_date, h.admin1_pcode, h.people_targeted, h.priority)
  AND NOT EXISTS (SELECT 1 FROM sync_conflicts s WHERE s.kind = 'request' AND s.subject = o.request_id
                  AND s.warehouse = $warehouse)
"""  # noqa: S608 - constants

NEXT_DECISION = "SELECT coalesce(max(decision_id), 0) + 1 FROM counterpart_decisions"
CONFLICT_KEYS = "SELECT kind, subject FROM sync_conflicts ORDER BY found_at, kind, subject"
INSERT_DECISION = "INSERT INTO counterpart_decisions ({columns}) VALUES ({marks})"
RECEIVED_DECISIONS = "SELECT decision_id, warehouse_decision_id FROM sync_decisions WHERE warehouse = ?"
RECORD_RECEIVED = "INSERT INTO sync_decisions VALUES (?, ?, ?, now())"
DECISION_CONFLICT = """
INSERT INTO sync_conflicts
SELECT 'counterpart_decision', $subject, $iso3, (SELECT region FROM countries WHERE iso3 = $iso3), $office, $theirs,
       $warehouse, now()
WHERE NOT EXISTS (SELECT 1 FROM sync_conflicts WHERE kind = 'counterpart_decision' AND subject = $subject
                  AND warehouse = $warehouse)
"""
# A decision of headquarters the office has now taken (its own was undone): no longer a conflict.
CONFLICT_SETTLED = "DELETE FROM sync_conflicts WHERE kind = 'counterpart_decision' AND subject = ? AND warehouse = ?"

LIST_CONFLICTS = """
SELECT kind, subject, iso3, region, office_version::VARCHAR, warehouse_version::VARCHAR, warehouse, found_at
FROM sync_conflicts WHERE $regions IS NULL OR list_contains($regions, region)
ORDER BY found_at, kind, subject
"""

# ----------------------------------------------------------------------------------- boundaries (pull_boundaries.py)

# The office's boundary layers, the file each came from and whether it was received (and from where).
OFFICE_LAYERS = """
SELECT b.iso3, b.level, l.content_sha256, l.pulled_from, b.source, b.load_id, b.areas, l.started_at::VARCHAR
FROM boundary_layers b LEFT JOIN loads l ON l.load_id = b.load_id
"""
# Headquarters' boundary layers of the office's regions' countries, with the load that stored each.
_LAYER = ("b.iso3, b.level, b.source, b.fields, b.features, b.areas, b.matched_pcode, b.matched_exact, "
          "b.matched_normalised, b.matched_fuzzy, b.unmatched::VARCHAR AS unmatched")
WH_LAYERS = f"""
SELECT {_LAYER}, l.content_sha256, l.file_name, l.source_path, l.file_bytes, l.file_format,
       l.column_mapping::VARCHAR AS column_mapping, l.ignored_columns::VARCHAR AS ignored_columns, l.started_at,
       l.rows_read, l.rows_loaded, l.rows_rejected, l.rows_duplicate
FROM boundary_layers b JOIN loads l ON l.load_id = b.load_id
WHERE b.iso3 IN (SELECT iso3 FROM countries WHERE list_contains($regions, region))
ORDER BY b.iso3, b.level
"""  # noqa: S608 - constants
# The areas of the layers being received ($wanted: 'ISO3:level', with 'ISO3:0' for a level-1 layer's outline).
WH_LAYER_AREAS = """
SELECT a.pcode, a.name, a.level, a.parent_pcode, a.iso3, a.region, a.geometry, a.centroid_lat, a.centroid_lon, a.source
FROM admin_areas a
WHERE a.iso3 IN (SELECT iso3 FROM countries WHERE list_contains($regions, region))
  AND list_contains($wanted, a.iso3 || ':' || a.level::VARCHAR)
"""
BOUNDARY_CONFLICT = """
INSERT INTO sync_conflicts
SELECT 'boundaries', $subject, $iso3, (SELECT region FROM countries WHERE iso3 = $iso3), $office, $theirs,
       $warehouse, now()
WHERE NOT EXISTS (SELECT 1 FROM sync_conflicts WHERE kind = 'boundaries' AND subject = $subject
                  AND warehouse = $warehouse AND warehouse_version::VARCHAR = $theirs::JSON::VARCHAR)
"""
# The office now holds headquarters' layer (received, or loaded from the same file): no longer a conflict.
BOUNDARY_SETTLED = "DELETE FROM sync_conflicts WHERE kind = 'boundaries' AND subject = ? AND warehouse = ?"
