"""The back-test the worker stores with each run, on the demo organisation in a real store:
the second run holds the first run's published predictions against its own published tiers,
recounted here in SQL; the first run has nothing to back-test."""

from __future__ import annotations

import pytest

from tests.helpers import first_of_month, query, seed_demo
from worker.run import execute_run

TIERS = ("High", "Medium", "Low")


def stored_backtest(database_url: str, run_id: int) -> dict | None:
    rows = query(
        database_url, "SELECT metrics -> 'backtest' FROM model_runs WHERE run_id = %s", (run_id,)
    )
    return rows[0][0]


def recount(database_url: str, previous: int, current: int) -> dict:
    """People, accuracy and per-tier F1 of `previous`'s predicted tiers against `current`'s
    tiers, straight from both runs' scores."""
    rows = query(
        database_url,
        """SELECT t.tier AS label, count(*) FILTER (WHERE p.predicted_tier = t.tier
                                                    AND c.tier = t.tier) AS tp,
                  count(*) FILTER (WHERE p.predicted_tier = t.tier AND c.tier <> t.tier) AS fp,
                  count(*) FILTER (WHERE p.predicted_tier <> t.tier AND c.tier = t.tier) AS fn,
                  count(*) AS employees,
                  count(*) FILTER (WHERE p.predicted_tier = c.tier) AS correct
           FROM scores p JOIN scores c USING (employee_id)
           CROSS JOIN (VALUES ('High'), ('Medium'), ('Low')) AS t (tier)
           WHERE p.run_id = %s AND c.run_id = %s
             AND p.predicted_tier IS NOT NULL AND c.tier IS NOT NULL
           GROUP BY t.tier""",
        (previous, current),
        as_dicts=True,
    )
    by_tier = {row["label"]: row for row in rows}
    assert set(by_tier) == set(TIERS)
    employees = by_tier["High"]["employees"]
    f1 = [
        2 * r["tp"] / (2 * r["tp"] + r["fp"] + r["fn"]) if r["tp"] + r["fp"] + r["fn"] else 0.0
        for r in by_tier.values()
    ]
    return {
        "employees": employees,
        "accuracy": by_tier["High"]["correct"] / employees,
        "macro_f1": sum(f1) / len(f1),
    }


@pytest.fixture
def two_runs(database_url: str) -> tuple[int, int]:
    seed_demo(database_url, employees=200)
    # A month apart, so the second run's tiers are the window the first one predicted.
    first = execute_run(database_url, as_of=first_of_month(3))
    second = execute_run(database_url, as_of=first_of_month(2))
    return first.run_id, second.run_id


def test_the_first_run_has_no_backtest(database_url, two_runs):
    first, _ = two_runs
    assert stored_backtest(database_url, first) is None


def test_a_run_after_a_run_backtests_its_predictions_as_a_recount_of_the_published_scores(
    database_url, two_runs
):
    first, second = two_runs
    result = stored_backtest(database_url, second)
    truth = recount(database_url, first, second)

    assert result["previous_run_id"] == first
    assert result["employees"] == truth["employees"] > 100
    assert result["accuracy"] == pytest.approx(truth["accuracy"])
    assert result["macro_f1"] == pytest.approx(truth["macro_f1"])
    assert 0 <= result["brier"] <= 2
    assert result["confusion"]["labels"] == list(TIERS)
    matrix = result["confusion"]["matrix"]
    assert sum(map(sum, matrix)) == truth["employees"]
    assert sum(matrix[i][i] for i in range(3)) == round(truth["accuracy"] * truth["employees"])


def test_the_backtest_shows_in_the_run_served_by_the_api(database_url, two_runs, client):
    _, second = two_runs
    body = client.get(f"/api/v1/models/{second}").get_json()
    assert body["metrics"]["backtest"] == stored_backtest(database_url, second)
