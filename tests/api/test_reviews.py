"""Reviews of results through the API on real PostgreSQL: an override shows in the result
beside the model's tier with its reason, the newest decision decides, a manager reviews
their people only, an employee only contests their own result, every refusal writes
nothing, reviews are append-only and audited, and they belong to the run they review."""

from __future__ import annotations

import psycopg2
import pytest

from store.tokens import BOUND_ROLES
from tests.helpers import count, issue_token, people_of, query, reports_of, seed_demo
from worker.run import execute_run


def as_role(app, database_url: str, role: str, employee_id: str | None = None):
    client = app.test_client()
    bearer = issue_token(database_url, role, employee_id if role in BOUND_ROLES else None)
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {bearer}"
    return client


def reviews_path(employee_id: str) -> str:
    return f"/api/v1/employees/{employee_id}/reviews"


def current_results(db) -> dict[str, dict]:
    rows = query(
        db,
        """SELECT s.employee_id, s.tier, e.manager_id FROM scores s
           JOIN model_runs r ON r.run_id = s.run_id AND r.is_current
           JOIN employees e USING (employee_id) ORDER BY s.employee_id""",
        as_dicts=True,
    )
    return {r["employee_id"]: r for r in rows}


def other_tier(tier: str) -> str:
    return "Low" if tier != "Low" else "High"


class People:
    """Distinct people of the module's scored run for each test, so tests do not meet."""

    def __init__(self, db) -> None:
        self.results = current_results(db)
        self.reports = reports_of(db)
        self._free = sorted(self.results)

    def take(self, exclude: set[str] = frozenset()) -> str:
        person = next(p for p in self._free if p not in exclude and p not in self.reports)
        self._free.remove(person)
        return person

    def take_exactly(self, person: str) -> str:
        self._free.remove(person)
        return person

    def manager_inside_and_outside(self) -> tuple[str, str, str]:
        """A manager who does not see everyone, one of their reports and someone else."""
        for manager in sorted(self.reports):
            seen = people_of(manager, self.reports)
            inside = [p for p in self._free if p in seen and p != manager]
            outside = [p for p in self._free if p not in seen]
            if inside and outside:
                self._free.remove(inside[0])
                self._free.remove(outside[0])
                return manager, inside[0], outside[0]
        raise AssertionError("the demo has no manager with a partial scope")


@pytest.fixture(scope="module")
def people(db) -> People:
    return People(db)


def written(db) -> tuple[int, int]:
    return count(db, "reviews"), count(db, "audit_log")


# --------------------------------------------------------------------------- the result


def test_an_override_shows_in_the_result_beside_the_model_tier_with_its_reason(
    scored_app, scored_database_url, people
):
    person = people.take()
    model = people.results[person]["tier"]
    hr = as_role(scored_app, scored_database_url, "hr")

    created = hr.post(
        reviews_path(person),
        json={"decision": "override", "tier": other_tier(model), "reason": "sick leave"},
    )

    assert created.status_code == 201, created.json
    assert created.json["model_tier"] == model
    assert created.json["final_tier"] == other_tier(model)
    result = hr.get(f"/api/v1/employees/{person}").json["result"]
    assert result["tier"] == model
    assert result["final_tier"] == other_tier(model)
    assert result["review"]["decision"] == "override"
    assert result["review"]["tier"] == other_tier(model)
    assert result["review"]["reason"] == "sick leave"
    assert result["review"]["reviewer"] == {"role": "hr", "name": "test hr"}
    assert result["review"]["run_id"] == result["run_id"]
    history = hr.get(f"/api/v1/employees/{person}/history").json["results"]
    assert (history[0]["run_id"], history[0]["final_tier"]) == (result["run_id"], other_tier(model))
    assert all(h["review"] is None for h in history[1:])
    listed = hr.get("/api/v1/employees", query_string={"after": person[:-1], "limit": 500})
    row = next(r for r in listed.json["data"] if r["employee_id"] == person)
    assert (row["tier"], row["final_tier"]) == (model, other_tier(model))


def test_a_confirm_keeps_the_model_tier_and_shows_the_review(
    scored_app, scored_database_url, people
):
    person = people.take()
    admin = as_role(scored_app, scored_database_url, "admin")

    created = admin.post(reviews_path(person), json={"decision": "confirm", "reason": "agreed"})

    assert created.status_code == 201, created.json
    result = admin.get(f"/api/v1/employees/{person}").json["result"]
    assert result["final_tier"] == result["tier"] == people.results[person]["tier"]
    assert result["review"]["decision"] == "confirm"
    assert result["review"]["tier"] is None


