"""Schemas of the KPI definitions and of a KPI's removal."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from store.datasets import AGGREGATIONS, HIGHER_IS_BETTER, LOWER_IS_BETTER

DIRECTIONS = (HIGHER_IS_BETTER, LOWER_IS_BETTER)


class KpiSchema(Schema):
    kpi_id = fields.String(required=True)
    name = fields.String(required=True)
    unit = fields.String(required=True)
    direction = fields.String(required=True, validate=validate.OneOf(DIRECTIONS))
    aggregation = fields.String(
        required=True,
        validate=validate.OneOf(AGGREGATIONS),
        metadata={"description": "how the monthly values of a scoring window combine"},
    )
    description = fields.String(allow_none=True)
    builtin = fields.Boolean(
        required=True,
        metadata={"description": "a task measure, computed from task records; not removable"},
    )
    scorecards = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "job titles whose scorecards weigh this KPI"},
    )


class KpiListSchema(Schema):
    data = fields.List(fields.Nested(KpiSchema), required=True)


class RemovedKpiSchema(Schema):
    kpi_id = fields.String(required=True)
    values_deleted = fields.Integer(
        required=True, metadata={"description": "monthly values of the KPI removed with it"}
    )
