"""Per run and department, the figures `GET /departments` shows to HR (migration 0014) and
those the department report's charts are drawn from (migration 0015), counted once by SQL
over the run's scores in the transaction that writes them, so every written run (held
ones too: a promotion makes them current) has them."""

from __future__ import annotations

from psycopg2.extensions import connection

# The digits the API rounds a KPI's points to before averaging them (migration 0015's).
POINT_DIGITS = 4

_RUN = "s.run_id = %(run_id)s"

# Migration 0014's aggregates: those of the live query in store.queries.departments, with
# the model's tiers (reads add what the run's overrides change); and migration 0015's
# count of results without a stored KPI breakdown.
_SUMMARIES = f"""
    INSERT INTO department_summaries
    SELECT s.run_id, s.department,
           count(*),
           round(avg(s.score)::numeric, 2)::float,
           round(avg(s.completion_rate)::numeric, 4)::float,
           count(*) FILTER (WHERE s.tier = 'High'),
           count(*) FILTER (WHERE s.tier = 'Medium'),
           count(*) FILTER (WHERE s.tier = 'Low'),
           count(*) FILTER (WHERE s.is_anomaly),
           count(*) FILTER (WHERE s.predicted_tier = 'Low'),
           count(*) FILTER (WHERE s.kpis IS NULL)
      FROM scores s
     WHERE {_RUN}
     GROUP BY s.run_id, s.department"""

# Migration 0015's counts: those of store.queries.departments' live score_bands and
# kpi_points, with the model's tiers.
_BANDS = f"""
    INSERT INTO department_score_bands
    SELECT s.run_id, s.department, s.tier,
           width_bucket(s.score::float8, ARRAY[10, 20, 30, 40, 50, 60, 70, 80, 90]::float8[]),
           count(*)
      FROM scores s
     WHERE {_RUN} AND s.tier IN ('Low', 'Medium', 'High')
     GROUP BY 1, 2, 3, 4"""
_KPI_PEOPLE = f"""
    INSERT INTO department_kpi_people
    SELECT s.run_id, s.department, s.scorecard, count(*)
      FROM scores s
     WHERE {_RUN} AND jsonb_array_length(s.kpis) > 0
     GROUP BY 1, 2, 3"""
_KPI_POINTS = f"""
    INSERT INTO department_kpi_points
    SELECT s.run_id, s.department, s.scorecard, k.kpi ->> 'kpi_id', min(k.place),
           sum(round((k.kpi ->> 'points')::numeric, {POINT_DIGITS}))::float,
           count(k.kpi ->> 'points')
      FROM scores s
     CROSS JOIN LATERAL jsonb_array_elements(s.kpis) WITH ORDINALITY AS k(kpi, place)
     WHERE {_RUN} AND jsonb_typeof(s.kpis) = 'array'
     GROUP BY 1, 2, 3, 4"""


def record_department_summaries(conn: connection, run_id: int) -> None:
    """Summarise run `run_id`'s scores per department, in the caller's transaction; after
    its scores are written and before it is published."""
    with conn.cursor() as cur:
        for statement in (_SUMMARIES, _BANDS, _KPI_PEOPLE, _KPI_POINTS):
            cur.execute(statement, {"run_id": run_id})