def test_the_newest_decision_of_the_run_decides_the_final_tier(
    scored_app, scored_database_url, people
):
    person = people.take()
    model = people.results[person]["tier"]
    hr = as_role(scored_app, scored_database_url, "hr")
    admin = as_role(scored_app, scored_database_url, "admin")

    hr.post(
        reviews_path(person),
        json={"decision": "override", "tier": other_tier(model), "reason": "first look"},
    )
    assert admin.get(f"/api/v1/employees/{person}").json["result"]["final_tier"] != model
    admin.post(reviews_path(person), json={"decision": "confirm", "reason": "second look"})

    result = admin.get(f"/api/v1/employees/{person}").json["result"]
    assert result["final_tier"] == model
    assert result["review"]["reason"] == "second look"


def test_a_result_with_no_review_shows_the_model_tier_as_final(scored_client, people):
    person = people.take()

    result = scored_client.get(f"/api/v1/employees/{person}").json["result"]

    assert result["final_tier"] == result["tier"]
    assert result["review"] is None
    assert result["contested"] is False


# --------------------------------------------------------------------------- who may review


def test_a_manager_reviews_their_people_and_someone_outside_reads_as_unknown(
    scored_app, scored_database_url, db, people
):
    manager, inside, outside = people.manager_inside_and_outside()
    client = as_role(scored_app, scored_database_url, "manager", manager)
    before = written(db)

    refused = client.post(reviews_path(outside), json={"decision": "confirm", "reason": "ok"})
    unknown = client.post(reviews_path("E-nobody"), json={"decision": "confirm", "reason": "ok"})

    assert refused.status_code == unknown.status_code == 404
    assert refused.json["message"] == f"no employee {outside!r}"
    assert written(db) == before
    assert refused.json["message"] == client.get(f"/api/v1/employees/{outside}").json["message"]
    before = written(db)
    accepted = client.post(reviews_path(inside), json={"decision": "confirm", "reason": "ok"})
    assert accepted.status_code == 201, accepted.json
    assert written(db) == (before[0] + 1, before[1] + 1)


def test_a_manager_may_not_confirm_or_override_their_own_result(
    scored_app, scored_database_url, db, people
):
    manager = next(m for m in sorted(people.reports) if m in people.results)
    client = as_role(scored_app, scored_database_url, "manager", manager)
    before = written(db)

    response = client.post(reviews_path(manager), json={"decision": "confirm", "reason": "me"})

    assert response.status_code == 403
    assert "own result" in response.json["message"]
    assert written(db) == before


def test_an_employee_contests_their_own_result_which_changes_no_tier(
    scored_app, scored_database_url, people
):
    person = people.take()
    client = as_role(scored_app, scored_database_url, "employee", person)

    created = client.post(
        reviews_path(person), json={"decision": "contest", "reason": "my projects are missing"}
    )

    assert created.status_code == 201, created.json
    result = client.get(f"/api/v1/employees/{person}").json["result"]
    assert result["contested"] is True
    assert result["contest"]["reason"] == "my projects are missing"
    assert result["final_tier"] == result["tier"]
    assert result["review"] is None


@pytest.mark.parametrize("decision", ["confirm", "override"])
def test_an_employee_may_not_confirm_or_override_even_their_own_result(
    scored_app, scored_database_url, db, people, decision
):
    person = people.take()
    client = as_role(scored_app, scored_database_url, "employee", person)
    body = {
        "decision": decision,
        "reason": "I agree",
        **({"tier": "High"} if decision == "override" else {}),
    }
    before = written(db)

    response = client.post(reviews_path(person), json=body)

    assert response.status_code == 403
    assert written(db) == before


def test_an_employee_contesting_someone_else_gets_the_unknown_404(
    scored_app, scored_database_url, db, people
):
    person, other = people.take(), people.take()
    client = as_role(scored_app, scored_database_url, "employee", person)
    before = written(db)

    response = client.post(reviews_path(other), json={"decision": "contest", "reason": "no"})

    assert response.status_code == 404
    assert response.json["message"] == f"no employee {other!r}"
    assert written(db) == before


@pytest.mark.parametrize("role", ["hr", "admin"])
def test_hr_and_admin_may_not_contest_a_result_that_is_not_theirs(
    scored_app, scored_database_url, db, people, role
):
    person = people.take()
    before = written(db)

    response = as_role(scored_app, scored_database_url, role).post(
        reviews_path(person), json={"decision": "contest", "reason": "on their behalf"}
    )

    assert response.status_code == 403
    assert written(db) == before


