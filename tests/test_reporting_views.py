"""The reporting views Grafana reads: the right aggregates, no group smaller than the
configured minimum, and a reader role that can see those views and nothing else."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import psycopg2
import pytest
from psycopg2 import errors
from psycopg2.extras import RealDictCursor, execute_values

from store import migrate
from tests.conftest import admin

READER = "epa_grafana"
UTC = dt.UTC

# department -> team -> number of people. Group sizes chosen around the default minimum of 5.
ORGANISATION = {
    "Engineering": {"Platform": 3, "Payments": 3},  # department shown, both teams hidden
    "Sales": {"North": 6, "South": 3},  # South hidden, so North too: 9 - 6 would reveal it
    "Finance": {"Tax": 5, "Audit": 5},  # everything shown
    "Support": {"Tier 1": 6, "Tier 2": 3, "Billing": 3},  # hidden teams add up to 6: fine
    "Legal": {"Counsel": 2},  # hidden everywhere
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


def rows(conn, sql: str, params: tuple | None = None) -> list[dict]:
    """The statement's rows; rolled back afterwards, whatever happened."""
    try:
        with conn.cursor(cursor_factory=RealDictCursor) as cur:
            cur.execute(sql, params)
            return [dict(r) for r in cur.fetchall()] if cur.description else []
    finally:
        conn.rollback()


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


def test_without_a_settings_row_the_views_show_nothing(conn, org):
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
    assert len(views) == 8
    for view in views:
        assert isinstance(rows(reader, f"SELECT * FROM reporting.{view} LIMIT 5"), list)
    assert rows(reader, "SELECT employees FROM reporting.department_headcount "
                        "WHERE department = 'Engineering'") == [{"employees": 6}]  # fmt: skip


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
    assert len(reporting_views(conn)) == 8
    assert rows(
        conn,
        "SELECT has_table_privilege(%s, 'reporting.skill_gaps_by_department', 'SELECT') AS ok",
        (READER,),
    ) == [{"ok": True}]
