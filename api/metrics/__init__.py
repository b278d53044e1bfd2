"""Prometheus metrics of the API, served at /metrics on the app's own port.

Importing this package must not import prometheus_client: gunicorn's master imports the
`api` package when it reads api.gunicorn_conf, and prometheus_client settles on single- or
multiprocess mode when it is first imported, which has to happen after gunicorn_conf has
set PROMETHEUS_MULTIPROC_DIR. So the wiring is imported when the app is created, in the
workers.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from flask import Flask, current_app
from flask_smorest import Api


def init_app(app: Flask, api: Api) -> None:
    from api.metrics.exporter import install

    install(app, api)


def measure_analysis(records: int) -> AbstractContextManager[None]:
    """Time one run of the analysis pipeline on `records` posted records."""
    return current_app.extensions["epa_analyze_metrics"].measure(records)
