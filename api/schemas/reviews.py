"""Schemas of human reviews: the body of a review and the review recorded, the review
queue, and a department's calibration grid (the 9-box)."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from analytics.config import TIER_NAMES as TIERS
from api.schemas.employees import ContestSchema, ReviewSchema
from store.queries.reviews import QUEUE_REASONS, QUEUE_STATUSES

DECISIONS = ("confirm", "override", "contest")
REASON_MAX = 2000


class ReviewRequestSchema(Schema):
    decision = fields.String(
        required=True,
        validate=validate.OneOf(DECISIONS),
        metadata={
            "description": "confirm or override (admin, hr, the person's manager); contest "
            "(the employee, on their own result)"
        },
    )
    tier = fields.String(
        allow_none=True,
        validate=validate.OneOf(TIERS),
        metadata={"description": "required for an override, refused otherwise"},
    )
    reason = fields.String(
        required=True,
        validate=validate.Length(max=REASON_MAX),
        metadata={"description": "why; required, not blank"},
    )
    run_id = fields.Integer(
        metadata={"description": "the run reviewed; must be the current run (the default)"}
    )

    @validates("reason")
    def _reason_not_blank(self, value: str, **_) -> None:
        if not value.strip():
            raise ValidationError("a reason is required and may not be blank")

    @validates_schema
    def _tier_with_override_only(self, data: dict, **_) -> None:
        decision, tier = data.get("decision"), data.get("tier")
        if decision == "override" and tier is None:
            raise ValidationError("an override needs the tier it decides on", "tier")
        if decision in ("confirm", "contest") and tier is not None:
            raise ValidationError(f"a {decision} takes no tier (only an override does)", "tier")


class ReviewCreatedSchema(ReviewSchema):
    review_id = fields.Integer()
    employee_id = fields.String()
    decision = fields.String(validate=validate.OneOf(DECISIONS))
    model_tier = fields.String(validate=validate.OneOf(TIERS))
    final_tier = fields.String(
        validate=validate.OneOf(TIERS), metadata={"description": "after this review"}
    )


class QueueArgsSchema(Schema):
    status = fields.String(
        load_default="pending",
        validate=validate.OneOf(QUEUE_STATUSES),
        metadata={"description": "pending: no confirm or override yet in the current run"},
    )
    after = fields.String(metadata={"description": "employee_id after which the page starts"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class QueueRowSchema(Schema):
    employee_id = fields.String()
    name = fields.String(allow_none=True)
    run_id = fields.Integer()
    department = fields.String()
    team = fields.String()
    job_title = fields.String()
    score = fields.Float()
    tier = fields.String(metadata={"description": "the model's"})
    final_tier = fields.String()
    previous_tier = fields.String(
        allow_none=True, metadata={"description": "final tier in the previous succeeded run"}
    )
    predicted_tier = fields.String(allow_none=True)
    is_anomaly = fields.Boolean()
    trend = fields.String(allow_none=True)
    reasons = fields.List(
        fields.String(validate=validate.OneOf(QUEUE_REASONS)),
        metadata={"description": "why the person is in the queue, in queue order"},
    )
    review = fields.Nested(ReviewSchema, allow_none=True)
    contested = fields.Boolean()
    contest = fields.Nested(ContestSchema, allow_none=True)


class QueuePageSchema(Schema):
    run_id = fields.Integer()
    status = fields.String()
    data = fields.List(fields.Nested(QueueRowSchema))
    next_after = fields.String(
        allow_none=True,
        metadata={"description": "pass as `after` for the next page; null on the last page"},
    )


class CalibrationPersonSchema(Schema):
    employee_id = fields.String()
    name = fields.String(allow_none=True)
    score = fields.Float()
    tier = fields.String(metadata={"description": "the model's"})
    final_tier = fields.String()
    predicted_tier = fields.String(allow_none=True)
    overridden = fields.Boolean()


class CalibrationCellSchema(Schema):
    final_tier = fields.String()
    predicted_tier = fields.String()
    employees = fields.Integer()
    people = fields.List(fields.Nested(CalibrationPersonSchema))


class UnpredictedSchema(Schema):
    employees = fields.Integer()
    people = fields.List(fields.Nested(CalibrationPersonSchema))


class CalibrationSchema(Schema):
    department = fields.String()
    run_id = fields.Integer()
    rows = fields.List(
        fields.String(), metadata={"description": "final tiers, High to Low (grid rows)"}
    )
    columns = fields.List(
        fields.String(), metadata={"description": "predicted next tiers (grid columns)"}
    )
    grid = fields.List(
        fields.List(fields.Nested(CalibrationCellSchema)),
        metadata={"description": "grid[row][column]"},
    )
    employees = fields.Integer(
        metadata={"description": "everyone counted, with a prediction or not"}
    )
    without_prediction = fields.Nested(
        UnpredictedSchema,
        metadata={"description": "people with no predicted next tier, outside the grid"},
    )
    overrides = fields.Integer(metadata={"description": "overrides applied to the final tiers"})
    totals = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=fields.Integer()),
        metadata={"description": "per final tier and per predicted tier, of the grid"},
    )
