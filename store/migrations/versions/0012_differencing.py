"""Differencing protection for the remaining reporting views: the views 0008 left with a
plain minimum (activity per department and month, skill gaps per department and the two
training demand views) hide enough other groups with a small one that no hidden group is
recoverable by subtracting the shown ones from their parent's total.

0008 kept them as they were because no organisation-wide counterpart of these figures was
published outside HR's own endpoints. That argument rests on what other surfaces publish
and breaks the day one of them adds a total (a panel summing a month's tasks, an export of
a skill's organisation-wide gap), so every aggregate Grafana reads now follows the same
rule. The parents:

- activity_by_department_month: the month (every department's task records of that month).
- skill_gaps_by_department: the skill (every department's people whose role requires it);
  training_demand_by_department is built on it and inherits its suppression.
- training_demand_by_department_run: the skill within the current run; a group is a
  department's people with a gap in that skill, shown once per program that builds it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

import importlib

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# 0008's rule and 0002's skill assessment, reused as they stand (released migrations are
# frozen; their module names start with a digit, hence importlib).
_VERSIONS = "store.migrations.versions."
_marked = importlib.import_module(_VERSIONS + "0008_complementary_suppression")._marked
_SKILL_ASSESSMENT = importlib.import_module(_VERSIONS + "0002_reporting_views")._SKILL_ASSESSMENT
_K = "(SELECT min_group_size FROM reporting.settings)"

_ACTIVITY_COLUMNS = """month, department, employees, tasks_total, tasks_completed,
           avg_completion_rate, avg_task_hours"""
_ACTIVITY_GROUPS = """
        SELECT t.period::timestamp AT TIME ZONE 'UTC' AS month, e.department,
               count(*) AS employees,
               sum(t.tasks_total) AS tasks_total,
               sum(t.tasks_completed) AS tasks_completed,
               avg(t.tasks_completed::double precision / nullif(t.tasks_total, 0))
                   AS avg_completion_rate,
               avg(t.hours_logged / nullif(t.tasks_total, 0)) AS avg_task_hours
          FROM task_records t
          JOIN employees e USING (employee_id)
         GROUP BY t.period, e.department"""

_SKILL_GAP_COLUMNS = (
    "department, skill, employees_assessed, employees_with_gap, avg_gap, total_gap_levels"
)
_SKILL_GAP_GROUPS = f"""
        SELECT department, skill,
               count(*) AS employees_assessed,
               count(*) FILTER (WHERE gap > 0) AS employees_with_gap,
               avg(gap)::double precision AS avg_gap,
               sum(gap) AS total_gap_levels
          FROM ({_SKILL_ASSESSMENT}) assessment
         GROUP BY department, skill"""

_DEMAND_RUN_ROWS = """
      FROM training_demand d
      JOIN model_runs r ON r.run_id = d.run_id AND r.is_current"""
_DEMAND_RUN_COLUMNS = """r.run_id, r.as_of, d.department, d.skill,
           d.employees_with_gap, d.total_gap_levels,
           d.program_id, d.program_name AS program, d.training_hours::double precision
               AS training_hours"""


def upgrade() -> None:
    op.execute(f"""
    CREATE OR REPLACE VIEW reporting.activity_by_department_month WITH (security_barrier) AS
    WITH groups AS ({_ACTIVITY_GROUPS}
    ), marked AS ({_marked("groups", "g.month", "department", "employees")}
    )
    SELECT {_ACTIVITY_COLUMNS} FROM marked WHERE NOT hidden;

    CREATE OR REPLACE VIEW reporting.skill_gaps_by_department WITH (security_barrier) AS
    WITH groups AS ({_SKILL_GAP_GROUPS}
    ), marked AS ({_marked("groups", "g.skill", "department", "employees_assessed")}
    )
    SELECT {_SKILL_GAP_COLUMNS} FROM marked WHERE NOT hidden;

    CREATE OR REPLACE VIEW reporting.training_demand_by_department_run
        WITH (security_barrier) AS
    WITH groups AS (
        SELECT DISTINCT d.run_id, d.department, d.skill, d.employees_with_gap
          {_DEMAND_RUN_ROWS}
         WHERE d.level = 'department'
    ), marked AS ({_marked("groups", "g.run_id, g.skill", "department", "employees_with_gap")}
    )
    SELECT {_DEMAND_RUN_COLUMNS}
      {_DEMAND_RUN_ROWS}
      JOIN marked m ON m.run_id = d.run_id AND m.department = d.department
                   AND m.skill = d.skill AND NOT m.hidden
     WHERE d.level = 'department';
    """)


def downgrade() -> None:
    # The plain minimum of 0002 and 0006.
    op.execute(f"""
    CREATE OR REPLACE VIEW reporting.activity_by_department_month WITH (security_barrier) AS
    SELECT {_ACTIVITY_COLUMNS} FROM ({_ACTIVITY_GROUPS}) g WHERE employees >= {_K};

    CREATE OR REPLACE VIEW reporting.skill_gaps_by_department WITH (security_barrier) AS
    SELECT {_SKILL_GAP_COLUMNS} FROM ({_SKILL_GAP_GROUPS}) g
     WHERE employees_assessed >= {_K};

    CREATE OR REPLACE VIEW reporting.training_demand_by_department_run
        WITH (security_barrier) AS
    SELECT {_DEMAND_RUN_COLUMNS}
      {_DEMAND_RUN_ROWS}
     WHERE d.level = 'department' AND d.employees_with_gap >= {_K};
    """)
