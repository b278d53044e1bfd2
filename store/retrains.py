"""Local retrain requests: a row per request, written by the API that starts the worker
process and by the supervisor that waits for it (see retraining.local)."""

from __future__ import annotations

import psycopg2.errors
from psycopg2.extensions import connection
from psycopg2.extras import RealDictCursor

COLUMNS = """request_id, status, created_at, started_at, finished_at, host, supervisor_pid,
    pid, exit_code, error"""


class RetrainInProgress(Exception):
    """Another retrain is pending or running."""

    def __init__(self, request_id: str) -> None:
        super().__init__(f"retrain {request_id} is already in progress")
        self.request_id = request_id


def _one(conn: connection, query: str, params: tuple) -> dict | None:
    with conn.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute(query, params)
        return cur.fetchone()


def create(conn: connection, request_id: str, host: str) -> dict:
    """Record a pending request; raises RetrainInProgress when one is in flight."""
    try:
        with conn:
            return _one(
                conn,
                f"INSERT INTO retrain_requests (request_id, host) VALUES (%s, %s) "
                f"RETURNING {COLUMNS}",
                (request_id, host),
            )
    except psycopg2.errors.UniqueViolation:
        active = in_flight(conn)
        raise RetrainInProgress(active["request_id"] if active else "?") from None


def in_flight(conn: connection) -> dict | None:
    with conn:
        return _one(
            conn,
            f"SELECT {COLUMNS} FROM retrain_requests WHERE status IN ('pending', 'running')",
            (),
        )


def get(conn: connection, request_id: str) -> dict | None:
    with conn:
        return _one(
            conn, f"SELECT {COLUMNS} FROM retrain_requests WHERE request_id = %s", (request_id,)
        )


def set_supervisor(conn: connection, request_id: str, pid: int) -> None:
    with conn, conn.cursor() as cur:
        cur.execute(
            "UPDATE retrain_requests SET supervisor_pid = %s WHERE request_id = %s",
            (pid, request_id),
        )


def mark_running(conn: connection, request_id: str, pid: int) -> None:
    with conn, conn.cursor() as cur:
        cur.execute(
            """UPDATE retrain_requests SET status = 'running', started_at = now(), pid = %s
               WHERE request_id = %s AND status = 'pending'""",
            (pid, request_id),
        )


def finish(
    conn: connection, request_id: str, exit_code: int | None, error: str | None = None
) -> bool:
    """Record the outcome of a request still in flight; False when it had one already."""
    status = "succeeded" if exit_code == 0 and error is None else "failed"
    with conn, conn.cursor() as cur:
        cur.execute(
            """UPDATE retrain_requests
               SET status = %s, finished_at = now(), exit_code = %s, error = %s
               WHERE request_id = %s AND status IN ('pending', 'running')""",
            (status, exit_code, error[:2000] if error else None, request_id),
        )
        return cur.rowcount == 1
