"""Scorecards: what scores whom (each job title's KPIs with weights, and the default
scorecard), and the removal of a job title's scorecard. Scorecards are added and
re-weighted through the ingest (`POST /api/v1/ingest/scorecards`)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from analytics.config import DEFAULT_CONFIG
from api import audit
from api.db import get_db
from api.errors import ApiError
from api.schemas.common import ErrorResponseSchema
from api.schemas.scorecards import RemovedScorecardSchema, ScorecardListSchema
from store.queries import scorecards as queries

blp = Blueprint(
    "scorecards",
    __name__,
    url_prefix="/api/v1/scorecards",
    description="Which KPIs, with which weights, score each job title. A job title without "
    "a scorecard is scored on the default one (the task measures).",
)

# The default scorecard's KPIs and the settings that weigh them.
_DEFAULT_WEIGHTS = {
    "completion_rate": DEFAULT_CONFIG.completion_weight,
    "task_efficiency": DEFAULT_CONFIG.efficiency_weight,
    "throughput": DEFAULT_CONFIG.throughput_weight,
}


def _default_scorecard(conn) -> dict:
    run = queries.current_default_weights(conn)
    weights = _DEFAULT_WEIGHTS if run is None else run
    return {
        "kpis": [k | {"weight": weights[k["kpi_id"]]} for k in queries.builtin_kpis(conn)],
        "weights_from_run": None if run is None else run["run_id"],
        "job_titles": queries.default_job_titles(conn),
    }


@blp.route("")
class ScorecardList(MethodView):
    @blp.response(200, ScorecardListSchema)
    def get(self):
        """Each job title's scorecard, and the default scorecard with the job titles it scores."""
        with get_db().transaction() as conn:
            return {"data": queries.custom_scorecards(conn), "default": _default_scorecard(conn)}


@blp.route("/<path:job_title>")
class Scorecard(MethodView):
    @blp.response(200, RemovedScorecardSchema)
    @blp.alt_response(
        404, schema=ErrorResponseSchema, description="The job title has no scorecard."
    )
    def delete(self, job_title: str):
        """Remove a job title's scorecard: from the next run on, the default scorecard scores it."""
        with get_db().transaction() as conn:
            removed = queries.remove_scorecard(conn, job_title)
            if removed:
                audit.record(conn, "scorecard_delete", job_title, kpis_removed=removed)
        if not removed:
            raise ApiError(404, f"the job title {job_title!r} has no scorecard")
        return {"job_title": job_title, "kpis_removed": removed}
