"""Schema of the liveness and readiness probes."""

from __future__ import annotations

from marshmallow import Schema, fields


class HealthSchema(Schema):
    status = fields.String()
    run_id = fields.Integer(allow_none=True)
    reason = fields.String()
