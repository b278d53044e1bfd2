"""Results per employee: the latest with its explanation and trend, the history, skill
gaps and training recommendations, a printable report, and filtered lists."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api import audit, pagination
from api.auth import current_scope
from api.current_run import require_current_run, trend_threshold
from api.db import get_db
from api.errors import ApiError
from api.presenters.employees import present, run_points, trend
from api.presenters.reports import employee_charts, labeller, month_label, trend_rule
from api.reports import document_body, html_response, kpi_names
from api.schemas.common import TREND_RULE, ErrorResponseSchema
from api.schemas.employees import (
    EmployeeResultSchema,
    EmployeeSkillsSchema,
    EmployeeTrendSchema,
    HistoryArgsSchema,
    HistorySchema,
    ResultFilterSchema,
    ResultPageSchema,
)
from store.queries import employees as queries

blp = Blueprint(
    "employees",
    __name__,
    url_prefix="/api/v1/employees",
    description="Scores, tiers, anomaly flags and predictions of the current run.",
)


@blp.route("")
class EmployeeList(MethodView):
    @blp.arguments(ResultFilterSchema, location="query", as_kwargs=True)
    @blp.response(200, ResultPageSchema, headers=pagination.NEXT_LINK_HEADER)
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
        return pagination.page(
            {"data": [present(r) for r in rows]},
            "after",
            rows[-1]["employee_id"] if len(rows) == limit else None,
        )


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


def _scoped_result(conn, employee_id: str, event: str) -> dict:
    """The current result of a visible employee, or the same 404 as for an unknown one."""
    scope = current_scope()
    person = queries.employee(conn, employee_id, scope=scope)
    row = queries.employee_result(conn, employee_id, scope=scope) if person else None
    audit.record_read(conn, event, employee_id, found=row is not None)
    if person is None:
        raise ApiError(404, f"no employee {employee_id!r}")
    if row is None:
        raise ApiError(404, f"employee {employee_id!r} has no result in the current run yet")
    return {"employee": person, "result": row}


@blp.route("/<string:employee_id>/skill-gaps")
class EmployeeSkillGaps(MethodView):
    @blp.response(200, EmployeeSkillsSchema)
    @blp.alt_response(404, schema=ErrorResponseSchema, description="Unknown employee.")
    def get(self, employee_id: str):
        """Skill gaps against the job title's requirements, and training programs that
        close them, ranked by expected benefit."""
        with get_db().transaction() as conn:
            found = _scoped_result(conn, employee_id, "employee_skills_read")
            gaps = queries.skill_gaps(conn, employee_id, scope=current_scope())
            recs = queries.recommendations(conn, employee_id, scope=current_scope())
        return {
            "employee_id": employee_id,
            "run_id": found["result"]["run_id"],
            "gaps": gaps,
            "recommendations": recs,
        }


@blp.route("/<string:employee_id>/trend")
class EmployeeTrend(MethodView):
    @blp.arguments(HistoryArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, EmployeeTrendSchema)
    @blp.alt_response(404, schema=ErrorResponseSchema, description="Unknown employee.")
    def get(self, employee_id: str, limit: int):
        """Score and tier over the last periods (the run's windows) and the kept runs,
        with the improving / stable / declining flag."""
        with get_db().transaction() as conn:
            row = _scoped_result(conn, employee_id, "employee_trend_read")["result"]
            history = queries.employee_history(conn, employee_id, limit, scope=current_scope())
        return {
            "employee_id": employee_id,
            "run_id": row["run_id"],
            "rule": TREND_RULE,
            "trend": trend(row),
            "runs": run_points(history),
        }


@blp.route("/<string:employee_id>/report")
class EmployeeReport(MethodView):
    @blp.response(200, content_type="text/html", description="A printable HTML page.")
    @blp.doc(responses=document_body("text/html", "A printable HTML page."))
    @blp.alt_response(404, schema=ErrorResponseSchema, description="Unknown employee.")
    def get(self, employee_id: str):
        """A printable report of one employee: result, explanation, trend, skill gaps and
        recommended training."""
        scope = current_scope()
        with get_db().transaction() as conn:
            found = _scoped_result(conn, employee_id, "employee_report_read")
            gaps = queries.skill_gaps(conn, employee_id, scope=scope)
            recs = queries.recommendations(conn, employee_id, scope=scope)
            threshold = trend_threshold(require_current_run(conn))
            label = labeller(kpi_names(conn))
        result = present(found["result"])
        return html_response(
            "employee_report.html",
            employee=found["employee"],
            result=result,
            gaps=gaps,
            recommendations=recs,
            rule=trend_rule(threshold),
            label=label,
            month=month_label,
            charts=employee_charts(result, label),
        )
