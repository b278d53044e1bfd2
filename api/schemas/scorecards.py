"""Schemas of the scorecards: which KPIs with which weights score each job title, the
default scorecard and whom it scores, and a scorecard's removal."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.schemas.kpis import DIRECTIONS


class ScorecardKpiSchema(Schema):
    kpi_id = fields.String(required=True)
    name = fields.String(required=True)
    unit = fields.String(required=True)
    direction = fields.String(required=True, validate=validate.OneOf(DIRECTIONS))
    builtin = fields.Boolean(required=True)
    weight = fields.Float(
        required=True, metadata={"description": "above 0 (the default scorecard's may be 0)"}
    )


class ScorecardSchema(Schema):
    job_title = fields.String(required=True)
    kpis = fields.List(
        fields.Nested(ScorecardKpiSchema),
        required=True,
        metadata={"description": "in the order results list them (kpi_id)"},
    )


class DefaultScorecardSchema(Schema):
    kpis = fields.List(
        fields.Nested(ScorecardKpiSchema),
        required=True,
        metadata={"description": "the built-in task measures with their weights"},
    )
    weights_from_run = fields.Integer(
        allow_none=True,
        metadata={
            "description": "the run whose settings the weights are (the current one); "
            "null before the first run: the default settings"
        },
    )
    job_titles = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "job titles of stored employees without a scorecard"},
    )


class ScorecardListSchema(Schema):
    data = fields.List(
        fields.Nested(ScorecardSchema),
        required=True,
        metadata={"description": "job titles with a scorecard of their own"},
    )
    default = fields.Nested(DefaultScorecardSchema, required=True)


class RemovedScorecardSchema(Schema):
    job_title = fields.String(required=True)
    kpis_removed = fields.Integer(
        required=True, metadata={"description": "KPIs the scorecard weighed"}
    )
