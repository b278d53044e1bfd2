"""Schemas of the HR insight endpoints: explanations and trends of a result, skill gaps
and training, team composition and proposals, department trends."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from analytics.config import TIER_NAMES as TIERS

TRENDS = ("improving", "stable", "declining")
TREND_RULE = (
    "score change = the window-0 score minus the score of the earliest window available "
    "(two, else one month earlier); improving when >= the run's trend_threshold points, "
    "declining when <= -trend_threshold, stable otherwise; null without an earlier window"
)


# --- explanations and trends of one result ------------------------------------------


class ScorePointSchema(Schema):
    component = fields.String(metadata={"description": "completion, efficiency or throughput"})
    value = fields.Float(metadata={"description": "the component, 0–1"})
    weight = fields.Float()
    points = fields.Float(metadata={"description": "score points this component contributes"})


class ScoreBreakdownSchema(Schema):
    components = fields.List(fields.Nested(ScorePointSchema))
    baseline = fields.Float(
        metadata={"description": "points of the rescaling to 0–100; baseline + points = score"}
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


class TrajectoryPointSchema(Schema):
    window = fields.Integer(metadata={"description": "0 = the run's last period"})
    period_end = fields.Date()
    score = fields.Float(allow_none=True)
    tier = fields.String(allow_none=True, validate=validate.OneOf(TIERS))


class TrendSchema(Schema):
    direction = fields.String(
        allow_none=True, validate=validate.OneOf(TRENDS), metadata={"description": TREND_RULE}
    )
    score_change = fields.Float(allow_none=True)
    trajectory = fields.List(fields.Nested(TrajectoryPointSchema))


class ExplanationSchema(Schema):
    score = fields.Nested(ScoreBreakdownSchema, allow_none=True)
    percentiles = fields.Nested(PercentilesSchema)
    tier_drivers = fields.List(fields.Nested(TierDriverSchema), allow_none=True)
    anomaly_drivers = fields.List(fields.Nested(AnomalyDriverSchema), allow_none=True)


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


# --- skill gaps and training ----------------------------------------------------------


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


class DemandArgsSchema(Schema):
    level = fields.String(
        validate=validate.OneOf(("department", "team")),
        metadata={"description": "department (the default for HR) or team (for managers)"},
    )
    department = fields.String()
    team = fields.String()
    after = fields.String(metadata={"description": "the previous page's next_after"})
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))


class DemandSchema(Schema):
    level = fields.String()
    department = fields.String()
    team = fields.String(allow_none=True)
    skill = fields.String()
    employees_with_gap = fields.Integer()
    total_gap_levels = fields.Integer()
    program_id = fields.String(allow_none=True)
    program_name = fields.String(allow_none=True)
    training_hours = fields.Float(allow_none=True)


class DemandListSchema(Schema):
    run_id = fields.Integer()
    data = fields.List(fields.Nested(DemandSchema))
    next_after = fields.String(
        allow_none=True,
        metadata={"description": "pass as `after` for the next page; null on the last page"},
    )


class EffectivenessArgsSchema(Schema):
    program_id = fields.String()


class EffectSchema(Schema):
    metric = fields.String(validate=validate.OneOf(("score", "completion_rate")))
    participants = fields.Integer(metadata={"description": "completions measured"})
    comparison_employees = fields.Integer(
        metadata={"description": "comparable non-participants behind the comparison"}
    )
    participants_before = fields.Float(allow_none=True)
    participants_after = fields.Float(allow_none=True)
    comparison_before = fields.Float(allow_none=True)
    comparison_after = fields.Float(allow_none=True)
    effect = fields.Float(
        allow_none=True,
        metadata={"description": "participants' change minus comparable employees' change"},
    )
    ci_low = fields.Float(allow_none=True)
    ci_high = fields.Float(allow_none=True)


class ProgramEffectSchema(Schema):
    program_id = fields.String()
    program_name = fields.String()
    skill = fields.String()
    effects = fields.List(fields.Nested(EffectSchema))


class EffectivenessListSchema(Schema):
    run_id = fields.Integer()
    effect_months = fields.Integer()
    data = fields.List(fields.Nested(ProgramEffectSchema))


# --- teams ----------------------------------------------------------------------------


class TeamArgsSchema(Schema):
    department = fields.String()
    after = fields.String(metadata={"description": "team after which the page starts"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class TeamSchema(Schema):
    team = fields.String()
    department = fields.String()
    members = fields.Integer()
    tiers = fields.Dict(keys=fields.String(), values=fields.Integer())
    average_score = fields.Float()
    skills = fields.Dict(
        metadata={"description": "required, covered, coverage (0–1) and missing skills"}
    )
    workload = fields.Dict(
        metadata={
            "description": "average (1.0 = the department's median task load) and cv "
            "(std / mean across members; 0 = perfectly even)"
        }
    )
    trend = fields.Nested(TrendSchema)


class TeamPageSchema(Schema):
    run_id = fields.Integer()
    data = fields.List(fields.Nested(TeamSchema))
    next_after = fields.String(allow_none=True)


class SuggestionSchema(Schema):
    department = fields.String()
    rank = fields.Integer(metadata={"description": "suggestions apply in rank order"})
    kind = fields.String(validate=validate.OneOf(("move", "swap")))
    employee_id = fields.String()
    from_team = fields.String()
    to_team = fields.String()
    other_employee_id = fields.String(
        allow_none=True, metadata={"description": "for a swap: who goes the other way"}
    )
    imbalance_before = fields.Float()
    imbalance_after = fields.Float()
    improvement = fields.Float()
    details = fields.Dict()


class TeamRunPointSchema(Schema):
    run_id = fields.Integer()
    as_of = fields.Date()
    members = fields.Integer()
    average_score = fields.Float()
    tiers = fields.Dict(keys=fields.String(), values=fields.Integer())
    skill_coverage = fields.Float()


class TeamDetailSchema(Schema):
    run_id = fields.Integer()
    team = fields.Nested(TeamSchema)
    runs = fields.List(fields.Nested(TeamRunPointSchema), metadata={"description": "oldest first"})
    training_demand = fields.List(fields.Nested(DemandSchema))
    suggestions = fields.List(fields.Nested(SuggestionSchema))


class SuggestionListSchema(Schema):
    run_id = fields.Integer()
    department = fields.String()
    data = fields.List(fields.Nested(SuggestionSchema))


class MoveSchema(Schema):
    employee_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    to_team = fields.String(required=True, validate=validate.Length(min=1, max=100))


class ProposalSchema(Schema):
    moves = fields.List(
        fields.Nested(MoveSchema), required=True, validate=validate.Length(min=1, max=200)
    )


class EvaluationSchema(Schema):
    run_id = fields.Integer()
    departments = fields.List(
        fields.Dict(),
        metadata={"description": "imbalance components before and after, and the improvement"},
    )
    teams = fields.List(fields.Dict(), metadata={"description": "affected teams before and after"})


# --- departments -----------------------------------------------------------------------


class DepartmentWindowSchema(Schema):
    window = fields.Integer()
    period_end = fields.Date()
    employees = fields.Integer()
    average_score = fields.Float()
    tiers = fields.Dict(keys=fields.String(), values=fields.Integer())


class DepartmentRunPointSchema(Schema):
    run_id = fields.Integer()
    as_of = fields.Date()
    employees = fields.Integer()
    average_score = fields.Float()
    tiers = fields.Dict(keys=fields.String(), values=fields.Integer())


class DepartmentTrendSchema(Schema):
    department = fields.String()
    run_id = fields.Integer()
    rule = fields.String()
    direction = fields.String(allow_none=True, validate=validate.OneOf(TRENDS))
    score_change = fields.Float(allow_none=True)
    windows = fields.List(
        fields.Nested(DepartmentWindowSchema), metadata={"description": "oldest first"}
    )
    runs = fields.List(
        fields.Nested(DepartmentRunPointSchema), metadata={"description": "oldest first"}
    )


class ReportArgsSchema(Schema):
    section = fields.String(
        load_default="employees",
        validate=validate.OneOf(
            ("employees", "teams", "training-demand", "training-effectiveness", "suggestions")
        ),
        metadata={"description": "which table of the department report the CSV holds"},
    )
