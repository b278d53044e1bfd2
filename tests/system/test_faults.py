"""Faults, each with real processes: PostgreSQL going away under a serving API, a worker
killed mid-write, two workers at once, an ingest whose connection drops, an exhausted pool.

Every wait is bounded polling on something observable (an HTTP answer, a row in
pg_stat_activity); where a fault must strike in a precise phase, the test holds a lock
that parks the process there, so the phase lasts as long as the test needs it to."""

from __future__ import annotations

import csv
import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest

from tests.helpers import first_of_month, issue_token, query, seed_demo, snapshot
from tests.processes import ROOT, Reply, call, running_gunicorn, wait_for
from tests.prometheus import free_port

pytestmark = pytest.mark.slow

PG_SCRIPT = ROOT / "scripts" / "local-postgres.sh"
WAIT_SECONDS = 120.0


def backends(url: str, application: str, like: str = "%", waiting: bool = False) -> list[int]:
    """Server processes of `application` in this database running a statement LIKE `like`
    (only those waiting for a lock when `waiting`)."""
    rows = query(
        url,
        """SELECT pid FROM pg_stat_activity
           WHERE datname = current_database() AND application_name = %s
             AND state = 'active' AND query LIKE %s
             AND (NOT %s OR wait_event_type = 'Lock')""",
        (application, like, waiting),
    )
    return [pid for (pid,) in rows]


@contextmanager
def holding(url: str, *statements: str) -> Iterator[None]:
    """Run `statements` in one open transaction and keep its locks until the block ends."""
    conn = psycopg2.connect(url, application_name="epa-fault-test")
    try:
        with conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
        yield
    finally:
        conn.rollback()
        conn.close()


def worker(url: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "worker", "run", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_unavailable(reply: Reply) -> None:
    assert reply.status == 503, reply.body
    assert int(reply.headers["Retry-After"]) > 0
    assert reply.json()["status"] == "error"


def runs(url: str) -> list[tuple]:
    return query(url, "SELECT run_id, status, is_current, error FROM model_runs ORDER BY run_id")


@pytest.fixture
def scored_url(database_url: str) -> str:
    """A fresh demo organisation with one published run."""
    from worker.run import execute_run

    seed_demo(database_url, employees=150)
    execute_run(database_url)
    return database_url


# --- PostgreSQL stopped while the API serves -------------------------------------------


@dataclass
class Cluster:
    """A PostgreSQL cluster of this test's own, which it may stop and start."""

    data: Path
    port: int

    def start(self) -> None:
        subprocess.run([PG_SCRIPT, "start", self.data, str(self.port)], check=True)

    def stop(self) -> None:
        subprocess.run([PG_SCRIPT, "stop", self.data], check=True)

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}"


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    # The server runs as the unprivileged 'postgres' user, which must reach the folder.
    folder = Path(tempfile.mkdtemp(prefix="epa-pg-fault-"))
    folder.chmod(0o755)
    own = Cluster(folder / "data", free_port())
    own.start()
    try:
        yield own
    finally:
        subprocess.run([PG_SCRIPT, "stop", own.data], check=False)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.postgres  # a cluster of its own
def test_api_answers_503_while_postgres_is_down_and_recovers_without_a_restart(
    cluster: Cluster, tmp_path: Path
):
    from store import migrate
    from worker.run import execute_run

    query(f"{cluster.admin_url}/postgres", "CREATE DATABASE epa")
    url = f"{cluster.admin_url}/epa"
    migrate.upgrade(url)
    seed_demo(url, employees=60)
    execute_run(url)
    token = issue_token(url)
    ((employee,),) = query(url, "SELECT employee_id FROM employees ORDER BY 1 LIMIT 1")

    with running_gunicorn(url, tmp_path, EPA_WORKERS="2") as api:
        result = f"{api.url}/api/v1/employees/{employee}"
        # Both workers hold open pooled connections when the outage breaks them.
        with ThreadPoolExecutor(max_workers=8) as pool:
            warm = list(pool.map(lambda _: call(result, headers=auth(token)), range(16)))
        assert {r.status for r in warm} == {200}
        assert call(f"{api.url}/readyz").status == 200

        cluster.stop()
        # Pooled connections to the stopped server, then refused new ones: all 503.
        for _ in range(12):
            assert_unavailable(call(result, headers=auth(token)))
        down = call(f"{api.url}/readyz")
        assert down.status == 503
        assert down.json()["reason"] == "database unreachable"
        assert call(f"{api.url}/healthz").status == 200

        cluster.start()
        # Nothing is restarted: the same gunicorn heals as broken connections are replaced.
        wait_for(
            lambda: call(result, headers=auth(token)).status == 200,
            timeout=WAIT_SECONDS,
            what="the API to serve again",
        )
        with ThreadPoolExecutor(max_workers=8) as pool:
            after = list(pool.map(lambda _: call(result, headers=auth(token)), range(16)))
        assert {r.status for r in after} == {200}
        assert call(f"{api.url}/readyz").status == 200
        assert api.process.poll() is None
        assert "Traceback" not in api.log()


