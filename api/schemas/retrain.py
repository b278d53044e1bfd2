"""Schema of a retrain request, as POST and GET /api/v1/models/retrain answer it."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from retraining import MODES

STATUSES = ("pending", "running", "succeeded", "failed")


class RetrainSchema(Schema):
    id = fields.String(
        required=True,
        metadata={"description": "the Job's name in Kubernetes; an opaque token otherwise"},
    )
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    mode = fields.String(validate=validate.OneOf(MODES))
    created_at = fields.String(metadata={"description": "ISO 8601"})
    started_at = fields.String(allow_none=True)
    finished_at = fields.String(allow_none=True)
    exit_code = fields.Integer(
        allow_none=True, metadata={"description": "the local worker's exit status"}
    )
    error = fields.String(allow_none=True, metadata={"description": "why it failed"})
