"""Score and tier trajectories: the trend rule, group trends, window tiers, department trends."""

import math

import numpy as np
import pandas as pd
import pytest

from analytics import AnalysisConfig, analyze
from analytics.config import InsightsConfig
from analytics.trends import department_trends, group_trends, score_change, trend_flags

FAST = AnalysisConfig(n_jobs=1)

# (completed, total, hours) of the three kinds of work in the tiny organisation below:
# 2, 4 and 6 hours per task, so the tiers and min-max scores can be worked out by hand.
HIGH = (38, 40, 80.0)
MEDIUM = (25, 40, 160.0)
LOW = (10, 40, 240.0)
# score = 100 * (raw - raw_low) / (raw_high - raw_low), raw = 0.4 completion +
# 0.3 efficiency + 0.3 throughput; the medium row sits at efficiency 0.5 and throughput
# (25 - 10) / (38 - 10), and raw_high - raw_low = 0.4 * (0.95 - 0.25) + 0.3 + 0.3 = 0.88.
MEDIUM_SCORE = 100 * (0.4 * (0.625 - 0.25) + 0.3 * 0.5 + 0.3 * 15 / 28) / 0.88


def tiny_windows() -> pd.DataFrame:
    """Nine employees of one department, three of each kind of work in window 0.

    Window 1: A1 and C1 swapped their work. Window 2: B3 not hired yet and B1 did low
    work (the other rows as in window 0).
    """
    current = {
        "A1": HIGH,
        "A2": HIGH,
        "A3": HIGH,
        "B1": MEDIUM,
        "B2": MEDIUM,
        "B3": MEDIUM,
        "C1": LOW,
        "C2": LOW,
        "C3": LOW,
    }
    windows = {
        0: current,
        1: current | {"A1": LOW, "C1": HIGH},
        2: {k: v for k, v in current.items() if k != "B3"} | {"B1": LOW},
    }
    rows = [
        {
            "employee_id": employee,
            "window": w,
            "department": "Ops",
            "team": "T1" if employee[1] in "12" else "T2",
            "job_title": "Analyst" if employee.endswith("1") else "Engineer",
            "tenure_years": 2.0,
            "engagement": 3.0,
            "satisfaction": 3.0,
            "skill_match": 0.5,
            "completed_tasks": completed,
            "total_tasks": total,
            "hours_logged": hours,
        }
        for w, people in windows.items()
        for employee, (completed, total, hours) in people.items()
    ]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def tiny():
    return analyze(tiny_windows(), FAST)


@pytest.fixture(scope="module")
def tiny_scores(tiny) -> pd.DataFrame:
    return tiny.scores.set_index("employee_id")


def test_trend_rule_at_the_thresholds():
    flags = trend_flags(np.array([5.0, 4.99, -5.0, -4.99, 0.0, np.nan, 12.0, -30.0]), 5.0)
    assert flags.tolist() == [
        "improving",
        "stable",
        "declining",
        "stable",
        "stable",
        None,
        "improving",
        "declining",
    ]


def test_score_change_compares_with_the_earliest_window_available():
    current = np.array([60.0, 60.0, 60.0])
    w1 = np.array([50.0, 50.0, np.nan])
    w2 = np.array([40.0, np.nan, np.nan])
    change = score_change(current, w1, w2)
    assert change[0] == 20.0  # window 2 wins over window 1
    assert change[1] == 10.0  # no window 2: window 1
    assert math.isnan(change[2])  # no history at all


def test_group_trends_average_the_members_that_have_each_window():
    scores = pd.DataFrame(
        {
            "team": ["B", "A", "A", "B", "C"],
            "score": [40.0, 60.0, 70.0, 50.0, 30.0],
            "score_w1": [45.0, 50.0, np.nan, 52.0, np.nan],
            "score_w2": [44.0, np.nan, np.nan, 48.0, np.nan],
        }
    )
    out = group_trends(scores, "team", InsightsConfig(trend_threshold=5.0))
    assert list(out.columns) == [
        "team",
        "average_score",
        "score_w1",
        "score_w2",
        "score_change",
        "trend",
    ]
    assert out["team"].tolist() == ["A", "B", "C"]
    a, b, c = (row for _, row in out.iterrows())
    # A: (60 + 70) / 2 = 65 now; only the first member has window 1 (50): +15.
    assert (a.average_score, a.score_w1) == (65.0, 50.0)
    assert math.isnan(a.score_w2)
    assert (a.score_change, a.trend) == (15.0, "improving")
    # B: 45 now, 48.5 in window 1, 46 in window 2 (the earliest): -1.
    assert (b.average_score, b.score_w1, b.score_w2) == (45.0, 48.5, 46.0)
    assert (b.score_change, b.trend) == (-1.0, "stable")
    # C: nobody has history.
    assert math.isnan(c.score_change) and c.trend is None


