"""The review queue end to end on real PostgreSQL: everyone of the current run without a
confirm or override, in the caller's scope, contested first, then anomalies, tier drops,
predicted Low and the attention order, each with its reasons, page after page."""

from __future__ import annotations

import pytest

from store.tokens import BOUND_ROLES
from tests.api.test_reviews import People, as_role, reviews_path
from tests.helpers import people_of, query

QUEUE = "/api/v1/reviews"
RANK = {"High": 3, "Medium": 2, "Low": 1}


@pytest.fixture(scope="module")
def people(db) -> People:
    return People(db)


def queue(client, **args) -> list[dict]:
    """Every page of the queue, following the Link header."""
    rows, url, params = [], QUEUE, args
    while True:
        response = client.get(url, query_string=params)
        assert response.status_code == 200, response.json
        rows.extend(response.json["data"])
        if "Link" not in response.headers:
            assert response.json["next_after"] is None
            return rows
        url, params = response.headers["Link"].split(">")[0].lstrip("<"), None


def expected_queue(db, visible: set[str] | None = None, status: str = "pending") -> list[dict]:
    """The queue recomputed here from the stored scores and reviews."""
    current, previous = query(
        db,
        """SELECT (SELECT run_id FROM model_runs WHERE is_current),
                  (SELECT max(run_id) FROM model_runs WHERE status = 'succeeded'
                    AND run_id < (SELECT run_id FROM model_runs WHERE is_current))""",
    )[0]
    scores = query(
        db,
        "SELECT employee_id, tier, predicted_tier, is_anomaly, trend, score FROM scores "
        "WHERE run_id = %s",
        (current,),
        as_dicts=True,
    )
    before = dict(query(db, "SELECT employee_id, tier FROM scores WHERE run_id = %s", (previous,)))
    # The previous run's final tiers: its newest confirm or override decides.
    for employee_id, decision, tier in query(
        db,
        "SELECT employee_id, decision, tier FROM reviews WHERE run_id = %s "
        "AND decision <> 'contest' ORDER BY created_at, review_id",
        (previous,),
    ):
        before[employee_id] = tier if decision == "override" else before[employee_id]
    decided = {
        e
        for (e,) in query(
            db,
            "SELECT employee_id FROM reviews WHERE run_id = %s AND decision <> 'contest'",
            (current,),
        )
    }
    contested = {
        e
        for (e,) in query(
            db,
            "SELECT employee_id FROM reviews WHERE run_id = %s AND decision = 'contest'",
            (current,),
        )
    }
    rows = []
    for s in scores:
        if visible is not None and s["employee_id"] not in visible:
            continue
        if (status == "pending") == (s["employee_id"] in decided) and status != "all":
            continue
        drop = s["employee_id"] in before and RANK[s["tier"]] < RANK[before[s["employee_id"]]]
        reasons = [
            name
            for name, holds in [
                ("contested", s["employee_id"] in contested),
                ("anomaly", s["is_anomaly"]),
                ("tier_drop", drop),
                ("predicted_low", s["predicted_tier"] == "Low"),
            ]
            if holds
        ]
        key = (
            s["employee_id"] not in contested,
            not s["is_anomaly"],
            not drop,
            {True: 0, False: 1, None: 2}[
                None if s["predicted_tier"] is None else s["predicted_tier"] == "Low"
            ],
            {True: 0, False: 1, None: 2}[None if s["trend"] is None else s["trend"] == "declining"],
            s["score"],
            s["employee_id"],
        )
        rows.append((key, {"employee_id": s["employee_id"], "reasons": reasons}))
    return [r for _, r in sorted(rows, key=lambda kr: kr[0])]


def shown(rows: list[dict]) -> list[dict]:
    return [{"employee_id": r["employee_id"], "reasons": r["reasons"]} for r in rows]


def test_the_pending_queue_is_in_review_order_with_its_reasons_across_pages(scored_client, db):
    rows = queue(scored_client, limit=17)

    assert shown(rows) == expected_queue(db)
    assert {"anomaly", "predicted_low"} <= {r for row in rows for r in row["reasons"]}


