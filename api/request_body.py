"""The request body as the app reads it: never past the upload limit, however it is sent,
and a JSON body nested too deep refused as such.

Werkzeug enforces MAX_CONTENT_LENGTH on a declared Content-Length up front, but reads a
body of unknown length (Transfer-Encoding: chunked) only up to the limit and then stops as
if the body had ended there: a larger upload was cut at EPA_MAX_UPLOAD_MB and processed,
committing a shortened batch when the cut fell between two rows. Here such a body is read
one byte past the limit, and that byte refuses it with 413 before anything is processed.
"""

from __future__ import annotations

from typing import IO, Any

from flask import Request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream, get_input_stream

from api.json_provider import MAX_DEPTH, NestedTooDeep


class JsonNestedTooDeep(BadRequest):
    description = f"the JSON body is nested deeper than {MAX_DEPTH} levels"


class _AtMost(LimitedStream):
    """A stream of unknown length that may hold at most `limit` bytes."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        super().__init__(stream, limit + 1, is_max=True)
        self._at_most = limit

    def readinto(self, b: Any) -> int | None:
        read = super().readinto(b)
        if self._pos > self._at_most:
            raise RequestEntityTooLarge()
        return read


class BoundedRequest(Request):
    """Flask's request, with the body bounded as above (the app's request_class)."""

    @cached_property
    def stream(self) -> IO[bytes]:
        if self.shallow:
            raise RuntimeError("a shallow request cannot read its body")
        limit = self.max_content_length
        # A server that ends a body of unknown length itself (chunked encoding) says so.
        terminated = "wsgi.input_terminated" in self.environ
        if limit is not None and self.content_length is None and terminated:
            return _AtMost(self.environ["wsgi.input"], limit)
        return get_input_stream(self.environ, max_content_length=limit)

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if isinstance(e, NestedTooDeep):
            raise JsonNestedTooDeep() from None
        return super().on_json_loading_failed(e)
