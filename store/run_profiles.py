"""What a run looks like as a whole: the figures a new run is compared on with the run it
would replace before it may become current (see worker.hold_checks).

Both sides are read with the same SQL from the scores table, the new run's rows inside the
transaction that wrote them, so the comparison never depends on two ways of counting."""

from __future__ import annotations

from dataclasses import dataclass, field

from psycopg2.extensions import connection

from analytics.config import TIER_NAMES

# A tier share is also kept for the people given no tier (a population without spread).
NO_TIER = "none"


@dataclass(frozen=True)
class RunProfile:
    run_id: int
    employees_scored: int
    rows_read: int
    no_tasks_share: float
    imputed_share: float  # hours or a KPI imputed
    tier_shares: dict[str, float] = field(default_factory=dict)  # TIER_NAMES and NO_TIER
    department_mean_score: dict[str, float] = field(default_factory=dict)


_TOTALS_SQL = """
SELECT count(*) AS employees_scored,
       coalesce(avg(('no_tasks' = ANY(flags))::int), 0)::float AS no_tasks_share,
       coalesce(avg((EXISTS (SELECT 1 FROM unnest(flags) f
                             WHERE f = 'hours_imputed' OR f LIKE 'kpi\\_imputed:%%'))::int),
                0)::float AS imputed_share,
       {tiers}
FROM scores WHERE run_id = %(run_id)s
"""


def _totals_sql() -> str:
    shares = [
        f"coalesce(avg((tier = '{name}')::int), 0)::float AS \"{name}\"" for name in TIER_NAMES
    ]
    shares.append(f'coalesce(avg((tier IS NULL)::int), 0)::float AS "{NO_TIER}"')
    return _TOTALS_SQL.format(tiers=",\n       ".join(shares))


def run_profile(conn: connection, run_id: int, rows_read: int | None = None) -> RunProfile:
    """The profile of one run; `rows_read` as given (a run still being written has not
    stored it yet), else the run's own."""
    with conn.cursor() as cur:
        cur.execute(_totals_sql(), {"run_id": run_id})
        names = [d.name for d in cur.description]
        totals = dict(zip(names, cur.fetchone(), strict=True))
        cur.execute(
            """SELECT department, avg(score)::float FROM scores WHERE run_id = %s
               GROUP BY department ORDER BY department""",
            (run_id,),
        )
        departments = dict(cur.fetchall())
        if rows_read is None:
            cur.execute(
                "SELECT coalesce(rows_read, 0) FROM model_runs WHERE run_id = %s", (run_id,)
            )
            rows_read = cur.fetchone()[0]
    return RunProfile(
        run_id=run_id,
        employees_scored=totals["employees_scored"],
        rows_read=int(rows_read),
        no_tasks_share=totals["no_tasks_share"],
        imputed_share=totals["imputed_share"],
        tier_shares={name: totals[name] for name in (*TIER_NAMES, NO_TIER)},
        department_mean_score=departments,
    )
