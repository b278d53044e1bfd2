"""Departments of the current run: summaries, trends, team suggestions and the reports
for HR meetings (CSV and printable HTML)."""

from __future__ import annotations

import re

from flask.views import MethodView
from flask_smorest import Blueprint

from analytics.skills import DEMAND_COLUMNS
from analytics.teams import TEAM_COMPOSITION_COLUMNS, TEAM_SUGGESTION_COLUMNS
from analytics.training_effect import EFFECTIVENESS_COLUMNS
from api import audit
from api.auth import current_scope
from api.current_run import require_current_run, trend_threshold
from api.db import get_db
from api.errors import ApiError
from api.insight_presenters import (
    department_trend,
    group_effects,
    present_suggestion,
    present_team,
)
from api.insight_schemas import (
    TREND_RULE,
    DepartmentTrendSchema,
    ReportArgsSchema,
    SuggestionListSchema,
)
from api.reports import csv_response, document_body, html_response
from api.schemas import DepartmentListSchema, ErrorResponseSchema
from store import insight_queries, queries
from store.scope import EVERYONE

blp = Blueprint(
    "departments", __name__, url_prefix="/api/v1/departments", description="Department summaries."
)


@blp.route("")
class DepartmentList(MethodView):
    @blp.response(200, DepartmentListSchema)
    @blp.alt_response(404, schema=ErrorResponseSchema, description="No run has completed yet.")
    def get(self):
        """Per department: head count, average score and completion, tiers, anomalies.

        Managers and employees get the summaries of the people they may see only."""
        with get_db().connection() as conn:
            run_id = require_current_run(conn)["run_id"]
            rows = queries.department_summaries(conn, scope=current_scope())
        return {
            "run_id": run_id,
            "data": [
                {
                    **{
                        k: r[k]
                        for k in (
                            "department",
                            "employees",
                            "average_score",
                            "average_completion_rate",
                            "anomalies",
                            "predicted_low",
                        )
                    },
                    "tiers": {
                        "High": r["tier_high"],
                        "Medium": r["tier_medium"],
                        "Low": r["tier_low"],
                    },
                }
                for r in rows
            ],
        }


def _trend_of(conn, department: str) -> dict:
    run = require_current_run(conn)
    stored = insight_queries.department_trend(conn, department)
    if stored is None:
        raise ApiError(404, f"no department {department!r} in the current run")
    return department_trend(department, run["run_id"], stored, trend_threshold(run))


@blp.route("/<string:department>/trend")
class DepartmentTrend(MethodView):
    @blp.response(200, DepartmentTrendSchema)
    @blp.alt_response(404, schema=ErrorResponseSchema, description="Unknown department.")
    def get(self, department: str):
        """The department's average score and tier mix over the run's periods and the kept
        runs, with the improving / stable / declining flag."""
        with get_db().connection() as conn:
            return {**_trend_of(conn, department), "rule": TREND_RULE}


@blp.route("/<string:department>/team-suggestions")
class TeamSuggestions(MethodView):
    @blp.response(200, SuggestionListSchema)
    @blp.alt_response(404, schema=ErrorResponseSchema, description="Unknown department.")
    def get(self, department: str):
        """Moves and swaps between the department's teams that make tier mix, skill
        coverage and workload more even, in the order they apply, each with its measured
        improvement of the department's imbalance."""
        with get_db().connection() as conn:
            trend = _trend_of(conn, department)
            rows = insight_queries.team_suggestions(conn, department=department)
        return {
            "run_id": trend["run_id"],
            "department": department,
            "data": [present_suggestion(r) for r in rows],
        }


def _report(conn, department: str) -> dict:
    """Everything a department report shows, read in one transaction."""
    trend = _trend_of(conn, department)
    summary = next(
        (
            d
            for d in queries.department_summaries(conn, scope=EVERYONE)
            if d["department"] == department
        ),
        None,
    )
    demand = sorted(
        insight_queries.training_demand(
            conn, level="department", department=department, team=None, scope=EVERYONE
        ),
        key=lambda d: (-(d["training_hours"] or 0), d["skill"]),
    )
    skills = {d["skill"] for d in demand}
    effects = [e for e in insight_queries.training_effectiveness(conn) if e["skill"] in skills]
    return {
        "department": department,
        "trend": trend,
        "summary": summary,
        "teams": [
            present_team(t)
            for t in insight_queries.teams(
                conn, scope=EVERYONE, department=department, limit=100_000
            )
        ],
        "demand": demand,
        "effects": effects,
        "suggestions": [
            present_suggestion(r)
            for r in insight_queries.team_suggestions(conn, department=department)
        ],
        "employees": insight_queries.department_employees(conn, department),
    }


def _read_report(department: str, **details) -> dict:
    """The report, read and audited (it lists individuals) in one transaction."""
    with get_db().transaction() as conn:
        report = _report(conn, department)
        audit.record_read(
            conn, "department_report_read", department, count=len(report["employees"]), **details
        )
    return report


def _filename(department: str, section: str, suffix: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", department).strip("-") or "department"
    return f"epa-{slug}-{section}.{suffix}"


_CSV_SECTIONS = {
    "employees": (
        "employee_id",
        "name",
        "team",
        "job_title",
        "score",
        "tier",
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
    "training-effectiveness": EFFECTIVENESS_COLUMNS,
    "suggestions": (
        *(c for c in TEAM_SUGGESTION_COLUMNS if c not in ("department", "details")),
        "improvement",
    ),
}


def _csv_rows(report: dict, section: str) -> list[dict]:
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
        "training-effectiveness": report["effects"],
        "suggestions": report["suggestions"],
    }[section]


@blp.route("/<string:department>/report.csv")
class DepartmentReportCsv(MethodView):
    @blp.arguments(ReportArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, content_type="text/csv", description="A CSV download.")
    @blp.doc(responses=document_body("text/csv", "A CSV download."))
    @blp.alt_response(404, schema=ErrorResponseSchema, description="Unknown department.")
    def get(self, department: str, section: str):
        """One table of the department report as CSV (`section`: employees, teams,
        training-demand, training-effectiveness or suggestions)."""
        report = _read_report(department, format="csv", section=section)
        return csv_response(
            _filename(department, section, "csv"),
            _CSV_SECTIONS[section],
            _csv_rows(report, section),
        )


@blp.route("/<string:department>/report.html")
class DepartmentReportHtml(MethodView):
    @blp.response(200, content_type="text/html", description="A printable HTML page.")
    @blp.doc(responses=document_body("text/html", "A printable HTML page."))
    @blp.alt_response(404, schema=ErrorResponseSchema, description="Unknown department.")
    def get(self, department: str):
        """The department report as a printable page: summary and trend, teams, training
        demand and effectiveness, suggested team changes and every employee's figures."""
        report = _read_report(department, format="html")
        report["effects"] = group_effects(report["effects"])
        return html_response("department_report.html", rule=TREND_RULE, **report)
