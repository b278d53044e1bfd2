"""The OpenAPI document names every operation (operationId) for generated clients: once
each, in camelCase, derived from the endpoint unless api.openapi names it."""

from __future__ import annotations

import re

import pytest
from apispec import APISpec
from werkzeug.routing import Rule

from api.openapi import OPERATION_IDS, OperationIdPlugin, derive

CAMEL_CASE = re.compile(r"^[a-z][a-z0-9]*(?:[A-Z][a-z0-9]+)*$")


def operations(spec: dict) -> list[tuple[str, str, dict]]:
    return [
        (method, path, operation)
        for path, methods in spec["paths"].items()
        for method, operation in methods.items()
        if method != "parameters"
    ]


def test_every_operation_has_a_unique_camel_case_operation_id(app):
    spec = app.test_client().get("/api/v1/openapi.json").json
    names = [operation.get("operationId") for _, _, operation in operations(spec)]
    assert None not in names
    assert len(set(names)) == len(names), sorted(n for n in names if names.count(n) > 1)
    assert [n for n in names if not CAMEL_CASE.match(n)] == []


def test_operation_ids_read_as_what_the_operation_does(app):
    spec = app.test_client().get("/api/v1/openapi.json").json
    named = {(m, p): operation["operationId"] for m, p, operation in operations(spec)}
    assert named[("get", "/api/v1/employees")] == "listEmployees"
    assert named[("get", "/api/v1/employees/{employee_id}")] == "getEmployee"
    assert named[("get", "/api/v1/departments/{department}/report.html")] == (
        "getDepartmentReportHtml"
    )
    assert named[("post", "/api/v1/ingest/task-records")] == "ingestTaskRecords"
    assert named[("post", "/api/v1/tokens")] == "createToken"
    assert named[("delete", "/api/v1/kpis/{kpi_id}")] == "deleteKpi"
    assert named[("post", "/analyze")] != named[("post", "/api/v1/analyze")]


def test_every_named_endpoint_is_an_endpoint_of_the_app(app):
    assert set(OPERATION_IDS) <= {rule.endpoint for rule in app.url_map.iter_rules()}


@pytest.mark.parametrize(
    ("endpoint", "method", "expected"),
    [
        ("teams.TeamList", "get", "listTeams"),
        ("tokens.TokenList", "post", "createToken"),
        ("models.CurrentRun", "get", "getCurrentRun"),
        ("scorecards.Scorecard", "delete", "deleteScorecard"),
        ("some_function_view", "get", "getSomeFunctionView"),
    ],
)
def test_an_unnamed_endpoint_is_named_by_its_method_and_view(endpoint, method, expected):
    assert derive(endpoint, method) == expected


def test_an_operation_id_used_twice_is_refused():
    spec = APISpec("t", "1", "3.0.3", plugins=[OperationIdPlugin()])
    spec.path("/a", operations={"get": {}}, rule=Rule("/a", endpoint="a.ThingList"))
    with pytest.raises(ValueError, match="'listThings'"):
        spec.path("/b", operations={"get": {}}, rule=Rule("/b", endpoint="b.ThingList"))
