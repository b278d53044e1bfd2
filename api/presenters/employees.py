"""An employee's stored result in the shape of ResultSchema: components, activity,
anomaly, prediction, and the explanation and trend of the score."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from analytics.explanations import SCORE_COMPONENTS, score_points
from analytics.scorecards import BUILTIN_COLUMNS, BUILTIN_KPIS
from api.presenters.common import rounded

POINT_DIGITS = 4


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
        **review_fields(row),
        "components": components(row),
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


def review_fields(row: dict) -> dict:
    """The final tier beside the model's, the review that decided it and the latest contest.

    A row read without the reviewed_results join (none yet) has the model's tier as final."""
    decision = row.get("review_decision")
    contested = bool(row.get("contested"))
    return {
        "final_tier": row.get("final_tier") or row["tier"],
        "review": None
        if decision is None
        else {
            "decision": decision,
            "tier": row["review_tier"],
            "reason": row["review_reason"],
            "reviewer": {"role": row["reviewer_role"], "name": row["reviewer_name"]},
            "reviewed_at": row["reviewed_at"],
            "run_id": row["run_id"],
        },
        "contested": contested,
        "contest": {
            "reason": row["contest_reason"],
            "by": row["contest_by"],
            "contested_at": row["contested_at"],
        }
        if contested
        else None,
    }


def components(row: dict) -> dict:
    """The scorecard that scored the person and each of its KPIs with value, normalised
    value, weight and points; for the default scorecard also today's three task measures
    and their weights, so clients of the task-only score keep working."""
    kpis = _kpis(row)
    custom = row.get("scorecard") is not None
    return {
        "completion_rate": row["completion_rate"],
        "task_efficiency": row["task_efficiency"],
        "throughput": row["throughput"],
        "weights": {k["kpi_id"]: k["weight"] for k in kpis or ()}
        if custom
        else (row["weights"] or {}),
        "scorecard": row.get("scorecard"),
        "kpis": kpis,
    }


def _kpis(row: dict) -> list[dict] | None:
    """The stored KPI breakdown, points rounded; for a default-scorecard row stored before
    scorecards existed, rebuilt from its task measures and the run's score scale."""
    stored = row.get("kpis")
    if stored is None:
        stored = _default_kpis(row)
    if stored is None:
        return None
    return [
        {
            "kpi_id": k["kpi_id"],
            "value": k["value"],
            "normalised": k["normalised"],
            "weight": k["weight"],
            "points": round(k["points"], POINT_DIGITS),
        }
        for k in stored
    ]


def _default_kpis(row: dict) -> list[dict] | None:
    breakdown = _default_breakdown(row)
    if breakdown is None:
        return None
    return [
        {
            "kpi_id": kpi,
            "value": row[BUILTIN_COLUMNS[kpi][0]],
            "normalised": part["value"],
            "weight": part["weight"],
            "points": part["points"],
        }
        for kpi, part in zip(BUILTIN_KPIS, breakdown["components"], strict=True)
    ]


def _default_breakdown(row: dict) -> dict | None:
    scale = row.get("score_scale")
    weights = row["weights"] or {}
    if not scale or len(weights) != len(SCORE_COMPONENTS) or row["completion_rate"] is None:
        return None
    return score_points(
        row["completion_rate"],
        row["task_efficiency"],
        row["throughput"],
        weights,
        scale["raw_min"],
        scale["raw_max"],
    )


def _score_breakdown(row: dict) -> dict | None:
    """Points per component and the baseline; baseline + points = score. A custom
    scorecard's components are its KPIs (value = the normalised KPI)."""
    kpis = _kpis(row)
    if row.get("scorecard") is None:
        breakdown = _default_breakdown(row)
        if breakdown is None:
            return None
        for component in breakdown["components"]:
            component["points"] = round(component["points"], POINT_DIGITS)
        breakdown["baseline"] = round(breakdown["baseline"], POINT_DIGITS)
        return breakdown | {"kpis": kpis}
    if kpis is None:
        return None
    stored = row["kpis"]
    return {
        "components": [
            {
                "component": k["kpi_id"],
                "value": k["normalised"],
                "weight": k["weight"],
                "points": p["points"],
            }
            for k, p in zip(stored, kpis, strict=True)
        ],
        # The score is what the points were split from; its rest is the rescaling.
        "baseline": round(row["score"] - sum(k["points"] for k in stored), POINT_DIGITS),
        "kpis": kpis,
    }


def explanation(row: dict) -> dict:
    """Why the result is what it is: score points per weighted component (each KPI of the
    person's scorecard), percentiles, what drove the predicted tier, and what sets an
    anomaly apart from peers."""
    breakdown = _score_breakdown(row)
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
