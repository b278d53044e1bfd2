"""On-demand retraining: start a worker run now instead of waiting for the schedule.

In Kubernetes each request is a Job made from the worker CronJob; elsewhere a local worker
process tracked in the store (see the retraining package). Its domain errors become HTTP
statuses here."""

from __future__ import annotations

from flask import current_app, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from api import audit
from api.db import get_db
from api.errors import ApiError
from api.schemas.common import ErrorResponseSchema
from api.schemas.retrain import RetrainSchema
from retraining import (
    KubernetesLauncher,
    LocalLauncher,
    RetrainConflict,
    RetrainError,
    RetrainNotFound,
    RetrainSettings,
    RetrainUnavailable,
    launcher,
)

# Checked in order; a RetrainError of no other kind is the retrain being unavailable.
_STATUS_OF = ((RetrainConflict, 409), (RetrainNotFound, 404), (RetrainUnavailable, 503))

blp = Blueprint(
    "retrain",
    __name__,
    url_prefix="/api/v1/models/retrain",
    description="Retrain now: one more worker run, as a Kubernetes Job or a local process.",
)


def _launcher() -> KubernetesLauncher | LocalLauncher:
    config = current_app.config
    settings = RetrainSettings(
        mode=config["RETRAIN_MODE"],
        cronjob=config["RETRAIN_CRONJOB"],
        namespace=config["RETRAIN_NAMESPACE"],
        kubeconfig=config["RETRAIN_KUBECONFIG"],
        in_cluster=config["RETRAIN_IN_CLUSTER"],
    )
    return launcher(settings, config["DATABASE_URL"])


def _api_error(exc: RetrainError) -> ApiError:
    code = next((code for kind, code in _STATUS_OF if isinstance(exc, kind)), 503)
    return ApiError(code, exc.message)


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
            raise _api_error(exc) from exc
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
            raise _api_error(exc) from exc
        if found is None:
            raise ApiError(404, f"no retrain {retrain_id!r}")
        return found
