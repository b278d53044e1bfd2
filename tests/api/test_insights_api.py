"""The HR insight endpoints over a real, scored demo organisation: explanations and trends
in every result, skill gaps and training, teams and what-if proposals, department trends
and reports. Expected values are recomputed from the base tables, not read back."""

from __future__ import annotations

import csv
import io
from collections import defaultdict

import pytest

from api.reports import REPORT_CSP
from tests.helpers import issue_token, people_of, query, snapshot


def current_ids(db, where: str = "true") -> list[str]:
    return [
        r[0]
        for r in query(
            db,
            f"""SELECT s.employee_id FROM scores s JOIN model_runs r USING (run_id)
                WHERE r.is_current AND {where} ORDER BY s.employee_id""",
        )
    ]


def all_pages(scored_client, path: str, key: str, **args) -> list[dict]:
    seen, after = [], None
    while True:
        page = scored_client.get(path, query_string={**args, **({"after": after} if after else {})})
        assert page.status_code == 200, page.json
        seen += page.json["data"]
        after = page.json["next_after"]
        if after is None:
            return seen


def test_every_result_explains_its_score_with_points_that_add_up_to_it(scored_client):
    page = scored_client.get("/api/v1/employees", query_string={"limit": 200}).json["data"]
    assert len(page) > 100
    for result in page:
        breakdown = result["explanation"]["score"]
        total = breakdown["baseline"] + sum(c["points"] for c in breakdown["components"])
        assert total == pytest.approx(result["score"], abs=0.01), result["employee_id"]
        weights = result["components"]["weights"]
        assert {c["component"]: c["weight"] for c in breakdown["components"]} == weights


def test_a_result_carries_percentiles_tier_drivers_anomaly_drivers_and_its_trend(scored_client, db):
    anomalous = current_ids(db, "s.is_anomaly")
    assert anomalous
    for employee_id in (anomalous[0], current_ids(db, "NOT s.is_anomaly")[0]):
        result = scored_client.get(f"/api/v1/employees/{employee_id}").json["result"]
        explanation = result["explanation"]
        assert 0 < explanation["percentiles"]["department"] <= 100
        assert 0 < explanation["percentiles"]["job_title"] <= 100
        assert 1 <= len(explanation["tier_drivers"]) <= 3
        assert (explanation["anomaly_drivers"] is not None) is result["anomaly"]["is_anomaly"]
        trajectory = result["trend"]["trajectory"]
        assert trajectory[-1] == {
            "window": 0,
            "period_end": result["as_of"],
            "score": result["score"],
            "tier": result["tier"],
        }
        assert [p["window"] for p in trajectory] == sorted(
            (p["window"] for p in trajectory), reverse=True
        )


def test_the_best_ranked_driver_of_each_prediction_is_listed_first(scored_client):
    for result in scored_client.get("/api/v1/employees", query_string={"limit": 50}).json["data"]:
        sizes = [abs(d["contribution"]) for d in result["explanation"]["tier_drivers"]]
        assert sizes == sorted(sizes, reverse=True)


def test_skill_gaps_are_the_role_requirements_the_employee_falls_short_of(scored_client, db):
    employee_id = query(
        db,
        """SELECT e.employee_id FROM employees e
           JOIN role_skill_requirements q ON q.job_title = e.job_title
           LEFT JOIN employee_skills k ON k.employee_id = e.employee_id AND k.skill = q.skill
           WHERE coalesce(k.level, 0) < q.required_level
           GROUP BY e.employee_id HAVING count(*) >= 2 ORDER BY e.employee_id LIMIT 1""",
    )[0][0]
    expected = {
        skill: required - level
        for skill, required, level in query(
            db,
            """SELECT q.skill, q.required_level, coalesce(k.level, 0)
               FROM employees e JOIN role_skill_requirements q ON q.job_title = e.job_title
               LEFT JOIN employee_skills k
                      ON k.employee_id = e.employee_id AND k.skill = q.skill
               WHERE e.employee_id = %s""",
            (employee_id,),
        )
        if level < required
    }
    body = scored_client.get(f"/api/v1/employees/{employee_id}/skill-gaps").json
    assert {g["skill"]: g["gap"] for g in body["gaps"]} == expected
    recommendations = body["recommendations"]
    assert [r["rank"] for r in recommendations] == list(range(1, len(recommendations) + 1))
    assert {r["skill"] for r in recommendations} <= set(expected)
    benefits = [r["expected_benefit"] for r in recommendations]
    assert benefits == sorted(benefits, reverse=True)
    programs = dict(query(db, "SELECT program_id, skill FROM training_programs"))
    assert all(programs[r["program_id"]] == r["skill"] for r in recommendations)


