"""Read queries behind the HR insight endpoints and reports: each reads what the current
run stored (store/migrations/versions/0005), narrowed to the caller's `Scope` in SQL."""

from __future__ import annotations

import pandas as pd
from psycopg2.extensions import connection

from store.bulk import read_frame
from store.queries import fetch_all, fetch_one
from store.scope import Scope

_CURRENT = "JOIN model_runs r ON r.run_id = {alias}.run_id AND r.is_current"


def _current(alias: str) -> str:
    return _CURRENT.format(alias=alias)


def skill_gaps(conn: connection, employee_id: str, *, scope: Scope) -> list[dict]:
    return fetch_all(
        conn,
        f"""SELECT g.skill, g.required_level, g.current_level, g.gap, g.importance
            FROM skill_gaps g {_current("g")}
            WHERE g.employee_id = %(employee_id)s AND {scope.sql("g.employee_id")}
            ORDER BY g.importance DESC, g.gap DESC, g.skill""",
        {"employee_id": employee_id, **scope.params()},
    )


def recommendations(conn: connection, employee_id: str, *, scope: Scope) -> list[dict]:
    return fetch_all(
        conn,
        f"""SELECT t.rank, t.program_id, t.program_name, t.skill, t.gap, t.levels_closed,
                   t.importance, t.duration_hours, t.skill_match_gain, t.expected_benefit
            FROM training_recommendations t {_current("t")}
            WHERE t.employee_id = %(employee_id)s AND {scope.sql("t.employee_id")}
            ORDER BY t.rank""",
        {"employee_id": employee_id, **scope.params()},
    )


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
            FROM team_composition c {_current("c")}
            WHERE (%(department)s::text IS NULL OR c.department = %(department)s)
              AND (%(team)s::text IS NULL OR c.team = %(team)s)
              AND (%(after)s::text IS NULL OR c.team > %(after)s)
              AND {scope.team_sql("c.team", "c.run_id")}
            ORDER BY c.team LIMIT %(limit)s""",
        {"department": department, "team": team, "after": after, "limit": limit, **scope.params()},
    )


def team_history(conn: connection, team: str) -> list[dict]:
    """The team's composition figures in every kept run, oldest first."""
    return fetch_all(
        conn,
        """SELECT c.run_id, r.as_of, c.members, c.average_score, c.tier_high, c.tier_medium,
                  c.tier_low, c.skill_coverage
           FROM team_composition c JOIN model_runs r ON r.run_id = c.run_id
           WHERE c.team = %(team)s AND r.status = 'succeeded'
           ORDER BY c.run_id""",
        {"team": team},
    )


def team_suggestions(
    conn: connection, *, department: str | None = None, team: str | None = None
) -> list[dict]:
    """Suggested moves and swaps of the current run, in the order they apply."""
    return fetch_all(
        conn,
        f"""SELECT u.department, u.rank, u.kind, u.employee_id, u.from_team, u.to_team,
                   u.other_employee_id, u.imbalance_before, u.imbalance_after, u.details
            FROM team_suggestions u {_current("u")}
            WHERE (%(department)s::text IS NULL OR u.department = %(department)s)
              AND (%(team)s::text IS NULL OR %(team)s IN (u.from_team, u.to_team))
            ORDER BY u.department, u.rank""",
        {"department": department, "team": team},
    )


def training_demand(
    conn: connection,
    *,
    level: str,
    department: str | None,
    team: str | None,
    scope: Scope,
    after: tuple[str, str, str] | None = None,
    limit: int = 100_000,
) -> list[dict]:
    """Demand rows of the current run in (department, team, skill) order, the order of its
    unique index; `after` is the (department, team or '', skill) of the previous page's last
    row (keyset pagination)."""
    return fetch_all(
        conn,
        f"""SELECT d.level, d.department, d.team, d.skill, d.employees_with_gap,
                   d.total_gap_levels, d.program_id, d.program_name, d.training_hours
            FROM training_demand d {_current("d")}
            WHERE d.level = %(level)s
              AND (%(department)s::text IS NULL OR d.department = %(department)s)
              AND (%(team)s::text IS NULL OR d.team = %(team)s)
              AND (%(after_department)s::text IS NULL
                   OR (d.department, coalesce(d.team, ''), d.skill)
                      > (%(after_department)s, %(after_team)s, %(after_skill)s))
              AND (d.team IS NULL OR {scope.team_sql("d.team", "d.run_id")})
            ORDER BY d.department, coalesce(d.team, ''), d.skill
            LIMIT %(limit)s""",
        {
            "level": level,
            "department": department,
            "team": team,
            **dict(
                zip(
                    ("after_department", "after_team", "after_skill"),
                    after or (None, None, None),
                    strict=True,
                )
            ),
            "limit": limit,
            **scope.params(),
        },
    )


