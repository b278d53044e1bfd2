"""Schemas of API tokens: a token's record, a creation request and its one-time secret."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from store import tokens


class TokenSchema(Schema):
    token_id = fields.String(required=True)
    name = fields.String()
    role = fields.String(required=True, validate=validate.OneOf(tokens.ROLES))
    employee_id = fields.String(allow_none=True)
    created_at = fields.DateTime()
    expires_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)
    last_used_at = fields.DateTime(allow_none=True)


class TokenListSchema(Schema):
    data = fields.List(fields.Nested(TokenSchema))


class TokenRequestSchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf(tokens.ROLES))
    employee_id = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "required for manager and employee tokens, else absent"},
    )
    name = fields.String(load_default="", validate=validate.Length(max=200))
    expires_in_days = fields.Integer(
        allow_none=True, validate=validate.Range(min=1, max=3650), metadata={"description": "never"}
    )


class CreatedTokenSchema(Schema):
    token = fields.Nested(TokenSchema, required=True)
    secret = fields.String(
        required=True, metadata={"description": "the bearer value; it is not shown again"}
    )
