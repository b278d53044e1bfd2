"""Stored insight rows in the shapes of api.insight_schemas, shared by the JSON endpoints
and the reports."""

from __future__ import annotations

from analytics.trends import trend_flags


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def present_team(row: dict) -> dict:
    windows = [(2, row["score_w2"]), (1, row["score_w1"]), (0, row["average_score"])]
    return {
        "team": row["team"],
        "department": row["department"],
        "members": row["members"],
        "tiers": _tiers(row),
        "average_score": _round(row["average_score"]),
        "skills": {
            "required": row["required_skills"],
            "covered": row["covered_skills"],
            "coverage": _round(row["skill_coverage"], 4),
            "missing": row["missing_skills"],
        },
        "workload": {
            "average": _round(row["average_workload"], 3),
            "cv": _round(row["workload_cv"], 3),
        },
        "trend": {
            "direction": row["trend"],
            "score_change": _round(row["score_change"]),
            "trajectory": [
                {"window": w, "score": _round(score)} for w, score in windows if score is not None
            ],
        },
    }


def present_team_run(row: dict) -> dict:
    return {
        "run_id": row["run_id"],
        "as_of": row["as_of"],
        "members": row["members"],
        "average_score": _round(row["average_score"]),
        "tiers": _tiers(row),
        "skill_coverage": _round(row["skill_coverage"], 4),
    }


def present_suggestion(row: dict) -> dict:
    return {
        **{k: v for k, v in row.items() if k not in ("imbalance_before", "imbalance_after")},
        "imbalance_before": _round(row["imbalance_before"], 4),
        "imbalance_after": _round(row["imbalance_after"], 4),
        "improvement": _round(row["imbalance_before"] - row["imbalance_after"], 4),
    }


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
                k: (_round(v, 4) if isinstance(v, float) else v)
                for k, v in row.items()
                if k not in ("program_id", "program_name", "skill")
            }
        )
    return list(programs.values())


def _tiers(row: dict) -> dict:
    return {"High": row["tier_high"], "Medium": row["tier_medium"], "Low": row["tier_low"]}


def department_trend(department: str, run_id: int, stored: dict, threshold: float) -> dict:
    """The department's windows (oldest first) and kept runs, with the trend flag by the
    same rule as employees and teams."""
    windows = sorted(stored["windows"], key=lambda w: -w["window"])
    current, earliest = windows[-1], windows[0]
    change = current["average_score"] - earliest["average_score"] if len(windows) > 1 else None
    direction = None if change is None else str(trend_flags([change], threshold)[0])
    return {
        "department": department,
        "run_id": run_id,
        "direction": direction,
        "score_change": _round(change),
        "windows": [
            {
                "window": w["window"],
                "period_end": w["period_end"],
                "employees": w["employees"],
                "average_score": _round(w["average_score"]),
                "tiers": _tiers(w),
            }
            for w in windows
        ],
        "runs": [
            {
                "run_id": r["run_id"],
                "as_of": r["as_of"],
                "employees": r["employees"],
                "average_score": _round(r["average_score"]),
                "tiers": _tiers(r),
            }
            for r in stored["runs"]
        ],
    }
