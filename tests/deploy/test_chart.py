"""The Helm chart, rendered by Helm's own Go engine (helm-python-sdk) for the default values
and every profile in helm/epa/ci/, and checked as a cluster would check it: every object
against the Kubernetes schemas in strict mode, the restricted security policy on every
container, the hooks' order at first install, and the monitoring objects against their
sources in monitoring/ and grafana/."""

from __future__ import annotations

import functools
import json
import subprocess
import tarfile
from pathlib import Path

import helm_python as helm
import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "epa"
RELEASE = NAMESPACE = "epa"
PROFILES = ["default", *sorted(p.name[: -len("-values.yaml")] for p in CHART.glob("ci/*.yaml"))]
# The oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and the newest schemas.
KUBERNETES_VERSIONS = ["1.29.0", kubernetes_validate.utils.latest_version()]
CUSTOM_RESOURCES = {"ServiceMonitor", "PrometheusRule"}
POD_KINDS = {"Deployment", "StatefulSet", "Job", "CronJob", "Pod"}

helm.disable_logging()


@functools.cache
def chart() -> helm.Chart:
    return helm.Chart.load(CHART)


def profile_values(profile: str) -> dict:
    if profile == "default":
        return {}
    return yaml.safe_load((CHART / "ci" / f"{profile}-values.yaml").read_text()) or {}


@functools.cache
def _render(profile: str, overrides: str) -> tuple[tuple[str, str], ...]:
    values = _merge(profile_values(profile), json.loads(overrides))
    rendered = chart().render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    return tuple(sorted(rendered.items()))


def _merge(base: dict, extra: dict) -> dict:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def render(profile: str = "default", **overrides) -> dict[str, str]:
    """Template path → rendered text; each (profile, overrides) is rendered once."""
    return dict(_render(profile, json.dumps(overrides, sort_keys=True)))


def objects(profile: str = "default", **overrides) -> list[dict]:
    return [
        doc
        for path, text in render(profile, **overrides).items()
        if path.endswith(".yaml")
        for doc in yaml.safe_load_all(text)
        if doc
    ]


def find(objs: list[dict], kind: str, name: str | None = None) -> list[dict]:
    return [o for o in objs if o["kind"] == kind and name in (None, o["metadata"]["name"])]


def one(objs: list[dict], kind: str, name: str | None = None) -> dict:
    (found,) = find(objs, kind, name)
    return found


def pod_template(obj: dict) -> dict:
    """The pod template ({metadata, spec}) of a workload, or the Pod itself."""
    if obj["kind"] == "Pod":
        return obj
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]
    return obj["spec"]["template"]


def workloads(objs: list[dict]) -> list[dict]:
    return [o for o in objs if o["kind"] in POD_KINDS]


def hook_events(obj: dict) -> set[str]:
    annotations = obj["metadata"].get("annotations") or {}
    return set(filter(None, annotations.get("helm.sh/hook", "").split(",")))


def hook_weight(obj: dict) -> int:
    return int((obj["metadata"].get("annotations") or {}).get("helm.sh/hook-weight", "0"))


def api_deployment(objs: list[dict]) -> dict:
    return one(objs, "Deployment", f"{RELEASE}-api")


# --- rendering and validation ------------------------------------------------------------


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("profile", PROFILES)
def test_every_rendered_object_passes_the_kubernetes_schemas_in_strict_mode(profile, version):
    objs = objects(profile)
    assert objs
    for obj in objs:
        if obj["kind"] in CUSTOM_RESOURCES:
            continue  # not in the Kubernetes schemas; their content is checked below
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{obj['kind']}/{obj['metadata']['name']} ({profile}): {exc.message}")


@pytest.mark.parametrize("profile", PROFILES)
def test_helm_lint_finds_nothing_to_warn_about(profile):
    report = helm.lint(CHART, profile_values(profile), namespace=NAMESPACE, strict=True)
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert report["errors"] == [] and problems == [], report


