"""The employees resource: an employee's record, their result in the current run and across
kept runs, filtered pages of current results, and their skill gaps and recommended
training."""

from __future__ import annotations

from psycopg2.extensions import connection

from store.queries._sql import REVIEW_COLUMNS, REVIEWED, current, fetch_all, fetch_one
from store.scope import Scope

RESULT_COLUMNS = (
    """s.run_id, r.as_of, s.employee_id, s.department, s.team, s.job_title,
    s.score, s.completion_rate, s.task_efficiency, s.throughput, s.avg_task_hours,
    s.completed_tasks, s.total_tasks, s.relative_task_hours, s.relative_throughput,
    s.tier, s.is_anomaly, s.anomaly_score, s.predicted_tier,
    s.p_high, s.p_medium, s.p_low, s.flags,
    s.percentile_department, s.percentile_job_title, s.score_w1, s.score_w2,
    s.tier_w1, s.tier_w2, s.score_change, s.trend, s.tier_drivers, s.anomaly_drivers,
    s.scorecard, s.kpis,
    r.metrics -> 'score_scale' AS score_scale,
    jsonb_build_object(
        'completion', (r.params #>> '{analysis,completion_weight}')::float,
        'efficiency', (r.params #>> '{analysis,efficiency_weight}')::float,
        'throughput', (r.params #>> '{analysis,throughput_weight}')::float) AS weights,
    """
    + REVIEW_COLUMNS
)


def employee(conn: connection, employee_id: str, *, scope: Scope) -> dict | None:
    """The employee's record; None when unknown or outside the scope (indistinguishable)."""
    return fetch_one(
        conn,
        f"""SELECT employee_id, name, department, team, job_title, manager_id, hire_date
            FROM employees
            WHERE employee_id = %(employee_id)s AND {scope.sql("employee_id")}""",
        {"employee_id": employee_id, **scope.params()},
    )


def employee_result(conn: connection, employee_id: str, *, scope: Scope) -> dict | None:
    """The employee's result in the current run."""
    return fetch_one(
        conn,
        f"""SELECT {RESULT_COLUMNS}
            FROM model_runs r JOIN scores s ON s.run_id = r.run_id {REVIEWED}
            WHERE r.is_current AND s.employee_id = %(employee_id)s
              AND {scope.sql("s.employee_id")}""",
        {"employee_id": employee_id, **scope.params()},
    )


def employee_history(conn: connection, employee_id: str, limit: int, *, scope: Scope) -> list[dict]:
    """The employee's results across the kept runs, newest first."""
    return fetch_all(
        conn,
        f"""SELECT {RESULT_COLUMNS}, r.finished_at
            FROM scores s JOIN model_runs r ON r.run_id = s.run_id {REVIEWED}
            WHERE s.employee_id = %(employee_id)s AND r.status = 'succeeded'
              AND {scope.sql("s.employee_id")}
            ORDER BY s.run_id DESC LIMIT %(limit)s""",
        {"employee_id": employee_id, "limit": limit, **scope.params()},
    )


def results(
    conn: connection,
    *,
    scope: Scope,
    department: str | None,
    team: str | None,
    tier: str | None,
    anomaly: bool | None,
    after: str | None,
    limit: int,
) -> list[dict]:
    """A page of current results in employee_id order (keyset pagination: `after` is the
    last employee_id of the previous page)."""
    return fetch_all(
        conn,
        f"""SELECT {RESULT_COLUMNS}
            FROM model_runs r JOIN scores s ON s.run_id = r.run_id {REVIEWED}
            WHERE r.is_current
              AND (%(department)s::text IS NULL OR s.department = %(department)s)
              AND (%(team)s::text IS NULL OR s.team = %(team)s)
              AND (%(tier)s::text IS NULL OR s.tier = %(tier)s)
              AND (%(anomaly)s::boolean IS NULL OR s.is_anomaly = %(anomaly)s)
              AND (%(after)s::text IS NULL OR s.employee_id > %(after)s)
              AND {scope.sql("s.employee_id")}
            ORDER BY s.employee_id
            LIMIT %(limit)s""",
        {
            "department": department,
            "team": team,
            "tier": tier,
            "anomaly": anomaly,
            "after": after,
            "limit": limit,
            **scope.params(),
        },
    )


def skill_gaps(conn: connection, employee_id: str, *, scope: Scope) -> list[dict]:
    return fetch_all(
        conn,
        f"""SELECT g.skill, g.required_level, g.current_level, g.gap, g.importance
            FROM skill_gaps g {current("g")}
            WHERE g.employee_id = %(employee_id)s AND {scope.sql("g.employee_id")}
            ORDER BY g.importance DESC, g.gap DESC, g.skill""",
        {"employee_id": employee_id, **scope.params()},
    )


def recommendations(conn: connection, employee_id: str, *, scope: Scope) -> list[dict]:
    return fetch_all(
        conn,
        f"""SELECT t.rank, t.program_id, t.program_name, t.skill, t.gap, t.levels_closed,
                   t.importance, t.duration_hours, t.skill_match_gain, t.expected_benefit
            FROM training_recommendations t {current("t")}
            WHERE t.employee_id = %(employee_id)s AND {scope.sql("t.employee_id")}
            ORDER BY t.rank""",
        {"employee_id": employee_id, **scope.params()},
    )
