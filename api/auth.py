"""Bearer-token authentication, role rules per endpoint, and request ids.

Every `/api/v1` endpoint except the OpenAPI document and its docs page needs a token, and
so does the flask-bi drop-in `/analyze`; the probes and /metrics stay open. Which roles may
call an endpoint is one table (`RULES`), keyed by Flask endpoint name: an endpoint missing
from it is refused to everyone, and a test built from the app's URL map fails until it
gets a rule. What a permitted caller then sees is narrowed again in the SQL (`store.scope`).
"""

from __future__ import annotations

import re
import uuid

from apispec import BasePlugin
from flask import Flask, g, request

from api.db import get_db
from api.errors import error_response
from store import tokens
from store.datasets import DATASETS
from store.scope import EVERYONE, NOBODY, Scope
from store.tokens import Principal

API_PREFIX = "/api/v1/"
# Paths outside API_PREFIX that are the API all the same (the flask-bi drop-in).
API_PATHS = frozenset({"/analyze"})
# The OpenAPI document and the Swagger UI page on it (api.routes.docs) with its files.
PUBLIC_ENDPOINTS = frozenset({"api-docs.openapi_json", "docs.page", "docs.asset"})
SECURITY_SCHEME = "bearerAuth"

ALL_READERS = frozenset({"admin", "hr", "manager", "employee"})
STAFF = frozenset({"admin", "hr", "manager"})
ADMIN = frozenset({"admin"})
HR = frozenset({"admin", "hr"})
WRITERS = frozenset({"admin", "hr", "ingest"})

RULES: dict[str, frozenset[str]] = {
    # Individual results, narrowed to the caller's people by the queries.
    "employees.EmployeeList": ALL_READERS,
    "employees.EmployeeResult": ALL_READERS,
    "employees.EmployeeHistory": ALL_READERS,
    "departments.DepartmentList": ALL_READERS,
    # Insights of one person follow the same scope as their result.
    "employees.EmployeeSkillGaps": ALL_READERS,
    "employees.EmployeeTrend": ALL_READERS,
    "employees.EmployeeReport": ALL_READERS,
    # Teams: managers see the teams all of whose members report to them (in the SQL).
    "teams.TeamList": STAFF,
    "teams.Team": STAFF,
    "training.Demand": STAFF,
    # Department-wide and organisation-wide figures, and what-if moves: HR.
    "compositions.Evaluate": HR,
    "training.Effectiveness": HR,
    "departments.DepartmentTrend": HR,
    "departments.TeamSuggestions": HR,
    "departments.DepartmentReportCsv": HR,
    "departments.DepartmentReportHtml": HR,
    "teams.TeamReport": HR,
    # Run metadata is aggregate; analysis scores posted data and stores nothing.
    "models.RunList": STAFF,
    "models.CurrentRun": STAFF,
    "models.Run": STAFF,
    # Changing which run the API serves is an operator's decision.
    "models.Promote": ADMIN,
    # Group figures by protected attribute: HR's, to review with the people concerned.
    "models.CurrentFairness": HR,
    "models.RunFairness": HR,
    "models.CurrentRunCard": HR,
    "models.RunCard": HR,
    "analyze.Analyze": STAFF,
    "analyze_compat.Analyze": STAFF,
    "retrain.Retrain": ADMIN,
    "retrain.RetrainStatus": ADMIN,
    "tokens.TokenList": ADMIN,
    "tokens.Token": ADMIN,
    "audit.AuditLog": ADMIN,
    **{f"ingest.{name.replace('-', '_')}": WRITERS for name in DATASETS},
    # Protected attributes are HR's alone: the ingest role's automation never carries them.
    "ingest.protected_attributes": HR,
    # KPI definitions and scorecards are no personal data; removing them is HR's.
    "kpis.KpiList": ALL_READERS,
    "kpis.Kpi": HR,
    "scorecards.ScorecardList": ALL_READERS,
    "scorecards.Scorecard": HR,
    # Reviews: confirm / override by admin, hr and managers (their people, in the SQL),
    # contest by the employee concerned (api.routes.reviews decides per decision).
    "reviews.EmployeeReviews": ALL_READERS,
    "reviews.ReviewQueue": STAFF,
    "reviews.Calibration": STAFF,
}

# An incoming X-Request-ID is kept only when it cannot smuggle anything into logs.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def current_scope() -> Scope:
    """The employees the caller may see: everyone, a manager's people, oneself, or nobody."""
    principal: Principal = g.principal
    if principal.role in ("admin", "hr"):
        return EVERYONE
    if principal.role == "manager":
        return Scope(root=principal.employee_id, reports=True)
    if principal.role == "employee":
        return Scope(root=principal.employee_id, reports=False)
    return NOBODY


def audit_context() -> dict:
    """Who is acting and in which request, for store.audit.record."""
    principal: Principal = g.principal
    return {
        "request_id": g.request_id,
        "token_id": principal.token_id,
        "role": principal.role,
    }


def _unauthorized(message: str):
    response, code = error_response(401, message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="epa"'
    return response, code


def _assign_request_id() -> None:
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIX) or path in API_PATHS


def _authenticate():
    if not is_api_path(request.path) or request.endpoint in PUBLIC_ENDPOINTS:
        return None
    # CORS preflights carry no credentials by design; they reach no view either.
    if request.method == "OPTIONS":
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, bearer = header.partition(" ")
    if not header:
        return _unauthorized("a bearer token is required")
    if scheme.lower() != "bearer" or tokens.parse(bearer.strip()) is None:
        return _unauthorized("the Authorization header must be 'Bearer <token>'")
    with get_db().transaction() as conn:
        principal = tokens.authenticate(conn, bearer.strip())
    if principal is None:
        return _unauthorized("the token is unknown, expired or revoked")
    g.principal = principal
    # Unknown paths and methods fall through to their 404 and 405.
    if request.url_rule is not None and principal.role not in RULES.get(request.endpoint, ()):
        return error_response(403, f"the {principal.role} role may not use this endpoint")
    return None


def _echo_request_id(response):
    if "request_id" in g:
        response.headers["X-Request-ID"] = g.request_id
    return response


def init_app(app: Flask) -> None:
    app.before_request(_assign_request_id)
    app.before_request(_authenticate)
    app.after_request(_echo_request_id)


class BearerSecurityPlugin(BasePlugin):
    """Marks every `/api/v1` operation as needing the bearer token, with its 401 and 403,
    so the OpenAPI document tells clients (and schemathesis) how to authenticate."""

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        if not path or not is_api_path(path) or not operations:
            return
        for operation in operations.values():
            operation.setdefault("security", [{SECURITY_SCHEME: []}])
            responses = operation.setdefault("responses", {})
            responses.setdefault("401", "UNAUTHORIZED")
            responses.setdefault("403", "FORBIDDEN")


SPEC_OPTIONS = {
    "components": {
        "securitySchemes": {
            SECURITY_SCHEME: {
                "type": "http",
                "scheme": "bearer",
                "description": "An EPA API token: `epa_<id>_<secret>` "
                "(made with `python -m worker tokens create`).",
            }
        }
    }
}
