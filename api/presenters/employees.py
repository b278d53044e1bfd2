"""An employee's stored result in the shape of ResultSchema: components, activity,
anomaly, prediction, and the explanation and trend of the score."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from analytics.explanations import score_points
from api.presenters.common import rounded


def present(row: dict) -> dict:
    """A stored score row in the shape of ResultSchema."""
    has_prediction = row["predicted_tier"] is not None
    return {
        "employee_id": row["employee_id"],
        "run_id": row["run_id"],
        "as_of": row["as_of"],
        "department": row["department"],
        "team": row["team"],
        "job_title": row["job_title"],
        "score": round(row["score"], 2),
        "tier": row["tier"],
        "components": {
            "completion_rate": row["completion_rate"],
            "task_efficiency": row["task_efficiency"],
            "throughput": row["throughput"],
            "weights": row["weights"] or {},
        },
        "activity": {
            "total_tasks": row["total_tasks"],
            "completed_tasks": row["completed_tasks"],
            "avg_task_hours": row["avg_task_hours"],
            "relative_task_hours": row["relative_task_hours"],
            "relative_throughput": row["relative_throughput"],
        },
        "anomaly": {"is_anomaly": row["is_anomaly"], "score": row["anomaly_score"]},
        "prediction": {
            "next_tier": row["predicted_tier"],
            "probabilities": (
                {"High": row["p_high"], "Medium": row["p_medium"], "Low": row["p_low"]}
                if has_prediction
                else None
            ),
        },
        "flags": row["flags"],
        "explanation": explanation(row),
        "trend": trend(row),
    }


def explanation(row: dict) -> dict:
    """Why the result is what it is: score points per weighted component, percentiles,
    what drove the predicted tier, and what sets an anomaly apart from peers."""
    scale = row.get("score_scale")
    weights = row["weights"] or {}
    breakdown = (
        score_points(
            row["completion_rate"],
            row["task_efficiency"],
            row["throughput"],
            weights,
            scale["raw_min"],
            scale["raw_max"],
        )
        if scale and len(weights) == 3
        else None
    )
    if breakdown is not None:
        breakdown["baseline"] = round(breakdown["baseline"], 4)
        for component in breakdown["components"]:
            component["points"] = round(component["points"], 4)
    return {
        "score": breakdown,
        "percentiles": {
            "department": rounded(row["percentile_department"], 1),
            "job_title": rounded(row["percentile_job_title"], 1),
        },
        "tier_drivers": row["tier_drivers"],
        "anomaly_drivers": row["anomaly_drivers"],
    }


def _period_end(as_of: dt.date | None, window: int) -> dt.date | None:
    return None if as_of is None else (pd.Timestamp(as_of) - pd.DateOffset(months=window)).date()


def trend(row: dict) -> dict:
    """The score and tier over the run's three windows (oldest first) and the trend flag."""
    points = [
        (2, row["score_w2"], row["tier_w2"]),
        (1, row["score_w1"], row["tier_w1"]),
        (0, row["score"], row["tier"]),
    ]
    return {
        "direction": row["trend"],
        "score_change": rounded(row["score_change"]),
        "trajectory": [
            {
                "window": window,
                "period_end": _period_end(row["as_of"], window),
                "score": rounded(score),
                "tier": tier,
            }
            for window, score, tier in points
            if score is not None
        ],
    }


def run_points(history: list[dict]) -> list[dict]:
    """The employee's results across kept runs (stored newest first), oldest first."""
    return [
        {
            "run_id": h["run_id"],
            "as_of": h["as_of"],
            "score": round(h["score"], 2),
            "tier": h["tier"],
            "predicted_tier": h["predicted_tier"],
        }
        for h in reversed(history)
    ]
