"""POST /api/v1/models/{run_id}/promote and the run statuses GET /api/v1/models shows:
an admin makes a held run current with an audited reason; nobody else may."""

from __future__ import annotations

import pytest

from tests.helpers import issue_token, query, seed_demo
from worker.run import execute_run

# Nine employees in ten lose every task record: the next run is held.
LOSE_NINE_TENTHS = "DELETE FROM task_records WHERE abs(hashtext(employee_id)) % 10 <> 0"


@pytest.fixture
def held(database_url: str) -> tuple[int, int]:
    """(the current run, a held run) in the test's database."""
    seed_demo(database_url, employees=60)
    good = execute_run(database_url)
    query(database_url, LOSE_NINE_TENTHS)
    bad = execute_run(database_url)
    assert (good.status, bad.status) == ("succeeded", "held"), bad.reasons
    return good.run_id, bad.run_id


def promote_audit(database_url: str) -> list[dict]:
    return query(
        database_url,
        """SELECT target, token_id, role, request_id, details FROM audit_log
           WHERE action = 'run_promote' ORDER BY id""",
        as_dicts=True,
    )


def test_an_admin_promotes_a_held_run_with_a_reason_and_it_is_audited(client, database_url, held):
    good_id, held_id = held
    assert client.get("/api/v1/models/current").json["run_id"] == good_id

    response = client.post(
        f"/api/v1/models/{held_id}/promote",
        json={"reason": "  the archive job removed old records on purpose  "},
        headers={"X-Request-ID": "promote-1"},
    )

    assert response.status_code == 200, response.json
    assert (response.json["run_id"], response.json["status"]) == (held_id, "succeeded")
    assert response.json["is_current"] is True
    current = client.get("/api/v1/models/current").json
    assert (current["run_id"], current["is_current"]) == (held_id, True)
    assert current["status_reasons"][-1]["check"] == "promoted"
    assert current["status_reasons"][-1]["message"] == (
        "the archive job removed old records on purpose"
    )
    assert {r["run_id"] for r in client.get("/api/v1/employees?limit=5").json["data"]} == {held_id}
    (record,) = promote_audit(database_url)
    token_id = client.environ_base["HTTP_AUTHORIZATION"].split("_")[1]
    assert record == {
        "target": str(held_id),
        "token_id": token_id,
        "role": "admin",
        "request_id": "promote-1",
        "details": {
            "reason": "the archive job removed old records on purpose",
            "previous_run_id": good_id,
        },
    }
    # Promoting it again is a conflict, not a second switch.
    again = client.post(f"/api/v1/models/{held_id}/promote", json={"reason": "again"})
    assert again.status_code == 409
    assert "already current" in again.json["message"]
    # The roll-back is a promotion of the earlier run.
    back = client.post(f"/api/v1/models/{good_id}/promote", json={"reason": "rollback"})
    assert back.status_code == 200, back.json
    assert client.get("/api/v1/models/current").json["run_id"] == good_id
    assert [r["details"]["previous_run_id"] for r in promote_audit(database_url)] == [
        good_id,
        held_id,
    ]


@pytest.mark.parametrize("role", ["hr", "manager", "employee"])
def test_only_an_admin_may_promote(app, database_url, held, role):
    good_id, held_id = held
    bound = None
    if role != "hr":
        ((bound,),) = query(
            database_url, "SELECT manager_id FROM employees WHERE manager_id IS NOT NULL LIMIT 1"
        )
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = (
        f"Bearer {issue_token(database_url, role, employee_id=bound)}"
    )

    response = client.post(f"/api/v1/models/{held_id}/promote", json={"reason": "let me"})

    assert response.status_code == 403
    assert role in response.json["message"]
    assert query(database_url, "SELECT run_id FROM model_runs WHERE is_current") == [(good_id,)]
    assert promote_audit(database_url) == []


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"why": "x"}])
def test_a_promotion_without_a_reason_is_refused_with_422_naming_the_field(
    client, database_url, held, body
):
    good_id, held_id = held

    response = client.post(f"/api/v1/models/{held_id}/promote", json=body)

    assert response.status_code == 422, response.json
    assert response.json["status"] == "error"
    named = [p.get("field") for p in response.json.get("problems", [])]
    assert "reason" in named or "reason" in response.json["message"]
    assert query(database_url, "SELECT run_id FROM model_runs WHERE is_current") == [(good_id,)]
    assert promote_audit(database_url) == []


def test_promoting_an_unknown_run_is_404_and_a_failed_run_409(client, database_url, held):
    good_id, _ = held
    query(database_url, "INSERT INTO model_runs (status, error) VALUES ('failed', 'boom')")
    ((failed_id,),) = query(database_url, "SELECT run_id FROM model_runs WHERE status = 'failed'")

    unknown = client.post("/api/v1/models/999999/promote", json={"reason": "why not"})
    failed = client.post(f"/api/v1/models/{failed_id}/promote", json={"reason": "why not"})

    assert unknown.status_code == 404
    assert unknown.json["message"] == "no model run 999999"
    assert failed.status_code == 409
    assert f"run {failed_id} is failed" in failed.json["message"]
    assert query(database_url, "SELECT run_id FROM model_runs WHERE is_current") == [(good_id,)]
    assert promote_audit(database_url) == []


def test_the_run_list_shows_each_status_and_why_a_run_was_held(client, database_url, held):
    good_id, held_id = held
    query(database_url, "INSERT INTO model_runs (status, error) VALUES ('failed', 'boom')")

    listed = {r["run_id"]: r for r in client.get("/api/v1/models").json["data"]}
    (failed_id,) = set(listed) - {good_id, held_id}
    assert {run_id: (r["status"], r["is_current"]) for run_id, r in listed.items()} == {
        good_id: ("succeeded", True),
        held_id: ("held", False),
        failed_id: ("failed", False),
    }
    reasons = {r["check"]: r for r in listed[held_id]["status_reasons"]}
    assert {"rows_read", "no_tasks_share"} <= set(reasons)
    assert reasons["rows_read"]["current"] < reasons["rows_read"]["previous"]
    assert reasons["rows_read"]["limit"] == 0.5
    assert "fewer task records" in reasons["rows_read"]["message"]
    assert listed[good_id]["status_reasons"] == []
    assert listed[failed_id]["error"] == "boom"

    client.post(f"/api/v1/models/{held_id}/promote", json={"reason": "checked"})
    listed = {r["run_id"]: r["status"] for r in client.get("/api/v1/models").json["data"]}
    assert listed == {good_id: "superseded", held_id: "succeeded", failed_id: "failed"}
    assert client.get(f"/api/v1/models/{good_id}").json["status"] == "superseded"
