"""The final tier in the store: reviewed_results decides it once (the newest confirm or
override of the run; a contest changes nothing), the HR dashboards' tier distributions
count it with their suppression unchanged, and reporting.reviews_current_run counts the
current run's reviews for the reader role, with no person in it."""

from __future__ import annotations

import pytest
from psycopg2 import errors

from tests.helpers import query
from tests.store.test_reporting_views import org, reader, rows  # noqa: F401 (fixtures)


def review(conn, run_id: int, employee_id: str, decision: str, tier: str | None = None,
           token: str = "t1") -> None:  # fmt: skip
    with conn, conn.cursor() as cur:
        cur.execute(
            """INSERT INTO reviews (run_id, employee_id, decision, tier, reason, token_id,
                                    reviewer_role)
               VALUES (%s, %s, %s, %s, 'a reason', %s, 'hr')""",
            (run_id, employee_id, decision, tier, token),
        )


def department(conn, name: str) -> dict:
    (found,) = rows(
        conn,
        "SELECT employees, high, medium, low FROM reporting.tier_distribution_by_department "
        "WHERE department = %s",
        (name,),
    )
    return found


def team(conn, department_name: str, team_name: str) -> dict:
    (found,) = rows(
        conn,
        "SELECT employees, high, medium, low FROM reporting.tier_distribution_by_team "
        "WHERE department = %s AND team = %s",
        (department_name, team_name),
    )
    return found


def test_the_newest_decision_decides_and_a_contest_changes_nothing(conn, org):  # noqa: F811
    person = "Fin-Tax-0"  # Medium in the current run
    final = (
        "SELECT final_tier, contested FROM reviewed_results WHERE run_id = %s AND employee_id = %s"
    )

    review(conn, org["current"], person, "contest", token="self")
    assert query(conn, final, (org["current"], person)) == [("Medium", True)]
    review(conn, org["current"], person, "override", "High", token="hr1")
    assert query(conn, final, (org["current"], person)) == [("High", True)]
    review(conn, org["current"], person, "confirm", token="hr2")
    assert query(conn, final, (org["current"], person)) == [("Medium", True)]


def test_tier_distributions_count_final_tiers(conn, org):  # noqa: F811
    before_department, before_team = department(conn, "Finance"), team(conn, "Finance", "Tax")
    assert (before_department["high"], before_team["high"]) == (0, 0)

    review(conn, org["current"], "Fin-Tax-0", "override", "High")
    review(conn, org["current"], "Fin-Tax-1", "confirm")
    review(conn, org["current"], "Fin-Tax-2", "contest")
    # A review of the older run is not the current run's.
    review(conn, org["old"], "Fin-Tax-3", "override", "High")

    after_department, after_team = department(conn, "Finance"), team(conn, "Finance", "Tax")
    assert after_department == {**before_department, "high": 1,
                                "medium": before_department["medium"] - 1}  # fmt: skip
    assert after_team == {**before_team, "high": 1, "medium": before_team["medium"] - 1}


def test_reviews_do_not_change_which_groups_are_shown(conn, org):  # noqa: F811
    shown = rows(conn, "SELECT department FROM reporting.tier_distribution_by_department")
    teams = rows(conn, "SELECT department, team FROM reporting.tier_distribution_by_team")

    review(conn, org["current"], "Leg-Counsel-0", "override", "High")
    review(conn, org["current"], "Eng-Platform-0", "override", "Low")

    assert rows(conn, "SELECT department FROM reporting.tier_distribution_by_department") == shown
    assert rows(conn, "SELECT department, team FROM reporting.tier_distribution_by_team") == teams


def test_reviews_current_run_counts_the_current_runs_reviews(conn, org):  # noqa: F811
    everyone = query(conn, "SELECT count(*) FROM scores WHERE run_id = %s", (org["current"],))
    review(conn, org["current"], "Fin-Tax-0", "override", "High")
    review(conn, org["current"], "Fin-Tax-1", "override", "Medium")  # same tier as the model
    review(conn, org["current"], "Fin-Tax-2", "confirm")
    review(conn, org["current"], "Fin-Tax-2", "contest", token="self")
    review(conn, org["current"], "Fin-Tax-3", "contest", token="self")
    review(conn, org["old"], "Fin-Tax-4", "confirm")

    (found,) = rows(conn, "SELECT * FROM reporting.reviews_current_run")

    assert found["run_id"] == org["current"]
    assert found["results"] == everyone[0][0]
    assert (found["reviewed"], found["confirmed"], found["overridden"]) == (3, 1, 2)
    assert (found["tier_changed"], found["contested"]) == (1, 2)
    assert found["pending"] == found["results"] - 3


def test_the_reader_reads_the_review_counts_but_no_review(reader, conn, org):  # noqa: F811
    review(conn, org["current"], "Fin-Tax-0", "override", "High")

    assert rows(reader, "SELECT overridden FROM reporting.reviews_current_run") == [
        {"overridden": 1}
    ]
    for name in ("public.reviews", "public.reviewed_results"):
        with pytest.raises(errors.InsufficientPrivilege):
            rows(reader, f"SELECT * FROM {name} LIMIT 1")
