"""Tunable parameters of one analysis run, stored with the run so it can be reproduced."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

TIER_NAMES: tuple[str, str, str] = ("High", "Medium", "Low")


def _default_param_grid() -> dict[str, tuple[Any, ...]]:
    # One candidate: on the demo organisation the deepest, least regularised forest won the
    # former grid (max_depth 8/12 x min_samples_leaf 1/5) on every CV fold, as it did across
    # depths 6-16 with 50 or 100 trees, while the grid was two thirds of the run's model
    # fitting. The search still cross-validates it (cv_f1_macro); a wider grid can be
    # configured. Capping max_depth keeps predicting a million rows cheap.
    return {"max_depth": (12,), "min_samples_leaf": (1,), "n_estimators": (100,)}


@dataclass(frozen=True)
class AnalysisConfig:
    """Parameters of `analyze`.

    Score weights must sum to 1 so the raw score stays in [0, 1] before rescaling.

    `peer_group` names the column whose groups efficiency and throughput are normalised
    within (default: department), and against whose medians tiers and anomalies measure
    hours per task and completed tasks.

    `clip_quantiles` applies only to the min-max normalisation of the score components
    (avg_task_hours and completed_tasks): values are clipped to these population quantiles
    before scaling, so a single employee logging 10,000 tasks does not squash everybody else
    into the bottom 1% of the throughput range. The raw values themselves, the clustering,
    the anomaly detector and the predictor all see unclipped data (the anomaly detector
    needs the extremes). `None` disables clipping (plain min-max).
    """

    completion_weight: float = 0.4
    efficiency_weight: float = 0.3
    throughput_weight: float = 0.3
    clip_quantiles: tuple[float, float] | None = (0.01, 0.99)
    # Task volumes and hours per task depend on the kind of work (a support ticket is not
    # an engineering task), so efficiency and throughput are measured against the
    # employee's peers in this column; None compares everybody with everybody, as the
    # original brief did. Frames without the column are one peer group.
    peer_group: str | None = "department"

    n_clusters: int = 3
    random_state: int = 42
    kmeans_n_init: int = 4
    # OpenMP threads of KMeans (analytics.tiers.TierModel); None = OpenMP's default.
    kmeans_threads: int | None = 1
    # KMeans and IsolationForest are fitted on a seeded sample of at most this many rows and
    # then applied to everybody: centroids and isolation trees are stable well before 200k.
    max_fit_samples: int = 200_000
    contamination: float = 0.05

    predictor_sample_size: int = 20_000
    holdout_fraction: float = 0.2
    cv_folds: int = 3
    param_grid: dict[str, tuple[Any, ...]] = field(default_factory=_default_param_grid, hash=False)
    # Each tree grows on a bootstrap of this fraction of the training sample: about half the
    # fit time of full-size bootstraps for the same macro F1 (measured on synthetic data).
    forest_max_samples: float | None = 0.5
    min_training_rows: int = 60
    # Rare departments / job titles are pooled into one "infrequent" column so the
    # feature matrix (and the forest) stays narrow whatever the organisation looks like.
    max_categories: int = 30
    # Threads for the forest (fit and predict); -1 = all cores joblib can see.
    n_jobs: int | None = -1

    def __post_init__(self) -> None:
        weights = (self.completion_weight, self.efficiency_weight, self.throughput_weight)
        if any(w < 0 for w in weights):
            raise ValueError(f"score weights must be non-negative, got {weights}")
        if not math.isclose(sum(weights), 1.0, abs_tol=1e-9):
            raise ValueError(f"score weights must sum to 1, got {weights} (sum {sum(weights)})")
        if self.clip_quantiles is not None:
            lo, hi = self.clip_quantiles
            if not 0.0 <= lo < hi <= 1.0:
                raise ValueError(f"clip_quantiles must satisfy 0 <= lo < hi <= 1, got {lo, hi}")
        if self.n_clusters != len(TIER_NAMES):
            raise ValueError(
                f"n_clusters must be {len(TIER_NAMES)}: tiers are named {', '.join(TIER_NAMES)}"
            )
        if not 0.0 < self.contamination <= 0.5:
            raise ValueError(f"contamination must be in (0, 0.5], got {self.contamination}")
        if self.cv_folds < 2:
            raise ValueError(f"cv_folds must be at least 2, got {self.cv_folds}")
        if not 0.0 < self.holdout_fraction < 1.0:
            raise ValueError(f"holdout_fraction must be in (0, 1), got {self.holdout_fraction}")
        if self.predictor_sample_size < self.cv_folds * self.n_clusters:
            raise ValueError("predictor_sample_size is too small for cv_folds x n_clusters")
        if self.forest_max_samples is not None and not 0.0 < self.forest_max_samples <= 1.0:
            raise ValueError(f"forest_max_samples must be in (0, 1], got {self.forest_max_samples}")
        if self.kmeans_threads is not None and self.kmeans_threads < 1:
            raise ValueError(f"kmeans_threads must be None or >= 1, got {self.kmeans_threads}")
        if self.max_fit_samples < self.n_clusters:
            raise ValueError("max_fit_samples must be at least n_clusters")
        if not self.param_grid or any(len(v) == 0 for v in self.param_grid.values()):
            raise ValueError("param_grid needs at least one value per parameter")

    @property
    def weights(self) -> tuple[float, float, float]:
        """(completion, efficiency, throughput) weights."""
        return (self.completion_weight, self.efficiency_weight, self.throughput_weight)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable copy (tuples become lists) for storing as run parameters."""
        out = asdict(self)
        out["clip_quantiles"] = None if self.clip_quantiles is None else list(self.clip_quantiles)
        out["param_grid"] = {k: list(v) for k, v in self.param_grid.items()}
        return out


@dataclass(frozen=True)
class InsightsConfig:
    """Parameters of the HR insights a run derives from its scores (stored with the run).

    Trend rule: an employee's (or team's) score change is the window-0 score minus the
    score of the earliest window they have (window 2, else window 1); `improving` when it
    is at least `trend_threshold` points, `declining` when at most -`trend_threshold`,
    `stable` otherwise, and no trend without an earlier window.
    """

    trend_threshold: float = 5.0
    # Training recommendations kept per employee, best first.
    recommendations_per_employee: int = 3
    # A program of this many hours counts half as much as a very short one (length discount).
    length_scale_hours: float = 40.0
    # Months before and after a completion compared by training effectiveness.
    effect_months: int = 3
    # Team suggestions: sizes a move may not cross, and how many per department.
    min_team_size: int = 3
    max_team_size: int = 12
    suggestions_per_department: int = 5

    def __post_init__(self) -> None:
        if self.trend_threshold <= 0:
            raise ValueError(f"trend_threshold must be positive, got {self.trend_threshold}")
        if self.recommendations_per_employee < 1:
            raise ValueError("recommendations_per_employee must be at least 1")
        if self.length_scale_hours <= 0:
            raise ValueError("length_scale_hours must be positive")
        if not 1 <= self.effect_months <= 12:
            raise ValueError(f"effect_months must be 1-12, got {self.effect_months}")
        if not 1 <= self.min_team_size <= self.max_team_size:
            raise ValueError(
                f"team sizes must satisfy 1 <= min <= max, got "
                f"{self.min_team_size}, {self.max_team_size}"
            )
        if self.suggestions_per_department < 0:
            raise ValueError("suggestions_per_department must not be negative")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# Module-level default so signatures can say `config: AnalysisConfig = DEFAULT_CONFIG`
# (safe: the dataclass is frozen).
DEFAULT_CONFIG = AnalysisConfig()
DEFAULT_INSIGHTS = InsightsConfig()
