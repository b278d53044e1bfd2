"""The back-test on a hand-worked case: accuracy, macro F1, Brier score and the confusion
matrix of a previous run's predictions against this run's tiers, over the people in both."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analytics.backtest import backtest, brier_score


def predictions(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["employee_id", "predicted_tier", "p_high", "p_medium", "p_low"]
    )


def tiers(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["employee_id", "tier"])


PREVIOUS = predictions(
    [
        ("A", "High", 0.7, 0.2, 0.1),
        ("B", "Medium", 0.2, 0.5, 0.3),
        ("C", "Low", 0.1, 0.3, 0.6),
        ("D", "Medium", 0.3, 0.4, 0.3),
        ("E", "High", 0.8, 0.1, 0.1),  # gone since
        ("G", "Low", 0.1, 0.1, 0.8),  # no named tier now
        ("H", None, None, None, None),  # no prediction (predictor skipped for them)
    ]
)
CURRENT = tiers(
    [("A", "High"), ("B", "Low"), ("C", "Low"), ("D", "Medium"), ("F", "High"), ("G", None),
     ("H", "Low")]
)  # fmt: skip


def test_backtest_counts_only_people_predicted_before_and_tiered_now():
    result = backtest(PREVIOUS, CURRENT, previous_run_id=41)
    assert result["previous_run_id"] == 41
    assert result["employees"] == 4  # A, B, C, D


def test_backtest_accuracy_and_macro_f1_match_the_hand_count():
    result = backtest(PREVIOUS, CURRENT, previous_run_id=41)
    # 3 of 4 right (B was predicted Medium, became Low).
    assert result["accuracy"] == pytest.approx(0.75)
    # F1 High = 1; Medium: precision 1/2, recall 1 -> 2/3; Low: precision 1, recall 1/2 -> 2/3.
    assert result["macro_f1"] == pytest.approx((1 + 2 / 3 + 2 / 3) / 3)


def test_backtest_brier_is_the_mean_squared_distance_to_the_realised_tier():
    result = backtest(PREVIOUS, CURRENT, previous_run_id=41)
    # A 0.09+0.04+0.01, B 0.04+0.25+0.49, C 0.01+0.09+0.16, D 0.09+0.36+0.09.
    assert result["brier"] == pytest.approx((0.14 + 0.78 + 0.26 + 0.54) / 4)


def test_backtest_confusion_rows_are_realised_tiers_and_columns_predicted_ones():
    result = backtest(PREVIOUS, CURRENT, previous_run_id=41)
    assert result["confusion"] == {
        "labels": ["High", "Medium", "Low"],
        "matrix": [[1, 0, 0], [0, 1, 0], [0, 1, 1]],
    }


def test_backtest_with_nobody_in_common_is_none():
    assert backtest(PREVIOUS, tiers([("Z", "High")]), previous_run_id=41) is None
    assert backtest(predictions([]), CURRENT, previous_run_id=41) is None


def test_brier_score_is_zero_when_certain_and_right_and_two_when_certain_and_wrong():
    certain = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    assert brier_score(certain, np.array(["High", "Low"], dtype=object)) == 0.0
    assert brier_score(certain, np.array(["Low", "High"], dtype=object)) == 2.0


def test_backtest_result_is_plain_json():
    result = backtest(PREVIOUS, CURRENT, previous_run_id=np.int64(41))
    assert json.loads(json.dumps(result, allow_nan=False)) == result


def test_a_value_that_is_no_tier_is_a_miss_in_every_metric():
    previous = predictions([("A", "Top", 1.0, 0.0, 0.0), ("B", "Low", 0.0, 0.0, 1.0)])
    current = tiers([("A", "Unranked"), ("B", "Low")])
    result = backtest(previous, current, previous_run_id=7)
    assert result["accuracy"] == 0.5
    assert result["confusion"]["matrix"] == [[0, 0, 0], [0, 0, 0], [0, 0, 1]]
