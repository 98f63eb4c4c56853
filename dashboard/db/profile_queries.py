"""The counterpart lookup's SQL: search by any spelling, one counterpart's profile and history, the
public incidents and conflict events naming it, and what the printable brief shows. Every aggregate is computed in DuckDB.

Each statement takes the counterpart id as a bound parameter and reads the user's scoped views
(``counterpart_profiles`` holds only the counterparts whose names the user sees in clear).
"""

from __future__ import annotations

import datetime as dt

from dashboard.db.outcomes import IS_DENIED, IS_GRANTED, Query

# Incidents whose perpetrator is this counterpart: same country and the same name key, or the key of
# a counterpart merged into it (``counterpart_decisions``).
PROFILE_INCIDENTS = """
WITH me AS (SELECT counterpart_id, iso3, name_key FROM counterparts WHERE counterpart_id = ?)
SELECT i.incident_date AS date, i.date_precision, coalesce(a.name, i.admin1_name) AS area, i.place,
       coalesce(v.label, i.perpetrator_type) AS perpetrator_type, i.perpetrator_name, i.means_of_attack,
       i.killed, i.injured, i.kidnapped, i.detained, i.source, i.source_id
FROM incidents i JOIN me ON i.iso3 = me.iso3
LEFT JOIN admin_areas a ON a.pcode = i.admin1_pcode
LEFT JOIN vocabulary v ON v.vocabulary = 'perpetrator_type' AND v.code = i.perpetrator_type
WHERE i.duplicate_of IS NULL AND i.perpetrator_key IS NOT NULL
  AND i.perpetrator_key IN (SELECT me.name_key UNION SELECT d.name_key_b FROM counterpart_decisions d
                            WHERE d.action = 'merge' AND d.active AND d.result_id = me.counterpart_id)
ORDER BY i.incident_date DESC LIMIT 500
"""

# Conflict events (ACLED) naming this counterpart as an actor: same country and actor1's or actor2's name key
# is the counterpart's, or the key of a counterpart merged into it (as incidents above). Each event once.
PROFILE_CONFLICT_EVENTS = """
WITH me AS (SELECT counterpart_id, iso3, name_key FROM counterparts WHERE counterpart_id = ?),
keys AS (SELECT me.name_key AS name_key FROM me UNION
         SELECT d.name_key_b FROM counterpart_decisions d JOIN me ON d.result_id = me.counterpart_id
         WHERE d.action = 'merge' AND d.active)
SELECT c.event_date AS date, c.date_precision, c.event_type, c.sub_event_type,
       coalesce(a.name, c.admin1_name) AS area, c.location, c.actor1, c.actor2, c.fatalities, c.notes,
       c.source_name AS reported_by, c.source_id
FROM conflict_events c JOIN me ON c.iso3 = me.iso3
LEFT JOIN admin_areas a ON a.pcode = c.admin1_pcode
WHERE c.actor1_key IN (SELECT name_key FROM keys) OR c.actor2_key IN (SELECT name_key FROM keys)
ORDER BY c.event_date DESC, c.event_id LIMIT ?
"""
# A profile lists this many conflict events at most (the latest).
CONFLICT_EVENT_ROWS = 500


# ---------------------------------------------------------------------------- Counterpart lookup

SEARCH_INDEX = """
SELECT c.counterpart_id, c.name, c.iso3, coalesce(co.name, c.iso3) AS country, c.region,
       coalesce(v.label, 'Unknown type') AS counterpart_type, c.engagements, a.alias
FROM counterparts c JOIN counterpart_aliases a USING (counterpart_id)
LEFT JOIN countries co ON co.iso3 = c.iso3
LEFT JOIN vocabulary v ON v.vocabulary = 'counterpart_type' AND v.code = c.counterpart_type
ORDER BY c.engagements DESC, c.counterpart_id, a.times_seen DESC
"""

PROFILE = """
SELECT c.counterpart_id, c.name, coalesce(v.label, 'Unknown type') AS counterpart_type, c.affiliation,
       coalesce(l.label, 'Unknown level') AS level, c.iso3, co.name AS country, c.region, c.first_seen, c.last_seen,
       c.engagements
FROM counterpart_profiles c  -- only counterparts the user sees in clear (dashboard/db/scope.py)
LEFT JOIN countries co ON co.iso3 = c.iso3
LEFT JOIN vocabulary v ON v.vocabulary = 'counterpart_type' AND v.code = c.counterpart_type
LEFT JOIN vocabulary l ON l.vocabulary = 'counterpart_level' AND l.code = c.level
WHERE c.counterpart_id = ?
"""

