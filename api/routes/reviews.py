"""Human review of results: confirm or override a tier (admin, hr, a manager for their
people), contest one's own result (the employee), the queue of results to review first,
and a department's calibration grid with the reviews applied."""

from __future__ import annotations

from flask import g, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from psycopg2 import errors

from api import audit, pagination
from api.auth import current_scope
from api.current_run import require_current_run
from api.db import get_db
from api.errors import ApiError
from api.presenters.reviews import calibration, queue_row
from api.schemas.common import ErrorResponseSchema
from api.schemas.reviews import (
    CalibrationSchema,
    QueueArgsSchema,
    QueuePageSchema,
    ReviewCreatedSchema,
    ReviewRequestSchema,
)
from store.queries import employees as employee_queries
from store.queries import reviews as queries
from store.tokens import Principal

blp = Blueprint(
    "reviews",
    __name__,
    url_prefix="/api/v1",
    description="Human review of results: confirm, override or contest a tier; the review "
    "queue; the calibration grid.",
)


def _refusal(principal: Principal, employee_id: str, decision: str) -> str | None:
    """Why this caller may not make this decision on a result they can see, if so."""
    own = principal.employee_id == employee_id
    if decision == "contest":
        return None if own else "only the employee concerned may contest their own result"
    if principal.role == "employee":
        return "an employee may only contest their own result"
    if principal.role == "manager" and own:
        return "a manager may not confirm or override their own result"
    return None


@blp.route("/employees/<string:employee_id>/reviews")
class EmployeeReviews(MethodView):
    @blp.arguments(ReviewRequestSchema)
    @blp.response(201, ReviewCreatedSchema)
    @blp.alt_response(
        403, schema=ErrorResponseSchema, description="This decision is not the caller's."
    )
    @blp.alt_response(
        404, schema=ErrorResponseSchema, description="Unknown employee or no result yet."
    )
    @blp.alt_response(
        409,
        schema=ErrorResponseSchema,
        description="Not the current run, or this token already reviewed this result.",
    )
    def post(self, body: dict, employee_id: str):
        """Confirm or override the tier of an employee's current result, or contest one's
        own. Reviews are append-only; the newest confirm or override of the run decides
        the final tier."""
        principal: Principal = g.principal
        scope = current_scope()
        with get_db().transaction() as conn:
            run_id = require_current_run(conn)["run_id"]
            # Out of scope reads exactly like unknown, as GET of the employee does.
            if employee_queries.employee(conn, employee_id, scope=scope) is None:
                raise ApiError(404, f"no employee {employee_id!r}")
            asked = body.get("run_id", run_id)
            if asked != run_id:
                raise ApiError(
                    409,
                    f"run {asked} is not the current run ({run_id}); review the current result",
                )
            if employee_queries.employee_result(conn, employee_id, scope=scope) is None:
                raise ApiError(
                    404, f"employee {employee_id!r} has no result in the current run yet"
                )
            refusal = _refusal(principal, employee_id, body["decision"])
            if refusal is not None:
                raise ApiError(403, refusal)
            try:
                review = queries.record(
                    conn,
                    run_id=run_id,
                    employee_id=employee_id,
                    decision=body["decision"],
                    tier=body.get("tier"),
                    reason=body["reason"].strip(),
                    token_id=principal.token_id,
                    reviewer_role=principal.role,
                    reviewer_name=principal.name,
                    reviewer_employee_id=principal.employee_id,
                )
            except errors.UniqueViolation:
                raise ApiError(
                    409,
                    f"this token already reviewed {employee_id!r} in run {run_id}; "
                    "reviews are append-only",
                ) from None
            # The reason is HR content and stays in the reviews table only.
            audit.record(
                conn,
                "review_create",
                employee_id,
                review_id=review["review_id"],
                run_id=run_id,
                decision=review["decision"],
                tier=review["tier"],
            )
            outcome = queries.outcome(conn, run_id, employee_id)
        location = url_for("employees.EmployeeResult", employee_id=employee_id)
        created = {
            **review,
            "reviewer": {"role": review["reviewer_role"], "name": review["reviewer_name"]},
            **outcome,
        }
        return created, 201, {"Location": location}


@blp.route("/reviews")
class ReviewQueue(MethodView):
    @blp.arguments(QueueArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, QueuePageSchema, headers=pagination.NEXT_LINK_HEADER)
    @blp.alt_response(404, schema=ErrorResponseSchema, description="No run has completed yet.")
    def get(self, status: str, limit: int, after: str | None = None):
        """The current run's results to review first, within the caller's scope:
        contested, then anomalies, then tier drops, then predicted Low, then the usual
        attention order; each row says why it is there (keyset pagination)."""
        with get_db().transaction() as conn:
            run_id = require_current_run(conn)["run_id"]
            rows = queries.queue(
                conn, scope=current_scope(), status=status, after=after, limit=limit
            )
            audit.record_read(
                conn, "review_queue_read", status=status, after=after, count=len(rows)
            )
        return pagination.page(
            {"run_id": run_id, "status": status, "data": [queue_row(r) for r in rows]},
            "after",
            rows[-1]["employee_id"] if len(rows) == limit else None,
        )


@blp.route("/departments/<string:department>/calibration")
class Calibration(MethodView):
    @blp.response(200, CalibrationSchema)
    @blp.alt_response(404, schema=ErrorResponseSchema, description="Unknown department.")
    def get(self, department: str):
        """The 9-box of the department's current run: final tier (overrides applied) ×
        predicted next tier, with counts and people; a manager's covers their people."""
        with get_db().transaction() as conn:
            run_id = require_current_run(conn)["run_id"]
            found = queries.department_exists(conn, department)
            people = (
                queries.calibration_people(conn, department, scope=current_scope()) if found else []
            )
            audit.record_read(conn, "calibration_read", department, found=found, count=len(people))
        if not found:
            raise ApiError(404, f"no department {department!r} in the current run")
        return calibration(department, run_id, people)
