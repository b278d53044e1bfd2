"""Why an employee got their score, percentile, predicted tier and anomaly flag.

- `score_points` / `kpi_points`: the 0-100 score split into points per weighted component
  (the default scorecard's task measures, or any scorecard's KPIs) plus a baseline.
- `percentile_within`: share of a group (department, job title) scoring at or below a person.
- `tier_contributions` / `tier_drivers`: per-person feature contributions to the predicted
  tier's probability by the Saabas ("tree interpreter") decomposition of the RandomForest.
  Each split on a row's decision path moves the class probability from the node's value to
  the child's; that move is credited to the split's feature, the root value is the bias, and
  averaged over trees bias + sum(contributions) equals predict_proba exactly. It is computed
  per leaf once per tree, then every row just gathers its leaves' vectors (forest.apply in
  bounded chunks), so a million rows cost seconds. Not shap: exact TreeSHAP costs
  O(trees * leaves * depth^2) per row, minutes at a million employees; the treeinterpreter
  package materialises rows x features x classes per tree and is unmaintained.
- `anomaly_drivers`: the tier features on which a flagged person is furthest from their
  peers, as robust z-scores (median / MAD).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.tree._tree import Tree

from analytics.config import AnalysisConfig
from analytics.gc_pause import gc_paused
from analytics.json_text import (
    JSON_CHUNK_ROWS,
    numbers_json,
    object_lists,
    scalar_json,
    values_json,
)
from analytics.predictor import CATEGORICAL_FEATURES, NUMERIC_FEATURES, model_features
from analytics.tiers import TIER_FEATURES

SCORE_COMPONENTS = ("completion", "efficiency", "throughput")
PREDICTOR_FEATURES = (*NUMERIC_FEATURES, *CATEGORICAL_FEATURES)
TOP_TIER_DRIVERS = 3
# Rows per forest.apply call: bounds the dense feature matrix and the (rows x trees) leaf
# indices to a few tens of MiB each.
DRIVER_CHUNK_ROWS = 100_000
# 1.4826 * MAD estimates the standard deviation of normally distributed data.
MAD_TO_SD = 1.4826
ANOMALY_Z_CUTOFF = 2.0


def score_weights(config: AnalysisConfig) -> dict[str, float]:
    """The `weights` argument of `score_points` for a run's configuration."""
    return dict(zip(SCORE_COMPONENTS, config.weights, strict=True))


def score_points(
    completion_rate: float,
    task_efficiency: float,
    throughput: float,
    weights: Mapping[str, float],
    raw_min: float,
    raw_max: float,
) -> dict[str, Any]:
    """The score as baseline + one number of points per weighted component.

    score = 100 * (raw - raw_min) / (raw_max - raw_min) with raw = sum(w_i * c_i), so
    points_i = 100 * w_i * c_i / (raw_max - raw_min) and baseline = -100 * raw_min / (raw_max
    - raw_min). When everybody had the same raw score (raw_max == raw_min) every score is 0,
    and so are the points and the baseline. `weights` has keys completion / efficiency /
    throughput; raw_min / raw_max come from the run's metrics["score_scale"].
    """
    values = (float(completion_rate), float(task_efficiency), float(throughput))
    points = kpi_points(dict(zip(SCORE_COMPONENTS, values, strict=True)), weights, raw_min, raw_max)
    components = [
        {"component": name, "value": value, "weight": float(weights[name]), "points": p}
        for (name, value), p in zip(
            zip(SCORE_COMPONENTS, values, strict=True), points["points"].values(), strict=True
        )
    ]
    return {"components": components, "baseline": points["baseline"]}


