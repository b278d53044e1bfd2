"""Explanations: score points, percentiles, per-person tier drivers and anomaly drivers."""

import numpy as np
import pandas as pd
import pytest

from analytics import AnalysisConfig, analyze
from analytics.explanations import (
    PREDICTOR_FEATURES,
    anomaly_drivers,
    column_owners,
    percentile_within,
    score_points,
    score_weights,
    tier_contributions,
    tier_drivers,
)
from analytics.predictor import build_predictor
from tests.analytics.test_trends import tiny_windows

FAST = AnalysisConfig(n_jobs=1)
WEIGHTS = {"completion": 0.4, "efficiency": 0.3, "throughput": 0.3}


def test_score_weights_name_the_configured_weights():
    config = AnalysisConfig(completion_weight=0.5, efficiency_weight=0.2, throughput_weight=0.3)
    assert score_weights(config) == {"completion": 0.5, "efficiency": 0.2, "throughput": 0.3}


def test_score_points_split_a_hand_worked_score():
    # raw = 0.4 * 1 + 0.3 * 0.5 + 0.3 * 0 = 0.55; score = 100 * (0.55 - 0.2) / 0.5 = 70.
    out = score_points(1.0, 0.5, 0.0, WEIGHTS, raw_min=0.2, raw_max=0.7)
    assert [c["component"] for c in out["components"]] == ["completion", "efficiency", "throughput"]
    assert [c["weight"] for c in out["components"]] == [0.4, 0.3, 0.3]
    assert [c["value"] for c in out["components"]] == [1.0, 0.5, 0.0]
    points = [c["points"] for c in out["components"]]
    assert points == pytest.approx([80.0, 30.0, 0.0])
    assert out["baseline"] == pytest.approx(-40.0)
    assert out["baseline"] + sum(points) == pytest.approx(70.0)


def test_score_points_when_everybody_scored_the_same_sum_to_zero():
    out = score_points(0.5, 0.5, 0.5, WEIGHTS, raw_min=0.5, raw_max=0.5)
    assert out["baseline"] == 0.0
    assert [c["points"] for c in out["components"]] == [0.0, 0.0, 0.0]


def test_score_points_sum_to_the_score_of_every_employee():
    result = analyze(tiny_windows(), FAST)
    scale = result.metrics["score_scale"]
    assert set(scale) == {"raw_min", "raw_max"}
    # The tiny organisation's best and worst raw scores: 0.4 * 0.95 + 0.3 + 0.3 and 0.4 * 0.25.
    assert (scale["raw_min"], scale["raw_max"]) == pytest.approx((0.1, 0.98))
    for row in result.scores.itertuples():
        out = score_points(
            row.completion_rate, row.task_efficiency, row.throughput, WEIGHTS, **scale
        )
        total = out["baseline"] + sum(c["points"] for c in out["components"])
        assert total == pytest.approx(row.score, abs=1e-9)


def test_percentile_is_the_share_of_the_group_at_or_below():
    score = np.array([10.0, 20.0, 20.0, 30.0, 50.0, 40.0])
    groups = np.array(["A", "A", "A", "A", "B", "B"])
    assert percentile_within(score, groups).tolist() == [25.0, 75.0, 75.0, 100.0, 100.0, 50.0]


def test_percentiles_in_the_scores_use_department_and_job_title():
    scores = analyze(tiny_windows(), FAST).scores.set_index("employee_id")
    # One department of 9: three low (0), three medium, three high (100) scores.
    assert scores["percentile_department"].round(6).to_dict() == {
        **dict.fromkeys(["A1", "A2", "A3"], 100.0),
        **dict.fromkeys(["B1", "B2", "B3"], round(600 / 9, 6)),
        **dict.fromkeys(["C1", "C2", "C3"], round(300 / 9, 6)),
    }
    # Analysts are A1, B1 and C1: one of each.
    analysts = scores.loc[["A1", "B1", "C1"], "percentile_job_title"]
    assert analysts.tolist() == pytest.approx([100.0, 200 / 3, 100 / 3])


