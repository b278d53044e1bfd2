"""Team composition (tier mix, skill coverage, workload balance) and rebalancing suggestions.

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

Suggestions (`suggest_changes`) are a greedy *sequence* per department with at least two
teams: each one is the best single move or swap on the composition left by the previous
suggestions of the department, its imbalance_before/after measured exactly on that
composition. Moves keep both teams within [min_team_size, max_team_size]; swaps keep sizes;
managers (team leads) are never moved. The sequence stops after suggestions_per_department
or when the best improvement is below MIN_IMPROVEMENT·2/T (T = the department's teams):
the objective averages over teams and one change touches two of them, so an absolute
threshold would never let a department of 10,000 teams improve.

Candidate bound per step: for each of four imbalances (High, Medium, Low share and
workload) the CANDIDATE_TEAMS (16) teams with the largest excess are paired with the 16 with
the largest deficit, and each of the 16 teams with the lowest coverage is paired with up to
HOLDER_TEAMS (4) teams holding each of its missing skills at the required level: at most
4·16² + 16·4·(missing skills per team) team pairs, each with its non-manager members' moves
(≤ max_team_size) and swaps (≤ max_team_size²): about 200k candidates per step whatever
the department's size. Every candidate's change of the objective is exact and vectorised:
tier and workload terms in closed form from the team counts, coverage from per-team
(skill → highest level, how many members reach it, runner-up level) tables, which give the
levels of "team minus one member plus another" without revisiting the members. The
imbalance reported after a change is recomputed with the composition code.

Objective values in `evaluate_proposal` are rounded to 6 decimals, not 4: one move in a
department of 100,000 people changes its imbalance by about 1e-5.

`evaluate_proposal` applies a list of moves together and reports the same metrics and
objective before and after, for the departments and teams involved.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analytics.config import DEFAULT_INSIGHTS, TIER_NAMES, InsightsConfig
from analytics.errors import AnalysisError

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
TEAM_SUGGESTION_COLUMNS = (
    "department",
    "rank",
    "kind",
    "employee_id",
    "from_team",
    "to_team",
    "other_employee_id",
    "imbalance_before",
    "imbalance_after",
    "details",
)
SCORES_COLUMNS = ("employee_id", "department", "team", "job_title", "score", "total_tasks", "tier")
OBJECTIVE_PARTS = ("tier_imbalance", "coverage_gap", "workload_imbalance", "imbalance")
MIN_IMPROVEMENT = 1e-3
CANDIDATE_TEAMS = 16
HOLDER_TEAMS = 4
CHUNK = 50_000  # candidates evaluated at once: bounds the dense member x skill arrays
HIGH, MEDIUM, LOW = range(3)


class ProposalError(ValueError):
    """A proposed composition cannot be evaluated; `problems` locates every bad move."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(p["reason"] for p in problems))
        self.problems = problems


@dataclass
class _Population:
    """Scores as integer-coded arrays (rows sorted by employee_id) plus skills in CSR form."""

    employee_ids: np.ndarray  # object, sorted
    team: np.ndarray  # team code per row; team_names is sorted, so codes follow names
    team_names: np.ndarray
    team_department: np.ndarray  # per team code
    tier: np.ndarray  # HIGH / MEDIUM / LOW per row
    score: np.ndarray
    workload: np.ndarray
    title: np.ndarray  # code into req_ptr, -1 for titles without requirements
    skills: np.ndarray  # required skill names, sorted (codes follow names)
    req_ptr: np.ndarray
    req_skill: np.ndarray
    req_level: np.ndarray
    has_ptr: np.ndarray  # per row
    has_skill: np.ndarray
    has_level: np.ndarray


