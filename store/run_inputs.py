"""What a worker run reads from the store.

Scoring reads per-employee activity aggregated in SQL over three windows: window 0 ends at
the run's as_of (a month the worker chooses, never simply the latest period loaded: one
record dated years ahead would empty every window), window 1 one month earlier, window 2
two months earlier; task records after as_of are only counted (`rows_after`). Each
covers the periods of the last `window_days` days up to its end. PostgreSQL aggregates
(one scan with FILTER clauses) and streams the result with COPY, so pandas only ever sees
one row per employee and window.

The HR insights (skills, training, teams) read skills, role requirements, programs,
training completions, the monthly task records and KPI values training effectiveness
needs, and who manages whom. The large tables stream through COPY into pandas as well; task
records and KPI values are read only for the months of
`analytics.training_effect.activity_months`, so a run without measurable completions reads
none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pandas as pd
import psycopg2
from psycopg2.extensions import connection

from analytics.config import DEFAULT_INSIGHTS, InsightsConfig
from analytics.training_effect import activity_months
from store.bulk import read_frame

WINDOWS = (0, 1, 2)
# The read's sort and hash memory: a million employees' per-employee aggregates then stay
# in memory instead of spilling to disk at the server's default (4MB). Per sort or hash
# node of the read transaction only, on the database server, never in the worker.
READ_WORK_MEM = "256MB"
SURVEY_DAYS = 180  # engagement and satisfaction: mean of the answers of the last six months

# Each window's bounds, by PostgreSQL's own date arithmetic, given to the read as constants:
# compared with a CTE of window ends, the planner may then scan and aggregate in parallel,
# and no row computes a bound again.
_BOUNDS_SQL = """
SELECT {bounds}
FROM (SELECT %(as_of)s::date AS e0,
             (%(as_of)s::date - interval '1 month')::date AS e1,
             (%(as_of)s::date - interval '2 months')::date AS e2) AS ends
"""

_WIDE_SQL = """
WITH activity AS (
    SELECT t.employee_id, count(*) AS records,
           {activity}
    FROM task_records t
    WHERE t.period > %(tasks_after_2)s AND t.period <= %(end_0)s
    GROUP BY t.employee_id
), surveys AS (
    SELECT s.employee_id,
           {surveys}
    FROM survey_responses s
    WHERE s.survey_date >= %(surveys_from_2)s AND s.survey_date < %(surveys_before_0)s
    GROUP BY s.employee_id
), skill_match AS (
    -- Importance-weighted share of the role's required levels the employee reaches.
    SELECT e.employee_id,
           sum(r.importance::float8 * least(coalesce(k.level, 0)::float8 / r.required_level, 1))
             / nullif(sum(r.importance::float8), 0) AS skill_match
    FROM employees e
    JOIN role_skill_requirements r ON r.job_title = e.job_title
    LEFT JOIN employee_skills k ON k.employee_id = e.employee_id AND k.skill = r.skill
    GROUP BY e.employee_id
)
SELECT e.employee_id, e.department, e.team, e.job_title, e.hire_date,
       coalesce(a.records, 0) AS records, m.skill_match,
       {select_activity}, {select_surveys}
