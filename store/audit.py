"""The audit log: append a record, read a page, prune past the retention period.

Records say who (token and role) did what (action) to what (target), with the request id;
`details` holds counts and filters, never a token secret or a row of personal data."""

from __future__ import annotations

import datetime as dt

from psycopg2.extensions import connection
from psycopg2.extras import Json, RealDictCursor


def record(
    conn: connection,
    action: str,
    *,
    target: str | None = None,
    details: dict | None = None,
    request_id: str | None = None,
    token_id: str | None = None,
    role: str | None = None,
    wait_for_disk: bool = True,
) -> None:
    """Append one record in the caller's transaction (the caller commits).

    `wait_for_disk=False` commits the transaction asynchronously: for a read that wrote
    nothing else, it saves a disk flush per request (most of a read's time) at the price
    of losing the last fraction of a second of such records if PostgreSQL itself crashes.
    Records of writes (ingest, tokens, retrains) always wait."""
    with conn.cursor() as cur:
        if not wait_for_disk:
            cur.execute("SET LOCAL synchronous_commit = off")
        cur.execute(
            """INSERT INTO audit_log (request_id, token_id, role, action, target, details)
               VALUES (%s, %s, %s, %s, %s, %s)""",
            (request_id, token_id, role, action, target, Json(details or {})),
        )


def page(
    conn: connection,
    *,
    since: dt.datetime | None,
    until: dt.datetime | None,
    action: str | None,
    token_id: str | None,
    before: int | None,
    limit: int,
) -> list[dict]:
    """Records newest first (keyset pagination: `before` is the last id of the previous page)."""
    with conn.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute(
            """SELECT id, at, request_id, token_id, role, action, target, details
               FROM audit_log
               WHERE (%(since)s::timestamptz IS NULL OR at >= %(since)s)
                 AND (%(until)s::timestamptz IS NULL OR at < %(until)s)
                 AND (%(action)s::text IS NULL OR action = %(action)s)
                 AND (%(token_id)s::text IS NULL OR token_id = %(token_id)s)
                 AND (%(before)s::bigint IS NULL OR id < %(before)s)
               ORDER BY id DESC
               LIMIT %(limit)s""",
            {
                "since": since,
                "until": until,
                "action": action,
                "token_id": token_id,
                "before": before,
                "limit": limit,
            },
        )
        return cur.fetchall()


def prune(conn: connection, keep_days: int) -> int:
    """Delete records older than keep_days through the schema's one sanctioned path."""
    with conn.cursor() as cur:
        cur.execute("SELECT audit_prune(%s)", (keep_days,))
        return cur.fetchone()[0]
