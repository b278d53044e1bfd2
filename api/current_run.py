"""The current run's id, as_of and insight parameters, or the 404 that every insight
endpoint answers before the first run has completed."""

from __future__ import annotations

from analytics.config import DEFAULT_INSIGHTS
from api.errors import ApiError
from store.queries import runs


def require_current_run(conn) -> dict:
    run = runs.current_insights_params(conn)
    if run is None:
        raise ApiError(404, "no model run has completed yet")
    run["insights"] = run["insights"] or {}
    return run


def trend_threshold(run: dict) -> float:
    """The threshold the run's trends were flagged with (runs stored before it was recorded
    used the default)."""
    return float(run["insights"].get("trend_threshold", DEFAULT_INSIGHTS.trend_threshold))
