"""A run's JSON columns are written as the standard library wrote them, on a real
PostgreSQL: the same stored values, numpy numbers included, NaN still refused; and JSON
text (what `analytics.analyze(..., json_columns=True)` gives the worker) as it is."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from store import runs


def suggestions(details: list) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "department": "Sales",
            "rank": range(1, len(details) + 1),
            "kind": "move",
            "employee_id": [f"E{i}" for i in range(len(details))],
            "from_team": "North",
            "to_team": "South",
            "other_employee_id": None,
            "imbalance_before": 0.5,
            "imbalance_after": 0.25,
            "details": details,
        }
    )


def written_details(conn, details: list) -> list:
    run_id = runs.start_run(conn, {})
    frame = suggestions(details)
    runs.write_run_rows(conn, run_id, scores=pd.DataFrame(), insights={"team_suggestions": frame})
    with conn.cursor() as cur:
        cur.execute(
            "SELECT details FROM team_suggestions WHERE run_id = %s ORDER BY rank", (run_id,)
        )
        return [row[0] for row in cur.fetchall()]


def test_json_columns_store_what_json_dumps_wrote(conn):
    details = [
        {"moved": "Ann", "gain": 0.1, "teams": ["North", "South"], "note": 'say "hi", é'},
        {"gain": np.float64(1e-7), "count": 3, "missing": None},
        {1: "a key that is not text", "big": 2**70},
        {},
    ]

    stored = written_details(conn, details)

    assert stored == [
        {"moved": "Ann", "gain": 0.1, "teams": ["North", "South"], "note": 'say "hi", é'},
        {"gain": 1e-7, "count": 3, "missing": None},
        {"1": "a key that is not text", "big": 2**70},
        {},
    ]
    conn.rollback()


def test_json_text_is_stored_as_it_is(conn):
    stored = written_details(conn, ['{"gain":0.5,"note":"a, \\"b\\""}', "[]", "null"])
    assert stored == [{"gain": 0.5, "note": 'a, "b"'}, [], None]
    conn.rollback()


def test_nan_in_a_json_column_is_refused(conn):
    with pytest.raises(ValueError, match="not JSON compliant"):
        written_details(conn, [{"gain": float("nan")}])
    conn.rollback()
