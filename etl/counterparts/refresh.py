"""What is known about a counterpart and a checkpoint, recomputed from the engagements after a change.

A load or a decision fills the temp tables ``touched_counterparts`` and ``touched_checkpoints``
(``etl.logs.sql.TOUCHED``); these statements then refresh only those rows: when a counterpart was first
and last met and how often, and who controls each checkpoint.
"""

REFRESH_COUNTERPARTS = """
UPDATE counterparts c SET first_seen = s.f, last_seen = s.l, engagements = s.n
FROM (SELECT counterpart_id, min(engagement_date) AS f, max(engagement_date) AS l, count(*) AS n
      FROM engagements WHERE counterpart_id IN (SELECT counterpart_id FROM touched_counterparts)
      GROUP BY counterpart_id) s
WHERE c.counterpart_id = s.counterpart_id
"""

# The controlling counterpart of a checkpoint: the armed or de facto actor met there most often
# (any counterpart when no armed actor was ever met there); on a tie, the one met last, then the
# greatest id, so that the same data always names the same controller.
REFRESH_CHECKPOINTS = """
UPDATE checkpoints ck SET controlling_counterpart_id = s.cp
FROM (SELECT checkpoint_id, arg_max(counterpart_id, (score, last_met, counterpart_id)) AS cp
      FROM (SELECT e.checkpoint_id, e.counterpart_id, max(e.engagement_date) AS last_met,
                   count(*) + 1000000 * any_value(c.counterpart_type IN ('state_armed_forces', 'nsag', 'militia',
                                                   'police', 'de_facto_authority'))::INTEGER AS score
            FROM engagements e JOIN counterparts c USING (counterpart_id)
            WHERE e.checkpoint_id IN (SELECT checkpoint_id FROM touched_checkpoints)
            GROUP BY e.checkpoint_id, e.counterpart_id)
      GROUP BY checkpoint_id) s
WHERE ck.checkpoint_id = s.checkpoint_id
"""
