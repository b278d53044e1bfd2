"""Tiers and anomalies fitted per scorecard: people are only compared with the people their
own KPIs measure. The default scorecard's models see today's tier features, so an
organisation without custom scorecards gets exactly today's tiers and anomalies."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analytics.anomalies import AnomalyDetector
from analytics.config import AnalysisConfig
from analytics.scorecards import Scorecards
from analytics.tiers import TierModel

# Fewer people than tiers cannot be clustered; they are all Medium (no peers to rank by).
SMALL_SCORECARD_TIER = "Medium"


def scorecard_keys(frame: pd.DataFrame) -> np.ndarray:
    """Each row's scorecard (None = default); everybody on the default without the column."""
    if "scorecard" not in frame.columns:
        return np.full(len(frame), None, dtype=object)
    return frame["scorecard"].to_numpy(dtype=object)


def _groups(keys: np.ndarray) -> dict[str | None, np.ndarray]:
    missing = pd.isna(keys)
    out: dict[str | None, np.ndarray] = {}
    if missing.any():
        out[None] = np.flatnonzero(missing)
    for key in sorted({k for k in keys[~missing].tolist()}):
        out[key] = np.flatnonzero(keys == key)
    return out


class ScorecardTiers:
    """One TierModel per scorecard with enough people; `predict` dispatches on the row's
    scorecard (a scorecard without a model, or unseen at fit time, gives Medium)."""

    def __init__(self, scorecards: Scorecards, config: AnalysisConfig) -> None:
        self.scorecards = scorecards
        self.config = config
        self.models: dict[str | None, TierModel] = {}

    def fit(self, scored: pd.DataFrame) -> ScorecardTiers:
        for key, rows in _groups(scorecard_keys(scored)).items():
            if len(rows) < self.config.n_clusters:
                continue
            part = scored.iloc[rows]
            self.models[key] = TierModel(
                n_clusters=self.config.n_clusters,
                random_state=self.config.random_state,
                n_init=self.config.kmeans_n_init,
                max_fit_samples=self.config.max_fit_samples,
                clip_quantiles=self.config.clip_quantiles,
                n_threads=self.config.kmeans_threads,
                features=self.scorecards.get(key).tier_features,
            ).fit(part, part["score"])
        return self

    def predict(self, scored: pd.DataFrame) -> np.ndarray:
        tiers = np.full(len(scored), SMALL_SCORECARD_TIER, dtype=object)
        for key, rows in _groups(scorecard_keys(scored)).items():
            model = self.models.get(key)
            if model is not None:
                tiers[rows] = model.predict(scored.iloc[rows])
        return tiers

    @property
    def default(self) -> TierModel | None:
        return self.models.get(None)

    def summary(self) -> dict[str | None, dict[str, Any]]:
        """Per fitted scorecard: the mean score and the centroid of each tier."""
        return {
            key: {"tier_mean_score": model.mean_score_, "tier_centroids": model.centroids()}
            for key, model in self.models.items()
        }


class ScorecardAnomalies:
    """One AnomalyDetector per scorecard, on the same features as its tiers."""

    def __init__(self, scorecards: Scorecards, config: AnalysisConfig) -> None:
        self.scorecards = scorecards
        self.config = config
        self.models: dict[str | None, AnomalyDetector] = {}

    def fit(self, scored: pd.DataFrame) -> ScorecardAnomalies:
        for key, rows in _groups(scorecard_keys(scored)).items():
            self.models[key] = self._detector(key).fit(scored.iloc[rows])
        return self

    def fit_detect(self, scored: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """`fit(scored).detect(scored)`, each row scored once (AnomalyDetector.fit_detect)."""
        flagged = np.zeros(len(scored), dtype=bool)
        score = np.zeros(len(scored), dtype=np.float64)
        for key, rows in _groups(scorecard_keys(scored)).items():
            self.models[key] = self._detector(key)
            flagged[rows], score[rows] = self.models[key].fit_detect(scored.iloc[rows])
        return flagged, score

    def _detector(self, key: str | None) -> AnomalyDetector:
        return AnomalyDetector(
            contamination=self.config.contamination,
            random_state=self.config.random_state,
            max_fit_samples=self.config.max_fit_samples,
            n_jobs=self.config.n_jobs,
            features=self.scorecards.get(key).tier_features,
        )

    def detect(self, scored: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(is_anomaly, anomaly_score); a scorecard unseen at fit time is not anomalous."""
        flagged = np.zeros(len(scored), dtype=bool)
        score = np.zeros(len(scored), dtype=np.float64)
        for key, rows in _groups(scorecard_keys(scored)).items():
            model = self.models.get(key)
            if model is not None:
                flagged[rows], score[rows] = model.detect(scored.iloc[rows])
        return flagged, score

    def predict(self, scored: pd.DataFrame) -> np.ndarray:
        return self.detect(scored)[0]
