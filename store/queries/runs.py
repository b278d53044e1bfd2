"""Model runs: the current run's id and insight parameters, and any kept run's metadata."""

from __future__ import annotations

from psycopg2.extensions import connection

from store.queries._sql import fetch_all, fetch_one

# A succeeded run that is no longer current is shown as superseded; the stored status
# stays 'succeeded', which history and the reporting views select.
RUN_SUMMARY_COLUMNS = """run_id,
    CASE WHEN status = 'succeeded' AND NOT is_current THEN 'superseded' ELSE status END
      AS status,
    status_reasons, is_current, as_of, started_at, finished_at,
    duration_seconds, rows_read, employees_scored, error"""


def current_run_id(conn: connection) -> int | None:
    row = fetch_one(conn, "SELECT run_id FROM model_runs WHERE is_current")
    return row["run_id"] if row else None


def current_insights_params(conn: connection) -> dict | None:
    """run_id, as_of and the insight parameters of the current run."""
    return fetch_one(
        conn,
        "SELECT run_id, as_of, params -> 'insights' AS insights FROM model_runs WHERE is_current",
    )


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
