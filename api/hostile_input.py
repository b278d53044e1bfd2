"""Refuse NUL characters in the path, the query string and JSON bodies before any view runs.

PostgreSQL text cannot hold NUL and psycopg2 refuses to send it as a parameter (a
ValueError, which would surface as a 500), so no identifier or filter can contain one:
a path naming one names nothing (404), a query parameter or JSON field carrying one is
invalid (422, naming the field). Ingest bodies are left to the ingest validation, which
reports them by row and column like every other bad cell.
"""

from __future__ import annotations

from collections.abc import Iterator

from flask import Flask, request

from api.errors import error_response

NUL = "\x00"


def _nul_fields(value: object, path: tuple[str, ...] = ()) -> Iterator[str]:
    """Dotted paths of the strings (and keys) in a parsed JSON value that contain NUL."""
    if isinstance(value, str):
        if NUL in value:
            yield ".".join(path)
    elif isinstance(value, dict):
        for key, item in value.items():
            if NUL in key:
                yield ".".join((*path, key.replace(NUL, "")))
            yield from _nul_fields(item, (*path, key.replace(NUL, "")))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_fields(item, (*path, str(index)))


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
        if request.is_json and not (request.endpoint or "").startswith("ingest."):
            problems += [
                {"location": "json", "field": field, "reason": "contains NUL"}
                for field in _nul_fields(request.get_json(silent=True))
            ]
        if problems:
            return error_response(422, "the request is not valid", problems)
        return None
