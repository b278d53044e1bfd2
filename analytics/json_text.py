"""JSON text of many rows built column by column: a million people's tier drivers or KPI
breakdowns as lists of dicts take gigabytes and seconds that their text, filled into one
template per shape of list, does not. The text is what `orjson.dumps` writes for the same
lists (shortest round-trip numbers, no spaces), but a non-finite number is null."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import orjson

# Rows whose texts are made at a time: every number's text is a str of its own until its
# row's text is made, so a million rows' at once would cost a gigabyte for a moment.
JSON_CHUNK_ROWS = 100_000

# What a field's value is: one JSON text for every row, or each row's JSON text.
FieldTexts = str | np.ndarray


def number_texts(values: np.ndarray) -> list[str]:
    """Each number as orjson writes it (shortest round-trip form); null for NaN and ±inf."""
    if values.size == 0:
        return []
    text = orjson.dumps(np.ascontiguousarray(values), option=orjson.OPT_SERIALIZE_NUMPY)
    return text[1:-1].decode().split(",")


def numbers_json(values: np.ndarray) -> np.ndarray:
    """Numbers as an object array of their JSON texts, of the same shape."""
    values = np.asarray(values)
    return np.asarray(number_texts(values.ravel()), dtype=object).reshape(values.shape)


def scalar_json(value: object) -> str:
    """One value (a name, a weight, None) as JSON text."""
    return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY).decode()


def values_json(values: np.ndarray) -> np.ndarray:
    """Objects (str, numbers, None) as an object array of JSON texts, each distinct value
    encoded once."""
    values = np.asarray(values, dtype=object)
    texts: dict[object, str] = {}
    flat = [texts[v] if v in texts else texts.setdefault(v, scalar_json(v)) for v in values.flat]
    return np.asarray(flat, dtype=object).reshape(values.shape)


def object_lists(
    entries: Sequence[Mapping[str, FieldTexts]], rows: int, present: np.ndarray | None = None
) -> list[str]:
    """Per row, the JSON list of its entries: entry k of row i is the object whose fields
    are `entries[k]`'s names in order, with the value text `entries[k][name]` (a str: every
    row's) or `entries[k][name][i]`. `present[i, k]` False leaves entry k out of row i."""
    if present is None:
        present = np.ones((rows, len(entries)), dtype=bool)
    # Rows of one shape (the entries they have) share a template: one % per row.
    shapes = present.astype(np.int64) @ (1 << np.arange(len(entries), dtype=np.int64))
    out: list[str] = [""] * rows
    for shape in np.unique(shapes).tolist():
        kept = [k for k in range(len(entries)) if shape >> k & 1]
        template, columns = _template([entries[k] for k in kept])
        where = np.flatnonzero(shapes == shape)
        everyone = len(where) == rows
        cells = [
            np.asarray(column, dtype=object)[slice(None) if everyone else where].tolist()
            for column in columns
        ]
        texts = [template % values for values in zip(*cells, strict=True)] if cells else None
        if everyone:
            return texts if texts is not None else [template] * rows
        for i, row in enumerate(where.tolist()):
            out[row] = template if texts is None else texts[i]
    return out


def _template(entries: Sequence[Mapping[str, FieldTexts]]) -> tuple[str, list[np.ndarray]]:
    """The list's text with %s for each per-row value, and those values' columns."""
    parts, columns = [], []
    for fields in entries:
        items = []
        for name, value in fields.items():
            if isinstance(value, str):
                items.append(f"{scalar_json(name)}:{value}".replace("%", "%%"))
            else:
                items.append(scalar_json(name).replace("%", "%%") + ":%s")
                columns.append(value)
        parts.append("{" + ",".join(items) + "}")
    template = "[" + ",".join(parts) + "]"
    return (template.replace("%%", "%") if not columns else template), columns
