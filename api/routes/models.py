"""Model runs: the current one and any past one, with metrics and parameters and the
fairness audit; promoting a held or an earlier run to current."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from api import audit, pagination
from api.auth import current_scope
from api.db import get_db
from api.errors import ApiError
from api.presenters.fairness import fairness_audit
from api.presenters.model_cards import model_card
from api.presenters.runs import run_for_scope
from api.reports import document_body, html_response
from api.schemas.common import ErrorResponseSchema
from api.schemas.fairness import FairnessAuditSchema
from api.schemas.model_cards import CardArgsSchema, ModelCardSchema
from api.schemas.runs import PromoteSchema, RunListArgsSchema, RunPageSchema, RunSchema
from store import runs as run_store
from store.queries import fairness as fairness_queries
from store.queries import runs as queries

blp = Blueprint(
    "models",
    __name__,
    url_prefix="/api/v1/models",
    description="Model runs: metrics (F1, tier centroids, feature importances, drift) "
    "and parameters.",
)


@blp.route("")
class RunList(MethodView):
    @blp.arguments(RunListArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, RunPageSchema, headers=pagination.NEXT_LINK_HEADER)
    def get(self, limit: int, before: int | None = None):
        """Runs, newest first, held and failed ones included."""
        with get_db().connection() as conn:
            rows = queries.runs(conn, before=before, limit=limit)
        return pagination.page(
            {"data": rows}, "before", rows[-1]["run_id"] if len(rows) == limit else None
        )


@blp.route("/current")
class CurrentRun(MethodView):
    @blp.response(200, RunSchema)
    @blp.alt_response(404, schema=ErrorResponseSchema, description="No run has completed yet.")
    def get(self):
        """The run whose results the API serves."""
        with get_db().connection() as conn:
            row = queries.run(conn)
        if row is None:
            raise ApiError(404, "no model run has completed yet")
        return run_for_scope(row, current_scope())


@blp.route("/<int:run_id>")
class Run(MethodView):
    @blp.response(200, RunSchema)
    @blp.alt_response(404, schema=ErrorResponseSchema, description="No such run.")
    def get(self, run_id: int):
        """Any kept run, by id."""
        with get_db().connection() as conn:
            row = queries.run(conn, run_id)
        if row is None:
            raise ApiError(404, f"no model run {run_id}")
        return run_for_scope(row, current_scope())


# Runs that finished scoring, and so were audited.
_AUDITED = ("succeeded", "held", "superseded")


def _finished(run: dict | None, run_id: int | None, what: str) -> dict:
    """`run` when it finished scoring; else the 404 that names what it lacks."""
    if run is None:
        missing = (
            f"no model run {run_id}" if run_id is not None else "no model run has completed yet"
        )
        raise ApiError(404, missing)
    if run["status"] not in _AUDITED:
        raise ApiError(404, f"run {run['run_id']} is {run['status']}: it has no {what}")
    return run


def _audit(run_id: int | None) -> dict:
    with get_db().connection() as conn:
        run = _finished(fairness_queries.audited_run(conn, run_id), run_id, "audit")
        rows = fairness_queries.fairness_audit(conn, run["run_id"])
    return fairness_audit(run, rows)


_FAIRNESS = (
    "Per protected attribute and group: the shares of High, Low, anomalies and predicted "
    "Low, the impact ratio against the attribute's best reported group and adverse_impact "
    "(ratio < 0.8, the four-fifths rule), and a p-value. Groups under the minimum group "
    "size, and those hidden with them so no group is recoverable by subtraction, are listed "
    "as suppressed without figures. Nothing here is per person."
)


@blp.route("/current/fairness")
class CurrentFairness(MethodView):
    @blp.doc(description=_FAIRNESS)
    @blp.response(200, FairnessAuditSchema)
    @blp.alt_response(404, schema=ErrorResponseSchema, description="No run has completed yet.")
    def get(self):
        """The fairness audit of the current run."""
        return _audit(None)


@blp.route("/<int:run_id>/fairness")
class RunFairness(MethodView):
    @blp.doc(description=_FAIRNESS)
    @blp.response(200, FairnessAuditSchema)
    @blp.alt_response(
        404, schema=ErrorResponseSchema, description="No such run, or it did not finish."
    )
    def get(self, run_id: int):
        """The fairness audit of any kept run, by id."""
        return _audit(run_id)


def _card(run_id: int | None, format: str | None):
    with get_db().connection() as conn:
        run = _finished(queries.run(conn, run_id), run_id, "model card")
        card = model_card(run, fairness_queries.fairness_audit(conn, run["run_id"]))
    wants_html = format == "html" or (
        format is None
        and request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"
    )
    if wants_html:
        return html_response("model_card.html", card=card)
    return card


_CARD = (
    "The run's model card: intended use (support for a person's decision, never an "
    "automated one), the data window and sizes, the predictor's features (protected "
    "attributes are never features), the scorecards, cross-validated, hold-out and "
    "back-tested metrics, the fairness audit and known limitations. JSON, or a printable "
    "HTML page with `?format=html` or `Accept: text/html`."
)
# Both bodies of the 200: the JSON card and, asked for, the printable page.
_CARD_HTML = {
    "200": {
        "description": "The model card: JSON, or a printable HTML page.",
        "content": {
            "application/json": {"schema": ModelCardSchema},
            **document_body("text/html", "")["200"]["content"],
        },
    }
}


@blp.route("/current/card")
class CurrentRunCard(MethodView):
    @blp.doc(description=_CARD, responses=_CARD_HTML)
    @blp.arguments(CardArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, ModelCardSchema)
    @blp.alt_response(404, schema=ErrorResponseSchema, description="No run has completed yet.")
    def get(self, format: str | None = None):
        """The model card of the current run."""
        return _card(None, format)


@blp.route("/<int:run_id>/card")
class RunCard(MethodView):
    @blp.doc(description=_CARD, responses=_CARD_HTML)
    @blp.arguments(CardArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, ModelCardSchema)
    @blp.alt_response(
        404, schema=ErrorResponseSchema, description="No such run, or it did not finish."
    )
    def get(self, run_id: int, format: str | None = None):
        """The model card of any kept run, by id."""
        return _card(run_id, format)


@blp.route("/<int:run_id>/promote")
class Promote(MethodView):
    @blp.arguments(PromoteSchema)
    @blp.response(200, RunSchema)
    @blp.alt_response(404, schema=ErrorResponseSchema, description="No such run.")
    @blp.alt_response(
        409,
        schema=ErrorResponseSchema,
        description="The run is running, failed or already current, or a run is in progress.",
    )
    def post(self, body: dict, run_id: int):
        """Make a held run, or an earlier succeeded one (a roll-back), the current run; the
        reason and the run it replaces are audited."""
        reason = body["reason"].strip()
        if not reason:
            raise ApiError(422, "reason must say why the run is made current")
        with get_db().transaction() as conn:
            try:
                previous = run_store.promote(conn, run_id, reason)
            except run_store.PromotionRefused as exc:
                raise ApiError(404 if exc.kind == "not_found" else 409, exc.message) from exc
            audit.record(conn, "run_promote", str(run_id), reason=reason, previous_run_id=previous)
            row = queries.run(conn, run_id)
        return row
