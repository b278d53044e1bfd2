"""Reporting views over KPIs and scorecards, for the Grafana dashboards.

Same rules as 0002 and 0008: aggregates only, no employee identifier or name, security_barrier
views read with their owner's rights, groups under `reporting.settings.min_group_size` hidden
together with enough others (0008's rule) that no parent's total isolates them.

- kpi_catalogue, scorecard_weights: what is measured and what scores whom (the default
  scorecard with the weights the current run used). Definitions, no people: every row is
  shown, while reporting is on (a settings row exists, as for every view).
- kpi_by_department_month: each KPI's monthly values per department, the built-in task
  measures included (from the task records, per person and month: tasks completed over
  assigned, hours per task, tasks completed). The parent is the KPI's month: the people with
  a value of that KPI that month, split by department.
- kpi_points_by_department: the current run's points per KPI, per department and scorecard
  (the job title, or the default scorecard). A person's points add up to their score, so a
  department's average score (tier_distribution_by_department) is the parent: the groups
  are the department's scorecards, and a department is shown only where that view shows it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

import importlib

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_VIEWS = (
    "kpi_catalogue",
    "scorecard_weights",
    "kpi_by_department_month",
    "kpi_points_by_department",
)
DEFAULT_SCORECARD = "Default scorecard"

# 0008's rule and 0006's grant, reused as they stand: a released migration is frozen, so
# importing from one is safe (the module names start with a digit, hence importlib).
_VERSIONS = "store.migrations.versions."
_marked = importlib.import_module(_VERSIONS + "0008_complementary_suppression")._marked
_grant_reader = importlib.import_module(_VERSIONS + "0006_insight_reporting_views")._grant_reader

_MONTHLY_VALUES = """
        SELECT employee_id, period, kpi_id, value FROM kpi_values
        UNION ALL
        SELECT employee_id, period, 'completion_rate',
               tasks_completed::double precision / tasks_total
          FROM task_records WHERE tasks_total > 0
        UNION ALL
        SELECT employee_id, period, 'task_efficiency', hours_logged / tasks_total
          FROM task_records WHERE tasks_total > 0
        UNION ALL
        SELECT employee_id, period, 'throughput', tasks_completed::double precision
          FROM task_records"""


def upgrade() -> None:
    op.execute(f"""
    CREATE VIEW reporting.kpi_catalogue WITH (security_barrier) AS
    SELECT k.kpi_id, k.name AS kpi, k.unit, k.direction, k.aggregation, k.description,
           k.builtin, (SELECT count(*) FROM scorecards s WHERE s.kpi_id = k.kpi_id) AS scorecards
      FROM kpis k
     WHERE EXISTS (SELECT FROM reporting.settings);

    CREATE VIEW reporting.scorecard_weights WITH (security_barrier) AS
    WITH weights AS (
        SELECT job_title, kpi_id, weight FROM scorecards
        UNION ALL
        SELECT '{DEFAULT_SCORECARD}', d.kpi_id, d.weight
          FROM model_runs r
         CROSS JOIN LATERAL (VALUES
               ('completion_rate', (r.params #>> '{{analysis,completion_weight}}')::float),
               ('task_efficiency', (r.params #>> '{{analysis,efficiency_weight}}')::float),
               ('throughput', (r.params #>> '{{analysis,throughput_weight}}')::float))
               AS d (kpi_id, weight)
         WHERE r.is_current AND d.weight > 0
    )
    SELECT w.job_title, w.kpi_id, k.name AS kpi, k.unit, k.direction, w.weight,
           w.weight / sum(w.weight) OVER (PARTITION BY w.job_title) AS weight_share
      FROM weights w JOIN kpis k USING (kpi_id)
     WHERE EXISTS (SELECT FROM reporting.settings);

    CREATE VIEW reporting.kpi_by_department_month WITH (security_barrier) AS
    WITH monthly AS ({_MONTHLY_VALUES}
    ), groups AS (
        SELECT m.period::timestamp AT TIME ZONE 'UTC' AS month, m.kpi_id, e.department,
               count(*) AS employees,
               avg(m.value) AS average_value,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY m.value) AS median_value
          FROM monthly m JOIN employees e USING (employee_id)
         GROUP BY m.period, m.kpi_id, e.department
    ), marked AS ({_marked("groups", "g.month, g.kpi_id", "department", "employees")}
    )
    SELECT m.month, m.kpi_id, k.name AS kpi, k.unit, k.direction, m.department,
           m.employees, m.average_value, m.median_value
      FROM marked m JOIN kpis k USING (kpi_id)
     WHERE NOT m.hidden;

    CREATE VIEW reporting.kpi_points_by_department WITH (security_barrier) AS
    WITH people AS (
        SELECT s.run_id, r.as_of, s.department,
               coalesce(s.scorecard, '{DEFAULT_SCORECARD}') AS scorecard, s.kpis
          FROM scores s JOIN model_runs r ON r.run_id = s.run_id AND r.is_current
    ), groups AS (
        SELECT run_id, department, scorecard, count(*) AS employees
          FROM people GROUP BY run_id, department, scorecard
    ), marked AS ({_marked("groups", "g.run_id, g.department", "scorecard", "employees")}
    )
    SELECT m.run_id, p.as_of, m.department, m.scorecard, m.employees,
           c.entry ->> 'kpi_id' AS kpi_id, k.name AS kpi, k.unit, k.direction,
           (c.entry ->> 'weight')::double precision AS weight,
           avg((c.entry ->> 'value')::double precision) AS average_value,
           avg((c.entry ->> 'normalised')::double precision) AS average_normalised,
           avg((c.entry ->> 'points')::double precision) AS average_points,
           min(c.position) AS position
      FROM marked m
      JOIN people p USING (run_id, department, scorecard)
     CROSS JOIN LATERAL jsonb_array_elements(p.kpis) WITH ORDINALITY AS c (entry, position)
      JOIN kpis k ON k.kpi_id = c.entry ->> 'kpi_id'
     WHERE NOT m.hidden
       AND EXISTS (SELECT FROM reporting.tier_distribution_by_department d
                    WHERE d.run_id = m.run_id AND d.department = m.department)
     GROUP BY m.run_id, p.as_of, m.department, m.scorecard, m.employees,
              c.entry ->> 'kpi_id', k.name, k.unit, k.direction, c.entry ->> 'weight';
    """)
    _grant_reader()


def downgrade() -> None:
    op.execute("".join(f"DROP VIEW reporting.{view};\n" for view in reversed(_VIEWS)))
