"""What the HR insights of a run read besides the window features: skills, role
requirements, programs, training completions, the monthly task records training
effectiveness needs, and who manages whom.

The large tables (skills, task records) stream through COPY into pandas, as
store/training_data.py does; task records are read only for the months of
`analytics.training_effect.activity_months`, so a run without measurable completions
reads none.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
from psycopg2.extensions import connection

from analytics.config import DEFAULT_INSIGHTS, InsightsConfig
from analytics.training_effect import activity_months
from store.bulk import read_frame


@dataclass(frozen=True)
class InsightInputs:
    employee_skills: pd.DataFrame  # employee_id, skill, level
    requirements: pd.DataFrame  # job_title, skill, required_level, importance
    programs: pd.DataFrame  # program_id, name, skill, level_gain, duration_hours
    # employee_id, program_id, completed_on (datetime64), up to the end of as_of's month
    completions: pd.DataFrame
    # employee_id, period (datetime64), tasks_total, tasks_completed, hours_logged: the
    # months training effectiveness needs only
    monthly_activity: pd.DataFrame
    managers: set[str] = field(default_factory=set)  # employee_ids with direct reports


def _copy(
    conn: connection, query: str, params: dict, dtypes: dict, dates: tuple[str, ...] = ()
) -> pd.DataFrame:
    frame = read_frame(conn, query, params, dtype=dtypes, keep_default_na=False, na_values=[""])
    for column in dates:
        frame[column] = pd.to_datetime(frame[column], format="%Y-%m-%d")
    return frame


def read_insight_inputs(
    conn: connection, as_of: dt.date, insights: InsightsConfig = DEFAULT_INSIGHTS
) -> InsightInputs:
    """Everything the run's skill, training and team insights need, as of `as_of` (the
    run's latest period, the first day of a month)."""
    month_end = (pd.Timestamp(as_of) + pd.offsets.MonthBegin(1)).date()
    skills = _copy(
        conn,
        "SELECT employee_id, skill, level FROM employee_skills",
        {},
        {"employee_id": str, "skill": str, "level": "int64"},
    )
    requirements = _copy(
        conn,
        "SELECT job_title, skill, required_level, importance FROM role_skill_requirements "
        "ORDER BY job_title, skill",
        {},
        {"job_title": str, "skill": str, "required_level": "int64", "importance": "float64"},
    )
    programs = _copy(
        conn,
        "SELECT program_id, name, skill, level_gain, duration_hours FROM training_programs "
        "ORDER BY program_id",
        {},
        {
            "program_id": str,
            "name": str,
            "skill": str,
            "level_gain": "int64",
            "duration_hours": "float64",
        },
    )
    completions = _copy(
        conn,
        "SELECT employee_id, program_id, completed_on FROM training_completions "
        "WHERE completed_on < %(month_end)s ORDER BY employee_id, program_id, completed_on",
        {"month_end": month_end},
        {"employee_id": str, "program_id": str, "completed_on": str},
        dates=("completed_on",),
    )
    months = activity_months(completions, as_of, insights)
    # Ten million rows at scale: ids and the few periods as categories, not one string each.
    activity_dtypes = {
        "employee_id": "category",
        "period": "category",
        "tasks_total": "int64",
        "tasks_completed": "int64",
        "hours_logged": "float64",
    }
    if months:
        activity = _copy(
            conn,
            "SELECT employee_id, period, tasks_total, tasks_completed, hours_logged "
            "FROM task_records WHERE period = ANY(%(months)s::date[])",
            {"months": months},
            activity_dtypes,
            dates=("period",),
        )
    else:
        activity = pd.DataFrame({c: pd.Series(dtype=t) for c, t in activity_dtypes.items()})
        activity["period"] = pd.to_datetime(activity["period"])
    with conn.cursor() as cur:
        cur.execute("SELECT DISTINCT manager_id FROM employees WHERE manager_id IS NOT NULL")
        managers = {row[0] for row in cur.fetchall()}
    return InsightInputs(
        employee_skills=skills,
        requirements=requirements,
        programs=programs,
        completions=completions,
        monthly_activity=activity,
        managers=managers,
    )
