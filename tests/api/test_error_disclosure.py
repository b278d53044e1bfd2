"""Failures disclose nothing: no stack trace, no exception message and no personal data in
responses or logs, whether the failure is a bug, a database error quoting a key's values,
or a database that cannot be reached. Hostile values the store cannot hold are refused."""

from __future__ import annotations

import logging

import psycopg2
import pytest

from store.queries import employees as queries
from tests.helpers import EMPLOYEES

PERSON = EMPLOYEES[1]  # Alan Turing, E2


def rendered(caplog) -> str:
    """Every captured record as an operator would see it: message, extras and traceback."""
    formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")
    return "\n".join(f"{formatter.format(r)} {r.__dict__}" for r in caplog.records)


@pytest.fixture
def stored(client):
    assert client.post("/api/v1/ingest/employees", json=EMPLOYEES).status_code == 200


def assert_discloses_nothing(response, caplog) -> None:
    body = response.get_data(as_text=True)
    logs = rendered(caplog)
    for text in (body, logs):
        assert "Traceback" not in text
        assert PERSON["employee_id"] not in text.replace("/employees/<string:employee_id>", "")
        assert PERSON["name"] not in text
    assert all(r.exc_info is None and r.exc_text is None for r in caplog.records)


def test_a_bug_answers_500_and_logs_only_its_class_route_and_request_id(
    client, stored, monkeypatch, caplog
):
    def broken(*_args, **_kwargs):
        raise RuntimeError(f"cannot present {PERSON['name']} ({PERSON['employee_id']})")

    monkeypatch.setattr(queries, "employee", broken)
    with caplog.at_level(logging.DEBUG):
        response = client.get(f"/api/v1/employees/{PERSON['employee_id']}")
    assert response.status_code == 500
    assert response.get_json() == {"status": "error", "code": 500, "message": "internal error"}
    assert_discloses_nothing(response, caplog)
    (record,) = [r for r in caplog.records if r.name == "epa.api"]
    assert record.error == "RuntimeError"
    assert record.endpoint == "/api/v1/employees/<string:employee_id>"
    assert record.request_id == response.headers["X-Request-ID"]


def test_a_database_error_quoting_key_values_answers_500_without_them(
    client, stored, monkeypatch, caplog
):
    def duplicate(conn, *_args, **_kwargs):
        # A real constraint violation, whose DETAIL reads "Key (employee_id)=(E2) ...".
        with conn.cursor() as cur:
            cur.execute(
                "INSERT INTO employees (employee_id, name, department, job_title, team,"
                " hire_date) SELECT employee_id, name, department, job_title, team, hire_date"
                " FROM employees WHERE employee_id = %s",
                (PERSON["employee_id"],),
            )

    monkeypatch.setattr(queries, "employee", duplicate)
    with caplog.at_level(logging.DEBUG):
        response = client.get(f"/api/v1/employees/{PERSON['employee_id']}")
    assert response.status_code == 500
    assert_discloses_nothing(response, caplog)
    assert [r.error for r in caplog.records if r.name == "epa.api"] == ["UniqueViolation"]


def test_an_unreachable_database_answers_503_with_retry_after_and_no_detail(
    client, monkeypatch, caplog
):
    def unreachable(*_args, **_kwargs):
        raise psycopg2.OperationalError(
            f'connection to server failed: FATAL: password for "{PERSON["name"]}"'
        )

    monkeypatch.setattr(queries, "employee", unreachable)
    with caplog.at_level(logging.DEBUG):
        response = client.get(f"/api/v1/employees/{PERSON['employee_id']}")
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert "password" not in response.get_data(as_text=True) + rendered(caplog)
    assert_discloses_nothing(response, caplog)


def test_values_the_store_cannot_hold_are_refused_with_422(client, stored):
    nul = client.post(
        "/api/v1/ingest/skills", json=[{"employee_id": "E2", "skill": "sq\x00l", "level": 3}]
    )
    assert nul.status_code == 422
    assert nul.get_json()["problems"] == [
        {"row": 1, "column": "skill", "reason": "must not contain NUL characters"}
    ]
    in_query = client.get("/api/v1/employees?department=Eng%00ineering")
    assert in_query.status_code == 422
    assert in_query.get_json()["problems"][0]["field"] == "department"
    assert client.get("/api/v1/employees/E%002").status_code == 404
    in_body = client.post("/api/v1/tokens", json={"role": "manager", "employee_id": "E\x002"})
    assert in_body.status_code == 422
    assert in_body.get_json()["problems"] == [
        {"location": "json", "field": "employee_id", "reason": "contains NUL"}
    ]
    nested = client.post(
        "/api/v1/compositions/evaluate", json={"moves": [{"employee_id": "E2", "to_team": "\x00"}]}
    )
    assert nested.status_code == 422
    assert nested.get_json()["problems"][0]["field"] == "moves.0.to_team"


def test_unknown_query_parameters_are_refused_like_unknown_body_fields(client):
    misspelt = client.get("/api/v1/employees?teir=Low")
    assert misspelt.status_code == 422
    assert misspelt.get_json()["problems"] == [
        {"location": "query", "field": "teir", "reason": "Unknown field."}
    ]
    unknown_field = client.post(
        "/api/v1/analyze",
        json={
            "records": [
                {
                    "employee_id": "X1",
                    "tasks_total": 1,
                    "tasks_completed": 1,
                    "hours_logged": 1,
                    "bonus": 1,
                }
            ]
        },
    )
    assert unknown_field.status_code == 422
    assert unknown_field.get_json()["problems"][0]["field"] == "records.0.bonus"


def test_a_failed_run_keeps_its_reason_in_the_store_and_out_of_the_logs(
    database_url, monkeypatch, caplog
):
    from store import runs
    from tests.helpers import seed_demo
    from worker.run import RunFailed, execute_run

    seed_demo(database_url, employees=60)

    def violated(*_args, **_kwargs):
        raise RuntimeError("duplicate key: Key (employee_id)=(E00042) already exists")

    monkeypatch.setattr(runs, "prune_runs", violated)
    with caplog.at_level(logging.DEBUG), pytest.raises(RunFailed) as failed:
        execute_run(database_url)
    assert failed.value.printable.endswith(
        "failed: RuntimeError (the reason is recorded in model_runs.error)"
    )
    assert "E00042" not in failed.value.printable + rendered(caplog)
    conn = psycopg2.connect(database_url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT error FROM model_runs WHERE status = 'failed'")
            ((error,),) = cur.fetchall()
    finally:
        conn.close()
    assert "E00042" in error  # for operators, who may read the store


def test_numbers_sent_for_text_fields_are_refused_not_stored_as_text(client, stored):
    response = client.post(
        "/api/v1/ingest/skills", json=[{"employee_id": "E2", "skill": 5.1e16, "level": 3}]
    )
    assert response.status_code == 422
    assert response.get_json()["problems"] == [
        {"row": 1, "column": "skill", "reason": "must be a string"}
    ]