def _prepare(
    scores: pd.DataFrame, employee_skills: pd.DataFrame, requirements: pd.DataFrame
) -> _Population:
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

    total = scores["total_tasks"].to_numpy(dtype=np.float64)
    median = pd.Series(total).groupby(department).transform("median").to_numpy()
    workload = np.divide(total, median, out=np.ones_like(total), where=median != 0)

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

    return _Population(
        employee_ids=ids.to_numpy(dtype=object),
        team=team.astype(np.int64),
        team_names=team_names.to_numpy(dtype=object),
        team_department=team_department,
        tier=tier.astype(np.int64),
        score=scores["score"].to_numpy(dtype=np.float64),
        workload=workload,
        title=title.astype(np.int64),
        skills=skills,
        req_ptr=req_ptr,
        req_skill=req_skill.astype(np.int64),
        req_level=req_level,
        has_ptr=has_ptr,
        has_skill=skill[order],
        has_level=level[order],
    )


def _expand(ptr: np.ndarray, which: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the CSR entries of `which` and, for each, its index in `which`."""
    counts = ptr[which + 1] - ptr[which]
    owner = np.repeat(np.arange(len(which)), counts)
    before = np.cumsum(counts) - counts
    positions = np.repeat(ptr[which] - before, counts) + np.arange(counts.sum())
    return positions, owner


def _max_by_key(key: np.ndarray, value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if len(key) == 0:
        return key, value
    order = np.argsort(key, kind="stable")
    key, value = key[order], value[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    return key[starts], np.maximum.reduceat(value, starts)


def _group_coverage(
    pop: _Population, rows: np.ndarray, group: np.ndarray, n_groups: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Required and covered skill counts of groups of members (row `rows[i]` in group
    `group[i]`), and the sorted (group, skill code) keys of the missing skills."""
    n_skills = max(len(pop.skills), 1)
    n_titles = len(pop.req_ptr) - 1
    titled = pop.title[rows] >= 0
    group_titles = np.unique(group[titled] * max(n_titles, 1) + pop.title[rows][titled])
    owner_group, owner_title = np.divmod(group_titles, max(n_titles, 1))
    positions, owner = _expand(pop.req_ptr, owner_title)
    need_key, need_level = _max_by_key(
        owner_group[owner] * n_skills + pop.req_skill[positions], pop.req_level[positions]
    )
    positions, owner = _expand(pop.has_ptr, rows)
    have_key, have_level = _max_by_key(
        group[owner] * n_skills + pop.has_skill[positions], pop.has_level[positions]
    )
    at = np.minimum(np.searchsorted(have_key, need_key), max(len(have_key) - 1, 0))
    covered = np.zeros(len(need_key), dtype=bool)
    if len(have_key):
        covered = (have_key[at] == need_key) & (have_level[at] >= need_level)
    need_group = need_key // n_skills
    required = np.bincount(need_group, minlength=n_groups)
    return required, np.bincount(need_group[covered], minlength=n_groups), need_key[~covered]


def _coverage(required: np.ndarray, covered: np.ndarray) -> np.ndarray:
    return np.divide(covered, required, out=np.ones(len(required)), where=required > 0)


def _composition(pop: _Population, rows: np.ndarray, team: np.ndarray) -> pd.DataFrame:
    """team_composition of members `rows` placed in teams `team` (codes), sorted by team."""
    codes, group = np.unique(team, return_inverse=True)
    n_groups = len(codes)
    members = np.bincount(group, minlength=n_groups)
    tiers = np.bincount(group * 3 + pop.tier[rows], minlength=3 * n_groups).reshape(-1, 3)
    workload = pop.workload[rows]
    mean_workload = np.bincount(group, weights=workload, minlength=n_groups) / members
    deviation = (workload - mean_workload[group]) ** 2
    std = np.sqrt(np.bincount(group, weights=deviation, minlength=n_groups) / members)
    required, covered, missing_keys = _group_coverage(pop, rows, group, n_groups)
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
            "skill_coverage": _coverage(required, covered),
            "missing_skills": pd.Series(missing, dtype=object),
            "average_workload": mean_workload,
            "workload_cv": np.divide(
                std, mean_workload, out=np.zeros(n_groups), where=mean_workload != 0
            ),
        }
    ).loc[:, list(TEAM_COMPOSITION_COLUMNS)]


