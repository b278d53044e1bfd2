"""Stored training effectiveness in the shape of the training schemas."""

from __future__ import annotations

from api.presenters.common import rounded


def group_effects(rows: list[dict]) -> list[dict]:
    """One entry per program with its effect on each metric (rows ordered by program)."""
    programs: dict[str, dict] = {}
    for row in rows:
        entry = programs.setdefault(
            row["program_id"],
            {
                "program_id": row["program_id"],
                "program_name": row["program_name"],
                "skill": row["skill"],
                "effects": [],
            },
        )
        entry["effects"].append(
            {
                k: (rounded(v, 4) if isinstance(v, float) else v)
                for k, v in row.items()
                if k not in ("program_id", "program_name", "skill")
            }
        )
    return list(programs.values())
