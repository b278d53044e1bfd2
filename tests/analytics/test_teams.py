"""Team composition, the department imbalance objective, suggestions and proposals
(analytics.teams), on departments small enough to work out by hand."""

import pandas as pd
import pytest

from analytics.config import InsightsConfig
from analytics.teams import (
    TEAM_COMPOSITION_COLUMNS,
    TEAM_SUGGESTION_COLUMNS,
    ProposalError,
    evaluate_proposal,
    suggest_changes,
    team_composition,
)

NO_SKILLS = pd.DataFrame(columns=["employee_id", "skill", "level"])
NO_REQUIREMENTS = pd.DataFrame(columns=["job_title", "skill", "required_level", "importance"])


def scores_of(rows: list[tuple]) -> pd.DataFrame:
    """rows: (employee_id, department, team, job_title, tier, total_tasks, score)."""
    columns = ["employee_id", "department", "team", "job_title", "tier", "total_tasks", "score"]
    return pd.DataFrame(rows, columns=columns)


def skills_of(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["employee_id", "skill", "level"])


def requirements_of(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["job_title", "skill", "required_level", "importance"])


# The worked example of analytics.teams.composition's docstring:
# A = (High, High, Low), B = (Medium, Low, Low); Dev requires python 3 and sql 2; A covers
# both, B only sql. Department median tasks: 30.
EXAMPLE_SCORES = scores_of(
    [
        ("A1", "D", "A", "Dev", "High", 10, 90.0),
        ("A2", "D", "A", "Dev", "High", 20, 80.0),
        ("A3", "D", "A", "Dev", "Low", 30, 20.0),
        ("B1", "D", "B", "Dev", "Medium", 30, 50.0),
        ("B2", "D", "B", "Dev", "Low", 40, 30.0),
        ("B3", "D", "B", "Dev", "Low", 50, 10.0),
        ("C1", "E", "C", "Dev", "Medium", 5, 50.0),
        ("C2", "E", "C", "Dev", "Medium", 5, 50.0),
        ("C3", "E", "C", "Dev", "Medium", 5, 50.0),
    ]
)
EXAMPLE_SKILLS = skills_of(
    [("A1", "python", 3), ("A2", "python", 3), ("A2", "sql", 2), ("B1", "sql", 2)]
    + [(c, s, 5) for c in ("C1", "C2", "C3") for s in ("python", "sql")]
)
EXAMPLE_REQUIREMENTS = requirements_of([("Dev", "python", 3, 1.0), ("Dev", "sql", 2, 0.5)])


def test_coverage_counts_the_highest_level_any_members_title_requires():
    scores = scores_of(
        [
            ("E1", "D", "T", "Dev", "High", 10, 80.0),
            ("E2", "D", "T", "Lead", "Medium", 10, 60.0),
            ("E3", "D", "T", "Dev", "Low", 10, 40.0),
            ("E4", "D", "U", "Tester", "Low", 10, 40.0),
        ]
    )
    skills = skills_of([("E1", "python", 3), ("E2", "python", 2), ("E3", "sql", 2)])
    # Lead needs python 4: nobody reaches it although E1 has the 3 a Dev needs.
    requirements = requirements_of(
        [("Dev", "python", 3, 1.0), ("Dev", "sql", 2, 0.5), ("Lead", "python", 4, 1.0)]
    )
    composition = team_composition(scores, skills, requirements).set_index("team")
    t = composition.loc["T"]
    assert (t.required_skills, t.covered_skills, t.skill_coverage) == (2, 1, 0.5)
    assert t.missing_skills == ["python"]
    # Nothing required of a Tester: full coverage.
    u = composition.loc["U"]
    assert (u.required_skills, u.covered_skills, u.skill_coverage) == (0, 0, 1.0)
    assert u.missing_skills == []


def test_composition_has_the_table_columns_and_the_tier_mix():
    composition = team_composition(EXAMPLE_SCORES, EXAMPLE_SKILLS, EXAMPLE_REQUIREMENTS)
    assert tuple(composition.columns) == TEAM_COMPOSITION_COLUMNS
    assert composition["team"].tolist() == ["A", "B", "C"]
    a = composition.set_index("team").loc["A"]
    assert (a.department, a.members, a.tier_high, a.tier_medium, a.tier_low) == ("D", 3, 2, 0, 1)
    assert a.average_score == pytest.approx(190 / 3)


