"""The audit log: who read, ingested, retrained or managed tokens, with the request id;
append-only, readable by admins page by page, pruned only past its retention."""

from __future__ import annotations

import datetime as dt
import uuid

import psycopg2
import pytest
from click.testing import CliRunner

from api.routes import retrain
from store import audit
from tests.helpers import EMPLOYEES, TASK_RECORDS, issue_token, seed_demo
from worker.cli import cli


def records(conn, **where) -> list[dict]:
    clause = " AND ".join(f"{k} = %({k})s" for k in where) or "true"
    with conn.cursor() as cur:
        cur.execute(
            f"""SELECT action, target, token_id, role, request_id, details
                FROM audit_log WHERE {clause} ORDER BY id""",
            where,
        )
        names = [d.name for d in cur.description]
        found = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    conn.rollback()
    return found


def token_id(client) -> str:
    return client.environ_base["HTTP_AUTHORIZATION"].split("_")[1]


def test_reads_of_individual_data_are_audited_once_per_request_with_the_request_id(
    client, conn, database_url
):
    seed_demo(database_url, employees=60)
    from worker.run import execute_run

    execute_run(database_url)
    listed = client.get(
        "/api/v1/employees?tier=High&limit=5", headers={"X-Request-ID": "list-1"}
    ).json["data"]
    employee_id = listed[0]["employee_id"]
    detail = client.get(f"/api/v1/employees/{employee_id}", headers={"X-Request-ID": "one-1"})
    assert detail.headers["X-Request-ID"] == "one-1"
    client.get(f"/api/v1/employees/{employee_id}/history", headers={"X-Request-ID": "hist-1"})
    client.get("/api/v1/employees/NOBODY", headers={"X-Request-ID": "miss-1"})

    (list_read,) = records(conn, request_id="list-1")
    assert list_read["action"] == "employee_list_read"
    assert list_read["details"] == {
        "filters": {"tier": "High"},
        "after": None,
        "limit": 5,
        "count": len(listed),
    }
    assert (list_read["token_id"], list_read["role"]) == (token_id(client), "admin")
    (one,) = records(conn, request_id="one-1")
    assert (one["action"], one["target"], one["details"]) == (
        "employee_read",
        employee_id,
        {"found": True},
    )
    (history,) = records(conn, request_id="hist-1")
    assert history["action"] == "employee_history_read"
    assert history["details"]["count"] >= 1
    (missing,) = records(conn, request_id="miss-1")
    assert (missing["target"], missing["details"]) == ("NOBODY", {"found": False})
    # Aggregates are not individual-level data.
    client.get("/api/v1/departments", headers={"X-Request-ID": "dep-1"})
    assert records(conn, request_id="dep-1") == []


@pytest.mark.parametrize("incoming", ["", "has space", "x" * 65, "semi;colon", "ümlaut"])
def test_an_unsafe_or_missing_request_id_is_replaced_by_a_generated_one(client, incoming):
    headers = {"X-Request-ID": incoming} if incoming else {}
    response = client.get("/api/v1/tokens", headers=headers)
    generated = response.headers["X-Request-ID"]
    assert generated != incoming
    assert uuid.UUID(generated)


def test_an_ingest_is_audited_in_its_own_transaction_with_dataset_and_counts(client, conn):
    response = client.post(
        "/api/v1/ingest/employees", json=EMPLOYEES, headers={"X-Request-ID": "i1"}
    )
    assert response.status_code == 200
    (ingest,) = records(conn, request_id="i1")
    assert (ingest["action"], ingest["target"]) == ("ingest", "employees")
    assert ingest["details"] == {"received": 3, "inserted": 3, "updated": 0, "unchanged": 0}
    bad = [{**TASK_RECORDS[0], "tasks_completed": 99}]
    refused = client.post("/api/v1/ingest/task-records", json=bad, headers={"X-Request-ID": "i2"})
    assert refused.status_code == 422
    assert records(conn, request_id="i2") == []


def test_starting_a_retrain_is_audited(client, conn, monkeypatch):
    class Launcher:
        def start(self) -> dict:
            return {"id": "r-1", "status": "pending", "mode": "local"}

    monkeypatch.setattr(retrain, "_launcher", Launcher)
    response = client.post("/api/v1/models/retrain", headers={"X-Request-ID": "rt-1"})
    assert response.status_code == 202
    (started,) = records(conn, request_id="rt-1")
    assert (started["action"], started["target"], started["details"]) == (
        "retrain_start",
        "r-1",
        {"mode": "local"},
    )
    assert started["token_id"] == token_id(client)


