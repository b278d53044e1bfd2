"""The `epa` command as installed, against the API under gunicorn on a scored demo
organisation in a real PostgreSQL: what it prints matches what the API answers, and every
way it can fail is one line and the documented exit status."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import free_port
from tests.helpers import issue_token, query
from tests.processes import running_gunicorn

EPA = Path(sys.executable).with_name("epa")


class Served:
    def __init__(self, url: str, token: str, database_url: str) -> None:
        self.url, self.token, self.database_url = url, token, database_url

    def get(self, path: str) -> requests.Response:
        return requests.get(
            self.url + path, headers={"Authorization": f"Bearer {self.token}"}, timeout=30
        )


@pytest.fixture(scope="module")
def served(scored_database_url, tmp_path_factory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("gunicorn")
    with running_gunicorn(scored_database_url, folder, EPA_RETRAIN_MODE="local") as server:
        yield Served(server.url, issue_token(scored_database_url), scored_database_url)


def epa(*args: str, url: str | None = None, token: str | None = None, cwd: Path | None = None):
    env = {k: v for k, v in os.environ.items() if k not in ("EPA_URL", "EPA_TOKEN")}
    env |= {"COLUMNS": "160"}
    if url is not None:
        env["EPA_URL"] = url
    if token is not None:
        env["EPA_TOKEN"] = token
    return subprocess.run(
        [str(EPA), *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300
    )


def run_ok(served: Served, *args: str, cwd: Path | None = None) -> str:
    done = epa(*args, url=served.url, token=served.token, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return done.stdout


def some_employee(served: Served) -> str:
    (row,) = query(
        served.database_url,
        "SELECT employee_id FROM scores WHERE run_id = (SELECT run_id FROM model_runs "
        "WHERE is_current) ORDER BY employee_id LIMIT 1",
    )
    return row[0]


def test_employee_json_is_what_the_api_answers(served):
    employee_id = some_employee(served)
    printed = json.loads(run_ok(served, "employee", employee_id, "--json"))
    assert printed == served.get(f"/api/v1/employees/{employee_id}").json()
    assert printed["result"]["employee_id"] == employee_id


def test_employee_table_shows_the_score_tier_and_the_points_of_each_kpi(served):
    employee_id = some_employee(served)
    result = served.get(f"/api/v1/employees/{employee_id}").json()["result"]
    shown = run_ok(served, "employee", employee_id)
    assert f"{result['score']:,.2f}" in shown
    assert result["tier"] in shown
    for kpi in result["explanation"]["score"]["kpis"]:
        assert kpi["kpi_id"] in shown
    assert not shown.lstrip().startswith("{")


def test_department_shows_the_current_summary_and_its_trend(served):
    listed = served.get("/api/v1/departments").json()
    summary = listed["data"][0]
    name = summary["department"]
    printed = json.loads(run_ok(served, "department", name, "--json"))
    assert printed["summary"] == summary
    assert printed["trend"] == served.get(f"/api/v1/departments/{name}/trend").json()
    shown = run_ok(served, "department", name)
    assert name in shown and f"{summary['employees']:,}" in shown


def test_report_is_saved_where_asked_and_its_path_printed(served, tmp_path):
    name = served.get("/api/v1/departments").json()["data"][0]["department"]
    page = tmp_path / "meeting.html"
    assert run_ok(served, "report", name, "-o", str(page)).strip() == str(page)
    assert page.read_text().lstrip().lower().startswith("<!doctype html>")
    assert name in page.read_text()
    saved = Path(run_ok(served, "report", name, "--csv", "employees", cwd=tmp_path).strip())
    content = (tmp_path / saved).read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")  # the BOM that spreadsheets need for accents
    assert content == served.get(f"/api/v1/departments/{name}/report.csv?section=employees").content
    assert len(list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))) > 1


def test_ingest_loads_a_csv_file_and_prints_the_counts(served, tmp_path):
    employee_id = some_employee(served)
    records = tmp_path / "task-records.csv"
    records.write_text(
        "employee_id,period,tasks_total,tasks_completed,hours_logged\n"
        f"{employee_id},2019-01-01,10,7,30.5\n"
    )
    body = json.loads(run_ok(served, "ingest", "task-records", str(records), "--json"))
    assert (body["received"], body["inserted"]) == (1, 1)
    again = run_ok(served, "ingest", "task-records", str(records))
    assert "Unchanged" in again and "task-records" in again
    stored = query(
        served.database_url,
        "SELECT tasks_completed FROM task_records WHERE employee_id = %s AND period = '2019-01-01'",
        (employee_id,),
    )
    assert stored == [(7,)]


def test_ingest_of_a_bad_file_names_row_and_column_and_exits_1(served, tmp_path):
    records = tmp_path / "bad.csv"
    records.write_text(
        "employee_id,period,tasks_total,tasks_completed,hours_logged\n"
        "NOBODY-1,2019-02-01,10,7,30.5\n"
        f"{some_employee(served)},2019-02-01,10,70,30.5\n"
    )
    done = epa("ingest", "task-records", str(records), url=served.url, token=served.token)
    assert done.returncode == 1
    first, *table = done.stderr.splitlines()
    assert first.startswith("epa: ") and "HTTP 422" in first
    shown = "\n".join(table)
    assert "employee_id" in shown and "tasks_completed" in shown
    assert "Traceback" not in done.stderr
    assert (
        query(served.database_url, "SELECT 1 FROM task_records WHERE period = '2019-02-01'") == []
    )


def test_runs_json_is_the_api_page_of_runs(served):
    printed = json.loads(run_ok(served, "runs", "--json", "--limit", "5"))
    assert printed == served.get("/api/v1/models?limit=5").json()
    shown = run_ok(served, "runs")
    assert all(str(r["run_id"]) in shown for r in printed["data"])


def test_fairness_json_is_the_api_audit_and_the_table_marks_each_adverse_group(served):
    printed = json.loads(run_ok(served, "fairness", "--json"))
    assert printed == served.get("/api/v1/models/current/fairness").json()
    assert printed["data"], "the demo organisation has protected attributes"

    shown = run_ok(served, "fairness")
    cells = [
        [cell.strip() for cell in line.strip("│ ").split("│")]
        for line in shown.splitlines()
        if line.count("│") > 2
    ]
    rows = {(c[0], c[1]): c for c in cells}
    assert set(rows) == {(r["attribute"], r["group"]) for r in printed["data"]}
    for row in printed["data"]:
        assert (rows[row["attribute"], row["group"]][6] == "yes") == row["adverse_impact"]
    earlier = json.loads(run_ok(served, "fairness", str(printed["run_id"]), "--json"))
    assert earlier == printed


def test_retrain_waits_for_the_run_and_reports_it_succeeded(served):
    before = served.get("/api/v1/models/current").json()["run_id"]
    body = json.loads(run_ok(served, "retrain", "--wait", "--poll-seconds", "0.5", "--json"))
    assert body["status"] == "succeeded" and body["exit_code"] == 0
    assert served.get("/api/v1/models/current").json()["run_id"] > before


def test_an_unknown_employee_is_the_apis_404_in_one_line(served):
    done = epa("employee", "NOBODY-42", url=served.url, token=served.token)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "HTTP 404" in done.stderr


@pytest.mark.parametrize(
    ("url", "token", "says"),
    [
        (None, "x", "EPA_URL is not set"),
        ("localhost:8000", "x", "EPA_URL is not an http(s) address"),
        ("http://127.0.0.1:8000", None, "EPA_TOKEN is not set"),
    ],
)
def test_missing_configuration_is_one_line_and_exit_2(url, token, says):
    done = epa("runs", url=url, token=token)
    assert done.returncode == 2
    assert done.stderr.startswith(f"epa: {says}") and done.stderr.count("\n") == 1
    assert done.stdout == ""


def test_a_wrong_token_is_one_line_and_exit_2(served):
    done = epa("employee", "E00001", url=served.url, token="epa_not-a-real-token")
    assert done.returncode == 2
    assert done.stderr.startswith(f"epa: the API at {served.url} refused the token")
    assert done.stderr.count("\n") == 1


def test_an_unreachable_server_is_one_line_and_exit_2():
    url = f"http://127.0.0.1:{free_port()}"
    done = epa("runs", url=url, token="x")
    assert done.returncode == 2
    assert done.stderr.startswith(f"epa: cannot reach the API at {url}")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
