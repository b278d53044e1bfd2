"""Complementary suppression (migration 0008): a parent's total minus the groups a reporting
view shows never isolates a hidden group, read as Grafana reads, with the reader role.

The parents' totals are what the API publishes elsewhere: the organisation's figures of a
run (/metrics, /models/{id}: employees scored, tier counts, anomalies), and a department's
own row where a view shows it."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterator
from functools import partial

import psycopg2
import pytest
from psycopg2.extras import execute_values

from store import run_partitions
from tests.helpers import query
from tests.store.test_reporting_views import reader_url

rows = partial(query, as_dicts=True)

# department -> team -> people. Platform (2) sits beside larger teams, Legal (1) beside
# larger departments: each is the one small group of its parent.
ORGANISATION = {
    "Engineering": {"Platform": 2, "Payments": 6, "Data": 7},
    "Sales": {"North": 8, "South": 9},
    "Legal": {"Counsel": 1},
    "Finance": {"Tax": 12},
    "Support": {"Desk": 20},
}
TIERS = ("High", "Medium", "Low")
# Checked at several minimums: which groups are small changes with it.
MINIMUMS = (3, 5, 7, 9)


def people() -> list[tuple[str, str, str]]:
    return [
        (f"{team}-{i}", department, team)
        for department, teams in ORGANISATION.items()
        for team, size in teams.items()
        for i in range(size)
    ]


def tier_of(index: int) -> str:
    return TIERS[index % 3]


@pytest.fixture
def organisation(conn) -> int:
    """Employees, two succeeded runs scoring everyone (the later one current), and the
    team composition and department trends the worker would store; the current run id."""
    everyone = people()
    with conn, conn.cursor() as cur:
        execute_values(
            cur,
            "INSERT INTO employees (employee_id, name, department, job_title, team, hire_date) "
            "VALUES %s",
            [(e, f"Person {e}", d, "Specialist", t, "2020-01-01") for e, d, t in everyone],
        )
        for month, current in ((8, False), (9, True)):
            cur.execute(
                "INSERT INTO model_runs (status, is_current, as_of, started_at, finished_at) "
                "VALUES ('succeeded', %s, %s, now(), now()) RETURNING run_id",
                (current, dt.date(2026, month, 1)),
            )
            (run_id,) = cur.fetchone()
            run_partitions.add_empty_partitions(cur.connection, run_id)
            execute_values(
                cur,
                "INSERT INTO scores (run_id, employee_id, department, team, job_title, score, "
                "completion_rate, task_efficiency, throughput, avg_task_hours, "
                "completed_tasks, total_tasks, relative_task_hours, relative_throughput, "
                "tier, is_anomaly, anomaly_score) VALUES %s",
                [
                    (run_id, e, d, t, "Specialist", 10.0 + i, 0.8, 0.5, 0.5, 2.0, 8, 10,
                     1.0, 1.0, tier_of(i), i % 4 == 0, 0.1)
                    for i, (e, d, t) in enumerate(everyone)
                ],
            )  # fmt: skip
            sizes = {t: (d, n) for d, teams in ORGANISATION.items() for t, n in teams.items()}
            execute_values(
                cur,
                "INSERT INTO team_composition (run_id, team, department, members, tier_high, "
                "tier_medium, tier_low, average_score, required_skills, covered_skills, "
                "skill_coverage, average_workload, workload_cv) VALUES %s",
                [(run_id, t, d, n, 0, n, 0, 50.0, 2, 2, 1.0, 1.0, 0.1)
                 for t, (d, n) in sizes.items()],
            )  # fmt: skip
            execute_values(
                cur,
                'INSERT INTO department_trends (run_id, department, "window", period_end, '
                "employees, average_score, tier_high, tier_medium, tier_low) VALUES %s",
                [(run_id, d, w, dt.date(2026, month - w, 1), sum(teams.values()), 50.0, 0,
                  sum(teams.values()), 0)
                 for d, teams in ORGANISATION.items() for w in range(3)],
            )  # fmt: skip
    return run_id


@pytest.fixture
def reader(database_url: str, organisation) -> Iterator[psycopg2.extensions.connection]:
    connection = psycopg2.connect(reader_url(database_url))
    yield connection
    connection.close()


def set_min_group_size(conn, size: int) -> None:
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE reporting.settings SET min_group_size = %s", (size,))


def assert_remainder_protected(parent: str, groups: dict[str, int], shown: set[str], k: int):
    """The parent's total minus the shown groups is nothing, or two groups or more with at
    least k people together."""
    hidden = {g: n for g, n in groups.items() if g not in shown}
    assert set(shown) <= set(groups), parent
    if hidden:
        assert len(hidden) >= 2, (parent, k, hidden)
        assert sum(hidden.values()) >= k, (parent, k, hidden)


def department_sizes() -> dict[str, int]:
    return {d: sum(teams.values()) for d, teams in ORGANISATION.items()}


@pytest.mark.parametrize("k", MINIMUMS)
def test_the_organisation_total_minus_the_shown_departments_isolates_no_department(
    conn, reader, organisation, k
):
    set_min_group_size(conn, k)
    sizes = department_sizes()
    per_run = (
        ("tier_distribution_by_department", "run_id"),
        ("anomalies_by_department_run", "run_id"),
        ("performance_by_department_month", "run_id"),
        ("team_balance_by_department", "run_id"),
    )
    for view, parent in per_run:
        shown = defaultdict(set)
        for r in rows(reader, f"SELECT {parent} AS parent, department FROM reporting.{view}"):
            shown[r["parent"]].add(r["department"])
        assert shown or all(n < k for n in sizes.values()), view
        for run, departments in shown.items():
            assert_remainder_protected(f"{view} {run}", sizes, departments, k)
    trends = defaultdict(set)
    for r in rows(reader, 'SELECT run_id, "window", department FROM reporting.department_trends'):
        trends[(r["run_id"], r["window"])].add(r["department"])
    assert len(trends) == 6
    for parent, departments in trends.items():
        assert_remainder_protected(f"trends {parent}", sizes, departments, k)
    headcount = {
        r["department"] for r in rows(reader, "SELECT * FROM reporting.department_headcount")
    }
    assert_remainder_protected("headcount", sizes, headcount, k)


@pytest.mark.parametrize("k", MINIMUMS)
def test_a_department_total_minus_its_shown_teams_isolates_no_team(conn, reader, k):
    set_min_group_size(conn, k)
    departments = {
        r["department"]
        for r in rows(reader, "SELECT department FROM reporting.tier_distribution_by_department")
    }
    shown = defaultdict(set)
    for r in rows(reader, "SELECT department, team FROM reporting.tier_distribution_by_team"):
        shown[r["department"]].add(r["team"])
    # A team is shown only inside a shown department, the parent whose total is public.
    assert set(shown) <= departments
    for department, teams in shown.items():
        assert_remainder_protected(department, ORGANISATION[department], teams, k)


def test_subtracting_the_shown_departments_from_the_organisations_figures_gives_no_one_away(
    conn, reader, organisation
):
    # What /metrics publishes for the current run: employees scored, per tier, anomalies.
    (total,) = rows(
        conn,
        "SELECT count(*) AS employees, count(*) FILTER (WHERE tier = 'High') AS high, "
        "count(*) FILTER (WHERE tier = 'Medium') AS medium, "
        "count(*) FILTER (WHERE tier = 'Low') AS low FROM scores WHERE run_id = %s",
        (organisation,),
    )
    shown = rows(reader, "SELECT * FROM reporting.tier_distribution_by_department")
    remainder = Counter(total)
    remainder.subtract(Counter({c: sum(r[c] for r in shown) for c in total}))
    # Legal's one person is hidden with the next-smallest department (Finance, 12).
    assert {r["department"] for r in shown} == {"Engineering", "Sales", "Support"}
    assert remainder["employees"] == 1 + 12
    assert sum(remainder[t.lower()] for t in TIERS) == 13

    (anomalies,) = rows(
        conn,
        "SELECT count(*) FILTER (WHERE is_anomaly) AS n FROM scores WHERE run_id = %s",
        (organisation,),
    )
    shown_anomalies = rows(
        reader,
        "SELECT department, anomalies FROM reporting.anomalies_by_department_run WHERE run_id = %s",
        (organisation,),
    )
    assert {r["department"] for r in shown_anomalies} == {"Engineering", "Sales", "Support"}
    # The anomalies left over are those of 13 people, not Legal's one.
    legal_and_finance = [i for i, (_, d, _) in enumerate(people()) if d in ("Legal", "Finance")]
    assert anomalies["n"] - sum(r["anomalies"] for r in shown_anomalies) == sum(
        1 for i in legal_and_finance if i % 4 == 0
    )


def test_a_team_of_two_beside_larger_teams_is_hidden_with_the_next_smallest(reader):
    teams = {
        (r["department"], r["team"]): r["employees"]
        for r in rows(reader, "SELECT * FROM reporting.tier_distribution_by_team")
    }
    # Engineering (15): Platform (2) and Payments (6) hidden, 8 people between them.
    assert ("Engineering", "Data") in teams
    assert not {("Engineering", "Platform"), ("Engineering", "Payments")} & set(teams)
    # Finance is hidden to protect Legal, so its single team is hidden as well.
    assert ("Finance", "Tax") not in teams
    assert teams[("Sales", "North")] == 8


def test_a_flag_is_shown_only_for_a_department_its_trend_shows(conn, reader, organisation):
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE model_runs SET params = '{}' WHERE run_id = %s", (organisation,))
    flags = {
        r["department"] for r in rows(reader, "SELECT * FROM reporting.department_trend_flags")
    }
    window0 = {
        r["department"]
        for r in rows(
            reader,
            'SELECT department FROM reporting.department_trends WHERE "window" = 0 AND run_id = %s',
            (organisation,),
        )
    }
    assert flags == window0 == {"Engineering", "Sales", "Support"}


@pytest.fixture
def activity_and_skills(conn, organisation) -> None:
    """Two months of task records for everyone, one required skill that half the people
    lack, a program that builds it, and the current run's department demand for it."""
    everyone = people()
    sizes = department_sizes()
    with conn, conn.cursor() as cur:
        execute_values(
            cur,
            "INSERT INTO task_records (employee_id, period, tasks_total, tasks_completed, "
            "hours_logged) VALUES %s",
            [(e, dt.date(2026, m, 1), 10, 5 + i % 5, 40.0)
             for m in (8, 9) for i, (e, _, _) in enumerate(everyone)],
        )  # fmt: skip
        cur.execute(
            "INSERT INTO role_skill_requirements (job_title, skill, required_level, importance) "
            "VALUES ('Specialist', 'SQL', 3, 1.0)"
        )
        execute_values(
            cur,
            "INSERT INTO employee_skills (employee_id, skill, level) VALUES %s",
            [(e, "SQL", 1 + i % 4) for i, (e, _, _) in enumerate(everyone)],
        )
        cur.execute(
            "INSERT INTO training_programs (program_id, name, skill, level_gain, duration_hours) "
            "VALUES ('P1', 'SQL basics', 'SQL', 1, 8), ('P2', 'SQL in depth', 'SQL', 2, 16)"
        )
        execute_values(
            cur,
            "INSERT INTO training_demand (run_id, level, department, skill, employees_with_gap, "
            "total_gap_levels, program_id, program_name, training_hours) VALUES %s",
            [(organisation, "department", d, "SQL", n, n, "P1", "SQL basics", 8.0 * n)
             for d, n in sizes.items()],
        )  # fmt: skip


