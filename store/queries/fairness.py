"""The fairness audit of a run, as stored by the worker: one row per attribute and group,
suppressed groups without figures."""

from __future__ import annotations

from psycopg2.extensions import connection

from store.queries._sql import fetch_all, fetch_one

FAIRNESS_COLUMNS = """attribute, "group", suppressed, employees, high_share, low_share,
    anomaly_share, predicted_low_share, impact_ratio, adverse_impact, p_value"""


def fairness_audit(conn: connection, run_id: int) -> list[dict]:
    """The audit rows of `run_id`, by attribute and group (empty when nobody has a
    protected attribute, or the run is unknown)."""
    return fetch_all(
        conn,
        f"""SELECT {FAIRNESS_COLUMNS} FROM fairness_audit
            WHERE run_id = %(run_id)s ORDER BY attribute, "group" COLLATE "C" """,
        {"run_id": run_id},
    )


def audited_run(conn: connection, run_id: int | None = None) -> dict | None:
    """run_id, status and the audit's summary (`model_runs.metrics.fairness`: the minimum
    group size and the p-value's test; None for a run that was never audited) of one run,
    the current one when run_id is None; None when there is no such run."""
    where = "is_current" if run_id is None else "run_id = %(run_id)s"
    return fetch_one(
        conn,
        f"SELECT run_id, status, metrics -> 'fairness' AS fairness FROM model_runs WHERE {where}",
        {"run_id": run_id},
    )
