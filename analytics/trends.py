"""Score and tier trajectories over a run's windows: per employee, team and department.

One rule decides every improving / stable / declining flag (`trend_flags`), so an employee,
their team and their department are always judged alike; see `InsightsConfig`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from analytics.config import DEFAULT_INSIGHTS, TIER_NAMES, InsightsConfig

IMPROVING = "improving"
STABLE = "stable"
DECLINING = "declining"
GROUP_TREND_COLUMNS = ("average_score", "score_w1", "score_w2", "score_change", "trend")
DEPARTMENT_TREND_COLUMNS = (
    "department",
    "window",
    "employees",
    "average_score",
    "tier_high",
    "tier_medium",
    "tier_low",
)


def trend_flags(change: np.ndarray | pd.Series | float, threshold: float) -> np.ndarray:
    """'improving' when change >= threshold, 'declining' when <= -threshold, else 'stable';
    None where the change is NaN (no earlier window). Returns an object array."""
    delta = np.atleast_1d(np.asarray(change, dtype=np.float64))
    flags = np.full(delta.shape, None, dtype=object)
    known = ~np.isnan(delta)
    flags[known] = STABLE
    flags[known & (delta >= threshold)] = IMPROVING
    flags[known & (delta <= -threshold)] = DECLINING
    return flags


def score_change(
    current: np.ndarray | pd.Series, w1: np.ndarray | pd.Series, w2: np.ndarray | pd.Series
) -> np.ndarray:
    """Current score minus the earliest earlier score available (window 2, else window 1);
    NaN when neither exists."""
    w1 = np.asarray(w1, dtype=np.float64)
    w2 = np.asarray(w2, dtype=np.float64)
    earliest = np.where(np.isnan(w2), w1, w2)
    return np.asarray(current, dtype=np.float64) - earliest


def group_trends(
    scores: pd.DataFrame, by: str, insights: InsightsConfig = DEFAULT_INSIGHTS
) -> pd.DataFrame:
    """Per value of `by` (e.g. team): columns (<by>, average_score, score_w1, score_w2,
    score_change, trend), sorted by `by`.

    average_score is the mean window-0 score of the group; score_w1 / score_w2 the mean
    earlier score over the members who have one (NaN when none do). score_change compares
    average_score with the earliest of those means, and trend applies `trend_flags`.
    """
    grouped = scores.groupby(by, sort=True, dropna=False).agg(
        average_score=("score", "mean"),
        score_w1=("score_w1", "mean"),
        score_w2=("score_w2", "mean"),
    )
    out = grouped.reset_index()
    out["score_change"] = score_change(out["average_score"], out["score_w1"], out["score_w2"])
    # object dtype keeps None for "no trend" (a str column would turn it into NaN).
    trend = trend_flags(out["score_change"].to_numpy(), insights.trend_threshold)
    out["trend"] = pd.Series(trend, index=out.index, dtype=object)
    return out.loc[:, [by, *GROUP_TREND_COLUMNS]]


def department_trends(
    windows: Mapping[int, pd.DataFrame], tiers: Mapping[int, np.ndarray]
) -> pd.DataFrame:
    """One row per (department, window) present: employees, average score and tier counts.

    `windows[w]` is window w's scored rows (its own department column, so a transfer counts
    where the person was at the time) and `tiers[w]` their tier names in the same order.
    """
    parts = []
    for w in sorted(windows):
        frame = windows[w]
        tier = np.asarray(tiers[w], dtype=object)
        part = pd.DataFrame(
            {
                "department": frame["department"].to_numpy(),
                "score": frame["score"].to_numpy(dtype=np.float64),
            }
            | {f"tier_{name.lower()}": tier == name for name in TIER_NAMES}
        )
        agg = part.groupby("department", sort=True, dropna=False).agg(
            employees=("score", "size"),
            average_score=("score", "mean"),
            **{f"tier_{n.lower()}": (f"tier_{n.lower()}", "sum") for n in TIER_NAMES},
        )
        parts.append(agg.reset_index().assign(window=w))
    if not parts:
        return pd.DataFrame({c: [] for c in DEPARTMENT_TREND_COLUMNS})
    out = pd.concat(parts, ignore_index=True)
    out = out.sort_values(["department", "window"], kind="stable", ignore_index=True)
    counts = ["employees", *(f"tier_{n.lower()}" for n in TIER_NAMES)]
    out[counts] = out[counts].astype(np.int64)
    out["window"] = out["window"].astype(np.int64)
    return out.loc[:, list(DEPARTMENT_TREND_COLUMNS)]
