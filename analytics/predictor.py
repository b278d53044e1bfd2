"""Next-window tier prediction: a RandomForest on current features, tuned by a bounded grid."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.metrics import f1_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from analytics.config import DEFAULT_CONFIG, TIER_NAMES, AnalysisConfig

NUMERIC_FEATURES = (
    "tenure_years",
    "engagement",
    "satisfaction",
    "skill_match",
    "completion_rate",
    "avg_task_hours",
    "completed_tasks",
    "score",
    "trend",
)
CATEGORICAL_FEATURES = ("department", "job_title")
# Custom KPI values are features named "kpi:<kpi_id>", NaN where the KPI is not on the
# person's scorecard: the forest handles NaN itself, so "not measured" is not a median.
KPI_FEATURE_PREFIX = "kpi:"
PROBABILITY_COLUMNS = {name: f"p_{name.lower()}" for name in TIER_NAMES}
# Rows per predict_proba call: bounds the dense feature matrix to a few tens of MiB.
PREDICT_CHUNK_ROWS = 100_000


def kpi_feature(kpi_id: str) -> str:
    return f"{KPI_FEATURE_PREFIX}{kpi_id}"


def predictor_features(
    scored: pd.DataFrame,
    previous: pd.DataFrame | None,
    kpi_columns: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Predictor inputs for each row of a scored window (same order and index).

    trend = this window's score minus the same employee's score in the window before,
    each scored over its own population; NaN when the employee has no earlier row.
    `kpi_columns` maps custom KPI ids to the scored column holding their values; each
    becomes the feature "kpi:<kpi_id>" after the others.
    """
    features = scored.loc[:, [*NUMERIC_FEATURES[:-1], *CATEGORICAL_FEATURES]].copy()
    for name in ("completion_rate", "avg_task_hours", "completed_tasks"):
        # KPI-only people have no task numbers (nullable columns): plain floats with NaN.
        features[name] = features[name].to_numpy(dtype=np.float64, na_value=np.nan)
    trend = np.full(len(scored), np.nan)
    if previous is not None and len(previous):
        where = pd.Index(previous["employee_id"]).get_indexer(scored["employee_id"])
        found = where >= 0
        prev_score = previous["score"].to_numpy(dtype=np.float64)
        trend[found] = scored["score"].to_numpy(dtype=np.float64)[found] - prev_score[where[found]]
    features["trend"] = trend
    kpis = {
        kpi_feature(k): scored[c].to_numpy(dtype=np.float64, na_value=np.nan)
        for k, c in (kpi_columns or {}).items()
    }
    return features.loc[:, [*NUMERIC_FEATURES, *CATEGORICAL_FEATURES]].assign(**kpis)


def kpi_features(features: pd.DataFrame) -> list[str]:
    """The KPI feature columns of a predictor input frame, in order."""
    return [str(c) for c in features.columns if str(c).startswith(KPI_FEATURE_PREFIX)]


def model_features(model: Pipeline) -> tuple[str, ...]:
    """The input features of a fitted predictor, in the order its columns are built."""
    preprocess: ColumnTransformer = model.named_steps["features"]
    return tuple(str(c) for _, _, columns in preprocess.transformers for c in columns)


def stratified_sample(labels: np.ndarray, size: int, random_state: int) -> np.ndarray:
    """Sorted indices of `size` rows with each label's share preserved (largest remainder).

    Vectorised: rows get a seeded random key, are ranked within their label, and the first
    `quota[label]` of each label are kept.
    """
    n = len(labels)
    if size >= n:
        return np.arange(n)
    codes, _ = pd.factorize(np.asarray(labels), sort=True)
    counts = np.bincount(codes)
    exact = counts * (size / n)
    quota = np.floor(exact).astype(np.int64)
    remainder_order = np.argsort(-(exact - quota), kind="stable")
    quota[remainder_order[: size - int(quota.sum())]] += 1

    keys = np.random.default_rng(random_state).random(n)
    order = np.lexsort((keys, codes))
    sorted_codes = codes[order]
    first_of_code = np.searchsorted(sorted_codes, np.arange(len(counts)))
    rank = np.arange(n) - first_of_code[sorted_codes]
    return np.sort(order[rank < quota[sorted_codes]])


def build_predictor(
    config: AnalysisConfig = DEFAULT_CONFIG, kpi_columns: list[str] | None = None
) -> Pipeline:
    """The untuned pipeline: imputation/one-hot encoding followed by the forest.

    `kpi_columns` (the "kpi:<id>" features) pass through unimputed."""
    kpis = [("kpis", "passthrough", list(kpi_columns))] if kpi_columns else []
    preprocess = ColumnTransformer(
        [
            (
                "numeric",
                # The missing-value indicators keep "no survey" / "new hire" distinguishable
                # from a median answer. A measure nobody has (task numbers in a KPI-only
                # organisation) stays, as a constant the forest never splits on.
                SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
                list(NUMERIC_FEATURES),
            ),
            (
                "categorical",
                OneHotEncoder(
                    handle_unknown="infrequent_if_exist",
                    max_categories=config.max_categories,
                    sparse_output=False,
                ),
                list(CATEGORICAL_FEATURES),
            ),
            *kpis,
        ],
        verbose_feature_names_out=False,
    )
    forest = RandomForestClassifier(
        random_state=config.random_state,
        class_weight="balanced",
        max_samples=config.forest_max_samples,
        n_jobs=config.n_jobs,
    )
    return Pipeline([("features", preprocess), ("forest", forest)])


