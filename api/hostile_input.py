"""Refuse NUL characters in the path and the query string before any view runs.

PostgreSQL text cannot hold NUL and psycopg2 refuses to send it as a parameter (a
ValueError, which would surface as a 500), so no identifier or filter can contain one:
a path naming one names nothing (404), a query parameter carrying one is invalid (422).
Bodies are checked where they are parsed: marshmallow schemas and the ingest validation.
"""

from __future__ import annotations

from flask import Flask, request

from api.errors import error_response

NUL = "\x00"


def init_app(app: Flask) -> None:
    @app.before_request
    def _refuse_nul():
        if NUL in request.path:
            return error_response(404, "not found")
        problems = [
            {"location": "query", "field": key.replace(NUL, ""), "reason": "contains NUL"}
            for key, value in request.args.items(multi=True)
            if NUL in key or NUL in value
        ]
        if problems:
            return error_response(422, "the request is not valid", problems)
        return None