def test_token_creation_and_revocation_are_audited_without_the_secret(client, conn):
    created = client.post(
        "/api/v1/tokens", json={"role": "ingest", "name": "loader"}, headers={"X-Request-ID": "t1"}
    ).json
    new_id = created["token"]["token_id"]
    client.delete(f"/api/v1/tokens/{new_id}", headers={"X-Request-ID": "t2"})
    (create,) = records(conn, request_id="t1")
    (revoke,) = records(conn, request_id="t2")
    assert (create["action"], create["target"]) == ("token_create", new_id)
    assert create["details"] == {"role": "ingest", "employee_id": None, "name": "loader"}
    assert (revoke["action"], revoke["target"]) == ("token_revoke", new_id)
    secret = created["secret"].split("_", 2)[2]
    with conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM audit_log WHERE audit_log::text LIKE %s", (f"%{secret}%",)
        )
        assert cur.fetchone()[0] == 0
    conn.rollback()


def add(conn, at: dt.datetime, action: str, token: str | None = None) -> None:
    with conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO audit_log (at, action, token_id) VALUES (%s, %s, %s)", (at, action, token)
        )


def test_admins_read_the_log_by_time_action_and_token_page_by_page(client, conn):
    now = dt.datetime.now(dt.UTC)
    for days in range(10, 0, -1):
        add(conn, now - dt.timedelta(days=days), "ingest" if days % 2 else "employee_read", "t")
    body = client.get("/api/v1/audit?action=ingest&limit=2").json
    pages = [body["data"]]
    while body["next_before"] is not None:
        body = client.get(f"/api/v1/audit?action=ingest&limit=2&before={body['next_before']}").json
        pages.append(body["data"])
    seen = [r for page in pages for r in page]
    assert [r["action"] for r in seen] == ["ingest"] * 5
    ids = [r["id"] for r in seen]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 5
    window = client.get(
        "/api/v1/audit",
        query_string={
            "since": (now - dt.timedelta(days=4, hours=1)).isoformat(),
            "until": (now - dt.timedelta(days=1, hours=1)).isoformat(),
            "token_id": "t",
        },
    ).json["data"]
    assert len(window) == 3
    assert client.get("/api/v1/audit?token_id=nobody").json == {"data": [], "next_before": None}


def test_the_audit_log_refuses_update_delete_and_truncate(conn):
    add(conn, dt.datetime.now(dt.UTC) - dt.timedelta(days=1000), "ingest")
    for statement in (
        "UPDATE audit_log SET action = 'nothing'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ):
        with pytest.raises(psycopg2.errors.InsufficientPrivilege), conn.cursor() as cur:
            cur.execute(statement)
        conn.rollback()
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM audit_log")
        assert cur.fetchone()[0] == 1
    conn.rollback()


def ages(conn) -> list[int]:
    with conn.cursor() as cur:
        cur.execute("SELECT extract(day FROM now() - at)::int FROM audit_log ORDER BY at")
        found = [r[0] for r in cur.fetchall()]
    conn.rollback()
    return found


def test_retention_prunes_only_rows_older_than_the_configured_days(conn, database_url):
    now = dt.datetime.now(dt.UTC)
    for days in (400, 366, 364, 10, 0):
        add(conn, now - dt.timedelta(days=days), "ingest")
    result = CliRunner().invoke(cli, ["audit-prune", "--database-url", database_url])
    assert result.exit_code == 0, result.output
    assert "2 audit record(s) pruned" in result.output
    assert ages(conn) == [364, 10, 0]
    result = CliRunner().invoke(
        cli, ["audit-prune", "--database-url", database_url], env={"EPA_AUDIT_RETENTION_DAYS": "5"}
    )
    assert result.exit_code == 0, result.output
    assert ages(conn) == [0]
    # The sanctioned path cannot be talked into deleting recent rows.
    with pytest.raises(psycopg2.Error):
        audit.prune(conn, 0)
    conn.rollback()


def test_each_worker_run_ends_by_applying_the_retention(conn, database_url):
    seed_demo(database_url, employees=60)
    add(conn, dt.datetime.now(dt.UTC) - dt.timedelta(days=40), "ingest")
    add(conn, dt.datetime.now(dt.UTC) - dt.timedelta(days=1), "ingest")
    result = CliRunner().invoke(
        cli, ["run", "--database-url", database_url], env={"EPA_AUDIT_RETENTION_DAYS": "30"}
    )
    assert result.exit_code == 0, result.output
    assert ages(conn) == [1]


def test_audit_records_and_reads_need_the_admin_role(client, database_url):
    hr = client.application.test_client()
    hr.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {issue_token(database_url, 'hr')}"
    assert hr.get("/api/v1/audit").status_code == 403
    assert client.get("/api/v1/audit").status_code == 200
