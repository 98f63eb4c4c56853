"""All the dashboard's SQL, in one place. Values are always bound parameters."""

TOTALS = """
SELECT (SELECT count(*) FROM engagements) AS engagements,
       (SELECT count(*) FROM access_requests) AS requests,
       (SELECT count(*) FROM counterparts) AS counterparts,
       (SELECT count(*) FROM checkpoints) AS checkpoints,
       (SELECT avg((outcome IN ('granted', 'granted_with_conditions', 'partially_granted'))::INTEGER)
        FROM engagements) AS share_granted
"""

OUTCOMES_BY_REGION = """
SELECT coalesce(region, 'Unassigned') AS "Region", count(*) AS "Engagements",
       round(100 * avg((outcome IN ('granted', 'granted_with_conditions', 'partially_granted'))::INTEGER), 1)
           AS "% granted",
       round(100 * avg((outcome = 'denied')::INTEGER), 1) AS "% denied",
       min(engagement_date) AS "From", max(engagement_date) AS "To"
FROM engagements GROUP BY ALL ORDER BY 1
"""

RECENT_LOADS = """
SELECT load_id AS "Load", file_name AS "File", status AS "Status", rows_read AS "Read",
       rows_loaded AS "Loaded", rows_rejected AS "Rejected", rows_duplicate AS "Duplicates",
       finished_at AS "Finished (UTC)"
FROM loads ORDER BY load_id DESC LIMIT 20
"""
