"""Proposal evaluation: a list of moves applied together, with the team metrics and the
department objective (analytics.teams.composition) before and after, for the departments
and teams involved.

Objective values in `evaluate_proposal` are rounded to 6 decimals, not 4: one move in a
department of 100,000 people changes its imbalance by about 1e-5.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analytics.config import DEFAULT_INSIGHTS, InsightsConfig
from analytics.teams.composition import TEAM_COMPOSITION_COLUMNS, composition_of, objective_of
from analytics.teams.population import prepare


class ProposalError(ValueError):
    """A proposed composition cannot be evaluated; `problems` locates every bad move."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(p["reason"] for p in problems))
        self.problems = problems


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
    pop = prepare(scores, employee_skills, requirements)
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
    before = composition_of(pop, rows, pop.team[rows])
    after = composition_of(pop, rows, new_team[rows])
    report_departments = []
    for department in departments:
        b = objective_of(before[before["department"] == department])
        a = objective_of(after[after["department"] == department])
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


def _rounded(values: Mapping[str, float | None], digits: int) -> dict[str, float | None]:
    return {k: None if v is None else round(float(v), digits) for k, v in values.items()}


def _team_metrics(row: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in TEAM_COMPOSITION_COLUMNS[1:]:
        value = row[key]
        if key == "missing_skills":
            out[key] = [str(s) for s in value]
        elif isinstance(value, (float, np.floating)):
            out[key] = None if np.isnan(value) else round(float(value), 4)
        elif isinstance(value, (int, np.integer)):
            out[key] = int(value)
        else:
            out[key] = value
    return out
