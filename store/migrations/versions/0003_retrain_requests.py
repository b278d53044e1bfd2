"""Retrain requests of the API when it runs outside Kubernetes.

In a cluster a retrain is a Job, which keeps its own status. Elsewhere the API starts the
worker as a local process; this table records it, so that whichever API process answers
`GET /api/v1/models/retrain/<id>` knows how it went.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE retrain_requests (
        request_id     text PRIMARY KEY,
        status         text NOT NULL DEFAULT 'pending'
                            CHECK (status IN ('pending', 'running', 'succeeded', 'failed')),
        created_at     timestamptz NOT NULL DEFAULT now(),
        started_at     timestamptz,
        finished_at    timestamptz,
        -- The host of the supervising process: its pid means something only there.
        host           text NOT NULL,
        supervisor_pid integer,
        pid            integer,
        exit_code      integer,
        error          text
    );
    -- One retrain at a time: a second request while one is in flight is refused, race-free.
    CREATE UNIQUE INDEX retrain_requests_one_active ON retrain_requests ((true))
        WHERE status IN ('pending', 'running');
    """)


def downgrade() -> None:
    op.execute("DROP TABLE retrain_requests")
