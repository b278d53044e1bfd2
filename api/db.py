"""The app's one `Database` (a bounded connection pool), created by the app factory."""

from __future__ import annotations

from flask import Flask, current_app

from store.db import Database


def init_app(app: Flask) -> None:
    if not app.config["DATABASE_URL"]:
        raise RuntimeError("DATABASE_URL is not set")
    app.extensions["epa_db"] = Database(
        app.config["DATABASE_URL"],
        max_connections=app.config["DB_POOL_SIZE"],
        acquire_timeout=app.config["DB_ACQUIRE_TIMEOUT_SECONDS"],
        statement_timeout_ms=app.config["DB_STATEMENT_TIMEOUT_MS"],
        application_name="epa-api",
    )


def get_db() -> Database:
    return current_app.extensions["epa_db"]
