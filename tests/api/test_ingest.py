"""Ingest through the API into a real PostgreSQL: formats, idempotency, and rejection of
bad batches with nothing written."""

from __future__ import annotations

import io

import pytest

from tests.helpers import EMPLOYEES, TASK_RECORDS, count, snapshot


def post(client, dataset: str, records):
    return client.post(f"/api/v1/ingest/{dataset}", json=records)


def to_csv(records: list[dict]) -> str:
    header = list(records[0])
    lines = [",".join(header)]
    for r in records:
        lines.append(",".join("" if r[h] is None else str(r[h]) for h in header))
    return "\n".join(lines) + "\n"


def test_json_batch_is_inserted_and_resending_it_changes_nothing(client, conn):
    first = post(client, "employees", EMPLOYEES)
    assert first.status_code == 200, first.json
    assert first.json == {
        "dataset": "employees",
        "received": 3,
        "inserted": 3,
        "updated": 0,
        "unchanged": 0,
    }
    stored = snapshot(conn, "employees")

    again = post(client, "employees", EMPLOYEES)
    assert again.json == {
        "dataset": "employees",
        "received": 3,
        "inserted": 0,
        "updated": 0,
        "unchanged": 3,
    }
    assert snapshot(conn, "employees") == stored


def test_changed_values_are_counted_as_updates(client, conn):
    post(client, "employees", EMPLOYEES)
    moved = [dict(EMPLOYEES[2], team="Data"), {**EMPLOYEES[1]}]
    response = post(client, "employees", moved)
    assert response.json["updated"] == 1
    assert response.json["unchanged"] == 1
    with conn.cursor() as cur:
        cur.execute("SELECT team FROM employees WHERE employee_id = 'E3'")
        assert cur.fetchone()[0] == "Data"


def test_csv_body_and_multipart_upload_store_the_same_rows_as_json(client, conn):
    post(client, "employees", EMPLOYEES)
    csv_text = to_csv(TASK_RECORDS)
    as_csv = client.post("/api/v1/ingest/task-records", data=csv_text, content_type="text/csv")
    assert as_csv.status_code == 200, as_csv.json
    assert as_csv.json["inserted"] == 2
    by_csv = snapshot(conn, "task_records")

    with conn.cursor() as cur:
        cur.execute("DELETE FROM task_records")
    conn.commit()
    upload = client.post(
        "/api/v1/ingest/task-records",
        data={"file": (io.BytesIO(csv_text.encode()), "tasks.csv")},
        content_type="multipart/form-data",
    )
    assert upload.json["inserted"] == 2
    assert snapshot(conn, "task_records") == by_csv

    with conn.cursor() as cur:
        cur.execute("DELETE FROM task_records")
    conn.commit()
    assert post(client, "task-records", TASK_RECORDS).json["inserted"] == 2
    assert snapshot(conn, "task_records") == by_csv


def test_employees_batch_may_name_a_manager_that_it_brings_later(client, conn):
    reversed_order = list(reversed(EMPLOYEES))  # E2 and E3 name E1 before E1 appears
    response = post(client, "employees", reversed_order)
    assert response.status_code == 200, response.json
    assert count(conn, "employees") == 3


GOOD = TASK_RECORDS[0]