def kpi_points(
    normalised: Mapping[str, float],
    weights: Mapping[str, float],
    raw_min: float,
    raw_max: float,
) -> dict[str, Any]:
    """Any scorecard's score as baseline + points per KPI: {"points": {kpi: points},
    "baseline"}.

    raw = sum(w_k * n_k) / sum(w) and score = 100 * (raw - raw_min) / (raw_max - raw_min),
    so points_k = 100 * w_k * n_k / (sum(w) * span) and baseline = -100 * raw_min / span;
    all 0 when span is 0 (everybody on the scorecard scored 0). The default scorecard's
    weights sum to 1, which gives `score_points`. Not rounded: they add up exactly.
    """
    span = float(raw_max) - float(raw_min)
    total = float(sum(float(weights[k]) for k in normalised))
    scale = 100.0 / (span * total) if span > 0 and total > 0 else 0.0
    return {
        "points": {k: scale * float(weights[k]) * float(v) for k, v in normalised.items()},
        "baseline": -100.0 * float(raw_min) / span if span > 0 else 0.0,
    }


def percentile_within(score: np.ndarray | pd.Series, groups: np.ndarray | pd.Series) -> np.ndarray:
    """Share (0-100) of each row's group scoring at or below the row (ties count as below)."""
    ranks = (
        pd.Series(np.asarray(score, dtype=np.float64))
        .groupby(np.asarray(groups), sort=False, dropna=False)
        .rank(method="max", pct=True)
    )
    return ranks.to_numpy() * 100.0


def column_owners(preprocess: ColumnTransformer, features: Sequence[str]) -> np.ndarray:
    """For each output column of the fitted `preprocess`, the index in `features` of the
    input feature it came from (missing-value indicators belong to their numeric feature,
    one-hot columns to their categorical feature)."""
    index = {name: i for i, name in enumerate(features)}
    owners: list[int] = []
    for _, transformer, columns in preprocess.transformers_:
        if isinstance(transformer, str) and transformer == "drop":
            continue
        inputs = [str(c) for c in columns]
        if not inputs:
            continue
        if isinstance(transformer, str):  # "passthrough"
            outputs = inputs
        else:
            outputs = [str(name) for name in transformer.get_feature_names_out(inputs)]
        owners.extend(index[_owner(name, inputs)] for name in outputs)
    if len(owners) != len(preprocess.get_feature_names_out()):
        raise ValueError("could not map every transformed column to an input feature")
    return np.asarray(owners, dtype=np.intp)


def _owner(output: str, inputs: list[str]) -> str:
    if output in inputs:
        return output
    if output.startswith("missingindicator_") and output[17:] in inputs:
        return output[17:]
    # One-hot columns are "<feature>_<category>"; the longest matching prefix wins.
    prefixes = [c for c in inputs if output.startswith(f"{c}_")]
    if prefixes:
        return max(prefixes, key=len)
    if len(inputs) == 1:
        return inputs[0]
    raise ValueError(f"cannot tell which input column {output!r} comes from")


