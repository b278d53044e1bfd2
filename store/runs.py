"""Model runs: the advisory lock that keeps runs from overlapping, and the writes that make
a run visible only once it is complete.

Lifecycle: `start_run` records a 'running' row (its own commit, so operators can see a run
in progress); `write_run_rows` writes every score with COPY and `finish_run` then marks the
run succeeded and current, or 'held' with the reasons while the current run stays current,
all in the caller's single transaction; `fail_run` records a failure and leaves the current
run alone. A run whose worker died keeps 'running' until the next worker, holding the lock
and so knowing nobody else is running, marks it abandoned. `promote` makes a held or an
earlier succeeded run current by hand; a succeeded run that is not current is superseded.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Mapping
from functools import partial

import numpy as np
import orjson
import pandas as pd
from psycopg2.extensions import connection
from psycopg2.extras import Json

from store import run_partitions
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


def predictions(conn: connection, run_id: int) -> pd.DataFrame:
    """employee_id, predicted_tier and p_high / p_medium / p_low of one run's people who
    have a prediction, for the next run's back-test."""
    with conn.cursor() as cur:
        cur.execute(
            """SELECT employee_id, predicted_tier, p_high, p_medium, p_low FROM scores
               WHERE run_id = %s AND predicted_tier IS NOT NULL""",
            (run_id,),
        )
        rows = cur.fetchall()
    return pd.DataFrame(
        rows, columns=["employee_id", "predicted_tier", "p_high", "p_medium", "p_low"]
    )


# Per-run insight tables (store/migrations/versions/0005), written with the scores.
INSIGHT_TABLES = tuple(
    table for table in run_partitions.RUN_TABLES if table not in ("scores", "fairness_audit")
)
_JSON_COLUMNS = frozenset({"tier_drivers", "anomaly_drivers", "kpis", "details"})
_ARRAY_COLUMNS = frozenset({"flags", "missing_skills"})


