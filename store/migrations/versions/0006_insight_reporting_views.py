"""Reporting views over the HR insights a run stores: training demand and effectiveness,
department score trends and their flags, and team balance, for the Grafana dashboards.

Same rules as 0002: aggregates only, no employee identifier or name, a row only for a group
of at least `reporting.settings.min_group_size` people, security_barrier views read with
their owner's rights. All but department_trends (every kept successful run, for time
series) show the current run only. What "the group" is, per view:

- training_demand_by_department_run: the people with the gap. Unlike 0002's view, which
  knows how many people were assessed, the stored demand only counts those with a gap, and
  its total gap levels and training hours are sums over exactly them: with one person the
  row would be that person's gap.
- department_trends: the department's employees scored in that window.
- department_trend_flags: the department in window 0 AND in the earlier window the change is
  measured from; otherwise the change and the window-0 average shown elsewhere would give
  away the small earlier group's average.
- training_effectiveness: the participants AND the comparison group, since the effect is
  the difference between their changes.
- team_balance_by_department: the department's members; the spread of the High share is
  taken over teams of at least the minimum, since a one-person team's share is its tier.

The reader role gets SELECT on the new views through 0002's `reporting.grant_read_access`
(it grants every view of the schema; there are no default privileges, which would also
cover tables). When the role does not exist and this user may not create it, a DBA runs
the CALL as 0002 describes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

import logging

from alembic import op
from sqlalchemy import text

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

READER_ROLE = "epa_grafana"
# The analytics' default (InsightsConfig.trend_threshold) for a run stored without it.
DEFAULT_TREND_THRESHOLD = 5.0

# As in 0002: with no settings row the comparison is with NULL and the views show nothing.
_K = "(SELECT min_group_size FROM reporting.settings)"

_VIEWS = (
    "training_demand_by_department_run",
    "department_trends",
    "department_trend_flags",
    "training_effectiveness",
    "team_balance_by_department",
)


def upgrade() -> None:
    op.execute(f"""
    CREATE VIEW reporting.training_demand_by_department_run WITH (security_barrier) AS
    SELECT r.run_id, r.as_of, d.department, d.skill,
           d.employees_with_gap, d.total_gap_levels,
           d.program_id, d.program_name AS program, d.training_hours::double precision
               AS training_hours
      FROM training_demand d
      JOIN model_runs r ON r.run_id = d.run_id AND r.is_current
     WHERE d.level = 'department' AND d.employees_with_gap >= {_K};

    -- Every kept successful run and window: consecutive runs cover overlapping months, so a
    -- time series picks one run per point (the panel takes the latest run).
    CREATE VIEW reporting.department_trends WITH (security_barrier) AS
    SELECT t.period_end::timestamp AT TIME ZONE 'UTC' AS "time",
           t.run_id, r.as_of, t."window", t.department, t.employees,
           t.average_score::double precision AS average_score,
           t.tier_high AS high, t.tier_medium AS medium, t.tier_low AS low
      FROM department_trends t
      JOIN model_runs r ON r.run_id = t.run_id AND r.status = 'succeeded'
     WHERE t.employees >= {_K};

    -- The analytics' rule (InsightsConfig): window 0 minus the earliest window the
    -- department has, against the run's own threshold; no trend without an earlier window.
    -- Each window's average is over the department as it was then (department_trends), not
    -- over today's members as for a team's trend.
    CREATE VIEW reporting.department_trend_flags WITH (security_barrier) AS
    WITH current_trends AS (
        SELECT t.*,
               coalesce((r.params #>> '{{insights,trend_threshold}}')::double precision,
                        {DEFAULT_TREND_THRESHOLD}) AS threshold,
               max(t."window") OVER (PARTITION BY t.department) AS earliest
          FROM department_trends t
          JOIN model_runs r ON r.run_id = t.run_id AND r.is_current
    ), changes AS (
        SELECT latest.run_id, latest.department, latest.threshold,
               latest.employees, earlier.employees AS employees_earlier,
               latest.average_score::double precision AS average_score,
               -- Stored averages are single precision: rounding away their noise keeps a
               -- change of exactly the threshold on the analytics' side of it.
               round(latest.average_score::numeric - earlier.average_score::numeric, 3)
                   ::double precision AS score_change
          FROM current_trends latest
          LEFT JOIN current_trends earlier
            ON earlier.department = latest.department AND earlier."window" = latest.earliest
           AND latest.earliest > 0
         WHERE latest."window" = 0
    )
    SELECT run_id, department, average_score, score_change,
           CASE WHEN score_change >= threshold THEN 'improving'
                WHEN score_change <= -threshold THEN 'declining'
                WHEN score_change IS NOT NULL THEN 'stable'
           END AS trend,
           threshold
      FROM changes
     WHERE employees >= {_K} AND coalesce(employees_earlier >= {_K}, true);

    CREATE VIEW reporting.training_effectiveness WITH (security_barrier) AS
    SELECT r.run_id, r.as_of, e.program_id, e.program_name, e.skill, e.metric,
           e.participants, e.comparison_employees,
           e.effect::double precision AS effect,
           e.ci_low::double precision AS ci_low,
           e.ci_high::double precision AS ci_high
      FROM training_effectiveness e
      JOIN model_runs r ON r.run_id = e.run_id AND r.is_current
     WHERE e.participants >= {_K} AND e.comparison_employees >= {_K};

    -- Each team counts once (the typical team, not the typical member).
    CREATE VIEW reporting.team_balance_by_department WITH (security_barrier) AS
    WITH teams AS (
        SELECT c.*, k.min_group_size AS k,
               c.tier_high::double precision / nullif(c.members, 0) AS high_share
          FROM team_composition c
          JOIN model_runs r ON r.run_id = c.run_id AND r.is_current
         CROSS JOIN reporting.settings k
    )
    SELECT run_id, department,
           count(*) AS teams,
           sum(members) AS members,
           avg(skill_coverage)::double precision AS average_skill_coverage,
           avg(workload_cv)::double precision AS average_workload_cv,
           count(*) FILTER (WHERE skill_coverage < 1) AS teams_below_full_coverage,
           CASE WHEN count(*) FILTER (WHERE members >= k) >= 2
                THEN max(high_share) FILTER (WHERE members >= k)
                     - min(high_share) FILTER (WHERE members >= k)
           END AS high_share_spread
      FROM teams
     GROUP BY run_id, department
    HAVING sum(members) >= min(k);
    """)
    _grant_reader()


def _grant_reader() -> None:
    """SELECT on the new views for the reader role, as 0002 grants the others."""
    bind = op.get_bind()
    exists = bind.execute(
        text("SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = :name)"), {"name": READER_ROLE}
    ).scalar()
    if exists:
        op.execute(f"CALL reporting.grant_read_access('{READER_ROLE}')")
    else:
        logging.getLogger("epa.store.migrate").warning(
            "role %s does not exist: as a DBA, run CREATE ROLE %s NOLOGIN; "
            "CALL reporting.grant_read_access('%s');",
            READER_ROLE,
            READER_ROLE,
            READER_ROLE,
        )


def downgrade() -> None:
    # Privileges on a view go with it.
    op.execute("".join(f"DROP VIEW reporting.{view};\n" for view in reversed(_VIEWS)))
