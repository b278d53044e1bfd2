"""On-demand retraining: start a worker run now instead of waiting for the schedule.

In Kubernetes each request is a Job made from the worker CronJob; elsewhere a local worker
process tracked in the store (see worker.retrain)."""

from __future__ import annotations

from flask import current_app, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api import audit
from api.db import get_db
from api.errors import ApiError
from api.schemas import ErrorResponseSchema
from worker.retrain import (
    MODES,
    KubernetesLauncher,
    LocalLauncher,
    RetrainError,
    RetrainSettings,
)

STATUSES = ("pending", "running", "succeeded", "failed")

blp = Blueprint(
    "retrain",
    __name__,
    url_prefix="/api/v1/models/retrain",
    description="Retrain now: one more worker run, as a Kubernetes Job or a local process.",
)


class RetrainSchema(Schema):
    id = fields.String(
        required=True,
        metadata={"description": "the Job's name in Kubernetes; an opaque token otherwise"},
    )
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    mode = fields.String(validate=validate.OneOf(MODES))
    created_at = fields.String(metadata={"description": "ISO 8601"})
    started_at = fields.String(allow_none=True)
    finished_at = fields.String(allow_none=True)
    exit_code = fields.Integer(
        allow_none=True, metadata={"description": "the local worker's exit status"}
    )
    error = fields.String(allow_none=True, metadata={"description": "why it failed"})


@blp.record_once
def _settings_from_environment(state) -> None:
    # create_app applies a test configuration before registering blueprints: keep it.
    settings = RetrainSettings.from_environment()
    state.app.config.setdefault("RETRAIN_MODE", settings.mode)
    state.app.config.setdefault("RETRAIN_CRONJOB", settings.cronjob)
    state.app.config.setdefault("RETRAIN_NAMESPACE", settings.namespace)
    state.app.config.setdefault("RETRAIN_KUBECONFIG", settings.kubeconfig)


def _launcher() -> KubernetesLauncher | LocalLauncher:
    config = current_app.config
    if config["RETRAIN_MODE"] == "kubernetes":
        return KubernetesLauncher(
            RetrainSettings(
                mode="kubernetes",
                cronjob=config["RETRAIN_CRONJOB"],
                namespace=config["RETRAIN_NAMESPACE"],
                kubeconfig=config["RETRAIN_KUBECONFIG"],
            )
        )
    return LocalLauncher(config["DATABASE_URL"])


@blp.route("")
class Retrain(MethodView):
    @blp.response(202, RetrainSchema)
    @blp.alt_response(
        409, schema=ErrorResponseSchema, description="A retrain is already pending or running."
    )
    @blp.alt_response(
        503, schema=ErrorResponseSchema, description="The retrain could not be started."
    )
    def post(self):
        """Start a model run now; poll the returned resource (its Location) for the outcome."""
        try:
            started = _launcher().start()
        except RetrainError as exc:
            raise ApiError(exc.code, exc.message) from exc
        with get_db().transaction() as conn:
            audit.record(conn, "retrain_start", started["id"], mode=started.get("mode"))
        location = url_for("retrain.RetrainStatus", retrain_id=started["id"])
        return started, 202, {"Location": location}


@blp.route("/<string:retrain_id>")
class RetrainStatus(MethodView):
    @blp.response(200, RetrainSchema)
    @blp.alt_response(404, schema=ErrorResponseSchema, description="No such retrain.")
    def get(self, retrain_id: str):
        """A retrain's status: pending, running, succeeded or failed."""
        try:
            found = _launcher().status(retrain_id)
        except RetrainError as exc:
            raise ApiError(exc.code, exc.message) from exc
        if found is None:
            raise ApiError(404, f"no retrain {retrain_id!r}")
        return found