def _pg_array(values) -> str:
    """A text[] literal; every element quoted, so skill names with commas or quotes survive."""
    quoted = ('"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
    return "{" + ",".join(quoted) + "}"


def _json_or_null(value) -> str | None:
    """JSON text through orjson (several times faster), or the standard library where the
    two could differ: orjson refuses what json.dumps converts (numpy scalars, non-string
    keys) and writes NaN as null where json.dumps (allow_nan=False) raises, so a text
    with null in it (rare: a missing input value) is written again by json.dumps."""
    if value is None or isinstance(value, str):
        return value  # no JSON column holds a bare string: a str is JSON text already
    try:
        text = orjson.dumps(value)
    except TypeError:
        text = b"null"
    if b"null" in text:
        return json.dumps(value, allow_nan=False)
    return text.decode()


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


def _copy_run_rows(
    conn: connection,
    table: str,
    run_id: int,
    frame: pd.DataFrame,
    on_rows: Callable[[int], None] | None,
) -> None:
    partition = run_partitions.create_partition(conn, table, run_id)
    if not frame.empty:
        copy_frame(conn, partition, _for_copy(frame).assign(run_id=run_id), on_rows)
    run_partitions.attach_partition(conn, table, run_id)


def write_run_rows(
    conn: connection,
    run_id: int,
    *,
    scores: pd.DataFrame | None,
    insights: Mapping[str, pd.DataFrame] | None = None,
    fairness: pd.DataFrame | None = None,
    on_rows: Callable[[str, int], None] | None = None,
) -> dict[str, float]:
    """Write all scores, insight tables and the fairness audit of a run in the caller's
    transaction, each into a partition of its own (store.run_partitions); returns the
    seconds each table took to write, with its index builds, for the run's log.
    `on_rows(table, n)` is told of each chunk of n rows written. A run may be written in
    parts (the worker writes its scores first), each table once."""
    # The columns of `analytics.analyze(...).scores` are those of the scores table, each
    # insight frame's are its table's (minus run_id), and so are those of
    # `analytics.fairness.fairness_audit`.
    unknown = set(insights or {}) - set(INSIGHT_TABLES)
    if unknown:
        raise ValueError(f"not an insight table: {', '.join(sorted(unknown))}")
    tables = ({} if scores is None else {"scores": scores}) | dict(insights or {})
    if fairness is not None:
        tables["fairness_audit"] = fairness
    seconds = {}
    for table, frame in tables.items():
        started = time.perf_counter()
        told = None if on_rows is None else partial(on_rows, table)
        _copy_run_rows(conn, table, run_id, frame, told)
        seconds[table] = round(time.perf_counter() - started, 3)
    return seconds


def finish_run(
    conn: connection,
    run_id: int,
    *,
    as_of: dt.date,
    metrics: dict,
    timings: dict,
    rows_read: int,
    employees_scored: int,
    artifact: bytes,
    held_reasons: list[dict] | None = None,
) -> str:
    """Mark a written run succeeded and current, in the caller's transaction (readers see
    all of a run or none of it), or 'held' with `held_reasons`, leaving the current run
    current. Returns the status given."""
    status = "held" if held_reasons else "succeeded"
    with conn.cursor() as cur:
        if status == "succeeded":
            cur.execute("UPDATE model_runs SET is_current = false WHERE is_current")
        cur.execute(
            """UPDATE model_runs
               SET status = %s, is_current = %s, as_of = %s, status_reasons = %s,
                   finished_at = clock_timestamp(),
                   duration_seconds = extract(epoch FROM clock_timestamp() - started_at),
                   rows_read = %s, employees_scored = %s, metrics = %s, timings = %s,
                   artifact = %s
               WHERE run_id = %s""",
            (
                status,
                status == "succeeded",
                as_of,
                Json(held_reasons or []),
                rows_read,
                employees_scored,
                Json(metrics),
                Json(timings),
                artifact,
                run_id,
            ),
        )
    return status


class PromotionRefused(Exception):
    """The run cannot be made current: `kind` is 'not_found' or 'conflict'."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


PROMOTABLE = ("held", "succeeded")


def promote(conn: connection, run_id: int, reason: str) -> int | None:
    """Make a held or an earlier succeeded run current, in the caller's transaction;
    returns the run that was current before (None when there was none). The reason is
    kept in the run's status_reasons. Refused while a model run holds the run lock, so a
    run being published cannot interleave with the switch."""
    with conn.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_xact_lock(%s)", (RUN_LOCK,))
        if not cur.fetchone()[0]:
            raise PromotionRefused(
                "conflict", "a model run is in progress; promote once it has finished"
            )
        cur.execute(
            "SELECT status, is_current FROM model_runs WHERE run_id = %s FOR UPDATE", (run_id,)
        )
        row = cur.fetchone()
        if row is None:
            raise PromotionRefused("not_found", f"no model run {run_id}")
        status, is_current = row
        if is_current:
            raise PromotionRefused("conflict", f"run {run_id} is already current")
        if status not in PROMOTABLE:
            raise PromotionRefused(
                "conflict",
                f"run {run_id} is {status}; only a held or an earlier succeeded run can be "
                "made current",
            )
        cur.execute("SELECT run_id FROM model_runs WHERE is_current FOR UPDATE")
        previous = cur.fetchone()
        previous_id = previous[0] if previous else None
        cur.execute("UPDATE model_runs SET is_current = false WHERE is_current")
        promoted = {
            "check": "promoted",
            "current": run_id,
            "previous": previous_id,
            "limit": None,
            "message": reason,
        }
        cur.execute(
            """UPDATE model_runs
               SET status = 'succeeded', is_current = true,
                   status_reasons = status_reasons || %s
               WHERE run_id = %s""",
            (Json([promoted]), run_id),
        )
    return previous_id


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
    """Delete all but the newest `keep` runs (never the current one); their result
    partitions are dropped and their other rows go with them (ON DELETE CASCADE)."""
    with conn.cursor() as cur:
        cur.execute(
            """SELECT run_id FROM model_runs
               WHERE NOT is_current AND status <> 'running' AND run_id NOT IN (
                   SELECT run_id FROM model_runs ORDER BY run_id DESC LIMIT %s)
               ORDER BY run_id""",
            (keep,),
        )
        pruned = [row[0] for row in cur.fetchall()]
        if not pruned:
            return 0
        run_partitions.drop_partitions(conn, pruned)
        cur.execute("DELETE FROM model_runs WHERE run_id = ANY(%s)", (pruned,))
        return cur.rowcount
