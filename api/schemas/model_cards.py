"""Schemas of a run's model card (/models/{run_id}/card)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.schemas.fairness import FairnessAuditSchema


class CardArgsSchema(Schema):
    format = fields.String(
        validate=validate.OneOf(("json", "html")),
        metadata={"description": "json (the default) or html, a printable page"},
    )


class CardDataSchema(Schema):
    as_of = fields.Date(allow_none=True, metadata={"description": "last month of the window"})
    window_days = fields.Integer(allow_none=True)
    rows_read = fields.Integer(allow_none=True, metadata={"description": "task records read"})
    rows_after_as_of = fields.Integer(
        allow_none=True, metadata={"description": "task records after as_of, ignored"}
    )
    employees_scored = fields.Integer(allow_none=True)
    rows_per_window = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "people per window (0 the newest)"},
    )


class CardFeatureSchema(Schema):
    feature = fields.String()
    importance = fields.Float(allow_none=True)


class CardFeaturesSchema(Schema):
    predictor = fields.List(
        fields.Nested(CardFeatureSchema),
        metadata={"description": "the next-tier predictor's features, most important first"},
    )
    protected_attributes = fields.String(
        metadata={"description": "that protected attributes are never model features"}
    )


class CardConfusionSchema(Schema):
    labels = fields.List(fields.String())
    matrix = fields.List(
        fields.List(fields.Integer()),
        metadata={"description": "rows the realised tiers, columns the predicted ones"},
    )


class CardBacktestSchema(Schema):
    previous_run_id = fields.Integer()
    employees = fields.Integer(metadata={"description": "people in both runs"})
    accuracy = fields.Float()
    macro_f1 = fields.Float()
    brier = fields.Float(metadata={"description": "multi-class Brier score (0 best, 2 worst)"})
    confusion = fields.Nested(CardConfusionSchema)


class CardPerformanceSchema(Schema):
    predictor_status = fields.String(
        allow_none=True, metadata={"description": "trained or skipped"}
    )
    predictor_reason = fields.String(allow_none=True, metadata={"description": "why skipped"})
    cv_f1_macro = fields.Float(allow_none=True)
    holdout_f1_macro = fields.Float(allow_none=True)
    n_train = fields.Integer(allow_none=True)
    n_holdout = fields.Integer(allow_none=True)
    backtest = fields.Nested(
        CardBacktestSchema,
        allow_none=True,
        metadata={"description": "null for a first run or when nobody is in both runs"},
    )


class CardFairnessSchema(FairnessAuditSchema):
    note = fields.String()


class ModelCardSchema(Schema):
    run_id = fields.Integer()
    status = fields.String()
    is_current = fields.Boolean()
    finished_at = fields.DateTime(allow_none=True)
    intended_use = fields.String()
    data = fields.Nested(CardDataSchema)
    features = fields.Nested(CardFeaturesSchema)
    scorecards = fields.List(
        fields.Dict(),
        metadata={"description": "per scorecard the run used: KPIs and weights, people, tiers"},
    )
    performance = fields.Nested(CardPerformanceSchema)
    fairness = fields.Nested(CardFairnessSchema)
    limitations = fields.List(fields.String())