def test_the_trend_lists_the_employee_in_every_kept_run_oldest_first(scored_client, db):
    employee_id = current_ids(db)[0]
    runs = [r[0] for r in query(db, "SELECT run_id FROM model_runs ORDER BY run_id")]
    body = scored_client.get(f"/api/v1/employees/{employee_id}/trend").json
    assert [r["run_id"] for r in body["runs"]] == runs
    assert "trend_threshold" in body["rule"]
    assert body["trend"]["direction"] in ("improving", "stable", "declining", None)


def test_teams_hold_every_scored_employee_once(scored_client, db):
    teams = all_pages(scored_client, "/api/v1/teams", "team", limit=7)
    expected = defaultdict(int)
    for (team,) in query(
        db, "SELECT s.team FROM scores s JOIN model_runs r USING (run_id) WHERE r.is_current"
    ):
        expected[team] += 1
    assert {t["team"]: t["members"] for t in teams} == dict(expected)
    for team in teams:
        assert sum(team["tiers"].values()) == team["members"]
        assert 0 <= team["skills"]["coverage"] <= 1
        assert (
            len(team["skills"]["missing"]) == team["skills"]["required"] - team["skills"]["covered"]
        )


def test_a_team_shows_its_history_training_demand_and_the_suggestions_that_involve_it(
    scored_client, db
):
    teams = scored_client.get("/api/v1/teams", query_string={"limit": 500}).json["data"]
    detail = scored_client.get(f"/api/v1/teams/{teams[0]['team']}").json
    assert detail["team"] == teams[0]
    runs = [r[0] for r in query(db, "SELECT run_id FROM model_runs ORDER BY run_id")]
    assert [r["run_id"] for r in detail["runs"]] == runs
    assert detail["runs"][-1]["members"] == teams[0]["members"]
    assert all(d["team"] == teams[0]["team"] for d in detail["training_demand"])
    assert all(teams[0]["team"] in (s["from_team"], s["to_team"]) for s in detail["suggestions"])
    assert scored_client.get("/api/v1/teams/no-such-team").status_code == 404


def _moves(suggestion: dict) -> list[dict]:
    moves = [{"employee_id": suggestion["employee_id"], "to_team": suggestion["to_team"]}]
    if suggestion["kind"] == "swap":
        moves.append(
            {"employee_id": suggestion["other_employee_id"], "to_team": suggestion["from_team"]}
        )
    return moves


def test_evaluating_the_first_suggestion_measures_the_improvement_the_run_stored(scored_client, db):
    departments = [r[0] for r in query(db, "SELECT DISTINCT department FROM employees")]
    suggestions = [
        s
        for d in departments
        for s in scored_client.get(f"/api/v1/departments/{d}/team-suggestions").json["data"]
        if s["rank"] == 1
    ]
    assert suggestions, "the demo organisation should have something to rebalance"
    before = snapshot(db, "team_composition")
    for suggestion in suggestions:
        response = scored_client.post(
            "/api/v1/compositions/evaluate", json={"moves": _moves(suggestion)}
        )
        assert response.status_code == 200, response.json
        (department,) = response.json["departments"]
        assert department["department"] == suggestion["department"]
        assert department["improvement"] == pytest.approx(suggestion["improvement"], abs=1e-3)
        assert {t["team"] for t in response.json["teams"]} == {
            suggestion["from_team"],
            suggestion["to_team"],
        }
    assert snapshot(db, "team_composition") == before


def test_an_impossible_proposal_is_a_422_naming_each_bad_move(scored_client, db):
    someone = current_ids(db)[0]
    response = scored_client.post(
        "/api/v1/compositions/evaluate",
        json={
            "moves": [
                {"employee_id": "NOBODY", "to_team": "anything"},
                {"employee_id": someone, "to_team": "no-such-team"},
            ]
        },
    )
    assert response.status_code == 422
    fields = {p["field"] for p in response.json["problems"]}
    assert {"moves.0.employee_id", "moves.1.to_team"} <= fields


