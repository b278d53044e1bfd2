"""A restaurant scored on its own KPIs, end to end: ingest through the API, a worker run on
real PostgreSQL, and the results read back through the API.

The expected scores are worked out here from the issue's definition, independently of
analytics.scorecards: window value = mean of the monthly values, clipped to the peer
group's 1st/99th percentiles (the default clipping), min-max normalised, reversed when lower
is better; raw = sum(weight * normalised) / sum(weights); score = min-max(raw) * 100.
"""

from __future__ import annotations

import numpy as np
import pytest

from analytics.config import DEFAULT_CONFIG
from tests.helpers import first_of_month, issue_token
from worker.run import execute_run

KPIS = [
    {"kpi_id": "guest_satisfaction", "name": "Guest satisfaction", "unit": "1-5",
     "direction": "higher_is_better"},
    {"kpi_id": "order_accuracy", "name": "Order accuracy", "unit": "share",
     "direction": "higher_is_better", "aggregation": "mean"},
    {"kpi_id": "wait_time", "name": "Wait time per table", "unit": "minutes",
     "direction": "lower_is_better", "description": "From seating to the first course."},
]  # fmt: skip
WEIGHTS = {"guest_satisfaction": 2.0, "order_accuracy": 1.0, "wait_time": 1.0}
# Per person: satisfaction, accuracy, wait time; the monthly values move around these.
PEOPLE = {
    "M01": (4.3, 0.95, 13.0),  # the maître d' serves too, on the same scorecard
    "S01": (4.8, 0.98, 10.0),
    "S02": (4.0, 0.90, 20.0),
    "S03": (4.4, 0.94, 15.0),
    "S04": (3.6, 0.99, 12.0),
    "S05": (4.6, 0.96, 11.0),
    "S06": (3.9, 0.92, 18.0),
    "S07": (4.2, 0.97, 14.0),
    "S08": (4.1, 0.93, 16.0),
}
# The window's three months: satisfaction and wait time move by these steps, so each
# window mean is the value above (accuracy stays put).
MONTHLY_STEPS = (-1, 0, 1)


def expected_scores() -> dict[str, float]:
    values = np.array(list(PEOPLE.values()))
    lo_q, hi_q = DEFAULT_CONFIG.clip_quantiles
    normalised = []
    for column, kpi in enumerate(KPIS):
        v = values[:, column]
        lo, hi = np.quantile(v, [lo_q, hi_q])
        scaled = (np.clip(v, lo, hi) - lo) / (hi - lo)
        normalised.append(1 - scaled if kpi["direction"] == "lower_is_better" else scaled)
    weights = np.array([WEIGHTS[k["kpi_id"]] for k in KPIS])
    raw = (np.column_stack(normalised) * weights).sum(axis=1) / weights.sum()
    score = (raw - raw.min()) / (raw.max() - raw.min()) * 100
    return dict(zip(PEOPLE, score, strict=True))


def monthly_value(base: tuple[float, ...], column: int, step: int) -> float:
    return base[column] + {0: 0.1, 1: 0.0, 2: 1.0}[column] * step


