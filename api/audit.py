"""Audit records of API requests, stamped with the caller's token, role and request id."""

from __future__ import annotations

from psycopg2.extensions import connection

from api.auth import audit_context
from store import audit


def record(conn: connection, action: str, target: str | None = None, **details) -> None:
    """Append a record in the request's transaction on `conn` (the caller commits)."""
    audit.record(conn, action, target=target, details=details, **audit_context())


def record_read(conn: connection, action: str, target: str | None = None, **details) -> None:
    """Append the record of a read and commit it at once, whatever the request does next.

    A read that ends in a 404 (unknown, or outside the caller's scope) or fails later still
    leaves its record: committing here keeps it out of the rollback that follows an error.
    `conn` has only read so far, so the commit ends nothing but the read; the request may
    go on reading on it. The commit does not wait for the disk (see store.audit.record),
    which keeps a single-employee read within its latency goal."""
    audit.record(
        conn, action, target=target, details=details, wait_for_disk=False, **audit_context()
    )
    conn.commit()
