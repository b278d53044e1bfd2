"""Scorecards: which KPIs, with which weights, score whom, and the score they give.

A person's scorecard is their job title's when it has one, else the default scorecard (the
three task measures weighted by `AnalysisConfig`). Each KPI is min-max normalised among the
people sharing the scorecard within the same peer group (`config.peer_group`), clipped to
`config.clip_quantiles` and reversed when lower is better; raw = sum(weight * normalised) /
sum(weights) and score = min-max(raw) * 100 over the people sharing the scorecard. The
default scorecard is scored by `analytics.scoring.score_window` itself, so when everybody
shares it the scores are exactly those of a run without scorecards.

Built-in KPIs (completion_rate, task_efficiency, throughput) come from the task columns of
the window features; custom KPIs from `KpiFrames.values` (already aggregated per window). A
person without a value of a custom KPI gets the peer median and the flag
`kpi_imputed:<kpi_id>`. Someone whose scorecard uses no task measure needs no task records:
their task columns stay NaN and they get no `no_tasks` flag.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from analytics.config import DEFAULT_CONFIG, AnalysisConfig
from analytics.errors import AnalysisError
from analytics.gc_pause import gc_paused
from analytics.json_text import JSON_CHUNK_ROWS, numbers_json, object_lists, scalar_json
from analytics.scoring import min_max, min_max_by_group, score_window, weighted_sum
from analytics.tiers import TIER_FEATURES

BUILTIN_KPIS = ("completion_rate", "task_efficiency", "throughput")
# Built-in KPI -> (column of its measured value, column of its 0-1 component).
BUILTIN_COLUMNS = {
    "completion_rate": ("completion_rate", "completion_rate"),
    "task_efficiency": ("avg_task_hours", "task_efficiency"),
    "throughput": ("completed_tasks", "throughput"),
}
HIGHER_IS_BETTER = "higher_is_better"
LOWER_IS_BETTER = "lower_is_better"
FLAG_KPI_IMPUTED = "kpi_imputed"
# What score_window adds; NaN for people whose scorecard uses no task measure.
TASK_SCORE_COLUMNS = (
    "completion_rate",
    "avg_task_hours",
    "relative_task_hours",
    "relative_throughput",
    "task_efficiency",
    "throughput",
)
KPI_COLUMNS = ("kpi_id", "direction")
SCORECARD_COLUMNS = ("job_title", "kpi_id", "weight")
VALUE_COLUMNS = ("employee_id", "window", "kpi_id", "value")


class KpiInputsLike(Protocol):
    """What `store.run_inputs.read_kpi_inputs` returns (any object with these frames)."""

    kpis: pd.DataFrame  # kpi_id, name, unit, direction, aggregation, builtin
    scorecards: pd.DataFrame  # job_title, kpi_id, weight (custom scorecards only)
    values: pd.DataFrame  # employee_id, window, kpi_id, value (custom KPIs only)


@dataclass(frozen=True)
class KpiFrames:
    """KPI definitions, custom scorecards and per-window KPI values, in the store's shape."""

    kpis: pd.DataFrame
    scorecards: pd.DataFrame
    values: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame({c: [] for c in VALUE_COLUMNS})
    )


def value_column(kpi_id: str) -> str:
    """The column of a scored window holding the KPI's measured value."""
    return BUILTIN_COLUMNS[kpi_id][0] if kpi_id in BUILTIN_COLUMNS else f"kpi_value:{kpi_id}"


def normalised_column(kpi_id: str) -> str:
    """The column of a scored window holding the KPI's 0-1 normalised value."""
    return BUILTIN_COLUMNS[kpi_id][1] if kpi_id in BUILTIN_COLUMNS else f"kpi_normalised:{kpi_id}"


def imputed_flag(kpi_id: str) -> str:
    return f"{FLAG_KPI_IMPUTED}:{kpi_id}"


@dataclass(frozen=True)
class Scorecard:
    """One scorecard: `job_title` None is the default scorecard."""

    job_title: str | None
    kpi_ids: tuple[str, ...]
    weights: tuple[float, ...]
    lower_is_better: tuple[bool, ...]

    @property
    def uses_tasks(self) -> bool:
        return any(k in BUILTIN_COLUMNS for k in self.kpi_ids)

    @property
    def custom_kpis(self) -> tuple[str, ...]:
        return tuple(k for k in self.kpi_ids if k not in BUILTIN_COLUMNS)

    @property
    def tier_features(self) -> tuple[str, ...]:
        """What its tiers and anomalies look at: today's peer-relative task features for the
        default scorecard (so today's tiers stay), the normalised KPIs otherwise."""
        if self.job_title is None:
            return TIER_FEATURES
        return tuple(normalised_column(k) for k in self.kpi_ids)

    def describe(self) -> dict[str, Any]:
        kpis = zip(self.kpi_ids, self.weights, self.lower_is_better, strict=True)
        return {
            "scorecard": self.job_title,
            "kpis": [
                {
                    "kpi_id": k,
                    "weight": w,
                    "direction": LOWER_IS_BETTER if lower else HIGHER_IS_BETTER,
                }
                for k, w, lower in kpis
            ],
        }


