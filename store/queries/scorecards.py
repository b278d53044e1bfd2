"""The scorecards resource: what scores whom (each job title's KPIs with weights, and the
default scorecard with the job titles it scores), and the removal of a job title's
scorecard."""

from __future__ import annotations

from psycopg2.extensions import connection

from store.queries._sql import fetch_all, fetch_one


def custom_scorecards(conn: connection) -> list[dict]:
    """Per job title with a scorecard, its KPIs (in kpi_id order, the order results list
    them) with name, unit, direction and weight."""
    return fetch_all(
        conn,
        """SELECT s.job_title,
                  jsonb_agg(jsonb_build_object(
                      'kpi_id', k.kpi_id, 'name', k.name, 'unit', k.unit,
                      'direction', k.direction, 'builtin', k.builtin, 'weight', s.weight)
                    ORDER BY k.kpi_id) AS kpis
           FROM scorecards s JOIN kpis k USING (kpi_id)
           GROUP BY s.job_title
           ORDER BY s.job_title""",
    )


def default_job_titles(conn: connection) -> list[str]:
    """The job titles of stored employees that have no scorecard of their own."""
    rows = fetch_all(
        conn,
        """SELECT DISTINCT e.job_title FROM employees e
           WHERE NOT EXISTS (SELECT FROM scorecards s WHERE s.job_title = e.job_title)
           ORDER BY e.job_title""",
    )
    return [r["job_title"] for r in rows]


def builtin_kpis(conn: connection) -> list[dict]:
    """The built-in KPIs (the default scorecard's) with name, unit and direction."""
    return fetch_all(
        conn,
        """SELECT kpi_id, name, unit, direction, builtin FROM kpis
           WHERE builtin ORDER BY kpi_id""",
    )


def current_default_weights(conn: connection) -> dict | None:
    """The default scorecard's weights the current run scored with (None without a run):
    the worker's settings, which the API does not read otherwise."""
    row = fetch_one(
        conn,
        """SELECT r.run_id,
                  (r.params #>> '{analysis,completion_weight}')::float AS completion_rate,
                  (r.params #>> '{analysis,efficiency_weight}')::float AS task_efficiency,
                  (r.params #>> '{analysis,throughput_weight}')::float AS throughput
           FROM model_runs r WHERE r.is_current""",
    )
    if row is None or any(row[k] is None for k in row):
        return None
    return row


def remove_scorecard(conn: connection, job_title: str) -> int:
    """Delete a job title's scorecard in the caller's transaction; the KPIs it weighed
    (0: the job title had none). The job title is back on the default scorecard."""
    with conn.cursor() as cur:
        cur.execute("DELETE FROM scorecards WHERE job_title = %s", (job_title,))
        return cur.rowcount
