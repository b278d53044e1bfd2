"""The plain manifests in k8s/ and the container image's Dockerfile.

k8s/ is the chart rendered with its default values (`make manifests`); these tests fail
when it is stale and check that `kubectl apply -k k8s/` would get what `helm install`
creates. No Docker engine runs here, so the Dockerfile is checked for the properties the
chart relies on rather than built."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "k8s"
_spec = importlib.util.spec_from_file_location(
    "render_manifests", ROOT / "scripts" / "render_manifests.py"
)
render_manifests = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(render_manifests)


@pytest.fixture(scope="module")
def fresh() -> dict[str, str]:
    return render_manifests.render()


@pytest.fixture(scope="module")
def kustomized() -> list[dict]:
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl is needed for `kubectl kustomize` (scripts/ensure-tools.sh)"
    built = subprocess.run([kubectl, "kustomize", str(K8S)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    return [doc for doc in yaml.safe_load_all(built.stdout) if doc]


def test_k8s_is_the_chart_rendered_with_its_default_values(fresh):
    current = {p.name: p.read_text() for p in K8S.glob("*.yaml")}
    stale = sorted(n for n in fresh.keys() | current.keys() if fresh.get(n) != current.get(n))
    assert not stale, f"k8s/ is out of date ({', '.join(stale)}): run `make manifests`"


def test_kubectl_kustomize_builds_every_manifest_of_k8s(fresh, kustomized):
    listed = yaml.safe_load(fresh["kustomization.yaml"])["resources"]
    assert sorted(listed) == sorted(n for n in fresh if n != "kustomization.yaml")
    expected = [
        (doc["kind"], doc["metadata"]["name"])
        for name in listed
        for doc in yaml.safe_load_all(fresh[name])
        if doc
    ]
    assert sorted((o["kind"], o["metadata"]["name"]) for o in kustomized) == sorted(expected)


def test_what_kubectl_would_apply_passes_the_kubernetes_schemas_in_strict_mode(kustomized):
    assert kustomized, "kustomize produced no objects"
    version = kubernetes_validate.utils.latest_version()
    for obj in kustomized:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{obj['kind']}/{obj['metadata']['name']}: {exc.message}")


def test_the_plain_manifests_install_into_a_restricted_namespace_without_helm_tests(kustomized):
    kinds = {o["kind"] for o in kustomized}
    assert {"Namespace", "Deployment", "Service", "HorizontalPodAutoscaler", "CronJob"} <= kinds
    namespace = next(o for o in kustomized if o["kind"] == "Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert all(o["metadata"].get("namespace", "epa") == "epa" for o in kustomized)
    assert "Pod" not in kinds  # `helm test` belongs to Helm
    # No credentials in the repository: the database URL is a Secret the operator makes.
    assert "Secret" not in kinds


def test_render_manifests_check_reports_a_stale_k8s(tmp_path, monkeypatch):
    for path in K8S.glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text())
    monkeypatch.setattr(render_manifests, "OUTPUT", tmp_path)
    monkeypatch.setattr(sys, "argv", ["render_manifests.py", "--check"])
    assert render_manifests.main() == 0
    (tmp_path / "deployment.yaml").write_text("# edited by hand\n")
    assert render_manifests.main() == 1


# --- the image -----------------------------------------------------------------------------


# What the image holds: the Python packages and the pins they install from.
IMAGE_CONTENTS = {
    "pyproject.toml",
    "analytics",
    "api",
    "client",
    "retraining",
    "settings",
    "store",
    "worker",
}


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in (raw.strip() for raw in text.splitlines())
        if line and not line.startswith("#")
    ]


def test_the_image_builds_in_two_stages_from_a_pinned_slim_python(dockerfile):
    args = dict(a.split("=", 1) for i, a in dockerfile if i == "ARG" and "=" in a)
    stages = [a for i, a in dockerfile if i == "FROM"]
    assert len(stages) == 2
    assert stages[0].endswith(" AS builder")
    base = args["PYTHON_IMAGE"]
    assert re.fullmatch(r"python:3\.11-slim(-\w+)?", base), base
    assert all(s.split()[0] == "${PYTHON_IMAGE}" for s in stages)
    copies = [a for i, a in dockerfile if i == "COPY"]
    assert any(c.startswith("--from=builder /opt/epa") for c in copies)


def test_the_image_installs_exactly_the_pins_of_pyproject(dockerfile):
    runs = " ".join(a for i, a in dockerfile if i == "RUN")
    assert "['project']['dependencies']" in runs and "--requirement requirements.txt" in runs
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert pins and all(re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[\w.]+", p) for p in pins)


def test_the_image_runs_as_the_charts_non_root_user(dockerfile):
    users = [a for i, a in dockerfile if i == "USER"]
    assert users == ["10001:10001"]
    after_user = [i for i, _ in dockerfile][[i for i, _ in dockerfile].index("USER") :]
    assert "RUN" not in after_user and "FROM" not in after_user
    chart = yaml.safe_load((ROOT / "helm" / "epa" / "values.yaml").read_text())
    assert chart["podSecurityContext"]["runAsUser"] == 10001
    assert any("--uid 10001" in a for i, a in dockerfile if i == "RUN")


def test_the_image_serves_the_api_by_default_and_bakes_in_no_secret(dockerfile):
    (cmd,) = [a for i, a in dockerfile if i == "CMD"]
    assert yaml.safe_load(cmd) == [
        "gunicorn",
        "--config",
        "python:api.gunicorn_conf",
        "api:create_app()",
    ]
    env = " ".join(a for i, a in dockerfile if i in ("ENV", "ARG"))
    assert not re.search(r"(?i)password|secret|token|DATABASE_URL", env)
    copied = [a.split()[0] for i, a in dockerfile if i == "COPY" and not a.startswith("--from")]
    assert set(copied) == IMAGE_CONTENTS


def test_the_build_context_holds_only_what_the_image_copies():
    rules = [
        line
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert rules[0] == "*"
    allowed = {r[1:].rstrip("/") for r in rules if r.startswith("!")}
    assert allowed == IMAGE_CONTENTS
