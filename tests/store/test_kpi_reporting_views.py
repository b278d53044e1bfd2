"""The KPI reporting views (migration 0010), read as Grafana reads them, with the reader role:
small groups hidden together with enough others, built-in KPIs measured from the task
records, and the default scorecard shown with the weights of the current run."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterator
from functools import partial

import psycopg2
import pytest
from psycopg2.extras import execute_values

from store import run_partitions
from tests.helpers import query
from tests.store.test_complementary_suppression import (
    assert_remainder_protected,
    set_min_group_size,
)
from tests.store.test_reporting_views import reader_url

rows = partial(query, as_dicts=True)

# department -> servers. Terrace (2) sits beside larger dining rooms.
DINING_ROOMS = {"Terrace": 2, "Main hall": 6, "Garden": 7, "Bar": 9}
MONTHS = (dt.date(2026, 7, 1), dt.date(2026, 8, 1))
COOKS = 8
SERVER_WEIGHTS = {"guest_satisfaction": 2.0, "wait_minutes": 1.0}


def servers() -> list[tuple[str, str]]:
    return [(f"{room[:3]}-{i}", room) for room, n in DINING_ROOMS.items() for i in range(n)]


@pytest.fixture
def restaurant(conn) -> int:
    """Servers with two KPIs over two months, scored by their job title's scorecard in the
    current run; a kitchen of cooks with task records and the default scorecard. The run id."""
    people = servers()
    with conn, conn.cursor() as cur:
        execute_values(
            cur,
            "INSERT INTO kpis (kpi_id, name, unit, direction) VALUES %s",
            [("guest_satisfaction", "Guest satisfaction", "points", "higher_is_better"),
             ("wait_minutes", "Wait per table", "minutes", "lower_is_better")],
        )  # fmt: skip
        execute_values(
            cur,
            "INSERT INTO scorecards (job_title, kpi_id, weight) VALUES %s",
            [("Server", k, w) for k, w in SERVER_WEIGHTS.items()],
        )
        execute_values(
            cur,
            "INSERT INTO employees (employee_id, name, department, job_title, team, hire_date) "
            "VALUES %s",
            [(e, f"Person {e}", room, "Server", room, "2021-03-01") for e, room in people]
            + [(f"cook-{i}", f"Cook {i}", "Kitchen", "Cook", "Line", "2020-01-01")
               for i in range(COOKS)],
        )  # fmt: skip
        execute_values(
            cur,
            "INSERT INTO kpi_values (employee_id, period, kpi_id, value) VALUES %s",
            [(e, month, kpi, 4.0 + i % 3 if kpi == "guest_satisfaction" else 10.0 + i)
             for i, (e, _) in enumerate(people) for month in MONTHS for kpi in SERVER_WEIGHTS],
        )  # fmt: skip
        execute_values(
            cur,
            "INSERT INTO task_records (employee_id, period, tasks_completed, tasks_total, "
            "hours_logged) VALUES %s",
            [(f"cook-{i}", month, 8 + i, 20, 40.0) for i in range(COOKS) for month in MONTHS],
        )
        cur.execute(
            "INSERT INTO model_runs (status, is_current, as_of, started_at, finished_at, params)"
            " VALUES ('succeeded', true, %s, now(), now(), %s) RETURNING run_id",
            (
                MONTHS[-1],
                json.dumps({"analysis": {"completion_weight": 0.5, "efficiency_weight": 0.2,
                                         "throughput_weight": 0.3}}),
            ),
        )  # fmt: skip
        (run_id,) = cur.fetchone()
        run_partitions.add_empty_partitions(cur.connection, run_id)
        kpis = [
            {"kpi_id": k, "value": 1.0, "normalised": 0.5, "weight": w, "points": 10.0 * w}
            for k, w in SERVER_WEIGHTS.items()
        ]
        execute_values(
            cur,
            "INSERT INTO scores (run_id, employee_id, department, team, job_title, score, "
            "tier, is_anomaly, anomaly_score, scorecard, kpis) VALUES %s",
            [(run_id, e, room, room, "Server", 30.0, "Medium", False, 0.1, "Server",
              json.dumps(kpis)) for e, room in people]
            + [(run_id, f"cook-{i}", "Kitchen", "Line", "Cook", 50.0, "Medium", False, 0.1,
                None, json.dumps([{"kpi_id": "throughput", "value": 8.0, "normalised": 0.5,
                                   "weight": 0.3, "points": 50.0}])) for i in range(COOKS)],
        )  # fmt: skip
    return run_id


@pytest.fixture
def reader(database_url: str, restaurant) -> Iterator[psycopg2.extensions.connection]:
    connection = psycopg2.connect(reader_url(database_url))
    yield connection
    connection.close()


@pytest.mark.parametrize("k", (3, 5, 7))
def test_a_kpis_monthly_total_minus_the_shown_departments_isolates_no_department(conn, reader, k):
    set_min_group_size(conn, k)
    shown = defaultdict(set)
    for r in rows(reader, "SELECT * FROM reporting.kpi_by_department_month"):
        shown[(r["month"], r["kpi_id"])].add(r["department"])
        assert r["employees"] >= k, r
    custom = {parent: departments for parent, departments in shown.items()
              if parent[1] in SERVER_WEIGHTS}  # fmt: skip
    assert len(custom) == len(MONTHS) * len(SERVER_WEIGHTS)
    for parent, departments in custom.items():
        assert_remainder_protected(str(parent), DINING_ROOMS, departments, k)
    # At 3, Terrace (2) is the only small room and is hidden with the next smallest (6).
    if k == 3:
        assert all(d == {"Garden", "Bar"} for d in custom.values()), custom


def test_built_in_kpis_are_measured_from_the_task_records_per_department_and_month(conn, reader):
    set_min_group_size(conn, 5)
    kitchen = {
        (r["month"].date(), r["kpi_id"]): r
        for r in rows(reader, "SELECT * FROM reporting.kpi_by_department_month "
                              "WHERE department = 'Kitchen'")
    }  # fmt: skip
    builtins = ("completion_rate", "task_efficiency", "throughput")
    assert set(kitchen) == {(month, kpi) for month in MONTHS for kpi in builtins}
    july = MONTHS[0]
    # 8 to 15 tasks completed of 20.
    assert kitchen[(july, "completion_rate")]["average_value"] == pytest.approx(11.5 / 20)
    assert kitchen[(july, "task_efficiency")]["average_value"] == pytest.approx(2.0)
    assert kitchen[(july, "throughput")]["median_value"] == pytest.approx(11.5)
    assert kitchen[(july, "throughput")]["employees"] == COOKS
    assert kitchen[(july, "task_efficiency")]["direction"] == "lower_is_better"


def test_scorecard_weights_show_each_job_title_and_the_default_with_the_current_runs_weights(
    reader,
):
    weights = {
        (r["job_title"], r["kpi_id"]): r
        for r in rows(reader, "SELECT * FROM reporting.scorecard_weights")
    }
    assert {k: r["weight"] for k, r in weights.items()} == {
        ("Server", "guest_satisfaction"): 2.0,
        ("Server", "wait_minutes"): 1.0,
        ("Default scorecard", "completion_rate"): 0.5,
        ("Default scorecard", "task_efficiency"): 0.2,
        ("Default scorecard", "throughput"): 0.3,
    }
    assert weights[("Server", "guest_satisfaction")]["weight_share"] == pytest.approx(2 / 3)
    assert weights[("Server", "wait_minutes")]["kpi"] == "Wait per table"
    catalogue = {r["kpi_id"]: r for r in rows(reader, "SELECT * FROM reporting.kpi_catalogue")}
    assert catalogue["wait_minutes"]["scorecards"] == 1
    assert catalogue["throughput"]["builtin"] is True


def test_kpi_points_are_shown_per_department_and_scorecard_only_where_the_department_is(
    conn, reader
):
    set_min_group_size(conn, 5)
    points = rows(reader, "SELECT * FROM reporting.kpi_points_by_department")
    departments = {
        r["department"]
        for r in rows(reader, "SELECT department FROM reporting.tier_distribution_by_department")
    }
    assert {r["department"] for r in points} == departments
    assert "Terrace" not in departments
    by_key = {(r["department"], r["scorecard"], r["kpi_id"]): r for r in points}
    garden = by_key[("Garden", "Server", "guest_satisfaction")]
    assert (garden["employees"], garden["weight"], garden["average_points"]) == (7, 2.0, 20.0)
    assert by_key[("Garden", "Server", "wait_minutes")]["position"] == 2
    assert by_key[("Kitchen", "Default scorecard", "throughput")]["average_points"] == 50.0