def _tree_leaf_contributions(
    tree: Tree, owners: np.ndarray, n_features: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(node -> leaf row map, leaf contributions (n_leaves * n_classes, n_features), bias).

    Row `leaf * n_classes + k` holds, for class k, the sum over the leaf's path of
    value[child] - value[parent] credited to the parent's split feature (folded by
    `owners`). Nodes are visited a depth level at a time, so the walk is vectorised.
    """
    left, right = tree.children_left, tree.children_right
    value = tree.value[:, 0, :]
    value = value / value.sum(axis=1, keepdims=True)
    n_nodes, n_classes = value.shape
    contrib = np.zeros((n_nodes, n_classes, n_features))
    level = np.array([0])
    while level.size:
        split = level[left[level] >= 0]
        feature = owners[tree.feature[split]]
        for child in (left[split], right[split]):
            contrib[child] = contrib[split]
            contrib[child, :, feature] += value[child] - value[split]
        level = np.concatenate([left[split], right[split]])
    leaves = np.flatnonzero(left < 0)
    leaf_row = np.full(n_nodes, -1, dtype=np.intp)
    leaf_row[leaves] = np.arange(len(leaves))
    return leaf_row, contrib[leaves].reshape(-1, n_features), value[0]


def tier_contributions(
    model: Pipeline,
    features: pd.DataFrame,
    classes: np.ndarray | Sequence[str],
    chunk_rows: int = DRIVER_CHUNK_ROWS,
) -> tuple[np.ndarray, np.ndarray]:
    """Saabas decomposition of each row's probability of `classes[i]` (a class of the model).

    Returns (bias, contributions): bias[i] is the forest's average root probability of the
    row's class, contributions[i, j] the part credited to the model's feature j
    (`analytics.predictor.model_features`: PREDICTOR_FEATURES, then any KPIs); bias +
    contributions.sum(axis=1) equals predict_proba for that class.
    """
    preprocess: ColumnTransformer = model.named_steps["features"]
    forest = model.named_steps["forest"]
    names = model_features(model)
    owners = column_owners(preprocess, names)
    n_features = len(names)
    model_classes = [str(c) for c in forest.classes_]
    n_classes = len(model_classes)
    class_index = pd.Index(model_classes).get_indexer(np.asarray(classes, dtype=object))
    if (class_index < 0).any():
        raise ValueError("every requested class must be one of the model's classes")
    trees = [_tree_leaf_contributions(t.tree_, owners, n_features) for t in forest.estimators_]
    n_trees = len(trees)

    bias_per_class = np.mean([bias for _, _, bias in trees], axis=0)
    contributions = np.zeros((len(features), n_features))
    for start in range(0, len(features), chunk_rows):
        stop = min(start + chunk_rows, len(features))
        leaves = forest.apply(preprocess.transform(features.iloc[start:stop]))
        cls = class_index[start:stop]
        total = contributions[start:stop]
        for t, (leaf_row, leaf_contrib, _) in enumerate(trees):
            total += leaf_contrib[leaf_row[leaves[:, t]] * n_classes + cls]
        total /= n_trees
    return bias_per_class[class_index], contributions


def tier_drivers(
    model: Pipeline | None,
    features: pd.DataFrame,
    predicted_tier: np.ndarray | pd.Series,
    top: int = TOP_TIER_DRIVERS,
) -> list[list[dict[str, Any]] | None]:
    """Per row, the `top` features that moved the predicted tier's probability most.

    Each entry is {"feature", "value" (the row's input: float, str, or None when missing),
    "contribution" (probability, 4 decimals)}, largest |contribution| first (ties in
    PREDICTOR_FEATURES order); contributions that round to 0 are left out, so a list may be
    shorter. All None when there is no model.
    """
    if model is None:
        return [None] * len(features)
    names, order, rounded = _top_contributions(model, features, predicted_tier, top)
    with gc_paused():
        values = _values_at(features, order, names).tolist()
        return [
            [
                {"feature": names[f], "value": v, "contribution": c}
                for f, v, c in zip(fs, vs, cs, strict=True)
                if c != 0.0
            ]
            for fs, vs, cs in zip(order.tolist(), values, rounded.tolist(), strict=True)
        ]


def tier_drivers_json(
    model: Pipeline | None,
    features: pd.DataFrame,
    predicted_tier: np.ndarray | pd.Series,
    top: int = TOP_TIER_DRIVERS,
) -> list[str | None]:
    """`tier_drivers` as each row's JSON text, built without a dict per driver and row."""
    if model is None:
        return [None] * len(features)
    names, order, rounded = _top_contributions(model, features, predicted_tier, top)
    feature_names = np.asarray([scalar_json(name) for name in names], dtype=object)
    out: list[str | None] = []
    for start in range(0, len(features), JSON_CHUNK_ROWS):
        part = slice(start, start + JSON_CHUNK_ROWS)
        values = _values_at(features.iloc[part], order[part], names, as_json=True)
        contributions = numbers_json(rounded[part])
        entries = [
            {
                "feature": feature_names[order[part, k]],
                "value": values[:, k],
                "contribution": contributions[:, k],
            }
            for k in range(order.shape[1])
        ]
        out += object_lists(entries, len(values), rounded[part] != 0.0)
    return out


def _top_contributions(
    model: Pipeline, features: pd.DataFrame, predicted_tier: np.ndarray | pd.Series, top: int
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The model's feature names, and per row the `top` features' indices by |contribution|
    (ties in feature order) and their contributions rounded to 4 decimals."""
    _, contrib = tier_contributions(model, features, np.asarray(predicted_tier, dtype=object))
    names = model_features(model)
    order = np.argsort(-np.abs(contrib), axis=1, kind="stable")[:, :top]
    return names, order, np.take_along_axis(contrib, order, axis=1).round(4)


def _values_at(
    features: pd.DataFrame, order: np.ndarray, names: Sequence[str], as_json: bool = False
) -> np.ndarray:
    """values[i, k] = row i's input for feature names[order[i, k]], as a Python float / str,
    None when missing (only the picked cells become Python objects); or as its JSON text."""
    out = np.full(order.shape, None, dtype=object)
    for j, name in enumerate(names):
        rows, slots = np.nonzero(order == j)
        if not rows.size:
            continue
        column = features[name].iloc[rows]
        if pd.api.types.is_numeric_dtype(column):
            # Rounded: inputs are float32 in the store, so more digits are noise.
            numbers = column.to_numpy(dtype=np.float64, na_value=np.nan).round(4)
            if as_json:
                picked = numbers_json(numbers)  # NaN as null
            else:
                picked = numbers.astype(object)
                picked[np.isnan(numbers)] = None
        else:
            picked = np.where(column.notna(), column.astype(str), None)
            if as_json:
                picked = values_json(picked)
        out[rows, slots] = picked
    return out


def anomaly_drivers(
    scored: pd.DataFrame,
    is_anomaly: np.ndarray,
    peer_group: str | None,
    features: Sequence[str] = TIER_FEATURES,
    names: Sequence[str] | None = None,
) -> list[list[dict[str, Any]] | None]:
    """For each anomaly, the `features` (default: the tier features) that set the person
    apart from their peers, reported under `names` (default: the column names; a custom
    scorecard passes its normalised KPI columns named by kpi_id).

    robust z = (value - peer median) / (1.4826 * peer MAD), the peers being the rows with
    the same `peer_group` value (everybody when None or absent); a group whose MAD is 0
    falls back to its standard deviation, then to 1. Entries {"feature", "value",
    "peer_median", "robust_z"} are sorted by |z| descending and keep |z| >= 2, but at least
    the top one. None for rows that are not anomalies.
    """
    names = list(features if names is None else names)
    values = scored.loc[:, list(features)].to_numpy(dtype=np.float64, na_value=np.nan)
    if peer_group is not None and peer_group in scored.columns:
        groups = scored[peer_group].astype(str).to_numpy()
    else:
        groups = np.zeros(len(scored), dtype=np.int8)
    frame = pd.DataFrame(values)
    median = frame.groupby(groups, sort=False).transform("median").to_numpy()
    deviation = pd.DataFrame(np.abs(values - median))
    scale = MAD_TO_SD * deviation.groupby(groups, sort=False).transform("median").to_numpy()
    std = frame.groupby(groups, sort=False).transform("std").to_numpy()
    scale = np.where(scale > 0, scale, np.where(std > 0, std, 1.0))
    z = (values - median) / scale

    out: list[list[dict[str, Any]] | None] = [None] * len(scored)
    flagged = np.flatnonzero(np.asarray(is_anomaly, dtype=bool))
    z_flagged = z[flagged]
    order = np.argsort(-np.abs(z_flagged), axis=1, kind="stable")
    for row, rank, zs, xs, ms in zip(
        flagged.tolist(),
        order.tolist(),
        z_flagged.tolist(),
        values[flagged].tolist(),
        median[flagged].tolist(),
        strict=True,
    ):
        out[row] = [
            {
                "feature": names[f],
                "value": round(xs[f], 4),
                "peer_median": round(ms[f], 4),
                "robust_z": round(zs[f], 4),
            }
            for n, f in enumerate(rank)
            if n == 0 or abs(zs[f]) >= ANOMALY_Z_CUTOFF
        ]
    return out
