"""The audit log for admins: who read, ingested, retrained, or managed tokens, and when."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.db import get_db
from store import audit

blp = Blueprint(
    "audit",
    __name__,
    url_prefix="/api/v1/audit",
    description="The append-only audit log (admin only), newest first.",
)


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


@blp.route("")
class AuditLog(MethodView):
    @blp.arguments(AuditArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, AuditPageSchema)
    def get(self, limit: int, **filters):
        """Audit records, filtered by time range, action and token (keyset pagination)."""
        with get_db().connection() as conn:
            rows = audit.page(
                conn,
                since=filters.get("since"),
                until=filters.get("until"),
                action=filters.get("action"),
                token_id=filters.get("token_id"),
                before=filters.get("before"),
                limit=limit,
            )
        return {"data": rows, "next_before": rows[-1]["id"] if len(rows) == limit else None}
