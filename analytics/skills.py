"""Skill gaps, the training that closes them, and the training demand of teams and departments.

A gap is what an employee's job title requires of a skill minus their assessed level (0
when they were never assessed in it); only positive gaps are kept.

Recommendation rule. For a gap and a program building that skill:

- levels_closed = min(level_gain, gap);
- skill_match_gain = importance * levels_closed / required_level / sum of the importances
  of the job title's requirements: exactly how much the employee's skill_match feature
  (store/run_inputs.py) rises once the levels are closed (0 when the title's
  importances sum to 0);
- expected_benefit = 100 * skill_match_gain * (1 + p_low) / (1 + duration_hours / L), with
  p_low the predictor's probability that the employee is Low next period (0 without a
  prediction) and L = `InsightsConfig.length_scale_hours`. A gap weighs more for someone
  the model expects to fall to Low; a program of L hours counts half as much as a very
  short one.

Per (employee, skill) only the best program is kept (alternatives for the same skill are
redundant); the skills are then ranked by expected_benefit, highest first (ties: the
shorter program, then program_id), and the first `recommendations_per_employee` kept.

Worked example (L = 40). A Software Engineer's title requires Python at level 4 with
importance 0.6 and Testing at level 2 with importance 0.4 (sum 1.0). She has Python 1 and
no Testing, so the gaps are Python 3 and Testing 2; her p_low is 0.5.
- "Python Basics" (gain 1, 10 h): closes 1 level, gain = 0.6 * 1 / 4 / 1.0 = 0.15,
  benefit = 100 * 0.15 * 1.5 / 1.25 = 18.0.
- "Advanced Python" (gain 3, 40 h): closes 3, gain = 0.6 * 3 / 4 = 0.45,
  benefit = 100 * 0.45 * 1.5 / 2 = 33.75: the best Python program.
- "Testing 101" (gain 2, 20 h): closes 2, gain = 0.4 * 2 / 2 = 0.4,
  benefit = 100 * 0.4 * 1.5 / 1.5 = 40.0.
Her recommendations: 1. Testing 101 (40.0), 2. Advanced Python (33.75).

Because the per-employee factor 100 * importance / required_level / sum * (1 + p_low) is the
same for every program of a skill, the best program depends only on (skill, gap): it is
chosen once per pair from the small program table, not per employee. Everything else is
integer-coded numpy/pandas work, so a million employees take seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.config import DEFAULT_INSIGHTS, InsightsConfig

SKILL_GAP_COLUMNS = (
    "employee_id",
    "department",
    "team",
    "job_title",
    "skill",
    "required_level",
    "current_level",
    "gap",
    "importance",
)
RECOMMENDATION_COLUMNS = (
    "employee_id",
    "rank",
    "program_id",
    "program_name",
    "skill",
    "gap",
    "levels_closed",
    "importance",
    "duration_hours",
    "skill_match_gain",
    "expected_benefit",
)
DEMAND_COLUMNS = (
    "level",
    "department",
    "team",
    "skill",
    "employees_with_gap",
    "total_gap_levels",
    "program_id",
    "program_name",
    "training_hours",
)
MAX_LEVEL = 5  # levels are 0-5, so a gap is at most 5


def skill_gaps(
    scores: pd.DataFrame, employee_skills: pd.DataFrame, requirements: pd.DataFrame
) -> pd.DataFrame:
    """One row per scored employee and required skill they fall short of (gap > 0), with
    the skill_gaps table's columns (minus run_id), sorted by employee_id and skill."""
    people = scores[["employee_id", "department", "team", "job_title"]].reset_index(drop=True)
    req = requirements[["job_title", "skill", "required_level", "importance"]]
    skills = pd.Index(pd.unique(req["skill"]))

    # Each person's requirements: a gather through the requirements sorted by title.
    req = req.sort_values(["job_title", "skill"], kind="stable").reset_index(drop=True)
    titles = pd.Index(pd.unique(req["job_title"]))
    req_title = titles.get_indexer(req["job_title"])
    per_title = np.bincount(req_title, minlength=len(titles))
    title_start = np.cumsum(per_title) - per_title
    person_title = titles.get_indexer(people["job_title"])
    count = np.zeros(len(people), dtype=np.int64)
    count[person_title >= 0] = per_title[person_title[person_title >= 0]]
    emp = np.repeat(np.arange(len(people)), count)
    offset = np.arange(len(emp)) - np.repeat(np.cumsum(count) - count, count)
    row = title_start[person_title[emp]] + offset
    skill_code = skills.get_indexer(req["skill"])[row]
    required = req["required_level"].to_numpy(dtype=np.int64)[row]

    # Assessed levels by an integer key (employee position, skill code).
    have_emp = pd.Index(people["employee_id"]).get_indexer(employee_skills["employee_id"])
    have_skill = skills.get_indexer(employee_skills["skill"])
    known = (have_emp >= 0) & (have_skill >= 0)
    have_key = pd.Index(have_emp[known].astype(np.int64) * len(skills) + have_skill[known])
    have_level = employee_skills["level"].to_numpy(dtype=np.int64)[known]
    found = have_key.get_indexer(emp.astype(np.int64) * len(skills) + skill_code)
    current = np.zeros(len(emp), dtype=np.int64)
    current[found >= 0] = have_level[found[found >= 0]]

    gap = required - current
    short = gap > 0
    emp, row, current, gap = emp[short], row[short], current[short], gap[short]
    # Employee ids in text order, then skill names in text order.
    emp_rank = np.empty(len(people), dtype=np.int64)
    emp_rank[np.argsort(people["employee_id"].to_numpy(dtype=object), kind="stable")] = np.arange(
        len(people)
    )
    skill_rank = np.empty(len(skills), dtype=np.int64)
    skill_rank[np.argsort(skills.to_numpy(dtype=object), kind="stable")] = np.arange(len(skills))
    order = np.lexsort((skill_rank[skill_code[short]], emp_rank[emp]))
    emp, row, current, gap = emp[order], row[order], current[order], gap[order]

    return pd.DataFrame(
        {
            "employee_id": people["employee_id"].to_numpy()[emp],
            "department": people["department"].to_numpy()[emp],
            "team": people["team"].to_numpy()[emp],
            "job_title": people["job_title"].to_numpy()[emp],
            "skill": req["skill"].to_numpy()[row],
            "required_level": req["required_level"].to_numpy(dtype=np.int64)[row],
            "current_level": current,
            "gap": gap,
            "importance": req["importance"].to_numpy(dtype=np.float64)[row],
        },
        columns=list(SKILL_GAP_COLUMNS),
    )


