"""Core schema: the organisation, its activity, skills, model runs and scores.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE employees (
        employee_id text PRIMARY KEY CHECK (employee_id <> ''),
        name        text NOT NULL,
        department  text NOT NULL,
        job_title   text NOT NULL,
        team        text NOT NULL,
        -- Deferred so that a batch may name a manager that comes later in the same batch.
        manager_id  text REFERENCES employees DEFERRABLE INITIALLY DEFERRED
                         CHECK (manager_id <> employee_id),
        hire_date   date NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX employees_team ON employees (team);
    CREATE INDEX employees_manager ON employees (manager_id);

    CREATE TABLE task_records (
        employee_id     text NOT NULL REFERENCES employees ON DELETE CASCADE,
        period          date NOT NULL CHECK (extract(day FROM period) = 1),
        tasks_total     integer NOT NULL CHECK (tasks_total >= 0),
        tasks_completed integer NOT NULL CHECK (tasks_completed BETWEEN 0 AND tasks_total),
        hours_logged    double precision NOT NULL CHECK (hours_logged >= 0),
        updated_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (employee_id, period)
    );
    -- The worker reads windows of recent periods for everyone.
    CREATE INDEX task_records_period ON task_records (period);

    CREATE TABLE survey_responses (
        employee_id  text NOT NULL REFERENCES employees ON DELETE CASCADE,
        survey_date  date NOT NULL,
        engagement   real NOT NULL CHECK (engagement BETWEEN 1 AND 5),
        satisfaction real NOT NULL CHECK (satisfaction BETWEEN 1 AND 5),
        updated_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (employee_id, survey_date)
    );

    CREATE TABLE employee_skills (
        employee_id text NOT NULL REFERENCES employees ON DELETE CASCADE,
        skill       text NOT NULL,
        level       smallint NOT NULL CHECK (level BETWEEN 0 AND 5),
        updated_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (employee_id, skill)
    );

    CREATE TABLE role_skill_requirements (
        job_title      text NOT NULL,
        skill          text NOT NULL,
        required_level smallint NOT NULL CHECK (required_level BETWEEN 1 AND 5),
        importance     real NOT NULL CHECK (importance BETWEEN 0 AND 1),
        updated_at     timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (job_title, skill)
    );

    CREATE TABLE training_programs (
        program_id     text PRIMARY KEY,
        name           text NOT NULL,
        skill          text NOT NULL,
        level_gain     smallint NOT NULL CHECK (level_gain BETWEEN 1 AND 5),
        duration_hours real NOT NULL CHECK (duration_hours > 0),
        updated_at     timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX training_programs_skill ON training_programs (skill);

    CREATE TABLE model_runs (
        run_id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        status           text NOT NULL DEFAULT 'running'
                              CHECK (status IN ('running', 'succeeded', 'failed')),
        is_current       boolean NOT NULL DEFAULT false
                              CHECK (NOT is_current OR status = 'succeeded'),
        as_of            date,
        started_at       timestamptz NOT NULL DEFAULT now(),
        finished_at      timestamptz,
        duration_seconds double precision,
        rows_read        bigint,
        employees_scored bigint,
        params           jsonb NOT NULL DEFAULT '{}',
        metrics          jsonb NOT NULL DEFAULT '{}',
        timings          jsonb NOT NULL DEFAULT '{}',
        error            text,
        artifact         bytea
    );
    -- At most one current run: readers never see two.
    CREATE UNIQUE INDEX model_runs_one_current ON model_runs (is_current) WHERE is_current;

    CREATE TABLE scores (
        run_id          bigint NOT NULL REFERENCES model_runs ON DELETE CASCADE,
        employee_id     text NOT NULL,
        -- The organisation as it was at the run, so history stays true after moves.
        department      text NOT NULL,
        team            text NOT NULL,
        job_title       text NOT NULL,
        score           real NOT NULL CHECK (score BETWEEN 0 AND 100),
        completion_rate real NOT NULL,
        task_efficiency real NOT NULL,
        throughput      real NOT NULL,
        avg_task_hours  real NOT NULL,
        completed_tasks integer NOT NULL,
        total_tasks     integer NOT NULL,
        -- Hours per task and completed tasks as multiples of the peer-group median.
        relative_task_hours real NOT NULL,
        relative_throughput real NOT NULL,
        tier            text NOT NULL CHECK (tier IN ('High', 'Medium', 'Low')),
        is_anomaly      boolean NOT NULL,
        anomaly_score   real NOT NULL,
        predicted_tier  text CHECK (predicted_tier IN ('High', 'Medium', 'Low')),
        p_high          real,
        p_medium        real,
        p_low           real,
        flags           text[] NOT NULL DEFAULT '{}',
        PRIMARY KEY (run_id, employee_id)
    );
    CREATE INDEX scores_employee ON scores (employee_id, run_id);
    CREATE INDEX scores_run_department ON scores (run_id, department, employee_id);
    CREATE INDEX scores_run_team ON scores (run_id, team, employee_id);
    """)


def downgrade() -> None:
    op.execute("""
    DROP TABLE scores;
    DROP TABLE model_runs;
    DROP TABLE training_programs;
    DROP TABLE role_skill_requirements;
    DROP TABLE employee_skills;
    DROP TABLE survey_responses;
    DROP TABLE task_records;
    DROP TABLE employees;
    """)
