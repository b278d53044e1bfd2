"""Stateless analysis of posted records (`POST /api/v1/analyze`): one window, summed per
employee, scored, tiered and anomaly-checked; with a posted scorecard, scored by it. No
history, so no prediction and no explanations (those are `analytics.pipeline.analyze`'s)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from analytics.anomalies import AnomalyDetector
from analytics.config import DEFAULT_CONFIG, AnalysisConfig
from analytics.errors import AnalysisError
from analytics.scorecard_models import ScorecardAnomalies, ScorecardTiers
from analytics.scorecards import (
    KpiFrames,
    kpi_breakdown,
    resolve_scorecards,
    score_scorecards,
    window_values,
)
from analytics.scoring import check_task_columns, score_window
from analytics.tiers import TierModel

RECORD_COLUMNS = ("employee_id", "tasks_total", "tasks_completed", "hours_logged")
RECORD_OUTPUT_COLUMNS = (
    "employee_id",
    "name",
    "performance_score",
    "performance_cluster",
    "is_anomaly",
    "completion_rate",
    "avg_task_hours",
    "completed_tasks",
)


def analyze_records(
    records: Iterable[Mapping[str, Any]] | pd.DataFrame,
    config: AnalysisConfig = DEFAULT_CONFIG,
    *,
    kpi_records: Iterable[Mapping[str, Any]] | None = None,
    scorecard: Iterable[Mapping[str, Any]] | None = None,
) -> pd.DataFrame:
    """Stateless analysis of posted task records (the `POST /api/v1/analyze` shape).

    Rows carry employee_id, name, tasks_total, tasks_completed, hours_logged; several rows
    of one employee are summed (hours become unknown, hence imputed, if any row lacks
    them). Returns one row per employee, sorted by employee_id, with employee_id, name,
    performance_score (2 decimals), performance_cluster, is_anomaly, completion_rate,
    avg_task_hours (imputed median for employees without tasks) and completed_tasks.
    No prediction: posted records carry no history.

    With a `scorecard` (entries kpi_id, weight, and for custom KPIs direction, default
    higher_is_better) everybody posted is scored by it, as analytics.scorecards scores a
    job title's people: `kpi_records` (employee_id, kpi_id, value; several values of one
    KPI are averaged) bring the custom KPIs, an employee may come with KPI records only,
    and the output gains `kpis` (value, normalised, weight and points per KPI) and `flags`.
    """
    if scorecard is not None:
        return _analyze_posted_scorecard(records, kpi_records or [], list(scorecard), config)
    frame = records if isinstance(records, pd.DataFrame) else pd.DataFrame.from_records(records)
    missing = [c for c in RECORD_COLUMNS if c not in frame.columns]
    if missing:
        raise AnalysisError(f"records are missing field(s): {', '.join(missing)}")
    if frame["employee_id"].isna().any():
        raise AnalysisError("every record needs an employee_id")
    names = frame["name"] if "name" in frame.columns else pd.Series(np.nan, index=frame.index)
    try:
        hours = pd.to_numeric(frame["hours_logged"]).astype("float64")
        tidy = pd.DataFrame(
            {
                "employee_id": frame["employee_id"].astype(str),
                # min() of the names makes a conflicting name independent of row order.
                "name": names.where(names.isna(), names.astype(str)),
                "total_tasks": pd.to_numeric(frame["tasks_total"]),
                "completed_tasks": pd.to_numeric(frame["tasks_completed"]),
                "hours_logged": hours,
                "hours_missing": hours.isna(),
            }
        )
    except (TypeError, ValueError) as exc:
        raise AnalysisError(f"task fields must be numeric: {exc}") from exc

    per_employee = tidy.groupby("employee_id", sort=True).agg(
        total_tasks=("total_tasks", "sum"),
        completed_tasks=("completed_tasks", "sum"),
        hours_logged=("hours_logged", "sum"),
        hours_missing=("hours_missing", "any"),
    )
    # The least name of each employee, as the first in sorted order: groupby's min() of
    # text runs a Python loop per employee (10 s for 60,000 of them).
    least_names = tidy.sort_values(["employee_id", "name"], na_position="last", kind="stable")
    per_employee.insert(
        0, "name", least_names.drop_duplicates("employee_id").set_index("employee_id")["name"]
    )
    if len(per_employee) < config.n_clusters:
        raise AnalysisError(
            f"at least {config.n_clusters} distinct employees are needed to form "
            f"{config.n_clusters} performance clusters, got {len(per_employee)}"
        )
    per_employee["hours_logged"] = per_employee["hours_logged"].where(
        ~per_employee["hours_missing"]
    )
    per_employee = per_employee.reset_index()
    check_task_columns(per_employee)

    # No flags: the answer does not carry them.
    scored = score_window(per_employee, config, with_flags=False)
    _, tiers, _, is_anomaly, _ = _tiers_and_anomalies(scored, config)
    answer = _answer_frame(scored, tiers, is_anomaly)
    answer["completed_tasks"] = answer["completed_tasks"].astype(np.int64)
    return answer.loc[:, list(RECORD_OUTPUT_COLUMNS)]


def _answer_frame(scored: pd.DataFrame, tiers: np.ndarray, is_anomaly: np.ndarray) -> pd.DataFrame:
    """The answer's columns for each scored employee, in the order the API gives them."""
    return pd.DataFrame(
        {
            "employee_id": scored["employee_id"],
            "name": scored["name"].astype(object).where(scored["name"].notna(), None),
            "performance_score": scored["score"].round(2),
            "performance_cluster": tiers,
            "is_anomaly": is_anomaly,
            "completion_rate": scored["completion_rate"],
            "avg_task_hours": scored["avg_task_hours"],
            "completed_tasks": scored["completed_tasks"],
        }
    )


