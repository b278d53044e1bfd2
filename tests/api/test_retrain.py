"""On-demand retraining through POST /api/v1/models/retrain.

The Kubernetes path talks to `FakeKubernetes`, a small HTTP server that stands in for the
Kubernetes API server because no cluster can run here. It implements just what a retrain
uses (read a CronJob; create, list and read Jobs) and serves the worker CronJob exactly as
the chart renders it. The local path is tested for real: a worker process trains on a demo
organisation in a throwaway PostgreSQL."""

from __future__ import annotations

import copy
import json
import os
import re
import socket
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg2
import pytest
import yaml

from api import create_app
from retraining import RetrainSettings
from retraining.kubernetes import job_name, job_status
from settings import load as load_settings
from tests.helpers import issue_token, query, seed_demo

ROOT = Path(__file__).resolve().parents[2]
NAMESPACE = "epa"
CRONJOB = "epa-worker"
TOKEN = "service-account-token"


def rendered_worker_cronjob() -> dict:
    """The worker CronJob of the chart's default values, as the API server would return it."""
    import helm_python as helm

    with helm.Chart.load(ROOT / "helm" / "epa") as chart:
        manifest = chart.render(name="epa", namespace=NAMESPACE)["epa/templates/cronjob.yaml"]
    cronjob = yaml.safe_load(manifest)
    cronjob["metadata"].update(uid=str(uuid.uuid4()), creationTimestamp="2026-11-01T00:00:00Z")
    return cronjob


class FakeKubernetes(ThreadingHTTPServer):
    """Stands in for the Kubernetes API server: the CronJob GET and the Job POST/GET/list
    endpoints of batch/v1, in one namespace, with bearer-token authentication."""

    daemon_threads = True

    def __init__(self, cronjob: dict | None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.cronjob = cronjob
        self.jobs: dict[str, dict] = {}
        self.created: list[dict] = []  # Job bodies exactly as posted
        self.deny = False  # answer 403, as without the chart's Role

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def set_job_status(self, name: str, status: dict) -> None:
        self.jobs[name]["status"] = status


class _Handler(BaseHTTPRequestHandler):
    server: FakeKubernetes
    base = f"/apis/batch/v1/namespaces/{NAMESPACE}"

    def log_message(self, *args) -> None:
        pass

    def _send(self, code: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _status(self, code: int, reason: str) -> None:
        body = {"kind": "Status", "status": "Failure", "reason": reason, "code": code}
        self._send(code, body)

    def _authorised(self) -> bool:
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._status(401, "Unauthorized")
            return False
        if self.server.deny:
            self._status(403, "Forbidden")
            return False
        return True

    def do_GET(self) -> None:
        if not self._authorised():
            return
        path = self.path.split("?")[0]
        if path == f"{self.base}/cronjobs/{CRONJOB}" and self.server.cronjob:
            self._send(200, self.server.cronjob)
        elif path == f"{self.base}/jobs":
            items = list(self.server.jobs.values())
            self._send(200, {"kind": "JobList", "apiVersion": "batch/v1", "items": items})
        elif path.startswith(f"{self.base}/jobs/") and path.rsplit("/", 1)[1] in self.server.jobs:
            self._send(200, self.server.jobs[path.rsplit("/", 1)[1]])
        else:
            self._status(404, "NotFound")

    def do_POST(self) -> None:
        if not self._authorised():
            return
        if self.path.split("?")[0] != f"{self.base}/jobs":
            self._status(404, "NotFound")
            return
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.created.append(copy.deepcopy(body))
        name = body["metadata"]["name"]
        if name in self.server.jobs:
            self._status(409, "AlreadyExists")
            return
        body["metadata"].update(uid=str(uuid.uuid4()), creationTimestamp="2026-11-22T10:00:00Z")
        body["status"] = {}
        self.server.jobs[name] = body
        self._send(201, body)


@pytest.fixture
def kube(tmp_path):
    server = FakeKubernetes(rendered_worker_cronjob())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "fake", "cluster": {"server": server.url}}],
                "users": [{"name": "epa-api", "user": {"token": TOKEN}}],
                "contexts": [
                    {
                        "name": "fake",
                        "context": {"cluster": "fake", "user": "epa-api", "namespace": NAMESPACE},
                    }
                ],
                "current-context": "fake",
            }
        )
    )
    server.kubeconfig = str(kubeconfig)
    yield server
    server.shutdown()
    server.server_close()


def admin_client(app, database_url: str):
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {issue_token(database_url)}"
    return client


@pytest.fixture
def kube_client(kube, database_url):
    # The database checks the caller's token and keeps the audit record of the retrain.
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "TESTING": True,
            "RETRAIN_MODE": "kubernetes",
            "RETRAIN_KUBECONFIG": kube.kubeconfig,
            "RETRAIN_NAMESPACE": NAMESPACE,
            "RETRAIN_CRONJOB": CRONJOB,
        }
    )
    yield admin_client(app, database_url)
    app.extensions["epa_db"].close()


