"""Stateless analysis: the scoring pipeline on posted records, nothing stored.

The body is validated by api.batch_validation from its declaration (api.schemas.analyze),
column by column over the whole batch, not by a schema object per record; the request
schema is in the OpenAPI document for clients. A heavy endpoint (api.limits)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from werkzeug.exceptions import BadRequest

from analytics import AnalysisError, analyze_records
from analytics.brief_formula import score_brief_batch
from api.batch_validation import BodyInvalid, validate_body
from api.errors import ApiError
from api.frame_json import dumps_plainly, frame_records
from api.metrics import measure_analysis
from api.schemas.analyze import (
    ANALYZE_BODY,
    ANALYZE_SCORECARD_BODY,
    BRIEF_BODY,
    AnalyzedEmployeeSchema,
    AnalyzeRequestSchema,
    AnalyzeResponseSchema,
    BriefRecordSchema,
)
from api.schemas.common import ErrorResponseSchema
from store.datasets import BUILTIN_KPIS
from store.validation import MAX_PROBLEMS

blp = Blueprint(
    "analyze",
    __name__,
    url_prefix="/api/v1/analyze",
    description="Score, tier and anomaly-check posted task records without storing them.",
)
# The flask-bi frontend posts to /analyze: the same endpoint there, for a drop-in switch.
compat = Blueprint(
    "analyze_compat",
    __name__,
    url_prefix="/analyze",
    description="POST /api/v1/analyze at the path the flask-bi frontend posts to.",
)


def _body() -> object:
    """The parsed JSON body; {} when the request is not JSON (then `records` is missing,
    as it always was), a 400 when it does not parse."""
    if not request.is_json:
        return {}
    try:
        return request.get_json()
    except BadRequest:
        # Flask's message quotes the parser's; the API's 400 never echoes the input.
        raise BadRequest() from None


def _check_size(body: object) -> None:
    """More records than EPA_ANALYZE_MAX_RECORDS are refused before any is looked at."""
    limit = current_app.config["ANALYZE_MAX_RECORDS"]
    lists = {"records": body} if isinstance(body, list) else body
    for name in ANALYZE_BODY:
        items = lists.get(name) if isinstance(lists, dict) else None
        if isinstance(items, list) and len(items) > limit:
            raise ApiError(422, f"at most {limit} {name} per request, got {len(items)}")


def _analyze_brief_array(body: list) -> pd.DataFrame:
    """The flask-bi form: a bare array, scored by the brief's formula. Problems are named
    by the array's index ("3.total_tasks"), as the array is the whole body."""
    try:
        records = validate_body({"records": body}, BRIEF_BODY)["records"]
    except BodyInvalid as exc:
        for problem in exc.problems:
            problem["field"] = problem["field"].removeprefix("records.")
        raise ApiError(
            422, "the request is not valid", exc.problems, problems_total=exc.total
        ) from None
    try:
        with measure_analysis(len(records)):
            result = score_brief_batch(records)
    except AnalysisError as exc:
        raise ApiError(422, str(exc)) from exc
    return result


def _problem(field: str, reason: str) -> dict:
    return {"location": "json", "field": field, "reason": reason}


def _scorecard_problems(batches: dict[str, pd.DataFrame]) -> list[dict]:
    """What the lists break together: KPI records without a scorecard, a KPI twice in the
    scorecard, and KPI records of a KPI that is not a custom one of the scorecard."""
    kpi_records, card = batches.get("kpi_records"), batches.get("scorecard")
    if card is None:
        if kpi_records is not None and len(kpi_records):
            return [_problem("kpi_records", "KPI records need a scorecard to score them.")]
        return []
    problems = [
        _problem(f"scorecard.{i}.kpi_id", "The KPI is in the scorecard more than once.")
        for i in np.flatnonzero(card["kpi_id"].duplicated().to_numpy())
    ]
    if kpi_records is None:
        return problems
    custom = set(card["kpi_id"]) - set(BUILTIN_KPIS)
    builtin = kpi_records["kpi_id"].isin(BUILTIN_KPIS).to_numpy()
    unknown = ~kpi_records["kpi_id"].isin(custom).to_numpy() & ~builtin
    problems += [
        _problem(
            f"kpi_records.{i}.kpi_id",
            "A built-in KPI: its values come from the task records."
            if builtin[i]
            else "Not a KPI of the posted scorecard.",
        )
        for i in np.flatnonzero(builtin | unknown)
    ]
    return problems


@compat.route("")
@blp.route("")
class Analyze(MethodView):
    @blp.doc(
        requestBody={
            "required": True,
            "description": "EPA's body (records, and optionally kpi_records and a "
            "scorecard), or the flask-bi frontend's bare array of {employee_id, name, "
            "completed_tasks, total_tasks, avg_task_hours}, scored by the product brief's "
            "formula: plain min-max over the batch, 0.4 / 0.3 / 0.3, no peer groups.",
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            AnalyzeRequestSchema,
                            {"type": "array", "items": BriefRecordSchema},
                        ]
                    }
                }
            },
        }
    )
    @blp.response(200, AnalyzeResponseSchema)
    @blp.alt_response(422, schema=ErrorResponseSchema, description="The records are not valid.")
    def post(self):
        """Run the pipeline on the posted records (several rows per employee are summed);
        with a `scorecard`, everybody posted is scored by it (KPI values from `kpi_records`)."""
        body = _body()
        _check_size(body)
        if isinstance(body, list):
            return _success(_analyze_brief_array(body))
        with_scorecard = isinstance(body, dict) and "scorecard" in body
        try:
            batches = validate_body(
                body, ANALYZE_SCORECARD_BODY if with_scorecard else ANALYZE_BODY
            )
        except BodyInvalid as exc:
            raise ApiError(
                422, "the request is not valid", exc.problems, problems_total=exc.total
            ) from None
        problems = _scorecard_problems(batches)
        if problems:
            raise ApiError(
                422,
                "the request is not valid",
                problems[:MAX_PROBLEMS],
                problems_total=len(problems),
            )
        records = batches["records"]
        scored = {}
        if with_scorecard:
            kpi_records = batches.get("kpi_records", pd.DataFrame())
            scored = {
                "kpi_records": kpi_records.to_dict(orient="records"),
                "scorecard": batches["scorecard"].to_dict(orient="records"),
            }
        try:
            with measure_analysis(len(records) + len(scored.get("kpi_records", ()))):
                result = analyze_records(records, **scored)
        except AnalysisError as exc:
            raise ApiError(422, str(exc)) from exc
        return _success(result)


_EMPLOYEE = AnalyzedEmployeeSchema()


def _success(result: pd.DataFrame) -> dict | Response:
    """The answer; its records built from the result's columns when they are all plain
    fields (the common case, and the large one), rather than dumped record by record by
    the response schema. The same JSON either way, through the app's provider."""
    plain = dumps_plainly(_EMPLOYEE, result)
    data = frame_records(_EMPLOYEE, result) if plain else result.to_dict(orient="records")
    answer = {"status": "success", "data": data, "message": "Analysis completed successfully"}
    # A Response passes the response schema by; a dict is dumped through it.
    return current_app.json.response(answer) if plain else answer
