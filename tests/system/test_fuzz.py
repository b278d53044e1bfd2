"""Property-based fuzzing of the whole API from its own OpenAPI document (schemathesis).

Every documented operation gets schema-valid and schema-violating requests, authenticated
as an admin, against the real app on a seeded, scored database. Whatever comes in, the API
must never answer 5xx, must refuse what the document forbids, and must answer in the shape
and status the document promises.

Bounded: a fixed number of examples per operation and generation mode, derandomised so a
failure in CI reproduces locally, and without Hypothesis' shrinking phase, whose time has
no bound (the failure report still carries a curl command that reproduces it).
"""

from __future__ import annotations

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance

from tests.helpers import issue_token

pytestmark = pytest.mark.slow

EXAMPLES_PER_MODE = 25
DOCUMENT = "/api/v1/openapi.json"
# Starts a real worker process per request: covered by tests/api/test_retrain.py instead.
NOT_FUZZED = {"POST /api/v1/models/retrain"}
# An admin may revoke any token, the fuzzer's own included; 401 is then the right answer.
MAY_REVOKE_OWN_TOKEN = {"DELETE /api/v1/tokens/{token_id}"}
# Checks that do not apply: the batch endpoints also check what a schema cannot say
# (references to known employees, completed <= total, enough people to form tiers), so
# schema-valid data may rightly be refused with 422.
EXCLUDED_CHECKS = [positive_data_acceptance]


def _violable(operation) -> bool:
    """Whether a request can break the operation's schema at all: a body, or a parameter
    narrower than "any string" (a bare path id accepts every value)."""
    definition = operation.definition.raw
    return "requestBody" in definition or any(
        parameter.get("schema", {}) != {"type": "string"}
        for parameter in definition.get("parameters", [])
    )


def _cases() -> list:
    """(mode, operation) pairs, read from an app that never connects (pools are lazy)."""
    from api import create_app

    app = create_app({"DATABASE_URL": "postgresql://fuzz@127.0.0.1:1/unused"})
    document = schemathesis.openapi.from_wsgi(DOCUMENT, app)
    operations = [result.ok() for result in document.get_all_operations()]
    app.extensions["epa_db"].close()
    cases = []
    for operation in operations:
        if operation.label in NOT_FUZZED:
            continue
        cases.append(pytest.param(GenerationMode.POSITIVE, operation.label))
        if _violable(operation):
            cases.append(pytest.param(GenerationMode.NEGATIVE, operation.label))
    return cases


@pytest.fixture(scope="module")
def document(scored_app: Flask):
    return schemathesis.openapi.from_wsgi(DOCUMENT, scored_app)


@pytest.mark.parametrize(("mode", "operation"), _cases(), ids=str)
def test_operation_never_fails_and_answers_as_documented(
    document, scored_database_url: str, operation: str, mode: GenerationMode
):
    # A token of its own per operation, so a revocation in one cannot blind the others.
    headers = {"Authorization": f"Bearer {issue_token(scored_database_url)}"}
    api_operation = document.find_operation_by_label(operation)
    statuses: list[int] = []

    @settings(
        max_examples=EXAMPLES_PER_MODE,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    # Fixed headers are not mutated, so negative cases keep a valid token.
    @given(case=api_operation.as_strategy(generation_mode=mode, headers=headers))
    def fuzz(case) -> None:
        response = case.call()
        statuses.append(response.status_code)
        case.validate_response(response, excluded_checks=EXCLUDED_CHECKS)

    fuzz()
    assert statuses, "no request was sent"
    if operation not in MAY_REVOKE_OWN_TOKEN:
        # The token was accepted throughout: the fuzzing reached the operation itself.
        assert 401 not in statuses
