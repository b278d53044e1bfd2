"""The teams resource: team composition of the current run and across kept runs, the
suggested moves and swaps, and what evaluating a proposed composition reads."""

from __future__ import annotations

import pandas as pd
from psycopg2.extensions import connection

from store.bulk import read_frame
from store.queries._sql import current, fetch_all
from store.scope import Scope


def teams(
    conn: connection,
    *,
    scope: Scope,
    department: str | None,
    team: str | None = None,
    after: str | None = None,
    limit: int = 500,
) -> list[dict]:
    """Team composition rows of the current run, in team order (keyset on `after`)."""
    return fetch_all(
        conn,
        f"""SELECT c.run_id, c.team, c.department, c.members, c.tier_high, c.tier_medium,
                   c.tier_low, c.average_score, c.required_skills, c.covered_skills,
                   c.skill_coverage, c.missing_skills, c.average_workload, c.workload_cv,
                   c.score_w1, c.score_w2, c.score_change, c.trend
            FROM team_composition c {current("c")}
            WHERE (%(department)s::text IS NULL OR c.department = %(department)s)
              AND (%(team)s::text IS NULL OR c.team = %(team)s)
              AND (%(after)s::text IS NULL OR c.team > %(after)s)
              AND {scope.team_sql("c.team", "c.run_id")}
            ORDER BY c.team LIMIT %(limit)s""",
        {"department": department, "team": team, "after": after, "limit": limit, **scope.params()},
    )


def lowest_scoring_teams(conn: connection, department: str, limit: int) -> tuple[int, list[dict]]:
    """How many teams the department has in the current run, and those of them that can be
    among its `limit` lowest average scores as a report rounds them (to 2 digits), in team
    order: those up to the `limit`-th lowest score and a little above it (rounding moves a
    score by 0.005 at most), so the caller's choice over them is its choice over all."""
    rows = fetch_all(
        conn,
        f"""WITH department AS (
                SELECT c.* FROM team_composition c {current("c")}
                WHERE c.department = %(department)s
            ), edge AS (
                SELECT average_score FROM department WHERE average_score IS NOT NULL
                ORDER BY average_score OFFSET %(limit)s - 1 LIMIT 1
            )
            SELECT (SELECT count(*) FROM department) AS teams_total, d.run_id, d.team,
                   d.department, d.members, d.tier_high, d.tier_medium, d.tier_low,
                   d.average_score, d.required_skills, d.covered_skills, d.skill_coverage,
                   d.missing_skills, d.average_workload, d.workload_cv, d.score_w1,
                   d.score_w2, d.score_change, d.trend
            FROM department d
            WHERE NOT EXISTS (SELECT FROM edge)
               OR d.average_score <= (SELECT average_score FROM edge) + 0.02
            ORDER BY d.team""",
        {"department": department, "limit": limit},
    )
    total = rows[0]["teams_total"] if rows else 0
    return total, [{k: v for k, v in r.items() if k != "teams_total"} for r in rows]


def team_history(conn: connection, team: str, *, scope: Scope) -> list[dict]:
    """The team's composition figures in every kept run, oldest first.

    A run's figures describe the team as it was then, so they are shown only for the runs
    in which every member of the team is someone the caller may see today: a former member
    who left the caller's scope would otherwise be one run's figures minus the next's."""
    return fetch_all(
        conn,
        f"""SELECT c.run_id, r.as_of, c.members, c.average_score, c.tier_high, c.tier_medium,
                   c.tier_low, c.skill_coverage
            FROM team_composition c JOIN model_runs r ON r.run_id = c.run_id
            WHERE c.team = %(team)s AND r.status = 'succeeded'
              AND {scope.team_sql("c.team", "c.run_id")}
            ORDER BY c.run_id""",
        {"team": team, **scope.params()},
    )


