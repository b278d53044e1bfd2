"""Scores and skills as integer-coded arrays, and the skill-coverage primitives that team
composition, the rebalancing search and proposal evaluation all build on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.config import TIER_NAMES
from analytics.errors import AnalysisError

SCORES_COLUMNS = ("employee_id", "department", "team", "job_title", "score", "total_tasks", "tier")
HIGH, MEDIUM, LOW = range(3)


@dataclass
class Population:
    """Scores as integer-coded arrays (rows sorted by employee_id) plus skills in CSR form."""

    employee_ids: np.ndarray  # object, sorted
    team: np.ndarray  # team code per row; team_names is sorted, so codes follow names
    team_names: np.ndarray
    team_department: np.ndarray  # per team code
    tier: np.ndarray  # HIGH / MEDIUM / LOW per row
    score: np.ndarray
    workload: np.ndarray  # 1.0 (the department median) for people without task records
    measured: np.ndarray  # per row: whether the workload was measured
    title: np.ndarray  # code into req_ptr, -1 for titles without requirements
    skills: np.ndarray  # required skill names, sorted (codes follow names)
    req_ptr: np.ndarray
    req_skill: np.ndarray
    req_level: np.ndarray
    has_ptr: np.ndarray  # per row
    has_skill: np.ndarray
    has_level: np.ndarray


def prepare(
    scores: pd.DataFrame, employee_skills: pd.DataFrame, requirements: pd.DataFrame
) -> Population:
    missing = [c for c in SCORES_COLUMNS if c not in scores.columns]
    if missing:
        raise AnalysisError(f"scores is missing column(s): {', '.join(missing)}")
    ids = scores["employee_id"].astype(str)
    if not ids.is_monotonic_increasing:
        order = np.argsort(ids.to_numpy(dtype=object).astype(np.dtypes.StringDType()))
        scores, ids = scores.iloc[order], ids.iloc[order]
    if ids.duplicated().any():
        raise AnalysisError("scores has more than one row for some employee_id")
    team, team_names = pd.factorize(scores["team"].astype(str), sort=True)
    department, department_names = pd.factorize(scores["department"].astype(str), sort=True)
    tier = pd.Index(TIER_NAMES).get_indexer(scores["tier"])
    if (tier < 0).any():
        raise AnalysisError(f"tier must be one of {', '.join(TIER_NAMES)}")

    # The team's department is its members' most common one (ties: first name).
    pairs = pd.DataFrame({"team": team, "department": department})
    counts = pairs.value_counts().reset_index(name="count")
    counts = counts.sort_values(["team", "count", "department"], ascending=[True, False, True])
    team_department = department_names.to_numpy(dtype=object)[
        counts.drop_duplicates("team")["department"].to_numpy()
    ]

    # People scored on KPIs alone have no tasks to count: they neither weigh on nor relieve
    # their team's workload, so they count as the department median.
    total = scores["total_tasks"].to_numpy(dtype=np.float64, na_value=np.nan)
    measured = ~np.isnan(total)
    median = pd.Series(total).groupby(department).transform("median").to_numpy()
    workload = np.divide(total, median, out=np.ones_like(total), where=measured & (median != 0))

    req = requirements.loc[:, ["job_title", "skill", "required_level"]].dropna()
    skills = np.array(sorted(req["skill"].astype(str).unique()), dtype=object)
    titles, title_names = pd.factorize(req["job_title"].astype(str), sort=True)
    order = np.argsort(titles, kind="stable")
    req_skill = pd.Index(skills).get_indexer(req["skill"].astype(str))[order]
    req_level = req["required_level"].to_numpy(dtype=np.int64)[order]
    req_ptr = np.r_[0, np.cumsum(np.bincount(titles, minlength=len(title_names)))]
    title = pd.Index(title_names).get_indexer(scores["job_title"].astype(str))

    rows = pd.Index(ids).get_indexer(employee_skills["employee_id"].astype(str))
    skill = pd.Index(skills).get_indexer(employee_skills["skill"].astype(str))
    level = pd.to_numeric(employee_skills["level"], errors="coerce").to_numpy(dtype=np.float64)
    keep = (rows >= 0) & (skill >= 0) & ~np.isnan(level)  # only required skills matter
    rows, skill, level = rows[keep], skill[keep], level[keep].astype(np.int64)
    order = np.argsort(rows, kind="stable")
    has_ptr = np.r_[0, np.cumsum(np.bincount(rows, minlength=len(ids)))]

    return Population(
        employee_ids=ids.to_numpy(dtype=object),
        team=team.astype(np.int64),
        team_names=team_names.to_numpy(dtype=object),
        team_department=team_department,
        tier=tier.astype(np.int64),
        score=scores["score"].to_numpy(dtype=np.float64),
        workload=workload,
        measured=measured,
        title=title.astype(np.int64),
        skills=skills,
        req_ptr=req_ptr,
        req_skill=req_skill.astype(np.int64),
        req_level=req_level,
        has_ptr=has_ptr,
        has_skill=skill[order],
        has_level=level[order],
    )


def expand(ptr: np.ndarray, which: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the CSR entries of `which` and, for each, its index in `which`."""
    counts = ptr[which + 1] - ptr[which]
    owner = np.repeat(np.arange(len(which)), counts)
    before = np.cumsum(counts) - counts
    positions = np.repeat(ptr[which] - before, counts) + np.arange(counts.sum())
    return positions, owner


def max_by_key(key: np.ndarray, value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if len(key) == 0:
        return key, value
    order = np.argsort(key, kind="stable")
    key, value = key[order], value[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    return key[starts], np.maximum.reduceat(value, starts)


def group_coverage(
    pop: Population, rows: np.ndarray, group: np.ndarray, n_groups: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Required and covered skill counts of groups of members (row `rows[i]` in group
    `group[i]`), and the sorted (group, skill code) keys of the missing skills."""
    n_skills = max(len(pop.skills), 1)
    n_titles = len(pop.req_ptr) - 1
    titled = pop.title[rows] >= 0
    group_titles = np.unique(group[titled] * max(n_titles, 1) + pop.title[rows][titled])
    owner_group, owner_title = np.divmod(group_titles, max(n_titles, 1))
    positions, owner = expand(pop.req_ptr, owner_title)
    need_key, need_level = max_by_key(
        owner_group[owner] * n_skills + pop.req_skill[positions], pop.req_level[positions]
    )
    positions, owner = expand(pop.has_ptr, rows)
    have_key, have_level = max_by_key(
        group[owner] * n_skills + pop.has_skill[positions], pop.has_level[positions]
    )
    at = np.minimum(np.searchsorted(have_key, need_key), max(len(have_key) - 1, 0))
    covered = np.zeros(len(need_key), dtype=bool)
    if len(have_key):
        covered = (have_key[at] == need_key) & (have_level[at] >= need_level)
    need_group = need_key // n_skills
    required = np.bincount(need_group, minlength=n_groups)
    return required, np.bincount(need_group[covered], minlength=n_groups), need_key[~covered]


def coverage_ratio(required: np.ndarray, covered: np.ndarray) -> np.ndarray:
    return np.divide(covered, required, out=np.ones(len(required)), where=required > 0)