def test_workload_is_relative_to_the_department_median():
    composition = team_composition(EXAMPLE_SCORES, EXAMPLE_SKILLS, EXAMPLE_REQUIREMENTS)
    by_team = composition.set_index("team")
    # D's median is 30: A's workloads are 1/3, 2/3, 1 and B's 1, 4/3, 5/3.
    assert by_team.loc["A", "average_workload"] == pytest.approx(2 / 3)
    assert by_team.loc["A", "workload_cv"] == pytest.approx((2 / 27) ** 0.5 / (2 / 3))
    assert by_team.loc["B", "average_workload"] == pytest.approx(4 / 3)
    assert by_team.loc["B", "workload_cv"] == pytest.approx((2 / 27) ** 0.5 / (4 / 3))
    # E's median is 5: everybody at 1, no spread.
    assert by_team.loc["C", "average_workload"] == pytest.approx(1.0)
    assert by_team.loc["C", "workload_cv"] == 0.0


def test_workload_is_one_where_the_department_median_is_zero():
    scores = EXAMPLE_SCORES.assign(total_tasks=[0, 0, 7, 0, 0, 3, 0, 0, 0])
    by_team = team_composition(scores, EXAMPLE_SKILLS, EXAMPLE_REQUIREMENTS).set_index("team")
    assert by_team["average_workload"].tolist() == [1.0, 1.0, 1.0]
    assert by_team["workload_cv"].tolist() == [0.0, 0.0, 0.0]


def test_people_without_task_records_leave_the_workload_unmeasured_not_zero():
    # Team B has no task records at all (scored on KPIs alone); in A only A3 has none.
    scores = EXAMPLE_SCORES.assign(total_tasks=[10, 20, None, None, None, None, 5, 5, 5]).astype(
        {"total_tasks": "Float64"}
    )
    by_team = team_composition(scores, EXAMPLE_SKILLS, EXAMPLE_REQUIREMENTS).set_index("team")
    # D's median of the measured (10, 20) is 15; A3 counts as the median, 1.
    assert by_team.loc["A", "average_workload"] == pytest.approx((10 / 15 + 20 / 15 + 1) / 3)
    assert pd.isna(by_team.loc["B", "average_workload"])
    assert pd.isna(by_team.loc["B", "workload_cv"])


def test_a_department_without_task_records_has_no_workload_imbalance():
    unmeasured = SPLIT.assign(total_tasks=None).astype({"total_tasks": "Float64"})
    (swap,) = suggest_changes(
        unmeasured, NO_SKILLS, NO_REQUIREMENTS, set(), InsightsConfig()
    ).to_dict("records")
    # The same swap as with tasks, measured on tiers alone.
    assert (swap["employee_id"], swap["other_employee_id"]) == ("A1", "B1")
    assert swap["imbalance_after"] == pytest.approx(1 / 3)
    assert swap["details"]["workload_imbalance"] == {"before": None, "after": None}
    assert all(t["average_workload"] is None for t in swap["details"]["teams_after"])
    report = evaluate_proposal(
        unmeasured, NO_SKILLS, NO_REQUIREMENTS, set(),
        [{"employee_id": "A1", "to_team": "B"}, {"employee_id": "B1", "to_team": "A"}],
        InsightsConfig(),
    )  # fmt: skip
    (department,) = report["departments"]
    assert department["before"]["workload_imbalance"] is None
    assert department["improvement"] == pytest.approx(2 / 3)
    assert all(t["after"]["average_workload"] is None for t in report["teams"])


def test_objective_on_the_worked_example():
    # No move at all is not allowed, so measure the example through a proposal's "before".
    report = evaluate_proposal(
        EXAMPLE_SCORES,
        EXAMPLE_SKILLS,
        EXAMPLE_REQUIREMENTS,
        set(),
        [{"employee_id": "A1", "to_team": "B"}],
        InsightsConfig(min_team_size=2),
    )
    (department,) = report["departments"]
    before = department["before"]
    assert before["tier_imbalance"] == pytest.approx(1 / 2, abs=1e-6)
    assert before["coverage_gap"] == pytest.approx(1 / 4, abs=1e-6)
    assert before["workload_imbalance"] == pytest.approx(1 / 3, abs=1e-6)
    assert before["imbalance"] == pytest.approx(13 / 12, abs=1e-6)


