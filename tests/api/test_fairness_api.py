"""Protected attributes and the fairness audit through the API: ingest by admin and HR only,
bad batches refused with nothing written, the audit of a run for admin and HR, and no
per-person answer that ever shows an attribute."""

from __future__ import annotations

import pytest

from store.tokens import BOUND_ROLES
from tests.helpers import EMPLOYEES, count, issue_token, query, seed_demo, snapshot
from worker.run import execute_run

INGEST = "/api/v1/ingest/protected-attributes"
ROWS = [
    {"employee_id": "E1", "attribute": "age_band", "group": "40-49"},
    {"employee_id": "E2", "attribute": "age_band", "group": "30-39"},
    {"employee_id": "E2", "attribute": "gender", "group": "male"},
]


def as_role(app, database_url: str, role: str, employee_id: str | None = None):
    client = app.test_client()
    bearer = issue_token(database_url, role, employee_id if role in BOUND_ROLES else None)
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {bearer}"
    return client


@pytest.fixture
def organisation(client) -> None:
    assert client.post("/api/v1/ingest/employees", json=EMPLOYEES).status_code == 200


# --------------------------------------------------------------------------- ingest


@pytest.mark.parametrize("role", ["hr", "admin"])
def test_hr_and_admin_load_protected_attributes(app, database_url, organisation, conn, role):
    response = as_role(app, database_url, role).post(INGEST, json=ROWS)

    assert response.status_code == 200, response.json
    assert response.json["inserted"] == 3
    assert snapshot(conn, "protected_attributes") == [
        ("E1", "age_band", "40-49"),
        ("E2", "age_band", "30-39"),
        ("E2", "gender", "male"),
    ]


@pytest.mark.parametrize("role", ["ingest", "manager", "employee"])
def test_other_roles_may_not_load_protected_attributes(app, database_url, organisation, conn, role):
    response = as_role(app, database_url, role, "E1").post(INGEST, json=ROWS)

    assert response.status_code == 403
    assert count(conn, "protected_attributes") == 0


def test_an_unknown_employee_is_refused_naming_row_and_column_and_nothing_is_written(
    client, organisation, conn
):
    rows = [*ROWS, {"employee_id": "E404", "attribute": "gender", "group": "female"}]
    response = client.post(INGEST, json=rows)

    assert response.status_code == 422
    assert {(p["row"], p["column"], p["reason"]) for p in response.json["problems"]} == {
        (4, "employee_id", "unknown employee")
    }
    assert count(conn, "protected_attributes") == 0


@pytest.mark.parametrize("column", ["attribute", "group"])
def test_a_value_over_100_characters_is_refused_naming_row_and_column(
    client, organisation, conn, column
):
    rows = [ROWS[0], {**ROWS[1], column: "x" * 101}]
    response = client.post(INGEST, json=rows)

    assert response.status_code == 422
    problems = response.json["problems"]
    assert [(p["row"], p["column"]) for p in problems] == [(2, column)], problems
    assert "100" in problems[0]["reason"]
    assert count(conn, "protected_attributes") == 0


def test_a_value_of_exactly_100_characters_is_accepted(client, organisation, conn):
    response = client.post(INGEST, json=[{**ROWS[0], "group": "y" * 100}])

    assert response.status_code == 200, response.json
    assert count(conn, "protected_attributes") == 1


# --------------------------------------------------------------------------- the audit


