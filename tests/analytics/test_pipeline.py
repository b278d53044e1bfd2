"""End to end: analyze() on window features and analyze_records() on posted records."""

import io
import json

import joblib
import numpy as np
import pandas as pd
import pytest

from analytics import AnalysisError, AnalysisResult, analyze, analyze_records
from analytics.pipeline import SCORE_OUTPUT_COLUMNS
from analytics.posted import RECORD_OUTPUT_COLUMNS


def window_features(n: int = 300, new_hires: int = 10, seed: int = 0) -> pd.DataFrame:
    """Three windows where engagement decides how well an employee does in the next one.

    Windows 1 and 2 have the same noisy task numbers for everybody; in window 0 the
    employee's group (set by engagement) decides completion, hours and volume. The last
    `new_hires` employees only exist in window 0, and E0000 logged no tasks at all.
    """
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, n)  # 0 = will be Low, 1 = Medium, 2 = High
    engagement = 1.5 + 1.5 * group + rng.uniform(-0.4, 0.4, n)
    base = {
        "employee_id": [f"E{i:04d}" for i in range(n)],
        "department": rng.choice(["Sales", "Support", "Engineering"], n),
        "team": rng.choice(["T1", "T2", "T3", "T4"], n),
        "job_title": rng.choice(["Analyst", "Engineer", "Manager"], n),
        "engagement": engagement,
        "satisfaction": np.where(rng.random(n) < 0.2, np.nan, rng.uniform(1, 5, n)),
        "skill_match": rng.random(n),
    }
    frames = []
    for w in (0, 1, 2):
        if w == 0:
            completed = np.array([10, 25, 38])[group] + rng.integers(-2, 3, n)
            total = np.full(n, 40)
            hours = total * np.array([6.0, 4.0, 2.0])[group] * rng.uniform(0.9, 1.1, n)
        else:
            total = rng.integers(20, 40, n)
            completed = rng.binomial(total, 0.6)
            hours = total * rng.uniform(2.0, 6.0, n)
        frame = pd.DataFrame(base).assign(
            window=w,
            tenure_years=np.linspace(0.5, 8, n) - w / 12,
            total_tasks=total,
            completed_tasks=completed,
            hours_logged=hours,
        )
        if w == 0:
            frame.loc[0, ["total_tasks", "completed_tasks", "hours_logged"]] = [0, 0, 0.0]
        else:
            frame = frame.iloc[: n - new_hires]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def features() -> pd.DataFrame:
    return window_features()


@pytest.fixture(scope="module")
def result(fast_config, features) -> AnalysisResult:
    return analyze(features, fast_config)


def test_scores_have_one_row_per_current_employee_with_the_contract_columns(result):
    scores = result.scores
    assert list(scores.columns) == list(SCORE_OUTPUT_COLUMNS)
    assert len(scores) == 300
    assert scores["employee_id"].is_unique
    assert scores["employee_id"].is_monotonic_increasing
    assert scores["score"].between(0, 100).all()
    assert set(scores["tier"]) == {"High", "Medium", "Low"}
    assert scores["is_anomaly"].dtype == bool
    assert all(isinstance(f, list) for f in scores["flags"])
    assert scores.loc[scores.employee_id == "E0000", "flags"].item() == [
        "no_tasks",
        "hours_imputed",
    ]


def test_same_input_in_any_row_order_gives_identical_output(fast_config, features, result):
    shuffled = features.sample(frac=1.0, random_state=3).reset_index(drop=True)
    again = analyze(shuffled, fast_config)
    pd.testing.assert_frame_equal(again.scores, result.scores)
    assert again.metrics == result.metrics


def test_metrics_are_plain_json_serialisable_values(result):
    def plain(value) -> bool:
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return value is None or type(value) in (str, int, float, bool)

    metrics = result.metrics
    assert plain(metrics)
    assert json.loads(json.dumps(metrics)) == metrics
    assert metrics["employees_scored"] == 300
    assert sum(metrics["tier_counts"].values()) == 300
    assert metrics["anomaly_count"] == int(result.scores["is_anomaly"].sum())
    assert metrics["anomaly_ratio"] == pytest.approx(metrics["anomaly_count"] / 300)
    assert set(metrics["tier_centroids"]) == {"High", "Medium", "Low"}
    assert metrics["score"]["min"] == 0.0 and metrics["score"]["max"] == 100.0
    assert metrics["flag_counts"] == {"no_tasks": 1, "hours_imputed": 1}


