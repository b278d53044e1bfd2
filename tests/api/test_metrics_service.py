"""Request and analysis metrics of one app process (gunicorn's multiprocess sums are checked
end to end in test_metrics_end_to_end)."""

from __future__ import annotations

from tests.prometheus import Exposition

EMPLOYEE_RULE = "/api/v1/employees/<string:employee_id>"


def record(employee_id: str, completed: int, hours: float) -> dict:
    return {
        "employee_id": employee_id,
        "name": f"Person {employee_id}",
        "tasks_total": 10,
        "tasks_completed": completed,
        "hours_logged": hours,
    }


RECORDS = [record("A", 10, 20), record("B", 5, 60), record("C", 1, 90), record("A", 9, 25)]


def metrics(client) -> Exposition:
    response = client.get("/metrics")
    assert response.status_code == 200
    return Exposition(response.text)


def test_requests_are_counted_by_url_rule_never_by_raw_path(client):
    for employee_id in ("E1", "E1", "E2"):
        assert client.get(f"/api/v1/employees/{employee_id}").status_code == 404
    assert client.get("/api/v1/models").status_code == 200

    page = metrics(client)
    assert page.by_label("epa_http_request_duration_seconds_count", "url_rule") == {
        EMPLOYEE_RULE: 3,
        "/api/v1/models": 1,
    }
    assert page.by_label("epa_http_request_total", "status") == {"404": 3, "200": 1}
    assert not [v for v in page.label_values("url_rule") if "E1" in v or "E2" in v]


def test_probes_and_scrapes_are_not_counted_as_requests(client):
    client.get("/healthz")
    client.get("/readyz")
    metrics(client)

    page = metrics(client)
    assert page.value("epa_http_request_total") is None
    assert page.matching("epa_http_request_duration_seconds_count") == []


def test_analysis_is_timed_each_time_and_its_records_counted_when_it_succeeds(client):
    assert client.post("/api/v1/analyze", json={"records": RECORDS}).status_code == 200
    # Two distinct employees cannot form three tiers: the pipeline runs and fails.
    assert client.post("/api/v1/analyze", json={"records": RECORDS[:2]}).status_code == 422

    page = metrics(client)
    assert page.value("epa_analyze_records_total") == len(RECORDS)
    assert page.value("epa_analyze_duration_seconds_count") == 2
    assert page.by_label("epa_http_request_total", "status") == {"200": 1, "422": 1}
