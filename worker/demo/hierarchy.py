"""The org chart: the CEO, a head per department, and teams of 5–12 under their leads."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from worker.demo.departments import Company

# Roles in the hierarchy.
CEO, HEAD, LEAD, MEMBER = 0, 1, 2, 3
_TEAM_MIN, _TEAM_MAX = 5, 12  # team size, lead included


def _largest_remainder(total: int, shares: np.ndarray) -> np.ndarray:
    """Split `total` into integer parts proportional to `shares`, summing exactly to it."""
    exact = total * shares / shares.sum()
    parts = np.floor(exact).astype(np.int64)
    left = total - parts.sum()
    parts[np.argsort(-(exact - parts), kind="stable")[:left]] += 1
    return parts


def _team_sizes(people: int, rng: np.random.Generator) -> np.ndarray:
    """Random team sizes within [_TEAM_MIN, _TEAM_MAX] that add up to `people`."""
    if people < _TEAM_MIN:
        return np.array([people], dtype=np.int64)
    k = int(np.clip(round(people / 8.5), -(-people // _TEAM_MAX), people // _TEAM_MIN))
    sizes = rng.integers(_TEAM_MIN, _TEAM_MAX + 1, k)
    # k was chosen so that k·MIN ≤ people ≤ k·MAX; nudge random teams until the sum fits.
    while (diff := people - int(sizes.sum())) != 0:
        room = np.flatnonzero(sizes < _TEAM_MAX if diff > 0 else sizes > _TEAM_MIN)
        pick = rng.choice(room, size=min(abs(diff), len(room)), replace=False)
        sizes[pick] += 1 if diff > 0 else -1
    return sizes


@dataclass
class Org:
    department: np.ndarray  # index into the departments; their count for the CEO
    role: np.ndarray
    manager: np.ndarray  # position of the manager, -1 for the CEO
    team: np.ndarray  # index into team_names
    team_names: np.ndarray


def build_hierarchy(n: int, company: Company, rng: np.random.Generator) -> Org:
    """Positions in org-chart order: CEO, then per department its head, then its teams."""
    departments = company.departments
    department = np.full(n, len(departments), dtype=np.int64)
    role = np.full(n, CEO, dtype=np.int64)
    manager = np.full(n, -1, dtype=np.int64)
    team = np.zeros(n, dtype=np.int64)
    team_names: list[np.ndarray] = [np.array([company.ceo_team], dtype=object)]
    n_teams = 1
    sizes = _largest_remainder(n - 1, np.array([d.share for d in departments]))
    start = 1
    for d, (dept, size) in enumerate(zip(departments, sizes, strict=True)):
        if size == 0:
            continue
        head = start
        department[start : start + size] = d
        role[head], manager[head] = HEAD, 0
        team[head] = n_teams
        team_names.append(np.array([f"{dept.name} Leadership"], dtype=object))
        n_teams += 1
        if size > 1:
            team_size = _team_sizes(int(size) - 1, rng)
            first = head + 1 + np.cumsum(team_size) - team_size  # each team's lead
            local = np.repeat(np.arange(len(team_size)), team_size)
            members = slice(head + 1, start + size)
            role[members] = MEMBER
            role[first] = LEAD
            manager[members] = first[local]
            manager[first] = head
            team[members] = n_teams + local
            # "Engineering Platform", …, then "Engineering Platform 2" once names run out.
            j = np.arange(len(team_size))
            base = np.array([f"{dept.name} {t}" for t in dept.teams], dtype=object)
            suffix = np.where(j >= len(base), " " + (j // len(base) + 1).astype(str), "")
            team_names.append(base[j % len(base)] + suffix.astype(object))
            n_teams += len(team_size)
        start += size
    return Org(department, role, manager, team, np.concatenate(team_names))
