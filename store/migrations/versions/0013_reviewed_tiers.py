"""Reviewed tiers: the final tier of every result, decided in one place.

`reviewed_results` has one row per score (run and employee) with the model's tier, the
latest confirm or override of that run (its decision, tier, reason, reviewer and time),
the latest contest, and `final_tier`: an override's tier, else the model's. A confirm
keeps the model's tier; a contest alone changes nothing. Every read that shows a tier as
final (results, the review queue, the calibration grid, reports) joins this view, so they
cannot disagree. Reviews belong to their run: a new run's results start unreviewed.

The HR dashboards count final tiers too: tier_distribution_by_department and
tier_distribution_by_team are recreated over reviewed_results with their columns and
0008's complementary suppression unchanged (the rule depends on group sizes alone, which
reviews do not change). reporting.reviews_current_run counts the current run's reviews
for the HR overview (results reviewed, confirmed, overridden, contested, pending): one row
for the organisation, no person and no department, and none when the run scored fewer
people than the minimum group size.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

import importlib

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# 0008's rule and 0006's grant, reused as they stand (released migrations are frozen;
# their module names start with a digit, hence importlib).
_VERSIONS = "store.migrations.versions."
_V0008 = importlib.import_module(_VERSIONS + "0008_complementary_suppression")
_marked = _V0008._marked
_grant_reader = importlib.import_module(_VERSIONS + "0006_insight_reporting_views")._grant_reader

_FINAL_ROWS = f"""scores s {_V0008._CURRENT_RUN}
          JOIN reviewed_results f ON f.run_id = s.run_id AND f.employee_id = s.employee_id"""
_FINAL_TIER_COUNTS = """
           count(*) AS employees,
           count(*) FILTER (WHERE f.final_tier = 'High') AS high,
           count(*) FILTER (WHERE f.final_tier = 'Medium') AS medium,
           count(*) FILTER (WHERE f.final_tier = 'Low') AS low,
           avg(s.score)::double precision AS avg_score"""


def _tier_views(rows: str, counts: str) -> str:
    """0008's two tier distributions over `rows` (aliases s and r) counting `counts`."""
    return f"""
    CREATE OR REPLACE VIEW reporting.tier_distribution_by_department WITH (security_barrier) AS
    WITH groups AS (
        SELECT r.run_id, r.as_of, s.department,{counts}
          FROM {rows}
         GROUP BY r.run_id, r.as_of, s.department
    ), marked AS ({_marked("groups", "g.run_id", "department", "employees")}
    )
    SELECT run_id, as_of, department, employees, high, medium, low, avg_score
      FROM marked WHERE NOT hidden;

    CREATE OR REPLACE VIEW reporting.tier_distribution_by_team WITH (security_barrier) AS
    WITH groups AS (
        SELECT r.run_id, r.as_of, s.department, s.team,{counts}
          FROM {rows}
         GROUP BY r.run_id, r.as_of, s.department, s.team
    ), marked AS ({_marked("groups", "g.run_id, g.department", "team", "employees")}
    )
    SELECT m.run_id, m.as_of, m.department, m.team, m.employees, m.high, m.medium, m.low,
           m.avg_score
      FROM marked m
     WHERE NOT m.hidden
       AND EXISTS (SELECT FROM reporting.tier_distribution_by_department d
                    WHERE d.run_id = m.run_id AND d.department = m.department);
    """


def upgrade() -> None:
    op.execute("""
    CREATE VIEW reviewed_results AS
    SELECT s.run_id, s.employee_id,
           s.tier AS model_tier,
           CASE WHEN d.decision = 'override' THEN d.tier ELSE s.tier END AS final_tier,
           d.review_id, d.decision, d.tier AS review_tier, d.reason,
           d.reviewer_role, d.reviewer_name, d.created_at AS reviewed_at,
           c.review_id IS NOT NULL AS contested,
           c.reason AS contest_reason, c.reviewer_name AS contest_by,
           c.created_at AS contested_at
      FROM scores s
      -- The newest decision wins (review_id breaks a tie within one clock tick).
      LEFT JOIN LATERAL (
          SELECT v.review_id, v.decision, v.tier, v.reason, v.reviewer_role,
                 v.reviewer_name, v.created_at
            FROM reviews v
           WHERE v.run_id = s.run_id AND v.employee_id = s.employee_id
             AND v.decision IN ('confirm', 'override')
           ORDER BY v.created_at DESC, v.review_id DESC
           LIMIT 1) d ON true
      LEFT JOIN LATERAL (
          SELECT v.review_id, v.reason, v.reviewer_name, v.created_at
            FROM reviews v
           WHERE v.run_id = s.run_id AND v.employee_id = s.employee_id
             AND v.decision = 'contest'
           ORDER BY v.created_at DESC, v.review_id DESC
           LIMIT 1) c ON true;
    COMMENT ON VIEW reviewed_results IS
        'The final tier of each result: the newest override''s tier, else the model''s.';
    """)
    op.execute(_tier_views(_FINAL_ROWS, _FINAL_TIER_COUNTS))
    op.execute("""
    CREATE VIEW reporting.reviews_current_run WITH (security_barrier) AS
    SELECT r.run_id, r.as_of,
           count(*) AS results,
           count(*) FILTER (WHERE f.decision IS NOT NULL) AS reviewed,
           count(*) FILTER (WHERE f.decision = 'confirm') AS confirmed,
           count(*) FILTER (WHERE f.decision = 'override') AS overridden,
           count(*) FILTER (WHERE f.decision = 'override' AND f.final_tier <> f.model_tier)
               AS tier_changed,
           count(*) FILTER (WHERE f.contested) AS contested,
           count(*) FILTER (WHERE f.decision IS NULL) AS pending
      FROM model_runs r
      JOIN reviewed_results f ON f.run_id = r.run_id
      -- As every reporting view: nothing without a settings row, nor under the minimum.
     CROSS JOIN reporting.settings k
     WHERE r.is_current
     GROUP BY r.run_id, r.as_of, k.min_group_size
    HAVING count(*) >= k.min_group_size;
    """)
    _grant_reader()


def downgrade() -> None:
    op.execute("DROP VIEW reporting.reviews_current_run;")
    op.execute(_tier_views(f"scores s {_V0008._CURRENT_RUN}", _V0008._TIER_COUNTS))
    op.execute("DROP VIEW reviewed_results;")