def _best_program_per_skill_and_gap(
    programs: pd.DataFrame, length_scale_hours: float
) -> pd.DataFrame:
    """For every (skill, gap 1..5): the program closing the most levels per length discount,
    min(level_gain, gap) / (1 + duration_hours / L); ties: shorter, then program_id."""
    p = programs[["program_id", "name", "skill", "level_gain", "duration_hours"]]
    grid = p.iloc[np.repeat(np.arange(len(p)), MAX_LEVEL)].reset_index(drop=True)
    grid["gap"] = np.tile(np.arange(1, MAX_LEVEL + 1), len(p))
    grid["levels_closed"] = np.minimum(grid["level_gain"].to_numpy(dtype=np.int64), grid["gap"])
    grid["value"] = grid["levels_closed"] / (1.0 + grid["duration_hours"] / length_scale_hours)
    grid = grid.sort_values(
        ["skill", "gap", "value", "duration_hours", "program_id"],
        ascending=[True, True, False, True, True],
        kind="stable",
    )
    return grid.drop_duplicates(["skill", "gap"]).reset_index(drop=True)


def _shortest_program_per_skill(programs: pd.DataFrame) -> pd.DataFrame:
    """Per skill: the shortest program (ties: program_id)."""
    return (
        programs.sort_values(["skill", "duration_hours", "program_id"], kind="stable")
        .drop_duplicates("skill")
        .reset_index(drop=True)
    )


