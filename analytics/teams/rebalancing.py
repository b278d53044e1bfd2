"""Rebalancing suggestions: a greedy search for moves and swaps that lower a department's
imbalance (the objective of analytics.teams.composition).

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
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analytics.config import DEFAULT_INSIGHTS, InsightsConfig
from analytics.teams.composition import OBJECTIVE_PARTS, department_imbalance
from analytics.teams.population import (
    HIGH,
    LOW,
    MEDIUM,
    Population,
    coverage_ratio,
    expand,
    group_coverage,
    prepare,
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
MIN_IMPROVEMENT = 1e-3
CANDIDATE_TEAMS = 16
HOLDER_TEAMS = 4
CHUNK = 50_000  # candidates evaluated at once: bounds the dense member x skill arrays


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

    def __init__(self, pop: Population, teams: np.ndarray, managers: np.ndarray) -> None:
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
        self.measured = bool(pop.measured[rows].any())
        t = len(teams)
        self.n = np.bincount(self.team, minlength=t).astype(np.float64)
        self.high = np.bincount(self.team[self.tier == HIGH], minlength=t).astype(np.float64)
        self.low = np.bincount(self.team[self.tier == LOW], minlength=t).astype(np.float64)
        self.med = self.n - self.high - self.low
        self.work = np.bincount(self.team, weights=self.workload, minlength=t)
        required, covered, _ = group_coverage(pop, rows, self.team, t)
        self.coverage = coverage_ratio(required, covered)
        order = np.argsort(self.team, kind="stable")
        bounds = np.searchsorted(self.team[order], np.arange(t + 1))
        self.members = [order[bounds[i] : bounds[i + 1]].tolist() for i in range(t)]
        total = self.n.sum()
        self.shares = (self.high.sum() / total, self.low.sum() / total)
        self.mean_workload = self.work.sum() / total

        # Dense member x skill levels over the skills the department's titles require.
        titles = np.unique(pop.title[rows])
        titles = titles[titles >= 0]
        positions, owner = expand(pop.req_ptr, titles)
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
        positions, owner = expand(pop.has_ptr, rows)
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
        # Candidates evaluated so far, by pair key source * T + sink (see `_evaluate`).
        self._evaluated = np.empty(0, dtype=np.int64)
        self._cache: tuple[np.ndarray, ...] = (
            *(np.empty(0, dtype=np.int64) for _ in range(5)),
            np.empty(0),
        )

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

    def _left(self, member: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-skill need and have levels of each member's team once the member has left."""
        team = self.team[member]
        levels = []
        for name, matrix in (("need", self.need), ("have", self.have)):
            top, count, second = self.stats[name]
            alone = (matrix[member] == top[team]) & (count[team] == 1)
            levels.append(np.where(alone, second[team], top[team]))
        return levels[0], levels[1]

    def objective(self) -> dict[str, float]:
        return department_imbalance(
            self.n, self.high, self.low, self.work, self.coverage, self.measured
        )

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
            "average_workload": float(self.work[t] / self.n[t]) if self.measured else None,
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
        keys = pairs[:, 0] * len(self.teams) + pairs[:, 1]
        new = ~np.isin(keys, self._evaluated)
        if new.any():
            fresh = self._evaluate(pairs[new], insights)
            self._evaluated = np.union1d(self._evaluated, keys[new])
            self._cache = tuple(np.r_[c, f] for c, f in zip(self._cache, fresh, strict=True))
        key, mover, partner, source, sink, delta = self._cache
        take = np.flatnonzero(np.isin(key, keys))
        if not len(take):
            return None
        # The full key makes every candidate distinct, so only the lowest deltas need sorting.
        take = take[delta[take] == delta[take].min()]
        swap = partner[take] >= 0
        other = np.where(swap, self.rows[np.maximum(partner[take], 0)], -1)
        best = take[
            np.lexsort((other, self.teams[sink[take]], self.rows[mover[take]], swap, delta[take]))[
                0
            ]
        ]
        return _Change(
            float(delta[best]),
            int(mover[best]),
            int(partner[best]),
            int(source[best]),
            int(sink[best]),
        )

    def _evaluate(self, pairs: np.ndarray, insights: InsightsConfig) -> tuple[np.ndarray, ...]:
        """(pair key, mover, partner, source, sink, delta) of every candidate over `pairs`.

        A candidate's delta depends on its two teams only (the department's totals do not
        change), so it stays valid until a change touches one of them (see `apply`)."""
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
        mover, partner, source, sink = self._candidates(pairs, size_ok)
        delta = np.concatenate(
            [np.empty(0)]
            + [
                self._deltas(
                    mover[i : i + CHUNK],
                    partner[i : i + CHUNK],
                    source[i : i + CHUNK],
                    sink[i : i + CHUNK],
                )
                for i in range(0, len(mover), CHUNK)
            ]
        ).round(12)
        return source * len(self.teams) + sink, mover, partner, source, sink, delta

    def _candidates(
        self, pairs: np.ndarray, move_ok: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every move (partner -1) and swap of movable members over `pairs`, as arrays.

        The order is irrelevant: best_change breaks ties on a full key of the candidate."""
        movable = np.flatnonzero(self.movable)
        movable = movable[np.argsort(self.team[movable], kind="stable")]
        counts = np.bincount(self.team[movable], minlength=len(self.teams))
        starts = np.cumsum(counts) - counts
        src, dst = pairs[:, 0], pairs[:, 1]
        out, into = counts[src], counts[dst]

        moving = move_ok & (out > 0)
        owner = np.repeat(np.flatnonzero(moving), out[moving])
        offset = np.arange(len(owner)) - np.repeat(
            np.cumsum(out[moving]) - out[moving], out[moving]
        )
        move_mover = movable[starts[src[owner]] + offset]

        per_pair = out * into  # zero unless both teams have movable members
        swap_owner = np.repeat(np.arange(len(pairs)), per_pair)
        j = np.arange(len(swap_owner)) - np.repeat(np.cumsum(per_pair) - per_pair, per_pair)
        i, k = np.divmod(j, into[swap_owner])
        swap_mover = movable[starts[src[swap_owner]] + i]
        swap_partner = movable[starts[dst[swap_owner]] + k]
        return (
            np.r_[move_mover, swap_mover].astype(np.int64),
            np.r_[np.full(len(owner), -1), swap_partner].astype(np.int64),
            np.r_[src[owner], src[swap_owner]].astype(np.int64),
            np.r_[dst[owner], dst[swap_owner]].astype(np.int64),
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

        # Coverage after the change: the mover's team without them (plus the partner), the
        # other team with them (without the partner); a move's source depends on the mover.
        after = [np.empty(len(mover)), np.empty(len(mover))]
        (need_top, *_), (have_top, *_) = self.stats["need"], self.stats["have"]
        moves, swaps = np.flatnonzero(~swap), np.flatnonzero(swap)
        leaver, at = np.unique(mover[moves], return_inverse=True)
        after[0][moves] = _dense_coverage(*self._left(leaver))[at]
        m = mover[moves]
        after[1][moves] = _dense_coverage(
            np.maximum(need_top[sink[moves]], self.need[m]),
            np.maximum(have_top[sink[moves]], self.have[m]),
        )
        m, o = mover[swaps], other[swaps]
        for side, (leaving, joining) in enumerate(((m, o), (o, m))):
            leaver, at = np.unique(leaving, return_inverse=True)
            need_left, have_left = self._left(leaver)
            after[side][swaps] = _dense_coverage(
                np.maximum(need_left[at], self.need[joining]),
                np.maximum(have_left[at], self.have[joining]),
            )
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
        # Candidates of pairs with either team are stale now.
        t = len(self.teams)
        stale = np.isin(self._evaluated // t, both) | np.isin(self._evaluated % t, both)
        self._evaluated = self._evaluated[~stale]
        key = self._cache[0]
        fresh = ~(np.isin(key // t, both) | np.isin(key % t, both))
        self._cache = tuple(a[fresh] for a in self._cache)
        # The reported imbalance uses the same coverage code as team_composition.
        members = self.members[change.source] + self.members[change.sink]
        group = np.repeat(
            [0, 1], [len(self.members[change.source]), len(self.members[change.sink])]
        )
        required, covered, _ = group_coverage(self.pop, self.rows[members], group, 2)
        self.coverage[both] = coverage_ratio(required, covered)


def _dense_coverage(need: np.ndarray, have: np.ndarray) -> np.ndarray:
    required = need > 0
    return coverage_ratio(
        np.count_nonzero(required, axis=1), np.count_nonzero(required & (have >= need), axis=1)
    )


def suggest_changes(
    scores: pd.DataFrame,
    employee_skills: pd.DataFrame,
    requirements: pd.DataFrame,
    managers: Iterable[str],
    insights: InsightsConfig = DEFAULT_INSIGHTS,
) -> pd.DataFrame:
    """Greedy sequences of moves and swaps per department (TEAM_SUGGESTION_COLUMNS), each
    the best bounded candidate on the composition left by the previous ones."""
    return population_suggestions(
        prepare(scores, employee_skills, requirements), managers, insights
    )


def population_suggestions(
    pop: Population, managers: Iterable[str], insights: InsightsConfig = DEFAULT_INSIGHTS
) -> pd.DataFrame:
    """`suggest_changes` of a prepared population (which it leaves unchanged)."""
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
