"""Reporting views for Grafana: aggregates only, small groups suppressed, read-only role.

Every view in schema `reporting` summarises a group of employees (a department, a team,
a department in a month or run, a department's employees assessed on a skill) and shows a
row only when that group has at least `reporting.settings.min_group_size` members (default
5; an administrator changes it with UPDATE). Counts inside a shown group (per tier,
anomalies, people with a gap) describe the group as a whole and name nobody; a team is also
hidden when the department's total would otherwise reveal a hidden team by subtraction.
No view has an employee identifier or name.

Grafana connects as `epa_grafana`, which may read these views and nothing else: the views
run with their owner's rights, so the role needs no privilege on the tables beneath them.
The role is cluster-wide. It is created here when the migrating user may create roles;
otherwise a DBA creates it and then runs `CALL reporting.grant_read_access('epa_grafana')`.
It is created NOLOGIN: the operator enables it with
`ALTER ROLE epa_grafana LOGIN PASSWORD '...'` (the password never lives in code).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import logging

from alembic import op
from sqlalchemy import text

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# The smallest group a view shows unless an administrator changes it.
DEFAULT_MIN_GROUP_SIZE = 5
READER_ROLE = "epa_grafana"

# A row is shown when its group is at least this large; an empty or missing settings row
# compares with NULL, so the views then show nothing rather than everything.
_K = "(SELECT min_group_size FROM reporting.settings)"

_CURRENT_RUN = "JOIN model_runs r ON r.run_id = s.run_id AND r.is_current"

_TIER_COUNTS = """
           count(*) AS employees,
           count(*) FILTER (WHERE s.tier = 'High') AS high,
           count(*) FILTER (WHERE s.tier = 'Medium') AS medium,
           count(*) FILTER (WHERE s.tier = 'Low') AS low,
           avg(s.score)::double precision AS avg_score"""

# One row per employee and skill that the employee's job title requires; a skill the
# employee has no record of counts as level 0.
_SKILL_ASSESSMENT = """
    SELECT e.department, q.skill,
           greatest(q.required_level - coalesce(es.level, 0), 0) AS gap
      FROM employees e
      JOIN role_skill_requirements q ON q.job_title = e.job_title
      LEFT JOIN employee_skills es ON es.employee_id = e.employee_id AND es.skill = q.skill"""


def upgrade() -> None:
    op.execute(f"""
    CREATE SCHEMA reporting;
    COMMENT ON SCHEMA reporting IS
        'Aggregates for dashboards; groups smaller than settings.min_group_size are hidden.';

    CREATE TABLE reporting.settings (
        singleton      boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        -- Below 3, a member of a group of two learns the other's values by subtraction.
        min_group_size integer NOT NULL DEFAULT {DEFAULT_MIN_GROUP_SIZE}
                               CHECK (min_group_size >= 3)
    );
    INSERT INTO reporting.settings DEFAULT VALUES;

    -- security_barrier: a caller's own functions in WHERE are applied after the
    -- aggregation and suppression, so they never see a hidden group's values.

    CREATE VIEW reporting.department_headcount WITH (security_barrier) AS
    SELECT department, count(*) AS employees
      FROM employees
     GROUP BY department
    HAVING count(*) >= {_K};

    CREATE VIEW reporting.tier_distribution_by_department WITH (security_barrier) AS
    SELECT r.run_id, r.as_of, s.department,{_TIER_COUNTS}
      FROM scores s {_CURRENT_RUN}
     GROUP BY r.run_id, r.as_of, s.department
    HAVING count(*) >= {_K};

    -- A department's total minus its shown teams would reveal its hidden teams when they
    -- add up to fewer than the minimum; the smallest shown team is then hidden as well.
    CREATE VIEW reporting.tier_distribution_by_team WITH (security_barrier) AS
    WITH teams AS (
        SELECT r.run_id, r.as_of, s.department, s.team,{_TIER_COUNTS}
          FROM scores s {_CURRENT_RUN}
         GROUP BY r.run_id, r.as_of, s.department, s.team
    ), marked AS (
        SELECT t.*, k.min_group_size AS k,
               coalesce(sum(t.employees) FILTER (WHERE t.employees < k.min_group_size)
                        OVER (PARTITION BY t.department), 0) AS hidden,
               row_number() OVER (PARTITION BY t.department, t.employees >= k.min_group_size
                                  ORDER BY t.employees, t.team) AS size_rank
          FROM teams t CROSS JOIN reporting.settings k
    )
    SELECT run_id, as_of, department, team, employees, high, medium, low, avg_score
      FROM marked
     WHERE employees >= k AND NOT (hidden BETWEEN 1 AND k - 1 AND size_rank = 1);

    -- Department as it is today: task records carry no department of their own.
    CREATE VIEW reporting.activity_by_department_month WITH (security_barrier) AS
    SELECT t.period::timestamp AT TIME ZONE 'UTC' AS month, e.department,
           count(*) AS employees,
           sum(t.tasks_total) AS tasks_total,
           sum(t.tasks_completed) AS tasks_completed,
           avg(t.tasks_completed::double precision / nullif(t.tasks_total, 0))
               AS avg_completion_rate,
           avg(t.hours_logged / nullif(t.tasks_total, 0)) AS avg_task_hours
      FROM task_records t
      JOIN employees e USING (employee_id)
     GROUP BY t.period, e.department
    HAVING count(*) >= {_K};

    -- One point per month: the latest successful run whose window ends in that month.
    CREATE VIEW reporting.performance_by_department_month WITH (security_barrier) AS
    WITH monthly_runs AS (
        SELECT DISTINCT ON (date_trunc('month', as_of::timestamp)) run_id, as_of
          FROM model_runs
         WHERE status = 'succeeded' AND as_of IS NOT NULL
         ORDER BY date_trunc('month', as_of::timestamp), finished_at DESC, run_id DESC
    )
    SELECT date_trunc('month', r.as_of::timestamp) AT TIME ZONE 'UTC' AS month,
           r.run_id, s.department,
           count(*) AS employees,
           avg(s.score)::double precision AS avg_score,
           avg(s.completion_rate)::double precision AS avg_completion_rate
      FROM monthly_runs r
      JOIN scores s ON s.run_id = r.run_id
     GROUP BY r.as_of, r.run_id, s.department
    HAVING count(*) >= {_K};

    CREATE VIEW reporting.anomalies_by_department_run WITH (security_barrier) AS
    SELECT r.run_id, r.finished_at, r.as_of, s.department,
           count(*) AS employees,
           count(*) FILTER (WHERE s.is_anomaly) AS anomalies,
           avg(s.is_anomaly::int)::double precision AS anomaly_ratio
      FROM model_runs r
      JOIN scores s ON s.run_id = r.run_id
     WHERE r.status = 'succeeded'
     GROUP BY r.run_id, r.finished_at, r.as_of, s.department
    HAVING count(*) >= {_K};

    -- The group is the department's employees whose job title requires the skill.
    CREATE VIEW reporting.skill_gaps_by_department WITH (security_barrier) AS
    WITH assessment AS ({_SKILL_ASSESSMENT}
    )
    SELECT department, skill,
           count(*) AS employees_assessed,
           count(*) FILTER (WHERE gap > 0) AS employees_with_gap,
           avg(gap)::double precision AS avg_gap,
           sum(gap) AS total_gap_levels
      FROM assessment
     GROUP BY department, skill
    HAVING count(*) >= {_K};

    -- Built on the view above, so it inherits its suppression.
    CREATE VIEW reporting.training_demand_by_department WITH (security_barrier) AS
    SELECT g.department, p.skill, p.program_id, p.name AS program,
           p.level_gain, p.duration_hours,
           g.employees_with_gap AS employees_needing,
           g.employees_with_gap * p.duration_hours::double precision AS training_hours
      FROM reporting.skill_gaps_by_department g
      JOIN training_programs p ON p.skill = g.skill
     WHERE g.employees_with_gap > 0;

    -- Grants the reader role exactly: the schema, SELECT on its views, nothing else. Call
    -- it again after creating the role by hand, or after a migration adds a view.
    CREATE PROCEDURE reporting.grant_read_access(reader regrole)
    LANGUAGE plpgsql AS $$
    DECLARE
        v regclass;
    BEGIN
        EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA public FROM %s', reader);
        EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM %s', reader);
        EXECUTE format('REVOKE ALL ON reporting.settings FROM %s', reader);
        EXECUTE format('GRANT USAGE ON SCHEMA reporting TO %s', reader);
        FOR v IN
            SELECT c.oid FROM pg_class c
             WHERE c.relnamespace = 'reporting'::regnamespace AND c.relkind = 'v'
        LOOP
            EXECUTE format('GRANT SELECT ON %s TO %s', v, reader);
        END LOOP;
    END $$;
    REVOKE ALL ON PROCEDURE reporting.grant_read_access(regrole) FROM PUBLIC;

    -- Roles are cluster-wide: another database of the cluster may have created it already,
    -- even concurrently.
    DO $$
    BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{READER_ROLE}') THEN
            IF (SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user)
            THEN
                BEGIN
                    CREATE ROLE {READER_ROLE} NOLOGIN;
                EXCEPTION WHEN duplicate_object OR unique_violation THEN
                    NULL;
                END;
            ELSE
                RETURN;  -- a DBA creates it; see the module's docstring
            END IF;
        END IF;
        CALL reporting.grant_read_access('{READER_ROLE}');
    END $$;
    """)
    reader_exists = op.get_bind().execute(
        text("SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = :name)"), {"name": READER_ROLE}
    )
    if not reader_exists.scalar():
        logging.getLogger("epa.store.migrate").warning(
            "role %s does not exist and this user may not create it: as a DBA, run "
            "CREATE ROLE %s NOLOGIN; CALL reporting.grant_read_access('%s');",
            READER_ROLE,
            READER_ROLE,
            READER_ROLE,
        )


def downgrade() -> None:
    # The role stays: it is cluster-wide and other databases may still use it. Dropping
    # the schema drops its views and every privilege granted on them.
    op.execute("DROP SCHEMA reporting CASCADE")
