"""Runs that are held back, superseded or promoted, and tiers that may be left unnamed.

A finished run is no longer simply 'succeeded': one that differs too much from the run it
would replace is 'held' (with the reasons) and the current run stays current. A held run,
or an earlier succeeded one, can be promoted back. (A succeeded run that is not current is
shown as superseded; the stored status stays 'succeeded', which is what history and the
reporting views select.)
A tier is not named when the population has no spread, so `scores.tier` may be NULL.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    ALTER TABLE model_runs DROP CONSTRAINT model_runs_status_check;
    ALTER TABLE model_runs ADD CONSTRAINT model_runs_status_check
        CHECK (status IN ('running', 'succeeded', 'held', 'failed'));
    -- [{"check", "current", "previous", "limit", "message"}]: why a run was held, or the
    -- reason it was promoted by hand.
    ALTER TABLE model_runs ADD COLUMN status_reasons jsonb NOT NULL DEFAULT '[]';
    ALTER TABLE scores ALTER COLUMN tier DROP NOT NULL;
    """)


def downgrade() -> None:
    op.execute("""
    DELETE FROM scores WHERE tier IS NULL;
    ALTER TABLE scores ALTER COLUMN tier SET NOT NULL;
    UPDATE model_runs SET status = 'failed' WHERE status = 'held';
    ALTER TABLE model_runs DROP COLUMN status_reasons;
    ALTER TABLE model_runs DROP CONSTRAINT model_runs_status_check;
    ALTER TABLE model_runs ADD CONSTRAINT model_runs_status_check
        CHECK (status IN ('running', 'succeeded', 'failed'));
    """)
