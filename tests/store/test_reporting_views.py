"""The reporting views Grafana reads: the right aggregates, no group smaller than the
configured minimum, and a reader role that can see those views and nothing else."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from functools import partial

import psycopg2
import pytest
from psycopg2 import errors
from psycopg2.extras import Json, execute_values

from store import migrate, run_partitions
from tests.conftest import admin
from tests.helpers import query

READER = "epa_grafana"
# The views of 0006 over the per-run insight tables of 0005.
INSIGHT_VIEWS = (
    "training_demand_by_department_run",
    "department_trends",
    "department_trend_flags",
    "training_effectiveness",
    "team_balance_by_department",
)
# 0010: KPIs and scorecards.
KPI_VIEWS = (
    "kpi_catalogue",
    "scorecard_weights",
    "kpi_by_department_month",
    "kpi_points_by_department",
)
# 0013: the current run's review counts.
REVIEW_VIEWS = ("reviews_current_run",)
INSIGHT_TABLES = (
    "skill_gaps",
    "training_recommendations",
    "training_demand",
    "training_effectiveness",
    "team_composition",
    "team_suggestions",
    "department_trends",
    "training_completions",
)
UTC = dt.UTC

# department -> team -> number of people. Group sizes chosen around the default minimum of 5.
ORGANISATION = {
    "Engineering": {"Platform": 3, "Payments": 3},  # department shown, both teams hidden
    "Sales": {"North": 6, "South": 3},  # South hidden, so North too: 9 - 6 would reveal it
    "Finance": {"Tax": 5, "Audit": 5},  # everything shown
    "Support": {"Tier 1": 6, "Tier 2": 3, "Billing": 3},  # hidden teams add up to 6: fine
    "Legal": {"Counsel": 2},  # hidden everywhere
    # Hidden too; with Legal, the hidden departments are two and add up to the minimum, so
    # no larger department is hidden to protect Legal (migration 0008).
    "Facilities": {"Ops": 3},
}
ENGINEERING_TIERS = ["High", "High", "Medium", "Medium", "Low", "High"]
ENGINEERING_SCORES = [90.0, 80.0, 60.0, 50.0, 20.0, 70.0]


def people() -> list[tuple[str, str, str]]:
    """(employee_id, department, team) for everyone in ORGANISATION."""
    out = []
    for department, teams in ORGANISATION.items():
        for team, size in teams.items():
            out += [(f"{department[:3]}-{team}-{i}", department, team) for i in range(size)]
    return out


def add_employees(cur) -> None:
    execute_values(
        cur,
        "INSERT INTO employees (employee_id, name, department, job_title, team, hire_date) "
        "VALUES %s",
        [(e, f"Person {e}", d, f"{d} Specialist", t, "2020-01-01") for e, d, t in people()],
    )


def add_run(
    cur,
    *,
    as_of: dt.date,
    finished_at: dt.datetime,
    current: bool,
    tier: str = "Medium",
    score: float = 50.0,
) -> int:
    """A succeeded run scoring everyone; Engineering gets ENGINEERING_TIERS/SCORES, and in
    every department the first person is an anomaly."""
    cur.execute(
        "INSERT INTO model_runs (status, is_current, as_of, started_at, finished_at) "
        "VALUES ('succeeded', %s, %s, %s, %s) RETURNING run_id",
        (current, as_of, finished_at - dt.timedelta(minutes=1), finished_at),
    )
    run_id = cur.fetchone()[0]
    run_partitions.add_empty_partitions(cur.connection, run_id)
    rows = []
    seen: dict[str, int] = {}
    for employee_id, department, team in people():
        n = seen[department] = seen.get(department, -1) + 1
        if department == "Engineering":
            person_tier, person_score = ENGINEERING_TIERS[n], ENGINEERING_SCORES[n]
        else:
            person_tier, person_score = tier, score
        rows.append(
            (run_id, employee_id, department, team, f"{department} Specialist", person_score,
             0.8, 0.5, 0.5, 2.0, 8, 10, 1.0, 1.0, person_tier, n == 0, 0.1)
        )  # fmt: skip
    execute_values(
        cur,
        "INSERT INTO scores (run_id, employee_id, department, team, job_title, score, "
        "completion_rate, task_efficiency, throughput, avg_task_hours, completed_tasks, "
        "total_tasks, relative_task_hours, relative_throughput, tier, is_anomaly, "
        "anomaly_score) VALUES %s",
        rows,
    )
    return run_id


def at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=3, tzinfo=UTC)


@pytest.fixture
def org(conn) -> dict[str, int]:
    """The organisation above with an older run and the current one; their run ids."""
    with conn, conn.cursor() as cur:
        add_employees(cur)
        old = add_run(
            cur, as_of=dt.date(2026, 8, 1), finished_at=at("2026-09-02"), current=False,
            tier="Low", score=30.0,
        )  # fmt: skip
        current = add_run(
            cur, as_of=dt.date(2026, 9, 1), finished_at=at("2026-10-02"), current=True
        )
    return {"old": old, "current": current}


# Rows as dicts, the connection rolled back afterwards.
rows = partial(query, as_dicts=True)


def set_min_group_size(conn, size: int) -> None:
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE reporting.settings SET min_group_size = %s", (size,))


def departments_shown(conn) -> set[str]:
    return {
        r["department"]
        for r in rows(conn, "SELECT department FROM reporting.tier_distribution_by_department")
    }


def teams_shown(conn) -> set[tuple[str, str]]:
    found = rows(conn, "SELECT department, team FROM reporting.tier_distribution_by_team")
    return {(r["department"], r["team"]) for r in found}


# --------------------------------------------------------------------------- aggregates


def test_tier_distribution_counts_the_current_run_per_department(conn, org):
    found = {
        r["department"]: r
        for r in rows(conn, "SELECT * FROM reporting.tier_distribution_by_department")
    }
    assert set(found) == {"Engineering", "Sales", "Finance", "Support"}  # Legal has 2
    engineering = found["Engineering"]
    assert engineering["run_id"] == org["current"]
    assert (engineering["employees"], engineering["high"], engineering["medium"]) == (6, 3, 2)
    assert engineering["low"] == 1
    assert engineering["avg_score"] == pytest.approx(sum(ENGINEERING_SCORES) / 6)
    # Not the older run's tiers (everyone Low there).
    assert (found["Sales"]["medium"], found["Sales"]["low"]) == (9, 0)


def test_teams_smaller_than_the_minimum_are_hidden(conn, org):
    shown = teams_shown(conn)
    assert ("Engineering", "Platform") not in shown
    assert ("Engineering", "Payments") not in shown
    assert shown >= {("Finance", "Tax"), ("Finance", "Audit")}
    finance_tax = rows(conn, "SELECT * FROM reporting.tier_distribution_by_team WHERE team = 'Tax'")
    assert finance_tax[0]["employees"] == 5


def test_a_shown_team_that_would_reveal_hidden_ones_by_subtraction_is_hidden_too(conn, org):
    shown = teams_shown(conn)
    # Sales: 9 people, South (3) hidden; showing North (6) would give South away as 9 - 6.
    assert ("Sales", "North") not in shown
    # Support: the hidden teams add up to 6, which is no smaller than the minimum.
    assert ("Support", "Tier 1") in shown
    assert not {("Support", "Tier 2"), ("Support", "Billing"), ("Legal", "Counsel")} & shown


def test_changing_the_minimum_group_size_changes_what_is_shown(conn, org):
    set_min_group_size(conn, 3)
    assert ("Engineering", "Platform") in teams_shown(conn)
    assert ("Sales", "North") in teams_shown(conn)
    assert "Legal" not in departments_shown(conn)

    set_min_group_size(conn, 7)
    assert departments_shown(conn) == {"Sales", "Finance", "Support"}
    assert teams_shown(conn) == set()


def test_a_minimum_below_three_is_refused(conn, org):
    with pytest.raises(errors.CheckViolation):
        set_min_group_size(conn, 2)


def test_without_a_settings_row_the_views_show_nothing(conn, insights):
    with conn, conn.cursor() as cur:
        cur.execute("DELETE FROM reporting.settings")
    for view in reporting_views(conn):
        assert rows(conn, f"SELECT * FROM reporting.{view}") == [], view


def test_monthly_activity_sums_task_records_and_hides_small_months(conn, org):
    engineering = [e for e, d, _ in people() if d == "Engineering"]
    records = [(e, "2026-09-01", 10, 5 + i, 20.0) for i, e in enumerate(engineering)]
    records += [(e, "2026-08-01", 10, 10, 30.0) for e in engineering[:4]]
    with conn, conn.cursor() as cur:
        execute_values(
            cur,
            "INSERT INTO task_records (employee_id, period, tasks_total, tasks_completed, "
            "hours_logged) VALUES %s",
            records,
        )
    found = rows(conn, "SELECT * FROM reporting.activity_by_department_month")
    assert len(found) == 1  # August had 4 people: hidden
    september = found[0]
    assert september["month"] == dt.datetime(2026, 9, 1, tzinfo=UTC)
    assert (september["department"], september["employees"]) == ("Engineering", 6)
    assert (september["tasks_total"], september["tasks_completed"]) == (60, 45)
    assert september["avg_completion_rate"] == pytest.approx(0.75)
    assert september["avg_task_hours"] == pytest.approx(2.0)


def test_monthly_performance_takes_the_last_run_of_each_month(conn, org):
    with conn, conn.cursor() as cur:
        # A rerun on the same data later that month supersedes the current run's figures.
        cur.execute("UPDATE model_runs SET is_current = false")
        rerun = add_run(
            cur, as_of=dt.date(2026, 9, 1), finished_at=at("2026-10-03"), current=True,
            score=64.0,
        )  # fmt: skip
    found = rows(
        conn,
        "SELECT * FROM reporting.performance_by_department_month WHERE department = 'Sales' "
        "ORDER BY month",
    )
    assert [(r["month"].date(), r["run_id"]) for r in found] == [
        (dt.date(2026, 8, 1), org["old"]),
        (dt.date(2026, 9, 1), rerun),
    ]
    assert [r["avg_score"] for r in found] == [pytest.approx(30.0), pytest.approx(64.0)]
    assert [r["employees"] for r in found] == [9, 9]


def test_anomalies_are_counted_per_run_and_department(conn, org):
    found = rows(
        conn,
        "SELECT run_id, department, employees, anomalies, anomaly_ratio "
        "FROM reporting.anomalies_by_department_run ORDER BY run_id, department",
    )
    assert {(r["run_id"], r["department"]) for r in found} == {
        (run, d) for run in org.values() for d in ("Engineering", "Sales", "Finance", "Support")
    }
    finance = next(r for r in found if r["department"] == "Finance")
    assert (finance["employees"], finance["anomalies"]) == (10, 1)
    assert finance["anomaly_ratio"] == pytest.approx(0.1)


def test_skill_gaps_and_training_demand_by_department(conn, org):
    engineering = [e for e, d, _ in people() if d == "Engineering"]
    levels = [5, 4, 3, 2, None, 4]  # None: no record, counts as level 0
    sales = [e for e, d, _ in people() if d == "Sales"]
    with conn, conn.cursor() as cur:
        execute_values(
            cur,
            "INSERT INTO role_skill_requirements (job_title, skill, required_level, importance) "
            "VALUES %s",
            [
                ("Engineering Specialist", "Python", 4, 1.0),
                ("Engineering Specialist", "Excel", 1, 0.2),
                ("Sales Closer", "Negotiation", 5, 1.0),
            ],
        )
        execute_values(
            cur,
            "INSERT INTO employee_skills (employee_id, skill, level) VALUES %s",
            [(e, "Python", lv) for e, lv in zip(engineering, levels, strict=True) if lv is not None]
            + [(e, "Excel", 3) for e in engineering],
        )
        # Three people with their own title: a group too small to report.
        cur.execute(
            "UPDATE employees SET job_title = 'Sales Closer' WHERE employee_id = ANY(%s)",
            (sales[:3],),
        )
        execute_values(
            cur,
            "INSERT INTO training_programs (program_id, name, skill, level_gain, duration_hours) "
            "VALUES %s",
            [
                ("TP1", "Python Foundations", "Python", 1, 10.0),
                ("TP2", "Advanced Python", "Python", 2, 25.0),
                ("TP3", "Excel Basics", "Excel", 1, 4.0),
                ("TP4", "Negotiation", "Negotiation", 2, 8.0),
            ],
        )
    gaps = {r["skill"]: r for r in rows(conn, "SELECT * FROM reporting.skill_gaps_by_department")}
    assert set(gaps) == {"Python", "Excel"}  # Negotiation: 3 people only
    python = gaps["Python"]
    assert python["department"] == "Engineering"
    assert (python["employees_assessed"], python["employees_with_gap"]) == (6, 3)
    assert python["total_gap_levels"] == 0 + 0 + 1 + 2 + 4 + 0
    assert python["avg_gap"] == pytest.approx(7 / 6)
    assert gaps["Excel"]["employees_with_gap"] == 0

    demand = rows(
        conn,
        "SELECT department, program_id, employees_needing, training_hours "
        "FROM reporting.training_demand_by_department ORDER BY program_id",
    )
    # No demand for Excel (no gap) nor Negotiation (a hidden group).
    assert demand == [
        {"department": "Engineering", "program_id": "TP1", "employees_needing": 3,
         "training_hours": 30.0},
        {"department": "Engineering", "program_id": "TP2", "employees_needing": 3,
         "training_hours": 75.0},
    ]  # fmt: skip


def test_department_headcount_lists_only_departments_large_enough(conn, org):
    found = rows(conn, "SELECT * FROM reporting.department_headcount ORDER BY department")
    assert [(r["department"], r["employees"]) for r in found] == [
        ("Engineering", 6),
        ("Finance", 10),
        ("Sales", 9),
        ("Support", 12),
    ]


# --------------------------------------------------------------------------- insights of a run
# The per-run insight tables (0005) as the worker stores them, read through 0006's views.


def insert(cur, table: str, columns: str, values: list[tuple]) -> None:
    execute_values(cur, f"INSERT INTO {table} ({columns}) VALUES %s", values)


def set_run_params(conn, run_id: int, params: dict) -> None:
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE model_runs SET params = %s WHERE run_id = %s", (Json(params), run_id))


DEMAND_COLUMNS = (
    "run_id, level, department, team, skill, employees_with_gap, total_gap_levels, "
    "program_id, program_name, training_hours"
)
TRENDS_COLUMNS = (
    'run_id, department, "window", period_end, employees, average_score, tier_high, '
    "tier_medium, tier_low"
)
EFFECT_COLUMNS = (
    "run_id, program_id, program_name, skill, metric, participants, comparison_employees, "
    "effect, ci_low, ci_high"
)
TEAM_COLUMNS = (
    "run_id, team, department, members, tier_high, tier_medium, tier_low, average_score, "
    "required_skills, covered_skills, skill_coverage, average_workload, workload_cv"
)


@pytest.fixture
def insights(conn, org) -> dict[str, int]:
    """Insight rows for the current run, and different ones for the older run (which the
    current-run views must ignore); the org's run ids."""
    current, old = org["current"], org["old"]
    with conn, conn.cursor() as cur:
        insert(cur, "training_demand", DEMAND_COLUMNS, [
            (current, "department", "Engineering", None, "Python", 5, 9, "TP1", "Python 1", 50.0),
            (current, "department", "Engineering", None, "Excel", 4, 4, "TP3", "Excel", 16.0),
            (current, "department", "Sales", None, "Negotiation", 6, 12, None, None, None),
            (current, "team", "Sales", "North", "Negotiation", 6, 12, None, None, None),
            (old, "department", "Finance", None, "Tax law", 7, 7, "TP9", "Tax law", 70.0),
        ])  # fmt: skip
        # Sales: +5 from window 2 (the threshold exactly); Finance: -5; Support has no
        # window 2, so its change is from window 1; Engineering has window 0 only; Legal is
        # too small; Marketing's window 2 had 3 people, whose average the change would give.
        trends = [
            ("Sales", [(9, 55.0), (9, 52.0), (9, 50.0)]),
            ("Finance", [(10, 45.0), (10, 47.5), (10, 50.0)]),
            ("Support", [(12, 54.9), (11, 50.0)]),
            ("Engineering", [(6, 60.0)]),
            ("Legal", [(2, 80.0), (2, 40.0)]),
            ("Marketing", [(7, 70.0), (6, 60.0), (3, 20.0)]),
            # Hidden in every window, beside Legal and Marketing's window 2.
            ("Facilities", [(3, 40.0), (3, 45.0), (3, 50.0)]),
        ]
        insert(cur, "department_trends", TRENDS_COLUMNS, [
            (current, department, window, dt.date(2026, 9 - window, 1), n, average, 1, n - 2, 1)
            for department, windows in trends
            for window, (n, average) in enumerate(windows)
        ] + [
            (old, "Sales", window, dt.date(2026, 8 - window, 1), 8, 30.0, 0, 7, 1)
            for window in range(3)
        ])  # fmt: skip
        insert(cur, "training_effectiveness", EFFECT_COLUMNS, [
            (current, "TP1", "Python 101", "Python", "score", 5, 40, 3.5, 1.0, 6.0),
            (current, "TP1", "Python 101", "Python", "completion_rate", 5, 40, 0.1, -0.05, 0.25),
            (current, "TP2", "Advanced Python", "Python", "score", 4, 40, 9.0, 2.0, 16.0),
            (current, "TP3", "Excel", "Excel", "score", 8, 3, 1.0, -4.0, 6.0),
            (old, "TP1", "Python 101", "Python", "score", 6, 30, -2.0, -5.0, 1.0),
        ])  # fmt: skip
        # (team, department, members, high, skill coverage, workload cv)
        teams = [
            ("North", "Sales", 6, 3, 1.0, 0.2),
            ("South", "Sales", 3, 0, 0.5, 0.4),
            ("Tax", "Finance", 5, 1, 1.0, 0.1),
            ("Audit", "Finance", 5, 4, 0.8, 0.3),
            ("Counsel", "Legal", 2, 1, 0.5, 0.0),
            ("Ops", "Facilities", 3, 1, 1.0, 0.0),
        ]
        insert(cur, "team_composition", TEAM_COLUMNS, [
            (current, team, department, n, high, n - high, 0, 50.0, 4, round(4 * cov), cov,
             30.0, cv)
            for team, department, n, high, cov, cv in teams
        ] + [(old, "North", "Sales", 6, 0, 6, 0, 50.0, 4, 1, 0.25, 30.0, 0.9)])  # fmt: skip
    return org