def test_evaluate_proposal_reports_before_and_after_for_a_valid_move():
    report = evaluate_proposal(
        EXAMPLE_SCORES,
        EXAMPLE_SKILLS,
        EXAMPLE_REQUIREMENTS,
        set(),
        [{"employee_id": "A1", "to_team": "B"}],
        InsightsConfig(min_team_size=2),
    )
    (department,) = report["departments"]
    assert department["department"] == "D"
    # A = (High A2, Low A3), B = (High A1, Medium, Low, Low): shares 1/2 and 1/4 against
    # 1/3 High; both teams now cover python and sql; workloads 5/6 and 13/12.
    after = department["after"]
    assert after["tier_imbalance"] == pytest.approx(1 / 9, abs=1e-6)
    assert after["coverage_gap"] == 0.0
    assert after["workload_imbalance"] == pytest.approx(1 / 9, abs=1e-6)
    assert after["imbalance"] == pytest.approx(2 / 9, abs=1e-6)
    assert department["improvement"] == pytest.approx(13 / 12 - 2 / 9, abs=1e-6)

    teams = {t["team"]: t for t in report["teams"]}
    assert set(teams) == {"A", "B"}  # C is not involved
    a_before, a_after = teams["A"]["before"], teams["A"]["after"]
    assert (a_before["members"], a_after["members"]) == (3, 2)
    assert (a_after["tier_high"], a_after["tier_medium"], a_after["tier_low"]) == (1, 0, 1)
    assert a_after["average_score"] == 50.0
    assert a_after["average_workload"] == round(5 / 6, 4)
    assert a_after["workload_cv"] == 0.2  # (2/3, 1): std 1/6 over mean 5/6
    b_before, b_after = teams["B"]["before"], teams["B"]["after"]
    assert (b_before["skill_coverage"], b_before["missing_skills"]) == (0.5, ["python"])
    assert (b_after["skill_coverage"], b_after["missing_skills"]) == (1.0, [])
    assert b_after["members"] == 4


def test_evaluate_proposal_reports_every_problem_with_its_index():
    moves = [
        {"employee_id": "nobody", "to_team": "B"},
        {"employee_id": "A2", "to_team": "Z"},
        {"employee_id": "A3", "to_team": "A"},
        {"employee_id": "C1", "to_team": "A"},
        {"employee_id": "A1", "to_team": "B"},
        {"employee_id": "B1", "to_team": "A"},
        {"employee_id": "B2", "to_team": "A"},
        {"employee_id": "B2", "to_team": "A"},
    ]
    with pytest.raises(ProposalError) as caught:
        evaluate_proposal(
            EXAMPLE_SCORES, EXAMPLE_SKILLS, EXAMPLE_REQUIREMENTS, {"A1"}, moves, InsightsConfig()
        )
    located = {(p["index"], p["field"]) for p in caught.value.problems}
    assert located == {
        (0, "employee_id"),  # unknown employee
        (1, "to_team"),  # unknown team
        (2, "to_team"),  # already in A
        (3, "to_team"),  # C is in department E
        (4, "employee_id"),  # A1 is a manager
        (7, "employee_id"),  # B2 twice
        (None, "moves"),  # B1 and B2 leave B with one member
    }
    (size,) = [p for p in caught.value.problems if p["index"] is None]
    assert "team B would have 1 members" in size["reason"]


def test_a_move_is_refused_when_it_would_shrink_a_team_below_the_minimum():
    with pytest.raises(ProposalError) as caught:
        evaluate_proposal(
            EXAMPLE_SCORES,
            EXAMPLE_SKILLS,
            EXAMPLE_REQUIREMENTS,
            set(),
            [{"employee_id": "A1", "to_team": "B"}],
            InsightsConfig(min_team_size=3),
        )
    assert caught.value.problems == [
        {"index": None, "field": "moves", "reason": "team A would have 2 members, outside [3, 12]"}
    ]


# A = (High, Medium, Medium), B = (Medium, Medium, Medium), equal workloads, no skills.
# Moving A1 to B takes the tier imbalance from 1/6 to 1/9; no swap helps.
LONE_HIGH = scores_of(
    [("A1", "D", "A", "Dev", "High", 10, 90.0)]
    + [(f"A{i}", "D", "A", "Dev", "Medium", 10, 50.0) for i in (2, 3)]
    + [(f"B{i}", "D", "B", "Dev", "Medium", 10, 50.0) for i in (1, 2, 3)]
)


def test_suggestions_never_shrink_a_team_below_the_minimum():
    suggestions = suggest_changes(LONE_HIGH, NO_SKILLS, NO_REQUIREMENTS, set(), InsightsConfig())
    assert suggestions.empty
    assert tuple(suggestions.columns) == TEAM_SUGGESTION_COLUMNS


def test_a_move_is_suggested_when_the_minimum_allows_it():
    suggestions = suggest_changes(
        LONE_HIGH, NO_SKILLS, NO_REQUIREMENTS, set(), InsightsConfig(min_team_size=2)
    )
    # Moving a Medium of B into A improves as much; the tie goes to the smaller id.
    (move,) = suggestions.to_dict("records")
    assert (move["kind"], move["employee_id"], move["from_team"], move["to_team"]) == (
        "move",
        "A1",
        "A",
        "B",
    )
    assert move["other_employee_id"] is None
    assert move["imbalance_before"] == pytest.approx(1 / 6)
    assert move["imbalance_after"] == pytest.approx(1 / 9)


