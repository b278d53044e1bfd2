"""Schemas of the teams resource: composition, history, suggested moves and swaps, and the
what-if evaluation of a proposed composition (the compositions blueprint)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.schemas.common import TrendSchema
from api.schemas.training import DemandSchema


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


# --- what-if compositions ---------------------------------------------------------------


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
