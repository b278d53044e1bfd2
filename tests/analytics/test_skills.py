"""Skill gaps, training recommendations and training demand on small hand-worked data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.config import InsightsConfig
from analytics.skills import (
    DEMAND_COLUMNS,
    RECOMMENDATION_COLUMNS,
    SKILL_GAP_COLUMNS,
    skill_gaps,
    training_demand,
    training_recommendations,
)

INSIGHTS = InsightsConfig(length_scale_hours=40.0, recommendations_per_employee=3)


def scores(*rows: tuple) -> pd.DataFrame:
    """(employee_id, department, team, job_title, p_low)"""
    frame = pd.DataFrame(
        rows, columns=["employee_id", "department", "team", "job_title", "p_low"]
    ).astype({"p_low": float})
    frame["predicted_tier"] = np.where(frame.p_low.isna(), None, "Medium")
    return frame


def requirements(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["job_title", "skill", "required_level", "importance"])


def skills(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["employee_id", "skill", "level"])


def programs(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["program_id", "name", "skill", "level_gain", "duration_hours"]
    ).astype({"duration_hours": float})


# The module docstring's worked example.
SWE_REQUIREMENTS = requirements(("SWE", "Python", 4, 0.6), ("SWE", "Testing", 2, 0.4))
DOC_PROGRAMS = programs(
    ("P1", "Python Basics", "Python", 1, 10),
    ("P2", "Advanced Python", "Python", 3, 40),
    ("T1", "Testing 101", "Testing", 2, 20),
)


# --------------------------------------------------------------------------- gaps


def test_gap_counts_missing_skill_as_level_zero():
    gaps = skill_gaps(
        scores(("E1", "Eng", "Core", "SWE", 0.5)),
        skills(("E1", "Python", 1)),
        SWE_REQUIREMENTS,
    )
    assert list(gaps.columns) == list(SKILL_GAP_COLUMNS)
    assert gaps[["skill", "required_level", "current_level", "gap"]].values.tolist() == [
        ["Python", 4, 1, 3],
        ["Testing", 2, 0, 2],
    ]
    assert gaps.importance.tolist() == pytest.approx([0.6, 0.4])
    assert set(gaps.department) == {"Eng"} and set(gaps.team) == {"Core"}


def test_only_positive_gaps_of_the_own_job_title_are_kept_sorted_by_employee_and_skill():
    gaps = skill_gaps(
        scores(
            ("E2", "Eng", "Core", "SWE", None),
            ("E10", "Eng", "Core", "SWE", None),
            ("E3", "Ops", "Ops A", "Analyst", None),  # title without requirements
        ),
        skills(
            ("E2", "Python", 5),  # above the requirement: no gap
            ("E2", "Testing", 2),  # exactly met: no gap
            ("E10", "Python", 3),
            ("E10", "Testing", 2),
            ("E10", "Cooking", 0),  # not required by the role: ignored
            ("E99", "Python", 0),  # not scored: ignored
        ),
        SWE_REQUIREMENTS,
    )
    assert gaps[["employee_id", "skill", "gap"]].values.tolist() == [["E10", "Python", 1]]


def test_gaps_are_sorted_by_employee_id_then_skill():
    gaps = skill_gaps(
        scores(("E2", "Eng", "Core", "SWE", None), ("E1", "Eng", "Core", "SWE", None)),
        skills(),
        requirements(("SWE", "Testing", 2, 0.4), ("SWE", "Python", 4, 0.6)),
    )
    assert gaps[["employee_id", "skill"]].values.tolist() == [
        ["E1", "Python"],
        ["E1", "Testing"],
        ["E2", "Python"],
        ["E2", "Testing"],
    ]


# --------------------------------------------------------------------------- recommendations


def recommend(score_frame, skill_frame, reqs=SWE_REQUIREMENTS, progs=DOC_PROGRAMS, **kw):
    gaps = skill_gaps(score_frame, skill_frame, reqs)
    insights = InsightsConfig(**{"length_scale_hours": 40.0, **kw})
    return training_recommendations(gaps, score_frame, reqs, progs, insights)


def test_best_program_per_skill_ranked_by_benefit():
    # The docstring's example: Python gap 3, Testing gap 2, p_low 0.5.
    recs = recommend(scores(("E1", "Eng", "Core", "SWE", 0.5)), skills(("E1", "Python", 1)))
    assert list(recs.columns) == list(RECOMMENDATION_COLUMNS)
    assert recs.program_id.tolist() == ["T1", "P2"]  # P1 (18.0) loses to P2 (33.75)
    assert recs["rank"].tolist() == [1, 2]
    assert recs.expected_benefit.tolist() == pytest.approx([40.0, 33.75])
    # Testing: 0.4 * 2 / 2 / 1.0; Python: 0.6 * 3 / 4 / 1.0.
    assert recs.skill_match_gain.tolist() == pytest.approx([0.4, 0.45])
    assert recs.levels_closed.tolist() == [2, 3]
    assert recs.gap.tolist() == [2, 3]
    assert recs.program_name.tolist() == ["Testing 101", "Advanced Python"]
    assert recs.duration_hours.tolist() == [20.0, 40.0]


def test_skill_match_gain_is_the_rise_of_the_skill_match_feature():
    reqs = SWE_REQUIREMENTS
    before = {"Python": 1, "Testing": 0}
    recs = recommend(scores(("E1", "Eng", "Core", "SWE", 0.5)), skills(("E1", "Python", 1)))

    def skill_match(levels):
        rows = list(reqs.itertuples())
        reached = sum(r.importance * min(levels[r.skill] / r.required_level, 1) for r in rows)
        return reached / sum(r.importance for r in rows)

    for rec in recs.itertuples():
        after = dict(before, **{rec.skill: before[rec.skill] + rec.levels_closed})
        assert rec.skill_match_gain == pytest.approx(skill_match(after) - skill_match(before))


def test_an_employee_expected_to_fall_to_low_gets_a_larger_benefit():
    frame = scores(
        ("E1", "Eng", "Core", "SWE", 0.0),
        ("E2", "Eng", "Core", "SWE", 1.0),
        ("E3", "Eng", "Core", "SWE", None),  # no prediction counts as p_low 0
    )
    recs = recommend(frame, skills(("E1", "Python", 1), ("E2", "Python", 1), ("E3", "Python", 1)))
    first = recs[recs["rank"] == 1].set_index("employee_id").expected_benefit
    # Testing 101: 100 * 0.4 / 1.5 = 26.67 without risk, twice that at p_low = 1.
    assert first["E1"] == pytest.approx(100 * 0.4 / 1.5)
    assert first["E2"] == pytest.approx(2 * 100 * 0.4 / 1.5)
    assert first["E3"] == pytest.approx(first["E1"])


def test_a_short_program_wins_when_the_gap_is_small():
    # Gap 1 in Python: both programs close one level; the 10-hour one is discounted less.
    recs = recommend(
        scores(("E1", "Eng", "Core", "SWE", 0.0)),
        skills(("E1", "Python", 3), ("E1", "Testing", 2)),
    )
    assert recs.program_id.tolist() == ["P1"]
    assert recs.expected_benefit.iloc[0] == pytest.approx(100 * 0.6 * 1 / 4 / 1.25)


def test_only_the_configured_number_of_recommendations_is_kept():
    reqs = requirements(("R", "A", 2, 1.0), ("R", "B", 2, 0.5), ("R", "C", 2, 0.25))
    progs = programs(("PA", "a", "A", 2, 10), ("PB", "b", "B", 2, 10), ("PC", "c", "C", 2, 10))
    recs = recommend(
        scores(("E1", "D", "T", "R", 0.0)),
        skills(),
        reqs=reqs,
        progs=progs,
        recommendations_per_employee=2,
    )
    assert recs.program_id.tolist() == ["PA", "PB"]


def test_equal_benefits_rank_the_shorter_program_then_the_lower_id_first():
    reqs = requirements(("R", "A", 2, 0.5), ("R", "B", 4, 1.0), ("R", "C", 2, 0.5))
    # A: 0.5*2/2 = 0.5 over 1 + 40/40 = 2; B: 1.0*4/4 = 1.0 over 1 + 120/40 = 4: both 0.25
    # x100/2 = 12.5 vs 1.0/4*100/2 = 12.5; A is shorter. C equals A, with a higher id.
    progs = programs(("PA", "a", "A", 2, 40), ("PB", "b", "B", 4, 120), ("PC", "c", "C", 2, 40))
    recs = recommend(scores(("E1", "D", "T", "R", 0.0)), skills(), reqs=reqs, progs=progs)
    assert recs.expected_benefit.tolist() == pytest.approx([12.5, 12.5, 12.5])
    assert recs.program_id.tolist() == ["PA", "PC", "PB"]


def test_a_gap_without_a_program_gets_no_recommendation():
    progs = DOC_PROGRAMS[DOC_PROGRAMS.skill == "Python"]
    recs = recommend(scores(("E1", "Eng", "Core", "SWE", 0.5)), skills(), progs=progs)
    assert recs.skill.tolist() == ["Python"]


# --------------------------------------------------------------------------- demand


def demand_for(frame, skill_frame, reqs=SWE_REQUIREMENTS, progs=DOC_PROGRAMS, **kw):
    gaps = skill_gaps(frame, skill_frame, reqs)
    recs = training_recommendations(
        gaps, frame, reqs, progs, InsightsConfig(length_scale_hours=40.0, **kw)
    )
    return training_demand(gaps, recs, progs)


def test_demand_counts_people_and_levels_per_department_and_team():
    frame = scores(
        ("E1", "Eng", "Core", "SWE", 0.0),
        ("E2", "Eng", "Core", "SWE", 0.0),
        ("E3", "Eng", "Web", "SWE", 0.0),
    )
    demand = demand_for(
        frame,
        skills(
            ("E1", "Python", 1),  # Python gap 3 → Advanced Python
            ("E2", "Python", 3),  # Python gap 1 → Python Basics
            ("E3", "Python", 1),  # Python gap 3 → Advanced Python
            ("E1", "Testing", 2),
            ("E2", "Testing", 2),
            ("E3", "Testing", 2),
        ),
    )
    assert list(demand.columns) == list(DEMAND_COLUMNS)
    rows = demand[["level", "department", "team", "skill", "employees_with_gap"]]
    rows = rows.assign(team=rows.team.fillna("-")).values.tolist()
    assert rows == [
        ["department", "Eng", "-", "Python", 3],
        ["team", "Eng", "Core", "Python", 2],
        ["team", "Eng", "Web", "Python", 1],
    ]
    assert demand.total_gap_levels.tolist() == [7, 4, 3]
    # Department: P2 twice, P1 once. Core: P1 and P2 once each: the shorter P1 wins the tie.
    assert demand.program_id.tolist() == ["P2", "P1", "P2"]
    assert demand.program_name.tolist() == ["Advanced Python", "Python Basics", "Advanced Python"]
    assert demand.training_hours.tolist() == [3 * 40.0, 2 * 10.0, 1 * 40.0]
    assert demand.team.iloc[0] is None


def test_demand_falls_back_to_the_shortest_program_and_is_null_without_one():
    reqs = requirements(("R", "A", 3, 1.0), ("R", "B", 3, 0.5), ("R", "C", 3, 0.1))
    progs = programs(
        ("PA", "a", "A", 3, 10), ("PB1", "b long", "B", 3, 30), ("PB2", "b", "B", 1, 8)
    )
    # One recommendation each: A is recommended, B is cut by the limit, C has no program.
    demand = demand_for(
        scores(("E1", "D", "T", "R", 0.0)),
        skills(),
        reqs=reqs,
        progs=progs,
        recommendations_per_employee=1,
    )
    dept = demand[demand.level == "department"].set_index("skill")
    assert dept.program_id.to_dict() == {"A": "PA", "B": "PB2", "C": None}
    assert dept.training_hours["B"] == 8.0
    assert np.isnan(dept.training_hours["C"])
    assert dept.program_name["C"] is None


def test_empty_inputs_give_empty_frames_with_the_table_columns():
    frame = scores(("E1", "Eng", "Core", "SWE", 0.0))
    gaps = skill_gaps(frame, skills(("E1", "Python", 4), ("E1", "Testing", 2)), SWE_REQUIREMENTS)
    assert gaps.empty and list(gaps.columns) == list(SKILL_GAP_COLUMNS)
    recs = training_recommendations(gaps, frame, SWE_REQUIREMENTS, DOC_PROGRAMS, INSIGHTS)
    assert recs.empty and list(recs.columns) == list(RECOMMENDATION_COLUMNS)
    demand = training_demand(gaps, recs, DOC_PROGRAMS)
    assert demand.empty and list(demand.columns) == list(DEMAND_COLUMNS)