def team_composition(
    scores: pd.DataFrame, employee_skills: pd.DataFrame, requirements: pd.DataFrame
) -> pd.DataFrame:
    """One row per team (columns TEAM_COMPOSITION_COLUMNS, sorted by team): tier mix, skill
    coverage against the members' titles' requirements and workload (see module docstring)."""
    pop = _prepare(scores, employee_skills, requirements)
    return _composition(pop, np.arange(len(pop.team)), pop.team)


def department_imbalance(
    members: np.ndarray,
    tier_high: np.ndarray,
    tier_low: np.ndarray,
    workload_sum: np.ndarray,
    skill_coverage: np.ndarray,
) -> dict[str, float]:
    """The objective of one department from its teams' arrays (see module docstring)."""
    n = members.sum()
    high_share, low_share = tier_high.sum() / n, tier_low.sum() / n
    mean_workload = workload_sum.sum() / n
    tier = (
        np.abs(tier_high - members * high_share).sum()
        + np.abs(tier_low - members * low_share).sum()
    ) / n
    gap = float(np.mean(1.0 - skill_coverage))
    workload = np.abs(workload_sum - members * mean_workload).sum() / n
    parts = (float(tier), gap, float(workload))
    return dict(zip(OBJECTIVE_PARTS, (*parts, sum(parts)), strict=True))


def _objective_of(composition: pd.DataFrame) -> dict[str, float]:
    return department_imbalance(
        composition["members"].to_numpy(),
        composition["tier_high"].to_numpy(),
        composition["tier_low"].to_numpy(),
        (composition["average_workload"] * composition["members"]).to_numpy(),
        composition["skill_coverage"].to_numpy(),
    )


@dataclass
class _Change:
    """One candidate move (partner -1) or swap, in department-local indices."""

    delta: float
    mover: int
    partner: int
    source: int
    sink: int


