"""API tokens for admins: create (the secret is in the response, once), list, revoke."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api import audit
from api.db import get_db
from api.errors import ApiError
from api.schemas.common import ErrorResponseSchema
from api.schemas.tokens import (
    CreatedTokenSchema,
    TokenListSchema,
    TokenRequestSchema,
    TokenSchema,
)
from store import tokens

blp = Blueprint(
    "tokens",
    __name__,
    url_prefix="/api/v1/tokens",
    description="API tokens (admin only). Secrets are shown once, at creation.",
)


@blp.route("")
class TokenList(MethodView):
    @blp.response(200, TokenListSchema)
    def get(self):
        """Every token with its role, binding and dates; never a secret."""
        with get_db().connection() as conn:
            return {"data": tokens.listing(conn)}

    @blp.arguments(TokenRequestSchema)
    @blp.response(201, CreatedTokenSchema)
    @blp.alt_response(422, schema=ErrorResponseSchema, description="The token cannot be made.")
    def post(self, body: dict):
        """Create a token; the response holds its secret, which is not stored."""
        with get_db().transaction() as conn:
            try:
                row, secret = tokens.create(
                    conn,
                    body["role"],
                    employee_id=body.get("employee_id"),
                    name=body["name"],
                    expires_in_days=body.get("expires_in_days"),
                )
            except tokens.TokenError as exc:
                raise ApiError(422, str(exc)) from exc
            audit.record(
                conn,
                "token_create",
                row["token_id"],
                role=row["role"],
                employee_id=row["employee_id"],
                name=row["name"],
            )
        return {"token": row, "secret": secret}


@blp.route("/<string:token_id>")
class Token(MethodView):
    @blp.response(200, TokenSchema)
    @blp.alt_response(404, schema=ErrorResponseSchema, description="No such token.")
    def delete(self, token_id: str):
        """Revoke a token: it stops working at once (revoking twice changes nothing)."""
        with get_db().transaction() as conn:
            row = tokens.revoke(conn, token_id)
            if row is not None:
                audit.record(conn, "token_revoke", token_id, role=row["role"])
        if row is None:
            raise ApiError(404, f"no token {token_id!r}")
        return row
