"""Schemas of model runs (/models): their summaries, metrics and parameters."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

RUN_STATUSES = ("running", "succeeded", "held", "failed", "superseded")


class StatusReasonSchema(Schema):
    check = fields.String(
        metadata={
            "description": "what was compared (rows_read, employees_scored, ...), or promoted"
        }
    )
    current = fields.Raw(
        allow_none=True, metadata={"description": "this run's value (promoted: its run_id)"}
    )
    previous = fields.Raw(
        allow_none=True,
        metadata={"description": "the then current run's value (promoted: its run_id)"},
    )
    limit = fields.Float(allow_none=True)
    message = fields.String(metadata={"description": "why, in words; promoted: the reason"})


class RunSummarySchema(Schema):
    run_id = fields.Integer()
    status = fields.String(
        validate=validate.OneOf(RUN_STATUSES),
        metadata={
            "description": "running; succeeded (the current run or one made current); held "
            "(finished, but kept from publication: see status_reasons); failed; superseded "
            "(succeeded, no longer current)"
        },
    )
    status_reasons = fields.List(
        fields.Nested(StatusReasonSchema),
        metadata={"description": "why the run was held, and why it was promoted"},
    )
    is_current = fields.Boolean()
    as_of = fields.Date(allow_none=True)
    started_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    duration_seconds = fields.Float(allow_none=True)
    rows_read = fields.Integer(allow_none=True)
    employees_scored = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)


class RunSchema(RunSummarySchema):
    params = fields.Dict(metadata={"description": "window and model settings of the run"})
    metrics = fields.Dict(
        metadata={
            "description": "tier counts and centroids, anomaly ratio, predictor F1 and "
            "feature importances, score drift against the previous run, and `backtest`: the "
            "previous run's next-tier predictions held against this run's tiers for the "
            "people in both ({previous_run_id, employees, accuracy, macro_f1, brier, "
            "confusion: {labels, matrix}}, rows realised and columns predicted tiers); null "
            "for the first run or when nobody is in both. A manager gets the model's quality "
            "only (drift_psi, the predictor's F1 and feature importances, the back-test's "
            "accuracy and F1): figures of the whole organisation minus their own people's "
            "would describe everyone else"
        }
    )
    timings = fields.Dict(keys=fields.String(), values=fields.Float())


class RunPageSchema(Schema):
    data = fields.List(fields.Nested(RunSummarySchema))
    next_before = fields.Integer(allow_none=True)


class RunListArgsSchema(Schema):
    before = fields.Integer(metadata={"description": "run_id before which the page starts"})
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class PromoteSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
