"""Tier naming (analytics.tiers) and anomaly detection (analytics.anomalies)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.ensemble import IsolationForest
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info

from analytics import anomalies
from analytics.anomalies import AnomalyDetector
from analytics.config import AnalysisConfig
from analytics.scoring import score_window
from analytics.tiers import TIER_FEATURES, TierModel, tier_feature_matrix

# (completion_rate, hours per task, completed_tasks) of three clearly separated groups.
GROUPS = {"Low": (0.3, 8.0, 6), "Medium": (0.6, 5.0, 15), "High": (0.95, 2.0, 30)}


def grouped_population(per_group: int = 30, seed: int = 0) -> pd.DataFrame:
    """A scored window with three groups; `expected` holds each row's true tier."""
    rng = np.random.default_rng(seed)
    parts = []
    for name, (completion, hours, completed) in GROUPS.items():
        done = completed + rng.integers(-1, 2, per_group)
        total = np.round(done / completion).astype(int)
        parts.append(
            pd.DataFrame(
                {
                    "total_tasks": total,
                    "completed_tasks": done,
                    "hours_logged": total * hours * rng.uniform(0.95, 1.05, per_group),
                    "expected": name,
                }
            )
        )
    frame = pd.concat(parts, ignore_index=True)
    frame.insert(0, "employee_id", [f"E{i:03d}" for i in range(len(frame))])
    return score_window(frame)


def test_tier_names_follow_mean_score_not_cluster_index():
    frame = grouped_population()
    high_cluster_index = set()
    for seed in range(10):
        model = TierModel(random_state=seed).fit(frame, frame["score"])
        assert (model.predict(frame) == frame["expected"].to_numpy()).all(), seed
        high_cluster_index.add(int(model.predict_clusters(frame[frame.expected == "High"])[0]))
        means = model.mean_score_
        assert means["High"] > means["Medium"] > means["Low"]
    # The best group landed on different KMeans indices, yet was always named High.
    assert len(high_cluster_index) > 1


def test_tier_names_come_from_the_scores_given():
    frame = grouped_population()
    inverted = TierModel().fit(frame, -frame["score"]).predict(frame)
    expected = frame["expected"].map({"High": "Low", "Medium": "Medium", "Low": "High"})
    assert (inverted == expected.to_numpy()).all()


def test_centroids_are_in_feature_units_and_keyed_by_tier():
    frame = grouped_population()
    centroids = TierModel().fit(frame, frame["score"]).centroids()
    assert list(centroids) == ["High", "Medium", "Low"]
    high = centroids["High"]
    # One peer group: the medians are the Medium group's, 5.0 hours per task and ~15 tasks.
    assert high["completion_rate"] == pytest.approx(0.95, abs=0.05)
    assert high["relative_task_hours"] == pytest.approx(2.0 / 5.0, abs=0.05)
    assert high["relative_throughput"] == pytest.approx(30 / 15, abs=0.15)
    assert centroids["Low"]["relative_task_hours"] == pytest.approx(8.0 / 5.0, abs=0.1)


def test_tier_model_fitted_on_a_sample_still_assigns_everybody():
    frame = grouped_population(per_group=200)
    model = TierModel(max_fit_samples=60).fit(frame, frame["score"])
    assert (model.predict(frame) == frame["expected"].to_numpy()).all()


def test_tier_model_needs_at_least_three_rows():
    frame = grouped_population().head(2)
    with pytest.raises(ValueError, match="at least 3"):
        TierModel().fit(frame, frame["score"])


def test_anomaly_detector_flags_a_planted_outlier():
    rng = np.random.default_rng(1)
    n = 300
    total = rng.integers(25, 35, n).astype(float)
    normal = pd.DataFrame(
        {
            "completion_rate": rng.uniform(0.6, 0.9, n),
            "relative_task_hours": rng.uniform(0.75, 1.25, n),
            "relative_throughput": total * 0.75 / 22.5,
        }
    )
    # Ten times the typical hours per task and ten times the typical output.
    outlier = pd.DataFrame(
        {"completion_rate": [1.0], "relative_task_hours": [10.0], "relative_throughput": [10.0]}
    )
    frame = pd.concat([normal, outlier], ignore_index=True)

    is_anomaly, score = AnomalyDetector().fit(frame).detect(frame)
    assert is_anomaly.dtype == bool
    assert is_anomaly[-1]
    assert score.argmax() == len(frame) - 1
    assert 0.03 <= is_anomaly.mean() <= 0.07  # contamination=0.05


def test_anomaly_detector_is_deterministic():
    frame = grouped_population()
    first = AnomalyDetector().fit(frame).detect(frame)
    second = AnomalyDetector().fit(frame).detect(frame)
    assert (first[0] == second[0]).all()
    assert np.array_equal(first[1], second[1])


def test_a_few_extreme_people_do_not_get_a_tier_of_their_own():
    frame = grouped_population(per_group=100)  # two extremes in 302 are under the 1% tail
    extreme = frame.head(2).assign(
        employee_id=["X1", "X2"], relative_task_hours=40.0, relative_throughput=50.0
    )
    population = pd.concat([frame, extreme], ignore_index=True)
    model = TierModel().fit(population, population["score"])
    # The three real groups keep their tiers; without clipping, the two extreme rows take a
    # cluster and two real groups are merged.
    assert (model.predict(frame) == frame["expected"].to_numpy()).all()
    unclipped = TierModel(clip_quantiles=None).fit(population, population["score"])
    assert not (unclipped.predict(frame) == frame["expected"].to_numpy()).all()


