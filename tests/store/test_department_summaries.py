"""The per-run department summaries (migration 0014): written with the run, read with its
overrides applied, they answer as counting final tiers over every score would; so do the
tier and KPI figures the department report's charts are drawn from."""

from __future__ import annotations

import pytest

from api.presenters.employees import POINT_DIGITS
from api.presenters.reports import kpi_groups, labeller, stored_kpi_groups
from api.report_charts import score_bands
from store import migrate
from store.queries import departments as queries
from store.queries import employees as employee_queries
from store.queries import teams as team_queries
from store.scope import EVERYONE
from tests.helpers import query, seed_demo
from worker.run import execute_run

# Counting final tiers over the scores: the answer before summaries were stored.
COUNTED = """
    SELECT s.department, count(*) AS employees,
           round(avg(s.score)::numeric, 2)::float AS average_score,
           round(avg(s.completion_rate)::numeric, 4)::float AS average_completion_rate,
           count(*) FILTER (WHERE f.final_tier = 'High') AS tier_high,
           count(*) FILTER (WHERE f.final_tier = 'Medium') AS tier_medium,
           count(*) FILTER (WHERE f.final_tier = 'Low') AS tier_low,
           count(*) FILTER (WHERE s.is_anomaly) AS anomalies,
           count(*) FILTER (WHERE s.predicted_tier = 'Low') AS predicted_low
      FROM scores s JOIN model_runs r ON r.run_id = s.run_id AND r.is_current
      JOIN reviewed_results f ON f.run_id = s.run_id AND f.employee_id = s.employee_id
     GROUP BY s.department ORDER BY s.department"""


@pytest.fixture
def scored(database_url, conn) -> list[dict]:
    """A scored organisation; its current results in employee order."""
    seed_demo(database_url, employees=200)
    assert execute_run(database_url).status == "succeeded"
    return query(
        conn,
        """SELECT s.run_id, s.employee_id, s.department, s.tier FROM scores s
           JOIN model_runs r USING (run_id) WHERE r.is_current ORDER BY s.employee_id""",
        as_dicts=True,
    )


def review(conn, row: dict, decision: str, tier: str | None, token: str) -> None:
    with conn, conn.cursor() as cur:
        cur.execute(
            """INSERT INTO reviews (run_id, employee_id, decision, tier, reason, token_id,
                                    reviewer_role)
               VALUES (%s, %s, %s, %s, 'calibrated', %s, 'hr')""",
            (row["run_id"], row["employee_id"], decision, tier, token),
        )


def other(tier: str) -> str:
    return "Low" if tier != "Low" else "High"


def test_the_run_stores_one_summary_per_department_with_the_models_tiers(conn, scored):
    stored = query(
        conn,
        """SELECT department, employees, tier_high + tier_medium + tier_low
           FROM department_summaries JOIN model_runs r USING (run_id) WHERE r.is_current
           ORDER BY department""",
    )
    people = {}
    for row in scored:
        people[row["department"]] = people.get(row["department"], 0) + 1
    assert [(d, n) for d, n, _ in stored] == sorted(people.items())
    assert all(tiers == n for _, n, tiers in stored)


def test_summaries_count_final_tiers_after_overrides_of_a_run(conn, scored):
    first, second, third, fourth = scored[:4]
    review(conn, first, "override", other(first["tier"]), "a")
    review(conn, second, "override", other(second["tier"]), "a")
    review(conn, second, "override", "Medium", "b")  # the newest decision wins
    review(conn, third, "override", other(third["tier"]), "a")
    review(conn, third, "confirm", None, "b")  # back to the model's tier
    review(conn, fourth, "contest", None, "a")  # a contest changes nothing
    counted = query(conn, COUNTED, as_dicts=True)
    assert any(
        d["tier_low"] != m
        for d, (m,) in zip(
            counted,
            query(
                conn,
                """SELECT tier_low FROM department_summaries JOIN model_runs r USING (run_id)
                   WHERE r.is_current ORDER BY department""",
            ),
            strict=True,
        )
    ), "the overrides move no department's Low count: the test shows nothing"

    assert queries.department_summaries(conn, scope=EVERYONE) == counted


def test_a_run_without_stored_summaries_is_counted_from_its_scores(conn, scored):
    review(conn, scored[0], "override", other(scored[0]["tier"]), "a")
    with conn, conn.cursor() as cur:
        cur.execute("DELETE FROM department_summaries")

    assert queries.department_summaries(conn, scope=EVERYONE) == query(conn, COUNTED, as_dicts=True)


