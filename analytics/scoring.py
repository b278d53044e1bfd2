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
      missing) it is imputed with the population median of the known values and flagged
      `hours_imputed`. Not 0: efficiency rewards few hours per task, so 0 would rank missing
      data as the most efficient work in the population.
    - task_efficiency = 1 - min-max(avg_task_hours); throughput = min-max(completed_tasks),
      both normalised with `config.clip_quantiles`.
    - score = min-max(weighted sum) * 100, unclipped, so the best row is 100 and the worst 0.

    `with_flags=False` leaves out the flags column (building a list per row is the slowest
    part on a million rows, and callers that only need scores can skip it).
    """
    check_task_columns(frame)
    total = _column(frame, "total_tasks")
    completed = _column(frame, "completed_tasks")
    hours = _column(frame, "hours_logged")

    has_tasks = total > 0
    completion = np.divide(completed, total, out=np.zeros_like(total), where=has_tasks)
    avg_hours = np.divide(hours, total, out=np.full_like(total, np.nan), where=has_tasks)
    imputed = np.isnan(avg_hours)
    if imputed.any():
        # Nobody with known hours: any constant works, it normalises to 0 below.
        median = float(np.median(avg_hours[~imputed])) if not imputed.all() else 0.0
        avg_hours[imputed] = median

    efficiency = 1.0 - min_max(avg_hours, config.clip_quantiles)
    throughput = min_max(completed, config.clip_quantiles)
    w_completion, w_efficiency, w_throughput = config.weights
    raw = w_completion * completion + w_efficiency * efficiency + w_throughput * throughput
    score = min_max(raw) * 100.0

    scored = frame.assign(
        completion_rate=completion,
        avg_task_hours=avg_hours,
        task_efficiency=efficiency,
        throughput=throughput,
        score=score,
    )
    if with_flags:
        scored["flags"] = _flags(~has_tasks, imputed)
    return scored


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
