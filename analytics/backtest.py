"""The back-test of a run: the previous run's next-tier predictions held against the tiers
this run gives the same people.

Only people who had a prediction in the previous run and have a tier in this one count;
anyone hired since, gone since, or without a named tier (a population with no spread) is
left out. The result is None when nobody is in both, so a missing back-test never reads as
a score of zero.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

from analytics.config import TIER_NAMES

PROBABILITY_COLUMNS = tuple(f"p_{name.lower()}" for name in TIER_NAMES)
PREDICTION_COLUMNS = ("employee_id", "predicted_tier", *PROBABILITY_COLUMNS)


def brier_score(probabilities: np.ndarray, outcomes: np.ndarray) -> float:
    """Multi-class Brier score: the mean over people of the sum over the tiers of
    (p - outcome)^2, outcome 1 for the realised tier and 0 otherwise. 0 is perfect, 2 is
    certain and always wrong."""
    actual = (outcomes[:, None] == np.array(TIER_NAMES, dtype=object)[None, :]).astype(float)
    return float(((probabilities - actual) ** 2).sum(axis=1).mean())


def backtest(
    predictions: pd.DataFrame, tiers: pd.DataFrame, previous_run_id: int
) -> dict[str, Any] | None:
    """Accuracy, macro F1 (over High, Medium and Low), Brier score and confusion matrix of
    `predictions` (PREDICTION_COLUMNS, the previous run's) against `tiers` (employee_id,
    tier: this run's) for the people in both; None when nobody is.

    The confusion matrix's rows are the realised tiers and its columns the predicted ones,
    both in `labels` order."""
    predicted = predictions.loc[
        predictions["predicted_tier"].notna(), list(PREDICTION_COLUMNS)
    ].astype({"employee_id": str})
    realised = tiers.loc[tiers["tier"].notna(), ["employee_id", "tier"]].astype(
        {"employee_id": str}
    )
    both = predicted.merge(realised, on="employee_id", how="inner", validate="one_to_one")
    if both.empty:
        return None
    truth = both["tier"].to_numpy(dtype=object)
    guess = both["predicted_tier"].to_numpy(dtype=object)
    # The metrics of tier codes are those of the names, but sklearn sorts a million names
    # per metric where codes take milliseconds. Any other value gets a code of its own.
    names = pd.Index(pd.unique(np.concatenate([np.array(TIER_NAMES, dtype=object), truth, guess])))
    labels = list(range(len(TIER_NAMES)))
    truth_codes, guess_codes = names.get_indexer(truth), names.get_indexer(guess)
    # A probability the predictor never gave (a tier absent from its training) is 0.
    probabilities = both[list(PROBABILITY_COLUMNS)].fillna(0.0).to_numpy(dtype=float)
    return {
        "previous_run_id": int(previous_run_id),
        "employees": len(both),
        "accuracy": float(accuracy_score(truth_codes, guess_codes)),
        "macro_f1": float(
            f1_score(truth_codes, guess_codes, labels=labels, average="macro", zero_division=0)
        ),
        "brier": brier_score(probabilities, truth),
        "confusion": {
            "labels": list(TIER_NAMES),
            "matrix": confusion_matrix(truth_codes, guess_codes, labels=labels).tolist(),
        },
    }