# Where a counterpart id went when it was merged into another (links shared before the merge still open).
MERGED_INTO = """
SELECT result_id FROM counterpart_decisions
WHERE action = 'merge' AND active AND counterpart_id_b = ? ORDER BY decision_id DESC LIMIT 1
"""

PROFILE_ALIASES = "SELECT alias, times_seen FROM counterpart_aliases WHERE counterpart_id = ? ORDER BY times_seen DESC"

PROFILE_PLACES = f"""
SELECT coalesce(k.name, '(no checkpoint)') AS checkpoint, a.name AS area, count(*) AS engagements,
       avg({IS_GRANTED}) AS share_granted, max(e.engagement_date) AS last_engagement
FROM engagements e LEFT JOIN checkpoints k ON k.checkpoint_id = e.checkpoint_id
LEFT JOIN admin_areas a ON a.pcode = e.admin1_pcode
WHERE e.counterpart_id = ? GROUP BY ALL ORDER BY engagements DESC
"""

PROFILE_TIMELINE = """
SELECT e.engagement_date AS date, va.label AS activity, vo.label AS outcome,
       (SELECT string_agg(v.label, '; ' ORDER BY v.label) FROM engagement_conditions x
        JOIN vocabulary v ON v.vocabulary = 'condition' AND v.code = x.condition
        WHERE x.engagement_key = e.engagement_key) AS conditions,
       (SELECT string_agg(DISTINCT x.raw_label, '; ') FROM engagement_obstacles x
        WHERE x.engagement_key = e.engagement_key) AS obstacles,
       vc.label AS channel, e.intermediary, k.name AS checkpoint, e.location, e.organisation,
       e.days_to_resolution, e.follow_up_due, e.notes
FROM engagements e
LEFT JOIN checkpoints k ON k.checkpoint_id = e.checkpoint_id
LEFT JOIN vocabulary va ON va.vocabulary = 'activity' AND va.code = e.activity
LEFT JOIN vocabulary vo ON vo.vocabulary = 'outcome' AND vo.code = e.outcome
LEFT JOIN vocabulary vc ON vc.vocabulary = 'channel' AND vc.code = e.channel
WHERE e.counterpart_id = ? ORDER BY e.engagement_date DESC, e.engagement_id LIMIT ?
"""
# A profile shows (and briefs) the latest engagements; the whole history is fetched only when asked for.
TIMELINE_ROWS = 1_000
WHOLE_HISTORY = 100_000_000

PROFILE_OUTCOMES_BY_QUARTER = """
SELECT date_trunc('quarter', engagement_date)::DATE AS quarter, outcome, count(*) AS engagements
FROM engagements WHERE counterpart_id = ? GROUP BY ALL ORDER BY quarter
"""

PROFILE_PEERS = f"""
WITH me AS (SELECT counterpart_type, region FROM counterparts WHERE counterpart_id = ?)
SELECT CASE WHEN e.counterpart_id = ? THEN 'This counterpart' ELSE 'Peers: same type, same region' END AS who,
       count(DISTINCT e.counterpart_id) AS counterparts, count(*) AS engagements,
       avg({IS_GRANTED}) AS share_granted, avg({IS_DENIED}) AS share_denied,
       avg((e.outcome = 'granted_with_conditions')::INTEGER) AS share_with_conditions,
       median(e.days_to_resolution) AS median_days
FROM engagements e JOIN counterparts c USING (counterpart_id), me
WHERE c.counterpart_type IS NOT DISTINCT FROM me.counterpart_type AND c.region IS NOT DISTINCT FROM me.region
GROUP BY 1 ORDER BY 1 DESC
"""

PROFILE_CHANNELS = f"""
SELECT coalesce(v.label, 'Not recorded') AS channel, count(*) AS engagements, avg({IS_GRANTED}) AS share_granted
FROM engagements e LEFT JOIN vocabulary v ON v.vocabulary = 'channel' AND v.code = e.channel
WHERE e.counterpart_id = ? GROUP BY 1 ORDER BY engagements DESC
"""

