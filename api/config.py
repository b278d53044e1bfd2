"""The Flask configuration of the API, from the settings (read from the environment)."""

from __future__ import annotations

import settings as epa_settings


def from_environment() -> dict:
    """Flask config keys from freshly read settings: an app made later sees a later
    environment. create_app's test configuration is applied on top."""
    s = epa_settings.load()
    return {
        "DATABASE_URL": s.database_url or "",
        "DB_POOL_SIZE": s.db_pool_size,
        "DB_ACQUIRE_TIMEOUT_SECONDS": s.db_acquire_timeout_seconds,
        "DB_STATEMENT_TIMEOUT_MS": s.db_statement_timeout_ms,
        # Browser frontends allowed to call the API; empty means same-origin only.
        "CORS_ORIGINS": list(s.cors_origins),
        "MAX_CONTENT_LENGTH": s.max_upload_mb * 1024 * 1024,
        "ANALYZE_MAX_RECORDS": s.analyze_max_records,
        # Heavy requests one process runs at once (api.limits).
        "HEAVY_REQUESTS_PER_PROCESS": s.heavy_requests_per_process,
        # Whose calendar says which dates are in the future at ingest (api.routes.ingest).
        "TIMEZONE": s.timezone,
        "HSTS_SECONDS": s.hsts_seconds,
        # Where POST /api/v1/models/retrain starts a worker run (api.routes.retrain).
        "RETRAIN_MODE": s.retrain_mode,
        "RETRAIN_CRONJOB": s.retrain_cronjob,
        "RETRAIN_NAMESPACE": s.namespace,
        "RETRAIN_KUBECONFIG": s.kubeconfig,
        "RETRAIN_IN_CLUSTER": s.in_cluster,
        # flask-smorest: the OpenAPI document lives at /api/v1/openapi.json
        "API_TITLE": "EPA — Employee Performance Analytics",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
    }