def test_predictor_learns_that_engagement_decides_the_next_tier(result):
    predictor = result.metrics["predictor"]
    assert predictor["status"] == "trained"
    assert predictor["holdout_f1_macro"] > 0.85
    assert predictor["n_train"] + predictor["n_holdout"] == 290  # employees in window 1
    assert next(iter(predictor["feature_importances"])) == "engagement"
    scores = result.scores
    assert scores[["p_high", "p_medium", "p_low"]].sum(axis=1).to_numpy() == pytest.approx(1.0)
    # New hires have no window 1 (trend is NaN) but are still predicted.
    assert scores["predicted_tier"].tail(10).isin(["High", "Medium", "Low"]).all()


def test_explanations_are_json_ready_and_present_where_they_apply(result):
    scores = result.scores
    anomalies = scores["is_anomaly"]
    assert anomalies.any()
    assert (scores["anomaly_drivers"].notna() == anomalies).all()
    assert all(isinstance(d, list) and d for d in scores["tier_drivers"])
    drivers = scores[["tier_drivers", "anomaly_drivers"]].to_numpy().tolist()
    assert json.loads(json.dumps(drivers)) == drivers
    assert scores[["percentile_department", "percentile_job_title"]].gt(0).all().all()
    assert scores[["percentile_department", "percentile_job_title"]].le(100).all().all()
    # Engagement decides the next tier, so it is what drives most predictions.
    top = pd.Series([d[0]["feature"] for d in scores["tier_drivers"]]).value_counts()
    assert top.index[0] == "engagement"


def test_new_hires_have_no_history_and_everybody_else_a_trend(result):
    scores = result.scores
    new_hires, others = scores.tail(10), scores.head(290)
    assert new_hires[["score_w1", "score_w2", "score_change"]].isna().all().all()
    assert all(v is None for c in ("tier_w1", "tier_w2", "trend") for v in new_hires[c])
    assert others[["score_w1", "score_w2", "score_change"]].notna().all().all()
    assert others["tier_w1"].isin(["High", "Medium", "Low"]).all()
    assert others["trend"].isin(["improving", "stable", "declining"]).all()
    expected = others["score"] - others["score_w2"]
    assert others["score_change"].to_numpy() == pytest.approx(expected.to_numpy())


def test_department_trends_cover_every_department_and_window(result):
    trends = result.department_trends
    assert trends[["department", "window"]].values.tolist() == [
        [d, w] for d in ("Engineering", "Sales", "Support") for w in (0, 1, 2)
    ]
    assert trends.groupby("window")["employees"].sum().tolist() == [300, 290, 290]
    tiers = trends[["tier_high", "tier_medium", "tier_low"]].sum(axis=1)
    assert (tiers == trends["employees"]).all()
    current = trends[trends.window == 0].set_index("department")["average_score"]
    by_department = result.scores.groupby("department")["score"].mean()
    assert current.to_dict() == pytest.approx(by_department.to_dict())


def test_tiers_follow_the_planted_groups(features, result):
    current = features[features.window == 0].set_index("employee_id")
    tier = result.scores.set_index("employee_id")["tier"].drop("E0000")
    completed = current.loc[tier.index, "completed_tasks"]
    assert completed[tier == "High"].min() > completed[tier == "Medium"].max()
    assert completed[tier == "Medium"].min() > completed[tier == "Low"].max()


def test_fitted_models_survive_a_joblib_round_trip(features, result):
    buffer = io.BytesIO()
    joblib.dump(result.models, buffer)
    buffer.seek(0)
    models = joblib.load(buffer)
    assert set(models) == {"tier_model", "anomaly_detector", "predictor"}
    scores = result.scores
    assert (models["tier_model"].predict(scores) == scores["tier"].to_numpy()).all()
    assert (models["anomaly_detector"].predict(scores) == scores["is_anomaly"].to_numpy()).all()


def test_without_history_the_predictor_is_skipped_with_a_reason(fast_config, features):
    only_current = features[features.window == 0]
    result = analyze(only_current, fast_config)
    assert result.metrics["predictor"]["status"] == "skipped"
    assert "window 1" in result.metrics["predictor"]["reason"]
    assert result.models["predictor"] is None
    assert result.scores["predicted_tier"].isna().all()
    assert result.scores[["p_high", "p_medium", "p_low"]].isna().all().all()
    assert all(d is None for d in result.scores["tier_drivers"])
    assert len(result.scores) == 300


def test_missing_column_raises_analysis_error(fast_config, features):
    with pytest.raises(AnalysisError, match="engagement"):
        analyze(features.drop(columns="engagement"), fast_config)


