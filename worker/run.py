"""One model run: lock, choose the month it is as of, read the window, fit and score, write
the run atomically, and publish it unless it differs too much from the current run (then it
is held: see worker.hold_checks)."""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import joblib
import psycopg2

from analytics import AnalysisConfig, analyze, population_stability_index
from analytics.backtest import backtest
from analytics.config import InsightsConfig
from analytics.fairness import audit_summary, fairness_audit
from analytics.insights import derive_insights
from store import run_inputs, runs
from store.department_summaries import record_department_summaries
from store.queries.runs import current_run_id
from store.run_profiles import RunProfile, run_profile
from worker.hold_checks import HoldLimits, hold_reasons
from worker.memory import release_freed_memory
from worker.progress import Steps

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
    # "succeeded" (now current), "held" (stored, not current: see `reasons`) or "skipped"
    # (another run held the lock)
    status: str
    run_id: int | None = None
    employees_scored: int = 0
    rows_read: int = 0
    rows_after_as_of: int = 0
    as_of: dt.date | None = None
    reasons: list[dict] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


AS_OF_MODES = ("complete", "current")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def choose_as_of(mode: str, timezone: str, now: dt.datetime) -> dt.date:
    """The first day of the month a run is as of: the last month that is complete by the
    clock in `timezone` ("complete") or the current one ("current")."""
    if mode not in AS_OF_MODES:
        raise ValueError(f"as_of mode must be one of {', '.join(AS_OF_MODES)}, got {mode!r}")
    this_month = now.astimezone(ZoneInfo(timezone)).date().replace(day=1)
    if mode == "current":
        return this_month
    return (this_month - dt.timedelta(days=1)).replace(day=1)


def execute_run(
    database_url: str,
    *,
    window_days: int = 90,
    keep_runs: int = 30,
    wait: bool = False,
    config: AnalysisConfig | None = None,
    insights: InsightsConfig | None = None,
    as_of: dt.date | None = None,
    as_of_mode: str = "complete",
    timezone: str = "UTC",
    clock: Callable[[], dt.datetime] = utc_now,
    hold_limits: HoldLimits | None = None,
) -> RunOutcome:
    """One run as of `as_of` (a month's first day), else the month `as_of_mode` chooses by
    `clock` in `timezone`. Task records after it are ignored and counted."""
    config = config or AnalysisConfig()
    insights = insights or InsightsConfig()
    hold_limits = hold_limits or HoldLimits()
    if as_of is None:
        as_of = choose_as_of(as_of_mode, timezone, clock())
    else:
        as_of, as_of_mode = as_of.replace(day=1), "given"
    conn = psycopg2.connect(database_url, application_name="epa-worker")
    try:
        if wait:
            runs.lock(conn)
        elif not runs.try_lock(conn):
            conn.rollback()
            log.info("another run holds the run lock; nothing to do", extra={"status": "skipped"})
            return RunOutcome(status="skipped")
        abandoned = runs.abandon_stale_runs(conn)
        rows_after = run_inputs.rows_after(conn, as_of)
        params = {
            "as_of": as_of.isoformat(),
            "as_of_mode": as_of_mode,
            "rows_after_as_of": rows_after,
            "window_days": window_days,
            "analysis": config.to_dict(),
            "insights": insights.to_dict(),
        }
        run_id = runs.start_run(conn, params)
        conn.commit()
        log.info("run started", extra={"run_id": run_id, "abandoned_runs": abandoned})
        try:
            with Steps("run") as steps:
                return _train_and_publish(
                    conn,
                    database_url,
                    run_id,
                    _Window(as_of, window_days, rows_after),
                    keep_runs,
                    config,
                    insights,
                    hold_limits,
                    steps,
                )
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


@dataclass(frozen=True)
class _ScoresWritten:
    seconds: dict[str, float]
    previous_id: int | None  # the current run, which this one would replace
    profile: RunProfile  # this run's, for the hold checks
    previous_profile: RunProfile | None


