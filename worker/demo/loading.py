"""Loading a generated organisation through the same validation and bulk load as the API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import partial

import pandas as pd

from store.bulk import LoadResult, load
from store.datasets import DATASETS, LOAD_ORDER
from store.validation import ValidationFailed, validate

# Rows validated and staged as one batch. Validation holds every cell of a batch as text
# (a few hundred bytes a row), so a million employees' ~11 million task records in one
# batch would take gigabytes; in batches of this size the load's memory stays flat.
BATCH_ROWS = 200_000


def batches(name: str, frame: pd.DataFrame, rows: int = BATCH_ROWS) -> Iterator[pd.DataFrame]:
    """The dataset's frame as consecutive slices of at most `rows` rows. Employees come as
    one batch: a manager may be hired after the people who report to them, and a batch
    may only name employees it brings or the store holds. The other datasets refer to
    employees (and programs) loaded before them, and the generator never repeats a key,
    so their batches are independent."""
    if name == "employees" or len(frame) <= rows:
        yield frame
        return
    for start in range(0, len(frame), rows):
        yield frame.iloc[start : start + rows]


def load_organisation(
    conn,
    frames: dict[str, pd.DataFrame],
    on_rows: Callable[[str, int], None] | None = None,
    batch_rows: int = BATCH_ROWS,
) -> Iterator[tuple[str, LoadResult]]:
    """Load every dataset in reference order, in the caller's transaction, yielding each
    one's result (summed over its batches of at most `batch_rows` rows); `on_rows(dataset,
    n)` is told of each chunk of n rows staged. Empty datasets are left out: a batch
    without records is refused."""
    for name in LOAD_ORDER:
        if not len(frames[name]):
            continue
        told = None if on_rows is None else partial(on_rows, name)
        received = inserted = updated = 0
        start = 0
        for batch in batches(name, frames[name], batch_rows):
            result = _load_batch(conn, name, batch, start, told)
            start += len(batch)
            received += result.received
            inserted += result.inserted
            updated += result.updated
        yield name, LoadResult(received=received, inserted=inserted, updated=updated)


def _load_batch(
    conn, name: str, batch: pd.DataFrame, start: int, told: Callable[[int], None] | None
) -> LoadResult:
    """Validate and load one batch whose first row is row `start` of its dataset; a problem
    names its row in the whole dataset, as one batch would have."""
    try:
        return load(conn, DATASETS[name], validate(batch, DATASETS[name]), told)
    except ValidationFailed as failed:
        shifted = ValidationFailed(
            [p if p.row is None else replace(p, row=p.row + start) for p in failed.problems]
        )
        shifted.total = failed.total
        raise shifted from None
