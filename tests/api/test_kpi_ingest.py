"""Ingest of KPIs, KPI values and scorecards through the API into a real PostgreSQL: the
three formats, idempotency, set-based loading, and bad batches refused by row and column
with nothing written."""

from __future__ import annotations

import io

import pytest

from tests.api.test_ingest import post, to_csv
from tests.helpers import EMPLOYEES, first_of_month, snapshot

KPIS = [
    {
        "kpi_id": "guest_satisfaction",
        "name": "Guest satisfaction",
        "unit": "points (1-5)",
        "direction": "higher_is_better",
        "aggregation": "mean",
        "description": "Mean rating of the guests served.",
    },
    {
        "kpi_id": "wait_minutes",
        "name": "Wait per table",
        "unit": "minutes",
        "direction": "lower_is_better",
        "aggregation": None,
        "description": None,
    },
]
PERIOD = first_of_month(1).isoformat()
VALUES = [
    {"employee_id": "E2", "period": PERIOD, "kpi_id": "guest_satisfaction", "value": 4.5},
    {"employee_id": "E3", "period": PERIOD, "kpi_id": "guest_satisfaction", "value": 3.9},
    {"employee_id": "E2", "period": PERIOD, "kpi_id": "wait_minutes", "value": 12},
]
SCORECARD = [
    {"job_title": "Software Engineer", "kpi_id": "guest_satisfaction", "weight": 2},
    {"job_title": "Software Engineer", "kpi_id": "wait_minutes", "weight": 1},
    {"job_title": "Software Engineer", "kpi_id": "completion_rate", "weight": 0.5},
]
TABLES = ("kpis", "kpi_values", "scorecards")


@pytest.fixture
def loaded(client):
    """Employees and the two KPIs stored."""
    assert post(client, "employees", EMPLOYEES).status_code == 200
    assert post(client, "kpis", KPIS).status_code == 200
    return client


def stored(conn) -> dict[str, list[tuple]]:
    return {t: snapshot(conn, t) for t in TABLES}


def problems(response) -> list[tuple]:
    assert response.status_code == 422, response.json
    assert "nothing was written" in response.json["message"]
    return [(p["row"], p["column"], p["reason"]) for p in response.json["problems"]]


def test_kpis_load_with_mean_as_the_default_aggregation_beside_the_builtins(loaded, conn):
    rows = {r[0]: r for r in snapshot(conn, "kpis")}
    assert set(rows) == {
        "completion_rate",
        "task_efficiency",
        "throughput",
        "guest_satisfaction",
        "wait_minutes",
    }
    # kpi_id, name, unit, direction, aggregation, description, builtin
    assert rows["wait_minutes"][3:7] == ("lower_is_better", "mean", None, False)
    assert rows["completion_rate"][6] is True


def test_each_dataset_resent_as_it_is_changes_nothing(loaded, conn):
    assert post(loaded, "kpi-values", VALUES).json["inserted"] == 3
    assert post(loaded, "scorecards", SCORECARD).json["inserted"] == 3
    before = stored(conn)
    for dataset, records in (("kpis", KPIS), ("kpi-values", VALUES), ("scorecards", SCORECARD)):
        again = post(loaded, dataset, records).json
        assert (again["inserted"], again["updated"], again["unchanged"]) == (
            0,
            0,
            len(records),
        ), dataset
    assert stored(conn) == before


def test_csv_body_and_multipart_upload_store_the_same_rows_as_json(loaded, conn):
    post(loaded, "kpi-values", VALUES)
    post(loaded, "scorecards", SCORECARD)
    as_json = stored(conn)
    with conn.cursor() as cur:
        cur.execute(
            "DELETE FROM scorecards; DELETE FROM kpi_values; DELETE FROM kpis WHERE NOT builtin"
        )
    conn.commit()

    response = loaded.post("/api/v1/ingest/kpis", data=to_csv(KPIS), content_type="text/csv")
    assert response.status_code == 200, response.json
    for dataset, records in (("kpi-values", VALUES), ("scorecards", SCORECARD)):
        upload = {"file": (io.BytesIO(to_csv(records).encode()), f"{dataset}.csv")}
        response = loaded.post(
            f"/api/v1/ingest/{dataset}", data=upload, content_type="multipart/form-data"
        )
        assert response.status_code == 200, response.json
    assert stored(conn) == as_json


def test_a_builtin_kpi_cannot_be_redefined(loaded, conn):
    before = stored(conn)
    redefined = dict(KPIS[0], kpi_id="throughput", name="Sales throughput")
    assert problems(post(loaded, "kpis", [KPIS[1], redefined])) == [
        (2, "kpi_id", "is a built-in KPI and cannot be redefined")
    ]
    assert stored(conn) == before


@pytest.mark.parametrize(
    ("change", "column", "reason"),
    [
        ({"kpi_id": "Guest Satisfaction"}, "kpi_id", "lowercase letters, digits"),
        ({"kpi_id": "k" * 65}, "kpi_id", "at most 64 characters"),
        ({"direction": "up"}, "direction", "must be one of higher_is_better, lower_is_better"),
        ({"aggregation": "median"}, "aggregation", "must be one of mean, sum"),
        ({"unit": ""}, "unit", "is required"),
    ],
)
def test_a_bad_kpi_definition_is_named_by_row_and_column(loaded, conn, change, column, reason):
    before = stored(conn)
    found = problems(post(loaded, "kpis", [KPIS[1], dict(KPIS[0], **change)]))
    assert [(row, col) for row, col, _ in found] == [(2, column)]
    assert reason in found[0][2]
    assert stored(conn) == before