def test_training_demand_of_the_current_run_hides_fewer_people_with_a_gap_than_the_minimum(
    conn, insights
):
    found = rows(
        conn,
        "SELECT department, skill, employees_with_gap, total_gap_levels, program, "
        "training_hours FROM reporting.training_demand_by_department_run ORDER BY 1, 2",
    )
    # Excel: 4 people with the gap (hidden); team rows and the older run's Finance: not shown.
    assert found == [
        {"department": "Engineering", "skill": "Python", "employees_with_gap": 5,
         "total_gap_levels": 9, "program": "Python 1", "training_hours": 50.0},
        {"department": "Sales", "skill": "Negotiation", "employees_with_gap": 6,
         "total_gap_levels": 12, "program": None, "training_hours": None},
    ]  # fmt: skip
    set_min_group_size(conn, 4)
    shown = rows(conn, "SELECT skill FROM reporting.training_demand_by_department_run")
    assert {r["skill"] for r in shown} == {"Python", "Excel", "Negotiation"}


def test_department_trends_give_a_point_per_succeeded_run_window_and_large_department(
    conn, insights
):
    with conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO model_runs (status, as_of) VALUES ('failed', '2026-09-01') "
            "RETURNING run_id"
        )
        (failed,) = cur.fetchone()
        run_partitions.add_empty_partitions(conn, failed)
        insert(cur, "department_trends", TRENDS_COLUMNS, [
            (failed, "Sales", 0, dt.date(2026, 9, 1), 9, 99.0, 9, 0, 0)
        ])  # fmt: skip
    sales = rows(
        conn,
        'SELECT time, run_id, "window", employees, average_score, high, medium, low '
        "FROM reporting.department_trends WHERE department = 'Sales' ORDER BY run_id, time",
    )
    old, current = insights["old"], insights["current"]
    assert [(r["run_id"], r["time"], r["average_score"]) for r in sales] == [
        (old, dt.datetime(2026, 6, 1, tzinfo=UTC), 30.0),
        (old, dt.datetime(2026, 7, 1, tzinfo=UTC), 30.0),
        (old, dt.datetime(2026, 8, 1, tzinfo=UTC), 30.0),
        (current, dt.datetime(2026, 7, 1, tzinfo=UTC), 50.0),
        (current, dt.datetime(2026, 8, 1, tzinfo=UTC), 52.0),
        (current, dt.datetime(2026, 9, 1, tzinfo=UTC), 55.0),
    ]  # the failed run's point is not there
    assert [r["window"] for r in sales[3:]] == [2, 1, 0]
    assert (sales[-1]["employees"], sales[-1]["high"], sales[-1]["medium"]) == (9, 1, 7)
    assert sales[-1]["low"] == 1
    current_points = rows(
        conn,
        'SELECT department, "window" FROM reporting.department_trends WHERE run_id = %s',
        (current,),
    )
    # Legal (2 people) and Marketing's window 2 (3 people) are hidden.
    assert {(r["department"], r["window"]) for r in current_points} == {
        ("Sales", 0), ("Sales", 1), ("Sales", 2), ("Finance", 0), ("Finance", 1),
        ("Finance", 2), ("Support", 0), ("Support", 1), ("Engineering", 0),
        ("Marketing", 0), ("Marketing", 1),
    }  # fmt: skip


