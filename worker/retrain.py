"""On-demand retraining: one more worker run, started by the API.

In Kubernetes a retrain is a Job made from the worker CronJob, exactly as
`kubectl create job --from=cronjob/<worker> <name>` makes it: the CronJob's jobTemplate,
the `cronjob.kubernetes.io/instantiate: manual` annotation and the CronJob as controlling
owner (so its history limits and deletion cover the Job). The Job is the record: its
name is the request's id and its status is the request's status.

Elsewhere the API starts `python -m worker.retrain <id>`, a small supervisor in a session
of its own that runs `python -m worker run --wait`, and records the request, the worker's
pid and its exit status in the store (store.retrains). The supervisor, not a thread of the
API, waits for the worker, so the outcome is recorded even when the API process that
started it has gone, and any API process or host sharing the database can report it.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import logging
import os
import re
import secrets
import signal
import socket
import string
import subprocess
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import psycopg2

from store import retrains

log = logging.getLogger("epa.retrain")

MODES = ("kubernetes", "local")
IN_CLUSTER_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
MANUAL_ANNOTATION = "cronjob.kubernetes.io/instantiate"
KUBE_TIMEOUT_SECONDS = 10
# A Job's name is also a label value (job-name), so at most 63 characters.
_JOB_NAME_LIMIT = 63
_SUFFIX_ALPHABET = string.ascii_lowercase + string.digits
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


class RetrainError(Exception):
    """The retrain could not be started or read; `code` is the HTTP status to answer."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class RetrainConflict(RetrainError):
    def __init__(self, request_id: str) -> None:
        super().__init__(409, f"retrain {request_id} is already in progress")
        self.request_id = request_id


@dataclass(frozen=True)
class RetrainSettings:
    mode: str
    cronjob: str
    namespace: str
    kubeconfig: str | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> RetrainSettings:
        """Kubernetes when running in a pod (KUBERNETES_SERVICE_HOST), local otherwise;
        EPA_RETRAIN_MODE overrides."""
        in_cluster = bool(environ.get("KUBERNETES_SERVICE_HOST"))
        mode = environ.get("EPA_RETRAIN_MODE") or ("kubernetes" if in_cluster else "local")
        if mode not in MODES:
            raise RuntimeError(f"EPA_RETRAIN_MODE must be one of {', '.join(MODES)}, got {mode!r}")
        namespace = environ.get("EPA_NAMESPACE")
        if not namespace and IN_CLUSTER_NAMESPACE.exists():
            namespace = IN_CLUSTER_NAMESPACE.read_text().strip()
        return cls(
            mode=mode,
            cronjob=environ.get("EPA_RETRAIN_CRONJOB", "epa-worker"),
            namespace=namespace or "default",
            kubeconfig=environ.get("KUBECONFIG") or None,
        )


def _iso(value: dt.datetime | str | None) -> str | None:
    return value.isoformat() if isinstance(value, dt.datetime) else value


# --- Kubernetes -------------------------------------------------------------------------


