"""Small date and array helpers shared by the generator's parts, and the one way a part
turns its columns into a dataset's frame."""

from __future__ import annotations

import numpy as np
import pandas as pd

from store.datasets import DATASETS


def month_index(days: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of datetime64[D] values."""
    return days.astype("datetime64[M]").astype(np.int64)


def as_dates(days: np.ndarray) -> np.ndarray:
    """datetime64[D] → object array of datetime.date, one Python object per distinct day."""
    unique, inverse = np.unique(days, return_inverse=True)
    return unique.astype(object)[inverse]


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def dataset_frame(dataset: str, columns: dict[str, object]) -> pd.DataFrame:
    """A frame with exactly the dataset's columns, in its order."""
    expected = DATASETS[dataset].columns
    if sorted(columns) != sorted(expected):  # a typo would otherwise become an empty column
        raise AssertionError(f"{dataset}: columns {sorted(columns)} != {sorted(expected)}")
    return pd.DataFrame(columns, columns=expected)


def empty_dataset_frame(dataset: str) -> pd.DataFrame:
    """A frame of the dataset with no rows, its numbers typed as numbers."""
    spec = DATASETS[dataset]
    kinds = {"float": "float64", "int": "int64"}
    return pd.DataFrame(
        {f.name: pd.Series(dtype=kinds.get(f.kind, object)) for f in spec.fields},
        columns=spec.columns,
    )
