"""The product brief's formula, as the flask-bi frontend knows it: the compatibility form of
`POST /analyze`, where a bare array of {employee_id, name, completed_tasks, total_tasks,
avg_task_hours} gets the brief's numbers unchanged.

It differs from EPA's own analysis on purpose: min-max over the whole batch (no peer
groups, no clipping), the posted avg_task_hours used as sent, one record per employee.
What EPA adds and keeps here: a missing avg_task_hours takes the batch median (a 0 would
rank missing data as the most efficient), and tiers named by their members' mean score.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.anomalies import AnomalyDetector
from analytics.config import DEFAULT_CONFIG, AnalysisConfig
from analytics.errors import AnalysisError
from analytics.scoring import min_max
from analytics.tiers import TierModel

BRIEF_FEATURES = ("completion_rate", "avg_task_hours", "completed_tasks")
BRIEF_COLUMNS = ("employee_id", "name", "completed_tasks", "total_tasks", "avg_task_hours")


def score_brief_batch(
    records: pd.DataFrame, config: AnalysisConfig = DEFAULT_CONFIG
) -> pd.DataFrame:
    """One row per record, in the order posted: employee_id, name, performance_score (0-100,
    2 decimals), performance_cluster (High/Medium/Low), is_anomaly, completion_rate,
    avg_task_hours (the batch median where none was sent) and completed_tasks.

    completion_rate = completed / total (0 without tasks); task_efficiency = 1 - min-max of
    avg_task_hours; throughput = min-max of completed_tasks; score = min-max of the weighted
    sum x 100. Tiers: StandardScaler + KMeans on the three measures; anomalies:
    StandardScaler + IsolationForest on the same, both seeded.
    """
    missing = [c for c in BRIEF_COLUMNS if c not in records.columns]
    if missing:
        raise AnalysisError(f"records are missing field(s): {', '.join(missing)}")
    if len(records) < config.n_clusters:
        raise AnalysisError(
            f"at least {config.n_clusters} records are needed to form tiers, got {len(records)}"
        )
    if records["employee_id"].duplicated().any():
        raise AnalysisError("each employee_id may be posted once")
    total = records["total_tasks"].to_numpy(dtype=np.float64)
    completed = records["completed_tasks"].to_numpy(dtype=np.float64)
    hours = records["avg_task_hours"].to_numpy(dtype=np.float64)
    known = ~np.isnan(hours)
    hours = np.where(known, hours, np.median(hours[known]) if known.any() else 0.0)
    completion = np.divide(completed, total, out=np.zeros_like(total), where=total > 0)
    raw = (
        config.completion_weight * completion
        + config.efficiency_weight * (1.0 - min_max(hours))
        + config.throughput_weight * min_max(completed)
    )
    score = min_max(raw) * 100.0
    features = pd.DataFrame(
        {"completion_rate": completion, "avg_task_hours": hours, "completed_tasks": completed}
    )
    tiers = TierModel(
        n_clusters=config.n_clusters,
        random_state=config.random_state,
        clip_quantiles=None,
        features=BRIEF_FEATURES,
    ).fit(features, score)
    is_anomaly = AnomalyDetector(
        contamination=config.contamination,
        random_state=config.random_state,
        features=BRIEF_FEATURES,
    ).fit_detect(features)[0]
    return pd.DataFrame(
        {
            "employee_id": records["employee_id"].to_numpy(),
            "name": records["name"].to_numpy(),
            "performance_score": np.round(score, 2),
            "performance_cluster": tiers.predict(features),
            "is_anomaly": is_anomaly,
            "completion_rate": completion,
            "avg_task_hours": hours,
            "completed_tasks": completed.astype(np.int64),
        }
    )