class _Department:
    """Mutable state of one department's teams while suggestions are applied.

    Besides the team counts it keeps, per team and skill, the highest required level and
    the highest level held, how many members reach it and the runner-up level, so the
    coverage of "team minus one member plus another" is exact without revisiting members.
    """

    def __init__(self, pop: _Population, teams: np.ndarray, managers: np.ndarray) -> None:
        self.pop = pop
        self.teams = teams  # global team codes, sorted
        local = np.full(len(pop.team_names), -1)
        local[teams] = np.arange(len(teams))
        rows = np.flatnonzero(local[pop.team] >= 0)
        self.rows = rows
        self.team = local[pop.team[rows]]  # local team per member
        self.movable = ~managers[rows]
        self.tier = pop.tier[rows]
        self.workload = pop.workload[rows]
        t = len(teams)
        self.n = np.bincount(self.team, minlength=t).astype(np.float64)
        self.high = np.bincount(self.team[self.tier == HIGH], minlength=t).astype(np.float64)
        self.low = np.bincount(self.team[self.tier == LOW], minlength=t).astype(np.float64)
        self.med = self.n - self.high - self.low
        self.work = np.bincount(self.team, weights=self.workload, minlength=t)
        required, covered, _ = _group_coverage(pop, rows, self.team, t)
        self.coverage = _coverage(required, covered)
        order = np.argsort(self.team, kind="stable")
        bounds = np.searchsorted(self.team[order], np.arange(t + 1))
        self.members = [order[bounds[i] : bounds[i + 1]].tolist() for i in range(t)]
        total = self.n.sum()
        self.shares = (self.high.sum() / total, self.low.sum() / total)
        self.mean_workload = self.work.sum() / total

        # Dense member x skill levels over the skills the department's titles require.
        titles = np.unique(pop.title[rows])
        titles = titles[titles >= 0]
        positions, owner = _expand(pop.req_ptr, titles)
        skills = np.unique(pop.req_skill[positions])
        to_local = np.full(max(len(pop.skills), 1), -1)
        to_local[skills] = np.arange(len(skills))
        # One row per title plus a last, empty one that title -1 (no requirements) picks.
        title_need = np.zeros((len(pop.req_ptr), len(skills)), dtype=np.int8)
        np.maximum.at(
            title_need,
            (titles[owner], to_local[pop.req_skill[positions]]),
            pop.req_level[positions].astype(np.int8),
        )
        self.need = title_need[pop.title[rows]]
        positions, owner = _expand(pop.has_ptr, rows)
        skill = to_local[pop.has_skill[positions]]
        held = skill >= 0
        self.have = np.zeros((len(rows), len(skills)), dtype=np.int8)
        np.maximum.at(
            self.have,
            (owner[held], skill[held]),
            np.clip(pop.has_level[positions][held], 0, 127).astype(np.int8),
        )
        shape = (t, len(skills))
        self.stats = {
            name: (np.zeros(shape, np.int8), np.zeros(shape, np.int32), np.zeros(shape, np.int8))
            for name in ("need", "have")
        }
        self._refresh(np.arange(t))

    def _refresh(self, which: np.ndarray) -> None:
        """Top level, how many members reach it, and runner-up level per (team, skill)."""
        lengths = [len(self.members[t]) for t in which]
        rows = np.concatenate([self.members[t] for t in which]).astype(np.int64)
        starts = np.r_[0, np.cumsum(lengths)[:-1]].astype(np.int64)
        group = np.repeat(np.arange(len(which)), lengths)
        for name, matrix in (("need", self.need), ("have", self.have)):
            top, count, second = self.stats[name]
            values = matrix[rows]
            top[which] = np.maximum.reduceat(values, starts, axis=0)
            is_top = values == top[which][group]
            count[which] = np.add.reduceat(is_top.astype(np.int32), starts, axis=0)
            second[which] = np.maximum.reduceat(np.where(is_top, 0, values), starts, axis=0)

    def _without(self, name: str, member: np.ndarray, team: np.ndarray) -> np.ndarray:
        """Per-skill levels of `team` once `member` has left it."""
        top, count, second = self.stats[name]
        matrix = self.need if name == "need" else self.have
        alone = (matrix[member] == top[team]) & (count[team] == 1)
        return np.where(alone, second[team], top[team])

    def objective(self) -> dict[str, float]:
        return department_imbalance(self.n, self.high, self.low, self.work, self.coverage)

    def _term(self, n, high, low, work) -> np.ndarray:
        """Per-team tier + workload term (times N): the part of the objective in closed form."""
        h, lo = self.shares
        return np.abs(high - n * h) + np.abs(low - n * lo) + np.abs(work - n * self.mean_workload)

    def team_summary(self, t: int) -> dict[str, Any]:
        return {
            "team": str(self.pop.team_names[self.teams[t]]),
            "members": int(self.n[t]),
            "tier_high": int(self.high[t]),
            "tier_medium": int(self.med[t]),
            "tier_low": int(self.low[t]),
            "skill_coverage": float(self.coverage[t]),
            "average_workload": float(self.work[t] / self.n[t]),
        }

    def candidate_pairs(self) -> np.ndarray:
        """Bounded (source, destination) local team pairs worth trying (module docstring)."""
        h, lo = self.shares
        excess = (
            self.high - self.n * h,
            self.med - self.n * (1 - h - lo),
            self.low - self.n * lo,
            self.work - self.n * self.mean_workload,
        )
        t = len(self.teams)
        pairs = [self._coverage_pairs()]
        for e in excess:
            order = np.lexsort((np.arange(t), -e))[:CANDIDATE_TEAMS]
            sources = order[e[order] > 1e-9]
            order = np.lexsort((np.arange(t), e))[:CANDIDATE_TEAMS]
            sinks = order[e[order] < -1e-9]
            pairs.append(np.stack(np.meshgrid(sources, sinks, indexing="ij"), -1).reshape(-1, 2))
        pairs = np.unique(np.concatenate(pairs), axis=0)
        return pairs[pairs[:, 0] != pairs[:, 1]]

    def _coverage_pairs(self) -> np.ndarray:
        """Teams missing the most skills, each with teams holding one of those skills."""
        gaps = 1.0 - self.coverage
        order = np.lexsort((np.arange(len(gaps)), -gaps))[:CANDIDATE_TEAMS]
        need, have = self.stats["need"][0], self.stats["have"][0]
        pairs = []
        for team in order[gaps[order] > 0]:
            for skill in np.flatnonzero(have[team] < need[team]):
                found = np.flatnonzero(have[:, skill] >= need[team, skill])[:HOLDER_TEAMS]
                pairs += [(source, team) for source in found.tolist()]
        return np.array(pairs, dtype=np.int64).reshape(-1, 2)

    def best_change(self, insights: InsightsConfig) -> _Change | None:
        """The candidate with the lowest exact delta (ties: moves first, then ids)."""
        pairs = self.candidate_pairs()
        # Both teams end within the limits, so a team below the minimum (a department
        # head's one-person "Leadership") is not filled with one person at a time.
        source_after, sink_after = self.n[pairs[:, 0]] - 1, self.n[pairs[:, 1]] + 1
        limits = (insights.min_team_size, insights.max_team_size)
        size_ok = (
            (source_after >= limits[0])
            & (source_after <= limits[1])
            & (sink_after >= limits[0])
            & (sink_after <= limits[1])
        )
        parts = []
        for source, sink, move_ok in zip(pairs[:, 0], pairs[:, 1], size_ok, strict=True):
            out = [m for m in self.members[source] if self.movable[m]]
            into = [m for m in self.members[sink] if self.movable[m]]
            if move_ok and out:
                parts.append((out, [-1] * len(out), source, sink))
            if out and into:
                parts.append((np.repeat(out, len(into)), np.tile(into, len(out)), source, sink))
        if not parts:
            return None
        mover = np.concatenate([np.asarray(p[0], dtype=np.int64) for p in parts])
        partner = np.concatenate([np.asarray(p[1], dtype=np.int64) for p in parts])
        source = np.concatenate([np.full(len(p[0]), p[2]) for p in parts])
        sink = np.concatenate([np.full(len(p[0]), p[3]) for p in parts])
        delta = np.concatenate(
            [
                self._deltas(
                    mover[i : i + CHUNK],
                    partner[i : i + CHUNK],
                    source[i : i + CHUNK],
                    sink[i : i + CHUNK],
                )
                for i in range(0, len(mover), CHUNK)
            ]
        ).round(12)
        swap = partner >= 0
        other = np.where(swap, self.rows[np.maximum(partner, 0)], -1)
        best = np.lexsort((other, self.teams[sink], self.rows[mover], swap, delta))[0]
        return _Change(
            float(delta[best]),
            int(mover[best]),
            int(partner[best]),
            int(source[best]),
            int(sink[best]),
        )

    def _deltas(self, mover, partner, source, sink) -> np.ndarray:
        """Exact change of the objective for each candidate."""
        swap = partner >= 0
        other = np.maximum(partner, 0)

        def counts(member: np.ndarray, present: np.ndarray) -> tuple[np.ndarray, ...]:
            return (
                present.astype(np.float64),
                ((self.tier[member] == HIGH) & present).astype(np.float64),
                ((self.tier[member] == LOW) & present).astype(np.float64),
                np.where(present, self.workload[member], 0.0),
            )

        gone = counts(mover, np.ones(len(mover), dtype=bool))
        came = counts(other, swap)
        arrays = (self.n, self.high, self.low, self.work)
        src_before = [a[source] for a in arrays]
        dst_before = [a[sink] for a in arrays]
        src_after = [b - g + c for b, g, c in zip(src_before, gone, came, strict=True)]
        dst_after = [b + g - c for b, g, c in zip(dst_before, gone, came, strict=True)]
        terms = (
            self._term(*src_after)
            + self._term(*dst_after)
            - self._term(*src_before)
            - self._term(*dst_before)
        ) / self.n.sum()

        in_swap = swap[:, None]
        levels = {}
        for name, matrix in (("need", self.need), ("have", self.have)):
            top = self.stats[name][0]
            source_after = self._without(name, mover, source)
            source_after = np.where(in_swap, np.maximum(source_after, matrix[other]), source_after)
            sink_base = np.where(in_swap, self._without(name, other, sink), top[sink])
            levels[name] = (source_after, np.maximum(sink_base, matrix[mover]))
        after = [_dense_coverage(levels["need"][i], levels["have"][i]) for i in range(2)]
        gap_change = (self.coverage[source] + self.coverage[sink] - after[0] - after[1]) / len(
            self.teams
        )
        return terms + gap_change

    def apply(self, change: _Change) -> None:
        moves = (
            (change.mover, change.source, change.sink),
            (change.partner, change.sink, change.source),
        )
        for member, frm, to in moves:
            if member < 0:
                continue
            self.members[frm].remove(member)
            self.members[to].append(member)
            self.team[member] = to
            tier, w = self.tier[member], self.workload[member]
            for team, sign in ((frm, -1), (to, 1)):
                self.n[team] += sign
                self.high[team] += sign * (tier == HIGH)
                self.low[team] += sign * (tier == LOW)
                self.med[team] += sign * (tier == MEDIUM)
                self.work[team] += sign * w
        both = np.array([change.source, change.sink])
        self._refresh(both)
        # The reported imbalance uses the same coverage code as team_composition.
        members = self.members[change.source] + self.members[change.sink]
        group = np.repeat(
            [0, 1], [len(self.members[change.source]), len(self.members[change.sink])]
        )
        required, covered, _ = _group_coverage(self.pop, self.rows[members], group, 2)
        self.coverage[both] = _coverage(required, covered)