def test_department_training_demand_counts_the_people_with_each_gap(scored_client, db):
    expected = {
        (department, skill): people
        for department, skill, people in query(
            db,
            """SELECT e.department, q.skill, count(*)
               FROM scores s JOIN model_runs r ON r.run_id = s.run_id AND r.is_current
               JOIN employees e ON e.employee_id = s.employee_id
               JOIN role_skill_requirements q ON q.job_title = e.job_title
               LEFT JOIN employee_skills k ON k.employee_id = e.employee_id AND k.skill = q.skill
               WHERE coalesce(k.level, 0) < q.required_level
               GROUP BY e.department, q.skill""",
        )
    }
    rows = all_pages(scored_client, "/api/v1/training/demand", "skill", limit=7)
    keys = [(d["department"], d["skill"]) for d in rows]
    assert keys == sorted(keys)  # each once, in order, across pages
    assert {(d["department"], d["skill"]): d["employees_with_gap"] for d in rows} == expected
    for row in rows:
        if row["program_id"] is not None:
            assert row["training_hours"] > 0


def test_training_effectiveness_shows_the_people_behind_each_effect(scored_client):
    body = scored_client.get("/api/v1/training/effectiveness").json
    effects = [e for p in body["data"] for e in p["effects"]]
    measured = [e for e in effects if e["participants"] >= 2]
    assert measured, "the demo organisation has measurable training completions"
    for effect in measured:
        assert effect["comparison_employees"] > 0
        assert effect["ci_low"] <= effect["effect"] <= effect["ci_high"]
        change = (effect["participants_after"] - effect["participants_before"]) - (
            effect["comparison_after"] - effect["comparison_before"]
        )
        # Means of per-person differences equal differences of means over the same people.
        assert effect["effect"] == pytest.approx(change, abs=0.02)


def test_a_department_trend_follows_the_stated_rule(scored_client, db):
    department = query(db, "SELECT min(department) FROM employees")[0][0]
    body = scored_client.get(f"/api/v1/departments/{department}/trend").json
    windows = body["windows"]
    assert [w["window"] for w in windows] == [2, 1, 0]
    change = windows[-1]["average_score"] - windows[0]["average_score"]
    assert body["score_change"] == pytest.approx(change, abs=0.011)
    threshold = 5.0
    expected = (
        "improving" if change >= threshold else "declining" if change <= -threshold else "stable"
    )
    assert body["direction"] == expected
    assert [r["run_id"] for r in body["runs"]] == [
        r[0] for r in query(db, "SELECT run_id FROM model_runs ORDER BY run_id")
    ]
    assert scored_client.get("/api/v1/departments/Nowhere/trend").status_code == 404


def test_the_department_csv_report_has_one_row_per_employee(scored_client, db):
    department = query(db, "SELECT min(department) FROM employees")[0][0]
    response = scored_client.get(f"/api/v1/departments/{department}/report.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert sorted(r["employee_id"] for r in rows) == current_ids(
        db, f"s.department = '{department}'"
    )
    teams = scored_client.get(f"/api/v1/departments/{department}/report.csv?section=teams")
    team_rows = list(csv.DictReader(io.StringIO(teams.get_data().decode("utf-8-sig"))))
    assert sum(int(r["members"]) for r in team_rows) == len(rows)


def test_the_department_html_report_is_a_printable_page_under_a_strict_policy(scored_client, db):
    department = query(db, "SELECT min(department) FROM employees")[0][0]
    response = scored_client.get(f"/api/v1/departments/{department}/report.html")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["Content-Security-Policy"] == REPORT_CSP
    assert "script-src" not in REPORT_CSP and "unsafe" not in REPORT_CSP
    page = response.get_data(as_text=True)
    assert "<script" not in page
    for employee_id in current_ids(db, f"s.department = '{department}'"):
        assert employee_id in page
    for heading in ("Teams", "Training demand", "Training effectiveness", "Employees"):
        assert f"<h2>{heading}" in page


def test_the_team_report_is_a_printable_page_of_its_members_under_a_strict_policy(
    scored_client, db
):
    team, department = query(
        db,
        """SELECT c.team, c.department FROM team_composition c JOIN model_runs r USING (run_id)
           WHERE r.is_current ORDER BY c.members DESC, c.team LIMIT 1""",
    )[0]
    response = scored_client.get(f"/api/v1/teams/{team}/report.html")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["Content-Security-Policy"] == REPORT_CSP
    page = response.get_data(as_text=True)
    assert "<script" not in page and f"<h1>{team}</h1>" in page and department in page
    for employee_id in current_ids(db, f"s.team = '{team}'"):
        assert employee_id in page
    for heading in ("Summary", "Training demand", "Training effectiveness", "Members"):
        assert f"<h2>{heading}" in page
    assert scored_client.get("/api/v1/teams/Nowhere/report.html").status_code == 404