# --- the worker killed while it writes a run ---------------------------------------------


def test_worker_killed_while_writing_leaves_the_previous_run_current_and_no_scores(
    scored_url: str,
):
    ((previous,),) = query(scored_url, "SELECT run_id FROM model_runs WHERE is_current")
    size_before = query(scored_url, "SELECT pg_database_size(current_database())")[0][0]

    # The publishing transaction COPYs every score, then switches the current run; holding
    # the current run's row parks the worker right after its COPY, mid-transaction.
    with holding(scored_url, "SELECT run_id FROM model_runs WHERE is_current FOR UPDATE"):
        process = worker(scored_url)

        def publishing() -> list[int]:
            assert process.poll() is None, process.communicate()
            return backends(scored_url, "epa-worker", "UPDATE model_runs%", waiting=True)

        wait_for(publishing, timeout=WAIT_SECONDS, interval=0.2, what="the worker's write")
        ((killed,),) = query(scored_url, "SELECT run_id FROM model_runs WHERE status = 'running'")
        # The scores were really being written: the database grew by the uncommitted rows
        # (in the run's own partition, which no other session sees yet).
        size = query(scored_url, "SELECT pg_database_size(current_database())")[0][0]
        assert size > size_before
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    # Its server process finds the client gone at its next read and rolls back.
    wait_for(
        lambda: not backends(scored_url, "epa-worker"),
        timeout=WAIT_SECONDS,
        what="the killed worker's session to end",
    )

    assert query(scored_url, "SELECT run_id FROM model_runs WHERE is_current") == [(previous,)]
    assert query(scored_url, "SELECT count(*) FROM scores WHERE run_id = %s", (killed,)) == [(0,)]

    following = worker(scored_url)
    stdout, stderr = following.communicate(timeout=300)
    assert following.returncode == 0, stderr
    assert "run succeeded" in stdout
    status, current, error = {r[0]: r[1:] for r in runs(scored_url)}[killed]
    assert (status, current) == ("failed", False)
    assert error.startswith("abandoned")
    ((latest, employees),) = query(
        scored_url, "SELECT run_id, employees_scored FROM model_runs WHERE is_current"
    )
    assert latest > killed
    assert query(scored_url, "SELECT count(*) FROM scores WHERE run_id = %s", (latest,)) == [
        (employees,)
    ]


# --- two worker runs at once ---------------------------------------------------------


def test_two_worker_runs_started_together_publish_exactly_one_run(scored_url: str):
    before = runs(scored_url)
    # Parked at publishing, the run holding the run lock cannot finish before the other
    # has tried the lock, however slowly that one starts.
    with holding(scored_url, "SELECT run_id FROM model_runs WHERE is_current FOR UPDATE"):
        first, second = worker(scored_url), worker(scored_url)

        def one_exited() -> subprocess.Popen | None:
            return next((p for p in (first, second) if p.poll() is not None), None)

        skipper = wait_for(one_exited, timeout=WAIT_SECONDS, what="one worker to give way")
        runner = second if skipper is first else first
        stdout, stderr = skipper.communicate(timeout=30)
        assert skipper.returncode == 0, stderr
        assert stdout.strip() == "run skipped"
        assert runner.poll() is None
    stdout, stderr = runner.communicate(timeout=300)
    assert runner.returncode == 0, stderr
    assert "run succeeded" in stdout

    new = runs(scored_url)[len(before) :]
    assert [(status, current) for _, status, current, _ in new] == [("succeeded", True)]
    assert query(scored_url, "SELECT count(*) FROM model_runs WHERE is_current") == [(1,)]


