"""Performance tiers: KMeans on scaled, peer-relative task features, clusters named by
their mean score. A population without spread gets no tiers at all (None, flag `no_tier`):
naming the one cluster such a population forms "High" would call everybody best."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from analytics.config import TIER_NAMES

# Hours per task and completed tasks as multiples of the peer-group median (see
# analytics.scoring): raw counts would make the kind of work, not performance, decide.
TIER_FEATURES = ("completion_rate", "relative_task_hours", "relative_throughput")
FLAG_NO_TIER = "no_tier"


def tier_feature_matrix(
    X: pd.DataFrame | np.ndarray, features: tuple[str, ...] = TIER_FEATURES
) -> np.ndarray:
    """The matrix of `features` (default: completion_rate, relative_task_hours,
    relative_throughput) as float64.

    Shared by the tier model and the anomaly detector so both see the same features; a
    custom scorecard passes its normalised KPI columns (analytics.scorecards).
    """
    if isinstance(X, pd.DataFrame):
        X = X.loc[:, list(features)].to_numpy(dtype=np.float64, na_value=np.nan)
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != len(features):
        raise ValueError(f"expected {len(features)} columns {features}, got {X.shape}")
    if np.isnan(X).any():
        raise ValueError("tier features must not contain NaN (score the window first)")
    return X


def seeded_sample(n_rows: int, max_rows: int, random_state: int) -> np.ndarray:
    """Sorted indices of at most `max_rows` rows, the same for the same (n, max, seed)."""
    if n_rows <= max_rows:
        return np.arange(n_rows)
    rng = np.random.default_rng(random_state)
    return np.sort(rng.choice(n_rows, size=max_rows, replace=False))


class QuantileClipper(TransformerMixin, BaseEstimator):
    """Clips each column to quantiles learned at fit time.

    Tiers describe the bulk of the population; a handful of extreme people (the anomaly
    detector's business) would otherwise pull a KMeans centre of their own."""

    def __init__(self, quantiles: tuple[float, float] | None = (0.01, 0.99)) -> None:
        self.quantiles = quantiles

    def fit(self, X: np.ndarray, y: None = None) -> QuantileClipper:
        X = np.asarray(X, dtype=np.float64)
        if self.quantiles is None:
            self.lower_, self.upper_ = X.min(axis=0), X.max(axis=0)
        else:
            self.lower_, self.upper_ = np.quantile(X, self.quantiles, axis=0)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "lower_")
        if self.quantiles is None:
            return np.asarray(X, dtype=np.float64)
        return np.clip(np.asarray(X, dtype=np.float64), self.lower_, self.upper_)