def test_group_trend_uses_the_configured_threshold():
    scores = pd.DataFrame({"team": ["A"], "score": [50.0], "score_w1": [53.0], "score_w2": [None]})
    assert group_trends(scores, "team", InsightsConfig(trend_threshold=3.0))["trend"].item() == (
        "declining"
    )
    assert group_trends(scores, "team", InsightsConfig(trend_threshold=3.5))["trend"].item() == (
        "stable"
    )


def test_window_tiers_apply_the_run_tier_model_to_earlier_windows(tiny_scores):
    s = tiny_scores
    assert s["tier"].to_dict() == {
        **dict.fromkeys(["A1", "A2", "A3"], "High"),
        **dict.fromkeys(["B1", "B2", "B3"], "Medium"),
        **dict.fromkeys(["C1", "C2", "C3"], "Low"),
    }
    # Window 1 has the same population with A1 and C1 swapped.
    assert (s.loc["C1", "tier_w1"], s.loc["A1", "tier_w1"]) == ("High", "Low")
    assert (s.loc["C1", "score_w1"], s.loc["A1", "score_w1"]) == (100.0, 0.0)
    assert s.loc["B2", "tier_w1"] == "Medium"
    assert s.loc["B2", "score_w1"] == pytest.approx(MEDIUM_SCORE)
    # B1 did low work in window 2, B3 was not there.
    assert (s.loc["B1", "tier_w2"], s.loc["B1", "score_w2"]) == ("Low", 0.0)
    assert s.loc["B3", "tier_w2"] is None and math.isnan(s.loc["B3", "score_w2"])


def test_employee_trend_follows_the_score_since_the_earliest_window(tiny_scores):
    s = tiny_scores
    # B1: medium now, low (0) in window 2.
    assert s.loc["B1", "score_change"] == pytest.approx(MEDIUM_SCORE)
    assert s.loc["B1", "trend"] == "improving"
    # B3 has no window 2, so window 1 (the same medium work) is the reference.
    assert s.loc["B3", "score_change"] == pytest.approx(0.0, abs=1e-9)
    assert s.loc["B3", "trend"] == "stable"
    # A1 was low in window 1 but high in window 2 and now: window 2 decides.
    assert s.loc["A1", "score_change"] == pytest.approx(0.0, abs=1e-9)
    assert s["trend"].isin(["improving", "stable", "declining"]).all()


def test_department_trends_count_each_window_with_its_own_rows(tiny):
    trends = tiny.department_trends
    assert list(trends.columns) == [
        "department",
        "window",
        "employees",
        "average_score",
        "tier_high",
        "tier_medium",
        "tier_low",
    ]
    assert trends["department"].tolist() == ["Ops", "Ops", "Ops"]
    assert trends["window"].tolist() == [0, 1, 2]
    assert trends["employees"].tolist() == [9, 9, 8]
    assert trends[["tier_high", "tier_medium", "tier_low"]].values.tolist() == [
        [3, 3, 3],
        [3, 3, 3],
        [3, 1, 4],  # window 2: B3 absent, B1 low
    ]
    assert trends["average_score"].iloc[0] == pytest.approx((3 * 100 + 3 * MEDIUM_SCORE) / 9)


def test_department_trends_take_the_department_from_each_window():
    window0 = pd.DataFrame({"department": ["Ops", "Ops", "Sales"], "score": [10.0, 30.0, 80.0]})
    window1 = pd.DataFrame({"department": ["Ops", "Sales", "Sales"], "score": [20.0, 50.0, 70.0]})
    out = department_trends(
        {1: window1, 0: window0},
        {0: np.array(["Low", "Medium", "High"]), 1: np.array(["Low", "High", "High"])},
    )
    assert out.values.tolist() == [
        ["Ops", 0, 2, 20.0, 0, 1, 1],
        ["Ops", 1, 1, 20.0, 0, 0, 1],
        ["Sales", 0, 1, 80.0, 1, 0, 0],
        ["Sales", 1, 2, 60.0, 2, 0, 0],
    ]
