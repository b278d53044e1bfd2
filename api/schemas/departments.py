"""Schemas of the departments resource: summaries, trends, team suggestions and the
department report."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.schemas.common import TRENDS
from api.schemas.teams import SuggestionSchema


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


class SuggestionListSchema(Schema):
    run_id = fields.Integer()
    department = fields.String()
    data = fields.List(fields.Nested(SuggestionSchema))


class ReportArgsSchema(Schema):
    section = fields.String(
        load_default="employees",
        validate=validate.OneOf(
            ("employees", "teams", "training-demand", "training-effectiveness", "suggestions")
        ),
        metadata={"description": "which table of the department report the CSV holds"},
    )
