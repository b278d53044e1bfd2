"""Reports are safe to open: names from ingested data are escaped in HTML, and CSV cells
that a spreadsheet would run as formulas are defused."""

from __future__ import annotations

import csv
import io

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
    (row,) = csv.DictReader(io.StringIO(response.get_data(as_text=True)))
    assert row == {"name": '\'=HYPERLINK("http://x")', "skills": "a; b", "score": "-1.5"}


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
