"""Schemas of the employees resource: results with their explanation and trend, history,
filtered lists, the trend across runs, and skill gaps with recommended training."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from analytics.config import TIER_NAMES as TIERS
from api.schemas.common import TrendSchema

# --- one result -----------------------------------------------------------------------


class KpiScoreSchema(Schema):
    kpi_id = fields.String(metadata={"description": "a KPI of the person's scorecard"})
    value = fields.Float(
        metadata={
            "description": "the KPI over the window (built-ins: completion rate, hours per "
            "task, completed tasks); peer median when imputed (see flags)"
        }
    )
    normalised = fields.Float(
        metadata={"description": "0–1 among peers on the same scorecard, 1 = best"}
    )
    weight = fields.Float()
    points = fields.Float(metadata={"description": "score points this KPI contributes"})


class ComponentsSchema(Schema):
    completion_rate = fields.Float(
        allow_none=True, metadata={"description": "completed / total tasks, 0–1"}
    )
    task_efficiency = fields.Float(
        allow_none=True, metadata={"description": "1 − normalised hours per task, 0–1"}
    )
    throughput = fields.Float(
        allow_none=True, metadata={"description": "normalised completed tasks, 0–1"}
    )
    weights = fields.Dict(keys=fields.String(), values=fields.Float())
    scorecard = fields.String(
        allow_none=True,
        metadata={"description": "job title whose scorecard scored the person; null = default"},
    )
    kpis = fields.List(
        fields.Nested(KpiScoreSchema),
        allow_none=True,
        metadata={"description": "each KPI of the scorecard, in scorecard order"},
    )


class ActivitySchema(Schema):
    """Task activity; null for a person whose scorecard uses no task measure."""

    total_tasks = fields.Integer(allow_none=True)
    completed_tasks = fields.Integer(allow_none=True)
    avg_task_hours = fields.Float(allow_none=True)
    relative_task_hours = fields.Float(
        allow_none=True,
        metadata={"description": "hours per task as a multiple of the department median"},
    )
    relative_throughput = fields.Float(
        allow_none=True,
        metadata={"description": "completed tasks as a multiple of the department median"},
    )


class AnomalySchema(Schema):
    is_anomaly = fields.Boolean()
    score = fields.Float(metadata={"description": "higher is more unusual"})


class PredictionSchema(Schema):
    next_tier = fields.String(allow_none=True, validate=validate.OneOf(TIERS))
    probabilities = fields.Dict(keys=fields.String(), values=fields.Float(), allow_none=True)


class ScorePointSchema(Schema):
    component = fields.String(
        metadata={
            "description": "completion, efficiency or throughput (default scorecard), "
            "else the kpi_id"
        }
    )
    value = fields.Float(metadata={"description": "the component (normalised KPI), 0–1"})
    weight = fields.Float()
    points = fields.Float(metadata={"description": "score points this component contributes"})


class ScoreBreakdownSchema(Schema):
    components = fields.List(fields.Nested(ScorePointSchema))
    baseline = fields.Float(
        metadata={"description": "points of the rescaling to 0–100; baseline + points = score"}
    )
    kpis = fields.List(
        fields.Nested(KpiScoreSchema),
        allow_none=True,
        metadata={"description": "the same points per KPI, with its value and normalised value"},
    )


class TierDriverSchema(Schema):
    feature = fields.String()
    value = fields.Raw(allow_none=True, metadata={"description": "the employee's input value"})
    contribution = fields.Float(
        metadata={
            "description": "change in the probability of the predicted tier this feature "
            "causes for this person, against the model's average"
        }
    )


class AnomalyDriverSchema(Schema):
    feature = fields.String()
    value = fields.Float()
    peer_median = fields.Float()
    robust_z = fields.Float(metadata={"description": "distance from peers in robust std units"})


class PercentilesSchema(Schema):
    department = fields.Float(
        allow_none=True, metadata={"description": "share of the department at or below, 0–100"}
    )
    job_title = fields.Float(
        allow_none=True, metadata={"description": "share of the job title at or below, 0–100"}
    )


class ExplanationSchema(Schema):
    score = fields.Nested(ScoreBreakdownSchema, allow_none=True)
    percentiles = fields.Nested(PercentilesSchema)
    tier_drivers = fields.List(fields.Nested(TierDriverSchema), allow_none=True)
    anomaly_drivers = fields.List(fields.Nested(AnomalyDriverSchema), allow_none=True)


class ReviewerSchema(Schema):
    role = fields.String()
    name = fields.String(metadata={"description": "the reviewing token's name"})


class ReviewSchema(Schema):
    decision = fields.String(validate=validate.OneOf(("confirm", "override")))
    tier = fields.String(
        allow_none=True,
        validate=validate.OneOf(TIERS),
        metadata={"description": "an override's tier; null for a confirm"},
    )
    reason = fields.String()
    reviewer = fields.Nested(ReviewerSchema)
    reviewed_at = fields.DateTime()
    run_id = fields.Integer(metadata={"description": "the run whose result was reviewed"})


class ContestSchema(Schema):
    reason = fields.String()
    by = fields.String(metadata={"description": "the contesting token's name"})
    contested_at = fields.DateTime()


class ResultSchema(Schema):
    employee_id = fields.String(required=True)
    run_id = fields.Integer(required=True)
    as_of = fields.Date(metadata={"description": "last monthly period the run covered"})
    department = fields.String()
    team = fields.String()
    job_title = fields.String()
    score = fields.Float(metadata={"description": "performance score, 0–100"})
    tier = fields.String(validate=validate.OneOf(TIERS), metadata={"description": "the model's"})
    final_tier = fields.String(
        validate=validate.OneOf(TIERS),
        metadata={
            "description": "the tier that counts: the newest override's tier in this run, "
            "else the model's (a confirm keeps it)"
        },
    )
    review = fields.Nested(
        ReviewSchema,
        allow_none=True,
        metadata={"description": "the newest confirm or override of this run; null if none"},
    )
    contested = fields.Boolean(metadata={"description": "the employee contested this result"})
    contest = fields.Nested(ContestSchema, allow_none=True)
    components = fields.Nested(ComponentsSchema)
    activity = fields.Nested(ActivitySchema)
    anomaly = fields.Nested(AnomalySchema)
    prediction = fields.Nested(PredictionSchema)
    flags = fields.List(
        fields.String(),
        metadata={
            "description": "data caveats, e.g. no_tasks, hours_imputed, kpi_imputed:<kpi_id>"
        },
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


# --- lists and history ------------------------------------------------------------------


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


# --- the trend across runs ----------------------------------------------------------------


class RunTrendPointSchema(Schema):
    run_id = fields.Integer()
    as_of = fields.Date()
    score = fields.Float()
    tier = fields.String(validate=validate.OneOf(TIERS))
    predicted_tier = fields.String(allow_none=True)


class EmployeeTrendSchema(Schema):
    employee_id = fields.String()
    run_id = fields.Integer()
    rule = fields.String()
    trend = fields.Nested(TrendSchema)
    runs = fields.List(fields.Nested(RunTrendPointSchema), metadata={"description": "oldest first"})


# --- skill gaps and recommended training ------------------------------------------------


class SkillGapSchema(Schema):
    skill = fields.String()
    required_level = fields.Integer()
    current_level = fields.Integer()
    gap = fields.Integer()
    importance = fields.Float()


class RecommendationSchema(Schema):
    rank = fields.Integer()
    program_id = fields.String()
    program_name = fields.String()
    skill = fields.String()
    gap = fields.Integer()
    levels_closed = fields.Integer()
    importance = fields.Float()
    duration_hours = fields.Float()
    skill_match_gain = fields.Float(
        metadata={"description": "rise of the role skill-match (0–1) if the program succeeds"}
    )
    expected_benefit = fields.Float(
        metadata={
            "description": "100 × skill_match_gain × (1 + P(Low next)) / "
            "(1 + duration_hours / length_scale_hours); the ranking key"
        }
    )


class EmployeeSkillsSchema(Schema):
    employee_id = fields.String()
    run_id = fields.Integer()
    gaps = fields.List(fields.Nested(SkillGapSchema))
    recommendations = fields.List(fields.Nested(RecommendationSchema))
