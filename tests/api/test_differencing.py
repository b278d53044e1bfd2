"""Differencing protection in what a manager sees: no aggregate of theirs counts anyone
outside their scope, so nothing they are shown, minus the people they see one by one,
describes someone they may not see. Built on a constructed department in a real store: a
team of 2, one member in the manager's scope and one outside it, beside larger teams."""

from __future__ import annotations

from collections import defaultdict

import pytest

from api.presenters.runs import SCOPED_METRICS
from tests.helpers import issue_token, people_of, query, reports_of, seed_demo
from worker.run import execute_run

PAIR = "Pair Programming Duo"


@pytest.fixture
def constructed(app, database_url) -> dict:
    """A manager, their department, the pair's member inside their scope and outside."""
    seed_demo(database_url, employees=150)
    reports = reports_of(database_url)
    department_of = dict(query(database_url, "SELECT employee_id, department FROM employees"))
    for manager in sorted(reports, key=lambda m: len(people_of(m, reports))):
        scope = people_of(manager, reports)
        department = department_of[manager]
        inside = sorted(p for p in scope - {manager} if department_of[p] == department)
        outside = sorted(p for p, d in department_of.items() if d == department and p not in scope)
        if len(inside) >= 4 and outside:
            break
    else:
        pytest.fail("the demo organisation has no manager with people on both sides")
    member_inside, member_outside = inside[0], outside[0]
    query(
        database_url,
        "UPDATE employees SET team = %s WHERE employee_id IN (%s, %s)",
        (PAIR, member_inside, member_outside),
    )
    assert execute_run(database_url).status == "succeeded"
    client = app.test_client()
    bearer = issue_token(database_url, "manager", manager)
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {bearer}"
    return {
        "client": client,
        "manager": manager,
        "scope": scope,
        "department": department,
        "inside": member_inside,
        "outside": member_outside,
    }


def current_scores(database_url: str) -> list[dict]:
    return query(
        database_url,
        """SELECT s.employee_id, s.department, s.team, s.tier, s.is_anomaly, s.predicted_tier
           FROM scores s JOIN model_runs r USING (run_id) WHERE r.is_current""",
        as_dicts=True,
    )


def test_the_pair_sits_beside_larger_teams_across_the_scope_boundary(database_url, constructed):
    scores = current_scores(database_url)
    teams = defaultdict(set)
    for row in scores:
        if row["department"] == constructed["department"]:
            teams[row["team"]].add(row["employee_id"])
    assert teams[PAIR] == {constructed["inside"], constructed["outside"]}
    assert max(len(m) for m in teams.values()) > 2


def test_a_managers_department_figures_count_their_people_only(database_url, constructed):
    client, scope = constructed["client"], constructed["scope"]
    visible = [r for r in current_scores(database_url) if r["employee_id"] in scope]
    expected = defaultdict(lambda: defaultdict(int))
    for row in visible:
        counts = expected[row["department"]]
        counts["employees"] += 1
        counts[row["tier"]] += 1
        counts["anomalies"] += row["is_anomaly"]
        counts["predicted_low"] += row["predicted_tier"] == "Low"

    response = client.get("/api/v1/departments")

    assert response.status_code == 200, response.json
    shown = {d["department"]: d for d in response.json["data"]}
    assert set(shown) == set(expected)
    for department, counts in expected.items():
        figures = {**shown[department], **shown[department]["tiers"]}
        for key, value in counts.items():
            assert figures[key] == value, (department, key)
    # HR's figure for the same department does include the person outside.
    everyone = [
        r for r in current_scores(database_url) if r["department"] == constructed["department"]
    ]
    assert shown[constructed["department"]]["employees"] < len(everyone)


def test_a_team_with_someone_outside_the_scope_is_in_no_team_answer(constructed):
    client = constructed["client"]

    listed = client.get("/api/v1/teams", query_string={"limit": 500})
    demand = client.get("/api/v1/training/demand", query_string={"limit": 500})

    assert listed.status_code == demand.status_code == 200
    assert PAIR not in {t["team"] for t in listed.json["data"]}
    assert listed.json["data"], "the manager's whole teams are listed"
    assert PAIR not in demand.get_data(as_text=True)
    assert constructed["outside"] not in demand.get_data(as_text=True)
    assert client.get(f"/api/v1/teams/{PAIR}").status_code == 404


def test_a_manager_sees_a_runs_model_quality_but_no_organisation_wide_counts(
    app, database_url, constructed
):
    client = constructed["client"]
    (run_id,) = query(database_url, "SELECT run_id FROM model_runs WHERE is_current")[0]
    hr = app.test_client()
    hr.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {issue_token(database_url, 'hr')}"

    for path in ("/api/v1/models/current", f"/api/v1/models/{run_id}"):
        mine = client.get(path)
        full = hr.get(path)
        assert mine.status_code == full.status_code == 200
        metrics = mine.json["metrics"]
        # HR's document holds the organisation's outcome counts; the manager's none of them.
        for key in ("tier_counts", "anomaly_count", "score", "predicted_tier_counts"):
            assert key in full.json["metrics"], key
            assert key not in metrics, key
        assert set(metrics) <= set(SCOPED_METRICS)
        assert "class_counts" not in metrics["predictor"]
        assert (
            metrics["predictor"]["cv_f1_macro"] == full.json["metrics"]["predictor"]["cv_f1_macro"]
        )
