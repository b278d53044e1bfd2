"""The weighted performance score of one window (analytics.scoring, analytics.config)."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from analytics import AnalysisConfig, AnalysisError
from analytics.config import DEFAULT_CONFIG
from analytics.scoring import FLAG_HOURS_IMPUTED, FLAG_NO_TASKS, min_max, score_window, task_scores

NO_CLIP = AnalysisConfig(clip_quantiles=None)


def window(total, completed, hours) -> pd.DataFrame:
    n = len(total)
    return pd.DataFrame(
        {
            "employee_id": [f"E{i}" for i in range(n)],
            "total_tasks": total,
            "completed_tasks": completed,
            "hours_logged": hours,
        }
    )


def test_score_matches_the_formula_worked_out_by_hand():
    frame = window(total=[10, 10, 4, 0], completed=[10, 5, 2, 0], hours=[20.0, 40.0, 4.0, 0.0])
    out = score_window(frame, NO_CLIP)

    # completion = completed / total            -> [1.0, 0.5, 0.5, 0 (no tasks)]
    # avg hours  = hours / total               -> [2, 4, 1, median(2, 4, 1) = 2 (imputed)]
    # efficiency = 1 - (avg - 1) / (4 - 1)     -> [2/3, 0, 1, 2/3]
    # throughput = (completed - 0) / (10 - 0)  -> [1, 0.5, 0.2, 0]
    # raw = 0.4*completion + 0.3*efficiency + 0.3*throughput
    #     E0 = 0.4 + 0.2 + 0.3 = 0.9;   E1 = 0.2 + 0 + 0.15 = 0.35
    #     E2 = 0.2 + 0.3 + 0.06 = 0.56; E3 = 0 + 0.2 + 0 = 0.2
    # score = (raw - 0.2) / (0.9 - 0.2) * 100 -> [100, 15/0.7, 36/0.7, 0]
    assert out["completion_rate"].tolist() == pytest.approx([1.0, 0.5, 0.5, 0.0])
    assert out["avg_task_hours"].tolist() == pytest.approx([2.0, 4.0, 1.0, 2.0])
    assert out["task_efficiency"].tolist() == pytest.approx([2 / 3, 0.0, 1.0, 2 / 3])
    assert out["throughput"].tolist() == pytest.approx([1.0, 0.5, 0.2, 0.0])
    assert out["score"].tolist() == pytest.approx([100.0, 15 / 0.7, 36 / 0.7, 0.0])


def test_scoring_keeps_row_order_and_input_columns():
    frame = window(total=[10, 10, 4], completed=[10, 5, 2], hours=[20.0, 40.0, 4.0])
    out = score_window(frame, NO_CLIP)
    assert out["employee_id"].tolist() == ["E0", "E1", "E2"]
    assert list(out.index) == list(frame.index)
    assert {"total_tasks", "completed_tasks", "hours_logged"} <= set(out.columns)


def test_employee_without_tasks_gets_zero_completion_and_no_tasks_flag():
    out = score_window(window(total=[10, 0, 5], completed=[8, 0, 5], hours=[10.0, 0.0, 5.0]))
    assert out.loc[1, "completion_rate"] == 0.0
    assert FLAG_NO_TASKS in out.loc[1, "flags"]
    assert out.loc[0, "flags"] == [] and out.loc[2, "flags"] == []


def test_missing_hours_are_imputed_with_the_median_not_zero_and_flagged():
    # Known hours per task: 1, 2 and 10 -> median 2. Filling with 0 would make E3 the most
    # efficient employee (efficiency 1.0).
    frame = window(
        total=[10, 10, 10, 10], completed=[5, 5, 5, 5], hours=[10.0, 20.0, 100.0, np.nan]
    )
    out = score_window(frame, NO_CLIP)
    assert out.loc[3, "avg_task_hours"] == pytest.approx(2.0)
    assert out.loc[3, "flags"] == [FLAG_HOURS_IMPUTED]
    assert out.loc[3, "task_efficiency"] == pytest.approx(out.loc[1, "task_efficiency"])
    assert out.loc[3, "task_efficiency"] < 1.0


def test_no_task_employee_is_also_flagged_hours_imputed():
    out = score_window(window(total=[10, 0, 5], completed=[8, 0, 5], hours=[10.0, 0.0, 5.0]))
    assert out.loc[1, "flags"] == [FLAG_NO_TASKS, FLAG_HOURS_IMPUTED]
    assert out.loc[1, "avg_task_hours"] == pytest.approx(np.median([1.0, 1.0]))


def test_weights_change_the_ranking_as_expected():
    # Same hours per task for everyone, so efficiency is equal and only the weights of
    # completion (E0 best: 10/10) and throughput (E1 best: 20 completed) decide.
    frame = window(total=[10, 40, 5], completed=[10, 20, 1], hours=[20.0, 80.0, 10.0])
    completion_heavy = AnalysisConfig(
        completion_weight=0.8, efficiency_weight=0.1, throughput_weight=0.1, clip_quantiles=None
    )
    throughput_heavy = AnalysisConfig(
        completion_weight=0.1, efficiency_weight=0.1, throughput_weight=0.8, clip_quantiles=None
    )
    by_completion = score_window(frame, completion_heavy)["score"]
    by_throughput = score_window(frame, throughput_heavy)["score"]
    assert by_completion[0] > by_completion[1]
    assert by_throughput[1] > by_throughput[0]


def test_constant_columns_normalise_to_zero_without_division_warnings():
    frame = window(total=[10, 10, 10], completed=[5, 5, 5], hours=[20.0, 20.0, 20.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = score_window(frame)
    assert out["throughput"].tolist() == [0.0, 0.0, 0.0]
    assert out["task_efficiency"].tolist() == [1.0, 1.0, 1.0]
    assert out["score"].tolist() == [0.0, 0.0, 0.0]


def test_min_max_of_an_empty_or_constant_array_is_zero():
    assert min_max(np.array([])).size == 0
    assert min_max(np.array([3.0, 3.0]), (0.01, 0.99)).tolist() == [0.0, 0.0]


def test_clip_quantiles_keep_one_extreme_value_from_squashing_everybody_else():
    completed = [*range(10, 110), 100_000]
    frame = window(total=[c + 5 for c in completed], completed=completed, hours=[10.0] * 101)
    plain = score_window(frame, NO_CLIP)["throughput"][:100]
    clipped = score_window(frame, AnalysisConfig(clip_quantiles=(0.01, 0.99)))["throughput"]
    assert plain.max() < 0.001  # everybody squashed to the bottom by the outlier
    assert clipped[:100].max() - clipped[:100].min() > 0.9
    assert clipped[100] == 1.0


def test_score_spans_zero_to_hundred():
    rng = np.random.default_rng(0)
    total = rng.integers(1, 50, 200)
    frame = window(total=total, completed=rng.integers(0, total + 1), hours=total * 3.0)
    score = score_window(frame)["score"]
    assert score.min() == 0.0 and score.max() == 100.0


@pytest.mark.parametrize(
    ("total", "completed", "hours"),
    [([5, 5], [6, 1], [1.0, 1.0]), ([5, -1], [1, 0], [1.0, 1.0]), ([5, 5], [1, 1], [1.0, -2.0])],
)
def test_inconsistent_task_counts_raise_analysis_error(total, completed, hours):
    with pytest.raises(AnalysisError):
        score_window(window(total=total, completed=completed, hours=hours))


def test_weights_that_do_not_sum_to_one_are_rejected():
    with pytest.raises(ValueError, match="sum to 1"):
        AnalysisConfig(completion_weight=0.5, efficiency_weight=0.3, throughput_weight=0.3)


def test_config_to_dict_is_json_serialisable_and_complete():
    params = AnalysisConfig().to_dict()
    assert json.loads(json.dumps(params)) == params
    assert params["completion_weight"] == 0.4
    assert params["clip_quantiles"] == [0.01, 0.99]
    # Tuples become lists; the default grid is its one candidate (analytics.config).
    assert params["param_grid"] == {
        "max_depth": [12],
        "min_samples_leaf": [1],
        "n_estimators": [100],
    }
    assert params["kmeans_threads"] == 1


def two_departments_of_different_workloads() -> pd.DataFrame:
    """Support closes ten times as many (smaller) tasks as Engineering; within each, the
    same spread of performance."""
    rows = []
    for department, scale in (("Support", 10.0), ("Engineering", 1.0)):
        for i, (completed, hours_per_task) in enumerate([(12, 4.0), (10, 5.0), (8, 6.0)]):
            total = 14 * scale
            rows.append(
                {
                    "employee_id": f"{department[0]}{i}",
                    "department": department,
                    "total_tasks": total,
                    "completed_tasks": completed * scale,
                    "hours_logged": total * hours_per_task / scale,
                }
            )
    return pd.DataFrame(rows)


def test_efficiency_and_throughput_are_measured_against_department_peers():
    scored = score_window(
        two_departments_of_different_workloads(), AnalysisConfig(clip_quantiles=None)
    )
    by_id = scored.set_index("employee_id")
    # The best of each department gets the same components and score, whatever its workload.
    assert by_id.loc["S0", "throughput"] == by_id.loc["E0", "throughput"] == 1.0
    assert by_id.loc["S0", "task_efficiency"] == by_id.loc["E0", "task_efficiency"] == 1.0
    assert by_id.loc["S0", "score"] == pytest.approx(by_id.loc["E0", "score"])
    assert by_id.loc["S2", "score"] == pytest.approx(by_id.loc["E2", "score"])
    # Relative features: multiples of the department median (10 tasks, 5 h per task).
    assert by_id.loc["E0", "relative_throughput"] == pytest.approx(12 / 10)
    assert by_id.loc["S0", "relative_throughput"] == pytest.approx(120 / 100)
    assert by_id.loc["E2", "relative_task_hours"] == pytest.approx(6.0 / 5.0)


def test_without_a_peer_group_everybody_is_compared_with_everybody():
    config = AnalysisConfig(clip_quantiles=None, peer_group=None)
    by_id = score_window(two_departments_of_different_workloads(), config).set_index("employee_id")
    # Support's ten-fold volume now dominates throughput: its worst beats Engineering's best.
    assert by_id.loc["S2", "throughput"] > by_id.loc["E0", "throughput"]


def test_task_scores_are_the_scores_of_the_window_whatever_the_group_labels():
    frame = pd.DataFrame(
        {
            "total_tasks": [10, 0, 8, 5, 12, 7],
            "completed_tasks": [9, 0, 4, 5, 6, 7],
            "hours_logged": [20.0, np.nan, 30.0, 5.0, 40.0, 14.0],
            "department": ["A", "A", "B", "B", "A", "B"],
        }
    )
    scored = score_window(frame, DEFAULT_CONFIG, with_flags=False)
    arrays = task_scores(
        *(
            frame[c].to_numpy(dtype=np.float64)
            for c in ("total_tasks", "completed_tasks", "hours_logged")
        ),
        np.array([7, 7, 3, 3, 7, 3]),  # the departments as integer codes
        DEFAULT_CONFIG,
    )
    for column in ("completion_rate", "avg_task_hours", "task_efficiency", "throughput", "score"):
        np.testing.assert_array_equal(arrays[column], scored[column].to_numpy())
