"""Numbers as the text PostgreSQL reads back as the same values, written fast."""

from __future__ import annotations

import numpy as np
import orjson


def numbers_as_text(values: np.ndarray) -> list[str]:
    """Numbers as text with orjson's shortest round-trip formatting: the same decimal values
    as pandas' numpy formatting (`to_csv`), an order of magnitude faster. orjson writes
    every non-finite float as null: NaN becomes empty (NULL), ±inf keeps its name."""
    if values.size == 0:
        return []
    text = orjson.dumps(np.ascontiguousarray(values), option=orjson.OPT_SERIALIZE_NUMPY)
    fields = text[1:-1].decode().split(",")
    if values.dtype.kind == "f":
        for i in np.flatnonzero(~np.isfinite(values)).tolist():
            fields[i] = "" if np.isnan(values[i]) else ("inf" if values[i] > 0 else "-inf")
    return fields
