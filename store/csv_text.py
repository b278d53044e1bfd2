"""An uploaded CSV sent to COPY as it came, when PostgreSQL reads from it exactly the values
validation accepted, so a large batch is not rendered as CSV a second time.

That holds for plain files: printable ASCII without spaces, quotes or backslashes (so
pandas and PostgreSQL split every line alike and nothing was stripped), one line per
record, and every value written the way PostgreSQL reads back the validated one (whole
numbers and dates in their canonical form, decimals as their shortest round-trip form,
empty cells where validation left a cell empty). Any other file is rendered from the
validated frame, as before.
"""

from __future__ import annotations

import codecs

import numpy as np
import pandas as pd

from store.datasets import Dataset
from store.numbers_text import numbers_as_text

# The bytes of a plain file: printable ASCII but the space, quote and backslash, and \n.
_PLAIN = bytes(b for b in range(0x21, 0x7F) if b not in b'"\\') + b"\n"


def is_plain(data: bytes) -> bool:
    """Whether an upload is of a plain file's bytes: then no cell of it holds whitespace, a
    quote or a backslash, and there is nothing in it to strip."""
    return not data.removeprefix(codecs.BOM_UTF8).translate(None, _PLAIN)


def _canonical(values: pd.Series, kind: str, shown: list[str]) -> list[str]:
    """The text PostgreSQL reads back as these (present) values, `shown` as sent."""
    if kind == "int":
        return numbers_as_text(values.to_numpy(dtype="int64"))
    if kind == "float":
        return numbers_as_text(values.to_numpy(dtype="float64"))
    if kind == "date":
        # Validation read the dates from `shown` as %Y-%m-%d: if they are written as
        # canonical ISO dates, those are the dates it kept.
        try:
            return np.datetime_as_string(np.asarray(shown, dtype="datetime64[D]")).tolist()
        except ValueError:
            return []
    return [str(v) for v in values.to_numpy(dtype=object)]


def copy_text(
    data: bytes, raw: pd.DataFrame, typed: pd.DataFrame, dataset: Dataset
) -> bytes | None:
    """`data` (the upload `raw` was read from, `typed` validated from it) if COPY … (FORMAT
    csv, HEADER) of it stores exactly `typed`; None if it must be rendered instead."""
    data = data.removeprefix(codecs.BOM_UTF8)
    if not is_plain(data) or b"\n\n" in data or data[:1] == b"\n":
        return None
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    header = data.split(b"\n", 1)[0].decode().split(",")
    if header != list(raw.columns) or sorted(header) != sorted(dataset.columns):
        return None
    # No quotes: every comma separates, so this many means every line has all its cells.
    if lines != len(raw) + 1 or data.count(b",") != (len(header) - 1) * lines:
        return None
    for f in dataset.fields:
        sent, kept = raw[f.name].reset_index(drop=True), typed[f.name].reset_index(drop=True)
        missing = sent.isna().to_numpy()
        if not np.array_equal(missing, kept.isna().to_numpy()):
            return None  # a default filled in, or a cell emptied
        shown = [str(v) for v in sent.to_numpy(dtype=object)[~missing]]
        if shown != _canonical(kept[~missing], f.kind, shown):
            return None
    return data