def _write_scores(conn, run_id: int, scores, rows_read: int, clock: Steps) -> _ScoresWritten:
    """Step "scores": the run's scores into their partition, then what is counted from
    them alone (the department summaries, the profiles the hold checks compare)."""
    with clock.step("scores", total=len(scores)) as writing:
        seconds = runs.write_run_rows(
            conn, run_id, scores=scores, on_rows=lambda table, rows: writing.advance(rows, table)
        )
        record_department_summaries(conn, run_id)
        previous_id = current_run_id(conn)
        return _ScoresWritten(
            seconds,
            previous_id,
            run_profile(conn, run_id, rows_read),
            run_profile(conn, previous_id) if previous_id is not None else None,
        )


@dataclass(frozen=True)
class _Window:
    as_of: dt.date
    days: int
    rows_after: int  # task records after as_of, ignored


def _train_and_publish(
    conn,
    database_url: str,
    run_id: int,
    window: _Window,
    keep_runs: int,
    config: AnalysisConfig,
    insights: InsightsConfig,
    hold_limits: HoldLimits,
    clock: Steps,
) -> RunOutcome:
    as_of = window.as_of
    with clock.step("read"):
        run_inputs.begin_read(conn)  # until the rollback that ends the read
        if not run_inputs.has_records_up_to(conn, as_of):
            raise NothingToAnalyse(
                f"there are no task records (nor KPI values) in or before {as_of:%Y-%m} to "
                "analyse; ingest some first"
            )
        # The insights' inputs are read on a second connection that sees the same data,
        # while the server aggregates the windows on this one.
        with (
            run_inputs.sharing_snapshot(conn, database_url) as other,
            ThreadPoolExecutor(1, thread_name_prefix="epa-read") as pool,
        ):
            insight_inputs = pool.submit(run_inputs.read_insight_inputs, other, as_of, insights)
            features, rows_read = run_inputs.read_window_features(conn, as_of, window.days)
            previous_scores = runs.current_scores(conn)
            # The run this one will replace: its next-tier predictions are back-tested below.
            previous_run = current_run_id(conn)
            previous_predictions = (
                runs.predictions(conn, previous_run) if previous_run is not None else None
            )
            kpis = run_inputs.read_kpi_inputs(conn, as_of, window.days)
            inputs = insight_inputs.result()
        conn.rollback()  # end the read transaction; nothing was written
        release_freed_memory()  # the parsed query results' buffers
    log.info(
        "window read",
        extra={
            "run_id": run_id,
            "as_of": as_of.isoformat(),
            "rows_read": rows_read,
            "rows_after_as_of": window.rows_after,
            "employees": int((features["window"] == 0).sum()),
            "seconds": clock.timings["read"],
        },
    )

    with clock.step("fit"):
        # Drivers and KPI breakdowns as the JSON text the store keeps: as dicts, a million
        # people's would be the peak of the run.
        result = analyze(features, config, insights, kpis, json_columns=True)
        del features, kpis  # a million employees' windows: free them before the insights
        metrics = dict(result.metrics)
        metrics["rows_after_as_of"] = window.rows_after
        metrics["drift_psi"] = (
            population_stability_index(previous_scores, result.scores["score"].to_numpy())
            if len(previous_scores)
            else None
        )
        # None for the first run, or when nobody the previous run predicted has a tier now.
        metrics["backtest"] = (
            backtest(previous_predictions, result.scores, previous_run)
            if previous_predictions is not None
            else None
        )
        del previous_predictions
        artifact = io.BytesIO()
        joblib.dump(result.models, artifact, compress=3)
        release_freed_memory()  # the windows, and what the fit freed
    log.info(
        "models fitted",
        extra={
            "run_id": run_id,
            "employees_scored": len(result.scores),
            "anomaly_ratio": metrics.get("anomaly_ratio"),
            "backtest_macro_f1": (metrics["backtest"] or {}).get("macro_f1"),
            "seconds": clock.timings["fit"],
        },
    )

    # The scores go to the store (and are summarised there) while the insights are
    # derived: the server parses, indexes and counts a million rows on one core while this
    # process derives on the other. Nothing else uses the connection until it is joined.
    with ThreadPoolExecutor(1, thread_name_prefix="epa-scores") as pool:
        scores_written = pool.submit(_write_scores, conn, run_id, result.scores, rows_read, clock)
        with clock.step("insights"):
            tables = derive_insights(
                result,
                as_of=as_of,
                employee_skills=inputs.employee_skills,
                requirements=inputs.requirements,
                programs=inputs.programs,
                completions=inputs.completions,
                monthly_activity=inputs.monthly_activity,
                monthly_kpis=inputs.monthly_kpis,
                managers=inputs.managers,
                config=config,
                insights=insights,
            )
            del inputs
            release_freed_memory()
        written = scores_written.result()
    log.info(
        "insights derived",
        extra={
            "run_id": run_id,
            "rows": {name: len(frame) for name, frame in tables.items()},
            "seconds": clock.timings["insights"],
            "scores_seconds": clock.timings["scores"],
        },
    )

    with clock.step("fairness"):
        # Read only now, after the fit and the scores: no model ever sees them.
        attributes = run_inputs.read_protected_attributes(conn)
        min_group_size = run_inputs.read_min_group_size(conn)  # in the writing transaction
        audit = fairness_audit(result.scores, attributes, min_group_size)
        del attributes
        metrics["fairness"] = audit_summary(audit, min_group_size)
    log.info(
        "fairness audited",
        extra={
            "run_id": run_id,
            # Counts only: group values may be few people's, and stay out of the logs.
            "groups": metrics["fairness"]["groups"],
            "suppressed_groups": metrics["fairness"]["suppressed_groups"],
            "adverse_impact_groups": metrics["fairness"]["adverse_impact_groups"],
            "seconds": clock.timings["fairness"],
        },
    )

    rows_to_write = sum(len(frame) for frame in tables.values()) + len(audit)
    with clock.step("write", total=rows_to_write) as writing:
        write_seconds = written.seconds | runs.write_run_rows(
            conn,
            run_id,
            scores=None,  # written already
            insights=tables,
            fairness=audit,
            on_rows=lambda table, rows: writing.advance(rows, table),
        )
        previous_id = written.previous_id
        reasons = hold_reasons(written.profile, written.previous_profile, hold_limits)
        status = runs.finish_run(
            conn,
            run_id,
            as_of=as_of,
            metrics=metrics,
            # Stored with the run's own row, in the same UPDATE: the write so far (every
            # row is written and profiled by now; only this UPDATE, pruning and the commit
            # remain), so the stored timings name every step without a second UPDATE.
            timings={**clock.timings, "write": writing.seconds},
            rows_read=rows_read,
            employees_scored=len(result.scores),
            artifact=artifact.getvalue(),
            held_reasons=reasons,
        )
        pruned = runs.prune_runs(conn, keep_runs)
        conn.commit()
    details = {
        "run_id": run_id,
        "employees_scored": len(result.scores),
        "pruned_runs": pruned,
        "seconds": clock.timings["write"],
        "timings": clock.timings,
        "write_seconds_by_table": write_seconds,
    }
    if status == "held":
        log.warning(
            "run held: it differs too much from the current run, which stays current",
            extra={**details, "current_run_id": previous_id, "reasons": reasons},
        )
    else:
        log.info("run published", extra=details)
    return RunOutcome(
        status=status,
        run_id=run_id,
        employees_scored=len(result.scores),
        rows_read=rows_read,
        rows_after_as_of=window.rows_after,
        as_of=as_of,
        reasons=reasons,
        timings=clock.timings,
    )
