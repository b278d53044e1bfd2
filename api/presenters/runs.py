"""What a run's metrics document shows to a caller who does not see everyone.

A run's metrics describe the whole organisation's outcomes: tier counts, anomalies, the
score distribution, the predictor's classes. A manager sees each of their people one by
one, so the organisation's figures minus theirs would be the figures of everyone else, and
for a manager who sees almost everyone that is a handful of people. Such callers get the
model's quality only (how well it predicts, how far scores drifted), never a count or a
statistic of people's outcomes."""

from __future__ import annotations

from store.scope import Scope

# Per metrics key: the fields a scoped caller sees (None: the value as it is).
SCOPED_METRICS: dict[str, tuple[str, ...] | None] = {
    "drift_psi": None,
    "predictor": (
        "status",
        "reason",
        "cv_f1_macro",
        "holdout_f1_macro",
        "best_params",
        "feature_importances",
    ),
    "backtest": ("previous_run_id", "accuracy", "macro_f1", "brier"),
}


def run_for_scope(run: dict, scope: Scope) -> dict:
    """`run` as `scope` may see it: whole for everyone, model quality only otherwise."""
    if scope.everyone or "metrics" not in run:
        return run
    metrics = run["metrics"] or {}
    shown: dict = {}
    for key, fields in SCOPED_METRICS.items():
        if key not in metrics:
            continue
        value = metrics[key]
        if fields is not None and isinstance(value, dict):
            value = {field: value[field] for field in fields if field in value}
        shown[key] = value
    return {**run, "metrics": shown}
