"""SQL for the incident feeds (see :mod:`etl.feeds.load`): insert, decode, and mark duplicates.

Values from files never enter SQL text: the normalised rows arrive as the registered frame
``feed_rows`` (and small ``map_*`` temp tables); settings are bound parameters (``$name``).
"""

from __future__ import annotations

# Rows of this file already in the database unchanged, and rows the publisher has changed
# since (same incident id, other content): a newer export of a feed supersedes the older one.
FEED_ROW_STATE = """
CREATE OR REPLACE TEMP TABLE feed_state AS
SELECT f.incident_id,
       CASE WHEN i.incident_id IS NULL THEN 'new' WHEN i.row_hash = f.row_hash THEN 'same' ELSE 'changed' END AS state
FROM feed_rows f
LEFT JOIN incidents i ON i.incident_id = f.incident_id
"""

DELETE_CHANGED = """
DELETE FROM incidents WHERE incident_id IN (SELECT incident_id FROM feed_state WHERE state = 'changed')
"""

INSERT_INCIDENTS = """
INSERT INTO incidents BY NAME
SELECT f.* EXCLUDE (incident_date), CAST(f.incident_date AS DATE) AS incident_date,
       CAST(NULL AS VARCHAR) AS duplicate_of, CAST(NULL AS VARCHAR) AS duplicate_rule,
       $load_id AS load_id
FROM feed_rows f
JOIN feed_state s USING (incident_id)
WHERE s.state <> 'same'
"""

FEED_STATE_COUNTS = "SELECT state, count(*) FROM feed_state GROUP BY 1"

INSERT_REJECTED = """
INSERT INTO rejected_rows (load_id, source_file, sheet, row_number, column_name, value, reason_code, reason, raw_row)
SELECT $load_id, $file, sheet, row_number, column_name, value, reason_code, reason, CAST(raw_row AS JSON)
FROM feed_problems
"""

# Codebook: new or changed codes replace the old entry; identical ones are left alone.
CODE_STATE = """
CREATE OR REPLACE TEMP TABLE code_state AS
SELECT f.code_list, f.code, f.label,
       CASE WHEN c.code IS NULL THEN 'new' WHEN c.label = f.label THEN 'same' ELSE 'changed' END AS state
FROM feed_codes f
LEFT JOIN incident_codes c ON c.code_list = f.code_list AND c.code = f.code
"""

DELETE_CHANGED_CODES = """
DELETE FROM incident_codes
WHERE (code_list, code) IN (SELECT (code_list, code) FROM code_state WHERE state = 'changed')
"""

INSERT_CODES = """
INSERT INTO incident_codes (code_list, code, label, load_id)
SELECT code_list, code, label, $load_id FROM code_state WHERE state <> 'same'
"""

CODE_STATE_COUNTS = "SELECT state, count(*) FROM code_state GROUP BY 1"

# 2016 snapshot rows still holding raw codes, by distinct code triple (few), for decoding in Python.
UNDECODED_CODES = """
SELECT DISTINCT means_code, context_code, location_code
FROM incidents WHERE NOT codes_decoded
"""

CODEBOOK = "SELECT code_list, upper(trim(code)), trim(label) FROM incident_codes"

APPLY_DECODED = """
UPDATE incidents AS i
SET means_of_attack = m.means_of_attack, attack_context = m.attack_context, location_type = m.location_type,
    category = m.category, codes_decoded = m.codes_decoded
FROM map_decoded m
WHERE NOT i.codes_decoded
  AND i.means_code IS NOT DISTINCT FROM m.means_code
  AND i.context_code IS NOT DISTINCT FROM m.context_code
  AND i.location_code IS NOT DISTINCT FROM m.location_code
"""

COUNT_UNDECODED = "SELECT count(*) FROM incidents WHERE NOT codes_decoded"

# ------------------------------------------------------------------------------ de-duplication
# Recomputed over the whole table after every feed load, so the result does not depend on the
# order the files were loaded in. Kept rows: the AWSD current export, then the 2016 snapshot,
# then Insecurity Insight. Count unique incidents with ``WHERE duplicate_of IS NULL``.

RESET_DUPLICATES = """
UPDATE incidents SET duplicate_of = NULL, duplicate_rule = NULL WHERE duplicate_of IS NOT NULL
"""

# The 2016 snapshot and the current export share AWSD's own incident ids (2,085 of 2,088): the
# same id in the same country is the same incident, even where AWSD has since corrected a date
# or a count. AWSD once reused an id for two incidents: the nearest date wins.
MARK_SAME_AWSD_ID = """
UPDATE incidents AS s
SET duplicate_of = m.kept, duplicate_rule = 'same_awsd_id'
FROM (
    SELECT o.incident_id AS dup, c.incident_id AS kept
    FROM incidents o
    JOIN incidents c ON c.feed = 'awsd' AND c.source_id = o.source_id AND c.iso3 = o.iso3
    WHERE o.feed = 'awsd_2016'
    QUALIFY row_number() OVER (PARTITION BY o.incident_id
                               ORDER BY abs(c.incident_date - o.incident_date), c.incident_id) = 1
) m
WHERE s.incident_id = m.dup
"""


