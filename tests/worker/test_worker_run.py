"""The worker's model run against a real PostgreSQL: atomic publication, failure handling,
the run lock, and the CLI's exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import psycopg2
import pytest

from store import runs
from tests.helpers import count, seed_demo
from worker.run import RunFailed, execute_run


def run_rows(conn) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute("SELECT run_id, status, is_current, error FROM model_runs ORDER BY run_id")
        rows = cur.fetchall()
    conn.rollback()
    return rows


def scores_of(conn, run_id: int) -> int:
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM scores WHERE run_id = %s", (run_id,))
        n = cur.fetchone()[0]
    conn.rollback()
    return n


def test_a_run_scores_every_employee_and_becomes_current(database_url, conn):
    frames = seed_demo(database_url)
    outcome = execute_run(database_url)

    assert outcome.status == "succeeded"
    assert run_rows(conn) == [(outcome.run_id, "succeeded", True, None)]
    assert scores_of(conn, outcome.run_id) == len(frames["employees"]) == outcome.employees_scored
    with conn.cursor() as cur:
        cur.execute("SELECT metrics, rows_read, as_of FROM model_runs")
        metrics, rows_read, as_of = cur.fetchone()
        cur.execute("SELECT count(*) FROM task_records WHERE period > %s::date - 150", (as_of,))
    assert metrics["employees_scored"] == outcome.employees_scored
    assert set(metrics["tier_counts"]) == {"High", "Medium", "Low"}
    assert metrics["drift_psi"] is None  # nothing to compare with yet
    assert rows_read > 0


def test_the_next_run_replaces_the_current_one_and_measures_drift(database_url, conn):
    seed_demo(database_url)
    first = execute_run(database_url)
    second = execute_run(database_url)

    assert [(r[0], r[2]) for r in run_rows(conn)] == [(first.run_id, False), (second.run_id, True)]
    with conn.cursor() as cur:
        cur.execute("SELECT metrics->>'drift_psi' FROM model_runs WHERE is_current")
        psi = float(cur.fetchone()[0])
    assert psi == pytest.approx(0.0, abs=1e-6)  # same data, same scores


def test_a_run_failing_half_way_leaves_the_previous_run_current_and_no_partial_scores(
    database_url, conn, monkeypatch
):
    seed_demo(database_url)
    good = execute_run(database_url)

    def fail_after_scores_were_copied(*_args, **_kwargs):
        raise RuntimeError("disk full")

    # prune_runs runs after every score row was COPYed, inside the same transaction.
    monkeypatch.setattr(runs, "prune_runs", fail_after_scores_were_copied)
    with pytest.raises(RunFailed, match="disk full"):
        execute_run(database_url)

    rows = run_rows(conn)
    assert rows[0] == (good.run_id, "succeeded", True, None)
    failed_id, status, is_current, error = rows[1]
    assert (status, is_current) == ("failed", False)
    assert "disk full" in error
    assert scores_of(conn, failed_id) == 0
    assert scores_of(conn, good.run_id) == good.employees_scored
    # The insights of a run are written in the same transaction as its scores.
    with conn.cursor() as cur:
        for table in runs.INSIGHT_TABLES:
            cur.execute(f"SELECT run_id, count(*) FROM {table} GROUP BY run_id")
            per_run = dict(cur.fetchall())
            assert failed_id not in per_run, table
            if table not in ("training_effectiveness", "team_suggestions"):
                assert per_run[good.run_id] > 0, table
    conn.rollback()


def test_a_run_while_another_holds_the_lock_exits_cleanly_without_a_trace(database_url, conn):
    seed_demo(database_url)
    holder = psycopg2.connect(database_url)
    assert runs.try_lock(holder)
    try:
        outcome = execute_run(database_url)
    finally:
        holder.close()
    assert outcome.status == "skipped"
    assert run_rows(conn) == []


def test_a_waiting_run_starts_once_the_other_run_releases_the_lock(database_url, conn):
    seed_demo(database_url)
    holder = psycopg2.connect(database_url)
    runs.try_lock(holder)
    outcomes = []
    waiter = threading.Thread(target=lambda: outcomes.append(execute_run(database_url, wait=True)))
    waiter.start()
    waiter.join(timeout=2)
    assert waiter.is_alive(), "the waiting run must not start while the lock is held"
    assert run_rows(conn) == []
    holder.close()
    waiter.join(timeout=120)
    assert outcomes[0].status == "succeeded"


def test_a_run_left_running_by_a_dead_worker_is_marked_abandoned(database_url, conn):
    seed_demo(database_url)
    with conn.cursor() as cur:
        cur.execute("INSERT INTO model_runs DEFAULT VALUES RETURNING run_id")
        dead = cur.fetchone()[0]
    conn.commit()
    execute_run(database_url)
    status, error = run_rows(conn)[0][1], run_rows(conn)[0][3]
    assert run_rows(conn)[0][0] == dead
    assert status == "failed"
    assert "abandoned" in error


def test_old_runs_beyond_the_kept_number_are_pruned_with_their_scores(database_url, conn):
    seed_demo(database_url)
    ids = [execute_run(database_url, keep_runs=2).run_id for _ in range(3)]
    assert [r[0] for r in run_rows(conn)] == ids[1:]
    assert scores_of(conn, ids[0]) == 0


def cli(database_url: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "worker", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_run_on_an_empty_store_exits_non_zero_and_records_the_failure(database_url, conn):
    result = cli(database_url, "run")
    assert result.returncode == 1
    assert "no task records" in result.stderr
    ((_run_id, status, is_current, error),) = run_rows(conn)
    assert (status, is_current) == ("failed", False)
    assert "no task records" in error


def test_cli_migrate_is_idempotent_and_seed_demo_then_run_publish_a_run(database_url, conn):
    assert cli(database_url, "migrate").returncode == 0
    seeded = cli(database_url, "seed-demo", "--employees", "120", "--seed", "5")
    assert seeded.returncode == 0, seeded.stderr
    assert count(conn, "employees") == 120
    ran = cli(database_url, "run", "--team-size", "4", "10", env={"EPA_TREND_THRESHOLD": "7.5"})
    assert ran.returncode == 0, ran.stderr
    assert "run succeeded" in ran.stdout
    assert run_rows(conn)[0][1:3] == ("succeeded", True)
    with conn.cursor() as cur:
        cur.execute("SELECT params -> 'insights' FROM model_runs")
        (insights,) = cur.fetchone()
    conn.rollback()
    assert (insights["trend_threshold"], insights["min_team_size"], insights["max_team_size"]) == (
        7.5,
        4,
        10,
    )
