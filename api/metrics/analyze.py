"""Metrics of the stateless `POST /api/v1/analyze`: how long the pipeline takes and how many
records it is given.

Plain prometheus_client metrics: under gunicorn (PROMETHEUS_MULTIPROC_DIR set) each worker
writes them to its own file and /metrics sums the files, so they are left unregistered
there; in single-process mode they are registered on the app's registry.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Histogram

# The pipeline fits KMeans and IsolationForest per request: tens of milliseconds for a
# handful of records, tens of seconds near the request size limit.
DURATION_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class AnalyzeMetrics:
    def __init__(self, registry: CollectorRegistry | None) -> None:
        self.duration = Histogram(
            "epa_analyze_duration_seconds",
            "Time the analysis pipeline took for one POST /api/v1/analyze, failures included.",
            buckets=DURATION_BUCKETS,
            registry=registry,
        )
        self.records = Counter(
            "epa_analyze_records_total",
            "Task records analysed successfully by POST /api/v1/analyze.",
            registry=registry,
        )

    @contextmanager
    def measure(self, records: int) -> Iterator[None]:
        """Time the block; count its records only when it completes."""
        with self.duration.time():
            yield
        self.records.inc(records)