def _codes_in_text_order(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes whose order is the text order of the values, and the distinct values."""
    codes, uniques = pd.factorize(values, sort=True)
    return codes.astype(np.int64), pd.Index(uniques)


def training_recommendations(
    gaps: pd.DataFrame,
    scores: pd.DataFrame,
    requirements: pd.DataFrame,
    programs: pd.DataFrame,
    insights: InsightsConfig = DEFAULT_INSIGHTS,
) -> pd.DataFrame:
    """The best programs for each employee's gaps (see the module docstring), rank 1..N per
    employee, with the training_recommendations columns (minus run_id), sorted by
    employee_id and rank."""
    if gaps.empty or programs.empty:
        return pd.DataFrame(columns=list(RECOMMENDATION_COLUMNS))
    best = _best_program_per_skill_and_gap(programs, insights.length_scale_hours)
    shortest = _shortest_program_per_skill(programs)

    # (skill, gap) → row of `best`, through a small lookup table; -1 when no program.
    skill_code, skill_names = _codes_in_text_order(gaps["skill"])
    gap = gaps["gap"].to_numpy(dtype=np.int64)
    lookup = np.full((len(skill_names), MAX_LEVEL + 1), -1, dtype=np.int64)
    best_skill = skill_names.get_indexer(best["skill"])
    known = best_skill >= 0
    lookup[best_skill[known], best["gap"].to_numpy(dtype=np.int64)[known]] = np.flatnonzero(known)
    pick = lookup[skill_code, np.clip(gap, 0, MAX_LEVEL)]
    has = pick >= 0
    if not has.any():
        return pd.DataFrame(columns=list(RECOMMENDATION_COLUMNS))
    rows = np.flatnonzero(has)
    pick, skill_code, gap = pick[has], skill_code[has], gap[has]

    total_importance = requirements.groupby("job_title")["importance"].sum()
    title_code, title_names = pd.factorize(gaps["job_title"].to_numpy()[rows])
    title_total = total_importance.reindex(title_names).to_numpy(dtype=np.float64)[title_code]
    importance = gaps["importance"].to_numpy(dtype=np.float64)[rows]
    required = gaps["required_level"].to_numpy(dtype=np.float64)[rows]
    factor = np.divide(
        importance / required,
        title_total,
        out=np.zeros(len(rows)),
        where=np.nan_to_num(title_total) > 0,
    )
    program_rank = pd.Index(np.sort(programs["program_id"].to_numpy(dtype=object)))
    program_code = program_rank.get_indexer(best["program_id"])[pick]
    program_id = best["program_id"].to_numpy(dtype=object)[pick]
    program_name = best["name"].to_numpy(dtype=object)[pick]
    level_gain = best["level_gain"].to_numpy(dtype=np.int64)[pick]
    duration = best["duration_hours"].to_numpy(dtype=np.float64)[pick]
    # With nothing to gain every program ties at 0: the rule's tie-break picks the shortest.
    no_gain = factor <= 0
    if no_gain.any():
        short = pd.Index(shortest["skill"]).get_indexer(skill_names[skill_code[no_gain]])
        program_id[no_gain] = shortest["program_id"].to_numpy(dtype=object)[short]
        program_name[no_gain] = shortest["name"].to_numpy(dtype=object)[short]
        level_gain[no_gain] = shortest["level_gain"].to_numpy(dtype=np.int64)[short]
        duration[no_gain] = shortest["duration_hours"].to_numpy(dtype=np.float64)[short]
        program_code[no_gain] = program_rank.get_indexer(shortest["program_id"])[short]

    levels_closed = np.minimum(level_gain, gap)
    gain = factor * levels_closed
    emp_code, emp_names = pd.factorize(gaps["employee_id"].to_numpy()[rows])
    emp_names = pd.Index(emp_names)
    p_low_by_id = scores.set_index("employee_id")["p_low"]
    p_low = p_low_by_id.reindex(emp_names).to_numpy(dtype=np.float64, na_value=np.nan)
    p_low = np.nan_to_num(p_low, nan=0.0)[emp_code]
    benefit = 100.0 * gain * (1.0 + p_low) / (1.0 + duration / insights.length_scale_hours)

    # Rank within each employee: benefit desc, then shorter, then program_id.
    if emp_names.is_monotonic_increasing:  # gaps come sorted by employee_id
        emp_rank = np.arange(len(emp_names))
    else:
        emp_rank = np.empty(len(emp_names), dtype=np.int64)
        emp_rank[np.argsort(emp_names.to_numpy(dtype=object), kind="stable")] = np.arange(
            len(emp_names)
        )
    order = np.lexsort((program_code, duration, -benefit, emp_rank[emp_code]))
    emp_sorted = emp_code[order]
    starts = np.r_[0, np.flatnonzero(emp_sorted[1:] != emp_sorted[:-1]) + 1]
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)])) + 1
    keep = rank <= insights.recommendations_per_employee
    order, rank = order[keep], rank[keep]

    return pd.DataFrame(
        {
            "employee_id": emp_names.to_numpy(dtype=object)[emp_code[order]],
            "rank": rank.astype(np.int64),
            "program_id": program_id[order],
            "program_name": program_name[order],
            "skill": skill_names.to_numpy(dtype=object)[skill_code[order]],
            "gap": gap[order],
            "levels_closed": levels_closed[order],
            "importance": importance[order],
            "duration_hours": duration[order],
            "skill_match_gain": gain[order],
            "expected_benefit": benefit[order],
        },
        columns=list(RECOMMENDATION_COLUMNS),
    )


def training_demand(
    gaps: pd.DataFrame, recommendations: pd.DataFrame, programs: pd.DataFrame
) -> pd.DataFrame:
    """Per department and per (department, team), per skill with a gap: how many have the
    gap, the levels missing in total, the program to run and the hours it takes; sorted by
    level (departments first), department, team and skill.

    The program is the one most often recommended for the skill within the group (ties:
    shorter, then program_id); when no member got a recommendation for the skill (cut by
    the per-employee limit), the skill's shortest program; NULL when no program builds the
    skill. training_hours = employees_with_gap * the program's duration_hours (NULL without
    a program)."""
    if gaps.empty:
        return pd.DataFrame(columns=list(DEMAND_COLUMNS))
    # Integer codes in text order, so sorting codes sorts names.
    emp_code, emp_names = pd.factorize(gaps["employee_id"])
    dept_code, dept_names = _codes_in_text_order(gaps["department"])
    team_code, team_names = _codes_in_text_order(gaps["team"])
    skill_code, skill_names = _codes_in_text_order(gaps["skill"])
    n_skills = len(skill_names)
    gap = gaps["gap"].to_numpy(dtype=np.int64)

    # Programs by id (sorted, so a position is also the id's rank), and each skill's fallback.
    progs = programs.sort_values("program_id", kind="stable").reset_index(drop=True)
    prog_ids = pd.Index(progs["program_id"])
    # Each array ends with a "no program" entry, which the code -1 picks.
    prog_hours = np.append(progs["duration_hours"].to_numpy(dtype=np.float64), np.nan)
    prog_names = np.append(progs["name"].to_numpy(dtype=object), None)
    prog_id_values = np.append(progs["program_id"].to_numpy(dtype=object), None)
    shortest = _shortest_program_per_skill(progs)
    fallback = np.full(n_skills, -1, dtype=np.int64)
    where = pd.Index(shortest["skill"]).get_indexer(skill_names)
    fallback[where >= 0] = prog_ids.get_indexer(
        shortest["program_id"].to_numpy()[where[where >= 0]]
    )

    # Recommendations as (employee, skill, program) codes.
    rec_emp = pd.Index(emp_names).get_indexer(recommendations["employee_id"])
    rec_skill = skill_names.get_indexer(recommendations["skill"])
    rec_prog = prog_ids.get_indexer(recommendations["program_id"])
    ok = (rec_emp >= 0) & (rec_skill >= 0) & (rec_prog >= 0)
    rec_emp, rec_skill, rec_prog = rec_emp[ok], rec_skill[ok], rec_prog[ok]

    n_teams = len(team_names)
    frames = []
    for level in ("department", "team"):
        group = dept_code if level == "department" else dept_code * n_teams + team_code
        group_of_emp = np.empty(len(emp_names), dtype=np.int64)
        group_of_emp[emp_code] = group
        keys, inverse = np.unique(group * n_skills + skill_code, return_inverse=True)
        employees_with_gap = np.bincount(inverse, minlength=len(keys))
        total_gap = np.bincount(inverse, weights=gap, minlength=len(keys)).astype(np.int64)

        # Most recommended program per key: count (key, program) pairs, best first.
        chosen = fallback[keys % n_skills]
        rec_key = group_of_emp[rec_emp] * n_skills + rec_skill
        pos = np.minimum(np.searchsorted(keys, rec_key), len(keys) - 1)
        found = keys[pos] == rec_key
        pairs, times = np.unique(pos[found] * len(progs) + rec_prog[found], return_counts=True)
        if len(pairs):
            p_key, p_prog = pairs // len(progs), pairs % len(progs)
            order = np.lexsort((p_prog, prog_hours[p_prog], -times, p_key))
            first = order[np.r_[True, p_key[order][1:] != p_key[order][:-1]]]
            chosen[p_key[first]] = p_prog[first]

        group_key = keys // n_skills
        hours = employees_with_gap * prog_hours[chosen]
        frames.append(
            pd.DataFrame(
                {
                    "level": level,
                    "department": dept_names.to_numpy(dtype=object)[
                        group_key if level == "department" else group_key // n_teams
                    ],
                    "team": None
                    if level == "department"
                    else team_names.to_numpy(dtype=object)[group_key % n_teams],
                    "skill": skill_names.to_numpy(dtype=object)[keys % n_skills],
                    "employees_with_gap": employees_with_gap.astype(np.int64),
                    "total_gap_levels": total_gap,
                    "program_id": prog_id_values[chosen],
                    "program_name": prog_names[chosen],
                    "training_hours": hours,
                },
                columns=list(DEMAND_COLUMNS),
            )
        )
    out = pd.concat(frames, ignore_index=True)
    for column in ("team", "program_id", "program_name"):  # NULLs as None, not NaN
        values = out[column].astype(object)
        out[column] = pd.Series(values.where(values.notna(), None), dtype=object)
    return out
