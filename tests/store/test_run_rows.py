"""A run's JSON columns are written as the standard library wrote them, on a real
PostgreSQL: the same stored values, numpy numbers included, whether encoded as the run is
written or beforehand (as the worker does once a run is fitted), and NaN still refused."""

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


def written_details(conn, details: list, *, encoded_first: bool = False) -> list:
    run_id = runs.start_run(conn, {})
    frame = suggestions(details)
    if encoded_first:
        runs.encode_json_columns(frame)
    runs.write_run_rows(conn, run_id, scores=pd.DataFrame(), insights={"team_suggestions": frame})
    with conn.cursor() as cur:
        cur.execute(
            "SELECT details FROM team_suggestions WHERE run_id = %s ORDER BY rank", (run_id,)
        )
        return [row[0] for row in cur.fetchall()]


@pytest.mark.parametrize("encoded_first", [False, True], ids=["objects", "encoded first"])
def test_json_columns_store_what_json_dumps_wrote(conn, encoded_first):
    details = [
        {"moved": "Ann", "gain": 0.1, "teams": ["North", "South"], "note": 'say "hi", é'},
        {"gain": np.float64(1e-7), "count": 3, "missing": None},
        {1: "a key that is not text", "big": 2**70},
        {},
    ]

    stored = written_details(conn, details, encoded_first=encoded_first)

    assert stored == [
        {"moved": "Ann", "gain": 0.1, "teams": ["North", "South"], "note": 'say "hi", é'},
        {"gain": 1e-7, "count": 3, "missing": None},
        {"1": "a key that is not text", "big": 2**70},
        {},
    ]
    conn.rollback()


def test_encoding_a_frame_first_replaces_its_objects_with_their_json_text():
    frame = suggestions([{"gain": 0.5}, None])
    runs.encode_json_columns(frame)
    assert frame["details"].tolist()[0] == '{"gain":0.5}'
    assert frame["details"].isna().tolist() == [False, True]


def test_nan_in_a_json_column_is_refused(conn):
    with pytest.raises(ValueError, match="not JSON compliant"):
        written_details(conn, [{"gain": float("nan")}])
    conn.rollback()
