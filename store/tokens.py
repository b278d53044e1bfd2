"""API tokens: `epa_<token_id>_<secret>`, shown once, stored as a SHA-256 of the secret.

The public id makes lookup a primary-key read; the secret is compared in constant time.
SHA-256 without salt or stretching is the right hash here: the secret is 32 random bytes,
so there is nothing to guess or precompute, and a slow password hash would only add
latency to every request."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from psycopg2.extensions import connection
from psycopg2.extras import RealDictCursor

ROLES = ("admin", "hr", "manager", "employee", "ingest")
# Roles bound to one person's employee record (and that person's reports, for a manager).
BOUND_ROLES = ("manager", "employee")
SECRET_BYTES = 32
_TOKEN = re.compile(r"^epa_([0-9a-f]{16})_([A-Za-z0-9_-]{43,})$")
# last_used_at is written at most this often per token, so reads stay reads.
TOUCH_INTERVAL = dt.timedelta(minutes=1)

LIST_COLUMNS = """token_id, name, role, employee_id, created_at, expires_at, revoked_at,
    last_used_at"""


class TokenError(ValueError):
    """A token cannot be created as asked (unknown role, missing or stray employee)."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's id and role, and the employee a bound role is tied to."""

    token_id: str
    role: str
    employee_id: str | None
    name: str = ""


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def parse(bearer: str) -> tuple[str, str] | None:
    """(token_id, secret) of a well-formed token, else None."""
    match = _TOKEN.match(bearer)
    return (match.group(1), match.group(2)) if match else None


def create(
    conn: connection,
    role: str,
    *,
    employee_id: str | None = None,
    name: str = "",
    expires_in_days: int | None = None,
) -> tuple[dict, str]:
    """Store a new token; returns its listing row and the bearer value (its only showing)."""
    if role not in ROLES:
        raise TokenError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    if role in BOUND_ROLES and not employee_id:
        raise TokenError(f"a {role} token needs the employee id it is bound to")
    if role not in BOUND_ROLES and employee_id:
        raise TokenError(f"a {role} token is not bound to an employee")
    if expires_in_days is not None and expires_in_days < 1:
        raise TokenError("expires_in_days must be at least 1")
    token_id, secret = secrets.token_hex(8), secrets.token_urlsafe(SECRET_BYTES)
    with conn.cursor(cursor_factory=RealDictCursor) as cur:
        if employee_id is not None:
            cur.execute("SELECT 1 FROM employees WHERE employee_id = %s", (employee_id,))
            if cur.fetchone() is None:
                raise TokenError(f"no employee {employee_id!r}")
        cur.execute(
            f"""INSERT INTO api_tokens (token_id, name, role, employee_id, secret_hash, expires_at)
                VALUES (%s, %s, %s, %s, %s,
                        now() + make_interval(days => %s::integer))
                RETURNING {LIST_COLUMNS}""",
            (token_id, name, role, employee_id, _digest(secret), expires_in_days),
        )
        row = cur.fetchone()
    return row, f"epa_{token_id}_{secret}"


def authenticate(conn: connection, bearer: str) -> Principal | None:
    """The caller behind a bearer value, or None when it is malformed, unknown, wrong,
    expired or revoked. May record last use (the caller commits)."""
    parsed = parse(bearer)
    if parsed is None:
        return None
    token_id, secret = parsed
    with conn.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute(
            """SELECT token_id, name, role, employee_id, secret_hash,
                      revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()) AS live,
                      last_used_at IS NULL OR last_used_at < now() - %s AS stale
               FROM api_tokens WHERE token_id = %s""",
            (TOUCH_INTERVAL, token_id),
        )
        row = cur.fetchone()
        # An unknown id may answer sooner: ids are not secret (listed, audited); the secret
        # is what must not leak through timing, hence the constant-time comparison.
        if row is None or not hmac.compare_digest(bytes(row["secret_hash"]), _digest(secret)):
            return None
        if not row["live"]:
            return None
        if row["stale"]:
            cur.execute(
                "UPDATE api_tokens SET last_used_at = now() WHERE token_id = %s", (token_id,)
            )
    return Principal(row["token_id"], row["role"], row["employee_id"], row["name"])


def listing(conn: connection) -> list[dict]:
    """Every token, newest first, without any secret material."""
    with conn.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute(f"SELECT {LIST_COLUMNS} FROM api_tokens ORDER BY created_at DESC, token_id")
        return cur.fetchall()


def revoke(conn: connection, token_id: str) -> dict | None:
    """Revoke a token (idempotent: a revoked token keeps its first revocation time);
    None when there is no such token."""
    with conn.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute(
            f"""UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now())
                WHERE token_id = %s RETURNING {LIST_COLUMNS}""",
            (token_id,),
        )
        return cur.fetchone()
