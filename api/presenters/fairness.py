"""A run's fairness audit as the API answers it: the stored rows, figures rounded."""

from __future__ import annotations

from api.presenters.common import rounded

_SHARES = ("high_share", "low_share", "anomaly_share", "predicted_low_share", "impact_ratio")


def _p_value(value: float | None) -> float | None:
    # Four significant digits: a p-value far below 0.0001 must not read as exactly 0.
    return None if value is None else float(f"{value:.4g}")


def fairness_audit(run: dict, rows: list[dict]) -> dict:
    """`run` is store.queries.fairness.audited_run's row, `rows` the run's audit rows."""
    summary = run["fairness"] or {}
    return {
        "run_id": run["run_id"],
        "min_group_size": summary.get("min_group_size"),
        "test": summary.get("test"),
        "data": [
            {
                **row,
                **{share: rounded(row[share], 4) for share in _SHARES},
                "p_value": _p_value(row["p_value"]),
            }
            for row in rows
        ],
    }