class KubernetesLauncher:
    """Jobs from the worker CronJob, through the Kubernetes API."""

    def __init__(self, settings: RetrainSettings) -> None:
        self.settings = settings

    def _client(self):
        from kubernetes import client, config

        configuration = client.Configuration()
        try:
            if self.settings.kubeconfig is None and os.environ.get("KUBERNETES_SERVICE_HOST"):
                config.load_incluster_config(client_configuration=configuration)
            else:
                config.load_kube_config(
                    config_file=self.settings.kubeconfig, client_configuration=configuration
                )
        except config.ConfigException as exc:
            raise RetrainError(503, f"no Kubernetes API to talk to: {exc}") from exc
        return client.ApiClient(configuration)

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        """One API request, answered with the raw JSON: the jobTemplate is then copied as
        the API server wrote it, with any field this client does not model."""
        from urllib3.exceptions import HTTPError

        with self._client() as api:
            request = api.param_serialize(
                method,
                path,
                header_params={"Accept": "application/json", "Content-Type": "application/json"},
                body=body,
                auth_settings=["BearerToken"],
            )
            try:
                response = api.call_api(*request, _request_timeout=KUBE_TIMEOUT_SECONDS)
            except HTTPError as exc:
                raise RetrainError(503, f"the Kubernetes API is unreachable: {exc}") from exc
            data = response.read()
        if not 200 <= response.status <= 299:
            raise _api_error(response.status, response.reason, path)
        return json.loads(data)

    def _jobs_path(self) -> str:
        return f"/apis/batch/v1/namespaces/{self.settings.namespace}/jobs"

    def start(self) -> dict:
        s = self.settings
        try:
            cronjob = self._call(
                "GET", f"/apis/batch/v1/namespaces/{s.namespace}/cronjobs/{s.cronjob}"
            )
        except RetrainError as exc:
            if exc.code == 404:  # the deployment is incomplete, not the request wrong
                raise RetrainError(503, exc.message) from exc
            raise
        active = [
            job for job in self._owned_jobs(cronjob) if job_status(job) in ("pending", "running")
        ]
        if active:
            raise RetrainConflict(active[0]["metadata"]["name"])
        job = self._call("POST", self._jobs_path(), body=job_from_cronjob(cronjob))
        log.info("retrain job created", extra={"job": job["metadata"]["name"]})
        return present_job(job)

    def _owned_jobs(self, cronjob: dict) -> list[dict]:
        # By owner, not by label: the template's labels change with the chart's version.
        jobs = self._call("GET", self._jobs_path())
        uid = cronjob["metadata"]["uid"]
        return [
            job
            for job in jobs.get("items", [])
            if any(ref.get("uid") == uid for ref in job["metadata"].get("ownerReferences", []))
        ]

    def status(self, request_id: str) -> dict | None:
        if not _DNS_LABEL.match(request_id):
            return None
        try:
            job = self._call("GET", f"{self._jobs_path()}/{request_id}")
        except RetrainError as exc:
            if exc.code == 404:
                return None
            raise
        owners = job["metadata"].get("ownerReferences", [])
        if not any(
            o.get("kind") == "CronJob" and o.get("name") == self.settings.cronjob for o in owners
        ):
            return None  # a Job, but not one of ours
        return present_job(job)


def _api_error(status: int, reason: str, path: str) -> RetrainError:
    if status == 404:
        what = "the worker CronJob" if "/cronjobs/" in path else "the Job"
        return RetrainError(404, f"{what} was not found ({path})")
    if status in (401, 403):
        return RetrainError(
            503,
            f"the API's service account may not do this ({status} {reason}): "
            "check the chart's rbac.create and retrain.enabled",
        )
    return RetrainError(503, f"the Kubernetes API answered {status} {reason}")


def job_name(cronjob_name: str) -> str:
    suffix = "".join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(5))
    stem = f"{cronjob_name}-manual"[: _JOB_NAME_LIMIT - len(suffix) - 1].rstrip("-")
    return f"{stem}-{suffix}"


def job_from_cronjob(cronjob: dict) -> dict:
    """The Job `kubectl create job --from=cronjob/...` would create (kubectl's
    createJobFromCronJob): no blockOwnerDeletion, which would need cronjobs/finalizers."""
    template = cronjob["spec"]["jobTemplate"]
    metadata = template.get("metadata", {})
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": job_name(cronjob["metadata"]["name"]),
            "namespace": cronjob["metadata"]["namespace"],
            "labels": dict(metadata.get("labels", {})),
            "annotations": {MANUAL_ANNOTATION: "manual", **metadata.get("annotations", {})},
            "ownerReferences": [
                {
                    "apiVersion": "batch/v1",
                    "kind": "CronJob",
                    "name": cronjob["metadata"]["name"],
                    "uid": cronjob["metadata"]["uid"],
                    "controller": True,
                }
            ],
        },
        "spec": template["spec"],
    }


def job_status(job: dict) -> str:
    """pending, running, succeeded or failed, from the Job's conditions and pod counts."""
    status = job.get("status", {})
    conditions = {c["type"]: c for c in status.get("conditions", []) if c.get("status") == "True"}
    if "Complete" in conditions or "SuccessCriteriaMet" in conditions:
        return "succeeded"
    if "Failed" in conditions or "FailureTarget" in conditions:
        return "failed"
    # `ready` counts pods past their start; older API servers lack it, so `active` decides.
    ready = status.get("ready")
    if status.get("active", 0) > 0 and (ready is None or ready > 0):
        return "running"
    return "pending"


