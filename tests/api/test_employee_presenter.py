"""An employee result as the API shows it, from stored score rows (no database)."""

from __future__ import annotations

import pytest

from api.presenters.employees import present
from api.schemas.employees import ResultSchema

DEFAULT_WEIGHTS = {"completion": 0.4, "efficiency": 0.3, "throughput": 0.3}
SCALE = {"raw_min": 0.2, "raw_max": 0.7}


def _row(**overrides) -> dict:
    row = {
        "employee_id": "E1",
        "run_id": 1,
        "as_of": None,
        "department": "Kitchen",
        "team": "Kitchen team",
        "job_title": "Cook",
        "score": 80.0,
        "tier": "High",
        "completion_rate": 1.0,
        "task_efficiency": 0.5,
        "throughput": 0.0,
        "avg_task_hours": 2.5,
        "completed_tasks": 12,
        "total_tasks": 12,
        "relative_task_hours": 1.0,
        "relative_throughput": 1.0,
        "is_anomaly": False,
        "anomaly_score": 0.4,
        "predicted_tier": None,
        "p_high": None,
        "p_medium": None,
        "p_low": None,
        "flags": [],
        "percentile_department": 50.0,
        "percentile_job_title": 50.0,
        "score_w1": None,
        "score_w2": None,
        "tier_w1": None,
        "tier_w2": None,
        "score_change": None,
        "trend": None,
        "tier_drivers": None,
        "anomaly_drivers": None,
        "score_scale": SCALE,
        "weights": DEFAULT_WEIGHTS,
        "scorecard": None,
        "kpis": None,
    }
    return row | overrides


def test_a_default_scorecard_result_keeps_its_fields_and_lists_the_task_measures():
    result = ResultSchema().dump(present(_row()))
    components = result["components"]
    assert components["weights"] == DEFAULT_WEIGHTS and components["completion_rate"] == 1.0
    assert components["scorecard"] is None
    assert [k["kpi_id"] for k in components["kpis"]] == [
        "completion_rate",
        "task_efficiency",
        "throughput",
    ]
    assert [k["value"] for k in components["kpis"]] == [1.0, 2.5, 12]
    breakdown = result["explanation"]["score"]
    assert [c["component"] for c in breakdown["components"]] == [
        "completion",
        "efficiency",
        "throughput",
    ]
    # 100 / 0.5 * (0.4 * 1 + 0.3 * 0.5) - 100 * 0.2 / 0.5 = 110 - 40 = 70
    assert breakdown["baseline"] + sum(k["points"] for k in breakdown["kpis"]) == pytest.approx(70)


def test_a_kpi_scorecard_result_lists_each_kpi_with_value_normalised_weight_and_points():
    kpis = [
        {
            "kpi_id": "guest_satisfaction",
            "value": 4.4,
            "normalised": 2 / 3,
            "weight": 2.0,
            "points": 41.379310,
        },
        {
            "kpi_id": "wait_time",
            "value": 15.0,
            "normalised": 0.5,
            "weight": 1.0,
            "points": 15.517241,
        },
    ]
    row = _row(
        department="Dining",
        job_title="Server",
        scorecard="Server",
        kpis=kpis,
        score=50.0,
        **dict.fromkeys(
            (
                "completion_rate",
                "task_efficiency",
                "throughput",
                "avg_task_hours",
                "completed_tasks",
                "total_tasks",
                "relative_task_hours",
                "relative_throughput",
            ),
        ),
    )
    result = ResultSchema().dump(present(row))
    components = result["components"]
    assert components["scorecard"] == "Server"
    assert components["weights"] == {"guest_satisfaction": 2.0, "wait_time": 1.0}
    assert components["completion_rate"] is None and result["activity"]["total_tasks"] is None
    assert [set(k) for k in components["kpis"]] == [
        {"kpi_id", "value", "normalised", "weight", "points"}
    ] * 2
    breakdown = result["explanation"]["score"]
    assert [c["component"] for c in breakdown["components"]] == ["guest_satisfaction", "wait_time"]
    assert breakdown["baseline"] + sum(c["points"] for c in breakdown["components"]) == (
        pytest.approx(50.0, abs=1e-3)
    )