@pytest.mark.parametrize("profile", PROFILES)
def test_every_object_carries_the_standard_labels_and_a_valid_name(profile):
    for obj in objects(profile):
        labels = obj["metadata"]["labels"]
        for key in ("name", "instance", "version", "managed-by", "part-of"):
            assert f"app.kubernetes.io/{key}" in labels, (obj["kind"], obj["metadata"]["name"])
        assert labels["app.kubernetes.io/instance"] == RELEASE
        assert len(obj["metadata"]["name"]) <= 63
        assert obj["metadata"].get("namespace", NAMESPACE) == NAMESPACE


def test_selectors_match_their_pods_and_never_carry_the_version():
    objs = objects()
    for obj in find(objs, "Deployment") + find(objs, "StatefulSet", f"{RELEASE}-postgresql"):
        selector = obj["spec"]["selector"]["matchLabels"]
        assert "app.kubernetes.io/version" not in selector
        assert selector.items() <= pod_template(obj)["metadata"]["labels"].items()
    service = one(objs, "Service", f"{RELEASE}-api")
    assert service["spec"]["selector"] == api_deployment(objs)["spec"]["selector"]["matchLabels"]
    assert service["spec"]["ports"][0]["targetPort"] == "http"


def test_the_notes_tell_how_to_reach_the_api_and_retrain():
    notes = render()["epa/templates/NOTES.txt"]
    assert "kubectl -n epa port-forward svc/epa-api 8000:80" in notes
    assert "POST http://127.0.0.1:8000/api/v1/models/retrain" in notes
    assert "exec deploy/epa-api -- python -m worker tokens create --role admin" in notes
    assert "Database: the URL in Secret epa-database, key database-url." in notes
    production = render("production")["epa/templates/NOTES.txt"]
    assert "curl -s -X POST https://epa.example.com/api/v1/models/retrain" in production


# --- values.schema.json and the chart's own checks ----------------------------------------


def nested(key: str, value) -> dict:
    """{"a": {"b": value}} from "a.b"."""
    for part in reversed(key.split(".")):
        value = {part: value}
    return value


@pytest.mark.parametrize(
    ("key", "value", "where", "reason"),
    [
        ("autoscaling.maxReplicas", "ten", "/autoscaling/maxReplicas", "got string, want integer"),
        ("autoscalng", {}, "", "additional properties 'autoscalng' not allowed"),
        ("worker.schedule", 2, "/worker/schedule", "got number, want string"),
        ("worker.schedule", "nightly", "/worker/schedule", "does not match pattern"),
        ("worker.concurrencyPolicy", "Sometimes", "/worker/concurrencyPolicy", "must be one of"),
        ("image.pullPolicy", "Sometimes", "/image/pullPolicy", "must be one of"),
        ("api.resources.limits", None, "/api/resources", "missing property 'limits'"),
        ("worker.resources.requests.cpu", "lots", "/worker/resources/requests/cpu", "pattern"),
        ("commonLabels.tier", 1, "/commonLabels/tier", "got number, want string"),
        ("metrics.serviceMonitor.interval", "30 s", "/metrics/serviceMonitor/interval", "pattern"),
        ("database.sslmode", "sometimes", "/database/sslmode", "must be one of"),
    ],
)
def test_the_values_schema_rejects_bad_values_naming_the_key(key, value, where, reason):
    with pytest.raises(helm.HelmValuesError) as caught:
        render(**nested(key, value))
    message = str(caught.value)
    assert f"at '{where}'" in message, message
    assert reason in message, message


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"autoscaling": {"minReplicas": 5, "maxReplicas": 3}},
            "autoscaling.minReplicas (5) must not exceed autoscaling.maxReplicas (3)",
        ),
        (
            {"database": {"existingSecret": ""}},
            "set database.existingSecret (a Secret holding the PostgreSQL URL), database.host",
        ),
        ({"postgresql": {"enabled": True}}, "postgresql.auth.password is required"),
    ],
)
def test_the_chart_refuses_contradictory_or_missing_settings_with_a_reason(values, message):
    with pytest.raises(helm.HelmRenderError) as caught:
        render(**values)
    assert message in str(caught.value)


# --- security ----------------------------------------------------------------------------