# What the analytics call things, which a report for a meeting must not show.
JARGON = ("window-0", "window 0", "P(", "p_low", "kpi:", "robust_z", "tenure_years", "_")


def test_the_reports_speak_plain_language(scored_client, db):
    department = query(db, "SELECT min(department) FROM employees")[0][0]
    team = query(db, "SELECT min(team) FROM employees WHERE department = %s", (department,))[0][0]
    person = current_ids(db, "s.predicted_tier IS NOT NULL")[0]
    for path in (
        f"/api/v1/departments/{department}/report.html",
        f"/api/v1/teams/{team}/report.html",
        f"/api/v1/employees/{person}/report",
    ):
        # The charts' base64 holds neither "(", ":" nor "_"; their alt text is checked too.
        page = scored_client.get(path).get_data(as_text=True)
        for jargon in JARGON:
            assert jargon not in page, (path, jargon)
        assert "Latest month" in page, path
        assert "Chance of Low tier" in page, path


def test_training_with_too_few_participants_is_marked_so_in_the_reports(scored_client, db):
    rows = query(
        db,
        """SELECT DISTINCT d.department FROM training_demand d
           JOIN training_effectiveness e USING (run_id, skill)
           JOIN model_runs r USING (run_id)
           WHERE r.is_current AND d.level = 'department' AND e.participants < 2
           ORDER BY 1""",
    )
    assert rows, "the demo has training measured on a single participant"
    department = rows[0][0]
    page = scored_client.get(f"/api/v1/departments/{department}/report.html").text
    assert "too few participants" in page
    response = scored_client.get(
        f"/api/v1/departments/{department}/report.csv",
        query_string={"section": "training-effectiveness"},
    )
    effects = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert effects
    for row in effects:
        too_few = int(row["participants"]) < 2
        assert row["note"] == ("too few participants" if too_few else ""), row
        if not too_few:
            assert row["ci_low"] and row["ci_high"], row


def test_a_manager_sees_only_teams_all_of_whose_members_report_to_them(
    scored_app, scored_database_url, db
):
    reports = defaultdict(list)
    for employee_id, manager_id in query(db, "SELECT employee_id, manager_id FROM employees"):
        reports[manager_id].append(employee_id)

    members = defaultdict(set)
    for employee_id, team in query(
        db,
        """SELECT s.employee_id, s.team FROM scores s JOIN model_runs r USING (run_id)
           WHERE r.is_current""",
    ):
        members[team].add(employee_id)
    manager = min(m for m in reports if m is not None and any(r in reports for r in reports[m]))
    mine = people_of(manager, reports)
    manager_client = scored_app.test_client()
    token = issue_token(scored_database_url, "manager", manager)
    manager_client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    seen = {
        t["team"]
        for t in manager_client.get("/api/v1/teams", query_string={"limit": 500}).json["data"]
    }
    assert seen == {team for team, people in members.items() if people <= mine}
    refused = manager_client.get("/api/v1/training/demand", query_string={"level": "department"})
    assert refused.status_code == 403
    demand = manager_client.get("/api/v1/training/demand").json["data"]
    assert {d["level"] for d in demand} == {"team"}
    assert {d["team"] for d in demand} <= seen


def test_team_demand_pages_add_up_to_the_department_demand(scored_client):
    teams = all_pages(scored_client, "/api/v1/training/demand", "skill", level="team", limit=50)
    departments = all_pages(scored_client, "/api/v1/training/demand", "skill", limit=500)
    total = defaultdict(int)
    for row in teams:
        total[(row["department"], row["skill"])] += row["employees_with_gap"]
    assert dict(total) == {
        (d["department"], d["skill"]): d["employees_with_gap"] for d in departments
    }


@pytest.mark.parametrize("cursor", ["not-a-cursor", "WyJhIl0=", "WyJhIiwiXHUwMDAwIiwiYyJd"])
def test_a_demand_cursor_that_was_not_handed_out_is_a_422(scored_client, cursor):
    response = scored_client.get("/api/v1/training/demand", query_string={"after": cursor})
    assert response.status_code == 422
    assert response.json["problems"][0]["field"] == "after"
