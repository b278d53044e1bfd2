"""The run guard against a real PostgreSQL: a run that differs too much from the current
one is stored as held with its reasons while the current run stays what the API serves;
`worker run` exits 3 then; promotion (and roll-back) makes a run current by hand."""

from __future__ import annotations

import psycopg2
import pytest
from click.testing import CliRunner

from store import runs
from store.queries import employees as employee_queries
from store.queries import runs as run_queries
from store.scope import EVERYONE
from tests.helpers import query, seed_demo
from worker.cli import HELD_EXIT_CODE, cli
from worker.run import RunFailed, execute_run

EMPLOYEES = 100

# Every task record of nine employees in ten (a fixed choice): the rows read fall by ~90%
# and ~90% of the people have no tasks, while everybody is still scored.
LOSE_NINE_TENTHS = "DELETE FROM task_records WHERE abs(hashtext(employee_id)) % 10 <> 0"


def statuses(database_url: str) -> dict[int, tuple[str, bool]]:
    """run_id -> (status as the API shows it, is_current)."""
    with psycopg2.connect(database_url) as conn:
        rows = run_queries.runs(conn, before=None, limit=100)
    conn.close()
    return {r["run_id"]: (r["status"], r["is_current"]) for r in rows}


def served(database_url: str) -> list[tuple[str, int, float]]:
    """What the read queries return: every current result's (employee, run, score)."""
    with psycopg2.connect(database_url) as conn:
        rows = employee_queries.results(
            conn,
            scope=EVERYONE,
            department=None,
            team=None,
            tier=None,
            anomaly=None,
            after=None,
            limit=10_000,
        )
    conn.close()
    return [(r["employee_id"], r["run_id"], r["score"]) for r in rows]


def promote(database_url: str, run_id: int, reason: str = "checked by hand") -> int | None:
    with psycopg2.connect(database_url) as conn:
        previous = runs.promote(conn, run_id, reason)
    conn.close()
    return previous


@pytest.fixture
def held(database_url: str) -> tuple[int, int]:
    """(the current run, a run held after 90% of the task records vanished)."""
    seed_demo(database_url, employees=EMPLOYEES)
    good = execute_run(database_url)
    assert good.status == "succeeded"
    query(database_url, LOSE_NINE_TENTHS)
    bad = execute_run(database_url)
    assert bad.status == "held", bad.reasons
    return good.run_id, bad.run_id


def test_a_run_after_most_task_records_vanished_is_held_and_the_current_run_stays_served(
    database_url,
):
    seed_demo(database_url, employees=EMPLOYEES)
    good = execute_run(database_url)
    assert good.status == "succeeded"
    before = served(database_url)
    assert {run for _, run, _ in before} == {good.run_id}
    assert len(before) == good.employees_scored

    query(database_url, LOSE_NINE_TENTHS)
    bad = execute_run(database_url)

    assert bad.status == "held"
    assert bad.rows_read < 0.2 * good.rows_read
    checks = {r["check"] for r in bad.reasons}
    assert {"rows_read", "no_tasks_share"} <= checks
    assert statuses(database_url) == {
        good.run_id: ("succeeded", True),
        bad.run_id: ("held", False),
    }
    ((stored_reasons, employees_scored),) = query(
        database_url,
        "SELECT status_reasons, employees_scored FROM model_runs WHERE run_id = %s",
        (bad.run_id,),
    )
    assert stored_reasons == bad.reasons  # what the CLI printed is what was stored
    rows = {r["check"]: r for r in stored_reasons}["rows_read"]
    assert (rows["current"], rows["previous"]) == (bad.rows_read, good.rows_read)
    assert "fewer task records" in rows["message"]
    # The held run's scores are kept (to look at, and to promote), yet nobody is served them.
    assert employees_scored == EMPLOYEES
    assert served(database_url) == before
    with psycopg2.connect(database_url) as conn:
        assert run_queries.current_run_id(conn) == good.run_id
    conn.close()


def test_the_cli_run_exits_3_naming_the_checks_when_the_run_is_held(database_url):
    seed_demo(database_url, employees=EMPLOYEES)
    good = execute_run(database_url)
    query(database_url, LOSE_NINE_TENTHS)

    result = CliRunner().invoke(cli, ["run", "--database-url", database_url])

    assert result.exit_code == HELD_EXIT_CODE == 3, result.output
    ((held_id,),) = query(database_url, "SELECT run_id FROM model_runs WHERE status = 'held'")
    assert f"run {held_id} held" in result.stderr
    assert f"worker runs promote {held_id} --reason" in result.stderr
    assert "rows_read:" in result.stderr and "no_tasks_share:" in result.stderr
    assert statuses(database_url)[good.run_id] == ("succeeded", True)

    listed = CliRunner().invoke(cli, ["runs", "list", "--database-url", database_url])
    assert listed.exit_code == 0, listed.output
    (line,) = [row for row in listed.stdout.splitlines() if row.startswith(f"{held_id}\t")]
    status, current, *_, reasons = line.split("\t")[1:]
    assert (status, current) == ("held", "-")
    assert "rows_read" in reasons and "no_tasks_share" in reasons


