"""Schemas every resource shares: the one error shape, and the trend of a score over the
run's windows (of an employee, a team or a department)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from analytics.config import TIER_NAMES as TIERS

TRENDS = ("improving", "stable", "declining")
TREND_RULE = (
    "score change = the window-0 score minus the score of the earliest window available "
    "(two, else one month earlier); improving when >= the run's trend_threshold points, "
    "declining when <= -trend_threshold, stable otherwise; null without an earlier window"
)


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
    problems_total = fields.Integer(
        metadata={"description": "how many problems were found; at most 1,000 are listed"}
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