@pytest.mark.parametrize("k", MINIMUMS)
def test_activity_skill_gaps_and_demand_isolate_no_department(conn, reader, activity_and_skills, k):
    set_min_group_size(conn, k)
    sizes = department_sizes()
    views = (
        ("activity_by_department_month", "month"),
        ("skill_gaps_by_department", "skill"),
        ("training_demand_by_department", "program_id"),
        ("training_demand_by_department_run", "program_id"),
    )
    for view, parent in views:
        shown = defaultdict(set)
        for r in rows(reader, f"SELECT {parent} AS parent, department FROM reporting.{view}"):
            shown[r["parent"]].add(r["department"])
        assert shown, (view, k)
        for group, departments in shown.items():
            assert_remainder_protected(f"{view} {group}", sizes, departments, k)


def test_a_one_person_department_is_hidden_with_the_next_smallest_in_every_view(
    reader, activity_and_skills
):
    # At the default minimum (5), Legal (1) is hidden with Finance (12) everywhere.
    for view in (
        "activity_by_department_month",
        "skill_gaps_by_department",
        "training_demand_by_department",
        "training_demand_by_department_run",
    ):
        shown = {r["department"] for r in rows(reader, f"SELECT department FROM reporting.{view}")}
        assert shown == {"Engineering", "Sales", "Support"}, view
