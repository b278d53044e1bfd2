"""Read queries behind the API. Every read is an index lookup on the current run: nothing
here recomputes a model. Every read of employee data takes the caller's `Scope` and applies
it in its SQL."""

from __future__ import annotations

from psycopg2.extensions import connection
from psycopg2.extras import RealDictCursor

from store.scope import Scope

RUN_SUMMARY_COLUMNS = """run_id, status, is_current, as_of, started_at, finished_at,
    duration_seconds, rows_read, employees_scored, error"""

RESULT_COLUMNS = """s.run_id, r.as_of, s.employee_id, s.department, s.team, s.job_title,
    s.score, s.completion_rate, s.task_efficiency, s.throughput, s.avg_task_hours,
    s.completed_tasks, s.total_tasks, s.relative_task_hours, s.relative_throughput,
    s.tier, s.is_anomaly, s.anomaly_score, s.predicted_tier,
    s.p_high, s.p_medium, s.p_low, s.flags,
    s.percentile_department, s.percentile_job_title, s.score_w1, s.score_w2,
    s.tier_w1, s.tier_w2, s.score_change, s.trend, s.tier_drivers, s.anomaly_drivers,
    r.metrics -> 'score_scale' AS score_scale,
    jsonb_build_object(
        'completion', (r.params #>> '{analysis,completion_weight}')::float,
        'efficiency', (r.params #>> '{analysis,efficiency_weight}')::float,
        'throughput', (r.params #>> '{analysis,throughput_weight}')::float) AS weights"""


def fetch_all(conn: connection, query: str, params: dict | tuple = ()) -> list[dict]:
    with conn.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute(query, params)
        return cur.fetchall()


def fetch_one(conn: connection, query: str, params: dict | tuple = ()) -> dict | None:
    rows = fetch_all(conn, query, params)
    return rows[0] if rows else None


def current_run_id(conn: connection) -> int | None:
    row = fetch_one(conn, "SELECT run_id FROM model_runs WHERE is_current")
    return row["run_id"] if row else None


def run(conn: connection, run_id: int | None = None) -> dict | None:
    """One run with its parameters and metrics; the current one when run_id is None."""
    where = "is_current" if run_id is None else "run_id = %(run_id)s"
    return fetch_one(
        conn,
        f"SELECT {RUN_SUMMARY_COLUMNS}, params, metrics, timings FROM model_runs WHERE {where}",
        {"run_id": run_id},
    )


def runs(conn: connection, *, before: int | None, limit: int) -> list[dict]:
    return fetch_all(
        conn,
        f"""SELECT {RUN_SUMMARY_COLUMNS} FROM model_runs
            WHERE %(before)s::bigint IS NULL OR run_id < %(before)s
            ORDER BY run_id DESC LIMIT %(limit)s""",
        {"before": before, "limit": limit},
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
            FROM model_runs r JOIN scores s ON s.run_id = r.run_id
            WHERE r.is_current AND s.employee_id = %(employee_id)s
              AND {scope.sql("s.employee_id")}""",
        {"employee_id": employee_id, **scope.params()},
    )


def employee_history(conn: connection, employee_id: str, limit: int, *, scope: Scope) -> list[dict]:
    """The employee's results across the kept runs, newest first."""
    return fetch_all(
        conn,
        f"""SELECT {RESULT_COLUMNS}, r.finished_at
            FROM scores s JOIN model_runs r ON r.run_id = s.run_id
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
            FROM model_runs r JOIN scores s ON s.run_id = r.run_id
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


def department_summaries(conn: connection, *, scope: Scope) -> list[dict]:
    """Per department, over the scored employees within the scope only."""
    return fetch_all(
        conn,
        f"""SELECT s.department,
                  count(*) AS employees,
                  round(avg(s.score)::numeric, 2)::float AS average_score,
                  round(avg(s.completion_rate)::numeric, 4)::float AS average_completion_rate,
                  count(*) FILTER (WHERE s.tier = 'High') AS tier_high,
                  count(*) FILTER (WHERE s.tier = 'Medium') AS tier_medium,
                  count(*) FILTER (WHERE s.tier = 'Low') AS tier_low,
                  count(*) FILTER (WHERE s.is_anomaly) AS anomalies,
                  count(*) FILTER (WHERE s.predicted_tier = 'Low') AS predicted_low
           FROM model_runs r JOIN scores s ON s.run_id = r.run_id
           WHERE r.is_current AND {scope.sql("s.employee_id")}
           GROUP BY s.department
           ORDER BY s.department""",
        scope.params(),
    )
