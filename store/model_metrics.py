"""The current run's figures that the API exports as Prometheus model metrics.

Everything comes from the one `model_runs` row of the current run: its `metrics` document is
written in the same transaction as the scores, so the tier counts in it are the scores' own,
and reading them costs one index lookup instead of a scan of every score."""

from __future__ import annotations

from psycopg2.extensions import connection
from psycopg2.extras import RealDictCursor


def current_run_figures(conn: connection) -> dict | None:
    """run_id, as_of, finished_at (Unix seconds), duration_seconds, employees_scored,
    tier_counts ({tier: n}), anomaly_ratio, predictor_f1_macro, drift_psi,
    backtest_macro_f1, backtest_accuracy and adverse_impact_groups ({attribute: groups},
    from the fairness audit) (None when the run has none) of the current run; None when no
    run has completed yet."""
    with conn.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute(
            """SELECT run_id,
                      as_of,
                      extract(epoch FROM finished_at)::float AS finished_at,
                      duration_seconds,
                      employees_scored,
                      coalesce(metrics -> 'tier_counts', '{}') AS tier_counts,
                      (metrics ->> 'anomaly_ratio')::float AS anomaly_ratio,
                      (metrics #>> '{predictor,cv_f1_macro}')::float AS predictor_f1_macro,
                      (metrics ->> 'drift_psi')::float AS drift_psi,
                      (metrics #>> '{backtest,macro_f1}')::float AS backtest_macro_f1,
                      (metrics #>> '{backtest,accuracy}')::float AS backtest_accuracy,
                      metrics #> '{fairness,adverse_impact_groups_by_attribute}'
                          AS adverse_impact_groups
               FROM model_runs
               WHERE is_current"""
        )
        return cur.fetchone()


def newest_run_held(conn: connection) -> bool | None:
    """Whether the newest completed run (published or held; failed runs have their own
    alert) was held: true until it is promoted or a later run is published. None before
    any run has completed."""
    with conn.cursor() as cur:
        cur.execute(
            """SELECT status = 'held' FROM model_runs
               WHERE status IN ('succeeded', 'held')
               ORDER BY run_id DESC LIMIT 1"""
        )
        row = cur.fetchone()
    return None if row is None else bool(row[0])