def _dense_coverage(need: np.ndarray, have: np.ndarray) -> np.ndarray:
    required = need > 0
    return _coverage(required.sum(axis=1), (required & (have >= need)).sum(axis=1))


def suggest_changes(
    scores: pd.DataFrame,
    employee_skills: pd.DataFrame,
    requirements: pd.DataFrame,
    managers: Iterable[str],
    insights: InsightsConfig = DEFAULT_INSIGHTS,
) -> pd.DataFrame:
    """Greedy sequences of moves and swaps per department (TEAM_SUGGESTION_COLUMNS), each
    the best bounded candidate on the composition left by the previous ones."""
    pop = _prepare(scores, employee_skills, requirements)
    is_manager = pd.Index(pop.employee_ids).isin(list(managers))
    records = []
    departments = pd.Series(np.arange(len(pop.team_names))).groupby(pop.team_department)
    for department, teams in departments:
        if len(teams) < 2 or insights.suggestions_per_department == 0:
            continue
        state = _Department(pop, teams.to_numpy(), is_manager)
        threshold = MIN_IMPROVEMENT * 2 / len(teams)
        for rank in range(1, insights.suggestions_per_department + 1):
            best = state.best_change(insights)
            if best is None or best.delta > -threshold:
                break
            before = state.objective()
            state.apply(best)
            after = state.objective()
            mover, partner, source, sink = best.mover, best.partner, best.source, best.sink
            records.append(
                {
                    "department": department,
                    "rank": rank,
                    "kind": "swap" if partner >= 0 else "move",
                    "employee_id": str(pop.employee_ids[state.rows[mover]]),
                    "from_team": str(pop.team_names[state.teams[source]]),
                    "to_team": str(pop.team_names[state.teams[sink]]),
                    "other_employee_id": (
                        str(pop.employee_ids[state.rows[partner]]) if partner >= 0 else None
                    ),
                    "imbalance_before": before["imbalance"],
                    "imbalance_after": after["imbalance"],
                    "details": {
                        **{
                            part: {"before": before[part], "after": after[part]}
                            for part in OBJECTIVE_PARTS[:3]
                        },
                        "teams_after": [state.team_summary(source), state.team_summary(sink)],
                    },
                }
            )
    return pd.DataFrame.from_records(records, columns=list(TEAM_SUGGESTION_COLUMNS))


