"""Team and training-demand reads follow the caller's scope in everything they mention,
and every read of personal data leaves an audit record, a 404 included."""

from __future__ import annotations

import uuid
from collections import defaultdict

import pytest

from tests.helpers import issue_token, people_of, query, reports_of, seed_demo


def current_teams(db) -> dict[str, set[str]]:
    members = defaultdict(set)
    for employee_id, team in query(
        db,
        "SELECT s.employee_id, s.team FROM scores s JOIN model_runs r USING (run_id) "
        "WHERE r.is_current",
    ):
        members[team].add(employee_id)
    return dict(members)


def a_manager_with_a_whole_team(db) -> tuple[str, str]:
    """A manager who does not see everyone, and a team all of whose members they see."""
    reports, teams = reports_of(db), current_teams(db)
    everyone = set().union(*teams.values())
    return next(
        (m, t)
        for m in sorted(reports)
        if not everyone <= people_of(m, reports)
        for t, members in sorted(teams.items())
        if members <= people_of(m, reports)
    )


def client_for(app, database_url: str, role: str, employee_id: str | None = None):
    client = app.test_client()
    token = issue_token(database_url, role, employee_id)
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def pages(client, path: str, **args) -> list[dict]:
    """Every page of a keyset-paginated list, as the responses' JSON documents."""
    found, after = [], None
    while True:
        response = client.get(path, query_string={**args, **({"after": after} if after else {})})
        assert response.status_code == 200, response.json
        found.append(response.json)
        after = response.json["next_after"]
        if after is None:
            return found


def strings_in(document) -> set[str]:
    """Every string anywhere in a JSON document, keys included."""
    if isinstance(document, dict):
        return set(document) | {s for v in document.values() for s in strings_in(v)}
    if isinstance(document, list):
        return {s for v in document for s in strings_in(v)}
    return {document} if isinstance(document, str) else set()


def test_no_team_or_demand_response_names_someone_the_manager_cannot_read(
    scored_app, scored_client, scored_database_url, db
):
    everyone = {r[0] for r in query(db, "SELECT employee_id FROM employees")}
    reports = reports_of(db)
    teams = current_teams(db)
    leaks_before = 0  # what the unscoped suggestions would have named: the test is not idle
    for manager in sorted(reports):
        client = client_for(scored_app, scored_database_url, "manager", manager)
        documents = pages(client, "/api/v1/teams", limit=500)
        documents += pages(client, "/api/v1/training/demand", limit=500)
        visible_teams = {t["team"] for d in documents[:1] for t in d["data"]}
        others = sorted(set(teams) - visible_teams)
        for team in sorted(visible_teams) + others[:1]:
            response = client.get(f"/api/v1/teams/{team}")
            assert response.status_code == (200 if team in visible_teams else 404), team
            documents.append(response.json)
            if team in visible_teams:
                everything = scored_client.get(f"/api/v1/teams/{team}").json["suggestions"]
                leaks_before += sum(
                    not {s["employee_id"], s["other_employee_id"]} - {None}
                    <= people_of(manager, reports)
                    for s in everything
                )
        named = {s for d in documents for s in strings_in(d)} & everyone
        for employee_id in sorted(named):
            assert client.get(f"/api/v1/employees/{employee_id}").status_code == 200, (
                manager,
                employee_id,
            )
    assert leaks_before > 0


def test_hr_sees_every_suggestion_of_a_team_as_before(scored_client, db):
    (team,) = query(
        db,
        "SELECT u.from_team FROM team_suggestions u JOIN model_runs r USING (run_id) "
        "WHERE r.is_current ORDER BY u.department, u.rank LIMIT 1",
    )[0]
    stored = query(
        db,
        "SELECT u.rank FROM team_suggestions u JOIN model_runs r USING (run_id) "
        "WHERE r.is_current AND %s IN (u.from_team, u.to_team)",
        (team,),
    )
    detail = scored_client.get(f"/api/v1/teams/{team}").json
    assert len(detail["suggestions"]) == len(stored)
    assert len(detail["runs"]) == 2


