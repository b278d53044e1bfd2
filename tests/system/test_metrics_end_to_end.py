"""End to end: the API under gunicorn with two workers, scraped by a real Prometheus.

One scrape must return the sum over both workers, grouped by URL rule, without probes or
scrapes, with model metrics equal to the current run in the store and no employee named
anywhere."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.mmap_dict import MmapedDict

from tests.helpers import issue_token
from tests.processes import running_gunicorn
from tests.prometheus import (
    PrometheusHandle,
    PromQLError,
    ScrapeJob,
    running_prometheus,
)

pytestmark = pytest.mark.slow

EMPLOYEE = "/api/v1/employees/<string:employee_id>"
HISTORY = "/api/v1/employees/<string:employee_id>/history"
MAX_ROUNDS = 20
ANALYZE_BODY = {
    "records": [
        {
            "employee_id": x,
            "name": f"Person {x}",
            "tasks_total": 10,
            "tasks_completed": done,
            "hours_logged": hours,
        }
        for x, done, hours in (("X1", 9, 20), ("X2", 5, 60), ("X3", 1, 90))
    ]
}
RECORDING_RULE = "epa:http_requests:sum"


class Api:
    def __init__(self, url: str, metrics_dir: Path, token: str) -> None:
        self.url = url
        self.metrics_dir = metrics_dir
        self.token = token

    def call(self, path: str, body: dict | None = None) -> int:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.url + path,
            data=data,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    def text(self, path: str) -> str:
        with urllib.request.urlopen(self.url + path, timeout=30) as response:
            return response.read().decode()

    def requests_per_worker(self) -> dict[str, float]:
        """Requests counted by each worker, read from its own multiprocess file."""
        counts = {}
        for path in self.metrics_dir.glob("counter_*.db"):
            counts[path.stem.removeprefix("counter_")] = sum(
                value
                for key, value, _timestamp, _pos in MmapedDict.read_all_values_from_file(str(path))
                if json.loads(key)[1] == "epa_http_request_total"
            )
        return counts


@pytest.fixture(scope="module")
def api(scored_database_url, tmp_path_factory) -> Iterator[Api]:
    folder = tmp_path_factory.mktemp("gunicorn")
    with running_gunicorn(scored_database_url, folder, EPA_WORKERS="2") as server:
        yield Api(server.url, server.metrics_dir, issue_token(scored_database_url))


def query(db, sql: str) -> list[tuple]:
    with db.cursor() as cur:
        cur.execute(sql)
        rows = cur.fetchall()
    db.rollback()
    return rows


@pytest.fixture(scope="module")
def traffic(api, db) -> Counter:
    """Send rounds of requests until both workers have served some; return what was sent
    as {url_rule: requests}."""
    ids = [
        r[0]
        for r in query(
            db,
            """SELECT s.employee_id FROM scores s JOIN model_runs r USING (run_id)
               WHERE r.is_current ORDER BY s.employee_id LIMIT 5""",
        )
    ]
    calls = [(f"/api/v1/employees/{i}", None, EMPLOYEE, 200) for i in ids]
    calls += [(f"/api/v1/employees/{i}/history", None, HISTORY, 200) for i in ids]
    calls += [
        ("/api/v1/employees/NOBODY", None, EMPLOYEE, 404),
        ("/api/v1/employees?limit=5", None, "/api/v1/employees", 200),
        ("/api/v1/models/current", None, "/api/v1/models/current", 200),
        ("/api/v1/analyze", ANALYZE_BODY, "/api/v1/analyze", 200),
    ]
    sent: Counter = Counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(MAX_ROUNDS):
            statuses = list(pool.map(lambda c: api.call(c[0], c[1]), calls))
            assert statuses == [c[3] for c in calls]
            sent.update(c[2] for c in calls)
            # Probes and scrapes, which must not be counted.
            for path in ("/healthz", "/readyz", "/metrics"):
                assert api.call(path) == 200
            if len([n for n in api.requests_per_worker().values() if n > 0]) >= 2:
                break
    return sent


@pytest.fixture(scope="module")
def prometheus(api, traffic, tmp_path_factory) -> Iterator[PrometheusHandle]:
    rules = tmp_path_factory.mktemp("rules") / "rules.yml"
    rule = {"record": RECORDING_RULE, "expr": "sum(epa_http_request_total)"}
    rules.write_text(json.dumps({"groups": [{"name": "epa-test", "rules": [rule]}]}))
    target = api.url.removeprefix("http://")
    with running_prometheus([ScrapeJob("epa-api", [target])], rule_files=[rules]) as prom:
        yield prom


def test_one_scrape_sums_the_requests_of_both_workers_by_url_rule(api, traffic, prometheus):
    total = sum(traffic.values())
    workers = api.requests_per_worker()
    assert len([n for n in workers.values() if n > 0]) == 2, workers
    assert sum(workers.values()) == total

    # The recording rule evaluates once Prometheus has scraped everything that was sent.
    recorded = prometheus.wait_until(
        RECORDING_RULE, lambda r: bool(r) and float(r[0]["value"][1]) == total
    )
    assert float(recorded[0]["value"][1]) == total
    assert prometheus.value("sum(epa_http_request_total)") == total
    by_rule = prometheus.by_label(
        "sum by (url_rule) (epa_http_request_duration_seconds_count)", "url_rule"
    )
    assert by_rule == dict(traffic)
    assert not {"/metrics", "/healthz", "/readyz"} & set(by_rule)
    rounds = traffic["/api/v1/models/current"]
    by_status = prometheus.by_label("sum by (status) (epa_http_request_total)", "status")
    assert by_status == {"200": total - rounds, "404": rounds}
    assert prometheus.value("sum(epa_analyze_records_total)") == 3 * rounds
    assert prometheus.value("sum(epa_analyze_duration_seconds_count)") == rounds


def test_model_metrics_match_the_current_run_and_name_no_employee(api, db, prometheus):
    ((run_id, as_of),) = query(db, "SELECT run_id, as_of FROM model_runs WHERE is_current")
    tiers = dict(query(db, f"SELECT tier, count(*) FROM scores WHERE run_id = {run_id} GROUP BY 1"))

    prometheus.wait_until("epa_model_info")
    assert prometheus.value("epa_model_metrics_up") == 1
    (info,) = prometheus.query("epa_model_info")
    assert (info["metric"]["run_id"], info["metric"]["as_of"]) == (str(run_id), as_of.isoformat())
    assert prometheus.value("epa_model_employees_scored") == sum(tiers.values())
    assert prometheus.by_label("epa_model_tier_employees", "tier") == tiers

    page = api.text("/metrics")
    people = query(db, "SELECT employee_id, name FROM employees")
    named = [x for person in people for x in person if re.search(rf"\b{re.escape(x)}\b", page)]
    assert named == []


def test_prometheus_reports_rule_health_and_refuses_bad_promql(prometheus):
    prometheus.wait_until(RECORDING_RULE)
    ((rule,),) = [g["rules"] for g in prometheus.rule_groups()]
    assert (rule["name"], rule["health"]) == (RECORDING_RULE, "ok")
    assert prometheus.query_range(RECORDING_RULE, seconds=30)
    assert prometheus.value("2 * 3") == 6  # a scalar result, in the same shape as a vector
    with pytest.raises(PromQLError, match="parse error"):
        prometheus.query("sum(epa_http_request_total")