def test_the_current_runs_audit_answers_each_group_as_stored(scored_app, scored_database_url):
    hr = as_role(scored_app, scored_database_url, "hr")
    response = hr.get("/api/v1/models/current/fairness")

    assert response.status_code == 200, response.json
    body = response.json
    (run_id,) = query(scored_database_url, "SELECT run_id FROM model_runs WHERE is_current")[0]
    assert body["run_id"] == run_id
    assert body["min_group_size"] == 5
    assert body["test"] == (
        "fisher_exact, two-sided, group vs the rest of the attribute's reported groups"
    )
    stored = query(
        scored_database_url,
        'SELECT * FROM fairness_audit WHERE run_id = %s ORDER BY attribute, "group" COLLATE "C"',
        (run_id,),
        as_dicts=True,
    )
    assert [(r["attribute"], r["group"]) for r in body["data"]] == [
        (r["attribute"], r["group"]) for r in stored
    ]
    assert {r["attribute"] for r in body["data"]} == {"age_band", "gender"}
    for answered, row in zip(body["data"], stored, strict=True):
        assert answered["suppressed"] == row["suppressed"]
        assert answered["employees"] == row["employees"]
        if row["suppressed"]:
            assert all(answered[k] is None for k in ("high_share", "impact_ratio", "p_value"))
            continue
        for share in ("high_share", "low_share", "anomaly_share", "predicted_low_share"):
            assert answered[share] == pytest.approx(row[share], abs=0.0001), share
        assert answered["impact_ratio"] == pytest.approx(row["impact_ratio"], abs=0.0001)
        assert answered["adverse_impact"] == (answered["impact_ratio"] < 0.8)
        assert answered["p_value"] == pytest.approx(row["p_value"], rel=0.001)


def test_an_earlier_runs_audit_is_answered_by_its_id(scored_client, db):
    (first,) = query(db, "SELECT min(run_id) FROM model_runs")[0]
    response = scored_client.get(f"/api/v1/models/{first}/fairness")

    assert response.status_code == 200
    assert response.json["run_id"] == first
    assert response.json["data"]


def test_an_unknown_run_is_a_404(scored_client):
    response = scored_client.get("/api/v1/models/987654/fairness")

    assert response.status_code == 404
    assert "987654" in response.json["message"]


def test_without_a_current_run_the_current_audit_is_a_404(client):
    assert client.get("/api/v1/models/current/fairness").status_code == 404


@pytest.mark.parametrize("role", ["manager", "employee", "ingest"])
def test_only_admin_and_hr_see_the_audit(scored_app, scored_database_url, db, role):
    (someone,) = query(db, "SELECT min(manager_id) FROM employees")[0]
    client = as_role(scored_app, scored_database_url, role, someone)

    assert client.get("/api/v1/models/current/fairness").status_code == 403


# --------------------------------------------------------------------------- never per person

PLANTED_ATTRIBUTE = "zq_attribute_7781"
PLANTED_GROUP = "zq_group_4410"


def test_no_per_person_answer_shows_a_protected_attribute(app, client, database_url):
    frames = seed_demo(database_url, employees=60)
    people = frames["employees"]
    planted = [
        {"employee_id": e, "attribute": PLANTED_ATTRIBUTE, "group": PLANTED_GROUP}
        for e in people["employee_id"]
    ]
    assert client.post(INGEST, json=planted).status_code == 200
    execute_run(database_url)

    person = people.iloc[5]
    employee, team, department = person["employee_id"], person["team"], person["department"]
    paths = [
        "/api/v1/employees?limit=500",
        f"/api/v1/employees/{employee}",
        f"/api/v1/employees/{employee}/history",
        f"/api/v1/employees/{employee}/skill-gaps",
        f"/api/v1/employees/{employee}/trend",
        f"/api/v1/employees/{employee}/report",
        f"/api/v1/teams/{team}",
        f"/api/v1/teams/{team}/report.html",
        f"/api/v1/departments/{department}/report.csv",
        f"/api/v1/departments/{department}/report.html",
        f"/api/v1/departments/{department}/team-suggestions",
        "/api/v1/departments",
        "/api/v1/teams",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        text = response.get_data(as_text=True)
        assert PLANTED_GROUP not in text and PLANTED_ATTRIBUTE not in text, path
    # The audit itself is where the group appears: aggregated, never per person.
    audit = client.get("/api/v1/models/current/fairness").json["data"]
    planted_rows = [r for r in audit if r["attribute"] == PLANTED_ATTRIBUTE]
    assert planted_rows == [{**planted_rows[0], "group": PLANTED_GROUP, "employees": len(people)}]
    assert set(planted_rows[0]) >= {"high_share", "impact_ratio", "p_value"}
    assert "employee_id" not in planted_rows[0]
