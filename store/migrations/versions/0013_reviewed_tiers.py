"""Reviewed tiers: the final tier of every result, decided in one place.

`reviewed_results` has one row per score (run and employee) with the model's tier, the
latest confirm or override of that run (its decision, tier, reason, reviewer and time),
the latest contest, and `final_tier`: an override's tier, else the model's. A confirm
keeps the model's tier; a contest alone changes nothing. Every read that shows a tier as
final (results, the review queue, the calibration grid, reports) joins this view, so they
cannot disagree. Reviews belong to their run: a new run's results start unreviewed.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


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


def downgrade() -> None:
    op.execute("DROP VIEW reviewed_results;")