def trend_flags(conn) -> dict[str, tuple]:
    found = rows(conn, "SELECT * FROM reporting.department_trend_flags")
    return {
        r["department"]: (r["score_change"], r["trend"], r["threshold"], r["average_score"])
        for r in found
    }


def test_department_trend_flags_follow_the_analytics_rule_at_the_default_threshold(conn, insights):
    flags = trend_flags(conn)  # the run stores no insights parameters: 5.0
    # Legal is too small; Marketing's change would reveal its 3-person window 2.
    assert set(flags) == {"Sales", "Finance", "Support", "Engineering"}
    assert flags["Sales"] == (pytest.approx(5.0), "improving", 5.0, 55.0)
    assert flags["Finance"] == (pytest.approx(-5.0), "declining", 5.0, 45.0)
    # From window 1, the earliest Support has; 4.9 stays below the threshold.
    assert flags["Support"][:2] == (pytest.approx(4.9), "stable")
    assert flags["Engineering"][:2] == (None, None)  # no earlier window, no trend


def test_department_trend_flags_use_the_threshold_the_current_run_was_given(conn, insights):
    set_run_params(conn, insights["current"], {"insights": {"trend_threshold": 4.9}})
    set_run_params(conn, insights["old"], {"insights": {"trend_threshold": 50.0}})
    flags = trend_flags(conn)
    assert {d: flags[d][1] for d in ("Sales", "Finance", "Support")} == {
        "Sales": "improving", "Finance": "declining", "Support": "improving"
    }  # fmt: skip
    set_run_params(conn, insights["current"], {"insights": {"trend_threshold": 5.5}})
    flags = trend_flags(conn)
    assert {d: flags[d][1:3] for d in ("Sales", "Finance")} == {
        "Sales": ("stable", 5.5), "Finance": ("stable", 5.5)
    }  # fmt: skip


