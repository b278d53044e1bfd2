"""Schemas of the audit log: its filters and its records."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class AuditArgsSchema(Schema):
    since = fields.DateTime(metadata={"description": "records at or after (ISO 8601)"})
    until = fields.DateTime(metadata={"description": "records before (ISO 8601)"})
    action = fields.String(validate=validate.Length(min=1, max=64))
    token_id = fields.String(validate=validate.Length(min=1, max=64))
    before = fields.Integer(
        validate=validate.Range(min=1), metadata={"description": "id before which the page starts"}
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class AuditRecordSchema(Schema):
    id = fields.Integer(required=True)
    at = fields.DateTime(required=True)
    request_id = fields.String(allow_none=True)
    token_id = fields.String(allow_none=True, metadata={"description": "null for the CLI"})
    role = fields.String(allow_none=True)
    action = fields.String(required=True)
    target = fields.String(allow_none=True)
    details = fields.Dict()


class AuditPageSchema(Schema):
    data = fields.List(fields.Nested(AuditRecordSchema))
    next_before = fields.Integer(
        allow_none=True,
        metadata={"description": "pass as `before` for the next page; null on the last page"},
    )
