"""Human reviews of results: the final-tier join every read of a tier uses, recording a
review, the review queue and the calibration grid of a department.

The rule of the final tier lives in the `reviewed_results` view (migration 0013): the
newest confirm or override of the run decides, a contest alone changes nothing. Reads
here and in the other query modules join it through _sql.REVIEWED and never recompute it."""

from __future__ import annotations

from psycopg2.extensions import connection

from store.queries._sql import REVIEW_COLUMNS, REVIEWED, fetch_all, fetch_one
from store.queries.departments import ATTENTION_ORDER
from store.scope import Scope

QUEUE_REASONS = ("contested", "anomaly", "tier_drop", "predicted_low")
QUEUE_STATUSES = ("pending", "reviewed", "all")

_TIER_RANK = "CASE {0} WHEN 'High' THEN 3 WHEN 'Medium' THEN 2 WHEN 'Low' THEN 1 END"


def record(
    conn: connection,
    *,
    run_id: int,
    employee_id: str,
    decision: str,
    tier: str | None,
    reason: str,
    token_id: str,
    reviewer_role: str,
    reviewer_name: str,
    reviewer_employee_id: str | None,
) -> dict:
    """Append a review in the caller's transaction; the unique constraint refuses a second
    review of the same result by the same token (psycopg2.errors.UniqueViolation)."""
    return fetch_one(
        conn,
        """INSERT INTO reviews (run_id, employee_id, decision, tier, reason, token_id,
                                reviewer_role, reviewer_name, reviewer_employee_id)
           VALUES (%(run_id)s, %(employee_id)s, %(decision)s, %(tier)s, %(reason)s,
                   %(token_id)s, %(reviewer_role)s, %(reviewer_name)s,
                   %(reviewer_employee_id)s)
           RETURNING review_id, run_id, employee_id, decision, tier, reason,
                     reviewer_role, reviewer_name, created_at AS reviewed_at""",
        {
            "run_id": run_id,
            "employee_id": employee_id,
            "decision": decision,
            "tier": tier,
            "reason": reason,
            "token_id": token_id,
            "reviewer_role": reviewer_role,
            "reviewer_name": reviewer_name,
            "reviewer_employee_id": reviewer_employee_id,
        },
    )


def outcome(conn: connection, run_id: int, employee_id: str) -> dict:
    """The model's and the final tier of one result, as the reviews so far decide it."""
    return fetch_one(
        conn,
        """SELECT model_tier, final_tier FROM reviewed_results
           WHERE run_id = %s AND employee_id = %s""",
        (run_id, employee_id),
    )


def queue(
    conn: connection, *, scope: Scope, status: str, after: str | None, limit: int
) -> list[dict]:
    """A page of the current run's results in review order: contested first, then
    anomalies, then tier drops (the model's tier below the previous succeeded run's final
    tier), then predicted Low, then ATTENTION_ORDER. `status` keeps the results with no
    confirm or override yet (pending), those with one (reviewed), or all.

    The order does not depend on whether a result has been reviewed, so the cursor (the
    last employee_id of the previous page) keeps its place while reviews come in."""
    return fetch_all(
        conn,
        f"""WITH current_run AS (SELECT run_id FROM model_runs WHERE is_current),
            previous_run AS (
                SELECT max(p.run_id) AS run_id FROM model_runs p, current_run c
                 WHERE p.status = 'succeeded' AND p.run_id < c.run_id),
            keyed AS (
                SELECT s.run_id, s.employee_id, e.name, s.department, s.team, s.job_title,
                       s.score, s.tier, s.predicted_tier, s.is_anomaly, s.trend,
                       pf.final_tier AS previous_tier,
                       coalesce({_TIER_RANK.format("s.tier")}
                                < {_TIER_RANK.format("pf.final_tier")}, false) AS tier_drop,
                       {REVIEW_COLUMNS}
                  FROM scores s
                  JOIN current_run c ON c.run_id = s.run_id
                  {REVIEWED}
                  LEFT JOIN employees e ON e.employee_id = s.employee_id
                  LEFT JOIN reviewed_results pf
                         ON pf.run_id = (SELECT run_id FROM previous_run)
                        AND pf.employee_id = s.employee_id
                 WHERE {scope.sql("s.employee_id")}),
            ordered AS (
                SELECT s.*, row_number() OVER (
                    ORDER BY s.contested DESC, s.is_anomaly DESC, s.tier_drop DESC,
                             (s.predicted_tier = 'Low') DESC NULLS LAST,
                             {ATTENTION_ORDER}) AS position
                  FROM keyed s)
            SELECT * FROM ordered o
             WHERE (%(status)s = 'all'
                    OR (%(status)s = 'pending') = (o.review_decision IS NULL))
               AND (%(after)s::text IS NULL
                    OR o.position > (SELECT a.position FROM ordered a
                                      WHERE a.employee_id = %(after)s))
             ORDER BY o.position
             LIMIT %(limit)s""",
        {"status": status, "after": after, "limit": limit, **scope.params()},
    )


def reasons(row: dict) -> list[str]:
    """Why a queue row is there, in queue order."""
    found = {
        "contested": row["contested"],
        "anomaly": row["is_anomaly"],
        "tier_drop": row["tier_drop"],
        "predicted_low": row["predicted_tier"] == "Low",
    }
    return [reason for reason in QUEUE_REASONS if found[reason]]


def department_exists(conn: connection, department: str) -> bool:
    """Whether the current run scored anyone of the department."""
    return (
        fetch_one(
            conn,
            """SELECT 1 AS found FROM scores s
               JOIN model_runs r ON r.run_id = s.run_id AND r.is_current
               WHERE s.department = %(department)s LIMIT 1""",
            {"department": department},
        )
        is not None
    )


def calibration_people(conn: connection, department: str, *, scope: Scope) -> list[dict]:
    """The department's scoped people of the current run with their final tier and
    predicted next tier, the 9-box's cells, by score from the highest."""
    return fetch_all(
        conn,
        f"""SELECT s.employee_id, e.name, round(s.score::numeric, 2)::float AS score,
                   s.tier, f.final_tier, f.decision AS review_decision, s.predicted_tier
              FROM scores s
              JOIN model_runs r ON r.run_id = s.run_id AND r.is_current
              {REVIEWED}
              LEFT JOIN employees e ON e.employee_id = s.employee_id
             WHERE s.department = %(department)s AND {scope.sql("s.employee_id")}
             ORDER BY s.score DESC, s.employee_id""",
        {"department": department, **scope.params()},
    )
