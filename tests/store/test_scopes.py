"""What each role sees: a manager exactly their people, an employee only themselves, the
ingest role nothing; enforced in the queries as well as at the routes."""

from __future__ import annotations

from collections import defaultdict

import pytest

from api import create_app
from store.queries import departments as department_queries
from store.queries import employees as queries
from store.scope import EVERYONE, NOBODY, Scope
from tests.helpers import EMPLOYEES, TASK_RECORDS, issue_token, people_of, query


@pytest.fixture(scope="module")
def hierarchy(db) -> dict[str, list[str]]:
    reports = defaultdict(list)
    for employee_id, manager_id in query(db, "SELECT employee_id, manager_id FROM employees"):
        if manager_id is not None:
            reports[manager_id].append(employee_id)
    return reports


@pytest.fixture(scope="module")
def manager(hierarchy) -> str:
    """A middle manager: has reports who have reports, and is not at the top."""
    everyone = sum(len(r) for r in hierarchy.values()) + 1
    candidates = [
        m
        for m in hierarchy
        if any(r in hierarchy for r in hierarchy[m]) and len(people_of(m, hierarchy)) < everyone
    ]
    assert candidates, "the demo organisation has no middle manager"
    return min(candidates)


@pytest.fixture(scope="module")
def scored(db) -> set[str]:
    return {
        r[0]
        for r in query(
            db, "SELECT employee_id FROM scores JOIN model_runs USING (run_id) WHERE is_current"
        )
    }


@pytest.fixture(scope="module")
def app(scored_database_url):
    app = create_app({"DATABASE_URL": scored_database_url, "TESTING": True})
    yield app
    app.extensions["epa_db"].close()


def client_for(app, database_url: str, role: str, employee_id: str | None = None):
    client = app.test_client()
    token = issue_token(database_url, role, employee_id)
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def listed(client, **filters) -> list[str]:
    seen, after = [], None
    while True:
        args = {**filters, "limit": 7, **({"after": after} if after else {})}
        page = client.get("/api/v1/employees", query_string=args)
        assert page.status_code == 200
        seen += [r["employee_id"] for r in page.json["data"]]
        after = page.json["next_after"]
        if after is None:
            return seen


def test_a_manager_lists_exactly_themselves_and_everyone_below_them(
    app, scored_database_url, hierarchy, manager, scored
):
    client = client_for(app, scored_database_url, "manager", manager)
    expected = people_of(manager, hierarchy) & scored
    assert len(expected) > 2
    ids = listed(client)
    assert ids == sorted(expected)
    high = listed(client, tier="High")
    assert set(high) <= expected


def test_a_manager_reads_their_people_and_gets_404_for_anyone_else(
    app, scored_database_url, hierarchy, manager, scored
):
    client = client_for(app, scored_database_url, "manager", manager)
    mine = people_of(manager, hierarchy)
    report = min((mine - {manager}) & scored)
    outsider = min(scored - mine)
    assert client.get(f"/api/v1/employees/{report}").status_code == 200
    assert client.get(f"/api/v1/employees/{report}/history").status_code == 200
    for path in (f"/api/v1/employees/{outsider}", f"/api/v1/employees/{outsider}/history"):
        response = client.get(path)
        # Exactly what an unknown id gets: the employee's existence is not revealed.
        assert response.status_code == 404
        assert response.json == {
            "status": "error",
            "code": 404,
            "message": f"no employee {outsider!r}",
        }


def test_a_managers_department_summaries_count_only_their_people(
    app, db, scored_database_url, hierarchy, manager, scored
):
    client = client_for(app, scored_database_url, "manager", manager)
    mine = people_of(manager, hierarchy) & scored
    body = client.get("/api/v1/departments").json
    assert sum(d["employees"] for d in body["data"]) == len(mine)
    departments = dict(
        query(
            db,
            """SELECT department, count(*) FROM scores JOIN model_runs USING (run_id)
               WHERE is_current AND employee_id = ANY(%s) GROUP BY department""",
            (list(mine),),
        )
    )
    assert {d["department"]: d["employees"] for d in body["data"]} == departments


def test_an_employee_sees_only_their_own_record(
    app, scored_database_url, hierarchy, manager, scored
):
    me = min((people_of(manager, hierarchy) - {manager}) & scored)
    client = client_for(app, scored_database_url, "employee", me)
    assert listed(client) == [me]
    assert client.get(f"/api/v1/employees/{me}").json["employee"]["employee_id"] == me
    assert client.get(f"/api/v1/employees/{me}/history").status_code == 200
    for someone in (manager, min(scored - {me})):
        assert client.get(f"/api/v1/employees/{someone}").status_code == 404
        assert client.get(f"/api/v1/employees/{someone}/history").status_code == 404
    summary = client.get("/api/v1/departments").json["data"]
    assert sum(d["employees"] for d in summary) == 1
    assert client.get("/api/v1/models/current").status_code == 403


def test_hr_and_admin_see_everyone(app, scored_database_url, scored):
    for role in ("hr", "admin"):
        assert listed(client_for(app, scored_database_url, role)) == sorted(scored)


def test_the_ingest_role_can_write_but_read_nothing(database_url):
    app = create_app({"DATABASE_URL": database_url, "TESTING": True})
    try:
        client = client_for(app, database_url, "ingest")
        assert client.post("/api/v1/ingest/employees", json=EMPLOYEES).status_code == 200
        assert client.post("/api/v1/ingest/task-records", json=TASK_RECORDS).status_code == 200
        for path in (
            "/api/v1/employees",
            "/api/v1/employees/E1",
            "/api/v1/employees/E1/history",
            "/api/v1/departments",
            "/api/v1/models",
            "/api/v1/audit",
            "/api/v1/tokens",
        ):
            assert client.get(path).status_code == 403, path
    finally:
        app.extensions["epa_db"].close()


def test_the_queries_themselves_apply_the_scope(db, hierarchy, manager, scored):
    mine = people_of(manager, hierarchy)
    outsider = min(scored - mine)
    args = dict(department=None, team=None, tier=None, anomaly=None, after=None, limit=10_000)
    manager_scope = Scope(root=manager, reports=True)
    assert {r["employee_id"] for r in queries.results(db, scope=manager_scope, **args)} == (
        mine & scored
    )
    assert queries.results(db, scope=NOBODY, **args) == []
    assert department_queries.department_summaries(db, scope=NOBODY) == []
    assert queries.employee(db, outsider, scope=manager_scope) is None
    assert queries.employee_result(db, outsider, scope=manager_scope) is None
    assert queries.employee_history(db, outsider, 10, scope=manager_scope) == []
    assert queries.employee(db, outsider, scope=EVERYONE) is not None
    myself = Scope(root=manager, reports=False)
    assert [r["employee_id"] for r in queries.results(db, scope=myself, **args)] == [manager]
