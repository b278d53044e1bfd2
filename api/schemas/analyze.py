"""Schemas of the stateless analysis: posted task records, optionally KPI records and a
scorecard, and their scores."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from analytics.config import TIER_NAMES as TIERS
from api.batch_validation import Field, RecordList, RowRule
from api.schemas.employees import KpiScoreSchema
from store.datasets import BUILTIN_KPIS, HIGHER_IS_BETTER, KPI_ID_LENGTH, LOWER_IS_BETTER

# The one declaration of a posted record: validated from it (api.batch_validation, on
# the whole batch at once) and documented from it, so the two cannot drift apart.
RECORD_FIELDS = (
    Field("employee_id", "string", min_length=1, max_length=64),
    Field("name", "string", required=False, default="", max_length=200),
    Field("tasks_total", "integer", minimum=0, maximum=100_000),
    Field("tasks_completed", "integer", minimum=0, maximum=100_000),
    Field("hours_logged", "number", minimum=0, maximum=100_000),
)
COMPLETED_WITHIN_TOTAL = RowRule(
    field="tasks_completed",
    reads=("tasks_total", "tasks_completed"),
    reason="must not exceed tasks_total",
    holds=lambda records: records["tasks_completed"] <= records["tasks_total"],
)
# A posted scorecard scores everybody posted, as a job title's scorecard scores its people.
KPI_RECORD_FIELDS = (
    Field("employee_id", "string", min_length=1, max_length=64),
    Field(
        "kpi_id",
        "string",
        min_length=1,
        max_length=KPI_ID_LENGTH,
        description="a custom KPI of the posted scorecard",
    ),
    Field(
        "value",
        "number",
        description="the KPI's value; several values of one employee's KPI are averaged",
    ),
)
SCORECARD_FIELDS = (
    Field(
        "kpi_id",
        "string",
        min_length=1,
        max_length=KPI_ID_LENGTH,
        description=f"a built-in KPI ({', '.join(BUILTIN_KPIS)}) or one of kpi_records",
    ),
    Field("weight", "number", minimum=0, minimum_inclusive=False),
    Field(
        "direction",
        "string",
        required=False,
        default=HIGHER_IS_BETTER,
        choices=(HIGHER_IS_BETTER, LOWER_IS_BETTER),
        description="of a custom KPI (built-in KPIs have their own)",
    ),
)
# The body of POST /api/v1/analyze, key by key.
ANALYZE_BODY = {
    "records": RecordList(RECORD_FIELDS, rules=(COMPLETED_WITHIN_TOTAL,)),
    "kpi_records": RecordList(KPI_RECORD_FIELDS, required=False, min_items=0),
    "scorecard": RecordList(SCORECARD_FIELDS, required=False),
}
# With a scorecard, people may come with KPI records only: `records` may be empty.
ANALYZE_SCORECARD_BODY = ANALYZE_BODY | {
    "records": RecordList(RECORD_FIELDS, rules=(COMPLETED_WITHIN_TOTAL,), min_items=0)
}

# The flask-bi frontend's body: a bare array of these, scored by the brief's formula
# (analytics.brief_formula); `avg_task_hours` may be missing or null.
BRIEF_RECORD_FIELDS = (
    Field("employee_id", "string", min_length=1, max_length=64),
    Field("name", "string", required=False, default="", max_length=200),
    Field("completed_tasks", "integer", minimum=0, maximum=100_000),
    Field("total_tasks", "integer", minimum=0, maximum=100_000),
    Field("avg_task_hours", "number", required=False, minimum=0, maximum=100_000, nullable=True),
)
BRIEF_BODY = {
    "records": RecordList(
        BRIEF_RECORD_FIELDS,
        rules=(
            RowRule(
                field="completed_tasks",
                reads=("total_tasks", "completed_tasks"),
                reason="must not exceed total_tasks",
                holds=lambda records: records["completed_tasks"] <= records["total_tasks"],
            ),
        ),
    )
}

BriefRecordSchema = Schema.from_dict(
    {f.name: f.documented() for f in BRIEF_RECORD_FIELDS}, name="BriefRecordSchema"
)
AnalyzeRecordSchema = Schema.from_dict(
    {f.name: f.documented() for f in RECORD_FIELDS}, name="AnalyzeRecordSchema"
)
AnalyzeKpiRecordSchema = Schema.from_dict(
    {f.name: f.documented() for f in KPI_RECORD_FIELDS}, name="AnalyzeKpiRecordSchema"
)
AnalyzeScorecardKpiSchema = Schema.from_dict(
    {f.name: f.documented() for f in SCORECARD_FIELDS}, name="AnalyzeScorecardKpiSchema"
)


class AnalyzeRequestSchema(Schema):
    """Documentation only: the body is validated from ANALYZE_BODY."""

    records = fields.List(
        fields.Nested(AnalyzeRecordSchema),
        required=True,
        metadata={"description": "task records; may be empty when a scorecard is posted"},
    )
    kpi_records = fields.List(
        fields.Nested(AnalyzeKpiRecordSchema),
        metadata={"description": "values of the posted scorecard's custom KPIs"},
    )
    scorecard = fields.List(
        fields.Nested(AnalyzeScorecardKpiSchema),
        validate=validate.Length(min=1),
        metadata={
            "description": "KPIs with weights that score everybody posted; without it, the "
            "default scorecard (the task measures)"
        },
    )


class AnalyzedEmployeeSchema(Schema):
    employee_id = fields.String()
    name = fields.String()
    performance_score = fields.Float()
    performance_cluster = fields.String(validate=validate.OneOf(TIERS))
    is_anomaly = fields.Boolean()
    completion_rate = fields.Float(allow_none=True)
    avg_task_hours = fields.Float(allow_none=True)
    completed_tasks = fields.Integer(allow_none=True)
    kpis = fields.List(
        fields.Nested(KpiScoreSchema),
        metadata={"description": "with a posted scorecard: each of its KPIs"},
    )
    flags = fields.List(fields.String(), metadata={"description": "with a posted scorecard"})


class AnalyzeResponseSchema(Schema):
    status = fields.String()
    data = fields.List(fields.Nested(AnalyzedEmployeeSchema))
    message = fields.String()
