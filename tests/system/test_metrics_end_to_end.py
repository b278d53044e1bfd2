"""End to end: the API under gunicorn with two workers, scraped by a real Prometheus.

One scrape must return the sum over both workers, grouped by URL rule, without probes or
scrapes, with model metrics equal to the current run in the store and no employee named
anywhere."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from tests.helpers import query
from tests.prometheus import (
    PrometheusHandle,
    PromQLError,
    ScrapeJob,
    running_prometheus,
)

pytestmark = pytest.mark.slow

RECORDING_RULE = "epa:http_requests:sum"


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