def test_training_effectiveness_shows_programmes_with_enough_participants_and_comparisons(
    conn, insights
):
    found = rows(
        conn,
        "SELECT program_name, skill, metric, participants, comparison_employees, effect, "
        "ci_low, ci_high FROM reporting.training_effectiveness ORDER BY metric DESC",
    )
    # Advanced Python had 4 participants, Excel 3 comparison employees: both hidden; the
    # older run's Python 101 figures are not the current ones.
    assert found == [
        {"program_name": "Python 101", "skill": "Python", "metric": "score",
         "participants": 5, "comparison_employees": 40, "effect": 3.5, "ci_low": 1.0,
         "ci_high": 6.0},
        {"program_name": "Python 101", "skill": "Python", "metric": "completion_rate",
         "participants": 5, "comparison_employees": 40, "effect": pytest.approx(0.1),
         "ci_low": pytest.approx(-0.05), "ci_high": pytest.approx(0.25)},
    ]  # fmt: skip
    set_min_group_size(conn, 3)
    shown = rows(conn, "SELECT program_name FROM reporting.training_effectiveness")
    assert {r["program_name"] for r in shown} == {"Python 101", "Advanced Python", "Excel"}


def test_team_balance_summarises_the_teams_of_large_enough_departments(conn, insights):
    found = {
        r["department"]: r for r in rows(conn, "SELECT * FROM reporting.team_balance_by_department")
    }
    assert set(found) == {"Sales", "Finance"}  # Legal has 2 members
    finance = found["Finance"]
    assert (finance["run_id"], finance["teams"], finance["members"]) == (insights["current"], 2, 10)
    assert finance["average_skill_coverage"] == pytest.approx((1.0 + 0.8) / 2)
    assert finance["average_workload_cv"] == pytest.approx((0.1 + 0.3) / 2)
    assert finance["teams_below_full_coverage"] == 1
    assert finance["high_share_spread"] == pytest.approx(4 / 5 - 1 / 5)
    sales = found["Sales"]  # the current run's teams, not the older run's North
    assert (sales["teams"], sales["members"], sales["teams_below_full_coverage"]) == (2, 9, 1)
    assert sales["average_skill_coverage"] == pytest.approx(0.75)
    # South (3 people) is too small to compare: its share would be its members' tiers.
    assert sales["high_share_spread"] is None

    set_min_group_size(conn, 3)
    spreads = {
        r["department"]: r["high_share_spread"]
        for r in rows(conn, "SELECT * FROM reporting.team_balance_by_department")
    }
    assert spreads == {"Sales": pytest.approx(3 / 6 - 0 / 3), "Finance": pytest.approx(0.6)}


