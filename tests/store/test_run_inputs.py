"""Reading the inputs of the HR insights from a real PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import psycopg2
import psycopg2.errors
import pytest

from analytics.config import InsightsConfig
from store.bulk import load
from store.datasets import DATASETS
from store.run_inputs import (
    READ_WORK_MEM,
    begin_read,
    read_insight_inputs,
    read_window_features,
    sharing_snapshot,
    use_read_memory,
)
from tests.helpers import EMPLOYEES

AS_OF = dt.date(2026, 6, 1)
INSIGHTS = InsightsConfig(effect_months=2)


def store(conn, name: str, records: list[dict]) -> None:
    from store.validation import validate

    with conn:
        load(conn, DATASETS[name], validate(pd.DataFrame(records), DATASETS[name]))


def arrange(conn, completions: list[dict]) -> None:
    store(conn, "employees", EMPLOYEES)
    store(
        conn,
        "role-requirements",
        [
            {
                "job_title": "Software Engineer",
                "skill": "Python",
                "required_level": 3,
                "importance": 0.8,
            }
        ],
    )
    store(
        conn,
        "training-programs",
        [
            {
                "program_id": "TP1",
                "name": "Python Foundations",
                "skill": "Python",
                "level_gain": 1,
                "duration_hours": 12.5,
            }
        ],
    )
    store(conn, "skills", [{"employee_id": "E2", "skill": "Python", "level": 2}])
    records = [
        {
            "employee_id": e,
            "period": dt.date(2025, m, 1).isoformat() if m > 6 else dt.date(2026, m, 1).isoformat(),
            "tasks_total": 10,
            "tasks_completed": 5,
            "hours_logged": 20.0,
        }
        for e in ("E2", "E3")
        for m in (1, 2, 3, 4, 5, 6, 11, 12)
    ]
    store(conn, "task-records", records)
    if completions:
        store(conn, "training-completions", completions)


def test_reads_skills_requirements_programs_and_managers(conn):
    arrange(conn, [])
    inputs = read_insight_inputs(conn, AS_OF, INSIGHTS)
    assert inputs.employee_skills.values.tolist() == [["E2", "Python", 2]]
    assert inputs.requirements.values.tolist() == [["Software Engineer", "Python", 3, 0.8]]
    assert inputs.programs.values.tolist() == [["TP1", "Python Foundations", "Python", 1, 12.5]]
    assert inputs.managers == {"E1"}


def test_no_completions_means_no_task_records_are_read(conn):
    arrange(conn, [])
    inputs = read_insight_inputs(conn, AS_OF, INSIGHTS)
    assert inputs.completions.empty
    assert inputs.monthly_activity.empty and inputs.monthly_kpis.empty
    assert list(inputs.monthly_kpis.columns) == ["employee_id", "period", "kpi_id", "value"]
    assert list(inputs.monthly_activity.columns) == [
        "employee_id",
        "period",
        "tasks_total",
        "tasks_completed",
        "hours_logged",
    ]


def test_monthly_activity_covers_only_the_windows_around_measurable_completions(conn):
    arrange(
        conn,
        [
            # March 2026: before = January, February; after = April, May.
            {"employee_id": "E2", "program_id": "TP1", "completed_on": "2026-03-10"},
            # May 2026: its after-window is not over by June, so it needs no months.
            {"employee_id": "E3", "program_id": "TP1", "completed_on": "2026-05-10"},
        ],
    )
    inputs = read_insight_inputs(conn, AS_OF, INSIGHTS)
    assert len(inputs.completions) == 2
    assert inputs.completions.completed_on.dt.date.tolist() == [
        dt.date(2026, 3, 10),
        dt.date(2026, 5, 10),
    ]
    periods = sorted(set(inputs.monthly_activity.period.dt.date))
    assert periods == [dt.date(2026, m, 1) for m in (1, 2, 3, 4, 5)]
    assert len(inputs.monthly_activity) == 2 * 5  # E2 and E3, the months of the windows
    assert set(inputs.monthly_activity.employee_id) == {"E2", "E3"}


def test_kpi_values_of_the_same_months_are_read_for_kpis_a_scorecard_uses(conn):
    arrange(conn, [{"employee_id": "E2", "program_id": "TP1", "completed_on": "2026-03-10"}])
    store(
        conn,
        "kpis",
        [
            {"kpi_id": kpi, "name": kpi, "unit": "points", "direction": "higher_is_better"}
            for kpi in ("guest_satisfaction", "unused")
        ],
    )
    store(conn, "scorecards", [{"job_title": "Software Engineer", "kpi_id": "guest_satisfaction",
                                "weight": 1.0}])  # fmt: skip
    store(
        conn,
        "kpi-values",
        [
            {"employee_id": "E3", "period": dt.date(2026, m, 1).isoformat(), "kpi_id": kpi,
             "value": float(m)}
            for m in (1, 5, 6) for kpi in ("guest_satisfaction", "unused")
        ],
    )  # fmt: skip
    kpis = read_insight_inputs(conn, AS_OF, INSIGHTS).monthly_kpis
    # January and May are in the March completion's windows; June is not; `unused` scores no one.
    found = zip(kpis.employee_id, kpis.period.dt.date, kpis.kpi_id, kpis.value, strict=True)
    assert sorted(found) == [
        ("E3", dt.date(2026, 1, 1), "guest_satisfaction", 1.0),
        ("E3", dt.date(2026, 5, 1), "guest_satisfaction", 5.0),
    ]


def test_completions_after_the_runs_month_are_left_out(conn):
    arrange(conn, [{"employee_id": "E2", "program_id": "TP1", "completed_on": "2026-07-01"}])
    inputs = read_insight_inputs(conn, AS_OF, INSIGHTS)
    assert inputs.completions.empty
    assert inputs.monthly_activity.empty


def test_inputs_of_a_demo_organisation_feed_the_skill_and_training_insights(database_url, conn):
    from analytics.config import DEFAULT_CONFIG, DEFAULT_INSIGHTS
    from analytics.skills import skill_gaps, training_demand, training_recommendations
    from analytics.training_effect import training_effectiveness
    from store.run_inputs import latest_period
    from tests.helpers import seed_demo

    frames = seed_demo(database_url, employees=300)
    as_of = latest_period(conn)
    inputs = read_insight_inputs(conn, as_of, DEFAULT_INSIGHTS)
    assert len(inputs.completions) == len(frames["training-completions"])
    assert not inputs.monthly_activity.empty
    assert inputs.managers == set(frames["employees"].manager_id.dropna())

    people = frames["employees"][["employee_id", "department", "team", "job_title"]]
    scores = people.assign(predicted_tier=None, p_low=None)
    gaps = skill_gaps(scores, inputs.employee_skills, inputs.requirements)
    recs = training_recommendations(
        gaps, scores, inputs.requirements, inputs.programs, DEFAULT_INSIGHTS
    )
    demand = training_demand(gaps, recs, inputs.programs)
    assert len(gaps) > 0 and len(recs) > 0 and len(demand) > 0
    assert set(recs.program_id) <= set(inputs.programs.program_id)

    effect = training_effectiveness(
        inputs.monthly_activity,
        people,
        inputs.completions,
        inputs.programs,
        DEFAULT_CONFIG,
        DEFAULT_INSIGHTS,
        as_of,
    )
    assert set(effect.program_id) == set(inputs.completions.program_id)
    assert effect.participants.sum() > 0


def test_the_reads_memory_lasts_until_the_read_transaction_ends(conn):
    def work_mem() -> str:
        with conn.cursor() as cur:
            cur.execute("SHOW work_mem")
            return cur.fetchone()[0]

    conn.rollback()
    default = work_mem()
    use_read_memory(conn)
    assert work_mem() == READ_WORK_MEM != default
    conn.rollback()
    assert work_mem() == default


def test_window_features_do_not_depend_on_the_order_the_task_records_are_stored_in(conn):
    """0.1 + 0.2 + 0.3 is not 0.3 + 0.2 + 0.1 in floating point: the sums PostgreSQL makes
    follow the order it reads rows in, which it does not promise, so the same records
    stored in the other order must still give the same features (else a run's trees can
    split differently on the same data)."""
    store(conn, "employees", EMPLOYEES)
    months = [dt.date(2026, m, 1).isoformat() for m in (4, 5, 6)]
    records = [
        {"employee_id": "E2", "period": month, "tasks_total": 4, "tasks_completed": 2,
         "hours_logged": hours}
        for month, hours in zip(months, (0.1, 0.2, 0.3), strict=True)
    ]  # fmt: skip
    features = []
    for ordered in (records, records[::-1]):
        with conn, conn.cursor() as cur:
            cur.execute("DELETE FROM task_records")
        store(conn, "task-records", ordered)
        window, _ = read_window_features(conn, AS_OF)
        conn.rollback()
        features.append(window.sort_values(["employee_id", "window"]).reset_index(drop=True))
    hours = [
        f.loc[(f.employee_id == "E2") & (f.window == 0), "hours_logged"].item() for f in features
    ]
    assert hours[0] == pytest.approx(0.6)
    pd.testing.assert_frame_equal(features[0], features[1], check_exact=True)


def test_a_shared_snapshot_sees_what_the_read_sees_and_nothing_committed_after_it(
    database_url,
):
    """The run reads on two connections at once; both must read the same data, however
    much is committed meanwhile."""

    def runs_seen(on) -> int:
        with on.cursor() as cur:
            cur.execute("SELECT count(*) FROM model_runs")
            return cur.fetchone()[0]

    reader, writer = psycopg2.connect(database_url), psycopg2.connect(database_url)
    try:
        begin_read(reader)
        before = runs_seen(reader)
        with sharing_snapshot(reader, database_url) as other:
            with writer.cursor() as cur:
                cur.execute("INSERT INTO model_runs (params) VALUES ('{}')")
            writer.commit()
            assert runs_seen(other) == runs_seen(reader) == before
            with pytest.raises(psycopg2.errors.ReadOnlySqlTransaction), other.cursor() as cur:
                cur.execute("INSERT INTO model_runs (params) VALUES ('{}')")
        assert other.closed
        reader.rollback()
        assert runs_seen(reader) == before + 1
    finally:
        reader.close()
        writer.close()
