"""One model run: lock, read the window, fit and score, write the run atomically."""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import joblib
import psycopg2

from analytics import AnalysisConfig, analyze, population_stability_index
from analytics.config import InsightsConfig
from analytics.insights import derive_insights
from store import run_inputs, runs

log = logging.getLogger("epa.worker.run")


class RunFailed(RuntimeError):
    """The run was recorded as failed; the previous run stays current."""

    def __init__(self, message: str, printable: str | None = None) -> None:
        super().__init__(message)
        # What logs and the CLI may show: the message itself may quote data.
        self.printable = printable or message


class NothingToAnalyse(ValueError):
    """The store holds no task records yet: a precondition whose message names no data."""


def _printable(exc: BaseException) -> str:
    """The failure as the logs may show it. Messages can quote data (a constraint violation
    names its key's values, a KeyError an employee id), so only the class is printed; the
    full message is kept in model_runs.error. Our own precondition's message is safe."""
    if isinstance(exc, NothingToAnalyse):
        return f"{type(exc).__name__}: {exc}"
    return f"{type(exc).__name__} (the reason is recorded in model_runs.error)"


@dataclass
class RunOutcome:
    status: str  # "succeeded" or "skipped" (another run held the lock)
    run_id: int | None = None
    employees_scored: int = 0
    rows_read: int = 0
    timings: dict[str, float] = field(default_factory=dict)


class _Stopwatch:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = round(time.perf_counter() - started, 3)


def execute_run(
    database_url: str,
    *,
    window_days: int = 90,
    keep_runs: int = 30,
    wait: bool = False,
    config: AnalysisConfig | None = None,
    insights: InsightsConfig | None = None,
) -> RunOutcome:
    config = config or AnalysisConfig()
    insights = insights or InsightsConfig()
    conn = psycopg2.connect(database_url, application_name="epa-worker")
    try:
        if wait:
            runs.lock(conn)
        elif not runs.try_lock(conn):
            conn.rollback()
            log.info("another run holds the run lock; nothing to do", extra={"status": "skipped"})
            return RunOutcome(status="skipped")
        abandoned = runs.abandon_stale_runs(conn)
        params = {
            "window_days": window_days,
            "analysis": config.to_dict(),
            "insights": insights.to_dict(),
        }
        run_id = runs.start_run(conn, params)
        conn.commit()
        log.info("run started", extra={"run_id": run_id, "abandoned_runs": abandoned})
        try:
            return _train_and_publish(conn, run_id, window_days, keep_runs, config, insights)
        except BaseException as exc:
            conn.rollback()
            runs.fail_run(conn, run_id, f"{type(exc).__name__}: {exc}")
            conn.commit()
            log.error("run failed", extra={"run_id": run_id, "error": type(exc).__name__})
            raise RunFailed(
                f"run {run_id} failed: {type(exc).__name__}: {exc}",
                f"run {run_id} failed: {_printable(exc)}",
            ) from exc
    finally:
        # Release the lock explicitly: after close() the server frees it asynchronously,
        # and a run started right after could still find it taken.
        if not conn.closed:
            conn.rollback()
            runs.unlock(conn)
            conn.commit()
        conn.close()


def _train_and_publish(
    conn,
    run_id: int,
    window_days: int,
    keep_runs: int,
    config: AnalysisConfig,
    insights: InsightsConfig,
) -> RunOutcome:
    clock = _Stopwatch()
    with clock.step("read"):
        as_of = run_inputs.latest_period(conn)
        if as_of is None:
            raise NothingToAnalyse("there are no task records to analyse; ingest some first")
        features, rows_read = run_inputs.read_window_features(conn, as_of, window_days)
        previous_scores = runs.current_scores(conn)
        inputs = run_inputs.read_insight_inputs(conn, as_of, insights)
        conn.rollback()  # end the read transaction; nothing was written
    log.info(
        "window read",
        extra={
            "run_id": run_id,
            "as_of": as_of.isoformat(),
            "rows_read": rows_read,
            "employees": int((features["window"] == 0).sum()),
            "seconds": clock.timings["read"],
        },
    )

    with clock.step("fit"):
        result = analyze(features, config, insights)
        del features  # a million employees' windows: free them before the insights
        metrics = dict(result.metrics)
        metrics["drift_psi"] = (
            population_stability_index(previous_scores, result.scores["score"].to_numpy())
            if len(previous_scores)
            else None
        )
        artifact = io.BytesIO()
        joblib.dump(result.models, artifact, compress=3)
    log.info(
        "models fitted",
        extra={
            "run_id": run_id,
            "employees_scored": len(result.scores),
            "anomaly_ratio": metrics.get("anomaly_ratio"),
            "seconds": clock.timings["fit"],
        },
    )

    with clock.step("insights"):
        tables = derive_insights(
            result,
            as_of=as_of,
            employee_skills=inputs.employee_skills,
            requirements=inputs.requirements,
            programs=inputs.programs,
            completions=inputs.completions,
            monthly_activity=inputs.monthly_activity,
            managers=inputs.managers,
            config=config,
            insights=insights,
        )
        del inputs
    log.info(
        "insights derived",
        extra={
            "run_id": run_id,
            "rows": {name: len(frame) for name, frame in tables.items()},
            "seconds": clock.timings["insights"],
        },
    )

    with clock.step("write"):
        write_seconds = runs.publish_run(
            conn,
            run_id,
            scores=result.scores,
            as_of=as_of,
            metrics=metrics,
            timings=clock.timings,
            rows_read=rows_read,
            artifact=artifact.getvalue(),
            insights=tables,
        )
        pruned = runs.prune_runs(conn, keep_runs)
        conn.commit()
    log.info(
        "run published",
        extra={
            "run_id": run_id,
            "employees_scored": len(result.scores),
            "pruned_runs": pruned,
            "seconds": clock.timings["write"],
            "timings": clock.timings,
            "write_seconds_by_table": write_seconds,
        },
    )
    return RunOutcome(
        status="succeeded",
        run_id=run_id,
        employees_scored=len(result.scores),
        rows_read=rows_read,
        timings=clock.timings,
    )
