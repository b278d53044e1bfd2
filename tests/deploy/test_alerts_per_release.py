"""The alerts follow the release: the chart's PrometheusRule, rendered by Helm's engine
for the default release name and for another one, passes every promtool unit test of
monitoring/tests/alerts_test.yaml with the series that release's objects produce."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import helm_python as helm
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "epa"
RULE_TESTS = ROOT / "monitoring" / "tests" / "alerts_test.yaml"
RUNBOOK_BASE = "https://github.com/epa-analytics/epa/blob/main/docs/runbooks"
ENABLED = {"metrics": {"prometheusRule": {"enabled": True}}}

helm.disable_logging()


def rendered_rules(release: str) -> dict:
    rendered = helm.Chart.load(CHART).render(ENABLED, name=release, namespace="hr-tools")
    (text,) = [t for path, t in rendered.items() if path.endswith("prometheusrule.yaml")]
    return yaml.safe_load(text)["spec"]


def promtool_tests_for(release_api: str, release_worker: str, rules: Path, out: Path) -> Path:
    """monitoring/tests/alerts_test.yaml with the release's job and CronJob names."""
    text = RULE_TESTS.read_text().replace("epa-api", release_api)
    text = text.replace("epa-worker", release_worker)
    tests = yaml.safe_load(text)
    tests["rule_files"] = [str(rules)]
    out.write_text(yaml.safe_dump(tests, sort_keys=False))
    return out


@pytest.mark.parametrize(
    ("release", "api", "worker"),
    [("epa", "epa-api", "epa-worker"), ("hr", "hr-epa-api", "hr-epa-worker")],
)
def test_the_rules_of_a_release_pass_promtool_under_its_own_names(tmp_path, release, api, worker):
    binary = shutil.which("promtool")
    assert binary, "promtool is not installed; run scripts/ensure-tools.sh"
    spec = rendered_rules(release)
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump(spec))
    tests = promtool_tests_for(api, worker, rules, tmp_path / "tests.yaml")
    result = subprocess.run(
        [binary, "test", "rules", str(tests)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_release_named_hr_selects_its_own_api_and_cronjob_only():
    groups = rendered_rules("hr")["groups"]
    text = "\n".join(rule["expr"] for group in groups for rule in group["rules"])
    assert '"epa-api"' not in text and '"epa-worker"' not in text
    assert 'job="hr-epa-api"' in text
    assert 'owner_name="hr-epa-worker"' in text
    assert 'horizontalpodautoscaler="hr-epa-api"' in text


def test_under_hr_epa_api_down_is_silent_while_the_api_answers_and_fires_when_it_stops(
    tmp_path,
):
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump(rendered_rules("hr")))
    series = 'up{job="hr-epa-api", instance="10.0.0.1:8000"}'
    case = {
        "rule_files": [str(rules)],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [{"series": series, "values": "1x10 0x10"}],
                "alert_rule_test": [
                    {"eval_time": "9m", "alertname": "EpaApiDown", "exp_alerts": []},
                    {
                        "eval_time": "18m",
                        "alertname": "EpaApiDown",
                        "exp_alerts": [
                            {
                                "exp_labels": {"severity": "critical", "job": "hr-epa-api"},
                                "exp_annotations": {
                                    "summary": "The EPA API is down.",
                                    "description": "No target of job hr-epa-api has answered "
                                    "a Prometheus scrape for 2 minutes: the API and its "
                                    "dashboards are unavailable.",
                                    "runbook_url": f"{RUNBOOK_BASE}/EpaApiDown.md",
                                },
                            }
                        ],
                    },
                ],
            }
        ],
    }
    tests = tmp_path / "down.yaml"
    tests.write_text(yaml.safe_dump(case))
    result = subprocess.run(
        ["promtool", "test", "rules", str(tests)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def backtest_case(rules: Path, f1: float) -> dict:
    series = 'epa_model_backtest_macro_f1{job="epa-api", instance="a"}'
    return {
        "rule_files": [str(rules)],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [{"series": series, "values": f"{f1}x30"}],
                "alert_rule_test": [
                    {"eval_time": "20m", "alertname": "EpaBacktestF1Low", "exp_alerts": []}
                ],
            }
        ],
    }


def fires(tmp_path: Path, spec: dict, f1: float) -> bool:
    """Whether EpaBacktestF1Low fires for a steady back-tested macro F1 of `f1`."""
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump(spec))
    tests = tmp_path / "tests.yaml"
    tests.write_text(yaml.safe_dump(backtest_case(rules, f1)))
    result = subprocess.run(
        [shutil.which("promtool"), "test", "rules", str(tests)],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode != 0  # the case expects silence


def test_the_backtest_floor_is_a_chart_value_in_the_expression_and_the_description(tmp_path):
    values = {"metrics": {"prometheusRule": {"enabled": True, "backtestF1Floor": 0.65}}}
    rendered = helm.Chart.load(CHART).render(values, name="epa", namespace="hr-tools")
    (text,) = [t for path, t in rendered.items() if path.endswith("prometheusrule.yaml")]
    spec = yaml.safe_load(text)["spec"]
    (rule,) = [r for g in spec["groups"] for r in g["rules"] if r["alert"] == "EpaBacktestF1Low"]
    assert rule["expr"].endswith("< 0.65")
    assert "(floor 0.65)" in rule["annotations"]["description"]
    assert fires(tmp_path, spec, 0.6)
    assert not fires(tmp_path, spec, 0.7)


def test_the_default_backtest_floor_is_the_plain_rule_files_one(tmp_path):
    default = rendered_rules("epa")
    plain = yaml.safe_load((ROOT / "monitoring" / "alerts.yaml").read_text())
    (rule,) = [r for g in default["groups"] for r in g["rules"] if r["alert"] == "EpaBacktestF1Low"]
    (own,) = [r for g in plain["groups"] for r in g["rules"] if r["alert"] == "EpaBacktestF1Low"]
    assert rule == own
    assert fires(tmp_path, default, 0.45)
    assert not fires(tmp_path, default, 0.55)