def default_scorecard(config: AnalysisConfig = DEFAULT_CONFIG) -> Scorecard:
    return Scorecard(None, BUILTIN_KPIS, tuple(float(w) for w in config.weights), (False,) * 3)


@dataclass(frozen=True)
class Scorecards:
    """The default scorecard and the custom ones by job title."""

    default: Scorecard
    by_job_title: dict[str, Scorecard] = field(default_factory=dict)

    def get(self, key: str | None) -> Scorecard:
        return self.default if key is None else self.by_job_title[key]

    def keys_of(self, job_titles: Iterable[Any]) -> np.ndarray:
        """Per row, the job title whose scorecard scores it; None for the default."""
        titles = pd.Series(list(job_titles), dtype=object)
        custom = titles.isin(list(self.by_job_title))
        return np.where(custom.to_numpy(), titles.to_numpy(), None).astype(object)

    @property
    def custom_kpi_ids(self) -> tuple[str, ...]:
        """Every custom KPI any scorecard uses, sorted (the predictor's KPI features)."""
        return tuple(sorted({k for card in self.by_job_title.values() for k in card.custom_kpis}))


def resolve_scorecards(
    kpis: KpiInputsLike | None, config: AnalysisConfig = DEFAULT_CONFIG
) -> Scorecards:
    """The scorecards of a run; everybody on the default scorecard when `kpis` is None.

    KPIs of a custom scorecard are listed in kpi_id order, so the result does not depend on
    the input's row order. Raises AnalysisError for unknown KPIs, bad weights or directions
    and duplicate (job_title, kpi_id) rows."""
    default = default_scorecard(config)
    if kpis is None or kpis.scorecards is None or kpis.scorecards.empty:
        return Scorecards(default)
    _require(kpis.scorecards, SCORECARD_COLUMNS, "scorecards")
    _require(kpis.kpis, KPI_COLUMNS, "kpis")
    direction = dict(
        zip(kpis.kpis["kpi_id"].astype(str), kpis.kpis["direction"].astype(str), strict=True)
    )
    for kpi_id, value in direction.items():
        if kpi_id not in BUILTIN_COLUMNS and value not in (HIGHER_IS_BETTER, LOWER_IS_BETTER):
            raise AnalysisError(f"KPI {kpi_id!r} has an unknown direction {value!r}")
    rows = kpis.scorecards.loc[:, list(SCORECARD_COLUMNS)].astype({"job_title": str, "kpi_id": str})
    if rows.duplicated(["job_title", "kpi_id"]).any():
        raise AnalysisError("scorecards has more than one row for some (job_title, kpi_id)")
    cards: dict[str, Scorecard] = {}
    for title, part in rows.sort_values(["job_title", "kpi_id"]).groupby("job_title", sort=True):
        ids = tuple(part["kpi_id"])
        unknown = [k for k in ids if k not in BUILTIN_COLUMNS and k not in direction]
        if unknown:
            raise AnalysisError(f"scorecard {title!r} uses unknown KPI(s): {', '.join(unknown)}")
        weights = tuple(float(w) for w in pd.to_numeric(part["weight"]))
        if not all(math.isfinite(w) and w > 0 for w in weights):
            raise AnalysisError(f"scorecard {title!r} needs finite, positive weights")
        lower = tuple(k not in BUILTIN_COLUMNS and direction[k] == LOWER_IS_BETTER for k in ids)
        cards[str(title)] = Scorecard(str(title), ids, weights, lower)
    return Scorecards(default, cards)


def window_values(kpis: KpiInputsLike | None, window: int) -> pd.DataFrame:
    """The window's custom KPI values as a frame indexed by employee_id, one column per KPI."""
    if kpis is None or kpis.values is None or kpis.values.empty:
        return pd.DataFrame(index=pd.Index([], name="employee_id", dtype=object))
    _require(kpis.values, VALUE_COLUMNS, "KPI values")
    values = kpis.values
    part = values.loc[pd.to_numeric(values["window"]).to_numpy() == window]
    part = pd.DataFrame(
        {
            "employee_id": part["employee_id"].astype(str),
            "kpi_id": part["kpi_id"].astype(str),
            "value": pd.to_numeric(part["value"]).astype(np.float64),
        }
    )
    if part.duplicated(["employee_id", "kpi_id"]).any():
        raise AnalysisError(f"KPI values of window {window} repeat some (employee_id, kpi_id)")
    if not np.isfinite(part["value"].to_numpy()).all():
        raise AnalysisError("KPI values must be finite numbers")
    return part.pivot(index="employee_id", columns="kpi_id", values="value")


