"""Loading the demo organisation in batches: the same tables as one batch per dataset."""

from __future__ import annotations

import pandas as pd
import psycopg2
import pytest
from psycopg2 import sql

from store.datasets import DATASETS, LOAD_ORDER
from store.validation import ValidationFailed
from tests.helpers import first_of_month
from worker.demo import generate_organisation
from worker.demo.loading import batches, load_organisation


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return generate_organisation(employees=300, seed=5, end_period=first_of_month(1))


def _fingerprints(conn) -> dict[str, tuple[int, str]]:
    """Each dataset's row count and a hash of its rows in key order."""
    out = {}
    with conn.cursor() as cur:
        for name, dataset in DATASETS.items():
            cur.execute(
                sql.SQL(
                    "SELECT count(*), md5(string_agg(row({})::text, ',' ORDER BY {})) FROM {}"
                ).format(
                    sql.SQL(", ").join(map(sql.Identifier, dataset.columns)),
                    sql.SQL(", ").join(map(sql.Identifier, dataset.key)),
                    sql.Identifier(dataset.table),
                )
            )
            out[name] = cur.fetchone()
    return out


def _load(database_url: str, frames: dict[str, pd.DataFrame], batch_rows: int):
    """The tables and load results of the organisation loaded in batches of at most
    `batch_rows` rows; rolled back afterwards, so the database is empty again."""
    conn = psycopg2.connect(database_url)
    try:
        results = dict(load_organisation(conn, dict(frames), batch_rows=batch_rows))
        return _fingerprints(conn), results
    finally:
        conn.rollback()
        conn.close()


def test_loading_in_batches_gives_the_same_tables_as_one_batch(database_url, frames):
    whole, whole_results = _load(database_url, frames, batch_rows=10**9)
    batched, batched_results = _load(database_url, frames, batch_rows=97)
    assert batched == whole
    assert batched_results == whole_results
    for name, result in batched_results.items():
        assert result.received == result.inserted == len(frames[name])
    assert whole["task-records"][0] == len(frames["task-records"]) > 97


def test_batches_cover_every_row_once_in_order(frames):
    for name in LOAD_ORDER:
        frame = frames[name]
        parts = list(batches(name, frame, rows=97))
        assert all(len(p) <= 97 for p in parts) or name == "employees"
        pd.testing.assert_frame_equal(pd.concat(parts) if parts else frame, frame)


def test_employees_are_one_batch_as_managers_may_be_hired_after_their_reports(frames):
    employees = frames["employees"]
    assert len(list(batches("employees", employees, rows=10))) == 1
    position = pd.Series(range(len(employees)), index=employees.employee_id)
    managed = employees.dropna(subset=["manager_id"])
    later = position[managed.manager_id].to_numpy() > position[managed.employee_id].to_numpy()
    assert later.any()


def test_a_bad_row_in_a_later_batch_is_named_by_its_row_in_the_dataset(database_url, frames):
    broken = dict(frames)
    tasks = frames["task-records"].copy()
    tasks.loc[150, "tasks_total"] = -1
    broken["task-records"] = tasks
    conn = psycopg2.connect(database_url)
    try:
        with pytest.raises(ValidationFailed) as failed:
            for _ in load_organisation(conn, broken, batch_rows=97):
                pass
    finally:
        conn.rollback()
        conn.close()
    problems = failed.value.problems
    assert problems and {p.row for p in problems} == {151}
    assert "tasks_total" in {p.column for p in problems}
