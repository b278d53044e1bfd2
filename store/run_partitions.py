"""Per-run partitions: every table a run writes is partitioned by run_id (migration 0016),
and a run's rows go into partitions of their own.

A run's partition is created as a plain table, filled with COPY while it has no index,
then attached: PostgreSQL builds each of the parent's indexes on it in one sorted pass
and validates its foreign keys with one query, far faster than maintaining five indexes
row by row while a million rows arrive in no particular order. The CHECK on run_id lets
the attach skip a scan for rows of other runs. All of it happens in the caller's
transaction: a run that fails leaves no partition behind.

Pruning a run drops its partitions instead of deleting its rows one by one.

Locks: attaching takes SHARE UPDATE EXCLUSIVE on the parent (readers and writers go on);
detaching a pruned run's partition takes ACCESS EXCLUSIVE on the parent until the
publishing transaction commits, which follows at once.
"""

from __future__ import annotations

from collections.abc import Iterable

from psycopg2 import sql
from psycopg2.extensions import connection

# The tables of a run's results: the scores, the HR insights and the fairness audit.
RUN_TABLES = (
    "scores",
    "skill_gaps",
    "training_recommendations",
    "training_demand",
    "training_effectiveness",
    "team_composition",
    "team_suggestions",
    "department_trends",
    "fairness_audit",
)

# Sorting memory for the index builds of an attach, for the writing transaction only.
INDEX_BUILD_MEMORY = "256MB"


def partition_name(table: str, run_id: int) -> str:
    return f"{table}_run_{int(run_id)}"


def create_partition(conn: connection, table: str, run_id: int) -> sql.Identifier:
    """A plain table shaped like `table`, with the CHECK that the attach relies on; returns
    its name, to COPY into."""
    if table not in RUN_TABLES:
        raise ValueError(f"not a table of a run's results: {table}")
    partition = sql.Identifier(partition_name(table, run_id))
    with conn.cursor() as cur:
        cur.execute(
            sql.SQL(
                "CREATE TABLE {partition} "
                "(LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED)"
            ).format(partition=partition, table=sql.Identifier(table))
        )
        cur.execute(
            sql.SQL("ALTER TABLE {partition} ADD CONSTRAINT {check} CHECK (run_id = {run})").format(
                partition=partition,
                check=sql.Identifier(f"{partition_name(table, run_id)}_run"),
                run=sql.Literal(int(run_id)),
            )
        )
    return partition


def attach_partition(conn: connection, table: str, run_id: int) -> None:
    """Attach a filled partition: builds its indexes and checks its foreign keys."""
    with conn.cursor() as cur:
        cur.execute("SET LOCAL maintenance_work_mem = %s", (INDEX_BUILD_MEMORY,))
        cur.execute(
            sql.SQL(
                "ALTER TABLE {table} ATTACH PARTITION {partition} FOR VALUES IN ({run})"
            ).format(
                table=sql.Identifier(table),
                partition=sql.Identifier(partition_name(table, run_id)),
                run=sql.Literal(int(run_id)),
            )
        )


def add_empty_partitions(conn: connection, run_id: int) -> None:
    """Empty partitions of every result table for `run_id`, for rows written by hand (a
    fixture, a repair) rather than by a run."""
    for table in RUN_TABLES:
        create_partition(conn, table, run_id)
        attach_partition(conn, table, run_id)


def drop_partitions(conn: connection, run_ids: Iterable[int]) -> None:
    """Drop the result partitions of these runs, with the reviews of their scores."""
    run_ids = [int(r) for r in run_ids]
    if not run_ids:
        return
    with conn.cursor() as cur:
        # A partition still referred to cannot be detached; reviews go with their result,
        # as the foreign key's ON DELETE CASCADE would take them.
        cur.execute("DELETE FROM reviews WHERE run_id = ANY(%s)", (run_ids,))
        for run_id in run_ids:
            for table in reversed(RUN_TABLES):
                name = partition_name(table, run_id)
                cur.execute("SELECT to_regclass(%s) IS NOT NULL", (name,))
                if not cur.fetchone()[0]:
                    continue
                cur.execute(
                    sql.SQL("ALTER TABLE {table} DETACH PARTITION {partition}").format(
                        table=sql.Identifier(table), partition=sql.Identifier(name)
                    )
                )
                cur.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(name)))
