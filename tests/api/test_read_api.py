"""The read API over a real, scored store: results, history, lists, summaries, runs,
probes and the stateless analysis."""

from __future__ import annotations

import re

import pytest

from api import create_app
from tests.helpers import issue_token, query


def test_an_employee_result_has_score_components_tier_anomaly_and_prediction(scored_client, db):
    ((employee_id, score, tier, is_anomaly, predicted, p_high),) = query(
        db,
        """SELECT s.employee_id, s.score, s.tier, s.is_anomaly, s.predicted_tier, s.p_high
           FROM scores s JOIN model_runs r USING (run_id) WHERE r.is_current
           ORDER BY s.employee_id LIMIT 1""",
    )
    response = scored_client.get(f"/api/v1/employees/{employee_id}")
    assert response.status_code == 200
    body = response.json
    assert body["employee"]["employee_id"] == employee_id
    assert body["employee"]["name"]
    result = body["result"]
    assert result["score"] == pytest.approx(score, abs=0.01)
    assert result["tier"] == tier
    assert result["anomaly"]["is_anomaly"] is is_anomaly
    assert result["prediction"]["next_tier"] == predicted
    assert result["prediction"]["probabilities"]["High"] == pytest.approx(p_high)
    assert sum(result["prediction"]["probabilities"].values()) == pytest.approx(1, abs=1e-4)
    components = result["components"]
    assert set(components["weights"]) == {"completion", "efficiency", "throughput"}
    assert 0 <= components["completion_rate"] <= 1


def test_an_unknown_employee_is_a_json_404(scored_client):
    response = scored_client.get("/api/v1/employees/NOBODY")
    assert response.status_code == 404
    assert response.json == {"status": "error", "code": 404, "message": "no employee 'NOBODY'"}


def test_history_lists_the_employee_in_each_kept_run_newest_first(scored_client, db):
    run_ids = [r[0] for r in query(db, "SELECT run_id FROM model_runs ORDER BY run_id DESC")]
    employee_id = query(db, "SELECT min(employee_id) FROM employees")[0][0]
    body = scored_client.get(f"/api/v1/employees/{employee_id}/history").json
    assert [r["run_id"] for r in body["results"]] == run_ids
    assert (
        scored_client.get(f"/api/v1/employees/{employee_id}/history?limit=1").json["results"][0][
            "run_id"
        ]
        == run_ids[0]
    )


@pytest.mark.parametrize(
    "filters",
    [{}, {"tier": "High"}, {"anomaly": "true"}, {"department": "Engineering", "tier": "Low"}],
)
def test_walking_all_pages_of_a_filtered_list_yields_each_match_once_in_order(
    scored_client, db, filters
):
    where = ["r.is_current"]
    params: list = []
    if "tier" in filters:
        where.append("s.tier = %s")
        params.append(filters["tier"])
    if "anomaly" in filters:
        where.append("s.is_anomaly")
    if "department" in filters:
        where.append("s.department = %s")
        params.append(filters["department"])
    expected = [
        r[0]
        for r in query(
            db,
            f"""SELECT s.employee_id FROM scores s JOIN model_runs r USING (run_id)
                WHERE {" AND ".join(where)} ORDER BY s.employee_id""",
            params,
        )
    ]
    seen, after = [], None
    for _ in range(100):
        args = {**filters, "limit": 7, **({"after": after} if after else {})}
        page = scored_client.get("/api/v1/employees", query_string=args).json
        seen += [r["employee_id"] for r in page["data"]]
        for r in page["data"]:
            if "tier" in filters:
                assert r["tier"] == filters["tier"]
        after = page["next_after"]
        if after is None:
            break
    assert seen == expected


def test_a_bad_query_parameter_is_a_422_naming_the_field(scored_client):
    response = scored_client.get("/api/v1/employees?tier=Great&limit=0")
    assert response.status_code == 422
    fields = {(p["location"], p["field"]) for p in response.json["problems"]}
    assert fields == {("query", "tier"), ("query", "limit")}


def test_department_summaries_add_up_to_every_scored_employee(scored_client, db):
    body = scored_client.get("/api/v1/departments").json
    scored = query(
        db, "SELECT count(*) FROM scores s JOIN model_runs r USING (run_id) WHERE r.is_current"
    )[0][0]
    assert sum(d["employees"] for d in body["data"]) == scored
    for d in body["data"]:
        assert sum(d["tiers"].values()) == d["employees"]
        assert 0 <= d["average_score"] <= 100


def test_model_runs_are_listed_and_readable_current_or_by_id(scored_client, db):
    current = scored_client.get("/api/v1/models/current").json
    assert current["is_current"] is True
    assert current["status"] == "succeeded"
    assert current["metrics"]["predictor"]["feature_importances"]
    assert set(current["metrics"]["tier_centroids"]) == {"High", "Medium", "Low"}
    assert current["params"]["window_days"] == 90

    listed = scored_client.get("/api/v1/models").json["data"]
    assert [r["run_id"] for r in listed] == [
        r[0] for r in query(db, "SELECT run_id FROM model_runs ORDER BY run_id DESC")
    ]
    older = listed[-1]["run_id"]
    assert scored_client.get(f"/api/v1/models/{older}").json["is_current"] is False
    assert scored_client.get("/api/v1/models/999999").status_code == 404


def test_probes_report_live_and_ready(scored_client):
    assert scored_client.get("/healthz").json == {"status": "ok"}
    ready = scored_client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["status"] == "ready"


