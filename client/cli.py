"""The `epa` command: `epa employee E00042`, `epa department Sales`, `epa report Sales
--open`, `epa ingest task-records file.csv`, `epa runs`, `epa retrain`.

Configured by EPA_URL and EPA_TOKEN (or --url and --token). Tables on the terminal,
`--json` prints the API's JSON unchanged for scripts. Exit status 0 on success, 1 when the
API answered with an error (its message and the problems it named are printed), 2 when the
client cannot work at all (no URL or token, a refused token, an unreachable server): one
line on standard error, never a traceback."""

from __future__ import annotations

import functools
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

from client import render
from client.connection import (
    DEFAULT_TIMEOUT_SECONDS,
    ApiError,
    Connection,
    UsageError,
    path_part,
)

RETRAIN_DONE = ("succeeded", "failed")
REPORT_SECTIONS = ("employees", "teams", "training-demand", "training-effectiveness", "suggestions")


def _console() -> Console:
    return Console(highlight=False)


def _print_json(body: Any) -> None:
    click.echo(json.dumps(body, indent=2, ensure_ascii=False))


def _failures(command: Callable) -> Callable:
    """One line per failure and the exit status of the module docstring."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except UsageError as exc:
            click.echo(f"epa: {exc}", err=True)
            sys.exit(2)
        except ApiError as exc:
            click.echo(f"epa: {exc.message} (HTTP {exc.status})", err=True)
            if exc.problems:
                render.problems(Console(stderr=True, highlight=False), exc.problems)
            sys.exit(1)

    return run


json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print the API's JSON instead of tables."
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--url", metavar="URL", help="The API's address. [env: EPA_URL]")
@click.option("--token", metavar="TOKEN", help="A bearer token. [env: EPA_TOKEN]")
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=DEFAULT_TIMEOUT_SECONDS,
    show_default=True,
    help="Seconds to wait for each answer.",
)
@click.version_option(package_name="epa", prog_name="epa")
@click.pass_context
def cli(ctx: click.Context, url: str | None, token: str | None, timeout: float) -> None:
    """Employee Performance Analytics from the command line."""
    ctx.obj = (url, token, timeout)


def _connection(ctx: click.Context) -> Connection:
    url, token, timeout = ctx.obj
    return Connection.configure(url, token, timeout)


@cli.command()
@click.argument("employee_id")
@json_option
@click.pass_context
@_failures
def employee(ctx: click.Context, employee_id: str, as_json: bool) -> None:
    """An employee's current result: score, tier, prediction and what the score is made of."""
    body = _connection(ctx).get_json(f"/employees/{path_part(employee_id)}")
    _print_json(body) if as_json else render.employee(_console(), body)


@cli.command()
@click.argument("name")
@json_option
@click.pass_context
@_failures
def department(ctx: click.Context, name: str, as_json: bool) -> None:
    """A department's summary in the current run and its trend over the last months."""
    api = _connection(ctx)
    listed = api.get_json("/departments")
    summary = next((d for d in listed.get("data", []) if d.get("department") == name), None)
    if summary is None:
        known = ", ".join(d.get("department", "") for d in listed.get("data", []))
        raise ApiError(404, f"no department {name!r} in the current run (known: {known})")
    trend = api.get_json(f"/departments/{path_part(name)}/trend")
    if as_json:
        _print_json({"run_id": listed.get("run_id"), "summary": summary, "trend": trend})
    else:
        render.department(_console(), summary, trend)


@cli.command()
@click.argument("name")
@click.option("--team", is_flag=True, help="NAME is a team, not a department.")
@click.option(
    "--csv",
    "section",
    type=click.Choice(REPORT_SECTIONS),
    help="One table of the department report as CSV instead of the page.",
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Where to save it."
)
@click.option("--open", "open_it", is_flag=True, help="Open the saved report.")
@click.pass_context
@_failures
def report(
    ctx: click.Context, name: str, team: bool, section: str | None, output: Path | None,
    open_it: bool,
) -> None:  # fmt: skip
    """Save the HTML report of a department (or --team) for a meeting; print where."""
    if team and section:
        raise click.UsageError("--csv is for department reports")
    kind = "teams" if team else "departments"
    path = f"/{kind}/{path_part(name)}/report." + ("csv" if section else "html")
    content = _connection(ctx).get_bytes(path, {"section": section} if section else None)
    slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower() or "report"
    output = output or Path(f"epa-{kind[:-1]}-{slug}" + (f"-{section}.csv" if section else ".html"))
    try:
        output.write_bytes(content)
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
    click.echo(str(output))
    if open_it:
        click.launch(str(output))


@cli.command()
@click.argument("dataset", metavar="DATASET")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
@click.pass_context
@_failures
def ingest(ctx: click.Context, dataset: str, file: Path, as_json: bool) -> None:
    """Load FILE (.csv or .json) into DATASET (employees, task-records, kpi-values, …), all
    or nothing; the API names every bad row and column."""
    api = _connection(ctx)
    path = f"/ingest/{path_part(dataset)}"
    show = sys.stderr.isatty() and not as_json
    columns = (*Progress.get_default_columns()[:1], BarColumn(), DownloadColumn(),
               TransferSpeedColumn())  # fmt: skip
    with Progress(*columns, console=Console(stderr=True), disable=not show) as progress:
        task = progress.add_task(f"{file.name}", total=file.stat().st_size)
        body = api.post_file(path, file, lambda sent: progress.advance(task, sent))
    _print_json(body) if as_json else render.ingest(_console(), body)


@cli.command()
@click.option("--limit", type=click.IntRange(1, 100), default=20, show_default=True)
@json_option
@click.pass_context
@_failures
def runs(ctx: click.Context, limit: int, as_json: bool) -> None:
    """The latest model runs, newest first: status, which one is served, how long it took."""
    body = _connection(ctx).get_json("/models", {"limit": limit})
    _print_json(body) if as_json else render.runs(_console(), body)


@cli.command()
@click.argument("run_id", type=click.IntRange(min=1), required=False)
@json_option
@click.pass_context
@_failures
def fairness(ctx: click.Context, run_id: int | None, as_json: bool) -> None:
    """The fairness audit of the current run, or of RUN_ID (admin or hr): per protected
    group, the High share, the impact ratio and whether it shows adverse impact."""
    body = _connection(ctx).get_json(f"/models/{run_id or 'current'}/fairness")
    _print_json(body) if as_json else render.fairness(_console(), body)


@cli.command()
@click.option("--wait", is_flag=True, help="Wait until the run has finished.")
@click.option(
    "--poll-seconds", type=click.FloatRange(min=0.1), default=5.0, show_default=True,
    help="How often to ask while waiting.",
)  # fmt: skip
@json_option
@click.pass_context
@_failures
def retrain(ctx: click.Context, wait: bool, poll_seconds: float, as_json: bool) -> None:
    """Start a model run now (admin or hr); exit 1 when --wait sees it fail."""
    api = _connection(ctx)
    body = api.post_json("/models/retrain").json()
    while wait and body.get("status") not in RETRAIN_DONE:
        time.sleep(poll_seconds)
        body = api.get_json(f"/models/retrain/{path_part(body['id'])}")
    _print_json(body) if as_json else render.retrain(_console(), body)
    if wait and body.get("status") == "failed":
        sys.exit(1)