@pytest.mark.parametrize("profile", PROFILES)
def test_every_container_runs_restricted_with_requests_and_limits(profile):
    for obj in workloads(objects(profile)):
        pod = pod_template(obj)["spec"]
        where = f"{obj['kind']}/{obj['metadata']['name']} ({profile})"
        assert not pod.get("hostNetwork") and not pod.get("hostPID"), where
        pod_security = pod.get("securityContext", {})
        assert pod_security.get("seccompProfile") == {"type": "RuntimeDefault"}, where
        for container in pod.get("initContainers", []) + pod["containers"]:
            security = container["securityContext"]
            assert security.get("runAsNonRoot", pod_security.get("runAsNonRoot")) is True, where
            assert security.get("runAsUser", pod_security.get("runAsUser")) != 0, where
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["capabilities"] == {"drop": ["ALL"]}, where
            resources = container["resources"]
            assert {"cpu", "memory"} <= resources["requests"].keys(), where
            assert {"cpu", "memory"} <= resources["limits"].keys(), where


def test_epa_pods_run_as_the_images_user_with_tmp_as_the_only_writable_path():
    for obj in workloads(objects()):
        if hook_events(obj) == {"test"}:
            continue  # a few lines of Python that write nothing
        pod = pod_template(obj)["spec"]
        assert pod["securityContext"]["runAsUser"] == 10001
        mounts = {m["mountPath"] for c in pod["containers"] for m in c.get("volumeMounts", [])}
        assert mounts <= {"/tmp", "/tmp/prometheus"}
        assert "/tmp" in mounts


def test_only_the_api_gets_a_kubernetes_token_and_only_to_start_retrains():
    objs = objects()
    assert pod_template(api_deployment(objs))["spec"]["automountServiceAccountToken"] is True
    for obj in workloads(objs):
        if obj["metadata"]["name"] != f"{RELEASE}-api":
            assert pod_template(obj)["spec"]["automountServiceAccountToken"] is False
    assert one(objs, "ServiceAccount")["automountServiceAccountToken"] is False
    minimal = objects("minimal")
    assert pod_template(api_deployment(minimal))["spec"]["automountServiceAccountToken"] is False
    assert find(minimal, "Role") == find(minimal, "ServiceAccount") == []


def test_the_api_role_creates_jobs_from_the_worker_cronjob_and_nothing_more():
    objs = objects()
    role = one(objs, "Role")
    assert role["rules"] == [
        {
            "apiGroups": ["batch"],
            "resources": ["cronjobs"],
            "resourceNames": [f"{RELEASE}-worker"],
            "verbs": ["get"],
        },
        {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["create", "get", "list"]},
    ]
    binding = one(objs, "RoleBinding")
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": role["metadata"]["name"],
    }
    service_account = pod_template(api_deployment(objs))["spec"]["serviceAccountName"]
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": service_account, "namespace": NAMESPACE}
    ]
    config = one(objs, "ConfigMap", RELEASE)["data"]
    assert config["EPA_RETRAIN_MODE"] == "kubernetes"
    assert config["EPA_RETRAIN_CRONJOB"] == one(objs, "CronJob")["metadata"]["name"]