def training_effectiveness(conn: connection, program_id: str | None = None) -> list[dict]:
    return fetch_all(
        conn,
        f"""SELECT e.program_id, e.program_name, e.skill, e.metric, e.participants,
                   e.comparison_employees, e.participants_before, e.participants_after,
                   e.comparison_before, e.comparison_after, e.effect, e.ci_low, e.ci_high
            FROM training_effectiveness e {_current("e")}
            WHERE %(program_id)s::text IS NULL OR e.program_id = %(program_id)s
            ORDER BY e.program_id, e.metric""",
        {"program_id": program_id},
    )


def department_trend(conn: connection, department: str) -> dict | None:
    """The current run's windows and the window-0 figure of every kept run."""
    windows = fetch_all(
        conn,
        f"""SELECT t."window", t.period_end, t.employees, t.average_score,
                   t.tier_high, t.tier_medium, t.tier_low
            FROM department_trends t {_current("t")}
            WHERE t.department = %(department)s ORDER BY t."window" DESC""",
        {"department": department},
    )
    if not windows:
        return None
    runs = fetch_all(
        conn,
        """SELECT t.run_id, r.as_of, t.employees, t.average_score,
                  t.tier_high, t.tier_medium, t.tier_low
           FROM department_trends t JOIN model_runs r ON r.run_id = t.run_id
           WHERE t.department = %(department)s AND t."window" = 0 AND r.status = 'succeeded'
           ORDER BY t.run_id""",
        {"department": department},
    )
    return {"windows": windows, "runs": runs}


def current_insights_params(conn: connection) -> dict | None:
    """run_id, as_of and the insight parameters of the current run."""
    return fetch_one(
        conn,
        "SELECT run_id, as_of, params -> 'insights' AS insights FROM model_runs WHERE is_current",
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


def department_employees(conn: connection, department: str) -> list[dict]:
    """One row per employee of the department in the current run, with the figures a
    department report lists: result, percentile, trend, prediction, anomaly, skill gaps and
    the first recommended program."""
    return fetch_all(
        conn,
        """SELECT s.employee_id, e.name, s.team, s.job_title,
                  round(s.score::numeric, 2)::float AS score, s.tier,
                  round(s.percentile_department::numeric, 1)::float AS percentile_department,
                  round(s.percentile_job_title::numeric, 1)::float AS percentile_job_title,
                  s.trend, round(s.score_change::numeric, 2)::float AS score_change,
                  s.predicted_tier, round(s.p_low::numeric, 3)::float AS p_low,
                  s.is_anomaly, s.tier_drivers, s.anomaly_drivers,
                  (SELECT count(*) FROM skill_gaps g
                    WHERE g.run_id = s.run_id AND g.employee_id = s.employee_id) AS skill_gaps,
                  t.program_name AS top_training, t.skill AS top_training_skill,
                  round(t.expected_benefit::numeric, 2)::float AS top_training_benefit
           FROM scores s
           JOIN model_runs r ON r.run_id = s.run_id AND r.is_current
           LEFT JOIN employees e ON e.employee_id = s.employee_id
           LEFT JOIN training_recommendations t
                  ON t.run_id = s.run_id AND t.employee_id = s.employee_id AND t.rank = 1
           WHERE s.department = %(department)s
           ORDER BY s.team, s.employee_id""",
        {"department": department},
    )