def test_readiness_needs_the_database_but_not_a_run(database_url):
    app = create_app({"DATABASE_URL": database_url})
    try:
        response = app.test_client().get("/readyz")
        # Ready, so a fresh install can receive the data its first run needs.
        assert response.status_code == 200
        assert response.json == {
            "status": "ready",
            "run_id": None,
            "reason": "no completed model run yet",
        }
        token = {"Authorization": f"Bearer {issue_token(database_url)}"}
        assert app.test_client().get("/api/v1/departments", headers=token).status_code == 404
    finally:
        app.extensions["epa_db"].close()


def test_readiness_fails_when_the_database_is_unreachable():
    app = create_app({"DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["reason"] == "database unreachable"
    # A well-formed token: checking it needs the database, which is what fails here.
    token = {"Authorization": f"Bearer epa_{'0' * 16}_{'x' * 43}"}
    listed = app.test_client().get("/api/v1/employees", headers=token)
    assert listed.status_code == 503
    assert listed.headers["Retry-After"] == "5"


ANALYZE_RECORDS = [
    {
        "employee_id": "A",
        "name": "Ann",
        "tasks_total": 10,
        "tasks_completed": 10,
        "hours_logged": 20,
    },
    {
        "employee_id": "B",
        "name": "Ben",
        "tasks_total": 10,
        "tasks_completed": 5,
        "hours_logged": 60,
    },
    {"employee_id": "C", "name": "Cy", "tasks_total": 10, "tasks_completed": 1, "hours_logged": 90},
    {
        "employee_id": "A",
        "name": "Ann",
        "tasks_total": 10,
        "tasks_completed": 9,
        "hours_logged": 25,
    },
]


def test_analyze_answers_in_the_brief_shape_without_storing_anything(scored_client, db):
    before = query(db, "SELECT count(*) FROM model_runs")
    response = scored_client.post("/api/v1/analyze", json={"records": ANALYZE_RECORDS})
    assert response.status_code == 200
    body = response.json
    assert body["status"] == "success"
    assert body["message"] == "Analysis completed successfully"
    by_id = {r["employee_id"]: r for r in body["data"]}
    assert set(by_id) == {"A", "B", "C"}
    assert by_id["A"]["completed_tasks"] == 19  # rows of one employee are summed
    assert by_id["A"]["performance_cluster"] == "High"
    assert by_id["C"]["performance_cluster"] == "Low"
    assert by_id["A"]["performance_score"] == 100.0
    assert set(by_id["B"]) == {
        "employee_id",
        "name",
        "performance_score",
        "performance_cluster",
        "is_anomaly",
        "completion_rate",
        "avg_task_hours",
        "completed_tasks",
    }
    assert query(db, "SELECT count(*) FROM model_runs") == before


def test_analyze_rejects_bad_records_with_the_field_named(scored_client):
    too_few = scored_client.post("/api/v1/analyze", json={"records": ANALYZE_RECORDS[:2]})
    assert too_few.status_code == 422
    assert "3" in too_few.json["message"]
    over = dict(ANALYZE_RECORDS[0], tasks_completed=11)
    bad = scored_client.post("/api/v1/analyze", json={"records": [*ANALYZE_RECORDS[1:3], over]})
    assert bad.status_code == 422
    assert bad.json["problems"][0]["field"] == "records.2.tasks_completed"
    missing = scored_client.post("/api/v1/analyze", json={"records": [{"employee_id": "A"}]})
    assert {p["field"] for p in missing.json["problems"]} >= {"records.0.tasks_total"}


def test_errors_are_json_for_unknown_routes_and_methods(scored_client):
    assert scored_client.get("/api/v1/nothing-here").json["code"] == 404
    wrong_method = scored_client.delete("/api/v1/departments")
    assert wrong_method.status_code == 405
    assert wrong_method.json["status"] == "error"


def test_the_openapi_document_describes_every_route_of_the_app(scored_client):
    spec = scored_client.get("/api/v1/openapi.json").json
    documented = {
        (path, method.upper())
        for path, ops in spec["paths"].items()
        for method in ops
        if method != "parameters"  # path-level parameter list, not an operation
    }
    app = scored_client.application
    served = set()
    for rule in app.url_map.iter_rules():
        # The document itself and the Swagger UI page on it (api.routes.docs) document the
        # API; they are no operations of it.
        if rule.endpoint == "static" or rule.endpoint.startswith(("api-docs.", "docs.")):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)  # <path:job_title> too
        served |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert served
    assert served == documented
    assert "IngestResult" in spec["components"]["schemas"]
    ingest = spec["paths"]["/api/v1/ingest/task-records"]["post"]
    assert set(ingest["requestBody"]["content"]) == {
        "application/json",
        "text/csv",
        "multipart/form-data",
    }


def test_cors_allows_only_the_configured_origins(scored_database_url):
    app = create_app(
        {"DATABASE_URL": scored_database_url, "CORS_ORIGINS": ["https://hr.example.com"]}
    )
    try:
        c = app.test_client()
        allowed = c.get("/healthz", headers={"Origin": "https://hr.example.com"})
        api_allowed = c.get("/api/v1/models", headers={"Origin": "https://hr.example.com"})
        denied = c.get("/api/v1/models", headers={"Origin": "https://evil.example.com"})
        assert api_allowed.headers["Access-Control-Allow-Origin"] == "https://hr.example.com"
        assert "Access-Control-Allow-Origin" not in denied.headers
        assert "Access-Control-Allow-Origin" not in allowed.headers  # only /api/*
    finally:
        app.extensions["epa_db"].close()