@pytest.mark.parametrize("profile", PROFILES)
def test_the_migration_hook_has_everything_it_needs_at_first_install(profile):
    objs = objects(profile)
    (job,) = [j for j in find(objs, "Job") if hook_events(j)]
    events = hook_events(job)
    assert "pre-upgrade" in events and events & {"pre-install", "post-install"}
    pod = pod_template(job)["spec"]
    container = pod["containers"][0]
    assert container["command"] == ["python", "-m", "worker", "migrate"]
    assert (
        container["image"]
        == api_deployment(objs)["spec"]["template"]["spec"]["containers"][0]["image"]
    )
    # Before install nothing of the release exists but earlier hooks: every object the Job
    # needs is a hook of the same events with a lower weight, or exists outside the chart.
    needed = [
        ("Secret", ref["valueFrom"]["secretKeyRef"]["name"])
        for ref in container["env"]
        if "valueFrom" in ref
    ]
    needed += [("ConfigMap", ref["configMapRef"]["name"]) for ref in container.get("envFrom", [])]
    if "serviceAccountName" in pod:
        needed.append(("ServiceAccount", pod["serviceAccountName"]))
    assert ("Secret", "DATABASE_URL") not in needed
    assert any(kind == "Secret" for kind, _ in needed)
    for kind, name in needed:
        rendered = find(objs, kind, name)
        if not rendered:
            assert (kind, name) == (
                "Secret",
                profile_values(profile).get("database", {}).get("existingSecret", "epa-database"),
            )
            continue
        if "pre-install" in events:
            (dependency,) = rendered
            assert events <= hook_events(dependency), (kind, name)
            assert hook_weight(dependency) < hook_weight(job), (kind, name)
            assert (
                "before-hook-creation"
                in dependency["metadata"]["annotations"]["helm.sh/hook-delete-policy"]
            )
    # Its Secret is the same URL the release's own pods read.
    for secret in find(objs, "Secret"):
        if "database-url" in secret.get("stringData", {}):
            assert secret["stringData"]["database-url"].startswith("postgresql://")
    assert "pre-install" in events or profile_values(profile).get("postgresql", {}).get("enabled")


def test_a_database_url_built_from_parts_percent_encodes_the_password():
    objs = objects("minimal")
    urls = {s["stringData"]["database-url"] for s in find(objs, "Secret")}
    assert urls == {
        "postgresql://epa:s3cret%20p%40ss%2Fword@postgres.example.internal:5432/epa?sslmode=require"
    }
    names = {s["metadata"]["name"] for s in find(objs, "Secret")}
    assert names == {"epa-database", "epa-migrate"}  # the release's and the hook's


# --- the API, autoscaling and disruption ----------------------------------------------------