FROM employees e
LEFT JOIN activity a USING (employee_id)
LEFT JOIN surveys s USING (employee_id)
LEFT JOIN skill_match m USING (employee_id)
WHERE e.hire_date < %(hired_before)s
"""


def _bounds_sql() -> str:
    """Per window w: end_w (its last period), tasks_after_w (periods after it and up to
    end_w are in), and surveys_from_w / surveys_before_w (its survey dates); hired_before
    (who is employed in window 0)."""
    bounds = ["(e0 + interval '1 month')::date AS hired_before"]
    for w in WINDOWS:
        month_after = f"(e{w} + interval '1 month')::date"
        bounds += [
            f"e{w} AS end_{w}",
            f"e{w} - %(window_days)s AS tasks_after_{w}",
            f"{month_after} - %(survey_days)s AS surveys_from_{w}",
            f"{month_after} AS surveys_before_{w}",
        ]
    return _BOUNDS_SQL.format(bounds=", ".join(bounds))


def _window_bounds(conn: connection, params: dict) -> dict:
    with conn.cursor() as cur:
        cur.execute(_bounds_sql(), params)
        return dict(zip([d.name for d in cur.description], cur.fetchone(), strict=True))


def _wide_sql() -> str:
    activity, surveys, select_activity, select_surveys = [], [], [], []
    for w in WINDOWS:
        in_window = f"t.period > %(tasks_after_{w})s AND t.period <= %(end_{w})s"
        in_survey = (
            f"s.survey_date >= %(surveys_from_{w})s AND s.survey_date < %(surveys_before_{w})s"
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


def begin_read(conn: connection) -> None:
    """Start a run's read on `conn`, outside any transaction: one REPEATABLE READ,
    read-only transaction, so that every read of the run (on `conn`, or on a connection
    `sharing_snapshot` gives) sees the same data, with READ_WORK_MEM."""
    with conn.cursor() as cur:
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    use_read_memory(conn)


@contextmanager
def sharing_snapshot(conn: connection, database_url: str) -> Iterator[connection]:
    """A second connection whose transaction sees exactly what `conn`'s (begun by
    `begin_read`) sees, through an exported snapshot: the run reads on both at once, the
    server working on one read while this process parses the other. Closed on exit."""
    with conn.cursor() as cur:
        cur.execute("SELECT pg_export_snapshot()")
        snapshot = cur.fetchone()[0]
    other = psycopg2.connect(database_url, application_name="epa-worker")
    try:
        other.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with other.cursor() as cur:
            cur.execute("SET TRANSACTION SNAPSHOT %s", (snapshot,))
        use_read_memory(other)
        yield other
    finally:
        other.close()


def use_read_memory(conn: connection) -> None:
    """Give the rest of the current transaction READ_WORK_MEM, and no JIT compilation: a
    run's reads are a few large aggregates, which JIT spends a second compiling for no
    gain. SET LOCAL ends with the transaction, so nothing else is affected."""
    with conn.cursor() as cur:
        cur.execute("SELECT set_config('work_mem', %s, true)", (READ_WORK_MEM,))
        cur.execute("SELECT set_config('jit', 'off', true)")


def latest_period(conn: connection) -> dt.date | None:
    with conn.cursor() as cur:
        cur.execute("SELECT max(period) FROM task_records")
        return cur.fetchone()[0]


def has_records_up_to(conn: connection, as_of: dt.date) -> bool:
    """Whether any task record or KPI value lies in or before the month of `as_of`: people
    scored on KPIs alone need no task records."""
    with conn.cursor() as cur:
        cur.execute(
            """SELECT EXISTS (SELECT 1 FROM task_records WHERE period <= %(as_of)s)
                   OR EXISTS (SELECT 1 FROM kpi_values WHERE period <= %(as_of)s)""",
            {"as_of": as_of},
        )
        return bool(cur.fetchone()[0])


def rows_after(conn: connection, as_of: dt.date) -> int:
    """Task records of periods after `as_of`, which a run as of it ignores."""
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM task_records WHERE period > %s", (as_of,))
        return int(cur.fetchone()[0])


def read_window_features(
    conn: connection, as_of: dt.date, window_days: int = 90
) -> tuple[pd.DataFrame, int]:
    """One row per (employee, window) in the shape `analytics.analyze` takes, and the
    number of task records the windows cover."""
    params = {"as_of": as_of, "window_days": window_days, "survey_days": SURVEY_DAYS}
    wide = read_frame(
        conn,
        _wide_sql(),
        _window_bounds(conn, params),
        dtype={"employee_id": str, "department": str, "team": str, "job_title": str},
        parse_dates=["hire_date"],
    )
    rows_read = int(wide["records"].sum())
    # Floating-point sums depend on the order rows reach them, which PostgreSQL does not
    # fix (parallel scans, the plan the statistics choose), and a last-bit difference can
    # move a tree split. Rounded to 9 decimals (far below what hours, a 1-5 survey or a
    # share can mean, far above that noise), two runs on the same data score alike.
    floats = wide.select_dtypes("float64").columns
    wide[floats] = wide[floats].round(9)

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


# --- inputs of the HR insights ---------------------------------------------------------


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
    # employee_id, period (datetime64), kpi_id, value: the same months, KPIs that some
    # scorecard uses only
    monthly_kpis: pd.DataFrame = field(default_factory=pd.DataFrame)


def _copy(
    conn: connection, query: str, params: dict, dtypes: dict, dates: tuple[str, ...] = ()
) -> pd.DataFrame:
    frame = read_frame(conn, query, params, dtype=dtypes, keep_default_na=False, na_values=[""])
    for column in dates:
        frame[column] = pd.to_datetime(frame[column], format="%Y-%m-%d")
    return frame


def _empty(dtypes: dict) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=t) for c, t in dtypes.items()})
    frame["period"] = pd.to_datetime(frame["period"])
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
    kpi_dtypes = {"employee_id": "category", "period": "category", "kpi_id": "category",
                  "value": "float64"}  # fmt: skip
    if months:
        activity = _copy(
            conn,
            "SELECT employee_id, period, tasks_total, tasks_completed, hours_logged "
            "FROM task_records WHERE period = ANY(%(months)s::date[])",
            {"months": months},
            activity_dtypes,
            dates=("period",),
        )
        kpi_values = _copy(
            conn,
            "SELECT employee_id, period, kpi_id, value FROM kpi_values "
            "WHERE period = ANY(%(months)s::date[]) "
            "AND kpi_id IN (SELECT kpi_id FROM scorecards)",
            {"months": months},
            kpi_dtypes,
            dates=("period",),
        )
    else:
        activity, kpi_values = _empty(activity_dtypes), _empty(kpi_dtypes)
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
        monthly_kpis=kpi_values,
    )


# --- inputs of the scorecards -----------------------------------------------------------


@dataclass(frozen=True)
class KpiInputs:
    """What scores people on their job title's scorecard (analytics.scorecards)."""

    kpis: pd.DataFrame  # kpi_id, name, unit, direction, aggregation, builtin
    # job_title, kpi_id, weight: custom scorecards only (empty: everyone on the default)
    scorecards: pd.DataFrame
    # employee_id, window (0, 1, 2), kpi_id, value: custom KPIs, aggregated over the window
    values: pd.DataFrame


