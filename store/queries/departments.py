"""The departments resource: per-department summaries, the department's trend over the
run's windows and kept runs, and the employee rows of the department report."""

from __future__ import annotations

from psycopg2.extensions import connection

from store.queries._sql import REVIEWED, current, fetch_all
from store.scope import Scope


def department_summaries(conn: connection, *, scope: Scope) -> list[dict]:
    """Per department, over the scored employees within the scope only; tiers are the
    final ones (reviews applied)."""
    return fetch_all(
        conn,
        f"""SELECT s.department,
                  count(*) AS employees,
                  round(avg(s.score)::numeric, 2)::float AS average_score,
                  round(avg(s.completion_rate)::numeric, 4)::float AS average_completion_rate,
                  count(*) FILTER (WHERE f.final_tier = 'High') AS tier_high,
                  count(*) FILTER (WHERE f.final_tier = 'Medium') AS tier_medium,
                  count(*) FILTER (WHERE f.final_tier = 'Low') AS tier_low,
                  count(*) FILTER (WHERE s.is_anomaly) AS anomalies,
                  count(*) FILTER (WHERE s.predicted_tier = 'Low') AS predicted_low
           FROM model_runs r JOIN scores s ON s.run_id = r.run_id {REVIEWED}
           WHERE r.is_current AND {scope.sql("s.employee_id")}
           GROUP BY s.department
           ORDER BY s.department""",
        scope.params(),
    )


def department_trend(conn: connection, department: str) -> dict | None:
    """The current run's windows and the window-0 figure of every kept run."""
    windows = fetch_all(
        conn,
        f"""SELECT t."window", t.period_end, t.employees, t.average_score,
                   t.tier_high, t.tier_medium, t.tier_low
            FROM department_trends t {current("t")}
            WHERE t.department = %(department)s ORDER BY t."window" DESC""",
        {"department": department},
    )
    if not windows:
        return None
    runs = fetch_all(
        conn,
        """SELECT t.run_id, r.as_of, t.employees, t.average_score,
                  t.tier_high, t.tier_medium, t.tier_low
           FROM department_trends t JOIN model_runs r ON r.run_id = t.run_id
           WHERE t.department = %(department)s AND t."window" = 0 AND r.status = 'succeeded'
           ORDER BY t.run_id""",
        {"department": department},
    )
    return {"windows": windows, "runs": runs}


# The order of the people to look at first: flagged as unusual, then predicted to be Low
# next, then declining, then by score from the lowest.
ATTENTION_ORDER = """s.is_anomaly DESC, (s.predicted_tier = 'Low') DESC NULLS LAST,
                  (s.trend = 'declining') DESC NULLS LAST, s.score ASC NULLS LAST, s.employee_id"""


def department_employees(
    conn: connection, department: str, team: str | None = None, first: int | None = None
) -> list[dict]:
    """One row per employee of the department (or of one of its teams) in the current run,
    with the figures a report lists: result, percentile, trend, prediction, anomaly, skill
    gaps and the first recommended program, with the final tier beside the model's. In
    team order; with `first`, only the first that many people to look at first, in that
    order."""
    order = "s.team, s.employee_id" if first is None else ATTENTION_ORDER
    return fetch_all(
        conn,
        f"""SELECT s.employee_id, e.name, s.team, s.job_title,
                  round(s.score::numeric, 2)::float AS score, s.tier,
                  f.final_tier, f.decision AS review_decision,
                  round(s.percentile_department::numeric, 1)::float AS percentile_department,
                  round(s.percentile_job_title::numeric, 1)::float AS percentile_job_title,
                  s.trend, round(s.score_change::numeric, 2)::float AS score_change,
                  s.predicted_tier, round(s.p_low::numeric, 3)::float AS p_low,
                  s.is_anomaly, s.tier_drivers, s.anomaly_drivers,
                  (SELECT count(*) FROM skill_gaps g
                    WHERE g.run_id = s.run_id AND g.employee_id = s.employee_id) AS skill_gaps,
                  t.program_name AS top_training, t.skill AS top_training_skill,
                  round(t.expected_benefit::numeric, 2)::float AS top_training_benefit
           FROM scores s
           JOIN model_runs r ON r.run_id = s.run_id AND r.is_current
           {REVIEWED}
           LEFT JOIN employees e ON e.employee_id = s.employee_id
           LEFT JOIN training_recommendations t
                  ON t.run_id = s.run_id AND t.employee_id = s.employee_id AND t.rank = 1
           WHERE s.department = %(department)s
             AND (%(team)s::text IS NULL OR s.team = %(team)s)
           ORDER BY """
        + order
        + " LIMIT %(first)s",
        {"department": department, "team": team, "first": first},
    )