def test_duplicate_employee_in_a_window_raises_analysis_error(fast_config, features):
    with pytest.raises(AnalysisError, match="more than one row"):
        analyze(pd.concat([features, features.head(1)]), fast_config)


def test_fewer_than_three_current_employees_raises_analysis_error(fast_config, features):
    with pytest.raises(AnalysisError, match="at least 3"):
        analyze(features[features.employee_id.isin(["E0001", "E0002"])], fast_config)


def records() -> list[dict]:
    fields = ("employee_id", "name", "tasks_total", "tasks_completed", "hours_logged")
    rows = [
        ("E3", "Cy", 10, 2, 50),
        ("E1", "Al", 10, 9, 10),
        ("E1", "Al", 10, 9, 10),
        ("E2", "Bo", 10, 5, 30),
        ("E4", "Di", 0, 0, 0),
    ]
    return [dict(zip(fields, row, strict=True)) for row in rows]


def test_analyze_records_sums_rows_per_employee_and_returns_the_response_shape():
    out = analyze_records(records())
    assert list(out.columns) == list(RECORD_OUTPUT_COLUMNS)
    assert out["employee_id"].tolist() == ["E1", "E2", "E3", "E4"]
    al = out.iloc[0]
    assert al["name"] == "Al"
    assert al["completed_tasks"] == 18  # two rows of 9
    assert al["completion_rate"] == pytest.approx(0.9)
    assert al["avg_task_hours"] == pytest.approx(1.0)  # 20 hours / 20 tasks
    assert al["performance_score"] == 100.0
    assert al["performance_cluster"] == "High"
    assert set(out["performance_cluster"]) <= {"High", "Medium", "Low"}
    assert out["is_anomaly"].dtype == bool
    # E4 logged nothing: completion 0 and the median of 1, 3 and 5 hours per task, not 0.
    assert out.iloc[3]["completion_rate"] == 0.0
    assert out.iloc[3]["avg_task_hours"] == pytest.approx(3.0)


def test_analyze_records_rounds_the_score_to_two_decimals():
    scores = analyze_records(records())["performance_score"]
    assert (scores == scores.round(2)).all()
    assert scores.between(0, 100).all()


def test_analyze_records_does_not_depend_on_record_order():
    forward = analyze_records(records())
    backward = analyze_records(list(reversed(records())))
    pd.testing.assert_frame_equal(forward, backward)


def test_analyze_records_with_fewer_than_three_employees_raises_a_clear_error():
    two_employees = [r for r in records() if r["employee_id"] in ("E1", "E2")]
    with pytest.raises(AnalysisError, match="at least 3 distinct employees") as info:
        analyze_records(two_employees)
    assert isinstance(info.value, ValueError)


def test_analyze_records_rejects_missing_fields():
    broken = [{k: v for k, v in r.items() if k != "tasks_total"} for r in records()]
    with pytest.raises(AnalysisError, match="tasks_total"):
        analyze_records(broken)


def test_a_window_without_spread_gets_no_tiers_and_every_row_the_no_tier_flag(fast_config):
    frames = window_features(n=60, new_hires=0)
    empty = frames.assign(total_tasks=0, completed_tasks=0, hours_logged=0.0)
    scores = analyze(empty, fast_config).scores
    assert scores["tier"].isna().all()
    assert scores["flags"].map(lambda flags: "no_tier" in flags).all()


JSON_COLUMNS = ("tier_drivers", "anomaly_drivers", "kpis")


def assert_json_columns_hold_the_same_values(objects: pd.DataFrame, text: pd.DataFrame) -> None:
    """`text` is `analyze(..., json_columns=True).scores`: its drivers and breakdowns are the
    JSON text of `objects`' lists, and every other column is the same."""
    for column in JSON_COLUMNS:
        texts = text[column].tolist()
        assert all(isinstance(t, str) or pd.isna(t) for t in texts), column
        parsed = [json.loads(t) if isinstance(t, str) else None for t in texts]
        assert parsed == objects[column].tolist(), column
    pd.testing.assert_frame_equal(
        text.drop(columns=list(JSON_COLUMNS)), objects.drop(columns=list(JSON_COLUMNS))
    )


def test_json_columns_are_the_json_text_of_the_same_drivers_and_breakdowns(
    fast_config, features, result
):
    as_text = analyze(features, fast_config, json_columns=True)
    assert result.scores["tier_drivers"].notna().all()
    assert result.scores["anomaly_drivers"].notna().any()
    assert_json_columns_hold_the_same_values(result.scores, as_text.scores)
    assert as_text.metrics == result.metrics
