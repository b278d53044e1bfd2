"""Loading a generated organisation through the same validation and bulk load as the API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

import pandas as pd

from store.bulk import LoadResult, load
from store.datasets import DATASETS, LOAD_ORDER
from store.validation import validate


def load_organisation(
    conn,
    frames: dict[str, pd.DataFrame],
    on_rows: Callable[[str, int], None] | None = None,
) -> Iterator[tuple[str, LoadResult]]:
    """Load every dataset in reference order, in the caller's transaction, yielding each
    one's result; `on_rows(dataset, n)` is told of each chunk of n rows staged. Empty
    datasets are left out: a batch without records is refused."""
    for name in LOAD_ORDER:
        if len(frames[name]):
            told = None if on_rows is None else partial(on_rows, name)
            yield name, load(conn, DATASETS[name], validate(frames[name], DATASETS[name]), told)