# One pass over the periods of the three windows (the bounds of _WIDE_SQL), one row per
# employee and KPI with a value per window, turned into one row per window that has values.
# A window's value combines the months with a value: their mean or their sum.
_KPI_VALUES_SQL = """
WITH ends AS (
    SELECT %(as_of)s::date AS e0,
           (%(as_of)s::date - interval '1 month')::date AS e1,
           (%(as_of)s::date - interval '2 months')::date AS e2
), per_kpi AS (
    SELECT v.employee_id, v.kpi_id, k.aggregation,
           {windows}
    FROM kpi_values v JOIN kpis k USING (kpi_id), ends
    WHERE v.period > e2 - %(window_days)s AND v.period <= e0
    GROUP BY v.employee_id, v.kpi_id, k.aggregation
)
SELECT p.employee_id, w."window", p.kpi_id, w.value
FROM per_kpi p
CROSS JOIN LATERAL (VALUES {unpivot}) AS w ("window", value)
WHERE w.value IS NOT NULL
ORDER BY p.employee_id, w."window", p.kpi_id
"""


def _kpi_values_sql() -> str:
    windows, unpivot = [], []
    for w in WINDOWS:
        in_window = f"v.period > e{w} - %(window_days)s AND v.period <= e{w}"
        windows.append(
            f"CASE k.aggregation WHEN 'sum' THEN sum(v.value) FILTER (WHERE {in_window}) "
            f"ELSE avg(v.value) FILTER (WHERE {in_window}) END AS value_{w}"
        )
        unpivot.append(f"({w}, p.value_{w})")
    return _KPI_VALUES_SQL.format(
        windows=",\n           ".join(windows), unpivot=", ".join(unpivot)
    )


def read_kpi_inputs(conn: connection, as_of: dt.date, window_days: int = 90) -> KpiInputs:
    """The KPI definitions (built-in ones included), the custom scorecards, and each
    employee's custom KPI values per window, over the windows of `read_window_features`."""
    kpis = _copy(
        conn,
        "SELECT kpi_id, name, unit, direction, aggregation, builtin FROM kpis ORDER BY kpi_id",
        {},
        {c: str for c in ("kpi_id", "name", "unit", "direction", "aggregation", "builtin")},
    )
    kpis["builtin"] = kpis["builtin"] == "t"
    scorecards = _copy(
        conn,
        "SELECT job_title, kpi_id, weight FROM scorecards ORDER BY job_title, kpi_id",
        {},
        {"job_title": str, "kpi_id": str, "weight": "float64"},
    )
    values = _copy(
        conn,
        _kpi_values_sql(),
        {"as_of": as_of, "window_days": window_days},
        # Millions of rows at scale: the few KPI ids as categories, not one string each.
        {"employee_id": str, "window": "int64", "kpi_id": "category", "value": "float64"},
    )
    return KpiInputs(kpis=kpis, scorecards=scorecards, values=values)


# --- inputs of the fairness audit -------------------------------------------------------


def read_protected_attributes(conn: connection) -> pd.DataFrame:
    """employee_id, attribute, group of everyone with a protected attribute. The fairness
    audit alone calls this, after the models are fitted and scored: the fit never sees it."""
    return _copy(
        conn,
        'SELECT employee_id, attribute, "group" FROM protected_attributes',
        {},
        {"employee_id": str, "attribute": str, "group": str},
    )


def read_min_group_size(conn: connection) -> int:
    """The smallest group a published figure may describe (reporting.settings, migration
    0002), read by the audit so that it suppresses as the reporting views do."""
    with conn.cursor() as cur:
        cur.execute("SELECT min_group_size FROM reporting.settings")
        row = cur.fetchone()
    if row is None:
        raise ValueError("reporting.settings has no row: the minimum group size is unknown")
    return int(row[0])
