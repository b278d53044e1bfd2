"""A run's results live in partitions of their own (migration 0016, store.run_partitions):
written without indexes and attached with every index of their table, dropped when the
run is pruned, and left behind by no failed run; stored runs move into partitions with
every row, and the views keep reading them."""

from __future__ import annotations

import pandas as pd
import psycopg2
import pytest

from store import migrate, run_partitions, runs
from tests.helpers import query, seed_demo
from worker.run import execute_run

VIEW_OPTIONS = "SELECT relname, reloptions FROM pg_class WHERE relkind = 'v' ORDER BY 1"


def partitions_of(conn, table: str) -> list[str]:
    return [
        name
        for (name,) in query(
            conn,
            """SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
               WHERE i.inhparent = %s::regclass ORDER BY c.relname""",
            (table,),
        )
    ]


def index_columns(conn, table: str) -> list[str]:
    """Each index of a table as its definition after the index and table names."""
    return sorted(
        definition.split(" USING ", 1)[1]
        for (definition,) in query(
            conn, "SELECT indexdef FROM pg_indexes WHERE tablename = %s", (table,)
        )
    )


def rows(conn, statement: str) -> list[str]:
    """A statement's rows in an order of their own: the tables' and views' have none."""
    return sorted(map(repr, query(conn, statement)))


def review(conn, run_id: int, employee_id: str) -> None:
    with conn, conn.cursor() as cur:
        cur.execute(
            """INSERT INTO reviews (run_id, employee_id, decision, reason, token_id,
                                    reviewer_role)
               VALUES (%s, %s, 'confirm', 'checked', 't', 'hr')""",
            (run_id, employee_id),
        )


@pytest.fixture
def two_runs(database_url, conn) -> list[int]:
    seed_demo(database_url, employees=120)
    assert execute_run(database_url).status == "succeeded"
    assert execute_run(database_url).status == "succeeded"
    return [r for (r,) in query(conn, "SELECT run_id FROM model_runs ORDER BY run_id")]


def test_each_run_writes_partitions_of_its_own_with_every_index_of_its_table(conn, two_runs):
    for table in run_partitions.RUN_TABLES:
        assert partitions_of(conn, table) == [
            run_partitions.partition_name(table, run) for run in two_runs
        ]
    for run in two_runs:
        scores = run_partitions.partition_name("scores", run)
        assert index_columns(conn, scores) == index_columns(conn, "scores")
        assert query(conn, f"SELECT count(DISTINCT run_id), count(*) FROM {scores}") == [(1, 120)]


def test_pruning_a_run_drops_its_partitions_with_the_reviews_of_its_results(
    database_url, conn, two_runs
):
    first, second = two_runs
    for run in two_runs:
        (employee,) = query(conn, "SELECT min(employee_id) FROM scores WHERE run_id = %s", (run,))[
            0
        ]
        review(conn, run, employee)

    assert execute_run(database_url, keep_runs=2).status == "succeeded"

    assert first not in [r for (r,) in query(conn, "SELECT run_id FROM model_runs")]
    for table in run_partitions.RUN_TABLES:
        assert run_partitions.partition_name(table, first) not in partitions_of(conn, table)
        assert run_partitions.partition_name(table, second) in partitions_of(conn, table)
    assert query(conn, "SELECT run_id FROM reviews") == [(second,)]
    assert query(conn, "SELECT to_regclass(%s)", (f"scores_run_{first}",)) == [(None,)]


def test_a_run_whose_write_fails_leaves_no_partition_behind(database_url, conn):
    seed_demo(database_url, employees=60)
    with conn, conn.cursor() as cur:
        cur.execute("INSERT INTO model_runs (params) VALUES ('{}') RETURNING run_id")
        (run_id,) = cur.fetchone()
    scores = pd.DataFrame({"employee_id": ["E1"], "department": ["D"], "score": [101.0]})
    with pytest.raises(psycopg2.Error):
        runs.write_run_rows(conn, run_id, scores=scores)
    conn.rollback()
    assert query(conn, "SELECT to_regclass(%s)", (f"scores_run_{run_id}",)) == [(None,)]
    assert partitions_of(conn, "scores") == []


def test_the_migration_moves_stored_runs_into_partitions_and_the_views_keep_reading_them(
    database_url, conn, two_runs
):
    (employee,) = query(conn, "SELECT min(employee_id) FROM scores")[0]
    review(conn, two_runs[-1], employee)
    tables = {t: f"SELECT * FROM {t}" for t in run_partitions.RUN_TABLES}
    views = {
        name: f"SELECT * FROM {name}"
        for (name,) in query(
            conn,
            """SELECT 'reporting.' || viewname FROM pg_views WHERE schemaname = 'reporting'
               ORDER BY viewname""",
        )
    }
    before = {name: rows(conn, q) for name, q in {**tables, **views}.items()}
    options = query(conn, VIEW_OPTIONS)
    conn.commit()

    migrate.downgrade(database_url, "0015")
    assert query(conn, "SELECT relkind FROM pg_class WHERE relname = 'scores'") == [("r",)]
    assert {name: rows(conn, q) for name, q in tables.items()} == {t: before[t] for t in tables}
    conn.commit()
    migrate.upgrade(database_url)

    assert query(conn, "SELECT relkind FROM pg_class WHERE relname = 'scores'") == [("p",)]
    assert partitions_of(conn, "scores") == [f"scores_run_{r}" for r in two_runs]
    assert {name: rows(conn, q) for name, q in {**tables, **views}.items()} == before
    assert query(conn, VIEW_OPTIONS) == options
    assert query(
        conn,
        """SELECT confrelid::regclass::text FROM pg_constraint
           WHERE conrelid = 'reviews'::regclass AND contype = 'f' AND conparentid = 0""",
    ) == [("scores",)]