@dataclass
class ScoredWindow:
    """A window scored by scorecards: `frame` is the input with `scorecard`, the task score
    columns, the custom KPI value / normalised columns, `score` and (optionally) `flags`;
    `scales[key]` is (raw_min, raw_max) of each scorecard present."""

    frame: pd.DataFrame
    scales: dict[str | None, tuple[float, float]]


def score_scorecards(
    frame: pd.DataFrame,
    scorecards: Scorecards,
    values: pd.DataFrame,
    config: AnalysisConfig = DEFAULT_CONFIG,
    *,
    with_flags: bool = True,
) -> ScoredWindow:
    """Score every row of one window by its scorecard (see the module docstring).

    `values` is `window_values(...)` of the same window. Rows keep their order and index."""
    keys = scorecards.keys_of(frame["job_title"])
    n = len(frame)
    columns: dict[str, np.ndarray] = {c: np.full(n, np.nan) for c in TASK_SCORE_COLUMNS}
    for kpi in scorecards.custom_kpi_ids:
        columns[value_column(kpi)] = np.full(n, np.nan)
        columns[normalised_column(kpi)] = np.full(n, np.nan)
    columns["score"] = np.full(n, np.nan)
    flags: list[list[str]] = [[] for _ in range(n)] if with_flags else []
    task_rows = np.zeros(n, dtype=bool)
    scales: dict[str | None, tuple[float, float]] = {}

    for key in _present_keys(keys):
        card = scorecards.get(key)
        rows = np.flatnonzero(_is_key(keys, key))
        part = frame.iloc[rows]
        scored, raw, part_flags = _score_card(part, card, values, config, with_flags)
        for name, column in scored.items():
            columns[name][rows] = column
        if card.uses_tasks:
            task_rows[rows] = True
        if with_flags:
            for row, row_flags in zip(rows.tolist(), part_flags, strict=True):
                flags[row] = row_flags
        scales[key] = (float(raw.min()), float(raw.max()))

    out = frame.assign(scorecard=pd.Series(keys, index=frame.index, dtype=object), **columns)
    if not task_rows.all():
        # A KPI-only person has no task numbers (nullable integers keep the others whole).
        for name in ("total_tasks", "completed_tasks"):
            counts = pd.to_numeric(out[name]).round().astype("Int64")
            out[name] = counts.mask(~task_rows)
        out["hours_logged"] = pd.to_numeric(out["hours_logged"]).mask(~task_rows)
    if with_flags:
        out["flags"] = flags
    return ScoredWindow(out, scales)


def _present_keys(keys: np.ndarray) -> list[str | None]:
    """The scorecards present, default first, then by job title."""
    present = sorted({k for k in keys.tolist() if k is not None})
    return ([None] if any(k is None for k in keys.tolist()) else []) + present


def _is_key(keys: np.ndarray, key: str | None) -> np.ndarray:
    return pd.isna(keys) if key is None else (keys == key)


def _score_card(
    part: pd.DataFrame,
    card: Scorecard,
    values: pd.DataFrame,
    config: AnalysisConfig,
    with_flags: bool,
) -> tuple[dict[str, np.ndarray], np.ndarray, list[list[str]]]:
    """Columns, raw scores and flags of the rows sharing one scorecard."""
    columns: dict[str, np.ndarray] = {}
    n = len(part)
    flags: list[list[str]] = [[] for _ in range(n)]
    task_score = None
    if card.uses_tasks:
        tasks = score_window(part, config, with_flags=with_flags)
        columns |= {c: tasks[c].to_numpy(dtype=np.float64) for c in TASK_SCORE_COLUMNS}
        task_score = tasks["score"].to_numpy(dtype=np.float64)
        if with_flags:
            flags = list(tasks["flags"])
    groups = _peer_groups(part, config)
    ids = part["employee_id"].astype(str)
    for kpi, lower in zip(card.kpi_ids, card.lower_is_better, strict=True):
        if kpi in BUILTIN_COLUMNS:
            continue
        raw_values = (
            values[kpi].reindex(ids).to_numpy(dtype=np.float64)
            if kpi in values.columns
            else np.full(n, np.nan)
        )
        missing = np.isnan(raw_values)
        filled = impute_peer_median(raw_values, groups)
        scaled = min_max_by_group(filled, groups, config.clip_quantiles)
        columns[value_column(kpi)] = filled
        columns[normalised_column(kpi)] = 1.0 - scaled if lower else scaled
        if with_flags and missing.any():
            flag = imputed_flag(kpi)
            for row in np.flatnonzero(missing).tolist():
                flags[row] = [*flags[row], flag]

    if card.job_title is None:
        raw = weighted_sum(
            columns["completion_rate"], columns["task_efficiency"], columns["throughput"], config
        )
        columns["score"] = task_score
    else:
        weights = np.asarray(card.weights, dtype=np.float64)
        matrix = np.column_stack([columns[normalised_column(k)] for k in card.kpi_ids])
        raw = matrix @ weights / weights.sum()
        columns["score"] = min_max(raw) * 100.0
    return columns, raw, flags


