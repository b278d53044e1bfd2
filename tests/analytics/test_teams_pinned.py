"""Team suggestions and composition pinned on a seeded demo organisation: the vectorised
search must keep the exact answer (every field, floats bit for bit) of the earlier one."""

import hashlib

import numpy as np
import pandas as pd

from analytics.teams import suggest_changes, team_composition
from tests.analytics.demo_windows import demo_frames

EMPLOYEES, SEED = 3000, 11
# Computed with the per-pair search this module pins (before it was vectorised).
SUGGESTIONS_SHA256 = "16e5ccdf44162567ae69cbab2faf15912546f42efb6c899f96d538407e5f75cb"
COMPOSITION_SHA256 = "d9b22d0997c1c5d2cb2a2b796d4d07b705b31a0270bc58c0bb9cc524fb9e4db2"
SUGGESTIONS = [
    (
        "Customer Support",
        1,
        "swap",
        "E02003",
        "Customer Support EMEA",
        "Customer Support Americas 7",
        "E02016",
    ),
    (
        "Customer Support",
        2,
        "swap",
        "E01463",
        "Customer Support APAC 3",
        "Customer Support Tier 2 4",
        "E02268",
    ),
    (
        "Customer Support",
        3,
        "swap",
        "E00900",
        "Customer Support Americas 4",
        "Customer Support Onboarding",
        "E00056",
    ),
    (
        "Customer Support",
        4,
        "swap",
        "E01319",
        "Customer Support Technical 6",
        "Customer Support APAC 5",
        "E02356",
    ),
    (
        "Customer Support",
        5,
        "swap",
        "E01408",
        "Customer Support APAC",
        "Customer Support Tier 1 6",
        "E01961",
    ),
    (
        "Engineering",
        1,
        "swap",
        "E00122",
        "Engineering Developer Tools 6",
        "Engineering Integrations 2",
        "E02689",
    ),
    ("Engineering", 2, "swap", "E02678", "Engineering Mobile 2", "Engineering Payments", "E00197"),
    ("Engineering", 3, "swap", "E00156", "Engineering Search 2", "Engineering Mobile 9", "E02952"),
    (
        "Engineering",
        4,
        "swap",
        "E02446",
        "Engineering Payments 6",
        "Engineering Payments 9",
        "E02758",
    ),
    ("Engineering", 5, "swap", "E01555", "Engineering Search 2", "Engineering Data 3", "E01636"),
]


def demo_inputs() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, set[str]]:
    """Scores in the shape analytics.analyze returns: seeded scores, tiers by quantile."""
    frames = demo_frames(employees=EMPLOYEES, seed=SEED, months=3)
    people = frames["employees"]
    score = np.random.default_rng(SEED).normal(60, 15, len(people)).round(2)
    low, high = np.quantile(score, [0.2, 0.8])
    tasks = frames["task-records"].groupby("employee_id")["tasks_total"].sum()
    scores = pd.DataFrame(
        {
            "employee_id": people["employee_id"],
            "department": people["department"],
            "team": people["team"],
            "job_title": people["job_title"],
            "score": score,
            "total_tasks": tasks.reindex(people["employee_id"]).to_numpy(dtype=float),
            "tier": np.where(score >= high, "High", np.where(score < low, "Low", "Medium")),
        }
    )
    managers = set(people["manager_id"].dropna().astype(str))
    return scores, frames["skills"], frames["role-requirements"], managers


def digest(frame: pd.DataFrame) -> str:
    # repr of the records keeps every float exactly and every nested detail.
    return hashlib.sha256(repr(frame.to_dict("split")).encode()).hexdigest()


def summary(frame: pd.DataFrame) -> list[tuple]:
    columns = ["department", "rank", "kind", "employee_id", "from_team", "to_team"]
    rows = frame.loc[:, [*columns, "other_employee_id"]].astype(object)
    return [tuple(r) for r in rows.where(rows.notna(), None).to_numpy().tolist()]


def test_suggestions_are_the_pinned_sequence():
    scores, skills, requirements, managers = demo_inputs()
    suggestions = suggest_changes(scores, skills, requirements, managers)
    assert len(suggestions) == 35  # seven departments, five each; one of them a move
    assert summary(suggestions)[: len(SUGGESTIONS)] == SUGGESTIONS
    assert digest(suggestions) == SUGGESTIONS_SHA256


def test_composition_is_the_pinned_table():
    scores, skills, requirements, _ = demo_inputs()
    assert digest(team_composition(scores, skills, requirements)) == COMPOSITION_SHA256