# All High performers in A, all Low in B; equal workloads; nothing required.
SPLIT = scores_of(
    [(f"A{i}", "D", "A", "Dev", "High", 10, 90.0) for i in (1, 2, 3)]
    + [(f"B{i}", "D", "B", "Dev", "Low", 10, 10.0) for i in (1, 2, 3)]
)


def test_a_swap_is_suggested_when_one_team_has_all_the_high_performers():
    suggestions = suggest_changes(SPLIT, NO_SKILLS, NO_REQUIREMENTS, set(), InsightsConfig())
    # Before: each team is 1/2 off the High share and 1/2 off the Low share: imbalance 1.
    # After one swap each team is (2, 1): |2/3 - 1/2| + |1/3 - 1/2| = 1/3. A second swap
    # only mirrors the teams, so the sequence stops after one.
    (swap,) = suggestions.to_dict("records")
    assert (swap["department"], swap["rank"], swap["kind"]) == ("D", 1, "swap")
    assert (swap["employee_id"], swap["from_team"], swap["to_team"]) == ("A1", "A", "B")
    assert swap["other_employee_id"] == "B1"
    assert swap["imbalance_before"] == pytest.approx(1.0)
    assert swap["imbalance_after"] == pytest.approx(1 / 3)
    details = swap["details"]
    assert details["tier_imbalance"] == {
        "before": pytest.approx(1.0),
        "after": pytest.approx(1 / 3),
    }
    assert [
        (t["team"], t["members"], t["tier_high"], t["tier_low"]) for t in details["teams_after"]
    ] == [
        ("A", 3, 2, 1),
        ("B", 3, 1, 2),
    ]


def test_managers_are_never_moved():
    managers = {"A1", "B1"}
    suggestions = suggest_changes(SPLIT, NO_SKILLS, NO_REQUIREMENTS, managers, InsightsConfig())
    (swap,) = suggestions.to_dict("records")
    assert (swap["employee_id"], swap["other_employee_id"]) == ("A2", "B2")
    # With every High performer a team lead, nothing can improve the mix.
    leads = {"A1", "A2", "A3"}
    assert suggest_changes(SPLIT, NO_SKILLS, NO_REQUIREMENTS, leads, InsightsConfig()).empty


def test_suggestions_are_a_sequence_measured_on_the_previous_composition():
    # Two lopsided departments' worth in one: 4 teams of 4 with all Highs in A.
    scores = scores_of(
        [(f"A{i}", "D", "A", "Dev", "High", 10, 90.0) for i in range(1, 5)]
        + [(f"{t}{i}", "D", t, "Dev", "Low", 10, 10.0) for t in "BCD" for i in range(1, 5)]
    )
    suggestions = suggest_changes(scores, NO_SKILLS, NO_REQUIREMENTS, set(), InsightsConfig())
    assert list(suggestions["rank"]) == list(range(1, len(suggestions) + 1))
    assert len(suggestions) == 3  # one High into each of B, C, D
    before = suggestions["imbalance_before"].to_numpy()
    after = suggestions["imbalance_after"].to_numpy()
    assert (after < before).all()
    assert before[1:] == pytest.approx(after[:-1])
    assert after[-1] == pytest.approx(0.0)


def test_evaluating_a_suggested_swap_measures_the_same_improvement():
    (swap,) = suggest_changes(SPLIT, NO_SKILLS, NO_REQUIREMENTS, set()).to_dict("records")
    moves = [
        {"employee_id": swap["employee_id"], "to_team": swap["to_team"]},
        {"employee_id": swap["other_employee_id"], "to_team": swap["from_team"]},
    ]
    report = evaluate_proposal(SPLIT, NO_SKILLS, NO_REQUIREMENTS, set(), moves)
    (department,) = report["departments"]
    assert department["improvement"] == pytest.approx(2 / 3, abs=1e-6)
    assert department["after"]["imbalance"] == pytest.approx(swap["imbalance_after"], abs=1e-6)


def test_an_empty_proposal_is_a_problem():
    with pytest.raises(ProposalError) as caught:
        evaluate_proposal(SPLIT, NO_SKILLS, NO_REQUIREMENTS, set(), [])
    assert caught.value.problems == [
        {"index": None, "field": "moves", "reason": "no moves proposed"}
    ]
