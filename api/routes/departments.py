"""Department summaries of the current run."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import current_scope
from api.db import get_db
from api.errors import ApiError
from api.schemas import DepartmentListSchema, ErrorResponseSchema
from store import queries

blp = Blueprint(
    "departments", __name__, url_prefix="/api/v1/departments", description="Department summaries."
)


@blp.route("")
class DepartmentList(MethodView):
    @blp.response(200, DepartmentListSchema)
    @blp.alt_response(404, schema=ErrorResponseSchema, description="No run has completed yet.")
    def get(self):
        """Per department: head count, average score and completion, tiers, anomalies.

        Managers and employees get the summaries of the people they may see only."""
        with get_db().connection() as conn:
            run_id = queries.current_run_id(conn)
            if run_id is None:
                raise ApiError(404, "no model run has completed yet")
            rows = queries.department_summaries(conn, scope=current_scope())
        return {
            "run_id": run_id,
            "data": [
                {
                    **{
                        k: r[k]
                        for k in (
                            "department",
                            "employees",
                            "average_score",
                            "average_completion_rate",
                            "anomalies",
                            "predicted_low",
                        )
                    },
                    "tiers": {
                        "High": r["tier_high"],
                        "Medium": r["tier_medium"],
                        "Low": r["tier_low"],
                    },
                }
                for r in rows
            ],
        }
