"""Department summaries per run: what `GET /departments` shows to HR, counted once when the
run is written instead of over every score at every request.

One row per run and department with the head count, the rounded averages, the anomaly and
predicted-Low counts and the tier counts of the model. Reviews change final tiers after a
run is written, so the tiers stored here are the model's: a read adds the difference its
run's overrides make (a few rows of reviewed_results, migration 0013's one rule), and the
answer is the same as counting final tiers over every score. Rows go with their run
(ON DELETE CASCADE); runs already stored are summarised here.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# The same aggregates, and roundings, as the live query of store.queries.departments;
# store.department_summaries runs it for one run when the run is written.
SUMMARY_SELECT = """
    SELECT s.run_id, s.department,
           count(*) AS employees,
           round(avg(s.score)::numeric, 2)::float AS average_score,
           round(avg(s.completion_rate)::numeric, 4)::float AS average_completion_rate,
           count(*) FILTER (WHERE s.tier = 'High') AS tier_high,
           count(*) FILTER (WHERE s.tier = 'Medium') AS tier_medium,
           count(*) FILTER (WHERE s.tier = 'Low') AS tier_low,
           count(*) FILTER (WHERE s.is_anomaly) AS anomalies,
           count(*) FILTER (WHERE s.predicted_tier = 'Low') AS predicted_low
      FROM scores s"""


def upgrade() -> None:
    op.execute(f"""
    CREATE TABLE department_summaries (
        run_id                  bigint NOT NULL REFERENCES model_runs ON DELETE CASCADE,
        department              text NOT NULL,
        employees               integer NOT NULL,
        average_score           double precision,
        average_completion_rate double precision,
        -- The model's tiers: reads add the difference the run's overrides make.
        tier_high               integer NOT NULL,
        tier_medium             integer NOT NULL,
        tier_low                integer NOT NULL,
        anomalies               integer NOT NULL,
        predicted_low           integer NOT NULL,
        PRIMARY KEY (run_id, department)
    );
    COMMENT ON TABLE department_summaries IS
        'Per run and department: head count, averages and the model''s tier counts.';
    INSERT INTO department_summaries {SUMMARY_SELECT}
     GROUP BY s.run_id, s.department;
    """)


def downgrade() -> None:
    op.execute("DROP TABLE department_summaries;")