def test_no_view_has_an_identifier_or_a_name_column(conn):
    found = rows(
        conn,
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'reporting' AND table_name <> 'settings'",
    )
    assert found
    assert not [r for r in found if r["column_name"] in {"employee_id", "name", "manager_id"}]


# --------------------------------------------------------------------------- the reader role


def reporting_views(conn) -> list[str]:
    found = rows(
        conn,
        "SELECT table_name FROM information_schema.views WHERE table_schema = 'reporting' "
        "ORDER BY 1",
    )
    return [r["table_name"] for r in found]


def reader_url(database_url: str) -> str:
    """The same database as the read-only role. It is NOLOGIN as migrated; the throwaway test
    cluster trusts loopback, so allowing it to log in needs no password."""
    admin(database_url, f"ALTER ROLE {READER} LOGIN")
    return database_url.replace("postgresql://postgres@", f"postgresql://{READER}@", 1)


@pytest.fixture
def reader(database_url: str, org) -> Iterator[psycopg2.extensions.connection]:
    connection = psycopg2.connect(reader_url(database_url))
    yield connection
    connection.close()


def test_the_reader_role_has_no_special_powers(conn):
    found = rows(
        conn,
        "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, "
        "       (SELECT count(*) FROM pg_auth_members m WHERE m.member = r.oid) AS memberships "
        "FROM pg_roles r WHERE rolname = %s",
        (READER,),
    )
    assert found == [
        {"rolsuper": False, "rolcreaterole": False, "rolcreatedb": False,
         "rolbypassrls": False, "memberships": 0}
    ]  # fmt: skip


