"""Training effectiveness on small hand-worked data: participants' change after a program
against the change of comparable colleagues who took no training."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analytics.config import DEFAULT_CONFIG, InsightsConfig
from analytics.scorecards import KpiFrames, resolve_scorecards
from analytics.training_effect import (
    EFFECTIVENESS_COLUMNS,
    activity_months,
    training_effectiveness,
)

AS_OF = dt.date(2026, 6, 1)
INSIGHTS = InsightsConfig(effect_months=2)  # before: the 2 months before, after: the 2 after
PROGRAMS = pd.DataFrame(
    {
        "program_id": ["TP1", "TP2", "TP3"],
        "name": ["Python Foundations", "Testing Basics", "Unused"],
        "skill": ["Python", "Testing", "Cooking"],
        "level_gain": [1, 1, 1],
        "duration_hours": [10.0, 8.0, 4.0],
    }
)


def month(m: int) -> dt.date:
    return dt.date(2026, m, 1)


def activity(completed: dict[str, dict[int, int]]) -> pd.DataFrame:
    """Ten tasks a month; `completed[employee][month]` of them completed."""
    rows = [
        (e, month(m), 10, done, 40.0)
        for e, months in completed.items()
        for m, done in months.items()
    ]
    return pd.DataFrame(
        rows, columns=["employee_id", "period", "tasks_total", "tasks_completed", "hours_logged"]
    )


def employees(**titles: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "employee_id": list(titles),
            "department": "Engineering",
            "job_title": list(titles.values()),
        }
    )


def completions(*rows: tuple[str, str, dt.date]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["employee_id", "program_id", "completed_on"])


# P trains in March 2026: before = January and February, after = April and May.
ORG = employees(P="SWE", C1="SWE", C2="SWE", C3="SWE", X="Analyst")
ACTIVITY = activity(
    {
        "P": {1: 5, 2: 5, 3: 9, 4: 8, 5: 8},  # 0.5 → 0.8: +0.3 (March, the training, ignored)
        "C1": {1: 6, 2: 6, 3: 6, 4: 7, 5: 7},  # 0.6 → 0.7: +0.1
        "C2": {1: 5, 2: 7, 4: 6},  # 0.6 → 0.6: 0 (one month after is enough)
        "C3": {1: 1, 2: 1, 4: 10, 5: 10},  # trained in January: not a comparison
        "X": {1: 1, 2: 1, 4: 10, 5: 10},  # another job title: not a comparison
    }
)
COMPLETIONS = completions(("P", "TP1", dt.date(2026, 3, 10)), ("C3", "TP2", dt.date(2026, 1, 20)))


def measure(activity_frame=ACTIVITY, org=ORG, done=COMPLETIONS, insights=INSIGHTS):
    result = training_effectiveness(
        activity_frame, org, done, PROGRAMS, DEFAULT_CONFIG, insights, AS_OF
    )
    return result.set_index(["program_id", "metric"])


def test_effect_is_participant_change_minus_comparison_change():
    rate = measure().loc[("TP1", "completion_rate")]
    assert rate.participants == 1
    assert rate.comparison_employees == 2  # C1 and C2
    assert rate.participants_before == pytest.approx(0.5)
    assert rate.participants_after == pytest.approx(0.8)
    assert rate.comparison_before == pytest.approx((0.6 + 0.6) / 2)
    assert rate.comparison_after == pytest.approx((0.7 + 0.6) / 2)
    assert rate.effect == pytest.approx(0.3 - (0.1 + 0.0) / 2)
    assert np.isnan(rate.ci_low) and np.isnan(rate.ci_high)  # one participant: no interval


def test_score_effect_is_measured_the_same_way_on_monthly_scores():
    score = measure().loc[("TP1", "score")]
    assert score.participants == 1 and score.comparison_employees == 2
    assert score.effect == pytest.approx(
        (score.participants_after - score.participants_before)
        - (score.comparison_after - score.comparison_before)
    )
    assert 0 <= score.participants_before <= 100
    assert score.effect > 0  # P's completion rate rose more than anybody's


def test_a_colleague_who_trained_within_the_windows_is_not_a_comparison():
    # Without C3's January completion, C3 (+0.9) joins the comparison of P's March training.
    rate = measure(done=COMPLETIONS.iloc[:1]).loc[("TP1", "completion_rate")]
    assert rate.comparison_employees == 3
    assert rate.effect == pytest.approx(0.3 - (0.1 + 0.0 + 0.9) / 3)


def test_completion_without_before_records_is_not_measured_but_its_program_is_listed():
    # C3 trained in January 2026: its before-window (November, December) has no records.
    tp2 = measure().loc["TP2"]
    assert tp2.participants.tolist() == [0, 0]
    assert tp2.comparison_employees.tolist() == [0, 0]
    assert tp2.effect.isna().all() and tp2.participants_before.isna().all()
    assert set(tp2.index) == {"score", "completion_rate"}
    assert "TP3" not in measure().index.get_level_values("program_id")  # nobody completed it


def test_completion_without_after_window_is_not_measured():
    # May training: the after-window (June, July) has not ended; June is the last period.
    late = completions(("P", "TP1", dt.date(2026, 5, 2)))
    result = measure(done=late)
    assert result.loc[("TP1", "completion_rate")].participants == 0
    assert np.isnan(result.loc[("TP1", "completion_rate")].effect)
    assert activity_months(late, AS_OF, INSIGHTS) == []
    # March training: May is the after-window's last month, so the months are read.
    assert activity_months(COMPLETIONS.iloc[:1], AS_OF, INSIGHTS) == [month(m) for m in range(1, 6)]


def test_no_comparison_colleague_means_not_measurable():
    alone = ORG[ORG.employee_id.isin(["P", "X"])]
    result = measure(org=alone, done=COMPLETIONS.iloc[:1])
    assert result.loc[("TP1", "completion_rate")].participants == 0


def test_effects_of_several_participants_are_averaged_with_a_t_interval():
    org = employees(P="SWE", Q="SWE", C1="SWE")
    frame = activity(
        {
            "P": {1: 5, 2: 5, 4: 8, 5: 8},  # +0.3
            "Q": {1: 5, 2: 5, 4: 6, 5: 6},  # +0.1
            "C1": {1: 5, 2: 5, 4: 5, 5: 5},  # 0
        }
    )
    done = completions(("P", "TP1", dt.date(2026, 3, 1)), ("Q", "TP1", dt.date(2026, 3, 31)))
    rate = measure(frame, org, done).loc[("TP1", "completion_rate")]
    assert rate.participants == 2 and rate.comparison_employees == 1
    assert rate.effect == pytest.approx(0.2)
    # Effects 0.3 and 0.1: sd = 0.1414, half-width = t(0.975, 1) * sd / sqrt(2) = 12.706 * 0.1
    assert rate.ci_low == pytest.approx(0.2 - 1.2706, abs=1e-3)
    assert rate.ci_high == pytest.approx(0.2 + 1.2706, abs=1e-3)


def test_result_has_the_table_columns_and_no_completions_give_no_rows():
    result = training_effectiveness(
        ACTIVITY, ORG, COMPLETIONS, PROGRAMS, DEFAULT_CONFIG, INSIGHTS, AS_OF
    )
    assert list(result.columns) == list(EFFECTIVENESS_COLUMNS)
    assert result[["program_id", "metric"]].values.tolist() == [
        ["TP1", "score"],
        ["TP1", "completion_rate"],
        ["TP2", "score"],
        ["TP2", "completion_rate"],
    ]
    assert result.program_name.tolist()[:2] == ["Python Foundations"] * 2
    none = training_effectiveness(
        ACTIVITY.iloc[:0], ORG, completions(), PROGRAMS, DEFAULT_CONFIG, INSIGHTS, AS_OF
    )
    assert none.empty and list(none.columns) == list(EFFECTIVENESS_COLUMNS)


# --------------------------------------------------------------------------- by scorecards

SERVERS = employees(S="Server", D1="Server", D2="Server", P="SWE", C1="SWE", C2="SWE")
SERVER_SCORECARDS = resolve_scorecards(
    KpiFrames(
        kpis=pd.DataFrame({"kpi_id": ["guest_satisfaction"], "direction": ["higher_is_better"]}),
        scorecards=pd.DataFrame(
            {"job_title": ["Server"], "kpi_id": ["guest_satisfaction"], "weight": [1.0]}
        ),
    )
)
UNCLIPPED = dataclasses.replace(DEFAULT_CONFIG, clip_quantiles=None)


def satisfaction(values: dict[str, dict[int, float]]) -> pd.DataFrame:
    rows = [
        (e, month(m), "guest_satisfaction", v)
        for e, months in values.items()
        for m, v in months.items()
    ]
    return pd.DataFrame(rows, columns=["employee_id", "period", "kpi_id", "value"])


def measure_by_scorecards(kpi_values: pd.DataFrame, tasks: pd.DataFrame, done: pd.DataFrame):
    result = training_effectiveness(
        tasks, SERVERS, done, PROGRAMS, UNCLIPPED, INSIGHTS, AS_OF,
        scorecards=SERVER_SCORECARDS, monthly_kpis=kpi_values,
    )  # fmt: skip
    return result.set_index(["program_id", "metric"])


def test_people_on_a_kpi_only_scorecard_get_a_score_effect_from_their_kpi_values_alone():
    # S trains in March. Before: S 1, D1 2, D2 3 (scores 0, 50, 100 among the servers);
    # after: S 3, D1 2, D2 1 (100, 50, 0). S: +100; colleagues: 0 and -100.
    kpi_values = satisfaction(
        {"S": {1: 1, 2: 1, 4: 3, 5: 3}, "D1": {1: 2, 2: 2, 4: 2, 5: 2},
         "D2": {1: 3, 2: 3, 4: 1, 5: 1}}
    )  # fmt: skip
    no_tasks = ACTIVITY.iloc[:0]
    found = measure_by_scorecards(kpi_values, no_tasks, completions(("S", "TP1", month(3))))
    score = found.loc[("TP1", "score")]
    assert (score.participants, score.comparison_employees) == (1, 2)
    assert (score.participants_before, score.participants_after) == (0.0, 100.0)
    assert (score.comparison_before, score.comparison_after) == (75.0, 25.0)
    assert score.effect == pytest.approx(100 - (0 - 100) / 2)
    # No task records: nothing to say about the completion rate.
    rate = found.loc[("TP1", "completion_rate")]
    assert rate.participants == 0 and np.isnan(rate.effect)


def test_people_on_the_default_scorecard_are_measured_as_without_scorecards():
    kpi_values = satisfaction({"S": {1: 1, 2: 1, 4: 3, 5: 3}, "D1": {1: 2, 4: 2}})
    tasks = ACTIVITY[ACTIVITY["employee_id"].isin(["P", "C1", "C2"])]
    done = completions(("P", "TP1", month(3)))
    by_scorecards = measure_by_scorecards(kpi_values, tasks, done)
    without = training_effectiveness(tasks, SERVERS, done, PROGRAMS, UNCLIPPED, INSIGHTS, AS_OF)
    pd.testing.assert_frame_equal(by_scorecards, without.set_index(["program_id", "metric"]))
    assert by_scorecards.loc[("TP1", "score")].participants == 1


def test_periods_as_timestamps_as_the_store_reads_them_measure_like_dates():
    # The store hands periods over as datetime64 (ids as categories), tests as dates: the
    # months they fall in, hence every figure, must not depend on it.
    read = ACTIVITY.assign(
        employee_id=ACTIVITY["employee_id"].astype("category"),
        period=pd.to_datetime(ACTIVITY["period"]).astype("datetime64[us]"),
    )
    pd.testing.assert_frame_equal(measure(read), measure())