# --- an ingest whose connection drops -------------------------------------------------


def task_records_csv(url: str, months: int) -> tuple[bytes, int]:
    """Task records for every employee in `months` periods before the seeded history."""
    people = [e for (e,) in query(url, "SELECT employee_id FROM employees ORDER BY 1")]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["employee_id", "period", "tasks_total", "tasks_completed", "hours_logged"])
    for months_ago in range(14, 14 + months):
        period = first_of_month(months_ago).isoformat()
        writer.writerows([e, period, 20, 15, 120.5] for e in people)
    return out.getvalue().encode(), len(people) * months


def test_ingest_whose_connection_drops_mid_load_answers_503_and_commits_nothing(
    database_url: str, tmp_path: Path
):
    seed_demo(database_url, employees=300)
    token = issue_token(database_url, role="admin")
    body, rows = task_records_csv(database_url, months=24)
    assert rows == 7200
    conn = psycopg2.connect(database_url)
    try:
        stored = snapshot(conn, "task_records")
    finally:
        conn.close()

    with running_gunicorn(database_url, tmp_path, EPA_WORKERS="1") as api:
        # The batch is staged and checked, then its upsert into task_records waits for this
        # lock: its connection is cut right there, mid-transaction.
        with (
            holding(database_url, "LOCK TABLE task_records IN SHARE MODE"),
            ThreadPoolExecutor(max_workers=1) as pool,
        ):
            sent: Future[Reply] = pool.submit(
                call,
                f"{api.url}/api/v1/ingest/task-records",
                method="POST",
                body=body,
                headers={"Content-Type": "text/csv", **auth(token)},
                timeout=WAIT_SECONDS,
            )
            upserting = wait_for(
                lambda: backends(database_url, "epa-api", "%INSERT INTO%", waiting=True),
                timeout=WAIT_SECONDS,
                what="the ingest's upsert",
            )
            ((terminated,),) = query(
                database_url, "SELECT pg_terminate_backend(%s)", (upserting[0],)
            )
            assert terminated
            reply = sent.result(timeout=WAIT_SECONDS)
        assert_unavailable(reply)
        assert reply.json()["message"] == "the database is unavailable; retry shortly"
        assert "Traceback" not in api.log()

    conn = psycopg2.connect(database_url)
    try:
        assert snapshot(conn, "task_records") == stored
    finally:
        conn.close()


# --- the connection pool exhausted ---------------------------------------------------


def test_exhausted_pool_fails_fast_with_503_and_serves_once_the_connection_is_free(
    scored_url: str, tmp_path: Path
):
    token = issue_token(scored_url)
    ((employee,),) = query(scored_url, "SELECT employee_id FROM employees ORDER BY 1 LIMIT 1")
    settings = {
        "EPA_WORKERS": "1",
        "EPA_THREADS": "2",
        "EPA_DB_POOL_SIZE": "1",
        "EPA_DB_ACQUIRE_TIMEOUT_SECONDS": "1",
    }
    with running_gunicorn(scored_url, tmp_path, **settings) as api:
        result = f"{api.url}/api/v1/employees/{employee}"
        other = f"{api.url}/api/v1/models/current"
        with ThreadPoolExecutor(max_workers=1) as pool:
            with holding(scored_url, "LOCK TABLE scores IN ACCESS EXCLUSIVE MODE"):
                # The first request blocks on the lock while holding the only connection.
                first = pool.submit(call, result, headers=auth(token), timeout=WAIT_SECONDS)
                wait_for(
                    lambda: backends(scored_url, "epa-api", waiting=True),
                    timeout=WAIT_SECONDS,
                    what="a request holding the pool's connection",
                )
                # Never a hang: a client timeout far above the acquire timeout.
                assert_unavailable(call(other, headers=auth(token), timeout=20))
                assert not first.done()
            assert first.result(timeout=WAIT_SECONDS).status == 200
        assert call(other, headers=auth(token)).status == 200
        assert call(result, headers=auth(token)).status == 200
        assert "Traceback" not in api.log()
