"""Numbers as the text PostgreSQL reads back as the same values, written fast."""

from __future__ import annotations

import numpy as np

from analytics.json_text import number_texts


def numbers_as_text(values: np.ndarray) -> list[str]:
    """Numbers as text with orjson's shortest round-trip formatting: the same decimal values
    as pandas' numpy formatting (`to_csv`), an order of magnitude faster. NaN becomes
    empty (NULL), ±inf keeps its name."""
    fields = number_texts(values)
    if values.dtype.kind == "f":
        for i in np.flatnonzero(~np.isfinite(values)).tolist():
            fields[i] = "" if np.isnan(values[i]) else ("inf" if values[i] > 0 else "-inf")
    return fields
