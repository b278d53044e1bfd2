"""The training resource: demand per department and team, and measured effectiveness per
program, of the current run."""

from __future__ import annotations

from psycopg2.extensions import connection

from store.queries._sql import current, fetch_all
from store.scope import Scope


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
            FROM training_demand d {current("d")}
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
            FROM training_effectiveness e {current("e")}
            WHERE %(program_id)s::text IS NULL OR e.program_id = %(program_id)s
            ORDER BY e.program_id, e.metric""",
        {"program_id": program_id},
    )
