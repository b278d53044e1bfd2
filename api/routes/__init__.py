"""One blueprint per resource. `BLUEPRINTS` is what the app factory registers, in this
order, which is also the order of the OpenAPI document's tags."""

from __future__ import annotations

from flask_smorest import Blueprint

from api.routes import (
    analyze,
    audit,
    departments,
    employees,
    health,
    ingest,
    kpis,
    models,
    retrain,
    reviews,
    scorecards,
    teams,
    tokens,
    training,
)

BLUEPRINTS: tuple[Blueprint, ...] = (
    health.blp,
    ingest.blp,
    employees.blp,
    departments.blp,
    models.blp,
    retrain.blp,
    analyze.blp,
    analyze.compat,
    tokens.blp,
    audit.blp,
    teams.blp,
    training.blp,
    teams.compositions,
    kpis.blp,
    scorecards.blp,
    reviews.blp,
)
