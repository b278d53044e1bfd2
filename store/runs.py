"""Model runs: the advisory lock that keeps runs from overlapping, and the writes that make
a run visible only once it is complete.

Lifecycle: `start_run` records a 'running' row (its own commit, so operators can see a run
in progress); `publish_run` writes every score with COPY, marks the run succeeded and makes
it current, all in the caller's single transaction; `fail_run` records a failure and
leaves the current run alone. A run whose worker died keeps 'running' until the next
worker, holding the lock and so knowing nobody else is running, marks it abandoned.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Mapping

import numpy as np
import pandas as pd
from psycopg2 import sql
from psycopg2.extensions import connection
from psycopg2.extras import Json

from store.bulk import copy_frame

RUN_LOCK = 7_411_002  # advisory lock key shared by every worker of this database


def try_lock(conn: connection) -> bool:
    """Take the run lock for this session without waiting; False when another run holds it."""
    with conn.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s)", (RUN_LOCK,))
        return bool(cur.fetchone()[0])


def lock(conn: connection) -> None:
    with conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_lock(%s)", (RUN_LOCK,))


def unlock(conn: connection) -> None:
    with conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_unlock(%s)", (RUN_LOCK,))


def abandon_stale_runs(conn: connection) -> int:
    """Mark runs left 'running' by a worker that died. Call only while holding the lock."""
    with conn.cursor() as cur:
        cur.execute(
            """UPDATE model_runs
               SET status = 'failed', finished_at = now(),
                   error = 'abandoned: the worker stopped before the run was complete'
               WHERE status = 'running'"""
        )
        return cur.rowcount


def start_run(conn: connection, params: dict) -> int:
    with conn.cursor() as cur:
        cur.execute("INSERT INTO model_runs (params) VALUES (%s) RETURNING run_id", (Json(params),))
        return cur.fetchone()[0]


def current_scores(conn: connection) -> np.ndarray:
    """The scores of the current run (empty when there is none), for drift measurement."""
    with conn.cursor() as cur:
        cur.execute(
            """SELECT s.score FROM scores s JOIN model_runs r USING (run_id)
               WHERE r.is_current"""
        )
        return np.fromiter((row[0] for row in cur), dtype=float)


# Per-run insight tables (store/migrations/versions/0005), written with the scores.
INSIGHT_TABLES = (
    "skill_gaps",
    "training_recommendations",
    "training_demand",
    "training_effectiveness",
    "team_composition",
    "team_suggestions",
    "department_trends",
)
_JSON_COLUMNS = frozenset({"tier_drivers", "anomaly_drivers", "details"})
_ARRAY_COLUMNS = frozenset({"flags", "missing_skills"})


def _pg_array(values) -> str:
    """A text[] literal; every element quoted, so skill names with commas or quotes survive."""
    quoted = ('"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
    return "{" + ",".join(quoted) + "}"


def _json_or_null(value) -> str | None:
    return None if value is None else json.dumps(value, allow_nan=False)


def _for_copy(frame: pd.DataFrame) -> pd.DataFrame:
    """JSON and array columns as the text COPY reads them as."""
    text = {
        column: frame[column].map(_json_or_null, na_action="ignore")
        for column in frame.columns
        if column in _JSON_COLUMNS
    } | {
        column: frame[column].map(_pg_array) for column in frame.columns if column in _ARRAY_COLUMNS
    }
    return frame.assign(**text)


def _copy_run_rows(conn: connection, table: str, run_id: int, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    copy_frame(conn, sql.Identifier(table), _for_copy(frame).assign(run_id=run_id))


def publish_run(
    conn: connection,
    run_id: int,
    *,
    scores: pd.DataFrame,
    as_of: dt.date,
    metrics: dict,
    timings: dict,
    rows_read: int,
    artifact: bytes,
    insights: Mapping[str, pd.DataFrame] | None = None,
) -> dict[str, float]:
    """Write all scores and insight tables and make the run current, inside the caller's
    single transaction: readers see all of a run or none of it. Returns the seconds each
    table took to write, for the run's log."""
    # The columns of `analytics.analyze(...).scores` are those of the scores table, and
    # each insight frame's are its table's (minus run_id).
    unknown = set(insights or {}) - set(INSIGHT_TABLES)
    if unknown:
        raise ValueError(f"not an insight table: {', '.join(sorted(unknown))}")
    seconds = {}
    for table, frame in {"scores": scores, **(insights or {})}.items():
        started = time.perf_counter()
        _copy_run_rows(conn, table, run_id, frame)
        seconds[table] = round(time.perf_counter() - started, 3)
    with conn.cursor() as cur:
        cur.execute("UPDATE model_runs SET is_current = false WHERE is_current")
        cur.execute(
            """UPDATE model_runs
               SET status = 'succeeded', is_current = true, as_of = %s,
                   finished_at = clock_timestamp(),
                   duration_seconds = extract(epoch FROM clock_timestamp() - started_at),
                   rows_read = %s, employees_scored = %s, metrics = %s, timings = %s,
                   artifact = %s
               WHERE run_id = %s""",
            (
                as_of,
                rows_read,
                len(scores),
                Json(metrics),
                Json(timings),
                artifact,
                run_id,
            ),
        )
    return seconds


def fail_run(conn: connection, run_id: int, error: str, timings: dict | None = None) -> None:
    with conn.cursor() as cur:
        cur.execute(
            """UPDATE model_runs
               SET status = 'failed', finished_at = clock_timestamp(), error = %s, timings = %s,
                   duration_seconds = extract(epoch FROM clock_timestamp() - started_at)
               WHERE run_id = %s""",
            (error[:2000], Json(timings or {}), run_id),
        )


def prune_runs(conn: connection, keep: int) -> int:
    """Delete all but the newest `keep` runs (never the current one); scores go with them."""
    with conn.cursor() as cur:
        cur.execute(
            """DELETE FROM model_runs
               WHERE NOT is_current AND status <> 'running' AND run_id NOT IN (
                   SELECT run_id FROM model_runs ORDER BY run_id DESC LIMIT %s)""",
            (keep,),
        )
        return cur.rowcount
