"""The API as the client sees it: where it is, the token, and what a failure means.

Failures are exceptions with one line for a person: `UsageError` when the client cannot
work at all (no URL or token, a refused token, an unreachable server: exit status 2) and
`ApiError` when the API answered a request with an error (exit status 1)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote, urlsplit

import requests

API_PREFIX = "/api/v1"
DEFAULT_TIMEOUT_SECONDS = 60.0
CONTENT_TYPES = {".csv": "text/csv", ".json": "application/json"}


class UsageError(Exception):
    """The client cannot talk to the API: configuration, token or network."""


class ApiError(Exception):
    """The API answered with an error: its status, message and the problems it named."""

    def __init__(self, status: int, message: str, problems: list[dict] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.problems = problems or []


def path_part(value: str) -> str:
    """One path segment (a department name with spaces or slashes stays one segment)."""
    return quote(value, safe="")


@dataclass(frozen=True)
class Connection:
    url: str
    token: str
    timeout: float = DEFAULT_TIMEOUT_SECONDS

    @classmethod
    def configure(
        cls, url: str | None, token: str | None, timeout: float = DEFAULT_TIMEOUT_SECONDS
    ) -> Connection:
        """From the options given, else EPA_URL and EPA_TOKEN; a UsageError naming what is
        missing or malformed."""
        url = url or os.environ.get("EPA_URL")
        token = token or os.environ.get("EPA_TOKEN")
        if not url:
            raise UsageError("EPA_URL is not set: the API's address, e.g. http://localhost:8000")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UsageError(f"EPA_URL is not an http(s) address: {url!r}")
        if not token:
            raise UsageError("EPA_TOKEN is not set: a bearer token issued by the API's admin")
        return cls(url.rstrip("/"), token.strip(), timeout)

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        target = self.url + API_PREFIX + path
        try:
            response = requests.request(
                method, target, headers=headers, timeout=self.timeout, **kwargs
            )
        except requests.exceptions.Timeout:
            raise UsageError(
                f"the API at {self.url} did not answer in {self.timeout:g} s"
            ) from None
        except requests.exceptions.RequestException as exc:
            reason = type(exc).__name__.replace("Error", " error").lower()
            raise UsageError(f"cannot reach the API at {self.url} ({reason})") from None
        if response.status_code == 401:
            raise UsageError(f"the API at {self.url} refused the token: {_message(response)}")
        if response.status_code >= 400:
            raise ApiError(response.status_code, _message(response), _problems(response))
        return response

    def get_json(self, path: str, params: dict | None = None) -> Any:
        return _json(self._request("GET", path, params=params))

    def get_bytes(self, path: str, params: dict | None = None) -> bytes:
        return self._request("GET", path, params=params).content

    def post_json(self, path: str, body: Any = None) -> requests.Response:
        return self._request("POST", path, json=body)

    def post_file(
        self, path: str, file: Path, progress: Callable[[int], None] | None = None
    ) -> Any:
        """POST a CSV or JSON file as its own content type, streamed, reporting the bytes
        sent to `progress`."""
        content_type = CONTENT_TYPES.get(file.suffix.lower())
        if content_type is None:
            raise UsageError(f"{file}: send a .csv or a .json file")
        try:
            with file.open("rb") as handle:
                body = _ProgressReader(handle, file.stat().st_size, progress)
                response = self._request(
                    "POST", path, data=body, headers={"Content-Type": content_type}
                )
        except OSError as exc:
            raise UsageError(f"cannot read {file}: {exc.strerror or exc}") from None
        return _json(response)


class _ProgressReader:
    """A file as a request body of known length (so it is sent with Content-Length, not
    chunked) that reports each chunk read."""

    def __init__(self, handle: BinaryIO, size: int, progress: Callable[[int], None] | None) -> None:
        self._handle, self._size, self._progress = handle, size, progress

    def __len__(self) -> int:
        return self._size

    def read(self, size: int = -1) -> bytes:
        chunk = self._handle.read(size)
        if chunk and self._progress is not None:
            self._progress(len(chunk))
        return chunk


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        message = "the API answered with something other than JSON"
        raise ApiError(response.status_code, message) from None


def _body(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _message(response: requests.Response) -> str:
    return str(_body(response).get("message") or response.reason or response.status_code)


def _problems(response: requests.Response) -> list[dict]:
    problems = _body(response).get("problems")
    return problems if isinstance(problems, list) else []
