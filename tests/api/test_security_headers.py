"""Security headers on every response, whatever answered it: a probe, the metrics page,
the OpenAPI document, a result, a refusal, an error."""

from __future__ import annotations

import pytest

from api.security_headers import HEADERS
from tests.helpers import EMPLOYEES

PROBES = ["/healthz", "/readyz", "/metrics"]
API = [
    "/api/v1/openapi.json",
    "/api/v1/employees",
    "/api/v1/employees/NOBODY",  # 404
    "/api/v1/employees?limit=0",  # 422
    "/api/v1/nothing-here",  # no such route
]


@pytest.mark.parametrize("path", PROBES + API)
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    for name, value in HEADERS.items():
        assert response.headers[name] == value, (path, response.status_code)
    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.parametrize("path", API)
def test_api_responses_are_never_cached(client, path):
    assert client.get(path).headers["Cache-Control"] == "no-store"


def test_refused_and_failed_requests_carry_the_headers_too(app, client):
    anonymous = app.test_client().get("/api/v1/employees")
    assert anonymous.status_code == 401
    refused = client.post("/api/v1/ingest/employees", json=[{**EMPLOYEES[0], "extra": 1}])
    assert refused.status_code == 422
    for response in (anonymous, refused):
        assert response.headers["Content-Security-Policy"] == HEADERS["Content-Security-Policy"]
        assert response.headers["Cache-Control"] == "no-store"


def test_probes_keep_their_own_caching(client):
    assert client.get("/healthz").headers.get("Cache-Control") != "no-store"


def test_hsts_is_sent_only_when_configured(database_url):
    from api import create_app

    app = create_app({"DATABASE_URL": database_url, "HSTS_SECONDS": 31_536_000})
    try:
        response = app.test_client().get("/healthz")
    finally:
        app.extensions["epa_db"].close()
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
