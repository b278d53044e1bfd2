"""Retrains in Kubernetes: Jobs made from the worker CronJob, through the Kubernetes API.

A retrain is a Job made exactly as `kubectl create job --from=cronjob/<worker> <name>`
makes it: the CronJob's jobTemplate, the `cronjob.kubernetes.io/instantiate: manual`
annotation and the CronJob as controlling owner (so its history limits and deletion cover
the Job). The Job is the record: its name is the request's id and its status the request's.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import string

from retraining.config import RetrainSettings
from retraining.errors import RetrainConflict, RetrainError, RetrainNotFound, RetrainUnavailable

log = logging.getLogger("epa.retrain")

MANUAL_ANNOTATION = "cronjob.kubernetes.io/instantiate"
KUBE_TIMEOUT_SECONDS = 10
# A Job's name is also a label value (job-name), so at most 63 characters.
_JOB_NAME_LIMIT = 63
_SUFFIX_ALPHABET = string.ascii_lowercase + string.digits
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


class KubernetesLauncher:
    """Jobs from the worker CronJob, through the Kubernetes API."""

    def __init__(self, settings: RetrainSettings) -> None:
        self.settings = settings

    def _client(self):
        from kubernetes import client, config

        configuration = client.Configuration()
        try:
            if self.settings.kubeconfig is None and self.settings.in_cluster:
                config.load_incluster_config(client_configuration=configuration)
            else:
                config.load_kube_config(
                    config_file=self.settings.kubeconfig, client_configuration=configuration
                )
        except config.ConfigException as exc:
            raise RetrainUnavailable(f"no Kubernetes API to talk to: {exc}") from exc
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
                raise RetrainUnavailable(f"the Kubernetes API is unreachable: {exc}") from exc
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
        except RetrainNotFound as exc:  # the deployment is incomplete, not the request wrong
            raise RetrainUnavailable(exc.message) from exc
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
        except RetrainNotFound:
            return None
        owners = job["metadata"].get("ownerReferences", [])
        if not any(
            o.get("kind") == "CronJob" and o.get("name") == self.settings.cronjob for o in owners
        ):
            return None  # a Job, but not one of ours
        return present_job(job)


def _api_error(status: int, reason: str, path: str) -> RetrainError:
    if status == 404:
        what = "the worker CronJob" if "/cronjobs/" in path else "the Job"
        return RetrainNotFound(f"{what} was not found ({path})")
    if status in (401, 403):
        return RetrainUnavailable(
            f"the API's service account may not do this ({status} {reason}): "
            "check the chart's rbac.create and retrain.enabled",
        )
    return RetrainUnavailable(f"the Kubernetes API answered {status} {reason}")


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
