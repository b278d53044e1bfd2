"""The weighted performance score of one window's population (vectorised, no model)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.config import DEFAULT_CONFIG, AnalysisConfig
from analytics.errors import AnalysisError

FLAG_NO_TASKS = "no_tasks"
FLAG_HOURS_IMPUTED = "hours_imputed"

TASK_COLUMNS = ("total_tasks", "completed_tasks", "hours_logged")
SCORE_COLUMNS = (
    "completion_rate",
    "avg_task_hours",
    "relative_task_hours",
    "relative_throughput",
    "task_efficiency",
    "throughput",
    "score",
    "flags",
)


def min_max(values: np.ndarray, clip_quantiles: tuple[float, float] | None = None) -> np.ndarray:
    """Scale `values` (no NaN) to [0, 1] over the population.

    With `clip_quantiles`, the range is taken between those quantiles and values outside it
    are clipped, so one extreme value cannot compress everybody else. A constant column
    (or an empty one) maps to 0 instead of dividing by zero.
    """
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        return x.copy()
    if clip_quantiles is None:
        lo, hi = float(x.min()), float(x.max())
    else:
        lo, hi = (float(q) for q in np.quantile(x, clip_quantiles))
    span = hi - lo
    if not span > 0:
        return np.zeros_like(x)
    return (np.clip(x, lo, hi) - lo) / span


def min_max_by_group(
    values: np.ndarray,
    groups: np.ndarray | None,
    clip_quantiles: tuple[float, float] | None = None,
) -> np.ndarray:
    """`min_max` applied within each group (the whole population when `groups` is None)."""
    if groups is None:
        return min_max(values, clip_quantiles)
    x = pd.Series(np.asarray(values, dtype=np.float64))
    by = x.groupby(groups, sort=False)
    lo_q, hi_q = clip_quantiles if clip_quantiles is not None else (0.0, 1.0)
    lo = by.transform("quantile", lo_q).to_numpy()
    hi = by.transform("quantile", hi_q).to_numpy()
    span = hi - lo
    scaled = np.divide(
        np.clip(x.to_numpy(), lo, hi) - lo, span, out=np.zeros_like(span), where=span > 0
    )
    return scaled


def relative_to_median(values: np.ndarray, groups: np.ndarray | None) -> np.ndarray:
    """Each value as a multiple of its group's median (1.0 = a typical peer).

    Scale-free, so a support agent's 140 tickets and an engineer's 12 tasks compare, and
    unclipped, so a real outlier stays far from 1. A group whose median is 0 falls back to
    its mean, then to 1, rather than dividing by zero."""
    x = pd.Series(np.asarray(values, dtype=np.float64))
    if groups is None:
        groups = np.zeros(len(x), dtype=np.int8)
    by = x.groupby(groups, sort=False)
    median = by.transform("median").to_numpy()
    mean = by.transform("mean").to_numpy()
    scale = np.where(median > 0, median, np.where(mean > 0, mean, 1.0))
    return x.to_numpy() / scale


def weighted_sum(
    completion: np.ndarray, efficiency: np.ndarray, throughput: np.ndarray, config: AnalysisConfig
) -> np.ndarray:
    """The raw score before the population's min-max rescaling (in [0, 1]).

    One function so explanations can recompute the same raw range the score was scaled by.
    """
    w_completion, w_efficiency, w_throughput = config.weights
    return w_completion * completion + w_efficiency * efficiency + w_throughput * throughput


def _peer_groups(frame: pd.DataFrame, config: AnalysisConfig) -> np.ndarray | None:
    if config.peer_group is None or config.peer_group not in frame.columns:
        return None
    return frame[config.peer_group].astype(str).to_numpy()


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    return pd.to_numeric(frame[name]).to_numpy(dtype=np.float64, na_value=np.nan)


def check_task_columns(frame: pd.DataFrame) -> None:
    """Raise AnalysisError unless task counts are present, non-negative and consistent."""
    missing = [c for c in TASK_COLUMNS if c not in frame.columns]
    if missing:
        raise AnalysisError(f"missing column(s): {', '.join(missing)}")
    try:
        total = _column(frame, "total_tasks")
        completed = _column(frame, "completed_tasks")
        hours = _column(frame, "hours_logged")
    except (TypeError, ValueError) as exc:
        raise AnalysisError(f"task columns must be numeric: {exc}") from exc
    check_task_arrays(total, completed, hours)


def check_task_arrays(total: np.ndarray, completed: np.ndarray, hours: np.ndarray) -> None:
    """Raise AnalysisError unless the float task columns are complete and consistent."""
    if np.isnan(total).any() or np.isnan(completed).any():
        raise AnalysisError("total_tasks and completed_tasks must not be missing")
    if (total < 0).any() or (completed < 0).any() or (hours < 0).any():
        raise AnalysisError("task counts and hours must not be negative")
    if (completed > total).any():
        raise AnalysisError("completed_tasks must not exceed total_tasks")


def score_window(
    frame: pd.DataFrame, config: AnalysisConfig = DEFAULT_CONFIG, *, with_flags: bool = True
) -> pd.DataFrame:
    """Score every row of one window against that window's population.

    Returns a copy of `frame` (same index and order) with these columns added:
    completion_rate, avg_task_hours, task_efficiency, throughput, score (0-100) and
    flags (a list of str per row).

    - completion_rate = completed / total; 0 for employees without tasks (flag `no_tasks`).
    - avg_task_hours = hours_logged / total_tasks. When it is unknown (no tasks, or hours
      missing) it is imputed with the median of the known values of the employee's peer
      group (the population's when the group has none) and flagged `hours_imputed`. Not 0:
      efficiency rewards few hours per task, so 0 would rank missing data as the most
      efficient work in the population.
    - task_efficiency = 1 - min-max(avg_task_hours); throughput = min-max(completed_tasks),
      both normalised with `config.clip_quantiles` within the peer group
      (`config.peer_group`, the whole population when None or absent).
    - relative_task_hours, relative_throughput: avg_task_hours and completed_tasks as
      multiples of the peer-group median; the features of tiers and anomalies.
    - score = min-max(weighted sum) * 100 over the population, unclipped, so the best row
      is 100 and the worst 0.

    `with_flags=False` leaves out the flags column (building a list per row is the slowest
    part on a million rows, and callers that only need scores can skip it).
    """
    check_task_columns(frame)
    total = _column(frame, "total_tasks")
    completed = _column(frame, "completed_tasks")
    groups = _peer_groups(frame, config)
    parts = task_scores(total, completed, _column(frame, "hours_logged"), groups, config)
    completion, avg_hours = parts["completion_rate"], parts["avg_task_hours"]
    efficiency, throughput, score = parts["task_efficiency"], parts["throughput"], parts["score"]

    scored = frame.assign(
        completion_rate=completion,
        avg_task_hours=avg_hours,
        relative_task_hours=relative_to_median(avg_hours, groups),
        relative_throughput=relative_to_median(completed, groups),
        task_efficiency=efficiency,
        throughput=throughput,
        score=score,
    )
    if with_flags:
        scored["flags"] = _flags(~(total > 0), parts["hours_imputed"])
    return scored


def task_scores(
    total: np.ndarray,
    completed: np.ndarray,
    hours: np.ndarray,
    groups: np.ndarray | None,
    config: AnalysisConfig = DEFAULT_CONFIG,
) -> dict[str, np.ndarray]:
    """The arrays behind `score_window` (completion_rate, avg_task_hours, hours_imputed,
    task_efficiency, throughput, score) of one window's checked float task columns, peer
    `groups` given per row (any labels: only which rows share one matters).

    For callers that score many windows and need no frame: integer group codes group faster
    than the names."""
    has_tasks = total > 0
    completion = np.divide(completed, total, out=np.zeros_like(total), where=has_tasks)
    avg_hours = np.divide(hours, total, out=np.full_like(total, np.nan), where=has_tasks)
    imputed = np.isnan(avg_hours)
    if imputed.any():
        # Nobody with known hours: any constant works, it normalises to 0 below.
        median = float(np.median(avg_hours[~imputed])) if not imputed.all() else 0.0
        if groups is not None:
            peer_median = pd.Series(avg_hours).groupby(groups).transform("median").to_numpy()
            avg_hours = np.where(imputed & ~np.isnan(peer_median), peer_median, avg_hours)
        avg_hours[np.isnan(avg_hours)] = median

    efficiency = 1.0 - min_max_by_group(avg_hours, groups, config.clip_quantiles)
    throughput = min_max_by_group(completed, groups, config.clip_quantiles)
    score = min_max(weighted_sum(completion, efficiency, throughput, config)) * 100.0
    return {
        "completion_rate": completion,
        "avg_task_hours": avg_hours,
        "hours_imputed": imputed,
        "task_efficiency": efficiency,
        "throughput": throughput,
        "score": score,
    }


_FLAG_COMBINATIONS: tuple[tuple[str, ...], ...] = (
    (),
    (FLAG_NO_TASKS,),
    (FLAG_HOURS_IMPUTED,),
    (FLAG_NO_TASKS, FLAG_HOURS_IMPUTED),
)


def _flags(no_tasks: np.ndarray, hours_imputed: np.ndarray) -> list[list[str]]:
    # Encode the flags as a 2-bit code with numpy; only building the per-row output lists
    # touches Python objects (each row gets its own list so callers can mutate it safely).
    codes = no_tasks.astype(np.int8) + 2 * hours_imputed.astype(np.int8)
    return [list(_FLAG_COMBINATIONS[c]) for c in codes.tolist()]
