"""Request and response schemas: they validate input and write the OpenAPI document."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from analytics.config import TIER_NAMES as TIERS
from api.insight_schemas import ExplanationSchema, TrendSchema
from store.datasets import Dataset


class ProblemSchema(Schema):
    row = fields.Integer(allow_none=True, metadata={"description": "1 = the first record"})
    column = fields.String(allow_none=True)
    location = fields.String(metadata={"description": "query, json, path"})
    field = fields.String()
    reason = fields.String(required=True)


class ErrorResponseSchema(Schema):
    status = fields.Constant("error")
    code = fields.Integer(required=True)
    message = fields.String(required=True)
    problems = fields.List(fields.Nested(ProblemSchema))


# --- ingest -------------------------------------------------------------------------

_FIELD_TYPES = {
    "text": fields.String,
    "int": fields.Integer,
    "float": fields.Float,
    "date": fields.Date,
}


def record_schema(dataset: Dataset) -> type[Schema]:
    """The OpenAPI description of one record of a dataset, built from its spec."""
    attrs = {}
    for f in dataset.fields:
        checks = []
        if f.min is not None or f.max is not None:
            checks.append(validate.Range(min=f.min, max=f.max))
        if f.max_length is not None:
            checks.append(validate.Length(min=1, max=f.max_length))
        attrs[f.name] = _FIELD_TYPES[f.kind](
            required=f.required,
            allow_none=not f.required,
            validate=checks,
            metadata={"description": f.description},
        )
    name = "".join(part.capitalize() for part in dataset.name.split("-")) + "Record"
    return Schema.from_dict(attrs, name=name)


class IngestResultSchema(Schema):
    dataset = fields.String(required=True)
    received = fields.Integer(required=True, metadata={"description": "records in the request"})
    inserted = fields.Integer(required=True, metadata={"description": "new records"})
    updated = fields.Integer(
        required=True, metadata={"description": "records whose values changed"}
    )
    unchanged = fields.Integer(
        required=True, metadata={"description": "records already stored as sent"}
    )


# --- results ------------------------------------------------------------------------


class ComponentsSchema(Schema):
    completion_rate = fields.Float(metadata={"description": "completed / total tasks, 0–1"})
    task_efficiency = fields.Float(metadata={"description": "1 − normalised hours per task, 0–1"})
    throughput = fields.Float(metadata={"description": "normalised completed tasks, 0–1"})
    weights = fields.Dict(keys=fields.String(), values=fields.Float())


class ActivitySchema(Schema):
    total_tasks = fields.Integer()
    completed_tasks = fields.Integer()
    avg_task_hours = fields.Float()
    relative_task_hours = fields.Float(
        metadata={"description": "hours per task as a multiple of the department median"}
    )
    relative_throughput = fields.Float(
        metadata={"description": "completed tasks as a multiple of the department median"}
    )


class AnomalySchema(Schema):
    is_anomaly = fields.Boolean()
    score = fields.Float(metadata={"description": "higher is more unusual"})


class PredictionSchema(Schema):
    next_tier = fields.String(allow_none=True, validate=validate.OneOf(TIERS))
    probabilities = fields.Dict(keys=fields.String(), values=fields.Float(), allow_none=True)


class ResultSchema(Schema):
    employee_id = fields.String(required=True)
    run_id = fields.Integer(required=True)
    as_of = fields.Date(metadata={"description": "last monthly period the run covered"})
    department = fields.String()
    team = fields.String()
    job_title = fields.String()
    score = fields.Float(metadata={"description": "performance score, 0–100"})
    tier = fields.String(validate=validate.OneOf(TIERS))
    components = fields.Nested(ComponentsSchema)
    activity = fields.Nested(ActivitySchema)
    anomaly = fields.Nested(AnomalySchema)
    prediction = fields.Nested(PredictionSchema)
    flags = fields.List(
        fields.String(), metadata={"description": "data caveats, e.g. no_tasks, hours_imputed"}
    )
    explanation = fields.Nested(ExplanationSchema)
    trend = fields.Nested(TrendSchema)


class EmployeeSchema(Schema):
    employee_id = fields.String(required=True)
    name = fields.String()
    department = fields.String()
    team = fields.String()
    job_title = fields.String()
    manager_id = fields.String(allow_none=True)
    hire_date = fields.Date()


class EmployeeResultSchema(Schema):
    employee = fields.Nested(EmployeeSchema)
    result = fields.Nested(ResultSchema)


class HistorySchema(Schema):
    employee_id = fields.String()
    results = fields.List(fields.Nested(ResultSchema))


class ResultPageSchema(Schema):
    data = fields.List(fields.Nested(ResultSchema))
    next_after = fields.String(
        allow_none=True,
        metadata={"description": "pass as `after` for the next page; null on the last page"},
    )


class ResultFilterSchema(Schema):
    department = fields.String()
    team = fields.String()
    tier = fields.String(validate=validate.OneOf(TIERS))
    anomaly = fields.Boolean()
    after = fields.String(metadata={"description": "employee_id after which the page starts"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class HistoryArgsSchema(Schema):
    limit = fields.Integer(load_default=12, validate=validate.Range(min=1, max=100))


class DepartmentSchema(Schema):
    department = fields.String()
    employees = fields.Integer()
    average_score = fields.Float()
    average_completion_rate = fields.Float()
    tiers = fields.Dict(keys=fields.String(), values=fields.Integer())
    anomalies = fields.Integer()
    predicted_low = fields.Integer(metadata={"description": "employees predicted to be Low next"})


class DepartmentListSchema(Schema):
    run_id = fields.Integer()
    data = fields.List(fields.Nested(DepartmentSchema))


# --- model runs ---------------------------------------------------------------------


class RunSummarySchema(Schema):
    run_id = fields.Integer()
    status = fields.String(validate=validate.OneOf(("running", "succeeded", "failed")))
    is_current = fields.Boolean()
    as_of = fields.Date(allow_none=True)
    started_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    duration_seconds = fields.Float(allow_none=True)
    rows_read = fields.Integer(allow_none=True)
    employees_scored = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)


class RunSchema(RunSummarySchema):
    params = fields.Dict(metadata={"description": "window and model settings of the run"})
    metrics = fields.Dict(
        metadata={
            "description": "tier counts and centroids, anomaly ratio, predictor F1 and "
            "feature importances, score drift against the previous run"
        }
    )
    timings = fields.Dict(keys=fields.String(), values=fields.Float())


class RunPageSchema(Schema):
    data = fields.List(fields.Nested(RunSummarySchema))
    next_before = fields.Integer(allow_none=True)


class RunListArgsSchema(Schema):
    before = fields.Integer(metadata={"description": "run_id before which the page starts"})
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


# --- stateless analysis -------------------------------------------------------------


class AnalyzeRecordSchema(Schema):
    employee_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    name = fields.String(load_default="", validate=validate.Length(max=200))
    tasks_total = fields.Integer(required=True, validate=validate.Range(min=0, max=100_000))
    tasks_completed = fields.Integer(required=True, validate=validate.Range(min=0, max=100_000))
    hours_logged = fields.Float(required=True, validate=validate.Range(min=0, max=100_000))


class AnalyzeRequestSchema(Schema):
    records = fields.List(
        fields.Nested(AnalyzeRecordSchema), required=True, validate=validate.Length(min=1)
    )


class AnalyzedEmployeeSchema(Schema):
    employee_id = fields.String()
    name = fields.String()
    performance_score = fields.Float()
    performance_cluster = fields.String(validate=validate.OneOf(TIERS))
    is_anomaly = fields.Boolean()
    completion_rate = fields.Float()
    avg_task_hours = fields.Float()
    completed_tasks = fields.Integer()


class AnalyzeResponseSchema(Schema):
    status = fields.String()
    data = fields.List(fields.Nested(AnalyzedEmployeeSchema))
    message = fields.String()


class HealthSchema(Schema):
    status = fields.String()
    run_id = fields.Integer(allow_none=True)
    reason = fields.String()
