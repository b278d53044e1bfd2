"""Bodies no view can take: JSON nested without end, input echoed back at length, and
uploads of unknown length past the limit. Each is refused clearly, never a 500, never a
shortened batch."""

from __future__ import annotations

import io
import json

import pytest

from tests.helpers import EMPLOYEES, count

JSON_BODIES = [
    "/api/v1/analyze",
    "/api/v1/ingest/task-records",
    "/api/v1/compositions/evaluate",
    "/api/v1/tokens",
]


def strings_in(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*strings_in(k), *strings_in(v))]
    if isinstance(value, list):
        return [s for item in value for s in strings_in(item)]
    return []


@pytest.mark.parametrize("path", JSON_BODIES)
@pytest.mark.parametrize("body", ["[" * 100_000, "[" * 1025 + "]" * 1025, '{"a":' * 5000])
def test_deeply_nested_json_gets_a_400_not_a_500(client, conn, path, body):
    response = client.post(path, data=body, content_type="application/json")
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.json == {
        "status": "error",
        "code": 400,
        "message": "the JSON body is nested deeper than 1024 levels",
    }
    assert count(conn, "task_records") == 0


@pytest.mark.parametrize("path", JSON_BODIES)
def test_json_nested_to_the_limit_is_refused_as_invalid_not_a_500(client, path):
    # Deep enough to overflow any parser or walk that recurses per level.
    response = client.post(path, data="[" * 1024 + "]" * 1024, content_type="application/json")
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert response.json["status"] == "error"


def test_malformed_json_keeps_its_answers(client):
    ingest = client.post("/api/v1/ingest/employees", data="[{", content_type="application/json")
    assert ingest.status_code == 422
    assert ingest.json["message"] == "the JSON body must be an array of records (objects)"
    analyze = client.post("/api/v1/analyze", data="[{", content_type="application/json")
    assert analyze.status_code == 400


def test_no_error_echoes_more_than_200_characters_of_input(client):
    assert client.post("/api/v1/ingest/employees", json=EMPLOYEES).status_code == 200
    long_name = "c" * 10_000
    header = f"employee_id,period,tasks_total,tasks_completed,hours_logged,{long_name}"
    responses = {
        "csv column": client.post(
            "/api/v1/ingest/task-records",
            data=f"{header}\nE2,2026-09-01,1,1,1,x\n",
            content_type="text/csv",
        ),
        "json column": client.post(
            "/api/v1/ingest/task-records",
            json=[{"employee_id": "E2", long_name: 1}],
        ),
        "cell value": client.post(
            "/api/v1/ingest/task-records",
            json=[
                {
                    "employee_id": "E2",
                    "period": "9" * 10_000,
                    "tasks_total": "1" * 10_000 + "x",
                    "tasks_completed": 1,
                    "hours_logged": 1,
                }
            ],
        ),
        "body field": client.post(
            "/api/v1/analyze",
            json={"records": [{"employee_id": "X1", long_name: 1}]},
        ),
        "query parameter": client.get(f"/api/v1/employees?{long_name}=1"),
        "nul field": client.post("/api/v1/tokens", json={"role": "admin", long_name: "\x00"}),
    }
    for what, response in responses.items():
        assert response.status_code == 422, what
        strings = strings_in(response.json)
        assert max(map(len, strings)) <= 200, what
        assert any("…" in s for s in strings), what  # the input was cut, not dropped
        assert len(response.get_data()) < 2_000, what


def employees_csv(rows: int, row_bytes: int) -> bytes:
    """A CSV of new employees whose rows (the header and first row together) are
    `row_bytes` long each, so that every multiple of `row_bytes` ends a row."""
    header = "employee_id,name,department,job_title,team,manager_id,hire_date\n"
    lines = [header]
    for i in range(rows):
        fixed = len(f"N{i:05d},,Eng,Dev,Platform,,2020-01-01\n")
        width = row_bytes - fixed - (len(header) % row_bytes if i == 0 else 0)
        lines.append(f"N{i:05d},{'n' * width},Eng,Dev,Platform,,2020-01-01\n")
    body = "".join(lines).encode()
    assert len(body) % row_bytes == 0
    return body


def test_a_chunked_upload_over_the_limit_gets_413_and_writes_nothing(app, client, conn):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    body = employees_csv(rows=40, row_bytes=64)
    # A row ends on the limit exactly: a body cut there would be a batch that loads.
    assert len(body) > 1024 and body[1023:1024] == b"\n"

    def chunked(data: bytes):
        return client.post(
            "/api/v1/ingest/employees",
            input_stream=io.BytesIO(data),
            headers={"Transfer-Encoding": "chunked", "Content-Type": "text/csv"},
            # What a server that decodes chunked bodies (gunicorn) tells the app.
            environ_overrides={"wsgi.input_terminated": True},
        )

    too_large = chunked(body)
    assert too_large.status_code == 413, too_large.json
    assert too_large.json["status"] == "error"
    assert count(conn, "employees") == 0

    at_the_limit = chunked(body[:1024])
    assert at_the_limit.status_code == 200, at_the_limit.json
    assert at_the_limit.json["inserted"] == body[:1024].count(b"\n") - 1


def test_a_json_upload_of_unknown_length_over_the_limit_gets_413(app, client, conn):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    body = json.dumps(EMPLOYEES * 10).encode()
    response = client.post(
        "/api/v1/ingest/employees",
        input_stream=io.BytesIO(body),
        headers={"Transfer-Encoding": "chunked", "Content-Type": "application/json"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert count(conn, "employees") == 0


def test_a_cursor_nested_without_end_is_not_a_cursor_rather_than_a_500():
    import base64

    from api.errors import ApiError
    from api.routes.training import _decode_cursor

    # 4,000 characters: a query string gunicorn still lets through.
    deep = base64.urlsafe_b64encode(b"[" * 3000).decode()
    with pytest.raises(ApiError) as refused:
        _decode_cursor(deep)
    assert refused.value.code == 422
