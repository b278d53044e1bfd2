"""Team composition (tier mix, skill coverage, workload balance) and the department
imbalance objective, which the rebalancing search lowers and proposal evaluation reports.

Metrics per team (`team_composition`):
- tier mix: members per tier;
- skill coverage: the team requires every skill any member's job title requires, at the
  highest level any member's title requires it; a skill is covered when at least one member
  holds it at that level; coverage = covered / required (1.0 when nothing is required);
- workload: each member's total_tasks over the median total_tasks of their department
  (1.0 everywhere in a department whose median is 0); the team's mean and its coefficient
  of variation (population std / mean, 0 when the mean is 0).

Department imbalance (lower is better), over the department's teams t with n_t members,
high_t / low_t High / Low members, N = Σ n_t, H = Σ high_t, L = Σ low_t:
    tier_imbalance     = Σ_t (n_t/N)·(|high_t/n_t − H/N| + |low_t/n_t − L/N|)
    coverage_gap       = mean_t (1 − skill_coverage_t)
    workload_imbalance = Σ_t (n_t/N)·|average_workload_t − department mean workload|
    imbalance          = tier_imbalance + coverage_gap + workload_imbalance
Each is 0 for a perfectly balanced department and of order 1 for a badly unbalanced one
(a team with all the High and another with all the Low performers: tier_imbalance 1; no
required skill covered: coverage_gap 1; a team at twice the department's mean workload and
one at zero: workload_imbalance 1), so they are summed with equal weights. Moves inside a
department change neither N, H, L nor the department's mean workload, so the objective is a
sum of per-team terms and a change touching two teams only changes those two terms.

Worked example: teams A = (High, High, Low) and B = (Medium, Low, Low); total_tasks
A = (10, 20, 30), B = (30, 40, 50), so the department median is 30 and A's mean workload
is 2/3, B's 4/3, the department's 1; A covers all of its required skills, B half of them.
N = 6, H/N = 1/3, L/N = 1/2:
    tier_imbalance     = ½·(|2/3 − 1/3| + |1/3 − 1/2|) + ½·(|0 − 1/3| + |2/3 − 1/2|) = 1/2
    coverage_gap       = (0 + ½) / 2                                                  = 1/4
    workload_imbalance = ½·|2/3 − 1| + ½·|4/3 − 1|                                    = 1/3
    imbalance          = 13/12 ≈ 1.0833
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.teams.population import (
    HIGH,
    LOW,
    MEDIUM,
    Population,
    coverage_ratio,
    group_coverage,
    prepare,
)

TEAM_COMPOSITION_COLUMNS = (
    "team",
    "department",
    "members",
    "tier_high",
    "tier_medium",
    "tier_low",
    "average_score",
    "required_skills",
    "covered_skills",
    "skill_coverage",
    "missing_skills",
    "average_workload",
    "workload_cv",
)
OBJECTIVE_PARTS = ("tier_imbalance", "coverage_gap", "workload_imbalance", "imbalance")


def composition_of(pop: Population, rows: np.ndarray, team: np.ndarray) -> pd.DataFrame:
    """team_composition of members `rows` placed in teams `team` (codes), sorted by team."""
    codes, group = np.unique(team, return_inverse=True)
    n_groups = len(codes)
    members = np.bincount(group, minlength=n_groups)
    tiers = np.bincount(group * 3 + pop.tier[rows], minlength=3 * n_groups).reshape(-1, 3)
    workload = pop.workload[rows]
    mean_workload = np.bincount(group, weights=workload, minlength=n_groups) / members
    deviation = (workload - mean_workload[group]) ** 2
    std = np.sqrt(np.bincount(group, weights=deviation, minlength=n_groups) / members)
    # A team none of whose members has task records has no workload to report.
    unmeasured = np.bincount(group, weights=pop.measured[rows], minlength=n_groups) == 0
    required, covered, missing_keys = group_coverage(pop, rows, group, n_groups)
    n_skills = max(len(pop.skills), 1)
    missing_group, missing_skill = np.divmod(missing_keys, n_skills)
    missing: list[list[str]] = [[] for _ in range(n_groups)]
    if len(missing_keys):
        starts = np.flatnonzero(np.r_[True, missing_group[1:] != missing_group[:-1]])
        names = np.split(pop.skills[missing_skill], starts[1:])
        for g, part in zip(missing_group[starts].tolist(), names, strict=True):
            missing[g] = part.tolist()
    return pd.DataFrame(
        {
            "team": pop.team_names[codes],
            "department": pop.team_department[codes],
            "members": members,
            "tier_high": tiers[:, HIGH],
            "tier_medium": tiers[:, MEDIUM],
            "tier_low": tiers[:, LOW],
            "average_score": np.bincount(group, weights=pop.score[rows], minlength=n_groups)
            / members,
            "required_skills": required,
            "covered_skills": covered,
            "skill_coverage": coverage_ratio(required, covered),
            "missing_skills": pd.Series(missing, dtype=object),
            "average_workload": np.where(unmeasured, np.nan, mean_workload),
            "workload_cv": np.where(
                unmeasured,
                np.nan,
                np.divide(std, mean_workload, out=np.zeros(n_groups), where=mean_workload != 0),
            ),
        }
    ).loc[:, list(TEAM_COMPOSITION_COLUMNS)]


def team_composition(
    scores: pd.DataFrame, employee_skills: pd.DataFrame, requirements: pd.DataFrame
) -> pd.DataFrame:
    """One row per team (columns TEAM_COMPOSITION_COLUMNS, sorted by team): tier mix, skill
    coverage against the members' titles' requirements and workload (see module docstring)."""
    return population_composition(prepare(scores, employee_skills, requirements))


def population_composition(pop: Population) -> pd.DataFrame:
    """`team_composition` of a prepared population."""
    return composition_of(pop, np.arange(len(pop.team)), pop.team)


def department_imbalance(
    members: np.ndarray,
    tier_high: np.ndarray,
    tier_low: np.ndarray,
    workload_sum: np.ndarray,
    skill_coverage: np.ndarray,
    measured: bool = True,
) -> dict[str, float | None]:
    """The objective of one department from its teams' arrays (see module docstring).
    Without any measured workload, workload_imbalance is None (and adds nothing)."""
    n = members.sum()
    high_share, low_share = tier_high.sum() / n, tier_low.sum() / n
    mean_workload = workload_sum.sum() / n
    tier = (
        np.abs(tier_high - members * high_share).sum()
        + np.abs(tier_low - members * low_share).sum()
    ) / n
    gap = float(np.mean(1.0 - skill_coverage))
    workload = np.abs(workload_sum - members * mean_workload).sum() / n
    parts = (float(tier), gap, float(workload) if measured else None)
    total = float(tier) + gap + float(workload)
    return dict(zip(OBJECTIVE_PARTS, (*parts, total), strict=True))


def objective_of(composition: pd.DataFrame) -> dict[str, float | None]:
    average = composition["average_workload"].astype("float64")
    members = composition["members"].to_numpy()
    return department_imbalance(
        members,
        composition["tier_high"].to_numpy(),
        composition["tier_low"].to_numpy(),
        (average.fillna(1.0).to_numpy() * members),  # unmeasured teams: the median
        composition["skill_coverage"].to_numpy(),
        measured=bool(average.notna().any()),
    )
