"""`python -m worker ...`: what a CronJob, a Helm hook or an operator runs."""

from __future__ import annotations

import datetime as dt
import logging
import signal
import sys

import click
import psycopg2

from store import migrate as migrations
from store.bulk import load
from store.datasets import DATASETS, LOAD_ORDER
from store.validation import validate
from worker import logs
from worker.batch_metrics import run_and_push
from worker.run import RunFailed, execute_run

log = logging.getLogger("epa.worker")

database_url_option = click.option(
    "--database-url",
    envvar="DATABASE_URL",
    required=True,
    show_envvar=True,
    help="PostgreSQL URL of the EPA store.",
)


@click.group()
@click.option("--log-level", envvar="EPA_LOG_LEVEL", default="INFO", show_default=True)
def cli(log_level: str) -> None:
    """EPA worker: schema migrations, model runs and demo data."""
    logs.configure(log_level)


@cli.command()
@database_url_option
def migrate(database_url: str) -> None:
    """Bring the store's schema up to date (safe to run concurrently and repeatedly)."""
    migrations.upgrade(database_url)
    log.info("schema up to date", extra={"revision": migrations.current_revision(database_url)})


def _stop_on_sigterm(signum, _frame) -> None:
    # Kubernetes stops a Job with SIGTERM (deadline, deletion); raising lets the run be
    # recorded as failed instead of vanishing.
    raise SystemExit(f"stopped by signal {signum}")


@cli.command()
@database_url_option
@click.option(
    "--window-days",
    envvar="EPA_WINDOW_DAYS",
    default=90,
    show_default=True,
    type=click.IntRange(28, 730),
    help="Days of task records each window covers.",
)
@click.option(
    "--keep-runs",
    envvar="EPA_KEEP_RUNS",
    default=30,
    show_default=True,
    type=click.IntRange(1),
    help="How many past runs (and their scores) to keep.",
)
@click.option(
    "--wait/--no-wait",
    default=False,
    show_default=True,
    help="Wait for a run in progress instead of exiting at once.",
)
@click.option(
    "--pushgateway-url",
    envvar="EPA_PUSHGATEWAY_URL",
    default=None,
    show_envvar=True,
    help="Prometheus Pushgateway to push the run's batch metrics to (none when unset).",
)
def run(
    database_url: str, window_days: int, keep_runs: int, wait: bool, pushgateway_url: str | None
) -> None:
    """Train and score on the latest window and publish one complete run.

    Exits 0 when the run succeeded or another run was already in progress, 1 when the run
    failed (it is then recorded as failed and the previous run stays current)."""
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        outcome = run_and_push(
            lambda: execute_run(
                database_url, window_days=window_days, keep_runs=keep_runs, wait=wait
            ),
            pushgateway_url,
        )
    except RunFailed as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    click.echo(
        f"run {outcome.status}"
        + (
            f": run_id={outcome.run_id} employees={outcome.employees_scored}"
            if outcome.run_id
            else ""
        )
    )


@cli.command("seed-demo")
@database_url_option
@click.option("--employees", default=1000, show_default=True, type=click.IntRange(10))
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--months", default=12, show_default=True, type=click.IntRange(3, 60))
def seed_demo(database_url: str, employees: int, seed: int, months: int) -> None:
    """Load a synthetic organisation through the same validation and bulk load as the API."""
    from worker.demo import generate_organisation

    end_period = dt.date.today().replace(day=1)
    frames = generate_organisation(
        employees=employees, seed=seed, months=months, end_period=end_period
    )
    with psycopg2.connect(database_url, application_name="epa-seed") as conn:
        for name in LOAD_ORDER:
            result = load(conn, DATASETS[name], validate(frames[name], DATASETS[name]))
            log.info("demo data loaded", extra={"dataset": name, **result.to_dict()})
    conn.close()
    click.echo(f"demo organisation of {employees} employees loaded")
