"""Next-window tier prediction (analytics.predictor)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier

from analytics import AnalysisConfig
from analytics.predictor import (
    predict_next_tier,
    predictor_features,
    stratified_sample,
    train_predictor,
)

# Small grid and forest: the tests check behaviour, not tuning.


def planted(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Features where only engagement decides the next tier; everything else is noise."""
    rng = np.random.default_rng(seed)
    engagement = rng.uniform(1.0, 5.0, n)
    features = pd.DataFrame(
        {
            "tenure_years": rng.uniform(0, 10, n),
            "engagement": engagement,
            "satisfaction": np.where(rng.random(n) < 0.2, np.nan, rng.uniform(1, 5, n)),
            "skill_match": rng.random(n),
            "completion_rate": rng.random(n),
            "avg_task_hours": rng.uniform(1, 8, n),
            "completed_tasks": rng.integers(0, 40, n),
            "score": rng.uniform(0, 100, n),
            "trend": rng.normal(0, 10, n),
            "department": rng.choice(["Sales", "Support", "Engineering"], n),
            "job_title": rng.choice(["Analyst", "Engineer", "Manager", "Clerk"], n),
        }
    )
    labels = np.select([engagement > 11 / 3, engagement > 7 / 3], ["High", "Medium"], "Low")
    return features, labels.astype(object)


def test_predictor_learns_a_planted_rule_well_above_chance(fast_config):
    features, labels = planted(600)
    outcome = train_predictor(features, labels, fast_config)

    assert outcome.status == "trained" and outcome.reason is None
    # Chance level for three balanced classes is a macro F1 of about 0.33.
    assert outcome.metrics["cv_f1_macro"] > 0.85
    assert outcome.metrics["holdout_f1_macro"] > 0.85
    importances = outcome.metrics["feature_importances"]
    assert next(iter(importances)) == "engagement"
    assert list(importances.values()) == sorted(importances.values(), reverse=True)
    assert outcome.metrics["n_train"] + outcome.metrics["n_holdout"] == 600
    assert set(outcome.metrics["best_params"]) == {"max_depth", "min_samples_leaf", "n_estimators"}


def test_training_sample_and_holdout_are_bounded_by_predictor_sample_size():
    features, labels = planted(600)
    config = AnalysisConfig(
        predictor_sample_size=100,
        param_grid={"max_depth": (4,), "min_samples_leaf": (1,), "n_estimators": (10,)},
    )
    outcome = train_predictor(features, labels, config)
    assert outcome.metrics["n_train"] == 100
    assert outcome.metrics["n_holdout"] == 100


def test_predictor_is_skipped_with_a_reason_when_there_are_too_few_rows(fast_config):
    features, labels = planted(20)
    outcome = train_predictor(features, labels, fast_config)
    assert outcome.status == "skipped"
    assert outcome.model is None
    assert "20" in outcome.reason and "at least 60" in outcome.reason
    assert outcome.summary()["cv_f1_macro"] is None


def test_predictor_is_skipped_when_a_tier_has_fewer_members_than_cv_folds(fast_config):
    features, labels = planted(300)
    labels = np.where(labels == "Low", "Medium", labels).astype(object)
    labels[:2] = "Low"
    outcome = train_predictor(features, labels, fast_config)
    assert outcome.status == "skipped"
    assert "Low (2)" in outcome.reason and "cv_folds=3" in outcome.reason


def test_predictions_have_a_tier_and_probabilities_that_sum_to_one(fast_config):
    features, labels = planted(400)
    model = train_predictor(features, labels, fast_config).model
    new, _ = planted(50, seed=9)
    new.loc[0, "job_title"] = "Astronaut"  # unseen category must not fail
    new.loc[1, "engagement"] = np.nan  # missing survey answer must not fail
    out = predict_next_tier(model, new.set_index(new.index + 1000))

    assert list(out.columns) == ["predicted_tier", "p_high", "p_medium", "p_low"]
    assert list(out.index) == list(new.index + 1000)
    assert np.allclose(out[["p_high", "p_medium", "p_low"]].sum(axis=1), 1.0)
    best = out[["p_high", "p_medium", "p_low"]].to_numpy().argmax(axis=1)
    assert (out["predicted_tier"].to_numpy() == np.array(["High", "Medium", "Low"])[best]).all()
    assert set(out["predicted_tier"]) <= {"High", "Medium", "Low"}


def test_trend_is_the_score_change_since_the_previous_window_and_nan_for_new_hires():
    def scored(ids, scores):
        n = len(ids)
        return pd.DataFrame(
            {
                "employee_id": ids,
                "tenure_years": [1.0] * n,
                "engagement": [3.0] * n,
                "satisfaction": [3.0] * n,
                "skill_match": [0.5] * n,
                "completion_rate": [0.5] * n,
                "avg_task_hours": [2.0] * n,
                "completed_tasks": [5] * n,
                "score": scores,
                "department": ["Sales"] * n,
                "job_title": ["Clerk"] * n,
            }
        )

    current = scored(["A", "B", "C"], [80.0, 40.0, 10.0])
    previous = scored(["B", "A"], [50.0, 60.0])
    features = predictor_features(current, previous)
    assert features["trend"].iloc[:2].tolist() == [20.0, -10.0]
    assert np.isnan(features["trend"].iloc[2])
    assert predictor_features(current, None)["trend"].isna().all()


def test_stratified_sample_keeps_class_shares_and_is_reproducible():
    labels = np.array(["High"] * 500 + ["Medium"] * 300 + ["Low"] * 200, dtype=object)
    idx = stratified_sample(labels, 100, random_state=42)
    assert len(idx) == 100 and len(set(idx)) == 100
    values, counts = np.unique(labels[idx], return_counts=True)
    assert dict(zip(values, counts, strict=True)) == {"High": 50, "Medium": 30, "Low": 20}
    assert np.array_equal(idx, stratified_sample(labels, 100, random_state=42))
    assert not np.array_equal(idx, stratified_sample(labels, 100, random_state=7))


@pytest.mark.parametrize("size", [1000, 5000])
def test_stratified_sample_of_everything_returns_all_rows(size):
    labels = np.array(["High", "Low"] * 500, dtype=object)
    assert np.array_equal(stratified_sample(labels, size, random_state=0), np.arange(1000))


def test_the_default_search_cross_validates_one_deep_unregularised_forest(monkeypatch):
    fits: list[int] = []
    fit = RandomForestClassifier.fit

    def counting_fit(self, X, *args, **kwargs):
        fits.append(len(X))
        return fit(self, X, *args, **kwargs)

    monkeypatch.setattr(RandomForestClassifier, "fit", counting_fit)
    features, labels = planted(300)
    config = AnalysisConfig()
    outcome = train_predictor(features, labels, config)

    assert outcome.metrics["best_params"] == {
        "max_depth": 12,
        "min_samples_leaf": 1,
        "n_estimators": 100,
    }
    assert outcome.metrics["cv_f1_macro"] is not None
    # cv_folds fits of the one candidate and the refit on the whole training sample.
    assert len(fits) == config.cv_folds + 1 and fits[-1] == outcome.metrics["n_train"]
