"""The flask-bi drop-in: the seed frontend's own request (a bare JSON array) at
`POST /analyze` and `POST /api/v1/analyze`, answered in its shape with the brief's scores."""

from __future__ import annotations

import secrets

import numpy as np
import pytest

from tests.analytics.test_brief_formula import brief_scores, random_batch

# What the flask-bi frontend posts.
SEED_REQUEST = [
    {"employee_id": "E001", "name": "Alice", "completed_tasks": 45, "total_tasks": 50,
     "avg_task_hours": 2.5},
    {"employee_id": "E002", "name": "Bob", "completed_tasks": 30, "total_tasks": 40,
     "avg_task_hours": 3.2},
    {"employee_id": "E003", "name": "Carol", "completed_tasks": 12, "total_tasks": 35,
     "avg_task_hours": 4.8},
    {"employee_id": "E004", "name": "Dan", "completed_tasks": 50, "total_tasks": 52,
     "avg_task_hours": None},
]  # fmt: skip


def as_records(batch) -> list[dict]:
    records = batch.astype(object).where(batch.notna(), None).to_dict(orient="records")
    return [{k: v.item() if hasattr(v, "item") else v for k, v in r.items()} for r in records]


@pytest.mark.parametrize("path", ["/analyze", "/api/v1/analyze"])
def test_the_seed_frontends_request_gets_the_brief_shape_at_both_paths(client, path):
    response = client.post(path, json=SEED_REQUEST)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["status"] == "success"
    assert body["message"] == "Analysis completed successfully"
    assert [r["employee_id"] for r in body["data"]] == ["E001", "E002", "E003", "E004"]
    assert set(body["data"][0]) == {
        "employee_id", "name", "performance_score", "performance_cluster", "is_anomaly",
        "completion_rate", "avg_task_hours", "completed_tasks",
    }  # fmt: skip
    by_id = {r["employee_id"]: r for r in body["data"]}
    assert by_id["E003"]["performance_score"] == 0.0
    assert by_id["E003"]["performance_cluster"] == "Low"
    assert by_id["E004"]["avg_task_hours"] == pytest.approx(3.2)  # the batch median


def test_a_bare_array_no_test_has_seen_gets_the_briefs_exact_scores(client):
    seed = secrets.randbits(32)
    batch = random_batch(seed, n=2000)
    response = client.post("/analyze", json=as_records(batch))
    assert response.status_code == 200, response.json
    scores = [r["performance_score"] for r in response.json["data"]]
    np.testing.assert_allclose(scores, brief_scores(batch), atol=0.05, err_msg=f"seed {seed}")


def test_a_bad_record_of_the_array_is_named_by_its_index_and_field(client):
    bad = [*SEED_REQUEST[:2], dict(SEED_REQUEST[2], completed_tasks=36), {"employee_id": "E9"}]
    response = client.post("/analyze", json=bad)
    assert response.status_code == 422
    fields = [p["field"] for p in response.json["problems"]]
    assert fields[0] == "2.completed_tasks"
    assert {"3.completed_tasks", "3.total_tasks"} <= set(fields)
    assert "3.avg_task_hours" not in fields  # may be missing: it takes the median
    assert response.json["status"] == "error"


def test_a_bare_array_needs_three_people_and_each_once(client):
    assert client.post("/analyze", json=SEED_REQUEST[:2]).status_code == 422
    twice = client.post("/analyze", json=[*SEED_REQUEST, SEED_REQUEST[0]])
    assert twice.status_code == 422
    assert "once" in twice.json["message"]


def test_the_drop_in_needs_a_token_like_the_api(app):
    assert app.test_client().post("/analyze", json=SEED_REQUEST).status_code == 401