# --- Kubernetes ---------------------------------------------------------------------------


def test_a_retrain_in_kubernetes_is_a_job_made_from_the_worker_cronjob(kube, kube_client):
    response = kube_client.post("/api/v1/models/retrain")

    assert response.status_code == 202, response.json
    (job,) = kube.created
    cronjob = kube.cronjob
    template = cronjob["spec"]["jobTemplate"]
    assert response.json["id"] == job["metadata"]["name"]
    assert response.json["status"] == "pending"
    assert response.json["mode"] == "kubernetes"
    assert response.headers["Location"].endswith(
        f"/api/v1/models/retrain/{job['metadata']['name']}"
    )
    # What `kubectl create job --from=cronjob/epa-worker` creates:
    assert re.fullmatch(r"epa-worker-manual-[a-z0-9]{5}", job["metadata"]["name"])
    assert job["spec"] == template["spec"]
    command = job["spec"]["template"]["spec"]["containers"][0]["command"]
    assert command == ["python", "-m", "worker", "run"]
    assert job["metadata"]["labels"] == template["metadata"]["labels"]
    assert job["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"] == "manual"
    assert job["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "name": CRONJOB,
            "uid": cronjob["metadata"]["uid"],
            "controller": True,
        }
    ]


@pytest.mark.parametrize(
    ("job_state", "expected"),
    [
        ({}, "pending"),
        ({"active": 1, "ready": 0}, "pending"),
        ({"active": 1, "ready": 1, "startTime": "2026-11-22T10:00:05Z"}, "running"),
        ({"active": 1}, "running"),  # an API server without `ready`
        (
            {
                "succeeded": 1,
                "startTime": "2026-11-22T10:00:05Z",
                "completionTime": "2026-11-22T10:03:00Z",
                "conditions": [{"type": "Complete", "status": "True"}],
            },
            "succeeded",
        ),
        (
            {
                "failed": 3,
                "conditions": [
                    {
                        "type": "Failed",
                        "status": "True",
                        "reason": "BackoffLimitExceeded",
                        "message": "Job has reached the specified backoff limit",
                        "lastTransitionTime": "2026-11-22T10:09:00Z",
                    }
                ],
            },
            "failed",
        ),
    ],
)
def test_a_retrain_reports_the_status_of_its_job(kube, kube_client, job_state, expected):
    retrain_id = kube_client.post("/api/v1/models/retrain").json["id"]
    kube.set_job_status(retrain_id, job_state)

    body = kube_client.get(f"/api/v1/models/retrain/{retrain_id}").json

    assert body["id"] == retrain_id
    assert body["status"] == expected
    assert job_status(kube.jobs[retrain_id]) == expected
    if expected == "succeeded":
        assert body["finished_at"] == "2026-11-22T10:03:00Z"
    if expected == "failed":
        assert body["finished_at"] == "2026-11-22T10:09:00Z"
        assert body["error"].startswith("BackoffLimitExceeded: Job has reached")
    if expected in ("pending", "running"):
        assert body["finished_at"] is None


def test_a_second_retrain_while_a_job_is_in_flight_is_refused(kube, kube_client):
    first = kube_client.post("/api/v1/models/retrain").json["id"]

    second = kube_client.post("/api/v1/models/retrain")

    assert second.status_code == 409
    assert first in second.json["message"]
    kube.set_job_status(first, {"conditions": [{"type": "Complete", "status": "True"}]})
    assert kube_client.post("/api/v1/models/retrain").status_code == 202
    assert len(kube.jobs) == 2


def test_only_jobs_of_the_worker_cronjob_are_retrains(kube, kube_client):
    kube.jobs["someone-elses-job"] = {"metadata": {"name": "someone-elses-job"}, "status": {}}

    assert kube_client.get("/api/v1/models/retrain/someone-elses-job").status_code == 404
    assert kube_client.get("/api/v1/models/retrain/epa-worker-manual-zzzzz").status_code == 404
    assert kube_client.get("/api/v1/models/retrain/Not_A_Job_Name").status_code == 404
    # a Job that is not the CronJob's does not block a retrain either
    assert kube_client.post("/api/v1/models/retrain").status_code == 202


def test_without_the_worker_cronjob_or_the_role_a_retrain_is_a_503(kube, kube_client):
    kube.deny = True
    denied = kube_client.post("/api/v1/models/retrain")
    assert denied.status_code == 503
    assert "rbac" in denied.json["message"]

    kube.deny, kube.cronjob = False, None
    missing = kube_client.post("/api/v1/models/retrain")
    assert missing.status_code == 503
    assert "CronJob" in missing.json["message"]
    assert kube.created == []


