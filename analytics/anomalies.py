"""Anomalies: IsolationForest on the same scaled features as the tiers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
from joblib import effective_n_jobs
from sklearn.base import BaseEstimator
from sklearn.ensemble import IsolationForest
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from analytics.tiers import TIER_FEATURES, seeded_sample, tier_feature_matrix

# Below this many rows per thread, starting threads costs more than they save.
MIN_ROWS_PER_THREAD = 20_000


class AnomalyDetector(BaseEstimator):
    """StandardScaler + IsolationForest returning a flag and a score per row.

    `anomaly_score` is the negated IsolationForest `score_samples`: higher means more
    anomalous. A row is an anomaly when its score exceeds `threshold_`, which the forest
    sets so that `contamination` of the fitting rows are anomalies. On large populations
    the forest is fitted on a seeded sample (each tree only looks at 256 rows anyway, and
    fitting on everybody would score the whole population twice).
    """

    def __init__(
        self,
        contamination: float = 0.05,
        random_state: int = 42,
        n_estimators: int = 100,
        max_fit_samples: int = 200_000,
        n_jobs: int | None = None,
        features: tuple[str, ...] = TIER_FEATURES,
    ) -> None:
        self.contamination = contamination
        self.random_state = random_state
        self.n_estimators = n_estimators
        self.max_fit_samples = max_fit_samples
        self.n_jobs = n_jobs
        self.features = features

    def fit(self, X: pd.DataFrame | np.ndarray, y: None = None) -> AnomalyDetector:
        features = tier_feature_matrix(X, self.features)
        idx = self._fit_forest(features)
        self.threshold_ = self._threshold(self.anomaly_score(features[idx]))
        return self

    def fit_detect(self, X: pd.DataFrame | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """`fit(X).detect(X)` with each row scored once: the threshold comes from the
        fitting rows' scores among everyone's, instead of the forest scoring them again."""
        features = tier_feature_matrix(X, self.features)
        idx = self._fit_forest(features)
        score = self._score(features)
        self.threshold_ = self._threshold(score[idx])
        return score > self.threshold_, score

    def _fit_forest(self, features: np.ndarray) -> np.ndarray:
        """Fit the scaler and forest on a seeded sample; returns the sample's rows. The
        forest's own threshold ("auto") is not used: it would score the sample once more."""
        idx = seeded_sample(len(features), self.max_fit_samples, self.random_state)
        self.pipeline_ = Pipeline(
            [
                ("scale", StandardScaler()),
                (
                    "forest",
                    IsolationForest(
                        n_estimators=self.n_estimators,
                        contamination="auto",
                        random_state=self.random_state,
                        n_jobs=self.n_jobs,
                    ),
                ),
            ]
        ).fit(features[idx])
        return idx

    def _threshold(self, fitting_scores: np.ndarray) -> float:
        # What IsolationForest(contamination=c) sets as -offset_: `contamination` of the
        # fitting rows score above it. Computed as the forest does, on the negated scores,
        # so the threshold is the same to the last bit.
        return float(-np.percentile(-fitting_scores, 100.0 * self.contamination))

    def anomaly_score(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """Higher = more anomalous."""
        check_is_fitted(self, "pipeline_")
        return self._score(tier_feature_matrix(X, self.features))

    def _score(self, features: np.ndarray) -> np.ndarray:
        """The negated `score_samples` of every row, the rows split among `n_jobs` threads.
        Each row still sums its depths over the trees in the same order, so the scores are
        those of one thread to the last bit (the forest's own n_jobs splits the trees
        instead, and the order of those sums would vary); the trees release the GIL."""
        chunks = np.array_split(
            features,
            max(1, min(effective_n_jobs(self.n_jobs), len(features) // MIN_ROWS_PER_THREAD)),
        )
        if len(chunks) == 1:
            return -self.pipeline_.score_samples(features)
        with ThreadPoolExecutor(len(chunks)) as pool:
            return -np.concatenate(list(pool.map(self.pipeline_.score_samples, chunks)))

    def detect(self, X: pd.DataFrame | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(is_anomaly as bool, anomaly_score) computed in one pass over the forest."""
        score = self.anomaly_score(X)
        return score > self.threshold_, score

    def predict(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """True for anomalies."""
        return self.detect(X)[0]
