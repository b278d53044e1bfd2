"""An operationId on every operation of the OpenAPI document, for generated clients.

Derived from the Flask endpoint, `<blueprint>.<view class>`, and the HTTP method: GET on a
`…List` view lists (`employees.EmployeeList` → `listEmployees`), any other view is the
method's verb and the class name (`departments.DepartmentReportHtml` →
`getDepartmentReportHtml`, `tokens.TokenList` POST → `createToken`). Where that would read
poorly, or where one view class serves two blueprints (`/analyze`), `OPERATION_IDS` names
the operation instead, keyed by endpoint like `api.auth.RULES`. A name used twice fails
the app factory: clients would get two functions of one name.
"""

from __future__ import annotations

import re

from apispec import BasePlugin
from werkzeug.routing import Rule

from store.datasets import DATASETS


def _camel(words: str) -> str:
    """`task_records` → `TaskRecords`; a class name stays as it is."""
    return "".join(word[:1].upper() + word[1:] for word in re.split(r"[_-]", words) if word)


VERBS = {"get": "get", "post": "create", "put": "replace", "patch": "update", "delete": "delete"}

OPERATION_IDS: dict[str, str] = {
    "health.Ready": "getReadiness",
    "prometheus_metrics": "getMetrics",
    **{f"ingest.{name.replace('-', '_')}": f"ingest{_camel(name)}" for name in DATASETS},
    "employees.EmployeeResult": "getEmployee",
    "employees.EmployeeReport": "getEmployeeReportHtml",
    "departments.TeamSuggestions": "getDepartmentTeamSuggestions",
    "teams.TeamReport": "getTeamReportHtml",
    "models.Promote": "promoteRun",
    "retrain.Retrain": "startRetrain",
    "analyze.Analyze": "analyzeRecords",
    "analyze_compat.Analyze": "analyzeRecordsFlaskBi",
    "tokens.Token": "revokeToken",
    "audit.AuditLog": "listAuditRecords",
    "training.Demand": "listTrainingDemand",
    "training.Effectiveness": "getTrainingEffectiveness",
    "compositions.Evaluate": "evaluateComposition",
    "reviews.EmployeeReviews": "createEmployeeReview",
    "reviews.ReviewQueue": "listReviewQueue",
    "reviews.Calibration": "getDepartmentCalibration",
}


def derive(endpoint: str, method: str) -> str:
    """The operationId of `method` (lower case) on the Flask `endpoint`."""
    if endpoint in OPERATION_IDS:
        return OPERATION_IDS[endpoint]
    view = _camel(endpoint.rpartition(".")[2])
    if method == "get" and view.endswith("List"):
        return f"list{view.removesuffix('List')}s"
    return VERBS[method] + view.removesuffix("List")


class OperationIdPlugin(BasePlugin):
    """Names each operation as it is added to the spec (flask-smorest passes its rule)."""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def operation_helper(
        self,
        path: str | None = None,
        operations: dict[str, dict] | None = None,
        rule: Rule | None = None,
        **kwargs,
    ) -> None:
        if rule is None or not operations:
            return
        for method, operation in operations.items():
            name = operation.setdefault("operationId", derive(rule.endpoint, method))
            where = f"{method.upper()} {path}"
            if self._seen.setdefault(name, where) != where:
                raise ValueError(f"operationId {name!r} of {where} is {self._seen[name]}'s too")
