"""The /metrics endpoint and the request metrics, from prometheus-flask-exporter.

Request metrics are grouped by URL rule, never by raw path, which would carry employee
identifiers. Under gunicorn, PROMETHEUS_MULTIPROC_DIR is set (api.gunicorn_conf sets and
empties it) and each worker writes its samples to files there; whichever worker answers a
scrape sums all the files, so one scrape of a pod covers all of its workers. Model metrics
are read from the store on scrape (api.metrics.model).
"""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_flask_exporter import PrometheusMetrics
from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

import settings
from api.metrics.analyze import AnalyzeMetrics
from api.metrics.model import ModelMetricsCollector

# An API answers in milliseconds; anything past 10 s has timed out for its caller anyway.
REQUEST_DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Probes and scrapes would drown the traffic that matters and skew its latency.
UNTRACKED_PATHS = r"^/(metrics|healthz|readyz)$"
MODEL_METRICS_CACHE_SECONDS = 5.0


class _ServesOwnRegistry:
    """Serve /metrics from `serving_registry`.

    In multiprocess mode the exporter would build a fresh registry holding only the
    multiprocess collector, which would leave the model collector out."""

    serving_registry: CollectorRegistry

    def generate_metrics(self, accept_header: str | None = None, names: list[str] | None = None):
        registry = self.serving_registry
        if names:
            registry = registry.restricted_registry(names)
        encoder, content_type = choose_encoder(accept_header)
        return encoder(registry).decode("utf-8"), content_type


class _GunicornMetrics(_ServesOwnRegistry, GunicornInternalPrometheusMetrics):
    pass


class _SingleProcessMetrics(_ServesOwnRegistry, PrometheusMetrics):
    pass


def multiprocess_mode() -> bool:
    return bool(settings.load().prometheus_multiproc_dir)


def install(app: Flask, api: Api) -> None:
    options = {
        "defaults_prefix": "epa",
        "group_by": "url_rule",
        "buckets": REQUEST_DURATION_BUCKETS,
        "excluded_paths": UNTRACKED_PATHS,
    }
    serving = CollectorRegistry()
    if multiprocess_mode():
        exporter: _ServesOwnRegistry = _GunicornMetrics(app, **options)
        MultiProcessCollector(serving)
        # Written to this worker's files and summed by the collector above.
        app.extensions["epa_analyze_metrics"] = AnalyzeMetrics(registry=None)
    else:
        # A registry per app: tests create many apps in one process.
        exporter = _SingleProcessMetrics(app, registry=serving, **options)
        app.extensions["epa_analyze_metrics"] = AnalyzeMetrics(registry=serving)
    serving.register(
        ModelMetricsCollector(app.extensions["epa_db"], cache_seconds=MODEL_METRICS_CACHE_SECONDS)
    )
    exporter.serving_registry = serving
    _document(app, api)


def _document(app: Flask, api: Api) -> None:
    (rule,) = [r for r in app.url_map.iter_rules() if r.rule == "/metrics"]
    api.spec.tag({"name": "metrics", "description": "Prometheus metrics of the service."})
    api.spec.path(
        rule=rule,
        operations={
            "get": {
                "tags": ["metrics"],
                "summary": "Prometheus metrics: requests of every worker, analysis, model.",
                "responses": {
                    "200": {
                        "description": "Prometheus text exposition format.",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
    )
