"""What changed, and why: the SQL behind Trends' "Biggest changes" (the sentences are made in
:mod:`dashboard.db.change_story`).

One query ranks the admin areas, checkpoints and counterparts whose denial rate or volume changed most
against ``f.previous()``, and decomposes each change over what it is made of: the checkpoints,
counterparts (and, for a counterpart, the areas) inside it, the obstacle categories and the conditions
logged on its engagements, each with its count in both periods. Every figure is computed here, in DuckDB;
user values are bound parameters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dashboard.db.outcomes import IS_DENIED, Query

if TYPE_CHECKING:
    from dashboard.db.filters import Filters

RATE_STEP = 0.10
"""A change of this much in the share denied (10 percentage points) weighs as much as a doubling (or
halving) of the number of engagements, when rates and volumes are ranked together."""
MIN_ENGAGEMENTS = 10
"""A place or counterpart is compared only with at least this many engagements in each period."""
PER_LEVEL = 10
"""At most this many rows per level (areas, checkpoints, counterparts)."""
DRIVERS_PER_KIND = 5
"""At most this many drivers of each kind (checkpoint, counterpart, area, obstacle, condition) per row."""


def changes(f: Filters, min_engagements: int = MIN_ENGAGEMENTS, limit: int = PER_LEVEL,
            drivers: int = DRIVERS_PER_KIND) -> Query:
    """Areas, checkpoints and counterparts whose denial rate or volume changed most, with their drivers.

    One row per place or counterpart: ``level`` (``area``, ``checkpoint``, ``counterpart``), ``key`` (its
    P-code or id, what a link narrows to), ``name``, ``country``, the engagements and denials of both
    periods, the shares denied, ``change`` (in share, points / 100), ``volume_change`` (engagements now /
    before - 1), ``measure`` (``rate`` or ``volume``: which of the two changed more, ``RATE_STEP`` against a
    doubling) and ``drivers``: a list of ``{kind, key, name, engagements, engagements_before, denials,
    denials_before}`` (for obstacles and conditions the counts are of obstacles logged and of engagements
    with the condition; ``denials`` is NULL), the ``drivers`` largest changes of each kind.

    :param min_engagements: engagements needed in each period for a row to be compared.
    :param limit: rows per level, ranked by the larger of the two scores.
    """
    where, params = f.where(dates=False)
    where_o, params_o = f.where("o", dates=False)
    where_c, params_c = f.where("c", dates=False)
    prev = f.previous()
    periods = [prev.start, prev.end, f.start, f.end]
    # Two periods of whole months, filtered on columns the monthly counts have (not activities or organisations):
    # the cells are sums of engagement_months' rows (etl/store/rollups.py), a few percent of the engagements'.
    monthly = f.counted_by_month and prev.counted_by_month
    if monthly:
        cells = f"""SELECT e.admin1_pcode, e.checkpoint_id, e.counterpart_id, e.month >= ? AS cur,
               sum(e.engagements)::BIGINT AS n, sum(e.denied) AS dn
        FROM engagement_months e
        WHERE (e.month BETWEEN ? AND ? OR e.month BETWEEN ? AND ?) AND {where} GROUP BY ALL"""
        cell_params = [f.start, *periods, *params]
    else:
        cells = "SELECT admin1_pcode, checkpoint_id, counterpart_id, cur, count(*) AS n, sum(denied) AS dn FROM e GROUP BY ALL"
        cell_params = []
    # Speed (docs/performance.md): ``e`` is not materialised (two scans of the table cost less than a copy of
    # its rows); each ranked row's parts, obstacles and conditions are sums of the few hundred cells (area,
    # checkpoint, counterpart, period) it covers. The obstacles and conditions of the ranked areas and
    # checkpoints are counted on the label rows' own columns (a label row carries its engagement's date, place
    # and filter columns: etl.logs.sql.insert_labels), with no engagement read; only the ranked counterparts'
    # engagements (a label row has no counterpart) are picked from ``e`` and joined to their label rows. With
    # the cells from engagement_months, the page's cold run of this query fell to about 0.6-0.75 of the
    # version that joined every ranked row's engagements (134,000 at 1M rows) to their label rows, with the
    # same results. An engagement is in one cell (``engagement_key`` is unique: its load and row,
    # etl/logs/sql.py), so a row's engagements with a condition are the sum of its cells' (each counted
    # DISTINCT: a condition may be logged twice on one engagement, in two spellings).
    sql = f"""
    WITH e AS NOT MATERIALIZED (
        SELECT e.engagement_key, e.admin1_pcode, e.checkpoint_id, e.counterpart_id, {IS_DENIED} AS denied,
               e.engagement_date >= ? AS cur
        FROM engagements e
        WHERE (e.engagement_date BETWEEN ? AND ? OR e.engagement_date BETWEEN ? AND ?) AND {where}),
    cells AS (  -- engagements and denials by area, checkpoint, counterpart and period: all the counts below add them up
        {cells}),
    g AS (
        SELECT CASE WHEN grouping(admin1_pcode) = 0 THEN 'area'
                    WHEN grouping(checkpoint_id) = 0 THEN 'checkpoint' ELSE 'counterpart' END AS level,
               coalesce(admin1_pcode, checkpoint_id, counterpart_id) AS key,
               coalesce(sum(n) FILTER (WHERE cur), 0)::BIGINT AS engagements,
               coalesce(sum(n) FILTER (WHERE NOT cur), 0)::BIGINT AS engagements_before,
               coalesce(sum(dn) FILTER (WHERE cur), 0)::BIGINT AS denials,
               coalesce(sum(dn) FILTER (WHERE NOT cur), 0)::BIGINT AS denials_before
        FROM cells GROUP BY GROUPING SETS ((admin1_pcode), (checkpoint_id), (counterpart_id))),
    ranked AS (
        SELECT *, denials / engagements AS share_denied, denials_before / engagements_before AS share_denied_before,
               denials / engagements - denials_before / engagements_before AS change,
               engagements / engagements_before - 1 AS volume_change,
               abs(denials / engagements - denials_before / engagements_before) / ? AS rate_score,
               abs(ln(engagements / engagements_before)) / ln(2) AS volume_score,
               greatest(rate_score, volume_score) AS score
        FROM g WHERE key IS NOT NULL AND engagements >= ? AND engagements_before >= ?
        QUALIFY row_number() OVER (PARTITION BY level ORDER BY score DESC, key) <= ?),
    picked AS (  -- the engagements of the ranked counterparts (both periods): label rows carry no counterpart
        SELECT engagement_key, counterpart_id, cur FROM e
        WHERE counterpart_id IN (SELECT key FROM ranked WHERE level = 'counterpart')),
    cell AS (  -- the ranked rows' cells
        SELECT * FROM cells WHERE {_PICKED}),
    obstacles AS (  -- obstacles logged, by category and cell (areas and checkpoints: the label rows' own columns;
                    -- counterparts: the label rows of their engagements)
        SELECT o.admin1_pcode, o.checkpoint_id, NULL::VARCHAR AS counterpart_id, o.engagement_date >= ? AS cur,
               o.category, count(*) AS n
        FROM engagement_obstacles o WHERE {_labels("o", where_o)} GROUP BY ALL
        UNION ALL
        SELECT NULL, NULL, p.counterpart_id, p.cur, o.category, count(*)
        FROM picked p JOIN engagement_obstacles o ON o.engagement_key = p.engagement_key
        WHERE o.engagement_date BETWEEN ? AND ? OR o.engagement_date BETWEEN ? AND ? GROUP BY ALL),
    conditions AS (  -- engagements with each condition, by cell (likewise)
        SELECT c.admin1_pcode, c.checkpoint_id, NULL::VARCHAR AS counterpart_id, c.engagement_date >= ? AS cur,
               c.condition, count(DISTINCT c.engagement_key) AS n
        FROM engagement_conditions c WHERE {_labels("c", where_c)} GROUP BY ALL
        UNION ALL
        SELECT NULL, NULL, p.counterpart_id, p.cur, c.condition, count(DISTINCT p.engagement_key)
        FROM picked p JOIN engagement_conditions c ON c.engagement_key = p.engagement_key
        WHERE c.engagement_date BETWEEN ? AND ? OR c.engagement_date BETWEEN ? AND ? GROUP BY ALL),
    mine AS (  -- the cells of each ranked row
        {_per_level("cell")}),
    mine_obstacles AS ({_per_level("obstacles")}),
    mine_conditions AS ({_per_level("conditions")}),
    parts AS (  -- what each is made of: checkpoints, counterparts, areas
        SELECT level, key, 'checkpoint' AS kind, checkpoint_id AS part, cur, n, dn FROM mine
            WHERE level <> 'checkpoint'
        UNION ALL SELECT level, key, 'counterpart', counterpart_id, cur, n, dn FROM mine
            WHERE level <> 'counterpart'
        UNION ALL SELECT level, key, 'area', admin1_pcode, cur, n, dn FROM mine WHERE level = 'counterpart'),
    d AS (
        SELECT level, key, kind, part, coalesce(sum(n) FILTER (WHERE cur), 0)::BIGINT AS n,
               coalesce(sum(n) FILTER (WHERE NOT cur), 0)::BIGINT AS n_before,
               coalesce(sum(dn) FILTER (WHERE cur), 0)::BIGINT AS dn,
               coalesce(sum(dn) FILTER (WHERE NOT cur), 0)::BIGINT AS dn_before
        FROM parts WHERE part IS NOT NULL GROUP BY ALL
        UNION ALL
        SELECT level, key, 'obstacle', category, coalesce(sum(n) FILTER (WHERE cur), 0)::BIGINT,
               coalesce(sum(n) FILTER (WHERE NOT cur), 0)::BIGINT, NULL, NULL
        FROM mine_obstacles GROUP BY ALL
        UNION ALL
        SELECT level, key, 'condition', condition, coalesce(sum(n) FILTER (WHERE cur), 0)::BIGINT,
               coalesce(sum(n) FILTER (WHERE NOT cur), 0)::BIGINT, NULL, NULL
        FROM mine_conditions GROUP BY ALL),
    names AS (  -- what each kind of driver is called: one equi-join on (kind, key), where five joins each guarded
                -- by its kind ran as nested loops
        SELECT 'checkpoint' AS kind, checkpoint_id AS part, name FROM checkpoints
        UNION ALL SELECT 'counterpart', counterpart_id, name FROM counterparts
        UNION ALL SELECT 'area', pcode, name FROM admin_areas
        UNION ALL SELECT 'obstacle', category, name FROM obstacle_categories
        UNION ALL SELECT 'condition', code, label FROM vocabulary WHERE vocabulary = 'condition'),
    top AS (
        SELECT d.*, coalesce(nm.name, d.part) AS part_name
        FROM d LEFT JOIN names nm ON nm.kind = d.kind AND nm.part = d.part
        QUALIFY row_number() OVER (PARTITION BY d.level, d.key, d.kind
                                   ORDER BY greatest(abs(coalesce(d.dn - d.dn_before, 0)), abs(d.n - d.n_before))
                                            DESC, d.part) <= ?),
    lists AS (
        SELECT level, key, list({{'kind': kind, 'key': part, 'name': part_name, 'engagements': n,
                                  'engagements_before': n_before, 'denials': dn, 'denials_before': dn_before}}
                                ORDER BY kind, part) AS drivers
        FROM top GROUP BY level, key)
    SELECT r.level, r.key,
           coalesce(a.name, k.name, c.name, r.key) AS name,
           coalesce(co.name, coalesce(a.iso3, k.iso3, c.iso3)) AS country,
           r.engagements, r.engagements_before, r.denials, r.denials_before,
           r.share_denied, r.share_denied_before, r.change, r.volume_change,
           CASE WHEN r.rate_score >= r.volume_score THEN 'rate' ELSE 'volume' END AS measure,
           coalesce(l.drivers, []) AS drivers
    FROM ranked r
    LEFT JOIN lists l USING (level, key)
    LEFT JOIN admin_areas a ON r.level = 'area' AND a.pcode = r.key
    LEFT JOIN checkpoints k ON r.level = 'checkpoint' AND k.checkpoint_id = r.key
    LEFT JOIN counterparts c ON r.level = 'counterpart' AND c.counterpart_id = r.key
    LEFT JOIN countries co ON co.iso3 = coalesce(a.iso3, k.iso3, c.iso3)
    ORDER BY r.level, r.score DESC, r.key
    """
    least = max(1, min_engagements)  # a period with no engagement has no rate to compare
    return sql, [f.start, *periods, *params, *cell_params, RATE_STEP, least, least, limit,
                 f.start, *periods, *params_o, *periods, f.start, *periods, *params_c, *periods, drivers]


# The rows of the ranked places and counterparts (of ``e`` or ``cells``).
_PICKED = """admin1_pcode IN (SELECT key FROM ranked WHERE level = 'area')
           OR checkpoint_id IN (SELECT key FROM ranked WHERE level = 'checkpoint')
           OR counterpart_id IN (SELECT key FROM ranked WHERE level = 'counterpart')"""


def _labels(alias: str, where: str) -> str:
    """The label rows (``engagement_obstacles`` or ``engagement_conditions`` as ``alias``) of the two periods,
    the filters ``where`` and the ranked areas and checkpoints. A label row carries its engagement's date, place
    and filter columns (``etl.logs.sql.insert_labels``): no join to the engagements is needed for these."""
    return f"""({alias}.engagement_date BETWEEN ? AND ? OR {alias}.engagement_date BETWEEN ? AND ?) AND {where}
            AND ({alias}.admin1_pcode IN (SELECT key FROM ranked WHERE level = 'area')
                 OR {alias}.checkpoint_id IN (SELECT key FROM ranked WHERE level = 'checkpoint'))"""


def _per_level(cells: str) -> str:
    """The rows of ``cells`` (by area, checkpoint and counterpart) that make up each ranked row, with its
    ``level`` and ``key``."""
    return "\n        UNION ALL\n        ".join(
        f"SELECT r.level, r.key, x.* FROM ranked r JOIN {cells} x ON r.level = '{level}' AND x.{column} = r.key"
        for level, column in (("area", "admin1_pcode"), ("checkpoint", "checkpoint_id"),
                              ("counterpart", "counterpart_id")))