@pytest.mark.parametrize(
    ("dataset", "bad_record", "column", "reason_part"),
    [
        ("task-records", {**GOOD, "tasks_completed": 21}, "tasks_completed", "must not exceed"),
        ("task-records", {**GOOD, "hours_logged": -1}, "hours_logged", "at least 0"),
        ("task-records", {**GOOD, "tasks_total": "many"}, "tasks_total", "whole number"),
        ("task-records", {**GOOD, "tasks_total": 2.5}, "tasks_total", "whole number"),
        ("task-records", {**GOOD, "period": "2026-09-15"}, "period", "first day of a month"),
        ("task-records", {**GOOD, "period": "15/09/2026"}, "period", "YYYY-MM-DD"),
        ("task-records", {**GOOD, "employee_id": "E404"}, "employee_id", "unknown employee"),
        ("task-records", {**GOOD, "employee_id": None}, "employee_id", "required"),
        ("task-records", {**GOOD, "tasks_total": True}, "tasks_total", "whole number"),
        (
            "surveys",
            {"employee_id": "E2", "survey_date": "2026-09-10", "engagement": 6, "satisfaction": 3},
            "engagement",
            "at most 5",
        ),
        ("skills", {"employee_id": "E2", "skill": "", "level": 3}, "skill", "required"),
        ("employees", {**EMPLOYEES[1], "manager_id": "E2"}, "manager_id", "own manager"),
        ("employees", {**EMPLOYEES[1], "manager_id": "E999"}, "manager_id", "unknown employee"),
        ("employees", {**EMPLOYEES[1], "hire_date": "2999-01-01"}, "hire_date", "future"),
        ("employees", {**EMPLOYEES[1], "name": "x" * 201}, "name", "at most 200"),
    ],
)
def test_a_bad_record_is_rejected_with_its_row_column_and_reason_and_nothing_is_written(
    client, conn, dataset, bad_record, column, reason_part
):
    post(client, "employees", EMPLOYEES)
    post(client, "task-records", TASK_RECORDS)
    tables = ("employees", "task_records", "survey_responses", "employee_skills")
    before = {t: snapshot(conn, t) for t in tables}

    good_rows = {
        "task-records": [dict(TASK_RECORDS[1], tasks_completed=1)],
        "surveys": [
            {"employee_id": "E3", "survey_date": "2026-09-10", "engagement": 4, "satisfaction": 4}
        ],
        "skills": [{"employee_id": "E3", "skill": "SQL", "level": 4}],
        "employees": [dict(EMPLOYEES[2], team="Data")],
    }[dataset]
    response = post(client, dataset, [*good_rows, bad_record])

    assert response.status_code == 422, response.json
    body = response.json
    assert body["status"] == "error"
    assert "nothing was written" in body["message"]
    matching = [p for p in body["problems"] if p["row"] == 2 and p["column"] == column]
    assert matching, body["problems"]
    assert reason_part in matching[0]["reason"]
    assert all(p["row"] == 2 for p in body["problems"])  # the good row is not blamed
    assert {t: snapshot(conn, t) for t in tables} == before


def test_every_problem_of_a_batch_is_listed_not_only_the_first(client):
    post(client, "employees", EMPLOYEES)
    records = [
        {**GOOD, "tasks_total": "x", "period": "2026-09-02"},  # two problems in one row
        {**GOOD, "employee_id": "E3", "hours_logged": 900},
    ]
    problems = post(client, "task-records", records).json["problems"]
    assert {(p["row"], p["column"]) for p in problems} == {
        (1, "tasks_total"),
        (1, "period"),
        (2, "hours_logged"),
    }


def test_unknown_employees_are_listed_together_with_the_other_problems(client):
    post(client, "employees", EMPLOYEES)
    records = [
        {**GOOD, "hours_logged": -5},
        {**GOOD, "employee_id": "E404", "period": "2026-10-01"},
    ]
    problems = post(client, "task-records", records).json["problems"]
    assert {(p["row"], p["column"], p["reason"]) for p in problems} == {
        (1, "hours_logged", "must be at least 0"),
        (2, "employee_id", "unknown employee"),
    }


def test_a_duplicate_key_inside_one_batch_is_rejected(client, conn):
    post(client, "employees", EMPLOYEES)
    response = post(client, "task-records", [GOOD, dict(GOOD, hours_logged=1)])
    assert response.status_code == 422
    assert response.json["problems"][0]["row"] == 2
    assert "duplicate key" in response.json["problems"][0]["reason"]
    assert count(conn, "task_records") == 0


def test_missing_and_unknown_columns_are_named(client):
    response = client.post(
        "/api/v1/ingest/task-records",
        data="employee_id,period,tasks_total,colour\nE2,2026-09-01,3,red\n",
        content_type="text/csv",
    )
    assert response.status_code == 422
    named = {p["column"] for p in response.json["problems"]}
    assert {"colour", "tasks_completed", "hours_logged"} <= named


def test_unreadable_payloads_get_clear_4xx_errors(client):
    assert post(client, "employees", {"not": "an array"}).status_code == 422
    assert post(client, "employees", [1, 2]).json["problems"][0]["reason"] == "must be an object"
    assert post(client, "employees", []).status_code == 422
    nested = post(client, "employees", [dict(EMPLOYEES[0], name={"first": "Ada"})])
    assert nested.json["problems"][0]["column"] == "name"
    wrong_type = client.post("/api/v1/ingest/employees", data="x", content_type="text/plain")
    assert wrong_type.status_code == 415
    assert wrong_type.json["status"] == "error"
    bad_csv = client.post(
        "/api/v1/ingest/employees", data=b'a,b\n"unclosed\n', content_type="text/csv"
    )
    assert bad_csv.status_code == 422


def test_a_request_over_the_size_limit_is_refused_with_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/api/v1/ingest/employees", data="x" * 2048, content_type="text/csv")
    assert response.status_code == 413
    assert response.json["status"] == "error"


