"""Scorecards: KPIs, their monthly values, and which KPIs with which weights score a job title.

The three task measures are KPIs too (built-in, computed from task records), stored here so
scorecards can name them like any other KPI and a foreign key keeps every scorecard's KPIs
defined. A job title without scorecard rows keeps the default scorecard. Scores record which
scorecard scored the person (`scorecard`: the job title, NULL for the default) and the points
per KPI (`kpis`); a person scored on KPIs alone has no task measures, so those columns may be
NULL.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BUILTIN_KPIS = ("completion_rate", "task_efficiency", "throughput")

# The columns of a task measure; NOT NULL until now.
TASK_COLUMNS = (
    "completion_rate",
    "task_efficiency",
    "throughput",
    "avg_task_hours",
    "completed_tasks",
    "total_tasks",
    "relative_task_hours",
    "relative_throughput",
)

# team_composition's workload columns, from task hours.
WORKLOAD_COLUMNS = ("average_workload", "workload_cv")

_BUILTINS = ", ".join(f"'{k}'" for k in BUILTIN_KPIS)


def upgrade() -> None:
    op.execute(f"""
    CREATE TABLE kpis (
        kpi_id      text PRIMARY KEY CHECK (kpi_id ~ '^[a-z0-9_]{{1,64}}$'),
        name        text NOT NULL CHECK (name <> ''),
        unit        text NOT NULL CHECK (unit <> ''),
        direction   text NOT NULL CHECK (direction IN ('higher_is_better', 'lower_is_better')),
        -- How the monthly values of a scoring window combine into the window's value.
        aggregation text NOT NULL DEFAULT 'mean' CHECK (aggregation IN ('mean', 'sum')),
        description text,
        builtin     boolean NOT NULL DEFAULT false,
        updated_at  timestamptz NOT NULL DEFAULT now(),
        CHECK (builtin = (kpi_id IN ({_BUILTINS})))
    );
    INSERT INTO kpis (kpi_id, name, unit, direction, aggregation, description, builtin) VALUES
        ('completion_rate', 'Completion rate', 'share of tasks', 'higher_is_better', 'sum',
         'Tasks completed over tasks assigned in the window, from the task records.', true),
        ('task_efficiency', 'Task efficiency', 'hours per task', 'lower_is_better', 'sum',
         'Hours logged per task in the window, against the peer group, from the task '
         'records.', true),
        ('throughput', 'Throughput', 'completed tasks', 'higher_is_better', 'sum',
         'Tasks completed in the window, against the peer group, from the task records.',
         true);

    CREATE TABLE kpi_values (
        employee_id text NOT NULL REFERENCES employees ON DELETE CASCADE,
        period      date NOT NULL CHECK (extract(day FROM period) = 1),
        -- Removing a KPI removes its values.
        kpi_id      text NOT NULL REFERENCES kpis ON DELETE CASCADE
                         -- Built-in KPIs are measured from task records, never loaded.
                         CHECK (kpi_id NOT IN ({_BUILTINS})),
        value       double precision NOT NULL
                         CHECK (value > '-Infinity' AND value < 'Infinity'),
        updated_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (employee_id, period, kpi_id)
    );
    -- The worker reads the windows' periods for everyone, KPI by KPI.
    CREATE INDEX kpi_values_period ON kpi_values (period, kpi_id);
    CREATE INDEX kpi_values_kpi ON kpi_values (kpi_id);

    CREATE TABLE scorecards (
        job_title  text NOT NULL CHECK (job_title <> ''),
        -- A KPI in use cannot be removed (the API answers 409 first, naming the job titles).
        kpi_id     text NOT NULL REFERENCES kpis ON DELETE RESTRICT,
        weight     double precision NOT NULL CHECK (weight > 0 AND weight < 'Infinity'),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (job_title, kpi_id)
    );
    CREATE INDEX scorecards_kpi ON scorecards (kpi_id);

    ALTER TABLE scores
        -- The job title whose scorecard scored the person; NULL for the default scorecard.
        ADD COLUMN scorecard text,
        -- [{{"kpi_id", "value", "normalised", "weight", "points"}}] in scorecard order.
        ADD COLUMN kpis jsonb,
        {", ".join(f"ALTER COLUMN {c} DROP NOT NULL" for c in TASK_COLUMNS)};
    -- A team scored on KPIs alone logs no task hours: its workload is unknown.
    ALTER TABLE team_composition
        {", ".join(f"ALTER COLUMN {c} DROP NOT NULL" for c in WORKLOAD_COLUMNS)};
    """)


def downgrade() -> None:
    # Scores of people without task measures cannot be kept under the old constraints.
    not_null = " AND ".join(f"{c} IS NOT NULL" for c in TASK_COLUMNS)
    op.execute(f"""
    DELETE FROM scores WHERE NOT ({not_null});
    DELETE FROM team_composition
        WHERE {" OR ".join(f"{c} IS NULL" for c in WORKLOAD_COLUMNS)};
    ALTER TABLE team_composition
        {", ".join(f"ALTER COLUMN {c} SET NOT NULL" for c in WORKLOAD_COLUMNS)};
    ALTER TABLE scores
        {", ".join(f"ALTER COLUMN {c} SET NOT NULL" for c in TASK_COLUMNS)},
        DROP COLUMN kpis,
        DROP COLUMN scorecard;
    DROP TABLE scorecards;
    DROP TABLE kpi_values;
    DROP TABLE kpis;
    """)
