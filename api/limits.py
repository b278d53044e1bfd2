"""Per-process limits on heavy requests, so that probes and light reads keep answering.

A heavy request (a whole batch parsed, validated and analysed, or a report rendered) can
hold a thread and the interpreter for seconds. Each process lets at most
EPA_HEAVY_REQUESTS_PER_PROCESS of them run at once; one more is refused at once with 429
and Retry-After rather than queued, since a queue would only make every client wait and
time out. gunicorn runs that many threads on top of EPA_THREADS (api.gunicorn_conf), so
heavy work can never occupy the threads that answer /healthz, /readyz and /metrics.

The slot is taken after authentication (an anonymous request is refused as such, and
holds no slot) and before the body is read and parsed, which is part of the heavy work.
"""

from __future__ import annotations

import threading

from flask import Flask, g, request
from werkzeug.exceptions import HTTPException

from api.errors import error_response
from store.datasets import DATASETS

RETRY_AFTER_SECONDS = 2

# Endpoints whose work grows with what is sent or read: the batch endpoints and reports.
HEAVY_ENDPOINTS = frozenset(
    {
        "analyze.Analyze",
        "analyze_compat.Analyze",
        "compositions.Evaluate",
        "departments.DepartmentReportCsv",
        "departments.DepartmentReportHtml",
        "employees.EmployeeReport",
        "teams.TeamReport",
        *(f"ingest.{name.replace('-', '_')}" for name in DATASETS),
    }
)


def _discard_body() -> None:
    """Read the refused request's body and throw it away, unparsed: a server that answers
    before the body is in closes the connection under a client still sending it, which
    then sees a broken pipe instead of the 429. Reading costs I/O, not the heavy work."""
    try:
        while request.stream.read(1 << 16):
            pass
    except (HTTPException, OSError):
        pass  # over the upload limit, or the client went away: nothing more to read


def init_app(app: Flask) -> None:
    """Guard the heavy endpoints with one bounded semaphore for this process."""
    unknown = HEAVY_ENDPOINTS - set(app.view_functions)
    if unknown:
        # A renamed endpoint would silently lose its limit.
        raise RuntimeError(f"heavy endpoints that do not exist: {', '.join(sorted(unknown))}")
    slots = threading.BoundedSemaphore(app.config["HEAVY_REQUESTS_PER_PROCESS"])

    @app.before_request
    def _take_a_slot():
        # CORS preflights do no work.
        if request.endpoint not in HEAVY_ENDPOINTS or request.method == "OPTIONS":
            return None
        if not slots.acquire(blocking=False):
            _discard_body()
            response, code = error_response(
                429, "too many heavy requests in progress; retry shortly"
            )
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response, code
        g.heavy_slot = True
        return None

    @app.teardown_request
    def _give_it_back(_exc: BaseException | None) -> None:
        if g.pop("heavy_slot", False):
            slots.release()