PROFILE_INTERMEDIARIES = f"""
SELECT e.intermediary, count(*) AS engagements, sum({IS_GRANTED}) AS granted, avg({IS_GRANTED}) AS share_granted
FROM engagements e WHERE e.counterpart_id = ? AND e.intermediary IS NOT NULL
GROUP BY 1 ORDER BY granted DESC, engagements DESC
"""

PROFILE_RELATED = """
WITH me AS (SELECT * FROM counterparts WHERE counterpart_id = ?),
my_checkpoints AS (SELECT DISTINCT checkpoint_id FROM engagements
                   WHERE counterpart_id = (SELECT counterpart_id FROM me) AND checkpoint_id IS NOT NULL),
shared AS (SELECT e.counterpart_id, count(DISTINCT e.checkpoint_id) AS shared_checkpoints
           FROM engagements e SEMI JOIN my_checkpoints k ON k.checkpoint_id = e.checkpoint_id
           WHERE e.counterpart_id <> (SELECT counterpart_id FROM me)
           GROUP BY 1)
SELECT c.counterpart_id, c.name, coalesce(v.label, 'Unknown type') AS counterpart_type, c.affiliation,
       coalesce(s.shared_checkpoints, 0) AS shared_checkpoints,
       (c.affiliation IS NOT NULL AND c.affiliation = (SELECT affiliation FROM me)) AS same_affiliation,
       c.engagements
FROM counterparts c LEFT JOIN shared s USING (counterpart_id)
LEFT JOIN vocabulary v ON v.vocabulary = 'counterpart_type' AND v.code = c.counterpart_type
WHERE c.counterpart_id <> (SELECT counterpart_id FROM me) AND c.iso3 = (SELECT iso3 FROM me)
  AND (s.shared_checkpoints IS NOT NULL OR (c.affiliation IS NOT NULL AND c.affiliation = (SELECT affiliation FROM me)))
ORDER BY same_affiliation DESC, shared_checkpoints DESC, c.engagements DESC LIMIT 15
"""

PROFILE_REVIEW = """
SELECT CASE WHEN r.counterpart_id_a = ? THEN b.name ELSE a.name END AS similar_name,
       CASE WHEN r.counterpart_id_a = ? THEN r.counterpart_id_b ELSE r.counterpart_id_a END AS counterpart_id,
       r.similarity, r.status
FROM counterpart_review r JOIN counterparts a ON a.counterpart_id = r.counterpart_id_a
JOIN counterparts b ON b.counterpart_id = r.counterpart_id_b
WHERE ? IN (r.counterpart_id_a, r.counterpart_id_b)
"""


PROFILE_CONDITIONS = """
SELECT v.label AS condition, count(DISTINCT e.engagement_key) AS engagements,
       count(DISTINCT e.engagement_key) / (SELECT count(*) FROM engagements WHERE counterpart_id = ?)
           AS share_of_engagements,
       max(e.engagement_date) AS last_demanded
FROM engagements e JOIN engagement_conditions x ON x.engagement_key = e.engagement_key
JOIN vocabulary v ON v.vocabulary = 'condition' AND v.code = x.condition
WHERE e.counterpart_id = ? GROUP BY 1 ORDER BY engagements DESC, condition
"""


def profile_follow_ups(counterpart_id: str, today: dt.date, overdue_days: int = 60) -> Query:
    """Follow-ups still open with a counterpart: ``Due`` from ``today`` on (soonest first), then ``Overdue``:
    due in the last ``overdue_days`` with no later engagement on the same request."""
    return """
    SELECT e.follow_up_due,
           CASE WHEN e.follow_up_due >= ? THEN 'Due' ELSE 'Overdue' END AS status,
           e.engagement_date AS date, va.label AS activity, vo.label AS outcome, k.name AS checkpoint,
           e.organisation, e.notes
    FROM engagements e
    LEFT JOIN checkpoints k ON k.checkpoint_id = e.checkpoint_id
    LEFT JOIN vocabulary va ON va.vocabulary = 'activity' AND va.code = e.activity
    LEFT JOIN vocabulary vo ON vo.vocabulary = 'outcome' AND vo.code = e.outcome
    WHERE e.counterpart_id = ? AND e.follow_up_due >= ?
      AND (e.follow_up_due >= ? OR NOT EXISTS (SELECT 1 FROM engagements l WHERE l.request_id = e.request_id
                                               AND l.engagement_date > e.engagement_date))
    ORDER BY status, e.follow_up_due, e.engagement_date
    """, [today, counterpart_id, today - dt.timedelta(days=overdue_days), today]