def test_the_report_charts_count_what_everyones_rows_would(conn, scored):
    department = max({r["department"] for r in scored}, key=[r["department"] for r in scored].count)
    members = [r for r in scored if r["department"] == department]
    review(conn, members[0], "override", other(members[0]["tier"]), "a")
    rows = employee_queries.results(
        conn, scope=EVERYONE, department=department, team=None, tier=None, anomaly=None,
        after=None, limit=len(members),
    )  # fmt: skip
    label = labeller({"completion_rate": "Completion rate"})

    assert queries.score_bands(conn, department) == score_bands(
        [(r["score"], r["final_tier"]) for r in rows]
    )
    stored = stored_kpi_groups(queries.kpi_points(conn, department, POINT_DIGITS), label)
    expected = kpi_groups(rows, label)
    assert [g.title for g in stored] == [g.title for g in expected] and expected
    for ours, theirs in zip(stored, expected, strict=True):
        assert [k for k, _ in ours.points] == [k for k, _ in theirs.points]
        assert [p for _, p in ours.points] == pytest.approx([p for _, p in theirs.points])
    assert not queries.legacy_results_exist(conn, department)


def test_the_migration_summarises_the_runs_already_stored(database_url, conn, scored):
    review(conn, scored[0], "override", other(scored[0]["tier"]), "a")
    before = queries.department_summaries(conn, scope=EVERYONE)
    conn.commit()
    migrate.downgrade(database_url, "0013")
    assert query(conn, "SELECT to_regclass('department_summaries')") == [(None,)]
    conn.commit()

    migrate.upgrade(database_url)

    assert query(conn, "SELECT count(*) FROM department_summaries")[0][0] == len(before)
    assert queries.department_summaries(conn, scope=EVERYONE) == before


def _charted(conn, department: str) -> tuple:
    return (
        queries.score_bands(conn, department),
        queries.kpi_points(conn, department, POINT_DIGITS),
        queries.legacy_results_exist(conn, department),
    )


def _largest(scored: list[dict]) -> str:
    departments = [r["department"] for r in scored]
    return max(set(departments), key=departments.count)


def test_the_run_stores_the_report_figures_its_scores_give(conn, scored):
    department = _largest(scored)
    review(conn, scored[0], "override", other(scored[0]["tier"]), "a")
    stored = _charted(conn, department)
    assert query(
        conn,
        """SELECT count(*) FROM department_score_bands b JOIN model_runs r USING (run_id)
           WHERE r.is_current AND b.department = %s""",
        (department,),
    )[0][0]
    with conn, conn.cursor() as cur:  # a run written without them: counted from the scores
        cur.execute("UPDATE department_summaries SET results_without_kpis = NULL")

    assert _charted(conn, department) == stored
    assert queries.kpi_points(conn, department, POINT_DIGITS + 1)["points"] != stored[1]["points"]


def test_the_migration_counts_the_report_figures_of_the_runs_already_stored(
    database_url, conn, scored
):
    department = _largest(scored)
    review(conn, scored[0], "override", other(scored[0]["tier"]), "a")
    before = _charted(conn, department)
    conn.commit()
    migrate.downgrade(database_url, "0014")
    assert query(conn, "SELECT to_regclass('department_score_bands')") == [(None,)]
    legacy = next(r for r in scored if r["department"] != department)
    with conn, conn.cursor() as cur:  # one result from before scorecards, elsewhere
        cur.execute(
            "UPDATE scores SET kpis = NULL WHERE employee_id = %s", (legacy["employee_id"],)
        )

    migrate.upgrade(database_url)

    assert queries.legacy_results_exist(conn, legacy["department"])
    assert _charted(conn, department) == before
    assert query(
        conn, "SELECT count(*) FROM department_summaries WHERE results_without_kpis IS NULL"
    ) == [(0,)]


def test_the_lowest_scoring_teams_the_store_hands_over_hold_the_reports_choice(conn, scored):
    def lowest(teams: list[dict], limit: int) -> list[str]:
        chosen = sorted(
            teams,
            key=lambda t: (t["average_score"] is None, round(t["average_score"] or 0, 2)),
        )
        return [t["team"] for t in chosen[:limit]]

    for department in {r["department"] for r in scored}:
        everyone = team_queries.teams(conn, scope=EVERYONE, department=department)
        assert everyone
        for limit in range(1, len(everyone) + 1):
            total, few = team_queries.lowest_scoring_teams(conn, department, limit)
            assert total == len(everyone)
            assert len(few) >= limit
            assert lowest(few, limit) == lowest(everyone, limit)
