"""The provisioned Grafana dashboards, checked against real parts.

Every SQL query (panels and template variables) runs as the read-only `epa_grafana` role on
the migrated schema of a scored organisation, with Grafana's macros and variables expanded
the way Grafana expands them. Every PromQL expression of the dashboards and the alert rules
runs on a real Prometheus that scraped the API under gunicorn and the Pushgateway the worker
pushes to; those over EPA's own series must return data."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest
import yaml
from psycopg2.extras import RealDictCursor

from tests.conftest import admin, fresh_database
from tests.helpers import first_of_month
from tests.prometheus import (
    PrometheusHandle,
    ScrapeJob,
    running_prometheus,
    running_pushgateway,
)
from worker import batch_metrics
from worker.demo import generate_organisation
from worker.demo.loading import load_organisation
from worker.demo.profiles import PROFILES
from worker.run import execute_run

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = sorted((ROOT / "grafana" / "dashboards").glob("*.json"))
DATASOURCES = ROOT / "grafana" / "provisioning" / "datasources" / "datasources.yaml"
PROVIDERS = ROOT / "grafana" / "provisioning" / "dashboards" / "epa.yaml"
RULES = ROOT / "monitoring" / "alerts.yaml"
READER = "epa_grafana"
PG_TYPE = "grafana-postgresql-datasource"
# Series only kube-state-metrics provides; the test cluster has no Kubernetes.
KUBERNETES_ONLY = re.compile(r"\bkube_\w+")
KPI_PROFILES = [name for name, company in PROFILES.items() if company.kpis]


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def panels(dashboard: dict) -> list[dict]:
    """Every panel, rows' nested panels included, rows themselves excluded."""
    out = []
    for panel in dashboard["panels"]:
        if panel["type"] == "row":
            out += panel.get("panels", [])
        else:
            out.append(panel)
    return out


def variables(dashboard: dict) -> list[dict]:
    return dashboard.get("templating", {}).get("list", [])


def provisioned() -> dict[str, str]:
    """{uid: type} of the provisioned datasources."""
    config = yaml.safe_load(DATASOURCES.read_text())
    return {d["uid"]: d["type"] for d in config["datasources"]}


def resolve(datasource: dict, dashboard: dict) -> dict:
    """A datasource reference with `${var}` replaced by the variable's default datasource."""
    uid = datasource["uid"]
    match = re.fullmatch(r"\$\{?(\w+)\}?", uid)
    if match:
        (variable,) = [v for v in variables(dashboard) if v["name"] == match[1]]
        assert variable["type"] == "datasource"
        uid = variable["current"]["value"]
    return {**datasource, "uid": uid}


def queries(kind: str) -> list[tuple[str, dict, dict, dict]]:
    """(test id, dashboard, panel or variable, target) for every query of `kind` ("sql" or
    "promql"); a template variable is its own target."""
    found = []
    for path in DASHBOARDS:
        dashboard = load(path)
        for panel in panels(dashboard):
            for target in panel.get("targets", []):
                key = "rawSql" if kind == "sql" else "expr"
                if key in target:
                    name = f"{dashboard['uid']}:{panel['title']}:{target['refId']}"
                    found.append((name, dashboard, panel, target))
        for variable in variables(dashboard):
            if variable["type"] != "query":
                continue
            is_sql = variable["datasource"]["type"] == PG_TYPE
            if is_sql == (kind == "sql"):
                found.append((f"{dashboard['uid']}:${variable['name']}", dashboard, variable, {}))
    return found


SQL = queries("sql")
PROMQL = queries("promql")


# --------------------------------------------------------------------------- structure