def test_the_reader_can_select_every_view(reader, conn):
    views = reporting_views(conn)
    assert len(views) == 8 + len(INSIGHT_VIEWS) + len(KPI_VIEWS) + len(REVIEW_VIEWS)
    assert set(INSIGHT_VIEWS) <= set(views)
    for view in views:
        assert isinstance(rows(reader, f"SELECT * FROM reporting.{view} LIMIT 5"), list)
    assert rows(reader, "SELECT employees FROM reporting.department_headcount "
                        "WHERE department = 'Engineering'") == [{"employees": 6}]  # fmt: skip


def test_the_reader_sees_what_the_insight_views_show(reader, insights):
    # Granted by 0006 through 0002's procedure: views added later are readable too.
    for view in INSIGHT_VIEWS:
        assert rows(reader, f"SELECT * FROM reporting.{view}"), view
    flags = rows(reader, "SELECT trend FROM reporting.department_trend_flags "
                         "WHERE department = 'Sales'")  # fmt: skip
    assert flags == [{"trend": "improving"}]


def test_the_reader_is_refused_on_every_table(reader, conn):
    tables = rows(
        conn,
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p', 'S') "
        "AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')",
    )
    names = {t["name"] for t in tables}
    assert {"public.employees", "public.scores", "reporting.settings"} <= names
    assert {f"public.{table}" for table in INSIGHT_TABLES} <= names
    for name in names:
        with pytest.raises(errors.InsufficientPrivilege):
            rows(reader, f"SELECT * FROM {name} LIMIT 1")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE reporting.settings SET min_group_size = 3",
        "CREATE TABLE reporting.notes (x int)",
        "CREATE TABLE public.notes (x int)",
        "CREATE VIEW reporting.people AS SELECT 1 AS x",
        "CALL reporting.grant_read_access('epa_grafana')",
    ],
)
def test_the_reader_can_change_nothing(reader, statement):
    with pytest.raises(errors.InsufficientPrivilege):
        rows(reader, statement)


