"""The departments resource: per-department summaries, the department's trend over the
run's windows and kept runs, and the employee rows of the department report."""

from __future__ import annotations

from psycopg2.extensions import connection

from store.department_summaries import POINT_DIGITS
from store.queries._sql import REVIEWED, current, fetch_all, fetch_one
from store.scope import Scope


def department_summaries(conn: connection, *, scope: Scope) -> list[dict]:
    """Per department, over the scored employees within the scope only; tiers are the
    final ones (reviews applied). Everyone's are read from the run's stored summaries; a
    narrower scope, or a run without them, counts the scores."""
    if scope.everyone:
        stored = fetch_all(conn, _STORED_SUMMARIES)
        if stored:
            return stored
    return fetch_all(
        conn,
        f"""SELECT s.department,
                  count(*) AS employees,
                  round(avg(s.score)::numeric, 2)::float AS average_score,
                  round(avg(s.completion_rate)::numeric, 4)::float AS average_completion_rate,
                  count(*) FILTER (WHERE f.final_tier = 'High') AS tier_high,
                  count(*) FILTER (WHERE f.final_tier = 'Medium') AS tier_medium,
                  count(*) FILTER (WHERE f.final_tier = 'Low') AS tier_low,
                  count(*) FILTER (WHERE s.is_anomaly) AS anomalies,
                  count(*) FILTER (WHERE s.predicted_tier = 'Low') AS predicted_low
           FROM model_runs r JOIN scores s ON s.run_id = r.run_id {REVIEWED}
           WHERE r.is_current AND {scope.sql("s.employee_id")}
           GROUP BY s.department
           ORDER BY s.department""",
        scope.params(),
    )


# The people of the current run whose final tier is not the model's: only an override can
# make it so, and reviewed_results decides which one counts.
CHANGED_TIERS = f"""
    SELECT s.department, s.score, f.model_tier, f.final_tier
      FROM (SELECT DISTINCT v.run_id, v.employee_id
              FROM reviews v JOIN model_runs r ON r.run_id = v.run_id AND r.is_current
             WHERE v.decision = 'override') o
      JOIN scores s ON s.run_id = o.run_id AND s.employee_id = o.employee_id
      {REVIEWED}
     WHERE f.final_tier IS DISTINCT FROM f.model_tier"""

_TIER_CHANGE = """count(*) FILTER (WHERE final_tier = '{tier}')
                   - count(*) FILTER (WHERE model_tier = '{tier}')"""

# The stored summaries of the current run (migration 0014) with the model's tier counts
# moved by the run's overrides: the same figures as counting final tiers over its scores.
_STORED_SUMMARIES = f"""
    WITH changed AS ({CHANGED_TIERS}
    ), moved AS (
        SELECT department,
               {_TIER_CHANGE.format(tier="High")} AS high,
               {_TIER_CHANGE.format(tier="Medium")} AS medium,
               {_TIER_CHANGE.format(tier="Low")} AS low
          FROM changed GROUP BY department)
    SELECT d.department, d.employees, d.average_score, d.average_completion_rate,
           d.tier_high + coalesce(m.high, 0) AS tier_high,
           d.tier_medium + coalesce(m.medium, 0) AS tier_medium,
           d.tier_low + coalesce(m.low, 0) AS tier_low,
           d.anomalies, d.predicted_low
      FROM department_summaries d
      JOIN model_runs r ON r.run_id = d.run_id AND r.is_current
      LEFT JOIN moved m ON m.department = d.department
     ORDER BY d.department"""


def department_trend(conn: connection, department: str) -> dict | None:
    """The current run's windows and the window-0 figure of every kept run."""
    windows = fetch_all(
        conn,
        f"""SELECT t."window", t.period_end, t.employees, t.average_score,
                   t.tier_high, t.tier_medium, t.tier_low
            FROM department_trends t {current("t")}
            WHERE t.department = %(department)s ORDER BY t."window" DESC""",
        {"department": department},
    )
    if not windows:
        return None
    runs = fetch_all(
        conn,
        """SELECT t.run_id, r.as_of, t.employees, t.average_score,
                  t.tier_high, t.tier_medium, t.tier_low
           FROM department_trends t JOIN model_runs r ON r.run_id = t.run_id
           WHERE t.department = %(department)s AND t."window" = 0 AND r.status = 'succeeded'
           ORDER BY t.run_id""",
        {"department": department},
    )
    return {"windows": windows, "runs": runs}


