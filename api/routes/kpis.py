"""KPI definitions: list them (built-in ones included) and remove a custom KPI. KPIs are
added and changed through the ingest (`POST /api/v1/ingest/kpis`)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api import audit
from api.db import get_db
from api.errors import ApiError
from api.schemas.common import ErrorResponseSchema
from api.schemas.kpis import KpiListSchema, RemovedKpiSchema
from store.queries import kpis as queries

blp = Blueprint(
    "kpis",
    __name__,
    url_prefix="/api/v1/kpis",
    description="The KPIs scorecards weigh: the built-in task measures and the "
    "organisation's own (loaded with POST /api/v1/ingest/kpis).",
)


@blp.route("")
class KpiList(MethodView):
    @blp.response(200, KpiListSchema)
    def get(self):
        """Every KPI definition, built-in first, with the job titles whose scorecards use it."""
        with get_db().connection() as conn:
            return {"data": queries.kpi_definitions(conn)}


@blp.route("/<string:kpi_id>")
class Kpi(MethodView):
    @blp.response(200, RemovedKpiSchema)
    @blp.alt_response(404, schema=ErrorResponseSchema, description="No such KPI.")
    @blp.alt_response(
        409,
        schema=ErrorResponseSchema,
        description="A built-in KPI, or one a scorecard uses (the message names the job "
        "titles); nothing was removed.",
    )
    def delete(self, kpi_id: str):
        """Remove a custom KPI and all its values. Scores of runs already made keep it."""
        with get_db().transaction() as conn:
            try:
                removed = queries.remove_kpi(conn, kpi_id)
            except queries.KpiRemovalRefused as exc:
                code = 404 if exc.kind == "not_found" else 409
                raise ApiError(code, exc.message) from None
            audit.record(conn, "kpi_delete", kpi_id, values_deleted=removed.values_deleted)
        return {"kpi_id": removed.kpi_id, "values_deleted": removed.values_deleted}
