"""JSON text built column by column is what orjson writes for the same lists of dicts."""

from __future__ import annotations

import numpy as np
import orjson

from analytics.json_text import numbers_json, object_lists, scalar_json, values_json


def test_numbers_are_written_in_their_shortest_round_trip_form_and_non_finite_as_null():
    values = np.array([0.1, 1e-7, 3.0, 2.5e300, np.nan, np.inf, -np.inf, -0.0])
    assert numbers_json(values).tolist() == [
        "0.1", "1e-7", "3.0", "2.5e+300", "null", "null", "null", "-0.0"
    ]  # fmt: skip
    assert [float(t) for t in numbers_json(values[:4])] == values[:4].tolist()


def test_values_keep_their_kind_and_text_is_escaped():
    values = np.array(['say "hi", é', None, 2.5, "100%"], dtype=object)
    assert values_json(values).tolist() == ['"say \\"hi\\", é"', "null", "2.5", '"100%"']


def test_object_lists_are_orjsons_text_of_each_rows_present_entries():
    rng = np.random.default_rng(3)
    n = 500
    a, b = rng.random(n).tolist(), rng.normal(size=n).tolist()
    labels = np.array(["North", 'a "quoted", name', "100% sure", None], dtype=object)[
        rng.integers(0, 4, n)
    ]
    present = rng.random((n, 2)) < 0.7
    entries = [
        {"kpi_id": scalar_json("100%"), "value": numbers_json(np.array(a)), "weight": "0.4"},
        {"feature": values_json(labels), "z": numbers_json(np.array(b))},
    ]

    texts = object_lists(entries, n, present)

    expected = [
        orjson.dumps(
            ([{"kpi_id": "100%", "value": a[i], "weight": 0.4}] if present[i, 0] else [])
            + ([{"feature": labels[i], "z": b[i]}] if present[i, 1] else [])
        ).decode()
        for i in range(n)
    ]
    assert texts == expected
    assert "[]" in texts or not (~present.any(axis=1)).any()


def test_object_lists_without_per_row_values_repeat_one_text():
    entries = [{"kpi_id": scalar_json("a%b"), "weight": scalar_json(1)}]
    assert object_lists(entries, 2) == ['[{"kpi_id":"a%b","weight":1}]'] * 2
