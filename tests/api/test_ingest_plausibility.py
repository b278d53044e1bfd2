"""Ingest refuses what cannot be true: a period after the current month, an event in the
future, a date before 1970, a manager cycle. All or nothing, naming row and column, on a
clock of the test's own (the app's CLOCK), so no test depends on the real date."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.helpers import EMPLOYEES, TASK_RECORDS, count, query, snapshot

# Late on 30 November in UTC: already 1 December in Berlin.
NOW = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)
TABLES = ("employees", "task_records", "survey_responses", "training_completions")


@pytest.fixture(scope="module")
def app_config() -> dict:
    return {"CLOCK": lambda: NOW}


def post(client, dataset: str, records):
    return client.post(f"/api/v1/ingest/{dataset}", json=records)


def task_row(period: str, employee_id: str = "E2") -> dict:
    return {**TASK_RECORDS[0], "employee_id": employee_id, "period": period}


@pytest.fixture
def organisation(client) -> None:
    assert post(client, "employees", EMPLOYEES).status_code == 200
    programs = [
        {
            "program_id": "TP1",
            "name": "Python Foundations",
            "skill": "Python",
            "level_gain": 1,
            "duration_hours": 12,
        }
    ]
    assert post(client, "training-programs", programs).status_code == 200


def stored(conn) -> dict:
    return {t: snapshot(conn, t) for t in TABLES}


def test_a_task_record_dated_next_month_is_refused_naming_period(client, conn, organisation):
    before = stored(conn)
    response = post(client, "task-records", [task_row("2026-11-01"), task_row("2026-12-01")])
    assert response.status_code == 422, response.json
    assert "nothing was written" in response.json["message"]
    assert response.json["problems"] == [
        {"row": 2, "column": "period", "reason": "must not be after the current month"}
    ]
    assert stored(conn) == before


def test_a_period_decades_ahead_is_refused_like_next_month(client, conn, organisation):
    response = post(client, "task-records", [task_row("2099-01-01")])
    assert response.status_code == 422
    assert response.json["problems"][0]["column"] == "period"
    assert count(conn, "task_records") == 0


def test_a_task_record_of_the_current_month_is_accepted(client, organisation):
    response = post(client, "task-records", [task_row("2026-11-01")])
    assert response.status_code == 200, response.json
    assert response.json["inserted"] == 1


def test_the_current_month_is_the_configured_time_zones(app, client, conn, organisation):
    assert post(client, "task-records", [task_row("2026-12-01")]).status_code == 422
    app.config["TIMEZONE"] = "Europe/Berlin"  # where it is 1 December already
    response = post(client, "task-records", [task_row("2026-12-01")])
    assert response.status_code == 200, response.json
    assert count(conn, "task_records") == 1


@pytest.mark.parametrize(
    ("dataset", "record", "column", "reason"),
    [
        ("task-records", task_row("1969-12-01"), "period", "must not be before 1970-01-01"),
        (
            "surveys",
            {"employee_id": "E2", "survey_date": "2026-12-01", "engagement": 4, "satisfaction": 4},
            "survey_date",
            "must not be in the future",
        ),
        (
            "surveys",
            {"employee_id": "E2", "survey_date": "1969-12-31", "engagement": 4, "satisfaction": 4},
            "survey_date",
            "must not be before 1970-01-01",
        ),
        (
            "training-completions",
            {"employee_id": "E2", "program_id": "TP1", "completed_on": "2026-12-01"},
            "completed_on",
            "must not be in the future",
        ),
        (
            "training-completions",
            {"employee_id": "E2", "program_id": "TP1", "completed_on": "0001-01-01"},
            "completed_on",
            "must not be before 1970-01-01",
        ),
        (
            "employees",
            {**EMPLOYEES[1], "hire_date": "2026-12-01"},
            "hire_date",
            "must not be in the future",
        ),
        (
            "employees",
            {**EMPLOYEES[1], "hire_date": "1900-01-01"},
            "hire_date",
            "must not be before 1970-01-01",
        ),
    ],
)
def test_an_event_in_the_future_or_before_1970_is_refused_naming_row_and_column(
    client, conn, organisation, dataset, record, column, reason
):
    before = stored(conn)
    response = post(client, dataset, [record])
    assert response.status_code == 422, response.json
    assert response.json["problems"] == [{"row": 1, "column": column, "reason": reason}]
    assert stored(conn) == before


def test_todays_events_and_the_first_day_of_1970_are_accepted(client, organisation):
    surveys = [
        {"employee_id": "E2", "survey_date": "2026-11-30", "engagement": 4, "satisfaction": 4},
        {"employee_id": "E3", "survey_date": "1970-01-01", "engagement": 4, "satisfaction": 4},
    ]
    response = post(client, "surveys", surveys)
    assert response.status_code == 200, response.json
    assert response.json["inserted"] == 2


# --------------------------------------------------------------------------- manager cycles


def person(employee_id: str, manager_id: str | None) -> dict:
    return {**EMPLOYEES[1], "employee_id": employee_id, "manager_id": manager_id}


def test_a_manager_cycle_is_refused_naming_its_rows(client, conn):
    batch = [
        person("TOP", None),
        person("A", "B"),  # A and B manage each other
        person("C", "TOP"),
        person("B", "A"),
        person("D", "A"),  # under the cycle, not in it
    ]
    response = post(client, "employees", batch)
    assert response.status_code == 422, response.json
    assert "nothing was written" in response.json["message"]
    problems = response.json["problems"]
    assert [(p["row"], p["column"]) for p in problems] == [(2, "manager_id"), (4, "manager_id")]
    assert problems[0]["reason"] == "is in a cycle of managers: A → B → A"
    assert count(conn, "employees") == 0


def test_a_cycle_closed_through_employees_already_stored_is_refused(client, conn):
    chain = [person("L1", None), *(person(f"L{i}", f"L{i - 1}") for i in range(2, 7))]
    assert post(client, "employees", chain).status_code == 200
    before = snapshot(conn, "employees")
    # L1 under L6 closes L1 → L6 → L5 → ... → L1; only L1 is in the batch.
    response = post(client, "employees", [person("N1", "L3"), person("L1", "L6")])
    assert response.status_code == 422, response.json
    (problem,) = response.json["problems"]
    assert (problem["row"], problem["column"]) == (2, "manager_id")
    assert problem["reason"] == "is in a cycle of managers: L1 → L6 → L5 → L4 → L3 → L2 → L1"
    assert snapshot(conn, "employees") == before


def test_every_row_of_a_long_cycle_is_named(client, conn):
    size = 300
    ring = [person(f"R{i:03d}", f"R{(i + 1) % size:03d}") for i in range(size)]
    response = post(client, "employees", [person("TOP", None), *ring])
    assert response.status_code == 422
    assert [p["row"] for p in response.json["problems"]] == list(range(2, size + 2))
    assert all(len(p["reason"]) <= 200 for p in response.json["problems"])
    assert count(conn, "employees") == 0


def test_a_batch_that_swaps_a_manager_and_a_report_is_no_cycle(client, conn):
    assert post(client, "employees", EMPLOYEES).status_code == 200  # E1 manages E2 and E3
    # E2 becomes the top and E1 reports to E2: a cycle only if E2's old row still counted.
    response = post(client, "employees", [person("E1", "E2"), person("E2", None)])
    assert response.status_code == 200, response.json
    managers = dict(query(conn, "SELECT employee_id, manager_id FROM employees"))
    assert managers == {"E1": "E2", "E2": None, "E3": "E1"}


def test_an_employee_managing_themselves_is_refused(client, conn):
    response = post(client, "employees", [person("S1", "S1")])
    assert response.status_code == 422
    assert response.json["problems"] == [
        {"row": 1, "column": "manager_id", "reason": "an employee cannot be their own manager"}
    ]
    assert count(conn, "employees") == 0
