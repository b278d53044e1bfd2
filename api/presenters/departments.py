"""Stored department figures in the shapes of the departments schemas, and the tables of
the department report's CSV sections."""

from __future__ import annotations

from analytics.skills import DEMAND_COLUMNS
from analytics.teams import TEAM_COMPOSITION_COLUMNS, TEAM_SUGGESTION_COLUMNS
from analytics.training_effect import EFFECTIVENESS_COLUMNS
from analytics.trends import trend_flags
from api.presenters.common import rounded, tiers
from api.presenters.reports import csv_effects

_SUMMARY_FIELDS = (
    "department",
    "employees",
    "average_score",
    "average_completion_rate",
    "anomalies",
    "predicted_low",
)


def present_department(row: dict) -> dict:
    """A department summary row in the shape of DepartmentSchema."""
    return {**{k: row[k] for k in _SUMMARY_FIELDS}, "tiers": tiers(row)}


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
        "score_change": rounded(change),
        "windows": [
            {
                "window": w["window"],
                "period_end": w["period_end"],
                "employees": w["employees"],
                "average_score": rounded(w["average_score"]),
                "tiers": tiers(w),
            }
            for w in windows
        ],
        "runs": [
            {
                "run_id": r["run_id"],
                "as_of": r["as_of"],
                "employees": r["employees"],
                "average_score": rounded(r["average_score"]),
                "tiers": tiers(r),
            }
            for r in stored["runs"]
        ],
    }


# --- the report's CSV sections ------------------------------------------------------------

REPORT_CSV_COLUMNS = {
    "employees": (
        "employee_id",
        "name",
        "team",
        "job_title",
        "score",
        "tier",
        "final_tier",
        "review_decision",
        "percentile_department",
        "percentile_job_title",
        "trend",
        "score_change",
        "predicted_tier",
        "p_low",
        "is_anomaly",
        "anomaly_features",
        "tier_drivers",
        "skill_gaps",
        "top_training",
        "top_training_skill",
        "top_training_benefit",
    ),
    "teams": (
        *(c for c in TEAM_COMPOSITION_COLUMNS if c != "department"),
        "trend",
        "score_change",
    ),
    # The stored tables' columns, less what the department already says.
    "training-demand": tuple(c for c in DEMAND_COLUMNS if c not in ("level", "department", "team")),
    # note: "too few participants" where no interval can be given.
    "training-effectiveness": (*EFFECTIVENESS_COLUMNS, "note"),
    "suggestions": (
        *(c for c in TEAM_SUGGESTION_COLUMNS if c not in ("department", "details")),
        "improvement",
    ),
}


def report_csv_rows(report: dict, section: str) -> list[dict]:
    """The rows of one CSV section of a department report, flattened for a spreadsheet."""
    if section == "employees":
        return [
            {
                **e,
                "anomaly_features": [d["feature"] for d in e["anomaly_drivers"] or []],
                "tier_drivers": [
                    f"{d['feature']} {d['contribution']:+.3f}" for d in e["tier_drivers"] or []
                ],
            }
            for e in report["employees"]
        ]
    if section == "teams":
        return [
            {
                **t,
                **{f"tier_{k.lower()}": v for k, v in t["tiers"].items()},
                "required_skills": t["skills"]["required"],
                "covered_skills": t["skills"]["covered"],
                "skill_coverage": t["skills"]["coverage"],
                "missing_skills": t["skills"]["missing"],
                "average_workload": t["workload"]["average"],
                "workload_cv": t["workload"]["cv"],
                "trend": t["trend"]["direction"],
                "score_change": t["trend"]["score_change"],
            }
            for t in report["teams"]
        ]
    return {
        "training-demand": report["demand"],
        "training-effectiveness": csv_effects(report["effects"]),
        "suggestions": report["suggestions"],
    }[section]
