"""Probes: /healthz (the process answers) and /readyz (it can serve results)."""

from __future__ import annotations

import psycopg2
from flask.views import MethodView
from flask_smorest import Blueprint

from api.db import get_db
from api.schemas.health import HealthSchema
from store.db import PoolTimeout
from store.queries import runs as queries

blp = Blueprint("health", __name__, description="Liveness and readiness probes.")


@blp.route("/healthz")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    def get(self):
        """Liveness: the process is up. Never touches the database."""
        return {"status": "ok"}


@blp.route("/readyz")
class Ready(MethodView):
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=HealthSchema, description="Not ready, with the reason.")
    def get(self):
        """Readiness: the database answers. Reports the current run, or that none exists.

        A missing run does not make the pod unready: on a fresh install that would keep
        every pod out of the Service, so no data could be ingested and no run could ever
        be made. A missing or stale run is the EpaModelStale alert's business."""
        try:
            # Not a pooled connection: heavy or slow requests may hold all of them.
            with get_db().probe_connection() as conn:
                run_id = queries.current_run_id(conn)
        except (psycopg2.Error, PoolTimeout):
            return {"status": "not ready", "reason": "database unreachable"}, 503
        if run_id is None:
            return {"status": "ready", "run_id": None, "reason": "no completed model run yet"}
        return {"status": "ready", "run_id": run_id}
