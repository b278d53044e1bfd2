"""One JSON shape for every error, and never a stack trace in a response:

    {"status": "error", "code": 422, "message": "...", "problems": [{"row": 3,
     "column": "tasks_completed", "reason": "..."}], "problems_total": 1}

`problems` is present when there is something to point at: a row and column of a batch,
or a field of the query string or body (`location` and `field`). It lists at most
store.validation.MAX_PROBLEMS of them, and `problems_total` says how many there were. No
string of an error quotes more than store.validation.ECHO_LIMIT characters: a 10 kB column
name or field name is cut, with an ellipsis, here, whichever part of the app echoed it.
"""

from __future__ import annotations

import logging

import psycopg2
from flask import Flask, g, jsonify, request
from werkzeug.exceptions import HTTPException

from store.db import PoolTimeout
from store.validation import MAX_PROBLEMS, ValidationFailed, clip

log = logging.getLogger("epa.api")

RETRY_AFTER_SECONDS = 5


class ApiError(Exception):
    def __init__(
        self,
        code: int,
        message: str,
        problems: list[dict] | None = None,
        *,
        problems_total: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code, self.message, self.problems = code, message, problems
        self.problems_total = problems_total


def error_response(
    code: int,
    message: str,
    problems: list[dict] | None = None,
    *,
    problems_total: int | None = None,
):
    """The error JSON; `problems_total` when more problems were found than are given."""
    body: dict = {"status": "error", "code": code, "message": clip(message)}
    if problems is not None:
        body["problems"] = [
            {key: clip(value) if isinstance(value, str) else value for key, value in p.items()}
            for p in problems[:MAX_PROBLEMS]
        ]
        body["problems_total"] = max(problems_total or 0, len(problems))
    return jsonify(body), code


def _flatten_webargs(messages: dict) -> list[dict]:
    """webargs/marshmallow nest errors as {location: {field: [reasons]}}; flatten them."""
    problems = []

    def walk(location: str, path: list[str], node) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(location, [*path, str(key)], value)
        else:
            for reason in node if isinstance(node, list) else [node]:
                problems.append({"location": location, "field": ".".join(path), "reason": reason})

    for location, fields in messages.items():
        walk(location, [], fields)
    return problems


def handle_http_exception(exc: HTTPException):
    messages = (getattr(exc, "data", None) or {}).get("messages")
    if exc.code == 422 and messages:
        return error_response(422, "the request is not valid", _flatten_webargs(messages))
    return error_response(exc.code or 500, exc.description or exc.name)


def _log_failure(level: int, what: str, exc: BaseException) -> None:
    """Log a failed request by names only (exception class, route, request id): never the
    exception's message or traceback, which can quote values such as an employee's id."""
    context = {
        "error": type(exc).__name__,
        "method": request.method,
        "endpoint": request.url_rule.rule if request.url_rule is not None else None,
        "request_id": getattr(g, "request_id", None),
    }
    log.log(level, "%s: %s in %s %s (request %s)", what, *context.values(), extra=context)


def register(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return error_response(
            exc.code, exc.message, exc.problems, problems_total=exc.problems_total
        )

    @app.errorhandler(ValidationFailed)
    def _validation_failed(exc: ValidationFailed):
        message = f"{exc.total} problem(s) found; nothing was written"
        problems = [p.to_dict() for p in exc.problems]
        return error_response(422, message, problems, problems_total=exc.total)

    @app.errorhandler(PoolTimeout)
    @app.errorhandler(psycopg2.OperationalError)
    # A connection the server closed under us ("connection already closed").
    @app.errorhandler(psycopg2.InterfaceError)
    def _database_unavailable(exc: Exception):
        _log_failure(logging.WARNING, "database unavailable", exc)
        response, code = error_response(503, "the database is unavailable; retry shortly")
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response, code

    @app.errorhandler(psycopg2.DataError)
    def _unrepresentable(exc: psycopg2.DataError):
        # SQLSTATE class 22: a value that passed the schema but that PostgreSQL cannot hold
        # or compare (a NUL character, a float4 underflow, a time zone offset past ±15:59).
        # The input is at fault, so 422; the server's message quotes the value, so not sent.
        _log_failure(logging.INFO, "value refused by the store", exc)
        return error_response(
            422,
            "a value in the request cannot be stored or compared (out of range, or "
            "characters the store cannot hold)",
        )

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return handle_http_exception(exc)
        _log_failure(logging.ERROR, "unhandled error", exc)
        return error_response(500, "internal error")