@dataclass
class PredictorOutcome:
    """What training produced: a fitted model, or the reason there is none."""

    status: str  # "trained" or "skipped"
    reason: str | None = None
    model: Pipeline | None = None
    metrics: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """JSON-serialisable block for the run metrics."""
        return {
            "status": self.status,
            "reason": self.reason,
            "cv_f1_macro": self.metrics.get("cv_f1_macro"),
            "holdout_f1_macro": self.metrics.get("holdout_f1_macro"),
            "best_params": self.metrics.get("best_params", {}),
            "n_train": self.metrics.get("n_train", 0),
            "n_holdout": self.metrics.get("n_holdout", 0),
            "class_counts": self.metrics.get("class_counts", {}),
            "feature_importances": self.metrics.get("feature_importances", {}),
        }


def skipped(reason: str, **metrics: Any) -> PredictorOutcome:
    return PredictorOutcome(status="skipped", reason=reason, metrics=metrics)


def train_predictor(
    features: pd.DataFrame, labels: np.ndarray | pd.Series, config: AnalysisConfig = DEFAULT_CONFIG
) -> PredictorOutcome:
    """Tune and fit the forest on (features, next-window tier); never raises for small data.

    A stratified hold-out (`holdout_fraction`, at most `predictor_sample_size` rows) is set
    aside first; the grid search then runs on a stratified sample of at most
    `predictor_sample_size` of the remaining rows, so cost does not grow with the company.
    """
    y = np.asarray(labels, dtype=object)
    n = len(y)
    class_counts = {name: int((y == name).sum()) for name in TIER_NAMES}
    if n < config.min_training_rows:
        return skipped(
            f"only {n} employees have a previous window; "
            f"at least {config.min_training_rows} are needed to train the predictor",
            class_counts=class_counts,
        )
    rare = {name: c for name, c in class_counts.items() if c < config.cv_folds}
    if rare:
        return skipped(
            f"tier(s) {', '.join(f'{k} ({v})' for k, v in rare.items())} have fewer "
            f"members than cv_folds={config.cv_folds}",
            class_counts=class_counts,
        )

    n_holdout = min(max(round(n * config.holdout_fraction), 1), config.predictor_sample_size)
    holdout_idx = stratified_sample(y, n_holdout, config.random_state)
    rest = np.setdiff1d(np.arange(n), holdout_idx, assume_unique=True)
    train_idx = rest[stratified_sample(y[rest], config.predictor_sample_size, config.random_state)]
    train_counts = {name: int((y[train_idx] == name).sum()) for name in TIER_NAMES}
    if min(train_counts.values()) < config.cv_folds:
        return skipped(
            f"after setting aside the hold-out, a tier has fewer training rows than "
            f"cv_folds={config.cv_folds}: {train_counts}",
            class_counts=class_counts,
        )

    search = GridSearchCV(
        build_predictor(config, kpi_features(features)),
        param_grid={f"forest__{k}": list(v) for k, v in config.param_grid.items()},
        scoring="f1_macro",
        cv=StratifiedKFold(config.cv_folds, shuffle=True, random_state=config.random_state),
        # Parallelism lives in the forest (threads), not in extra processes per fold.
        n_jobs=1,
        refit=True,
        error_score="raise",
    )
    X_train = features.iloc[train_idx]
    search.fit(X_train, y[train_idx])
    model: Pipeline = search.best_estimator_
    predicted = model.predict(features.iloc[holdout_idx])
    holdout_f1 = f1_score(y[holdout_idx], predicted, average="macro", zero_division=0)
    names = model.named_steps["features"].get_feature_names_out()
    importances = model.named_steps["forest"].feature_importances_
    ranked = sorted(zip(names, importances, strict=True), key=lambda item: (-item[1], str(item[0])))
    return PredictorOutcome(
        status="trained",
        model=model,
        metrics={
            "cv_f1_macro": float(search.best_score_),
            "holdout_f1_macro": float(holdout_f1),
            "best_params": {
                k.removeprefix("forest__"): _plain(v) for k, v in search.best_params_.items()
            },
            "n_train": len(train_idx),
            "n_holdout": len(holdout_idx),
            "class_counts": class_counts,
            "feature_importances": {str(k): float(v) for k, v in ranked},
        },
    )


def predict_next_tier(model: Pipeline, features: pd.DataFrame) -> pd.DataFrame:
    """predicted_tier and p_high / p_medium / p_low for each row (same index as `features`).

    Predicts in chunks so the dense one-hot matrix never holds the whole population.
    """
    classes = [str(c) for c in model.classes_]
    proba = np.zeros((len(features), len(TIER_NAMES)), dtype=np.float64)
    columns = [classes.index(name) if name in classes else -1 for name in TIER_NAMES]
    for start in range(0, len(features), PREDICT_CHUNK_ROWS):
        chunk = model.predict_proba(features.iloc[start : start + PREDICT_CHUNK_ROWS])
        for out_col, in_col in enumerate(columns):
            if in_col >= 0:
                proba[start : start + len(chunk), out_col] = chunk[:, in_col]
    tier_names = np.array(TIER_NAMES, dtype=object)
    result = pd.DataFrame(
        {PROBABILITY_COLUMNS[name]: proba[:, i] for i, name in enumerate(TIER_NAMES)},
        index=features.index,
    )
    result.insert(0, "predicted_tier", tier_names[np.argmax(proba, axis=1)])
    return result


def _plain(value: Any) -> Any:
    """numpy scalars -> Python scalars, so metrics stay JSON-serialisable."""
    return value.item() if isinstance(value, np.generic) else value
