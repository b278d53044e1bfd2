"""Per run and department, the figures `GET /departments` shows to HR (migration 0014),
counted once by SQL over the run's scores in the transaction that writes them, so every
written run (held ones too: a promotion makes them current) has its summaries."""

from __future__ import annotations

from psycopg2.extensions import connection

# Migration 0014's aggregates: those of the live query in store.queries.departments, with
# the model's tiers (reads add what the run's overrides change).
_RECORD_SQL = """
    INSERT INTO department_summaries
    SELECT s.run_id, s.department,
           count(*),
           round(avg(s.score)::numeric, 2)::float,
           round(avg(s.completion_rate)::numeric, 4)::float,
           count(*) FILTER (WHERE s.tier = 'High'),
           count(*) FILTER (WHERE s.tier = 'Medium'),
           count(*) FILTER (WHERE s.tier = 'Low'),
           count(*) FILTER (WHERE s.is_anomaly),
           count(*) FILTER (WHERE s.predicted_tier = 'Low')
      FROM scores s
     WHERE s.run_id = %(run_id)s
     GROUP BY s.run_id, s.department"""


def record_department_summaries(conn: connection, run_id: int) -> None:
    """Summarise run `run_id`'s scores per department, in the caller's transaction; after
    its scores are written and before it is published."""
    with conn.cursor() as cur:
        cur.execute(_RECORD_SQL, {"run_id": run_id})
