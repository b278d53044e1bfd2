"""Batch metrics pushed by the worker to a real Pushgateway: after a success, after a failure
(which must keep the last success timestamp), never for a skipped run, and never at the cost
of the run when the Pushgateway is down or hangs."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys

import pytest

from tests.helpers import seed_demo
from tests.prometheus import Exposition, free_port
from worker import batch_metrics
from worker.run import RunFailed, RunOutcome

JOB = {"job": "epa-worker"}


def worker_run(database_url: str, pushgateway_url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "EPA_PUSHGATEWAY_URL": pushgateway_url}
    return subprocess.run(
        [sys.executable, "-m", "worker", "run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def pushed(page: Exposition, name: str) -> float | None:
    return page.value(name, **JOB)


def test_a_failed_run_after_a_success_keeps_the_last_success_timestamp(
    database_url, conn, pushgateway
):
    seed_demo(database_url)
    succeeded = worker_run(database_url, pushgateway.url)
    assert succeeded.returncode == 0, succeeded.stderr
    after_success = pushgateway.metrics()
    with conn.cursor() as cur:
        cur.execute("SELECT rows_read, employees_scored FROM model_runs WHERE is_current")
        rows_read, employees_scored = cur.fetchone()
        # Without task records the next run fails.
        cur.execute("TRUNCATE task_records")
    conn.commit()
    failed = worker_run(database_url, pushgateway.url)
    assert failed.returncode == 1
    after_failure = pushgateway.metrics()

    assert pushed(after_success, "epa_worker_last_run_success") == 1
    assert pushed(after_success, "epa_worker_rows_read") == rows_read
    assert pushed(after_success, "epa_worker_employees_scored") == employees_scored
    assert pushed(after_success, "epa_worker_run_duration_seconds") > 0
    success_time = pushed(after_success, "epa_worker_last_success_timestamp_seconds")
    assert success_time == pushed(after_success, "epa_worker_last_run_timestamp_seconds")

    assert pushed(after_failure, "epa_worker_last_run_success") == 0
    assert pushed(after_failure, "epa_worker_last_success_timestamp_seconds") == success_time
    assert pushed(after_failure, "epa_worker_last_run_timestamp_seconds") > success_time
    # Row counts stay those of the last successful run.
    assert pushed(after_failure, "epa_worker_rows_read") == rows_read
    assert pushed(after_failure, "epa_worker_employees_scored") == employees_scored


def test_a_skipped_run_pushes_nothing(pushgateway):
    outcome = batch_metrics.run_and_push(lambda: RunOutcome(status="skipped"), pushgateway.url)
    assert outcome.status == "skipped"
    assert not [s for s in pushgateway.metrics().samples if s.name.startswith("epa_worker_")]


def test_an_unreachable_pushgateway_does_not_fail_a_successful_run(caplog):
    done = RunOutcome(status="succeeded", run_id=7, employees_scored=3, rows_read=9)
    with caplog.at_level(logging.WARNING, logger="epa.worker.batch_metrics"):
        outcome = batch_metrics.run_and_push(lambda: done, f"http://127.0.0.1:{free_port()}")
    assert outcome is done
    assert "could not push batch metrics" in caplog.text


def test_an_unreachable_pushgateway_leaves_a_failed_run_s_own_error(caplog):
    def fail() -> RunOutcome:
        raise RunFailed("run 8 failed: ValueError: no task records")

    with (
        caplog.at_level(logging.WARNING, logger="epa.worker.batch_metrics"),
        pytest.raises(RunFailed, match="no task records"),
    ):
        batch_metrics.run_and_push(fail, f"http://127.0.0.1:{free_port()}")
    assert "could not push batch metrics" in caplog.text


def test_a_pushgateway_that_never_answers_is_given_up_after_the_timeout(caplog):
    # A listening socket that is never accepted from: the connection opens, no reply comes.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        host, port = silent.getsockname()
        report = batch_metrics.RunReport(True, duration_seconds=1.0, finished_at=1.7e9)
        with caplog.at_level(logging.WARNING, logger="epa.worker.batch_metrics"):
            assert not batch_metrics.push(f"http://{host}:{port}", report, timeout=0.5)
    (warning,) = caplog.records
    assert "timed out" in warning.error
