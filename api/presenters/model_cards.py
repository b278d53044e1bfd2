"""A run's model card: what the models are for, what they were fitted on and with, how
well they did (cross-validated, on the hold-out, and back-tested against what happened
next), the fairness audit, and what they cannot do. Built from the run row, the run's
fairness audit and the protected attributes' names only."""

from __future__ import annotations

from typing import Any

from api.presenters.common import rounded
from api.presenters.fairness import fairness_audit

INTENDED_USE = (
    "Support for a person's decision about people: HR and managers read the scores, tiers "
    "and predicted tiers next to their own knowledge of the work and review them (confirm, "
    "override with a reason, or hear the employee contest them). Never an automated "
    "decision: no pay, promotion, dismissal or discipline may follow from these results "
    "without a person's review."
)

PROTECTED_ATTRIBUTES = (
    "Protected attributes (for example an age band or gender) are stored apart and are "
    "never model features: they are read only after scoring, for the fairness audit."
)

NO_PROTECTED_ATTRIBUTES = (
    "No protected attributes were provided, so this run has no fairness audit; HR can "
    "ingest them (dataset protected-attributes) and the next run audits itself."
)

LIMITATIONS = (
    "Tiers are relative to the peer group of the same run: a Low tier means low among "
    "these peers in this window, not poor work in absolute terms.",
    "Predicted tiers learn from the past periods of the same people: a change of role, "
    "team, targets or organisation is not foreseen.",
    "Scores measure what the task records and KPIs capture; work that is not recorded, "
    "and the quality of recorded work beyond the KPIs, is invisible to them.",
    "People with few task records, imputed hours or imputed KPIs are scored on thin "
    "evidence; their results carry flags saying so.",
    "Groups smaller than the minimum group size are suppressed in aggregates and in the "
    "fairness audit, so small groups are not assessed there.",
    "The back-test compares the previous run's predictions with this run's tiers for the "
    "people in both runs; when both runs cover the same month it measures consistency, "
    "not foresight.",
    "Anomalies are unusual patterns against peers, flagged for a person to look at, not "
    "findings of misconduct.",
)


def _metric(value: Any) -> float | None:
    return None if value is None else rounded(float(value), 4)


def model_card(run: dict, audit_rows: list[dict]) -> dict:
    """`run` is store.queries.runs.run's row, `audit_rows` the run's
    store.queries.fairness.fairness_audit rows."""
    params = run["params"] or {}
    metrics = run["metrics"] or {}
    predictor = metrics.get("predictor") or {}
    importances = predictor.get("feature_importances") or {}
    backtest = metrics.get("backtest")
    audit = fairness_audit(
        {"run_id": run["run_id"], "fairness": metrics.get("fairness")}, audit_rows
    )
    return {
        "run_id": run["run_id"],
        "status": run["status"],
        "is_current": run["is_current"],
        "finished_at": run["finished_at"],
        "intended_use": INTENDED_USE,
        "data": {
            "as_of": run["as_of"],
            "window_days": params.get("window_days"),
            "rows_read": run["rows_read"],
            "rows_after_as_of": params.get("rows_after_as_of"),
            "employees_scored": run["employees_scored"],
            "rows_per_window": metrics.get("rows_per_window", {}),
        },
        "features": {
            # Most important first: the stored document (jsonb) does not keep key order.
            "predictor": [
                {"feature": name, "importance": _metric(value)}
                for name, value in sorted(importances.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
            "protected_attributes": PROTECTED_ATTRIBUTES,
        },
        "scorecards": metrics.get("scorecards", []),
        "performance": {
            "predictor_status": predictor.get("status"),
            "predictor_reason": predictor.get("reason"),
            "cv_f1_macro": _metric(predictor.get("cv_f1_macro")),
            "holdout_f1_macro": _metric(predictor.get("holdout_f1_macro")),
            "n_train": predictor.get("n_train"),
            "n_holdout": predictor.get("n_holdout"),
            "backtest": None
            if backtest is None
            else {
                **backtest,
                **{k: _metric(backtest[k]) for k in ("accuracy", "macro_f1", "brier")},
            },
        },
        "fairness": {
            **audit,
            "note": PROTECTED_ATTRIBUTES if audit["data"] else NO_PROTECTED_ATTRIBUTES,
        },
        "limitations": list(LIMITATIONS),
    }
