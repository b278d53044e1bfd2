"""Stored team composition, its history and the suggested moves and swaps in the shapes
of the teams schemas."""

from __future__ import annotations

from api.presenters.common import rounded, tiers


def present_team(row: dict) -> dict:
    windows = [(2, row["score_w2"]), (1, row["score_w1"]), (0, row["average_score"])]
    return {
        "team": row["team"],
        "department": row["department"],
        "members": row["members"],
        "tiers": tiers(row),
        "average_score": rounded(row["average_score"]),
        "skills": {
            "required": row["required_skills"],
            "covered": row["covered_skills"],
            "coverage": rounded(row["skill_coverage"], 4),
            "missing": row["missing_skills"],
        },
        "workload": {
            "average": rounded(row["average_workload"], 3),
            "cv": rounded(row["workload_cv"], 3),
        },
        "trend": {
            "direction": row["trend"],
            "score_change": rounded(row["score_change"]),
            "trajectory": [
                {"window": w, "score": rounded(score)} for w, score in windows if score is not None
            ],
        },
    }


def present_team_run(row: dict) -> dict:
    return {
        "run_id": row["run_id"],
        "as_of": row["as_of"],
        "members": row["members"],
        "average_score": rounded(row["average_score"]),
        "tiers": tiers(row),
        "skill_coverage": rounded(row["skill_coverage"], 4),
    }


def present_suggestion(row: dict) -> dict:
    return {
        **{k: v for k, v in row.items() if k not in ("imbalance_before", "imbalance_after")},
        "imbalance_before": rounded(row["imbalance_before"], 4),
        "imbalance_after": rounded(row["imbalance_after"], 4),
        "improvement": rounded(row["imbalance_before"] - row["imbalance_after"], 4),
    }