# The order of the people to look at first: flagged as unusual, then predicted to be Low
# next, then declining, then by score from the lowest.
ATTENTION_ORDER = """s.is_anomaly DESC, (s.predicted_tier = 'Low') DESC NULLS LAST,
                  (s.trend = 'declining') DESC NULLS LAST, s.score ASC NULLS LAST, s.employee_id"""


def department_employees(
    conn: connection, department: str, team: str | None = None, first: int | None = None
) -> list[dict]:
    """One row per employee of the department (or of one of its teams) in the current run,
    with the figures a report lists: result, percentile, trend, prediction, anomaly, skill
    gaps and the first recommended program, with the final tier beside the model's. In
    team order; with `first`, only the first that many people to look at first, in that
    order."""
    if first is None:
        order, rows = "s.team, s.employee_id", "scores s"
    else:
        # The first `first` people are chosen on the scores alone, so only their rows are
        # joined to the rest (a department's every row otherwise, at any size).
        order = ATTENTION_ORDER
        # The current run's id as a constant of the plan (not a join), so the index
        # scores_attention (migration 0015) hands them over in order, the first few only.
        rows = f"""(SELECT s.* FROM scores s
                    WHERE s.run_id = (SELECT run_id FROM model_runs WHERE is_current)
                      AND s.department = %(department)s
                      AND (%(team)s::text IS NULL OR s.team = %(team)s)
                    ORDER BY {ATTENTION_ORDER} LIMIT %(first)s) s"""
    return fetch_all(
        conn,
        f"""SELECT s.employee_id, e.name, s.team, s.job_title,
                  round(s.score::numeric, 2)::float AS score, s.tier,
                  f.final_tier, f.decision AS review_decision,
                  round(s.percentile_department::numeric, 1)::float AS percentile_department,
                  round(s.percentile_job_title::numeric, 1)::float AS percentile_job_title,
                  s.trend, round(s.score_change::numeric, 2)::float AS score_change,
                  s.predicted_tier, round(s.p_low::numeric, 3)::float AS p_low,
                  s.is_anomaly, s.tier_drivers, s.anomaly_drivers,
                  (SELECT count(*) FROM skill_gaps g
                    WHERE g.run_id = s.run_id AND g.employee_id = s.employee_id) AS skill_gaps,
                  t.program_name AS top_training, t.skill AS top_training_skill,
                  round(t.expected_benefit::numeric, 2)::float AS top_training_benefit
           FROM {rows}
           JOIN model_runs r ON r.run_id = s.run_id AND r.is_current
           {REVIEWED}
           LEFT JOIN employees e ON e.employee_id = s.employee_id
           LEFT JOIN training_recommendations t
                  ON t.run_id = s.run_id AND t.employee_id = s.employee_id AND t.rank = 1
           WHERE s.department = %(department)s
             AND (%(team)s::text IS NULL OR s.team = %(team)s)
           ORDER BY {order} LIMIT %(first)s""",
        {"department": department, "team": team, "first": first},
    )