def test_the_ingest_role_may_not_review(scored_app, scored_database_url, db, people):
    person = people.take()
    before = written(db)

    response = as_role(scored_app, scored_database_url, "ingest").post(
        reviews_path(person), json={"decision": "confirm", "reason": "automation"}
    )

    assert response.status_code == 403
    assert written(db) == before


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"decision": "override", "reason": "too low"}, "tier"),
        ({"decision": "override", "tier": None, "reason": "too low"}, "tier"),
        ({"decision": "override", "tier": "Excellent", "reason": "too low"}, "tier"),
        ({"decision": "confirm", "tier": "High", "reason": "fine"}, "tier"),
        ({"decision": "contest", "tier": "High", "reason": "unfair"}, "tier"),
        ({"decision": "override", "tier": "High"}, "reason"),
        ({"decision": "override", "tier": "High", "reason": ""}, "reason"),
        ({"decision": "confirm", "reason": " \t\n "}, "reason"),
        ({"decision": "confirm", "reason": "x" * 2001}, "reason"),
        ({"decision": "promote", "reason": "great"}, "decision"),
        ({"reason": "great"}, "decision"),
    ],
)
def test_a_bad_review_is_refused_naming_its_field_and_nothing_is_written(
    scored_client, db, people, body, field
):
    person = people.take()
    before = written(db)

    response = scored_client.post(reviews_path(person), json=body)

    assert response.status_code == 422, response.json
    assert field in {p["field"] for p in response.json["problems"]}
    assert written(db) == before


def test_a_review_of_a_run_that_is_no_longer_current_is_refused_naming_both_runs(
    scored_client, db, people
):
    person = people.take()
    (old,), (current,) = (
        query(db, "SELECT min(run_id) FROM model_runs WHERE status = 'succeeded'")[0],
        query(db, "SELECT run_id FROM model_runs WHERE is_current")[0],
    )
    assert old != current
    before = written(db)

    response = scored_client.post(
        reviews_path(person), json={"decision": "confirm", "reason": "late", "run_id": old}
    )

    assert response.status_code == 409
    assert str(old) in response.json["message"] and str(current) in response.json["message"]
    assert written(db) == before
    explicit = scored_client.post(
        reviews_path(person), json={"decision": "confirm", "reason": "on time", "run_id": current}
    )
    assert explicit.status_code == 201, explicit.json


def test_a_second_review_of_the_same_result_by_the_same_token_is_refused(
    scored_app, scored_database_url, db, people
):
    person = people.take()
    hr = as_role(scored_app, scored_database_url, "hr")
    assert (
        hr.post(reviews_path(person), json={"decision": "confirm", "reason": "ok"}).status_code
        == 201
    )
    before = written(db)

    again = hr.post(
        reviews_path(person), json={"decision": "override", "tier": "Low", "reason": "changed"}
    )

    assert again.status_code == 409
    assert "already reviewed" in again.json["message"]
    assert written(db) == before
    other_token = as_role(scored_app, scored_database_url, "hr").post(
        reviews_path(person), json={"decision": "override", "tier": "Low", "reason": "changed"}
    )
    assert other_token.status_code == 201


# --------------------------------------------------------------------------- store


def test_reviews_are_append_only(scored_client, db, people):
    person = people.take()
    scored_client.post(reviews_path(person), json={"decision": "confirm", "reason": "ok"})

    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        query(db, "UPDATE reviews SET reason = 'rewritten' WHERE employee_id = %s", (person,))

    assert query(db, "SELECT reason FROM reviews WHERE employee_id = %s", (person,)) == [("ok",)]


def test_a_review_is_audited_with_decision_tier_run_and_employee_but_not_the_reason(
    scored_app, scored_database_url, db, people
):
    person = people.take()
    hr = as_role(scored_app, scored_database_url, "hr")
    hr.post(
        reviews_path(person),
        json={"decision": "override", "tier": "Medium", "reason": "private matter"},
    )

    (record,) = query(
        db,
        "SELECT role, target, details FROM audit_log WHERE action = 'review_create' "
        "AND target = %s",
        (person,),
        as_dicts=True,
    )
    (run_id,) = query(db, "SELECT run_id FROM model_runs WHERE is_current")[0]
    assert record["role"] == "hr"
    assert record["details"]["decision"] == "override"
    assert record["details"]["tier"] == "Medium"
    assert record["details"]["run_id"] == run_id
    assert "private matter" not in str(record["details"])


# --------------------------------------------------------------------------- runs


def test_a_new_run_starts_unreviewed_and_the_old_run_can_no_longer_be_reviewed(
    app, client, database_url
):
    seed_demo(database_url, employees=40)
    execute_run(database_url)
    person = query(database_url, "SELECT min(employee_id) FROM scores")[0][0]
    first = client.get(f"/api/v1/employees/{person}").json["result"]
    client.post(
        reviews_path(person),
        json={"decision": "override", "tier": other_tier(first["tier"]), "reason": "known"},
    )

    execute_run(database_url)

    second = client.get(f"/api/v1/employees/{person}").json["result"]
    assert second["run_id"] != first["run_id"]
    assert second["review"] is None
    assert second["final_tier"] == second["tier"]
    late = client.post(
        reviews_path(person),
        json={"decision": "confirm", "reason": "late", "run_id": first["run_id"]},
    )
    assert late.status_code == 409
