"""Review queue rows and the calibration grid in the shape of their schemas."""

from __future__ import annotations

from analytics.config import TIER_NAMES as TIERS
from api.presenters.employees import review_fields
from store.queries.reviews import reasons


def queue_row(row: dict) -> dict:
    return {
        "employee_id": row["employee_id"],
        "name": row["name"],
        "run_id": row["run_id"],
        "department": row["department"],
        "team": row["team"],
        "job_title": row["job_title"],
        "score": round(row["score"], 2),
        "tier": row["tier"],
        "previous_tier": row["previous_tier"],
        "predicted_tier": row["predicted_tier"],
        "is_anomaly": row["is_anomaly"],
        "trend": row["trend"],
        "reasons": reasons(row),
        **review_fields(row),
    }


def _person(row: dict) -> dict:
    return {
        "employee_id": row["employee_id"],
        "name": row["name"],
        "score": row["score"],
        "tier": row["tier"],
        "final_tier": row["final_tier"],
        "predicted_tier": row["predicted_tier"],
        "overridden": row["review_decision"] == "override",
    }


def calibration(department: str, run_id: int, people: list[dict]) -> dict:
    """The 9-box: final tier (rows, High to Low) × predicted next tier (columns), each cell
    with its count and people; those without a prediction apart."""
    cells = {(f, p): [] for f in TIERS for p in TIERS}
    unpredicted = []
    for row in people:
        if row["predicted_tier"] is None:
            unpredicted.append(_person(row))
        else:
            cells[(row["final_tier"], row["predicted_tier"])].append(_person(row))
    grid = [
        [
            {
                "final_tier": f,
                "predicted_tier": p,
                "employees": len(cells[(f, p)]),
                "people": cells[(f, p)],
            }
            for p in TIERS
        ]
        for f in TIERS
    ]
    return {
        "department": department,
        "run_id": run_id,
        "rows": list(TIERS),
        "columns": list(TIERS),
        "grid": grid,
        "employees": len(people),
        "without_prediction": {"employees": len(unpredicted), "people": unpredicted},
        "overrides": sum(r["review_decision"] == "override" for r in people),
        "totals": {
            "final_tier": {f: sum(len(cells[(f, p)]) for p in TIERS) for f in TIERS},
            "predicted_tier": {p: sum(len(cells[(f, p)]) for f in TIERS) for p in TIERS},
        },
    }