def score_bands(conn: connection, department: str) -> dict[str, list[int]]:
    """Per final tier, how many of the department's people of the current run score in
    each band of 10 points (0-10, ..., 90-100 with 100 in the last): the model's tiers
    counted in SQL, moved by the run's overrides as the summaries are."""
    bands = {tier: [0] * 10 for tier in ("Low", "Medium", "High")}
    if _without_kpis(conn, department) is not None:  # counted when the run was written
        counted = f"""SELECT b.tier, b.band, b.people FROM department_score_bands b
                      {current("b")} WHERE b.department = %(department)s"""
    else:
        counted = f"""SELECT s.tier, {_BAND.format(score="s.score")} AS band, count(*) AS people
                      FROM scores s {current("s")}
                      WHERE s.department = %(department)s
                      GROUP BY 1, 2"""
    for row in fetch_all(conn, counted, {"department": department}):
        if row["tier"] in bands:
            bands[row["tier"]][row["band"]] += row["people"]
    for row in fetch_all(
        conn,
        f"""SELECT c.model_tier, c.final_tier, {_BAND.format(score="c.score")} AS band
            FROM ({CHANGED_TIERS}) c WHERE c.department = %(department)s""",
        {"department": department},
    ):
        if row["model_tier"] in bands:
            bands[row["model_tier"]][row["band"]] -= 1
        if row["final_tier"] in bands:
            bands[row["final_tier"]][row["band"]] += 1
    return bands


# The band of 10 points of a score, by comparison with the band edges (as a histogram
# does) rather than by division, so a score on an edge falls in the band it starts.
_BAND = "width_bucket({score}::float8, ARRAY[10, 20, 30, 40, 50, 60, 70, 80, 90]::float8[])"


def kpi_points(conn: connection, department: str, digits: int) -> dict:
    """What the mean points per KPI of each scorecard of the department's current results
    are made of, summed in SQL: per scorecard the people it scored with a stored KPI
    breakdown (`people`), and per scorecard and KPI the sum and count of their points
    (rounded to `digits`, as the API shows them) and the KPI's place in the breakdown (`points`)."""
    params = {"department": department}
    if digits == POINT_DIGITS and _without_kpis(conn, department) is not None:
        return {
            "people": fetch_all(
                conn,
                f"""SELECT p.scorecard, p.people FROM department_kpi_people p {current("p")}
                    WHERE p.department = %(department)s""",
                params,
            ),
            "points": fetch_all(
                conn,
                f"""SELECT p.scorecard, p.kpi_id, p.place, p.total, p.count
                    FROM department_kpi_points p {current("p")}
                    WHERE p.department = %(department)s ORDER BY 1, 3, 2""",
                params,
            ),
        }
    people = fetch_all(
        conn,
        f"""SELECT s.scorecard, count(*) AS people
            FROM scores s {current("s")}
            WHERE s.department = %(department)s AND jsonb_array_length(s.kpis) > 0
            GROUP BY s.scorecard""",
        params,
    )
    points = fetch_all(
        conn,
        f"""SELECT s.scorecard, k.kpi ->> 'kpi_id' AS kpi_id, min(k.place) AS place,
                   sum(round((k.kpi ->> 'points')::numeric, %(digits)s))::float AS total,
                   count(k.kpi ->> 'points') AS count
            FROM scores s {current("s")}
            CROSS JOIN LATERAL jsonb_array_elements(s.kpis) WITH ORDINALITY AS k(kpi, place)
            WHERE s.department = %(department)s AND jsonb_typeof(s.kpis) = 'array'
            GROUP BY 1, 2 ORDER BY 1, 3, 2""",
        {**params, "digits": digits},
    )
    return {"people": people, "points": points}


def legacy_results_exist(conn: connection, department: str) -> bool:
    """Whether some current result of the department has no stored KPI breakdown (a run
    from before scorecards), which only the API's own rebuild of it can chart."""
    counted = _without_kpis(conn, department)
    if counted is not None:
        return counted > 0
    return bool(
        fetch_all(
            conn,
            f"""SELECT 1 FROM scores s {current("s")}
                WHERE s.department = %(department)s AND s.kpis IS NULL LIMIT 1""",
            {"department": department},
        )
    )


def _without_kpis(conn: connection, department: str) -> int | None:
    """How many of the department's current results have no stored KPI breakdown, as
    counted when the run was written; None when the run's figures were not stored
    (migration 0015), which its readers then count from the scores."""
    row = fetch_one(
        conn,
        f"""SELECT d.results_without_kpis FROM department_summaries d {current("d")}
            WHERE d.department = %(department)s""",
        {"department": department},
    )
    return None if row is None else row["results_without_kpis"]
