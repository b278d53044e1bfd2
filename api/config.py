"""API settings, read from the environment (twelve-factor), with safe defaults."""

from __future__ import annotations

import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    try:
        return int(value) if value else default
    except ValueError as exc:
        raise RuntimeError(f"{name} must be a whole number, got {value!r}") from exc


def from_environment() -> dict:
    origins = os.environ.get("EPA_CORS_ORIGINS", "")
    return {
        "DATABASE_URL": os.environ.get("DATABASE_URL", ""),
        "DB_POOL_SIZE": _int("EPA_DB_POOL_SIZE", 10),
        "DB_ACQUIRE_TIMEOUT_SECONDS": _int("EPA_DB_ACQUIRE_TIMEOUT_SECONDS", 5),
        "DB_STATEMENT_TIMEOUT_MS": _int("EPA_DB_STATEMENT_TIMEOUT_MS", 30_000),
        # Browser frontends allowed to call the API; empty means same-origin only.
        "CORS_ORIGINS": [o.strip() for o in origins.split(",") if o.strip()],
        "MAX_CONTENT_LENGTH": _int("EPA_MAX_UPLOAD_MB", 64) * 1024 * 1024,
        "ANALYZE_MAX_RECORDS": _int("EPA_ANALYZE_MAX_RECORDS", 50_000),
        # Strict-Transport-Security max-age; 0 (off) since TLS usually ends at the ingress.
        "HSTS_SECONDS": _int("EPA_HSTS_SECONDS", 0),
        # flask-smorest: the OpenAPI document lives at /api/v1/openapi.json
        "API_TITLE": "EPA — Employee Performance Analytics",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
    }
