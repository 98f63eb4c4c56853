"""SQL for the conflict-event feeds (see :mod:`etl.feeds.conflict_load`).

Values from files never enter SQL text: the normalised rows arrive as the registered frames
``conflict_rows`` (ACLED events) and ``count_rows`` (HDX HAPI counts); the load id is a bound
parameter.
"""

from __future__ import annotations

# ----------------------------------------------------------------------------- ACLED events
# Same event id: unchanged ('same'), corrected by a newer export ('changed', replaced) or new.
EVENT_STATE = """
CREATE OR REPLACE TEMP TABLE conflict_state AS
SELECT f.event_id,
       CASE WHEN e.event_id IS NULL THEN 'new' WHEN e.row_hash = f.row_hash THEN 'same' ELSE 'changed' END AS state
FROM conflict_rows f
LEFT JOIN conflict_events e ON e.event_id = f.event_id
"""

DELETE_CHANGED_EVENTS = """
DELETE FROM conflict_events WHERE event_id IN (SELECT event_id FROM conflict_state WHERE state = 'changed')
"""

INSERT_EVENTS = """
INSERT INTO conflict_events BY NAME
SELECT f.* EXCLUDE (event_date), CAST(f.event_date AS DATE) AS event_date, $load_id AS load_id
FROM conflict_rows f
JOIN conflict_state s USING (event_id)
WHERE s.state <> 'same'
"""

EVENT_STATE_COUNTS = "SELECT state, count(*) FROM conflict_state GROUP BY 1"

# ------------------------------------------------------------------------------ HAPI counts
# One row per (source, country, level, admin-1, admin-2, event type, month); an area is known by
# its P-code, else by its name. A newer file's row with the same key replaces the older one.
COUNT_STATE = """
CREATE OR REPLACE TEMP TABLE count_state AS
WITH f AS (
    -- a column of the frame with only NULLs arrives untyped: every column gets its table's type
    SELECT * REPLACE (CAST(admin_level AS TINYINT) AS admin_level, CAST(month AS DATE) AS month,
                      CAST(period_end AS DATE) AS period_end, CAST(admin1_pcode AS VARCHAR) AS admin1_pcode,
                      CAST(admin1_name AS VARCHAR) AS admin1_name, CAST(admin2_pcode AS VARCHAR) AS admin2_pcode,
                      CAST(admin2_name AS VARCHAR) AS admin2_name, CAST(events AS INTEGER) AS events,
                      CAST(fatalities AS INTEGER) AS fatalities)
    FROM count_rows
), o AS (
    SELECT source, iso3, admin_level, coalesce(admin1_pcode, admin1_name, '') AS a1,
           coalesce(admin2_pcode, admin2_name, '') AS a2, event_type, month, any_value(row_hash) AS row_hash
    FROM conflict_event_counts GROUP BY ALL
)
SELECT f.*,
       CASE WHEN o.row_hash IS NULL THEN 'new' WHEN o.row_hash = f.row_hash THEN 'same' ELSE 'changed' END AS state
FROM f
LEFT JOIN o ON o.source = f.source AND o.iso3 = f.iso3 AND o.admin_level = f.admin_level
 AND o.a1 = coalesce(f.admin1_pcode, f.admin1_name, '') AND o.a2 = coalesce(f.admin2_pcode, f.admin2_name, '')
 AND o.event_type = f.event_type AND o.month = f.month
"""

DELETE_CHANGED_COUNTS = """
DELETE FROM conflict_event_counts
WHERE (source, iso3, admin_level, coalesce(admin1_pcode, admin1_name, ''), coalesce(admin2_pcode, admin2_name, ''),
       event_type, month)
   IN (SELECT (source, iso3, admin_level, coalesce(admin1_pcode, admin1_name, ''),
               coalesce(admin2_pcode, admin2_name, ''), event_type, month)
       FROM count_state WHERE state = 'changed')
"""

INSERT_COUNTS = """
INSERT INTO conflict_event_counts BY NAME
SELECT * EXCLUDE (state), $load_id AS load_id FROM count_state WHERE state <> 'same'
"""

COUNT_STATE_COUNTS = "SELECT state, count(*) FROM count_state GROUP BY 1"

# ------------------------------------------------------------------------------ placing
ADMIN1_AREAS = "SELECT pcode, name, iso3 FROM admin_areas WHERE level = 1"

# Admin-1 P-codes the database knows (the map's areas and the loaded gazetteer), by country.
KNOWN_ADMIN1_PCODES = """
SELECT iso3, upper(pcode) FROM admin_areas WHERE level = 1
UNION
SELECT iso3, upper(pcode) FROM pcodes WHERE admin_level = 1
"""
