"""The app's JSON, through orjson: faster than the standard library, and bounded in depth.

The standard library's parser recurses once per level of nesting, so `[` × 100,000 in a
body raised RecursionError (a 500) wherever a body was parsed. orjson refuses anything
nested deeper than MAX_DEPTH levels; that refusal is raised as NestedTooDeep, which
api.hostile_input answers with a 400 before any view runs.

Responses are what Flask's own provider wrote, byte for byte where it matters: dates and
datetimes as HTTP dates, Decimal and UUID as strings, dataclasses as dicts, numpy's
float64 as a float (other numpy scalars are refused, as before), keys in insertion order
unless `sort_keys`, compact unless in debug mode, and a trailing newline. Two differences:
non-ASCII characters are sent as UTF-8 rather than \\u escapes, and NaN as null (the
standard library wrote NaN, which is not JSON). What orjson cannot write (integers past 64
bits, lone surrogates, nesting past its own limit) is written by the standard library, as
before.
"""

from __future__ import annotations

import dataclasses
import decimal
import json
import uuid
from datetime import date
from typing import Any

import orjson
from flask import Flask, current_app
from flask.json.provider import JSONProvider
from flask_smorest import Blueprint
from webargs import core
from webargs.flaskparser import is_json_request
from werkzeug.http import http_date
from werkzeug.wrappers import Request, Response

MAX_DEPTH = 1024  # orjson's fixed limit on nesting when parsing
_DEPTH_MESSAGE = "depth limit exceeded"  # how orjson words that refusal
_OPTIONS = (
    orjson.OPT_NON_STR_KEYS  # {1: x} as {"1": x}, like json.dumps
    | orjson.OPT_PASSTHROUGH_DATETIME  # dates to _default: HTTP dates, not ISO 8601
    | orjson.OPT_PASSTHROUGH_DATACLASS  # dataclasses to _default: dataclasses.asdict
)


class NestedTooDeep(json.JSONDecodeError):
    """A JSON document nested deeper than MAX_DEPTH levels."""


def _default(o: Any) -> Any:
    """Flask's DefaultJSONProvider.default, plus what json.dumps wrote natively and orjson
    does not: float subclasses (numpy.float64) and tuple subclasses (named tuples)."""
    if isinstance(o, date):
        return http_date(o)
    if isinstance(o, decimal.Decimal | uuid.UUID):
        return str(o)
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        return dataclasses.asdict(o)
    if hasattr(o, "__html__"):
        return str(o.__html__())
    if isinstance(o, float):
        return float(o)
    if isinstance(o, tuple):
        return list(o)
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


def loads(data: str | bytes) -> Any:
    """Parse a JSON document; NestedTooDeep when it is nested deeper than MAX_DEPTH."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if exc.msg.startswith(_DEPTH_MESSAGE):
            raise NestedTooDeep(
                f"the JSON body is nested deeper than {MAX_DEPTH} levels", exc.doc, exc.pos
            ) from None
        raise


class OrjsonProvider(JSONProvider):
    """Flask's JSON operations through orjson (see the module's documentation)."""

    sort_keys = True  # as Flask's default provider; the app factory turns it off
    compact: bool | None = None
    mimetype = "application/json"

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return self._dump(obj, **kwargs).decode()

    def _dump(self, obj: Any, **kwargs: Any) -> bytes:
        """The document as UTF-8: orjson writes bytes, and a large answer is not copied
        into a str and back."""
        # Flask and flask-smorest pass json.dumps arguments: honour the ones they use.
        sort_keys = kwargs.pop("sort_keys", self.sort_keys)
        indent = kwargs.pop("indent", None)
        kwargs.pop("separators", None)  # orjson always writes compactly
        option = _OPTIONS | (orjson.OPT_SORT_KEYS if sort_keys else 0)
        if indent:
            option |= orjson.OPT_INDENT_2
        try:
            return orjson.dumps(obj, default=kwargs.pop("default", _default), option=option)
        except orjson.JSONEncodeError:
            separators = None if indent else (",", ":")
            return json.dumps(
                obj, default=_default, sort_keys=sort_keys, indent=indent, separators=separators
            ).encode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        obj = self._prepare_response_obj(args, kwargs)
        pretty = self.compact is False or (self.compact is None and self._app.debug)
        body = self._dump(obj, indent=2 if pretty else None)
        return self._app.response_class(body + b"\n", mimetype=self.mimetype)


def _load_json_arguments(req: Request) -> Any:
    """webargs' FlaskParser._raw_load_json, through the app's provider instead of the
    standard library (which would recurse on a deep body)."""
    if not is_json_request(req):
        return core.missing
    return current_app.json.loads(req.get_data(cache=True))


def init_app(app: Flask) -> None:
    """Make orjson the app's JSON, for request.get_json and responses alike, and for the
    bodies flask-smorest's parser reads (a parser shared by every blueprint, bound to the
    views when their modules were imported, so it is changed in place)."""
    app.json = OrjsonProvider(app)
    # webargs looks the hook up on the instance; an unparsable body is still its 400.
    Blueprint.ARGUMENTS_PARSER._raw_load_json = _load_json_arguments