POSTED_SCORECARD = "posted scorecard"


def _analyze_posted_scorecard(
    records: Iterable[Mapping[str, Any]] | pd.DataFrame,
    kpi_records: Iterable[Mapping[str, Any]],
    scorecard: list[Mapping[str, Any]],
    config: AnalysisConfig,
) -> pd.DataFrame:
    frame = records if isinstance(records, pd.DataFrame) else pd.DataFrame.from_records(records)
    if frame.empty:
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in (*RECORD_COLUMNS, "name")})
    values = pd.DataFrame.from_records(
        list(kpi_records), columns=["employee_id", "kpi_id", "value"]
    )
    card = pd.DataFrame.from_records(scorecard)
    if card.empty or not {"kpi_id", "weight"} <= set(card.columns):
        raise AnalysisError("the scorecard needs at least one KPI with kpi_id and weight")
    direction = card.get("direction", pd.Series("higher_is_better", index=card.index))
    kpis = KpiFrames(
        kpis=pd.DataFrame(
            {"kpi_id": card["kpi_id"], "direction": direction.fillna("higher_is_better")}
        ),
        scorecards=card.loc[:, ["kpi_id", "weight"]].assign(job_title=POSTED_SCORECARD),
        values=values.assign(value=pd.to_numeric(values["value"]))
        .groupby(["employee_id", "kpi_id"], as_index=False)["value"]
        .mean()
        .assign(window=0),
    )
    scorecards = resolve_scorecards(kpis, config)
    tasks = frame.assign(employee_id=frame["employee_id"].astype(str))
    if "name" not in tasks.columns:
        tasks["name"] = np.nan
    for column in ("tasks_total", "tasks_completed", "hours_logged"):
        tasks[column] = pd.to_numeric(tasks[column])
    per_employee = tasks.groupby("employee_id", sort=True).agg(
        name=("name", "min"),
        total_tasks=("tasks_total", "sum"),
        completed_tasks=("tasks_completed", "sum"),
        hours_logged=("hours_logged", lambda h: h.sum() if h.notna().all() else np.nan),
    )
    ids = sorted(set(per_employee.index) | set(values["employee_id"].astype(str)))
    if len(ids) < config.n_clusters:
        raise AnalysisError(
            f"at least {config.n_clusters} distinct employees are needed to form "
            f"{config.n_clusters} performance clusters, got {len(ids)}"
        )
    people = per_employee.reindex(ids).rename_axis("employee_id").reset_index()
    # Someone posted with KPI records only logged no tasks.
    people[["total_tasks", "completed_tasks"]] = people[["total_tasks", "completed_tasks"]].fillna(
        0
    )
    people["job_title"] = POSTED_SCORECARD
    if scorecards.get(POSTED_SCORECARD).uses_tasks:
        check_task_columns(people)
    part = score_scorecards(people, scorecards, window_values(kpis, 0), config)
    scored = part.frame
    tiers = ScorecardTiers(scorecards, config).fit(scored).predict(scored)
    is_anomaly, _ = ScorecardAnomalies(scorecards, config).fit_detect(scored)
    out = _answer_frame(scored, tiers, is_anomaly)
    # JSON-ready: no NaN, no pandas NA (a KPI-only scorecard measures no tasks).
    out = out.astype(object).where(out.notna(), None)
    out["kpis"] = kpi_breakdown(scored, scorecards, part.scales)
    out["flags"] = scored["flags"]
    return out


def _tiers_and_anomalies(
    scored: pd.DataFrame, config: AnalysisConfig
) -> tuple[TierModel, np.ndarray, AnomalyDetector, np.ndarray, np.ndarray]:
    tier_model = TierModel(
        n_clusters=config.n_clusters,
        random_state=config.random_state,
        n_init=config.kmeans_n_init,
        max_fit_samples=config.max_fit_samples,
        clip_quantiles=config.clip_quantiles,
        n_threads=config.kmeans_threads,
    ).fit(scored, scored["score"])
    detector = AnomalyDetector(
        contamination=config.contamination,
        random_state=config.random_state,
        max_fit_samples=config.max_fit_samples,
        n_jobs=config.n_jobs,
    )
    is_anomaly, anomaly_score = detector.fit_detect(scored)
    return tier_model, tier_model.predict(scored), detector, is_anomaly, anomaly_score
