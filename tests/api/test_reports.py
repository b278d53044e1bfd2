"""Reports are safe to open: names from ingested data are escaped in HTML, CSV cells that
a spreadsheet would run as formulas are defused, and CSV opens with its accents intact."""

from __future__ import annotations

import codecs
import csv
import io
import re

import psycopg2
from flask import Flask

from api import create_app
from api.reports import csv_response
from tests.helpers import issue_token, seed_demo
from worker.run import execute_run

HOSTILE = '<script>alert("x")</script>'


def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_defused():
    with Flask(__name__).app_context():
        response = csv_response(
            "t.csv",
            ["name", "skills", "score"],
            [{"name": '=HYPERLINK("http://x")', "skills": ["a", "b"], "score": -1.5}],
        )
    (row,) = csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig")))
    assert row == {"name": '\'=HYPERLINK("http://x")', "skills": "a; b", "score": "-1.5"}


def test_csv_starts_with_a_byte_order_mark_so_spreadsheets_read_accents_as_utf8():
    with Flask(__name__).app_context():
        response = csv_response("t.csv", ["name"], [{"name": "José Zoë Ørsted"}])
    body = response.get_data()
    assert body.startswith(codecs.BOM_UTF8)
    assert body == codecs.BOM_UTF8 + "name\nJosé Zoë Ørsted\n".encode()
    assert response.content_type == "text/csv; charset=utf-8"


def test_names_from_the_data_are_escaped_in_the_html_reports(database_url):
    seed_demo(database_url, employees=80)
    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT min(employee_id) FROM employees")
        (employee_id,) = cur.fetchone()
        cur.execute(
            "UPDATE employees SET name = %s, team = %s WHERE employee_id = %s RETURNING department",
            (HOSTILE, HOSTILE, employee_id),
        )
        (department,) = cur.fetchone()
    conn.close()
    execute_run(database_url)

    app = create_app({"DATABASE_URL": database_url, "TESTING": True})
    try:
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {issue_token(database_url)}"
        for path in (
            f"/api/v1/employees/{employee_id}/report",
            f"/api/v1/departments/{department}/report.html",
        ):
            response = client.get(path)
            assert response.status_code == 200, path
            page = response.get_data(as_text=True)
            assert "<script" not in page, path
            assert "&lt;script&gt;" in page, path
    finally:
        app.extensions["epa_db"].close()


def test_teams_are_listed_in_natural_order_in_the_department_report(database_url):
    seed_demo(database_url, employees=80)
    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cur:
        cur.execute(
            """SELECT department FROM employees GROUP BY department
               ORDER BY count(DISTINCT team) DESC, department LIMIT 1"""
        )
        (department,) = cur.fetchone()
        cur.execute(
            "SELECT DISTINCT team FROM employees WHERE department = %s ORDER BY team",
            (department,),
        )
        teams = [t for (t,) in cur.fetchall()]
        # Text order would put Squad 10 and Squad 11 before Squad 2.
        names = {team: f"Squad {n}" for team, n in zip(teams, (10, 2, 11, 1, 3), strict=False)}
        for team, name in names.items():
            cur.execute("UPDATE employees SET team = %s WHERE team = %s", (name, team))
    conn.close()
    assert len(names) >= 3
    execute_run(database_url)
    expected = sorted(names.values(), key=lambda name: int(name.split()[1]))

    app = create_app({"DATABASE_URL": database_url, "TESTING": True})
    try:
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {issue_token(database_url)}"
        page = client.get(f"/api/v1/departments/{department}/report.html").text
        teams_table = page.split("<h2>Teams</h2>")[1].split("</table>")[0]
        shown = re.findall(r"<tr><td>(Squad \d+)</td>", teams_table)
        assert shown == expected
        employees_table = page.split("<h2>Employees</h2>")[1]
        listed = re.findall(r"</span></td><td>(Squad \d+)</td>", employees_table)
        assert list(dict.fromkeys(listed)) == expected
        response = client.get(f"/api/v1/departments/{department}/report.csv?section=teams")
        rows = csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig")))
        assert [r["team"] for r in rows] == expected
    finally:
        app.extensions["epa_db"].close()


def test_a_large_department_report_lists_the_people_to_look_at_first_and_the_csv_everyone(
    database_url, monkeypatch
):
    from api.routes import departments

    monkeypatch.setattr(departments, "REPORT_LIST_LIMIT", 3)
    seed_demo(database_url, employees=300)
    execute_run(database_url)
    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cur:
        cur.execute(
            """SELECT s.department FROM scores s GROUP BY s.department
               ORDER BY count(DISTINCT s.team) DESC, s.department LIMIT 1"""
        )
        (department,) = cur.fetchone()
        cur.execute(
            """SELECT employee_id, is_anomaly, predicted_tier, trend, score, team
               FROM scores WHERE department = %s""",
            (department,),
        )
        people = cur.fetchall()
        cur.execute(
            "SELECT team, average_score FROM team_composition WHERE department = %s",
            (department,),
        )
        teams = cur.fetchall()
    conn.close()
    assert len(people) > 3 and len(teams) > 3
    first = sorted(
        people,
        key=lambda p: (not p[1], p[2] != "Low", p[3] != "declining", p[4], p[0]),
    )[:3]
    lowest_teams = {t for t, _ in sorted(teams, key=lambda t: t[1])[:3]}

    app = create_app({"DATABASE_URL": database_url, "TESTING": True})
    try:
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {issue_token(database_url)}"
        page = client.get(f"/api/v1/departments/{department}/report.html").text
        listed = page.split("<h2>Employees</h2>")[1]
        shown = re.findall(r"<span class=\"note\">(\w+) · ", listed)
        assert shown == [p[0] for p in first]
        assert f"The 3 of {len(people)} people to look at first" in listed
        teams_table = page.split("<h2>Teams</h2>")[1].split("</table>")[0]
        assert set(re.findall(r"<tr><td>([^<]+)</td><td class=\"num\">", teams_table)) == (
            lowest_teams
        )
        assert f"of {len(teams)}; every team is in the" in teams_table

        everyone = client.get(f"/api/v1/departments/{department}/report.csv?section=employees")
        rows = list(csv.DictReader(io.StringIO(everyone.get_data().decode("utf-8-sig"))))
        assert sorted(r["employee_id"] for r in rows) == sorted(p[0] for p in people)
        all_teams = client.get(f"/api/v1/departments/{department}/report.csv?section=teams")
        assert len(list(csv.DictReader(io.StringIO(all_teams.get_data().decode("utf-8-sig"))))) == (
            len(teams)
        )
    finally:
        app.extensions["epa_db"].close()
