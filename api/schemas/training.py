"""Schemas of the training resource: demand per department and team, and measured
effectiveness per program."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


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
