"""HR insights: training completions, and per-run explanations, trends, skill gaps,
training recommendations and demand, training effectiveness and team composition.

Everything a run derives is stored with the run (and deleted with it), so the API and the
reports only read; the worker writes all of it in the transaction that publishes the run.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE training_completions (
        employee_id  text NOT NULL REFERENCES employees ON DELETE CASCADE,
        program_id   text NOT NULL REFERENCES training_programs ON DELETE CASCADE,
        completed_on date NOT NULL,
        updated_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (employee_id, program_id, completed_on)
    );
    CREATE INDEX training_completions_program ON training_completions (program_id, completed_on);

    -- Explanations and the trajectory over the run's three windows, per employee.
    ALTER TABLE scores
        -- Share of the department / job title scoring at or below the employee, 0-100.
        ADD COLUMN percentile_department real,
        ADD COLUMN percentile_job_title  real,
        -- The same employee scored in the windows ending one and two months earlier, with
        -- the tier the run's tier model gives those windows; NULL when not yet employed.
        ADD COLUMN score_w1 real,
        ADD COLUMN score_w2 real,
        ADD COLUMN tier_w1  text CHECK (tier_w1 IN ('High', 'Medium', 'Low')),
        ADD COLUMN tier_w2  text CHECK (tier_w2 IN ('High', 'Medium', 'Low')),
        ADD COLUMN score_change real,
        ADD COLUMN trend text CHECK (trend IN ('improving', 'stable', 'declining')),
        -- [{"feature", "value", "contribution"}], largest first: what moved the predicted
        -- tier's probability away from the model's average for this person.
        ADD COLUMN tier_drivers jsonb,
        -- [{"feature", "value", "peer_median", "robust_z"}] for anomalies, NULL otherwise.
        ADD COLUMN anomaly_drivers jsonb;

    CREATE TABLE skill_gaps (
        run_id         bigint NOT NULL REFERENCES model_runs ON DELETE CASCADE,
        employee_id    text NOT NULL,
        department     text NOT NULL,
        team           text NOT NULL,
        job_title      text NOT NULL,
        skill          text NOT NULL,
        required_level smallint NOT NULL,
        current_level  smallint NOT NULL,
        gap            smallint NOT NULL CHECK (gap > 0),
        importance     real NOT NULL,
        PRIMARY KEY (run_id, employee_id, skill)
    );

    CREATE TABLE training_recommendations (
        run_id           bigint NOT NULL REFERENCES model_runs ON DELETE CASCADE,
        employee_id      text NOT NULL,
        rank             smallint NOT NULL CHECK (rank >= 1),
        program_id       text NOT NULL,
        program_name     text NOT NULL,
        skill            text NOT NULL,
        gap              smallint NOT NULL,
        levels_closed    smallint NOT NULL,
        importance       real NOT NULL,
        duration_hours   real NOT NULL,
        skill_match_gain real NOT NULL,
        expected_benefit real NOT NULL,
        PRIMARY KEY (run_id, employee_id, rank)
    );

    -- Aggregated demand: level 'department' rows have team NULL.
    CREATE TABLE training_demand (
        run_id             bigint NOT NULL REFERENCES model_runs ON DELETE CASCADE,
        level              text NOT NULL CHECK (level IN ('department', 'team')),
        department         text NOT NULL,
        team               text,
        skill              text NOT NULL,
        employees_with_gap integer NOT NULL,
        total_gap_levels   integer NOT NULL,
        program_id         text,
        program_name       text,
        training_hours     real,
        CHECK ((level = 'team') = (team IS NOT NULL))
    );
    CREATE UNIQUE INDEX training_demand_key
        ON training_demand (run_id, level, department, coalesce(team, ''), skill);
    -- A team's demand (GET /teams/{team}) without scanning every team of the run.
    CREATE INDEX training_demand_team ON training_demand (run_id, team) WHERE team IS NOT NULL;

    CREATE TABLE training_effectiveness (
        run_id               bigint NOT NULL REFERENCES model_runs ON DELETE CASCADE,
        program_id           text NOT NULL,
        program_name         text NOT NULL,
        skill                text NOT NULL,
        metric               text NOT NULL CHECK (metric IN ('score', 'completion_rate')),
        participants         integer NOT NULL,
        comparison_employees integer NOT NULL,
        participants_before  real,
        participants_after   real,
        comparison_before    real,
        comparison_after     real,
        effect               real,
        ci_low               real,
        ci_high              real,
        PRIMARY KEY (run_id, program_id, metric)
    );

    CREATE TABLE team_composition (
        run_id           bigint NOT NULL REFERENCES model_runs ON DELETE CASCADE,
        team             text NOT NULL,
        department       text NOT NULL,
        members          integer NOT NULL,
        tier_high        integer NOT NULL,
        tier_medium      integer NOT NULL,
        tier_low         integer NOT NULL,
        average_score    real NOT NULL,
        required_skills  integer NOT NULL,
        covered_skills   integer NOT NULL,
        skill_coverage   real NOT NULL CHECK (skill_coverage BETWEEN 0 AND 1),
        missing_skills   text[] NOT NULL DEFAULT '{}',
        average_workload real NOT NULL,
        workload_cv      real NOT NULL,
        score_w1         real,
        score_w2         real,
        score_change     real,
        trend            text CHECK (trend IN ('improving', 'stable', 'declining')),
        PRIMARY KEY (run_id, team)
    );
    CREATE INDEX team_composition_department ON team_composition (run_id, department);

    CREATE TABLE team_suggestions (
        run_id            bigint NOT NULL REFERENCES model_runs ON DELETE CASCADE,
        department        text NOT NULL,
        rank              smallint NOT NULL CHECK (rank >= 1),
        kind              text NOT NULL CHECK (kind IN ('move', 'swap')),
        employee_id       text NOT NULL,
        from_team         text NOT NULL,
        to_team           text NOT NULL,
        other_employee_id text,
        imbalance_before  real NOT NULL,
        imbalance_after   real NOT NULL,
        details           jsonb NOT NULL DEFAULT '{}',
        PRIMARY KEY (run_id, department, rank),
        CHECK ((kind = 'swap') = (other_employee_id IS NOT NULL))
    );

    CREATE TABLE department_trends (
        run_id        bigint NOT NULL REFERENCES model_runs ON DELETE CASCADE,
        department    text NOT NULL,
        "window"      smallint NOT NULL CHECK ("window" BETWEEN 0 AND 2),
        period_end    date NOT NULL,
        employees     integer NOT NULL,
        average_score real NOT NULL,
        tier_high     integer NOT NULL,
        tier_medium   integer NOT NULL,
        tier_low      integer NOT NULL,
        PRIMARY KEY (run_id, department, "window")
    );
    """)


def downgrade() -> None:
    op.execute("""
    DROP TABLE department_trends;
    DROP TABLE team_suggestions;
    DROP TABLE team_composition;
    DROP TABLE training_effectiveness;
    DROP TABLE training_demand;
    DROP TABLE training_recommendations;
    DROP TABLE skill_gaps;
    ALTER TABLE scores
        DROP COLUMN percentile_department, DROP COLUMN percentile_job_title,
        DROP COLUMN score_w1, DROP COLUMN score_w2, DROP COLUMN tier_w1, DROP COLUMN tier_w2,
        DROP COLUMN score_change, DROP COLUMN trend,
        DROP COLUMN tier_drivers, DROP COLUMN anomaly_drivers;
    DROP TABLE training_completions;
    """)
