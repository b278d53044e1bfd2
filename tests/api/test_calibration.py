"""A department's calibration grid end to end on real PostgreSQL: final tier (overrides
applied) × predicted next tier, recounted here from the stored scores and reviews, with
a manager's grid over their people only."""

from __future__ import annotations

from collections import Counter

import pytest

from analytics.config import TIER_NAMES as TIERS
from store.tokens import BOUND_ROLES
from tests.api.test_reviews import People, as_role, other_tier, reviews_path
from tests.helpers import people_of, query


@pytest.fixture(scope="module")
def people(db) -> People:
    return People(db)


def calibration_path(department: str) -> str:
    return f"/api/v1/departments/{department}/calibration"


def recount(db, department: str, visible: set[str] | None = None) -> tuple[Counter, int, int]:
    """(final tier, predicted tier) counts, people without a prediction and overrides,
    from the current run's scores and its newest confirm or override per person."""
    scores = query(
        db,
        """SELECT s.employee_id, s.tier, s.predicted_tier FROM scores s
           JOIN model_runs r ON r.run_id = s.run_id AND r.is_current
           WHERE s.department = %s""",
        (department,),
    )
    newest = {}
    for employee_id, decision, tier in query(
        db,
        """SELECT v.employee_id, v.decision, v.tier FROM reviews v
           JOIN model_runs r ON r.run_id = v.run_id AND r.is_current
           WHERE v.decision <> 'contest' ORDER BY v.created_at, v.review_id""",
    ):
        newest[employee_id] = (decision, tier)
    cells, unpredicted, overrides = Counter(), 0, 0
    for employee_id, tier, predicted in scores:
        if visible is not None and employee_id not in visible:
            continue
        decision, reviewed = newest.get(employee_id, (None, None))
        overrides += decision == "override"
        final = reviewed if decision == "override" else tier
        if predicted is None:
            unpredicted += 1
        else:
            cells[(final, predicted)] += 1
    return cells, unpredicted, overrides


def grid_counts(body: dict) -> Counter:
    return Counter(
        {
            (c["final_tier"], c["predicted_tier"]): c["employees"]
            for row in body["grid"]
            for c in row
            if c["employees"]
        }
    )


@pytest.fixture(scope="module")
def departments(db) -> dict[str, str]:
    return dict(
        query(
            db,
            "SELECT s.employee_id, s.department FROM scores s JOIN model_runs r "
            "ON r.run_id = s.run_id AND r.is_current",
        )
    )


def test_the_grid_counts_equal_a_recount_with_overrides_applied(
    scored_app, scored_database_url, db, people, departments
):
    department = Counter(departments.values()).most_common(1)[0][0]
    hr = as_role(scored_app, scored_database_url, "hr")
    members = [p for p in sorted(people.results) if departments[p] == department]
    overridden = [people.take_exactly(p) for p in members[:3] if p not in people.reports][:2]
    for person in overridden:
        tier = other_tier(people.results[person]["tier"])
        assert (
            hr.post(
                reviews_path(person),
                json={"decision": "override", "tier": tier, "reason": "calibration"},
            ).status_code
            == 201
        )
    confirmed = people.take_exactly(next(p for p in members if p in people._free))
    hr.post(reviews_path(confirmed), json={"decision": "confirm", "reason": "calibration"})

    body = hr.get(calibration_path(department)).json

    cells, unpredicted, overrides = recount(db, department)
    assert grid_counts(body) == cells
    assert body["without_prediction"]["employees"] == unpredicted
    assert body["overrides"] == overrides == len(overridden)
    assert body["employees"] == sum(cells.values()) + unpredicted
    assert body["rows"] == body["columns"] == list(TIERS)
    for final in TIERS:
        assert body["totals"]["final_tier"][final] == sum(
            n for (f, _), n in cells.items() if f == final
        )
    placed = {
        p["employee_id"]: (c["final_tier"], p)
        for row in body["grid"]
        for c in row
        for p in c["people"]
    }
    placed |= {p["employee_id"]: (p["final_tier"], p) for p in body["without_prediction"]["people"]}
    for person in overridden:
        row, shown = placed[person]
        assert row == shown["final_tier"] == other_tier(shown["tier"])
        assert shown["overridden"] is True


def test_a_manager_gets_the_grid_of_their_people_only(
    scored_app, scored_database_url, db, people, departments
):
    manager, inside, _ = people.manager_inside_and_outside()
    visible = people_of(manager, people.reports)
    department = departments[inside]
    client = as_role(scored_app, scored_database_url, "manager", manager)

    body = client.get(calibration_path(department)).json

    named = {p["employee_id"] for row in body["grid"] for c in row for p in c["people"]}
    named |= {p["employee_id"] for p in body["without_prediction"]["people"]}
    assert named <= visible and inside in named
    cells, unpredicted, _ = recount(db, department, visible)
    assert grid_counts(body) == cells
    assert body["without_prediction"]["employees"] == unpredicted


def test_an_unknown_department_is_a_404(scored_client):
    response = scored_client.get(calibration_path("Nowhere"))

    assert response.status_code == 404
    assert "Nowhere" in response.json["message"]


@pytest.mark.parametrize("role", ["employee", "ingest"])
def test_employees_and_ingest_may_not_read_the_grid(
    scored_app, scored_database_url, people, departments, role
):
    person = people.take()
    client = as_role(scored_app, scored_database_url, role, person if role in BOUND_ROLES else None)

    assert client.get(calibration_path(departments[person])).status_code == 403


def test_a_grid_read_is_audited_with_the_department_and_count(scored_client, db, departments):
    department = sorted(set(departments.values()))[0]
    body = scored_client.get(calibration_path(department)).json

    (record,) = query(
        db,
        "SELECT target, details FROM audit_log WHERE action = 'calibration_read' "
        "ORDER BY id DESC LIMIT 1",
    )
    assert record == (department, {"found": True, "count": body["employees"]})
