"""The fairness audit of a run, as stored by the worker: one row per attribute and group,
suppressed groups without figures."""

from __future__ import annotations

from psycopg2.extensions import connection

from store.queries._sql import fetch_all

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
