"""What the worker reads: per-employee activity aggregated in SQL over three windows.

Window 0 ends at the latest loaded period, window 1 one month earlier, window 2 two
months earlier; each covers the periods of the last `window_days` days up to its end.
PostgreSQL aggregates (one scan with FILTER clauses) and streams the result with COPY,
so pandas only ever sees one row per employee and window.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from psycopg2.extensions import connection

from store.bulk import read_frame

WINDOWS = (0, 1, 2)
SURVEY_DAYS = 180  # engagement and satisfaction: mean of the answers of the last six months

_WIDE_SQL = """
WITH ends AS (
    SELECT %(as_of)s::date AS e0,
           (%(as_of)s::date - interval '1 month')::date AS e1,
           (%(as_of)s::date - interval '2 months')::date AS e2
), activity AS (
    SELECT t.employee_id, count(*) AS records,
           {activity}
    FROM task_records t, ends
    WHERE t.period > e2 - %(window_days)s AND t.period <= e0
    GROUP BY t.employee_id
), surveys AS (
    SELECT s.employee_id,
           {surveys}
    FROM survey_responses s, ends
    WHERE s.survey_date >= (e2 + interval '1 month')::date - %(survey_days)s
      AND s.survey_date < e0 + interval '1 month'
    GROUP BY s.employee_id
), skill_match AS (
    -- Importance-weighted share of the role's required levels the employee reaches.
    SELECT e.employee_id,
           sum(r.importance * least(coalesce(k.level, 0)::real / r.required_level, 1))
             / nullif(sum(r.importance), 0) AS skill_match
    FROM employees e
    JOIN role_skill_requirements r ON r.job_title = e.job_title
    LEFT JOIN employee_skills k ON k.employee_id = e.employee_id AND k.skill = r.skill
    GROUP BY e.employee_id
)
SELECT e.employee_id, e.department, e.team, e.job_title, e.hire_date,
       coalesce(a.records, 0) AS records, m.skill_match,
       {select_activity}, {select_surveys}
FROM employees e CROSS JOIN ends
LEFT JOIN activity a USING (employee_id)
LEFT JOIN surveys s USING (employee_id)
LEFT JOIN skill_match m USING (employee_id)
WHERE e.hire_date < e0 + interval '1 month'
"""


def _wide_sql() -> str:
    activity, surveys, select_activity, select_surveys = [], [], [], []
    for w in WINDOWS:
        in_window = f"t.period > e{w} - %(window_days)s AND t.period <= e{w}"
        in_survey = (
            f"s.survey_date >= (e{w} + interval '1 month')::date - %(survey_days)s "
            f"AND s.survey_date < e{w} + interval '1 month'"
        )
        for col, src in (
            ("total_tasks", "tasks_total"),
            ("completed_tasks", "tasks_completed"),
            ("hours_logged", "hours_logged"),
        ):
            activity.append(f"sum(t.{src}) FILTER (WHERE {in_window}) AS {col}_{w}")
            select_activity.append(f"coalesce(a.{col}_{w}, 0) AS {col}_{w}")
        for col in ("engagement", "satisfaction"):
            surveys.append(f"avg(s.{col}) FILTER (WHERE {in_survey}) AS {col}_{w}")
            select_surveys.append(f"s.{col}_{w}")
    return _WIDE_SQL.format(
        activity=",\n           ".join(activity),
        surveys=",\n           ".join(surveys),
        select_activity=", ".join(select_activity),
        select_surveys=", ".join(select_surveys),
    )


def latest_period(conn: connection) -> dt.date | None:
    with conn.cursor() as cur:
        cur.execute("SELECT max(period) FROM task_records")
        return cur.fetchone()[0]


def read_window_features(
    conn: connection, as_of: dt.date, window_days: int = 90
) -> tuple[pd.DataFrame, int]:
    """One row per (employee, window) in the shape `analytics.analyze` takes, and the
    number of task records the windows cover."""
    params = {"as_of": as_of, "window_days": window_days, "survey_days": SURVEY_DAYS}
    wide = read_frame(
        conn,
        _wide_sql(),
        params,
        dtype={"employee_id": str, "department": str, "team": str, "job_title": str},
        parse_dates=["hire_date"],
    )
    rows_read = int(wide["records"].sum())

    frames = []
    for w in WINDOWS:
        # The window ends (exclusively) at the start of the month after its last period.
        window_end = pd.Timestamp(as_of) - pd.DateOffset(months=w) + pd.DateOffset(months=1)
        present = wide[wide["hire_date"] < window_end]
        frames.append(
            pd.DataFrame(
                {
                    "employee_id": present["employee_id"],
                    "window": w,
                    "department": present["department"],
                    "team": present["team"],
                    "job_title": present["job_title"],
                    "tenure_years": (window_end - present["hire_date"]).dt.days / 365.25,
                    "engagement": present[f"engagement_{w}"],
                    "satisfaction": present[f"satisfaction_{w}"],
                    "skill_match": present["skill_match"],
                    "total_tasks": present[f"total_tasks_{w}"].astype("int64"),
                    "completed_tasks": present[f"completed_tasks_{w}"].astype("int64"),
                    "hours_logged": present[f"hours_logged_{w}"].astype("float64"),
                }
            )
        )
    return pd.concat(frames, ignore_index=True), rows_read