# --------------------------------------------------------------------------- training completions

PROGRAMS = [
    {
        "program_id": "TP1",
        "name": "Python Foundations",
        "skill": "Python",
        "level_gain": 1,
        "duration_hours": 12,
    }
]
COMPLETIONS = [
    {"employee_id": "E2", "program_id": "TP1", "completed_on": "2026-05-14"},
    {"employee_id": "E3", "program_id": "TP1", "completed_on": "2026-06-02"},
]


def test_a_good_batch_of_training_completions_loads(client, conn):
    post(client, "employees", EMPLOYEES)
    post(client, "training-programs", PROGRAMS)
    response = post(client, "training-completions", COMPLETIONS)
    assert response.status_code == 200, response.json
    assert response.json["inserted"] == 2
    stored = [row[:3] for row in snapshot(conn, "training_completions")]
    assert [(e, p, d.isoformat()) for e, p, d in stored] == [
        ("E2", "TP1", "2026-05-14"),
        ("E3", "TP1", "2026-06-02"),
    ]
    assert post(client, "training-completions", COMPLETIONS).json["unchanged"] == 2


def test_unknown_program_is_reported_with_row_and_column(client, conn):
    post(client, "employees", EMPLOYEES)
    post(client, "training-programs", PROGRAMS)
    post(client, "training-completions", COMPLETIONS[:1])
    before = snapshot(conn, "training_completions")
    records = [
        COMPLETIONS[1],
        {"employee_id": "E2", "program_id": "TP404", "completed_on": "2026-06-03"},
        {"employee_id": "E404", "program_id": "TP1", "completed_on": "2026-06-03"},
    ]
    response = post(client, "training-completions", records)
    assert response.status_code == 422, response.json
    assert {(p["row"], p["column"], p["reason"]) for p in response.json["problems"]} == {
        (2, "program_id", "unknown program"),
        (3, "employee_id", "unknown employee"),
    }
    assert snapshot(conn, "training_completions") == before


def test_unknown_program_is_listed_together_with_other_problems_and_nothing_is_written(
    client, conn
):
    post(client, "employees", EMPLOYEES)
    post(client, "training-programs", PROGRAMS)
    records = [
        {"employee_id": "E2", "program_id": "TP404", "completed_on": "2999-01-01"},
        {"employee_id": "E3", "program_id": "TP1", "completed_on": "yesterday"},
    ]
    response = post(client, "training-completions", records)
    assert response.status_code == 422
    assert {(p["row"], p["column"]) for p in response.json["problems"]} == {
        (1, "program_id"),
        (1, "completed_on"),
        (2, "completed_on"),
    }
    reasons = {p["reason"] for p in response.json["problems"]}
    assert "unknown program" in reasons and "must not be in the future" in reasons
    assert count(conn, "training_completions") == 0


def test_completions_are_checked_against_programs_at_load_too(conn):
    # The binding check inside the load's transaction, for a batch that passed validation.
    import pandas as pd

    from store.bulk import load
    from store.datasets import DATASETS
    from store.validation import ValidationFailed, validate

    with conn:
        load(conn, DATASETS["employees"], validate(pd.DataFrame(EMPLOYEES), DATASETS["employees"]))
    dataset = DATASETS["training-completions"]
    frame = validate(pd.DataFrame(COMPLETIONS), dataset)
    with pytest.raises(ValidationFailed) as failed, conn:
        load(conn, dataset, frame)
    assert [(p.row, p.column, p.reason) for p in failed.value.problems] == [
        (1, "program_id", "unknown program"),
        (2, "program_id", "unknown program"),
    ]
    assert count(conn, "training_completions") == 0


def test_a_batch_spanning_several_copy_chunks_is_stored_whole_and_exactly(
    client, conn, monkeypatch
):
    from store import bulk

    # COPY reads the CSV a chunk of rows at a time; make every batch span many chunks.
    monkeypatch.setattr(bulk, "COPY_CHUNK_ROWS", 2)
    monkeypatch.setattr(bulk, "COPY_READ_BYTES", 7)
    names = [dict(e, name=f'{e["name"]}, "the {i}th"') for i, e in enumerate(EMPLOYEES)]
    response = client.post("/api/v1/ingest/employees", json=names)
    assert response.status_code == 200, response.json
    assert response.json["inserted"] == len(EMPLOYEES)
    stored = {row[0]: row[1] for row in snapshot(conn, "employees")}
    assert stored == {e["employee_id"]: e["name"] for e in names}
