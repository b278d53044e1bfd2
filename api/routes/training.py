"""Training across the organisation: aggregated demand and measured effectiveness."""

from __future__ import annotations

import base64
import json

from flask.views import MethodView
from flask_smorest import Blueprint

from api import audit, json_provider, pagination
from api.auth import current_scope
from api.current_run import require_current_run
from api.db import get_db
from api.errors import ApiError
from api.presenters.training import group_effects
from api.schemas.common import ErrorResponseSchema
from api.schemas.training import (
    DemandArgsSchema,
    DemandListSchema,
    EffectivenessArgsSchema,
    EffectivenessListSchema,
)
from store.queries import training as queries

blp = Blueprint(
    "training",
    __name__,
    url_prefix="/api/v1/training",
    description="Training demand per department and team, and training effectiveness.",
)


@blp.route("/demand")
class Demand(MethodView):
    @blp.arguments(DemandArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, DemandListSchema, headers=pagination.NEXT_LINK_HEADER)
    @blp.alt_response(403, schema=ErrorResponseSchema, description="Managers: teams only.")
    def get(
        self,
        limit: int,
        level: str | None = None,
        department: str | None = None,
        team: str | None = None,
        after: str | None = None,
    ):
        """Per department (or per team with level=team) and skill: employees with a gap,
        gap levels, the program recommended most for it and the training hours it needs, in
        department, team and skill order (keyset pagination). Managers may read the teams
        all of whose members report to them."""
        scope = current_scope()
        level = level or ("department" if scope.everyone else "team")
        if level == "department" and not scope.everyone:
            raise ApiError(403, "department-wide demand is for HR; ask for level=team")
        with get_db().connection() as conn:
            run = require_current_run(conn)
            rows = queries.training_demand(
                conn,
                level=level,
                department=department,
                team=team,
                scope=scope,
                after=None if after is None else _decode_cursor(after),
                limit=limit,
            )
            audit.record_read(
                conn,
                "training_demand_read",
                level=level,
                filters={
                    k: v for k, v in (("department", department), ("team", team)) if v is not None
                },
                after=after,
                limit=limit,
                count=len(rows),
            )
        return pagination.page(
            {"run_id": run["run_id"], "data": rows},
            "after",
            _encode_cursor(rows[-1]) if len(rows) == limit else None,
        )


def _encode_cursor(row: dict) -> str:
    key = [row["department"], row["team"] or "", row["skill"]]
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def _decode_cursor(value: str) -> tuple[str, str, str]:
    """The (department, team, skill) a next_after names; a 422 for anything else."""
    try:
        # Bounded in depth (the standard library would recurse on `[` × 3000).
        key = json_provider.loads(base64.urlsafe_b64decode(value.encode()))
    except (ValueError, TypeError):
        key = None
    if (
        not isinstance(key, list)
        or len(key) != 3
        or not all(isinstance(part, str) and "\x00" not in part for part in key)
    ):
        raise ApiError(
            422,
            "the request is not valid",
            [{"location": "query", "field": "after", "reason": "not a next_after of this list"}],
        )
    return tuple(key)


@blp.route("/effectiveness")
class Effectiveness(MethodView):
    @blp.arguments(EffectivenessArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, EffectivenessListSchema)
    def get(self, program_id: str | None = None):
        """Per program: the change in score and completion rate of participants from the
        months before to the months after their training, against comparable employees
        who did not train then, with the number of people behind each figure."""
        with get_db().connection() as conn:
            run = require_current_run(conn)
            rows = queries.training_effectiveness(conn, program_id)
        return {
            "run_id": run["run_id"],
            "effect_months": run["insights"].get("effect_months"),
            "data": group_effects(rows),
        }
