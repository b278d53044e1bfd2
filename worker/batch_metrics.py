"""Batch metrics: after each model run the worker pushes how it went to a Prometheus
Pushgateway, since a CronJob's pod is gone long before Prometheus could scrape it.

Every push uses POST (pushadd) semantics: it replaces only the metrics it carries and keeps
the rest of the group. A failed run therefore updates the run-level metrics (outcome,
duration, time) but leaves the last success timestamp and the last successful run's row
counts as they were; a PUT would wipe them and the "model is stale" alert would lose its
reference point. A held run (stored, not published: worker.hold_checks) completed, so
it updates the run-level metrics and sets `epa_model_run_held` to 1, but like a failure it
leaves the last success and its row counts alone; a published run sets the gauge back to 0.
A Pushgateway that is down or slow costs a warning, never the run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, pushadd_to_gateway
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from worker.run import RunOutcome

log = logging.getLogger("epa.worker.batch_metrics")

JOB = "epa-worker"
PUSH_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class RunReport:
    succeeded: bool  # completed: published, or held when `held`
    duration_seconds: float
    finished_at: float  # Unix time
    rows_read: int = 0
    employees_scored: int = 0
    held: bool = False
    rows_after_as_of: int = 0


class _ReportCollector(Collector):
    """The report as gauges; built directly so no process-wide metric state is involved."""

    def __init__(self, report: RunReport) -> None:
        self._report = report

    def collect(self) -> Iterator[Metric]:
        report = self._report
        yield _gauge(
            "epa_worker_run_duration_seconds",
            "How long the last model run took, successful or not.",
            report.duration_seconds,
        )
        yield _gauge(
            "epa_worker_last_run_success",
            "1 when the last model run completed (published or held), 0 when it failed.",
            1 if report.succeeded else 0,
        )
        yield _gauge(
            "epa_worker_last_run_timestamp_seconds",
            "When the last model run ended, successful or not (Unix time).",
            report.finished_at,
        )
        if report.succeeded:
            yield _gauge(
                "epa_model_run_held",
                "1 when the last completed model run was held instead of published.",
                1 if report.held else 0,
            )
            yield _gauge(
                "epa_worker_rows_after_as_of",
                "Task records after the last completed run's month, which it ignored.",
                report.rows_after_as_of,
            )
        if report.succeeded and not report.held:
            yield _gauge(
                "epa_worker_last_success_timestamp_seconds",
                "When the last successful model run ended (Unix time).",
                report.finished_at,
            )
            yield _gauge(
                "epa_worker_rows_read",
                "Task records read by the last successful model run.",
                report.rows_read,
            )
            yield _gauge(
                "epa_worker_employees_scored",
                "Employees scored by the last successful model run.",
                report.employees_scored,
            )


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def push(gateway_url: str, report: RunReport, *, timeout: float = PUSH_TIMEOUT_SECONDS) -> bool:
    """Push the report to the Pushgateway; False (and a warning) when that failed."""
    registry = CollectorRegistry()
    registry.register(_ReportCollector(report))
    try:
        pushadd_to_gateway(gateway_url, job=JOB, registry=registry, timeout=timeout)
    except Exception as exc:  # whatever went wrong, monitoring must not fail the run
        log.warning(
            "could not push batch metrics to the Pushgateway",
            extra={"pushgateway": gateway_url, "error": f"{type(exc).__name__}: {exc}"},
        )
        return False
    log.info("batch metrics pushed", extra={"succeeded": report.succeeded, "held": report.held})
    return True


def run_and_push(run: Callable[[], RunOutcome], gateway_url: str | None) -> RunOutcome:
    """Call `run`, then push how it went when a Pushgateway is configured.

    The run's outcome or exception passes through unchanged. A run skipped because another
    one held the lock pushes nothing: that other run reports for itself."""
    if not gateway_url:
        return run()
    started = time.monotonic()
    try:
        outcome = run()
    except BaseException:
        failed = RunReport(
            succeeded=False, duration_seconds=time.monotonic() - started, finished_at=time.time()
        )
        push(gateway_url, failed)
        raise
    if outcome.status in ("succeeded", "held"):
        push(
            gateway_url,
            RunReport(
                succeeded=True,
                duration_seconds=time.monotonic() - started,
                finished_at=time.time(),
                rows_read=outcome.rows_read,
                employees_scored=outcome.employees_scored,
                held=outcome.status == "held",
                rows_after_as_of=outcome.rows_after_as_of,
            ),
        )
    return outcome