def _post(client, token: str, dataset: str, rows: list[dict]) -> None:
    response = client.post(
        f"/api/v1/ingest/{dataset}", json=rows, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, (dataset, response.json)


@pytest.fixture
def scored_restaurant(client, database_url):
    """The Dining room of a restaurant: eight servers without a single task record, and
    their manager, all scored on the servers' scorecard."""
    token = issue_token(database_url, role="ingest")
    people = [
        {"employee_id": pid, "name": f"Person {pid}", "department": "Dining",
         "job_title": "Server", "team": "Floor", "hire_date": "2021-06-01"}
        | ({} if pid == "M01" else {"manager_id": "M01"})
        for pid in PEOPLE
    ]  # fmt: skip
    _post(client, token, "employees", people)
    _post(client, token, "kpis", KPIS)
    _post(
        client,
        token,
        "scorecards",
        [{"job_title": "Server", "kpi_id": k, "weight": w} for k, w in WEIGHTS.items()],
    )
    months = [first_of_month(m) for m in (3, 2, 1)]  # the window of the next run
    _post(
        client,
        token,
        "kpi-values",
        [
            {"employee_id": pid, "period": month.isoformat(), "kpi_id": kpi["kpi_id"],
             "value": monthly_value(base, column, step)}
            for pid, base in PEOPLE.items()
            for month, step in zip(months, MONTHLY_STEPS, strict=True)
            for column, kpi in enumerate(KPIS)
        ],
    )  # fmt: skip
    outcome = execute_run(database_url)
    assert outcome.status == "succeeded", outcome
    return issue_token(database_url, role="hr")


def _get(client, token: str, path: str):
    response = client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, (path, response.json)
    return response.json


def test_servers_without_task_records_get_the_specified_score_through_the_api(
    client, scored_restaurant
):
    for pid, score in expected_scores().items():
        result = _get(client, scored_restaurant, f"/api/v1/employees/{pid}")["result"]
        assert result["score"] == pytest.approx(score, abs=0.05), pid
        assert "no_tasks" not in result["flags"]


def test_each_result_names_its_kpis_with_points_that_add_up_to_the_score(client, scored_restaurant):
    result = _get(client, scored_restaurant, "/api/v1/employees/S04")["result"]
    kpis = result["components"]["kpis"]
    assert [k["kpi_id"] for k in kpis] == [k["kpi_id"] for k in KPIS]
    assert [k["weight"] for k in kpis] == [WEIGHTS[k["kpi_id"]] for k in KPIS]
    assert [k["value"] for k in kpis] == pytest.approx(PEOPLE["S04"])
    assert result["components"]["completion_rate"] is None  # no task measure at all
    score = result["explanation"]["score"]
    total = score["baseline"] + sum(c["points"] for c in score["components"])
    assert total == pytest.approx(result["score"], abs=0.01)


def test_tiers_of_the_scorecard_are_ordered_by_score(client, scored_restaurant):
    listed = _get(client, scored_restaurant, "/api/v1/employees?department=Dining&limit=100")
    rows = listed["data"]
    assert {r["employee_id"] for r in rows} == set(PEOPLE)
    by_tier: dict[str, list[float]] = {}
    for row in rows:
        by_tier.setdefault(row["tier"], []).append(row["score"])
    means = {tier: np.mean(scores) for tier, scores in by_tier.items()}
    ordered = [means[t] for t in ("High", "Medium", "Low") if t in means]
    assert len(ordered) >= 2 and ordered == sorted(ordered, reverse=True)
    best = max(rows, key=lambda r: r["score"])
    assert best["tier"] == "High"


def test_kpis_and_scorecards_say_what_scores_whom(client, scored_restaurant):
    kpis = {k["kpi_id"]: k for k in _get(client, scored_restaurant, "/api/v1/kpis")["data"]}
    assert set(kpis) == {"completion_rate", "task_efficiency", "throughput"} | set(WEIGHTS)
    assert kpis["wait_time"]["direction"] == "lower_is_better"
    assert kpis["wait_time"]["scorecards"] == ["Server"]
    assert kpis["guest_satisfaction"]["aggregation"] == "mean"  # the default
    cards = _get(client, scored_restaurant, "/api/v1/scorecards")
    (server,) = cards["data"]
    assert server["job_title"] == "Server"
    assert {k["kpi_id"]: k["weight"] for k in server["kpis"]} == WEIGHTS
    assert cards["default"]["job_titles"] == []
    assert [k["weight"] for k in cards["default"]["kpis"]] == [0.4, 0.3, 0.3]


def test_reports_teams_and_trends_of_a_kpi_only_department_carry_its_kpis(
    client, scored_restaurant
):
    headers = {"Authorization": f"Bearer {scored_restaurant}"}
    csv = client.get("/api/v1/departments/Dining/report.csv", headers=headers)
    assert csv.status_code == 200
    assert "S04" in csv.text
    html = client.get("/api/v1/departments/Dining/report.html", headers=headers)
    assert html.status_code == 200
    assert "Person S01" in html.text
    person = client.get("/api/v1/employees/S04/report", headers=headers)
    assert person.status_code == 200
    assert "wait_time" in person.text or "Wait time" in person.text
    team = _get(client, scored_restaurant, "/api/v1/teams/Floor")["team"]
    assert team["members"] == len(PEOPLE)
    assert sum(team["tiers"].values()) == len(PEOPLE)
    trend = _get(client, scored_restaurant, "/api/v1/employees/S01/trend")["trend"]
    assert trend["direction"] == "stable"
    assert [point["score"] for point in trend["trajectory"]] == pytest.approx([100.0] * 3)
