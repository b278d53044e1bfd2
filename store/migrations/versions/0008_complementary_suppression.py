"""Complementary suppression in the reporting views: the organisation's totals minus the
departments a view shows never isolate a hidden department.

The API publishes organisation-wide figures of every kept run: /metrics and
/api/v1/models/{current,<id>} give the employees scored, the tier counts, the anomaly count
and ratio and the mean score. A view that only hides departments under
`reporting.settings.min_group_size` lets anyone subtract the shown departments from those
totals; with one department hidden, the difference is that department (with one person,
that person's tier and score). The totals stay, since operators alert on them; the views now
hide more instead.

The rule, per parent (a run, a run's window, the organisation for headcounts; a department
for its teams): when any group is under the minimum, the next-smallest groups (by size, then
name) are hidden with it until at least two groups are hidden and together they have at
least the minimum. The parent's total minus what is shown is then a sum over two or more
groups of at least the minimum people. Views over the same people (scores of a run, the
departments of the stored trends) hide the same departments, as the rule depends on the
sizes alone, so no pair of views isolates a group either. A team is shown only when its
department is: its department's figure, where shown, is the parent the rule protects.

Not changed: activity_by_department_month, skill_gaps_by_department and the training demand
views have no organisation-wide counterpart outside HR's own endpoints, and
training_effectiveness groups programmes, not departments.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# As in 0002: with no settings row every comparison is with NULL and the views show nothing.
_K = "(SELECT min_group_size FROM reporting.settings)"

_CURRENT_RUN = "JOIN model_runs r ON r.run_id = s.run_id AND r.is_current"

_TIER_COUNTS = """
           count(*) AS employees,
           count(*) FILTER (WHERE s.tier = 'High') AS high,
           count(*) FILTER (WHERE s.tier = 'Medium') AS medium,
           count(*) FILTER (WHERE s.tier = 'Low') AS low,
           avg(s.score)::double precision AS avg_score"""


def _marked(groups: str, parent: str, name: str, size: str) -> str:
    """The rows of CTE `groups` with `hidden`: under the minimum, or among the next-smallest
    of its parent's groups needed to make the hidden ones two or more and at least the
    minimum together. `parent` is a column list (or `true` for a single parent)."""
    small = f"g.{size} < k.min_group_size"
    return f"""
        SELECT g.*,
               {small}
               OR (count(*) FILTER (WHERE {small}) OVER parent > 0
                   AND (count(*) FILTER (WHERE {small}) OVER parent
                            + row_number() OVER by_size - 1 < 2
                        OR coalesce(sum(g.{size}) FILTER (WHERE {small}) OVER parent, 0)
                            + sum(g.{size}) OVER by_size - g.{size} < k.min_group_size))
                   AS hidden
          FROM {groups} g CROSS JOIN reporting.settings k
        WINDOW parent AS (PARTITION BY {parent}),
               by_size AS (PARTITION BY {parent}, {small} ORDER BY g.{size}, g.{name}
                           ROWS UNBOUNDED PRECEDING)"""


_UPGRADE = f"""
    CREATE OR REPLACE VIEW reporting.department_headcount WITH (security_barrier) AS
    WITH groups AS (
        SELECT department, count(*) AS employees FROM employees GROUP BY department
    ), marked AS ({_marked("groups", "true", "department", "employees")}
    )
    SELECT department, employees FROM marked WHERE NOT hidden;

    CREATE OR REPLACE VIEW reporting.tier_distribution_by_department WITH (security_barrier) AS
    WITH groups AS (
        SELECT r.run_id, r.as_of, s.department,{_TIER_COUNTS}
          FROM scores s {_CURRENT_RUN}
         GROUP BY r.run_id, r.as_of, s.department
    ), marked AS ({_marked("groups", "g.run_id", "department", "employees")}
    )
    SELECT run_id, as_of, department, employees, high, medium, low, avg_score
      FROM marked WHERE NOT hidden;

    CREATE OR REPLACE VIEW reporting.tier_distribution_by_team WITH (security_barrier) AS
    WITH groups AS (
        SELECT r.run_id, r.as_of, s.department, s.team,{_TIER_COUNTS}
          FROM scores s {_CURRENT_RUN}
         GROUP BY r.run_id, r.as_of, s.department, s.team
    ), marked AS ({_marked("groups", "g.run_id, g.department", "team", "employees")}
    )
    SELECT m.run_id, m.as_of, m.department, m.team, m.employees, m.high, m.medium, m.low,
           m.avg_score
      FROM marked m
     WHERE NOT m.hidden
       AND EXISTS (SELECT FROM reporting.tier_distribution_by_department d
                    WHERE d.run_id = m.run_id AND d.department = m.department);

    CREATE OR REPLACE VIEW reporting.performance_by_department_month
        WITH (security_barrier) AS
    WITH monthly_runs AS (
        SELECT DISTINCT ON (date_trunc('month', as_of::timestamp)) run_id, as_of
          FROM model_runs
         WHERE status = 'succeeded' AND as_of IS NOT NULL
         ORDER BY date_trunc('month', as_of::timestamp), finished_at DESC, run_id DESC
    ), groups AS (
        SELECT date_trunc('month', r.as_of::timestamp) AT TIME ZONE 'UTC' AS month,
               r.run_id, s.department,
               count(*) AS employees,
               avg(s.score)::double precision AS avg_score,
               avg(s.completion_rate)::double precision AS avg_completion_rate
          FROM monthly_runs r
          JOIN scores s ON s.run_id = r.run_id
         GROUP BY r.as_of, r.run_id, s.department
    ), marked AS ({_marked("groups", "g.run_id", "department", "employees")}
    )
    SELECT month, run_id, department, employees, avg_score, avg_completion_rate
      FROM marked WHERE NOT hidden;

    CREATE OR REPLACE VIEW reporting.anomalies_by_department_run WITH (security_barrier) AS
    WITH groups AS (
        SELECT r.run_id, r.finished_at, r.as_of, s.department,
               count(*) AS employees,
               count(*) FILTER (WHERE s.is_anomaly) AS anomalies,
               avg(s.is_anomaly::int)::double precision AS anomaly_ratio
          FROM model_runs r
          JOIN scores s ON s.run_id = r.run_id
         WHERE r.status = 'succeeded'
         GROUP BY r.run_id, r.finished_at, r.as_of, s.department
    ), marked AS ({_marked("groups", "g.run_id", "department", "employees")}
    )
    SELECT run_id, finished_at, as_of, department, employees, anomalies, anomaly_ratio
      FROM marked WHERE NOT hidden;

    CREATE OR REPLACE VIEW reporting.department_trends WITH (security_barrier) AS
    WITH groups AS (
        SELECT t.period_end::timestamp AT TIME ZONE 'UTC' AS "time",
               t.run_id, r.as_of, t."window", t.department, t.employees,
               t.average_score::double precision AS average_score,
               t.tier_high AS high, t.tier_medium AS medium, t.tier_low AS low
          FROM department_trends t
          JOIN model_runs r ON r.run_id = t.run_id AND r.status = 'succeeded'
    ), marked AS ({_marked("groups", 'g.run_id, g."window"', "department", "employees")}
    )
    SELECT "time", run_id, as_of, "window", department, employees, average_score,
           high, medium, low
      FROM marked WHERE NOT hidden;

    -- A department's flag shows its window-0 average, which with the organisation's mean
    -- gives away what the trends hide: shown only where both windows are.
    CREATE OR REPLACE VIEW reporting.department_trend_flags WITH (security_barrier) AS
    WITH current_trends AS (
        SELECT t.*,
               coalesce((r.params #>> '{{insights,trend_threshold}}')::double precision,
                        5.0) AS threshold,
               max(t."window") OVER (PARTITION BY t.department) AS earliest
          FROM department_trends t
          JOIN model_runs r ON r.run_id = t.run_id AND r.is_current
    ), changes AS (
        SELECT latest.run_id, latest.department, latest.threshold,
               earlier."window" AS earlier_window,
               latest.average_score::double precision AS average_score,
               round(latest.average_score::numeric - earlier.average_score::numeric, 3)
                   ::double precision AS score_change
          FROM current_trends latest
          LEFT JOIN current_trends earlier
            ON earlier.department = latest.department AND earlier."window" = latest.earliest
           AND latest.earliest > 0
         WHERE latest."window" = 0
    )
    SELECT c.run_id, c.department, c.average_score, c.score_change,
           CASE WHEN c.score_change >= c.threshold THEN 'improving'
                WHEN c.score_change <= -c.threshold THEN 'declining'
                WHEN c.score_change IS NOT NULL THEN 'stable'
           END AS trend,
           c.threshold
      FROM changes c
     WHERE EXISTS (SELECT FROM reporting.department_trends v
                    WHERE v.run_id = c.run_id AND v.department = c.department
                      AND v."window" = 0)
       AND (c.earlier_window IS NULL
            OR EXISTS (SELECT FROM reporting.department_trends v
                        WHERE v.run_id = c.run_id AND v.department = c.department
                          AND v."window" = c.earlier_window));

    CREATE OR REPLACE VIEW reporting.team_balance_by_department WITH (security_barrier) AS
    WITH teams AS (
        SELECT c.*, k.min_group_size AS k,
               c.tier_high::double precision / nullif(c.members, 0) AS high_share
          FROM team_composition c
          JOIN model_runs r ON r.run_id = c.run_id AND r.is_current
         CROSS JOIN reporting.settings k
    ), groups AS (
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
    ), marked AS ({_marked("groups", "g.run_id", "department", "members")}
    )
    SELECT run_id, department, teams, members, average_skill_coverage, average_workload_cv,
           teams_below_full_coverage, high_share_spread
      FROM marked WHERE NOT hidden;
"""

# The definitions of 0002 and 0006, restored as they were.
_DOWNGRADE = f"""
    CREATE OR REPLACE VIEW reporting.department_headcount WITH (security_barrier) AS
    SELECT department, count(*) AS employees
      FROM employees
     GROUP BY department
    HAVING count(*) >= {_K};

    CREATE OR REPLACE VIEW reporting.tier_distribution_by_department WITH (security_barrier) AS
    SELECT r.run_id, r.as_of, s.department,{_TIER_COUNTS}
      FROM scores s {_CURRENT_RUN}
     GROUP BY r.run_id, r.as_of, s.department
    HAVING count(*) >= {_K};

    CREATE OR REPLACE VIEW reporting.tier_distribution_by_team WITH (security_barrier) AS
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

    CREATE OR REPLACE VIEW reporting.performance_by_department_month
        WITH (security_barrier) AS
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

    CREATE OR REPLACE VIEW reporting.anomalies_by_department_run WITH (security_barrier) AS
    SELECT r.run_id, r.finished_at, r.as_of, s.department,
           count(*) AS employees,
           count(*) FILTER (WHERE s.is_anomaly) AS anomalies,
           avg(s.is_anomaly::int)::double precision AS anomaly_ratio
      FROM model_runs r
      JOIN scores s ON s.run_id = r.run_id
     WHERE r.status = 'succeeded'
     GROUP BY r.run_id, r.finished_at, r.as_of, s.department
    HAVING count(*) >= {_K};

    CREATE OR REPLACE VIEW reporting.department_trends WITH (security_barrier) AS
    SELECT t.period_end::timestamp AT TIME ZONE 'UTC' AS "time",
           t.run_id, r.as_of, t."window", t.department, t.employees,
           t.average_score::double precision AS average_score,
           t.tier_high AS high, t.tier_medium AS medium, t.tier_low AS low
      FROM department_trends t
      JOIN model_runs r ON r.run_id = t.run_id AND r.status = 'succeeded'
     WHERE t.employees >= {_K};

    CREATE OR REPLACE VIEW reporting.department_trend_flags WITH (security_barrier) AS
    WITH current_trends AS (
        SELECT t.*,
               coalesce((r.params #>> '{{insights,trend_threshold}}')::double precision,
                        5.0) AS threshold,
               max(t."window") OVER (PARTITION BY t.department) AS earliest
          FROM department_trends t
          JOIN model_runs r ON r.run_id = t.run_id AND r.is_current
    ), changes AS (
        SELECT latest.run_id, latest.department, latest.threshold,
               latest.employees, earlier.employees AS employees_earlier,
               latest.average_score::double precision AS average_score,
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

    CREATE OR REPLACE VIEW reporting.team_balance_by_department WITH (security_barrier) AS
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
"""


def upgrade() -> None:
    # CREATE OR REPLACE keeps each view's columns and the reader role's grants.
    op.execute(_UPGRADE)


def downgrade() -> None:
    op.execute(_DOWNGRADE)