def test_the_api_runs_gunicorn_with_liveness_readiness_and_startup_probes():
    container = pod_template(api_deployment(objects()))["spec"]["containers"][0]
    assert container["command"] == [
        "gunicorn", "--config", "python:api.gunicorn_conf", "api:create_app()",
    ]  # fmt: skip
    assert container["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    env = {e["name"]: e for e in container["env"]}
    assert env["PROMETHEUS_MULTIPROC_DIR"]["value"] == "/tmp/prometheus"
    assert env["EPA_NAMESPACE"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.namespace"


def test_the_hpa_scales_the_api_deployment_which_then_leaves_replicas_to_it():
    objs = objects()
    deployment = api_deployment(objs)
    hpa = one(objs, "HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": deployment["apiVersion"],
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }
    assert "replicas" not in deployment["spec"]
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 10)
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]
    assert hpa["spec"]["metrics"][0]["resource"]["target"] == {
        "type": "Utilization",
        "averageUtilization": 70,
    }
    assert hpa["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 300


def test_memory_target_and_behavior_of_the_hpa_are_configurable():
    behavior = {"scaleDown": {"stabilizationWindowSeconds": 60, "selectPolicy": "Min"}}
    hpa = one(
        objects(autoscaling={"targetMemoryUtilizationPercentage": 80, "behavior": behavior}),
        "HorizontalPodAutoscaler",
    )
    memory = [m for m in hpa["spec"]["metrics"] if m["resource"]["name"] == "memory"]
    assert memory[0]["resource"]["target"]["averageUtilization"] == 80
    assert hpa["spec"]["behavior"]["scaleDown"] == {
        **behavior["scaleDown"],
        "policies": [{"type": "Percent", "value": 50, "periodSeconds": 60}],
    }


def test_without_autoscaling_the_deployment_sets_its_replicas():
    objs = objects("autoscaling-off")
    assert find(objs, "HorizontalPodAutoscaler") == []
    assert api_deployment(objs)["spec"]["replicas"] == 3


def test_the_disruption_budget_covers_the_api_pods():
    objs = objects()
    pdb = one(objs, "PodDisruptionBudget")
    assert pdb["spec"]["maxUnavailable"] == 1 and "minAvailable" not in pdb["spec"]
    labels = pod_template(api_deployment(objs))["metadata"]["labels"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    custom = one(objects(podDisruptionBudget={"minAvailable": "50%"}), "PodDisruptionBudget")
    assert custom["spec"] == {**custom["spec"], "minAvailable": "50%"}
    assert "maxUnavailable" not in custom["spec"]


def test_a_changed_setting_or_secret_rolls_the_api_and_worker_pods():
    def checksums(**values):
        objs = objects("minimal", **values)
        return [
            pod_template(o)["metadata"]["annotations"]
            for o in (api_deployment(objs), one(objs, "CronJob"))
        ]

    before = checksums()
    after_config = checksums(config={"logLevel": "debug"})
    after_secret = checksums(database={"password": "rotated"})
    for old, new in zip(before, after_config, strict=True):
        assert old["checksum/config"] != new["checksum/config"]
    assert before[0]["checksum/secret"] != after_secret[0]["checksum/secret"]
    assert before[0]["checksum/config"] == after_secret[0]["checksum/config"]


def test_the_ingress_routes_to_the_api_service_with_tls():
    objs = objects("production")
    ingress = one(objs, "Ingress")
    rule = ingress["spec"]["rules"][0]
    assert rule["host"] == "epa.example.com"
    assert rule["http"]["paths"][0]["backend"]["service"] == {
        "name": one(objs, "Service", f"{RELEASE}-api")["metadata"]["name"],
        "port": {"name": "http"},
    }
    assert ingress["spec"]["tls"] == [{"secretName": "epa-tls", "hosts": ["epa.example.com"]}]
    assert find(objects(), "Ingress") == []


# --- the worker --------------------------------------------------------------------------


def test_the_worker_cronjob_runs_the_same_image_nightly_without_overlap():
    objs = objects()
    cronjob = one(objs, "CronJob")
    assert 'schedule: "0 2 * * *"' in render()["epa/templates/cronjob.yaml"]
    spec = cronjob["spec"]
    assert spec["schedule"] == "0 2 * * *"
    assert spec["concurrencyPolicy"] == "Forbid"
    assert spec["suspend"] is False
    assert (spec["successfulJobsHistoryLimit"], spec["failedJobsHistoryLimit"]) == (3, 3)
    job = spec["jobTemplate"]["spec"]
    assert (job["backoffLimit"], job["activeDeadlineSeconds"]) == (2, 3600)
    pod = job["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    worker = pod["containers"][0]
    api = pod_template(api_deployment(objs))["spec"]["containers"][0]
    assert worker["command"] == ["python", "-m", "worker", "run"]
    assert worker["image"] == api["image"] == "epa:0.1.0"
    assert worker["envFrom"] == api["envFrom"]
    assert one(objects("production"), "CronJob")["spec"]["timeZone"] == "Europe/Berlin"
    suspended = one(objects(worker={"suspend": True, "schedule": "@hourly"}), "CronJob")
    assert (suspended["spec"]["suspend"], suspended["spec"]["schedule"]) == (True, "@hourly")


def test_an_image_digest_pins_every_epa_container():
    digest = "sha256:" + "ab" * 32
    for obj in workloads(objects(image={"digest": digest})):
        for container in pod_template(obj)["spec"]["containers"]:
            assert container["image"] == f"epa@{digest}"


def test_the_pushgateway_url_reaches_every_epa_container():
    objs = objects("production")
    config = one(objs, "ConfigMap", RELEASE)["data"]
    assert config["EPA_PUSHGATEWAY_URL"] == "http://prometheus-pushgateway.monitoring.svc:9091"
    assert "EPA_PUSHGATEWAY_URL" not in one(objects(), "ConfigMap", RELEASE)["data"]


# --- network -----------------------------------------------------------------------------


def test_network_policies_open_the_api_port_and_nothing_else_by_default():
    objs = objects()
    api = one(objs, "NetworkPolicy", f"{RELEASE}-api")
    assert api["spec"]["policyTypes"] == ["Ingress"]
    assert api["spec"]["ingress"] == [{"ports": [{"port": "http", "protocol": "TCP"}]}]
    worker = one(objs, "NetworkPolicy", f"{RELEASE}-worker")
    assert worker["spec"]["policyTypes"] == ["Ingress"] and "ingress" not in worker["spec"]
    selected = worker["spec"]["podSelector"]["matchExpressions"][0]["values"]
    assert selected == ["worker", "migrate"]


def test_locked_down_network_policies_allow_only_the_listed_peers_and_ports():
    objs = objects("production")
    api = one(objs, "NetworkPolicy", f"{RELEASE}-api")
    peers = api["spec"]["ingress"][0]["from"]
    assert peers[0] == {
        "podSelector": {
            "matchLabels": {"app.kubernetes.io/name": "epa", "app.kubernetes.io/instance": "epa"}
        }
    }
    assert peers[1:] == profile_values("production")["networkPolicy"]["extraIngress"]
    ports = {p["port"] for rule in api["spec"]["egress"] for p in rule["ports"]}
    assert ports == {53, 5432, 9091, 443, 6443}
    worker = one(objs, "NetworkPolicy", f"{RELEASE}-worker")
    assert {p["port"] for rule in worker["spec"]["egress"] for p in rule["ports"]} == {
        53, 5432, 9091,
    }  # fmt: skip


# --- the evaluation database ---------------------------------------------------------------


def test_the_evaluation_postgresql_is_a_single_pod_with_a_volume_and_the_apps_database():
    objs = objects("evaluation")
    statefulset = one(objs, "StatefulSet")
    assert statefulset["spec"]["replicas"] == 1
    (claim,) = statefulset["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "8Gi"
    service = one(objs, "Service", statefulset["spec"]["serviceName"])
    assert service["spec"]["ports"][0]["port"] == 5432
    url = one(objs, "Secret", f"{RELEASE}-database")["stringData"]["database-url"]
    assert url == "postgresql://epa:evaluation-only@epa-postgresql:5432/epa?sslmode=disable"
    migration = next(j for j in find(objs, "Job") if hook_events(j))
    # No database exists before the release: the migrations wait for the installed one.
    assert hook_events(migration) == {"post-install", "pre-upgrade"}
    assert one(objs, "NetworkPolicy", f"{RELEASE}-postgresql")
    assert find(objects(), "StatefulSet") == []


# --- helm test ------------------------------------------------------------------------------


def test_helm_test_calls_the_api_health_and_metrics_endpoints():
    (pod,) = [o for o in find(objects(), "Pod") if hook_events(o) == {"test"}]
    container = pod["spec"]["containers"][0]
    script = container["command"][2]
    assert '"/healthz"' in script and '"/metrics"' in script
    assert container["command"][3] == "http://epa-api:80"
    compile(script, "helm-test", "exec")


# --- monitoring: one source of truth in monitoring/ and grafana/ ----------------------------


def test_the_chart_files_are_links_to_monitoring_and_grafana():
    files = CHART / "files"
    links = {
        "alerts.yaml": ROOT / "monitoring" / "alerts.yaml",
        "dashboards": ROOT / "grafana" / "dashboards",
        "datasources": ROOT / "grafana" / "provisioning" / "datasources",
    }
    assert {p.name for p in files.iterdir()} == set(links)
    for name, source in links.items():
        assert (files / name).is_symlink()
        assert (files / name).resolve() == source.resolve()


def test_a_packaged_chart_carries_the_linked_files_themselves(tmp_path):
    archive = helm.package(CHART, destination=tmp_path)
    with tarfile.open(archive) as tar:
        members = {m.name: m for m in tar.getmembers()}
        alerts = members["epa/files/alerts.yaml"]
        assert alerts.isfile()
        assert tar.extractfile(alerts).read() == (ROOT / "monitoring" / "alerts.yaml").read_bytes()
        for dashboard in (ROOT / "grafana" / "dashboards").glob("*.json"):
            packed = tar.extractfile(members[f"epa/files/dashboards/{dashboard.name}"])
            assert packed.read() == dashboard.read_bytes()


def test_the_prometheus_rule_is_monitoring_alerts_and_passes_promtool(tmp_path):
    rule = one(objects("production"), "PrometheusRule")
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    source = yaml.safe_load((ROOT / "monitoring" / "alerts.yaml").read_text())
    assert rule["spec"]["groups"] == source["groups"]
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(yaml.safe_dump(rule["spec"]))
    checked = subprocess.run(
        ["promtool", "check", "rules", str(rules_file)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_service_monitor_scrapes_the_api_service_metrics_path():
    objs = objects("production")
    monitor = one(objs, "ServiceMonitor")
    service = one(objs, "Service", f"{RELEASE}-api")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert (
        monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    )
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": [NAMESPACE]}
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] == service["spec"]["ports"][0]["name"]
    assert (endpoint["path"], endpoint["interval"]) == ("/metrics", "30s")
    # The alert rules select the scrape job by the Service's name.
    assert (
        f'job="{service["metadata"]["name"]}"' in (ROOT / "monitoring" / "alerts.yaml").read_text()
    )


def test_monitoring_objects_are_left_out_when_monitoring_is_off():
    kinds = {o["kind"] for o in objects("monitoring-off")}
    assert not kinds & CUSTOM_RESOURCES
    labels = [o["metadata"]["labels"] for o in objects("monitoring-off")]
    assert not any("grafana_dashboard" in lab or "grafana_datasource" in lab for lab in labels)


def test_dashboard_configmaps_carry_the_exact_bytes_of_the_grafana_files():
    dashboards = sorted((ROOT / "grafana" / "dashboards").glob("*.json"))
    assert dashboards
    configmaps = [
        c
        for c in find(objects("production"), "ConfigMap")
        if "grafana_dashboard" in c["metadata"]["labels"]
    ]
    assert len(configmaps) == len(dashboards)
    carried = {name: text for c in configmaps for name, text in c["data"].items()}
    assert carried == {d.name: d.read_bytes().decode("utf-8") for d in dashboards}
    for configmap in configmaps:
        assert configmap["metadata"]["labels"]["grafana_dashboard"] == "1"
        assert configmap["metadata"]["annotations"] == {"grafana_folder": "EPA"}


def test_the_datasource_secret_is_grafanas_provisioning_with_its_references_filled_in():
    source_files = sorted((ROOT / "grafana" / "provisioning" / "datasources").glob("*.yaml"))
    (secret,) = [
        s
        for s in find(objects("production"), "Secret")
        if "grafana_datasource" in s["metadata"]["labels"]
    ]
    assert secret["metadata"]["labels"]["grafana_datasource"] == "1"
    assert sorted(secret["stringData"]) == [f"epa-{f.name}" for f in source_files]
    for source_file in source_files:
        text = secret["stringData"][f"epa-{source_file.name}"]
        source = yaml.safe_load(source_file.read_text())["datasources"]
        rendered = yaml.safe_load(text)["datasources"]
        assert [(d["name"], d["uid"], d["type"]) for d in rendered] == [
            (d["name"], d["uid"], d["type"]) for d in source
        ]
        # kube-prometheus-stack's Grafana has its own default datasource.
        assert all(d["isDefault"] is False for d in rendered)
        by_type = {d["type"]: d for d in rendered}
        assert by_type["prometheus"]["url"] == "http://prometheus-operated.monitoring.svc:9090"
        postgres = by_type["grafana-postgresql-datasource"]
        assert postgres["url"] == "postgres.example.internal:5432"
        assert postgres["jsonData"]["database"] == "epa"
        assert postgres["jsonData"]["sslmode"] == "verify-full"
        # No password in values: Grafana resolves it from its own environment.
        assert postgres["secureJsonData"]["password"] == "$EPA_GRAFANA_DB_PASSWORD"
        assert "${" not in text


def test_a_datasource_password_from_values_is_escaped_for_grafanas_expansion():
    (secret,) = [
        s
        for s in find(objects("evaluation"), "Secret")
        if "grafana_datasource" in s["metadata"]["labels"]
    ]
    (text,) = secret["stringData"].values()
    postgres = next(d for d in yaml.safe_load(text)["datasources"] if d["uid"] == "epa-postgres")
    assert postgres["secureJsonData"]["password"] == "grafana-evaluation$$"
    assert postgres["url"] == "epa-postgresql.epa.svc:5432"
    assert postgres["jsonData"]["sslmode"] == "disable"
