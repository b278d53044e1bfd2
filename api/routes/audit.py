"""The audit log for admins: who read, ingested, retrained, or managed tokens, and when."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api import pagination
from api.db import get_db
from api.schemas.audit import AuditArgsSchema, AuditPageSchema
from store import audit

blp = Blueprint(
    "audit",
    __name__,
    url_prefix="/api/v1/audit",
    description="The append-only audit log (admin only), newest first.",
)


@blp.route("")
class AuditLog(MethodView):
    @blp.arguments(AuditArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, AuditPageSchema, headers=pagination.NEXT_LINK_HEADER)
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
        return pagination.page(
            {"data": rows}, "before", rows[-1]["id"] if len(rows) == limit else None
        )
