"""Manager cycles are found set-based, over the batch and the employees already stored:
every cycle through the batch and nothing else, on deep organisations too, and two
concurrent batches cannot close a cycle between them."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import psycopg2
import pytest

from store.bulk import _on_cycles, load
from store.datasets import EMPLOYEES
from store.validation import ValidationFailed, validate
from tests.helpers import count, query


def people(*pairs: tuple[str, str | None]) -> pd.DataFrame:
    rows = [
        {
            "employee_id": employee_id,
            "name": f"Person {employee_id}",
            "department": "Engineering",
            "job_title": "Software Engineer",
            "team": "Platform",
            "manager_id": manager_id,
            "hire_date": "2020-01-01",
        }
        for employee_id, manager_id in pairs
    ]
    return validate(pd.DataFrame(rows), EMPLOYEES)


def cycle_nodes_walked(parent: list[int]) -> set[int]:
    """The nodes on cycles, found by walking each chain in Python, independently."""
    found = set()
    for start in range(len(parent)):
        seen, node = [], start
        while node != -1 and node not in seen:
            seen.append(node)
            node = parent[node]
        if node != -1:
            found |= set(seen[seen.index(node) :])
    return found


@pytest.mark.parametrize("seed", range(20))
def test_pointer_doubling_finds_exactly_the_nodes_on_cycles(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    parent = rng.integers(-1, n, size=n)
    parent[rng.random(n) < 0.3] = -1
    assert set(np.flatnonzero(_on_cycles(parent))) == cycle_nodes_walked(parent.tolist())


def test_a_deep_organisation_without_a_cycle_loads(conn):
    depth = 20_000
    chain = [("D0", None), *((f"D{i}", f"D{i - 1}") for i in range(1, depth))]
    with conn:
        load(conn, EMPLOYEES, people(*chain))
    with conn:  # the same people again, in reverse: still no cycle
        load(conn, EMPLOYEES, people(*reversed(chain)))
    with conn:  # one newcomer, whose chain climbs through every stored employee
        load(conn, EMPLOYEES, people(("LEAF", f"D{depth - 1}")))
    assert count(conn, "employees") == depth + 1


def test_a_cycle_already_stored_is_not_blamed_on_a_batch_under_it(conn):
    # Only possible from before cycles were refused: written past the ingest.
    with conn, conn.cursor() as cur:
        cur.execute(
            """INSERT INTO employees (employee_id, name, department, job_title, team,
                                      manager_id, hire_date)
               VALUES ('X', 'X', 'Eng', 'Dev', 'T', 'Y', '2020-01-01'),
                      ('Y', 'Y', 'Eng', 'Dev', 'T', 'X', '2020-01-01')"""
        )
    with conn:
        result = load(conn, EMPLOYEES, people(("NEW", "X")))
    assert result.inserted == 1


def test_a_batch_breaking_a_stored_chain_into_a_cycle_names_its_rows(conn):
    with conn:
        load(conn, EMPLOYEES, people(("A", None), ("B", "A"), ("C", "B")))
    with pytest.raises(ValidationFailed) as failed, conn:
        load(conn, EMPLOYEES, people(("Z", None), ("A", "C")))
    assert [(p.row, p.column) for p in failed.value.problems] == [(2, "manager_id")]
    assert "A → C → B → A" in failed.value.problems[0].reason
    assert query(conn, "SELECT manager_id FROM employees WHERE employee_id = 'A'") == [(None,)]


def test_two_concurrent_batches_cannot_close_a_cycle_between_them(conn, database_url):
    with conn:
        load(conn, EMPLOYEES, people(("A", None), ("B", None)))
    first = psycopg2.connect(database_url)
    outcome: dict = {}

    def second_batch() -> None:
        other = psycopg2.connect(database_url)
        try:
            with other:
                load(other, EMPLOYEES, people(("B", "A")))
            outcome["loaded"] = True
        except ValidationFailed as exc:
            outcome["refused"] = exc.problems
        finally:
            other.close()

    try:
        load(first, EMPLOYEES, people(("A", "B")))  # not committed yet: holds the lock
        thread = threading.Thread(target=second_batch)
        thread.start()
        thread.join(timeout=1)
        assert thread.is_alive(), "the second batch did not wait for the first"
        first.commit()
        thread.join(timeout=30)
        assert not thread.is_alive()
    finally:
        first.close()
    assert "loaded" not in outcome
    assert [(p.row, p.column) for p in outcome["refused"]] == [(1, "manager_id")]
    managers = dict(query(conn, "SELECT employee_id, manager_id FROM employees"))
    assert managers == {"A": "B", "B": None}