def test_the_four_dashboards_have_stable_unique_uids():
    uids = [load(p)["uid"] for p in DASHBOARDS]
    assert sorted(uids) == ["epa-api-service", "epa-hr-overview", "epa-kpis", "epa-model-health"]
    titles = {load(p)["uid"]: load(p)["title"] for p in DASHBOARDS}
    assert titles["epa-hr-overview"] == "HR performance overview"
    assert titles["epa-kpis"] == "KPIs by department"
    assert titles["epa-model-health"] == "Model health"
    assert titles["epa-api-service"] == "API service"


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_dashboard_is_ready_to_provision(path):
    text = path.read_text()
    dashboard = json.loads(text)
    # "Export for sharing" placeholders would leave the panels without a datasource.
    for placeholder in ("__inputs", "__requires", "__elements", "${DS_"):
        assert placeholder not in text
    assert dashboard["schemaVersion"] >= 41
    nested = [q for p in dashboard["panels"] for q in p.get("panels", [])]
    ids = [p["id"] for p in dashboard["panels"] + nested]
    assert len(ids) == len(set(ids))
    titles = [p["title"] for p in panels(dashboard)]
    assert len(titles) == len(set(titles))
    for panel in panels(dashboard):
        assert len(panel["description"]) > 40, panel["title"]
        if panel["type"] in ("timeseries", "barchart"):
            assert panel["fieldConfig"]["defaults"].get("unit"), panel["title"]


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_every_datasource_reference_is_provisioned(path):
    dashboard = load(path)
    known = provisioned()
    references = [p["datasource"] for p in panels(dashboard)]
    references += [t["datasource"] for p in panels(dashboard) for t in p["targets"]]
    references += [v["datasource"] for v in variables(dashboard) if "datasource" in v]
    assert references
    for reference in references:
        resolved = resolve(reference, dashboard)
        assert known.get(resolved["uid"]) == resolved["type"], reference
    for variable in variables(dashboard):
        if variable["type"] == "datasource":
            assert variable["query"] in known.values()


def test_prometheus_panels_choose_their_datasource_through_the_variable():
    for _, dashboard, panel, _ in PROMQL:
        assert panel["datasource"]["uid"] == "${datasource}", (dashboard["uid"], panel)


def test_postgres_datasource_is_the_read_only_role_with_a_password_from_the_environment():
    config = yaml.safe_load(DATASOURCES.read_text())
    (postgres,) = [d for d in config["datasources"] if d["type"] == PG_TYPE]
    assert postgres["uid"] == "epa-postgres"
    assert postgres["user"] == READER
    assert postgres["jsonData"]["database"].startswith("$")
    assert postgres["jsonData"]["sslmode"].startswith("$")
    assert postgres["secureJsonData"]["password"] == "$EPA_GRAFANA_DB_PASSWORD"
    (provider,) = yaml.safe_load(PROVIDERS.read_text())["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"]


# --------------------------------------------------------------------------- SQL


def reader_url(database_url: str) -> str:
    """The same database as the read-only role (NOLOGIN as migrated; the throwaway test
    cluster trusts loopback, so letting it log in needs no password)."""
    admin(database_url, f"ALTER ROLE {READER} LOGIN")
    return database_url.replace("postgresql://postgres@", f"postgresql://{READER}@", 1)


@pytest.fixture(scope="module")
def reader(scored_database_url) -> Iterator[psycopg2.extensions.connection]:
    connection = psycopg2.connect(reader_url(scored_database_url))
    connection.set_session(readonly=True)
    yield connection
    connection.close()


def run_sql(connection, sql: str) -> tuple[list[str], list[dict]]:
    try:
        with connection.cursor(cursor_factory=RealDictCursor) as cur:
            cur.execute(sql)
            return [d.name for d in cur.description], [dict(r) for r in cur.fetchall()]
    finally:
        connection.rollback()