# Insecurity Insight publishes one event in each dataset file it concerns (a health worker of an aid
# agency killed: the aid-worker and the health-care files) under one SiND Event ID. The row of the
# family listed first in $datasets (etl.feeds.sind.DATASETS: aid workers first) is counted; the others
# point at it. Rows of one family sharing an id (two occurrences in one file) are left alone.
MARK_SAME_SIND_ID = """
UPDATE incidents AS s
SET duplicate_of = m.kept, duplicate_rule = 'same_sind_id'
FROM (
    SELECT o.incident_id AS dup, c.incident_id AS kept
    FROM incidents o
    JOIN incidents c ON c.source = 'insecurity_insight' AND c.source_id = o.source_id
     AND coalesce(list_position($datasets, c.dataset), 99) < coalesce(list_position($datasets, o.dataset), 99)
    WHERE o.source = 'insecurity_insight'
    QUALIFY row_number() OVER (PARTITION BY o.incident_id
                               ORDER BY coalesce(list_position($datasets, c.dataset), 99),
                                        abs(c.incident_date - o.incident_date), c.incident_id) = 1
) m
WHERE s.incident_id = m.dup
"""

# Insecurity Insight vs AWSD (2020-2023 overlap). Only Insecurity Insight's aid-worker rows: the other
# families count other people (students, camp residents), whose figures must not pair with AWSD's. Conservative: same country; dates within
# $max_days days, both known to the day (Insecurity Insight's 'within 2-6 days' counts as week
# and may match too); the same four casualty figures, at least one person affected; and the same
# admin-1 area, by P-code or by name (the two publishers' points are often in neighbouring areas
# when one geocodes to an area's centre; the names still agree). Each incident pairs
# with at most one other: pairs are kept only when each is the other's nearest candidate.
MARK_CROSS_SOURCE = r"""
UPDATE incidents AS t
SET duplicate_of = m.kept, duplicate_rule = 'cross_source_match'
FROM (
    WITH a AS (SELECT * FROM incidents WHERE source = 'awsd' AND duplicate_of IS NULL AND date_precision = 'day'),
    b AS (SELECT * FROM incidents WHERE source = 'insecurity_insight' AND date_precision IN ('day', 'week')
          AND duplicate_of IS NULL AND dataset = 'aid_workers'),
    pairs AS (
        SELECT a.incident_id AS kept, b.incident_id AS dup, abs(a.incident_date - b.incident_date) AS gap
        FROM a JOIN b ON a.iso3 = b.iso3
         AND b.incident_date BETWEEN a.incident_date - CAST($max_days AS INTEGER)
                                 AND a.incident_date + CAST($max_days AS INTEGER)
         AND coalesce(a.killed, 0) = coalesce(b.killed, 0)
         AND coalesce(a.injured, 0) = coalesce(b.injured, 0)
         AND coalesce(a.kidnapped, 0) = coalesce(b.kidnapped, 0)
         AND coalesce(a.detained, 0) = coalesce(b.detained, 0)
         AND coalesce(a.killed, 0) + coalesce(a.injured, 0) + coalesce(a.kidnapped, 0) + coalesce(a.detained, 0) > 0
         AND (a.admin1_pcode = b.admin1_pcode
              -- admin-1 names without the words publishers differ on ("Idlib Governorate" = "Idlib")
              OR regexp_replace(regexp_replace(lower(strip_accents(a.admin1_name)), '\b(governorate|state|province|region|oblast|county|district|division|prefecture|wilayat)\b', '', 'g'), '[^a-z0-9]', '', 'g')
               = regexp_replace(regexp_replace(lower(strip_accents(b.admin1_name)), '\b(governorate|state|province|region|oblast|county|district|division|prefecture|wilayat)\b', '', 'g'), '[^a-z0-9]', '', 'g'))
    ),
    ranked AS (
        SELECT *, row_number() OVER (PARTITION BY dup ORDER BY gap, kept) AS r_dup,
                  row_number() OVER (PARTITION BY kept ORDER BY gap, dup) AS r_kept
        FROM pairs
    )
    SELECT kept, dup FROM ranked WHERE r_dup = 1 AND r_kept = 1
) m
WHERE t.incident_id = m.dup
"""

DUPLICATE_COUNTS = "SELECT duplicate_rule, count(*) FROM incidents WHERE duplicate_of IS NOT NULL GROUP BY 1"
