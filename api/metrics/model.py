"""Model metrics: the current run in the store, read when Prometheus scrapes.

The values live in PostgreSQL, not in the process, so every worker of every pod reports the
same figures and nothing is lost when a process restarts. That is why this is a collector
on the registry that serves /metrics rather than a multiprocess gauge. A short cache keeps a
burst of scrapes (several Prometheus replicas, a dashboard refresh) to one query per worker.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator

import psycopg2
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from store import model_metrics
from store.db import Database, PoolTimeout

log = logging.getLogger("epa.api.metrics")

TIERS = ("High", "Medium", "Low")


class ModelMetricsCollector(Collector):
    def __init__(
        self,
        db: Database,
        *,
        cache_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._expires_at = float("-inf")
        self._cached: list[Metric] = []

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            now = self._clock()
            if now >= self._expires_at:
                self._cached = self._read()
                self._expires_at = now + self._cache_seconds
            families = self._cached
        yield from families

    def _read(self) -> list[Metric]:
        try:
            with self._db.connection() as conn:
                run = model_metrics.current_run_figures(conn)
                held = model_metrics.newest_run_held(conn)
        except (psycopg2.Error, PoolTimeout) as exc:
            # A scrape must still succeed: report the store as down rather than erroring.
            log.warning("model metrics unavailable", extra={"error": type(exc).__name__})
            return [_gauge("epa_model_metrics_up", _UP_HELP, 0)]
        families = [_gauge("epa_model_metrics_up", _UP_HELP, 1)]
        if held is not None:
            families.append(_gauge("epa_model_run_held", _HELD_HELP, 1 if held else 0))
        if run is not None:
            families.extend(_run_families(run))
        return families


_UP_HELP = "1 when the store answered the model metrics query, 0 when it did not."
_HELD_HELP = (
    "1 while the newest completed model run is held instead of published (the current run "
    "stays current until it is promoted or a later run passes); absent before any run."
)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _run_families(run: dict) -> Iterator[Metric]:
    """The current run's organisation-wide figures. They stay at that granularity: the
    reporting views hide departments complementarily (migration 0008), so these totals
    minus the departments Grafana shows never isolate fewer than the minimum group."""
    info = GaugeMetricFamily(
        "epa_model_info",
        "The current model run (always 1); run_id and as_of (last period of its window).",
        labels=["run_id", "as_of"],
    )
    info.add_metric([str(run["run_id"]), run["as_of"].isoformat() if run["as_of"] else ""], 1)
    yield info
    yield _gauge(
        "epa_model_last_success_timestamp_seconds",
        "When the current run finished (Unix time).",
        run["finished_at"],
    )
    yield _gauge(
        "epa_model_run_duration_seconds",
        "How long the current run took from start to publication.",
        run["duration_seconds"],
    )
    yield _gauge(
        "epa_model_employees_scored",
        "Employees scored by the current run.",
        run["employees_scored"],
    )
    tiers = GaugeMetricFamily(
        "epa_model_tier_employees",
        "Employees per performance tier in the current run.",
        labels=["tier"],
    )
    for tier in TIERS:
        tiers.add_metric([tier], run["tier_counts"].get(tier, 0))
    yield tiers
    yield from _present(
        "epa_model_anomaly_ratio",
        "Share of scored employees flagged as anomalies (0-1).",
        run["anomaly_ratio"],
    )
    yield from _present(
        "epa_model_predictor_f1_macro",
        "Cross-validated macro F1 of the next-tier predictor (0-1); absent when none was trained.",
        run["predictor_f1_macro"],
    )
    yield from _present(
        "epa_model_score_drift_psi",
        "Population stability index of the score distribution against the previous run; "
        "absent for the first run.",
        run["drift_psi"],
    )
    yield from _present(
        "epa_model_backtest_macro_f1",
        "Macro F1 of the previous run's next-tier predictions against the current run's "
        "tiers for the people in both (0-1); absent when there is no back-test.",
        run["backtest_macro_f1"],
    )
    yield from _present(
        "epa_model_backtest_accuracy",
        "Share of the previous run's next-tier predictions the current run's tiers bore out "
        "(0-1); absent when there is no back-test.",
        run["backtest_accuracy"],
    )
    yield from _adverse_impact(run["adverse_impact_groups"])


def _adverse_impact(by_attribute: dict[str, int] | None) -> Iterator[Metric]:
    """Reported groups with adverse impact, per protected attribute. Only the attribute is a
    label (a handful of names such as age_band, chosen by HR); groups never are, so no label
    narrows to a few people. Absent when the run audited nothing."""
    if not by_attribute:
        return
    family = GaugeMetricFamily(
        "epa_model_fairness_adverse_impact_groups",
        "Reported groups of a protected attribute whose High share is under four fifths of "
        "the best group's in the current run (the four-fifths rule).",
        labels=["attribute"],
    )
    for attribute, groups in sorted(by_attribute.items()):
        family.add_metric([attribute], groups)
    yield family


def _present(name: str, documentation: str, value: float | None) -> Iterator[Metric]:
    """A gauge only when the run has the value: a made-up 0 would read as a real F1 or PSI."""
    if value is not None:
        yield _gauge(name, documentation, value)
