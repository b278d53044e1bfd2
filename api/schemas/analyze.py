"""Schemas of the stateless analysis: posted task records and their scores."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from analytics.config import TIER_NAMES as TIERS


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