def impute_peer_median(values: np.ndarray, groups: np.ndarray | None) -> np.ndarray:
    """Missing values become the median of the known values of their peer group, else of
    everybody; 0 when nobody has one (a constant, which normalises to 0)."""
    x = np.asarray(values, dtype=np.float64).copy()
    missing = np.isnan(x)
    if not missing.any():
        return x
    if missing.all():
        return np.zeros_like(x)
    if groups is not None:
        peer = pd.Series(x).groupby(groups).transform("median").to_numpy()
        x = np.where(missing & ~np.isnan(peer), peer, x)
    x[np.isnan(x)] = float(np.median(x[~missing]))
    return x


def kpi_breakdown(
    scored: pd.DataFrame,
    scorecards: Scorecards,
    scales: dict[str | None, tuple[float, float]],
) -> list[list[dict[str, Any]]]:
    """Per row, its scorecard's KPIs in order as {"kpi_id", "value", "normalised", "weight",
    "points"}; with the baseline -100 * raw_min / (raw_max - raw_min) the points add up to
    the score (see analytics.explanations.kpi_points)."""
    out: list[list[dict[str, Any]]] = [[] for _ in range(len(scored))]
    with gc_paused():
        for card, rows, value, normalised, points in _kpi_parts(scored, scorecards, scales):
            for row, vs, ns, ps in zip(
                rows.tolist(), value.tolist(), normalised.tolist(), points.tolist(), strict=True
            ):
                out[row] = [
                    {"kpi_id": k, "value": v, "normalised": m, "weight": w, "points": p}
                    for k, w, v, m, p in zip(card.kpi_ids, card.weights, vs, ns, ps, strict=True)
                ]
    return out


def kpi_breakdown_json(
    scored: pd.DataFrame,
    scorecards: Scorecards,
    scales: dict[str | None, tuple[float, float]],
) -> list[str]:
    """`kpi_breakdown` as each row's JSON text (a missing value is null), built without a
    dict per KPI and row."""
    out = ["[]"] * len(scored)
    for card, rows, value, normalised, points in _kpi_parts(scored, scorecards, scales):
        # A chunk of rows at a time: each number's text is a str of its own until the
        # row's text is made.
        for start in range(0, len(rows), JSON_CHUNK_ROWS):
            part = slice(start, start + JSON_CHUNK_ROWS)
            entries = [
                {
                    "kpi_id": scalar_json(kpi_id),
                    "value": numbers_json(value[part, j]),
                    "normalised": numbers_json(normalised[part, j]),
                    "weight": scalar_json(weight),
                    "points": numbers_json(points[part, j]),
                }
                for j, (kpi_id, weight) in enumerate(zip(card.kpi_ids, card.weights, strict=True))
            ]
            texts = object_lists(entries, len(rows[part]))
            for row, text in zip(rows[part].tolist(), texts, strict=True):
                out[row] = text
    return out


def _kpi_parts(
    scored: pd.DataFrame,
    scorecards: Scorecards,
    scales: dict[str | None, tuple[float, float]],
) -> Iterator[tuple[Scorecard, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Per scorecard present: its card, its rows, and their (rows x KPIs) values,
    normalised values and points."""
    keys = scored["scorecard"].to_numpy(dtype=object)
    for key in _present_keys(keys):
        card = scorecards.get(key)
        rows = np.flatnonzero(_is_key(keys, key))
        raw_min, raw_max = scales[key]
        span = raw_max - raw_min
        total = sum(card.weights)
        scale = 100.0 / (span * total) if span > 0 else 0.0
        value = np.column_stack([_floats(scored, value_column(k))[rows] for k in card.kpi_ids])
        normalised = np.column_stack(
            [_floats(scored, normalised_column(k))[rows] for k in card.kpi_ids]
        )
        yield card, rows, value, normalised, normalised * (scale * np.asarray(card.weights))


def _floats(frame: pd.DataFrame, column: str) -> np.ndarray:
    return frame[column].to_numpy(dtype=np.float64, na_value=np.nan)


def _peer_groups(frame: pd.DataFrame, config: AnalysisConfig) -> np.ndarray | None:
    if config.peer_group is None or config.peer_group not in frame.columns:
        return None
    return frame[config.peer_group].astype(str).to_numpy()


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise AnalysisError(f"{what} is missing column(s): {', '.join(missing)}")