class TierModel(BaseEstimator):
    """StandardScaler + KMeans whose clusters are named High/Medium/Low.

    Names come from the mean score of each cluster's members, never from the cluster
    index: KMeans numbers clusters arbitrarily (it depends on the initialisation), so
    "cluster 0" means nothing across runs. On populations larger than `max_fit_samples`
    KMeans is fitted on a seeded sample and then assigns everybody.

    `n_threads` caps KMeans' OpenMP threads (fit and predict; None = OpenMP's default). On a
    few tier features each Lloyd iteration is a few milliseconds of arithmetic, so extra
    threads mostly wait at barriers, and on a busy machine their spinning makes the fit an
    order of magnitude slower. The clusters do not depend on it.
    """

    def __init__(
        self,
        n_clusters: int = 3,
        random_state: int = 42,
        n_init: int = 4,
        max_fit_samples: int = 200_000,
        clip_quantiles: tuple[float, float] | None = (0.01, 0.99),
        features: tuple[str, ...] = TIER_FEATURES,
        n_threads: int | None = 1,
    ) -> None:
        self.n_clusters = n_clusters
        self.random_state = random_state
        self.n_init = n_init
        self.max_fit_samples = max_fit_samples
        self.clip_quantiles = clip_quantiles
        self.features = features
        self.n_threads = n_threads

    def _threads(self) -> threadpool_limits:
        # Artifacts from before the parameter existed ran with OpenMP's default.
        return threadpool_limits(getattr(self, "n_threads", None), user_api="openmp")

    def fit(self, X: pd.DataFrame | np.ndarray, y: np.ndarray | pd.Series) -> TierModel:
        """Fit on tier features `X`; `y` is each row's score, used only to name clusters."""
        if self.n_clusters != len(TIER_NAMES):
            raise ValueError(f"n_clusters must be {len(TIER_NAMES)} ({', '.join(TIER_NAMES)})")
        features = tier_feature_matrix(X, self.features)
        scores = np.asarray(y, dtype=np.float64)
        if len(scores) != len(features):
            raise ValueError("X and y have different lengths")
        if len(features) < self.n_clusters:
            raise ValueError(f"need at least {self.n_clusters} rows, got {len(features)}")

        idx = seeded_sample(len(features), self.max_fit_samples, self.random_state)
        with warnings.catch_warnings(), self._threads():
            # Fewer distinct rows than clusters (tiny or identical inputs) is legitimate
            # here: the surplus tiers simply stay empty and are named last.
            warnings.filterwarnings("ignore", "Number of distinct clusters", ConvergenceWarning)
            self.pipeline_ = Pipeline(
                [
                    ("clip", QuantileClipper(self.clip_quantiles)),
                    ("scale", StandardScaler()),
                    (
                        "kmeans",
                        KMeans(
                            n_clusters=self.n_clusters,
                            random_state=self.random_state,
                            n_init=self.n_init,
                        ),
                    ),
                ]
            ).fit(features[idx])
        self._name_clusters(scores[idx])
        self.has_spread_ = _has_spread(
            self.pipeline_.named_steps["clip"].transform(features[idx]), scores[idx]
        )
        return self

    def _name_clusters(self, scores: np.ndarray) -> None:
        labels = self.pipeline_.named_steps["kmeans"].labels_
        counts = np.bincount(labels, minlength=self.n_clusters)
        sums = np.bincount(labels, weights=scores, minlength=self.n_clusters)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = sums / counts
        # Highest mean first; an empty cluster ranks last; equal means fall back to the
        # index only to stay deterministic.
        order = sorted(
            range(self.n_clusters),
            key=lambda c: (-means[c] if counts[c] else math.inf, c),
        )
        self.cluster_names_ = np.empty(self.n_clusters, dtype=object)
        for rank, cluster in enumerate(order):
            self.cluster_names_[cluster] = TIER_NAMES[rank]
        self.mean_score_ = {
            str(self.cluster_names_[c]): (float(means[c]) if counts[c] else None) for c in order
        }

    def predict_clusters(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """Raw KMeans cluster indices (for inspection; use `predict` for tier names)."""
        check_is_fitted(self, "pipeline_")
        features = tier_feature_matrix(X, self.features)
        with self._threads():
            return self.pipeline_.predict(features)

    def predict(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """Tier name (High/Medium/Low) of each row, as an object array; None for every row
        when the population the model was fitted on had no spread."""
        names = self.cluster_names_[self.predict_clusters(X)]
        if not getattr(self, "has_spread_", True):  # artifacts from before it existed
            return np.full(len(names), None, dtype=object)
        return names

    def centroids(self) -> dict[str, dict[str, float]]:
        """Each tier's cluster centre in original units, keyed High, Medium, Low."""
        check_is_fitted(self, "pipeline_")
        centres = self.pipeline_.named_steps["scale"].inverse_transform(
            self.pipeline_.named_steps["kmeans"].cluster_centers_
        )
        by_name = {
            str(self.cluster_names_[c]): dict(
                zip(self.features, (float(v) for v in centres[c]), strict=True)
            )
            for c in range(self.n_clusters)
        }
        return {name: by_name[name] for name in TIER_NAMES}


def _has_spread(clipped: np.ndarray, scores: np.ndarray) -> bool:
    """Whether tiers can mean anything: some tier feature varies once the extremes are
    clipped, and so does the score. Otherwise every person sits in one cluster, which would
    be named High whatever the scores were (one record in a window of empty ones does this:
    its owner is clipped back to the others)."""
    return bool(np.ptp(clipped, axis=0).max(initial=0.0) > 0 and np.ptp(scores) > 0)


def with_no_tier_flag(flags: pd.Series, tiers: np.ndarray) -> pd.Series:
    """`flags` (a list per row) with FLAG_NO_TIER added where the tier is None."""
    unnamed = pd.isna(pd.Series(tiers, index=flags.index, dtype=object))
    if not unnamed.any():
        return flags
    return flags.where(~unnamed, flags[unnamed].map(lambda f: [*f, FLAG_NO_TIER]))
