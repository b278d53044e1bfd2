"""api.frame_json: a frame's rows built column by column are what the schema dumps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from api.frame_json import dumps_plainly, frame_records
from api.schemas.analyze import AnalyzedEmployeeSchema

SCHEMA = AnalyzedEmployeeSchema()


def _dumped(frame: pd.DataFrame) -> list[dict]:
    return SCHEMA.dump(frame.to_dict(orient="records"), many=True)


FRAMES = {
    "numpy dtypes": pd.DataFrame(
        {
            "employee_id": pd.Series(["E1", "E2", "E3"], dtype="str"),
            "name": [None, "Ann", "Bo"],
            "performance_score": [12.5, np.nan, 100.0],
            "performance_cluster": ["Low", "Medium", "High"],
            "is_anomaly": [True, False, False],
            "completion_rate": [0.5, 1.0, np.nan],
            "avg_task_hours": np.array([1.5, 2.0, 3.0], dtype=np.float32),
            "completed_tasks": np.array([1, 2, 3], dtype=np.int64),
        }
    ),
    "objects to convert": pd.DataFrame(
        {
            "employee_id": pd.Series([7, np.str_("E2"), "E3"], dtype=object),
            "name": pd.Series(["x", np.nan, None], dtype=object),
            "performance_score": pd.Series([1, None, np.float64(2.5)], dtype=object),
            "is_anomaly": pd.Series([np.bool_(True), None, False], dtype=object),
            "completed_tasks": [1.0, 2.0, 3.0],
        }
    ),
    "nullable dtypes": pd.DataFrame(
        {
            "employee_id": pd.array(["E1", None, "E3"], dtype="string"),
            "performance_cluster": pd.array(["Low", None, "High"], dtype="str"),
            "is_anomaly": pd.array([True, None, False], dtype="boolean"),
            "completed_tasks": pd.array([1, None, 3], dtype="Int64"),
        }
    ),
}


@pytest.mark.parametrize("frame", FRAMES.values(), ids=FRAMES.keys())
def test_columns_build_what_the_schema_dumps(frame):
    assert dumps_plainly(SCHEMA, frame)
    records = frame_records(SCHEMA, frame)
    expected = _dumped(frame)
    # Compared as JSON would see them: NaN is NaN on both sides, types must match too.
    assert [{k: (type(v), repr(v)) for k, v in r.items()} for r in records] == [
        {k: (type(v), repr(v)) for k, v in r.items()} for r in expected
    ]
    assert [list(r) for r in records] == [list(r) for r in expected]  # the schema's order


def test_nested_or_unknown_columns_are_left_to_the_schema():
    plain = FRAMES["numpy dtypes"]
    assert not dumps_plainly(SCHEMA, plain.assign(flags=[[], [], []]))
    assert not dumps_plainly(SCHEMA, plain.assign(extra=1))