# --------------------------------------------------------------------------- the migration


def test_a_second_database_in_the_cluster_reuses_the_role(pg_server, template_url):
    name = "epa_second_cluster_db"
    admin(f"{pg_server}/postgres", f"CREATE DATABASE {name}")
    url = f"{pg_server}/{name}"
    try:
        migrate.upgrade(url)  # the role exists already: no error, same grants
        connection = psycopg2.connect(reader_url(url))
        try:
            assert rows(connection, "SELECT * FROM reporting.department_headcount") == []
        finally:
            connection.close()
    finally:
        admin(f"{pg_server}/postgres", f"DROP DATABASE {name} WITH (FORCE)")


def test_a_database_owner_without_superuser_rights_grants_the_reader(pg_server, template_url):
    owner, name = "epa_owner", "epa_owner_db"
    admin(f"{pg_server}/postgres", f"CREATE ROLE {owner} LOGIN")
    admin(f"{pg_server}/postgres", f"CREATE DATABASE {name} OWNER {owner}")
    try:
        migrate.upgrade(f"{pg_server.replace('postgres@', f'{owner}@', 1)}/{name}")
        connection = psycopg2.connect(reader_url(f"{pg_server}/{name}"))
        try:
            assert rows(connection, "SELECT * FROM reporting.tier_distribution_by_team") == []
            assert rows(connection, "SELECT * FROM reporting.department_trend_flags") == []
            with pytest.raises(errors.InsufficientPrivilege):
                rows(connection, "SELECT * FROM public.scores")
        finally:
            connection.close()
    finally:
        admin(f"{pg_server}/postgres", f"DROP DATABASE {name} WITH (FORCE)")
        admin(f"{pg_server}/postgres", f"DROP ROLE {owner}")