def predictor_training_data(n: int = 90, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """The department decides the tier (engagement above 4.5 lifts anyone to High);
    skill_match is the same for everybody, so no tree can split on it."""
    rng = np.random.default_rng(seed)
    department = np.repeat(["Engineering", "Sales", "Support"], n // 3)
    tier = pd.Series(department).map({"Engineering": "Medium", "Sales": "High", "Support": "Low"})
    engagement = rng.uniform(1, 5, n)
    tier = np.where(engagement > 4.5, "High", tier).astype(object)
    features = pd.DataFrame(
        {
            "tenure_years": rng.uniform(0, 10, n),
            "engagement": engagement,
            "satisfaction": np.where(rng.random(n) < 0.3, np.nan, rng.uniform(1, 5, n)),
            "skill_match": np.full(n, 0.5),
            "completion_rate": rng.random(n),
            "avg_task_hours": rng.uniform(1, 8, n),
            "completed_tasks": rng.integers(0, 40, n).astype(float),
            "score": rng.uniform(0, 100, n),
            "trend": np.where(rng.random(n) < 0.2, np.nan, rng.normal(0, 10, n)),
            "department": department,
            "job_title": rng.choice(["Analyst", "Engineer"], n),
        }
    )
    return features, tier


@pytest.fixture(scope="module")
def fitted():
    features, tier = predictor_training_data()
    model = build_predictor(FAST).set_params(forest__n_estimators=10, forest__max_depth=4)
    return model.fit(features, tier), features


def test_saabas_bias_plus_contributions_equal_the_predicted_probability(fitted):
    model, features = fitted
    proba = model.predict_proba(features)
    for k, tier in enumerate(model.classes_):
        # A chunk size that does not divide the rows exercises the chunk boundaries.
        bias, contrib = tier_contributions(model, features, [tier] * len(features), chunk_rows=7)
        assert contrib.shape == (len(features), len(PREDICTOR_FEATURES))
        np.testing.assert_allclose(bias + contrib.sum(axis=1), proba[:, k], rtol=0, atol=1e-9)


def test_a_feature_no_tree_splits_on_contributes_nothing(fitted):
    model, features = fitted
    predicted = model.predict(features)
    _, contrib = tier_contributions(model, features, predicted)
    assert (contrib[:, PREDICTOR_FEATURES.index("skill_match")] == 0.0).all()


def test_one_hot_and_missing_indicator_columns_fold_into_their_input_feature(fitted):
    model, features = fitted
    preprocess = model.named_steps["features"]
    names = list(preprocess.get_feature_names_out())
    owners = column_owners(preprocess, PREDICTOR_FEATURES)
    owner_of = {name: PREDICTOR_FEATURES[i] for name, i in zip(names, owners, strict=True)}
    assert owner_of["department_Sales"] == "department"
    assert owner_of["job_title_Analyst"] == "job_title"
    assert owner_of["missingindicator_satisfaction"] == "satisfaction"
    assert owner_of["engagement"] == "engagement"
    # The department decides most tiers, so its (folded) one-hot splits carry weight.
    _, contrib = tier_contributions(model, features, model.predict(features))
    department = np.abs(contrib[:, PREDICTOR_FEATURES.index("department")])
    assert department.mean() > 0.1


def test_tier_drivers_list_the_largest_contributions_with_the_persons_values(fitted):
    model, features = fitted
    predicted = model.predict(features)
    _, contrib = tier_contributions(model, features, predicted)
    drivers = tier_drivers(model, features, predicted)
    assert len(drivers) == len(features)
    for i, entries in enumerate(drivers):
        assert 1 <= len(entries) <= 3
        sizes = [abs(e["contribution"]) for e in entries]
        assert sizes == sorted(sizes, reverse=True)
        # Nothing left out is larger than what was kept.
        assert np.sort(np.abs(contrib[i]))[-len(entries)] == pytest.approx(sizes[-1], abs=1e-4)
        for e in entries:
            j = PREDICTOR_FEATURES.index(e["feature"])
            assert e["contribution"] == round(contrib[i, j], 4)
            raw = features.iloc[i][e["feature"]]
            if isinstance(raw, str):
                assert e["value"] == raw
            elif np.isnan(raw):
                assert e["value"] is None
            else:
                assert type(e["value"]) is float and e["value"] == round(raw, 4)
    assert any(e["feature"] == "department" and e["value"] == "Sales" for e in drivers[30])
    # A missing satisfaction / trend shows as None, not NaN.
    assert any(e["value"] is None for entries in drivers for e in entries)


def test_tier_drivers_are_none_without_a_predictor():
    result = analyze(tiny_windows(), FAST)  # 9 employees: too few to train
    assert result.models["predictor"] is None
    assert result.scores["tier_drivers"].isna().all()
    assert tier_drivers(None, pd.DataFrame({"x": [1, 2]}), ["High", "Low"]) == [None, None]


def anomaly_frame() -> pd.DataFrame:
    """Ops: O5 completes ten times the median volume. Sales: everybody does ten times
    as much, so the same relative volume would be typical there."""
    return pd.DataFrame(
        {
            "department": ["Ops"] * 5 + ["Sales"] * 5,
            "completion_rate": [0.80, 0.82, 0.79, 0.81, 0.80, 0.5, 0.6, 0.7, 0.6, 0.6],
            "relative_task_hours": [1.0, 1.1, 0.9, 1.0, 1.05, 1.0, 1.0, 1.0, 1.0, 5.0],
            "relative_throughput": [1.0, 0.9, 1.1, 1.0, 10.0, 10.0, 9.0, 11.0, 10.0, 10.0],
        }
    )


def test_anomaly_drivers_pick_the_feature_far_from_the_peers():
    frame = anomaly_frame()
    flagged = np.zeros(len(frame), dtype=bool)
    flagged[[4, 9]] = True
    drivers = anomaly_drivers(frame, flagged, "department")
    assert [d is None for d in drivers] == [not f for f in flagged]
    # O5: median 1.0, MAD = median(0, .1, .1, 0, 9) = 0.1 -> z = 9 / 0.14826 = 60.70. Hours
    # (z = 0.05 / (1.4826 * 0.05) = 0.67) and completion (z = 0) stay below 2: left out.
    assert drivers[4] == [
        {
            "feature": "relative_throughput",
            "value": 10.0,
            "peer_median": 1.0,
            "robust_z": round(9 / (1.4826 * 0.1), 4),
        }
    ]
    # S5: hours 5 among four 1.0s, MAD 0 -> standard deviation sqrt(3.2) = 1.78885:
    # z = 4 / 1.78885 = 2.2361. Its throughput (10) is its own department's median.
    assert drivers[9][0]["feature"] == "relative_task_hours"
    assert drivers[9][0]["robust_z"] == pytest.approx(4 / np.sqrt(3.2), abs=1e-4)
    assert drivers[9][0]["peer_median"] == 1.0
    assert [d["feature"] for d in drivers[9]] == ["relative_task_hours"]


def test_anomaly_drivers_keep_at_least_the_top_feature_and_sort_by_distance():
    frame = anomaly_frame()
    flagged = np.zeros(len(frame), dtype=bool)
    flagged[1] = True  # O2: nothing reaches |z| >= 2
    (entry,) = anomaly_drivers(frame, flagged, "department")[1]
    # Hours: 1.1 vs median 1.0, MAD median(0, .1, .1, 0, .05) = 0.05 -> z = 1.349; the
    # largest of its three |z|.
    assert entry["feature"] == "relative_task_hours"
    assert entry["robust_z"] == pytest.approx(0.1 / (1.4826 * 0.05), abs=1e-4)


def test_anomaly_drivers_compare_with_everybody_without_a_peer_group():
    frame = anomaly_frame()
    flagged = np.zeros(len(frame), dtype=bool)
    flagged[4] = True
    # Over all ten rows O5's volume (10) is the median, so it no longer stands out.
    (top, *_) = anomaly_drivers(frame, flagged, None)[4]
    assert top["feature"] != "relative_throughput"