def test_scorecards_name_unknown_kpis_and_job_titles_and_bad_weights(loaded, conn):
    before = stored(conn)
    batch = [
        SCORECARD[0],
        {"job_title": "Software Engineer", "kpi_id": "no_such_kpi", "weight": 1},
        {"job_title": "Astronaut", "kpi_id": "wait_minutes", "weight": 1},
        {"job_title": "Software Engineer", "kpi_id": "throughput", "weight": 0},
        {"job_title": "Software Engineer", "kpi_id": "task_efficiency", "weight": -2},
        {"job_title": "Software Engineer", "kpi_id": "completion_rate", "weight": "abc"},
    ]
    assert problems(post(loaded, "scorecards", batch)) == [
        (2, "kpi_id", "unknown KPI"),
        (3, "job_title", "unknown job title: no employee has it"),
        (4, "weight", "must be greater than 0"),
        (5, "weight", "must be greater than 0"),
        (6, "weight", "must be a number, got 'abc'"),
    ]
    assert stored(conn) == before


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-Infinity"])
def test_nan_and_infinite_weights_and_values_are_refused(loaded, conn, value):
    before = stored(conn)
    card = [dict(SCORECARD[0], weight=value)]
    response = loaded.post("/api/v1/ingest/scorecards", data=to_csv(card), content_type="text/csv")
    assert problems(response) == [(1, "weight", "must be a finite number (not NaN or infinity)")]
    values = [VALUES[0], dict(VALUES[1], value=value)]
    response = loaded.post(
        "/api/v1/ingest/kpi-values", data=to_csv(values), content_type="text/csv"
    )
    assert problems(response) == [(2, "value", "must be a finite number (not NaN or infinity)")]
    assert stored(conn) == before


def test_kpi_values_name_unknown_employees_unknown_kpis_and_builtin_kpis(loaded, conn):
    before = stored(conn)
    batch = [
        VALUES[0],
        dict(VALUES[1], employee_id="E404"),
        dict(VALUES[1], kpi_id="no_such_kpi"),
        dict(VALUES[1], kpi_id="completion_rate"),
        dict(VALUES[1], period=first_of_month(1).replace(day=2).isoformat()),
        dict(VALUES[1], period=first_of_month(-2).isoformat()),
        dict(VALUES[1], value=None),
    ]
    assert problems(post(loaded, "kpi-values", batch)) == [
        (2, "employee_id", "unknown employee"),
        (3, "kpi_id", "unknown KPI"),
        (4, "kpi_id", "is a built-in KPI: its values come from the task records"),
        (5, "period", "must be the first day of a month"),
        (6, "period", "must not be after the current month"),
        (7, "value", "is required"),
    ]
    assert stored(conn) == before


def test_a_kpi_value_batch_is_refused_whole_when_a_reference_fails_at_load(loaded, conn):
    """The binding reference check runs inside the load's transaction, after COPY."""
    import pandas as pd

    from store.bulk import load
    from store.datasets import KPI_VALUES
    from store.validation import ValidationFailed, validate

    frame = validate(pd.DataFrame([VALUES[0], dict(VALUES[1], employee_id="E404")]), KPI_VALUES)
    with pytest.raises(ValidationFailed) as failed, conn:
        load(conn, KPI_VALUES, frame)
    assert [(p.row, p.column) for p in failed.value.problems] == [(2, "employee_id")]
    assert snapshot(conn, "kpi_values") == []


def test_kpi_values_load_set_based_through_copy_and_one_upsert(loaded, conn, monkeypatch):
    from store import bulk

    copies = []
    real_copy = bulk.copy_frame

    def counting_copy(connection, table, frame, on_rows=None):
        copies.append(len(frame))
        return real_copy(connection, table, frame, on_rows)

    monkeypatch.setattr(bulk, "copy_frame", counting_copy)
    monkeypatch.setattr(bulk, "COPY_CHUNK_ROWS", 50)
    months = [first_of_month(m).isoformat() for m in range(1, 13)]
    batch = [
        {"employee_id": e, "period": p, "kpi_id": k, "value": i * 0.25}
        for i, (e, p, k) in enumerate(
            (e, p, k)
            for e in ("E1", "E2", "E3")
            for p in months
            for k in ("guest_satisfaction", "wait_minutes")
        )
    ]
    response = post(loaded, "kpi-values", batch)
    assert response.status_code == 200, response.json
    assert response.json["inserted"] == len(batch) == 72
    assert copies == [72]  # one COPY of the whole batch into the staging table
    rows = {(r[0], r[1].isoformat(), r[2]): r[3] for r in snapshot(conn, "kpi_values")}
    assert rows == {(b["employee_id"], b["period"], b["kpi_id"]): b["value"] for b in batch}
    changed = [dict(batch[0], value=99.5), *batch[1:]]
    again = post(loaded, "kpi-values", changed).json
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 1, 71)