def test_a_tier_below_the_previous_runs_final_tier_is_a_tier_drop(scored_client, db, people):
    # An override of the previous run (made while it was current) raised the final tier
    # above this run's model tier; reviews of a past run can only be arranged in the store.
    person = next(
        p
        for p in sorted(people.results)
        if people.results[p]["tier"] != "High" and p not in people.reports
    )
    people.take_exactly(person)
    query(
        db,
        """INSERT INTO reviews (run_id, employee_id, decision, tier, reason, token_id,
                                reviewer_role)
           SELECT max(run_id), %s, 'override', 'High', 'strong quarter', 'tok', 'hr'
             FROM model_runs WHERE NOT is_current AND status = 'succeeded'""",
        (person,),
    )

    rows = queue(scored_client, limit=500)

    row = next(r for r in rows if r["employee_id"] == person)
    assert "tier_drop" in row["reasons"]
    assert row["previous_tier"] == "High"
    assert shown(rows) == expected_queue(db)


def test_an_employee_who_contests_comes_first_in_the_queue(
    scored_app, scored_database_url, scored_client, db, people
):
    person = people.take()
    assert queue(scored_client, limit=500)[0]["employee_id"] != person
    employee = as_role(scored_app, scored_database_url, "employee", person)
    contest = {"decision": "contest", "reason": "my on-call weeks are not counted"}
    assert employee.post(reviews_path(person), json=contest).status_code == 201

    first = scored_client.get(QUEUE, query_string={"limit": 1}).json["data"][0]

    assert first["employee_id"] == person
    assert first["reasons"][0] == "contested"
    assert first["contest"]["reason"] == contest["reason"]
    assert shown(queue(scored_client, limit=50)) == expected_queue(db)


def test_reviewed_people_leave_the_pending_queue_and_show_as_reviewed(
    scored_app, scored_database_url, scored_client, db, people
):
    hr = as_role(scored_app, scored_database_url, "hr")
    confirmed, overridden = people.take(), people.take()
    hr.post(reviews_path(confirmed), json={"decision": "confirm", "reason": "ok"})
    hr.post(
        reviews_path(overridden),
        json={"decision": "override", "tier": "Medium", "reason": "new role"},
    )

    pending = {r["employee_id"] for r in queue(scored_client, limit=500)}
    reviewed = queue(scored_client, status="reviewed", limit=500)
    everyone = queue(scored_client, status="all", limit=500)

    assert confirmed not in pending and overridden not in pending
    assert {confirmed, overridden} <= {r["employee_id"] for r in reviewed}
    by_id = {r["employee_id"]: r for r in reviewed}
    assert by_id[overridden]["final_tier"] == "Medium"
    assert by_id[overridden]["review"]["reason"] == "new role"
    assert shown(reviewed) == expected_queue(db, status="reviewed")
    assert len(everyone) == len(pending) + len(reviewed)


def test_a_manager_sees_only_their_people_in_the_queue(scored_app, scored_database_url, db, people):
    manager, _, outside = people.manager_inside_and_outside()
    visible = people_of(manager, people.reports)
    client = as_role(scored_app, scored_database_url, "manager", manager)

    rows = queue(client, limit=500)

    assert {r["employee_id"] for r in rows} <= visible
    assert outside not in {r["employee_id"] for r in rows}
    assert shown(rows) == expected_queue(db, visible)


@pytest.mark.parametrize("role", ["employee", "ingest"])
def test_employees_and_ingest_may_not_read_the_queue(scored_app, scored_database_url, people, role):
    person = people.take()
    client = as_role(scored_app, scored_database_url, role, person if role in BOUND_ROLES else None)

    assert client.get(QUEUE).status_code == 403


def test_an_unknown_status_is_refused_naming_the_parameter(scored_client):
    response = scored_client.get(QUEUE, query_string={"status": "someday"})

    assert response.status_code == 422
    assert [p["field"] for p in response.json["problems"]] == ["status"]


def test_a_queue_read_is_audited_with_its_status_and_count_but_no_person(scored_client, db):
    rows = scored_client.get(QUEUE, query_string={"limit": 3}).json["data"]

    (record,) = query(
        db,
        "SELECT details FROM audit_log WHERE action = 'review_queue_read' ORDER BY id DESC LIMIT 1",
    )
    assert record[0] == {"status": "pending", "after": None, "count": 3}
    assert not any(r["employee_id"] in str(record[0]) for r in rows)