def test_downgrade_drops_the_views_and_upgrade_restores_them(database_url, conn):
    migrate.downgrade(database_url, "0001")
    assert rows(conn, "SELECT 1 FROM pg_namespace WHERE nspname = 'reporting'") == []
    # The role is cluster-wide: other databases may still use it.
    assert rows(conn, "SELECT 1 AS x FROM pg_roles WHERE rolname = %s", (READER,)) == [{"x": 1}]
    migrate.upgrade(database_url)
    assert len(reporting_views(conn)) == 8 + len(INSIGHT_VIEWS) + len(KPI_VIEWS) + len(REVIEW_VIEWS)
    assert rows(
        conn,
        "SELECT has_table_privilege(%s, 'reporting.skill_gaps_by_department', 'SELECT') AS ok",
        (READER,),
    ) == [{"ok": True}]


def test_downgrading_0006_drops_only_the_insight_views_and_upgrading_grants_them(
    database_url, conn
):
    migrate.downgrade(database_url, "0005")
    assert set(reporting_views(conn)).isdisjoint(INSIGHT_VIEWS)
    assert len(reporting_views(conn)) == 8
    migrate.upgrade(database_url)
    granted = rows(
        conn,
        "SELECT bool_and(has_table_privilege(%s, 'reporting.' || v, 'SELECT')) AS ok "
        "FROM unnest(%s::text[]) AS v",
        (READER, list(INSIGHT_VIEWS)),
    )
    assert granted == [{"ok": True}]
