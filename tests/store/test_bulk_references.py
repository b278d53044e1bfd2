"""The bulk load's reference checks on a real PostgreSQL: the foreign keys the load relies
on exist, and a batch naming unknown employees is refused row by row with nothing written."""

from __future__ import annotations

import pandas as pd
import pytest

from store.bulk import load
from store.datasets import DATASETS
from store.validation import ValidationFailed, validate
from tests.helpers import EMPLOYEES, TASK_RECORDS, snapshot

# Each (table, column) the schema holds a foreign key on, with the table and column it names.
FOREIGN_KEYS = """
    SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, fa.attname
      FROM pg_constraint c
      JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
      JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1]
     WHERE c.contype = 'f' AND cardinality(c.conkey) = 1"""


def test_the_references_the_load_leaves_to_foreign_keys_are_foreign_keys(conn):
    with conn.cursor() as cur:
        cur.execute(FOREIGN_KEYS)
        keys = set(cur.fetchall())
    for dataset in DATASETS.values():
        for ref in dataset.references:
            named = (dataset.table, ref.column, ref.table, ref.key)
            assert (named in keys) == ref.foreign_key, (dataset.name, ref)


def test_unknown_employees_at_load_are_named_by_row_and_nothing_is_written(conn):
    dataset = DATASETS["task-records"]
    with conn:
        load(conn, DATASETS["employees"], validate(pd.DataFrame(EMPLOYEES), DATASETS["employees"]))
        load(conn, dataset, validate(pd.DataFrame(TASK_RECORDS), dataset))
    stored = snapshot(conn, "task_records")
    batch = [
        dict(TASK_RECORDS[0], hours_logged=99.0),  # an update of a stored row
        dict(TASK_RECORDS[0], employee_id="E404"),
        dict(TASK_RECORDS[1], period="2026-08-01"),  # a new row
        dict(TASK_RECORDS[1], employee_id="E405"),
    ]
    with pytest.raises(ValidationFailed) as failed, conn:
        load(conn, dataset, validate(pd.DataFrame(batch), dataset))
    assert [(p.row, p.column, p.reason) for p in failed.value.problems] == [
        (2, "employee_id", "unknown employee"),
        (4, "employee_id", "unknown employee"),
    ]
    assert snapshot(conn, "task_records") == stored


def test_a_good_batch_after_a_refused_one_in_the_same_transaction_is_stored(conn):
    dataset = DATASETS["task-records"]
    with conn:
        load(conn, DATASETS["employees"], validate(pd.DataFrame(EMPLOYEES), DATASETS["employees"]))
    with conn:
        with pytest.raises(ValidationFailed):
            load(
                conn,
                dataset,
                validate(pd.DataFrame([dict(TASK_RECORDS[0], employee_id="E9")]), dataset),
            )
        with conn.cursor() as cur:
            cur.execute("DROP TABLE staging")
        result = load(conn, dataset, validate(pd.DataFrame(TASK_RECORDS), dataset))
    assert (result.inserted, result.updated) == (len(TASK_RECORDS), 0)
    assert len(snapshot(conn, "task_records")) == len(TASK_RECORDS)
