"""Team composition of the current run, the team report for HR meetings, and the
evaluation of a proposed composition before anyone is moved."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from analytics.config import InsightsConfig
from analytics.teams import ProposalError, evaluate_proposal
from api import audit, pagination
from api.auth import current_scope
from api.current_run import require_current_run, trend_threshold
from api.db import get_db
from api.errors import ApiError
from api.presenters.reports import (
    effect_rows,
    final_tier_scores,
    group_charts,
    kpi_groups,
    labeller,
    month_label,
    months_before,
    trend_rule,
)
from api.presenters.teams import present_suggestion, present_team, present_team_run
from api.presenters.training import group_effects
from api.report_charts import score_bands
from api.reports import document_body, html_response, kpi_names, scored_rows
from api.schemas.common import ErrorResponseSchema
from api.schemas.teams import (
    EvaluationSchema,
    ProposalSchema,
    TeamArgsSchema,
    TeamDetailSchema,
    TeamPageSchema,
)
from store.queries import departments as department_queries
from store.queries import teams as queries
from store.queries import training as training_queries
from store.scope import EVERYONE

blp = Blueprint(
    "teams",
    __name__,
    url_prefix="/api/v1/teams",
    description="Tier mix, skill coverage, workload balance and trend per team.",
)
compositions = Blueprint(
    "compositions",
    __name__,
    url_prefix="/api/v1/compositions",
    description="What-if evaluation of proposed team changes; nothing is stored or moved.",
)


@blp.route("")
class TeamList(MethodView):
    @blp.arguments(TeamArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, TeamPageSchema, headers=pagination.NEXT_LINK_HEADER)
    @blp.alt_response(404, schema=ErrorResponseSchema, description="No run has completed yet.")
    def get(self, limit: int, department: str | None = None, after: str | None = None):
        """Teams in name order (keyset pagination). Managers see the teams all of whose
        members report to them."""
        with get_db().connection() as conn:
            run = require_current_run(conn)
            rows = queries.teams(
                conn, scope=current_scope(), department=department, after=after, limit=limit
            )
            audit.record_read(
                conn,
                "team_list_read",
                filters={"department": department} if department is not None else {},
                after=after,
                limit=limit,
                count=len(rows),
            )
        return pagination.page(
            {"run_id": run["run_id"], "data": [present_team(r) for r in rows]},
            "after",
            rows[-1]["team"] if len(rows) == limit else None,
        )


@blp.route("/<string:team>")
class Team(MethodView):
    @blp.response(200, TeamDetailSchema)
    @blp.alt_response(404, schema=ErrorResponseSchema, description="Unknown team.")
    def get(self, team: str):
        """One team: composition and trend over the run's months and the kept runs, its
        training demand, and the suggested changes of its department that involve it.

        Managers see a team all of whose members report to them, the kept runs in which
        that held, and the suggestions whose people and teams they may all see (up to the
        department's first one they may not: later ones build on it)."""
        scope = current_scope()
        with get_db().connection() as conn:
            run = require_current_run(conn)
            rows = queries.teams(conn, scope=scope, department=None, team=team, limit=1)
            if not rows:
                audit.record_read(conn, "team_read", team, found=False)
                raise ApiError(404, f"no team {team!r} in the current run")
            demand = training_queries.training_demand(
                conn, level="team", department=None, team=team, scope=scope
            )
            suggestions = queries.team_suggestions(conn, scope=scope, team=team)
            history = queries.team_history(conn, team, scope=scope)
            audit.record_read(
                conn,
                "team_read",
                team,
                found=True,
                runs=len(history),
                demand=len(demand),
                suggestions=len(suggestions),
            )
        return {
            "run_id": run["run_id"],
            "team": present_team(rows[0]),
            "runs": [present_team_run(h) for h in history],
            "training_demand": demand,
            "suggestions": [present_suggestion(s) for s in suggestions],
        }


def _team_report(conn, team: str) -> dict:
    """Everything a team report shows, read in one transaction and audited (it lists
    individuals), found or not."""
    run = require_current_run(conn)
    rows = queries.teams(conn, scope=EVERYONE, department=None, team=team, limit=1)
    if not rows:
        audit.record_read(conn, "team_report_read", team, found=False)
        raise ApiError(404, f"no team {team!r} in the current run")
    department = rows[0]["department"]
    members = department_queries.department_employees(conn, department, team)
    demand = sorted(
        training_queries.training_demand(
            conn, level="team", department=department, team=team, scope=EVERYONE
        ),
        key=lambda d: (-(d["training_hours"] or 0), d["skill"]),
    )
    skills = {d["skill"] for d in demand}
    report = {
        "run": run,
        "team": present_team(rows[0]),
        "runs": [present_team_run(h) for h in queries.team_history(conn, team, scope=EVERYONE)],
        "members": members,
        "demand": demand,
        "programs": group_effects(
            [e for e in training_queries.training_effectiveness(conn) if e["skill"] in skills]
        ),
        "suggestions": [
            present_suggestion(s) for s in queries.team_suggestions(conn, scope=EVERYONE, team=team)
        ],
        "kpi_names": kpi_names(conn),
        "results": scored_rows(conn, department, team, len(members)),
    }
    audit.record_read(conn, "team_report_read", team, found=True, count=len(members))
    return report


@blp.route("/<string:team>/report.html")
class TeamReport(MethodView):
    @blp.response(200, content_type="text/html", description="A printable HTML page.")
    @blp.doc(responses=document_body("text/html", "A printable HTML page."))
    @blp.alt_response(404, schema=ErrorResponseSchema, description="Unknown team.")
    def get(self, team: str):
        """The team report as a printable page for HR: summary and trend with charts,
        mean points per KPI, training demand and effectiveness, the suggested changes that
        involve the team and every member's figures."""
        with get_db().transaction() as conn:
            report = _team_report(conn, team)
        run, label = report.pop("run"), labeller(report.pop("kpi_names"))
        programs = report.pop("programs")
        charts = group_charts(
            team,
            score_bands(final_tier_scores(report["members"])),
            report["runs"],
            kpi_groups(report.pop("results"), label),
            programs,
        )
        months = [
            {
                **point,
                "period_end": months_before(run["as_of"], point["window"])
                if run["as_of"]
                else None,
            }
            for point in report["team"]["trend"]["trajectory"]
        ]
        return html_response(
            "team_report.html",
            run_id=run["run_id"],
            as_of=run["as_of"],
            months=months,
            rule=trend_rule(trend_threshold(run)),
            label=label,
            month=month_label,
            charts=charts,
            effects=effect_rows(programs),
            **report,
        )


def _problem(problem: dict) -> dict:
    """An analytics problem located the way every other 422 of the API is."""
    index, name = problem.get("index"), problem.get("field") or "moves"
    field = name if index is None else f"moves.{index}.{name}"
    return {"location": "json", "field": field, "reason": problem["reason"]}


@compositions.route("/evaluate")
class Evaluate(MethodView):
    @compositions.arguments(ProposalSchema)
    @compositions.response(200, EvaluationSchema)
    @compositions.alt_response(
        422, schema=ErrorResponseSchema, description="A move is unknown or breaks a constraint."
    )
    def post(self, proposal: dict):
        """Evaluate moving employees to other teams of their department, all at once:
        each affected department's imbalance (tier mix, skill coverage, workload) and each
        affected team before and after. Nothing is stored or moved."""
        moves = proposal["moves"]
        with get_db().transaction() as conn:
            run = require_current_run(conn)
            where = queries.departments_of(
                conn, [m["employee_id"] for m in moves], [m["to_team"] for m in moves]
            )
            departments = sorted(set(where["employees"].values()) | set(where["teams"].values()))
            data = queries.department_members(conn, departments)
            audit.record_read(conn, "composition_evaluated", moves=len(moves))
        try:
            result = evaluate_proposal(
                data["scores"],
                data["employee_skills"],
                data["requirements"],
                set(data["managers"]["employee_id"]),
                moves,
                InsightsConfig(**run["insights"]),
            )
        except ProposalError as exc:
            raise ApiError(
                422,
                "the proposed composition is not possible",
                [_problem(p) for p in exc.problems],
            ) from exc
        return {"run_id": run["run_id"], **result}
