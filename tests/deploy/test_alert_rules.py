"""The alert rules: valid for Prometheus, unit-tested with promtool, and each one documented
well enough to act on at night (severity, for, summary, description, runbook)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "monitoring" / "alerts.yaml"
RULE_TESTS = ROOT / "monitoring" / "tests" / "alerts_test.yaml"
RUNBOOKS = ROOT / "docs" / "runbooks"
RUNBOOK_BASE = "https://github.com/epa-analytics/epa/blob/main/docs/runbooks"
SECTIONS = ("Meaning", "Impact", "Diagnosis", "Mitigation")
REQUIRED_ALERTS = {
    "EpaApiDown",
    "EpaApiHigh5xxRatio",
    "EpaApiHighLatencyP95",
    "EpaModelStale",
    "EpaRetrainJobFailed",
    "EpaAnomalyRatioSpike",
    "EpaScoreDrift",
    "EpaApiHpaMaxedOut",
    "EpaFairnessAdverseImpact",
}


def alert_rules() -> list[dict]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


ALERTS = alert_rules()
ALERT_IDS = [rule["alert"] for rule in ALERTS]


def promtool(*args: str) -> subprocess.CompletedProcess:
    binary = shutil.which("promtool")
    # Never a skip: scripts/ensure-tools.sh installs it (Debian's prometheus package).
    assert binary, "promtool is not installed; run scripts/ensure-tools.sh"
    return subprocess.run([binary, *args], capture_output=True, text=True, cwd=ROOT, check=False)


def test_rule_file_passes_promtool_check():
    result = promtool("check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(ALERTS)} rules found" in result.stdout


def test_promtool_unit_tests_pass():
    result = promtool("test", "rules", str(RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_the_required_alerts_exist_once_each():
    assert set(ALERT_IDS) >= REQUIRED_ALERTS
    assert len(ALERT_IDS) == len(set(ALERT_IDS))


def test_unit_tests_show_every_alert_firing_and_staying_silent():
    cases = [
        case
        for test in yaml.safe_load(RULE_TESTS.read_text())["tests"]
        for case in test.get("alert_rule_test", [])
    ]
    fires = {c["alertname"] for c in cases if c.get("exp_alerts")}
    silent = {c["alertname"] for c in cases if not c.get("exp_alerts")}
    assert set(ALERT_IDS) <= fires, set(ALERT_IDS) - fires
    assert set(ALERT_IDS) <= silent, set(ALERT_IDS) - silent


@pytest.mark.parametrize("rule", ALERTS, ids=ALERT_IDS)
def test_alert_has_severity_duration_and_annotations(rule):
    assert rule["labels"]["severity"] in {"critical", "warning", "info"}
    assert re.fullmatch(r"\d+[smh]", rule["for"]), rule.get("for")
    annotations = rule["annotations"]
    assert annotations["summary"].strip()
    # Templated: the page tells which job, endpoint or Job is concerned, or the value seen.
    assert "{{" in annotations["description"]
    assert annotations["runbook_url"] == f"{RUNBOOK_BASE}/{rule['alert']}.md"


@pytest.mark.parametrize("rule", ALERTS, ids=ALERT_IDS)
def test_runbook_exists_with_its_four_sections(rule):
    path = RUNBOOKS / f"{rule['alert']}.md"
    assert path.is_file(), f"missing runbook {path.relative_to(ROOT)}"
    text = path.read_text()
    assert text.startswith(f"# {rule['alert']}\n")
    headings = re.findall(r"^## (.+)$", text, flags=re.MULTILINE)
    assert headings == list(SECTIONS)
    bodies = re.split(r"^## .+$", text, flags=re.MULTILINE)[1:]
    for heading, body in zip(headings, bodies, strict=True):
        assert len(body.split()) >= 15, f"{path.name}: section {heading} is too thin"
    diagnosis = bodies[SECTIONS.index("Diagnosis")]
    assert re.search(r"\b(kubectl|psql|curl)\b", diagnosis), "no command to diagnose with"


def test_every_runbook_belongs_to_an_alert_and_the_index_lists_them_all():
    assert {p.stem for p in RUNBOOKS.glob("*.md")} - {"README"} == set(ALERT_IDS)
    index = (RUNBOOKS / "README.md").read_text()
    for rule in ALERTS:
        name = rule["alert"]
        row = f"| {name} | {rule['labels']['severity']} | {rule['for']} |"
        assert row in index, f"docs/runbooks/README.md: no up-to-date row for {name}"
        assert f"[{name}.md]({name}.md)" in index