def evaluate_proposal(
    scores: pd.DataFrame,
    employee_skills: pd.DataFrame,
    requirements: pd.DataFrame,
    managers: Iterable[str],
    moves: Sequence[Mapping[str, Any]],
    insights: InsightsConfig = DEFAULT_INSIGHTS,
) -> dict[str, Any]:
    """Apply `moves` ([{"employee_id", "to_team"}], together) and report, for the departments
    and teams involved, the objective and the team metrics before and after.

    Raises ProposalError listing every problem (unknown employee or team, a move across
    departments, an employee moved twice or into their own team, a manager moved, and team
    sizes outside [min_team_size, max_team_size] after all moves)."""
    pop = _prepare(scores, employee_skills, requirements)
    manager_set = {str(m) for m in managers}
    employee_index, team_index = pd.Index(pop.employee_ids), pd.Index(pop.team_names)
    problems: list[dict[str, Any]] = []
    if not moves:
        raise ProposalError([{"index": None, "field": "moves", "reason": "no moves proposed"}])
    new_team = pop.team.copy()
    seen: dict[str, int] = {}
    for index, move in enumerate(moves):
        employee, target = str(move.get("employee_id")), str(move.get("to_team"))
        row, to = employee_index.get_indexer([employee])[0], team_index.get_indexer([target])[0]
        bad = []
        if row < 0:
            bad.append(("employee_id", f"unknown employee {employee}"))
        if to < 0:
            bad.append(("to_team", f"unknown team {target}"))
        if employee in seen:
            bad.append(
                ("employee_id", f"employee {employee} is already moved by move {seen[employee]}")
            )
        if employee in manager_set:
            bad.append(("employee_id", f"employee {employee} is a manager and is not moved"))
        if row >= 0 and to >= 0:
            if pop.team[row] == to:
                bad.append(("to_team", f"employee {employee} is already in team {target}"))
            elif pop.team_department[pop.team[row]] != pop.team_department[to]:
                bad.append(
                    (
                        "to_team",
                        f"team {target} is in department {pop.team_department[to]}, not "
                        f"{pop.team_department[pop.team[row]]}",
                    )
                )
        seen.setdefault(employee, index)
        problems += [{"index": index, "field": f, "reason": r} for f, r in bad]
        if not bad:
            new_team[row] = to
    changed = np.flatnonzero(new_team != pop.team)
    teams = np.unique(np.r_[pop.team[changed], new_team[changed]])
    sizes = np.bincount(new_team, minlength=len(pop.team_names))
    sizes_before = np.bincount(pop.team, minlength=len(pop.team_names))
    for team in teams:
        # A team whose size the proposal keeps (a swap) may already be outside the limits.
        if sizes[team] != sizes_before[team] and not (
            insights.min_team_size <= sizes[team] <= insights.max_team_size
        ):
            problems.append(
                {
                    "index": None,
                    "field": "moves",
                    "reason": f"team {pop.team_names[team]} would have {sizes[team]} members, "
                    f"outside [{insights.min_team_size}, {insights.max_team_size}]",
                }
            )
    if problems:
        raise ProposalError(problems)

    departments = sorted(set(pop.team_department[teams].tolist()))
    rows = np.flatnonzero(np.isin(pop.team_department[pop.team], departments))
    before = _composition(pop, rows, pop.team[rows])
    after = _composition(pop, rows, new_team[rows])
    report_departments = []
    for department in departments:
        b = _objective_of(before[before["department"] == department])
        a = _objective_of(after[after["department"] == department])
        report_departments.append(
            {
                "department": department,
                "before": _rounded(b, 6),
                "after": _rounded(a, 6),
                "improvement": round(b["imbalance"] - a["imbalance"], 6),
            }
        )
    names = set(pop.team_names[teams].tolist())
    report_teams = [
        {"team": team, "before": _team_metrics(b), "after": _team_metrics(a)}
        for team, b, a in zip(
            before.loc[before["team"].isin(names), "team"],
            before[before["team"].isin(names)].to_dict("records"),
            after[after["team"].isin(names)].to_dict("records"),
            strict=True,
        )
    ]
    return {"departments": report_departments, "teams": report_teams}


def _rounded(values: Mapping[str, float], digits: int) -> dict[str, float]:
    return {k: round(float(v), digits) for k, v in values.items()}


def _team_metrics(row: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in TEAM_COMPOSITION_COLUMNS[1:]:
        value = row[key]
        if key == "missing_skills":
            out[key] = [str(s) for s in value]
        elif isinstance(value, (float, np.floating)):
            out[key] = round(float(value), 4)
        elif isinstance(value, (int, np.integer)):
            out[key] = int(value)
        else:
            out[key] = value
    return out
