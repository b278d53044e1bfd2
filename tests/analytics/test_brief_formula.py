"""The brief's formula for the flask-bi drop-in: plain min-max over the batch, 0.4 / 0.3 /
0.3, tiers named by mean score, 5 % anomalies; checked against the formula written out
here on batches no test has seen (a fresh seed each run, printed when it fails)."""

from __future__ import annotations

import secrets

import numpy as np
import pandas as pd
import pytest

from analytics import AnalysisError
from analytics.brief_formula import score_brief_batch


def random_batch(seed: int, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    total = rng.integers(0, 60, n)
    hours = rng.gamma(2.0, 2.5, n).round(2)
    return pd.DataFrame(
        {
            "employee_id": [f"E{i:05d}" for i in range(n)],
            "name": [f"Person {i}" for i in range(n)],
            "completed_tasks": (total * rng.uniform(0, 1, n)).astype(int),
            "total_tasks": total,
            "avg_task_hours": np.where(rng.uniform(size=n) < 0.05, np.nan, hours),
        }
    )


def brief_scores(batch: pd.DataFrame) -> pd.Series:
    """The brief's formula, spelled out with pandas."""

    def scaled(column: pd.Series) -> pd.Series:
        return (column - column.min()) / (column.max() - column.min())

    completion = (batch["completed_tasks"] / batch["total_tasks"]).fillna(0.0)
    hours = batch["avg_task_hours"].fillna(batch["avg_task_hours"].median())
    raw = 0.4 * completion + 0.3 * (1 - scaled(hours)) + 0.3 * scaled(batch["completed_tasks"])
    return scaled(raw) * 100


def test_scores_are_the_brief_formula_on_a_batch_no_test_has_seen():
    seed = secrets.randbits(32)
    batch = random_batch(seed)
    result = score_brief_batch(batch)
    np.testing.assert_allclose(
        result["performance_score"], brief_scores(batch), atol=0.005, err_msg=f"seed {seed}"
    )
    assert list(result["employee_id"]) == list(batch["employee_id"])


def test_tiers_are_named_by_the_mean_score_of_their_members():
    result = score_brief_batch(random_batch(11))
    means = result.groupby("performance_cluster")["performance_score"].mean()
    assert means["High"] > means["Medium"] > means["Low"]


def test_five_percent_are_anomalies():
    result = score_brief_batch(random_batch(12, n=1000))
    assert result["is_anomaly"].mean() == pytest.approx(0.05, abs=0.01)


def test_a_missing_avg_task_hours_takes_the_batch_median_not_zero():
    batch = random_batch(13, n=50)
    batch.loc[0, "avg_task_hours"] = np.nan
    result = score_brief_batch(batch)
    assert result.loc[0, "avg_task_hours"] == pytest.approx(batch["avg_task_hours"].median())


def test_without_tasks_the_completion_rate_is_zero():
    batch = random_batch(14, n=20)
    batch.loc[3, ["completed_tasks", "total_tasks"]] = 0
    assert score_brief_batch(batch).loc[3, "completion_rate"] == 0.0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda b: b.head(2), "at least 3 records"),
        (lambda b: pd.concat([b, b.head(1)]), "posted once"),
        (lambda b: b.drop(columns="total_tasks"), "total_tasks"),
    ],
)
def test_batches_the_formula_cannot_score_are_refused_with_the_reason(change, message):
    with pytest.raises(AnalysisError, match=message):
        score_brief_batch(change(random_batch(15, n=10)).reset_index(drop=True))