def team_suggestions(
    conn: connection, *, scope: Scope, department: str | None = None, team: str | None = None
) -> list[dict]:
    """Suggested moves and swaps of the current run, in the order they apply.

    A suggestion is visible when both people and both teams are in the caller's scope
    (every member of each team). Each suggestion of a department is computed on the
    composition its predecessors leave, so its figures include whoever they moved: a
    department's suggestions are shown up to, not including, its first invisible one."""
    return fetch_all(
        conn,
        f"""WITH department_suggestions AS (
                SELECT u.*,
                       {scope.sql("u.employee_id")}
                       AND (u.other_employee_id IS NULL OR {scope.sql("u.other_employee_id")})
                       AND {scope.team_sql("u.from_team", "u.run_id")}
                       AND {scope.team_sql("u.to_team", "u.run_id")} AS visible
                FROM team_suggestions u {current("u")}
                WHERE (%(department)s::text IS NULL OR u.department = %(department)s)
                  AND (%(team)s::text IS NULL OR u.department IN (
                      SELECT t.department FROM team_suggestions t
                      WHERE t.run_id = u.run_id AND %(team)s IN (t.from_team, t.to_team)))
            ), shown AS (
                SELECT s.*, bool_and(s.visible) OVER (
                           PARTITION BY s.department ORDER BY s.rank) AS prefix_visible
                FROM department_suggestions s
            )
            SELECT department, rank, kind, employee_id, from_team, to_team,
                   other_employee_id, imbalance_before, imbalance_after, details
            FROM shown
            WHERE prefix_visible
              AND (%(team)s::text IS NULL OR %(team)s IN (from_team, to_team))
            ORDER BY department, rank""",
        {"department": department, "team": team, **scope.params()},
    )


def _frame(conn: connection, query: str, params: dict) -> pd.DataFrame:
    return read_frame(conn, query, params, dtype={"employee_id": str, "team": str, "skill": str})


def department_members(conn: connection, departments: list[str]) -> dict[str, pd.DataFrame]:
    """What evaluating a proposed composition needs about the departments it touches:
    the current run's scores of their members, those members' skills, the requirements of
    their job titles, and which of them manage someone (managers are never moved)."""
    params = {"departments": departments}
    scores = _frame(
        conn,
        """SELECT s.employee_id, s.department, s.team, s.job_title, s.score, s.tier,
                  s.total_tasks, s.completed_tasks
           FROM scores s JOIN model_runs r ON r.run_id = s.run_id AND r.is_current
           WHERE s.department = ANY(%(departments)s)""",
        params,
    )
    skills = _frame(
        conn,
        """SELECT k.employee_id, k.skill, k.level
           FROM employee_skills k
           JOIN scores s ON s.employee_id = k.employee_id
           JOIN model_runs r ON r.run_id = s.run_id AND r.is_current
           WHERE s.department = ANY(%(departments)s)""",
        params,
    )
    requirements = _frame(
        conn,
        """SELECT q.job_title, q.skill, q.required_level, q.importance
           FROM role_skill_requirements q
           WHERE q.job_title IN (
               SELECT s.job_title FROM scores s
               JOIN model_runs r ON r.run_id = s.run_id AND r.is_current
               WHERE s.department = ANY(%(departments)s))""",
        params,
    )
    managers = _frame(
        conn,
        """SELECT DISTINCT e.manager_id AS employee_id FROM employees e
           JOIN scores s ON s.employee_id = e.manager_id
           JOIN model_runs r ON r.run_id = s.run_id AND r.is_current
           WHERE s.department = ANY(%(departments)s)""",
        params,
    )
    return {
        "scores": scores,
        "employee_skills": skills,
        "requirements": requirements,
        "managers": managers,
    }


def departments_of(conn: connection, employee_ids: list[str], teams: list[str]) -> dict:
    """The current department of each named employee and team (for routing a proposal)."""
    people = fetch_all(
        conn,
        """SELECT s.employee_id, s.department FROM scores s
           JOIN model_runs r ON r.run_id = s.run_id AND r.is_current
           WHERE s.employee_id = ANY(%(ids)s)""",
        {"ids": employee_ids},
    )
    team_rows = fetch_all(
        conn,
        """SELECT c.team, c.department FROM team_composition c
           JOIN model_runs r ON r.run_id = c.run_id AND r.is_current
           WHERE c.team = ANY(%(teams)s)""",
        {"teams": teams},
    )
    return {
        "employees": {r["employee_id"]: r["department"] for r in people},
        "teams": {r["team"]: r["department"] for r in team_rows},
    }
