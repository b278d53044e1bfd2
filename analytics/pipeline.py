"""End-to-end analysis of per-window features: scores, tiers, anomalies and predictions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analytics.config import (
    DEFAULT_CONFIG,
    DEFAULT_INSIGHTS,
    TIER_NAMES,
    AnalysisConfig,
    InsightsConfig,
)
from analytics.errors import AnalysisError
from analytics.explanations import (
    anomaly_drivers,
    percentile_within,
    tier_drivers,
    tier_drivers_json,
)
from analytics.json_text import scalar_json
from analytics.predictor import (
    PROBABILITY_COLUMNS,
    PredictorOutcome,
    predict_next_tier,
    predictor_features,
    skipped,
    train_predictor,
)
from analytics.scorecard_models import ScorecardAnomalies, ScorecardTiers, scorecard_keys
from analytics.scorecards import (
    FLAG_KPI_IMPUTED,
    KpiInputsLike,
    Scorecards,
    kpi_breakdown,
    kpi_breakdown_json,
    resolve_scorecards,
    score_scorecards,
    value_column,
    window_values,
)
from analytics.scoring import (
    FLAG_HOURS_IMPUTED,
    FLAG_NO_TASKS,
)
from analytics.tiers import with_no_tier_flag
from analytics.trends import department_trends, score_change, trend_flags

WINDOW_FEATURE_COLUMNS = (
    "employee_id",
    "window",
    "department",
    "team",
    "job_title",
    "tenure_years",
    "engagement",
    "satisfaction",
    "skill_match",
    "total_tasks",
    "completed_tasks",
    "hours_logged",
)
SCORE_OUTPUT_COLUMNS = (
    "employee_id",
    "department",
    "team",
    "job_title",
    "score",
    "completion_rate",
    "task_efficiency",
    "throughput",
    "avg_task_hours",
    "completed_tasks",
    "total_tasks",
    "relative_task_hours",
    "relative_throughput",
    "tier",
    "is_anomaly",
    "anomaly_score",
    "predicted_tier",
    "p_high",
    "p_medium",
    "p_low",
    "flags",
    "percentile_department",
    "percentile_job_title",
    "score_w1",
    "score_w2",
    "tier_w1",
    "tier_w2",
    "score_change",
    "trend",
    "tier_drivers",
    "anomaly_drivers",
    "scorecard",
    "kpis",
)
SCORE_QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)


@dataclass
class AnalysisResult:
    """scores: one row per current employee; metrics: JSON-ready; models: fitted estimators;
    department_trends: one row per (department, window) (see analytics.trends)."""

    scores: pd.DataFrame
    metrics: dict[str, Any]
    models: dict[str, Any] = field(default_factory=dict)
    department_trends: pd.DataFrame = field(default_factory=pd.DataFrame)
    # What scored whom: the default scorecard and the custom ones by job title.
    scorecards: Scorecards | None = None


def analyze(
    window_features: pd.DataFrame,
    config: AnalysisConfig = DEFAULT_CONFIG,
    insights: InsightsConfig = DEFAULT_INSIGHTS,
    kpis: KpiInputsLike | None = None,
    *,
    json_columns: bool = False,
) -> AnalysisResult:
    """Score window 0, name tiers, flag anomalies and predict each employee's next tier.

    `kpis` (`store.run_inputs.read_kpi_inputs`' frames, or analytics.scorecards.KpiFrames)
    brings KPI definitions, custom scorecards by job title and per-window KPI values; each
    person is scored by their scorecard (analytics.scorecards), tiered and anomaly-checked
    among the people sharing it (analytics.scorecard_models), and their custom KPI values
    are predictor features. Without it everybody is on the default scorecard, which is
    exactly the analysis without scorecards.

    `window_features` has one row per (employee_id, window); window 0 is the current
    window, 1 and 2 end one and two months earlier (other window numbers are ignored).
    The output does not depend on the input's row order (everything is sorted by
    employee_id first).

    Returns `scores` (one row per window-0 employee, columns SCORE_OUTPUT_COLUMNS, sorted
    by employee_id; prediction columns are None/NaN when the predictor was skipped),
    `metrics` (plain JSON values: employees_scored, rows_per_window, tier_counts,
    tier_mean_score, tier_centroids, anomaly_count, anomaly_ratio, score summary,
    flag_counts, predicted_tier_counts, predictor, score_scale, scorecards; tier_* and
    score_scale describe the default scorecard, `scorecards` every scorecard present),
    `models` (tier_model and anomaly_detector: analytics.scorecard_models, one model per
    scorecard; predictor, None when skipped) and `department_trends`.

    Explanations and trends in `scores`: percentile_department / percentile_job_title
    (0-100, share of the group at or below the employee); score_w1 / score_w2 (the
    employee's score in windows 1 and 2, each scored over its own population; NaN when
    absent) and tier_w1 / tier_w2 (this run's tier model applied to those windows; None
    when absent); score_change and trend (analytics.trends, `insights.trend_threshold`);
    tier_drivers (analytics.explanations.tier_drivers; None when the predictor was
    skipped) and anomaly_drivers (analytics.explanations.anomaly_drivers; None for
    non-anomalies).

    Raises AnalysisError for missing columns, duplicate (employee_id, window) rows,
    inconsistent task counts, or fewer than 3 employees in window 0. `scorecard` is the
    job title whose scorecard scored the row (None for the default) and `kpis` its KPIs
    with value, normalised value, weight and points (analytics.scorecards.kpi_breakdown).

    With `json_columns`, tier_drivers, anomaly_drivers and kpis are each row's JSON text
    (analytics.json_text; what the store keeps) instead of lists of dicts, which for a
    million people take gigabytes that the text does not.
    """
    scorecards = resolve_scorecards(kpis, config)
    windows = _split_windows(window_features)
    current = windows.get(0)
    if current is None or len(current) < config.n_clusters:
        n = 0 if current is None else len(current)
        raise AnalysisError(
            f"window 0 needs at least {config.n_clusters} employees to form tiers, got {n}"
        )

    # Earlier windows only feed the predictor, which does not need the per-row flag lists.
    by_window = {
        w: score_scorecards(frame, scorecards, window_values(kpis, w), config, with_flags=(w == 0))
        for w, frame in windows.items()
    }
    scored = {w: part.frame for w, part in by_window.items()}
    cur = scored[0]
    tier_model = ScorecardTiers(scorecards, config).fit(cur)
    tiers = tier_model.predict(cur)
    detector = ScorecardAnomalies(scorecards, config)
    is_anomaly, anomaly_score = detector.fit_detect(cur)

    kpi_columns = {k: value_column(k) for k in scorecards.custom_kpi_ids}
    outcome = _train_next_tier_predictor(scored, tiers, config, kpi_columns)
    if outcome.model is not None:
        current_features = predictor_features(cur, scored.get(1), kpi_columns)
        predictions = predict_next_tier(outcome.model, current_features)
        drivers = (tier_drivers_json if json_columns else tier_drivers)(
            outcome.model, current_features, predictions["predicted_tier"]
        )
    else:
        drivers = [None] * len(cur)
        predictions = pd.DataFrame(
            {"predicted_tier": pd.Series([None] * len(cur), dtype=object, index=cur.index)}
            | {col: np.full(len(cur), np.nan) for col in PROBABILITY_COLUMNS.values()},
            index=cur.index,
        )

    scores = cur.assign(
        tier=tiers,
        is_anomaly=is_anomaly,
        anomaly_score=anomaly_score,
        predicted_tier=predictions["predicted_tier"],
        p_high=predictions["p_high"],
        p_medium=predictions["p_medium"],
        p_low=predictions["p_low"],
        percentile_department=percentile_within(cur["score"], cur["department"]),
        percentile_job_title=percentile_within(cur["score"], cur["job_title"]),
        tier_drivers=drivers,
        anomaly_drivers=_anomaly_drivers(cur, is_anomaly, scorecards, config, json_columns),
        kpis=(kpi_breakdown_json if json_columns else kpi_breakdown)(
            cur, scorecards, by_window[0].scales
        ),
        flags=with_no_tier_flag(cur["flags"], tiers),
    )
    window_tiers = {0: tiers} | {w: tier_model.predict(scored[w]) for w in scored if w != 0}
    scores = _with_history(scores, scored, window_tiers, insights).loc[
        :, list(SCORE_OUTPUT_COLUMNS)
    ]

    metrics = _metrics(scores, tier_model, outcome, {w: len(f) for w, f in windows.items()})
    scales = by_window[0].scales
    # The default scorecard's scale: what the points of today's components are computed by.
    metrics["score_scale"] = (
        {"raw_min": scales[None][0], "raw_max": scales[None][1]} if None in scales else None
    )
    metrics["scorecards"] = _scorecard_metrics(scores, scorecards, scales, tier_model)
    models = {"tier_model": tier_model, "anomaly_detector": detector, "predictor": outcome.model}
    return AnalysisResult(
        scores=scores,
        metrics=metrics,
        models=models,
        department_trends=department_trends(scored, window_tiers),
        scorecards=scorecards,
    )


def _split_windows(window_features: pd.DataFrame) -> dict[int, pd.DataFrame]:
    """Validate the input and return windows 0-2, each sorted by employee_id, index 0..n-1."""
    missing = [c for c in WINDOW_FEATURE_COLUMNS if c not in window_features.columns]
    if missing:
        raise AnalysisError(f"window_features is missing column(s): {', '.join(missing)}")
    window = pd.to_numeric(window_features["window"], errors="coerce").to_numpy()
    windows: dict[int, pd.DataFrame] = {}
    for w in (0, 1, 2):
        part = window_features.loc[window == w, list(WINDOW_FEATURE_COLUMNS)]
        if part.empty:
            continue
        if part["employee_id"].isna().any():
            raise AnalysisError(f"window {w} has rows without employee_id")
        # numpy's variable-width strings sort in C (same order as Python's str comparison),
        # about 3x faster than sorting a million Python objects.
        ids = part["employee_id"].astype(str).to_numpy(dtype=object)
        ids = ids.astype(np.dtypes.StringDType())
        order = np.argsort(ids, kind="stable")
        ids = ids[order]
        if (ids[1:] == ids[:-1]).any():
            raise AnalysisError(f"window {w} has more than one row for some employee_id")
        part = part.iloc[order].reset_index(drop=True)
        part["employee_id"] = part["employee_id"].astype(str)
        windows[w] = part
    return windows


def _with_history(
    scores: pd.DataFrame,
    scored: dict[int, pd.DataFrame],
    window_tiers: dict[int, np.ndarray],
    insights: InsightsConfig,
) -> pd.DataFrame:
    """Add score_w1/w2, tier_w1/w2, score_change and trend for each window-0 employee."""
    history: dict[str, Any] = {}
    for w in (1, 2):
        score = np.full(len(scores), np.nan)
        tier = np.full(len(scores), None, dtype=object)
        if w in scored:
            where = pd.Index(scored[w]["employee_id"]).get_indexer(scores["employee_id"])
            found = where >= 0
            score[found] = scored[w]["score"].to_numpy(dtype=np.float64)[where[found]]
            tier[found] = window_tiers[w][where[found]]
        history[f"score_w{w}"] = score
        # object dtype keeps None for "absent" (a str column would turn it into NaN).
        history[f"tier_w{w}"] = pd.Series(tier, index=scores.index, dtype=object)
    change = score_change(scores["score"], history["score_w1"], history["score_w2"])
    trend = trend_flags(change, insights.trend_threshold)
    return scores.assign(
        **history, score_change=change, trend=pd.Series(trend, index=scores.index, dtype=object)
    )


def _anomaly_drivers(
    scored: pd.DataFrame,
    is_anomaly: np.ndarray,
    scorecards: Scorecards,
    config: AnalysisConfig,
    as_json: bool = False,
) -> list[list[dict[str, Any]] | str | None]:
    """Anomaly drivers among the people sharing each scorecard, on its tier features (a
    custom scorecard's are its normalised KPIs, reported by kpi_id); each as JSON text
    with `as_json` (anomalies are few: their dicts are encoded one by one)."""
    keys = scorecard_keys(scored)
    out: list[list[dict[str, Any]] | str | None] = [None] * len(scored)
    for key in dict.fromkeys(keys.tolist()):
        rows = np.flatnonzero(pd.isna(keys) if key is None else keys == key)
        card = scorecards.get(key)
        names = None if key is None else card.kpi_ids
        part = anomaly_drivers(
            scored.iloc[rows], is_anomaly[rows], config.peer_group, card.tier_features, names
        )
        for row, drivers in zip(rows.tolist(), part, strict=True):
            out[row] = scalar_json(drivers) if as_json and drivers is not None else drivers
    return out


def _scorecard_metrics(
    scores: pd.DataFrame,
    scorecards: Scorecards,
    scales: dict[str | None, tuple[float, float]],
    tier_model: ScorecardTiers,
) -> list[dict[str, Any]]:
    """Per scorecard present: its KPIs, how many it scored, its raw range and tiers."""
    keys = scorecard_keys(scores)
    summary = tier_model.summary()
    out = []
    for key, (raw_min, raw_max) in scales.items():
        card = scorecards.get(key)
        tiers = summary.get(key, {"tier_mean_score": {}, "tier_centroids": {}})
        employees = int((pd.isna(keys) if key is None else keys == key).sum())
        out.append(
            card.describe()
            | {"employees": employees, "raw_min": raw_min, "raw_max": raw_max}
            | tiers
        )
    return out


def _train_next_tier_predictor(
    scored: dict[int, pd.DataFrame],
    tiers: np.ndarray,
    config: AnalysisConfig,
    kpi_columns: dict[str, str],
) -> PredictorOutcome:
    """Window-1 features -> the same employee's window-0 tier."""
    previous = scored.get(1)
    if previous is None:
        return skipped("the input has no window 1, so there is no history to learn from")
    where = pd.Index(scored[0]["employee_id"]).get_indexer(previous["employee_id"])
    # Employees present in window 1 but gone from window 0 have no label.
    known = where >= 0
    features = predictor_features(previous, scored.get(2), kpi_columns)
    if not known.all():
        features = features.loc[known]
    return train_predictor(features, tiers[where[known]], config)


def _metrics(
    scores: pd.DataFrame,
    tier_model: ScorecardTiers,
    outcome: PredictorOutcome,
    rows_per_window: dict[int, int],
) -> dict[str, Any]:
    n = len(scores)
    score = scores["score"].to_numpy(dtype=np.float64)
    tier_counts = scores["tier"].value_counts()
    anomaly_count = int(scores["is_anomaly"].sum())
    flag_counts = scores["flags"].explode().value_counts()
    kpi_flags = sorted(f for f in flag_counts.index if str(f).startswith(f"{FLAG_KPI_IMPUTED}:"))
    default_tiers = tier_model.summary().get(None, {"tier_mean_score": {}, "tier_centroids": {}})
    summary = {"mean": float(score.mean()), "std": float(score.std())}
    summary["min"] = float(score.min())
    for q, value in zip(SCORE_QUANTILES, np.quantile(score, SCORE_QUANTILES), strict=True):
        summary[f"p{round(q * 100)}"] = float(value)
    summary["max"] = float(score.max())
    predicted_counts = (
        {name: int((scores["predicted_tier"] == name).sum()) for name in TIER_NAMES}
        if outcome.model is not None
        else {}
    )
    return {
        "employees_scored": n,
        "rows_per_window": {str(w): int(c) for w, c in sorted(rows_per_window.items())},
        "tier_counts": {name: int(tier_counts.get(name, 0)) for name in TIER_NAMES},
        # The default scorecard's tiers; each scorecard's are in metrics["scorecards"].
        **default_tiers,
        "anomaly_count": anomaly_count,
        "anomaly_ratio": anomaly_count / n,
        "score": summary,
        "flag_counts": {
            flag: int(flag_counts.get(flag, 0))
            for flag in (FLAG_NO_TASKS, FLAG_HOURS_IMPUTED, *kpi_flags)
        },
        "predicted_tier_counts": predicted_counts,
        "predictor": outcome.summary(),
    }