def present_job(job: dict) -> dict:
    status = job.get("status", {})
    state = job_status(job)
    failure = next(
        (
            c
            for c in status.get("conditions", [])
            if c.get("type") in ("Failed", "FailureTarget") and c.get("status") == "True"
        ),
        None,
    )
    finished = status.get("completionTime") or (failure or {}).get("lastTransitionTime")
    return {
        "id": job["metadata"]["name"],
        "status": state,
        "mode": "kubernetes",
        "created_at": job["metadata"].get("creationTimestamp"),
        "started_at": status.get("startTime"),
        "finished_at": finished if state in ("succeeded", "failed") else None,
        "exit_code": None,
        "error": (
            f"{failure.get('reason', 'Failed')}: {failure.get('message', '')}".rstrip(": ")
            if failure
            else None
        ),
    }


# --- local process ----------------------------------------------------------------------


class LocalLauncher:
    """The worker as a local process, tracked in the store."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    def _connect(self):
        return psycopg2.connect(self.database_url, application_name="epa-retrain")

    def start(self) -> dict:
        request_id = secrets.token_hex(8)
        conn = self._connect()
        try:
            self._clear_stale(conn)
            try:
                retrains.create(conn, request_id, socket.gethostname())
            except retrains.RetrainInProgress as exc:
                raise RetrainConflict(exc.request_id) from None
            try:
                process = subprocess.Popen(
                    [sys.executable, "-m", "worker.retrain", request_id],
                    env=_worker_environment(self.database_url),
                    stdin=subprocess.DEVNULL,
                    # Its own session: signals meant for the API's process group (a gunicorn
                    # worker being recycled) leave the retrain alone.
                    start_new_session=True,
                )
            except OSError as exc:
                retrains.finish(conn, request_id, None, f"could not start the worker: {exc}")
                raise RetrainError(503, f"could not start the worker: {exc}") from exc
            retrains.set_supervisor(conn, request_id, process.pid)
            # Reap it when it exits, so no zombie stays behind in this process.
            threading.Thread(target=process.wait, daemon=True).start()
            log.info("retrain started", extra={"request_id": request_id, "pid": process.pid})
            return present_row(retrains.get(conn, request_id))
        finally:
            conn.close()

    def status(self, request_id: str) -> dict | None:
        conn = self._connect()
        try:
            self._clear_stale(conn)
            row = retrains.get(conn, request_id)
        finally:
            conn.close()
        return present_row(row) if row else None

    @staticmethod
    def _clear_stale(conn) -> None:
        """Fail a request in flight whose supervisor is gone (its host restarted, or it was
        killed): otherwise it would hold the one-at-a-time slot forever."""
        row = retrains.in_flight(conn)
        if row is None or row["host"] != socket.gethostname() or row["supervisor_pid"] is None:
            return
        if not _alive(row["supervisor_pid"]):
            retrains.finish(conn, row["request_id"], None, "the retrain process is gone")


def _worker_environment(database_url: str) -> dict[str, str]:
    """The API's environment for the worker, less the API's metrics folder: samples the
    worker wrote there would be summed into the API's own /metrics."""
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    return {**env, "DATABASE_URL": database_url}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie has exited; only its parent has not reaped it yet
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][0] != "Z"
    except OSError:
        return True


def present_row(row: dict) -> dict:
    return {
        "id": row["request_id"],
        "status": row["status"],
        "mode": "local",
        "created_at": _iso(row["created_at"]),
        "started_at": _iso(row["started_at"]),
        "finished_at": _iso(row["finished_at"]),
        "exit_code": row["exit_code"],
        "error": row["error"],
    }


def supervise(database_url: str, request_id: str) -> int:
    """Run the worker for one request and record how it went."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "worker", "run", "--wait"],
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    signal.signal(signal.SIGTERM, lambda *_: worker.terminate())
    conn = psycopg2.connect(database_url, application_name="epa-retrain")
    try:
        retrains.mark_running(conn, request_id, worker.pid)
        # The worker's log goes on to ours; its last line names the cause when it fails.
        last = collections.deque(maxlen=1)
        for line in worker.stderr:
            sys.stderr.write(line)
            if line.strip():
                last.append(line.strip())
        code = worker.wait()
        error = None if code == 0 else (last[0] if last else f"the worker exited with {code}")
        retrains.finish(conn, request_id, code, error)
    finally:
        conn.close()
    return code


if __name__ == "__main__":
    sys.exit(supervise(os.environ["DATABASE_URL"], sys.argv[1]))
