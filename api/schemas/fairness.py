"""Schemas of a run's fairness audit (/models/{run_id}/fairness)."""

from __future__ import annotations

from marshmallow import Schema, fields

_SHARE = "share of the group's scored people (0-1); null when suppressed"


class FairnessGroupSchema(Schema):
    attribute = fields.String(metadata={"description": "the protected attribute (age_band)"})
    group = fields.String(metadata={"description": "the group within it (50+)"})
    suppressed = fields.Boolean(
        metadata={
            "description": "true for a group under the minimum group size, or hidden with "
            "one so that no group can be recovered by subtraction: it has no figures"
        }
    )
    employees = fields.Integer(
        allow_none=True, metadata={"description": "the group's people scored by the run"}
    )
    high_share = fields.Float(allow_none=True, metadata={"description": f"High tier: {_SHARE}"})
    low_share = fields.Float(allow_none=True, metadata={"description": f"Low tier: {_SHARE}"})
    anomaly_share = fields.Float(
        allow_none=True, metadata={"description": f"flagged as anomalies: {_SHARE}"}
    )
    predicted_low_share = fields.Float(
        allow_none=True,
        metadata={
            "description": "predicted Low next period, over the group's people with a "
            "prediction; null when suppressed or when the run has no predictor"
        },
    )
    impact_ratio = fields.Float(
        allow_none=True,
        metadata={
            "description": "the group's High share over the highest High share among the "
            "attribute's reported groups; null when suppressed or when nobody reported is High"
        },
    )
    adverse_impact = fields.Boolean(
        allow_none=True,
        metadata={"description": "true exactly when impact_ratio < 0.8 (the four-fifths rule)"},
    )
    p_value = fields.Float(
        allow_none=True,
        metadata={
            "description": "of the difference in High share against the rest of the "
            "attribute's reported people (see `test`); null when suppressed or when the group "
            "is the attribute's only reported one"
        },
    )


class FairnessAuditSchema(Schema):
    run_id = fields.Integer()
    min_group_size = fields.Integer(
        allow_none=True,
        metadata={
            "description": "groups smaller than this were suppressed (reporting.settings at "
            "the run); null for a run made before runs were audited"
        },
    )
    test = fields.String(
        allow_none=True, metadata={"description": "the test that gives each p_value"}
    )
    data = fields.List(fields.Nested(FairnessGroupSchema))
