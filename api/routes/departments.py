"""Departments of the current run: summaries, trends, team suggestions and the reports
for HR meetings (CSV and printable HTML)."""

from __future__ import annotations

import re

from flask.views import MethodView
from flask_smorest import Blueprint

from api import audit
from api.auth import current_scope
from api.current_run import require_current_run, trend_threshold
from api.db import get_db
from api.errors import ApiError
from api.presenters.departments import (
    REPORT_CSV_COLUMNS,
    department_trend,
    present_department,
    report_csv_rows,
)
from api.presenters.employees import POINT_DIGITS
from api.presenters.reports import (
    effect_rows,
    group_charts,
    kpi_groups,
    labeller,
    month_label,
    natural_key,
    stored_kpi_groups,
    trend_rule,
)
from api.presenters.teams import present_suggestion, present_team
from api.presenters.training import group_effects
from api.reports import csv_response, document_body, html_response, kpi_names, scored_rows
from api.schemas.common import TREND_RULE, ErrorResponseSchema
from api.schemas.departments import (
    DepartmentListSchema,
    DepartmentTrendSchema,
    ReportArgsSchema,
    SuggestionListSchema,
)
from store.queries import departments as queries
from store.queries import teams as team_queries
from store.queries import training as training_queries
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
        return {"run_id": run_id, "data": [present_department(r) for r in rows]}


def _trend_of(conn, department: str) -> dict:
    run = require_current_run(conn)
    stored = queries.department_trend(conn, department)
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
            try:
                trend = _trend_of(conn, department)
            except ApiError:
                audit.record_read(conn, "team_suggestions_read", department, found=False)
                raise
            rows = team_queries.team_suggestions(conn, scope=EVERYONE, department=department)
            audit.record_read(
                conn, "team_suggestions_read", department, found=True, count=len(rows)
            )
        return {
            "run_id": trend["run_id"],
            "department": department,
            "data": [present_suggestion(r) for r in rows],
        }


# A printed report lists at most this many people and teams, so it stays a few hundred
# kilobytes at any size of department; the CSV holds them all.
REPORT_LIST_LIMIT = 200


def _report(conn, department: str, *, listed: int | None = None) -> dict:
    """Everything a department report shows, read in one transaction; with `listed`, at
    most that many employees (those to look at first) and teams (the lowest-scoring)."""
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
        training_queries.training_demand(
            conn, level="department", department=department, team=None, scope=EVERYONE
        ),
        key=lambda d: (-(d["training_hours"] or 0), d["skill"]),
    )
    skills = {d["skill"] for d in demand}
    effects = [e for e in training_queries.training_effectiveness(conn) if e["skill"] in skills]
    if listed is None:
        rows = team_queries.teams(conn, scope=EVERYONE, department=department, limit=1_000_000)
        teams_total = len(rows)
    else:  # the store hands over the few that can be among the `listed` lowest
        teams_total, rows = team_queries.lowest_scoring_teams(conn, department, listed)
    teams = [present_team(t) for t in rows]
    if listed is not None and teams_total > listed:
        teams = sorted(teams, key=lambda t: (t["average_score"] is None, t["average_score"] or 0))
        teams = teams[:listed]
    employees = queries.department_employees(conn, department, first=listed)
    everyone = summary["employees"] if summary else 0
    if len(employees) == everyone:  # all of them: in team order, as the CSV
        employees.sort(key=lambda e: (natural_key(e["team"]), e["employee_id"]))
    return {
        "department": department,
        "trend": trend,
        "summary": summary,
        "teams_total": teams_total,
        "teams": sorted(teams, key=lambda t: natural_key(t["team"])),
        "demand": demand,
        "effects": effects,
        "suggestions": [
            present_suggestion(r)
            for r in team_queries.team_suggestions(conn, scope=EVERYONE, department=department)
        ],
        "employees": employees,
        "employees_total": everyone,
    }


def _read_report(
    department: str, *, figures: bool = False, listed: int | None = None, **details
) -> dict:
    """The report, read in one transaction and audited (it lists individuals), found or not;
    with `figures`, also what its page draws and labels with (over everyone, however many
    are `listed`)."""
    with get_db().transaction() as conn:
        try:
            report = _report(conn, department, listed=listed)
        except ApiError:
            audit.record_read(conn, "department_report_read", department, found=False, **details)
            raise
        if figures:
            report["threshold"] = trend_threshold(require_current_run(conn))
            report["kpi_names"] = kpi_names(conn)
            report["charted"] = _charted(conn, department, report, labeller(report["kpi_names"]))
        audit.record_read(
            conn,
            "department_report_read",
            department,
            found=True,
            count=len(report["employees"]),
            **details,
        )
    return report


def _charted(conn, department: str, report: dict, label) -> dict:
    """What the tier and KPI charts draw, over everyone however many the page lists:
    counted by the store, so the page reads no one's row but those it lists. Results from
    before scorecards have their KPI points rebuilt from their rows, as the API does."""
    bands = queries.score_bands(conn, department)
    if queries.legacy_results_exist(conn, department):
        kpis = kpi_groups(scored_rows(conn, department, None, report["employees_total"]), label)
    else:
        kpis = stored_kpi_groups(queries.kpi_points(conn, department, POINT_DIGITS), label)
    return {"bands": bands, "kpis": kpis}


def _filename(department: str, section: str, suffix: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", department).strip("-") or "department"
    return f"epa-{slug}-{section}.{suffix}"


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
            REPORT_CSV_COLUMNS[section],
            report_csv_rows(report, section),
        )


@blp.route("/<string:department>/report.html")
class DepartmentReportHtml(MethodView):
    @blp.response(200, content_type="text/html", description="A printable HTML page.")
    @blp.doc(responses=document_body("text/html", "A printable HTML page."))
    @blp.alt_response(404, schema=ErrorResponseSchema, description="Unknown department.")
    def get(self, department: str):
        """The department report as a printable page: summary and trend, teams, training
        demand and effectiveness, suggested team changes, and the figures of the people to
        look at first (everyone in a department of up to 200; the CSV lists all)."""
        report = _read_report(department, figures=True, format="html", listed=REPORT_LIST_LIMIT)
        programs = group_effects(report.pop("effects"))
        label = labeller(report.pop("kpi_names"))
        charted = report.pop("charted")
        charts = group_charts(
            department, charted["bands"], report["trend"]["runs"], charted["kpis"], programs
        )
        return html_response(
            "department_report.html",
            rule=trend_rule(report.pop("threshold")),
            label=label,
            month=month_label,
            charts=charts,
            effects=effect_rows(programs),
            **report,
        )
