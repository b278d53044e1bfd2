"""Stateless analysis: the scoring pipeline on posted records, nothing stored."""

from __future__ import annotations

import pandas as pd
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from analytics import AnalysisError, analyze_records
from api.errors import ApiError
from api.metrics import measure_analysis
from api.schemas.analyze import AnalyzeRequestSchema, AnalyzeResponseSchema
from api.schemas.common import ErrorResponseSchema

blp = Blueprint(
    "analyze",
    __name__,
    url_prefix="/api/v1/analyze",
    description="Score, tier and anomaly-check posted task records without storing them.",
)


@blp.route("")
class Analyze(MethodView):
    @blp.arguments(AnalyzeRequestSchema)
    @blp.response(200, AnalyzeResponseSchema)
    @blp.alt_response(422, schema=ErrorResponseSchema, description="The records are not valid.")
    def post(self, body: dict):
        """Run the pipeline on the posted records (several rows per employee are summed)."""
        records = body["records"]
        limit = current_app.config["ANALYZE_MAX_RECORDS"]
        if len(records) > limit:
            raise ApiError(422, f"at most {limit} records per request, got {len(records)}")
        problems = [
            {
                "location": "json",
                "field": f"records.{i}.tasks_completed",
                "reason": "must not exceed tasks_total",
            }
            for i, r in enumerate(records)
            if r["tasks_completed"] > r["tasks_total"]
        ]
        if problems:
            raise ApiError(422, "the request is not valid", problems)
        try:
            with measure_analysis(len(records)):
                result = analyze_records(pd.DataFrame.from_records(records))
        except AnalysisError as exc:
            raise ApiError(422, str(exc)) from exc
        return {
            "status": "success",
            "data": result.to_dict(orient="records"),
            "message": "Analysis completed successfully",
        }
