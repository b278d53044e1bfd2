"""Results per employee: the latest, the history, and filtered lists."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api import audit
from api.auth import current_scope
from api.db import get_db
from api.errors import ApiError
from api.schemas import (
    EmployeeResultSchema,
    ErrorResponseSchema,
    HistoryArgsSchema,
    HistorySchema,
    ResultFilterSchema,
    ResultPageSchema,
)
from store import queries

blp = Blueprint(
    "employees",
    __name__,
    url_prefix="/api/v1/employees",
    description="Scores, tiers, anomaly flags and predictions of the current run.",
)


def present(row: dict) -> dict:
    """A stored score row in the shape of ResultSchema."""
    has_prediction = row["predicted_tier"] is not None
    return {
        "employee_id": row["employee_id"],
        "run_id": row["run_id"],
        "as_of": row["as_of"],
        "department": row["department"],
        "team": row["team"],
        "job_title": row["job_title"],
        "score": round(row["score"], 2),
        "tier": row["tier"],
        "components": {
            "completion_rate": row["completion_rate"],
            "task_efficiency": row["task_efficiency"],
            "throughput": row["throughput"],
            "weights": row["weights"] or {},
        },
        "activity": {
            "total_tasks": row["total_tasks"],
            "completed_tasks": row["completed_tasks"],
            "avg_task_hours": row["avg_task_hours"],
            "relative_task_hours": row["relative_task_hours"],
            "relative_throughput": row["relative_throughput"],
        },
        "anomaly": {"is_anomaly": row["is_anomaly"], "score": row["anomaly_score"]},
        "prediction": {
            "next_tier": row["predicted_tier"],
            "probabilities": (
                {"High": row["p_high"], "Medium": row["p_medium"], "Low": row["p_low"]}
                if has_prediction
                else None
            ),
        },
        "flags": row["flags"],
    }


@blp.route("")
class EmployeeList(MethodView):
    @blp.arguments(ResultFilterSchema, location="query", as_kwargs=True)
    @blp.response(200, ResultPageSchema)
    def get(self, limit: int, after: str | None = None, **filters):
        """Current results, filtered, in employee_id order (keyset pagination)."""
        with get_db().transaction() as conn:
            rows = queries.results(
                conn,
                scope=current_scope(),
                department=filters.get("department"),
                team=filters.get("team"),
                tier=filters.get("tier"),
                anomaly=filters.get("anomaly"),
                after=after,
                limit=limit,
            )
            # One record per request, with its filter and count, not one per row.
            audit.record_read(
                conn,
                "employee_list_read",
                filters={k: v for k, v in filters.items() if v is not None},
                after=after,
                limit=limit,
                count=len(rows),
            )
        return {
            "data": [present(r) for r in rows],
            "next_after": rows[-1]["employee_id"] if len(rows) == limit else None,
        }


@blp.route("/<string:employee_id>")
class EmployeeResult(MethodView):
    @blp.response(200, EmployeeResultSchema)
    @blp.alt_response(
        404, schema=ErrorResponseSchema, description="Unknown employee or no result yet."
    )
    def get(self, employee_id: str):
        """One employee's latest result: score and components, tier, anomaly, prediction."""
        # Out of the caller's scope reads exactly like unknown: existence is not revealed.
        scope = current_scope()
        with get_db().transaction() as conn:
            person = queries.employee(conn, employee_id, scope=scope)
            row = queries.employee_result(conn, employee_id, scope=scope) if person else None
            audit.record_read(conn, "employee_read", employee_id, found=row is not None)
        if person is None:
            raise ApiError(404, f"no employee {employee_id!r}")
        if row is None:
            raise ApiError(404, f"employee {employee_id!r} has no result in the current run yet")
        return {"employee": person, "result": present(row)}


@blp.route("/<string:employee_id>/history")
class EmployeeHistory(MethodView):
    @blp.arguments(HistoryArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, HistorySchema)
    @blp.alt_response(404, schema=ErrorResponseSchema, description="Unknown employee.")
    def get(self, employee_id: str, limit: int):
        """One employee's results across the kept runs, newest first."""
        scope = current_scope()
        with get_db().transaction() as conn:
            found = queries.employee(conn, employee_id, scope=scope) is not None
            rows = queries.employee_history(conn, employee_id, limit, scope=scope) if found else []
            audit.record_read(
                conn, "employee_history_read", employee_id, found=found, count=len(rows)
            )
        if not found:
            raise ApiError(404, f"no employee {employee_id!r}")
        return {"employee_id": employee_id, "results": [present(r) for r in rows]}