def time_range(dashboard: dict, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The dashboard's default range ("now-1y" to "now") as Grafana resolves it."""

    def resolve_time(text: str) -> dt.datetime:
        match = re.fullmatch(r"now(?:-(\d+)([smhdwy]))?", text)
        assert match, f"unsupported time {text!r}"
        if not match[1]:
            return now
        seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
        return now - dt.timedelta(seconds=int(match[1]) * seconds[match[2]])

    return resolve_time(dashboard["time"]["from"]), resolve_time(dashboard["time"]["to"])


def grafana_interval_seconds(text: str) -> int:
    match = re.fullmatch(r"'?(\d+)([smhdw])'?", text.strip())
    assert match, f"unsupported interval {text!r}"
    return int(match[1]) * {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[match[2]]


def expand_macros(sql: str, start: dt.datetime, end: dt.datetime) -> str:
    """Grafana's PostgreSQL macros (pkg/tsdb/grafana-postgresql-datasource/macros.go)."""

    def rfc3339(t: dt.datetime) -> str:
        return t.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")

    def expand(match: re.Match) -> str:
        name, args = match[1], [a.strip() for a in match[2].split(",")]
        if name == "__time":
            return f'{args[0]} AS "time"'
        if name == "__timeEpoch":
            return f'extract(epoch from {args[0]}) as "time"'
        if name == "__timeFilter":
            return f"{args[0]} BETWEEN '{rfc3339(start)}' AND '{rfc3339(end)}'"
        if name == "__timeFrom":
            return f"'{rfc3339(start)}'"
        if name == "__timeTo":
            return f"'{rfc3339(end)}'"
        if name in ("__timeGroup", "__timeGroupAlias"):
            seconds = grafana_interval_seconds(args[1])
            group = f"floor(extract(epoch from {args[0]})/{seconds})*{seconds}"
            return group + (' AS "time"' if name == "__timeGroupAlias" else "")
        raise AssertionError(f"unknown macro ${name}")

    return re.sub(r"\$(\w+)\(([^)]*)\)", expand, sql)


def sql_variable_values(dashboard: dict, reader) -> dict[str, str]:
    """Each SQL variable as Grafana substitutes it: multi-value and "All" variables become
    a list of quoted values (here: all the values its own query returns)."""
    values = {}
    for variable in variables(dashboard):
        if variable["type"] != "query" or variable["datasource"]["type"] != PG_TYPE:
            continue
        columns, found = run_sql(reader, variable["query"])
        options = [str(row[columns[0]]) for row in found]
        assert options, f"${variable['name']} has no values"
        quoted = ",".join("'" + o.replace("'", "''") + "'" for o in options)
        values[variable["name"]] = quoted if variable["multi"] else options[0]
    return values


def substitute(text: str, values: dict[str, str]) -> str:
    """Replace $name and ${name}; an unknown variable fails (macros, with "(", are left)."""

    def replace(match: re.Match) -> str:
        name = match[1] or match[2]
        assert name in values, f"undefined variable ${name} in {text!r}"
        return values[name]

    return re.sub(r"\$\{(\w+)\}|\$(\w+)\b(?!\()", replace, text)


@pytest.mark.parametrize(("name", "dashboard", "panel", "target"), SQL, ids=[q[0] for q in SQL])
def test_sql_query_runs_as_the_reader_and_returns_what_the_panel_needs(
    name, dashboard, panel, target, reader
):
    check_sql_query(name, dashboard, panel, target, reader, must_return_rows=True)


# Panels that have nothing to show for an organisation of a kind, and why.
EMPTY_BY_DESIGN = {
    # Restaurant staff are scored on KPIs alone: no task records, no completion rate.
    ("restaurant", "epa-hr-overview:Task completion rate by month:A"),
    # Only Sales Operations works on tasks, and it is the department hidden beside the
    # one-person executive office so that the office cannot be recovered from the total.
    ("sales", "epa-hr-overview:Task completion rate by month:A"),
}


@pytest.fixture(scope="module", params=KPI_PROFILES)
def profile_reader(request, pg_server, template_url) -> Iterator[tuple[str, object]]:
    """(profile, the reader role's connection) on a demo organisation of that kind that has
    KPIs and scorecards, with two runs as the shared task organisation has."""
    with fresh_database(pg_server) as url:
        frames = generate_organisation(
            employees=300, seed=4, end_period=first_of_month(1), company=PROFILES[request.param]
        )
        with psycopg2.connect(url) as conn:
            for _ in load_organisation(conn, frames):
                pass
        conn.close()
        for _ in range(2):
            assert execute_run(url).status == "succeeded"
        connection = psycopg2.connect(reader_url(url))
        connection.set_session(readonly=True)
        yield request.param, connection
        connection.close()


@pytest.mark.parametrize(("name", "dashboard", "panel", "target"), SQL, ids=[q[0] for q in SQL])
def test_sql_query_returns_what_the_panel_needs_for_each_kind_of_organisation(
    name, dashboard, panel, target, profile_reader
):
    profile, reader = profile_reader
    expected_rows = (profile, name) not in EMPTY_BY_DESIGN
    check_sql_query(name, dashboard, panel, target, reader, must_return_rows=expected_rows)


def check_sql_query(
    name: str, dashboard: dict, panel: dict, target: dict, reader, *, must_return_rows: bool
) -> None:
    """The query as Grafana sends it, run as the reader: its columns fit the panel, and it
    returns rows unless the organisation has nothing to show there."""
    now = dt.datetime.now(dt.UTC)
    start, end = time_range(dashboard, now)
    sql = target.get("rawSql") or panel["query"]
    values = sql_variable_values(dashboard, reader)
    expanded = expand_macros(substitute(sql, values), start, end)
    assert "$" not in expanded, expanded

    columns, found = run_sql(reader, expanded)
    if must_return_rows:
        assert found, f"{name} returned no rows:\n{expanded}"
    else:
        assert not found, f"{name} is expected to show nothing here:\n{found[:3]}"
    assert len(columns) == len(set(columns))
    assert not {"employee_id", "name"} & set(columns)
    if target.get("format") == "time_series":
        assert columns[0] == "time", columns
        times = [row["time"] for row in found]
        assert times == sorted(times), "time series must be ordered by time"
        # $__timeGroup floors to its interval (a day here), so a bucket may start earlier.
        assert all(start.timestamp() - 86400 <= _epoch(t) <= end.timestamp() for t in times)
        value_columns = [c for c in columns if c not in ("time", "metric")]
        assert value_columns
        for column in value_columns:
            assert all(isinstance(row[column], int | float | Decimal) for row in found)
    if panel.get("type") == "stat":
        assert len(found) == 1 and len(columns) == 1, found
        assert isinstance(found[0][columns[0]], int | float | Decimal), found
    if panel.get("type") == "barchart":
        assert panel["options"]["xField"] in columns


def _epoch(value) -> float:
    return value.timestamp() if isinstance(value, dt.datetime) else float(value)


# --------------------------------------------------------------------------- PromQL


@pytest.fixture(scope="module")
def prometheus(api, traffic, scored_database_url) -> Iterator[PrometheusHandle]:
    """One Prometheus for the module: it scrapes the API and a Pushgateway the worker's
    batch metrics were pushed to, and evaluates the alert rules."""
    with psycopg2.connect(scored_database_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT duration_seconds, extract(epoch FROM finished_at), rows_read, "
            "employees_scored FROM model_runs WHERE is_current"
        )
        duration, finished_at, rows_read, employees_scored = cur.fetchone()
    conn.close()
    report = batch_metrics.RunReport(
        True, duration, float(finished_at), rows_read, employees_scored
    )
    with running_pushgateway() as gateway:
        assert batch_metrics.push(gateway.url, report)
        jobs = [
            ScrapeJob("epa-api", [api.url.removeprefix("http://")]),
            ScrapeJob("pushgateway", [gateway.address], honor_labels=True),
        ]
        with running_prometheus(jobs, rule_files=[RULES]) as prom:
            # Requests while Prometheus watches, so that rates and quantiles are not all 0.
            prom.wait_until('up{job="epa-api"}')
            for _ in range(5):
                assert api.call("/api/v1/models/current") == 200
            increased = prom.wait_until(
                'sum(increase(epa_http_request_total{job="epa-api"}[1m])) > 0'
            )
            assert increased, "Prometheus did not see the requests"
            yield prom


def prometheus_variable_values(dashboard: dict) -> dict[str, str]:
    """Dashboard variables at their defaults, as the Prometheus datasource substitutes them,
    and Grafana's built-in $__rate_interval (four scrape intervals of the datasource)."""
    config = yaml.safe_load(DATASOURCES.read_text())
    (prom,) = [d for d in config["datasources"] if d["type"] == "prometheus"]
    scrape = grafana_interval_seconds(prom["jsonData"]["timeInterval"])
    values = {"__rate_interval": f"{4 * scrape}s"}
    for variable in variables(dashboard):
        if variable["type"] == "datasource":
            continue
        current = variable["current"]["value"]
        values[variable["name"]] = (
            variable.get("allValue", ".*") if current == "$__all" else regex_escape(current)
        )
    return values


def regex_escape(value: str) -> str:
    """As Grafana escapes a value for a =~ matcher: a regex escape inside a PromQL string."""
    return re.sub(r"([\\$^*{}\[\]'+?.()|])", r"\\\\\1", value)


def as_promql(dashboard: dict, panel: dict, target: dict) -> str:
    if target:
        return substitute(target["expr"], prometheus_variable_values(dashboard))
    # label_values(metric, label) is Grafana's; this is the series query it stands for.
    query = panel["query"]["query"] if isinstance(panel["query"], dict) else panel["query"]
    match = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", query)
    assert match, query
    selector = substitute(match[1], prometheus_variable_values(dashboard))
    return f"count by ({match[2]}) ({selector})"


def comparisons_as_bool(expr: str) -> str:
    """The expression with `bool` after every comparison operator, so that it returns a
    sample wherever its operands exist instead of only where the condition holds."""
    out, i, depth_braces, quote = [], 0, 0, None
    while i < len(expr):
        c = expr[i]
        if quote:
            out.append(c)
            if c == "\\":
                out.append(expr[i + 1])
                i += 1
            elif c == quote:
                quote = None
        elif c in "\"'`":
            quote = c
            out.append(c)
        elif c in "{}":
            depth_braces += 1 if c == "{" else -1
            out.append(c)
        elif depth_braces == 0 and expr[i : i + 2] in ("==", "!=", ">=", "<="):
            out.append(expr[i : i + 2] + " bool")
            i += 1
        elif depth_braces == 0 and c in "<>":
            out.append(c + " bool")
        else:
            out.append(c)
        i += 1
    return "".join(out)


def alert_expressions() -> list[tuple[str, str]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [(rule["alert"], rule["expr"]) for group in groups for rule in group["rules"]]


ALERT_EXPRESSIONS = alert_expressions()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "dashboard", "panel", "target"), PROMQL, ids=[q[0] for q in PROMQL]
)
def test_dashboard_promql_runs_and_returns_data_for_epa_series(
    name, dashboard, panel, target, prometheus
):
    expr = as_promql(dashboard, panel, target)
    result = prometheus.query(expr)  # raises on a parse or execution error
    if not KUBERNETES_ONLY.search(expr):
        assert result, f"{name}: no data for\n{expr}"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("alert", "expr"), ALERT_EXPRESSIONS, ids=[a for a, _ in ALERT_EXPRESSIONS]
)
def test_alert_expression_runs_and_its_operands_exist_for_epa_series(alert, expr, prometheus):
    prometheus.query(expr)
    operands = prometheus.query(comparisons_as_bool(expr))
    if not KUBERNETES_ONLY.search(expr):
        assert operands, f"{alert}: its series do not exist in what Prometheus scraped"


@pytest.mark.slow
def test_prometheus_evaluates_every_alert_rule_without_error(prometheus):
    def evaluated() -> list[dict]:
        return [r for g in prometheus.rule_groups() for r in g["rules"]]

    deadline = time.monotonic() + 30
    while any(r["health"] == "unknown" for r in evaluated()) and time.monotonic() < deadline:
        time.sleep(0.5)
    rules = evaluated()
    assert {r["name"] for r in rules} == {a for a, _ in ALERT_EXPRESSIONS}
    assert [
        (r["name"], r["health"], r.get("lastError", "")) for r in rules if r["health"] != "ok"
    ] == []


def test_bool_rewrite_leaves_label_matchers_alone():
    expr = 'sum(x{status=~"5..", a!="b"}) / sum(y) > 0.05 and z{q="<>"} <= 3'
    assert comparisons_as_bool(expr) == (
        'sum(x{status=~"5..", a!="b"}) / sum(y) > bool 0.05 and z{q="<>"} <= bool 3'
    )
