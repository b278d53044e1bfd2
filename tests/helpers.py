"""Small, hand-made data and store inspection shared by the tests."""

from __future__ import annotations

import datetime as dt

EMPLOYEES = [
    {
        "employee_id": "E1",
        "name": "Ada Lovelace",
        "department": "Engineering",
        "job_title": "Engineering Manager",
        "team": "Platform",
        "manager_id": None,
        "hire_date": "2019-03-01",
    },
    {
        "employee_id": "E2",
        "name": "Alan Turing",
        "department": "Engineering",
        "job_title": "Software Engineer",
        "team": "Platform",
        "manager_id": "E1",
        "hire_date": "2021-06-15",
    },
    {
        "employee_id": "E3",
        "name": "Grace Hopper",
        "department": "Engineering",
        "job_title": "Software Engineer",
        "team": "Platform",
        "manager_id": "E1",
        "hire_date": "2022-01-10",
    },
]

TASK_RECORDS = [
    {
        "employee_id": "E2",
        "period": "2026-09-01",
        "tasks_total": 20,
        "tasks_completed": 18,
        "hours_logged": 150.5,
    },
    {
        "employee_id": "E3",
        "period": "2026-09-01",
        "tasks_total": 10,
        "tasks_completed": 5,
        "hours_logged": 160.0,
    },
]


def snapshot(conn, table: str) -> list[tuple]:
    """Every row of a table, in a stable order, without the bookkeeping timestamp."""
    with conn.cursor() as cur:
        cur.execute(f"SELECT * FROM {table} ORDER BY 1, 2")
        names = [d.name for d in cur.description]
        keep = [i for i, n in enumerate(names) if n != "updated_at"]
        rows = [tuple(row[i] for i in keep) for row in cur.fetchall()]
    conn.rollback()
    return rows


def query(target, sql: str, params: tuple | dict | None = None, *, as_dicts: bool = False) -> list:
    """The rows of one statement, on a connection or on a database URL (connected, in
    autocommit, for this statement alone). A connection is left with no transaction open,
    whatever happened, so a test's later reads see fresh data."""
    import psycopg2
    from psycopg2.extras import RealDictCursor

    own = isinstance(target, str)
    conn = psycopg2.connect(target) if own else target
    if own:
        conn.autocommit = True
    try:
        with conn.cursor(cursor_factory=RealDictCursor if as_dicts else None) as cur:
            cur.execute(sql, params)
            rows = cur.fetchall() if cur.description else []
        return [dict(r) for r in rows] if as_dicts else rows
    finally:
        if own:
            conn.close()
        elif not conn.autocommit:
            conn.rollback()


def one(target, sql: str, params: tuple | dict | None = None):
    """The first row of `query`, or None."""
    rows = query(target, sql, params)
    return rows[0] if rows else None


def count(conn, table: str) -> int:
    with conn.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {table}")
        n = cur.fetchone()[0]
    conn.rollback()
    return n


def first_of_month(months_ago: int, today: dt.date | None = None) -> dt.date:
    today = (today or dt.date.today()).replace(day=1)
    year, month = divmod(today.year * 12 + today.month - 1 - months_ago, 12)
    return dt.date(year, month + 1, 1)


def seed_demo(database_url: str, employees: int = 150, seed: int = 3) -> dict:
    """Load a small synthetic organisation through the real validation and bulk load."""
    import psycopg2

    from worker.demo import generate_organisation
    from worker.demo.loading import load_organisation

    frames = generate_organisation(employees=employees, seed=seed, end_period=first_of_month(1))
    conn = psycopg2.connect(database_url)
    with conn:
        for _ in load_organisation(conn, frames):
            pass
    conn.close()
    return frames


def issue_token(database_url: str, role: str = "admin", employee_id: str | None = None) -> str:
    """A real token in that database, made by the store code the CLI uses; the bearer value."""
    import psycopg2

    from store import tokens

    conn = psycopg2.connect(database_url)
    try:
        with conn:
            _, bearer = tokens.create(conn, role, employee_id=employee_id, name=f"test {role}")
    finally:
        conn.close()
    return bearer


def reports_of(target) -> dict[str, list[str]]:
    """Each manager's direct reports, from the employees table of `target`."""
    reports: dict[str, list[str]] = {}
    for employee_id, manager_id in query(target, "SELECT employee_id, manager_id FROM employees"):
        if manager_id is not None:
            reports.setdefault(manager_id, []).append(employee_id)
    return reports


def people_of(manager_id: str, reports: dict[str, list[str]]) -> set[str]:
    """The manager and everyone below them, walked here in Python, independently of SQL."""
    seen, todo = set(), [manager_id]
    while todo:
        person = todo.pop()
        if person not in seen:
            seen.add(person)
            todo.extend(reports.get(person, []))
    return seen