def test_team_history_leaves_out_a_run_in_which_someone_outside_the_scope_was_a_member(
    app, client, database_url, conn
):
    seed_demo(database_url, employees=60)
    from worker.run import execute_run

    execute_run(database_url)
    execute_run(database_url)
    reports, teams = reports_of(conn), current_teams(conn)
    manager, team = a_manager_with_a_whole_team(conn)
    outsider = min(set().union(*teams.values()) - people_of(manager, reports))
    older = query(conn, "SELECT min(run_id) FROM model_runs")[0][0]
    with conn, conn.cursor() as cur:
        cur.execute(
            "UPDATE scores SET team = %s WHERE run_id = %s AND employee_id = %s",
            (team, older, outsider),
        )
    manager_client = client_for(app, database_url, "manager", manager)
    seen = [r["run_id"] for r in manager_client.get(f"/api/v1/teams/{team}").json["runs"]]
    assert older not in seen and len(seen) == 1
    assert len(client.get(f"/api/v1/teams/{team}").json["runs"]) == 2


def audit_records(db, request_id: str) -> list[dict]:
    return query(
        db,
        "SELECT action, target, role, details FROM audit_log WHERE request_id = %s ORDER BY id",
        (request_id,),
        as_dicts=True,
    )


def an_outsider_and_their_manager(db) -> tuple[str, str]:
    manager, _ = a_manager_with_a_whole_team(db)
    everyone = {r[0] for r in query(db, "SELECT employee_id FROM employees")}
    return min(everyone - people_of(manager, reports_of(db))), manager


@pytest.mark.parametrize(
    ("path", "action"),
    [
        ("/skill-gaps", "employee_skills_read"),
        ("/trend", "employee_trend_read"),
        ("/report", "employee_report_read"),
    ],
)
def test_a_read_refused_with_a_404_for_scope_reasons_is_audited(
    scored_app, scored_database_url, db, path, action
):
    outsider, manager = an_outsider_and_their_manager(db)
    client = client_for(scored_app, scored_database_url, "manager", manager)
    request_id = uuid.uuid4().hex
    response = client.get(
        f"/api/v1/employees/{outsider}{path}", headers={"X-Request-ID": request_id}
    )
    assert response.status_code == 404
    assert audit_records(db, request_id) == [
        {"action": action, "target": outsider, "role": "manager", "details": {"found": False}}
    ]


def test_team_list_team_detail_and_demand_reads_are_audited_without_personal_data(
    scored_app, scored_database_url, db
):
    reports, teams = reports_of(db), current_teams(db)
    manager, team = a_manager_with_a_whole_team(db)
    hidden_team = min(
        t for t, members in teams.items() if not members <= people_of(manager, reports)
    )
    client = client_for(scored_app, scored_database_url, "manager", manager)

    def audited(path: str, status: int = 200, **args) -> tuple[list[dict], dict]:
        request_id = uuid.uuid4().hex
        response = client.get(path, query_string=args, headers={"X-Request-ID": request_id})
        assert response.status_code == status, response.json
        return audit_records(db, request_id), response.json

    (listed,), page = audited("/api/v1/teams", limit=3)
    assert (listed["action"], listed["role"]) == ("team_list_read", "manager")
    assert listed["details"] == {
        "filters": {},
        "after": None,
        "limit": 3,
        "count": len(page["data"]),
    }
    (read,), detail = audited(f"/api/v1/teams/{team}")
    assert (read["action"], read["target"]) == ("team_read", team)
    assert read["details"] == {
        "found": True,
        "runs": len(detail["runs"]),
        "demand": len(detail["training_demand"]),
        "suggestions": len(detail["suggestions"]),
    }
    (missing,), _ = audited(f"/api/v1/teams/{hidden_team}", 404)
    assert (missing["target"], missing["details"]) == (hidden_team, {"found": False})
    (demand,), page = audited("/api/v1/training/demand", team=team)
    assert (demand["action"], demand["target"]) == ("training_demand_read", None)
    assert demand["details"] == {
        "level": "team",
        "filters": {"team": team},
        "after": None,
        "limit": 200,
        "count": len(page["data"]),
    }


def test_a_department_report_of_an_unknown_department_is_audited(scored_client, db):
    request_id = uuid.uuid4().hex
    response = scored_client.get(
        "/api/v1/departments/Nowhere/report.csv",
        query_string={"section": "employees"},
        headers={"X-Request-ID": request_id},
    )
    assert response.status_code == 404
    assert audit_records(db, request_id) == [
        {
            "action": "department_report_read",
            "target": "Nowhere",
            "role": "admin",
            "details": {"found": False, "format": "csv", "section": "employees"},
        }
    ]