def test_a_population_without_spread_is_given_no_tier():
    frame = grouped_population()
    constant = frame.assign(
        **{column: frame[column].iloc[0] for column in ("completion_rate", "relative_task_hours")},
        relative_throughput=1.0,
    )
    model = TierModel().fit(constant, constant["score"])
    assert model.predict(constant).tolist() == [None] * len(constant)


def test_equal_scores_name_no_tier_even_when_the_features_vary():
    frame = grouped_population()
    model = TierModel().fit(frame, np.zeros(len(frame)))
    assert set(model.predict(frame).tolist()) == {None}


def test_a_lone_record_among_empty_windows_names_nobody_high():
    # One person with tasks, everybody else with none: clipping the extremes leaves one
    # cluster, which naming by mean score alone would call High for all.
    n = 200
    frame = pd.DataFrame(
        {
            "employee_id": [f"E{i:03d}" for i in range(n)],
            "total_tasks": [10] + [0] * (n - 1),
            "completed_tasks": [9] + [0] * (n - 1),
            "hours_logged": [40.0] + [0.0] * (n - 1),
        }
    )
    scored = score_window(frame)
    tiers = TierModel().fit(scored, scored["score"]).predict(scored)
    assert "High" not in set(tiers.tolist())
    assert set(tiers.tolist()) == {None}


def test_with_spread_every_higher_tier_scores_above_every_lower_tier_on_average():
    frame = grouped_population(seed=4)
    model = TierModel().fit(frame, frame["score"])
    tiers = pd.Series(model.predict(frame))
    means = frame["score"].groupby(tiers.to_numpy()).mean()
    assert means["High"] > means["Medium"] > means["Low"]
    assert frame["score"][tiers.eq("Low").to_numpy()].max() < frame["score"].max()


@pytest.mark.parametrize("max_fit_samples", [200_000, 150])
def test_fit_detect_scores_as_fit_then_detect_and_flags_the_contamination_share(max_fit_samples):
    """fit_detect scores each row once; it must answer exactly what fit(X).detect(X) does,
    also when the forest is fitted on a sample, with the threshold IsolationForest's own
    contamination would set."""
    frame = grouped_population()
    flagged, score = AnomalyDetector(max_fit_samples=max_fit_samples).fit_detect(frame)
    fitted = AnomalyDetector(max_fit_samples=max_fit_samples).fit(frame)
    expected_flags, expected_score = fitted.detect(frame)
    assert np.array_equal(flagged, expected_flags)
    assert np.array_equal(score, expected_score)

    forest = IsolationForest(contamination=0.05, random_state=42).fit(
        StandardScaler().fit_transform(tier_feature_matrix(frame, TIER_FEATURES))
    )
    if max_fit_samples >= len(frame):
        assert fitted.threshold_ == -forest.offset_


def _openmp_threads() -> list[int]:
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "openmp"]


def test_kmeans_fits_and_predicts_on_the_configured_openmp_threads(monkeypatch):
    seen: list[list[int]] = []
    fit, predict = KMeans.fit, KMeans.predict

    def recording_fit(self, *args, **kwargs):
        seen.append(_openmp_threads())
        return fit(self, *args, **kwargs)

    def recording_predict(self, *args, **kwargs):
        seen.append(_openmp_threads())
        return predict(self, *args, **kwargs)

    monkeypatch.setattr(KMeans, "fit", recording_fit)
    monkeypatch.setattr(KMeans, "predict", recording_predict)
    frame = grouped_population()
    TierModel(n_threads=1).fit(frame, frame["score"]).predict(frame)
    assert len(seen) == 2 and all(threads and set(threads) == {1} for threads in seen)


def test_the_openmp_thread_cap_leaves_the_tiers_unchanged():
    frame = grouped_population(per_group=200)
    capped = TierModel(n_threads=1).fit(frame, frame["score"])
    free = TierModel(n_threads=None).fit(frame, frame["score"])
    assert (capped.predict(frame) == free.predict(frame)).all()
    for tier, centre in capped.centroids().items():
        assert centre == pytest.approx(free.centroids()[tier])


def test_kmeans_threads_below_one_are_rejected():
    with pytest.raises(ValueError, match="kmeans_threads"):
        AnalysisConfig(kmeans_threads=0)


def test_anomaly_scores_split_among_threads_equal_one_threads_to_the_last_bit(monkeypatch):
    """Rows are scored in chunks on n_jobs threads; each row's sum over the trees keeps its
    order, so the scores cannot depend on the number of threads."""
    frame = grouped_population(per_group=200)
    monkeypatch.setattr(anomalies, "MIN_ROWS_PER_THREAD", 50)
    threaded = AnomalyDetector(n_jobs=4).fit_detect(frame)
    one = AnomalyDetector(n_jobs=1).fit_detect(frame)
    forest = AnomalyDetector(n_jobs=4).fit(frame).pipeline_
    assert np.array_equal(threaded[1], one[1])
    assert np.array_equal(threaded[0], one[0])
    assert np.array_equal(threaded[1], -forest.score_samples(tier_feature_matrix(frame)))
