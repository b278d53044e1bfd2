"""The HR insights a run derives from its scores: skill gaps and training recommendations,
training demand and effectiveness, team composition and suggestions, and trends.

One function gathers them so the worker stays a sequence of read / fit / derive / write
steps; every frame it returns has the columns of its table (minus run_id), ready to store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import pandas as pd

from analytics.config import DEFAULT_CONFIG, DEFAULT_INSIGHTS, AnalysisConfig, InsightsConfig
from analytics.pipeline import AnalysisResult
from analytics.skills import skill_gaps, training_demand, training_recommendations
from analytics.teams import population_composition, population_suggestions, prepare
from analytics.training_effect import training_effectiveness
from analytics.trends import group_trends

TEAM_TREND_COLUMNS = ("score_w1", "score_w2", "score_change", "trend")


def derive_insights(
    result: AnalysisResult,
    *,
    as_of: dt.date,
    employee_skills: pd.DataFrame,
    requirements: pd.DataFrame,
    programs: pd.DataFrame,
    completions: pd.DataFrame,
    monthly_activity: pd.DataFrame,
    managers: Collection[str],
    monthly_kpis: pd.DataFrame | None = None,
    config: AnalysisConfig = DEFAULT_CONFIG,
    insights: InsightsConfig = DEFAULT_INSIGHTS,
) -> dict[str, pd.DataFrame]:
    """Every per-run insight table, keyed by table name."""
    scores = result.scores
    # First: its monthly scoring of the whole population is the insights' largest
    # transient memory (it keeps only the compared rows, but scores every month), and the
    # skill tables (about 1 GiB at a million employees) do not exist yet.
    effectiveness = training_effectiveness(
        monthly_activity,
        scores.loc[:, ["employee_id", "department", "job_title"]],
        completions,
        programs,
        config,
        insights,
        as_of,
        scorecards=result.scorecards,
        monthly_kpis=monthly_kpis,
    )
    gaps = skill_gaps(scores, employee_skills, requirements)
    recommendations = training_recommendations(gaps, scores, requirements, programs, insights)

    # Composition and suggestions share one integer-coded population: preparing it hashes
    # every employee and skill row.
    population = prepare(scores, employee_skills, requirements)
    teams = population_composition(population)
    team_trends = group_trends(scores, "team", insights).loc[:, ["team", *TEAM_TREND_COLUMNS]]
    teams = teams.merge(team_trends, on="team", how="left", validate="one_to_one")

    department_trends = result.department_trends.copy()
    # Window w ends w months before the run's last period.
    department_trends.insert(
        2,
        "period_end",
        [
            (pd.Timestamp(as_of) - pd.DateOffset(months=int(w))).date()
            for w in department_trends["window"]
        ],
    )

    return {
        "skill_gaps": gaps,
        "training_recommendations": recommendations,
        "training_demand": training_demand(gaps, recommendations, programs),
        "training_effectiveness": effectiveness,
        "team_composition": teams,
        "team_suggestions": population_suggestions(population, set(managers), insights),
        "department_trends": department_trends,
    }
