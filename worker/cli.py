"""`python -m worker ...`: what a CronJob, a Helm hook or an operator runs."""

from __future__ import annotations

import datetime as dt
import logging
import signal
import sys

import click
import psycopg2

import settings
from analytics.config import InsightsConfig
from store import audit
from store import migrate as migrations
from store import runs as run_store
from store import tokens as token_store
from store.datasets import DATASETS
from store.queries import runs as run_queries
from worker import logs
from worker.batch_metrics import run_and_push
from worker.demo.profiles import PROFILES
from worker.hold_checks import HoldLimits
from worker.progress import Steps
from worker.run import RunFailed, choose_as_of, execute_run, utc_now
from worker.setting_options import current_settings, setting_option

log = logging.getLogger("epa.worker")

HELD_EXIT_CODE = 3  # the run was stored as held; 1 is a failed run, 2 a usage error


database_url_option = setting_option(
    "--database-url",
    setting="database_url",
    required=True,
    help="PostgreSQL URL of the EPA store.",
)

audit_retention_option = setting_option(
    "--audit-retention-days",
    setting="audit_retention_days",
    type=click.IntRange(1),
    help="Audit records older than this many days are deleted (after each run, or now).",
)


@click.group()
@setting_option(
    "--log-level",
    setting="log_level",
    type=click.Choice(settings.LOG_LEVELS, case_sensitive=False),
    help="Level of the log lines on stderr (JSON, or text on a terminal).",
)
@click.version_option(package_name="epa", prog_name="epa-worker")
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
@setting_option(
    "--window-days",
    setting="window_days",
    type=click.IntRange(*settings.WINDOW_DAYS_RANGE),
    help="Days of task records each window covers.",
)
@setting_option(
    "--keep-runs",
    setting="keep_runs",
    type=click.IntRange(1),
    help="How many past runs (and their scores) to keep.",
)
@click.option(
    "--wait/--no-wait",
    default=False,
    show_default=True,
    help="Wait for a run in progress instead of exiting at once.",
)
@setting_option(
    "--trend-threshold",
    setting="trend_threshold",
    type=click.FloatRange(min=0, min_open=True),
    help="Score points of change that make a trend improving or declining.",
)
@setting_option(
    "--team-size",
    setting="team_size",
    type=(click.IntRange(1), click.IntRange(1)),
    help="Smallest and largest team that suggested moves may leave behind (MIN MAX).",
)
@audit_retention_option
@setting_option(
    "--pushgateway-url",
    setting="pushgateway_url",
    help="Prometheus Pushgateway to push the run's batch metrics to (none when unset).",
)
@setting_option(
    "--as-of-mode",
    setting="as_of_mode",
    type=click.Choice(settings.AS_OF_MODES),
    help="Without --as-of: run as of the last complete month (complete) or the current one "
    "(current), by the clock in EPA_TIMEZONE.",
)
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m"]),
    default=None,
    help="The month (YYYY-MM) the run is as of; task records after it are ignored.",
)
def run(
    database_url: str,
    window_days: int,
    keep_runs: int,
    wait: bool,
    trend_threshold: float,
    team_size: tuple[int, int],
    audit_retention_days: int,
    pushgateway_url: str | None,
    as_of_mode: str,
    as_of: dt.datetime | None,
) -> None:
    """Train and score on the window ending at the run's month and publish one complete run,
    unless it differs too much from the current run: then it is held (see `runs promote`).

    Exits 0 when the run was published or another run was already in progress, 1 when the
    run failed (it is then recorded as failed), 3 when it was held (stored with its reasons,
    which are printed); in both of the latter cases the previous run stays current and a
    CronJob shows the job as failed."""
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    config = current_settings()
    try:
        insights = InsightsConfig(
            trend_threshold=trend_threshold,
            min_team_size=team_size[0],
            max_team_size=team_size[1],
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    try:
        outcome = run_and_push(
            lambda: execute_run(
                database_url,
                window_days=window_days,
                keep_runs=keep_runs,
                wait=wait,
                insights=insights,
                as_of=as_of.date() if as_of else None,
                as_of_mode=as_of_mode,
                timezone=config.timezone,
                hold_limits=HoldLimits.from_settings(config),
            ),
            pushgateway_url,
        )
    except RunFailed as exc:
        click.echo(exc.printable, err=True)
        sys.exit(1)
    if outcome.status == "held":
        click.echo(
            f"run {outcome.run_id} held: it differs too much from the current run, which stays "
            "current; publish it with `worker runs promote "
            f"{outcome.run_id} --reason ...` if it is right",
            err=True,
        )
        for reason in outcome.reasons:
            click.echo(f"  {reason['check']}: {reason['message']}", err=True)
        _prune_audit(database_url, audit_retention_days)
        sys.exit(HELD_EXIT_CODE)
    click.echo(
        f"run {outcome.status}"
        + (
            f": run_id={outcome.run_id} employees={outcome.employees_scored}"
            if outcome.run_id
            else ""
        )
    )
    _prune_audit(database_url, audit_retention_days)


@cli.command("seed-demo")
@database_url_option
@click.option("--employees", default=1000, show_default=True, type=click.IntRange(10))
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--months", default=12, show_default=True, type=click.IntRange(3, 60))
@click.option(
    "--profile",
    default="tasks",
    show_default=True,
    type=click.Choice(list(PROFILES)),
    help="The kind of organisation: scored on tasks, a restaurant group, a sales "
    "organisation or a remote-first company (see the README's demo organisations).",
)
def seed_demo(database_url: str, employees: int, seed: int, months: int, profile: str) -> None:
    """Load a synthetic organisation through the same validation and bulk load as the API."""
    from worker.demo import generate_organisation
    from worker.demo.loading import load_organisation

    # The demo ends with the month a default run is as of: the last complete one.
    end_period = choose_as_of("complete", current_settings().timezone, utc_now())
    with Steps("seed-demo") as steps:
        with steps.step("generate", total=len(DATASETS), unit="datasets") as making:
            frames = generate_organisation(
                employees=employees,
                seed=seed,
                months=months,
                end_period=end_period,
                company=PROFILES[profile],
                on_dataset=lambda name: making.advance(1, name),
            )
        rows = sum(len(frame) for frame in frames.values())
        with (
            steps.step("load", total=rows) as loading,
            psycopg2.connect(database_url, application_name="epa-seed") as conn,
        ):
            for name, result in load_organisation(
                conn, frames, on_rows=lambda dataset, n: loading.advance(n, dataset)
            ):
                # Loaded datasets are not needed again: free them (the task records are
                # millions of rows) before the next one is validated and staged.
                del frames[name]
                log.info("demo data loaded", extra={"dataset": name, **result.to_dict()})
        conn.close()
    log.info("demo organisation loaded", extra={"profile": profile, "seconds": steps.timings})
    click.echo(f"demo organisation ({profile}) of {employees} employees loaded")


def _cli_audit(conn, action: str, target: str, details: dict) -> None:
    # Token changes made at a console are audited like those made through the API.
    audit.record(conn, action, target=target, details={"via": "cli", **details})


@cli.group()
def tokens() -> None:
    """API tokens: create (the secret is shown once), list, revoke."""


@tokens.command("create")
@database_url_option
@click.option("--role", required=True, type=click.Choice(token_store.ROLES))
@click.option(
    "--employee-id", default=None, help="The employee a manager or employee token is bound to."
)
@click.option("--name", default="", help="What the token is for, shown by `tokens list`.")
@click.option("--expires-in-days", default=None, type=click.IntRange(1), help="Never if unset.")
def tokens_create(
    database_url: str,
    role: str,
    employee_id: str | None,
    name: str,
    expires_in_days: int | None,
) -> None:
    """Create a token; its secret is printed once, alone on the last line."""
    with psycopg2.connect(database_url, application_name="epa-tokens") as conn:
        try:
            row, bearer = token_store.create(
                conn, role, employee_id=employee_id, name=name, expires_in_days=expires_in_days
            )
        except token_store.TokenError as exc:
            raise click.UsageError(str(exc)) from exc
        _cli_audit(
            conn,
            "token_create",
            row["token_id"],
            {"role": role, "employee_id": employee_id, "name": name},
        )
    conn.close()
    expires = row["expires_at"].isoformat() if row["expires_at"] else "never"
    click.echo(
        f"token {row['token_id']} ({role}) created, expires: {expires}; "
        "its secret, on stdout, is shown this once only",
        err=True,
    )
    click.echo(bearer)


@tokens.command("list")
@database_url_option
def tokens_list(database_url: str) -> None:
    """Every token with its role, binding and dates; never a secret."""
    with psycopg2.connect(database_url, application_name="epa-tokens") as conn:
        rows = token_store.listing(conn)
    conn.close()

    def when(value) -> str:
        return value.isoformat(timespec="seconds") if value else "-"

    click.echo(
        "token_id\trole\temployee_id\tname\tcreated_at\texpires_at\trevoked_at\tlast_used_at"
    )
    for r in rows:
        click.echo(
            "\t".join(
                [
                    r["token_id"],
                    r["role"],
                    r["employee_id"] or "-",
                    r["name"] or "-",
                    when(r["created_at"]),
                    when(r["expires_at"]),
                    when(r["revoked_at"]),
                    when(r["last_used_at"]),
                ]
            )
        )


@tokens.command("revoke")
@database_url_option
@click.argument("token_id")
def tokens_revoke(database_url: str, token_id: str) -> None:
    """Revoke a token by its id: it stops working at once."""
    with psycopg2.connect(database_url, application_name="epa-tokens") as conn:
        row = token_store.revoke(conn, token_id)
        if row is None:
            raise click.UsageError(f"no token {token_id!r}")
        _cli_audit(conn, "token_revoke", token_id, {"role": row["role"]})
    conn.close()
    click.echo(f"token {token_id} revoked")


@cli.group()
def runs() -> None:
    """Model runs: list them, make a held or an earlier run current."""


@runs.command("list")
@database_url_option
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
def runs_list(database_url: str, limit: int) -> None:
    """The newest runs with their status (superseded: succeeded, no longer current)."""
    with psycopg2.connect(database_url, application_name="epa-runs") as conn:
        rows = run_queries.runs(conn, before=None, limit=limit)
    conn.close()
    click.echo("run_id\tstatus\tcurrent\tas_of\temployees_scored\trows_read\treasons")
    for r in rows:
        reasons = ", ".join(x["check"] for x in r["status_reasons"]) or "-"
        click.echo(
            "\t".join(
                [
                    str(r["run_id"]),
                    r["status"],
                    "yes" if r["is_current"] else "-",
                    r["as_of"].isoformat() if r["as_of"] else "-",
                    str(r["employees_scored"] if r["employees_scored"] is not None else "-"),
                    str(r["rows_read"] if r["rows_read"] is not None else "-"),
                    reasons,
                ]
            )
        )


@runs.command("promote")
@database_url_option
@click.argument("run_id", type=int)
@click.option("--reason", required=True, help="Why this run is made current (audited).")
def runs_promote(database_url: str, run_id: int, reason: str) -> None:
    """Make a held run, or an earlier succeeded one (a roll-back), the current run."""
    if not reason.strip():
        raise click.UsageError("--reason must say why")
    with psycopg2.connect(database_url, application_name="epa-runs") as conn:
        try:
            previous = run_store.promote(conn, run_id, reason)
        except run_store.PromotionRefused as exc:
            raise click.ClickException(exc.message) from exc
        _cli_audit(
            conn,
            "run_promote",
            str(run_id),
            {"reason": reason, "previous_run_id": previous},
        )
    conn.close()
    click.echo(f"run {run_id} is current (was: {previous if previous is not None else 'none'})")


@cli.command("audit-prune")
@database_url_option
@audit_retention_option
def audit_prune(database_url: str, audit_retention_days: int) -> None:
    """Delete audit records older than the retention period (and only those)."""
    click.echo(f"{_prune_audit(database_url, audit_retention_days)} audit record(s) pruned")


def _prune_audit(database_url: str, retention_days: int) -> int:
    with psycopg2.connect(database_url, application_name="epa-audit-prune") as conn:
        removed = audit.prune(conn, retention_days)
    conn.close()
    log.info("audit log pruned", extra={"removed": removed, "retention_days": retention_days})
    return removed