def test_job_names_fit_a_label_value_whatever_the_cronjob_name():
    name = job_name("a-very-long-release-name-that-fills-most-of-the-label-worker")
    assert len(name) <= 63
    assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name)
    assert job_name(CRONJOB) != job_name(CRONJOB)


def test_the_mode_is_kubernetes_in_a_pod_and_local_elsewhere():
    in_pod = RetrainSettings.from_settings(
        load_settings(
            {
                "KUBERNETES_SERVICE_HOST": "10.96.0.1",
                "EPA_NAMESPACE": "epa",
                "EPA_RETRAIN_CRONJOB": "x",
            }
        )
    )
    assert (in_pod.mode, in_pod.namespace, in_pod.cronjob) == ("kubernetes", "epa", "x")
    assert RetrainSettings.from_settings(load_settings({})).mode == "local"
    assert (
        RetrainSettings.from_settings(load_settings({"EPA_RETRAIN_MODE": "kubernetes"})).mode
        == "kubernetes"
    )
    with pytest.raises(RuntimeError, match="EPA_RETRAIN_MODE"):
        RetrainSettings.from_settings(load_settings({"EPA_RETRAIN_MODE": "cloud"}))


# --- local process ------------------------------------------------------------------------


@pytest.fixture
def local_client(database_url):
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "RETRAIN_MODE": "local"})
    yield admin_client(app, database_url)
    app.extensions["epa_db"].close()


def wait_until_finished(client, retrain_id: str, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    seen = set()
    while time.monotonic() < deadline:
        body = client.get(f"/api/v1/models/retrain/{retrain_id}").json
        seen.add(body["status"])
        if body["status"] in ("succeeded", "failed"):
            body["seen"] = seen
            return body
        time.sleep(0.2)
    raise AssertionError(f"retrain {retrain_id} still {seen} after {timeout} s")


def test_a_local_retrain_runs_the_worker_and_publishes_a_new_current_run(
    database_url, local_client
):
    seed_demo(database_url)

    started = local_client.post("/api/v1/models/retrain")

    assert started.status_code == 202
    assert started.json["mode"] == "local"
    assert started.json["status"] in ("pending", "running")
    assert started.headers["Location"].endswith(f"/api/v1/models/retrain/{started.json['id']}")
    finished = wait_until_finished(local_client, started.json["id"])
    assert finished["status"] == "succeeded", finished
    assert finished["exit_code"] == 0
    assert finished["error"] is None
    assert finished["started_at"] and finished["finished_at"]
    assert query(database_url, "SELECT status, is_current FROM model_runs") == [("succeeded", True)]
    ((pid, host),) = query(database_url, "SELECT pid, host FROM retrain_requests")
    assert pid > 0 and host


def test_a_failed_local_retrain_reports_the_workers_reason(database_url, local_client):
    retrain_id = local_client.post("/api/v1/models/retrain").json["id"]  # no data at all

    finished = wait_until_finished(local_client, retrain_id)

    assert finished["status"] == "failed"
    assert finished["exit_code"] == 1
    assert "no task records" in finished["error"]


def test_one_local_retrain_at_a_time_unless_its_process_is_gone(database_url, local_client):
    conn = psycopg2.connect(database_url)
    with conn, conn.cursor() as cur:
        cur.execute(
            """INSERT INTO retrain_requests (request_id, status, host, supervisor_pid)
               VALUES ('alive', 'running', %s, %s)""",
            (socket.gethostname(), os.getpid()),
        )
    refused = local_client.post("/api/v1/models/retrain")
    assert refused.status_code == 409
    assert "alive" in refused.json["message"]

    gone = subprocess.Popen(["true"])
    gone.wait()  # exited and reaped: its pid names no process
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE retrain_requests SET supervisor_pid = %s", (gone.pid,))
    conn.close()
    assert local_client.get("/api/v1/models/retrain/alive").json["status"] == "failed"
    accepted = local_client.post("/api/v1/models/retrain")
    assert accepted.status_code == 202
    assert wait_until_finished(local_client, accepted.json["id"])["status"] == "failed"


def test_an_unknown_local_retrain_is_a_404(local_client):
    response = local_client.get("/api/v1/models/retrain/0123456789abcdef")
    assert response.status_code == 404
    assert response.json["status"] == "error"


def test_the_local_worker_gets_the_database_but_not_the_apis_metrics_folder(monkeypatch):
    from retraining.local import _worker_environment

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "/tmp/api-metrics")
    monkeypatch.setenv("EPA_LOG_LEVEL", "debug")
    env = _worker_environment("postgresql://epa@db/epa")
    assert "PROMETHEUS_MULTIPROC_DIR" not in env
    assert env["DATABASE_URL"] == "postgresql://epa@db/epa"
    assert env["EPA_LOG_LEVEL"] == "debug"
