"""Refuse what no view can take, before any view runs: NUL characters in the path, the
query string and JSON bodies; JSON nested too deep; bodies over the upload limit.

PostgreSQL text cannot hold NUL and psycopg2 refuses to send it as a parameter (a
ValueError, which would surface as a 500), so no identifier or filter can contain one:
a path naming one names nothing (404), a query parameter or JSON field carrying one is
invalid (422, naming the field). Ingest bodies are left to the ingest validation, which
reports them by row and column like every other bad cell.

Every JSON body is parsed here, once (the views and flask-smorest read the parsed copy):
one nested deeper than api.json_provider.MAX_DEPTH is a 400, one over EPA_MAX_UPLOAD_MB a
413 however it was sent (api.request_body). A body that is not JSON at all is left to
the view, which refuses it as it always has.
"""

from __future__ import annotations

from collections.abc import Iterator

from flask import Flask, request
from werkzeug.exceptions import BadRequest

from api.errors import error_response
from api.request_body import BoundedRequest, JsonNestedTooDeep

NUL = "\x00"
# JSON cannot carry a raw control character in a string, only its escape: a body without
# this escape holds no NUL, and the walk over every string of it (seconds for a batch of
# 100,000 records) is skipped. A false alarm (an escaped backslash before "u0000") costs
# only the walk.
_JSON_NUL = b"\\u0000"


def _nul_fields(value: object) -> Iterator[str]:
    """Dotted paths of the strings (and keys) in a parsed JSON value that contain NUL,
    depth first. Walked with a stack of its own: a body may be nested a thousand deep."""
    stack: list[tuple[tuple[str, ...], object]] = [((), value)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, str):
            if NUL in node:
                yield ".".join(path)
        elif isinstance(node, dict):
            children = []
            for key, item in node.items():
                clean = (*path, key.replace(NUL, ""))
                if NUL in key:
                    yield ".".join(clean)
                children.append((clean, item))
            stack.extend(reversed(children))
        elif isinstance(node, list):
            stack.extend(reversed([((*path, str(i)), item) for i, item in enumerate(node)]))


def _json_body() -> object:
    """The request's JSON body, parsed and cached for the view; None when there is none or
    it does not parse. Nested too deep, or too large, it is refused (400, 413)."""
    if not request.is_json:
        return None
    try:
        return request.get_json()
    except JsonNestedTooDeep:
        raise
    except BadRequest:
        return None


def init_app(app: Flask) -> None:
    app.request_class = BoundedRequest

    @app.before_request
    def _refuse_hostile():
        if NUL in request.path:
            return error_response(404, "not found")
        problems = [
            {"location": "query", "field": key.replace(NUL, ""), "reason": "contains NUL"}
            for key, value in request.args.items(multi=True)
            if NUL in key or NUL in value
        ]
        body = _json_body()
        ingest = (request.endpoint or "").startswith("ingest.")
        if not ingest and body is not None and _JSON_NUL in request.get_data(cache=True):
            problems += [
                {"location": "json", "field": field, "reason": "contains NUL"}
                for field in _nul_fields(body)
            ]
        if problems:
            return error_response(422, "the request is not valid", problems)
        return None
