"""What every query module runs its SQL with: rows as dicts, and the join to the
current run."""

from __future__ import annotations

from psycopg2.extensions import connection
from psycopg2.extras import RealDictCursor

_CURRENT = "JOIN model_runs r ON r.run_id = {alias}.run_id AND r.is_current"

# The review of a score row `s`, as alias `f` of reviewed_results (migration 0013), the one
# place that decides the final tier; every read showing a final tier joins it.
REVIEWED = "JOIN reviewed_results f ON f.run_id = s.run_id AND f.employee_id = s.employee_id"
REVIEW_COLUMNS = """f.final_tier, f.decision AS review_decision, f.review_tier,
    f.reason AS review_reason, f.reviewer_role, f.reviewer_name, f.reviewed_at,
    f.contested, f.contest_reason, f.contest_by, f.contested_at"""


def fetch_all(conn: connection, query: str, params: dict | tuple = ()) -> list[dict]:
    with conn.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute(query, params)
        return cur.fetchall()


def fetch_one(conn: connection, query: str, params: dict | tuple = ()) -> dict | None:
    rows = fetch_all(conn, query, params)
    return rows[0] if rows else None


def current(alias: str) -> str:
    """The join that keeps the rows of table `alias` to those of the current run."""
    return _CURRENT.format(alias=alias)