def test_promoting_a_held_run_makes_it_current_and_supersedes_the_previous_one(database_url, held):
    good_id, held_id = held
    assert promote(database_url, held_id, "the records were archived on purpose") == good_id

    assert statuses(database_url) == {
        good_id: ("superseded", False),
        held_id: ("succeeded", True),
    }
    assert {run for _, run, _ in served(database_url)} == {held_id}
    ((reasons,),) = query(
        database_url, "SELECT status_reasons FROM model_runs WHERE run_id = %s", (held_id,)
    )
    # The hold's reasons stay, and the promotion says why and what it replaced.
    assert "rows_read" in {r["check"] for r in reasons}
    assert reasons[-1] == {
        "check": "promoted",
        "current": held_id,
        "previous": good_id,
        "limit": None,
        "message": "the records were archived on purpose",
    }


def test_promoting_the_earlier_run_back_rolls_back_to_it(database_url, held):
    good_id, held_id = held
    promote(database_url, held_id)
    before_rollback = {run for _, run, _ in served(database_url)}

    result = CliRunner().invoke(
        cli,
        ["runs", "promote", str(good_id), "--reason", "rollback", "--database-url", database_url],
    )

    assert result.exit_code == 0, result.output
    assert f"run {good_id} is current (was: {held_id})" in result.output
    assert before_rollback == {held_id}
    assert statuses(database_url) == {
        good_id: ("succeeded", True),
        held_id: ("superseded", False),
    }
    assert {run for _, run, _ in served(database_url)} == {good_id}
    ((_action, details),) = query(
        database_url,
        "SELECT action, details FROM audit_log WHERE action = 'run_promote' AND target = %s",
        (str(good_id),),
    )
    assert details == {"via": "cli", "reason": "rollback", "previous_run_id": held_id}


def test_promoting_a_failed_unknown_or_current_run_is_refused_and_changes_nothing(
    database_url, held, monkeypatch
):
    good_id, held_id = held

    def broken(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(runs, "prune_runs", broken)
    with pytest.raises(RunFailed):
        execute_run(database_url)
    monkeypatch.undo()
    ((failed_id,),) = query(database_url, "SELECT run_id FROM model_runs WHERE status = 'failed'")
    before = statuses(database_url)

    with pytest.raises(runs.PromotionRefused, match=f"run {failed_id} is failed") as refused:
        promote(database_url, failed_id)
    assert refused.value.kind == "conflict"
    with pytest.raises(runs.PromotionRefused, match="no model run 999999") as refused:
        promote(database_url, 999_999)
    assert refused.value.kind == "not_found"
    with pytest.raises(runs.PromotionRefused, match="already current"):
        promote(database_url, good_id)

    for run_id, message in ((failed_id, "is failed"), (999_999, "no model run 999999")):
        result = CliRunner().invoke(
            cli, ["runs", "promote", str(run_id), "--reason", "x", "--database-url", database_url]
        )
        assert result.exit_code == 1, result.output
        assert message in result.stderr
        assert "Traceback" not in result.output
    blank = CliRunner().invoke(
        cli, ["runs", "promote", str(held_id), "--reason", "  ", "--database-url", database_url]
    )
    assert blank.exit_code == 2 and "--reason must say why" in blank.stderr

    assert statuses(database_url) == before
    assert query(database_url, "SELECT count(*) FROM audit_log WHERE action = 'run_promote'") == [
        (0,)
    ]


def test_promotion_is_refused_while_a_model_run_holds_the_run_lock(database_url, held):
    _, held_id = held
    holder = psycopg2.connect(database_url)
    assert runs.try_lock(holder)
    try:
        with pytest.raises(runs.PromotionRefused, match="in progress") as refused:
            promote(database_url, held_id)
    finally:
        holder.close()
    assert refused.value.kind == "conflict"
    assert statuses(database_url)[held_id] == ("held", False)


def test_a_run_almost_the_same_as_the_current_one_is_published(database_url):
    seed_demo(database_url, employees=EMPLOYEES)
    first = execute_run(database_url)
    # A few people log a little more and one in twenty records goes missing.
    query(
        database_url,
        "UPDATE task_records SET hours_logged = hours_logged * 1.05 "
        "WHERE abs(hashtext(employee_id)) % 7 = 0",
    )
    query(
        database_url,
        "DELETE FROM task_records WHERE abs(hashtext(employee_id || period::text)) % 20 = 0",
    )

    second = execute_run(database_url)

    assert second.status == "succeeded", second.reasons
    assert second.reasons == []
    assert 0.9 * first.rows_read < second.rows_read < first.rows_read
    assert statuses(database_url) == {
        first.run_id: ("superseded", False),
        second.run_id: ("succeeded", True),
    }
    assert {run for _, run, _ in served(database_url)} == {second.run_id}
