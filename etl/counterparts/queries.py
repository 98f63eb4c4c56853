"""Reading counterparts and decisions, for the CLI (``etl counterparts``) and the Data page: SQL only."""

from __future__ import annotations

from etl.counterparts.names import name_key

# Counterparts with their spellings. $1 country (or NULL), $2 search text (or NULL), $3 its name
# key, $4 how many.
LIST = """
SELECT c.counterpart_id, c.name, coalesce(v.label, c.counterpart_type) AS counterpart_type, c.iso3,
       c.engagements, a.aliases
FROM counterparts c
LEFT JOIN vocabulary v ON v.vocabulary = 'counterpart_type' AND v.code = c.counterpart_type
LEFT JOIN (SELECT counterpart_id, string_agg(alias, ' | ' ORDER BY times_seen DESC, alias) AS aliases
           FROM counterpart_aliases GROUP BY counterpart_id) a USING (counterpart_id)
WHERE ($1::VARCHAR IS NULL OR c.iso3 = upper($1::VARCHAR))
  AND ($2::VARCHAR IS NULL OR c.counterpart_id = upper(trim($2::VARCHAR))
       OR contains(lower(a.aliases), lower(trim($2::VARCHAR))) OR contains(c.name_key, $3::VARCHAR))
ORDER BY c.engagements DESC, c.name
LIMIT $4
"""


def list_params(country: str | None = None, search: str | None = None, limit: int = 200) -> list[object]:
    """Bound parameters of :data:`LIST`."""
    text = (search or "").strip() or None
    return [(country or "").strip() or None, text, name_key(text) if text else None, limit]


# Doubtful pairs still waiting for a person, shown by where both sides are now (merges followed).
REVIEW = """
WITH RECURSIVE merged(src, dst) AS (
    SELECT counterpart_id_b, counterpart_id_a FROM counterpart_decisions WHERE action = 'merge' AND active),
walk(start_id, id, depth) AS (
    SELECT src, dst, 1 FROM merged
    UNION ALL
    SELECT w.start_id, m.dst, w.depth + 1 FROM walk w JOIN merged m ON m.src = w.id WHERE w.depth < 100),
final AS (SELECT start_id, arg_max(id, depth) AS id FROM walk GROUP BY start_id),
pairs AS (
    SELECT r.iso3, coalesce(fa.id, r.counterpart_id_a) AS id_a, coalesce(fb.id, r.counterpart_id_b) AS id_b,
           r.similarity
    FROM counterpart_review r
    LEFT JOIN final fa ON fa.start_id = r.counterpart_id_a LEFT JOIN final fb ON fb.start_id = r.counterpart_id_b
    WHERE r.status = 'pending')
SELECT p.iso3, p.id_a AS counterpart_id_a, a.name AS name_a, a.engagements AS engagements_a,
       p.id_b AS counterpart_id_b, b.name AS name_b, b.engagements AS engagements_b, max(p.similarity) AS similarity
FROM pairs p JOIN counterparts a ON a.counterpart_id = p.id_a JOIN counterparts b ON b.counterpart_id = p.id_b
WHERE p.id_a <> p.id_b
GROUP BY ALL
ORDER BY similarity DESC, p.iso3, name_a, name_b
"""

DECISIONS = """
SELECT d.decision_id, d.action, d.iso3, d.counterpart_id_a, coalesce(a.name, d.name_key_a) AS name_a,
       d.counterpart_id_b, coalesce(b.name, d.name_key_b) AS name_b, d.split_by, d.alias, d.result_id, d.reason,
       d.decided_by, strftime(d.decided_at, '%Y-%m-%d %H:%M UTC') AS decided_at, d.active, d.undone_by,
       strftime(d.undone_at, '%Y-%m-%d %H:%M UTC') AS undone_at
FROM counterpart_decisions d
LEFT JOIN counterparts a ON a.counterpart_id = d.counterpart_id_a
LEFT JOIN counterparts b ON b.counterpart_id = d.counterpart_id_b
ORDER BY d.decision_id DESC
"""

SPELLINGS = "SELECT alias, times_seen FROM counterpart_aliases WHERE counterpart_id = ? ORDER BY times_seen DESC, alias"

HAS_DECISIONS_TABLE = ("SELECT count(*) > 0 FROM information_schema.tables WHERE table_name = 'counterpart_decisions' "
                       "AND table_schema = 'main'")
