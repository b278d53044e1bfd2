"""One bad row never replaces everyone's results: on the scored demo organisation, a task
record dated next month is refused through the API, the store is left as it was, and the
next run still scores everybody (a period in the future used to become the run's as-of
month, leaving one row to score)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.helpers import first_of_month, query, seed_demo, snapshot
from worker.run import execute_run

pytestmark = pytest.mark.slow

TODAY = dt.date.today()
TABLES = ("employees", "task_records", "survey_responses", "employee_skills", "model_runs")


@pytest.fixture(scope="module")
def app_config() -> dict:
    # The demo is dated from today; the API's clock is pinned to the same day.
    noon = dt.datetime.combine(TODAY, dt.time(12), tzinfo=dt.UTC)
    return {"CLOCK": lambda: noon}


def test_a_future_task_row_is_refused_and_the_next_run_still_scores_everybody(
    database_url, client, conn
):
    seed_demo(database_url, employees=80)
    first = execute_run(database_url)
    assert first.status == "succeeded"
    before = {t: snapshot(conn, t) for t in TABLES}
    ((employee_id,),) = query(conn, "SELECT min(employee_id) FROM employees")

    next_month = first_of_month(-1, TODAY).isoformat()
    record = {
        "employee_id": employee_id,
        "period": next_month,
        "tasks_total": 10,
        "tasks_completed": 9,
        "hours_logged": 40,
    }
    response = client.post("/api/v1/ingest/task-records", json=[record])

    assert response.status_code == 422, response.json
    assert response.json["problems"] == [
        {"row": 1, "column": "period", "reason": "must not be after the current month"}
    ]
    assert {t: snapshot(conn, t) for t in TABLES} == before
    again = execute_run(database_url)
    assert again.status == "succeeded"
    assert again.employees_scored == first.employees_scored
    as_of = query(conn, "SELECT as_of FROM model_runs ORDER BY run_id")
    assert as_of[0] == as_of[1] and as_of[1][0] < dt.date.fromisoformat(next_month)
